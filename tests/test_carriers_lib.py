"""The carriers' API clients (GHTK, GHN) against local fake servers speaking their
documented APIs: quote, create, label, cancel, status, callbacks, failures."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation

from hoptac.lib.carriers import (
    CALLBACK_HEADER,
    Address,
    BadSignature,
    CarrierError,
    Parcel,
    Status,
    client_for,
    read_callback,
)
from hoptac.lib.carriers.base import VN_TZ, parse_time
from hoptac.lib.carriers.ghtk import STATUS_MAP
from tests.fakes.carriers import FakeGHN, FakeGHTK, minimal_pdf

PICK = Address(
    name="HTX Po Mỷ",
    phone="0912345678",
    street="Thôn Po Mỷ",
    ward="Xã Nàn Sán",
    province="Lào Cai",
    district="Huyện Si Ma Cai",
)
TO_HANOI = Address(
    name="Nguyễn Thị Lan",
    phone="0987654321",
    street="12 ngõ 45 Trần Duy Hưng",
    ward="Phường Yên Hòa",
    province="Hà Nội",
    district="Quận Cầu Giấy",
)
TO_LAOCAI = Address(
    name="Vàng A Páo", phone="0977000111", street="Tổ 3", ward="Phường Cam Đường", province="Lào Cai"
)


def parcel(code="DH1A2B3C", *, weight_g=1200, cod=350_000, value=350_000, items=()):
    return Parcel(
        order_code=code,
        weight_g=weight_g,
        value_vnd=value,
        cod_vnd=cod,
        content="Mật ong bạc hà",
        items=items or (("Mật ong bạc hà 500 ml", 2, 600),),
    )


@pytest.fixture
def ghtk_server():
    with FakeGHTK() as fake:
        yield fake


@pytest.fixture
def ghtk(ghtk_server):
    with client_for("ghtk", token=ghtk_server.token, base_url=ghtk_server.url, timeout=2) as client:
        yield client


# --- GHTK ---------------------------------------------------------------------------------


def test_ghtk_quote_between_provinces_and_within(ghtk, ghtk_server):
    far = ghtk.quote(pick=PICK, to=TO_HANOI, parcel=parcel(weight_g=1200))
    near = ghtk.quote(pick=PICK, to=TO_LAOCAI, parcel=parcel(weight_g=400))
    assert (
        far.fee_vnd
        == 30_000 + 2 * 2_500
        == ghtk_server.fee_for(pick_province="Lào Cai", province="Hà Nội", weight_g=1200)
    )
    assert near.fee_vnd == 22_000
    request = ghtk_server.requests[0]
    assert request["path"] == "/services/shipment/fee"
    assert request["headers"]["token"] == ghtk_server.token
    assert ghtk_server.token not in request["query"].values()  # the token is never in the URL
    assert request["query"]["weight"] == "1200" and request["query"]["province"] == "Hà Nội"


def test_ghtk_quote_adds_insurance_for_a_valuable_parcel(ghtk):
    quote = ghtk.quote(pick=PICK, to=TO_HANOI, parcel=parcel(weight_g=500, value=3_000_000))
    assert quote.fee_vnd == 30_000 + 15_000


def test_ghtk_quote_refused_where_ghtk_does_not_deliver(ghtk):
    island = Address(name="A", phone="0912345678", street="Đảo", ward="Xã Song Tử Tây", province="Trường Sa")
    with pytest.raises(CarrierError) as caught, translation.override("en"):
        ghtk.quote(pick=PICK, to=island, parcel=parcel())
    assert "does not deliver" in caught.value.message
    assert caught.value.retry is False


def test_ghtk_create_label_track_cancel(ghtk, ghtk_server):
    created = ghtk.create(pick=PICK, to=TO_HANOI, parcel=parcel(cod=350_000))
    assert created.tracking_code.startswith("S1.A1.")
    assert created.fee_vnd == 35_000
    assert created.label_ref == created.tracking_code
    assert created.expected == dt.datetime.now(VN_TZ).date() + dt.timedelta(days=2)
    stored = ghtk_server.orders[created.tracking_code]
    assert stored["order"]["id"] == "DH1A2B3C"
    assert stored["order"]["pick_money"] == 350_000
    assert stored["order"]["tel"] == "0987654321" and stored["order"]["hamlet"] == "Khác"
    assert stored["products"] == [{"name": "Mật ong bạc hà 500 ml", "weight": 0.6, "quantity": 2}]

    content, content_type = ghtk.label(tracking_code=created.tracking_code, label_ref=created.label_ref)
    assert content_type == "application/pdf"
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert created.tracking_code.encode() in content

    now = ghtk.track(tracking_code=created.tracking_code)
    assert now.status is Status.CREATED and now.carrier_status == "2"
    assert now.order_code == "DH1A2B3C" and now.cod_vnd == 350_000

    ghtk.cancel(tracking_code=created.tracking_code)
    assert ghtk_server.orders[created.tracking_code]["status_id"] == -1
    assert ghtk.track(tracking_code=created.tracking_code).status is Status.CANCELLED
    with pytest.raises(CarrierError) as again:
        ghtk.cancel(tracking_code=created.tracking_code)
    assert "hủy" in again.value.message and again.value.retry is False
    with pytest.raises(CarrierError):
        ghtk.label(tracking_code=created.tracking_code)


def test_ghtk_create_twice_returns_the_first_parcel(ghtk, ghtk_server):
    first = ghtk.create(pick=PICK, to=TO_HANOI, parcel=parcel("DH9"))
    second = ghtk.create(pick=PICK, to=TO_HANOI, parcel=parcel("DH9"))
    assert second.tracking_code == first.tracking_code
    assert len(ghtk_server.orders) == 1


def test_ghtk_cannot_cancel_a_picked_parcel(ghtk, ghtk_server):
    created = ghtk.create(pick=PICK, to=TO_HANOI, parcel=parcel())
    ghtk_server.set_status(created.tracking_code, 3)
    with pytest.raises(CarrierError):
        ghtk.cancel(tracking_code=created.tracking_code)
    assert ghtk.track(tracking_code=created.tracking_code).status is Status.PICKED


def test_ghtk_create_refused_shows_ghtks_reason(ghtk):
    nameless = Address(name="", phone="", street="", ward="", province="Hà Nội")
    with pytest.raises(CarrierError) as caught, translation.override("en"):
        ghtk.create(pick=PICK, to=nameless, parcel=parcel())
    assert "GHTK refused" in caught.value.message and "Thiếu thông tin" in caught.value.message


def test_ghtk_wrong_token(ghtk_server):
    client = client_for("ghtk", token="not-the-token", base_url=ghtk_server.url, timeout=2)
    with pytest.raises(CarrierError) as caught, translation.override("en"):
        client.quote(pick=PICK, to=TO_HANOI, parcel=parcel())
    assert caught.value.status == 401 and caught.value.retry is False
    assert "token" in caught.value.message


@pytest.mark.parametrize(
    ("mode", "status"),
    [("http_500", 500), ("not_json", 200), ("rate_limit", 429), ("drop", None), ("hang", None)],
)
def test_ghtk_failures_are_carrier_errors_to_retry(ghtk_server, mode, status):
    ghtk_server.mode = mode
    ghtk_server.hang_seconds = 3
    client = client_for("ghtk", token=ghtk_server.token, base_url=ghtk_server.url, timeout=0.5)
    with pytest.raises(CarrierError) as caught:
        client.create(pick=PICK, to=TO_HANOI, parcel=parcel())
    assert caught.value.retry is True
    assert caught.value.status == status
    assert ghtk_server.orders == {}


def test_ghtk_unreachable_is_a_carrier_error():
    client = client_for("ghtk", token="t", base_url="http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(CarrierError) as caught:
        client.quote(pick=PICK, to=TO_HANOI, parcel=parcel())
    assert caught.value.retry is True


def test_ghtk_tracking_code_cannot_reach_another_path(ghtk, ghtk_server):
    with pytest.raises(CarrierError):
        ghtk.cancel(tracking_code="../../services/shipment/order")
    assert ghtk_server.requests == []


# --- GHTK callbacks -----------------------------------------------------------------------


def test_ghtk_callback_form_encoded_with_header_secret(ghtk_server):
    at = dt.datetime(2026, 12, 2, 10, 15, tzinfo=VN_TZ)
    headers, body = ghtk_server.delivery(
        "S1.A1.17373471", 5, at=at, order_code="DH1", pick_money=350_000, fee=35_000
    )
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    [update] = read_callback("ghtk", headers=headers, body=body, secret=ghtk_server.callback_secret)
    assert update.tracking_code == "S1.A1.17373471" and update.order_code == "DH1"
    assert update.status is Status.DELIVERED and update.carrier_status == "5"
    assert update.at == at and update.at.tzinfo is not None
    assert update.cod_vnd == 350_000 and update.fee_vnd == 35_000
    assert len(update.dedupe_key) == 64


def test_ghtk_callback_json_body_and_hash_in_the_url(ghtk_server):
    headers, body = ghtk_server.delivery(
        "S1.A1.1", 20, as_json=True, secret="", reason="Khách không nghe máy"
    )
    assert CALLBACK_HEADER not in headers
    [update] = read_callback("ghtk", headers=headers, body=body, secret="s3cret", query={"hash": "s3cret"})
    assert update.status is Status.RETURNING and update.note == "Khách không nghe máy"


@pytest.mark.parametrize("presented", [None, "wrong", "carrier-callback-secre", "carrier-callback-secreX"])
def test_ghtk_callback_bad_secret_refused(ghtk_server, presented):
    headers, body = ghtk_server.delivery("S1.A1.1", 5, secret=presented or "")
    with pytest.raises(BadSignature):
        read_callback("ghtk", headers=headers, body=body, secret=ghtk_server.callback_secret)
    with pytest.raises(BadSignature):  # an account without a secret accepts nothing
        read_callback("ghtk", headers={CALLBACK_HEADER: ""}, body=body, secret="")


def test_ghtk_callback_duplicates_share_a_key_and_statuses_differ(ghtk_server):
    at = "2026-12-02T10:15:00+07:00"
    secret = ghtk_server.callback_secret

    def read(*args, **kwargs):
        headers, body = ghtk_server.delivery(*args, **kwargs)
        return read_callback("ghtk", headers=headers, body=body, secret=secret)[0]

    one, again = read("S1.A1.7", 4, at=at), read("S1.A1.7", 4, at=at, as_json=True)
    later = read("S1.A1.7", 4, at="2026-12-02T10:16:00+07:00")
    other = read("S1.A1.7", 5, at=at)
    assert one.dedupe_key == again.dedupe_key
    assert len({one.dedupe_key, later.dedupe_key, other.dedupe_key}) == 3


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"label_id=&status_id=5",
        b"status_id=5",
        b"label_id=S1&status_id=x&action_time=2026-12-02T10:00:00+07:00",
        b"label_id=S1&status_id=5&action_time=yesterday",
        b"{not json",
        b"[1, 2]",
        b"\xff\xfe",
    ],
)
def test_ghtk_callback_unreadable_body_is_a_value_error(body):
    with pytest.raises(ValueError):
        read_callback("ghtk", headers={CALLBACK_HEADER: "s"}, body=body, secret="s")


def test_ghtk_callback_to_a_url(ghtk_server):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                received.extend(
                    read_callback("ghtk", headers=dict(self.headers), body=body, secret="hook-secret")
                )
                self.send_response(200)
            except BadSignature:
                self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks/carrier/ghtk/po-my/"
        ok = ghtk_server.callback(url, "S1.A1.42", 3, at="2026-12-02 09:00:00", secret="hook-secret")
        bad = ghtk_server.callback(url, "S1.A1.42", 5, secret="guess")
    finally:
        server.shutdown()
        server.server_close()
    assert ok.status_code == 200 and bad.status_code == 403
    assert [u.status for u in received] == [Status.PICKED]
    assert received[0].at == dt.datetime(2026, 12, 2, 9, 0, tzinfo=VN_TZ)


def test_ghtk_status_map_covers_the_documented_ids():
    documented = {-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 21, 45, 49, 123, 127, 128, 410}
    assert documented <= set(STATUS_MAP)
    assert (
        STATUS_MAP[5] is Status.DELIVERED
        and STATUS_MAP[21] is Status.RETURNED
        and STATUS_MAP[-1] is Status.CANCELLED
    )


# --- GHN ----------------------------------------------------------------------------------

GHN_TO = Address(
    name="Trần Văn Nam",
    phone="0901234567",
    street="72 Thành Thái",
    ward="Phường Diên Hồng",
    province="Hồ Chí Minh",
    carrier_district_ref="1444",
    carrier_ward_ref="20308",
)
GHN_NEAR = Address(
    name="Lê Thị Hoa",
    phone="0901234568",
    street="5 Lý Thường Kiệt",
    ward="Phường Hòa Hưng",
    province="Hồ Chí Minh",
    carrier_district_ref="1454",
    carrier_ward_ref="21211",
)


@pytest.fixture
def ghn_server():
    with FakeGHN() as fake:
        yield fake


@pytest.fixture
def ghn(ghn_server):
    with client_for(
        "ghn", token=ghn_server.token, shop_id=ghn_server.shop_id, base_url=ghn_server.url, timeout=2
    ) as client:
        yield client


def test_ghn_quote(ghn, ghn_server):
    far = ghn.quote(pick=PICK, to=GHN_TO, parcel=parcel(weight_g=1200, value=350_000))
    near = ghn.quote(pick=PICK, to=GHN_NEAR, parcel=parcel(weight_g=300, value=2_000_000))
    assert (
        far.fee_vnd
        == ghn_server.fee_for_districts(from_district=1454, to_district=1444, weight_g=1200)
        == 35_000
    )
    assert near.fee_vnd == 16_500 + 10_000
    request = ghn_server.requests[0]
    assert request["path"] == "/shiip/public-api/v2/shipping-order/fee"
    assert (
        request["headers"]["token"] == ghn_server.token and request["headers"]["shopid"] == ghn_server.shop_id
    )
    body = ghn_server.json_body(request)
    assert body["to_district_id"] == 1444 and body["to_ward_code"] == "20308" and body["weight"] == 1200
    assert body["cod_value"] == 350_000


def test_ghn_needs_its_own_codes(ghn, ghn_server):
    with pytest.raises(CarrierError) as caught, translation.override("en"):
        ghn.quote(pick=PICK, to=TO_HANOI, parcel=parcel())
    assert "district and ward codes" in caught.value.message
    assert ghn_server.requests == []


def test_ghn_create_label_track_cancel(ghn, ghn_server):
    created = ghn.create(pick=PICK, to=GHN_TO, parcel=parcel("DH77", cod=420_000))
    stored = ghn_server.orders[created.tracking_code]
    assert stored["client_order_code"] == "DH77" and stored["cod_amount"] == 420_000
    assert stored["payload"]["payment_type_id"] == 1 and stored["payload"]["to_district_id"] == 1444
    assert created.fee_vnd == 35_000
    # 16:59:59Z is 23:59:59 in Vietnam: the same day
    assert created.expected == dt.date.fromisoformat(created.raw["data"]["expected_delivery_time"][:10])

    content, content_type = ghn.label(tracking_code=created.tracking_code)
    assert content_type == "text/html" and created.tracking_code.encode() in content
    assert "token=print-" in ghn.print_url(tracking_code=created.tracking_code)

    assert ghn.track(tracking_code=created.tracking_code).status is Status.CREATED
    ghn_server.set_status(created.tracking_code, "picked")
    with pytest.raises(CarrierError) as caught:
        ghn.cancel(tracking_code=created.tracking_code)
    assert "không thể hủy" in caught.value.message
    ghn_server.set_status(created.tracking_code, "picking")
    ghn.cancel(tracking_code=created.tracking_code)
    assert ghn_server.orders[created.tracking_code]["status"] == "cancel"
    assert ghn.track(tracking_code=created.tracking_code).status is Status.CANCELLED


def test_ghn_create_twice_returns_the_first_parcel(ghn, ghn_server):
    first = ghn.create(pick=PICK, to=GHN_TO, parcel=parcel("DH78"))
    again = ghn.create(pick=PICK, to=GHN_TO, parcel=parcel("DH78"))
    assert again.tracking_code == first.tracking_code and len(ghn_server.orders) == 1


def test_ghn_refusal_and_bad_token(ghn_server):
    nobody = Address(
        name="", phone="", street="", ward="", province="", carrier_district_ref="1", carrier_ward_ref="2"
    )
    client = client_for(
        "ghn", token=ghn_server.token, shop_id=ghn_server.shop_id, base_url=ghn_server.url, timeout=2
    )
    with pytest.raises(CarrierError) as refused, translation.override("en"):
        client.create(pick=PICK, to=nobody, parcel=parcel())
    assert "GHN refused" in refused.value.message and "bắt buộc" in refused.value.message
    assert refused.value.retry is False and refused.value.status == 400
    wrong = client_for("ghn", token="nope", shop_id=ghn_server.shop_id, base_url=ghn_server.url, timeout=2)
    with pytest.raises(CarrierError) as caught:
        wrong.quote(pick=PICK, to=GHN_TO, parcel=parcel())
    assert caught.value.status == 401 and not caught.value.retry
    with pytest.raises(CarrierError):
        client_for("ghn", token=ghn_server.token, shop_id="", base_url=ghn_server.url)


@pytest.mark.parametrize("mode", ["http_500", "not_json", "hang"])
def test_ghn_failures_are_carrier_errors_to_retry(ghn_server, mode):
    ghn_server.mode = mode
    ghn_server.hang_seconds = 3
    client = client_for(
        "ghn", token=ghn_server.token, shop_id=ghn_server.shop_id, base_url=ghn_server.url, timeout=0.5
    )
    with pytest.raises(CarrierError) as caught:
        client.quote(pick=PICK, to=GHN_TO, parcel=parcel())
    assert caught.value.retry is True


def test_ghn_find_refs(ghn, ghn_server):
    assert ghn.find_refs(province="TP Hồ Chí Minh", district="Quận 3", ward="Phường 14") == (1444, "20308")
    assert ghn.find_refs(province="Hà Nội", district="Cầu Giấy", ward="Yên Hoà") == (1485, "1A0807")
    assert ghn.find_refs(province="lao cai", district="huyen si ma cai", ward="xa nan san") == (2264, "90816")
    with pytest.raises(CarrierError) as caught, translation.override("en"):
        ghn.find_refs(province="Hồ Chí Minh", district="Quận 3", ward="Phường 99")
    assert "Phường 99" in caught.value.message
    with pytest.raises(CarrierError):
        ghn.find_refs(province="Atlantis", district="", ward="")


def test_ghn_callbacks(ghn_server):
    secret = ghn_server.callback_secret

    def read(*args, **kwargs):
        headers, body = ghn_server.delivery(*args, **kwargs)
        return read_callback("ghn", headers=headers, body=body, secret=secret)[0]

    at = "2026-12-02T03:52:50.158Z"
    update = read("GY5E0001", "delivered", at=at, order_code="DH77", cod=420_000, total_fee=35_000)
    assert update.status is Status.DELIVERED and update.carrier_status == "delivered"
    assert update.at == dt.datetime(2026, 12, 2, 10, 52, 50, 158000, tzinfo=VN_TZ)
    assert (update.order_code, update.cod_vnd, update.fee_vnd) == ("DH77", 420_000, 35_000)
    assert read("GY5E0001", "delivered", at=at).dedupe_key == update.dedupe_key
    fee_change = read("GY5E0001", "delivered", at=at, kind="update_fee")
    assert fee_change.status is Status.DELIVERED and fee_change.dedupe_key != update.dedupe_key
    assert read("GY5E0001", "waiting_to_return").status is Status.RETURNING
    assert read("GY5E0001", "lost").status is None

    headers, body = ghn_server.delivery("GY5E0001", "delivered", secret="")
    with pytest.raises(BadSignature):
        read_callback("ghn", headers=headers, body=body, secret=secret)
    assert read_callback("ghn", headers=headers, body=body, secret=secret, query={"hash": secret})
    with pytest.raises(BadSignature):
        read_callback("ghn", headers=headers, body=body, secret=secret, query={"hash": secret + "x"})
    with pytest.raises(ValueError):
        read_callback("ghn", headers={CALLBACK_HEADER: secret}, body=b'{"OrderCode": "X"}', secret=secret)


# --- shared helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-02T10:15:00+07:00", dt.datetime(2026, 12, 2, 10, 15, tzinfo=VN_TZ)),
        ("2026-12-02 10:15:00", dt.datetime(2026, 12, 2, 10, 15, tzinfo=VN_TZ)),
        ("2026-12-02T03:15:00Z", dt.datetime(2026, 12, 2, 10, 15, tzinfo=VN_TZ)),
        ("2026-12-02T03:15:00.123Z", dt.datetime(2026, 12, 2, 10, 15, 0, 123000, tzinfo=VN_TZ)),
        ("02/12/2026 10:15", dt.datetime(2026, 12, 2, 10, 15, tzinfo=VN_TZ)),
    ],
)
def test_parse_time_aware(text, expected):
    value = parse_time(text)
    assert value == expected and value.tzinfo is not None


def test_minimal_pdf_is_well_formed():
    pdf = minimal_pdf("S1.A1.1 (DH1)")
    assert pdf.startswith(b"%PDF-1.4") and len(pdf) < 1000
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref : xref + 4] == b"xref"
    offsets = [int(line[:10]) for line in pdf[xref:].split(b"\n")[3:8]]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())


def test_fake_ghtk_fee_is_deterministic():
    fake = FakeGHTK()
    try:
        assert fake.fee_for(pick_province="Lào Cai", province="lao cai", weight_g=500) == 22_000
        assert fake.fee_for(pick_province="Lào Cai", province="Hà Nội", weight_g=501) == 32_500
        assert fake.insurance_for(1_000_000) == 0 and fake.insurance_for(2_000_000) == 10_000
    finally:
        fake._server.server_close()

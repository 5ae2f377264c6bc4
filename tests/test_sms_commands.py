"""SMS commands from members' phones, end to end through the inbound gateway webhook:
GIA, SODU, BAN, HUY, DK and help; unknown phones, secrets, duplicates, several
cooperatives, malformed bodies and the reply limit."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.ledger import services as ledger
from hoptac.lib.sms import is_gsm7, sms_length
from hoptac.lib.text import unaccent
from hoptac.notify import commands
from hoptac.notify.models import Command, InboundSms, MemberText, OfferStatus, SellOffer
from hoptac.offtake import services as offtake
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Kind, Message, Status
from tests.conftest import make_member

URL = "/hooks/sms/esms/s3cret/"
OK = {"ok": True}


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
        "HOOK_SECRETS": {"esms": "s3cret", "speedsms": "", "zalo": "z-secret"},
    }


_ids = iter(range(1, 10_000))


def sms(client, phone, text, *, msg_id=None, url=URL, as_json=False, **extra):
    """Post one inbound SMS as the gateway would (a form, or JSON)."""
    data = {"phone": phone, "message": text, "id": msg_id or f"gw-{next(_ids)}", **extra}
    if as_json:
        return client.post(url, json.dumps(data), content_type="application/json")
    return client.post(url, data)


def replies(coop=None) -> list[Message]:
    qs = Message.unscoped.filter(kind=Kind.REPLY).order_by("id")
    return list(qs.filter(cooperative=coop) if coop is not None else qs)


def last_reply() -> str:
    return replies()[-1].body


def assert_one_sms(text: str) -> None:
    assert is_gsm7(text), text
    assert sms_length(text).units <= 160, (len(text), text)


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        offtake.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=3)
        )
        offtake.price_set(
            product=product, grade=2, price_vnd=450_000, effective_from=timezone.now() - dt.timedelta(days=3)
        )
    return product


@pytest.fixture
def tea(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Chè búp tươi", code="CHE", base_unit="kg")
        offtake.price_set(
            product=product, grade=1, price_vnd=25_000, effective_from=timezone.now() - dt.timedelta(days=3)
        )
    return product


# --- GIA ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["GIA", "gia", "Giá", "  giá  ", "GIÁ?", "gia."])
def test_gia_answers_todays_prices(client, member_a, honey, tea, text):
    response = sms(client, "0987654321", text)
    assert response.status_code == 200
    assert response.json() == OK
    [reply] = replies()
    body = reply.body
    assert "Mat ong bac ha loai 1 500.000d/lit, loai 2 450.000d/lit" in body
    assert "Che bup tuoi loai 1 25.000d/kg" in body
    assert " L1 " not in body and "d/l," not in body  # one style: "loai 1", "d/lit"
    assert timezone.localdate().strftime("%d/%m") in body
    assert "HTX Tuan Dung" in body
    assert is_gsm7(body) and sms_length(body).segments <= 2
    assert reply.kind == Kind.REPLY and reply.channel == "sms" and reply.member_id == member_a.pk
    assert reply.source_type == "inbound"
    inbound = InboundSms.objects.get()
    assert reply.source_id == str(inbound.pk)
    assert inbound.known and inbound.phone == "0987654321"
    [row] = MemberText.unscoped.all()
    assert (
        row.command == Command.PRICES
        and row.reply_id == reply.pk
        and row.cooperative_id == member_a.cooperative_id
    )


def test_gia_takes_the_price_in_force_not_a_future_one(client, member_a, honey):
    with tenant(honey.cooperative):
        offtake.price_set(
            product=honey, grade=1, price_vnd=520_000, effective_from=timezone.now() + dt.timedelta(days=1)
        )
    sms(client, "0987654321", "gia")
    assert "500.000d/lit" in last_reply()
    assert "520.000" not in last_reply()


def test_gia_without_prices_says_so_in_one_sms(client, member_a):
    sms(client, "0987654321", "GIA")
    body = last_reply()
    assert_one_sms(body)
    assert "d/" not in body
    assert MemberText.unscoped.get().command == Command.PRICES


def test_gia_with_many_products_fits_two_sms(client, coop_a, member_a):
    with tenant(coop_a):
        for index in range(15):
            product = Product.objects.create(
                cooperative=coop_a,
                name=f"Sản phẩm nông nghiệp số {index} đặc sản vùng cao",
                code=f"SP{index:02d}",
            )
            for grade in (1, 2, 3):
                offtake.price_set(
                    product=product,
                    grade=grade,
                    price_vnd=100_000 + index * 1000 + grade,
                    effective_from=timezone.now() - dt.timedelta(days=1),
                )
    sms(client, "0987654321", "gia")
    body = last_reply()
    assert is_gsm7(body)
    assert sms_length(body).segments <= 2
    assert body.endswith("...")
    assert "San pham loai 1 100.001d/kg" in body  # names cut to two words


# --- SODU ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["SODU", "sodu", "Số dư", "so du", "SỐ   DƯ"])
def test_sodu_answers_the_ledger_balance(client, coop_a, member_a, honey, accountant_a, text):
    with tenant(coop_a):
        offtake.receipt_record(
            member=member_a,
            collected_at=timezone.now(),
            lines=[offtake.LineInput(product=honey, quantity=Decimal(4), unit="l")],
        )  # 4 l x 500.000 = 2.000.000 owed to the member
        ledger.advance_give(member=member_a, amount=300_000, actor=accountant_a)
    sms(client, "0987654321", text)
    body = last_reply()
    assert_one_sms(body)
    assert "HTX con no ong/ba 1.700.000d" in body  # net: payable - receivable, in words
    assert "HTX phai tra ong/ba 2.000.000d" in body and "ong/ba phai tra HTX 300.000d" in body
    assert MemberText.unscoped.get().command == Command.BALANCE


def test_sodu_when_the_member_owes(client, coop_a, member_a, accountant_a):
    with tenant(coop_a):
        ledger.advance_give(member=member_a, amount=300_000, actor=accountant_a)
    sms(client, "0987654321", "sodu")
    body = last_reply()
    assert_one_sms(body)
    assert "Ong/ba con no HTX 300.000d" in body
    assert "-" not in body  # a farmer does not read a minus sign
    with tenant(coop_a):
        from hoptac.ledger.selectors import member_balance

        assert member_balance(member_a).net == -300_000


def test_sodu_when_settled(client, member_a):
    sms(client, "0987654321", "SODU")
    body = last_reply()
    assert_one_sms(body)
    assert "000d" not in body and "0d" not in body  # no amount in it
    assert "HTX va ong/ba khong con no nhau" in body


# --- BAN ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "product", "quantity", "unit"),
    [
        ("BAN mat ong 20", "honey", Decimal(20), "l"),
        ("bán Mật ong 12,5kg", "honey", Decimal("12.5"), "kg"),
        ("Ban  MAT  7.5 lit", "honey", Decimal("7.5"), "l"),
        ("ban che 3 yen", "tea", Decimal(3), "yen"),
        ("BAN che bup 2ta", "tea", Decimal(2), "ta"),
        ("BÁN 40 chè", "tea", Decimal(40), "kg"),
    ],
)
def test_ban_creates_an_offer(client, coop_a, member_a, honey, tea, text, product, quantity, unit):
    response = sms(client, "0987654321", text)
    assert response.status_code == 200
    with tenant(coop_a):
        offer = SellOffer.objects.get()
    assert offer.product == {"honey": honey, "tea": tea}[product]
    assert offer.quantity == quantity
    assert offer.unit == unit
    assert offer.status == OfferStatus.OPEN
    assert offer.member == member_a
    assert offer.raw_text == text
    body = last_reply()
    assert_one_sms(body)
    assert unaccent(offer.product.name) in body
    assert str(quantity).replace(".", ",").removesuffix(",0") in body
    assert MemberText.unscoped.get().command == Command.SELL


def test_ban_reply_reads_like_the_example(client, member_a, honey):
    sms(client, "0987654321", "BAN mat ong 20kg")
    assert "20 kg Mat ong bac ha" in last_reply()


@pytest.mark.parametrize("text", ["BAN gao 20", "BAN mat ong", "BAN", "ban 20"])
def test_ban_that_cannot_be_read_lists_products_and_stores_nothing(
    client, coop_a, member_a, honey, tea, text
):
    sms(client, "0987654321", text)
    with tenant(coop_a):
        assert not SellOffer.objects.exists()
    body = last_reply()
    assert_one_sms(body)
    assert "Mat ong" in body and "Che bup" in body
    assert "BAN" in body  # the format
    assert MemberText.unscoped.get().command == Command.SELL


def test_ban_with_an_ambiguous_product_lists_the_candidates(client, coop_a, member_a, honey, tea):
    with tenant(coop_a):
        Product.objects.create(cooperative=coop_a, name="Mật ong hoa rừng", code="MHR", base_unit="l")
    sms(client, "0987654321", "BAN ong 5")
    with tenant(coop_a):
        assert not SellOffer.objects.exists()
    body = last_reply()
    assert_one_sms(body)
    assert "Mat ong bac, Mat ong hoa" in body  # the candidates, told apart
    assert "Che" not in body


def test_ban_with_a_zero_quantity_is_refused(client, coop_a, member_a, honey):
    sms(client, "0987654321", "BAN mat ong 0")
    with tenant(coop_a):
        assert not SellOffer.objects.exists()


def test_ban_with_the_coop_code_of_a_single_cooperative(client, coop_a, member_a, honey):
    sms(client, "0987654321", "BAN TD mat ong 20")
    with tenant(coop_a):
        assert SellOffer.objects.get().quantity == 20


# --- HUY and DK ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stop", "resume"), [("HUY", "DK"), ("hủy", "đk"), ("Huỷ", "dk"), (" huy ", "ĐK ")])
def test_huy_stops_announcements_and_dk_restores(client, coop_a, member_a, stop, resume):
    sms(client, "0987654321", stop)
    member_a.refresh_from_db()
    assert member_a.messages_stopped_at is not None
    body = last_reply()
    assert_one_sms(body)
    assert "DK" in body
    assert MemberText.unscoped.get().command == Command.STOP
    with tenant(coop_a):
        announcement = outbox.queue(kind=Kind.ANNOUNCEMENT, text="Hop thanh vien 8h", member=member_a)
        receipt_reply = outbox.queue(kind=Kind.REPLY, text="Tra loi", member=member_a, channels=["sms"])
    assert announcement.status == Status.SKIPPED and announcement.error_code == "stopped"
    assert receipt_reply.status == Status.QUEUED  # replies still go

    stopped_at = member_a.messages_stopped_at
    sms(client, "0987654321", stop)  # again: the first date is kept
    member_a.refresh_from_db()
    assert member_a.messages_stopped_at == stopped_at

    sms(client, "0987654321", resume)
    member_a.refresh_from_db()
    assert member_a.messages_stopped_at is None
    assert_one_sms(last_reply())
    assert "HUY" in last_reply()
    assert MemberText.unscoped.order_by("-id").first().command == Command.RESUME
    with tenant(coop_a):
        again = outbox.queue(kind=Kind.ANNOUNCEMENT, text="Hop thanh vien 8h", member=member_a)
    assert again.status == Status.QUEUED


def test_the_huy_confirmation_is_sent_although_messages_are_stopped(client, member_a):
    sms(client, "0987654321", "HUY")
    [reply] = replies()
    assert reply.status == Status.QUEUED


# --- help ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["xin chao", "", "?", "GIAA", "123"])
def test_anything_else_gets_the_help_in_one_sms(client, member_a, text):
    sms(client, "0987654321", text)
    body = last_reply()
    assert_one_sms(body)
    for word in ("GIA", "SODU", "BAN", "HUY", "DK"):
        assert word in body
    assert MemberText.unscoped.get().command == Command.HELP


# --- who is texting -----------------------------------------------------------------------------------


def test_unknown_phone_gets_nothing_and_learns_nothing(client, member_a, honey):
    known = sms(client, "0987654321", "GIA")
    Message.unscoped.all().delete()
    MemberText.unscoped.all().delete()
    for text in ("GIA", "SODU", "BAN mat ong 20", "HUY", "xin chao"):
        response = sms(client, "0933000111", text)
        assert response.status_code == 200
        assert response.content == known.content  # the same answer as for a member
    assert Message.unscoped.count() == 0
    assert MemberText.unscoped.count() == 0
    assert SellOffer.unscoped.count() == 0
    unknown = InboundSms.objects.filter(phone="0933000111")
    assert unknown.count() == 5 and not unknown.filter(known=True).exists()
    body = known.content.decode()
    assert member_a.full_name not in body and "Tuan" not in body and "500" not in body


def test_a_member_who_left_is_unknown(client, coop_a, member_a):
    from hoptac.coops import services as coop_services

    with tenant(coop_a):
        coop_services.member_leave(member=member_a, left_on=timezone.localdate(), reason="Chuyển đi")
    sms(client, "0987654321", "GIA")
    assert Message.unscoped.count() == 0
    assert not InboundSms.objects.get().known


@pytest.mark.parametrize("phone", ["0987654321", "84987654321", "+84987654321", "+84 987 654 321"])
def test_phone_forms_are_normalised(client, member_a, phone):
    assert sms(client, phone, "HUY").status_code == 200
    assert InboundSms.objects.get().phone == "0987654321"
    assert len(replies()) == 1


@pytest.mark.parametrize(
    ("fields", "as_json"),
    [
        ({"from": "0987654321", "text": "GIA", "message_id": "a1"}, False),
        ({"sender": "84987654321", "content": "GIA", "msg_id": "a2"}, False),
        ({"Phone": "+84987654321", "Content": "GIA", "SMSID": "a3"}, False),
        ({"Phone": 84987654321, "Content": "GIA", "SMSID": 12345}, True),
        ({"phone": "0987654321", "message": "GIA"}, True),
    ],
)
def test_gateway_field_names(client, member_a, fields, as_json):
    if as_json:
        response = client.post(URL, json.dumps(fields), content_type="application/json")
    else:
        response = client.post(URL, fields)
    assert response.status_code == 200
    inbound = InboundSms.objects.get()
    assert inbound.phone == "0987654321" and inbound.text == "GIA" and inbound.gateway == "esms"
    expected_id = str(fields.get("message_id") or fields.get("msg_id") or fields.get("SMSID") or "")
    if expected_id:
        assert inbound.gateway_id == expected_id
    else:
        assert inbound.gateway_id.startswith("h-")
    assert len(replies()) == 1


# --- secrets, duplicates, malformed bodies ------------------------------------------------------------


def test_wrong_unset_or_unknown_gateway_secret_is_404(client, member_a):
    assert sms(client, "0987654321", "GIA", url="/hooks/sms/esms/wrong/").status_code == 404
    assert sms(client, "0987654321", "GIA", url="/hooks/sms/esms/s3cre/").status_code == 404
    assert sms(client, "0987654321", "GIA", url="/hooks/sms/speedsms/anything/").status_code == 404
    assert sms(client, "0987654321", "GIA", url="/hooks/sms/speedsms/ /").status_code == 404
    assert sms(client, "0987654321", "GIA", url="/hooks/sms/other/s3cret/").status_code == 404
    assert client.get("/hooks/sms/esms/wrong/").status_code == 404
    assert InboundSms.objects.count() == 0
    assert Message.unscoped.count() == 0


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


def test_a_repeated_delivery_is_answered_once(client, member_a, honey):
    first = sms(client, "0987654321", "BAN mat ong 20", msg_id="same-1")
    second = sms(client, "0987654321", "BAN mat ong 20", msg_id="same-1")
    third = sms(client, "0987654321", "BAN mat ong 20", msg_id="same-1", as_json=True)
    assert first.status_code == second.status_code == third.status_code == 200
    assert InboundSms.objects.count() == 1
    assert len(replies()) == 1
    assert SellOffer.unscoped.count() == 1
    assert MemberText.unscoped.count() == 1


def test_without_an_id_the_same_text_in_the_same_minute_is_one_message(client, member_a, monkeypatch):
    from hoptac.notify import inbound

    monkeypatch.setattr(inbound, "_minute", lambda: "202611270815")
    for _ in range(2):
        client.post(URL, {"phone": "0987654321", "message": "GIA"})
    assert InboundSms.objects.count() == 1
    assert len(replies()) == 1
    client.post(URL, {"phone": "0987654321", "message": "SODU"})
    assert InboundSms.objects.count() == 2
    monkeypatch.setattr(inbound, "_minute", lambda: "202611270816")
    client.post(URL, {"phone": "0987654321", "message": "GIA"})  # a minute later: a new text
    assert InboundSms.objects.count() == 3


def test_the_same_id_from_another_gateway_is_another_message(client, member_a):
    sms(client, "0987654321", "GIA", msg_id="x-1")
    sms(client, "0987654321", "GIA", msg_id="x-1", url="/hooks/sms/zalo/z-secret/")
    assert InboundSms.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('{"phone": "0987654321"}', "application/json"),
        ('{"message": "GIA"}', "application/json"),
        ('{"phone": {"x": 1}, "message": "GIA"}', "application/json"),
        ('{"phone": "0987654321", "message": ["GIA"]}', "application/json"),
        ('{"phone": "12345", "message": "GIA"}', "application/json"),
        ('{"phone": "VIETTEL", "message": "GIA"}', "application/json"),
        ("phone=0987654321", "application/x-www-form-urlencoded"),
        ("", "application/x-www-form-urlencoded"),
        ("\xff\xfe{", "application/json"),
        ("--x\r\nbroken", "multipart/form-data; boundary=x"),
        ("--x\r\nbroken", "multipart/form-data"),
    ],
)
def test_malformed_body_is_400_never_500(client, member_a, body, content_type):
    response = client.post(URL, body, content_type=content_type)
    assert response.status_code == 400
    assert InboundSms.objects.count() == 0
    assert Message.unscoped.count() == 0


def test_text_with_odd_characters_is_stored_and_answered(client, member_a):
    text = "GIA \x00 😀 " + "x" * 600
    assert sms(client, "0987654321", text).status_code == 200
    inbound = InboundSms.objects.get()
    assert "\x00" not in inbound.text and len(inbound.text) <= 480
    assert len(replies()) == 1


def test_a_failing_answer_keeps_the_text_and_answers_200(client, member_a, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(commands, "prices_text", boom)
    assert sms(client, "0987654321", "GIA").status_code == 200
    assert InboundSms.objects.count() == 1
    assert Message.unscoped.count() == 0 and MemberText.unscoped.count() == 0


# --- a phone in two cooperatives ----------------------------------------------------------------------


@pytest.fixture
def twice(coop_a, coop_b, member_a, honey):
    """member_a's phone is also a member of coop_b, which buys honey and tea too."""
    member = make_member(coop_b, full_name="Nguyễn Văn Đức", phone="0987654321", village_name="Thôn Tham Vè")
    with tenant(coop_b):
        b_honey = Product.objects.create(cooperative=coop_b, name="Mật ong rừng", code="MAT", base_unit="l")
        offtake.price_set(
            product=b_honey, grade=1, price_vnd=600_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
        b_tea = Product.objects.create(cooperative=coop_b, name="Chè Shan tuyết", code="CHE", base_unit="kg")
    return {"member": member, "honey": b_honey, "tea": b_tea}


def test_coop_codes(coop_a, coop_b):
    assert commands.coop_code(coop_a) == "TD"
    assert commands.coop_code(coop_b) == "TCL"
    coop_a.name = "Hợp tác xã Chè Shan tuyết Tây Côn Lĩnh"
    assert commands.coop_code(coop_a) == "CSTTCL"
    coop_b.name = "HTX Trà Dao"
    coop_a.name = "HTX Tuấn Dũng"
    assert commands.coop_codes([coop_a, coop_b]) == {coop_a.pk: "TD1", coop_b.pk: "TD2"}


def test_gia_and_sodu_answer_for_each_cooperative(client, coop_a, coop_b, member_a, twice):
    sms(client, "0987654321", "gia")
    a, b = replies(coop_a), replies(coop_b)
    assert len(a) == 1 and len(b) == 1
    assert "500.000d/l" in a[0].body and "Tuan Dung" in a[0].body
    assert "600.000d/l" in b[0].body and "Tay Con Linh" in b[0].body
    assert a[0].member == member_a and b[0].member == twice["member"]
    with tenant(coop_a):
        assert MemberText.objects.get().reply == a[0]
    with tenant(coop_b):
        assert MemberText.objects.get().reply == b[0]
    sms(client, "0987654321", "SỐ DƯ")
    assert len(replies(coop_a)) == 2 and len(replies(coop_b)) == 2


def test_gia_with_a_code_answers_for_that_cooperative(client, coop_a, coop_b, twice):
    sms(client, "0987654321", "GIA TCL")
    assert len(replies(coop_a)) == 0 and len(replies(coop_b)) == 1
    sms(client, "0987654321", "td gia")
    assert len(replies(coop_a)) == 1


def test_ban_needs_the_code_when_both_buy_the_product(client, coop_a, coop_b, member_a, twice):
    sms(client, "0987654321", "BAN mat ong 20")
    assert SellOffer.unscoped.count() == 0
    body = last_reply()
    assert_one_sms(body)
    assert "TD" in body and "TCL" in body
    sms(client, "0987654321", "BAN TCL mat ong 20")
    offer = SellOffer.unscoped.get()
    assert offer.cooperative == coop_b and offer.member == twice["member"] and offer.product == twice["honey"]
    sms(client, "0987654321", "bán td mật ong 5,5")
    offer = SellOffer.unscoped.get(cooperative=coop_a)
    assert offer.member == member_a and offer.quantity == Decimal("5.5")


def test_ban_without_a_code_goes_where_the_product_is_bought(client, coop_a, coop_b, twice):
    sms(client, "0987654321", "BAN che shan 30")  # only coop_b buys tea
    offer = SellOffer.unscoped.get()
    assert offer.cooperative == coop_b and offer.product == twice["tea"]


def test_huy_stops_every_membership_of_the_phone(client, coop_a, coop_b, member_a, twice):
    sms(client, "0987654321", "HUY")
    member_a.refresh_from_db()
    twice["member"].refresh_from_db()
    assert member_a.messages_stopped_at and twice["member"].messages_stopped_at
    assert len(replies(coop_a)) == 1 and len(replies(coop_b)) == 1


def test_help_for_two_cooperatives_lists_the_codes_once(client, coop_a, coop_b, twice):
    sms(client, "0987654321", "hello")
    [reply] = replies()
    assert_one_sms(reply.body)
    assert "TD" in reply.body and "TCL" in reply.body


# --- the reply limit ----------------------------------------------------------------------------------


def test_at_most_ten_replies_per_phone_per_hour(client, member_a, honey):
    for index in range(12):
        assert sms(client, "0987654321", "GIA" if index % 2 else "SODU").status_code == 200
    assert len(replies()) == commands.REPLIES_PER_HOUR == 10
    assert InboundSms.objects.count() == 12
    rows = list(MemberText.unscoped.order_by("id"))
    assert len(rows) == 12
    assert [row.reply_id is None for row in rows] == [False] * 10 + [True] * 2

    # BAN is not taken without a reply; HUY still stops (no cost, and it must be honoured).
    sms(client, "0987654321", "BAN mat ong 20")
    assert SellOffer.unscoped.count() == 0
    sms(client, "0987654321", "HUY")
    member_a.refresh_from_db()
    assert member_a.messages_stopped_at is not None
    assert len(replies()) == 10

    # An hour later the phone gets answers again.
    MemberText.unscoped.update(created_at=timezone.now() - dt.timedelta(minutes=61))
    sms(client, "0987654321", "GIA")
    assert len(replies()) == 11


def test_the_limit_counts_replies_from_every_cooperative(client, coop_a, coop_b, twice):
    for _ in range(6):
        sms(client, "0987654321", "GIA")  # two replies each
    assert len(replies()) == 10


# --- reading texts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("GIA", Command.PRICES, ()),
        ("  Giá  hôm nay ", Command.PRICES, ("hom", "nay")),
        ("Số dư", Command.BALANCE, ()),
        ("so-du", Command.BALANCE, ()),
        ("SODU!", Command.BALANCE, ()),
        ("BÁN mật ong 12,5kg.", Command.SELL, ("mat", "ong", "12,5kg")),
        ("HỦY", Command.STOP, ()),
        ("Đăng ký", Command.RESUME, ()),
        ("đk", Command.RESUME, ()),
        ("giaa", Command.HELP, ("giaa",)),
        ("", Command.HELP, ()),
    ],
)
def test_parse(text, command, args):
    parsed = commands.parse(text)
    assert parsed.command == command
    assert parsed.args == args


def test_parse_sell():
    read = commands.parse_sell(("mat", "ong", "12,5", "kg"))
    assert read.product_words == ("mat", "ong") and read.quantity == Decimal("12.5") and read.unit == "kg"
    read = commands.parse_sell(("20kg", "che"))
    assert read.product_words == ("che",) and read.quantity == 20 and read.unit == "kg"
    read = commands.parse_sell(("che", "20xy"))
    assert read.quantity is None
    read = commands.parse_sell(("che", "99999999"))
    assert read.quantity is None


def test_fit_cuts_at_a_word():
    text = "Mật ong " * 40
    cut = commands.fit(text)
    assert cut.endswith("...") and sms_length(cut).units <= 160 and is_gsm7(cut)
    assert commands.fit("Giá “mới” – 5") == 'Gia "moi" - 5'

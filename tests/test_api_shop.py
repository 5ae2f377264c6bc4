"""The selling API: the public catalogue, placing orders idempotently without a token
(limited per address), and a cooperative's orders and payments for its staff with the
web's permissions. The route walk of tests/test_api.py covers the gates of every route."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from hoptac.accounts.services import membership_set
from hoptac.api import services as api_services
from hoptac.api import shop as shop_api
from hoptac.api.models import IdempotencyRecord
from hoptac.catalog.models import Certificate
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.inventory.selectors import available_by_product
from hoptac.lib import vietqr
from hoptac.shop.models import Listing, Order, OrderEvent, Shop, TxSource
from hoptac.shop.services.payments import IncomingLine, transaction_receive
from tests.conftest import make_user

from .shop_fixtures import hanoi_commune

API = "/api/v1"


def post(client, url, body, **extra):
    return client.post(url, body, content_type="application/json", **extra)


def checkout_body(listings, *, key=None, payment="bank", delivery="post", **buyer) -> dict:
    return {
        "client_key": str(key or uuid.uuid4()),
        "items": [{"listing": listing.pk, "quantity": qty} for listing, qty in listings],
        "buyer": {
            "name": "Nguyễn Thị Lan",
            "phone": "0987 654 321",
            "province_code": 1,
            "commune_code": hanoi_commune(),
            "street": "12 Hàng Bạc",
            **buyer,
        },
        "choices": [
            {"cooperative": slug, "delivery": delivery, "payment": payment}
            for slug in sorted({listing.cooperative.slug for listing, _q in listings})
        ],
    }


@pytest.fixture
def token_for(db):
    def _make(user) -> Client:
        secret = api_services.token_create(user=user, name="test").secret
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    return _make


@pytest.fixture
def sales_a(coop_a):
    user = make_user("0911000105", "Bán hàng A")
    membership_set(user=user, cooperative=coop_a, role=Role.SALES)
    return user


@pytest.fixture
def placed(honey_shop_a, tea_shop_b):
    """A checkout through the API: honey of coop_a and tea of coop_b, by bank transfer."""
    response = post(Client(), f"{API}/orders", checkout_body([(honey_shop_a, 2), (tea_shop_b, 1)]))
    assert response.status_code == 201, response.content
    return response.json()


# --- the public catalogue ---------------------------------------------------------------------


def test_catalogue_lists_open_shops_products_and_searches_without_accents(honey_shop_a, tea_shop_b, coop_a):
    client = Client()
    page = client.get(f"{API}/catalogue").json()
    assert page["count"] == 2
    names = {item["name"] for item in page["items"]}
    assert names == {"Mật ong bạc hà 500 ml", "Chè Shan tuyết 200 g"}
    honey = next(item for item in page["items"] if item["listing"] == honey_shop_a.pk)
    assert honey["cooperative"]["slug"] == "coop-a"
    assert honey["price_vnd"] == 250_000
    assert honey["stock"] == "in_stock"
    assert honey["url"] == f"/p/{honey_shop_a.short_code}"
    # Nothing about members, buyers or stock quantities.
    assert set(honey) == set(shop_api.CatalogueItemOut.model_fields)
    assert "members" not in str(page) and "phone" not in str(page)

    found = client.get(f"{API}/catalogue", {"q": "mat ong bac ha"}).json()
    assert [item["listing"] for item in found["items"]] == [honey_shop_a.pk]
    assert client.get(f"{API}/catalogue", {"q": "MẬT ONG"}).json()["count"] == 1
    assert client.get(f"{API}/catalogue", {"q": "ca phe"}).json()["count"] == 0
    assert client.get(f"{API}/catalogue", {"cooperative": "coop-b"}).json()["items"][0]["listing"] == (
        tea_shop_b.pk
    )
    assert client.get(f"{API}/catalogue", {"price_max": 200_000}).json()["count"] == 1
    cheap_first = client.get(f"{API}/catalogue", {"sort": "price"}).json()["items"]
    assert [item["price_vnd"] for item in cheap_first] == [180_000, 250_000]

    with tenant(coop_a):
        Certificate.objects.create(
            cooperative=coop_a,
            product=honey_shop_a.product,
            kind="ocop",
            stars=4,
            issuer="UBND tỉnh",
            issued_on=timezone.localdate() - dt.timedelta(days=10),
            expires_on=timezone.localdate() + dt.timedelta(days=900),
        )
    four = client.get(f"{API}/catalogue", {"ocop": 4}).json()
    assert [(item["listing"], item["ocop_stars"]) for item in four["items"]] == [(honey_shop_a.pk, 4)]


def test_closed_shops_and_unlisted_products_are_not_in_the_catalogue(honey_shop_a, tea_shop_b, coop_b):
    with tenant(coop_b):
        Shop.objects.filter(cooperative=coop_b).update(is_open=False)
    with tenant(honey_shop_a.cooperative):
        Listing.objects.filter(pk=honey_shop_a.pk).update(is_listed=False)
    client = Client()
    assert client.get(f"{API}/catalogue").json()["count"] == 0
    assert client.get(f"{API}/catalogue/{tea_shop_b.short_code}").status_code == 404
    assert client.get(f"{API}/catalogue/{honey_shop_a.short_code}").status_code == 404


def test_catalogue_detail_and_stock_states(coop_a, honey_shop_a):
    client = Client()
    detail = client.get(f"{API}/catalogue/{honey_shop_a.short_code}").json()
    assert detail["listing"] == honey_shop_a.pk and detail["tiers"] == [] and detail["stock"] == "in_stock"
    # 10 packs and 'few left' from 5: selling 6 leaves 4.
    post(Client(), f"{API}/orders", checkout_body([(honey_shop_a, 6)]))
    assert client.get(f"{API}/catalogue/{honey_shop_a.short_code}").json()["stock"] == "few_left"
    post(Client(), f"{API}/orders", checkout_body([(honey_shop_a, 4)]))
    assert client.get(f"{API}/catalogue/{honey_shop_a.short_code}").json()["stock"] == "sold_out"
    assert client.get(f"{API}/catalogue/NOPE99").status_code == 404


# --- placing orders ---------------------------------------------------------------------------


def test_a_checkout_makes_one_order_per_cooperative_with_its_vietqr(placed, honey_shop_a, tea_shop_b):
    orders = {order["cooperative"]["slug"]: order for order in placed["orders"]}
    assert set(orders) == {"coop-a", "coop-b"}
    honey = orders["coop-a"]
    assert honey["subtotal_vnd"] == 500_000 and honey["total_vnd"] == 500_000 + honey["delivery_fee_vnd"]
    assert honey["delivery_fee_vnd"] > 0 and honey["payment_state"] == "unpaid"
    assert honey["bank"]["account"] == "0123456789"
    decoded = vietqr.parse(honey["vietqr"])
    assert decoded["account"] == "0123456789" and decoded["bank_bin"] == "970436"
    assert decoded["amount"] == honey["total_vnd"]
    assert decoded["purpose"].startswith(honey["code"])
    assert vietqr.parse(orders["coop-b"]["vietqr"])["account"] == "9988776655"
    stored = Order.unscoped.get(code=honey["code"])
    assert stored.channel == "api" and stored.channel_ref.startswith("api:")
    assert "127.0.0.1" not in stored.channel_ref  # the caller's address is not kept
    assert Order.unscoped.filter(checkout=placed["checkout"]).count() == 2


def test_cash_on_delivery_has_no_vietqr(honey_shop_a):
    response = post(Client(), f"{API}/orders", checkout_body([(honey_shop_a, 1)], payment="cod"))
    assert response.status_code == 201
    order = response.json()["orders"][0]
    assert order["vietqr"] is None and order["bank"] is None and order["pay_by"] is None


def test_the_same_key_and_body_returns_the_first_answer_another_body_is_refused(honey_shop_a):
    body = checkout_body([(honey_shop_a, 2)])
    client = Client()
    first = post(client, f"{API}/orders", body)
    assert first.status_code == 201
    again = post(client, f"{API}/orders", body)
    assert again.status_code == 200 and again.json() == first.json()
    assert Order.unscoped.count() == 1
    other = post(client, f"{API}/orders", {**body, "items": [{"listing": honey_shop_a.pk, "quantity": 3}]})
    assert other.status_code == 422
    assert "client_key" in str(other.json()["detail"])
    assert Order.unscoped.count() == 1 and IdempotencyRecord.unscoped.count() == 1
    assert available(honey_shop_a) == 8


def available(listing):
    with tenant(listing.cooperative):
        return available_by_product([listing.product_id])[listing.product_id]


@pytest.mark.parametrize(
    "change",
    [
        {"buyer": {"phone": "0123"}},  # not a mobile number
        {"buyer": {"commune_code": 99_999}},  # no such commune in Hà Nội
        {"items": 11},  # more than the 10 packs in stock
        {"choices": "nowhere"},  # no choice for coop_b, whose tea is in the cart
        {"buyer": {"tax_code": "12345"}},
    ],
)
def test_bad_checkouts_are_refused_whole_with_a_message(honey_shop_a, tea_shop_b, change):
    body = checkout_body([(honey_shop_a, 2), (tea_shop_b, 1)])
    if "buyer" in change:
        body["buyer"].update(change["buyer"])
    if "items" in change:
        body["items"][0]["quantity"] = change["items"]
    if "choices" in change:
        body["choices"][1]["cooperative"] = change["choices"]
    response = post(Client(HTTP_ACCEPT_LANGUAGE="vi"), f"{API}/orders", body)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail and all(isinstance(message, str) and message for message in detail)
    assert response["Content-Language"] == "vi"
    assert Order.unscoped.count() == 0 and OrderEvent.unscoped.count() == 0
    assert IdempotencyRecord.unscoped.count() == 0
    assert available(honey_shop_a) == 10 and available(tea_shop_b) == 20


def test_a_tampered_body_cannot_set_prices(honey_shop_a):
    body = checkout_body([(honey_shop_a, 1)])
    body["items"][0]["price_vnd"] = 1000
    body["total_vnd"] = 1000
    response = post(Client(), f"{API}/orders", body)
    assert response.status_code == 201
    assert response.json()["orders"][0]["subtotal_vnd"] == 250_000


def test_checkouts_are_limited_per_address(honey_shop_a, monkeypatch):
    monkeypatch.setattr(shop_api, "CHECKOUTS_PER_HOUR", 2)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(2):
        assert post(client, f"{API}/orders", checkout_body([(honey_shop_a, 1)])).status_code == 201
    refused = post(client, f"{API}/orders", checkout_body([(honey_shop_a, 1)]))
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert Order.unscoped.count() == 2
    # Another address is not held back.
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert post(other, f"{API}/orders", checkout_body([(honey_shop_a, 1)])).status_code == 201


# --- staff: orders and payments ----------------------------------------------------------------


def test_staff_list_filter_and_read_their_orders_only(placed, chair_a, chair_b, token_for):
    client = token_for(chair_a)
    listed = client.get(f"{API}/c/coop-a/orders").json()
    assert listed["count"] == 1
    code = listed["items"][0]["code"]
    assert listed["items"][0]["buyer"]["phone"] == "0987654321"
    assert client.get(f"{API}/c/coop-a/orders", {"status": "confirmed"}).json()["count"] == 0
    assert client.get(f"{API}/c/coop-a/orders", {"payment_state": "unpaid"}).json()["count"] == 1
    assert client.get(f"{API}/c/coop-a/orders", {"q": code.lower()}).json()["count"] == 1
    assert client.get(f"{API}/c/coop-a/orders", {"q": "0987 654 321"}).json()["count"] == 1
    today = timezone.localdate().isoformat()
    assert client.get(f"{API}/c/coop-a/orders", {"day_from": today, "day_to": today}).json()["count"] == 1
    detail = client.get(f"{API}/c/coop-a/orders/{code}").json()
    assert detail["events"][0]["what"] == "placed"
    # coop_b's chair: coop_a's order is not found under either cooperative.
    other = token_for(chair_b)
    assert other.get(f"{API}/c/coop-a/orders/{code}").status_code == 404
    assert other.get(f"{API}/c/coop-b/orders/{code}").status_code == 404
    assert other.get(f"{API}/c/coop-b/orders").json()["count"] == 1


def test_status_moves_follow_the_rules(placed, sales_a, token_for):
    client = token_for(sales_a)
    code = next(o["code"] for o in placed["orders"] if o["cooperative"]["slug"] == "coop-a")
    url = f"{API}/c/coop-a/orders/{code}/status"
    wrong = post(client, url, {"to": "delivered"})
    assert wrong.status_code == 422 and wrong.json()["detail"]
    for step in ("confirmed", "packed"):
        assert post(client, url, {"to": step}).json()["status"] == step
    untracked = post(client, url, {"to": "shipped"})
    assert untracked.status_code == 422  # by post: the tracking code is required
    shipped = post(client, url, {"to": "shipped", "carrier": "Viettel Post", "tracking_code": "VTP123"})
    assert shipped.status_code == 200
    body = shipped.json()
    assert body["tracking_code"] == "VTP123" and body["vietqr"] is None
    assert [e["to_status"] for e in body["events"] if e["what"] == "status"] == [
        "confirmed",
        "packed",
        "shipped",
    ]
    cancel = post(client, url, {"to": "cancelled", "note": "x"})
    assert cancel.status_code == 422
    assert Order.unscoped.get(code=code).status == "shipped"


def test_invoice_and_payments(placed, chair_a, sales_a, coop_a, token_for):
    code = next(o["code"] for o in placed["orders"] if o["cooperative"]["slug"] == "coop-a")
    order = Order.unscoped.get(code=code)
    chair = token_for(chair_a)
    invoice = post(chair, f"{API}/c/coop-a/orders/{code}/invoice", {"number": "0000123", "provider": "VNPT"})
    assert invoice.status_code == 200 and invoice.json()["einvoice_number"] == "0000123"
    assert post(chair, f"{API}/c/coop-a/orders/{code}/invoice", {"number": ""}).status_code == 422
    with tenant(coop_a):
        for provider_id, amount, memo in (
            ("1", order.total_vnd // 2, f"{code} CK"),
            ("2", 90_000, "BAN MAT ONG"),
        ):
            transaction_receive(
                line=IncomingLine(
                    source=TxSource.SEPAY,
                    provider_id=provider_id,
                    at=timezone.now(),
                    amount=amount,
                    memo=memo,
                )
            )
    payments = chair.get(f"{API}/c/coop-a/payments").json()
    assert {(p["state"], p["order_code"]) for p in payments["items"]} == {
        ("partial", code),
        ("unmatched", None),
    }
    assert chair.get(f"{API}/c/coop-a/payments", {"state": "unmatched"}).json()["count"] == 1
    after = chair.get(f"{API}/c/coop-a/orders/{code}").json()
    assert after["payment_state"] == "partial"
    # What is still owed, in the QR.
    assert vietqr.parse(after["vietqr"])["amount"] == order.total_vnd - order.total_vnd // 2
    # Sales staff manage orders but not the bank account's money.
    assert token_for(sales_a).get(f"{API}/c/coop-a/payments").status_code == 403

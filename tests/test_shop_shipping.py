"""Delivery by carrier, end to end against the fake GHTK (tests/fakes/carriers.py) over real
HTTP: the fee quoted at checkout (and the rate table when the carrier is down), a shipment
made for a packed order with its label, and the carrier's status callbacks — a bad secret
refused, duplicates and late out-of-order reports leaving the order in the right state,
returns and cancellations at the carrier. The callbacks reach the app through the fake's
own HTTP client (``live_server``) in one test, through Django's test client elsewhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from hoptac.core.tenancy import tenant
from hoptac.lib import places
from hoptac.lib.carriers.base import VN_TZ
from hoptac.shop import pricing
from hoptac.shop.models import (
    CarrierAccount,
    Order,
    OrderStatus,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)
from hoptac.shop.services import orders as order_services
from hoptac.shop.services import shipping as services
from hoptac.shop.services.orders import Buyer, Choice
from tests.fakes import carriers

from .shop_fixtures import BUYER, hanoi_commune

ghtk_server = carriers.ghtk_server  # fixture

T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=VN_TZ)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def pick_commune(coop) -> int:
    """A commune of the cooperative's own province (the pickup address)."""
    province = places.commune_province(coop.commune_code)
    return places.commune_choices(province)[0][0]


def make_account(coop, fake, **overrides) -> CarrierAccount:
    with tenant(coop):
        province = places.commune_province(coop.commune_code)
        data = {
            "cooperative": coop,
            "carrier": "ghtk",
            "api_token": fake.token,
            "pick_name": "HTX Tuấn Dũng",
            "pick_phone": "0912345678",
            "pick_province_code": province,
            "pick_commune_code": pick_commune(coop),
            "pick_street": "Thôn Pả Vi Thượng",
            "callback_secret": fake.callback_secret,
            "quote_at_checkout": True,
        }
        data.update(overrides)
        return CarrierAccount.objects.create(**data)


@pytest.fixture
def ghtk(settings, coop_a, honey_shop_a, ghtk_server):
    settings.CARRIER_BASE_URLS = {"ghtk": ghtk_server.url}
    make_account(coop_a, ghtk_server)
    return ghtk_server


def place(listing, packs=2, *, payment="cod") -> Order:
    (order,) = order_services.order_place(
        items=[(listing.pk, packs)],
        buyer=Buyer(**{**BUYER, "commune_code": hanoi_commune()}),
        choices={listing.cooperative_id: Choice(delivery="post", payment=payment)},
    )
    return order


def packed(listing, packs=2, *, payment="cod") -> Order:
    order = place(listing, packs, payment=payment)
    with tenant(order.cooperative):
        order_services.order_move(order=order, to=OrderStatus.CONFIRMED)
        order_services.order_move(order=order, to=OrderStatus.PACKED)
        return Order.objects.get(pk=order.pk)


def reload(obj):
    with tenant(obj.cooperative):
        return type(obj).objects.get(pk=obj.pk)


def hook_url(coop) -> str:
    return reverse("shop_hooks:carrier_hook", args=["ghtk", coop.slug])


def send(client, coop, fake, tracking, status, **kwargs):
    headers, body = fake.delivery(tracking, status, **kwargs)
    content_type = headers.pop("Content-Type")
    return client.post(hook_url(coop), data=body, content_type=content_type, headers=headers)


def events(shipment) -> list[ShipmentEvent]:
    with tenant(shipment.cooperative):
        return list(ShipmentEvent.objects.filter(shipment=shipment).order_by("pk"))


# --- the fee at checkout ---------------------------------------------------------------------------


def test_checkout_fee_comes_from_the_carrier_and_is_cached(ghtk, coop_a, honey_shop_a):
    commune = hanoi_commune()
    (quote,), _gone = pricing.quote([(honey_shop_a.pk, 2)], province_code=1, commune_code=commune)
    # 2 jars of 700 g = 1400 g, sent from Tuyên Quang to Hà Nội: the fake's fee for the 1500 g band
    expected = ghtk.fee_for(
        pick_province=places.province_name(places.commune_province(coop_a.commune_code)),
        province=places.province_name(1),
        weight_g=1500,
    )
    assert quote.fees["post"] == expected
    assert quote.fees["post"] != 30_000  # not the rate table's fee
    asked = [r for r in ghtk.requests if r["path"] == "/services/shipment/fee"]
    assert len(asked) == 1
    assert asked[0]["query"]["province"] == places.province_name(1)
    # The cart page again (and the order itself) reuse the quote: no second call.
    pricing.quote([(honey_shop_a.pk, 2)], province_code=1, commune_code=commune)
    order = place(honey_shop_a, 2)
    assert order.delivery_fee_vnd == expected
    assert len([r for r in ghtk.requests if r["path"] == "/services/shipment/fee"]) == 1


def test_checkout_falls_back_to_the_rate_table_when_the_carrier_fails(ghtk, honey_shop_a):
    ghtk.mode = "http_500"
    (quote,), _gone = pricing.quote([(honey_shop_a.pk, 2)], province_code=1, commune_code=hanoi_commune())
    assert quote.fees["post"] == 30_000  # the rate table (north, up to 2 kg)
    # The failure is remembered: the next cart page does not wait for the carrier again.
    calls = len(ghtk.requests)
    pricing.quote([(honey_shop_a.pk, 2)], province_code=1, commune_code=hanoi_commune())
    assert len(ghtk.requests) == calls


def test_checkout_falls_back_when_the_carrier_is_down(settings, coop_a, honey_shop_a):
    with carriers.FakeGHTK() as fake:
        make_account(coop_a, fake)
        settings.CARRIER_BASE_URLS = {"ghtk": fake.url}
    # stopped: connection refused
    order = place(honey_shop_a, 2)
    assert order.delivery_fee_vnd == 30_000


def test_no_quote_without_the_commune_or_when_switched_off(ghtk, coop_a, honey_shop_a):
    (quote,), _gone = pricing.quote([(honey_shop_a.pk, 2)], province_code=1)
    assert quote.fees["post"] == 30_000
    with tenant(coop_a):
        CarrierAccount.objects.update(quote_at_checkout=False)
    (quote,), _gone = pricing.quote([(honey_shop_a.pk, 2)], province_code=1, commune_code=hanoi_commune())
    assert quote.fees["post"] == 30_000
    assert not ghtk.requests


# --- shipments --------------------------------------------------------------------------------------


def test_create_shipment_sends_the_parcel_and_keeps_the_order_packed(ghtk, coop_a, honey_shop_a):
    order = packed(honey_shop_a, 2, payment="cod")
    with tenant(coop_a):
        shipment = services.shipment_create(order=order)
    sent = ghtk.orders[shipment.tracking_code]
    assert sent["partner_id"] == order.code
    assert sent["pick_money"] == order.total_vnd  # COD: everything still owed
    assert sent["order"]["province"] == places.province_name(1)
    assert sent["order"]["ward"] == places.commune_name(hanoi_commune())
    assert sent["weight_g"] == 1400
    order = reload(order)
    assert order.status == OrderStatus.PACKED
    assert order.tracking_code == shipment.tracking_code
    assert shipment.cod_vnd == order.total_vnd and shipment.fee_vnd > 0
    # One active shipment per order: a second is refused, nothing sent.
    with tenant(coop_a), translation.override("en"), pytest.raises(Exception, match="already has a shipment"):
        services.shipment_create(order=order)
    assert len(ghtk.orders) == 1


def test_a_paid_order_ships_without_cash_to_collect(ghtk, coop_a, honey_shop_a):
    order = packed(honey_shop_a, 1, payment="bank")
    with tenant(coop_a):
        shipment = services.shipment_create(order=order)
    assert ghtk.orders[shipment.tracking_code]["pick_money"] == 0


def test_carrier_refusal_is_a_clear_message_and_writes_nothing(ghtk, coop_a, honey_shop_a):
    order = packed(honey_shop_a)
    ghtk.mode = "http_500"
    with tenant(coop_a), pytest.raises(Exception) as refused:
        services.shipment_create(order=order)
    with translation.override("en"):
        assert "GHTK" in " ".join(refused.value.messages)
    with tenant(coop_a):
        assert not Shipment.objects.exists()
    assert reload(order).tracking_code == ""


def test_staff_pages_create_print_and_bulk(ghtk, client, login, coop_a, chair_a, honey_shop_a):
    first, second = packed(honey_shop_a, 1), packed(honey_shop_a, 1)
    client = login(chair_a)
    slug = coop_a.slug
    page = client.get(reverse("shop_staff:order_detail", args=[slug, first.code]))
    assert reverse("shop_shipping:shipment_create", args=[slug, first.code]) in page.content.decode()
    response = client.post(
        reverse("shop_shipping:shipment_create", args=[slug, first.code]), {"order_page": first.code}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("shop_staff:order_detail", args=[slug, first.code]))
    shipment = Shipment.unscoped.get(order=first)
    listing = client.get(reverse("shop_shipping:shipment_list", args=[slug]))
    assert listing.status_code == 200
    assert f'id="to-ship-{second.code}"' in listing.content.decode()
    client.post(reverse("shop_shipping:shipments_create_all", args=[slug]))
    assert Shipment.unscoped.filter(order=second, is_active=True).count() == 1
    assert Shipment.unscoped.filter(order=first).count() == 1  # not made twice
    label = client.get(reverse("shop_shipping:shipment_label", args=[slug, shipment.pk]))
    assert label.status_code == 200
    assert label["Content-Type"] == "application/pdf"
    assert label.content.startswith(b"%PDF") and shipment.tracking_code.encode() in label.content


def test_cancel_at_the_carrier_keeps_the_order_packed(ghtk, client, login, coop_a, chair_a, honey_shop_a):
    order = packed(honey_shop_a)
    with tenant(coop_a):
        shipment = services.shipment_create(order=order)
    client = login(chair_a)
    client.post(reverse("shop_shipping:shipment_cancel", args=[coop_a.slug, shipment.pk]))
    shipment = reload(shipment)
    assert not shipment.is_active and shipment.status == ShipmentStatus.CANCELLED
    assert ghtk.orders[shipment.tracking_code]["status_id"] == -1
    order = reload(order)
    assert order.status == OrderStatus.PACKED and order.tracking_code == ""
    # A new shipment may be made, under a new code at the carrier.
    with tenant(coop_a):
        again = services.shipment_create(order=order)
    assert again.partner_ref == f"{order.code}-2"


# --- callbacks ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_callbacks_over_http_bad_secret_duplicates_and_out_of_order(
    settings, live_server, coop_a, honey_shop_a, ghtk_server
):
    """The issue's bar, through a real HTTP server: the fake carrier posts to the app."""
    settings.CARRIER_BASE_URLS = {"ghtk": ghtk_server.url}
    make_account(coop_a, ghtk_server)
    order = packed(honey_shop_a)
    with tenant(coop_a):
        shipment = services.shipment_create(order=order)
    url = live_server.url + hook_url(coop_a)
    code = shipment.tracking_code

    # A bad or missing secret: 403 and nothing written.
    assert ghtk_server.callback(url, code, 3, at=at(10), secret="wrong").status_code == 403
    assert ghtk_server.callback(url, code, 3, at=at(10), secret="").status_code == 403
    assert events(shipment) == [] and reload(order).status == OrderStatus.PACKED

    # Picked up: the order is shipped, with the carrier's tracking code.
    assert ghtk_server.callback(url, code, 3, at=at(10)).status_code == 200
    order = reload(order)
    assert order.status == OrderStatus.SHIPPED and order.tracking_code == code
    # The same callback again: 200, nothing changes.
    assert ghtk_server.callback(url, code, 3, at=at(10)).status_code == 200
    assert len(events(shipment)) == 1

    # Delivered, then a late "on the way" from before: kept, not applied.
    assert ghtk_server.callback(url, code, 5, at=at(60)).status_code == 200
    assert ghtk_server.callback(url, code, 4, at=at(30)).status_code == 200
    order, shipment = reload(order), reload(shipment)
    assert order.status == OrderStatus.DELIVERED
    assert shipment.status == ShipmentStatus.DELIVERED and shipment.status_at == at(60)
    kept = events(shipment)
    assert [(e.carrier_status, e.applied) for e in kept] == [("3", True), ("5", True), ("4", False)]


def test_a_newer_move_the_order_refuses_is_kept_and_ignored(ghtk, client, coop_a, honey_shop_a):
    order = packed(honey_shop_a)
    with tenant(coop_a):
        shipment = services.shipment_create(order=order)
    code = shipment.tracking_code
    assert send(client, coop_a, ghtk, code, 5, at=at(60)).status_code == 200  # delivered from packed
    assert reload(order).status == OrderStatus.DELIVERED
    # A newer "on the way" (the carrier's mistake): the order cannot go back; no 500.
    response = send(client, coop_a, ghtk, code, 4, at=at(90))
    assert response.status_code == 200
    assert reload(order).status == OrderStatus.DELIVERED
    shipment = reload(shipment)
    assert shipment.status == ShipmentStatus.DELIVERED and shipment.status_at == at(60)
    last = events(shipment)[-1]
    assert last.carrier_status == "4" and not last.applied and last.note


def test_returned_by_the_carrier_with_its_reason(ghtk, client, coop_a, honey_shop_a):
    order = packed(honey_shop_a)
    with tenant(coop_a):
        shipment = services.shipment_create(order=order)
    code = shipment.tracking_code
    send(client, coop_a, ghtk, code, 3, at=at(10))
    send(client, coop_a, ghtk, code, 20, at=at(100), reason="Khách không nhận")
    assert reload(order).status == OrderStatus.SHIPPED
    send(client, coop_a, ghtk, code, 21, at=at(200), reason="Khách không nhận")
    order = reload(order)
    assert order.status == OrderStatus.RETURNED and order.cancel_reason == "Khách không nhận"


def test_cancelled_at_the_carrier_leaves_the_order_packed(ghtk, client, coop_a, honey_shop_a):
    order = packed(honey_shop_a)
    with tenant(coop_a):
        shipment = services.shipment_create(order=order)
    assert send(client, coop_a, ghtk, shipment.tracking_code, -1, at=at(5)).status_code == 200
    shipment = reload(shipment)
    assert not shipment.is_active and shipment.status == ShipmentStatus.CANCELLED
    assert reload(order).status == OrderStatus.PACKED


def test_callback_for_another_cooperative_or_unknown_parcel(ghtk, client, coop_a, coop_b, honey_shop_a):
    order = packed(honey_shop_a)
    with tenant(coop_a):
        shipment = services.shipment_create(order=order)
    # coop_b has no account: refused, whatever the secret.
    headers, body = ghtk.delivery(shipment.tracking_code, 3, at=at(1))
    content_type = headers.pop("Content-Type")
    url = reverse("shop_hooks:carrier_hook", args=["ghtk", coop_b.slug])
    assert client.post(url, data=body, content_type=content_type, headers=headers).status_code == 403
    # A parcel we never made: answered (the carrier stops), nothing written.
    assert send(client, coop_a, ghtk, "S1.A1.999", 3, at=at(1)).status_code == 200
    # An unreadable body: 400, never a 500.
    response = client.post(
        hook_url(coop_a),
        data=b"{not json",
        content_type="application/json",
        headers={"X-Hoptac-Token": ghtk.callback_secret},
    )
    assert response.status_code == 400
    assert events(shipment) == [] and reload(order).status == OrderStatus.PACKED


# --- the carrier account page -------------------------------------------------------------------------


def test_carrier_account_page_saves_and_never_shows_the_token(client, login, coop_a, chair_a):
    client = login(chair_a)
    url = reverse("shop_shipping:carrier_account", args=[coop_a.slug]) + "?carrier=ghtk"
    province = places.commune_province(coop_a.commune_code)
    data = {
        "api_token": "tok-1234567890-SECRET",
        "pick_name": "HTX Tuấn Dũng",
        "pick_phone": "0912 345 678",
        "pick_province_code": province,
        "pick_commune_code": pick_commune(coop_a),
        "pick_street": "Thôn Pả Vi Thượng",
        "quote_at_checkout": "on",
        "is_active": "on",
    }
    bad = client.post(url, {**data, "pick_commune_code": hanoi_commune()})
    assert bad.status_code == 422
    assert not CarrierAccount.unscoped.exists()
    assert client.post(url, data).status_code == 302
    account = CarrierAccount.unscoped.get(cooperative=coop_a)
    assert account.api_token == "tok-1234567890-SECRET" and len(account.callback_secret) >= 32
    page = client.get(url).content.decode()
    assert "tok-1234567890-SECRET" not in page and "…CRET" in page
    assert f"{hook_url(coop_a)}?hash={account.callback_secret}" in page
    # Saved again without a token: the old one stays.
    client.post(url, {**data, "api_token": ""})
    assert CarrierAccount.unscoped.get(pk=account.pk).api_token == "tok-1234567890-SECRET"


def test_the_secret_may_come_in_the_address_and_is_kept_out_of_logs(ghtk, client, coop_a, honey_shop_a):
    from hoptac.core.redact import redact

    order = packed(honey_shop_a)
    with tenant(coop_a):
        shipment = services.shipment_create(order=order)
    headers, body = ghtk.delivery(shipment.tracking_code, 3, at=at(10), secret="")
    content_type = headers.pop("Content-Type")
    wrong = client.post(hook_url(coop_a) + "?hash=nope", data=body, content_type=content_type)
    assert wrong.status_code == 403 and reload(order).status == OrderStatus.PACKED
    url = f"{hook_url(coop_a)}?hash={ghtk.callback_secret}"
    assert client.post(url, data=body, content_type=content_type).status_code == 200
    assert reload(order).status == OrderStatus.SHIPPED
    assert ghtk.callback_secret not in redact(f"POST {url} HTTP/1.1")

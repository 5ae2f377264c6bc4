"""The cooperative's side of selling: who opens which page, the order board and its
filters, the order page's actions with their history (and a stale action refused), the
packing slip printed to PDF, shop settings (opening refused until the shop can sell),
products on sale with quantity prices, the sales reports on a small known set with their
xlsx read back, the overview card and the navigation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from hoptac.accounts.services import membership_set
from hoptac.core.navigation import menus_for
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.inventory.models import ReservationState, StockReservation
from hoptac.lib import xlsx
from hoptac.shop.models import (
    CashEntry,
    DeliveryRate,
    Listing,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentState,
    PriceTier,
    Shop,
)
from hoptac.shop.services import orders as order_services
from hoptac.shop.services.orders import Buyer, Choice
from tests.conftest import keyed, make_user, opened
from tests.test_print import chromium, print_pdf  # noqa: F401 - fixtures of the printed pages

from .shop_fixtures import BUYER, hanoi_commune, open_shop, stocked

BOARD = "/c/coop-a/shop/"


def vi(text: str) -> str:
    with translation.override("vi"):
        return str(translation.gettext(text))


def place(listing, packs=1, *, delivery="post", payment="bank", **buyer) -> Order:
    coop = listing.cooperative
    (order,) = order_services.order_place(
        items=[(listing.pk, packs)],
        buyer=Buyer(**{**BUYER, "commune_code": hanoi_commune(), **buyer}),
        choices={coop.pk: Choice(delivery=delivery, payment=payment)},
    )
    return order


@pytest.fixture
def sales_a(coop_a):
    user = make_user("0911000105", "Bán hàng A")
    membership_set(user=user, cooperative=coop_a, role=Role.SALES)
    return user


@pytest.fixture
def order_a(honey_shop_a):
    return place(honey_shop_a, 2, payment="cod")


def first_line(order):
    from hoptac.shop.models import OrderLine

    return OrderLine.unscoped.filter(order=order).first()


def page_text(response) -> str:
    return response.content.decode()


# --- who opens what ----------------------------------------------------------------------------


def _urls(order, product_id):
    return {
        "board": BOARD,
        "order": f"{BOARD}orders/{order.code}/",
        "slip": f"{BOARD}orders/{order.code}/slip/",
        "settings": f"{BOARD}settings/",
        "listings": f"{BOARD}products/",
        "listing": f"{BOARD}products/{product_id}/",
        "reports": f"{BOARD}reports/",
        "xlsx": f"{BOARD}reports/sales.xlsx",
    }


ALLOWED = {
    "chair": {"board", "order", "slip", "settings", "listings", "listing", "reports", "xlsx"},
    "accountant": {"board", "order", "slip", "listings", "listing", "reports", "xlsx"},
    "sales": {"board", "order", "slip", "listings", "listing", "reports", "xlsx"},
    "collector": set(),
    "member": set(),
    # The officer reads the sales figures (report.view: the alliance sums them later) and
    # nothing with buyers' names, phones or addresses.
    "alliance": {"reports", "xlsx"},
}


def test_each_role_opens_its_pages_and_gets_403_elsewhere(
    login, order_a, chair_a, accountant_a, sales_a, collector_a, member_user_a, officer, coop_a
):
    users = {
        "chair": chair_a,
        "accountant": accountant_a,
        "sales": sales_a,
        "collector": collector_a,
        "member": member_user_a,
        "alliance": officer,
    }
    problems = []
    urls = _urls(order_a, first_line(order_a).product_id)
    for role, user in users.items():
        client = login(user)
        for name, url in urls.items():
            status = client.get(url).status_code
            expected = 200 if name in ALLOWED[role] else 403
            if status != expected:
                problems.append(f"{role} {name}: {status}, expected {expected}")
    assert not problems, "\n".join(problems)


def test_roles_without_order_manage_cannot_act(login, order_a, collector_a, member_user_a, officer):
    for user in (collector_a, member_user_a, officer):
        client = login(user)
        response = client.post(f"{BOARD}orders/{order_a.code}/move/", {"to": "confirmed", "seen": "new"})
        assert response.status_code == 403
        response = client.post(f"{BOARD}orders/{order_a.code}/cash/", keyed(amount="520.000", seen_paid=0))
        assert response.status_code == 403
    order_a.refresh_from_db()
    assert order_a.status == OrderStatus.NEW and order_a.paid_vnd == 0


def test_the_buyers_phone_and_address_are_on_the_board_and_order_page(login, sales_a, order_a):
    client = login(sales_a)
    board = page_text(client.get(BOARD))
    assert order_a.code in board and ("0388 123 456" in board or "0388123456" in board)
    page = page_text(client.get(f"{BOARD}orders/{order_a.code}/"))
    assert "12 Hàng Bạc" in page and order_a.buyer_name in page


# --- the order board ----------------------------------------------------------------------------


def test_board_filters_by_status_payment_channel_and_search(login, chair_a, honey_shop_a):
    first = place(honey_shop_a, 1, name="Trần Văn Bình", phone="0912111222")
    second = place(honey_shop_a, 1, payment="cod", name="Lò Thị Hoa", phone="0977333444")
    with tenant(honey_shop_a.cooperative):
        order_services.order_move(order=second, to=OrderStatus.CONFIRMED, actor=chair_a)
    client = login(chair_a)

    def codes(query: str) -> set[str]:
        response = client.get(BOARD + query)
        assert response.status_code == 200
        return {o.code for o in response.context["orders"]}

    assert codes("") == {first.code, second.code}
    assert codes("?status=confirmed") == {second.code}
    assert codes("?status=new") == {first.code}
    assert codes("?q=0977333444") == {second.code}
    assert codes("?q=377 7333 444".replace("377 ", "0977 ").replace("7333", "333")) == {second.code}
    assert codes(f"?q={first.code.lower()}") == {first.code}
    assert codes("?q=Bình") == {first.code}
    assert codes("?channel=api") == set()
    today = timezone.localdate()
    assert codes(f"?start={today + dt.timedelta(days=1)}") == set()
    assert codes(f"?start={today}&end={today}") == {first.code, second.code}
    # The tabs count per status under the other filters.
    tabs = {value: count for value, _label, count in client.get(BOARD).context["tabs"]}
    assert tabs[""] == 2 and tabs["new"] == 1 and tabs["confirmed"] == 1 and tabs["cancelled"] == 0
    # A bad filter is a message, not a 500.
    response = client.get(BOARD + "?start=2026-13-45")
    assert response.status_code == 400


def test_board_queries_do_not_grow_with_the_number_of_orders(login, chair_a, honey_shop_a):
    client = login(chair_a)
    place(honey_shop_a, 1)
    client.get(BOARD)
    with CaptureQueriesContext(connection) as few:
        assert client.get(BOARD).status_code == 200
    stocked(honey_shop_a.cooperative, packs=50)
    for _ in range(12):
        place(honey_shop_a, 1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(BOARD)
    assert len(response.context["orders"]) == 13
    assert len(many) == len(few)


# --- the order page and its actions -------------------------------------------------------------


def move(client, order, to, seen=None, **more):
    return client.post(f"{BOARD}orders/{order.code}/move/", {"to": to, "seen": seen or order.status, **more})


def test_confirm_pack_ship_deliver_with_history_and_stock_sold(login, sales_a, honey_shop_a):
    order = place(honey_shop_a, 3, payment="cod")
    client = login(sales_a)
    page = page_text(client.get(f"{BOARD}orders/{order.code}/"))
    lot_code = StockReservation.unscoped.filter(order_line_id=first_line(order).pk).first().lot.code
    assert lot_code in page  # the line shows the lot it is served from
    assert move(client, order, "confirmed").status_code == 302
    order.refresh_from_db()
    assert move(client, order, "packed").status_code == 302
    order.refresh_from_db()
    # By post, shipping needs the tracking code.
    move(client, order, "shipped", carrier="VNPost")
    order.refresh_from_db()
    assert order.status == OrderStatus.PACKED
    move(client, order, "shipped", carrier="VNPost", tracking_code="EB123456789VN")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.tracking_code == "EB123456789VN"
    move(client, order, "delivered")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    with tenant(order.cooperative):
        events = list(OrderEvent.objects.filter(order=order, what="status").order_by("at", "id"))
    assert [e.to_status for e in events] == ["confirmed", "packed", "shipped", "delivered"]
    assert all(e.actor_id == sales_a.pk for e in events)
    with tenant(order.cooperative):
        states = set(
            StockReservation.unscoped.filter(order_line_id=first_line(order).pk).values_list(
                "state", flat=True
            )
        )
    assert states == {ReservationState.SOLD}
    history = page_text(client.get(f"{BOARD}orders/{order.code}/"))
    assert sales_a.full_name in history and vi("Delivered") in history


def test_a_stale_action_is_refused_saying_what_changed(login, chair_a, sales_a, honey_shop_a):
    order = place(honey_shop_a, 1, payment="cod")
    seen = order.status  # the page is opened while the order is new
    login(sales_a)
    with tenant(order.cooperative):
        order_services.order_move(order=order, to=OrderStatus.CONFIRMED, actor=chair_a)
    client = login(sales_a)
    response = move(client, order, "confirmed", seen=seen)
    assert response.status_code == 302
    follow = client.get(response["Location"])
    text = page_text(follow)
    assert vi("Confirmed").lower() in text.lower()
    messages = [str(m) for m in follow.context["messages"]]
    assert any(vi("New").lower() in m and vi("Confirmed").lower() in m for m in messages), messages
    # Nothing moved: a second "confirmed" would have been an error anyway; a stale "cancel"
    # of an order that moved on must not cancel it either.
    response = move(client, order, "cancelled", seen=seen, confirm="yes", note="khách đổi ý")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    with tenant(order.cooperative):
        assert OrderEvent.objects.filter(order=order, what="status").count() == 1


def test_cancel_asks_first_needs_a_reason_and_gives_the_stock_back(login, chair_a, honey_shop_a):
    order = place(honey_shop_a, 4)
    client = login(chair_a)
    line_id = first_line(order).pk
    response = move(client, order, "cancelled")
    assert response.status_code == 200  # the question, nothing done
    assert 'name="confirm" value="yes"' in page_text(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW
    response = move(client, order, "cancelled", confirm="yes", note="")
    assert response.status_code == 422
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW
    response = move(client, order, "cancelled", confirm="yes", note="Khách gọi huỷ")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "Khách gọi huỷ"
    with tenant(order.cooperative):
        assert not StockReservation.unscoped.filter(
            order_line_id=line_id, state=ReservationState.HELD
        ).exists()
    # A move the state does not allow is refused with a message.
    response = move(client, order, "confirmed")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_cash_received_is_recorded_once(login, accountant_a, order_a):
    client = login(accountant_a)
    body = keyed(amount=f"{order_a.total_vnd:,}".replace(",", "."), seen_paid=0)
    assert client.post(f"{BOARD}orders/{order_a.code}/cash/", body).status_code == 302
    assert client.post(f"{BOARD}orders/{order_a.code}/cash/", body).status_code == 302  # same key
    order_a.refresh_from_db()
    assert order_a.paid_vnd == order_a.total_vnd and order_a.payment_state == PaymentState.PAID
    with tenant(order_a.cooperative):
        assert CashEntry.objects.filter(order=order_a).count() == 1
    # A form opened before that payment is refused, saying why.
    response = client.post(f"{BOARD}orders/{order_a.code}/cash/", keyed(amount="10.000", seen_paid=0))
    assert response.status_code == 422
    with tenant(order_a.cooperative):
        assert CashEntry.objects.filter(order=order_a).count() == 1
    page = page_text(client.get(f"{BOARD}orders/{order_a.code}/"))
    assert vi("Cash book") in page


def test_the_einvoice_is_recorded_with_the_conflict_check(login, chair_a, sales_a, order_a):
    url = f"{BOARD}orders/{order_a.code}/"
    client = login(sales_a)
    stale = opened(client, url, einvoice_number="0000123", einvoice_provider="VNPT")
    client = login(chair_a)
    fresh = opened(client, url, einvoice_number="0000999", einvoice_provider="Viettel")
    assert client.post(url + "invoice/", fresh).status_code == 302
    client = login(sales_a)
    response = client.post(url + "invoice/", stale)
    assert response.status_code == 422
    order_a.refresh_from_db()
    assert (order_a.einvoice_number, order_a.einvoice_provider) == ("0000999", "Viettel")


# --- settings -----------------------------------------------------------------------------------


SETTINGS = f"{BOARD}settings/"


def settings_body(**more):
    data = {
        "headline": "Mật ong bạc hà",
        "story": "",
        "bank_bin": "",
        "bank_account": "",
        "account_name": "",
        "pickup_address": "Thôn Pả Vi",
        "pickup": "on",
        "free_delivery_above": "",
        "pay_within_hours": "48",
        "remind_after_hours": "24",
        "few_left_at": "5",
    }
    data.update(more)
    return {k: v for k, v in data.items() if v is not None}


def test_opening_the_shop_is_refused_until_it_can_sell(login, chair_a, coop_a):
    client = login(chair_a)
    response = client.post(SETTINGS, opened(client, SETTINGS, settings_body(is_open="on")))
    assert response.status_code == 422
    text = page_text(response)
    assert vi("Put at least one product on sale (Products on sale).") in text
    assert not Shop.unscoped.filter(cooperative=coop_a, is_open=True).exists()
    # A product on sale and cash on delivery: it opens and shows its public link.
    stocked(coop_a)
    response = client.post(
        SETTINGS,
        opened(client, SETTINGS, settings_body(is_open="on", cash_on_delivery="on", bank_transfer="on")),
    )
    assert response.status_code == 302, page_text(response)[:3000]
    shop = Shop.unscoped.get(cooperative=coop_a)
    assert shop.is_open and shop.cash_on_delivery and shop.free_delivery_above is None
    assert "/s/coop-a/" in page_text(client.get(SETTINGS))


def test_bank_only_shop_needs_a_valid_account(login, chair_a, coop_a):
    stocked(coop_a)
    client = login(chair_a)
    body = settings_body(is_open="on", bank_transfer="on", bank_bin="970436", bank_account="12ab")
    response = client.post(SETTINGS, opened(client, SETTINGS, body))
    assert response.status_code == 422
    assert not Shop.unscoped.filter(cooperative=coop_a).exists()
    body.update(bank_account="0123 456 789", account_name="HTX TUAN DUNG", free_delivery_above="500.000")
    response = client.post(SETTINGS, opened(client, SETTINGS, body))
    assert response.status_code == 302
    shop = Shop.unscoped.get(cooperative=coop_a)
    assert shop.is_open and shop.bank_account == "0123456789" and shop.free_delivery_above == 500_000


def test_settings_edit_made_by_someone_else_meanwhile_is_refused(login, chair_a, coop_a):
    open_shop(coop_a, headline="Cũ")
    client = login(chair_a)
    stale = opened(client, SETTINGS, settings_body(headline="Của tôi", cash_on_delivery="on"))
    with tenant(coop_a):
        Shop.objects.filter(cooperative=coop_a).update(headline="Của người khác")
    response = client.post(SETTINGS, stale)
    assert response.status_code == 422
    assert Shop.unscoped.get(cooperative=coop_a).headline == "Của người khác"


def test_delivery_fee_lines_are_added_and_removed(login, chair_a, coop_a):
    client = login(chair_a)
    body = keyed(method="post", zone="north", up_to_g="2000", fee_vnd="30.000")
    assert client.post(f"{SETTINGS}rates/", body).status_code == 302
    assert client.post(f"{SETTINGS}rates/", body).status_code == 302  # the same form again
    rate = DeliveryRate.unscoped.get(cooperative=coop_a)
    assert (rate.method, rate.zone, rate.up_to_g, rate.fee_vnd) == ("post", "north", 2000, 30_000)
    # The same line again (new form) is refused; pickup has no fee.
    again = client.post(f"{SETTINGS}rates/", keyed(method="post", zone="north", up_to_g="2000", fee_vnd="1"))
    assert again.status_code == 422
    bad = client.post(f"{SETTINGS}rates/", keyed(method="pickup", zone="", fee_vnd="1000"))
    assert bad.status_code == 422
    assert DeliveryRate.unscoped.filter(cooperative=coop_a).count() == 1
    assert client.post(f"{SETTINGS}rates/remove/", {"rate": rate.pk}).status_code == 302
    assert client.post(f"{SETTINGS}rates/remove/", {"rate": rate.pk}).status_code == 302
    assert not DeliveryRate.unscoped.filter(cooperative=coop_a).exists()


# --- products on sale ---------------------------------------------------------------------------


def test_a_product_goes_on_sale_with_a_vietnamese_price_and_quantity_prices(login, sales_a, coop_a):
    open_shop(coop_a)
    listing = stocked(coop_a, packs=7)
    product_id = listing.product_id
    Listing.unscoped.filter(pk=listing.pk).delete()
    client = login(sales_a)
    page = page_text(client.get(f"{BOARD}products/"))
    assert "Mật ong bạc hà 500 ml" in page
    url = f"{BOARD}products/{product_id}/"
    body = opened(client, url, price_vnd="250.000", weight_g="700", is_listed="on", max_per_order="20")
    assert client.post(url, body).status_code == 302
    listing = Listing.unscoped.get(product_id=product_id)
    assert (listing.price_vnd, listing.weight_g, listing.is_listed, listing.max_per_order) == (
        250_000,
        700,
        True,
        20,
    )
    assert client.post(f"{url}tiers/", keyed(min_quantity="20", price_vnd="220.000")).status_code == 302
    refused = client.post(f"{url}tiers/", keyed(min_quantity="50", price_vnd="260.000"))
    assert refused.status_code == 422
    tier = PriceTier.unscoped.get(listing=listing)
    assert (tier.min_quantity, tier.price_vnd) == (20, 220_000)
    rows = client.get(f"{BOARD}products/").context["rows"]
    (row,) = [r for r in rows if r["product"].pk == product_id]
    assert row["available"] == Decimal(7) and row["held"] == Decimal(0)
    place(listing, 2)
    (row,) = [r for r in client.get(f"{BOARD}products/").context["rows"] if r["product"].pk == product_id]
    assert row["available"] == Decimal(5) and row["held"] == Decimal(2)
    assert client.post(f"{url}tiers/remove/", {"tier": tier.pk}).status_code == 302
    assert not PriceTier.unscoped.filter(listing=listing).exists()


# --- reports ------------------------------------------------------------------------------------


@pytest.fixture
def sold_set(coop_a, member_a, member_a2, chair_a):
    """Honey bought from two households (4 l and 6 l), one finished lot of 10 jars, listed at
    250.000: one order of 3 delivered (shop), one of 2 shipped (wholesale), one of 1 cancelled."""
    from hoptac.catalog.models import Product
    from hoptac.inventory.services import finished_lot_create, raw_lot_create
    from hoptac.offtake import services as offtake

    open_shop(coop_a)
    now = timezone.now()
    with tenant(coop_a):
        product = Product.objects.create(
            cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l", sale_unit="hũ"
        )
        offtake.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=now - dt.timedelta(days=9)
        )
        lines = []
        for member, litres in ((member_a, 4), (member_a2, 6)):
            receipt = offtake.receipt_record(
                member=member,
                collected_at=now - dt.timedelta(days=5),
                lines=[offtake.LineInput(product=product, quantity=Decimal(litres), unit="l")],
            )
            lines += [line.pk for line in receipt.lines.all()]
        raw = raw_lot_create(product=product, receipt_line_ids=lines)
        finished = finished_lot_create(
            product=product,
            inputs=[(raw, Decimal(10))],
            pack_count=10,
            production_date=timezone.localdate() - dt.timedelta(days=2),
            best_before=timezone.localdate() + dt.timedelta(days=300),
        )
        listing = Listing.objects.create(cooperative=coop_a, product=product, price_vnd=250_000, weight_g=700)
    delivered = place(listing, 3, payment="cod")
    shipped = place(listing, 2, payment="cod")
    cancelled = place(listing, 1, payment="cod")
    with tenant(coop_a):
        Order.objects.filter(pk=shipped.pk).update(channel="wholesale")
        for order, steps in (
            (delivered, ("confirmed", "packed", "shipped", "delivered")),
            (shipped, ("confirmed", "packed", "shipped")),
        ):
            for to in steps:
                order = order_services.order_move(order=order, to=to, actor=chair_a, tracking_code="EB1VN")
        order_services.order_move(order=cancelled, to="cancelled", actor=chair_a, note="đổi ý")
    return {"lot": finished, "delivered": delivered, "shipped": shipped, "cancelled": cancelled}


def test_sales_report_figures_on_a_known_set(login, accountant_a, sold_set, member_a, member_a2):
    client = login(accountant_a)
    today = timezone.localdate()
    response = client.get(f"{BOARD}reports/?start={today}&end={today}")
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.orders, report.packs, report.goods_vnd) == (2, 5, 1_250_000)
    (product,) = report.by_product
    assert (product["packs"], product["amount"], product["orders"]) == (5, 1_250_000, 2)
    channels = {row["channel"]: (row["orders"], row["amount"]) for row in report.by_channel}
    assert channels == {"shop": (1, 750_000), "wholesale": (1, 500_000)}
    assert [(row["day"], row["orders"]) for row in report.by_day] == [(today, 2)]
    assert [(row["status"], row["orders"], row["amount"]) for row in report.undone] == [
        ("cancelled", 1, 250_000)
    ]
    (lot,) = report.by_lot
    assert lot.lot_code == sold_set["lot"].code and lot.packs == 5 and lot.amount_vnd == 1_250_000
    assert [(c.name, c.quantity) for c in lot.contributors] == [
        (member_a2.full_name, Decimal(6)),
        (member_a.full_name, Decimal(4)),
    ]
    assert report.households == 2
    text = page_text(response)
    assert member_a.full_name in text and sold_set["lot"].code in text
    # Another period: nothing.
    empty = client.get(
        f"{BOARD}reports/?start={today - dt.timedelta(days=30)}&end={today - dt.timedelta(days=1)}"
    )
    assert empty.context["report"].orders == 0
    # A period that ends before it starts is a message, not a 500.
    assert client.get(f"{BOARD}reports/?start={today}&end={today - dt.timedelta(days=1)}").status_code == 400


def test_sales_xlsx_reads_back_with_the_reader(login, accountant_a, sold_set, member_a):
    client = login(accountant_a)
    today = timezone.localdate()
    response = client.get(f"{BOARD}reports/sales.xlsx?start={today}&end={today}")
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    rows = [values for _n, values in xlsx.read_rows(response.content, xlsx.Limits())]
    product_rows = [r for r in rows if r and r[0] == "Mật ong bạc hà"]
    assert product_rows and product_rows[0][1:4] == (2, 5, 1_250_000)
    lot_rows = [values for _n, values in xlsx.read_rows(response.content, xlsx.Limits(), sheet=1)]
    assert any(r[0] == sold_set["lot"].code and r[2] == 5 and r[3] == 1_250_000 for r in lot_rows)
    assert any(r[4] == member_a.full_name and r[6] == 4 for r in lot_rows)
    cancelled = [values for _n, values in xlsx.read_rows(response.content, xlsx.Limits(), sheet=4)]
    assert any(r[1] == 1 and r[2] == 250_000 for r in cancelled)


# --- the packing slip -----------------------------------------------------------------------------


def test_slip_shows_code_buyer_lots_their_trace_links_and_the_cod_amount(login, sales_a, order_a):
    client = login(sales_a)
    text = page_text(client.get(f"{BOARD}orders/{order_a.code}/slip/"))
    lot = StockReservation.unscoped.filter(order_line_id=first_line(order_a).pk).first().lot
    assert order_a.code in text and order_a.buyer_name in text and lot.code in text
    assert "slip-a5.css" in text and "<svg" in text
    assert text.count("<svg") == 2  # the order's QR and the lot's trace QR
    assert f"{order_a.total_vnd:,}".replace(",", ".") in text  # cash to collect
    roll = page_text(client.get(f"{BOARD}orders/{order_a.code}/slip/?paper=80mm"))
    assert "slip-roll.css" in roll


# --- the overview card and the menus ------------------------------------------------------------


def test_the_overview_card_counts_orders_to_handle(login, chair_a, honey_shop_a):
    place(honey_shop_a, 1)
    cod = place(honey_shop_a, 1, payment="cod")
    with tenant(honey_shop_a.cooperative):
        order_services.order_move(order=cod, to=OrderStatus.CONFIRMED, actor=chair_a)
    client = login(chair_a)
    response = client.get("/c/coop-a/")
    cards = {card.key: card for card in response.context["cards"]}
    card = cards["orders"]
    assert card.number == "2"
    assert [line.value for line in card.lines] == ["1", "1", "0"]


def test_the_selling_section_is_in_the_menus(coop_a):
    for role in (Role.CHAIR, Role.ACCOUNTANT, Role.SALES):
        menus = menus_for(role=role, slug="coop-a", view_name="shop_staff:order_list")
        assert any(link.key == "selling" and link.current for link in menus.side)
    sales_tabs = menus_for(role=Role.SALES, slug="coop-a").tabs
    assert "selling" in [link.key for link in sales_tabs]
    for role in (Role.MEMBER, Role.COLLECTOR, Role.ALLIANCE):
        assert "selling" not in [link.key for link in menus_for(role=role, slug="coop-a").side]


# --- the packing slip, printed ------------------------------------------------------------------


def test_slip_template_has_no_inline_style_or_script():
    from pathlib import Path

    source = (
        Path(__file__).resolve().parent.parent / "hoptac/shop/templates/shop/staff/slip.html"
    ).read_text()
    assert "<style" not in source and " style=" not in source and "onclick" not in source


@pytest.mark.browser
@pytest.mark.parametrize(("paper", "size"), [("", (148, 210)), ("?paper=80mm", (80, 200))])
def test_slip_prints_to_pdf_on_a5_and_on_an_80_mm_roll(print_pdf, sales_a, order_a, paper, size):  # noqa: F811
    from tests.test_print import assert_paper, text_of

    pdf = print_pdf(sales_a, f"{BOARD}orders/{order_a.code}/slip/{paper}")
    assert_paper(pdf, size)
    text = text_of(pdf)
    assert order_a.code in text and order_a.buyer_name in text
    lot = StockReservation.unscoped.filter(order_line_id=first_line(order_a).pk).first().lot
    assert lot.code in text
    assert f"{order_a.total_vnd:,}".replace(",", ".") in text

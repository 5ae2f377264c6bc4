"""The shop demo: five open shops with stock, orders in every state and bank transactions
of every kind, consistent with the services (stock held, cash book), and idempotent."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.test import Client

from hoptac.core.tenancy import tenant
from hoptac.demo.loaders import load_all
from hoptac.inventory.models import StockReservation
from hoptac.inventory.selectors import available_by_product
from hoptac.lib import vietqr
from hoptac.shop.models import (
    BankTransaction,
    CarrierAccount,
    CashEntry,
    Listing,
    Order,
    OrderLine,
    OrderStatus,
    PaymentState,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    Shop,
    TxState,
)

SLUGS = {"po-my", "tuan-dung", "tay-con-linh", "thuong-son", "phin-ho"}


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "SMS_BACKEND": "file", "FILE_DIR": str(tmp_path)}
    return load_all()


def test_demo_shops_orders_and_transactions(demo):
    assert demo["shop"]["shops"] == 5
    shops = Shop.unscoped.select_related("cooperative")
    assert {s.cooperative.slug for s in shops if s.is_open and s.can_take_transfers} == SLUGS
    for shop in shops:
        with tenant(shop.cooperative):
            listings = list(Listing.objects.all())
            assert listings, shop.cooperative.slug
            stock = available_by_product([x.product_id for x in listings])
            assert all(stock[x.product_id] > 0 for x in listings), shop.cooperative.slug

    orders = Order.unscoped.all()
    assert set(orders.values_list("status", flat=True)) == set(OrderStatus.values)
    assert orders.filter(status=OrderStatus.NEW, payment_state=PaymentState.UNPAID).exists()
    assert orders.filter(status=OrderStatus.NEW, payment_state=PaymentState.PAID).exists()
    assert orders.filter(payment_state=PaymentState.PARTIAL).exists()
    assert orders.filter(status=OrderStatus.SHIPPED).exclude(tracking_code="").exists()
    assert orders.values("checkout").distinct().count() < orders.count()  # a cart of two cooperatives
    days = {o.created_at.date() for o in orders}
    assert len(days) >= 8  # spread over the last weeks
    # Orders from several channels, some through the demo's share links (reports by channel).
    assert {"shop", "marketplace", "share"} <= set(orders.values_list("channel", flat=True))
    from hoptac.shop.models import ShareLink

    codes = set(ShareLink.unscoped.values_list("code", flat=True))
    assert (
        len(codes) == 3 and set(orders.filter(channel="share").values_list("channel_ref", flat=True)) <= codes
    )

    # Po Mỷ ships with GHTK: a parcel given to the carrier, one on the way, one delivered whose
    # cash on delivery waits for the carrier's remittance; each moved by its callbacks.
    account = CarrierAccount.unscoped.get(cooperative__slug="po-my")
    assert (account.carrier, account.is_active, account.quote_at_checkout) == ("ghtk", True, False)
    shipments = {s.status: s for s in Shipment.unscoped.select_related("order")}
    assert set(shipments) == {ShipmentStatus.CREATED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED}
    for status, order_status in (
        (ShipmentStatus.CREATED, OrderStatus.PACKED),
        (ShipmentStatus.IN_TRANSIT, OrderStatus.SHIPPED),
        (ShipmentStatus.DELIVERED, OrderStatus.DELIVERED),
    ):
        shipment = shipments[status]
        assert shipment.order.status == order_status
        assert (shipment.order.carrier, shipment.order.tracking_code) == (
            "Giao Hàng Tiết Kiệm",
            shipment.tracking_code,
        )
    delivered = shipments[ShipmentStatus.DELIVERED]
    assert delivered.order.payment_method == "cod" and delivered.cod_vnd == delivered.order.owed_vnd > 0
    events = ShipmentEvent.unscoped.filter(shipment=delivered).order_by("at")
    assert [(e.carrier_status, e.applied) for e in events] == [("3", True), ("4", True), ("5", True)]
    assert not ShipmentEvent.unscoped.filter(shipment=shipments[ShipmentStatus.CREATED]).exists()

    states = set(BankTransaction.unscoped.values_list("state", flat=True))
    assert {TxState.MATCHED, TxState.PARTIAL, TxState.DUPLICATE, TxState.UNMATCHED} <= states
    # Paid amounts are the cash book's lines, order by order.
    for order in orders:
        booked = CashEntry.unscoped.filter(order=order).aggregate(s=Sum("amount_vnd"))["s"] or 0
        assert booked == order.paid_vnd, order.code
    # Open orders hold stock; cancelled ones hold none.
    cancelled = orders.get(status=OrderStatus.CANCELLED)
    lines = list(OrderLine.unscoped.filter(order=cancelled).values_list("pk", flat=True))
    assert not StockReservation.unscoped.filter(order_line_id__in=lines, state="held").exists()
    assert StockReservation.unscoped.filter(order_line_id__in=lines, state="released").exists()

    # The API shows the demo: the catalogue of the five shops, and a QR for the unpaid order.
    page = Client().get("/api/v1/catalogue").json()
    assert {item["cooperative"]["slug"] for item in page["items"]} == SLUGS
    unpaid = orders.filter(status=OrderStatus.NEW, payment_state=PaymentState.UNPAID).first()
    shop = unpaid.cooperative.shop
    payload = vietqr.payload(
        bank_bin=shop.bank_bin, account=shop.bank_account, amount=unpaid.owed_vnd, purpose=unpaid.code
    )
    assert vietqr.parse(payload)["amount"] == unpaid.total_vnd

    def counts():
        return [
            model.unscoped.count()
            for model in (Order, BankTransaction, Listing, CarrierAccount, Shipment, ShipmentEvent)
        ]

    before = counts()
    again = load_all()
    assert again["shop"] == {"shops": 0, "orders": 0, "transactions": 0}
    assert counts() == before

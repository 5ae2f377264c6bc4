"""Orders and money at the service level: a checkout across two cooperatives, stock held
first-expiring-first-out, state moves with history, no oversell under 20 concurrent
checkouts, the stock invariant under random sequences, and bank transactions settled
exactly once whatever the order and repetition of their delivery."""

from __future__ import annotations

import datetime as dt
import random
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoptac.core.tenancy import tenant
from hoptac.inventory.models import Lot, MovementKind, ReservationState, StockMovement, StockReservation
from hoptac.inventory.selectors import available_by_product
from hoptac.lib import ordercode
from hoptac.outbox.models import Message
from hoptac.shop.models import (
    BankTransaction,
    CashEntry,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentState,
    TxState,
)
from hoptac.shop.services import orders as order_services
from hoptac.shop.services import payments
from hoptac.shop.services.orders import Buyer, Choice

from .shop_fixtures import BUYER, hanoi_commune, open_shop, stocked


def buyer(**more) -> Buyer:
    return Buyer(**{**BUYER, "commune_code": hanoi_commune(), **more})


def place(items, coops, *, delivery="post", payment="bank", **more):
    return order_services.order_place(
        items=items,
        buyer=buyer(**more),
        choices={c.pk: Choice(delivery=delivery, payment=payment) for c in coops},
    )


def available(listing) -> Decimal:
    with tenant(listing.cooperative):
        return available_by_product([listing.product_id])[listing.product_id]


def test_a_cart_of_two_cooperatives_makes_two_orders_each_priced_on_the_server(honey_shop_a, tea_shop_b):
    orders = place(
        [(honey_shop_a.pk, 2), (tea_shop_b.pk, 3)], [honey_shop_a.cooperative, tea_shop_b.cooperative]
    )
    assert len(orders) == 2
    honey, tea = sorted(orders, key=lambda o: o.cooperative_id)
    assert honey.cooperative == honey_shop_a.cooperative and tea.cooperative == tea_shop_b.cooperative
    assert honey.checkout == tea.checkout
    # Mèo Vạc (Tuyên Quang) -> Hà Nội is the north zone; 2 × 700 g = 1.4 kg in the ≤ 2 kg band.
    assert (honey.subtotal_vnd, honey.delivery_fee_vnd, honey.total_vnd) == (500_000, 30_000, 530_000)
    assert (tea.subtotal_vnd, tea.total_vnd) == (540_000, 570_000)
    assert ordercode.is_valid(honey.code) and honey.code != tea.code
    assert honey.pay_by is not None and honey.payment_state == PaymentState.UNPAID
    assert available(honey_shop_a) == 8 and available(tea_shop_b) == 17
    with tenant(honey.cooperative):
        sms = Message.objects.get(source_type="order", source_id=str(honey.pk))
        assert honey.code in sms.text and "0123456789" in sms.text and "530.000" in sms.text
        assert OrderEvent.objects.filter(order=honey, what="placed").count() == 1


def test_quantity_tiers_lower_the_price_for_wholesale_buyers(honey_shop_a):
    from hoptac.shop.models import PriceTier

    with tenant(honey_shop_a.cooperative):
        PriceTier.objects.create(
            cooperative=honey_shop_a.cooperative, listing=honey_shop_a, min_quantity=5, price_vnd=220_000
        )
    (order,) = place([(honey_shop_a.pk, 6)], [honey_shop_a.cooperative])
    with tenant(order.cooperative):
        line = order.lines.get()
    assert (line.unit_price_vnd, line.line_total_vnd) == (220_000, 1_320_000)


def test_stock_is_held_first_expiring_first_and_across_lots(coop_a):
    open_shop(coop_a)
    listing = stocked(coop_a, packs=3, lots=2)  # two lots of 3, the first expires first
    (order,) = place([(listing.pk, 4)], [coop_a])
    with tenant(coop_a):
        held = list(
            StockReservation.objects.filter(order_line_id=order.lines.get().pk).order_by("lot__best_before")
        )
        assert [r.quantity for r in held] == [3, 1]
        assert held[0].lot.best_before < held[1].lot.best_before


def test_expired_lots_are_never_sold(coop_a):
    open_shop(coop_a)
    listing = stocked(coop_a, packs=5, best_before=timezone.localdate() - dt.timedelta(days=1))
    assert available(listing) == 0
    with pytest.raises(ValidationError) as caught:
        place([(listing.pk, 1)], [coop_a])
    assert "0" in str(caught.value)


def test_more_than_stock_is_refused_and_nothing_is_kept(honey_shop_a, tea_shop_b):
    with pytest.raises(ValidationError) as caught:
        place([(tea_shop_b.pk, 1), (honey_shop_a.pk, 11)], [honey_shop_a.cooperative, tea_shop_b.cooperative])
    assert "10" in " ".join(caught.value.messages)
    assert Order.unscoped.count() == 0 and StockReservation.unscoped.count() == 0
    assert Message.unscoped.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("phone", "0241234567"),
        ("commune_code", 952),
        ("province_code", 999),
        ("name", " "),
    ],
)
def test_bad_buyer_details_are_refused_by_field(honey_shop_a, field, value):
    with pytest.raises(ValidationError) as caught:
        place([(honey_shop_a.pk, 1)], [honey_shop_a.cooperative], **{field: value})
    assert set(caught.value.message_dict) & {field, "commune_code"}
    assert Order.unscoped.count() == 0


def test_a_closed_shop_or_unlisted_product_cannot_be_bought(honey_shop_a):
    coop = honey_shop_a.cooperative
    with tenant(coop):
        coop.shop.is_open = False
        coop.shop.save()
    with pytest.raises(ValidationError):
        place([(honey_shop_a.pk, 1)], [coop])
    assert Order.unscoped.count() == 0


def test_pickup_needs_no_address_and_cash_is_fine(honey_shop_a):
    (order,) = order_services.order_place(
        items=[(honey_shop_a.pk, 1)],
        buyer=Buyer(name="Lò Văn Minh", phone="0912345678"),
        choices={honey_shop_a.cooperative_id: Choice(delivery="pickup", payment="cod")},
    )
    assert order.delivery_fee_vnd == 0 and order.total_vnd == 250_000 and order.pay_by is None


def test_states_move_only_as_allowed_and_leave_a_history(honey_shop_a, chair_a):
    (order,) = place([(honey_shop_a.pk, 2)], [honey_shop_a.cooperative])
    coop = order.cooperative
    with tenant(coop):
        with pytest.raises(ValidationError):
            order_services.order_move(order=order, to=OrderStatus.SHIPPED, actor=chair_a)
        for to in (OrderStatus.CONFIRMED, OrderStatus.PACKED):
            order_services.order_move(order=order, to=to, actor=chair_a)
        with pytest.raises(ValidationError):  # post needs a tracking code
            order_services.order_move(order=order, to=OrderStatus.SHIPPED, actor=chair_a)
        order = order_services.order_move(
            order=order, to=OrderStatus.SHIPPED, actor=chair_a, carrier="GHN", tracking_code="GHN123"
        )
        sales = StockMovement.objects.filter(kind=MovementKind.SALE, reference=order.code)
        assert sales.aggregate(t=Sum("quantity"))["t"] == -2
        assert not StockReservation.objects.filter(state=ReservationState.HELD).exists()
        order = order_services.order_move(order=order, to=OrderStatus.DELIVERED, actor=chair_a)
        history = list(
            OrderEvent.objects.filter(order=order, what="status").values_list("to_status", flat=True)
        )
        assert history == ["confirmed", "packed", "shipped", "delivered"]
        assert all(e.actor == chair_a for e in OrderEvent.objects.filter(order=order, what="status"))
        texts = " ".join(Message.objects.filter(source_id=str(order.pk)).values_list("text", flat=True))
        assert "GHN123" in texts
    assert available(honey_shop_a) == 8


def test_cancelling_gives_the_stock_back_and_needs_a_reason(honey_shop_a, chair_a):
    (order,) = place([(honey_shop_a.pk, 4)], [honey_shop_a.cooperative])
    with tenant(order.cooperative):
        with pytest.raises(ValidationError):
            order_services.order_move(order=order, to=OrderStatus.CANCELLED, actor=chair_a)
        order_services.order_move(order=order, to=OrderStatus.CANCELLED, actor=chair_a, note="Khách đổi ý")
    assert available(honey_shop_a) == 10


def test_the_buyer_may_cancel_only_before_confirmation(honey_shop_a, chair_a):
    first, second = (place([(honey_shop_a.pk, 1)], [honey_shop_a.cooperative])[0] for _ in range(2))
    with tenant(first.cooperative):
        order_services.order_cancel_by_buyer(order=first)
        order_services.order_move(order=second, to=OrderStatus.CONFIRMED, actor=chair_a)
        with pytest.raises(ValidationError):
            order_services.order_cancel_by_buyer(order=second)
        assert OrderEvent.objects.get(order=first, to_status="cancelled").by_buyer


def test_unpaid_transfers_are_reminded_then_cancelled(honey_shop_a):
    (order,) = place([(honey_shop_a.pk, 3)], [honey_shop_a.cooperative])
    coop = order.cooperative
    with tenant(coop):
        start = order.created_at
        assert order_services.orders_remind_and_expire(now=start + dt.timedelta(hours=1)) == (0, 0)
        assert order_services.orders_remind_and_expire(now=start + dt.timedelta(hours=25)) == (1, 0)
        assert order_services.orders_remind_and_expire(now=start + dt.timedelta(hours=26)) == (0, 0)
        assert order_services.orders_remind_and_expire(now=start + dt.timedelta(hours=49)) == (0, 1)
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
    assert available(honey_shop_a) == 10


# --- no oversell ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_checkouts_for_the_last_five_packs(coop_a):
    open_shop(coop_a)
    listing = stocked(coop_a, packs=5)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    guard = threading.Lock()

    def checkout(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                place([(listing.pk, 1)], [coop_a], phone=f"09876543{n:02d}")
                outcome = "placed"
            except ValidationError:
                outcome = "refused"
            with guard:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=checkout, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(outcomes).count("placed") == 5 and len(outcomes) == 20, outcomes
    assert Order.unscoped.count() == 5
    assert available(listing) == 0


@st.composite
def _sequences(draw):
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(["place", "cancel", "expire", "pay", "ship"]),
                st.integers(1, 4),
                st.integers(0, 50),
            ),
            min_size=1,
            max_size=25,
        )
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_sequences())
def test_held_plus_sold_plus_available_is_what_came_in(coop_a, steps):
    with transaction.atomic():
        if not hasattr(coop_a, "shop"):
            open_shop(coop_a)
        listing = stocked(coop_a, code="INV", packs=7, lots=2)
        produced = Decimal(14)
        placed: list[Order] = []
        now = timezone.now()
        with tenant(coop_a):
            for action, qty, pick in steps:
                open_orders = [o for o in placed if o.status in ("new", "confirmed", "packed")]
                try:
                    if action == "place":
                        placed += place([(listing.pk, qty)], [coop_a])
                    elif action == "cancel" and open_orders:
                        order_services.order_move(
                            order=open_orders[pick % len(open_orders)], to="cancelled", note="x"
                        )
                    elif action == "expire":
                        now += dt.timedelta(hours=30)
                        order_services.orders_remind_and_expire(now=now)
                    elif action == "pay" and open_orders:
                        order = open_orders[pick % len(open_orders)]
                        payments.order_cash_received(order=order, amount=order.total_vnd, actor=None)
                    elif action == "ship" and open_orders:
                        order = open_orders[pick % len(open_orders)]
                        for to in ("confirmed", "packed", "shipped")[
                            ["new", "confirmed", "packed"].index(order.status) :
                        ]:
                            order_services.order_move(order=order, to=to, tracking_code="T1")
                except ValidationError:
                    pass
                for order in placed:
                    order.refresh_from_db()
                lots = Lot.objects.filter(product=listing.product)
                held = (
                    StockReservation.objects.filter(lot__in=lots, state="held").aggregate(t=Sum("quantity"))[
                        "t"
                    ]
                    or 0
                )
                sold = -(
                    StockMovement.objects.filter(lot__in=lots, kind="sale").aggregate(t=Sum("quantity"))["t"]
                    or 0
                )
                free = available_by_product([listing.product_id])[listing.product_id]
                assert held + sold + free == produced
                assert free >= 0 and held >= 0
        transaction.set_rollback(True)


# --- money ----------------------------------------------------------------------------------------


def incoming(order, amount, *, provider_id="", memo=None, source="sepay", checksum=""):
    return payments.IncomingLine(
        source=source,
        provider_id=provider_id,
        at=timezone.now(),
        amount=amount,
        memo=memo if memo is not None else f"MBVCB.3321.{order.code.lower()} chuyen tien",
        checksum=checksum,
    )


def test_the_same_transaction_delivered_three_times_pays_once(honey_shop_a):
    (order,) = place([(honey_shop_a.pk, 1)], [honey_shop_a.cooperative])
    with tenant(order.cooperative):
        results = [
            payments.transaction_receive(line=incoming(order, 280_000, provider_id="92704")) for _ in range(3)
        ]
        assert [created for _tx, created in results] == [True, False, False]
        order.refresh_from_db()
        assert (order.paid_vnd, order.payment_state) == (280_000, PaymentState.PAID)
        assert BankTransaction.objects.count() == 1 and CashEntry.objects.count() == 1
        assert results[0][0].state == TxState.MATCHED


def test_partial_overpaid_unmatched_and_duplicate(honey_shop_a):
    coop = honey_shop_a.cooperative
    first, second, third = (place([(honey_shop_a.pk, 1)], [coop])[0] for _ in range(3))
    with tenant(coop):
        tx, _ = payments.transaction_receive(line=incoming(first, 100_000, provider_id="1"))
        assert tx.state == TxState.PARTIAL
        first.refresh_from_db()
        assert first.payment_state == PaymentState.PARTIAL and first.owed_vnd == 180_000
        told = Message.objects.filter(source_id=str(first.pk)).order_by("-id").first()
        assert "180.000" in told.text
        tx, _ = payments.transaction_receive(line=incoming(second, 300_000, provider_id="2"))
        assert tx.state == TxState.OVERPAID
        tx, _ = payments.transaction_receive(line=incoming(third, 280_000, provider_id="3", memo="ung ho"))
        assert tx.state == TxState.UNMATCHED and tx.order is None
        a, _ = payments.transaction_receive(line=incoming(third, 280_000, provider_id="4", checksum="abc"))
        b, _ = payments.transaction_receive(line=incoming(third, 280_000, source="statement", checksum="abc"))
        assert (a.state, b.state) == (TxState.MATCHED, TxState.DUPLICATE)
        third.refresh_from_db()
        assert third.paid_vnd == 280_000


def test_a_payment_for_a_cancelled_order_waits_for_staff(honey_shop_a, chair_a):
    (order,) = place([(honey_shop_a.pk, 1)], [honey_shop_a.cooperative])
    with tenant(order.cooperative):
        order_services.order_move(order=order, to="cancelled", note="hết hạn", actor=chair_a)
        tx, _ = payments.transaction_receive(line=incoming(order, 280_000, provider_id="9"))
        assert tx.state == TxState.UNMATCHED and tx.order == order
        order.refresh_from_db()
        assert order.paid_vnd == 0
        with pytest.raises(ValidationError):
            payments.transaction_resolve(tx=tx, actor=chair_a, order=order)
        tx = payments.transaction_resolve(tx=tx, actor=chair_a, ignore=True, note="Đã trả lại khách")
        assert tx.state == TxState.IGNORED and tx.resolved_by == chair_a


def test_a_thousand_transactions_in_any_order_with_repeats_pay_exactly(coop_a):
    open_shop(coop_a)
    listing = stocked(coop_a, packs=100_000, price=50_000)
    rng = random.Random(12)
    orders = [place([(listing.pk, rng.randint(1, 4))], [coop_a])[0] for _ in range(60)]
    expected: dict[int, int] = {o.pk: 0 for o in orders}
    lines = []
    for n in range(700):
        order = rng.choice(orders)
        amount = rng.choice([order.total_vnd, order.total_vnd // 2, 10_000, rng.randint(1_000, 500_000)])
        lines.append(incoming(order, amount, provider_id=f"tx{n}"))
        expected[order.pk] += amount
    deliveries = lines + [rng.choice(lines) for _ in range(300)]  # 1,000 deliveries, 300 repeats
    rng.shuffle(deliveries)
    with tenant(coop_a):
        for line in deliveries:
            payments.transaction_receive(line=line)
        assert BankTransaction.objects.count() == 700
        for order in Order.objects.all():
            assert order.paid_vnd == expected[order.pk]
            assert (
                CashEntry.objects.filter(order=order).aggregate(t=Sum("amount_vnd"))["t"]
                or order.paid_vnd == 0
            )
        numbers = list(CashEntry.objects.values_list("number", flat=True))
        assert numbers == list(range(1, 701))


def test_the_cash_book_is_append_only(honey_shop_a):
    from hoptac.shop.models import AppendOnly

    (order,) = place([(honey_shop_a.pk, 1)], [honey_shop_a.cooperative])
    with tenant(order.cooperative):
        payments.order_cash_received(order=order, amount=280_000, actor=None)
        entry = CashEntry.objects.get()
        entry.amount_vnd = 1
        for attempt in (
            entry.save,
            entry.delete,
            lambda: CashEntry.objects.update(amount_vnd=2),
            lambda: CashEntry.objects.all().delete(),
        ):
            with pytest.raises(AppendOnly), transaction.atomic():
                attempt()

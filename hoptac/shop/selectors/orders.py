"""Reads for the cooperative's order board and order page (current cooperative only).

The board's query is the same whatever the number of orders: one count per status (one
query), one page of orders (one query). The order page loads its lines, the lots holding
them, its bank transactions, cash entries and history in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from hoptac.inventory.models import ReservationState, StockReservation
from hoptac.shop.models import (
    NEEDS_LOOK,
    BankTransaction,
    CashEntry,
    Listing,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentState,
)


@dataclass(frozen=True)
class BoardFilter:
    status: str = ""
    payment: str = ""
    channel: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    q: str = ""


def _search(qs: QuerySet, text: str) -> QuerySet:
    text = " ".join(text.split())[:60]
    if not text:
        return qs
    digits = "".join(ch for ch in text if ch.isdigit())
    cond = Q(code__iexact=text.replace(" ", "").upper()) | Q(buyer_name__icontains=text)
    if len(digits) >= 4 and len(digits) >= len(text.replace(" ", "")) - 3:
        if digits.startswith("84"):
            digits = "0" + digits[2:]
        cond |= Q(buyer_phone__contains=digits)
    return qs.filter(cond)


def _filtered(flt: BoardFilter, *, with_status: bool) -> QuerySet:
    qs = Order.objects.all()
    if with_status and flt.status:
        qs = qs.filter(status=flt.status)
    if flt.payment:
        qs = qs.filter(payment_state=flt.payment)
    if flt.channel:
        qs = qs.filter(channel=flt.channel)
    if flt.start:
        qs = qs.filter(created_at__date__gte=flt.start)
    if flt.end:
        qs = qs.filter(created_at__date__lte=flt.end)
    return _search(qs, flt.q)


def order_board(flt: BoardFilter) -> QuerySet[Order]:
    """The orders matching the board's filters, newest first, with their line count."""
    return _filtered(flt, with_status=True).annotate(line_count=Count("lines")).order_by("-created_at", "-id")


def status_counts(flt: BoardFilter) -> dict[str, int]:
    """Orders per status under the board's other filters (one query), with ``""`` the total."""
    counts = dict.fromkeys(OrderStatus.values, 0)
    for row in _filtered(flt, with_status=False).order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts[""] = sum(counts.values())
    return counts


def order_by_code(code: str) -> Order | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 12:
        return None
    return Order.objects.filter(code=code).first()


@dataclass
class LineLots:
    line: OrderLine
    lots: list[tuple[object, Decimal, str]] = field(default_factory=list)  # (lot, quantity, state)


@dataclass
class OrderPage:
    order: Order
    lines: list[LineLots]
    transactions: list[BankTransaction]
    cash_entries: list[CashEntry]
    events: list[OrderEvent]


def order_page(order: Order) -> OrderPage:
    """Everything the order page shows, in six queries."""
    lines = list(order.lines.select_related("product").order_by("id"))
    by_line: dict[int, LineLots] = {line.pk: LineLots(line=line) for line in lines}
    reservations = (
        StockReservation.objects.filter(order_line_id__in=list(by_line))
        .exclude(state=ReservationState.RELEASED)
        .select_related("lot")
        .order_by("id")
    )
    for r in reservations:
        by_line[r.order_line_id].lots.append((r.lot, r.quantity, r.state))
    return OrderPage(
        order=order,
        lines=list(by_line.values()),
        transactions=list(order.transactions.order_by("at", "id")),
        cash_entries=list(order.cash_entries.order_by("number")),
        events=list(order.events.select_related("actor").order_by("at", "id")),
    )


def lots_of_order(order: Order) -> dict[int, list[tuple[object, Decimal]]]:
    """Order line id → [(lot, packs)] of the stock held or sold for it (one query)."""
    result: dict[int, list] = {}
    line_ids = list(order.lines.values_list("pk", flat=True))
    for r in (
        StockReservation.objects.filter(order_line_id__in=line_ids)
        .exclude(state=ReservationState.RELEASED)
        .select_related("lot")
        .order_by("id")
    ):
        result.setdefault(r.order_line_id, []).append((r.lot, r.quantity))
    return result


def listings_with_stock():
    """Every active product of the catalog with its listing (or None), packs available and
    packs held for orders, for the listings page (four queries)."""
    from hoptac.catalog.models import Product
    from hoptac.inventory.selectors import available_by_product

    products = list(Product.objects.filter(is_active=True).order_by("name"))
    listings = {
        listing.product_id: listing for listing in Listing.objects.prefetch_related("tiers").order_by()
    }
    available = available_by_product([p.pk for p in products])
    held = {
        row["lot__product_id"]: Decimal(row["t"] or 0)
        for row in StockReservation.objects.filter(state=ReservationState.HELD)
        .values("lot__product_id")
        .annotate(t=Sum("quantity"))
    }
    return [
        {
            "product": p,
            "listing": listings.get(p.pk),
            "available": available.get(p.pk, Decimal(0)),
            "held": held.get(p.pk, Decimal(0)),
        }
        for p in products
    ]


@dataclass(frozen=True)
class ToHandle:
    to_confirm: int
    to_pack: int
    unmatched: int


def orders_to_handle() -> ToHandle:
    """The dashboard card's figures: new orders to confirm (paid if by transfer, or cash on
    delivery), paid or cash-on-delivery orders confirmed and waiting to be packed, and bank
    transactions waiting for someone to look at them (three counts, two queries)."""
    ready = Q(payment_method=PaymentMethod.COD) | Q(
        payment_state__in=(PaymentState.PAID, PaymentState.OVERPAID)
    )
    counts = Order.objects.filter(status__in=(OrderStatus.NEW, OrderStatus.CONFIRMED)).aggregate(
        to_confirm=Count("id", filter=Q(status=OrderStatus.NEW)),
        to_pack=Count("id", filter=Q(status=OrderStatus.CONFIRMED) & ready),
    )
    unmatched = BankTransaction.objects.filter(state__in=NEEDS_LOOK).count()
    return ToHandle(to_confirm=counts["to_confirm"], to_pack=counts["to_pack"], unmatched=unmatched)


def today() -> dt.date:
    return timezone.localdate()


def product_or_none(product_id: int):
    from hoptac.catalog.models import Product

    return Product.objects.filter(pk=product_id).first()


def listing_of(product) -> Listing | None:
    return Listing.objects.filter(product=product).first()


def delivery_rates() -> list:
    from hoptac.shop.models import DeliveryRate

    return list(DeliveryRate.objects.all())

"""Sales reports of the current cooperative for a period: by product, by lot, by channel
(and per live sale and share link, named through ``shop.channels``), by day, the cancelled orders apart, and whose produce was sold (the member households
whose purchase receipts went into each lot sold).

An order counts as *sold* once it is shipped or delivered; cancelled and returned orders are
counted apart. The period is the day the order was placed. Every report is a fixed number
of queries whatever the number of orders. The same figures feed the page and the xlsx, and
later the alliance's sums (issue 15).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from hoptac.inventory.models import LotInput, LotSource, ReservationState, StockReservation
from hoptac.lib.units import quantize_qty
from hoptac.shop import channels as channel_names
from hoptac.shop.models import Channel, Order, OrderLine, OrderStatus

SOLD = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
UNDONE = (OrderStatus.CANCELLED, OrderStatus.RETURNED)


@dataclass
class Contributor:
    member_id: int
    name: str
    village: str
    quantity: Decimal
    unit: str


@dataclass
class LotSold:
    lot_id: int
    lot_code: str
    product: str
    packs: Decimal
    amount_vnd: int
    contributors: list[Contributor] = field(default_factory=list)


@dataclass
class SalesReport:
    start: dt.date
    end: dt.date
    orders: int
    packs: int
    goods_vnd: int
    delivery_vnd: int
    by_product: list[dict]
    by_lot: list[LotSold]
    by_channel: list[dict]  # channel, label, orders, amount (goods), paid
    by_source: list[dict]  # per live sale / share link: channel, ref, name, label, orders, amount, paid
    by_day: list[dict]
    undone: list[dict]  # cancelled / returned: status, orders, goods

    @property
    def households(self) -> int:
        return len({c.member_id for lot in self.by_lot for c in lot.contributors})


def _orders(start: dt.date, end: dt.date):
    return Order.objects.filter(created_at__date__gte=start, created_at__date__lte=end)


def sales_report_size(*, start: dt.date, end: dt.date) -> int:
    """The lines of the orders sold in the period (one COUNT): what :func:`sales_report`
    reads, and a bound of its longest sheet (a lot and its households); the xlsx goes to the
    worker beyond a size."""
    return OrderLine.objects.filter(order__in=_orders(start, end).filter(status__in=SOLD)).count()


def sales_report(*, start: dt.date, end: dt.date) -> SalesReport:
    sold = _orders(start, end).filter(status__in=SOLD)
    totals = sold.aggregate(n=Count("id"), goods=Sum("subtotal_vnd"), fee=Sum("delivery_fee_vnd"))
    lines = OrderLine.objects.filter(order__in=sold)
    by_product = list(
        lines.values("product_id", "name")
        .annotate(packs=Sum("quantity"), amount=Sum("line_total_vnd"), orders=Count("order", distinct=True))
        .order_by("-amount", "name")
    )
    channels = dict(Channel.choices)
    by_channel = [
        {**row, "label": channels.get(row["channel"], row["channel"])}
        for row in sold.values("channel")
        .annotate(orders=Count("id"), amount=Sum("subtotal_vnd"), paid=Sum("paid_vnd"))
        .order_by("-amount", "channel")
    ]
    by_source = _by_source(sold, channels)
    by_day = list(
        sold.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(orders=Count("id"), amount=Sum("subtotal_vnd"))
        .order_by("day")
    )
    statuses = dict(OrderStatus.choices)
    undone = [
        {**row, "label": statuses[row["status"]]}
        for row in _orders(start, end)
        .filter(status__in=UNDONE)
        .values("status")
        .annotate(orders=Count("id"), amount=Sum("subtotal_vnd"))
        .order_by("status")
    ]
    return SalesReport(
        start=start,
        end=end,
        orders=totals["n"] or 0,
        packs=sum(int(r["packs"] or 0) for r in by_product),
        goods_vnd=int(totals["goods"] or 0),
        delivery_vnd=int(totals["fee"] or 0),
        by_product=by_product,
        by_lot=_by_lot(lines),
        by_channel=by_channel,
        by_source=by_source,
        by_day=by_day,
        undone=undone,
    )


DETAILED = (Channel.LIVE, Channel.SHARE)  # channels whose orders name their source (a code)


def _by_source(sold, labels: dict) -> list[dict]:
    """Orders, goods and paid per live sale and per share link, each named (two or three
    queries: the figures, then one per channel for the names, through ``shop.channels``;
    a code no resolver knows is shown as it is)."""
    rows = list(
        sold.filter(channel__in=DETAILED)
        .exclude(channel_ref="")
        .values("channel", "channel_ref")
        .annotate(orders=Count("id"), amount=Sum("subtotal_vnd"), paid=Sum("paid_vnd"))
        .order_by("channel", "-amount", "channel_ref")
    )
    names: dict[str, dict[str, str]] = {}
    for channel in DETAILED:
        codes = [r["channel_ref"] for r in rows if r["channel"] == channel]
        names[channel] = channel_names.names(channel, codes) if codes else {}
    return [
        {
            **row,
            "label": labels.get(row["channel"], row["channel"]),
            "name": names[row["channel"]].get(row["channel_ref"], row["channel_ref"]),
        }
        for row in rows
    ]


def _by_lot(lines) -> list[LotSold]:
    """Packs sold per lot (the reservations turned into sales), the amount shared by packs,
    and the households whose produce went into each lot (four queries)."""
    prices = {row["pk"]: row["unit_price_vnd"] for row in lines.values("pk", "unit_price_vnd")}
    if not prices:
        return []
    lots: dict[int, LotSold] = {}
    for r in (
        StockReservation.objects.filter(order_line_id__in=list(prices), state=ReservationState.SOLD)
        .select_related("lot__product")
        .order_by("lot__code")
    ):
        entry = lots.get(r.lot_id)
        if entry is None:
            entry = lots[r.lot_id] = LotSold(
                lot_id=r.lot_id,
                lot_code=r.lot.code,
                product=r.lot.product.name,
                packs=Decimal(0),
                amount_vnd=0,
            )
        entry.packs += r.quantity
        entry.amount_vnd += int(r.quantity * prices[r.order_line_id])
    # Finished lots are made of raw lots; raw lots of purchase receipt lines of members.
    raw_of: dict[int, set[int]] = defaultdict(set)
    for lot_id in lots:
        raw_of[lot_id].add(lot_id)  # a raw lot sold as it is
    for row in LotInput.objects.filter(lot_id__in=list(lots)).values("lot_id", "source_id"):
        raw_of[row["lot_id"]].add(row["source_id"])
    raw_ids = {raw for raws in raw_of.values() for raw in raws}
    per_raw: dict[int, dict[int, Contributor]] = defaultdict(dict)
    for source in LotSource.objects.filter(lot_id__in=raw_ids, removed_at__isnull=True).select_related(
        "receipt_line__receipt__member__village", "receipt_line__product"
    ):
        member = source.receipt_line.receipt.member
        known = per_raw[source.lot_id].get(member.pk)
        if known is None:
            per_raw[source.lot_id][member.pk] = Contributor(
                member_id=member.pk,
                name=member.full_name,
                village=member.village.name if member.village else "",
                quantity=source.quantity,
                unit=source.receipt_line.product.unit_label,
            )
        else:
            known.quantity += source.quantity
    for lot_id, entry in lots.items():
        merged: dict[int, Contributor] = {}
        for raw in sorted(raw_of[lot_id]):
            for member_id, c in per_raw.get(raw, {}).items():
                if member_id in merged:
                    merged[member_id].quantity += c.quantity
                else:
                    merged[member_id] = Contributor(**{**c.__dict__})
        for c in merged.values():
            c.quantity = quantize_qty(c.quantity)
        entry.packs = quantize_qty(entry.packs)
        entry.contributors = sorted(merged.values(), key=lambda c: (-c.quantity, c.name))
    return sorted(lots.values(), key=lambda e: (e.product, e.lot_code))

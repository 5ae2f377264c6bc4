"""Reads of money in: bank transactions (the queue of those needing a look first), the
cash/bank book with its running total, orders to assign a transaction to, and what each line
of a statement would do if imported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, Sum, Value, When, Window
from django.utils import timezone

from hoptac.lib import ordercode
from hoptac.lib.banknotify import BankLine
from hoptac.lib.text import fold
from hoptac.shop.models import BankTransaction, CashEntry, Order, OrderStatus, TxState

# What staff must look at: no order found, more than owed, or the same line seen twice.
QUEUE_STATES = (TxState.UNMATCHED, TxState.OVERPAID, TxState.DUPLICATE)


def _day_bounds(day: dt.date, *, end: bool = False) -> dt.datetime:
    moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min)
    return timezone.make_aware(moment)


def transactions_list(
    *, state: str = "", source: str = "", date_from: dt.date | None = None, date_to: dt.date | None = None
):
    """The current cooperative's transactions, those needing a look first, newest first."""
    qs = BankTransaction.objects.select_related("order")
    if state == "queue":
        qs = qs.filter(state__in=QUEUE_STATES)
    elif state:
        qs = qs.filter(state=state)
    if source:
        qs = qs.filter(source=source)
    if date_from:
        qs = qs.filter(at__gte=_day_bounds(date_from))
    if date_to:
        qs = qs.filter(at__lt=_day_bounds(date_to, end=True))
    return qs.annotate(
        needs_look=Case(
            When(state__in=QUEUE_STATES, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("needs_look", "-at", "-id")


def queue_count() -> int:
    return BankTransaction.objects.filter(state__in=QUEUE_STATES).count()


def transaction_get(pk) -> BankTransaction:
    """One transaction of the current cooperative; ``DoesNotExist`` otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise BankTransaction.DoesNotExist from None
    return BankTransaction.objects.select_related("order", "resolved_by").get(pk=pk)


def transaction_cash_entries(tx: BankTransaction):
    return CashEntry.objects.filter(transaction=tx).order_by("number")


def orders_search(query: str, *, limit: int = 20) -> list[Order]:
    """Orders to assign a transaction to: by order code (found in the text however it is
    written), buyer name (accents and case ignored) or phone."""
    query = (query or "").strip()[:100]
    if not query:
        return []
    qs = Order.objects.order_by("-created_at")
    codes = ordercode.find_codes(query)
    digits = "".join(c for c in query if c.isdigit())
    condition = Q(code__iexact=query.replace(" ", ""))
    if codes:
        condition |= Q(code__in=codes)
    if len(digits) >= 6 and len(digits) == len(query.replace(" ", "")):
        condition |= Q(buyer_phone__contains=digits)
    found = list(qs.filter(condition)[:limit])
    if len(found) < limit and len(query) >= 2:
        wanted = fold(query)
        seen = {o.pk for o in found}
        for order in qs.exclude(pk__in=seen).only(
            "pk",
            "code",
            "buyer_name",
            "buyer_phone",
            "total_vnd",
            "paid_vnd",
            "status",
            "payment_state",
            "created_at",
        )[:2000]:
            if wanted in fold(order.buyer_name):
                found.append(order)
                if len(found) >= limit:
                    break
    return found


def cash_book(*, date_from: dt.date | None = None, date_to: dt.date | None = None):
    """``(entries, opening)``: the book's lines in number order, each with ``running`` (the
    balance after it), and the balance before the first line shown."""
    qs = CashEntry.objects.select_related("order", "transaction")
    opening = 0
    if date_from:
        start = _day_bounds(date_from)
        opening = CashEntry.objects.filter(at__lt=start).aggregate(s=Sum("amount_vnd"))["s"] or 0
        qs = qs.filter(at__gte=start)
    if date_to:
        qs = qs.filter(at__lt=_day_bounds(date_to, end=True))
    qs = qs.annotate(running_sum=Window(Sum("amount_vnd"), order_by=["number"])).order_by("number")
    return qs, opening


def cash_totals() -> dict:
    totals = {"bank": 0, "cash": 0}
    for row in CashEntry.objects.values("account").annotate(s=Sum("amount_vnd")).order_by():
        totals[row["account"]] = row["s"] or 0
    return totals


@dataclass(frozen=True)
class PreviewLine:
    line: BankLine
    outcome: str  # "order" | "partial" | "overpaid" | "duplicate" | "unmatched" | "out" | "cancelled"
    order: Order | None = None


def statement_preview(lines) -> list[PreviewLine]:
    """What importing each line would do, without writing anything. A line repeated in the
    same file counts as a duplicate of the first."""
    checksums = {line.checksum for line in lines}
    known = set(BankTransaction.objects.filter(checksum__in=checksums).values_list("checksum", flat=True))
    wanted: dict[str, Order] = {}
    codes = {code for line in lines for code in ordercode.find_codes(line.memo or "")}
    for order in Order.objects.filter(code__in=codes):
        wanted[order.code] = order
    owed = {o.pk: o.total_vnd - o.paid_vnd for o in wanted.values()}
    seen: set[str] = set()
    out: list[PreviewLine] = []
    for line in lines:
        if line.amount <= 0:
            out.append(PreviewLine(line, "out"))
            continue
        if line.checksum in known or line.checksum in seen:
            out.append(PreviewLine(line, "duplicate"))
            continue
        seen.add(line.checksum)
        order = next((wanted[c] for c in ordercode.find_codes(line.memo or "") if c in wanted), None)
        if order is None:
            out.append(PreviewLine(line, "unmatched"))
        elif order.status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
            out.append(PreviewLine(line, "cancelled", order))
        else:
            left = owed[order.pk]
            outcome = "order" if line.amount == left else ("partial" if line.amount < left else "overpaid")
            owed[order.pk] = left - line.amount
            out.append(PreviewLine(line, outcome, order))
    return out

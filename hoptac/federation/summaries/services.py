"""The worker's refresh of the overview's summaries (``federation.overview_models``).

``overview_refresh`` recomputes, for every active cooperative (or those of one province),
what a live aggregate could not give the overview in under a second at province scale:

- buying per cooperative, month and product (one GROUP BY over receipt lines);
- payments per cooperative and month: households paid, amount, and how many days the
  receipts they settled had waited, first in first paid (one ordered pass over the payable
  side of the ledger, in the worker, never in a page);
- per cooperative, its last activity (receipt, ledger entry, order or member added) and the
  households it has owed for more than 30 days.

All of it is replaced in one transaction, so the overview never sees half a refresh. It
reads across cooperatives on purpose (``unscoped``): it serves the provincial alliance.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from hoptac.coops.models import Cooperative, Member
from hoptac.federation.overview_models import BuyingMonth, CoopFigures, CoopMonth
from hoptac.ledger.models import Entry, EntryKind
from hoptac.offtake.models import Receipt, ReceiptLine, ReceiptStatus
from hoptac.shop.models import Order

WAITING_DAYS = 30  # a member owed money for longer than this is "waiting" (issue 15)
_SETTLING = (EntryKind.PAYOUT, EntryKind.DEDUCTION)


def _month(value: dt.datetime) -> dt.date:
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return local.date().replace(day=1)


def _as_month(value) -> dt.date:
    return _month(value) if isinstance(value, dt.datetime) else value.replace(day=1)


def _buying_rows(coop_ids: list[int]) -> list[BuyingMonth]:
    rows = (
        ReceiptLine.unscoped.filter(cooperative_id__in=coop_ids, receipt__status=ReceiptStatus.CONFIRMED)
        .annotate(month=TruncMonth("receipt__collected_at"))
        .values("cooperative_id", "month", "product__name", "product__base_unit")
        .annotate(
            quantity=Sum("net_quantity"),
            amount=Sum("amount_vnd"),
            receipts=Count("receipt_id", distinct=True),
            households=Count("receipt__member_id", distinct=True),
        )
        .order_by()
    )
    return [
        BuyingMonth(
            cooperative_id=row["cooperative_id"],
            month=_as_month(row["month"]),
            product_name=row["product__name"],
            unit=row["product__base_unit"] or "",
            quantity=row["quantity"] or Decimal(0),
            amount_vnd=row["amount"] or 0,
            receipts=row["receipts"],
            households=row["households"],
        )
        for row in rows
    ]


def _households_sold(coop_ids: list[int]) -> dict[tuple[int, dt.date], int]:
    rows = (
        Receipt.unscoped.filter(cooperative_id__in=coop_ids, status=ReceiptStatus.CONFIRMED)
        .annotate(month=TruncMonth("collected_at"))
        .values("cooperative_id", "month")
        .annotate(households=Count("member_id", distinct=True))
        .order_by()
    )
    return {(row["cooperative_id"], _as_month(row["month"])): row["households"] for row in rows}


def _payments(coop_ids: list[int], today: dt.date, sold: dict[tuple[int, dt.date], int]):
    """One pass over the payable side of the ledger, member by member in time order.

    Purchases queue up; whatever lowers what is owed (a payout, a deduction of loans, a
    reversal) settles the oldest first. A purchase fully settled by a payout or a deduction
    counts its days of waiting in the month of that payment. What is left in the queue at the
    end is owed still: a household whose oldest unsettled purchase is older than 30 days,
    and to whom the cooperative owes money on balance, is waiting."""
    entries = (
        Entry.unscoped.filter(cooperative_id__in=coop_ids)
        .exclude(payable_delta=0, receivable_delta=0)
        .order_by("member_id", "occurred_at", "id")
        .values_list(
            "cooperative_id", "member_id", "kind", "occurred_at", "payable_delta", "receivable_delta"
        )
    )
    months: dict[tuple[int, dt.date], dict] = defaultdict(
        lambda: {"members": set(), "paid": 0, "settled": 0, "days": 0}
    )
    waiting: dict[int, list] = defaultdict(lambda: [0, 0, 0])  # households, amount, oldest days

    def close(coop_id, queue, net):
        if net > 0 and queue:
            oldest = (today - timezone.localtime(queue[0][1]).date()).days
            if oldest > WAITING_DAYS:
                acc = waiting[coop_id]
                acc[0] += 1
                acc[1] += net
                acc[2] = max(acc[2], oldest)

    current = None
    queue: deque = deque()
    net = 0
    coop_of_member = None
    for coop_id, member_id, kind, at, payable, receivable in entries.iterator(chunk_size=5000):
        if member_id != current:
            if current is not None:
                close(coop_of_member, queue, net)
            current, coop_of_member, queue, net = member_id, coop_id, deque(), 0
        net += payable - receivable
        if payable > 0:
            queue.append([payable, at])
        elif payable < 0:
            if kind in _SETTLING:
                bucket = months[(coop_id, _month(at))]
                bucket["members"].add(member_id)
                if kind == EntryKind.PAYOUT:
                    bucket["paid"] += -payable
            left = -payable
            while left > 0 and queue:
                head = queue[0]
                used = min(left, head[0])
                head[0] -= used
                left -= used
                if head[0] == 0:
                    queue.popleft()
                    if kind in _SETTLING:
                        bucket["settled"] += 1
                        bucket["days"] += max(
                            0, (timezone.localtime(at).date() - timezone.localtime(head[1]).date()).days
                        )
    if current is not None:
        close(coop_of_member, queue, net)
    for key in sold:
        months[key]  # a month with sales but no payment still gets its row
    payout_rows = [
        CoopMonth(
            cooperative_id=coop_id,
            month=month,
            households_sold=sold.get((coop_id, month), 0),
            households_paid=len(b["members"]),
            paid_vnd=b["paid"],
            settled_receipts=b["settled"],
            wait_days_total=b["days"],
        )
        for (coop_id, month), b in months.items()
    ]
    return payout_rows, waiting


def _last_activity(coop_ids: list[int]) -> dict[int, dt.datetime]:
    last: dict[int, dt.datetime] = {}
    sources = [
        (ReceiptLine.unscoped.filter(cooperative_id__in=coop_ids), "receipt__collected_at"),
        (Entry.unscoped.filter(cooperative_id__in=coop_ids), "occurred_at"),
        (Order.unscoped.filter(cooperative_id__in=coop_ids), "created_at"),
        (Member.unscoped.filter(cooperative_id__in=coop_ids), "created_at"),
    ]
    for queryset, field in sources:
        for row in queryset.values("cooperative_id").annotate(at=Max(field)).order_by():
            if row["at"] is not None and (
                row["cooperative_id"] not in last or row["at"] > last[row["cooperative_id"]]
            ):
                last[row["cooperative_id"]] = row["at"]
    return last


@transaction.atomic
def overview_refresh(*, province_code: int | None = None, now: dt.datetime | None = None) -> int:
    """Recompute the overview's summaries of every active cooperative (of ``province_code``
    when given). Returns how many cooperatives were refreshed."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    coops = Cooperative.objects.filter(is_active=True)
    if province_code is not None:
        coops = coops.filter(province_code=province_code)
    coop_ids = list(coops.values_list("pk", flat=True))
    buying = _buying_rows(coop_ids)
    payouts, waiting = _payments(coop_ids, today, _households_sold(coop_ids))
    last = _last_activity(coop_ids)
    for model in (BuyingMonth, CoopMonth, CoopFigures):
        model.unscoped.filter(cooperative_id__in=coop_ids).delete()
    BuyingMonth.unscoped.bulk_create(buying, batch_size=2000)
    CoopMonth.unscoped.bulk_create(payouts, batch_size=2000)
    CoopFigures.unscoped.bulk_create(
        [
            CoopFigures(
                cooperative_id=coop_id,
                last_activity_at=last.get(coop_id),
                households_waiting=waiting[coop_id][0] if coop_id in waiting else 0,
                waiting_vnd=waiting[coop_id][1] if coop_id in waiting else 0,
                oldest_wait_days=waiting[coop_id][2] if coop_id in waiting else 0,
                refreshed_at=now,
            )
            for coop_id in coop_ids
        ],
        batch_size=2000,
    )
    return len(coop_ids)

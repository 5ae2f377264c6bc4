"""Reads of the member ledger. ``member_balance`` is THE definition of a member's balance:
every page, statement, SMS and API answer calls it (or ``balances_for`` for many)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from hoptac.ledger.models import Entry, EntryKind


@dataclass(frozen=True)
class Balance:
    payable: int  # the cooperative owes the member (produce bought, less payouts)
    receivable: int  # the member owes the cooperative (advances and loans, less deductions)

    @property
    def net(self) -> int:
        """Positive: the cooperative owes the member. Negative: the member owes."""
        return self.payable - self.receivable

    @property
    def payable_now(self) -> int:
        """What can be paid out in cash today after netting every outstanding loan."""
        return max(0, self.net)


ZERO = Balance(0, 0)


def _sums(qs) -> Balance:
    row = qs.aggregate(
        payable=Coalesce(Sum("payable_delta"), 0), receivable=Coalesce(Sum("receivable_delta"), 0)
    )
    return Balance(payable=row["payable"], receivable=row["receivable"])


def member_balance(member, *, at: dt.datetime | None = None) -> Balance:
    """The balance of ``member`` after every entry up to ``at`` (inclusive), or now."""
    qs = Entry.objects.filter(member=member)
    if at is not None:
        qs = qs.filter(occurred_at__lte=at)
    return _sums(qs)


def balances_for(member_ids) -> dict[int, Balance]:
    """Balances of many members in one query (same definition as ``member_balance``)."""
    rows = (
        Entry.objects.filter(member_id__in=list(member_ids))
        .values("member_id")
        .annotate(payable=Sum("payable_delta"), receivable=Sum("receivable_delta"))
    )
    result = dict.fromkeys(member_ids, ZERO)
    for row in rows:
        result[row["member_id"]] = Balance(row["payable"] or 0, row["receivable"] or 0)
    return result


@dataclass(frozen=True)
class StatementLine:
    entry: Entry
    balance_after: int


@dataclass(frozen=True)
class Statement:
    member: object
    start: dt.datetime
    end: dt.datetime
    opening: Balance
    closing: Balance
    lines: list[StatementLine]

    @property
    def total_in(self) -> int:
        return sum(line.entry.net for line in self.lines if line.entry.net > 0)

    @property
    def total_out(self) -> int:
        return sum(-line.entry.net for line in self.lines if line.entry.net < 0)


def statement(member, *, start: dt.datetime, end: dt.datetime) -> Statement:
    """Sao kê: opening balance before ``start``, entries in [start, end), closing balance.

    Three queries whatever the number of entries. The closing balance of one period is
    the opening balance of the next, by construction (same boundary, half-open range).
    """
    opening = _sums(Entry.objects.filter(member=member, occurred_at__lt=start))
    entries = list(
        Entry.objects.filter(member=member, occurred_at__gte=start, occurred_at__lt=end)
        .select_related("reverses", "created_by")
        .order_by("occurred_at", "id")
    )
    running = opening.net
    lines = []
    payable, receivable = opening.payable, opening.receivable
    for entry in entries:
        running += entry.net
        payable += entry.payable_delta
        receivable += entry.receivable_delta
        lines.append(StatementLine(entry=entry, balance_after=running))
    return Statement(
        member=member,
        start=start,
        end=end,
        opening=opening,
        closing=Balance(payable, receivable),
        lines=lines,
    )


def entries_of(member) -> QuerySet[Entry]:
    return Entry.objects.filter(member=member).order_by("-occurred_at", "-id")


def outstanding_loans(member) -> QuerySet[Entry]:
    """Advances and input loans of ``member`` that have not been reversed."""
    return (
        Entry.objects.filter(member=member, kind__in=[EntryKind.ADVANCE, EntryKind.INPUT_LOAN])
        .filter(Q(reversed_by__isnull=True))
        .order_by("occurred_at", "id")
    )

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

    Two queries whatever the number of entries. The closing balance of one period is
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


# --- reads for the ledger pages -----------------------------------------------------------


def _is_reversed():
    from django.db.models import Exists, OuterRef

    return Exists(Entry.objects.filter(reverses=OuterRef("pk")))


def ledger_entries(member) -> QuerySet[Entry]:
    """Entries of ``member``, newest first, each with ``is_reversed`` and the entry it reverses."""
    return entries_of(member).select_related("reverses").annotate(is_reversed=_is_reversed())


@dataclass(frozen=True)
class OutstandingLoan:
    entry: Entry
    outstanding: int  # what is still owed of this advance or loan


@dataclass(frozen=True)
class Outstanding:
    loans: list[OutstandingLoan]
    other: int  # owed but not explained by an advance or loan (e.g. an opening adjustment)

    @property
    def total(self) -> int:
        return sum(loan.outstanding for loan in self.loans) + self.other


def loans_outstanding(member, balance: Balance) -> Outstanding:
    """Which advances and loans make up what ``member`` owes (``balance.receivable``).

    Deductions repay the oldest first, so what is owed is the newest loans, the oldest of
    them perhaps in part. One query whatever the number of loans.
    """
    remaining = max(0, balance.receivable)
    loans: list[OutstandingLoan] = []
    for entry in reversed(list(outstanding_loans(member))):
        if remaining <= 0:
            break
        part = min(entry.receivable_delta, remaining)
        loans.append(OutstandingLoan(entry=entry, outstanding=part))
        remaining -= part
    loans.reverse()
    return Outstanding(loans=loans, other=remaining)


def payout_entries(code: str) -> list[Entry]:
    """The deduction and payout entries written under the payout ``code`` (e.g. CHI000123),
    each with ``is_reversed``; empty when there is no such payout in this cooperative."""
    return list(
        Entry.objects.filter(code=code, kind__in=[EntryKind.DEDUCTION, EntryKind.PAYOUT])
        .select_related("member__village", "created_by")
        .annotate(is_reversed=_is_reversed())
        .order_by("id")
    )


def entry_get(entry_uuid) -> Entry:
    """One entry of the current cooperative, with its member and ``is_reversed``."""
    return (
        Entry.objects.select_related("member", "reverses")
        .annotate(is_reversed=_is_reversed())
        .get(uuid=entry_uuid)
    )

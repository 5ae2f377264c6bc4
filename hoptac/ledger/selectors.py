"""Reads of the member ledger. ``member_balance`` is THE definition of a member's balance:
every page, statement, SMS and API answer calls it (or ``balances_for`` for many)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from hoptac.ledger.models import (
    BankPayout,
    CloseReason,
    Entry,
    EntryKind,
    PayoutRun,
    PayoutStatus,
    PeriodClose,
)


@dataclass(frozen=True)
class Balance:
    payable: int  # the cooperative owes the member (produce bought, less payouts)
    receivable: int  # the member owes the cooperative (advances and loans, less deductions)

    @property
    def net(self) -> int:
        """Positive: the cooperative owes the member. Negative: the member owes."""
        return self.payable - self.receivable

    @property
    def member_owes(self) -> int:
        """What the member owes the cooperative after netting, as a positive number (0 if none):
        printed and sent in words, never as a negative amount."""
        return max(0, -self.net)

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


@dataclass(frozen=True)
class Books:
    """What a ledger write reads of a member under the member's lock, in one statement."""

    closed_through: dt.date | None  # as closed_through(member)
    balance: Balance  # as member_balance(member), before the write


def books_of(member) -> Books:
    """``closed_through(member)`` and ``member_balance(member)`` in ONE statement (the same
    definitions, as subqueries of the member's row). Read under the member's lock (every
    ledger write of a member holds it), the balance after an entry is this one plus the
    entry's deltas: what the receipt SMS says without summing the ledger again."""
    from hoptac.coops.models import Member

    closes = PeriodClose.objects.filter(Q(member__isnull=True) | Q(member=OuterRef("pk"))).order_by(
        "-through"
    )
    entries = Entry.objects.filter(member=OuterRef("pk")).order_by().values("member")
    row = (
        Member.objects.filter(pk=member.pk)
        .annotate(
            through=Subquery(closes.values("through")[:1]),
            payable=Coalesce(Subquery(entries.annotate(s=Sum("payable_delta")).values("s")), 0),
            receivable=Coalesce(Subquery(entries.annotate(s=Sum("receivable_delta")).values("s")), 0),
        )
        .order_by()
        .values_list("through", "payable", "receivable")[:1]
    )
    row = next(iter(row), None)
    if row is None:
        return Books(closed_through=closed_through(member), balance=member_balance(member))
    return Books(closed_through=row[0], balance=Balance(payable=row[1], receivable=row[2]))


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
    # A page of a long statement (statement_page): the lines are one page, the balance
    # before its first line is ``carried``, the totals are the whole period's.
    carried: int | None = None
    totals: tuple[int, int] | None = None

    @property
    def total_in(self) -> int:
        if self.totals is not None:
            return self.totals[0]
        return sum(line.entry.net for line in self.lines if line.entry.net > 0)

    @property
    def total_out(self) -> int:
        if self.totals is not None:
            return self.totals[1]
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


def statement_size(member, *, start: dt.datetime, end: dt.datetime) -> int:
    """How many entries :func:`statement` would list (the xlsx goes to the worker beyond a size)."""
    return Entry.objects.filter(member=member, occurred_at__gte=start, occurred_at__lt=end).count()
STATEMENT_PAGE = 200


def statement_page(member, *, start: dt.datetime, end: dt.datetime, number=1, per_page: int = STATEMENT_PAGE):
    """One page of :func:`statement` (a household that sells every day has thousands of
    entries a year): (statement, paginator page). The opening and closing balances and the
    totals are the whole period's, summed in the database; four queries at most whatever
    the number of entries."""
    from django.core.paginator import Paginator
    from django.db.models import Case, Count, When

    opening = _sums(Entry.objects.filter(member=member, occurred_at__lt=start))
    period = Entry.objects.filter(member=member, occurred_at__gte=start, occurred_at__lt=end)
    net = F("payable_delta") - F("receivable_delta")
    sums = period.aggregate(
        n=Count("id"),
        payable=Coalesce(Sum("payable_delta"), 0),
        receivable=Coalesce(Sum("receivable_delta"), 0),
        total_in=Coalesce(Sum(Case(When(payable_delta__gt=F("receivable_delta"), then=net), default=0)), 0),
        total_out=Coalesce(Sum(Case(When(payable_delta__lt=F("receivable_delta"), then=-net), default=0)), 0),
    )
    paginator = Paginator(period.select_related("reverses", "created_by").order_by("occurred_at", "id"), per_page)
    paginator.count = sums["n"]  # already counted
    page = paginator.get_page(number)
    entries = list(page.object_list)
    running = opening.net
    if page.number > 1 and entries:
        first = entries[0]
        before = _sums(
            period.filter(Q(occurred_at__lt=first.occurred_at) | Q(occurred_at=first.occurred_at, id__lt=first.pk))
        )
        running += before.net
    carried = running
    lines = []
    for entry in entries:
        running += entry.net
        lines.append(StatementLine(entry=entry, balance_after=running))
    page.object_list = lines
    statement = Statement(
        member=member,
        start=start,
        end=end,
        opening=opening,
        closing=Balance(opening.payable + sums["payable"], opening.receivable + sums["receivable"]),
        lines=lines,
        carried=carried,
        totals=(sums["total_in"], sums["total_out"]),
    )
    return statement, page


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


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start 00:00, end + 1 day 00:00)`` in the local time zone: a statement's range."""
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)),
    )


# --- closed periods -----------------------------------------------------------------------

NOT_GIVEN = object()


def closed_through(member) -> dt.date | None:
    """The last local day closed for ``member``: the later of the cooperative's closed
    months and the statements sent or handed to this member. ``None``: nothing closed.
    THE rule of closed periods: every ledger write asks ``is_open`` (through the services)."""
    return PeriodClose.objects.filter(Q(member__isnull=True) | Q(member=member)).aggregate(
        through=Max("through")
    )["through"]


def coop_closed_through() -> dt.date | None:
    """The last day of the latest month the accountant closed for the whole cooperative."""
    return PeriodClose.objects.filter(member__isnull=True).aggregate(through=Max("through"))["through"]


def is_open(member, when: dt.datetime, *, through=NOT_GIVEN) -> bool:
    """May an entry of ``member`` be dated ``when``? No when its local day is closed.
    ``through``: ``closed_through(member)`` when the caller has just read it (books_of)."""
    if through is NOT_GIVEN:
        through = closed_through(member)
    return through is None or timezone.localdate(when) > through


def month_closes() -> QuerySet[PeriodClose]:
    """The months closed for the whole cooperative, latest first, with who closed them."""
    return PeriodClose.objects.filter(member__isnull=True, reason=CloseReason.MONTH).select_related(
        "created_by"
    )


def statement_closes(member) -> QuerySet[PeriodClose]:
    """The statements sent or handed to ``member``, latest first."""
    return PeriodClose.objects.filter(member=member).select_related("created_by", "message")


# --- bank payouts: what is prepared, what the cooperative owes -------------------------------


@dataclass(frozen=True)
class Reserved:
    amount: int = 0  # to be transferred
    deduct: int = 0  # to be netted against loans when the transfer is confirmed

    @property
    def total(self) -> int:
        return self.amount + self.deduct


NOTHING_RESERVED = Reserved()


def reserved_for(member_ids) -> dict[int, Reserved]:
    """What prepared (not yet confirmed) bank payouts hold back, per member, in one query."""
    rows = (
        BankPayout.objects.filter(member_id__in=list(member_ids), status=PayoutStatus.PREPARED)
        .values("member_id")
        .annotate(amount=Sum("amount"), deduct=Sum("deduct"))
    )
    result = dict.fromkeys(member_ids, NOTHING_RESERVED)
    for row in rows:
        result[row["member_id"]] = Reserved(row["amount"] or 0, row["deduct"] or 0)
    return result


@dataclass(frozen=True)
class Proposal:
    deduct: int
    amount: int


def payout_proposal(balance: Balance, reserved: Reserved = NOTHING_RESERVED) -> Proposal:
    """What to pay now: net every loan the payable allows, pay the rest, less what prepared
    bank payouts already hold back. The one rule for the payout form and the payout run."""
    payable = max(0, balance.payable - reserved.total)
    receivable = max(0, balance.receivable - reserved.deduct)
    deduct = min(receivable, payable)
    return Proposal(deduct=deduct, amount=payable - deduct)


@dataclass(frozen=True)
class OwedRow:
    member: object
    balance: Balance
    reserved: Reserved
    proposal: Proposal

    @property
    def has_bank(self) -> bool:
        return bool(self.member.bank_bin and self.member.bank_account)


@dataclass(frozen=True)
class Owed:
    rows: list[OwedRow]

    @property
    def total_owed(self) -> int:
        return sum(row.balance.net for row in self.rows)

    @property
    def total_prepared(self) -> int:
        return sum(row.reserved.amount for row in self.rows)

    @property
    def total_to_pay(self) -> int:
        return sum(row.proposal.amount for row in self.rows)


def owed(*, village_id: int | None = None, min_amount: int = 0) -> Owed:
    """Công nợ phải trả: every member the cooperative owes (balance > 0, the definition of
    ``member_balance``), with what prepared bank payouts hold back. Three queries whatever
    the number of members."""
    from hoptac.coops.models import Member

    sums = Entry.objects.values("member_id").annotate(
        payable=Sum("payable_delta"), receivable=Sum("receivable_delta")
    )
    if village_id is not None:
        sums = sums.filter(member__village_id=village_id)
    sums = sums.annotate(net=F("payable") - F("receivable")).filter(net__gt=max(0, min_amount - 1))
    balances = {row["member_id"]: Balance(row["payable"] or 0, row["receivable"] or 0) for row in sums}
    members = (
        Member.objects.filter(pk__in=list(balances)).select_related("village").order_by("full_name", "pk")
    )
    members = list(members)
    reserved = reserved_for([m.pk for m in members])
    rows = [
        OwedRow(
            member=m,
            balance=balances[m.pk],
            reserved=reserved[m.pk],
            proposal=payout_proposal(balances[m.pk], reserved[m.pk]),
        )
        for m in members
    ]
    return Owed(rows=rows)


def bank_payout_get(code: str) -> BankPayout:
    return BankPayout.objects.select_related("member__village", "created_by", "run").get(code=code)


def bank_payout_events(payout) -> QuerySet:
    return payout.events.select_related("actor").order_by("at", "id")


def payout_run_get(number: int) -> PayoutRun:
    return PayoutRun.objects.select_related("created_by").get(number=number)


def run_payouts(run) -> list[BankPayout]:
    return list(BankPayout.objects.filter(run=run).select_related("member__village").order_by("id"))


def payout_runs() -> QuerySet[PayoutRun]:
    return PayoutRun.objects.select_related("created_by").order_by("-number")


def members_by_uuid(uuids) -> list:
    """Members of the current cooperative among ``uuids`` (others are silently absent)."""
    from hoptac.coops.models import Member

    return list(Member.objects.filter(uuid__in=list(uuids)).order_by("pk"))


def bank_payouts_of(member) -> QuerySet[BankPayout]:
    """Bank transfers of ``member`` prepared and not yet confirmed nor cancelled, oldest first."""
    return BankPayout.objects.filter(member=member, status=PayoutStatus.PREPARED).order_by("id")


@dataclass(frozen=True)
class CoopBalances:
    """The cooperative's position with its members, by ``member_balance``'s definition."""

    owed_to_members: int  # the sum of positive balances: the cooperative owes these members
    members_owed_to: int  # how many members the cooperative owes
    owed_by_members: int  # the sum of negative balances, as a positive number
    members_owing: int  # how many members owe the cooperative


def coop_balances() -> CoopBalances:
    """What the cooperative owes its members and what they owe it, netted per member as
    every balance is (``balances_for``'s sums). One query whatever the number of members."""
    owed_to = owed_by = n_to = n_by = 0
    rows = Entry.objects.values("member_id").annotate(
        payable=Sum("payable_delta"), receivable=Sum("receivable_delta")
    )
    for row in rows:
        net = Balance(row["payable"] or 0, row["receivable"] or 0).net
        if net > 0:
            owed_to += net
            n_to += 1
        elif net < 0:
            owed_by -= net
            n_by += 1
    return CoopBalances(owed_to, n_to, owed_by, n_by)

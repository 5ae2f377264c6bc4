"""Writes to the member ledger. Every write locks the member row first (core.locks), so
two payouts of one member at the same moment are serialised and the second sees the
first; the balance check and the new entry are in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.locks import counter_next, members_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.ledger import selectors
from hoptac.ledger.models import (
    PAYOUT_TRANSITIONS,
    BankPayout,
    BankPayoutEvent,
    CloseReason,
    Entry,
    EntryKind,
    PayoutMethod,
    PayoutRun,
    PayoutStatus,
    PeriodClose,
    entry_number,
)
from hoptac.ledger.selectors import NOTHING_RESERVED, Balance, Reserved, member_balance, reserved_for
from hoptac.lib import bounds, vietqr
from hoptac.lib.money import format_vnd
from hoptac.lib.units import format_quantity

# A clock a few minutes ahead on a collector's phone is not "the future".
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


def _lock(member):
    from hoptac.coops.models import Member

    locked = members_lock(Member, [member.pk]).get(member.pk)
    if locked is None:
        raise ValidationError(_("This member does not belong to this cooperative."), code="other_coop")
    return locked


def _when(occurred_at: dt.datetime | None) -> dt.datetime:
    if occurred_at is None:
        return timezone.now()
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError(_("The date and time cannot be in the future."), code="future")
    return occurred_at


def _open(member, when: dt.datetime, *, through=selectors.NOT_GIVEN) -> dt.datetime:
    """Refuse an entry dated in a period closed for ``member`` (``selectors.closed_through``:
    the cooperative's closed months and the statements sent to this member; ``through`` when
    the caller has just read it)."""
    if not selectors.is_open(member, when, through=through):
        through = selectors.closed_through(member)
        raise ValidationError(
            _(
                "The books of %(name)s are closed through %(day)s (a closed month or a statement "
                "sent to the member): nothing can be dated %(when)s. Record it with today's date; "
                "a correction is a new entry dated today."
            )
            % {
                "name": member.full_name,
                "day": through.strftime("%d/%m/%Y"),
                "when": timezone.localdate(when).strftime("%d/%m/%Y"),
            },
            code="closed_period",
        )
    return when


def _positive(amount: int, label: str, kind: str = "ledger") -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValidationError(_("%(what)s must be a whole number of đồng.") % {"what": label}, code="not_int")
    if amount <= 0:
        raise ValidationError(_("%(what)s must be more than 0 đồng.") % {"what": label}, code="not_positive")
    # The documented upper bound of lib.bounds (an advance of 999.999.999.999.999 ₫ is a slip).
    return bounds.check_money(kind, amount, field=label)


def _active(member) -> None:
    if member.status != "active":
        raise ValidationError(
            _("%(name)s has left the cooperative: nothing new can be recorded for them.")
            % {"name": member.full_name},
            code="member_left",
        )


def _entry(*, member, kind, occurred_at, payable=0, receivable=0, actor=None, **fields) -> Entry:
    return Entry.objects.create(
        cooperative=require_cooperative(),
        member=member,
        kind=kind,
        occurred_at=occurred_at,
        payable_delta=payable,
        receivable_delta=receivable,
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )


def _numbered(entry: Entry) -> Entry:
    """An advance or an input loan carries its number, made of its id (models.entry_number):
    written into the new row's empty code, in the transaction that inserted it."""
    entry.code = entry_number(entry.kind, entry.pk)
    Entry.objects.fill_number(entry.pk, entry.code)
    return entry


@transaction.atomic
def purchase_record(
    *, member, amount: int, occurred_at: dt.datetime, source_type: str, source_id: str, memo: str, actor=None
) -> Entry:
    """The cooperative bought produce: it owes the member ``amount``. Called by offtake.
    The entry answered carries ``balance_after``, the member's balance with it (read with
    the closed period under the member's lock, ``selectors.books_of``), for the receipt SMS."""
    member = _lock(member)
    _active(member)
    _positive(amount, _("The amount"))
    books = selectors.books_of(member)
    entry = _entry(
        member=member,
        kind=EntryKind.PURCHASE,
        occurred_at=_open(member, _when(occurred_at), through=books.closed_through),
        payable=amount,
        memo=memo,
        source_type=source_type,
        source_id=source_id,
        actor=actor,
    )
    entry.balance_after = Balance(payable=books.balance.payable + amount, receivable=books.balance.receivable)
    return entry


@transaction.atomic
def advance_give(
    *, member, amount: int, occurred_at=None, memo: str = "", actor=None, source=("", "")
) -> Entry:
    """Tạm ứng: cash given to a member ahead of their deliveries."""
    member = _lock(member)
    _active(member)
    _positive(amount, _("The advance"), "advance")
    entry = _numbered(
        _entry(
            member=member,
            kind=EntryKind.ADVANCE,
            occurred_at=_open(member, _when(occurred_at)),
            receivable=amount,
            memo=memo or _("Cash advance"),
            source_type=source[0],
            source_id=source[1],
            actor=actor,
        )
    )
    audit_record(
        action="ledger.advance",
        actor=actor,
        cooperative=member.cooperative,
        obj=entry,
        data={"amount": amount},
    )
    return entry


@transaction.atomic
def input_loan_give(
    *,
    member,
    item: str,
    quantity: Decimal,
    unit: str,
    value: int,
    occurred_at=None,
    memo: str = "",
    actor=None,
) -> Entry:
    """Inputs lent to a member (fertiliser, seedlings, bee boxes), to be deducted later."""
    member = _lock(member)
    _active(member)
    _positive(value, _("The value of the loan"), "input_loan")
    if not item.strip():
        raise ValidationError(_("Say what was lent."), code="no_item")
    if quantity is None or quantity <= 0:
        raise ValidationError(_("The quantity must be more than 0."), code="quantity")
    entry = _numbered(
        _entry(
            member=member,
            kind=EntryKind.INPUT_LOAN,
            occurred_at=_open(member, _when(occurred_at)),
            receivable=value,
            item=item.strip(),
            item_quantity=quantity,
            item_unit=unit.strip(),
            memo=memo or f"{item.strip()} × {format_quantity(quantity)} {unit.strip()}",
            actor=actor,
        )
    )
    audit_record(
        action="ledger.input_loan",
        actor=actor,
        cooperative=member.cooperative,
        obj=entry,
        data={"item": item, "value": value},
    )
    return entry


@dataclass(frozen=True)
class PayoutResult:
    code: str
    payout: Entry | None
    deduction: Entry | None


def _amounts(amount, deduct) -> None:
    for value in (amount, deduct):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(_("Amounts must be whole numbers of đồng, not negative."), code="negative")
    if amount == 0 and deduct == 0:
        raise ValidationError(_("Enter an amount to pay or to deduct."), code="nothing")


def _payout_check(member, *, amount: int, deduct: int, reserved: Reserved = NOTHING_RESERVED) -> None:
    """The deduction cannot exceed what the member owes nor the payout what is owed to
    them, less what prepared bank payouts already hold back (``reserved``)."""
    balance = member_balance(member)
    receivable = balance.receivable - reserved.deduct
    payable = balance.payable - reserved.total
    if deduct > receivable:
        raise ValidationError(
            _("The deduction (%(deduct)s) is more than the member owes (%(owed)s).")
            % {"deduct": format_vnd(deduct), "owed": format_vnd(max(0, receivable))},
            code="deduct_too_much",
        )
    if deduct + amount > payable:
        if reserved.total:
            message = _(
                "The cooperative owes this member %(payable)s, of which %(prepared)s is in prepared "
                "bank transfers: it cannot pay and deduct %(total)s more."
            )
        else:
            message = _("The cooperative owes this member %(payable)s: it cannot pay and deduct %(total)s.")
        raise ValidationError(
            message
            % {
                "payable": format_vnd(balance.payable),
                "prepared": format_vnd(reserved.total),
                "total": format_vnd(deduct + amount),
            },
            code="over_balance",
        )


def _payout_entries(*, member, code, amount, deduct, method, when, memo, actor) -> PayoutResult:
    deduction = payout = None
    if deduct:
        deduction = _entry(
            member=member,
            kind=EntryKind.DEDUCTION,
            occurred_at=when,
            payable=-deduct,
            receivable=-deduct,
            memo=_("Loans and advances deducted at payout %(code)s") % {"code": code},
            code=code,
            actor=actor,
            source_type="payout",
            source_id=code,
        )
    if amount:
        payout = _entry(
            member=member,
            kind=EntryKind.PAYOUT,
            occurred_at=when,
            payable=-amount,
            payout_method=method,
            memo=memo or _("Payout %(code)s") % {"code": code},
            code=code,
            actor=actor,
            source_type="payout",
            source_id=code,
        )
    audit_record(
        action="ledger.payout",
        actor=actor,
        cooperative=member.cooperative,
        obj=payout or deduction,
        data={"code": code, "amount": amount, "deduct": deduct, "method": method},
    )
    return PayoutResult(code=code, payout=payout, deduction=deduction)


def _reserved(member) -> Reserved:
    return reserved_for([member.pk])[member.pk]


@transaction.atomic
def payout_make(
    *,
    member,
    amount: int,
    deduct: int = 0,
    method: str = PayoutMethod.CASH,
    occurred_at=None,
    memo: str = "",
    actor=None,
) -> PayoutResult:
    """Chi trả in cash (one step): pay a member, first netting ``deduct`` of their loans
    and advances. A bank transfer goes in two steps instead (``payout_prepare``, then
    ``payout_confirm``), so it is never recorded as paid before the bank has paid it.

    The deduction cannot exceed what they owe nor what the cooperative owes them, and the
    payout cannot exceed what is left owed to them after prepared bank payouts. The member
    row is locked, so two payouts at the same moment cannot together pay more than the
    balance allows.
    """
    _amounts(amount, deduct)
    if method == PayoutMethod.BANK and amount:
        raise ValidationError(
            _(
                "A bank transfer is prepared first, then confirmed with the bank's reference once the bank has paid."
            ),
            code="two_steps",
        )
    if method not in PayoutMethod.values:
        raise ValidationError(_("Unknown payment method."), code="method")
    # Lock order of core.locks: the counter first, then the member row.
    number = counter_next(cooperative=member.cooperative, key="payout")
    member = _lock(member)
    when = _open(member, _when(occurred_at))
    _payout_check(member, amount=amount, deduct=deduct, reserved=_reserved(member))
    return _payout_entries(
        member=member,
        code=f"CHI{number:06d}",
        amount=amount,
        deduct=deduct,
        method=method,
        when=when,
        memo=memo,
        actor=actor,
    )


# --- bank payouts in two steps ---------------------------------------------------------------


def _payout_event(payout: BankPayout, *, to_status: str, from_status: str = "", note: str = "", actor=None):
    BankPayoutEvent.objects.create(
        cooperative=payout.cooperative,
        payout=payout,
        from_status=from_status,
        to_status=to_status,
        note=note[:300],
        actor=actor if getattr(actor, "pk", None) else None,
    )


def _prepare_locked(
    *, member, number: int, amount: int, deduct: int, memo: str, actor, run=None
) -> BankPayout:
    _amounts(amount, deduct)
    if amount <= 0:
        raise ValidationError(
            _(
                "A bank transfer needs an amount to transfer; a deduction alone is recorded as a cash payout of 0."
            ),
            code="nothing",
        )
    if not (member.bank_bin and member.bank_account):
        raise ValidationError(
            _("%(name)s has no bank account on file: pay in cash or add the account first.")
            % {"name": member.full_name},
            code="no_bank",
        )
    code = f"CHI{number:06d}"
    try:
        vietqr.payload(bank_bin=member.bank_bin, account=member.bank_account, amount=amount, purpose=code)
    except vietqr.VietQRError:
        raise ValidationError(
            _(
                "The bank account of %(name)s on file cannot be used for a transfer: check it on the member's page."
            )
            % {"name": member.full_name},
            code="no_bank",
        ) from None
    _payout_check(member, amount=amount, deduct=deduct, reserved=_reserved(member))
    payout = BankPayout.objects.create(
        cooperative=member.cooperative,
        code=code,
        member=member,
        run=run,
        amount=amount,
        deduct=deduct,
        bank_bin=member.bank_bin,
        bank_account=member.bank_account,
        account_holder=member.full_name,
        memo=memo.strip()[:300],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _payout_event(payout, to_status=PayoutStatus.PREPARED, actor=actor)
    audit_record(
        action="ledger.payout_prepare",
        actor=actor,
        cooperative=member.cooperative,
        obj=payout,
        data={"code": code, "amount": amount, "deduct": deduct},
    )
    return payout


@transaction.atomic
def payout_prepare(*, member, amount: int, deduct: int = 0, memo: str = "", actor=None) -> BankPayout:
    """Step 1 of a bank transfer: the amount is reserved (it cannot be prepared or paid
    twice), the VietQR and the batch file can be made; no ledger entry yet."""
    number = counter_next(cooperative=member.cooperative, key="payout")
    member = _lock(member)
    return _prepare_locked(member=member, number=number, amount=amount, deduct=deduct, memo=memo, actor=actor)


def _move(payout: BankPayout, to_status: str) -> None:
    if to_status not in PAYOUT_TRANSITIONS[PayoutStatus(payout.status)]:
        raise ValidationError(
            _("Payout %(code)s is already %(status)s.")
            % {"code": payout.code, "status": payout.get_status_display().lower()},
            code="status",
        )


def _transfer_moment(day: dt.date, payout: BankPayout) -> dt.datetime:
    if not isinstance(day, dt.date):
        raise ValidationError(_("Give the date of the transfer."), code="no_date")
    today = timezone.localdate()
    if day > today:
        raise ValidationError(_("The date cannot be in the future."), code="future")
    if day < timezone.localdate(payout.created_at):
        raise ValidationError(
            _("The transfer cannot be dated before the payout was prepared."), code="before"
        )
    if day == today:
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def _confirm_locked(
    *, payout: BankPayout, member, reference: str, transferred_on: dt.date, actor
) -> PayoutResult:
    payout = BankPayout.objects.get(pk=payout.pk)  # read again under the member's lock
    _move(payout, PayoutStatus.CONFIRMED)
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(
            _("Give the bank's reference of the transfer %(code)s.") % {"code": payout.code},
            code="no_reference",
        )
    if len(reference) > 60:
        raise ValidationError(
            _("The bank's reference is too long: at most 60 characters."), code="long_reference"
        )
    when = _open(member, _transfer_moment(transferred_on, payout))
    reserved = _reserved(member)
    mine = Reserved(reserved.amount - payout.amount, reserved.deduct - payout.deduct)
    _payout_check(member, amount=payout.amount, deduct=payout.deduct, reserved=mine)
    BankPayout.objects.filter(pk=payout.pk).update(
        status=PayoutStatus.CONFIRMED, bank_reference=reference, transferred_on=transferred_on
    )
    _payout_event(
        payout,
        from_status=PayoutStatus.PREPARED,
        to_status=PayoutStatus.CONFIRMED,
        note=reference,
        actor=actor,
    )
    return _payout_entries(
        member=member,
        code=payout.code,
        amount=payout.amount,
        deduct=payout.deduct,
        method=PayoutMethod.BANK,
        when=when,
        memo=payout.memo,
        actor=actor,
    )


def _cancel_locked(*, payout: BankPayout, reason: str, actor) -> BankPayout:
    payout = BankPayout.objects.get(pk=payout.pk)
    _move(payout, PayoutStatus.CANCELLED)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for cancelling the transfer."), code="no_reason")
    BankPayout.objects.filter(pk=payout.pk).update(status=PayoutStatus.CANCELLED, cancel_reason=reason[:300])
    _payout_event(
        payout, from_status=PayoutStatus.PREPARED, to_status=PayoutStatus.CANCELLED, note=reason, actor=actor
    )
    audit_record(
        action="ledger.payout_cancel",
        actor=actor,
        cooperative=payout.cooperative,
        obj=payout,
        data={"code": payout.code, "reason": reason},
    )
    payout.refresh_from_db()
    return payout


@transaction.atomic
def payout_confirm(
    *, payout: BankPayout, reference: str, transferred_on: dt.date, actor=None
) -> PayoutResult:
    """Step 2: the bank has paid. Writes the payout (and deduction) entries exactly as a
    cash payout does, dated the day of the transfer, with the bank's reference."""
    member = _lock(payout.member)
    return _confirm_locked(
        payout=payout, member=member, reference=reference, transferred_on=transferred_on, actor=actor
    )


@transaction.atomic
def payout_cancel(*, payout: BankPayout, reason: str, actor=None) -> BankPayout:
    """A prepared transfer that will not be made: what it reserved is free again."""
    _lock(payout.member)
    return _cancel_locked(payout=payout, reason=reason, actor=actor)


@dataclass(frozen=True)
class RunItem:
    member: object
    amount: int | None = None  # None: what is owed less what is prepared


@dataclass(frozen=True)
class RunResult:
    run: PayoutRun
    payouts: list[BankPayout]
    skipped: list[object]  # members without a bank account on file, left out


@transaction.atomic
def payout_run_create(*, items: list[RunItem], note: str = "", actor=None) -> RunResult:
    """A payout run (đợt chi): prepare a bank payout for each chosen member in one
    transaction (all or nothing). Members without a bank account are left out and named."""
    from hoptac.coops.models import Member

    coop = require_cooperative()
    unique = list({item.member.pk: item for item in items}.values())
    if not unique:
        raise ValidationError(_("Choose at least one member."), code="empty")
    banked = [i for i in unique if i.member.bank_bin and i.member.bank_account]
    skipped = [i.member for i in unique if not (i.member.bank_bin and i.member.bank_account)]
    if not banked:
        raise ValidationError(_("None of the chosen members has a bank account on file."), code="no_bank")
    # Lock order of core.locks: counters, then member rows by ascending id.
    run_number = counter_next(cooperative=coop, key="payout_run")
    numbers = [counter_next(cooperative=coop, key="payout") for _item in banked]
    locked = members_lock(Member, [i.member.pk for i in banked])
    run = PayoutRun.objects.create(
        cooperative=coop,
        number=run_number,
        note=note.strip()[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    payouts = []
    for item, number in zip(sorted(banked, key=lambda i: i.member.pk), numbers, strict=True):
        member = locked.get(item.member.pk)
        if member is None:
            raise ValidationError(_("This member does not belong to this cooperative."), code="other_coop")
        proposal = selectors.payout_proposal(member_balance(member), _reserved(member))
        amount = proposal.amount if item.amount is None else item.amount
        try:
            payouts.append(
                _prepare_locked(
                    member=member,
                    number=number,
                    amount=amount,
                    deduct=proposal.deduct,
                    memo=_("Payout run %(run)s") % {"run": run.code},
                    actor=actor,
                    run=run,
                )
            )
        except ValidationError as error:
            raise ValidationError(
                f"{member.full_name}: {' '.join(error.messages)}", code=error.error_list[0].code
            ) from None
    audit_record(
        action="ledger.payout_run",
        actor=actor,
        cooperative=coop,
        obj=run,
        data={"payouts": [p.code for p in payouts], "skipped": [m.pk for m in skipped]},
    )
    return RunResult(run=run, payouts=payouts, skipped=skipped)


@dataclass(frozen=True)
class SettleResult:
    confirmed: list[str]
    cancelled: list[str]


@transaction.atomic
def payout_run_settle(
    *,
    run: PayoutRun,
    references: dict[int, str],
    cancel: set[int] | frozenset[int] = frozenset(),
    transferred_on: dt.date,
    cancel_reason: str = "",
    actor=None,
) -> SettleResult:
    """Confirm the run's prepared payouts as the bank statement shows them (``references``:
    payout id → the bank's reference) and cancel those not on it (``cancel``)."""
    from hoptac.coops.models import Member

    prepared = {
        p.pk: p for p in BankPayout.objects.filter(run=run, status=PayoutStatus.PREPARED).order_by("pk")
    }
    references = {pk: ref.strip() for pk, ref in references.items() if ref and ref.strip()}
    if not references and not cancel:
        raise ValidationError(
            _("Type the bank's reference of each transfer on the statement, or choose those to cancel."),
            code="nothing",
        )
    both = set(references) & set(cancel)
    if both:
        raise ValidationError(_("A transfer cannot be both confirmed and cancelled."), code="both")
    unknown = (set(references) | set(cancel)) - set(prepared)
    if unknown:
        raise ValidationError(
            _("Some of these transfers are no longer waiting for confirmation."), code="status"
        )
    locked = members_lock(Member, [prepared[pk].member_id for pk in (*references, *cancel)])
    confirmed, cancelled = [], []
    for pk in sorted(references):
        payout = prepared[pk]
        _confirm_locked(
            payout=payout,
            member=locked[payout.member_id],
            reference=references[pk],
            transferred_on=transferred_on,
            actor=actor,
        )
        confirmed.append(payout.code)
    for pk in sorted(cancel):
        _cancel_locked(payout=prepared[pk], reason=cancel_reason, actor=actor)
        cancelled.append(prepared[pk].code)
    return SettleResult(confirmed=confirmed, cancelled=cancelled)


# --- closed periods ---------------------------------------------------------------------------


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


@transaction.atomic
def month_close(*, month: dt.date, actor=None) -> PeriodClose:
    """Close the books of the whole cooperative through the end of ``month`` (any day of
    it): no entry may be dated in it, nor before it, any more. Only a month that has ended."""
    from hoptac.coops.models import Member

    coop = require_cooperative()
    through = _month_end(month)
    if through >= timezone.localdate():
        raise ValidationError(_("A month can be closed only once it has ended."), code="not_ended")
    # Every member row, so that no entry being written now can land in the month.
    members_lock(Member, Member.objects.values_list("pk", flat=True))
    current = selectors.coop_closed_through()
    if current is not None and current >= through:
        raise ValidationError(
            _("The books are already closed through %(day)s.") % {"day": current.strftime("%d/%m/%Y")},
            code="already_closed",
        )
    close = PeriodClose.objects.create(
        cooperative=coop,
        through=through,
        reason=CloseReason.MONTH,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        action="ledger.month_close", actor=actor, cooperative=coop, obj=close, data={"through": str(through)}
    )
    return close


def _member_language(member) -> str:
    """SMS to a member in the language of the household's own account, else Vietnamese."""
    from hoptac.lib.sms import sms_language
    from hoptac.outbox.services import accounts_for

    return sms_language(accounts_for([member]).get(member.pk))


def statement_text(*, cooperative, start: dt.date, end: dt.date, net: int, language: str = "vi") -> str:
    """The SMS/Zalo text of a sent statement in the member's language: the period and its
    closing balance in words that say who owes whom (``Ong/ba con no HTX 1.285.000d``)."""
    from django.utils.translation import override, pgettext

    from hoptac.lib.sms import balance_words

    with override(language):
        return pgettext("sms", "%(coop)s: statement %(start)s-%(end)s. %(balance)s.") % {
            "coop": cooperative.name,
            "start": start.strftime("%d/%m/%Y"),
            "end": end.strftime("%d/%m/%Y"),
            "balance": balance_words(net),
        }


@transaction.atomic
def statement_send(*, member, start: dt.date, end: dt.date, handed: bool = False, actor=None) -> PeriodClose:
    """Send ``member`` their statement of ``[start, end]`` (SMS/Zalo through the outbox, with
    the closing balance), or record that the printed statement was handed over. Either
    closes the books of this member through ``end``: what they were told cannot change."""
    from hoptac.outbox.models import Kind
    from hoptac.outbox.models import Status as MessageStatus
    from hoptac.outbox.services import queue

    coop = require_cooperative()
    member = _lock(member)
    if end < start:
        raise ValidationError(_("The period ends before it starts."), code="order")
    if end >= timezone.localdate():
        raise ValidationError(
            _("Only the statement of a period that has ended can be sent: choose an end before today."),
            code="not_ended",
        )
    lower, upper = selectors.day_bounds(start, end)
    closing = selectors.statement(member, start=lower, end=upper).closing
    message = None
    if not handed:
        message = queue(
            kind=Kind.OTHER,
            text=statement_text(
                cooperative=coop, start=start, end=end, net=closing.net, language=_member_language(member)
            ),
            member=member,
            source_type="statement",
            source_id=f"{member.pk}:{end:%Y%m%d}",
            actor=actor,
        )
        if message.status == MessageStatus.SKIPPED:
            raise ValidationError(
                _(
                    "%(name)s cannot be reached by SMS or Zalo (%(why)s): print the statement and hand it over."
                )
                % {"name": member.full_name, "why": message.error},
                code="unreachable",
            )
    close = PeriodClose.objects.create(
        cooperative=coop,
        member=member,
        through=end,
        reason=CloseReason.STATEMENT_HANDED if handed else CloseReason.STATEMENT_SENT,
        period_start=start,
        closing_payable=closing.payable,
        closing_receivable=closing.receivable,
        message=message,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        action="ledger.statement_send",
        actor=actor,
        cooperative=coop,
        obj=close,
        data={"start": str(start), "end": str(end), "net": closing.net, "handed": handed},
    )
    return close


@transaction.atomic
def adjustment_record(
    *, member, payable_delta: int = 0, receivable_delta: int = 0, reason: str, actor=None
) -> Entry:
    """A correction that is not the reversal of one entry (e.g. an opening balance)."""
    member = _lock(member)
    if not reason.strip():
        raise ValidationError(_("Give the reason for the adjustment."), code="no_reason")
    if payable_delta == 0 and receivable_delta == 0:
        raise ValidationError(_("An adjustment must change an amount."), code="nothing")
    entry = _entry(
        member=member,
        kind=EntryKind.ADJUSTMENT,
        occurred_at=_open(member, timezone.now()),
        payable=payable_delta,
        receivable=receivable_delta,
        memo=reason.strip(),
        actor=actor,
    )
    audit_record(
        action="ledger.adjustment",
        actor=actor,
        cooperative=member.cooperative,
        obj=entry,
        data={"payable": payable_delta, "receivable": receivable_delta, "reason": reason},
    )
    return entry


@transaction.atomic
def entry_reverse(*, entry: Entry, reason: str, actor=None, allow_sources: tuple[str, ...] = ()) -> Entry:
    """Write the entry that undoes ``entry``. An entry is reversed at most once; a
    purchase is reversed by voiding its receipt (offtake passes ``allow_sources``)."""
    _lock(entry.member)
    entry = Entry.objects.select_related("member").get(pk=entry.pk)
    if not reason.strip():
        raise ValidationError(_("Give the reason for the reversal."), code="no_reason")
    if entry.kind == EntryKind.REVERSAL:
        raise ValidationError(_("A reversal cannot itself be reversed."), code="reversal")
    if Entry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("This entry has already been reversed."), code="already_reversed")
    if entry.source_type and entry.source_type not in allow_sources and entry.kind == EntryKind.PURCHASE:
        raise ValidationError(_("Void the purchase receipt instead."), code="has_source")
    if entry.receivable_delta > 0 and member_balance(entry.member).receivable < entry.receivable_delta:
        raise ValidationError(
            _("Part of this was already deducted at a payout: reverse that deduction first."),
            code="already_deducted",
        )
    reversal = _entry(
        member=entry.member,
        kind=EntryKind.REVERSAL,
        occurred_at=_open(entry.member, timezone.now()),  # now, whatever the date it corrects
        payable=-entry.payable_delta,
        receivable=-entry.receivable_delta,
        memo=reason.strip(),
        reverses=entry,
        source_type=entry.source_type,
        source_id=entry.source_id,
        code=entry.code,
        actor=actor,
    )
    audit_record(
        action="ledger.reverse",
        actor=actor,
        cooperative=entry.cooperative,
        obj=reversal,
        data={"reverses": entry.pk, "reason": reason},
    )
    return reversal

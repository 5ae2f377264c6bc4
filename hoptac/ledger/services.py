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
from hoptac.ledger.models import Entry, EntryKind, PayoutMethod
from hoptac.ledger.selectors import member_balance
from hoptac.lib import bounds
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


@transaction.atomic
def purchase_record(
    *, member, amount: int, occurred_at: dt.datetime, source_type: str, source_id: str, memo: str, actor=None
) -> Entry:
    """The cooperative bought produce: it owes the member ``amount``. Called by offtake."""
    member = _lock(member)
    _active(member)
    _positive(amount, _("The amount"))
    return _entry(
        member=member,
        kind=EntryKind.PURCHASE,
        occurred_at=_when(occurred_at),
        payable=amount,
        memo=memo,
        source_type=source_type,
        source_id=source_id,
        actor=actor,
    )


@transaction.atomic
def advance_give(
    *, member, amount: int, occurred_at=None, memo: str = "", actor=None, source=("", "")
) -> Entry:
    """Tạm ứng: cash given to a member ahead of their deliveries."""
    member = _lock(member)
    _active(member)
    _positive(amount, _("The advance"), "advance")
    entry = _entry(
        member=member,
        kind=EntryKind.ADVANCE,
        occurred_at=_when(occurred_at),
        receivable=amount,
        memo=memo or _("Cash advance"),
        source_type=source[0],
        source_id=source[1],
        actor=actor,
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
    entry = _entry(
        member=member,
        kind=EntryKind.INPUT_LOAN,
        occurred_at=_when(occurred_at),
        receivable=value,
        item=item.strip(),
        item_quantity=quantity,
        item_unit=unit.strip(),
        memo=memo or f"{item.strip()} × {format_quantity(quantity)} {unit.strip()}",
        actor=actor,
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
    """Chi trả: pay a member, first netting ``deduct`` of their loans and advances.

    The deduction cannot exceed what they owe nor what the cooperative owes them, and the
    payout cannot exceed what is left owed to them. The member row is locked, so two
    payouts at the same moment cannot together pay more than the balance allows.
    """
    if not isinstance(amount, int) or not isinstance(deduct, int) or amount < 0 or deduct < 0:
        raise ValidationError(_("Amounts must be whole numbers of đồng, not negative."), code="negative")
    # Lock order of core.locks: the counter first, then the member row.
    number = counter_next(cooperative=member.cooperative, key="payout")
    member = _lock(member)
    if amount == 0 and deduct == 0:
        raise ValidationError(_("Enter an amount to pay or to deduct."), code="nothing")
    if method not in PayoutMethod.values:
        raise ValidationError(_("Unknown payment method."), code="method")
    if method == PayoutMethod.BANK and amount and not (member.bank_bin and member.bank_account):
        raise ValidationError(
            _("%(name)s has no bank account on file: pay in cash or add the account first.")
            % {"name": member.full_name},
            code="no_bank",
        )
    when = _when(occurred_at)
    balance = member_balance(member)
    if deduct > balance.receivable:
        raise ValidationError(
            _("The deduction (%(deduct)s) is more than the member owes (%(owed)s).")
            % {"deduct": format_vnd(deduct), "owed": format_vnd(balance.receivable)},
            code="deduct_too_much",
        )
    if deduct + amount > balance.payable:
        raise ValidationError(
            _("The cooperative owes this member %(payable)s: it cannot pay and deduct %(total)s.")
            % {"payable": format_vnd(balance.payable), "total": format_vnd(deduct + amount)},
            code="over_balance",
        )
    code = f"CHI{number:06d}"
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
        occurred_at=timezone.now(),
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
        occurred_at=timezone.now(),
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

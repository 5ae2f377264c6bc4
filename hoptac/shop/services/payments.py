"""Money in: every bank transaction we learn of (SePay, Casso, a statement, staff) is kept
and settled exactly once, and every đồng received or given back is a numbered line of the
append-only cash/bank book.

Matching: the order code is looked for in the transfer memo (``lib.ordercode.find_codes``,
which survives what banks do to memos), then the amount decides: equal → *matched*, less →
*partial* (the buyer is told what is missing), more → *overpaid* (staff refund the rest).
No code, an unknown code, or an order already cancelled → *unmatched*, for staff to
resolve by hand. The same line seen again (same provider id) changes nothing; the same
line from another source (same checksum) is kept as *duplicate* and pays nothing.

Locks: the transaction row (level 3) before the order (level 4) before the cash book's
counter (level 5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.locks import bank_transaction_lock, counter_next, orders_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.lib import ordercode
from hoptac.lib.money import format_vnd
from hoptac.shop.messages import order_message
from hoptac.shop.models import (
    BankTransaction,
    CashEntry,
    CashKind,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentState,
    TxSource,
    TxState,
)

MAX_AMOUNT = 10_000_000_000  # 10 billion đồng: far above any order, below any overflow


@dataclass(frozen=True)
class IncomingLine:
    """A bank line as the notifying service or the statement gives it (normalised)."""

    source: str
    provider_id: str
    at: dt.datetime
    amount: int
    memo: str = ""
    account_number: str = ""
    bank: str = ""
    reference: str = ""
    checksum: str = ""
    raw: dict = field(default_factory=dict)


def _cash(
    *,
    order: Order | None,
    tx: BankTransaction | None,
    amount: int,
    kind: str,
    account: str = "bank",
    memo: str = "",
    actor=None,
    at=None,
    reverses=None,
) -> CashEntry:
    coop = require_cooperative()
    return CashEntry.objects.create(
        cooperative=coop,
        number=counter_next(cooperative=coop, key="cash-book"),
        at=at or timezone.now(),
        kind=kind,
        account=account,
        amount_vnd=amount,
        order=order,
        transaction=tx,
        memo=memo[:300],
        actor=actor if getattr(actor, "pk", None) else None,
        reverses=reverses,
    )


def _payment_state(order: Order) -> str:
    if order.paid_vnd <= 0:
        return PaymentState.UNPAID
    if order.paid_vnd < order.total_vnd:
        return PaymentState.PARTIAL
    if order.paid_vnd == order.total_vnd:
        return PaymentState.PAID
    return PaymentState.OVERPAID


def _pay(
    order: Order,
    *,
    amount: int,
    tx: BankTransaction | None,
    kind: str,
    account: str,
    actor=None,
    note: str = "",
) -> Order:
    """Add a payment to a locked order: cash book line, paid amount, state, history, message."""
    _cash(
        order=order,
        tx=tx,
        amount=amount,
        kind=kind,
        account=account,
        actor=actor,
        memo=note or order.code,
        at=tx.at if tx else None,
    )
    order.paid_vnd += amount
    before_state = order.payment_state
    order.payment_state = _payment_state(order)
    if order.payment_state in (PaymentState.PAID, PaymentState.OVERPAID):
        order.pay_by = None
    order.save(update_fields=["paid_vnd", "payment_state", "pay_by", "updated_at"])
    OrderEvent.objects.create(
        cooperative=order.cooperative,
        order=order,
        from_status=order.status,
        to_status=order.status,
        what="payment",
        note=f"+{amount} ({before_state} → {order.payment_state})"[:300],
        actor=actor if getattr(actor, "pk", None) else None,
    )
    order_message(
        order, "paid" if order.payment_state in (PaymentState.PAID, PaymentState.OVERPAID) else "partial"
    )
    return order


def _settle(tx: BankTransaction, order: Order | None, *, actor=None) -> BankTransaction:
    """Decide the state of a new or unsettled transaction and pay the order it names."""
    if order is None:
        tx.state = TxState.UNMATCHED
        return tx
    locked = orders_lock(Order, [order.pk])[order.pk]
    if locked.status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        tx.state = TxState.UNMATCHED
        tx.order = locked
        tx.note = _("Paid for an order that was cancelled: refund or reopen it.")[:300]
        return tx
    owed_before = locked.total_vnd - locked.paid_vnd
    _pay(locked, amount=tx.amount_vnd, tx=tx, kind=CashKind.ORDER_PAYMENT, account="bank", actor=actor)
    tx.order = locked
    if tx.amount_vnd == owed_before:
        tx.state = TxState.MATCHED
    elif tx.amount_vnd < owed_before:
        tx.state = TxState.PARTIAL
    else:
        tx.state = TxState.OVERPAID
        tx.note = _("%(extra)s more than the order's total: give it back to the buyer.") % {
            "extra": format_vnd(tx.amount_vnd - max(owed_before, 0))
        }
    return tx


def _order_for(memo: str) -> Order | None:
    for code in ordercode.find_codes(memo or ""):
        order = Order.objects.filter(code=code).first()
        if order is not None:
            return order
    return None


@transaction.atomic
def transaction_receive(*, line: IncomingLine, actor=None) -> tuple[BankTransaction, bool]:
    """Keep one incoming bank line and settle it. Returns ``(transaction, created)``; a line
    already received (same source and provider id) returns the first row and changes nothing."""
    coop = require_cooperative()
    if line.source not in TxSource.values:
        raise ValidationError(_("Unknown source of transactions."), code="source")
    if abs(line.amount) > MAX_AMOUNT:
        raise ValidationError(_("This amount is not believable."), code="amount")
    provider_id = (line.provider_id or "")[:64]
    if provider_id:
        existing = BankTransaction.objects.filter(source=line.source, provider_id=provider_id).first()
        if existing is not None:
            return existing, False
    tx = BankTransaction(
        cooperative=coop,
        source=line.source,
        provider_id=provider_id,
        checksum=(line.checksum or "")[:64],
        at=line.at,
        amount_vnd=line.amount,
        memo=(line.memo or "")[:500],
        account_number=(line.account_number or "")[:40],
        bank=(line.bank or "")[:60],
        reference=(line.reference or "")[:80],
        raw=line.raw or {},
        state=TxState.UNMATCHED,
    )
    duplicate_of = None
    if tx.checksum:
        duplicate_of = (
            BankTransaction.objects.filter(checksum=tx.checksum).exclude(state=TxState.DUPLICATE).first()
        )
    try:
        with transaction.atomic():
            tx.save()
    except IntegrityError:
        # The same delivery, arrived at the same moment on another worker: theirs counts.
        return BankTransaction.objects.get(source=line.source, provider_id=provider_id), False
    if line.amount <= 0:
        tx.state = TxState.IGNORED
        tx.note = _("Money going out of the account.")
    elif duplicate_of is not None:
        tx.state = TxState.DUPLICATE
        tx.note = _("Already received as %(source)s on %(when)s.") % {
            "source": duplicate_of.get_source_display(),
            "when": timezone.localtime(duplicate_of.at).strftime("%d/%m/%Y %H:%M"),
        }
    else:
        _settle(tx, _order_for(tx.memo), actor=actor)
    tx.save(update_fields=["state", "order", "note"])
    audit_record(
        action="bank.receive",
        actor=actor,
        cooperative=coop,
        obj=tx,
        data={"source": tx.source, "amount": tx.amount_vnd, "state": tx.state},
    )
    return tx, True


@transaction.atomic
def transaction_resolve(
    *,
    tx: BankTransaction,
    actor,
    order: Order | None = None,
    ignore: bool = False,
    refund: int = 0,
    note: str = "",
) -> BankTransaction:
    """Staff settle a transaction from the queue: pay it to an order, or mark it not an order
    payment (with a reason), or record the refund of an overpayment."""
    tx = bank_transaction_lock(BankTransaction, tx.pk)
    note = (note or "").strip()
    if order is not None and order.cooperative_id != tx.cooperative_id:
        raise ValidationError(_("Unknown order."), code="order")
    target_id = tx.order_id if refund else (order.pk if order is not None else None)
    locked = orders_lock(Order, [target_id]).get(target_id) if target_id else None
    if refund:
        if tx.state != TxState.OVERPAID or locked is None:
            raise ValidationError(_("Only an overpayment can be refunded here."), code="refund")
        if refund < 0 or refund > locked.paid_vnd - locked.total_vnd:
            raise ValidationError(_("That is more than was overpaid."), code="refund")
        _cash(
            order=locked,
            tx=tx,
            amount=-refund,
            kind=CashKind.REFUND,
            actor=actor,
            memo=note or _("Refund of overpayment"),
        )
        locked.paid_vnd -= refund
        locked.payment_state = _payment_state(locked)
        locked.save(update_fields=["paid_vnd", "payment_state", "updated_at"])
        OrderEvent.objects.create(
            cooperative=locked.cooperative,
            order=locked,
            from_status=locked.status,
            to_status=locked.status,
            what="refund",
            note=f"-{refund}",
            actor=actor,
        )
        tx.state = TxState.RESOLVED
    elif tx.state not in (TxState.UNMATCHED, TxState.DUPLICATE, TxState.OVERPAID):
        raise ValidationError(_("This transaction is already settled."), code="settled")
    elif ignore:
        if not note:
            raise ValidationError(_("Give the reason."), code="reason")
        tx.state = TxState.IGNORED
    elif locked is not None:
        if tx.state != TxState.UNMATCHED:
            raise ValidationError(_("This transaction already paid an order."), code="settled")
        if locked.status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
            raise ValidationError(
                _("That order is cancelled: give the money back, then mark this transaction."),
                code="cancelled",
            )
        _pay(
            locked,
            amount=tx.amount_vnd,
            tx=tx,
            kind=CashKind.ORDER_PAYMENT,
            account="bank",
            actor=actor,
            note=note,
        )
        tx.order = locked
        tx.state = TxState.RESOLVED
    else:
        raise ValidationError(_("Choose an order, or say why this is not an order payment."), code="choice")
    tx.note = (note or tx.note)[:300]
    tx.resolved_by = actor if getattr(actor, "pk", None) else None
    tx.resolved_at = timezone.now()
    tx.save(update_fields=["state", "order", "note", "resolved_by", "resolved_at"])
    audit_record(
        action="bank.resolve", actor=actor, cooperative=tx.cooperative, obj=tx, data={"state": tx.state}
    )
    return tx


@transaction.atomic
def order_cash_received(*, order: Order, amount: int, actor, note: str = "", account: str = "cash") -> Order:
    """Cash on delivery (or at pickup) handed to the cooperative: a cash book line. A
    carrier's COD remittance arrives in the bank (``account="bank"``)."""
    locked = orders_lock(Order, [order.pk]).get(order.pk)
    if locked is None:
        raise ValidationError(_("Unknown order."), code="order")
    if not isinstance(amount, int) or amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationError({"amount": [_("Give the amount received.")]})
    if locked.status in (OrderStatus.CANCELLED,):
        raise ValidationError(_("This order is cancelled."), code="cancelled")
    if account not in ("cash", "bank"):
        raise ValidationError(_("Unknown account."), code="account")
    return _pay(locked, amount=amount, tx=None, kind=CashKind.COD, account=account, actor=actor, note=note)

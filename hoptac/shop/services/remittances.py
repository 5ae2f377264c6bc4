"""Cash-on-delivery remittances (đối soát COD): a carrier's report of the cash it collected
for us, imported once (the file's checksum is unique per cooperative), each line matched to
an order — by the carrier's tracking code, else by our order code — and given a state:

- *matched*: a COD order whose owed amount equals what the carrier collected: the money is
  written in the cash book (kind COD, account bank) and the order is paid;
- *amount differs* (expected and received kept), *unknown* (no such order), *not COD*,
  *already remitted* (another line already paid this order): nothing is paid; staff look
  at the line and resolve it with a note (optionally recording the money received).

Locks: each order (level 4) before the cash book's counter (level 5), through
``payments.order_cash_received``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.locks import orders_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.lib.money import format_vnd
from hoptac.shop.models import (
    Carrier,
    Order,
    OrderStatus,
    PaymentMethod,
    Remittance,
    RemittanceLine,
    RemittanceState,
    Shipment,
)
from hoptac.shop.services.payments import MAX_AMOUNT, order_cash_received

MAX_REPORT_BYTES = 5 * 1024 * 1024
MAX_LINES = 5000


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


@dataclass(frozen=True)
class Line:
    """One line of a report, as the reader gives it (the fields we use)."""

    row: int
    tracking_code: str
    order_code: str
    cod_vnd: int
    fee_vnd: int


def _lines_of(report) -> list[Line]:
    result = []
    for item in report.lines:
        result.append(
            Line(
                row=int(getattr(item, "row", 0) or 0),
                tracking_code=str(getattr(item, "tracking_code", "") or "").strip()[:40],
                order_code=str(getattr(item, "order_code", "") or "").strip().upper().replace(" ", "")[:20],
                cod_vnd=int(getattr(item, "cod_vnd", 0) or 0),
                fee_vnd=int(getattr(item, "fee_vnd", 0) or 0),
            )
        )
    return result


def read_report(*, data: bytes, filename: str, carrier: str):
    """The carrier's report read by ``lib.remittance`` (a clear ValidationError otherwise)."""
    from hoptac.lib import remittance as reader

    if len(data) > MAX_REPORT_BYTES:
        raise ValidationError({"file": [_("This file is too large (at most 5 MB).")]})
    try:
        report = reader.read_remittance(data, filename, carrier)
    except ValueError as error:
        raise ValidationError({"file": [str(error)[:300] or _("This file could not be read.")]}) from None
    if not report.lines:
        raise ValidationError({"file": [_("No remittance lines were found in this file.")]})
    if len(report.lines) > MAX_LINES:
        raise ValidationError({"file": [_("This report has too many lines.")]})
    return report


def _order_for(carrier: str, line: Line) -> Order | None:
    if line.tracking_code:
        shipment = (
            Shipment.objects.filter(carrier=carrier, tracking_code=line.tracking_code)
            .select_related("order")
            .first()
        )
        if shipment is not None:
            return shipment.order
        by_code = Order.objects.filter(tracking_code=line.tracking_code).first()
        if by_code is not None:
            return by_code
    if line.order_code:
        return Order.objects.filter(code=line.order_code).first()
    return None


def _match(remittance: Remittance, line: Line, *, actor) -> RemittanceLine:
    coop = remittance.cooperative
    record = RemittanceLine(
        cooperative=coop,
        remittance=remittance,
        row=max(line.row, 0),
        tracking_code=line.tracking_code,
        order_code=line.order_code,
        cod_vnd=line.cod_vnd,
        fee_vnd=line.fee_vnd,
    )
    order = _order_for(remittance.carrier, line)
    if order is None:
        record.state = RemittanceState.UNKNOWN
        record.save()
        return record
    order = orders_lock(Order, [order.pk])[order.pk]
    record.order = order
    if not record.order_code:
        record.order_code = order.code
    expected = max(order.total_vnd - order.paid_vnd, 0)
    if order.payment_method != PaymentMethod.COD:
        record.state = RemittanceState.NOT_COD
    elif RemittanceLine.objects.filter(
        order=order, state__in=(RemittanceState.MATCHED, RemittanceState.RESOLVED)
    ).exists() or (line.cod_vnd > 0 and expected == 0):
        record.state = RemittanceState.TWICE
    elif order.status == OrderStatus.CANCELLED:
        record.state = RemittanceState.AMOUNT
        record.expected_cod_vnd = 0
        record.note = _("The order is cancelled.")
    elif line.cod_vnd != expected or line.cod_vnd <= 0:
        record.state = RemittanceState.AMOUNT
        record.expected_cod_vnd = expected
    else:
        record.state = RemittanceState.MATCHED
        record.expected_cod_vnd = expected
        order_cash_received(
            order=order,
            amount=line.cod_vnd,
            actor=actor,
            account="bank",
            note=_("COD remitted by %(carrier)s (%(ref)s)")
            % {
                "carrier": Carrier(remittance.carrier).label,
                "ref": remittance.reference or remittance.file_name,
            },
        )
    record.save()
    return record


@transaction.atomic
def remittance_import(*, data: bytes, filename: str, carrier: str, actor=None) -> Remittance:
    """Import a carrier's COD remittance report once and match its lines (see the module)."""
    coop = require_cooperative()
    if carrier not in Carrier.values:
        raise ValidationError({"carrier": [_("Choose the carrier.")]})
    checksum = hashlib.sha256(data).hexdigest()
    if Remittance.objects.filter(checksum=checksum).exists():
        raise ValidationError({"file": [_("This report was imported already.")]}, code="twice")
    report = read_report(data=data, filename=filename, carrier=carrier)
    lines = _lines_of(report)
    for line in lines:
        if not (0 <= line.cod_vnd <= MAX_AMOUNT) or not (-MAX_AMOUNT <= line.fee_vnd <= MAX_AMOUNT):
            raise ValidationError(
                {"file": [_("Row %(row)s: an amount is out of range.") % {"row": line.row}]}
            )
    total_cod = sum(line.cod_vnd for line in lines)
    total_fee = sum(line.fee_vnd for line in lines)
    paid_out = getattr(report, "total_paid_vnd", None)
    try:
        with transaction.atomic():
            remittance = Remittance.objects.create(
                cooperative=coop,
                carrier=carrier,
                reference=str(getattr(report, "reference", "") or "")[:60],
                file_name=(filename or "")[:200],
                checksum=checksum,
                paid_on=getattr(report, "paid_on", None),
                total_cod_vnd=total_cod,
                total_fee_vnd=total_fee,
                total_paid_vnd=paid_out if isinstance(paid_out, int) else total_cod - total_fee,
                lines_count=len(lines),
                imported_by=_actor(actor),
            )
    except IntegrityError:
        raise ValidationError({"file": [_("This report was imported already.")]}, code="twice") from None
    problems = 0
    for line in lines:
        record = _match(remittance, line, actor=actor)
        if record.state != RemittanceState.MATCHED:
            problems += 1
    # Rows the reader could not read are listed too, for staff to look at.
    for row, message in list(getattr(report, "problems", []) or [])[:MAX_LINES]:
        RemittanceLine.objects.create(
            cooperative=coop,
            remittance=remittance,
            row=max(int(row or 0), 0),
            state=RemittanceState.UNKNOWN,
            note=str(message)[:300],
        )
        problems += 1
    remittance.problems_count = problems
    remittance.save(update_fields=["problems_count"])
    audit_record(
        action="remittance.import",
        actor=_actor(actor),
        cooperative=coop,
        obj=remittance,
        data={"lines": len(lines), "problems": problems, "cod": total_cod},
    )
    return remittance


@transaction.atomic
def remittance_line_resolve(
    *, line: RemittanceLine, note: str, actor=None, record_payment: bool = False
) -> RemittanceLine:
    """Staff settle a line that needed a look, with a note; for a line with an order, the
    money the carrier paid can be recorded for that order (``record_payment``)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say how this was settled.")]})
    locked = orders_lock(Order, [line.order_id]).get(line.order_id) if line.order_id else None
    fresh = RemittanceLine.objects.get(pk=line.pk)
    if fresh.state in (RemittanceState.MATCHED, RemittanceState.RESOLVED):
        raise ValidationError(_("This line is settled already."), code="settled")
    if record_payment:
        if locked is None:
            raise ValidationError({"record_payment": [_("This line has no order to record the money for.")]})
        if fresh.cod_vnd <= 0:
            raise ValidationError({"record_payment": [_("The carrier paid nothing for this line.")]})
        order_cash_received(
            order=locked,
            amount=fresh.cod_vnd,
            actor=actor,
            account="bank",
            note=f"{_('COD remitted')} ({format_vnd(fresh.cod_vnd)}): {note}"[:300],
        )
    fresh.state = RemittanceState.RESOLVED
    fresh.note = f"{note} — {timezone.localdate():%d/%m/%Y}"[:300]
    fresh.save(update_fields=["state", "note"])
    remittance = fresh.remittance
    remittance.problems_count = max(remittance.problems_count - 1, 0)
    remittance.save(update_fields=["problems_count"])
    audit_record(
        action="remittance.resolve",
        actor=_actor(actor),
        cooperative=fresh.cooperative,
        obj=fresh,
        data={"paid": bool(record_payment)},
    )
    return fresh

"""Writes for buying from members. A receipt, its ledger entry and its history row are
written in one transaction; a void writes the reversing entry in the same way."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hoptac.core.audit import audit_record
from hoptac.core.locks import counter_next, receipts_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.ledger import services as ledger
from hoptac.ledger.models import Entry, EntryKind
from hoptac.lib import bounds, units
from hoptac.offtake import notices
from hoptac.offtake.models import (
    Agreement,
    CollectionPoint,
    Price,
    PriceRule,
    Receipt,
    ReceiptEvent,
    ReceiptLine,
    ReceiptStatus,
    Season,
)
from hoptac.offtake.selectors import Terms, agreement_for, price_in_force, receipt_lots

MAX_LINES = 20
# The bounds live in lib.bounds (documented in docs/architecture.md, "Bounds").
MAX_PRICE_VND = bounds.MONEY["price"].high  # per kg or litre
MAX_QUANTITY = bounds.QUANTITY["typed"].high


# --- seasons, points, prices -------------------------------------------------------------


@transaction.atomic
def season_create(*, product, name: str, starts_on: dt.date, ends_on: dt.date, actor=None) -> Season:
    bounds.check_date("season", starts_on, field=_("The start of the season"))
    bounds.check_date("season", ends_on, field=_("The end of the season"))
    if ends_on < starts_on:
        raise ValidationError(_("The season cannot end before it starts."), code="dates")
    overlapping = Season.objects.filter(
        product=product, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).first()
    if overlapping is not None:
        raise ValidationError(
            _("This season overlaps “%(name)s” of the same product: a delivery must belong to one season.")
            % {"name": overlapping.name},
            code="overlap",
        )
    season = Season.objects.create(
        cooperative=require_cooperative(),
        product=product,
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    audit_record(action="season.create", actor=actor, cooperative=season.cooperative, obj=season)
    return season


@transaction.atomic
def point_create(*, name: str, commune_code: int, village: str = "", actor=None) -> CollectionPoint:
    name = " ".join(name.split())
    # Compared in Python: SQLite's case-insensitive match folds ASCII letters only, so
    # "điểm pả vi" would not match "Điểm Pả Vi" there.
    existing = CollectionPoint.objects.values_list("name", flat=True)
    if any(other.casefold() == name.casefold() for other in existing):
        raise ValidationError(_("A collection point with this name already exists."), code="duplicate")
    point = CollectionPoint.objects.create(
        cooperative=require_cooperative(), name=name, commune_code=commune_code, village=village.strip()
    )
    audit_record(action="point.create", actor=actor, cooperative=point.cooperative, obj=point)
    return point


@transaction.atomic
def price_set(
    *,
    product,
    grade: int,
    price_vnd: int,
    effective_from: dt.datetime | None = None,
    note: str = "",
    actor=None,
    notify: bool = True,
) -> Price:
    """A new row of the price list. Earlier rows stay: they are the history."""
    if not isinstance(price_vnd, int) or price_vnd <= 0:
        raise ValidationError(_("The price must be more than 0 đồng."), code="price")
    if price_vnd > MAX_PRICE_VND:
        raise ValidationError(_("The price is too large: check the number of zeros."), code="price")
    if grade not in (1, 2, 3):
        raise ValidationError(_("Unknown grade."), code="grade")
    when = effective_from or timezone.now()
    previous = price_in_force(product=product, grade=grade, at=when)
    price = Price.objects.create(
        cooperative=require_cooperative(),
        product=product,
        grade=grade,
        price_vnd=price_vnd,
        effective_from=when,
        note=note.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        action="price.set",
        actor=actor,
        cooperative=price.cooperative,
        obj=price,
        data={"product": product.pk, "grade": grade, "price": price_vnd},
    )
    if notify and (previous is None or previous.price_vnd != price_vnd):
        notices.send_price_change(price, previous, actor=actor)
    return price


# --- agreements ---------------------------------------------------------------------------


@transaction.atomic
def agreement_create(
    *,
    member,
    season: Season,
    committed_quantity: Decimal,
    committed_unit: str,
    price_rule: str,
    fixed_price_vnd: int | None = None,
    floor_price_vnd: int | None = None,
    advance_vnd: int = 0,
    signed_on: dt.date,
    note: str = "",
    actor=None,
) -> Agreement:
    coop = require_cooperative()
    if member.status != "active":
        raise ValidationError(
            _("%(name)s has left the cooperative.") % {"name": member.full_name}, code="member_left"
        )
    if member.cooperative_id != coop.pk or season.cooperative_id != coop.pk:
        raise ValidationError(_("Unknown member or season."), code="other_coop")
    if committed_quantity is None or committed_quantity <= 0:
        raise ValidationError(_("The committed quantity must be more than 0."), code="quantity")
    if committed_quantity > MAX_QUANTITY:
        raise ValidationError(_("The committed quantity is too large."), code="quantity")
    if advance_vnd < 0 or (fixed_price_vnd or 0) < 0 or (floor_price_vnd or 0) < 0:
        raise ValidationError(_("Amounts cannot be negative."), code="negative")
    if advance_vnd:
        bounds.check_money("advance", advance_vnd)
    bounds.check_date("ledger", signed_on, field=_("The date of signing"))
    if max(fixed_price_vnd or 0, floor_price_vnd or 0) > MAX_PRICE_VND:
        raise ValidationError(_("The price is too large: check the number of zeros."), code="price")
    try:
        base = units.to_base(
            committed_quantity, committed_unit, season.product.base_unit, kg_per_ta=coop.kg_per_ta
        )
    except (units.UnitError, ValueError):
        raise ValidationError(_("This unit does not fit the product."), code="unit") from None
    if price_rule == PriceRule.FIXED and not fixed_price_vnd:
        raise ValidationError(_("A fixed-price agreement needs its price."), code="fixed_price")
    if price_rule not in PriceRule.values:
        raise ValidationError(_("Unknown price rule."), code="price_rule")
    if signed_on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="future")
    if Agreement.objects.filter(member=member, season=season).exists():
        raise ValidationError(_("This member already has an agreement for this season."), code="duplicate")
    number = counter_next(cooperative=coop, key="agreement")
    try:
        with transaction.atomic():
            agreement = Agreement.objects.create(
                cooperative=coop,
                number=number,
                member=member,
                season=season,
                committed_quantity=committed_quantity,
                committed_unit=committed_unit,
                committed_base=base,
                price_rule=price_rule,
                fixed_price_vnd=fixed_price_vnd if price_rule == PriceRule.FIXED else None,
                floor_price_vnd=floor_price_vnd if price_rule == PriceRule.LIST else None,
                advance_vnd=advance_vnd,
                signed_on=signed_on,
                note=note.strip(),
            )
    except IntegrityError:
        raise ValidationError(
            _("This member already has an agreement for this season."), code="duplicate"
        ) from None
    if advance_vnd:
        signed_at = timezone.make_aware(dt.datetime.combine(signed_on, dt.time(8, 0)))
        ledger.advance_give(
            member=member,
            amount=advance_vnd,
            occurred_at=min(signed_at, timezone.now()),
            memo=_("Advance on agreement %(code)s") % {"code": str(agreement)},
            actor=actor,
            source=("agreement", str(agreement.pk)),
        )
    audit_record(action="agreement.create", actor=actor, cooperative=coop, obj=agreement)
    return agreement


# --- receipts -----------------------------------------------------------------------------


@dataclass
class LineInput:
    product: object
    quantity: Decimal
    unit: str
    grade: int = 1
    deduction_pct: Decimal = Decimal(0)
    unit_price_vnd: int | None = None  # None: the price in force (or the agreement's)
    override_reason: str = ""


def _line_price(
    line: LineInput, *, listed: int | None, agreement, may_override: bool, index: int
) -> tuple[int, int | None]:
    """(unit price used, list price) for a line, from the list price in force (``listed``)
    and the member's agreement for the line's product (or None), with its price rule."""
    list_price = listed
    if agreement is not None:
        if agreement.price_rule == PriceRule.FIXED:
            list_price = agreement.fixed_price_vnd
        elif list_price is not None and agreement.floor_price_vnd:
            list_price = max(list_price, agreement.floor_price_vnd)
    if line.unit_price_vnd is None or line.unit_price_vnd == list_price:
        if list_price is None:
            raise ValidationError(
                _("Line %(n)s: there is no price for %(product)s grade %(grade)s; set the price list first.")
                % {"n": index, "product": line.product.name, "grade": line.grade},
                code="no_price",
            )
        return list_price, list_price
    if line.unit_price_vnd > MAX_PRICE_VND:
        raise ValidationError(
            _("Line %(n)s: the price is too large: check the number of zeros.") % {"n": index}, code="price"
        )
    if line.unit_price_vnd <= 0:
        raise ValidationError(
            _("Line %(n)s: the price must be more than 0 đồng.") % {"n": index}, code="price"
        )
    if not may_override:
        raise ValidationError(
            _("Line %(n)s: your role cannot change the price of the price list.") % {"n": index},
            code="override",
        )
    if not line.override_reason.strip():
        raise ValidationError(
            _("Line %(n)s: give the reason for changing the price.") % {"n": index}, code="override_reason"
        )
    return line.unit_price_vnd, list_price


@dataclass
class ReceiptCheck:
    """A receipt as ``receipt_record`` would record it, before anything is written: what
    the "Check before saving" step shows. ``priced`` holds, per line, (line, base quantity,
    net quantity, unit price, list price, amount, agreement)."""

    collected_at: dt.datetime
    priced: list
    total_vnd: int


def receipt_check(
    *,
    member,
    collected_at: dt.datetime,
    lines: list[LineInput],
    point: CollectionPoint | None = None,
    may_override_price: bool = False,
    terms: Terms | None = None,
) -> ReceiptCheck:
    """Every rule of a receipt and its prices and amounts, writing nothing; raises the
    ``ValidationError`` that ``receipt_record`` would raise. ``terms``: the prices and
    agreements read with the products (``selectors.products_with_terms``) for this member
    at this moment; without them (or for another member or moment) each line reads its own."""
    coop = require_cooperative()
    if member.cooperative_id != coop.pk:
        raise ValidationError(_("This member belongs to another cooperative."), code="other_coop")
    if member.status != "active":
        raise ValidationError(
            _("%(name)s has left the cooperative: nothing new can be recorded for them.")
            % {"name": member.full_name},
            code="member_left",
        )
    if timezone.is_naive(collected_at):
        collected_at = timezone.make_aware(collected_at)
    bounds.check_date("receipt", collected_at)
    if collected_at > timezone.now() + ledger.FUTURE_TOLERANCE:
        raise ValidationError(_("The date and time cannot be in the future."), code="future")
    if not lines:
        raise ValidationError(_("A receipt needs at least one line."), code="no_lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(_("A receipt has at most %(max)s lines.") % {"max": MAX_LINES}, code="too_many")
    if point is not None and point.cooperative_id != coop.pk:
        raise ValidationError(_("Unknown collection point."), code="point")
    if terms is not None and (terms.member_id != member.pk or terms.at != collected_at):
        terms = None

    priced = []
    for index, line in enumerate(lines, start=1):
        if line.product.cooperative_id != coop.pk:
            raise ValidationError(_("Line %(n)s: unknown product.") % {"n": index}, code="product")
        if line.quantity is None or not line.quantity.is_finite() or line.quantity <= 0:
            raise ValidationError(
                _("Line %(n)s: the quantity must be more than 0.") % {"n": index}, code="quantity"
            )
        if line.quantity > Decimal("1000000"):
            raise ValidationError(_("Line %(n)s: the quantity is too large.") % {"n": index}, code="quantity")
        if not (Decimal(0) <= line.deduction_pct <= Decimal(50)):
            raise ValidationError(
                _("Line %(n)s: the deduction must be between 0 and 50%%.") % {"n": index}, code="deduction"
            )
        try:
            base = units.to_base(line.quantity, line.unit, line.product.base_unit, kg_per_ta=coop.kg_per_ta)
        except (units.UnitError, ValueError):
            raise ValidationError(
                _("Line %(n)s: the unit “%(unit)s” does not fit %(product)s (sold by %(base)s).")
                % {
                    "n": index,
                    "unit": line.unit,
                    "product": line.product.name,
                    "base": line.product.unit_label,
                },
                code="unit",
            ) from None
        if base <= 0:
            raise ValidationError(_("Line %(n)s: the quantity is too small.") % {"n": index}, code="quantity")
        if base > bounds.QUANTITY["receipt_line"].high:
            raise ValidationError(_("Line %(n)s: the quantity is too large.") % {"n": index}, code="quantity")
        if terms is not None and line.product.pk in terms.agreements:
            agreement = terms.agreements[line.product.pk]
            listed = terms.prices.get((line.product.pk, line.grade))
        else:
            agreement = agreement_for(
                member=member, product=line.product, on=timezone.localdate(collected_at)
            )
            found = price_in_force(product=line.product, grade=line.grade, at=collected_at)
            listed = found.price_vnd if found else None
        price, list_price = _line_price(
            line, listed=listed, agreement=agreement, may_override=may_override_price, index=index
        )
        net = units.net_quantity(base, line.deduction_pct)
        priced.append((line, base, net, price, list_price, units.line_amount(net, price), agreement))

    total = sum(item[5] for item in priced)
    if total <= 0:
        raise ValidationError(_("The receipt is worth 0 đồng."), code="zero")
    return ReceiptCheck(collected_at=collected_at, priced=priced, total_vnd=total)


@transaction.atomic
def receipt_record(
    *,
    member,
    collected_at: dt.datetime,
    lines: list[LineInput],
    point: CollectionPoint | None = None,
    collector=None,
    note: str = "",
    may_override_price: bool = False,
    client_key=None,
    field_no: str = "",
    actor=None,
    notify: bool = True,
    check: ReceiptCheck | None = None,
    terms: Terms | None = None,
) -> Receipt:
    """Record a purchase: the receipt, its lines, the ledger entry and the history row.

    With ``client_key`` (an offline client's UUID) a retried call returns the first receipt.
    ``check`` is what :func:`receipt_check` answered a moment ago for the same arguments
    (the form's "Check before saving" step): given, the prices are not looked up twice;
    else ``terms`` is handed to it.
    ``field_no`` is the field app's provisional number (``A7-0012``), kept on the receipt.
    The receipt answered has ``recorded_before`` true when it is that earlier one.
    """
    coop = require_cooperative()
    if client_key is not None:
        existing = Receipt.objects.filter(client_key=client_key).first()
        if existing is not None:
            existing.recorded_before = True
            return existing
    if check is None or [item[0] for item in check.priced] != list(lines):
        check = receipt_check(
            member=member,
            collected_at=collected_at,
            lines=lines,
            point=point,
            may_override_price=may_override_price,
            terms=terms,
        )
    collected_at, priced, total = check.collected_at, check.priced, check.total_vnd
    agreement = next((item[6] for item in priced if item[6] is not None), None)
    # A savepoint only where a twin may race: the same offline receipt sent twice.
    try:
        with transaction.atomic() if client_key is not None else contextlib.nullcontext():
            receipt = Receipt.objects.create(
                cooperative=coop,
                number=counter_next(cooperative=coop, key="receipt"),
                member=member,
                collected_at=collected_at,
                point=point,
                collector=collector,
                agreement=agreement,
                total_vnd=total,
                note=note.strip(),
                client_key=client_key,
                field_no=field_no[:12],
            )
    except IntegrityError:
        # The same offline receipt arrived twice at the same moment: return the first one.
        if client_key is not None:
            existing = Receipt.objects.filter(client_key=client_key).first()
            if existing is not None:
                existing.recorded_before = True
                return existing
        raise
    created = ReceiptLine.objects.bulk_create(
        ReceiptLine(
            cooperative=coop,
            receipt=receipt,
            product=line.product,
            grade=line.grade,
            quantity=line.quantity,
            unit=line.unit,
            base_quantity=base,
            deduction_pct=line.deduction_pct,
            net_quantity=net,
            unit_price_vnd=price,
            list_price_vnd=list_price,
            price_override_reason=line.override_reason.strip() if price != list_price else "",
            amount_vnd=amount,
        )
        for line, base, net, price, list_price, amount, _agreement in priced
    )
    # The lines (with their products) as if prefetched: the receipt SMS reads them.
    prefetched = receipt.lines.all()
    prefetched._result_cache, prefetched._prefetch_done = created, True
    receipt._prefetched_objects_cache = {"lines": prefetched}
    entry = ledger.purchase_record(
        member=member,
        amount=total,
        occurred_at=collected_at,
        source_type="receipt",
        source_id=str(receipt.pk),
        memo=_("Purchase receipt %(code)s") % {"code": receipt.code},
        actor=actor,
    )
    receipt.recorded_before = False
    ReceiptEvent.objects.create(
        cooperative=coop,
        receipt=receipt,
        action="record",
        to_status=ReceiptStatus.CONFIRMED,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    if notify:
        notices.send_receipt(receipt, actor=actor, balance=entry.balance_after)
    return receipt


@transaction.atomic
def receipt_void(*, receipt: Receipt, reason: str, actor=None, notify: bool = True) -> Receipt:
    """Void a receipt: confirmed → voided, with a reversing ledger entry. Nothing is deleted."""
    locked = receipts_lock(Receipt, [receipt.pk]).get(receipt.pk)
    if locked is None:
        raise ValidationError(_("Unknown receipt."), code="unknown")
    receipt = locked
    if receipt.status != ReceiptStatus.CONFIRMED:
        raise ValidationError(_("This receipt is already voided."), code="already_voided")
    lots = receipt_lots(receipt)
    if lots:
        raise ValidationError(
            ngettext(
                "Receipt %(code)s is in lot %(lots)s: voiding it would leave the lot holding "
                "goods that were never bought. Open lot %(lots)s and take this receipt out of "
                "it first, then void the receipt.",
                "Receipt %(code)s is in lots %(lots)s: voiding it would leave the lots holding "
                "goods that were never bought. Open each lot and take this receipt out of it "
                "first, then void the receipt.",
                len(lots),
            )
            % {"code": receipt.code, "lots": ", ".join(lots)},
            code="in_lot",
        )
    if not reason.strip():
        raise ValidationError(_("Give the reason for voiding the receipt."), code="no_reason")
    if len(reason.strip()) > 200:
        raise ValidationError(_("The reason is too long: at most 200 characters."), code="long_reason")
    purchase = Entry.objects.get(kind=EntryKind.PURCHASE, source_type="receipt", source_id=str(receipt.pk))
    ledger.entry_reverse(
        entry=purchase,
        reason=_("Receipt %(code)s voided: %(reason)s") % {"code": receipt.code, "reason": reason.strip()},
        actor=actor,
        allow_sources=("receipt",),
    )
    Receipt.objects.filter(pk=receipt.pk).update(status=ReceiptStatus.VOIDED, void_reason=reason.strip())
    ReceiptEvent.objects.create(
        cooperative=receipt.cooperative,
        receipt=receipt,
        action="void",
        from_status=ReceiptStatus.CONFIRMED,
        to_status=ReceiptStatus.VOIDED,
        reason=reason.strip(),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    receipt.refresh_from_db()
    if notify:
        notices.send_receipt(receipt, actor=actor)
    return receipt

"""Writes for lots and stock. Stock changes lock the lot rows (core.locks.lots_lock, by
ascending id) and check the sum of movements in the same transaction, so stock never
goes negative, even with two sales at the same moment.

Receipts and lots: whatever reads a purchase receipt's status or its lines' place in a lot
and writes because of it locks the receipt first (``core.locks.receipts_lock``), then the
lot: a raw lot is formed, and a receipt taken out of a lot, under the same receipt locks
as ``offtake.services.receipt_void``. So a void and a lot can never interleave: a receipt
in a lot cannot be voided, and a voided receipt cannot go into a lot. A raw lot's quantity
is always the sum of its live lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core import pagecache
from hoptac.core.audit import audit_record
from hoptac.core.locks import counter_next, lots_lock, receipts_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.inventory.models import (
    Lot,
    LotInput,
    LotKind,
    LotSource,
    MovementKind,
    ProcessingStep,
    ReservationState,
    StockMovement,
    StockReservation,
)
from hoptac.lib import bounds
from hoptac.lib.units import format_quantity, quantize_qty
from hoptac.offtake.models import Receipt, ReceiptLine, ReceiptStatus

MAX_QUANTITY = bounds.QUANTITY["stock"].high  # lib.bounds: a cooperative's warehouse


def coop_prefix(cooperative) -> str:
    """``tuan-dung`` -> ``TD``, ``tay-con-linh`` -> ``TCL``: the start of lot codes."""
    parts = [p for p in cooperative.slug.split("-") if p]
    return "".join(p[0] for p in parts).upper()[:4] or "HT"


def _lot_code(cooperative, product, day: dt.date) -> str:
    period = day.strftime("%y%m")
    number = counter_next(cooperative=cooperative, key=f"lot-{product.code}-{period}")
    return f"{coop_prefix(cooperative)}-{product.code}-{period}-{number:03d}"


def _on_hand(lot_id: int) -> Decimal:
    total = StockMovement.objects.filter(lot_id=lot_id).aggregate(total=Sum("quantity"))["total"]
    return quantize_qty(Decimal(total or 0))


def _held(lot_ids) -> dict[int, Decimal]:
    rows = (
        StockReservation.objects.filter(lot_id__in=list(lot_ids), state=ReservationState.HELD)
        .values("lot_id")
        .annotate(total=Sum("quantity"))
    )
    return {r["lot_id"]: quantize_qty(Decimal(r["total"] or 0)) for r in rows}


def _move(*, lot, kind, quantity: Decimal, reason: str = "", reference: str = "", at=None, actor=None):
    return StockMovement.objects.create(
        cooperative=lot.cooperative,
        lot=lot,
        kind=kind,
        quantity=quantity,
        reason=reason,
        reference=reference,
        at=at or timezone.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )


def _qty_local(value: Decimal) -> str:
    """A quantity in a message, in the active language's format (``1.463,805`` in Vietnamese)."""
    from django.utils.translation import get_language

    return format_quantity(value, language=get_language() or "vi")


def _not_future(day: dt.date | None, label: str) -> None:
    if day is not None and day > timezone.localdate():
        raise ValidationError(_("%(what)s cannot be in the future.") % {"what": label}, code="future")


@transaction.atomic
def raw_lot_create(*, product, receipt_line_ids: list[int], notes: str = "", actor=None) -> Lot:
    """A raw lot from confirmed purchase receipt lines of one product, each used once."""
    coop = require_cooperative()
    ids = sorted(set(receipt_line_ids))
    if not ids:
        raise ValidationError(_("Choose the purchase receipts that make this lot."), code="no_lines")
    lines = list(ReceiptLine.objects.filter(pk__in=ids).only("pk", "receipt_id"))
    if len(lines) != len(ids):
        raise ValidationError(_("Some of the chosen receipt lines do not exist."), code="unknown_line")
    # The receipts' locks cover their lines (core.locks): a void waits for this lot, or
    # this lot sees the void. Everything below is read again under the locks.
    receipts = receipts_lock(Receipt, {line.receipt_id for line in lines})
    lines = list(ReceiptLine.objects.filter(pk__in=ids).order_by("pk"))
    if any(line.product_id != product.pk for line in lines):
        raise ValidationError(_("Every receipt line of a lot must be of the lot's product."), code="product")
    if any(receipts[line.receipt_id].status != ReceiptStatus.CONFIRMED for line in lines):
        raise ValidationError(_("A voided receipt cannot go into a lot."), code="voided")
    for line in lines:
        line.receipt = receipts[line.receipt_id]
    if LotSource.objects.filter(receipt_line_id__in=ids).exists():
        raise ValidationError(_("Some of these receipt lines are already in another lot."), code="used")
    days = [timezone.localdate(line.receipt.collected_at) for line in lines]
    quantity = sum((line.net_quantity for line in lines), Decimal(0))
    lot = Lot.objects.create(
        cooperative=coop,
        code=_lot_code(coop, product, max(days)),
        product=product,
        kind=LotKind.RAW,
        quantity=quantity,
        harvest_from=min(days),
        harvest_to=max(days),
        notes=notes.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    LotSource.objects.bulk_create(
        LotSource(cooperative=coop, lot=lot, receipt_line=line, quantity=line.net_quantity) for line in lines
    )
    _move(lot=lot, kind=MovementKind.IN, quantity=quantity, reason=_("Bought from members"), actor=actor)
    audit_record(action="lot.raw_create", actor=actor, cooperative=coop, obj=lot, data={"lines": ids})
    return lot


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)  # the steps on the lot's trace page
def step_add(
    *,
    lot: Lot,
    kind: str,
    done_on: dt.date,
    operator_name: str,
    quantity_in: Decimal,
    quantity_out: Decimal,
    description: str = "",
    actor=None,
) -> ProcessingStep:
    """A processing step of a lot (filtering, drying, roasting, packing…)."""
    if quantity_in is None or quantity_in <= 0 or quantity_in > MAX_QUANTITY:
        raise ValidationError(_("The quantity in must be more than 0."), code="quantity_in")
    if quantity_out is None or quantity_out < 0 or quantity_out > quantity_in:
        raise ValidationError(
            _("The quantity out must be between 0 and the quantity in."), code="quantity_out"
        )
    _not_future(done_on, _("The date"))
    bounds.check_date("stock", done_on)
    if lot.harvest_from and done_on < lot.harvest_from:
        raise ValidationError(_("A step cannot be before the harvest."), code="before_harvest")
    if not operator_name.strip():
        raise ValidationError(_("Say who did this step."), code="operator")
    step = ProcessingStep.objects.create(
        cooperative=lot.cooperative,
        lot=lot,
        kind=kind,
        done_on=done_on,
        operator_name=operator_name.strip(),
        quantity_in=quantity_in,
        quantity_out=quantity_out,
        description=description.strip(),
    )
    audit_record(action="lot.step", actor=actor, cooperative=lot.cooperative, obj=step)
    return step


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def finished_lot_create(
    *,
    product,
    inputs: list[tuple[Lot, Decimal]],
    pack_count: int,
    production_date: dt.date,
    best_before: dt.date | None,
    notes: str = "",
    actor=None,
) -> Lot:
    """Packed goods made from raw lots: takes the used quantity out of each raw lot's stock
    and puts ``pack_count`` packs into the new lot's stock."""
    coop = require_cooperative()
    if not inputs:
        raise ValidationError(_("Choose the raw lots this was made from."), code="no_inputs")
    if not isinstance(pack_count, int) or pack_count <= 0 or pack_count > bounds.PACK_COUNT_MAX:
        raise ValidationError(_("The number of packs must be more than 0."), code="packs")
    _not_future(production_date, _("The production date"))
    bounds.check_date("stock", production_date, field=_("The production date"))
    bounds.check_date("stock", best_before, field=_("Best-before"))
    if best_before is not None and best_before <= production_date:
        raise ValidationError(_("Best-before must be after the production date."), code="best_before")
    # Lock order of core.locks: the counter (the lot's code), then the lots.
    code = _lot_code(coop, product, production_date)
    locked = lots_lock(Lot, [source.pk for source, _q in inputs])
    used = Decimal(0)
    for source, quantity in inputs:
        source = locked.get(source.pk)
        if source is None or source.kind != LotKind.RAW:
            raise ValidationError(_("Only raw lots of this cooperative can be used."), code="source")
        if quantity is None or quantity <= 0:
            raise ValidationError(_("The quantity used must be more than 0."), code="quantity")
        if quantity > _on_hand(source.pk):
            raise ValidationError(
                _("Lot %(code)s has only %(qty)s in stock.")
                % {"code": source.code, "qty": _qty_local(_on_hand(source.pk))},
                code="not_enough",
            )
        used += quantity
    lot = Lot.objects.create(
        cooperative=coop,
        code=code,
        product=product,
        kind=LotKind.FINISHED,
        quantity=Decimal(pack_count),
        pack_count=pack_count,
        production_date=production_date,
        best_before=best_before,
        notes=notes.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
        harvest_from=min(
            (locked[s.pk].harvest_from for s, _q in inputs if locked[s.pk].harvest_from), default=None
        ),
        harvest_to=max(
            (locked[s.pk].harvest_to for s, _q in inputs if locked[s.pk].harvest_to), default=None
        ),
    )
    for source, quantity in inputs:
        LotInput.objects.create(cooperative=coop, lot=lot, source=locked[source.pk], quantity=quantity)
        _move(
            lot=locked[source.pk], kind=MovementKind.USED, quantity=-quantity, reference=lot.code, actor=actor
        )
    _move(lot=lot, kind=MovementKind.IN, quantity=Decimal(pack_count), reason=_("Packed"), actor=actor)
    audit_record(
        action="lot.finished_create",
        actor=actor,
        cooperative=coop,
        obj=lot,
        data={"inputs": {s.code: str(q) for s, q in inputs}, "packs": pack_count},
    )
    return lot


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def stock_move(*, lot: Lot, kind: str, quantity: Decimal, reason: str = "", reference: str = "", actor=None):
    """Out by sale (negative), loss (negative) or an adjustment with a reason (either sign).

    Refused when it would take the lot's stock below zero.
    """
    if kind not in (MovementKind.SALE, MovementKind.LOSS, MovementKind.ADJUST):
        raise ValidationError(_("Unknown kind of stock movement."), code="kind")
    if quantity is None or quantity == 0 or abs(quantity) > MAX_QUANTITY:
        raise ValidationError(_("The quantity must not be 0."), code="quantity")
    if kind in (MovementKind.SALE, MovementKind.LOSS) and quantity > 0:
        quantity = -quantity
    if kind in (MovementKind.ADJUST, MovementKind.LOSS) and not reason.strip():
        raise ValidationError(_("Give the reason."), code="reason")
    if lot.is_finished and quantity != quantity.to_integral_value():
        raise ValidationError(_("Finished lots are counted in whole packs."), code="whole_packs")
    locked = lots_lock(Lot, [lot.pk]).get(lot.pk)
    if locked is None:
        raise ValidationError(_("Unknown lot."), code="lot")
    on_hand = _on_hand(locked.pk)
    if on_hand + quantity < 0:
        raise ValidationError(
            _("Only %(qty)s in stock: stock cannot go below zero.") % {"qty": _qty_local(on_hand)},
            code="negative_stock",
        )
    held = _held([locked.pk]).get(locked.pk, Decimal(0))
    if quantity < 0 and on_hand + quantity < held:
        raise ValidationError(
            _("%(held)s of this lot are reserved for orders: at most %(free)s can go out here.")
            % {"held": _qty_local(held), "free": _qty_local(max(on_hand - held, Decimal(0)))},
            code="reserved_stock",
        )
    movement = _move(
        lot=locked, kind=kind, quantity=quantity, reason=reason.strip(), reference=reference, actor=actor
    )
    audit_record(
        action="stock.move",
        actor=actor,
        cooperative=locked.cooperative,
        obj=movement,
        data={"kind": kind, "quantity": str(quantity)},
    )
    return movement


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def lot_receipt_remove(*, lot: Lot, receipt, reason: str, actor=None) -> StockMovement:
    """Take a purchase receipt out of a raw lot: the correction before the receipt is voided.

    Its lines stay in the lot's history marked as taken out, an append-only stock movement
    takes their quantity out of the lot's stock, and the lot's quantity and harvest dates
    are those of the lines left. Only while the lot still holds that quantity: what was
    already processed or sold cannot be taken back.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give the reason for taking this receipt out of the lot."), code="reason")
    if len(reason) > 200:
        raise ValidationError(_("The reason is too long: at most 200 characters."), code="reason")
    # Lock order of core.locks: the receipt, then the lot.
    locked_receipt = receipts_lock(Receipt, [receipt.pk]).get(receipt.pk)
    locked = lots_lock(Lot, [lot.pk]).get(lot.pk)
    if locked_receipt is None or locked is None:
        raise ValidationError(_("Unknown lot or receipt."), code="unknown")
    sources = list(
        LotSource.objects.filter(lot=locked, receipt_line__receipt=locked_receipt, removed_at__isnull=True)
    )
    if not sources:
        raise ValidationError(
            _("Receipt %(code)s is not in lot %(lot)s.") % {"code": locked_receipt.code, "lot": locked.code},
            code="not_in_lot",
        )
    quantity = sum((source.quantity for source in sources), Decimal(0))
    on_hand = _on_hand(locked.pk)
    if on_hand < quantity:
        raise ValidationError(
            _(
                "Lot %(lot)s holds only %(on_hand)s now, less than the %(qty)s of receipt %(code)s: "
                "the rest was already processed or sold, so the receipt cannot be taken out of the "
                "lot (nor voided). Correct the member's account with an adjustment in the ledger "
                "instead."
            )
            % {
                "lot": locked.code,
                "on_hand": _qty_local(on_hand),
                "qty": _qty_local(quantity),
                "code": locked_receipt.code,
            },
            code="already_used",
        )
    movement = _move(
        lot=locked,
        kind=MovementKind.REMOVED,
        quantity=-quantity,
        reason=reason,
        reference=locked_receipt.code,
        actor=actor,
    )
    LotSource.objects.filter(pk__in=[source.pk for source in sources]).update(
        removed_at=timezone.now(),
        removed_by=actor if getattr(actor, "pk", None) else None,
        removed_reason=reason,
    )
    live = list(
        LotSource.objects.filter(lot=locked, removed_at__isnull=True).select_related("receipt_line__receipt")
    )
    days = [timezone.localdate(source.receipt_line.receipt.collected_at) for source in live]
    Lot.objects.filter(pk=locked.pk).update(
        quantity=sum((source.quantity for source in live), Decimal(0)),
        harvest_from=min(days, default=None),
        harvest_to=max(days, default=None),
    )
    audit_record(
        action="lot.receipt_remove",
        actor=actor,
        cooperative=locked.cooperative,
        obj=locked,
        data={"receipt": locked_receipt.code, "quantity": str(quantity), "reason": reason},
    )
    return movement


# --- reservations for orders (the shop calls these) --------------------------------------------


class OutOfStock(ValidationError):
    """Not enough packs left; ``shortages`` maps product id to the packs still available."""

    def __init__(self, message, *, shortages: dict[int, Decimal]):
        super().__init__(message, code="out_of_stock")
        self.shortages = shortages


def _sellable_lots(product_ids, today: dt.date) -> list[Lot]:
    """Finished lots of these products that may be sold today, first expiring first out."""
    return list(
        Lot.objects.filter(product_id__in=list(product_ids), kind=LotKind.FINISHED)
        .filter(Q(best_before__isnull=True) | Q(best_before__gte=today))
        .order_by(F("best_before").asc(nulls_last=True), "production_date", "id")
    )


@transaction.atomic
def stock_reserve(*, wanted: list[tuple[int, int, Decimal]], today: dt.date | None = None) -> list:
    """Hold packs for order lines: ``wanted`` is ``(order_line_id, product_id, packs)``.

    Locks every sellable lot of those products (by ascending id), then takes each line's
    packs from the lots that expire first (FEFO), possibly from several lots. All or
    nothing: when a product is short, raises :class:`OutOfStock` naming what is left and
    holds nothing. Returns the reservations made.
    """
    return _hold(wanted=wanted, holder="order_line_id", today=today)


def _hold(*, wanted: list[tuple[int, int, Decimal]], holder: str, today: dt.date | None) -> list:
    today = today or timezone.localdate()
    product_ids = {p for _line, p, _q in wanted}
    lots = _sellable_lots(product_ids, today)
    locked = lots_lock(Lot, [lot.pk for lot in lots])
    lots = [lot for lot in lots if lot.pk in locked]
    on_hand = dict(
        StockMovement.objects.filter(lot_id__in=[lot.pk for lot in lots])
        .values("lot_id")
        .annotate(total=Sum("quantity"))
        .values_list("lot_id", "total")
    )
    held = _held([lot.pk for lot in lots])
    free = {lot.pk: quantize_qty(Decimal(on_hand.get(lot.pk) or 0)) - held.get(lot.pk, Decimal(0)) for lot in lots}
    needed: dict[int, Decimal] = {}
    for _line, product_id, packs in wanted:
        needed[product_id] = needed.get(product_id, Decimal(0)) + Decimal(packs)
    available = {p: Decimal(0) for p in product_ids}
    for lot in lots:
        available[lot.product_id] += max(free[lot.pk], Decimal(0))
    shortages = {p: available[p] for p in product_ids if available[p] < needed[p]}
    if shortages:
        raise OutOfStock(_("Not enough stock left for this order."), shortages=shortages)
    made = []
    coop = require_cooperative()
    for holder_id, product_id, packs in wanted:
        left = Decimal(packs)
        for lot in lots:
            if left <= 0:
                break
            if lot.product_id != product_id or free[lot.pk] <= 0:
                continue
            take = min(left, free[lot.pk])
            free[lot.pk] -= take
            left -= take
            made.append(
                StockReservation.objects.create(cooperative=coop, lot=lot, quantity=take, **{holder: holder_id})
            )
    return made


@transaction.atomic
def stock_live_hold(
    *, live_item_id: int, product_id: int, packs: int, today: dt.date | None = None
) -> list:
    """Set packs aside for a live sale's item (first expiring lots first); raises
    :class:`OutOfStock` when the product has fewer packs free."""
    return _hold(wanted=[(live_item_id, product_id, Decimal(packs))], holder="live_item_id", today=today)


@transaction.atomic
def stock_live_release(*, live_item_id: int, packs: int | None = None) -> Decimal:
    """Give back ``packs`` (all when None) of what a live item holds, from the lots that
    expire last, so what stays set aside is the freshest to ship first. Returns the packs
    given back. Locks the lots it changes."""
    rows = list(
        StockReservation.objects.filter(live_item_id=live_item_id, state=ReservationState.HELD).order_by("-id")
    )
    lots_lock(Lot, {r.lot_id for r in rows})
    left = None if packs is None else Decimal(packs)
    given = Decimal(0)
    now = timezone.now()
    for row in rows:
        if left is not None and left <= 0:
            break
        take = row.quantity if left is None else min(left, row.quantity)
        if take == row.quantity:
            StockReservation.objects.filter(pk=row.pk).update(state=ReservationState.RELEASED, closed_at=now)
        else:
            StockReservation.objects.filter(pk=row.pk).update(quantity=row.quantity - take)
        given += take
        if left is not None:
            left -= take
    return given


def stock_live_held(*, live_item_ids) -> dict[int, Decimal]:
    """Packs each live item still holds."""
    return dict(
        StockReservation.objects.filter(live_item_id__in=list(live_item_ids), state=ReservationState.HELD)
        .values("live_item_id")
        .annotate(total=Sum("quantity"))
        .values_list("live_item_id", "total")
    )


@transaction.atomic
def stock_reservations_release(*, order_line_ids) -> int:
    """Give held packs back (an order cancelled or expired). Returns how many rows ended."""
    return StockReservation.objects.filter(
        order_line_id__in=list(order_line_ids), state=ReservationState.HELD
    ).update(state=ReservationState.RELEASED, closed_at=timezone.now())


@transaction.atomic
def stock_reservations_sell(*, order_line_ids, reference: str, actor=None) -> list[StockMovement]:
    """The packs of these lines leave the warehouse: each held reservation becomes a SALE
    movement of its lot (under the lot's lock) and ends *sold*."""
    held = list(
        StockReservation.objects.filter(order_line_id__in=list(order_line_ids), state=ReservationState.HELD)
    )
    locked = lots_lock(Lot, {r.lot_id for r in held})
    moves = []
    for reservation in held:
        lot = locked[reservation.lot_id]
        moves.append(
            _move(
                lot=lot,
                kind=MovementKind.SALE,
                quantity=-reservation.quantity,
                reason=_("Order %(code)s") % {"code": reference},
                reference=reference[:60],
                actor=actor,
            )
        )
    StockReservation.objects.filter(pk__in=[r.pk for r in held]).update(
        state=ReservationState.SOLD, closed_at=timezone.now()
    )
    return moves

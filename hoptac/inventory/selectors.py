"""Reads for lots, stock and the trace of a lot back to households and villages."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from hoptac.inventory.models import Lot, LotInput, LotSource, StockMovement
from hoptac.lib.units import quantize_qty


def lot_list(*, product=None, kind: str = "") -> QuerySet[Lot]:
    qs = Lot.objects.select_related("product").annotate(
        on_hand=Coalesce(Sum("movements__quantity"), Value(Decimal(0)), output_field=DecimalField())
    )
    if product is not None:
        qs = qs.filter(product=product)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def lot_get(lot_uuid) -> Lot:
    return Lot.objects.select_related("product").get(uuid=lot_uuid)


def stock_on_hand(lot) -> Decimal:
    total = StockMovement.objects.filter(lot=lot).aggregate(total=Sum("quantity"))["total"]
    return quantize_qty(Decimal(total or 0))


def stock_by_product() -> list[dict]:
    """Stock on hand per product and lot kind (one query)."""
    return list(
        StockMovement.objects.values("lot__product__name", "lot__product_id", "lot__kind")
        .annotate(on_hand=Sum("quantity"))
        .order_by("lot__product__name", "lot__kind")
    )


@dataclass
class Origin:
    """Where a lot comes from: households, villages, communes, harvest dates."""

    households: int = 0
    named_households: list[str] = field(default_factory=list)
    villages: list[str] = field(default_factory=list)
    commune_codes: list[int] = field(default_factory=list)
    quantity: Decimal = Decimal(0)
    raw_lots: list[Lot] = field(default_factory=list)


def raw_lots_of(lot: Lot) -> list[Lot]:
    """The raw lots a lot comes from (itself for a raw lot), in two queries at most."""
    if not lot.is_finished:
        return [lot]
    return [i.source for i in LotInput.objects.filter(lot=lot).select_related("source")]


def lot_origin(lot: Lot) -> Origin:
    """Households (names only with their consent), villages and communes of a lot.

    A constant number of queries whatever the number of receipts and households.
    """
    raw = raw_lots_of(lot)
    sources = LotSource.objects.filter(lot__in=[r.pk for r in raw], removed_at__isnull=True).select_related(
        "receipt_line__receipt__member__village"
    )
    members = {}
    quantity = Decimal(0)
    for source in sources:
        member = source.receipt_line.receipt.member
        members[member.pk] = member
        quantity += source.quantity
    villages = sorted({m.village.name for m in members.values() if m.village})
    communes = sorted({m.commune_code for m in members.values()})
    named = sorted(m.full_name for m in members.values() if m.trace_consent)
    return Origin(
        households=len(members),
        named_households=named,
        villages=villages,
        commune_codes=communes,
        quantity=quantity,
        raw_lots=raw,
    )


def lot_steps(lot: Lot) -> list:
    """Processing steps of the lot and of the raw lots it was made from, by date."""
    from hoptac.inventory.models import ProcessingStep

    lots = [lot.pk, *[r.pk for r in raw_lots_of(lot) if r.pk != lot.pk]]
    return list(ProcessingStep.objects.filter(lot__in=lots).select_related("lot").order_by("done_on", "id"))


def lot_by_public_code(public_code: str) -> Lot | None:
    """The trace page's lookup, across cooperatives: an explicit unscoped read of one lot
    by its unguessable public code."""
    return (
        Lot.unscoped.select_related("product", "cooperative").filter(public_code=public_code.upper()).first()
    )


def lot_by_legacy_gs1_path(gtin14: str, code: str) -> Lot | None:
    """An old label's GS1 Digital Link /01/<GTIN>/10/<lot code>: only a lot flagged as
    labelled before public codes went into the Digital Link (``Lot.legacy_gs1_path``)."""
    candidates = Lot.unscoped.select_related("product", "cooperative").filter(code=code, legacy_gs1_path=True)
    for lot in candidates:
        if lot.product.gtin and lot.product.gtin.zfill(14) == gtin14:
            return lot
    return None


# --- pages (lists, the raw-lot form, the lot page) ---------------------------------------------

RAW_LINES_SHOWN = 500


def receipt_lines_for_lot(*, product, date_from=None, date_to=None, point=None) -> QuerySet:
    """Confirmed purchase receipt lines of ``product`` that are not yet in a lot, oldest first,
    with the member and village for the raw-lot form (one query)."""
    from hoptac.offtake.models import ReceiptLine, ReceiptStatus

    qs = ReceiptLine.objects.filter(
        product=product, receipt__status=ReceiptStatus.CONFIRMED, lot_source__isnull=True
    ).select_related("receipt__member__village", "receipt__point")
    if date_from is not None:
        qs = qs.filter(receipt__collected_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(receipt__collected_at__date__lte=date_to)
    if point is not None:
        qs = qs.filter(receipt__point=point)
    return qs.order_by("receipt__collected_at", "id")


def lot_sources(lot: Lot) -> list[LotSource]:
    """The receipt lines of a raw lot with their receipts, members and villages (one query);
    lines taken out of the lot are listed too, marked by ``removed_at``."""
    return list(
        LotSource.objects.filter(lot=lot)
        .select_related("receipt_line__receipt__member__village", "removed_by")
        .order_by("receipt_line__receipt__collected_at", "id")
    )


def lot_live_receipt(lot: Lot, receipt_uuid):
    """The purchase receipt with this uuid if some of its lines are in ``lot`` now, else None."""
    source = (
        LotSource.objects.filter(lot=lot, removed_at__isnull=True, receipt_line__receipt__uuid=receipt_uuid)
        .select_related("receipt_line__receipt")
        .first()
    )
    return source.receipt_line.receipt if source else None


def lots_out_of_line() -> list[Lot]:
    """Raw lots whose quantity is not the sum of their live lines (the rule says: none)."""
    live = Sum("sources__quantity", filter=Q(sources__removed_at__isnull=True))
    return list(
        Lot.objects.filter(kind="raw")
        .annotate(live=Coalesce(live, Value(Decimal(0)), output_field=DecimalField()))
        .exclude(quantity=F("live"))
    )


def lot_inputs(lot: Lot) -> list[LotInput]:
    """The raw lots a finished lot was made from, with the quantity used."""
    return list(LotInput.objects.filter(lot=lot).select_related("source", "source__product").order_by("id"))


def lot_used_in(lot: Lot) -> list[LotInput]:
    """The finished lots made (partly) from this raw lot."""
    return list(LotInput.objects.filter(source=lot).select_related("lot", "lot__product").order_by("id"))


def lot_movements(lot: Lot) -> list[StockMovement]:
    return list(StockMovement.objects.filter(lot=lot).select_related("created_by").order_by("at", "id"))


def raw_lots_in_stock() -> list[Lot]:
    """Raw lots with stock left, for the finished-lot form (one query)."""
    return list(lot_list(kind="raw").filter(on_hand__gt=0))


def stock_summary() -> list[dict]:
    """Stock on hand per product and lot kind, with the product's unit and the number of
    lots that still hold stock (two queries)."""
    rows = stock_by_product()
    units = dict(
        Lot.objects.filter(product_id__in={r["lot__product_id"] for r in rows})
        .values_list("product_id", "product__base_unit")
        .distinct()
    )
    for row in rows:
        row["on_hand"] = quantize_qty(Decimal(row["on_hand"] or 0))
        row["base_unit"] = units.get(row["lot__product_id"], "")
    return rows


def _sellable(today):
    from hoptac.inventory.models import LotKind

    return Q(kind=LotKind.FINISHED) & (Q(best_before__isnull=True) | Q(best_before__gte=today))


def available_by_product(product_ids, *, today=None) -> dict[int, Decimal]:
    """Packs that may still be sold per product: finished, unexpired lots' stock on hand
    minus what orders hold. Two queries whatever the number of products."""
    from django.utils import timezone

    from hoptac.inventory.models import ReservationState, StockReservation

    today = today or timezone.localdate()
    ids = list(product_ids)
    result = {pid: Decimal(0) for pid in ids}
    if not ids:
        return result
    sellable = Lot.objects.filter(_sellable(today), product_id__in=ids)
    for row in (
        StockMovement.objects.filter(lot__in=sellable)
        .values("lot__product_id")
        .annotate(total=Sum("quantity"))
    ):
        result[row["lot__product_id"]] += Decimal(row["total"] or 0)
    for row in (
        StockReservation.objects.filter(lot__in=sellable, state=ReservationState.HELD)
        .values("lot__product_id")
        .annotate(total=Sum("quantity"))
    ):
        result[row["lot__product_id"]] -= Decimal(row["total"] or 0)
    return {pid: max(quantize_qty(q), Decimal(0)) for pid, q in result.items()}


def next_lot_to_ship(product, *, today=None) -> Lot | None:
    """The lot the next order of ``product`` will be served from (first expiring first
    out, with packs not yet held), for the shop's "what you will receive" line."""
    from django.utils import timezone

    from hoptac.inventory.models import ReservationState

    today = today or timezone.localdate()
    lots = (
        Lot.objects.filter(_sellable(today), product=product)
        .annotate(
            on_hand=Coalesce(Sum("movements__quantity"), Value(Decimal(0)), output_field=DecimalField())
        )
        .filter(on_hand__gt=0)
        .order_by(F("best_before").asc(nulls_last=True), "production_date", "id")
    )
    for lot in lots[:5]:
        held = lot.reservations.filter(state=ReservationState.HELD).aggregate(t=Sum("quantity"))["t"] or 0
        if lot.on_hand - held > 0:
            return lot
    return None


def stock_held(lot) -> Decimal:
    """Packs of ``lot`` held for orders not shipped yet."""
    from hoptac.inventory.models import ReservationState, StockReservation

    total = StockReservation.objects.filter(lot=lot, state=ReservationState.HELD).aggregate(t=Sum("quantity"))["t"]
    return quantize_qty(Decimal(total or 0))

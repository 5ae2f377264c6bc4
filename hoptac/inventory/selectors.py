"""Reads for lots, stock and the trace of a lot back to households and villages."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum, Value
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
    sources = LotSource.objects.filter(lot__in=[r.pk for r in raw]).select_related(
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


def lot_by_gtin_and_code(gtin14: str, code: str) -> Lot | None:
    """GS1 Digital Link /01/<GTIN>/10/<lot>: the product's GTIN is unique on the platform."""
    candidates = Lot.unscoped.select_related("product", "cooperative").filter(code=code)
    for lot in candidates:
        if lot.product.gtin and lot.product.gtin.zfill(14) == gtin14:
            return lot
    return None

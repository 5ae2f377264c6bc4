"""Lots, their stock and trace data: list, one lot with its processing steps, stock per
product, a stock movement (sale, loss, adjustment) and the trace data of a lot.

Stock changes go through ``inventory.services.stock_move``, which locks the lot and
refuses to take its stock below zero: such a request gets 422 and stores nothing.

No ``from __future__ import annotations`` in router modules: ninja reads the handlers'
annotations through the gate's wrapper, whose module does not know these names.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from hoptac.api.access import coop_route
from hoptac.api.common import ERRORS, MAX_PAGE, local, paginate
from hoptac.api.idempotency import create_once
from hoptac.api.prices import product_or_422
from hoptac.api.schemas import DbId, PageMeta, Quantity, canonical_sha256, decimal_of, text
from hoptac.core.roles import Perm
from hoptac.inventory import selectors, services
from hoptac.inventory.models import Lot, MovementKind
from hoptac.lib.units import quantize_qty
from hoptac.trace.selectors import trace_data

router = Router(tags=["lots"])

# Who may make each kind of movement through POST lots/{lot_id}/movements.
MOVEMENT_PERMS = {
    MovementKind.SALE: Perm.STOCK_SELL,
    MovementKind.LOSS: Perm.STOCK_EDIT,
    MovementKind.ADJUST: Perm.STOCK_EDIT,
}


# --- schemas ------------------------------------------------------------------------------------


class ProductRef(Schema):
    id: int
    code: str
    name: str


class LotOut(Schema):
    uuid: UUID
    code: str = Field(description="The readable lot code, e.g. TD-MAT-2612-001.")
    public_code: str = Field(description="The code of the QR label: the trace page is /t/<public_code>.")
    product: ProductRef
    kind: Literal["raw", "finished"]
    unit: str = Field(description='"pack" for a finished lot; the product\'s unit (kg or l) for a raw lot.')
    quantity: str = Field(description="What the lot was made with, in ``unit`` (a decimal string).")
    on_hand: str = Field(description="Stock on hand now, in ``unit`` (a decimal string).")
    harvest_from: dt.date | None
    harvest_to: dt.date | None
    production_date: dt.date | None = Field(description="Production / packing date of a finished lot.")
    best_before: dt.date | None
    pack_count: int | None
    created_at: dt.datetime


class LotPage(PageMeta):
    items: list[LotOut]


class StepOut(Schema):
    id: int
    lot_code: str = Field(
        description="The lot the step was done on (a finished lot lists its raw lots' steps)."
    )
    kind: Literal["filtering", "drying", "withering", "rolling", "roasting", "sorting", "packing", "other"]
    kind_label: str
    description: str
    done_on: dt.date
    operator_name: str
    quantity_in: str
    quantity_out: str
    loss: str


class LotDetailOut(LotOut):
    notes: str
    steps: list[StepOut]


class MovementIn(Schema):
    client_key: UUID = Field(
        description="Made by the client, one per movement: a retry with the same key and body "
        "returns the first answer (200); another body under the same key is refused (422)."
    )
    kind: Literal["sale", "loss", "adjust"] = Field(
        description="sale (needs stock.sell), loss or adjust (need stock.edit)."
    )
    quantity: Quantity = Field(
        description="A decimal string in the lot's unit (whole packs for a finished lot). For sale and "
        "loss, the quantity taken out; for adjust, signed: negative takes out, positive adds.",
        examples=["2"],
    )
    reason: text(200) = Field("", description="Required for loss and adjust.")
    reference: text(60) = Field("", description="e.g. an invoice or order number.")

    def canonical_hash(self, lot_id: UUID) -> str:
        """SHA-256 of the lot and the body in one canonical form ("2" and "2.0" hash the same)."""
        data = self.model_dump(mode="json")
        number = decimal_of(self.quantity)
        data["quantity"] = format(number.normalize(), "f") if number else "0"
        data["reason"], data["reference"] = self.reason.strip(), self.reference.strip()
        data["lot"] = str(lot_id)
        return canonical_sha256(data)


class MovementOut(Schema):
    id: int
    lot_uuid: UUID
    kind: Literal["in", "used", "sale", "adjust", "loss"]
    kind_label: str
    quantity: str = Field(description="Signed: negative for stock out.")
    reason: str
    reference: str
    at: dt.datetime


class MovementResultOut(Schema):
    movement: MovementOut
    on_hand: str = Field(description="The lot's stock on hand after the movement.")
    unit: str


class StockOut(Schema):
    product_id: int
    product_name: str
    kind: Literal["raw", "finished"]
    unit: str = Field(description='"pack" for finished lots; kg or l for raw lots.')
    on_hand: str


# --- answers ------------------------------------------------------------------------------------


def _qty(value) -> str:
    return str(quantize_qty(Decimal(value or 0)))


def lot_out(lot: Lot, on_hand) -> dict:
    return {
        "uuid": lot.uuid,
        "code": lot.code,
        "public_code": lot.public_code,
        "product": {"id": lot.product_id, "code": lot.product.code, "name": lot.product.name},
        "kind": lot.kind,
        "unit": lot.stock_unit,
        "quantity": _qty(lot.quantity),
        "on_hand": _qty(on_hand),
        "harvest_from": lot.harvest_from,
        "harvest_to": lot.harvest_to,
        "production_date": lot.production_date,
        "best_before": lot.best_before,
        "pack_count": lot.pack_count,
        "created_at": local(lot.created_at),
    }


def step_out(step) -> dict:
    return {
        "id": step.pk,
        "lot_code": step.lot.code,
        "kind": step.kind,
        "kind_label": str(step.get_kind_display()),
        "description": step.description,
        "done_on": step.done_on,
        "operator_name": step.operator_name,
        "quantity_in": _qty(step.quantity_in),
        "quantity_out": _qty(step.quantity_out),
        "loss": _qty(step.loss),
    }


def _lot_or_404(lot_id: UUID) -> Lot:
    try:
        return selectors.lot_get(lot_id)
    except Lot.DoesNotExist:
        raise Http404 from None


# --- routes -------------------------------------------------------------------------------------


@router.get("/c/{slug}/lots", response={200: LotPage, **ERRORS}, summary="Lots")
@coop_route(Perm.STOCK_VIEW)
def lot_list(
    request,
    slug: str,
    product: Annotated[DbId | None, Query(description="Only lots of this product (id).")] = None,
    kind: Literal["raw", "finished"] | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """Lots, newest first, 50 a page, each with its stock on hand."""
    chosen = product_or_422(product) if product is not None else None
    meta, items = paginate(selectors.lot_list(product=chosen, kind=kind or ""), page)
    return {**meta, "items": [lot_out(lot, lot.on_hand) for lot in items]}


@router.get("/c/{slug}/lots/{lot_id}", response={200: LotDetailOut, **ERRORS}, summary="One lot")
@coop_route(Perm.STOCK_VIEW)
def lot_get(request, slug: str, lot_id: UUID):
    """A lot with its stock on hand and its processing steps (a finished lot also lists the
    steps of the raw lots it was made from), by date."""
    lot = _lot_or_404(lot_id)
    return {
        **lot_out(lot, selectors.stock_on_hand(lot)),
        "notes": lot.notes,
        "steps": [step_out(step) for step in selectors.lot_steps(lot)],
    }


MOVE = "stock.move"


@router.post(
    "/c/{slug}/lots/{lot_id}/movements",
    response={200: MovementResultOut, 201: MovementResultOut, **ERRORS},
    summary="Record a stock movement (sale, loss, adjustment; idempotent)",
)
@coop_route(Perm.STOCK_VIEW)
def lot_movement_create(request, slug: str, lot_id: UUID, payload: MovementIn):
    """Take stock out of a lot by sale (``stock.sell``), record a loss or an adjustment with
    a reason (``stock.edit``). Stock never goes below zero: such a movement is refused with
    422 and nothing is stored. 201 with the movement and the lot's new stock on hand; a
    retry with the same ``client_key`` and the same body returns the first answer with 200;
    the same key with another body is refused with 422 and stores nothing."""
    if not request.access.can(MOVEMENT_PERMS[payload.kind]):
        raise PermissionDenied
    lot = _lot_or_404(lot_id)

    def create() -> dict:
        movement = services.stock_move(
            lot=lot,
            kind=payload.kind,
            quantity=decimal_of(payload.quantity),
            reason=payload.reason,
            reference=payload.reference,
            actor=request.user,
        )
        answer = {
            "movement": {
                "id": movement.pk,
                "lot_uuid": lot.uuid,
                "kind": movement.kind,
                "kind_label": str(movement.get_kind_display()),
                "quantity": _qty(movement.quantity),
                "reason": movement.reason,
                "reference": movement.reference,
                "at": local(movement.at),
            },
            "on_hand": _qty(selectors.stock_on_hand(lot)),
            "unit": lot.stock_unit,
        }
        return MovementResultOut.model_validate(answer).model_dump(mode="json")

    return create_once(
        request,
        key=payload.client_key,
        operation=MOVE,
        body_hash=payload.canonical_hash(lot.uuid),
        create=create,
        refused=_(
            "This client_key was already used with different contents: nothing was stored. "
            "Make a new key for a new movement."
        ),
    )


@router.get("/c/{slug}/stock", response={200: list[StockOut], **ERRORS}, summary="Stock on hand")
@coop_route(Perm.STOCK_VIEW)
def stock_list(request, slug: str):
    """Stock on hand per product and lot kind (raw in kg or l, finished in packs)."""
    return [
        {
            "product_id": row["lot__product_id"],
            "product_name": row["lot__product__name"],
            "kind": row["lot__kind"],
            "unit": "pack" if row["lot__kind"] == "finished" else row["base_unit"],
            "on_hand": _qty(row["on_hand"]),
        }
        for row in selectors.stock_summary()
    ]


@router.get(
    "/c/{slug}/lots/{lot_id}/trace",
    response={200: dict[str, Any], **ERRORS},
    summary="Trace data of a lot",
)
@coop_route(Perm.STOCK_VIEW)
def lot_trace(request, slug: str, lot_id: UUID):
    """The lot's trace data: exactly the JSON of the trace export and the trace page
    (``trace.selectors.trace_data``), described by the JSON Schema
    hoptac/trace/schema/trace-export.schema.json: lot, product, producer, origin
    (households, villages, communes), raw lots, processing steps, certificates."""
    return trace_data(_lot_or_404(lot_id))

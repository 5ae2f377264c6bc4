"""Purchase receipts: list, one with its lines, record (idempotent), void.

No ``from __future__ import annotations`` in router modules: ninja reads the handlers'
annotations through the gate's wrapper, whose module does not know these names.
"""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router

from hoptac.api.access import coop_route
from hoptac.api.common import ERRORS, MAX_PAGE, check_day, local, paginate
from hoptac.api.idempotency import create_once
from hoptac.api.schemas import DbId, ReceiptIn, ReceiptOut, ReceiptPage, VoidIn, decimal_of
from hoptac.catalog.models import Product
from hoptac.coops import selectors as coop_selectors
from hoptac.coops.models import Member
from hoptac.core.roles import Perm
from hoptac.offtake import selectors, services
from hoptac.offtake.models import CollectionPoint, Receipt

router = Router(tags=["receipts"])

RECORD = "receipt.record"


def receipt_summary(receipt) -> dict:
    return {
        "uuid": receipt.uuid,
        "code": receipt.code,
        "number": receipt.number,
        "member": {"uuid": receipt.member.uuid, "full_name": receipt.member.full_name},
        "collected_at": local(receipt.collected_at),
        "point": {"id": receipt.point.pk, "name": receipt.point.name} if receipt.point_id else None,
        "collector": (receipt.collector.full_name or str(receipt.collector))
        if receipt.collector_id
        else None,
        "status": receipt.status,
        "total_vnd": receipt.total_vnd,
        "note": receipt.note,
        "void_reason": receipt.void_reason,
        "client_key": receipt.client_key,
        "created_at": local(receipt.created_at),
    }


def receipt_detail(receipt) -> dict:
    """A receipt with its lines; ``receipt`` comes from ``selectors.receipt_get``."""
    return {
        **receipt_summary(receipt),
        "lines": [
            {
                "product_id": line.product_id,
                "product_name": line.product.name,
                "grade": line.grade,
                "quantity": str(line.quantity),
                "unit": line.unit,
                "base_quantity": str(line.base_quantity),
                "base_unit": line.product.base_unit,
                "deduction_pct": str(line.deduction_pct),
                "net_quantity": str(line.net_quantity),
                "unit_price_vnd": line.unit_price_vnd,
                "list_price_vnd": line.list_price_vnd,
                "price_override_reason": line.price_override_reason,
                "amount_vnd": line.amount_vnd,
            }
            for line in receipt.lines.all()
        ],
    }


def _receipt_or_404(receipt_id) -> Receipt:
    try:
        return selectors.receipt_get(receipt_id)
    except Receipt.DoesNotExist:
        raise Http404 from None


def _point_or_422(point_id: int) -> CollectionPoint:
    point = CollectionPoint.objects.filter(pk=point_id).first()
    if point is None:
        raise ValidationError(_("Unknown collection point."), code="point")
    return point


def _member_or_422(member_id) -> Member:
    try:
        return coop_selectors.member_get(member_id)
    except Member.DoesNotExist:
        raise ValidationError(_("Unknown member."), code="member") from None


@router.get("/c/{slug}/receipts", response={200: ReceiptPage, **ERRORS}, summary="Receipts")
@coop_route(Perm.OFFTAKE_VIEW)
def receipt_list(
    request,
    slug: str,
    day: Annotated[
        dt.date | None, Query(description="Only receipts of this day (cooperative's time).")
    ] = None,
    point: Annotated[DbId | None, Query(description="Only this collection point (id).")] = None,
    member: Annotated[UUID | None, Query(description="Only this member (uuid).")] = None,
    status: Literal["confirmed", "voided"] | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """Receipts, newest first, 50 a page, without their lines."""
    receipts = selectors.receipt_list(
        day=check_day(day),
        point=_point_or_422(point) if point is not None else None,
        member=_member_or_422(member) if member is not None else None,
        status=status or "",
    )
    meta, items = paginate(receipts, page)
    return {**meta, "items": [receipt_summary(receipt) for receipt in items]}


@router.get("/c/{slug}/receipts/{receipt_id}", response={200: ReceiptOut, **ERRORS}, summary="One receipt")
@coop_route(Perm.OFFTAKE_VIEW)
def receipt_get(request, slug: str, receipt_id: UUID):
    """A receipt with its lines."""
    return receipt_detail(_receipt_or_404(receipt_id))


def _lines(payload: ReceiptIn) -> list[services.LineInput]:
    products = Product.objects.in_bulk({line.product_id for line in payload.lines})
    lines = []
    for index, line in enumerate(payload.lines, start=1):
        product = products.get(line.product_id)
        if product is None:
            raise ValidationError(_("Line %(n)s: unknown product.") % {"n": index}, code="product")
        lines.append(
            services.LineInput(
                product=product,
                quantity=decimal_of(line.quantity),
                unit=line.unit.value,
                grade=line.grade,
                deduction_pct=decimal_of(line.deduction_pct),
                unit_price_vnd=line.unit_price_vnd,
                override_reason=line.override_reason,
            )
        )
    return lines


@router.post(
    "/c/{slug}/receipts",
    response={200: ReceiptOut, 201: ReceiptOut, **ERRORS},
    summary="Record a receipt (idempotent)",
)
@coop_route(Perm.RECEIPT_RECORD)
def receipt_create(request, slug: str, payload: ReceiptIn):
    """Record a purchase receipt with its ledger entry. 201 the first time; a retry with
    the same ``client_key`` and the same body returns the first answer with 200; the same
    key with another body is refused with 422 and stores nothing."""

    def create() -> dict:
        if Receipt.objects.filter(client_key=payload.client_key).exists():
            # Recorded by another channel, whose body cannot be compared: refuse, safely.
            raise ValidationError(
                _("This client_key was already used for a receipt. Make a new key for a new receipt."),
                code="key_used",
            )
        receipt = services.receipt_record(
            member=_member_or_422(payload.member_id),
            collected_at=payload.collected_at,
            lines=_lines(payload),
            point=_point_or_422(payload.point_id) if payload.point_id is not None else None,
            collector=request.user,
            note=payload.note,
            may_override_price=request.access.can(Perm.PRICE_OVERRIDE),
            client_key=payload.client_key,
            actor=request.user,
        )
        answer = ReceiptOut.model_validate(receipt_detail(selectors.receipt_get(receipt.uuid)))
        return answer.model_dump(mode="json")

    return create_once(
        request,
        key=payload.client_key,
        operation=RECORD,
        body_hash=payload.canonical_hash(),
        create=create,
        refused=_(
            "This client_key was already used for another receipt with different contents: "
            "nothing was recorded. Make a new key for a new receipt."
        ),
    )


@router.post(
    "/c/{slug}/receipts/{receipt_id}/void", response={200: ReceiptOut, **ERRORS}, summary="Void a receipt"
)
@coop_route(Perm.RECEIPT_VOID)
def receipt_void(request, slug: str, receipt_id: UUID, payload: VoidIn):
    """Void a confirmed receipt with a reason: its ledger entry is reversed; nothing is deleted."""
    receipt = services.receipt_void(
        receipt=_receipt_or_404(receipt_id), reason=payload.reason, actor=request.user
    )
    return receipt_detail(selectors.receipt_get(receipt.uuid))

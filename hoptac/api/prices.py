"""Price lists: the prices in force, their history, and a new price."""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router

from hoptac.api.access import coop_route
from hoptac.api.common import ERRORS, MAX_PAGE, local, paginate
from hoptac.api.idempotency import create_once
from hoptac.api.schemas import DbId, PriceIn, PriceOut, PricePage
from hoptac.catalog.models import Product
from hoptac.core.roles import Perm
from hoptac.offtake import selectors, services

router = Router(tags=["prices"])


def price_out(price) -> dict:
    return {
        "id": price.pk,
        "product_id": price.product_id,
        "product_name": price.product.name,
        "unit": price.product.base_unit,
        "grade": price.grade,
        "price_vnd": price.price_vnd,
        "effective_from": local(price.effective_from),
        "note": price.note,
    }


def product_or_422(product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ValidationError(_("Unknown product."), code="product")
    return product


@router.get("/c/{slug}/prices", response={200: list[PriceOut], **ERRORS}, summary="Prices in force")
@coop_route(Perm.OFFTAKE_VIEW)
def prices_in_force(request, slug: str):
    """The price in force now of each product and grade of the cooperative."""
    return [price_out(price) for price in selectors.prices_in_force()]


@router.get("/c/{slug}/prices/history", response={200: PricePage, **ERRORS}, summary="Price history")
@coop_route(Perm.OFFTAKE_VIEW)
def price_history(
    request,
    slug: str,
    product: Annotated[DbId | None, Query(description="Only this product (id).")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """Every row of the price list, newest first, 50 a page."""
    chosen = product_or_422(product) if product is not None else None
    meta, items = paginate(selectors.price_history(chosen), page)
    return {**meta, "items": [price_out(price) for price in items]}


SET = "price.set"


@router.post(
    "/c/{slug}/prices", response={200: PriceOut, 201: PriceOut, **ERRORS}, summary="Set a price (idempotent)"
)
@coop_route(Perm.PRICE_SET)
def price_create(request, slug: str, payload: PriceIn):
    """A new row of the price list, in force from ``effective_from`` (default now).
    Earlier rows stay as the history. 201 the first time; a retry with the same
    ``client_key`` and the same body returns the first answer with 200; the same key with
    another body is refused with 422 and stores nothing."""

    def create() -> dict:
        price = services.price_set(
            product=product_or_422(payload.product_id),
            grade=payload.grade,
            price_vnd=payload.price_vnd,
            effective_from=payload.effective_from,
            note=payload.note,
            actor=request.user,
        )
        return PriceOut.model_validate(price_out(price)).model_dump(mode="json")

    return create_once(
        request,
        key=payload.client_key,
        operation=SET,
        body_hash=payload.canonical_hash(),
        create=create,
        refused=_(
            "This client_key was already used with different contents: nothing was saved. "
            "Make a new key for a new price."
        ),
    )

"""The cooperative's products with their certificates (catalog), for reading.

No ``from __future__ import annotations`` in router modules: ninja reads the handlers'
annotations through the gate's wrapper, whose module does not know these names.
"""

import datetime as dt
from typing import Annotated, Literal

from django.db.models import Prefetch
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from hoptac.api.access import coop_route
from hoptac.api.common import ERRORS, MAX_PAGE, paginate
from hoptac.api.schemas import PageMeta
from hoptac.catalog import selectors as catalog
from hoptac.catalog.models import Certificate
from hoptac.core.roles import Perm

router = Router(tags=["products"])


class CertificateOut(Schema):
    id: int
    kind: Literal["ocop", "vietgap", "organic", "gi", "haccp", "other"]
    kind_label: str
    stars: int | None = Field(description="OCOP stars (1–5); null for other kinds.")
    number: str
    issuer: str
    issued_on: dt.date
    expires_on: dt.date | None
    valid_today: bool = Field(description="Issued on or before today and not expired (cooperative's day).")


class ProductOut(Schema):
    id: int
    code: str = Field(description="The short code used in receipt and lot codes, e.g. MAT.")
    name: str
    name_en: str
    ocop_group: Literal["food", "drinks", "herbs", "handicraft", "ornamental", "tourism"]
    ocop_group_label: str
    base_unit: Literal["kg", "l"] = Field(description="The unit it is bought and stocked in.")
    sale_unit: str = Field(description='What a pack is called, e.g. "hũ" (jar); may be empty.')
    pack_size: str | None = Field(description='A decimal string, e.g. "500.000"; null when not set.')
    pack_unit: Literal["g", "kg", "ml", "l", ""]
    gtin: str | None = Field(description="The barcode number (8, 12, 13 or 14 digits), or null.")
    is_active: bool
    certificates: list[CertificateOut]


class ProductPage(PageMeta):
    items: list[ProductOut]


def certificate_out(certificate: Certificate, today: dt.date) -> dict:
    return {
        "id": certificate.pk,
        "kind": certificate.kind,
        "kind_label": str(certificate.get_kind_display()),
        "stars": certificate.stars,
        "number": certificate.number,
        "issuer": certificate.issuer,
        "issued_on": certificate.issued_on,
        "expires_on": certificate.expires_on,
        "valid_today": certificate.is_valid_on(today),
    }


def product_out(product, today: dt.date) -> dict:
    return {
        "id": product.pk,
        "code": product.code,
        "name": product.name,
        "name_en": product.name_en,
        "ocop_group": product.ocop_group,
        "ocop_group_label": str(product.get_ocop_group_display()),
        "base_unit": product.base_unit,
        "sale_unit": product.sale_unit,
        "pack_size": str(product.pack_size) if product.pack_size is not None else None,
        "pack_unit": product.pack_unit,
        "gtin": product.gtin or None,
        "is_active": product.is_active,
        "certificates": [certificate_out(c, today) for c in product.certificates.all()],
    }


@router.get("/c/{slug}/products", response={200: ProductPage, **ERRORS}, summary="Products")
@coop_route(Perm.COOP_VIEW)
def product_list(
    request,
    slug: str,
    active: Annotated[
        bool | None, Query(description="Only active (true) or inactive (false) products.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """The cooperative's products by name, 50 a page, each with its certificates (newest
    first) and whether each is valid today. Anyone with a role in the cooperative may read
    them, as the catalog page."""
    products = catalog.product_list().prefetch_related(
        Prefetch("certificates", queryset=Certificate.objects.order_by("-issued_on", "-id"))
    )
    if active is not None:
        products = products.filter(is_active=active)
    meta, items = paginate(products, page)
    today = timezone.localdate()
    return {**meta, "items": [product_out(product, today) for product in items]}

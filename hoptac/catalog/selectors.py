"""Reads of the catalog."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from hoptac.catalog.models import Certificate, CertificateKind, Product, ProductPhoto

EXPIRING_DAYS = 90


def product_list(*, active_only: bool = False) -> QuerySet[Product]:
    """The current cooperative's products by name."""
    qs = Product.objects.order_by("name", "id")
    return qs.filter(is_active=True) if active_only else qs


def first_photos(product_ids) -> dict[int, ProductPhoto]:
    """The first photo of each product (by position), one query: the photo a list, a lot
    page or the overview shows for the product."""
    found: dict[int, ProductPhoto] = {}
    for photo in ProductPhoto.objects.filter(product_id__in=list(product_ids)).order_by("position", "id"):
        found.setdefault(photo.product_id, photo)
    return found


def catalog_list() -> list[Product]:
    """Products for the catalog page, each with ``first_photo`` (or None) and ``ocop_stars``
    (the stars of its latest OCOP certificate, or None), in a fixed number of queries."""
    products = list(product_list())
    ids = [p.pk for p in products]
    first_photo = first_photos(ids)
    stars: dict[int, int] = {}
    ocop = Certificate.objects.filter(product_id__in=ids, kind=CertificateKind.OCOP).order_by(
        "issued_on", "id"
    )
    for certificate in ocop:
        stars[certificate.product_id] = certificate.stars  # the latest one wins
    for product in products:
        product.first_photo = first_photo.get(product.pk)
        product.ocop_stars = stars.get(product.pk)
    return products


def product_detail(product_id: int) -> Product:
    """One product of the current cooperative with its photos and certificates; raises
    ``Product.DoesNotExist`` when it is not there (another cooperative's product included)."""
    return Product.objects.prefetch_related(
        Prefetch("photos", queryset=ProductPhoto.objects.order_by("position", "id")),
        Prefetch("certificates", queryset=Certificate.objects.order_by("-issued_on", "-id")),
    ).get(pk=product_id)


def photo_get(*, product: Product, photo_id: int) -> ProductPhoto:
    return ProductPhoto.objects.get(pk=photo_id, product=product)


def certificate_get(certificate_id: int) -> Certificate:
    return Certificate.objects.select_related("product").get(pk=certificate_id)


def cooperative_certificates() -> QuerySet[Certificate]:
    """Certificates of the cooperative itself (no product)."""
    return Certificate.objects.filter(product__isnull=True).order_by("-issued_on", "-id")


def certificate_status(certificate: Certificate, today: dt.date | None = None) -> str:
    """``valid``, ``expiring`` (within 90 days), ``expired`` or ``pending`` (not yet issued)."""
    today = today or timezone.localdate()
    if certificate.issued_on > today:
        return "pending"
    if certificate.expires_on is None:
        return "valid"
    if certificate.expires_on < today:
        return "expired"
    if certificate.expires_on <= today + dt.timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"


def _not_renewed(queryset: QuerySet[Certificate]) -> QuerySet[Certificate]:
    """Leaves out a certificate that a later one of the same kind, for the same product (or
    for the cooperative itself), already replaces: it needs no reminder."""
    today = timezone.localdate()
    later = Certificate.objects.filter(
        kind=OuterRef("kind"), issued_on__gt=OuterRef("issued_on"), issued_on__lte=today
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on")))
    return queryset.exclude(Exists(later.filter(product=OuterRef("product")))).exclude(
        Q(product__isnull=True) & Exists(later.filter(product__isnull=True))
    )


def certificates_expiring(within_days: int = EXPIRING_DAYS) -> QuerySet[Certificate]:
    """Current certificates of the cooperative that expire in the next ``within_days`` days."""
    today = timezone.localdate()
    return _not_renewed(
        Certificate.objects.filter(
            expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=within_days)
        )
        .select_related("product")
        .order_by("expires_on", "id")
    )


def certificates_expired() -> QuerySet[Certificate]:
    """Certificates of the cooperative that have expired, most recently expired first."""
    return _not_renewed(
        Certificate.objects.filter(expires_on__lt=timezone.localdate())
        .select_related("product")
        .order_by("-expires_on", "id")
    )

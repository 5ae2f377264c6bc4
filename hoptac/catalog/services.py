"""Writes for the catalog: the products a cooperative buys from members or sells."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.catalog import photos
from hoptac.catalog.models import (
    OCOP_VALIDITY_MONTHS,
    Certificate,
    CertificateKind,
    OcopGroup,
    Product,
    ProductPhoto,
    add_months,
)
from hoptac.core import pagecache
from hoptac.core.audit import audit_record
from hoptac.core.tenancy import require_cooperative
from hoptac.lib import bounds
from hoptac.lib import gtin as gtin_lib
from hoptac.lib.units import BaseUnit

CODE_RE = re.compile(r"^[A-Z0-9]{2,6}$")
NAME_MAX = 160


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def product_create(
    *,
    name: str,
    code: str,
    base_unit: str = BaseUnit.KG,
    name_en: str = "",
    ocop_group: str = OcopGroup.FOOD,
    description: str = "",
    actor=None,
) -> Product:
    """A product of the current cooperative. The short code is unique in the cooperative."""
    coop = require_cooperative()
    name = " ".join((name or "").split())
    code = (code or "").strip().upper()
    if not name or len(name) > NAME_MAX:
        raise ValidationError(_("Give the product's name, at most 160 characters."), code="name")
    if not CODE_RE.match(code):
        raise ValidationError(_("2 to 6 capital letters or digits, e.g. MAT."), code="code")
    if base_unit not in {unit.value for unit in BaseUnit}:
        raise ValidationError(_("Unknown unit."), code="base_unit")
    if ocop_group not in OcopGroup.values:
        raise ValidationError(_("Unknown OCOP group."), code="ocop_group")
    duplicate = ValidationError(
        _("A product with the code %(code)s already exists.") % {"code": code}, code="duplicate"
    )
    if Product.objects.filter(code=code).exists():
        raise duplicate
    try:
        with transaction.atomic():
            product = Product.objects.create(
                cooperative=coop,
                name=name,
                name_en=" ".join((name_en or "").split())[:NAME_MAX],
                code=code,
                base_unit=base_unit,
                ocop_group=ocop_group,
                description=(description or "").strip(),
            )
    except IntegrityError:
        # The same code saved by someone else a moment ago.
        raise duplicate from None
    audit_record(
        action="product.create", actor=actor, cooperative=coop, obj=product, data={"code": product.code}
    )
    return product


# --- products -----------------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name",
    "name_en",
    "ocop_group",
    "sale_unit",
    "pack_size",
    "pack_unit",
    "gtin",
    "description",
    "story",
    "is_active",
)
PACK_UNITS = ("g", "kg", "ml", "l")


def _gtin_taken() -> ValidationError:
    return ValidationError(
        _("This GTIN is already used by another product. A GTIN names one product in the whole world."),
        code="gtin",
    )


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def product_update(*, product: Product, actor=None, **fields) -> Product:
    """Change a product's catalog details; only the fields given change."""
    coop = require_cooperative()
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"product_update() got unknown fields: {sorted(unknown)}")
    if product.cooperative_id != coop.pk:
        raise ValidationError(_("This product is not in this cooperative."), code="product")
    errors: list[ValidationError] = []
    if "name" in fields:
        fields["name"] = " ".join((fields["name"] or "").split())
        if not fields["name"] or len(fields["name"]) > NAME_MAX:
            errors.append(ValidationError(_("Give the product's name, at most 160 characters."), code="name"))
    if "name_en" in fields:
        fields["name_en"] = " ".join((fields["name_en"] or "").split())
        if len(fields["name_en"]) > NAME_MAX:
            errors.append(ValidationError(_("The English name is at most 160 characters."), code="name_en"))
    if "ocop_group" in fields and fields["ocop_group"] not in OcopGroup.values:
        errors.append(ValidationError(_("Unknown OCOP group."), code="ocop_group"))
    if "sale_unit" in fields:
        fields["sale_unit"] = (fields["sale_unit"] or "").strip()
        if len(fields["sale_unit"]) > 40:
            errors.append(ValidationError(_("The sale unit is at most 40 characters."), code="sale_unit"))
    if "pack_size" in fields:
        size = fields["pack_size"]
        if size is not None and (size <= 0 or size > bounds.QUANTITY["pack_size"].high):
            errors.append(
                ValidationError(_("The pack size must be a positive number, e.g. 500."), code="pack_size")
            )
    if "pack_unit" in fields:
        fields["pack_unit"] = fields["pack_unit"] or ""
        if fields["pack_unit"] not in ("", *PACK_UNITS):
            errors.append(ValidationError(_("The pack unit is g, kg, ml or l."), code="pack_unit"))
    if "gtin" in fields:
        gtin = "".join((fields["gtin"] or "").split())
        fields["gtin"] = gtin
        if gtin and not gtin_lib.is_valid(gtin):
            errors.append(
                ValidationError(
                    _(
                        "This is not a valid GTIN: it has 8, 12, 13 or 14 digits and the last one is "
                        "the check digit. Copy it again from the barcode."
                    ),
                    code="gtin",
                )
            )
        # A GTIN is unique on the whole platform (the database says so too), so this one read
        # looks across cooperatives; it tells only that the number is taken, not by whom.
        elif gtin and Product.unscoped.filter(gtin=gtin).exclude(pk=product.pk).exists():
            errors.append(_gtin_taken())
    for text_field in ("description", "story"):
        if text_field in fields:
            fields[text_field] = (fields[text_field] or "").strip()
    if "is_active" in fields:
        fields["is_active"] = bool(fields["is_active"])
    merged = {**{f: getattr(product, f) for f in PRODUCT_FIELDS}, **fields}
    pack_given = "pack_size" in fields or "pack_unit" in fields
    if pack_given and merged["pack_size"] is not None and not merged["pack_unit"]:
        errors.append(
            ValidationError(_("Give the unit of the pack size (g, kg, ml or l)."), code="pack_unit")
        )
    if errors:
        raise ValidationError(errors)
    changed = {f: v for f, v in fields.items() if getattr(product, f) != v}
    if not changed:
        return product
    for name, value in changed.items():
        setattr(product, name, value)
    try:
        with transaction.atomic():
            product.save(update_fields=list(changed))
    except IntegrityError:
        raise _gtin_taken() from None
    audit_record(
        action="product.update",
        actor=actor,
        cooperative=coop,
        obj=product,
        data={name: str(value) for name, value in changed.items()},
    )
    return product


# --- photos -------------------------------------------------------------------------------------

ALT_MAX = 200


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def photo_add(*, product: Product, upload, alt: str = "", actor=None) -> ProductPhoto:
    """A photo of the product: checked, turned upright, stored with its 800 and 320 px variants."""
    coop = require_cooperative()
    if product.cooperative_id != coop.pk:
        raise ValidationError(_("This product is not in this cooperative."), code="product")
    alt = " ".join((alt or "").split())
    if len(alt) > ALT_MAX:
        raise ValidationError(_("The description of the photo is at most 200 characters."), code="alt")
    stem = f"{coop.slug}-{product.code.lower()}-{uuid.uuid4().hex[:12]}"
    variants = photos.make_variants(upload, stem=stem)
    position = (product.photos.aggregate(top=Max("position"))["top"] or 0) + 1
    photo = ProductPhoto(
        cooperative=coop,
        product=product,
        alt=alt,
        width=variants.width,
        height=variants.height,
        position=position,
    )
    stored = []
    try:
        for field in ("original", "medium", "small"):
            content = getattr(variants, field)
            getattr(photo, field).save(content.name, content, save=False)
            stored.append(getattr(photo, field).name)
        photo.save()
    except Exception:
        _delete_files(stored)
        raise
    audit_record(
        action="product.photo_add",
        actor=actor,
        cooperative=coop,
        obj=photo,
        data={"product": product.pk, "width": photo.width, "height": photo.height},
    )
    return photo


def _delete_files(names: list[str]) -> None:
    storage = ProductPhoto._meta.get_field("original").storage
    for name in names:
        if name:
            storage.delete(name)


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def photo_delete(*, photo: ProductPhoto, actor=None) -> None:
    """Remove a photo and, once the deletion is committed, its files."""
    coop = require_cooperative()
    if photo.cooperative_id != coop.pk:
        raise ValidationError(_("This photo is not in this cooperative."), code="photo")
    names = [photo.original.name, photo.medium.name, photo.small.name]
    audit_record(
        action="product.photo_delete",
        actor=actor,
        cooperative=coop,
        obj=photo,
        data={"product": photo.product_id},
    )
    photo.delete()
    transaction.on_commit(lambda: _delete_files(names))


# --- certificates -------------------------------------------------------------------------------


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def certificate_add(
    *,
    product: Product | None,
    kind: str,
    stars: int | None,
    number: str,
    issuer: str,
    issued_on: dt.date,
    expires_on: dt.date | None = None,
    document=None,
    actor=None,
) -> Certificate:
    """A certificate of a product (or of the cooperative when ``product`` is None).

    OCOP: 1 to 5 stars, valid 36 months from the issue date unless another expiry is given.
    """
    coop = require_cooperative()
    if product is not None and product.cooperative_id != coop.pk:
        raise ValidationError(_("This product is not in this cooperative."), code="product")
    errors: list[ValidationError] = []
    if kind not in CertificateKind.values:
        errors.append(ValidationError(_("Unknown kind of certificate."), code="kind"))
    if kind == CertificateKind.OCOP:
        if stars is None or not 1 <= stars <= 5:
            errors.append(ValidationError(_("An OCOP certificate has 1 to 5 stars."), code="stars"))
        elif expires_on is None and issued_on is not None:
            expires_on = add_months(issued_on, OCOP_VALIDITY_MONTHS)
    else:
        stars = None
    number = " ".join((number or "").split())
    issuer = " ".join((issuer or "").split())
    if len(number) > 60:
        errors.append(ValidationError(_("The certificate number is at most 60 characters."), code="number"))
    if not issuer or len(issuer) > 200:
        errors.append(
            ValidationError(_("Give who issued the certificate, at most 200 characters."), code="issuer")
        )
    if issued_on is None:
        errors.append(ValidationError(_("Give the issue date."), code="issued_on"))
    elif issued_on > timezone.localdate():
        errors.append(ValidationError(_("The issue date cannot be in the future."), code="issued_on"))
    elif expires_on is not None and expires_on < issued_on:
        errors.append(
            ValidationError(_("The expiry date cannot be before the issue date."), code="expires_on")
        )
    ext = photos.check_document(document) if document else None
    if errors:
        raise ValidationError(errors)
    certificate = Certificate(
        cooperative=coop,
        product=product,
        kind=kind,
        stars=stars,
        number=number,
        issuer=issuer,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    if document:
        certificate.document.save(f"{coop.slug}-{kind}-{uuid.uuid4().hex[:12]}.{ext}", document, save=False)
    try:
        certificate.save()
    except Exception:
        if certificate.document:
            certificate.document.storage.delete(certificate.document.name)
        raise
    audit_record(
        action="certificate.add",
        actor=actor,
        cooperative=coop,
        obj=certificate,
        data={"kind": kind, "product": product.pk if product else None, "number": number},
    )
    return certificate


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def certificate_delete(*, certificate: Certificate, actor=None) -> None:
    """Remove a certificate entered by mistake, and its document once that is committed."""
    coop = require_cooperative()
    if certificate.cooperative_id != coop.pk:
        raise ValidationError(_("This certificate is not in this cooperative."), code="certificate")
    name = certificate.document.name if certificate.document else ""
    audit_record(
        action="certificate.delete",
        actor=actor,
        cooperative=coop,
        obj=certificate,
        data={"kind": certificate.kind, "number": certificate.number},
    )
    certificate.delete()
    if name:
        storage = certificate.document.storage
        transaction.on_commit(lambda: storage.delete(name))

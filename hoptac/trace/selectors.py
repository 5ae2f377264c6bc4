"""The trace data of a lot: one dictionary used by the public trace page, the label sheet
and the JSON export, so that they never disagree.

Every value is JSON-ready: dates as ISO strings, quantities as strings. The number of
queries is constant whatever the number of raw lots, receipts, households and steps.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from hoptac.catalog.models import Certificate, ProductPhoto
from hoptac.catalog.photos import srcset as photo_srcset
from hoptac.catalog.photos import variant_size
from hoptac.catalog.selectors import certificate_status
from hoptac.core.sites import public_base
from hoptac.core.tenancy import tenant
from hoptac.inventory.models import Lot, LotSource, ProcessingStep, looks_like_public_code
from hoptac.inventory.selectors import Origin, lot_by_legacy_gs1_path, lot_by_public_code, raw_lots_of
from hoptac.lib import gtin as gtin_lib
from hoptac.lib import places
from hoptac.lib.units import qty_text

SCHEMA_VERSION = "1.0"
SCHEMA_ID = "https://hoptac.example/schema/trace-export/1.0"


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _qty(value) -> str | None:
    return None if value is None else qty_text(value)


def consumer_gtin14(lot: Lot) -> str | None:
    """The GTIN-14 a lot may carry: its product's, for a finished lot only.

    A GTIN names a trade item, the jar or bag a shopper buys (GS1 General Specifications);
    a raw lot of bulk honey or fresh buds is not that item, so it carries no GTIN on its
    label, in its QR or in its export, even when its product record has one.
    """
    gtin = lot.product.gtin
    if lot.is_finished and gtin and gtin_lib.is_valid(gtin):
        return gtin_lib.to_gtin14(gtin)
    return None


def trace_path(lot: Lot) -> str:
    """The path printed in the QR. A finished lot of a product with a GTIN: the GS1 Digital
    Link ``/01/<GTIN-14>/10/<public code>``, whose batch (AI 10) is the lot's random public
    code, not its sequential internal code, so that no lot can be found by counting. Any
    other lot (raw lots, products without a GTIN): ``/t/<public code>``."""
    gtin14 = consumer_gtin14(lot)
    if gtin14:
        return f"/01/{gtin14}/10/{lot.public_code}"
    return f"/t/{lot.public_code}"


def trace_url(lot: Lot, request=None) -> str:
    return public_base(request) + trace_path(lot)


def _live(lot: Lot | None) -> Lot | None:
    return lot if lot is not None and lot.cooperative.is_active else None


def public_lot(code: str) -> Lot | None:
    """The lot of a public code (explicit cross-cooperative read of one lot)."""
    code = (code or "").strip()
    if not code or len(code) > 12 or not code.isalnum():
        return None
    return _live(lot_by_public_code(code))


def gs1_lot(gtin: str, key: str, *, today: dt.date | None = None) -> Lot | None:
    """The lot of a GS1 Digital Link ``/01/<GTIN>/10/<key>``, or ``None`` (the same 404 for a
    bad GTIN, an unknown key and a lot that exists but is not reachable this way).

    ``key`` is the lot's public code, and the lot must be a finished lot of the product with
    that GTIN. The sequential internal code (``TD-MAT-2611-002``) is refused, except for a lot
    labelled before this rule (``Lot.legacy_gs1_path``) until its best-before date.
    """
    if not gtin_lib.is_valid(gtin) or not key or len(key) > 30:
        return None
    gtin14 = gtin_lib.to_gtin14(gtin)
    if looks_like_public_code(key.upper()):
        lot = lot_by_public_code(key)
        if lot is not None and consumer_gtin14(lot) == gtin14:
            return _live(lot)
    lot = lot_by_legacy_gs1_path(gtin14, key)
    if lot is None:
        return None
    today = today or timezone.localdate()
    if lot.best_before is not None and lot.best_before < today:
        return None
    return _live(lot)


def _origin(lot: Lot) -> Origin:
    """What ``inventory.selectors.lot_origin`` says (a test holds them equal), read as plain
    values rather than five model instances per receipt: the trace page is the hottest
    public page and a honey lot has hundreds of receipts."""
    raw = raw_lots_of(lot)
    rows = LotSource.objects.filter(lot__in=[r.pk for r in raw], removed_at__isnull=True).values_list(
        "quantity",
        "receipt_line__receipt__member_id",
        "receipt_line__receipt__member__full_name",
        "receipt_line__receipt__member__trace_consent",
        "receipt_line__receipt__member__commune_code",
        "receipt_line__receipt__member__village__name",
    )
    members: dict[int, tuple] = {}
    quantity = Decimal(0)
    for qty, member_id, name, consent, commune, village in rows:
        members[member_id] = (name, consent, commune, village)
        quantity += qty
    return Origin(
        households=len(members),
        named_households=sorted(m[0] for m in members.values() if m[1]),
        villages=sorted({m[3] for m in members.values() if m[3]}),
        commune_codes=sorted({m[2] for m in members.values()}),
        quantity=quantity,
        raw_lots=raw,
    )


def trace_data(lot: Lot, *, today: dt.date | None = None) -> dict:
    """Everything a trace page or export says about ``lot`` (with its product and
    cooperative loaded), read in the lot's own cooperative."""
    return _trace(lot, today=today)[0]


def trace_page_data(lot: Lot, *, today: dt.date | None = None) -> tuple[dict, dict]:
    """What :func:`trace_data` says, and what only the page shows (not part of the export
    schema): the photo's ``srcset`` from its resized variants and the cooperative's logo.
    No query more than the export."""
    data, photo = _trace(lot, today=today)
    logo = lot.cooperative.logo
    page = {
        "photo_srcset": photo_srcset(photo) if photo is not None else "",
        "logo_url": logo.url if logo else "",
    }
    return data, page


def _trace(lot: Lot, *, today: dt.date | None = None) -> tuple[dict, ProductPhoto | None]:
    today = today or timezone.localdate()
    coop = lot.cooperative
    product = lot.product
    with tenant(coop):
        origin = _origin(lot)  # raw lots (1 query for a finished lot) + sources (1)
        lot_ids = [lot.pk, *[r.pk for r in origin.raw_lots if r.pk != lot.pk]]
        codes = {lot.pk: lot.code, **{r.pk: r.code for r in origin.raw_lots}}
        steps = list(ProcessingStep.objects.filter(lot__in=lot_ids).order_by("done_on", "id"))
        certificates = list(
            Certificate.objects.filter(Q(product=product) | Q(product__isnull=True)).order_by(
                "product_id", "-issued_on", "-id"
            )
        )
        photo = (
            ProductPhoto.objects.filter(product=product).exclude(small="").order_by("position", "id").first()
        )

    packing_steps = [s.done_on for s in steps if s.kind == "packing"]
    packed_on = lot.production_date or (max(packing_steps) if packing_steps else None)
    photo_data = None
    if photo is not None:
        width, height = variant_size(photo.width, photo.height, 320)
        photo_data = {"url": photo.small.url, "width": width, "height": height, "alt": photo.alt}
    return {
        "$schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "generated_on": today.isoformat(),
        "lot": {
            "code": lot.code,
            "public_code": lot.public_code,
            "kind": lot.kind,
            "quantity": qty_text(lot.quantity),
            "unit": "pack" if lot.is_finished else product.base_unit,
            "pack_count": lot.pack_count,
            "harvest_from": _iso(lot.harvest_from),
            "harvest_to": _iso(lot.harvest_to),
            "production_date": _iso(lot.production_date),
            "packing_date": _iso(packed_on),
            "best_before": _iso(lot.best_before),
            "trace_path": trace_path(lot),
        },
        "product": {
            "name": product.name,
            "name_en": product.name_en,
            "gtin": consumer_gtin14(lot),
            "ocop_group": product.ocop_group,
            "sale_unit": product.sale_unit,
            "pack_size": _qty(product.pack_size),
            "pack_unit": product.pack_unit,
            "story": product.story,
        },
        "producer": {
            "name": coop.name,
            "kind": coop.kind,
            "tax_code": coop.tax_code,
            "address": coop.address,
            "commune_code": coop.commune_code,
            "commune_name": places.commune_name(coop.commune_code),
            "province_code": coop.province_code,
            "province_name": places.province_name(coop.province_code),
            "phone": coop.phone,
            "email": coop.email,
        },
        "origin": {
            "households": origin.households,
            "named_households": origin.named_households,
            "villages": origin.villages,
            "communes": [
                {
                    "code": code,
                    "name": places.commune_name(code),
                    "province_name": places.province_name(places.commune_province(code)),
                }
                for code in origin.commune_codes
            ],
            "quantity": qty_text(origin.quantity),
            "unit": product.base_unit,
        },
        "raw_lots": [
            {
                "code": raw.code,
                "quantity": qty_text(raw.quantity),
                "harvest_from": _iso(raw.harvest_from),
                "harvest_to": _iso(raw.harvest_to),
            }
            for raw in origin.raw_lots
            if raw.pk != lot.pk
        ],
        "steps": [
            {
                "kind": step.kind,
                "description": step.description,
                "date": step.done_on.isoformat(),
                "operator": step.operator_name,
                "quantity_in": qty_text(step.quantity_in),
                "quantity_out": qty_text(step.quantity_out),
                "lot_code": codes.get(step.lot_id, ""),
            }
            for step in steps
        ],
        "certificates": [
            {
                "kind": cert.kind,
                "scope": "product" if cert.product_id else "cooperative",
                "stars": cert.stars,
                "number": cert.number,
                "issuer": cert.issuer,
                "issued_on": cert.issued_on.isoformat(),
                "expires_on": _iso(cert.expires_on),
                "status": certificate_status(cert, today),
            }
            for cert in certificates
        ],
        "photo": photo_data,
    }, photo

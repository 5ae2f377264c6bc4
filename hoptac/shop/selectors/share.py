"""Reads of the share kit: what a product's (or a lot's, or a link's) kit shows, the
caption facts, and the cooperative's share links with their visits, orders and money.

All scoped to the current cooperative except :func:`link_by_code` (the public ``/l/``
address: an explicit ``unscoped`` read of one link by its code).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.inventory.models import Lot, LotKind
from hoptac.inventory.selectors import lot_origin
from hoptac.lib import places
from hoptac.lib.captions import CaptionFacts, LotFacts
from hoptac.shop.models import Channel, Listing, Order, OrderStatus, ShareLink
from hoptac.shop.selectors import catalogue

UNDONE = (OrderStatus.CANCELLED, OrderStatus.RETURNED)
MAX_LOTS = 30


@dataclass
class Kit:
    """One share kit: a listed product, perhaps one lot of it, perhaps a share link."""

    listing: Listing
    product: Product
    card: catalogue.Card
    lot: Lot | None = None
    link: ShareLink | None = None
    lot_communes: tuple[str, ...] = ()
    lot_harvest: tuple[dt.date | None, dt.date | None] = (None, None)

    @property
    def photo_path(self) -> str:
        return self.card.photo.source if self.card.photo is not None else ""

    def path(self) -> str:
        """The public path the kit's caption and QR lead to (``/l/<code>`` or ``/p/<code>``)."""
        if self.link is not None:
            return f"/l/{self.link.code}"
        return f"/p/{self.listing.short_code}"

    def facts(self, *, base: str, trace_path: str = "") -> CaptionFacts:
        coop = self.listing.cooperative
        commune = places.commune_name(coop.commune_code)
        if self.lot_communes:
            commune = ", ".join(self.lot_communes[:2])
        lot = None
        if self.lot is not None:
            lot = LotFacts(
                trace_code=self.lot.public_code,
                trace_url=base + trace_path if trace_path else "",
                harvest_from=self.lot_harvest[0],
                harvest_to=self.lot_harvest[1],
                packed_on=self.lot.production_date if self.lot.kind == LotKind.FINISHED else None,
                best_before=self.lot.best_before,
            )
        return CaptionFacts(
            name=self.product.name,
            price_vnd=self.listing.price_vnd,
            link=base + self.path(),
            coop_name=coop.name,
            unit=self.product.sale_unit,
            stars=self.card.stars,
            commune=commune,
            province=places.province_name(coop.province_code),
            description=self.product.description or self.product.story,
            lot=lot,
        )


def listed_products() -> list[catalogue.Card]:
    """The cooperative's listings (on sale or not) as cards, by position (four queries)."""
    rows = Listing.objects.select_related("product", "cooperative", "cooperative__shop").order_by(
        "position", "id"
    )
    return catalogue.cards(rows)


def _kit(listing: Listing, *, lot: Lot | None = None, link: ShareLink | None = None) -> Kit:
    card = catalogue.cards([listing])[0]
    kit = Kit(listing=listing, product=listing.product, card=card, lot=lot, link=link)
    if lot is not None:
        origin = lot_origin(lot)
        raws = list(origin.raw_lots) or [lot]
        starts = [d for d in [lot.harvest_from, *[r.harvest_from for r in raws]] if d]
        ends = [d for d in [lot.harvest_to, *[r.harvest_to for r in raws]] if d]
        kit.lot_harvest = (min(starts) if starts else None, max(ends) if ends else None)
        kit.lot_communes = tuple(places.commune_name(c) for c in origin.commune_codes if c)
    return kit


def _listing_query():
    return Listing.objects.select_related("product", "cooperative", "cooperative__shop")


def kit_for_product(product_id: int) -> Kit | None:
    """The kit of a product of the current cooperative; ``None`` when it has no listing."""
    listing = _listing_query().filter(product_id=product_id).first()
    return _kit(listing) if listing is not None else None


def kit_for_lot(lot_uuid) -> Kit | None:
    lot = Lot.objects.select_related("product").filter(uuid=lot_uuid).first()
    if lot is None:
        return None
    listing = _listing_query().filter(product_id=lot.product_id).first()
    return _kit(listing, lot=lot) if listing is not None else None


def kit_for_link(code: str) -> Kit | None:
    link = ShareLink.objects.select_related("lot").filter(code=code).first()
    if link is None:
        return None
    listing = _listing_query().get(pk=link.listing_id)
    return _kit(listing, lot=link.lot, link=link)


def lot_of_product(product: Product, lot_uuid) -> Lot | None:
    return Lot.objects.filter(product=product, uuid=lot_uuid).first()


def lots_to_share(product: Product, *, today: dt.date | None = None) -> list[Lot]:
    """The product's finished lots still within their best-before date, newest first."""
    today = today or timezone.localdate()
    return list(
        Lot.objects.filter(product=product, kind=LotKind.FINISHED)
        .filter(Q(best_before__isnull=True) | Q(best_before__gte=today))
        .order_by("-production_date", "-id")[:MAX_LOTS]
    )


@dataclass
class LinkRow:
    link: ShareLink
    orders: int = 0
    goods_vnd: int = 0
    paid_vnd: int = 0


def link_rows(*, listing: Listing | None = None) -> list[LinkRow]:
    """Every share link (of ``listing`` if given), newest first, with the orders it brought
    (not cancelled or returned), their goods and what they paid: two queries."""
    links = ShareLink.objects.select_related("listing__product", "lot").order_by("-created_at", "-id")
    if listing is not None:
        links = links.filter(listing=listing)
    links = list(links)
    figures = {
        row["channel_ref"]: row
        for row in Order.objects.filter(channel=Channel.SHARE, channel_ref__in=[x.code for x in links])
        .exclude(status__in=UNDONE)
        .values("channel_ref")
        .annotate(n=Count("id"), goods=Sum("subtotal_vnd"), paid=Sum("paid_vnd"))
        .order_by()
    }
    rows = []
    for link in links:
        row = figures.get(link.code, {})
        rows.append(
            LinkRow(
                link=link,
                orders=row.get("n", 0),
                goods_vnd=int(row.get("goods") or 0),
                paid_vnd=int(row.get("paid") or 0),
            )
        )
    return rows


def link_by_code(code: str) -> ShareLink | None:
    """For the public ``/l/<code>``: a link whose product is on sale in an open shop, across
    cooperatives (the code is the only key the visitor has)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 8:
        return None
    return (
        ShareLink.unscoped.select_related("listing", "listing__cooperative", "lot")
        .filter(code=code)
        .filter(catalogue.sellable("listing__"))
        .first()
    )


def share_link_names(codes) -> dict[str, str]:
    """Code -> "label (place) · product" of the current cooperative's links, one query
    (the sales report's names for share-link channels)."""
    names = {}
    for link in ShareLink.objects.filter(code__in=list(codes)).select_related("listing__product"):
        where = link.get_place_display()
        label = f"{link.label} ({where})" if link.label else str(where)
        names[link.code] = f"{label} · {link.listing.product.name}"
    return names

"""The public catalogue: the shop pages, product pages and the marketplace (``/cho/``).

Reads across cooperatives on purpose (the marketplace shows every open shop): every read
here is ``unscoped`` and filtered by :func:`sellable`, so only listed, active products of
active cooperatives with an open shop are ever returned. Nothing about members is read
except counts, villages and communes (never a name or a phone).

Queries per page do not grow with the number of products shown: a page of cards is the
listings (one query with product, cooperative and shop joined), their first photos (one),
valid OCOP stars (one) and stock (two).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from hoptac.catalog.models import Certificate, CertificateKind, Product, ProductPhoto
from hoptac.catalog.photos import SMALL_WIDTH, srcset, variant_size
from hoptac.coops.models import Cooperative, Member, MemberStatus, Village
from hoptac.core.tenancy import tenant
from hoptac.inventory.models import Lot, LotKind, ReservationState, StockMovement, StockReservation
from hoptac.inventory.selectors import lot_origin, next_lot_to_ship
from hoptac.lib import places
from hoptac.lib.text import fold, search_tokens
from hoptac.shop.models import Listing, PriceTier, Shop

PER_PAGE = 24
IN_STOCK, FEW_LEFT, SOLD_OUT = "in_stock", "few_left", "sold_out"
SORTS = ("newest", "price_up", "price_down", "name")


def sellable(prefix: str = "") -> Q:
    """Listings that the public may see (``prefix`` for a join from another model)."""
    return Q(
        **{
            f"{prefix}is_listed": True,
            f"{prefix}product__is_active": True,
            f"{prefix}cooperative__is_active": True,
            f"{prefix}cooperative__shop__is_open": True,
        }
    )


def _valid_on(today: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}issued_on__lte": today}) & (
        Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gte": today})
    )


def open_shop_by_slug(slug: str) -> Shop | None:
    """The open shop of an active cooperative, or ``None`` (a 404 for the public)."""
    return (
        Shop.unscoped.select_related("cooperative")
        .filter(cooperative__slug=slug, cooperative__is_active=True, is_open=True)
        .first()
    )


# --- cards: a product as the grids show it ------------------------------------------------


@dataclass
class Photo:
    url: str
    srcset: str
    width: int
    height: int
    alt: str
    source: str = ""  # the file of the largest variant (for the share image)


@dataclass
class Card:
    listing: Listing
    product: Product
    cooperative: Cooperative
    shop: Shop
    available: Decimal = Decimal(0)
    stars: int | None = None
    photo: Photo | None = None

    @property
    def stock_state(self) -> str:
        if self.available <= 0:
            return SOLD_OUT
        if self.available <= self.shop.few_left_at:
            return FEW_LEFT
        return IN_STOCK

    @property
    def schema_availability(self) -> str:
        return {
            IN_STOCK: "https://schema.org/InStock",
            FEW_LEFT: "https://schema.org/LimitedAvailability",
            SOLD_OUT: "https://schema.org/OutOfStock",
        }[self.stock_state]

    @property
    def star_marks(self) -> str:
        return "★" * (self.stars or 0)

    @property
    def short_code(self) -> str:
        return self.listing.short_code


def _photo(photo: ProductPhoto) -> Photo:
    width, height = variant_size(photo.width, photo.height, SMALL_WIDTH)
    url = (photo.small or photo.medium or photo.original).url
    big = photo.medium or photo.small or photo.original
    try:
        source = big.path
    except (NotImplementedError, ValueError):  # a storage without local files (object storage)
        source = ""
    return Photo(url=url, srcset=srcset(photo), width=width, height=height, alt=photo.alt, source=source)


def stock_available(product_ids, *, today: dt.date | None = None) -> dict[int, Decimal]:
    """Packs that may be sold per product, across cooperatives: the same rule as
    ``inventory.selectors.available_by_product`` (finished, unexpired lots, less what orders
    hold), in two queries whatever the number of products."""
    today = today or timezone.localdate()
    ids = list(product_ids)
    result = {pid: Decimal(0) for pid in ids}
    if not ids:
        return result
    lots = Lot.unscoped.filter(
        Q(kind=LotKind.FINISHED) & (Q(best_before__isnull=True) | Q(best_before__gte=today)),
        product_id__in=ids,
    )
    for row in (
        StockMovement.unscoped.filter(lot__in=lots).values("lot__product_id").annotate(t=Sum("quantity"))
    ):
        result[row["lot__product_id"]] += Decimal(row["t"] or 0)
    for row in (
        StockReservation.unscoped.filter(lot__in=lots, state=ReservationState.HELD)
        .values("lot__product_id")
        .annotate(t=Sum("quantity"))
    ):
        result[row["lot__product_id"]] -= Decimal(row["t"] or 0)
    return {pid: max(q, Decimal(0)) for pid, q in result.items()}


def ocop_stars(product_ids, *, today: dt.date | None = None) -> dict[int, int]:
    """The stars of each product's valid OCOP certificate (the best one), in one query."""
    today = today or timezone.localdate()
    stars: dict[int, int] = {}
    rows = Certificate.unscoped.filter(
        _valid_on(today), product_id__in=list(product_ids), kind=CertificateKind.OCOP
    ).values_list("product_id", "stars")
    for pid, count in rows:
        stars[pid] = max(stars.get(pid, 0), count or 0)
    return stars


def cards(listings, *, today: dt.date | None = None) -> list[Card]:
    """Cards for ``listings`` (loaded with product, cooperative and shop): four queries."""
    listings = list(listings)
    ids = [row.product_id for row in listings]
    available = stock_available(ids, today=today)
    stars = ocop_stars(ids, today=today)
    photos: dict[int, ProductPhoto] = {}
    for photo in ProductPhoto.unscoped.filter(product_id__in=ids).order_by("product_id", "position", "id"):
        photos.setdefault(photo.product_id, photo)
    return [
        Card(
            listing=row,
            product=row.product,
            cooperative=row.cooperative,
            shop=row.cooperative.shop,
            available=available.get(row.product_id, Decimal(0)),
            stars=stars.get(row.product_id),
            photo=_photo(photos[row.product_id]) if row.product_id in photos else None,
        )
        for row in listings
    ]


def _listings() -> QuerySet[Listing]:
    return Listing.unscoped.filter(sellable()).select_related("product", "cooperative", "cooperative__shop")


# --- the shop home -------------------------------------------------------------------------


@dataclass
class ShopHome:
    shop: Shop
    cooperative: Cooperative
    commune_name: str
    province_name: str
    villages: list[str]
    households: int
    cards: list[Card]
    certificates: list[Certificate] = field(default_factory=list)


def shop_home(shop: Shop, *, today: dt.date | None = None) -> ShopHome:
    today = today or timezone.localdate()
    coop = shop.cooperative
    with tenant(coop):
        villages = list(Village.objects.order_by("name").values_list("name", flat=True))
        households = Member.objects.filter(status=MemberStatus.ACTIVE).count()
        # Certificates of the cooperative itself (not of one product), valid today.
        coop_certificates = list(
            Certificate.objects.filter(_valid_on(today), product__isnull=True).order_by("-issued_on", "-id")
        )
    rows = _listings().filter(cooperative=coop).order_by("position", "id")
    return ShopHome(
        shop=shop,
        cooperative=coop,
        commune_name=places.commune_name(coop.commune_code),
        province_name=places.province_name(coop.province_code),
        villages=villages,
        households=households,
        cards=cards(rows, today=today),
        certificates=coop_certificates,
    )


# --- the product page ----------------------------------------------------------------------


@dataclass
class LotSummary:
    public_code: str
    households: int
    villages: list[str]
    communes: list[str]
    harvest_from: dt.date | None
    harvest_to: dt.date | None
    best_before: dt.date | None


@dataclass
class ProductPage:
    card: Card
    photos: list[Photo]
    tiers: list[PriceTier]
    certificates: list[tuple[Certificate, bool]]  # (certificate, valid today)
    lot: LotSummary | None


def listing_public(shop: Shop, short_code: str) -> Listing | None:
    return _listings().filter(cooperative_id=shop.cooperative_id, short_code=short_code).first()


def listing_by_short_code(short_code: str) -> Listing | None:
    """For ``/p/<code>``: a listing of any open shop."""
    return _listings().filter(short_code=short_code).first()


def _lot_summary(lot: Lot) -> LotSummary:
    # Only what the public trace page shows, and never a household's name.
    origin = lot_origin(lot)
    raws = list(origin.raw_lots) or [lot]
    starts = [d for d in [lot.harvest_from, *[r.harvest_from for r in raws]] if d]
    ends = [d for d in [lot.harvest_to, *[r.harvest_to for r in raws]] if d]
    return LotSummary(
        public_code=lot.public_code,
        households=origin.households,
        villages=origin.villages,
        communes=[places.commune_name(code) for code in origin.commune_codes],
        harvest_from=min(starts) if starts else None,
        harvest_to=max(ends) if ends else None,
        best_before=lot.best_before,
    )


def product_page(listing: Listing, *, today: dt.date | None = None) -> ProductPage:
    today = today or timezone.localdate()
    card = cards([listing], today=today)[0]
    coop = listing.cooperative
    with tenant(coop):
        photos = [
            _photo(p) for p in ProductPhoto.objects.filter(product=listing.product).order_by("position", "id")
        ]
        tiers = list(PriceTier.objects.filter(listing=listing).order_by("min_quantity"))
        certificates = [
            (c, c.is_valid_on(today))
            for c in Certificate.objects.filter(
                Q(product=listing.product) | Q(product__isnull=True)
            ).order_by("product_id", "-issued_on", "-id")
        ]
        lot = next_lot_to_ship(listing.product, today=today)
        summary = _lot_summary(lot) if lot is not None else None
    return ProductPage(card=card, photos=photos, tiers=tiers, certificates=certificates, lot=summary)


# --- the marketplace -----------------------------------------------------------------------


@dataclass
class MarketFilter:
    q: str = ""
    group: str = ""
    stars: int | None = None
    cooperative: str = ""  # slug
    commune: int | None = None
    price_from: int | None = None
    price_to: int | None = None
    sort: str = "newest"


def market_listings(f: MarketFilter, *, today: dt.date | None = None) -> QuerySet[Listing]:
    """The marketplace's listings for filter ``f``, sorted (not yet sliced)."""
    today = today or timezone.localdate()
    rows = _listings()
    if f.q:
        rows = rows.filter(pk__in=_search(f.q))
    if f.group:
        rows = rows.filter(product__ocop_group=f.group)
    if f.stars:
        rows = rows.filter(
            Exists(
                Certificate.unscoped.filter(
                    _valid_on(today),
                    product=OuterRef("product"),
                    kind=CertificateKind.OCOP,
                    stars__gte=f.stars,
                )
            )
        )
    if f.cooperative:
        rows = rows.filter(cooperative__slug=f.cooperative)
    if f.commune:
        rows = rows.filter(cooperative__commune_code=f.commune)
    if f.price_from is not None:
        rows = rows.filter(price_vnd__gte=f.price_from)
    if f.price_to is not None:
        rows = rows.filter(price_vnd__lte=f.price_to)
    order = {
        "newest": ("-created_at", "-id"),
        "price_up": ("price_vnd", "id"),
        "price_down": ("-price_vnd", "id"),
        "name": (F("product__name").asc(), "id"),
    }[f.sort if f.sort in SORTS else "newest"]
    return rows.order_by(*order)


def _search(query: str) -> list[int]:
    """Listings whose product name (Vietnamese or English), code or cooperative matches
    every word of ``query``, accents and case ignored (``mat ong bac ha`` finds "Mật ong
    bạc hà"). One query of short columns over the sellable listings, folded here: a
    province's marketplace holds thousands of products, which this reads in milliseconds;
    a stored folded column would be the next step (docs/architecture.md)."""
    tokens = search_tokens(query)
    if not tokens:
        return []
    found = []
    rows = Listing.unscoped.filter(sellable()).values_list(
        "pk", "product__name", "product__name_en", "product__code", "cooperative__name"
    )
    for pk, *texts in rows:
        haystack = fold(" ".join(t or "" for t in texts))
        if all(token in haystack for token in tokens):
            found.append(pk)
    return found


def market_choices() -> dict:
    """The cooperatives and communes that have something on sale (for the filters): one query."""
    coops = list(
        Cooperative.objects.filter(is_active=True, shop__is_open=True)
        .order_by("name")
        .values_list("slug", "name", "commune_code")
    )
    communes = sorted({code for _s, _n, code in coops}, key=lambda c: fold(places.commune_name(c)))
    return {
        "cooperatives": [(slug, name) for slug, name, _c in coops],
        "communes": [(code, places.commune_name(code)) for code in communes],
    }


def sitemap_entries() -> dict:
    """Open shops (slug, last change) and their listed products (slug, short code, last change)."""
    shops = list(
        Shop.unscoped.filter(is_open=True, cooperative__is_active=True).values_list(
            "cooperative__slug", "updated_at"
        )
    )
    products = list(_listings().values_list("cooperative__slug", "short_code", "updated_at"))
    return {"shops": shops, "products": products}

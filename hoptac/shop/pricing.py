"""What a cart costs, computed on the server from the database only: prices (with quantity
tiers), weights, delivery fees by the cooperative's rules, and what stock allows. The
browser's numbers are never read; a tampered price or cooperative changes nothing.

Reads across cooperatives on purpose: a marketplace cart holds several cooperatives'
products. Only listed products of open shops are ever returned (``Listing.unscoped``
filtered by ``selectors.catalogue.sellable``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from hoptac.lib import delivery as delivery_lib
from hoptac.shop.models import DeliveryMethod, Listing, PaymentMethod, PriceTier
from hoptac.shop.selectors.catalogue import sellable

MAX_LINES = 50
MAX_PACKS = 10_000


def listings_for_cart(listing_ids) -> dict[int, Listing]:
    """The listings of a cart that are still on sale, with their product, cooperative, shop
    and tiers (three queries whatever the cart holds)."""
    rows = (
        Listing.unscoped.filter(sellable(), pk__in=list(listing_ids))
        .select_related("product", "cooperative", "cooperative__shop")
        .prefetch_related(Prefetch("tiers", queryset=PriceTier.unscoped.order_by("min_quantity")))
    )
    return {row.pk: row for row in rows}


def unit_price(listing: Listing, quantity: int) -> int:
    """The price per pack for ``quantity`` packs: the best tier the quantity reaches."""
    price = listing.price_vnd
    for tier in listing.tiers.all():
        if quantity >= tier.min_quantity and tier.price_vnd < price:
            price = tier.price_vnd
    return price


@dataclass
class QuoteLine:
    listing: Listing
    quantity: int
    unit_price: int
    available: Decimal

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price

    @property
    def weight_g(self) -> int:
        return self.quantity * self.listing.weight_g

    @property
    def short(self) -> bool:
        return self.available < self.quantity


@dataclass
class CoopQuote:
    cooperative: object
    shop: object
    lines: list[QuoteLine] = field(default_factory=list)
    # method -> fee, or None when the method cannot serve the destination / weight
    fees: dict[str, int | None] = field(default_factory=dict)

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def weight_g(self) -> int:
        return sum(line.weight_g for line in self.lines)

    def methods(self) -> list[str]:
        """Delivery methods this shop offers, in a stable order."""
        shop = self.shop
        offered = [
            (DeliveryMethod.PICKUP, shop.pickup),
            (DeliveryMethod.OWN, shop.own_delivery),
            (DeliveryMethod.POST, shop.post),
        ]
        return [m for m, on in offered if on]

    def payments(self) -> list[str]:
        shop = self.shop
        result = []
        if shop.can_take_transfers:
            result.append(PaymentMethod.BANK)
        if shop.cash_on_delivery:
            result.append(PaymentMethod.COD)
        return result


def delivery_fee(
    *, shop, rates, method: str, province_code: int | None, weight_g: int, subtotal: int
) -> int | None:
    """The fee for one cooperative's parcel, or None when this method cannot take it there."""
    if method == DeliveryMethod.PICKUP:
        return 0 if shop.pickup else None
    if method == DeliveryMethod.OWN and not shop.own_delivery:
        return None
    if method == DeliveryMethod.POST and not shop.post:
        return None
    if province_code is None:
        return None
    zone = delivery_lib.zone_of(shop.cooperative.province_code, province_code)
    wanted = [
        delivery_lib.Rate(zone=r.zone, up_to_g=r.up_to_g, fee=r.fee_vnd) for r in rates if r.method == method
    ]
    if not wanted:
        return None
    return delivery_lib.fee_for(
        wanted, zone=zone, weight_g=weight_g, subtotal=subtotal, free_above=shop.free_delivery_above
    )


def post_fee(cq: CoopQuote, *, province_code: int | None, commune_code: int | None, table_fee: int | None):
    """The fee by post: the carrier's quote when the cooperative has one (free delivery
    above the shop's amount still applies), else the rate table's ``table_fee``."""
    from hoptac.shop.selectors.shipping import carrier_fee

    fee = carrier_fee(
        cooperative=cq.cooperative,
        province_code=province_code,
        commune_code=commune_code,
        weight_g=cq.weight_g,
        value_vnd=cq.subtotal,
    )
    if fee is None:
        return table_fee
    free_above = cq.shop.free_delivery_above
    if free_above is not None and cq.subtotal >= free_above:
        return 0
    return fee


def quote(
    items: list[tuple[int, int]],
    *,
    province_code: int | None = None,
    commune_code: int | None = None,
    unit_prices: dict[int, int] | None = None,
) -> tuple[list[CoopQuote], list[int]]:
    """Price a cart: ``items`` is ``(listing_id, quantity)``. Returns one quote per
    cooperative (ascending cooperative id) and the listing ids no longer on sale.

    ``unit_prices`` (listing id -> price per pack) replaces the shop's price for those
    listings: a live sale's price, set by staff on the server, never by the buyer."""
    from hoptac.core.tenancy import tenant
    from hoptac.inventory.selectors import available_by_product
    from hoptac.shop.models import DeliveryRate

    merged: dict[int, int] = {}
    for listing_id, qty in items:
        merged[listing_id] = merged.get(listing_id, 0) + qty
    listings = listings_for_cart(merged)
    gone = [lid for lid in merged if lid not in listings]
    by_coop: dict[int, CoopQuote] = {}
    for listing_id, qty in merged.items():
        listing = listings.get(listing_id)
        if listing is None:
            continue
        coop = listing.cooperative
        cq = by_coop.setdefault(coop.pk, CoopQuote(cooperative=coop, shop=coop.shop))
        cq.lines.append(
            QuoteLine(
                listing=listing,
                quantity=qty,
                unit_price=(unit_prices or {}).get(listing_id) or unit_price(listing, qty),
                available=Decimal(0),
            )
        )
    result = []
    for coop_id in sorted(by_coop):
        cq = by_coop[coop_id]
        with tenant(cq.cooperative):
            available = available_by_product([line.listing.product_id for line in cq.lines])
            rates = list(DeliveryRate.objects.all())
        for line in cq.lines:
            line.available = available.get(line.listing.product_id, Decimal(0))
        for method in cq.methods():
            cq.fees[method] = delivery_fee(
                shop=cq.shop,
                rates=rates,
                method=method,
                province_code=province_code,
                weight_g=cq.weight_g,
                subtotal=cq.subtotal,
            )
            if method == DeliveryMethod.POST:
                cq.fees[method] = post_fee(
                    cq, province_code=province_code, commune_code=commune_code, table_fee=cq.fees[method]
                )
        result.append(cq)
    return result, gone

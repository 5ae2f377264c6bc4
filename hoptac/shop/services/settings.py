"""The shop's settings written by its staff: the shop itself (open or closed, texts, bank
account, payment and delivery switches), its delivery fee table, the products on sale
(listings) and their quantity prices.

Every write is one transaction with an audit row. Opening the shop is refused, saying what
is missing, until it has at least one product on sale and a way to be paid (cash on
delivery, or a bank account for transfers).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hoptac.core import pagecache
from hoptac.core.audit import audit_record
from hoptac.core.tenancy import require_cooperative
from hoptac.lib import banks
from hoptac.shop.models import DeliveryMethod, DeliveryRate, Listing, PriceTier, Shop, Zone

SHOP_FIELDS = (
    "is_open",
    "headline",
    "story",
    "bank_bin",
    "bank_account",
    "account_name",
    "bank_transfer",
    "cash_on_delivery",
    "pickup",
    "pickup_address",
    "own_delivery",
    "post",
    "free_delivery_above",
    "pay_within_hours",
    "remind_after_hours",
    "few_left_at",
)
MAX_RATES = 60
MAX_TIERS = 10


def shop_for_current() -> Shop:
    """The current cooperative's shop settings, unsaved defaults if it has none yet."""
    coop = require_cooperative()
    shop = Shop.objects.filter(cooperative=coop).first()
    return shop or Shop(cooperative=coop)


def opening_problems(shop: Shop, *, listed: int | None = None) -> list[str]:
    """What stops ``shop`` from opening, in words (empty when it may open)."""
    problems = []
    if listed is None:
        listed = Listing.objects.filter(is_listed=True).count()
    if not listed:
        problems.append(_("Put at least one product on sale (Products on sale)."))
    has_bank = bool(shop.bank_transfer and shop.bank_bin and shop.bank_account and shop.account_name)
    if not shop.cash_on_delivery and not has_bank:
        problems.append(
            _("Accept cash on delivery, or give the bank, account number and holder for transfers.")
        )
    if shop.bank_transfer and not shop.cash_on_delivery and not has_bank:
        pass  # said above
    if not (shop.pickup or shop.own_delivery or shop.post):
        problems.append(_("Choose at least one way for buyers to get their order."))
    if shop.pickup and not shop.pickup_address.strip():
        problems.append(_("Give the pickup address, or turn pickup off."))
    return problems


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def shop_save(*, actor, **values) -> Shop:
    """Save the shop's settings (creating the row on first save)."""
    coop = require_cooperative()
    shop = Shop.objects.filter(cooperative=coop).first() or Shop(cooperative=coop)
    unknown = set(values) - set(SHOP_FIELDS)
    if unknown:
        raise TypeError(f"unknown shop fields: {sorted(unknown)}")
    was_open = shop.is_open if shop.pk else False
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(shop, name, value)
    errors: dict[str, list[str]] = {}
    if shop.bank_bin and not banks.is_bank_bin(shop.bank_bin):
        errors["bank_bin"] = [_("Choose a bank from the list.")]
    if shop.bank_account and not (shop.bank_account.isdigit() and 6 <= len(shop.bank_account) <= 19):
        errors["bank_account"] = [_("An account number has 6 to 19 digits.")]
    if shop.bank_transfer and shop.bank_account and not shop.bank_bin:
        errors["bank_bin"] = [_("Choose the bank of this account.")]
    if shop.remind_after_hours >= shop.pay_within_hours:
        errors["remind_after_hours"] = [_("Remind before the payment time runs out.")]
    if errors:
        raise ValidationError(errors)
    if shop.is_open:
        problems = opening_problems(shop)
        if problems:
            raise ValidationError({"is_open": [_("The shop cannot open yet:"), *problems]})
    shop.save()
    audit_record(
        action="shop.save",
        actor=actor,
        cooperative=coop,
        obj=shop,
        data={"open": shop.is_open, "opened": shop.is_open and not was_open},
    )
    return shop


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def delivery_rate_add(*, method: str, zone: str, up_to_g: int | None, fee_vnd: int, actor) -> DeliveryRate:
    """Add one line to the delivery fee table (a flat fee: any zone, no weight limit)."""
    coop = require_cooperative()
    if method not in DeliveryMethod.values or method == DeliveryMethod.PICKUP:
        raise ValidationError({"method": [_("Choose own delivery or post.")]})
    if zone not in Zone.values:
        raise ValidationError({"zone": [_("Choose a zone.")]})
    if up_to_g is not None and not 1 <= up_to_g <= 100_000:
        raise ValidationError({"up_to_g": [_("Give a weight from 1 to 100.000 grams, or leave it empty.")]})
    if not 0 <= fee_vnd <= 5_000_000:
        raise ValidationError({"fee_vnd": [_("A delivery fee is from 0 to 5.000.000 đồng.")]})
    if DeliveryRate.objects.count() >= MAX_RATES:
        raise ValidationError(_("The fee table is full: remove a line first."))
    if DeliveryRate.objects.filter(method=method, zone=zone, up_to_g=up_to_g).exists():
        raise ValidationError(_("This line is in the table already: remove it first to change its fee."))
    rate = DeliveryRate.objects.create(
        cooperative=coop, method=method, zone=zone, up_to_g=up_to_g, fee_vnd=fee_vnd
    )
    audit_record(action="shop.rate_add", actor=actor, cooperative=coop, obj=rate, data={"fee": fee_vnd})
    return rate


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def delivery_rate_remove(*, rate_id: int, actor) -> bool:
    """Remove a line of the fee table; False when it was gone already."""
    coop = require_cooperative()
    rate = DeliveryRate.objects.filter(pk=rate_id).first()
    if rate is None:
        return False
    audit_record(
        action="shop.rate_remove",
        actor=actor,
        cooperative=coop,
        obj=rate,
        data={"method": rate.method, "zone": rate.zone, "up_to_g": rate.up_to_g, "fee": rate.fee_vnd},
    )
    rate.delete()
    return True


LISTING_FIELDS = ("price_vnd", "weight_g", "is_listed", "max_per_order")


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def listing_save(
    *, product, actor, price_vnd: int, weight_g: int, is_listed: bool, max_per_order: int
) -> Listing:
    """Put ``product`` on sale (or change its price, weight, limit), or take it off sale."""
    coop = require_cooperative()
    errors: dict[str, list[str]] = {}
    if not 1000 <= price_vnd <= 100_000_000:
        errors["price_vnd"] = [_("A price per pack is from 1.000 to 100.000.000 đồng.")]
    if not 1 <= weight_g <= 50_000:
        errors["weight_g"] = [_("A parcel weighs from 1 to 50.000 grams.")]
    if not 1 <= max_per_order <= 10_000:
        errors["max_per_order"] = [_("Allow from 1 to 10.000 packs per order.")]
    if is_listed and not product.is_active:
        errors["is_listed"] = [_("This product is inactive in the catalog: make it active first.")]
    if errors:
        raise ValidationError(errors)
    listing = Listing.objects.filter(product=product).first()
    created = listing is None
    if created:
        listing = Listing(cooperative=coop, product=product)
    before = {name: getattr(listing, name) for name in LISTING_FIELDS} if not created else {}
    listing.price_vnd, listing.weight_g = price_vnd, weight_g
    listing.is_listed, listing.max_per_order = is_listed, max_per_order
    listing.save()
    if not created and listing.tiers.filter(price_vnd__gte=price_vnd).exists():
        raise ValidationError({"price_vnd": [_("A quantity price must stay lower than the price per pack.")]})
    audit_record(
        action="shop.listing_save",
        actor=actor,
        cooperative=coop,
        obj=listing,
        data={"before": before, "price": price_vnd, "listed": is_listed},
    )
    return listing


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def price_tier_add(*, listing: Listing, min_quantity: int, price_vnd: int, actor) -> PriceTier:
    """A lower price per pack from ``min_quantity`` packs on."""
    coop = require_cooperative()
    if min_quantity < 2 or min_quantity > 10_000:
        raise ValidationError({"min_quantity": [_("A quantity price starts from 2 to 10.000 packs.")]})
    if not 1000 <= price_vnd < listing.price_vnd:
        raise ValidationError({"price_vnd": [_("A quantity price must be lower than the price per pack.")]})
    if listing.tiers.count() >= MAX_TIERS:
        raise ValidationError(_("At most %(n)s quantity prices per product.") % {"n": MAX_TIERS})
    try:
        with transaction.atomic():
            tier = PriceTier.objects.create(
                cooperative=coop, listing=listing, min_quantity=min_quantity, price_vnd=price_vnd
            )
    except IntegrityError:
        raise ValidationError(
            {"min_quantity": [_("There is a price from this quantity already: remove it first.")]}
        ) from None
    audit_record(
        action="shop.tier_add",
        actor=actor,
        cooperative=coop,
        obj=listing,
        data={"from": min_quantity, "price": price_vnd},
    )
    return tier


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def price_tier_remove(*, listing: Listing, tier_id: int, actor) -> bool:
    coop = require_cooperative()
    tier = listing.tiers.filter(pk=tier_id).first()
    if tier is None:
        return False
    audit_record(
        action="shop.tier_remove",
        actor=actor,
        cooperative=coop,
        obj=listing,
        data={"from": tier.min_quantity, "price": tier.price_vnd},
    )
    tier.delete()
    return True

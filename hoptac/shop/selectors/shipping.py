"""Reads of delivery by carrier: the cooperative's carrier accounts, the API client of an
account, the addresses and parcel of an order as the carriers want them, the carrier's fee
quoted at checkout (cached briefly, falling back to the rate table), the packed orders
waiting for a shipment, shipments and their events, COD remittances and their lines.

The checkout quote reads across cooperatives (a marketplace cart): it is given the
cooperative and reads its account with ``CarrierAccount.unscoped``.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q

from hoptac.lib import places
from hoptac.lib.carriers.base import Address, CarrierClient, CarrierError, Parcel
from hoptac.shop.models import (
    API_CARRIERS,
    CarrierAccount,
    DeliveryMethod,
    Order,
    OrderStatus,
    PaymentMethod,
    Remittance,
    RemittanceLine,
    RemittanceState,
    Shipment,
)

log = logging.getLogger(__name__)

QUOTE_TTL = 600  # seconds a carrier's quote is reused for the same destination and weight band
QUOTE_FAILED_TTL = 60  # seconds a failed quote is not asked again (the rate table answers)
QUOTE_TIMEOUT = 4.0  # seconds: checkout never waits longer for a carrier
CALL_TIMEOUT = 15.0  # seconds for staff actions (create, label, cancel)
WEIGHT_BAND_G = 500
_FAILED = "failed"


def client(account: CarrierAccount, *, timeout: float = CALL_TIMEOUT) -> CarrierClient:
    """The API client of an account. ``settings.CARRIER_BASE_URLS`` (carrier -> address) points
    a carrier at another server (tests: the local fakes); the carrier's production address
    otherwise."""
    from hoptac.lib.carriers import client_for

    base_urls = getattr(settings, "CARRIER_BASE_URLS", None) or {}
    return client_for(
        account.carrier,
        token=account.api_token,
        shop_id=account.shop_id,
        base_url=base_urls.get(account.carrier),
        timeout=timeout,
    )


def account_for(carrier: str) -> CarrierAccount | None:
    """The current cooperative's account with this carrier."""
    return CarrierAccount.objects.filter(carrier=carrier).first()


def accounts():
    return CarrierAccount.objects.order_by("carrier")


def active_api_account() -> CarrierAccount | None:
    """The account shipments are made with: the first active account of an API carrier."""
    return CarrierAccount.objects.filter(is_active=True, carrier__in=API_CARRIERS).order_by("carrier").first()


def pick_address(account: CarrierAccount) -> Address:
    return Address(
        name=account.pick_name,
        phone=account.pick_phone,
        street=account.pick_street,
        ward=places.commune_name(account.pick_commune_code) or "",
        province=places.province_name(account.pick_province_code) or "",
        ward_code=account.pick_commune_code,
        province_code=account.pick_province_code,
        carrier_district_ref=account.pick_district_ref,
        carrier_ward_ref=account.pick_ward_ref,
    )


def buyer_address(order: Order) -> Address:
    return Address(
        name=order.buyer_name,
        phone=order.buyer_phone,
        street=order.street,
        ward=places.commune_name(order.commune_code) or "",
        province=places.province_name(order.province_code) or "",
        ward_code=order.commune_code,
        province_code=order.province_code,
    )


def cod_of(order: Order) -> int:
    """Cash the carrier collects: what is still owed on a COD order, 0 when paid."""
    if order.payment_method != PaymentMethod.COD:
        return 0
    return max(order.total_vnd - order.paid_vnd, 0)


def parcel_for(order: Order) -> Parcel:
    lines = list(order.lines.all())
    items = tuple(
        (
            line.name[:80],
            line.quantity,
            max(line.weight_g // max(line.quantity, 1), 1) if line.weight_g else 0,
        )
        for line in lines
    )
    content = ", ".join(f"{line.name} x{line.quantity}" for line in lines)[:150]
    weight = order.weight_g or sum(line.weight_g for line in lines)
    return Parcel(
        order_code=order.code,
        weight_g=max(weight, 100),
        value_vnd=order.subtotal_vnd,
        cod_vnd=cod_of(order),
        content=content or order.code,
        items=items,
        note=order.note[:200],
    )


# --- the fee at checkout ------------------------------------------------------------------------


def _quote_key(coop_id: int, carrier: str, province: int, commune: int, weight_g: int) -> str:
    band = max(1, -(-weight_g // WEIGHT_BAND_G))  # 1..500 g -> 1, 501..1000 g -> 2…
    raw = f"{coop_id}:{carrier}:{province}:{commune}:{band}"
    return "carrierquote:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def checkout_account(cooperative) -> CarrierAccount | None:
    """The account that quotes a cooperative's checkout fee, if any (read across tenants)."""
    return (
        CarrierAccount.unscoped.filter(
            cooperative=cooperative, is_active=True, quote_at_checkout=True, carrier__in=API_CARRIERS
        )
        .order_by("carrier")
        .first()
    )


def carrier_fee(
    *, cooperative, province_code: int | None, commune_code: int | None, weight_g: int, value_vnd: int
) -> int | None:
    """The carrier's fee for a parcel of the cooperative to this destination, or None: no
    quoting account, no commune yet, or the carrier failed (then the rate table decides).
    Quotes are cached per cooperative, destination and 500 g weight band; a failure is
    remembered a minute so a carrier that is down does not slow every cart page."""
    if not province_code or not commune_code:
        return None
    account = checkout_account(cooperative)
    if account is None:
        return None
    key = _quote_key(cooperative.pk, account.carrier, province_code, commune_code, weight_g)
    cached = cache.get(key)
    if cached == _FAILED:
        return None
    if isinstance(cached, int):
        return cached
    band_weight = max(1, -(-weight_g // WEIGHT_BAND_G)) * WEIGHT_BAND_G
    to = Address(
        name="",
        phone="",
        street="",
        ward=places.commune_name(commune_code) or "",
        province=places.province_name(province_code) or "",
        ward_code=commune_code,
        province_code=province_code,
    )
    parcel = Parcel(order_code="", weight_g=band_weight, value_vnd=value_vnd, cod_vnd=0, content="")
    try:
        fee = (
            client(account, timeout=QUOTE_TIMEOUT)
            .quote(pick=pick_address(account), to=to, parcel=parcel)
            .fee_vnd
        )
    except (CarrierError, OSError, ValueError) as error:
        log.info("carrier quote %s failed: %s", account.carrier, error)
        cache.set(key, _FAILED, QUOTE_FAILED_TTL)
        return None
    if not isinstance(fee, int) or fee < 0:
        cache.set(key, _FAILED, QUOTE_FAILED_TTL)
        return None
    cache.set(key, fee, QUOTE_TTL)
    return fee


# --- shipments ----------------------------------------------------------------------------------


def orders_to_ship():
    """Packed orders sent by post/carrier without an active shipment, oldest first."""
    active = Shipment.objects.filter(order=OuterRef("pk"), is_active=True)
    return (
        Order.objects.filter(status=OrderStatus.PACKED, delivery_method=DeliveryMethod.POST)
        .annotate(has_shipment=Exists(active))
        .filter(has_shipment=False)
        .order_by("created_at", "pk")
    )


def shipments(*, q: str = ""):
    qs = Shipment.objects.select_related("order")
    if q:
        q = q.strip()[:40]
        qs = qs.filter(Q(tracking_code__iexact=q) | Q(order__code__iexact=q.upper()))
    return qs.order_by("-created_at", "-pk")


def shipment_get(pk) -> Shipment:
    return Shipment.objects.select_related("order").get(pk=pk)


def active_shipment(order: Order) -> Shipment | None:
    return Shipment.objects.filter(order=order, is_active=True).first()


def order_shipments(order: Order):
    return Shipment.objects.filter(order=order).order_by("-created_at", "-pk")


def shipment_events(shipment: Shipment):
    return shipment.events.order_by("-at", "-pk")


# --- remittances --------------------------------------------------------------------------------

PROBLEM_STATES = (
    RemittanceState.AMOUNT,
    RemittanceState.UNKNOWN,
    RemittanceState.NOT_COD,
    RemittanceState.TWICE,
)


def remittances():
    return Remittance.objects.order_by("-created_at", "-pk")


def remittance_get(pk) -> Remittance:
    return Remittance.objects.get(pk=pk)


def remittance_lines(remittance: Remittance, *, problems_only: bool = False):
    qs = RemittanceLine.objects.filter(remittance=remittance).select_related("order")
    if problems_only:
        qs = qs.filter(state__in=PROBLEM_STATES)
    return qs.order_by("row", "pk")


def remittance_line_get(pk) -> RemittanceLine:
    return RemittanceLine.objects.select_related("remittance", "order").get(pk=pk)


def open_problems():
    """Every line of every remittance still needing a look."""
    return (
        RemittanceLine.objects.filter(state__in=PROBLEM_STATES)
        .select_related("remittance", "order")
        .order_by("-remittance__created_at", "row")
    )

"""Selling through the API: the public catalogue, placing orders (idempotent), and the
cooperative's orders and bank transactions for its staff.

Who may call what:

- ``GET /catalogue`` and ``GET /catalogue/{short_code}``: anyone, no token. Only listed
  products of open shops; nothing about members.
- ``POST /orders``: anyone, no token, as the shop's checkout page is. It makes one order per
  cooperative of the cart, priced on the server (``shop.pricing``). Idempotent with the
  caller's ``client_key``. Limited per address: at most :data:`CHECKOUTS_PER_HOUR` checkouts
  an hour from one address (429 with ``Retry-After``); the address itself is not stored,
  only a keyed hash of it in the order's channel detail.
- ``/c/{slug}/orders…`` and ``/c/{slug}/payments``: staff of that cooperative (token or
  session) with the web's permissions: ORDER_VIEW to read orders, ORDER_MANAGE to change
  them, PAYMENT_MANAGE for bank transactions.

No ``from __future__ import annotations``: ninja reads the handlers' annotations.
"""

import datetime as dt
import hashlib
import hmac
import math
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from hoptac.accounts.limiter import client_address
from hoptac.api.access import api_language, coop_route
from hoptac.api.common import ERRORS, MAX_PAGE, PAGE_SIZE, Status, check_day, day_start, local, paginate
from hoptac.api.idempotency import create_once_across
from hoptac.api.schemas import DbId, ErrorOut, PageMeta, canonical_sha256, text
from hoptac.catalog.models import Certificate, ProductPhoto
from hoptac.coops.models import Cooperative
from hoptac.core.roles import Perm
from hoptac.core.tenancy import tenant
from hoptac.inventory.selectors import available_by_product
from hoptac.lib import vietqr
from hoptac.lib.banks import bank_short_name
from hoptac.lib.text import fold, search_tokens
from hoptac.shop.models import (
    BankTransaction,
    Channel,
    DeliveryMethod,
    Listing,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentState,
    TxSource,
    TxState,
)
from hoptac.shop.pricing import MAX_LINES, MAX_PACKS
from hoptac.shop.services.orders import Buyer, Choice, order_invoice_set, order_move, order_place

router = Router(tags=["shop"])

# Routes open without a token or session, with the reason (tests/test_api.py reads this).
PUBLIC_ROUTES = {
    "catalogue_list": "the public catalogue: listed products of open shops, no member data",
    "catalogue_get": "one product of the public catalogue",
    "checkout_create": "placing an order needs no account, as on the site; limited per address",
}

CHECKOUTS_PER_HOUR = 20
PLACE = "order.place"
OPEN_SECURITY = {"security": []}

StockState = Literal["in_stock", "few_left", "sold_out"]


# --- schemas ------------------------------------------------------------------------------


class CoopRef(Schema):
    slug: str
    name: str


class TierOut(Schema):
    min_quantity: int = Field(description="From this many packs in one order…")
    price_vnd: int = Field(description="…each pack costs this.")


class CatalogueItemOut(Schema):
    listing: int = Field(description="The listing's id: what an order's items name.")
    short_code: str = Field(description="The short link of the product: /p/{short_code}.")
    name: str
    name_en: str
    cooperative: CoopRef
    price_vnd: int = Field(description="Price per pack, whole đồng.")
    pack: str = Field(description="What one pack is, e.g. '500 ml' or 'hũ'.")
    weight_g: int = Field(description="Parcel weight of one pack, for delivery fees.")
    stock: StockState
    max_per_order: int
    ocop_stars: int | None = Field(description="Stars of a valid OCOP certificate, if any.")
    ocop_group: str
    photo: str | None = Field(description="Address of a small photo (320 px wide), if any.")
    url: str


class CatalogueDetailOut(CatalogueItemOut):
    story: str
    description: str
    tiers: list[TierOut]
    photos: list[str]


class CataloguePage(PageMeta):
    items: list[CatalogueItemOut]


class ItemIn(Schema):
    listing: DbId
    quantity: int = Field(ge=1, le=MAX_PACKS, description="Whole packs.")


class BuyerIn(Schema):
    name: text(120) = Field(min_length=1)
    phone: text(20) = Field(min_length=1, description="A Vietnamese mobile number, e.g. 0987 654 321.")
    email: text(254) = ""
    province_code: int | None = Field(default=None, ge=1, le=999, description="Post-2025 province code.")
    commune_code: int | None = Field(default=None, ge=1, le=99_999, description="Commune or ward code.")
    street: text(200) = ""
    note: text(500) = ""
    company_name: text(200) = ""
    tax_code: text(14) = Field(default="", description="For a VAT invoice: 10 or 13 digits.")
    company_address: text(300) = ""
    message_channel: Literal["sms", "zalo", "email"] = "sms"


class ChoiceIn(Schema):
    cooperative: text(60) = Field(min_length=1, description="The cooperative's slug.")
    delivery: DeliveryMethod
    payment: PaymentMethod


class CheckoutIn(Schema):
    client_key: UUID = Field(
        description="Made by the client, one per checkout: a retry with the same key and body "
        "returns the first answer (200); another body under the same key is refused (422)."
    )
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_LINES)
    buyer: BuyerIn
    choices: list[ChoiceIn] = Field(
        min_length=1,
        max_length=MAX_LINES,
        description="Delivery and payment for each cooperative of the cart.",
    )


class OrderLineOut(Schema):
    listing: int
    name: str
    quantity: int
    unit_price_vnd: int
    line_total_vnd: int


class BankOut(Schema):
    bank_bin: str
    bank: str
    account: str
    account_name: str


class PlacedOrderOut(Schema):
    code: str = Field(description="The order code: first in the transfer memo.")
    cooperative: CoopRef
    status: str
    delivery_method: str
    payment_method: str
    payment_state: str
    subtotal_vnd: int
    delivery_fee_vnd: int
    total_vnd: int
    paid_vnd: int
    owed_vnd: int
    pay_by: dt.datetime | None
    lines: list[OrderLineOut]
    bank: BankOut | None = Field(description="Where to transfer, for a bank-transfer order.")
    vietqr: str | None = Field(
        description="The VietQR payload (amount still owed, the order code as memo) for a "
        "bank-transfer order still waiting for money; show it as a QR code."
    )


class CheckoutOut(Schema):
    checkout: UUID
    orders: list[PlacedOrderOut]


class BuyerOut(Schema):
    name: str
    phone: str
    email: str
    province_code: int | None
    commune_code: int | None
    street: str
    note: str
    message_channel: str


class EventOut(Schema):
    at: dt.datetime
    what: str
    from_status: str
    to_status: str
    note: str
    by_buyer: bool


class OrderOut(PlacedOrderOut):
    uuid: UUID
    channel: str
    created_at: dt.datetime
    buyer: BuyerOut
    weight_g: int
    company_name: str
    tax_code: str
    company_address: str
    einvoice_number: str
    einvoice_provider: str
    carrier: str
    tracking_code: str
    cancel_reason: str


class OrderDetailOut(OrderOut):
    events: list[EventOut]


class OrderPage(PageMeta):
    items: list[OrderOut]


class StatusIn(Schema):
    to: Literal["confirmed", "packed", "shipped", "delivered", "cancelled", "returned"]
    note: text(300) = Field(default="", description="Required to cancel or return: the reason.")
    carrier: text(40) = ""
    tracking_code: text(40) = Field(default="", description="Required to ship by post or carrier.")


class InvoiceIn(Schema):
    number: text(40) = Field(min_length=1, description="The e-invoice number.")
    provider: text(40) = Field(default="", description="Who issued it, e.g. 'VNPT', 'Viettel', 'MISA'.")


class PaymentOut(Schema):
    id: int
    source: str
    provider_id: str
    at: dt.datetime
    amount_vnd: int
    memo: str
    bank: str
    reference: str
    state: str
    order_code: str | None
    note: str
    resolved_at: dt.datetime | None


class PaymentPage(PageMeta):
    items: list[PaymentOut]


# --- the public catalogue -------------------------------------------------------------------


def _sellable():
    # Across cooperatives on purpose: the catalogue is every open shop's listed products.
    return Listing.unscoped.filter(
        is_listed=True, product__is_active=True, cooperative__is_active=True, cooperative__shop__is_open=True
    ).select_related("product", "cooperative", "cooperative__shop")


def _ocop_stars(product_ids) -> dict[int, int]:
    today = timezone.localdate()
    # Across cooperatives: certificates of the listed products only (public facts).
    rows = Certificate.unscoped.filter(
        kind="ocop", product_id__in=list(product_ids), stars__isnull=False
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    stars: dict[int, int] = {}
    for pid, value in rows.values_list("product_id", "stars"):
        stars[pid] = max(stars.get(pid, 0), value)
    return stars


def _photos(product_ids) -> dict[int, list]:
    # Across cooperatives: the photos of listed products, which the shops show publicly.
    found: dict[int, list] = {}
    for photo in ProductPhoto.unscoped.filter(product_id__in=list(product_ids)).order_by("position", "id"):
        found.setdefault(photo.product_id, []).append(photo)
    return found


def _photo_url(photo, size: str = "small") -> str | None:
    field = getattr(photo, size) or photo.medium or photo.original
    return field.url if field else None


def _stock(listings) -> dict[int, Decimal]:
    by_coop: dict[int, list] = {}
    for listing in listings:
        by_coop.setdefault(listing.cooperative_id, []).append(listing)
    available: dict[int, Decimal] = {}
    for coop_listings in by_coop.values():
        with tenant(coop_listings[0].cooperative):
            available.update(available_by_product([x.product_id for x in coop_listings]))
    return available


def _pack(product) -> str:
    if product.pack_size:
        size = format(product.pack_size.normalize(), "f")
        return f"{size} {product.pack_unit}".strip()
    return product.sale_unit or product.base_unit


def _catalogue_item(listing, *, available, stars, photos) -> dict:
    product = listing.product
    left = available.get(product.pk, Decimal(0))
    few = listing.cooperative.shop.few_left_at
    state = "sold_out" if left < 1 else ("few_left" if left <= few else "in_stock")
    first = (photos.get(product.pk) or [None])[0]
    return {
        "listing": listing.pk,
        "short_code": listing.short_code,
        "name": product.name,
        "name_en": product.name_en,
        "cooperative": {"slug": listing.cooperative.slug, "name": listing.cooperative.name},
        "price_vnd": listing.price_vnd,
        "pack": _pack(product),
        "weight_g": listing.weight_g,
        "stock": state,
        "max_per_order": listing.max_per_order,
        "ocop_stars": stars.get(product.pk),
        "ocop_group": product.ocop_group,
        "photo": _photo_url(first) if first else None,
        "url": f"/p/{listing.short_code}",
    }


def _public(request, response: HttpResponse):
    response["Cache-Control"] = "public, max-age=60"
    return translation.override(api_language(request))


@router.get(
    "/catalogue",
    auth=None,
    response={200: CataloguePage, 422: ErrorOut},
    summary="The public catalogue",
    openapi_extra=OPEN_SECURITY,
)
def catalogue_list(
    request,
    response: HttpResponse,
    q: Annotated[
        str, Query(max_length=100, description="Words of the name; accents optional ('mat ong').")
    ] = "",
    cooperative: Annotated[
        str, Query(max_length=60, pattern=r"^[-a-zA-Z0-9_]*$", description="Only this cooperative (slug).")
    ] = "",
    ocop: Annotated[int | None, Query(ge=1, le=5, description="At least this many OCOP stars.")] = None,
    price_min: Annotated[int | None, Query(ge=0, le=100_000_000)] = None,
    price_max: Annotated[int | None, Query(ge=0, le=100_000_000)] = None,
    sort: Literal["name", "price", "-price"] = "name",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """Listed products of every open shop, 50 a page. No token needed."""
    with _public(request, response):
        rows = _sellable()
        if cooperative:
            rows = rows.filter(cooperative__slug=cooperative)
        if price_min is not None:
            rows = rows.filter(price_vnd__gte=price_min)
        if price_max is not None:
            rows = rows.filter(price_vnd__lte=price_max)
        listings = list(rows)
        tokens = search_tokens(q.replace("\x00", ""))
        if tokens:
            listings = [
                x
                for x in listings
                if all(
                    t in fold(f"{x.product.name} {x.product.name_en} {x.cooperative.name}") for t in tokens
                )
            ]
        stars = _ocop_stars([x.product_id for x in listings])
        if ocop is not None:
            listings = [x for x in listings if stars.get(x.product_id, 0) >= ocop]
        if sort == "name":
            listings.sort(key=lambda x: (fold(x.product.name), x.pk))
        else:
            listings.sort(key=lambda x: (x.price_vnd if sort == "price" else -x.price_vnd, x.pk))
        count = len(listings)
        start = (page - 1) * PAGE_SIZE
        shown = listings[start : start + PAGE_SIZE]
        available = _stock(shown)
        photos = _photos([x.product_id for x in shown])
        return {
            "count": count,
            "page": page,
            "page_size": PAGE_SIZE,
            "pages": max(1, math.ceil(count / PAGE_SIZE)),
            "items": [_catalogue_item(x, available=available, stars=stars, photos=photos) for x in shown],
        }


@router.get(
    "/catalogue/{short_code}",
    auth=None,
    response={200: CatalogueDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="One product of the catalogue",
    openapi_extra=OPEN_SECURITY,
)
def catalogue_get(request, response: HttpResponse, short_code: Annotated[str, Field(max_length=8)]):
    """A listed product with its story, quantity prices and photos. No token needed."""
    with _public(request, response):
        listing = _sellable().filter(short_code=short_code).first()
        if listing is None:
            raise Http404
        product = listing.product
        photos = _photos([product.pk])
        item = _catalogue_item(
            listing, available=_stock([listing]), stars=_ocop_stars([product.pk]), photos=photos
        )
        return {
            **item,
            "story": product.story,
            "description": product.description,
            # The tiers of a listed product: public prices.
            "tiers": [
                {"min_quantity": t.min_quantity, "price_vnd": t.price_vnd}
                for t in listing.tiers(manager="unscoped").order_by("min_quantity")
            ],
            "photos": [url for url in (_photo_url(p, "medium") for p in photos.get(product.pk, [])) if url],
        }


# --- placing orders --------------------------------------------------------------------------


def _vietqr(order) -> str | None:
    shop = order.cooperative.shop
    if (
        order.payment_method != PaymentMethod.BANK
        or order.status != OrderStatus.NEW
        or order.owed_vnd <= 0
        or not shop.can_take_transfers
    ):
        return None
    try:
        return vietqr.payload(
            bank_bin=shop.bank_bin, account=shop.bank_account, amount=order.owed_vnd, purpose=order.code
        )
    except vietqr.VietQRError:
        return None


def _placed(order) -> dict:
    shop = order.cooperative.shop
    bank = None
    if order.payment_method == PaymentMethod.BANK and shop.can_take_transfers:
        bank = {
            "bank_bin": shop.bank_bin,
            "bank": bank_short_name(shop.bank_bin),
            "account": shop.bank_account,
            "account_name": shop.account_name or order.cooperative.name,
        }
    return {
        "code": order.code,
        "cooperative": {"slug": order.cooperative.slug, "name": order.cooperative.name},
        "status": order.status,
        "delivery_method": order.delivery_method,
        "payment_method": order.payment_method,
        "payment_state": order.payment_state,
        "subtotal_vnd": order.subtotal_vnd,
        "delivery_fee_vnd": order.delivery_fee_vnd,
        "total_vnd": order.total_vnd,
        "paid_vnd": order.paid_vnd,
        "owed_vnd": order.owed_vnd,
        "pay_by": local(order.pay_by),
        "lines": [
            {
                "listing": line.listing_id,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price_vnd": line.unit_price_vnd,
                "line_total_vnd": line.line_total_vnd,
            }
            for line in order.lines.all()
        ],
        "bank": bank,
        "vietqr": _vietqr(order),
    }


def caller_ref(request) -> str:
    """The order's channel detail for an API checkout: a keyed hash of the caller's address
    (counted by the limit, never readable as an address)."""
    address = client_address(request) or "unknown"
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()
    return f"api:{digest[:16]}"


def _too_many(ref: str) -> bool:
    since = timezone.now() - dt.timedelta(hours=1)
    # Across cooperatives: one caller's checkouts in the last hour, wherever they went.
    recent = Order.unscoped.filter(channel=Channel.API, channel_ref=ref, created_at__gte=since)
    return recent.values("checkout").distinct().count() >= CHECKOUTS_PER_HOUR


@router.post(
    "/orders",
    auth=None,
    response={200: CheckoutOut, 201: CheckoutOut, 422: ErrorOut, 429: ErrorOut},
    summary="Place an order (idempotent, no token)",
    openapi_extra=OPEN_SECURITY,
)
def checkout_create(request, payload: CheckoutIn, response: HttpResponse):
    """Turn a cart into orders, one per cooperative, each paid to that cooperative. Prices,
    stock and fees are computed on the server. 201 the first time; the same ``client_key``
    with the same body returns the first answer with 200; with another body, 422 and
    nothing stored. At most 20 checkouts an hour from one address (429)."""
    response["Cache-Control"] = "private, no-store"
    with translation.override(api_language(request)):
        ref = caller_ref(request)
        body_hash = canonical_sha256(payload.model_dump(mode="json"))
        slugs = {choice.cooperative for choice in payload.choices}
        coop_ids = dict(Cooperative.objects.filter(slug__in=slugs, is_active=True).values_list("slug", "pk"))
        choices = {
            coop_ids[c.cooperative]: Choice(delivery=c.delivery.value, payment=c.payment.value)
            for c in payload.choices
            if c.cooperative in coop_ids
        }
        buyer = Buyer(**payload.buyer.model_dump())

        def create():
            if _too_many(ref):
                return None
            orders = order_place(
                items=[(item.listing, item.quantity) for item in payload.items],
                buyer=buyer,
                choices=choices,
                channel=Channel.API,
                channel_ref=ref,
                client_key=str(payload.client_key),
            )
            answers = []
            for order in orders:
                with tenant(order.cooperative):
                    answers.append(_placed(order))
            data = CheckoutOut.model_validate({"checkout": orders[0].checkout, "orders": answers}).model_dump(
                mode="json"
            )
            return data, orders[0].cooperative

        answer = create_once_across(
            key=payload.client_key,
            operation=PLACE,
            body_hash=body_hash,
            create=create,
            refused=_(
                "This client_key was already used for another order with different contents: "
                "nothing was placed. Make a new key for a new order."
            ),
        )
        if answer is None:
            response["Retry-After"] = "3600"
            return Status(
                429, {"detail": _("Too many orders from this address in the last hour. Try again later.")}
            )
        return answer


# --- the cooperative's orders ----------------------------------------------------------------


def _order_row(order) -> dict:
    return {
        **_placed(order),
        "uuid": order.uuid,
        "channel": order.channel,
        "created_at": local(order.created_at),
        "buyer": {
            "name": order.buyer_name,
            "phone": order.buyer_phone,
            "email": order.buyer_email,
            "province_code": order.province_code,
            "commune_code": order.commune_code,
            "street": order.street,
            "note": order.note,
            "message_channel": order.message_channel,
        },
        "weight_g": order.weight_g,
        "company_name": order.company_name,
        "tax_code": order.tax_code,
        "company_address": order.company_address,
        "einvoice_number": order.einvoice_number,
        "einvoice_provider": order.einvoice_provider,
        "carrier": order.carrier,
        "tracking_code": order.tracking_code,
        "cancel_reason": order.cancel_reason,
    }


def _order_detail(order) -> dict:
    return {
        **_order_row(order),
        "events": [
            {
                "at": local(event.at),
                "what": event.what,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "note": event.note,
                "by_buyer": event.by_buyer,
            }
            for event in order.events.all()
        ],
    }


def _orders():
    return Order.objects.select_related("cooperative", "cooperative__shop").prefetch_related("lines")


def _order_or_404(order_code: str) -> Order:
    order = _orders().filter(code=(order_code or "").strip().upper()[:12]).first()
    if order is None:
        raise Http404
    return order


@router.get("/c/{slug}/orders", response={200: OrderPage, **ERRORS}, summary="Orders")
@coop_route(Perm.ORDER_VIEW)
def order_list(
    request,
    slug: str,
    status: OrderStatus | None = None,
    payment_state: PaymentState | None = None,
    payment_method: PaymentMethod | None = None,
    channel: Channel | None = None,
    day_from: Annotated[dt.date | None, Query(description="Placed on or after this day.")] = None,
    day_to: Annotated[dt.date | None, Query(description="Placed on or before this day.")] = None,
    q: Annotated[str, Query(max_length=40, description="An order code or the buyer's phone.")] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """The cooperative's orders, newest first, 50 a page, with their lines."""
    orders = _orders()
    if status:
        orders = orders.filter(status=status)
    if payment_state:
        orders = orders.filter(payment_state=payment_state)
    if payment_method:
        orders = orders.filter(payment_method=payment_method)
    if channel:
        orders = orders.filter(channel=channel)
    if day_from:
        orders = orders.filter(created_at__gte=day_start(check_day(day_from)))
    if day_to:
        orders = orders.filter(created_at__lt=day_start(check_day(day_to)) + dt.timedelta(days=1))
    q = q.replace("\x00", "").strip()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        match = Q(code=q.upper().replace(" ", ""))
        if len(digits) >= 9:
            match |= Q(buyer_phone__endswith=digits[-9:])
        orders = orders.filter(match)
    meta, items = paginate(orders, page)
    return {**meta, "items": [_order_row(order) for order in items]}


@router.get("/c/{slug}/orders/{order_code}", response={200: OrderDetailOut, **ERRORS}, summary="One order")
@coop_route(Perm.ORDER_VIEW)
def order_get(request, slug: str, order_code: str):
    """An order with its lines, payment and history."""
    return _order_detail(_order_or_404(order_code))


@router.post(
    "/c/{slug}/orders/{order_code}/status",
    response={200: OrderDetailOut, **ERRORS},
    summary="Move an order to another state",
)
@coop_route(Perm.ORDER_MANAGE)
def order_status(request, slug: str, order_code: str, payload: StatusIn):
    """new → confirmed → packed → shipped → delivered, or cancelled / returned, as on the
    order board: a refused move answers 422 with the reason and changes nothing."""
    order = order_move(
        order=_order_or_404(order_code),
        to=payload.to,
        actor=request.user,
        note=payload.note,
        carrier=payload.carrier,
        tracking_code=payload.tracking_code,
    )
    return _order_detail(_order_or_404(order.code))


@router.post(
    "/c/{slug}/orders/{order_code}/invoice",
    response={200: OrderDetailOut, **ERRORS},
    summary="Record the order's e-invoice",
)
@coop_route(Perm.ORDER_MANAGE)
def order_invoice(request, slug: str, order_code: str, payload: InvoiceIn):
    """The number and provider of the e-invoice issued for the order."""
    order = order_invoice_set(
        order=_order_or_404(order_code), number=payload.number, provider=payload.provider, actor=request.user
    )
    return _order_detail(_order_or_404(order.code))


@router.get("/c/{slug}/payments", response={200: PaymentPage, **ERRORS}, summary="Bank transactions")
@coop_route(Perm.PAYMENT_MANAGE)
def payment_list(
    request,
    slug: str,
    state: TxState | None = None,
    source: TxSource | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """Money that came into the cooperative's account, newest first, with the order each paid."""
    rows = BankTransaction.objects.select_related("order")
    if state:
        rows = rows.filter(state=state)
    if source:
        rows = rows.filter(source=source)
    meta, items = paginate(rows, page)
    return {
        **meta,
        "items": [
            {
                "id": tx.pk,
                "source": tx.source,
                "provider_id": tx.provider_id,
                "at": local(tx.at),
                "amount_vnd": tx.amount_vnd,
                "memo": tx.memo,
                "bank": tx.bank,
                "reference": tx.reference,
                "state": tx.state,
                "order_code": tx.order.code if tx.order_id else None,
                "note": tx.note,
                "resolved_at": local(tx.resolved_at),
            }
            for tx in items
        ],
    }

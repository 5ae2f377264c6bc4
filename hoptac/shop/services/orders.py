"""Orders: placing a checkout (one order per cooperative, stock held at once), moving an
order through its states with a history row, the buyer's cancellation, reminders and the
expiry of unpaid bank-transfer orders.

Locks (``core/locks.py``): a checkout locks no order (it makes new ones) but takes the
lots of every product it sells, cooperative by cooperative in ascending id, lots by
ascending id, so two checkouts never wait on each other in a circle. A change of an
existing order locks the order first, then the lots.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core import pagecache
from hoptac.core.audit import audit_record
from hoptac.core.locks import orders_lock
from hoptac.core.tenancy import require_cooperative, tenant
from hoptac.inventory.services import (
    OutOfStock,
    stock_reservations_release,
    stock_reservations_sell,
    stock_reserve,
)
from hoptac.lib import ordercode, places
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.shop import pricing
from hoptac.shop.messages import order_message
from hoptac.shop.models import (
    TRANSITIONS,
    Channel,
    DeliveryMethod,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentState,
    ShareLink,
)

MAX_NAME = 120


@dataclass
class Buyer:
    name: str
    phone: str
    email: str = ""
    province_code: int | None = None
    commune_code: int | None = None
    street: str = ""
    note: str = ""
    company_name: str = ""
    tax_code: str = ""
    company_address: str = ""
    message_channel: str = "sms"


@dataclass
class Choice:
    """What the buyer chose for one cooperative's part of the cart."""

    delivery: str
    payment: str


def _check_buyer(buyer: Buyer, *, needs_address: bool) -> Buyer:
    errors: dict[str, list[str]] = {}
    name = " ".join((buyer.name or "").split())
    if not name:
        errors.setdefault("name", []).append(_("Give your name."))
    elif len(name) > MAX_NAME:
        errors.setdefault("name", []).append(_("The name is too long."))
    try:
        phone = normalize_phone(buyer.phone or "")
        if not phone.startswith(("03", "05", "07", "08", "09")):
            raise InvalidPhone(phone)
    except InvalidPhone:
        phone = ""
        errors.setdefault("phone", []).append(
            _("Give a Vietnamese mobile number: 10 digits starting with 03, 05, 07, 08 or 09.")
        )
    province, commune = buyer.province_code, buyer.commune_code
    if needs_address:
        if not province or not places.province_name(province):
            errors.setdefault("province_code", []).append(_("Choose the province."))
        elif not commune or places.commune_province(commune) != province:
            errors.setdefault("commune_code", []).append(_("Choose a commune or ward of this province."))
        if not (buyer.street or "").strip():
            errors.setdefault("street", []).append(_("Give the house number, street or village."))
    tax_code = (buyer.tax_code or "").strip()
    if tax_code and not (tax_code.replace("-", "").isdigit() and len(tax_code.replace("-", "")) in (10, 13)):
        errors.setdefault("tax_code", []).append(_("A tax code has 10 digits (or 13 for a branch)."))
    if tax_code and not (buyer.company_name or "").strip():
        errors.setdefault("company_name", []).append(_("Give the company name for the invoice."))
    if errors:
        raise ValidationError(errors)
    return Buyer(
        name=name,
        phone=phone,
        email=(buyer.email or "").strip()[:254],
        province_code=province if needs_address else (province or None),
        commune_code=commune if needs_address else (commune or None),
        street=" ".join((buyer.street or "").split())[:200],
        note=(buyer.note or "").strip()[:500],
        company_name=" ".join((buyer.company_name or "").split())[:200],
        tax_code=tax_code[:14],
        company_address=(buyer.company_address or "").strip()[:300],
        message_channel=buyer.message_channel if buyer.message_channel in ("sms", "zalo", "email") else "sms",
    )


def _new_code() -> str:
    for _attempt in range(20):
        code = ordercode.new_code()
        if not Order.unscoped.filter(code=code).exists():
            return code
    raise RuntimeError("could not draw a free order code")  # 32^6 codes: never in practice


def _event(
    order: Order, *, what: str, before: str = "", note: str = "", actor=None, by_buyer=False
) -> OrderEvent:
    return OrderEvent.objects.create(
        cooperative=order.cooperative,
        order=order,
        from_status=before,
        to_status=order.status,
        what=what,
        note=note[:300],
        actor=actor if getattr(actor, "pk", None) else None,
        by_buyer=by_buyer,
    )


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def order_place(
    *,
    items: list[tuple[int, int]],
    buyer: Buyer,
    choices: dict[int, Choice],
    channel: str = Channel.SHOP,
    channel_ref: str = "",
    client_key: str = "",
    unit_prices: dict[int, int] | None = None,
    actor=None,
    now: dt.datetime | None = None,
) -> list[Order]:
    """Turn a cart into orders: one per cooperative, each with its own delivery and payment.

    ``items`` are ``(listing_id, packs)``; ``choices`` maps a cooperative id to the buyer's
    :class:`Choice`. Prices, stock and fees are computed here from the database. All or
    nothing: one refused part refuses the whole checkout. ``unit_prices`` (listing id ->
    price per pack) is for callers that set a price themselves (a live sale's price).
    """
    now = now or timezone.now()
    if not items:
        raise ValidationError(_("Your cart is empty."), code="empty")
    if len(items) > pricing.MAX_LINES:
        raise ValidationError(
            _("A cart holds at most %(n)s products.") % {"n": pricing.MAX_LINES}, code="too_many"
        )
    for _lid, qty in items:
        if not isinstance(qty, int) or qty < 1 or qty > pricing.MAX_PACKS:
            raise ValidationError(_("Each quantity must be a whole number of packs from 1."), code="quantity")
    needs_address = any(c.delivery != DeliveryMethod.PICKUP for c in choices.values())
    buyer = _check_buyer(buyer, needs_address=needs_address)
    quotes, gone = pricing.quote(
        items, province_code=buyer.province_code, commune_code=buyer.commune_code, unit_prices=unit_prices
    )
    if gone:
        raise ValidationError(
            _("Some products in your cart are no longer on sale; the cart has been updated."), code="gone"
        )
    if channel not in Channel.values:
        channel = Channel.SHOP
    share_coop = None
    if channel == Channel.SHARE:
        # A share link marks only its own cooperative's order; an unknown code marks none.
        share_coop = (
            ShareLink.unscoped.filter(code=channel_ref).values_list("cooperative_id", flat=True).first()
        )
    checkout = uuid.uuid4()
    orders = []
    for cq in quotes:
        coop = cq.cooperative
        choice = choices.get(coop.pk)
        if choice is None or choice.delivery not in cq.methods():
            raise ValidationError(
                _("Choose how %(coop)s delivers your order.") % {"coop": coop.name}, code="delivery"
            )
        if choice.payment not in cq.payments():
            raise ValidationError(_("Choose how to pay %(coop)s.") % {"coop": coop.name}, code="payment")
        fee = cq.fees.get(choice.delivery)
        if fee is None:
            raise ValidationError(
                _("%(coop)s does not deliver this way to this address or at this weight; choose another way.")
                % {"coop": coop.name},
                code="no_delivery",
            )
        for line in cq.lines:
            if line.quantity > line.listing.max_per_order:
                raise ValidationError(
                    _("At most %(n)s packs of %(name)s per order.")
                    % {"n": line.listing.max_per_order, "name": line.listing.product.name},
                    code="max_per_order",
                )
        own_channel, own_ref = channel, channel_ref[:60]
        if channel == Channel.SHARE and share_coop != coop.pk:
            own_channel, own_ref = Channel.SHOP, ""
        with tenant(coop):
            if client_key and Order.objects.filter(client_key=client_key).exists():
                raise ValidationError(_("This order was already placed."), code="client_key")
            try:
                # A savepoint: two POSTs of the same checkout at the same instant meet the
                # unique (cooperative, client_key) constraint; the second is refused, not a 500.
                with transaction.atomic():
                    order = Order.objects.create(
                        cooperative=coop,
                        code=_new_code(),
                        checkout=checkout,
                        client_key=client_key[:64],
                        channel=own_channel,
                        channel_ref=own_ref,
                        buyer_name=buyer.name,
                        buyer_phone=buyer.phone,
                        buyer_email=buyer.email,
                        message_channel=buyer.message_channel,
                        province_code=buyer.province_code if choice.delivery != DeliveryMethod.PICKUP else None,
                        commune_code=buyer.commune_code if choice.delivery != DeliveryMethod.PICKUP else None,
                        street=buyer.street if choice.delivery != DeliveryMethod.PICKUP else "",
                        note=buyer.note,
                        delivery_method=choice.delivery,
                        weight_g=cq.weight_g,
                        subtotal_vnd=cq.subtotal,
                        delivery_fee_vnd=fee,
                        total_vnd=cq.subtotal + fee,
                        payment_method=choice.payment,
                        pay_by=(now + dt.timedelta(hours=cq.shop.pay_within_hours))
                        if choice.payment == PaymentMethod.BANK
                        else None,
                        company_name=buyer.company_name,
                        tax_code=buyer.tax_code,
                        company_address=buyer.company_address,
                    )
            except IntegrityError:
                raise ValidationError(_("This order was already placed."), code="client_key") from None
            wanted = []
            for line in cq.lines:
                row = OrderLine.objects.create(
                    cooperative=coop,
                    order=order,
                    listing=line.listing,
                    product=line.listing.product,
                    name=line.listing.product.name,
                    quantity=line.quantity,
                    unit_price_vnd=line.unit_price,
                    line_total_vnd=line.total,
                    weight_g=line.weight_g,
                )
                wanted.append((row.pk, line.listing.product_id, line.quantity))
            try:
                stock_reserve(wanted=wanted, today=timezone.localdate(now))
            except OutOfStock as short:
                names = {line.listing.product_id: line.listing.product.name for line in cq.lines}
                raise ValidationError(
                    [
                        _("Only %(n)s packs of %(name)s are left.") % {"n": int(left), "name": names[pid]}
                        for pid, left in short.shortages.items()
                    ],
                    code="out_of_stock",
                ) from None
            _event(order, what="placed", actor=actor, by_buyer=actor is None)
            audit_record(
                action="order.place",
                actor=actor,
                cooperative=coop,
                obj=order,
                data={"total": order.total_vnd},
            )
            order_message(order, "placed")
        orders.append(order)
    return orders


def _lock(order: Order) -> Order:
    locked = orders_lock(Order, [order.pk]).get(order.pk)
    if locked is None:
        raise ValidationError(_("Unknown order."), code="order")
    return locked


def _release(order: Order) -> None:
    stock_reservations_release(order_line_ids=list(order.lines.values_list("pk", flat=True)))


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def order_move(
    *,
    order: Order,
    to: str,
    actor=None,
    note: str = "",
    by_buyer: bool = False,
    carrier: str = "",
    tracking_code: str = "",
) -> Order:
    """Move an order to another state if :data:`TRANSITIONS` allows it; writes the history,
    holds or gives back stock, and tells the buyer."""
    order = _lock(order)
    before = order.status
    if to not in TRANSITIONS.get(before, ()):
        raise ValidationError(
            _("An order that is %(state)s cannot become %(to)s.")
            % {
                "state": order.get_status_display().lower(),
                "to": str(dict(OrderStatus.choices).get(to, to)).lower(),
            },
            code="transition",
        )
    note = (note or "").strip()
    if to in (OrderStatus.CANCELLED, OrderStatus.RETURNED) and not note:
        raise ValidationError(_("Give the reason."), code="reason")
    if (
        to == OrderStatus.SHIPPED
        and order.delivery_method == DeliveryMethod.POST
        and not tracking_code.strip()
    ):
        raise ValidationError(_("Give the carrier's tracking code."), code="tracking")
    line_ids = list(order.lines.values_list("pk", flat=True))
    if to == OrderStatus.CANCELLED:
        stock_reservations_release(order_line_ids=line_ids)
        order.cancel_reason = note[:300]
        order.pay_by = None
    elif to == OrderStatus.SHIPPED:
        stock_reservations_sell(order_line_ids=line_ids, reference=order.code, actor=actor)
        order.carrier = carrier.strip()[:40]
        order.tracking_code = tracking_code.strip()[:40]
    elif to == OrderStatus.RETURNED:
        order.cancel_reason = note[:300]
    order.status = to
    order.save(update_fields=["status", "cancel_reason", "pay_by", "carrier", "tracking_code", "updated_at"])
    _event(order, what="status", before=before, note=note, actor=actor, by_buyer=by_buyer)
    audit_record(
        action=f"order.{to}", actor=actor, cooperative=order.cooperative, obj=order, data={"from": before}
    )
    if to in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED):
        order_message(order, to)
    return order


@transaction.atomic
def order_cancel_by_buyer(*, order: Order, reason: str = "") -> Order:
    """The buyer cancels an order the cooperative has not confirmed yet."""
    locked = _lock(order)
    if locked.status != OrderStatus.NEW:
        raise ValidationError(
            _("The cooperative has already confirmed this order: call them to change it."), code="confirmed"
        )
    return order_move(
        order=locked,
        to=OrderStatus.CANCELLED,
        note=reason.strip() or _("Cancelled by the buyer"),
        by_buyer=True,
    )


@transaction.atomic
def order_invoice_set(*, order: Order, number: str, provider: str, actor=None) -> Order:
    """Record the e-invoice issued for an order (number and provider)."""
    order = _lock(order)
    number, provider = (number or "").strip(), (provider or "").strip()
    if not number:
        raise ValidationError({"einvoice_number": [_("Give the invoice number.")]})
    order.einvoice_number, order.einvoice_provider = number[:40], provider[:40]
    order.save(update_fields=["einvoice_number", "einvoice_provider", "updated_at"])
    _event(order, what="invoice", before=order.status, note=f"{provider} {number}".strip(), actor=actor)
    return order


def _unpaid_bank_orders():
    return Order.objects.filter(
        status=OrderStatus.NEW,
        payment_method=PaymentMethod.BANK,
        payment_state__in=(PaymentState.UNPAID, PaymentState.PARTIAL),
        pay_by__isnull=False,
    )


@transaction.atomic
def order_expire(*, order: Order, now: dt.datetime) -> bool:
    """Cancel an unpaid bank-transfer order past its time, giving its stock back."""
    locked = _lock(order)
    if (
        locked.status != OrderStatus.NEW
        or locked.payment_method != PaymentMethod.BANK
        or locked.payment_state in (PaymentState.PAID, PaymentState.OVERPAID)
        or locked.pay_by is None
        or locked.pay_by > now
    ):
        return False
    order_move(order=locked, to=OrderStatus.CANCELLED, note=_("Not paid in time"))
    return True


@transaction.atomic
def order_remind(*, order: Order, now: dt.datetime) -> bool:
    """Remind the buyer of an unpaid bank-transfer order, once."""
    locked = _lock(order)
    if locked.reminded_at is not None or locked.status != OrderStatus.NEW or locked.pay_by is None:
        return False
    if locked.payment_state in (PaymentState.PAID, PaymentState.OVERPAID):
        return False
    locked.reminded_at = now
    locked.save(update_fields=["reminded_at", "updated_at"])
    _event(locked, what="reminded", before=locked.status)
    order_message(locked, "reminder")
    return True


def orders_remind_and_expire(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """For the current cooperative: cancel unpaid bank-transfer orders past their time
    (their stock goes back), then remind, once, those unpaid for ``remind_after_hours``.
    Each order in its own short transaction. Returns (reminded, cancelled)."""
    from hoptac.shop.models import Shop

    coop = require_cooperative()
    now = now or timezone.now()
    shop = Shop.objects.filter(cooperative=coop).first()
    if shop is None:
        return 0, 0
    cancelled = sum(
        order_expire(order=o, now=now) for o in _unpaid_bank_orders().filter(pay_by__lte=now).order_by("pk")
    )
    remind_before = now + dt.timedelta(hours=shop.pay_within_hours - shop.remind_after_hours)
    due = _unpaid_bank_orders().filter(reminded_at__isnull=True, pay_by__lte=remind_before).order_by("pk")
    reminded = sum(order_remind(order=o, now=now) for o in due)
    return reminded, cancelled

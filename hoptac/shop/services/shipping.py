"""Delivery by carrier: the cooperative's carrier accounts, shipments made at the carrier
when an order is packed (one active shipment per order), their labels and cancellation,
and the carrier's status callbacks moving the order.

Callbacks: each is kept once as a :class:`ShipmentEvent` (``dedupe_key``); it is applied
only when newer than the last applied status (``Shipment.status_at``) — an older one that
arrives late is kept and not applied. Picked up or on the way → the order is *shipped*
(with the carrier and tracking code); delivered → *delivered*; returned → *returned* (the
carrier's reason as the note); cancelled at the carrier → the shipment is no longer active
and the order stays packed. A move that the order's transitions refuse (a late "on the
way" after "delivered") is kept as an event and ignored. The COD cash collected by the
carrier is recorded when its remittance report is imported (``services.remittances``).

Locks (``core/locks.py``): the shipment (level 3b) before its order (level 4).

The carrier is called outside any transaction (a slow carrier holds no lock); what it
answers is then written in one transaction.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.locks import orders_lock, shipment_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.lib import places
from hoptac.lib.carriers import read_callback
from hoptac.lib.carriers.base import BadSignature, CarrierError, Status, StatusUpdate
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.shop.models import (
    API_CARRIERS,
    TRANSITIONS,
    Carrier,
    CarrierAccount,
    DeliveryMethod,
    Order,
    OrderStatus,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)
from hoptac.shop.selectors import shipping as selectors
from hoptac.shop.services.orders import order_move

log = logging.getLogger(__name__)

MAX_BULK = 100  # shipments made by one "create for all packed orders"


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


# --- carrier accounts ------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountData:
    carrier: str
    api_token: str  # "" keeps the token saved before
    shop_id: str
    pick_name: str
    pick_phone: str
    pick_province_code: int
    pick_commune_code: int
    pick_street: str
    quote_at_checkout: bool = True
    is_active: bool = True
    pick_district_ref: str = ""
    pick_ward_ref: str = ""


def _check_account(data: AccountData, existing: CarrierAccount | None) -> dict:
    errors: dict[str, list[str]] = {}
    if data.carrier not in API_CARRIERS:
        errors["carrier"] = [_("Only carriers we connect to by API have an account here.")]
    token = (data.api_token or "").strip()
    if not token and existing is None:
        errors["api_token"] = [_("Give the API token the carrier gave you.")]
    if len(token) > 200:
        errors["api_token"] = [_("This token is too long.")]
    if not (data.pick_name or "").strip():
        errors["pick_name"] = [_("Give the sender's name.")]
    phone = ""
    try:
        phone = normalize_phone(data.pick_phone or "")
    except InvalidPhone:
        errors["pick_phone"] = [_("Give a Vietnamese phone number.")]
    if not places.province_name(data.pick_province_code):
        errors["pick_province_code"] = [_("Choose the province.")]
    elif places.commune_province(data.pick_commune_code) != data.pick_province_code:
        errors["pick_commune_code"] = [_("Choose a commune or ward of this province.")]
    if not (data.pick_street or "").strip():
        errors["pick_street"] = [_("Give the house number, street or village.")]
    if errors:
        raise ValidationError(errors)
    return {
        "is_active": bool(data.is_active),
        "shop_id": (data.shop_id or "").strip()[:40],
        "pick_name": data.pick_name.strip()[:120],
        "pick_phone": phone,
        "pick_province_code": data.pick_province_code,
        "pick_commune_code": data.pick_commune_code,
        "pick_street": data.pick_street.strip()[:200],
        "pick_district_ref": (data.pick_district_ref or "").strip()[:20],
        "pick_ward_ref": (data.pick_ward_ref or "").strip()[:20],
        "quote_at_checkout": bool(data.quote_at_checkout),
        **({"api_token": token} if token else {}),
    }


@transaction.atomic
def carrier_account_save(*, data: AccountData, actor=None) -> CarrierAccount:
    """Create or update the cooperative's account with ``data.carrier``. A blank token keeps
    the one saved; a new account gets a callback secret."""
    coop = require_cooperative()
    existing = CarrierAccount.objects.filter(carrier=data.carrier).first()
    values = _check_account(data, existing)
    if existing is None:
        try:
            with transaction.atomic():
                account = CarrierAccount.objects.create(
                    cooperative=coop,
                    carrier=data.carrier,
                    callback_secret=secrets.token_urlsafe(32),
                    **values,
                )
        except IntegrityError:
            raise ValidationError(
                _("This carrier's account was just saved by someone else."), code="twice"
            ) from None
    else:
        account = existing
        for name, value in values.items():
            setattr(account, name, value)
        account.save()
    audit_record(
        action="carrier.account",
        actor=_actor(actor),
        cooperative=coop,
        obj=account,
        data={"carrier": data.carrier},
    )
    return account


@transaction.atomic
def carrier_secret_rotate(*, account: CarrierAccount, actor=None) -> str:
    """A new callback secret (the carrier's webhook settings must get it too)."""
    account.callback_secret = secrets.token_urlsafe(32)
    account.save(update_fields=["callback_secret", "updated_at"])
    audit_record(action="carrier.secret", actor=_actor(actor), cooperative=account.cooperative, obj=account)
    return account.callback_secret


# --- shipments -------------------------------------------------------------------------------


def _can_ship(order: Order) -> None:
    if order.delivery_method != DeliveryMethod.POST:
        raise ValidationError(_("This order is not sent by post or carrier."), code="method")
    if order.status != OrderStatus.PACKED:
        raise ValidationError(_("Only a packed order can be given to the carrier."), code="status")
    if selectors.active_shipment(order) is not None:
        raise ValidationError(_("This order already has a shipment at the carrier."), code="twice")
    if not order.province_code or not order.commune_code or not order.street:
        raise ValidationError(_("The buyer's address is not complete."), code="address")


def shipment_create(*, order: Order, actor=None, account: CarrierAccount | None = None) -> Shipment:
    """Give a packed order to the carrier: the parcel (weight, value, COD still owed), the
    buyer's address; keeps the shipment and puts the carrier and tracking code on the
    order. The order moves to *shipped* when the carrier reports the parcel picked up."""
    account = account or selectors.active_api_account()
    if account is None:
        raise ValidationError(
            _("Set up a carrier account first (Delivery › Carrier accounts)."), code="account"
        )
    _can_ship(order)
    parcel = selectors.parcel_for(order)
    earlier = Shipment.objects.filter(order=order).count()
    if earlier:
        # A carrier keeps our order code once: a shipment made again after a cancellation
        # is sent as CODE-2, CODE-3…
        parcel = replace(parcel, order_code=f"{order.code}-{earlier + 1}")
    try:
        created = selectors.client(account).create(
            pick=selectors.pick_address(account), to=selectors.buyer_address(order), parcel=parcel
        )
    except CarrierError as error:
        raise ValidationError(
            _("The carrier refused the shipment: %(why)s") % {"why": error.message[:200]}, code="carrier"
        ) from None
    except (OSError, ValueError) as error:
        log.warning("carrier create %s failed: %s", account.carrier, error)
        raise ValidationError(
            _("The carrier could not be reached; try again later."), code="carrier"
        ) from None
    try:
        return _shipment_store(order=order, account=account, created=created, parcel=parcel, actor=actor)
    except (ValidationError, IntegrityError):
        # Made at the carrier but not kept here (the order moved, or another shipment was
        # made meanwhile): cancel it there so no parcel is picked up twice — unless the
        # carrier answered with a parcel we keep already (a create repeated at once).
        if Shipment.objects.filter(carrier=account.carrier, tracking_code=created.tracking_code[:40]).exists():
            raise ValidationError(
                _("This order already has a shipment at the carrier."), code="twice"
            ) from None
        try:
            selectors.client(account).cancel(tracking_code=created.tracking_code)
        except (CarrierError, OSError, ValueError):
            log.warning("carrier %s: could not cancel orphan %s", account.carrier, created.tracking_code)
        raise ValidationError(
            _("This order changed meanwhile; the shipment was cancelled at the carrier."), code="changed"
        ) from None


@transaction.atomic
def _shipment_store(*, order, account, created, parcel, actor) -> Shipment:
    locked = orders_lock(Order, [order.pk]).get(order.pk)
    if locked is None:
        raise ValidationError(_("Unknown order."), code="order")
    _can_ship(locked)
    shipment = Shipment.objects.create(
        cooperative=locked.cooperative,
        order=locked,
        carrier=account.carrier,
        tracking_code=created.tracking_code[:40],
        partner_ref=parcel.order_code[:40],
        fee_vnd=max(int(created.fee_vnd or 0), 0),
        cod_vnd=parcel.cod_vnd,
        weight_g=parcel.weight_g,
        label_ref=(created.label_ref or "")[:200],
        created_by=_actor(actor),
        status_at=None,
    )
    locked.carrier = Carrier(account.carrier).label[:40]
    locked.tracking_code = shipment.tracking_code
    locked.save(update_fields=["carrier", "tracking_code", "updated_at"])
    audit_record(
        action="shipment.create",
        actor=_actor(actor),
        cooperative=locked.cooperative,
        obj=shipment,
        data={"order": locked.code, "tracking": shipment.tracking_code},
    )
    return shipment


def shipments_create_packed(*, actor=None) -> tuple[list[Shipment], list[tuple[Order, str]]]:
    """A shipment for every packed order waiting for one (at most :data:`MAX_BULK`); returns
    those made and the orders refused with the reason."""
    account = selectors.active_api_account()
    if account is None:
        raise ValidationError(
            _("Set up a carrier account first (Delivery › Carrier accounts)."), code="account"
        )
    made, refused = [], []
    for order in list(selectors.orders_to_ship()[:MAX_BULK]):
        try:
            made.append(shipment_create(order=order, actor=actor, account=account))
        except ValidationError as error:
            refused.append((order, " ".join(error.messages)))
    return made, refused


def _account_of(shipment: Shipment) -> CarrierAccount:
    account = selectors.account_for(shipment.carrier)
    if account is None:
        raise ValidationError(_("There is no account with this carrier any more."), code="account")
    return account


def shipment_label(*, shipment: Shipment) -> tuple[bytes, str]:
    """The label as the carrier gives it (content, content type)."""
    if not shipment.is_active:
        raise ValidationError(_("This shipment was cancelled."), code="inactive")
    account = _account_of(shipment)
    try:
        return selectors.client(account).label(
            tracking_code=shipment.tracking_code, label_ref=shipment.label_ref
        )
    except CarrierError as error:
        raise ValidationError(
            _("The carrier did not give the label: %(why)s") % {"why": error.message[:200]}, code="carrier"
        ) from None
    except (OSError, ValueError):
        raise ValidationError(
            _("The carrier could not be reached; try again later."), code="carrier"
        ) from None


def shipment_cancel(*, shipment: Shipment, actor=None) -> Shipment:
    """Cancel a shipment not yet picked up, at the carrier and here; the order stays packed."""
    if not shipment.is_active or shipment.status not in (ShipmentStatus.CREATED, ShipmentStatus.FAILED):
        raise ValidationError(_("Only a shipment not yet picked up can be cancelled."), code="status")
    account = _account_of(shipment)
    try:
        selectors.client(account).cancel(tracking_code=shipment.tracking_code)
    except CarrierError as error:
        raise ValidationError(
            _("The carrier refused to cancel: %(why)s") % {"why": error.message[:200]}, code="carrier"
        ) from None
    except (OSError, ValueError):
        raise ValidationError(
            _("The carrier could not be reached; try again later."), code="carrier"
        ) from None
    return _shipment_deactivate(shipment=shipment, actor=actor, note=_("Cancelled by staff"))


@transaction.atomic
def _shipment_deactivate(*, shipment: Shipment, actor=None, note: str = "") -> Shipment:
    locked = shipment_lock(Shipment, shipment.pk)
    if locked is None:
        raise ValidationError(_("Unknown shipment."), code="shipment")
    _deactivate(locked)
    audit_record(
        action="shipment.cancel",
        actor=_actor(actor),
        cooperative=locked.cooperative,
        obj=locked,
        data={"note": note},
    )
    return locked


def _deactivate(shipment: Shipment) -> None:
    """A locked shipment cancelled: inactive; its order, if still packed, forgets the code
    (one conditional UPDATE: no second lock after the order's stock)."""
    shipment.status = ShipmentStatus.CANCELLED
    shipment.is_active = False
    shipment.save(update_fields=["status", "is_active", "updated_at"])
    Order.objects.filter(
        pk=shipment.order_id, status=OrderStatus.PACKED, tracking_code=shipment.tracking_code
    ).update(carrier="", tracking_code="", updated_at=timezone.now())


# --- status callbacks ---------------------------------------------------------------------------


class CallbackRefused(Exception):
    """No such cooperative or account, or a bad secret: answer 403 and write nothing."""


def _shipment_for(carrier: str, update: StatusUpdate) -> Shipment | None:
    shipment = None
    if update.tracking_code:
        shipment = Shipment.objects.filter(carrier=carrier, tracking_code=update.tracking_code[:40]).first()
    if shipment is None and update.order_code:
        shipment = (
            Shipment.objects.filter(carrier=carrier, partner_ref=update.order_code[:40])
            .order_by("-is_active", "-pk")
            .first()
        )
    return shipment


def callback_receive(*, carrier: str, headers: dict, body: bytes, query: dict | None = None) -> list[str]:
    """A carrier's callback to the current cooperative: checked with the account's secret
    (:class:`CallbackRefused` otherwise), then each update applied. Returns what became of
    each update: ``applied``, ``kept`` (older, or a move the order refuses), ``duplicate``
    or ``unknown`` (no such shipment)."""
    account = selectors.account_for(carrier)
    if account is None or not account.is_active or not account.callback_secret:
        raise CallbackRefused("no account")
    try:
        updates = read_callback(
            carrier, headers=headers, body=body, secret=account.callback_secret, query=query or {}
        )
    except BadSignature:
        raise CallbackRefused("bad secret") from None
    results = []
    for update in updates:
        shipment = _shipment_for(carrier, update)
        if shipment is None:
            log.info("carrier %s callback for unknown shipment %s", carrier, update.tracking_code[:40])
            results.append("unknown")
            continue
        results.append(shipment_update_apply(shipment=shipment, update=update))
    return results


_ORDER_STEPS = {
    # shipment status -> the order moves to walk, in order, from wherever it is
    ShipmentStatus.PICKED: (OrderStatus.SHIPPED,),
    ShipmentStatus.IN_TRANSIT: (OrderStatus.SHIPPED,),
    ShipmentStatus.DELIVERED: (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
    ShipmentStatus.RETURNED: (OrderStatus.SHIPPED, OrderStatus.RETURNED),
}


def _move_order(shipment: Shipment, status: str, update: StatusUpdate) -> str:
    """Move the shipment's order for a newly applied status; returns a note when a move
    was refused (kept, not applied to the order)."""
    order = Order.objects.get(pk=shipment.order_id)
    steps = _ORDER_STEPS.get(status, ())
    if not steps or order.status == steps[-1]:
        return ""
    target = steps[-1]
    # From packed, walk through shipped; from elsewhere, go straight (or be refused).
    if order.status != OrderStatus.PACKED or target in TRANSITIONS.get(order.status, ()):
        steps = (target,)
    try:
        with transaction.atomic():  # all the steps, or none
            for to in steps:
                order = order_move(
                    order=order,
                    to=to,
                    note=(update.note or _("Returned by the carrier"))[:300]
                    if to == OrderStatus.RETURNED
                    else "",
                    carrier=Carrier(shipment.carrier).label,
                    tracking_code=shipment.tracking_code,
                )
    except ValidationError as error:
        return " ".join(error.messages)[:300]
    return ""


@transaction.atomic
def shipment_update_apply(*, shipment: Shipment, update: StatusUpdate) -> str:
    """Keep one status update of a shipment (once) and apply it if newer (see the module)."""
    locked = shipment_lock(Shipment, shipment.pk)
    if locked is None:  # pragma: no cover - callers found it in this cooperative
        return "unknown"
    key = (update.dedupe_key or "")[:64]
    if not key or ShipmentEvent.objects.filter(shipment=locked, dedupe_key=key).exists():
        return "duplicate"
    status = ShipmentStatus(update.status.value) if isinstance(update.status, Status) else None
    at = update.at if timezone.is_aware(update.at) else timezone.make_aware(update.at)
    newer = locked.status_at is None or at >= locked.status_at
    applied = False
    note = (update.note or "")[:300]
    if status is not None and newer and locked.is_active:
        # The order first: a move its transitions refuse leaves the shipment as it was too.
        refused = "" if status == ShipmentStatus.CANCELLED else _move_order(locked, status, update)
        if refused:
            note = f"{_('Order not moved')}: {refused}"[:300]
        else:
            applied = True
            locked.status = status
            locked.carrier_status = (update.carrier_status or "")[:40]
            locked.status_at = at
            if update.fee_vnd is not None and update.fee_vnd >= 0:
                locked.fee_vnd = update.fee_vnd
            locked.save(update_fields=["status", "carrier_status", "status_at", "fee_vnd", "updated_at"])
            if status == ShipmentStatus.CANCELLED:
                _deactivate(locked)
    ShipmentEvent.objects.create(
        cooperative=locked.cooperative,
        shipment=locked,
        dedupe_key=key,
        carrier_status=(update.carrier_status or "")[:40],
        status=status or "",
        at=at,
        applied=applied,
        note=note,
        raw=update.raw if isinstance(update.raw, dict) else {},
    )
    return "applied" if applied else "kept"

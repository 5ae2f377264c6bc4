"""The claims of a live sale: starting and ending a live (its packs set aside, then given
back), reading a comment into claims, first come first served on each item's quantity
with a waiting list, releasing and expiring claims, and a buyer's confirmation that turns
their held claims into one shop order.

The rule, kept under the item's lock (``core/locks.py`` level "live item"): for every
item, the packs of its *held* and *ordered* claims never exceed its quantity. A new claim
is held when it fits and nobody waits before it; otherwise it waits. When packs come back
(a release, an expiry), waiting claims are held in their order of arrival for as long as
the first one fits: nobody jumps the queue.

Stock: starting a live sets each item's quantity aside in inventory
(``stock_live_hold``), so the shop cannot sell those packs. A confirmation moves the
buyer's packs from the live's hold to their order (``stock_live_release`` then
``order_place``, in one transaction under the lots' locks). After the live ends, the
item's hold shrinks to what its held claims still need; the rest goes back to the shop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.locks import live_items_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.inventory.services import OutOfStock, stock_live_held, stock_live_hold, stock_live_release
from hoptac.lib import livecomments
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.lib.text import fold
from hoptac.shop.models import Channel, PaymentMethod
from hoptac.shop.services.orders import Buyer, Choice, order_place

from ..models import (
    TAKING,
    Claim,
    ClaimState,
    CommentSource,
    LiveBuyer,
    LiveComment,
    LiveItem,
    LiveSession,
    LiveStatus,
)
from .links import moved_up_send

MAX_CLAIM = 1000  # packs in one claim: beyond this it is not an order, it is a typo


def _taken(item_id: int) -> int:
    return int(
        Claim.objects.filter(item_id=item_id, state__in=TAKING).aggregate(n=Sum("quantity"))["n"] or 0
    )


def _held_by_claims(item_id: int) -> int:
    return int(
        Claim.objects.filter(item_id=item_id, state=ClaimState.HELD).aggregate(n=Sum("quantity"))["n"] or 0
    )


def _lock_items(ids) -> dict[int, LiveItem]:
    return live_items_lock(LiveItem, ids)


def _settle_stock(item: LiveItem, session: LiveSession) -> None:
    """Keep the inventory hold of an item equal to what the live still needs: while on
    air, its quantity less what was ordered (orders hold their own packs); once ended,
    only what its held claims need."""
    if session.status == LiveStatus.PLANNED:
        return
    ordered = int(
        Claim.objects.filter(item_id=item.pk, state=ClaimState.ORDERED).aggregate(n=Sum("quantity"))["n"] or 0
    )
    target = item.quantity - ordered if session.status == LiveStatus.LIVE else _held_by_claims(item.pk)
    current = int(stock_live_held(live_item_ids=[item.pk]).get(item.pk, Decimal(0)))
    if current > target:
        stock_live_release(live_item_id=item.pk, packs=current - target)


def _promote(item: LiveItem, session: LiveSession, now: dt.datetime) -> list[Claim]:
    """Hold waiting claims in arrival order while the first one fits. After the live,
    what is left of the item's hold in the warehouse bounds it too (the rest went back to
    the shop when the live ended)."""
    free = item.quantity - _taken(item.pk)
    if session.status == LiveStatus.ENDED:
        in_hold = int(stock_live_held(live_item_ids=[item.pk]).get(item.pk, Decimal(0)))
        free = min(free, in_hold - _held_by_claims(item.pk))
    promoted = []
    for claim in Claim.objects.filter(item_id=item.pk, state=ClaimState.WAITING).order_by("id"):
        if claim.quantity > free:
            break
        claim.state = ClaimState.HELD
        claim.held_at = now
        claim.expires_at = now + dt.timedelta(minutes=session.hold_minutes)
        claim.save(update_fields=["state", "held_at", "expires_at"])
        free -= claim.quantity
        promoted.append(claim)
    return promoted


def _tell(promoted: list[Claim], now: dt.datetime) -> None:
    """Buyers who moved up and already have their link get a message (in this transaction:
    the outbox row commits with the claim)."""
    for buyer_id in sorted({c.buyer_id for c in promoted}):
        moved_up_send(buyer=LiveBuyer(pk=buyer_id), now=now)


# --- starting and ending -------------------------------------------------------------------


@transaction.atomic
def live_start(*, session: LiveSession, actor=None, now: dt.datetime | None = None) -> LiveSession:
    """Go on air: each item's packs are set aside in the warehouse. All or nothing."""
    session = LiveSession.objects.get(pk=session.pk)
    if session.status != LiveStatus.PLANNED:
        raise ValidationError(_("This live has already started."), code="started")
    items = list(session.items.select_related("listing__product").order_by("pk"))
    if not items:
        raise ValidationError(_("Add at least one product before going on air."), code="no_items")
    _lock_items([i.pk for i in items])
    for item in items:
        try:
            stock_live_hold(live_item_id=item.pk, product_id=item.listing.product_id, packs=item.quantity)
        except OutOfStock as short:
            left = int(next(iter(short.shortages.values()), 0))
            raise ValidationError(
                _("Only %(n)s packs of %(name)s are in stock: lower the quantity of %(code)s.")
                % {"n": left, "name": item.listing.product.name, "code": item.code},
                code="out_of_stock",
            ) from None
    session.status = LiveStatus.LIVE
    session.started_at = now or timezone.now()
    session.save(update_fields=["status", "started_at", "updated_at"])
    audit_record(action="live.start", actor=actor, cooperative=session.cooperative, obj=session)
    return session


@transaction.atomic
def live_end(*, session: LiveSession, actor=None, now: dt.datetime | None = None) -> LiveSession:
    """Off air: what nobody holds goes back to the shop. Held claims keep their packs until
    they are confirmed or expire; waiting claims may still move up."""
    session = LiveSession.objects.get(pk=session.pk)
    if session.status != LiveStatus.LIVE:
        raise ValidationError(_("This live is not on air."), code="not_live")
    items = _lock_items(session.items.values_list("pk", flat=True))
    session.status = LiveStatus.ENDED
    session.ended_at = now or timezone.now()
    session.save(update_fields=["status", "ended_at", "updated_at"])
    for item in items.values():
        _settle_stock(item, session)
    audit_record(action="live.end", actor=actor, cooperative=session.cooperative, obj=session)
    return session


# --- comments into claims ----------------------------------------------------------------------


@dataclass
class CommentResult:
    comment: LiveComment
    claims: list[Claim]
    duplicate: bool = False


def fingerprint(author: str, text: str) -> str:
    key = f"{fold(author)}\x1f{' '.join(fold(text).split())}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _buyer_for(session: LiveSession, *, name: str, phone: str, platform_id: str) -> LiveBuyer:
    """The buyer a comment comes from: the same phone, else the same platform account, else
    the same name (folded). A phone given later joins the buyer found by name."""
    coop = session.cooperative
    found = None
    if phone:
        found = LiveBuyer.objects.filter(session=session, key=f"tel:{phone}").first()
        if found is None:
            found = LiveBuyer.objects.filter(session=session, phone=phone).first()
    if found is None and platform_id:
        found = LiveBuyer.objects.filter(session=session, platform_id=platform_id).first()
    name_key = f"name:{fold(name)[:130]}"
    if found is None and name.strip():
        found = LiveBuyer.objects.filter(session=session, key=name_key).first()
    if found is not None:
        changed = []
        if phone and not found.phone:
            found.phone = phone
            changed.append("phone")
        if platform_id and not found.platform_id:
            found.platform_id = platform_id[:60]
            changed.append("platform_id")
        if changed:
            found.save(update_fields=changed)
        return found
    key = f"tel:{phone}" if phone else (f"id:{platform_id}" if platform_id else name_key)
    try:
        with transaction.atomic():
            return LiveBuyer.objects.create(
                cooperative=coop,
                session=session,
                key=key[:140],
                name=(name.strip() or phone or _("Unnamed"))[:120],
                phone=phone,
                platform_id=platform_id[:60],
            )
    except IntegrityError:
        return LiveBuyer.objects.get(session=session, key=key[:140])


@transaction.atomic
def comment_add(
    *,
    session: LiveSession,
    text: str,
    author_name: str = "",
    author_id: str = "",
    source: str = CommentSource.PASTE,
    external_id: str = "",
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> CommentResult:
    """Keep one comment and turn the orders in it into claims. The same comment again (same
    external id, or the same author and the same words) is kept once and claims nothing."""
    now = now or timezone.now()
    text = (text or "").strip()[:1000]
    author_name = " ".join((author_name or "").split())[:120]
    if not text:
        raise ValidationError(_("The comment is empty."), code="empty")
    if session.status == LiveStatus.PLANNED:
        raise ValidationError(_("Start the live before taking comments."), code="planned")
    coop = require_cooperative()
    if external_id:
        earlier = LiveComment.objects.filter(session=session, external_id=external_id[:80]).first()
        if earlier is not None:
            return CommentResult(comment=earlier, claims=[], duplicate=True)
    fp = fingerprint(author_name or author_id, text)
    earlier = LiveComment.objects.filter(session=session, fingerprint=fp, duplicate_of__isnull=True).first()
    items = {i.code: i for i in session.items.all()}
    parsed = livecomments.parse(text, list(items))
    phone = parsed.phone
    if phone:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone:
            phone = ""
    comment = LiveComment(
        cooperative=coop,
        session=session,
        source=source,
        external_id=external_id[:80],
        author_name=author_name,
        author_id=author_id[:60],
        text=text,
        fingerprint=fp,
        duplicate_of=earlier,
        phone=phone,
        is_order=parsed.is_order,
        parsed={
            "wanted": [[w.code, w.quantity, w.sure] for w in parsed.wanted],
            "question": parsed.question,
            "unclear": list(parsed.unclear),
        },
        at=at or now,
    )
    if earlier is not None:
        comment.is_order = False
        comment.save()
        return CommentResult(comment=comment, claims=[], duplicate=True)
    if not parsed.is_order:
        comment.save()
        return CommentResult(comment=comment, claims=[])
    reasons = list(parsed.unclear)
    if not phone:
        reasons.append("phone")
    if any(not w.sure for w in parsed.wanted) and "quantity" not in reasons:
        reasons.append("unsure")
    comment.needs_look = bool(reasons)
    comment.look_reason = ",".join(reasons)[:20]
    buyer = _buyer_for(session, name=author_name, phone=phone, platform_id=author_id)
    comment.buyer = buyer
    comment.save()
    if session.status == LiveStatus.ENDED or buyer.state == LiveBuyer.State.ORDERED:
        # After the live, or once the buyer's order is made, a comment claims nothing: staff
        # see it and may add a claim by hand.
        comment.needs_look = True
        comment.look_reason = "late"
        comment.save(update_fields=["needs_look", "look_reason"])
        return CommentResult(comment=comment, claims=[])
    claims = []
    wanted = [(items[w.code], w) for w in parsed.wanted if w.code in items]
    locked = _lock_items([item.pk for item, _w in wanted])
    for item, w in wanted:
        claims.append(
            _claim(
                item=locked[item.pk],
                session=session,
                buyer=buyer,
                quantity=w.quantity,
                comment=comment,
                needs_look=comment.needs_look,
                now=now,
            )
        )
    return CommentResult(comment=comment, claims=claims)


def _claim(
    *, item: LiveItem, session: LiveSession, buyer: LiveBuyer, quantity: int, comment, needs_look, now
) -> Claim:
    if quantity < 1 or quantity > MAX_CLAIM:
        raise ValidationError(_("A claim is from 1 to %(n)s packs.") % {"n": MAX_CLAIM}, code="quantity")
    waiting = Claim.objects.filter(item_id=item.pk, state=ClaimState.WAITING).exists()
    fits = not waiting and _taken(item.pk) + quantity <= item.quantity
    return Claim.objects.create(
        cooperative=item.cooperative,
        session=session,
        item=item,
        buyer=buyer,
        comment=comment,
        quantity=quantity,
        state=ClaimState.HELD if fits else ClaimState.WAITING,
        needs_look=needs_look,
        held_at=now if fits else None,
        expires_at=now + dt.timedelta(minutes=session.hold_minutes) if fits else None,
        created_at=now,
    )


@transaction.atomic
def claim_add(
    *,
    item: LiveItem,
    buyer_name: str,
    phone: str = "",
    quantity: int,
    actor=None,
    now: dt.datetime | None = None,
) -> Claim:
    """A claim typed by staff (a buyer who called, a comment the parser could not read)."""
    now = now or timezone.now()
    session = item.session
    if session.status == LiveStatus.PLANNED:
        raise ValidationError(_("Start the live before taking comments."), code="planned")
    if phone:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone:
            raise ValidationError({"phone": [_("Enter a valid Vietnamese phone number.")]}) from None
    if not (buyer_name or "").strip() and not phone:
        raise ValidationError({"buyer_name": [_("Give the buyer's name or phone.")]})
    buyer = _buyer_for(session, name=buyer_name or "", phone=phone, platform_id="")
    if buyer.state == LiveBuyer.State.ORDERED:
        raise ValidationError(_("This buyer has already confirmed an order in this live."), code="ordered")
    locked = _lock_items([item.pk])[item.pk]
    claim = _claim(
        item=locked, session=session, buyer=buyer, quantity=quantity, comment=None, needs_look=False, now=now
    )
    audit_record(action="live.claim", actor=actor, cooperative=session.cooperative, obj=claim)
    return claim


@transaction.atomic
def claim_release(*, claim: Claim, note: str = "", actor=None, now: dt.datetime | None = None) -> Claim:
    """Let a held or waiting claim go; its packs go to the next in line."""
    now = now or timezone.now()
    item = _lock_items([claim.item_id])[claim.item_id]
    claim = Claim.objects.get(pk=claim.pk)
    if claim.state not in (ClaimState.HELD, ClaimState.WAITING):
        raise ValidationError(_("This claim is already closed."), code="closed")
    claim.state = ClaimState.RELEASED
    claim.closed_at = now
    claim.note = (note or "").strip()[:200]
    claim.save(update_fields=["state", "closed_at", "note"])
    session = item.session
    _tell(_promote(item, session, now), now)
    _settle_stock(item, session)
    _lapse_buyer(claim.buyer_id)
    audit_record(action="live.release", actor=actor, cooperative=session.cooperative, obj=claim)
    return claim


def _lapse_buyer(buyer_id: int) -> None:
    """A buyer with nothing held or waiting and no order has nothing left to confirm."""
    if not Claim.objects.filter(buyer_id=buyer_id, state__in=(ClaimState.HELD, ClaimState.WAITING)).exists():
        LiveBuyer.objects.filter(pk=buyer_id, state=LiveBuyer.State.OPEN).update(state=LiveBuyer.State.LAPSED)


@transaction.atomic
def claims_expire_item(*, item: LiveItem, now: dt.datetime) -> int:
    """Expire this item's held claims past their time; the next in line move up."""
    item = _lock_items([item.pk]).get(item.pk)
    if item is None:
        return 0
    due = list(Claim.objects.filter(item_id=item.pk, state=ClaimState.HELD, expires_at__lte=now))
    for claim in due:
        claim.state = ClaimState.EXPIRED
        claim.closed_at = now
        claim.save(update_fields=["state", "closed_at"])
    if due:
        session = item.session
        _tell(_promote(item, session, now), now)
        _settle_stock(item, session)
        for buyer_id in {c.buyer_id for c in due}:
            _lapse_buyer(buyer_id)
    return len(due)


def claims_expire(*, now: dt.datetime | None = None) -> int:
    """For the current cooperative: expire every held claim past its time, item by item,
    each in its own transaction. Returns how many expired."""
    require_cooperative()
    now = now or timezone.now()
    item_ids = (
        Claim.objects.filter(state=ClaimState.HELD, expires_at__lte=now)
        .values_list("item_id", flat=True)
        .distinct()
    )
    return sum(claims_expire_item(item=item, now=now) for item in LiveItem.objects.filter(pk__in=list(item_ids)))


# --- the buyer confirms ------------------------------------------------------------------------


@transaction.atomic
def buyer_confirm(
    *,
    buyer: LiveBuyer,
    details: Buyer,
    delivery: str,
    payment: str,
    client_key: str = "",
    now: dt.datetime | None = None,
):
    """The buyer's held claims become one shop order at the live prices. Their packs move
    from the live's hold to the order. Waiting claims stay waiting (a later confirmation
    can take them once held). Returns the order."""
    now = now or timezone.now()
    buyer = LiveBuyer.objects.select_related("session").get(pk=buyer.pk)
    session = buyer.session
    if buyer.state == LiveBuyer.State.ORDERED:
        raise ValidationError(_("You have already confirmed this order."), code="ordered")
    item_ids = list(
        Claim.objects.filter(buyer=buyer, state__in=(ClaimState.HELD, ClaimState.WAITING))
        .values_list("item_id", flat=True)
        .distinct()
    )
    items = _lock_items(item_ids)
    claims = list(
        Claim.objects.filter(buyer=buyer, state=ClaimState.HELD, expires_at__gt=now).select_related("item")
    )
    if not claims:
        raise ValidationError(
            _("Nothing is held for you any more: the time to confirm has passed."), code="nothing"
        )
    per_item: dict[int, int] = {}
    for claim in claims:
        per_item[claim.item_id] = per_item.get(claim.item_id, 0) + claim.quantity
    cart = []
    prices = {}
    for item_id, packs in sorted(per_item.items()):
        item = items[item_id]
        # Hand the packs back from the live's hold: order_place takes them under the same
        # lots' locks, in this transaction, so nobody else can in between.
        if session.status != LiveStatus.PLANNED:
            stock_live_release(live_item_id=item.pk, packs=packs)
        cart.append((item.listing_id, packs))
        prices[item.listing_id] = item.price_vnd
    coop = session.cooperative
    if payment not in (PaymentMethod.BANK, PaymentMethod.COD):
        raise ValidationError(_("Choose how to pay."), code="payment")
    orders = order_place(
        items=cart,
        buyer=details,
        choices={coop.pk: Choice(delivery=delivery, payment=payment)},
        channel=Channel.LIVE,
        channel_ref=session.code,
        client_key=client_key,
        unit_prices=prices,
        now=now,
    )
    order = orders[0]
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(state=ClaimState.ORDERED, closed_at=now)
    buyer.state = LiveBuyer.State.ORDERED
    buyer.order = order
    buyer.save(update_fields=["state", "order"])
    # Anything still waiting for this buyer will not be confirmed: let the next ones in.
    for claim in Claim.objects.filter(buyer=buyer, state=ClaimState.WAITING):
        claim.state = ClaimState.RELEASED
        claim.closed_at = now
        claim.note = "ordered without it"
        claim.save(update_fields=["state", "closed_at", "note"])
    for item in items.values():
        _tell(_promote(item, session, now), now)
        _settle_stock(item, session)
    return order

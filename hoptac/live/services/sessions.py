"""Planning a live sale and capturing its comments.

Planning: a live (title, platform, time, minutes buyers have to confirm) and its products,
each a listed product of the shop with a short code buyers type in comments (``M1``), a
live price and the packs set aside. The plan changes only while the live is *planned*;
codes are unique in a live, and a quantity is at least 1 and at most what is in stock now
(``live_start`` checks the stock again when going on air).

Capture: comments pasted "as copied from the platform" (split by ``lib/livepaste.py``) or
uploaded as a comment export (CSV), each read by ``claims.comment_add`` — which keeps the
same comment once, so pasting the same block twice claims nothing twice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.locks import live_items_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.inventory.selectors import available_by_product
from hoptac.lib import livepaste
from hoptac.lib.money import parse_vnd
from hoptac.lib.text import fold
from hoptac.shop.models import Listing

from ..models import CommentSource, LiveItem, LiveSession, LiveStatus, Platform
from .claims import comment_add

MAX_ITEMS = 60  # products in one live
MIN_PRICE, MAX_PRICE = 1000, 100_000_000
MAX_QUANTITY = 100_000
MIN_HOLD, MAX_HOLD = 10, 7 * 24 * 60
CODE_RE = re.compile(r"^[A-Z]{1,3}[0-9]{1,3}$")
MAX_PASTE_CHARS = 200_000
MAX_CSV_BYTES = 2_000_000
MAX_COMMENTS = 3000  # in one capture


# --- checking values --------------------------------------------------------------------------


def _title(value) -> str:
    title = " ".join(str(value or "").split())
    if not title:
        raise ValidationError({"title": [_("Give the live a title.")]})
    if len(title) > 120:
        raise ValidationError({"title": [_("Keep the title under 120 characters.")]})
    return title


def _platform(value) -> str:
    if value not in Platform.values:
        raise ValidationError({"platform": [_("Choose the platform.")]})
    return value


def _starts_at(value) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ValidationError({"starts_at": [_("Give the day and time of the live.")]})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _hold_minutes(value) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"hold_minutes": [_("Give the minutes as a whole number.")]}) from None
    if not MIN_HOLD <= minutes <= MAX_HOLD:
        raise ValidationError(
            {"hold_minutes": [_("Give between %(a)s and %(b)s minutes.") % {"a": MIN_HOLD, "b": MAX_HOLD}]}
        )
    return minutes


def normalize_code(value) -> str:
    """``" m 1 "`` -> ``"M1"``; raises ValidationError when it is not a code buyers can type."""
    code = re.sub(r"\s+", "", fold(str(value or ""))).upper()
    if not CODE_RE.match(code):
        raise ValidationError(
            {"code": [_("A code is 1 to 3 letters then 1 to 3 digits, for example M1 or MAT2.")]}
        )
    return code


def _price(value) -> int:
    try:
        price = parse_vnd(value)
    except (ValueError, TypeError):
        raise ValidationError({"price_vnd": [_("Write the price in đồng, for example 185.000.")]}) from None
    if not MIN_PRICE <= price <= MAX_PRICE:
        raise ValidationError({"price_vnd": [_("The price is from 1.000 ₫ to 100.000.000 ₫.")]})
    return price


def _quantity_number(value) -> int:
    try:
        quantity = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise ValidationError({"quantity": [_("Give the packs as a whole number.")]}) from None
    if quantity < 1:
        raise ValidationError({"quantity": [_("Set aside at least 1 pack.")]})
    if quantity > MAX_QUANTITY:
        raise ValidationError({"quantity": [_("That is more packs than one live can hold.")]})
    return quantity


def in_stock(listing: Listing) -> int:
    """Packs of the listing's product free to set aside now."""
    return int(available_by_product([listing.product_id]).get(listing.product_id, 0))


def _check_stock(listing: Listing, quantity: int) -> None:
    free = in_stock(listing)
    if quantity > free:
        raise ValidationError(
            {"quantity": [_("Only %(n)s packs are in stock.") % {"n": free}]}, code="out_of_stock"
        )


def _planned(session: LiveSession) -> LiveSession:
    session = LiveSession.objects.get(pk=session.pk)
    if session.status != LiveStatus.PLANNED:
        raise ValidationError(_("The live has started: its plan can no longer change."), code="started")
    return session


def suggest_code(session: LiveSession, listing: Listing | None = None) -> str:
    """A free code for the next product: the first letter of its name and a number
    (``M3`` for honey, "Mật ong"), or ``M1``, ``M2``… without a product."""
    taken = set(LiveItem.objects.filter(session=session).values_list("code", flat=True))
    letter = "M"
    if listing is not None:
        first = re.sub(r"[^A-Z]", "", fold(listing.product.name).upper())[:1]
        letter = first or "M"
    for n in range(1, 1000):
        code = f"{letter}{n}"
        if code not in taken:
            return code
    return ""


# --- the live -----------------------------------------------------------------------------------


@transaction.atomic
def live_create(*, title, platform, starts_at, hold_minutes=120, actor=None) -> LiveSession:
    """Plan a live sale of the current cooperative."""
    coop = require_cooperative()
    session = LiveSession.objects.create(
        cooperative=coop,
        title=_title(title),
        platform=_platform(platform),
        starts_at=_starts_at(starts_at),
        hold_minutes=_hold_minutes(hold_minutes),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(action="live.create", actor=actor, cooperative=coop, obj=session)
    return session


@transaction.atomic
def live_update(*, session: LiveSession, title, platform, starts_at, hold_minutes, actor=None) -> LiveSession:
    """Change a planned live's title, platform, time or minutes to confirm."""
    session = _planned(session)
    session.title = _title(title)
    session.platform = _platform(platform)
    session.starts_at = _starts_at(starts_at)
    session.hold_minutes = _hold_minutes(hold_minutes)
    session.save(update_fields=["title", "platform", "starts_at", "hold_minutes", "updated_at"])
    audit_record(action="live.update", actor=actor, cooperative=session.cooperative, obj=session)
    return session


# --- its products -------------------------------------------------------------------------------


@transaction.atomic
def live_item_add(
    *, session: LiveSession, listing: Listing, quantity, code="", price_vnd=None, actor=None
) -> LiveItem:
    """Put a listed product in a planned live. ``code`` defaults to a suggestion, the price
    to the shop's price; ``price_vnd`` may be text written the Vietnamese way."""
    session = _planned(session)
    listing = Listing.objects.select_related("product").filter(pk=getattr(listing, "pk", listing)).first()
    if listing is None or not listing.is_listed:
        raise ValidationError({"listing": [_("Choose a product on sale in the shop.")]})
    if LiveItem.objects.filter(session=session).count() >= MAX_ITEMS:
        raise ValidationError(_("A live has at most %(n)s products.") % {"n": MAX_ITEMS}, code="too_many")
    if LiveItem.objects.filter(session=session, listing=listing).exists():
        raise ValidationError({"listing": [_("This product is already in the live.")]})
    code = normalize_code(code) if str(code or "").strip() else suggest_code(session, listing)
    if LiveItem.objects.filter(session=session, code=code).exists():
        raise ValidationError(
            {"code": [_("Another product of this live has the code %(code)s.") % {"code": code}]}
        )
    price = listing.price_vnd if price_vnd in (None, "") else _price(price_vnd)
    quantity = _quantity_number(quantity)
    _check_stock(listing, quantity)
    position = (LiveItem.objects.filter(session=session).aggregate(p=Max("position"))["p"] or 0) + 1
    try:
        with transaction.atomic():
            item = LiveItem.objects.create(
                cooperative=session.cooperative,
                session=session,
                listing=listing,
                code=code,
                price_vnd=price,
                quantity=quantity,
                position=min(position, 32767),
            )
    except IntegrityError:
        raise ValidationError(
            {"code": [_("Another product of this live has the code %(code)s.") % {"code": code}]}
        ) from None
    audit_record(action="live.item_add", actor=actor, cooperative=session.cooperative, obj=item)
    return item


@transaction.atomic
def live_item_update(*, item: LiveItem, code, price_vnd, quantity, actor=None) -> LiveItem:
    """Change a planned live's product: its code, live price or packs set aside."""
    item = live_items_lock(LiveItem, [item.pk])[item.pk]
    _planned(item.session)
    code = normalize_code(code)
    if LiveItem.objects.filter(session_id=item.session_id, code=code).exclude(pk=item.pk).exists():
        raise ValidationError(
            {"code": [_("Another product of this live has the code %(code)s.") % {"code": code}]}
        )
    item.code = code
    item.price_vnd = _price(price_vnd)
    item.quantity = _quantity_number(quantity)
    _check_stock(Listing.objects.select_related("product").get(pk=item.listing_id), item.quantity)
    item.save(update_fields=["code", "price_vnd", "quantity"])
    audit_record(action="live.item_update", actor=actor, cooperative=item.cooperative, obj=item)
    return item


@transaction.atomic
def live_item_remove(*, item: LiveItem, actor=None) -> None:
    """Take a product out of a planned live."""
    item = live_items_lock(LiveItem, [item.pk]).get(item.pk)
    if item is None:
        return
    _planned(item.session)
    audit_record(action="live.item_remove", actor=actor, cooperative=item.cooperative, obj=item)
    item.delete()


# --- capturing comments ----------------------------------------------------------------------


@dataclass
class Capture:
    """What one paste or upload did: N comments, M orders, K duplicates, L need a look."""

    comments: int = 0
    orders: int = 0
    duplicates: int = 0
    needs_look: int = 0
    claims: int = 0
    skipped: list[str] = field(default_factory=list)  # lines or rows that were not comments
    refused: list[str] = field(default_factory=list)  # comments refused, with the reason


def _capture(session: LiveSession, comments, *, source: str, now: dt.datetime | None) -> Capture:
    session = LiveSession.objects.get(pk=session.pk)
    if session.status == LiveStatus.PLANNED:
        raise ValidationError(_("Start the live before taking comments."), code="planned")
    comments = list(comments)
    if len(comments) > MAX_COMMENTS:
        raise ValidationError(
            _("At most %(n)s comments at a time: paste or upload them in parts.") % {"n": MAX_COMMENTS},
            code="too_many",
        )
    result = Capture()
    now = now or timezone.now()
    for c in comments:
        # Each comment in its own transaction: one claim's items are locked briefly, and
        # what was read stays read if a later comment fails.
        try:
            done = comment_add(
                session=session,
                text=c.text,
                author_name=c.author,
                author_id=c.author_id,
                source=source,
                external_id=c.external_id,
                at=c.at,
                now=now,
            )
        except ValidationError as error:
            # This comment only (e.g. "M1 5000" is more than one claim may be): nothing of it
            # was kept; staff see it listed and may add a claim by hand.
            result.refused.append(f"{c.author}: {c.text[:120]} — {' '.join(error.messages)}")
            continue
        result.comments += 1
        if done.duplicate:
            result.duplicates += 1
            continue
        if done.comment.is_order:
            result.orders += 1
        if done.comment.needs_look:
            result.needs_look += 1
        result.claims += len(done.claims)
    return result


def comments_paste(*, session: LiveSession, text: str, now: dt.datetime | None = None) -> Capture:
    """Read a block of comments pasted as copied from the platform (one per line
    "Name: text", Facebook's and TikTok's copy shapes). Pasting it again claims nothing twice."""
    text = text or ""
    if len(text) > MAX_PASTE_CHARS:
        raise ValidationError(
            _("That is too much text at once: paste at most %(n)s characters.") % {"n": MAX_PASTE_CHARS},
            code="too_long",
        )
    split = livepaste.split(text, tz=timezone.get_current_timezone(), now=now or timezone.now())
    if not split.comments:
        raise ValidationError(_("No comment was found in the pasted text."), code="empty")
    result = _capture(session, split.comments, source=CommentSource.PASTE, now=now)
    result.skipped = split.skipped
    return result


def _csv_problem(code: str) -> str:
    if code == "encoding":
        return _("The file is not a CSV file in UTF-8: export it again as CSV UTF-8.")
    if code == "no_text_column":
        return _(
            "No column of comments was found: the first row should name the columns (name, comment, time)."
        )
    if code == "too_many_rows":
        return _("The file has more than %(n)s rows: upload it in parts.") % {"n": livepaste.MAX_ROWS}
    return _("The file is empty.")


def comments_import_csv(*, session: LiveSession, data: bytes, now: dt.datetime | None = None) -> Capture:
    """Read a comment export (CSV: columns found by their header — name, comment, time, id)."""
    if len(data or b"") > MAX_CSV_BYTES:
        raise ValidationError(
            _("The file is too large (at most %(n)s MB).") % {"n": MAX_CSV_BYTES // 1_000_000},
            code="too_large",
        )
    try:
        split = livepaste.read_csv(data or b"", tz=timezone.get_current_timezone())
    except livepaste.BadFile as bad:
        raise ValidationError(_csv_problem(bad.code), code="bad_file") from None
    if not split.comments:
        raise ValidationError(_("No comment was found in the file."), code="empty")
    result = _capture(session, split.comments, source=CommentSource.CSV, now=now)
    result.skipped = split.skipped
    return result

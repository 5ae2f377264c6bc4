"""Reads for announcements, the staff outbox and members' notice boards.

Placeholders (``{name}``, ``{price}``…) are parsed and filled here too: filling a text in
is a read of the member, the product's price and the cooperative.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hoptac.accounts.selectors import membership_for
from hoptac.coops.models import Member, MemberStatus
from hoptac.core.tenancy import require_cooperative
from hoptac.lib.money import group_digits
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.lib.sms import SmsLength, sms_length, sms_text
from hoptac.lib.text import fold, search_tokens
from hoptac.lib.units import base_unit_word
from hoptac.notify.models import (
    Announcement,
    AnnouncementStatus,
    AnnouncementTemplate,
    Audience,
    ChannelMode,
    OfferStatus,
    SellOffer,
)
from hoptac.offtake.models import Agreement, ReceiptLine, ReceiptStatus
from hoptac.offtake.selectors import price_in_force
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Channel, Kind, Message, Status
from hoptac.outbox.transports import transport_for

SOURCE = "announcement"
PRODUCT_WINDOW_DAYS = 365

# --- placeholders ---------------------------------------------------------------------------

#: what staff may write between braces (accents, case and spaces do not matter) -> its meaning
PLACEHOLDERS = {
    "name": "name",
    "ten": "name",
    "price": "price",
    "gia": "price",
    "date": "date",
    "ngay": "date",
    "product": "product",
    "sanpham": "product",
    "coop": "coop",
    "htx": "coop",
}
_PLACEHOLDER = re.compile(r"\{([^{}\n]{0,40})\}")


def _placeholder_key(raw: str) -> str:
    return fold(raw).replace(" ", "")


def placeholders_in(text: str) -> set[str]:
    """The meanings used in ``text`` (``{"name", "price"}``); unknown ones raise.

    Raises ``ValidationError`` (code ``placeholder``) naming every unknown placeholder,
    and for a brace without its pair.
    """
    used, unknown = set(), []
    for match in _PLACEHOLDER.finditer(text or ""):
        meaning = PLACEHOLDERS.get(_placeholder_key(match.group(1)))
        if meaning is None:
            if match.group(0) not in unknown:
                unknown.append(match.group(0))
        else:
            used.add(meaning)
    if unknown:
        raise ValidationError(
            _(
                "Unknown placeholder %(names)s. You can use {name}, {price}, {date}, {product} and "
                "{coop} (or {ten}, {gia}, {ngay}, {sanpham}, {htx})."
            )
            % {"names": ", ".join(unknown)},
            code="placeholder",
        )
    rest = _PLACEHOLDER.sub("", text or "")
    if "{" in rest or "}" in rest:
        raise ValidationError(
            _("The text has a { or } that does not make a placeholder: write placeholders like {name}."),
            code="placeholder",
        )
    return used


# A unit written after the price placeholder ("{gia}/kg"): the price already carries the
# product's own unit, so the written one is dropped (it said "/kg" for honey, sold by the litre).
_PRICE_UNIT = re.compile(r"(\{[^{}\n]{0,40}\})\s*/\s*(?:kg|kí|ký|ki|ky|lít|lit|l)\b", re.IGNORECASE)


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by ``values[meaning]``."""
    text = _PRICE_UNIT.sub(
        lambda m: (
            m.group(1) if PLACEHOLDERS.get(_placeholder_key(m.group(1)[1:-1])) == "price" else m.group(0)
        ),
        text,
    )
    return _PLACEHOLDER.sub(
        lambda m: values.get(PLACEHOLDERS.get(_placeholder_key(m.group(1)), ""), m.group(0)), text
    )


def format_price(amount: int, product=None) -> str:
    """``520.000đ/lít``: the price per the product's own unit (kg or lít)."""
    text = f"{group_digits(amount)}đ"
    return f"{text}/{base_unit_word(product.base_unit)}" if product is not None else text


def announcement_product(announcement: Announcement):
    """The product of ``{product}`` and ``{price}``: the one chosen, or the season's."""
    if announcement.product_id:
        return announcement.product
    if announcement.season_id:
        return announcement.season.product
    return None


def fixed_values(announcement: Announcement) -> dict[str, str]:
    """The values that are the same for every member; raises ``ValidationError`` when the
    text needs something the announcement does not have (a product, a date, a price)."""
    used = placeholders_in(announcement.body)
    product = announcement_product(announcement)
    values = {"coop": require_cooperative().name}
    if used & {"product", "price"} and product is None:
        raise ValidationError(
            _("The text uses {product} or {price}: choose the product."),
            code="product",
        )
    if product is not None:
        values["product"] = product.name
    if "price" in used:
        price = price_in_force(product=product, grade=1)
        if price is None:
            raise ValidationError(
                _(
                    "There is no buying price in force for %(product)s (grade 1), so {price} cannot be filled in."
                )
                % {"product": product.name},
                code="price",
            )
        values["price"] = format_price(price.price_vnd, product)
    if "date" in used:
        if announcement.event_date is None:
            raise ValidationError(_("The text uses {date}: give the date."), code="event_date")
        values["date"] = announcement.event_date.strftime("%d/%m/%Y")
    elif announcement.event_date is not None:
        values["date"] = announcement.event_date.strftime("%d/%m/%Y")
    return values


def text_for(announcement_body: str, values: dict[str, str], member: Member) -> str:
    return fill(announcement_body, {**values, "name": member.full_name})


# --- announcements ----------------------------------------------------------------------------


def announcement_get(announcement_id: int) -> Announcement:
    """One announcement of the current cooperative (``Announcement.DoesNotExist`` otherwise)."""
    return Announcement.objects.select_related(
        "village", "group", "product", "season__product", "created_by"
    ).get(pk=announcement_id)


def audience_members(announcement: Announcement) -> QuerySet[Member]:
    """The active members an announcement goes to, by name."""
    members = Member.objects.filter(status=MemberStatus.ACTIVE)
    audience = announcement.audience
    if audience == Audience.VILLAGE:
        members = members.filter(village_id=announcement.village_id)
    elif audience == Audience.GROUP:
        members = members.filter(groups__id=announcement.group_id)
    elif audience == Audience.PRODUCT:
        since = timezone.now() - dt.timedelta(days=PRODUCT_WINDOW_DAYS)
        sold = ReceiptLine.objects.filter(
            product_id=announcement.product_id,
            receipt__status=ReceiptStatus.CONFIRMED,
            receipt__collected_at__gte=since,
        ).values("receipt__member_id")
        agreed = Agreement.objects.filter(
            season__product_id=announcement.product_id,
            season__ends_on__gte=timezone.localdate() - dt.timedelta(days=PRODUCT_WINDOW_DAYS),
        ).values("member_id")
        members = members.filter(Q(pk__in=sold) | Q(pk__in=agreed))
    elif audience == Audience.SEASON:
        members = members.filter(
            pk__in=Agreement.objects.filter(season_id=announcement.season_id).values("member_id")
        )
    elif audience == Audience.CHOSEN:
        members = members.filter(pk__in=announcement.members.values("pk"))
    return members.select_related("village").order_by("full_name", "id")


def channels_for(announcement: Announcement) -> list[str] | None:
    """The channels every message is sent by, or ``None`` for each member's own."""
    if announcement.channel_mode == ChannelMode.SMS:
        return [Channel.SMS]
    if announcement.channel_mode == ChannelMode.APP:
        return [Channel.APP]
    return None


def announcement_items(announcement: Announcement) -> list[tuple[outbox.Recipient, str]]:
    """(recipient, filled text) for each member of the audience; raises ``ValidationError``
    when the text cannot be filled in."""
    values = fixed_values(announcement)
    members = list(audience_members(announcement))
    accounts = outbox.accounts_for(members)
    return [
        (outbox.Recipient.for_member(m, user=accounts.get(m.pk)), text_for(announcement.body, values, m))
        for m in members
    ]


@dataclass
class Preview:
    recipients: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)  # channel -> messages going out
    stopped: int = 0  # texted HUY
    unreachable: int = 0  # no phone, email or account for the channels
    no_phone: int = 0
    sms_segments: int = 0
    cost_vnd: int = 0
    example_name: str = ""
    example_channel: str = ""
    example_text: str = ""
    example_sms: str = ""
    example_length: SmsLength | None = None
    example_other: SmsLength | None = None  # the same SMS with the other choice of accents
    quota: int = 0
    quota_used: int = 0
    sms_price_vnd: int = 0
    zalo_price_vnd: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def quota_left(self) -> int:
        return max(0, self.quota - self.quota_used)

    @property
    def over_quota(self) -> bool:
        return self.sms_segments > self.quota_left

    @property
    def sending(self) -> int:
        return sum(self.by_channel.values())

    @property
    def channel_rows(self) -> list[tuple[str, int]]:
        labels = dict(Channel.choices)
        return [(str(labels[c]), n) for c, n in self.by_channel.items() if n]


def announcement_preview(announcement: Announcement) -> Preview:
    """What sending now would do: who gets it by which channel, the text for one member,
    SMS segments, the estimated cost and the month's SMS quota.

    Messages are planned exactly as ``outbox.services.queue_many`` writes them, without
    writing anything.
    """
    coop = require_cooperative()
    rules = outbox.messaging_settings(coop)
    preview = Preview(
        quota=rules.sms_quota_segments,
        quota_used=outbox.quota_used(coop),
        sms_price_vnd=rules.sms_price_vnd,
        zalo_price_vnd=rules.zalo_price_vnd,
    )
    try:
        items = announcement_items(announcement)
    except ValidationError as error:
        preview.problems = [m for e in error.error_list for m in e.messages]
        return preview
    channels = channels_for(announcement)
    counts = dict.fromkeys((Channel.SMS, Channel.ZALO, Channel.APP, Channel.EMAIL), 0)
    example = None
    planned = outbox.plan_many(
        items,
        kind=Kind.ANNOUNCEMENT,
        subject=announcement.title,
        channels=channels,
        unaccented=announcement.unaccented,
        source_type=SOURCE,
        source_id=announcement.pk,
    )
    for recipient, text, message in planned:
        preview.recipients += 1
        if not recipient.phone:
            preview.no_phone += 1
        if message.status == Status.SKIPPED:
            if message.error_code == "stopped":
                preview.stopped += 1
            else:
                preview.unreachable += 1
            continue
        counts[message.channel] = counts.get(message.channel, 0) + 1
        preview.cost_vnd += message.cost_vnd
        if message.channel == Channel.SMS:
            preview.sms_segments += message.segments
        if example is None or (example[1].channel != Channel.SMS and message.channel == Channel.SMS):
            example = (recipient, message, text)
    preview.by_channel = counts
    if example is None and items:
        example = (items[0][0], None, items[0][1])
    if example is not None:
        recipient, message, text = example
        preview.example_name = recipient.name
        preview.example_channel = message.get_channel_display() if message is not None else ""
        preview.example_text = text
        preview.example_sms = sms_text(text, unaccented=announcement.unaccented)
        preview.example_length = sms_length(preview.example_sms)
        preview.example_other = sms_length(sms_text(text, unaccented=not announcement.unaccented))
    return preview


@dataclass(frozen=True)
class Counts:
    waiting: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    held: int = 0
    not_sent: int = 0


def _counts_query(source_ids: list[str]):
    failed_for_good = Q(status=Status.FAILED, fallback__isnull=True)
    return (
        Message.objects.filter(source_type=SOURCE, source_id__in=source_ids)
        .values("source_id")
        .annotate(
            waiting=Count("id", filter=Q(status__in=(Status.QUEUED, Status.SENDING))),
            sent=Count("id", filter=Q(status=Status.SENT)),
            delivered=Count("id", filter=Q(status=Status.DELIVERED)),
            failed=Count("id", filter=failed_for_good),
            held=Count("id", filter=Q(status__in=(Status.HELD, Status.DOUBT))),
            not_sent=Count("id", filter=Q(status__in=(Status.SKIPPED, Status.CANCELLED))),
        )
        .order_by()
    )


def announcement_counts(announcements) -> dict[int, Counts]:
    """Message counts by state for each announcement, in one query. A channel that failed
    and was replaced by the next one is not counted as failed."""
    ids = [str(a.pk) for a in announcements]
    if not ids:
        return {}
    rows = _counts_query(ids)
    return {int(row.pop("source_id")): Counts(**row) for row in rows}


def announcement_list() -> QuerySet[Announcement]:
    return Announcement.objects.select_related("created_by").order_by("-created_at", "-id")


def announcement_messages(announcement: Announcement) -> QuerySet[Message]:
    return Message.objects.filter(source_type=SOURCE, source_id=str(announcement.pk)).order_by(
        "to_name", "id"
    )


def template_list() -> QuerySet[AnnouncementTemplate]:
    return AnnouncementTemplate.objects.order_by("name")


def template_get(template_id: int) -> AnnouncementTemplate:
    return AnnouncementTemplate.objects.get(pk=template_id)


@dataclass(frozen=True)
class Suggestion:
    key: str
    name: str
    body: str


def suggestions() -> list[Suggestion]:
    """Built-in starting points, offered while the cooperative has no templates of its own.

    Their texts are in the catalogue (context "sms", so a translator sees them); the price
    comes from ``{price}``, which carries the product's own unit ("520.000đ/lít" for honey,
    "25.000đ/kg" for tea): no unit is written after it.
    """
    return [
        Suggestion(
            "buying",
            _("Buying day"),
            pgettext(
                "sms",
                # Translators: the placeholders may be written in Vietnamese: {htx}, {sanpham}, {ngay}, {gia}, {ten}.
                # xgettext: no-python-brace-format
                "{coop}: buying {product} on {date} at the buying point of the village ... from 7am. "
                "Bring your member book.",
            ),
        ),
        Suggestion(
            "price",
            _("Price notice"),
            # Translators: the placeholders may be written in Vietnamese: {htx}, {sanpham}, {ngay}, {gia}, {ten}.
            # xgettext: no-python-brace-format
            pgettext("sms", "{coop}: buying price of {product} grade 1 from {date}: {price}."),
        ),
        Suggestion(
            "meeting",
            _("Members' meeting"),
            pgettext(
                "sms",
                # Translators: the placeholders may be written in Vietnamese: {htx}, {sanpham}, {ngay}, {gia}, {ten}.
                # xgettext: no-python-brace-format
                "{coop} invites {name} to the members' meeting on {date} at 8am at the village hall.",
            ),
        ),
    ]


# --- the staff outbox -------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxFilters:
    status: str = ""
    channel: str = ""
    kind: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    q: str = ""


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def outbox_list(filters: OutboxFilters | None = None) -> QuerySet[Message]:
    """The cooperative's messages, newest first, filtered."""
    f = filters or OutboxFilters()
    qs = Message.objects.all()
    if f.status:
        qs = qs.filter(status=f.status)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.start:
        qs = qs.filter(created_at__gte=_day_start(f.start))
    if f.end:
        qs = qs.filter(created_at__lt=_day_start(f.end + dt.timedelta(days=1)))
    if f.q.strip():
        qs = qs.filter(_search(f.q))
    return qs.order_by("-created_at", "-id")


def _search(query: str) -> Q:
    """Recipient name (with or without accents) or phone number."""
    query = query.strip()
    by_name = Q(to_name__icontains=query)
    tokens = search_tokens(query)
    if tokens:
        member_match = Q()
        for token in tokens:
            member_match &= Q(member__search_text__contains=" " + token)
        by_name |= member_match
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 3:
        with contextlib.suppress(InvalidPhone):
            digits = normalize_phone(query)
        by_name |= Q(to_phone__contains=digits)
    return by_name


@dataclass(frozen=True)
class Totals:
    count: int
    cost_vnd: int


def outbox_totals(messages: QuerySet[Message]) -> Totals:
    row = messages.order_by().aggregate(count=Count("id"), cost=Sum("cost_vnd"))
    return Totals(count=row["count"] or 0, cost_vnd=row["cost"] or 0)


def message_get(message_id: int) -> Message:
    return Message.objects.select_related("member", "created_by", "previous").get(pk=message_id)


def message_chain(message: Message) -> list[Message]:
    """Every channel tried for the same recipient and text, first to last (a few rows)."""
    chain = [message]
    current = message
    while current.previous_id:
        current = Message.objects.get(pk=current.previous_id)
        chain.insert(0, current)
    current = message
    while True:
        following = Message.objects.filter(previous=current).first()
        if following is None:
            break
        chain.append(following)
        current = following
    return chain


def announcement_of(message: Message) -> Announcement | None:
    if message.source_type != SOURCE or not message.source_id.isdigit():
        return None
    return Announcement.objects.filter(pk=int(message.source_id)).first()


def message_attempts(message: Message):
    return message.attempt_rows.order_by("at", "id")


def sms_backend_is_development() -> bool:
    """Whether SMS are only written to files or the console (nothing leaves the machine)."""
    try:
        transport = transport_for(Channel.SMS)
    except (ImportError, AttributeError):
        return False
    return bool(getattr(transport, "development", False))


@dataclass(frozen=True)
class MonthUsage:
    quota: int
    used: int
    messages: int
    cost_vnd: int
    by_channel: list[tuple[str, int, int]]  # (label, messages, cost)

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)

    @property
    def percent(self) -> int:
        return min(100, round(self.used * 100 / self.quota)) if self.quota else 100


def month_usage() -> MonthUsage:
    """This month's SMS segments against the quota, and messages and cost by channel."""
    coop = require_cooperative()
    rules = outbox.messaging_settings(coop)
    start = _day_start(outbox.month_start())
    rows = (
        Message.objects.filter(created_at__gte=start)
        .exclude(status__in=(Status.SKIPPED, Status.CANCELLED))
        .values("channel")
        .annotate(n=Count("id"), cost=Sum("cost_vnd"))
        .order_by("channel")
    )
    labels = dict(Channel.choices)
    by_channel = [(str(labels.get(r["channel"], r["channel"])), r["n"], r["cost"] or 0) for r in rows]
    return MonthUsage(
        quota=rules.sms_quota_segments,
        used=outbox.quota_used(coop),
        messages=sum(r[1] for r in by_channel),
        cost_vnd=sum(r[2] for r in by_channel),
        by_channel=by_channel,
    )


# --- a member's notice board ----------------------------------------------------------------


def household_of(user, cooperative) -> Member | None:
    """The member household linked to ``user``'s account in ``cooperative``, if any."""
    membership = membership_for(user=user, cooperative_id=cooperative.pk)
    if membership is None or membership.member_id is None:
        return None
    return Member.objects.filter(pk=membership.member_id).first()


def notices_for(member: Member) -> QuerySet[Message]:
    """The announcements sent to ``member``, newest first: any channel, one row per
    announcement (a channel replaced by its fallback is left out), nothing scheduled for
    later and nothing cancelled."""
    later = [
        str(pk)
        for pk in Announcement.objects.filter(
            status=AnnouncementStatus.SCHEDULED, scheduled_at__gt=timezone.now()
        ).values_list("pk", flat=True)
    ]
    return (
        Message.objects.filter(member=member, kind=Kind.ANNOUNCEMENT, fallback__isnull=True)
        .exclude(status=Status.CANCELLED)
        .exclude(source_type=SOURCE, source_id__in=later)
        .order_by(Coalesce("sent_at", "created_at").desc(), "-id")
    )


# --- the dashboard's messages panel (notify_tags.messages_panel) --------------------------------


def attention_counts() -> dict[str, int]:
    """What needs staff attention: open offers to sell, messages held by the quota, and
    messages of unknown fate (two queries)."""
    by_status = dict(
        Message.objects.filter(status__in=(Status.HELD, Status.DOUBT))
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        "offers": SellOffer.objects.filter(status=OfferStatus.OPEN).count(),
        "held": by_status.get(Status.HELD, 0),
        "doubt": by_status.get(Status.DOUBT, 0),
    }


def latest_notices(user, cooperative, *, limit: int = 3) -> list[Message]:
    """The newest notices of ``user``'s household in ``cooperative`` for the dashboard: the
    notice board's own definition (:func:`notices_for`), so an announcement shows once
    even when its first channel failed and a fallback row was written."""
    member = household_of(user, cooperative)
    if member is None:
        return []
    return list(notices_for(member)[:limit])

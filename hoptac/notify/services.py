"""Writes for announcements (drafts, sending, scheduling, cancelling), their templates,
the cooperative's messaging settings and members' notices.

Sending writes one outbox row per recipient in one transaction through
:func:`hoptac.outbox.services.queue_many`; the outbox worker sends them after commit.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.locks import announcement_lock, messaging_settings_lock, offer_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.notify import selectors
from hoptac.notify.models import (
    Announcement,
    AnnouncementStatus,
    AnnouncementTemplate,
    Audience,
    ChannelMode,
    InboundSms,
    MemberText,
    OfferStatus,
    SellOffer,
)
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Channel, Kind, Message, MessagingSettings, Status

MAX_BODY = 1000

# Which field each audience needs, and the error when it is missing.
_AUDIENCE_FIELD = {
    Audience.VILLAGE: "village",
    Audience.GROUP: "group",
    Audience.PRODUCT: "product",
    Audience.SEASON: "season",
}


def _check_owned(coop, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.cooperative_id != coop.pk:
            raise ValidationError(_("This choice belongs to another cooperative."), code="other_coop")


def _validate(announcement: Announcement, members) -> None:
    """Refuse a draft that cannot be sent as written: every problem at once, each with a
    code naming its field."""
    errors = []
    if not (announcement.title or "").strip():
        errors.append(ValidationError(_("Give the announcement a title."), code="title"))
    if not (announcement.body or "").strip():
        errors.append(ValidationError(_("Write the text of the announcement."), code="body"))
    elif len(announcement.body) > MAX_BODY:
        errors.append(ValidationError(_("The text is too long (at most 1,000 characters)."), code="body"))
    if announcement.audience not in Audience.values:
        errors.append(ValidationError(_("Choose who receives the announcement."), code="audience"))
    needed = _AUDIENCE_FIELD.get(announcement.audience)
    if needed and getattr(announcement, f"{needed}_id") is None:
        messages = {
            "village": _("Choose the village."),
            "group": _("Choose the group."),
            "product": _("Choose the product."),
            "season": _("Choose the season."),
        }
        errors.append(ValidationError(messages[needed], code=needed))
    if announcement.audience == Audience.CHOSEN and not members:
        errors.append(ValidationError(_("Choose at least one member."), code="members"))
    if announcement.channel_mode not in ChannelMode.values:
        errors.append(ValidationError(_("Choose how to send."), code="channel_mode"))
    if not errors and announcement.body:
        try:
            selectors.fixed_values(announcement)
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def announcement_save(
    *,
    announcement: Announcement | None = None,
    title: str,
    body: str,
    audience: str,
    village=None,
    group=None,
    product=None,
    season=None,
    members=(),
    event_date: dt.date | None = None,
    channel_mode: str = ChannelMode.PREFERRED,
    unaccented: bool = True,
    actor=None,
) -> Announcement:
    """Create a draft, or change one (``announcement``). Only drafts can be changed."""
    coop = require_cooperative()
    if announcement is not None:
        announcement = announcement_lock(Announcement, announcement.pk)
        if announcement.status != AnnouncementStatus.DRAFT:
            raise ValidationError(
                _("Only a draft can be changed: this announcement was already sent or scheduled."),
                code="state",
            )
    else:
        announcement = Announcement(
            cooperative=coop, created_by=actor if getattr(actor, "pk", None) else None
        )
    members = list(members or ()) if audience == Audience.CHOSEN else []
    _check_owned(coop, village, group, product, season, *members)
    announcement.title = (title or "").strip()
    announcement.body = (body or "").strip()
    announcement.audience = audience
    announcement.village = village if audience == Audience.VILLAGE else None
    announcement.group = group if audience == Audience.GROUP else None
    announcement.season = season if audience == Audience.SEASON else None
    announcement.product = product
    announcement.event_date = event_date
    announcement.channel_mode = channel_mode
    announcement.unaccented = unaccented
    _validate(announcement, members)
    created = announcement.pk is None
    announcement.save()
    announcement.members.set(members)
    audit_record(
        action="announcement.create" if created else "announcement.edit",
        actor=actor,
        cooperative=coop,
        obj=announcement,
    )
    return announcement


@transaction.atomic
def announcement_send(
    announcement: Announcement, *, actor=None, scheduled_at: dt.datetime | None = None
) -> Announcement:
    """Queue the announcement to every member of its audience, now or at ``scheduled_at``.

    All rows are written in this one transaction; a second send is refused.
    """
    coop = require_cooperative()
    announcement = announcement_lock(
        Announcement.objects.select_related("product", "season__product"), announcement.pk
    )
    if announcement.status != AnnouncementStatus.DRAFT:
        raise ValidationError(_("This announcement was already sent or scheduled."), code="state")
    now = timezone.now()
    if scheduled_at is not None and scheduled_at <= now:
        raise ValidationError(_("Choose a time in the future to schedule the sending."), code="past")
    _validate(announcement, list(announcement.members.all()))
    items = selectors.announcement_items(announcement)
    if not items:
        raise ValidationError(_("Nobody is in the audience of this announcement."), code="empty")
    count = outbox.queue_many(
        items,
        kind=Kind.ANNOUNCEMENT,
        subject=announcement.title,
        channels=selectors.channels_for(announcement),
        unaccented=announcement.unaccented,
        source_type=selectors.SOURCE,
        source_id=announcement.pk,
        send_after=scheduled_at or now,
        actor=actor,
    )
    cost = Message.objects.filter(source_type=selectors.SOURCE, source_id=str(announcement.pk)).aggregate(
        total=Sum("cost_vnd")
    )["total"]
    announcement.status = AnnouncementStatus.SCHEDULED if scheduled_at else AnnouncementStatus.SENT
    announcement.scheduled_at = scheduled_at
    announcement.queued_at = now
    announcement.recipients = count
    announcement.estimated_cost_vnd = cost or 0
    announcement.save(
        update_fields=["status", "scheduled_at", "queued_at", "recipients", "estimated_cost_vnd"]
    )
    audit_record(
        action="announcement.schedule" if scheduled_at else "announcement.send",
        actor=actor,
        cooperative=coop,
        obj=announcement,
        data={"recipients": count, "estimated_cost_vnd": announcement.estimated_cost_vnd},
    )
    return announcement


@transaction.atomic
def announcement_cancel(announcement: Announcement, *, actor=None) -> int:
    """Discard a draft, or stop a scheduled announcement: its messages still waiting are
    cancelled. Returns how many messages were cancelled."""
    coop = require_cooperative()
    announcement = announcement_lock(Announcement, announcement.pk)
    if announcement.status not in (AnnouncementStatus.DRAFT, AnnouncementStatus.SCHEDULED):
        raise ValidationError(_("Only a draft or a scheduled announcement can be cancelled."), code="state")
    cancelled = 0
    if announcement.status == AnnouncementStatus.SCHEDULED:
        cancelled = Message.objects.filter(
            source_type=selectors.SOURCE,
            source_id=str(announcement.pk),
            status__in=(Status.QUEUED, Status.HELD),
        ).update(
            status=Status.CANCELLED,
            error=(_("Cancelled by %(who)s.") % {"who": actor or "?"})[:300],
        )
    announcement.status = AnnouncementStatus.CANCELLED
    announcement.save(update_fields=["status"])
    audit_record(
        action="announcement.cancel",
        actor=actor,
        cooperative=coop,
        obj=announcement,
        data={"messages_cancelled": cancelled},
    )
    return cancelled


# --- templates ----------------------------------------------------------------------------


@transaction.atomic
def template_create(*, name: str, body: str, actor=None) -> AnnouncementTemplate:
    coop = require_cooperative()
    name, body = (name or "").strip(), (body or "").strip()
    if not name:
        raise ValidationError(_("Give the template a name."), code="name")
    if not body:
        raise ValidationError(_("Write the text of the template."), code="body")
    if len(body) > MAX_BODY:
        raise ValidationError(_("The text is too long (at most 1,000 characters)."), code="body")
    selectors.placeholders_in(body)
    if AnnouncementTemplate.objects.filter(name__iexact=name).exists():
        raise ValidationError(_("A template with this name already exists."), code="duplicate")
    template = AnnouncementTemplate.objects.create(cooperative=coop, name=name, body=body)
    audit_record(action="announcement_template.create", actor=actor, cooperative=coop, obj=template)
    return template


@transaction.atomic
def template_delete(template: AnnouncementTemplate, *, actor=None) -> None:
    coop = require_cooperative()
    audit_record(
        action="announcement_template.delete",
        actor=actor,
        cooperative=coop,
        obj=template,
        data={"name": template.name},
    )
    AnnouncementTemplate.objects.filter(pk=template.pk).delete()


# --- messaging settings -------------------------------------------------------------------


@transaction.atomic
def messaging_settings_save(
    *,
    sms_quota_segments: int,
    sms_price_vnd: int,
    zalo_price_vnd: int,
    send_receipts: bool,
    send_price_changes: bool,
    actor=None,
) -> MessagingSettings:
    coop = require_cooperative()
    outbox.messaging_settings(coop)  # created with the defaults on first use
    rules = messaging_settings_lock(MessagingSettings)
    before = {
        "sms_quota_segments": rules.sms_quota_segments,
        "sms_price_vnd": rules.sms_price_vnd,
        "zalo_price_vnd": rules.zalo_price_vnd,
        "send_receipts": rules.send_receipts,
        "send_price_changes": rules.send_price_changes,
    }
    after = {
        "sms_quota_segments": sms_quota_segments,
        "sms_price_vnd": sms_price_vnd,
        "zalo_price_vnd": zalo_price_vnd,
        "send_receipts": send_receipts,
        "send_price_changes": send_price_changes,
    }
    for key, value in after.items():
        setattr(rules, key, value)
    rules.save()
    changed = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if changed:
        audit_record(action="messaging.settings", actor=actor, cooperative=coop, obj=rules, data=changed)
    return rules


# --- a member's notice board ---------------------------------------------------------------


def notices_mark_read(messages) -> int:
    """Mark the in-app notices among ``messages`` (just shown to the member) as read."""
    ids = [m.pk for m in messages if m.channel == Channel.APP and m.read_at is None]
    if not ids:
        return 0
    return Message.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())


# --- inbound SMS commands and offers to sell (parsed in commands.py) ------------------------------


@transaction.atomic
def inbound_store(*, gateway: str, gateway_id: str, phone: str, text: str) -> InboundSms:
    """Store a text received from a gateway, before it is read and answered. A repeat of
    the same ``(gateway, gateway_id)`` raises ``IntegrityError`` (the webhook answers OK)."""
    return InboundSms.objects.create(
        gateway=gateway, gateway_id=gateway_id, phone=phone, text=text, known=False
    )


@transaction.atomic
def inbound_mark_known(*, inbound: InboundSms) -> None:
    """The inbound text came from a member's phone."""
    InboundSms.objects.filter(pk=inbound.pk).update(known=True)
    inbound.known = True


@transaction.atomic
def member_text_record(*, inbound: InboundSms, member, command: str, reply=None, offer=None) -> MemberText:
    """What a member texted, and the reply or offer it led to."""
    return MemberText.objects.create(
        cooperative=member.cooperative,
        inbound=inbound,
        member=member,
        command=command,
        reply=reply,
        offer=offer,
    )


@transaction.atomic
def member_messages_stop(*, member) -> None:
    """HUY: the member wants no more announcements."""
    from hoptac.coops.models import Member

    if member.messages_stopped_at is None:
        Member.objects.filter(pk=member.pk).update(messages_stopped_at=timezone.now())


@transaction.atomic
def member_messages_resume(*, member) -> None:
    """DK: the member wants announcements again."""
    from hoptac.coops.models import Member

    if member.messages_stopped_at is not None:
        Member.objects.filter(pk=member.pk).update(messages_stopped_at=None)


@transaction.atomic
def offer_open(
    *, member, product, product_text: str, quantity, unit: str, raw_text: str
) -> SellOffer:
    """BAN: a member offers to sell; staff answer it on the offers page."""
    return SellOffer.objects.create(
        cooperative=member.cooperative,
        member=member,
        product=product,
        product_text=product_text,
        quantity=quantity,
        unit=unit,
        raw_text=raw_text,
    )


def _lock_open(offer: SellOffer) -> SellOffer:
    offer = offer_lock(SellOffer.objects.select_related("member"), offer.pk)
    if offer.status == OfferStatus.ANSWERED:
        raise ValidationError(_("This offer was already answered."), code="state")
    if offer.status != OfferStatus.OPEN:
        raise ValidationError(_("This offer was already closed."), code="state")
    return offer


@transaction.atomic
def offer_answer(*, offer: SellOffer, text: str, unaccented: bool = True, actor=None) -> Message:
    """Answer an open offer by SMS to the member, and mark it answered (one transaction)."""
    offer = _lock_open(offer)
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError(_("Write the answer."), code="empty")
    if len(text) > SellOffer._meta.get_field("answer").max_length:
        raise ValidationError(_("The answer is too long (at most 300 characters)."), code="too_long")
    message = outbox.queue(
        kind=Kind.REPLY,
        member=offer.member,
        text=text,
        channels=["sms"],
        unaccented=unaccented,
        source_type="offer",
        source_id=offer.pk,
        actor=actor,
    )
    offer.status = OfferStatus.ANSWERED
    offer.answer = text
    offer.answered_by = actor if getattr(actor, "pk", None) else None
    offer.answered_at = timezone.now()
    offer.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    audit_record(
        action="offer.answer",
        actor=actor,
        cooperative=offer.cooperative,
        obj=offer,
        data={"message": message.pk},
    )
    return message


@transaction.atomic
def offer_close(*, offer: SellOffer, actor=None) -> SellOffer:
    """Close an open offer without answering it (nothing is sent)."""
    offer = _lock_open(offer)
    offer.status = OfferStatus.CLOSED
    offer.answered_by = actor if getattr(actor, "pk", None) else None
    offer.answered_at = timezone.now()
    offer.save(update_fields=["status", "answered_by", "answered_at"])
    audit_record(action="offer.close", actor=actor, cooperative=offer.cooperative, obj=offer)
    return offer

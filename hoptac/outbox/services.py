"""Writing messages: the one call the rest of the platform uses to say something.

``queue(...)`` (one recipient) and ``queue_many(...)`` (an announcement) write outbox rows
in the caller's transaction and wake the worker after commit. Nothing is sent here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.locks import message_lock, message_lock_first, messages_lock
from hoptac.core.tenancy import require_cooperative
from hoptac.lib.sms import sms_length, sms_text

from .models import Attempt, Channel, Kind, Message, MessagingSettings, QuotaUsage, Status
from .transports import transport_for

ALL_CHANNELS = [c.value for c in Channel]
BULK_CHUNK = 1000


# Within ``rules_read_once()`` (one request: a batch of the field app's records) the
# sending rules of a cooperative are read once; elsewhere at every call.
_rules_memo: ContextVar[dict | None] = ContextVar("hoptac_messaging_rules", default=None)


@contextmanager
def rules_read_once() -> Iterator[None]:
    """Read each cooperative's messaging settings at most once inside this block (a request
    that queues many messages, e.g. a sync batch): a per-request memo, not a cache."""
    token = _rules_memo.set({})
    try:
        yield
    finally:
        _rules_memo.reset(token)


def messaging_settings(coop=None) -> MessagingSettings:
    """The cooperative's sending rules, created with the defaults on first use."""
    coop = coop or require_cooperative()
    memo = _rules_memo.get()
    if memo is not None and coop.pk in memo:
        return memo[coop.pk]
    found = MessagingSettings.unscoped.filter(cooperative=coop).first()
    if found is None:
        found, _created = MessagingSettings.unscoped.get_or_create(cooperative=coop)
    if memo is not None:
        memo[coop.pk] = found
    return found


@dataclass
class Recipient:
    """Whom to reach and how: a member (their phone, email, account and preferences) or a
    buyer given by phone/email."""

    name: str = ""
    phone: str = ""
    email: str = ""
    member: object | None = None
    user: object | None = None
    channels: list[str] = field(default_factory=list)
    stopped: bool = False

    @classmethod
    def for_member(cls, member, *, user=None) -> Recipient:
        return cls(
            name=member.full_name,
            phone=member.phone or "",
            email=member.email or "",
            member=member,
            user=user,
            channels=member.channel_list or ["sms"],
            stopped=member.messages_stopped_at is not None,
        )


class _Plan:
    """Transports and prices looked up once for a batch of messages."""

    def __init__(self, coop, rules: MessagingSettings | None = None):
        self.coop = coop
        self.rules = rules if rules is not None else messaging_settings(coop)
        self.transports = {c: transport_for(c) for c in ALL_CHANNELS}

    def possible(self, recipient: Recipient, kind: str, wanted: list[str]) -> list[str]:
        result = []
        for channel in wanted:
            transport = self.transports.get(channel)
            if transport is None or channel in result:
                continue
            if transport.can_send(
                kind=kind,
                phone=recipient.phone,
                email=recipient.email,
                has_account=recipient.user is not None,
            ):
                result.append(channel)
        return result

    def fill(self, message: Message, channel: str) -> None:
        """Set the channel and what goes out on it: text, segments, template, cost."""
        message.channel = channel
        message.segments = 0
        message.cost_vnd = 0
        message.zalo_template = ""
        message.zalo_data = {}
        if channel == Channel.SMS:
            message.body = sms_text(message.text, unaccented=message.unaccented)
            message.segments = sms_length(message.body).segments
            message.cost_vnd = message.segments * self.rules.sms_price_vnd
        elif channel == Channel.ZALO:
            message.body = message.text
            message.zalo_template = str(settings.OUTBOX["ZALO"]["TEMPLATES"].get(message.kind, ""))
            message.zalo_data = {
                "customer_name": message.to_name[:30],
                "cooperative": self.coop.name[:30],
                "content": message.text[:400],
                **(getattr(message, "_extra_zalo", None) or {}),
            }
            message.cost_vnd = self.rules.zalo_price_vnd
        else:
            message.body = message.text


def _build(
    plan: _Plan,
    recipient: Recipient,
    *,
    kind: str,
    text: str,
    subject: str,
    channels: list[str] | None,
    unaccented: bool,
    source_type: str,
    source_id: str,
    send_after: dt.datetime,
    actor,
    zalo_data: dict | None,
) -> Message:
    message = Message(
        cooperative=plan.coop,
        kind=kind,
        source_type=source_type,
        source_id=str(source_id or ""),
        member=recipient.member,
        user=recipient.user,
        to_name=recipient.name[:120],
        to_phone=recipient.phone,
        to_email=recipient.email,
        subject=subject[:200],
        text=text,
        unaccented=unaccented,
        next_attempt_at=send_after,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    message._extra_zalo = zalo_data
    wanted = channels or recipient.channels or ["sms"]
    possible = plan.possible(recipient, kind, wanted)
    if recipient.stopped and kind != Kind.REPLY:
        plan.fill(message, possible[0] if possible else wanted[0])
        message.status = Status.SKIPPED
        message.cost_vnd = 0
        message.error_code = "stopped"
        message.error = _("The member texted HUY to stop messages.")
        return message
    if not possible:
        message.channel = wanted[0] if wanted[0] in ALL_CHANNELS else Channel.SMS
        message.body = text
        message.status = Status.SKIPPED
        message.error_code = "no_channel"
        message.error = _(
            "No way to reach this recipient: no phone, email or account for the chosen channels."
        )
        return message
    plan.fill(message, possible[0])
    message.fallbacks = ",".join(possible[1:])
    return message


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("The message is empty."), code="empty")
    if len(text) > 2000:
        raise ValidationError(_("The message is too long (at most 2,000 characters)."), code="too_long")
    return text


def queue(
    *,
    kind: str,
    text: str,
    member=None,
    user=None,
    name: str = "",
    phone: str = "",
    email: str = "",
    channels: list[str] | None = None,
    subject: str = "",
    unaccented: bool = True,
    source_type: str = "",
    source_id="",
    send_after: dt.datetime | None = None,
    actor=None,
    zalo_data: dict | None = None,
    account_known: bool = False,
    rules: MessagingSettings | None = None,
) -> Message:
    """Queue one message to a member (their preferences apply) or to a phone/email.

    Call inside the transaction of the cause; the row is sent after commit. A caller that
    already looked up the member's account passes ``account_known=True`` (``user`` may then
    be ``None``: the household has none), and one that read the sending rules passes them.
    """
    coop = require_cooperative()
    text = _check_text(text)
    if member is not None:
        if member.cooperative_id != coop.pk:
            raise ValidationError(_("This member belongs to another cooperative."), code="other_coop")
        account = user if (user is not None or account_known) else account_for(member)
        recipient = Recipient.for_member(member, user=account)
    else:
        if not (phone or email or user):
            raise ValidationError(
                _("A message needs a phone number, an email or an account."), code="no_address"
            )
        recipient = Recipient(
            name=name,
            phone=phone,
            email=email,
            user=user,
            channels=channels or [c for c, ok in (("sms", phone), ("email", email), ("app", user)) if ok],
        )
    message = _build(
        _Plan(coop, rules),
        recipient,
        kind=kind,
        text=text,
        subject=subject,
        channels=channels,
        unaccented=unaccented,
        source_type=source_type,
        source_id=source_id,
        send_after=send_after or timezone.now(),
        actor=actor,
        zalo_data=zalo_data,
    )
    message.save()
    wake_after_commit()
    return message


def plan_many(
    items: Iterable[tuple[Recipient, str]],
    *,
    kind: str,
    subject: str = "",
    channels: list[str] | None = None,
    unaccented: bool = True,
    source_type: str = "",
    source_id="",
    send_after: dt.datetime | None = None,
    actor=None,
) -> Iterator[tuple[Recipient, str, Message]]:
    """The rows :func:`queue_many` would write, unsaved, with their recipient and text:
    previews count recipients, channels, segments and cost from exactly these."""
    coop = require_cooperative()
    plan = _Plan(coop)
    when = send_after or timezone.now()
    for recipient, text in items:
        yield (
            recipient,
            text,
            _build(
                plan,
                recipient,
                kind=kind,
                text=_check_text(text),
                subject=subject,
                channels=channels,
                unaccented=unaccented,
                source_type=source_type,
                source_id=source_id,
                send_after=when,
                actor=actor,
                zalo_data=None,
            ),
        )


def queue_many(items: Iterable[tuple[Recipient, str]], **options) -> int:
    """Queue one message per ``(recipient, text)``, written in chunks; returns the count.
    Takes the options of :func:`plan_many`."""
    batch: list[Message] = []
    count = 0
    for _recipient, _text, message in plan_many(items, **options):
        batch.append(message)
        if len(batch) >= BULK_CHUNK:
            Message.unscoped.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        Message.unscoped.bulk_create(batch)
        count += len(batch)
    wake_after_commit()
    return count


def account_for(member):
    """The user account linked to a member household, if any (for in-app notices): the one
    read with the member (``accounts.selectors.with_account``), else looked up."""
    from hoptac.accounts.models import Membership
    from hoptac.accounts.selectors import NOT_READ, account_of

    read = account_of(member)
    if read is not NOT_READ:
        return read
    found = Membership.objects.filter(member=member).select_related("user").first()
    return found.user if found else None


def accounts_for(members) -> dict[int, object]:
    from hoptac.accounts.models import Membership

    ids = [m.pk for m in members]
    rows = Membership.objects.filter(member_id__in=ids).select_related("user")
    return {row.member_id: row.user for row in rows}


def wake_after_commit() -> None:
    if settings.OUTBOX["WORKER"] == "off":
        return
    transaction.on_commit(_wake)


def _wake() -> None:
    from . import tasks

    try:
        tasks.drain_task()
    except Exception:  # noqa: BLE001 - the periodic sweep sends what a lost wake-up missed
        import logging

        logging.getLogger(__name__).warning("Could not wake the message worker", exc_info=True)


# --- Staff actions ------------------------------------------------------------------


@transaction.atomic
def cancel(message: Message, *, actor=None) -> Message:
    message = message_lock(Message, message.pk)
    if message.status not in (Status.QUEUED, Status.HELD, Status.DOUBT):
        raise ValidationError(_("Only a message that is waiting can be cancelled."), code="state")
    message.status = Status.CANCELLED
    message.error = _("Cancelled by %(who)s.") % {"who": actor or "?"}
    message.save(update_fields=["status", "error"])
    return message


@transaction.atomic
def resend(message: Message, *, actor=None) -> Message:
    """Put a held or uncertain message back in the queue (after staff checked it)."""
    message = message_lock(Message, message.pk)
    if message.status not in (Status.HELD, Status.DOUBT):
        raise ValidationError(_("Only a held or uncertain message can be sent again."), code="state")
    if message.status == Status.DOUBT:
        # The gateway may have it: a new request id, so it is not refused as a duplicate.
        from .models import new_request_id

        message.request_id = new_request_id()
    message.status = Status.QUEUED
    message.next_attempt_at = timezone.now()
    message.lease_until = None
    message.claimed_by = ""
    message.save()
    wake_after_commit()
    return message


@transaction.atomic
def mark_sent(message: Message, *, actor=None) -> Message:
    """Staff found that an uncertain message did reach the member."""
    message = message_lock(Message, message.pk)
    if message.status != Status.DOUBT:
        raise ValidationError(_("Only an uncertain message can be marked as sent."), code="state")
    message.status = Status.SENT
    message.sent_at = message.sent_at or timezone.now()
    message.save(update_fields=["status", "sent_at"])
    return message


# --- Quota --------------------------------------------------------------------------


def month_start(when: dt.date | None = None) -> dt.date:
    day = when or timezone.localdate()
    return day.replace(day=1)


def quota_take(coop, segments: int) -> bool:
    """Count ``segments`` against this month's quota; ``False`` when they do not fit.

    One conditional UPDATE, so two workers cannot both take the last segments.
    """
    if segments <= 0:
        return True
    month = month_start()
    limit = Subquery(MessagingSettings.unscoped.filter(cooperative=coop).values("sms_quota_segments")[:1])

    def take() -> bool:
        return bool(
            QuotaUsage.unscoped.filter(
                cooperative=coop, month=month, sms_segments__lte=limit - segments
            ).update(sms_segments=F("sms_segments") + segments)
        )

    if take():
        return True
    # The first message of the month, or of the cooperative: make both rows, then try again.
    messaging_settings(coop)
    QuotaUsage.unscoped.get_or_create(cooperative=coop, month=month)
    return take()


@transaction.atomic
def quota_take_for(messages: list[Message], *, worker: str) -> bool:
    """Count these claimed SMS rows (of one cooperative) against its quota, each row exactly
    once, whatever happens to the worker: the quota's UPDATE and the rows' ``quota_taken``
    are written in one transaction, under the rows' locks (core.locks: messages, then the
    quota). A worker killed after this commits leaves rows already counted; one killed
    before leaves nothing counted. ``False`` when the rows do not fit (nothing counted).

    Rows another worker took over, or already counted, are left out; the objects passed in
    get ``quota_taken = True`` when counted.
    """
    if not messages:
        return True
    locked = messages_lock(Message.unscoped, [m.pk for m in messages])
    due = [
        row
        for row in locked.values()
        if row.channel == Channel.SMS
        and not row.quota_taken
        and row.status == Status.SENDING
        and row.claimed_by == worker
    ]
    if due and not quota_take(messages[0].cooperative, sum(row.segments for row in due)):
        return False
    Message.unscoped.filter(pk__in=[row.pk for row in due]).update(quota_taken=True)
    counted = {row.pk for row in due} | {pk for pk, row in locked.items() if row.quota_taken}
    for message in messages:
        if message.pk in counted:
            message.quota_taken = True
    return True


def quota_refund(coop, segments: int) -> None:
    if segments > 0:
        QuotaUsage.unscoped.filter(cooperative=coop, month=month_start(), sms_segments__gte=segments).update(
            sms_segments=F("sms_segments") - segments
        )


def quota_used(coop) -> int:
    row = QuotaUsage.unscoped.filter(cooperative=coop, month=month_start()).first()
    return row.sms_segments if row else 0


# --- The Zalo token (the transport locks it: core.locks.zalo_token_lock) -------------------------


@transaction.atomic
def zalo_token_create(*, pk: int, refresh_token: str):
    """The one Zalo token row, made on first use from the configured refresh token."""
    from .models import ZaloToken

    row, _created = ZaloToken.objects.get_or_create(pk=pk, defaults={"refresh_token": refresh_token})
    return row


@transaction.atomic
def zalo_token_store(*, row, access_token: str, refresh_token: str, expires_at: dt.datetime) -> None:
    """Store a new token pair; the caller holds the row's lock."""
    row.access_token = access_token
    row.refresh_token = refresh_token
    row.expires_at = expires_at
    row.refreshed_at = timezone.now()
    row.save()


# --- Delivery reports ---------------------------------------------------------------


@transaction.atomic
def provider_id_adopt(*, provider: str, request_id: str, provider_id: str) -> None:
    """Give the gateway's id to the row that sent ``request_id`` when the row does not know
    it yet (its accepted answer was lost and the retry only got "duplicate")."""
    if Message.unscoped.filter(provider=provider, provider_id=provider_id).exists():
        return
    Message.unscoped.filter(request_id=request_id, provider=provider, provider_id="").update(
        provider_id=provider_id
    )


@transaction.atomic
def report_delivery(
    *, provider: str, provider_id: str, delivered: bool, code: str = "", detail: str = ""
) -> bool:
    """A gateway's delivery report. Returns whether a message was found.

    Callbacks carry no cooperative, so the row is found by the gateway's id across
    cooperatives: an explicit unscoped read.
    """
    from . import dispatch

    message = message_lock_first(
        Message.unscoped.filter(provider=provider, provider_id=provider_id).order_by("-id")
    )
    if message is None:
        return False
    if message.status not in (Status.SENT, Status.SENDING, Status.DOUBT):
        return True  # already settled (a repeated report)
    Attempt.unscoped.create(
        cooperative_id=message.cooperative_id,
        message=message,
        outcome=Attempt.Outcome.DELIVERED if delivered else Attempt.Outcome.UNDELIVERED,
        code=code[:40],
        detail=detail[:300],
    )
    if delivered:
        message.status = Status.DELIVERED
        message.delivered_at = timezone.now()
        message.save(update_fields=["status", "delivered_at"])
    else:
        message.status = Status.FAILED
        message.error_code = code[:40] or "undelivered"
        message.error = (detail or _("The gateway reports the message was not delivered."))[:300]
        message.save(update_fields=["status", "error_code", "error"])
        dispatch.fall_back(message)
    return True

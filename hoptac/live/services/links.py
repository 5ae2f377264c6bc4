"""A live buyer's link: the address of their own page (``/mua/<token>/``), the message that
carries it, and sending it through the outbox by SMS or Zalo.

The token in the address is the buyer's only key (no account): whoever has the link sees
the buyer's items and may confirm them, so it travels only to the buyer (their phone, or a
private reply to their own comment, ``services/facebook.py``) and is kept out of the logs
(``core/redact.py``). ``link_sent_at`` records the first sending; "send all unsent links"
skips buyers who already have theirs, so pressing it twice sends nothing twice.

The SMS text is an English msgid in the catalogue's "sms" context, translated with
diacritics; the outbox sends it unaccented (GSM-7) and handles the quota and the fallbacks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hoptac.core.audit import audit_record
from hoptac.core.sites import public_base
from hoptac.outbox.models import Kind
from hoptac.outbox.services import queue

from ..models import Claim, ClaimState, LiveBuyer, LiveSession

CHANNELS = ("sms", "zalo")
SOURCE_TYPE = "live_buyer"


def buyer_path(buyer: LiveBuyer) -> str:
    return f"/mua/{buyer.token}/"


def buyer_link(buyer: LiveBuyer, request=None) -> str:
    """The buyer's page, as an absolute address when the platform knows its own."""
    return f"{public_base(request)}{buyer_path(buyer)}"


def held_claims(buyer: LiveBuyer, *, now: dt.datetime | None = None):
    """The buyer's claims still held (and not past their time), with their items."""
    now = now or timezone.now()
    return (
        Claim.objects.filter(buyer=buyer, state=ClaimState.HELD, expires_at__gt=now)
        .select_related("item")
        .order_by("id")
    )


def items_summary(buyer: LiveBuyer, *, now: dt.datetime | None = None) -> str:
    """``M1 x2, C2 x1``: the buyer's held packs by item code."""
    packs: dict[str, int] = {}
    for claim in held_claims(buyer, now=now):
        packs[claim.item.code] = packs.get(claim.item.code, 0) + claim.quantity
    return ", ".join(f"{code} x{n}" for code, n in packs.items())


def confirm_by(buyer: LiveBuyer, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the first of the buyer's held claims expires."""
    now = now or timezone.now()
    return Claim.objects.filter(buyer=buyer, state=ClaimState.HELD, expires_at__gt=now).aggregate(
        first=Min("expires_at")
    )["first"]


def link_text(buyer: LiveBuyer, *, now: dt.datetime | None = None, request=None) -> str:
    """The first message to a buyer: what is held for them, until when, and their link."""
    until = confirm_by(buyer, now=now)
    values = {
        "coop": buyer.cooperative.name,
        "items": items_summary(buyer, now=now),
        "until": timezone.localtime(until).strftime("%H:%M %d/%m") if until else "",
        "link": buyer_link(buyer, request),
    }
    return (
        pgettext("sms", "%(coop)s: we hold %(items)s for you until %(until)s.") % values
        + " "
        + pgettext("sms", "Confirm and choose delivery: %(link)s") % values
    )


def _check_sendable(buyer: LiveBuyer, now: dt.datetime) -> None:
    if buyer.state != LiveBuyer.State.OPEN:
        raise ValidationError(_("This buyer has nothing left to confirm."), code="closed")
    if not buyer.phone:
        raise ValidationError(
            _("This buyer gave no phone number: send the link by a private reply or copy it."),
            code="no_phone",
        )
    if not held_claims(buyer, now=now).exists():
        raise ValidationError(_("Nothing is held for this buyer yet."), code="nothing_held")


@transaction.atomic
def link_send(
    *, buyer: LiveBuyer, channel: str = "sms", again: bool = False, actor=None, now: dt.datetime | None = None
):
    """Queue the buyer's link (SMS, or Zalo with SMS as the fallback) and record when.

    The first sending is claimed with one conditional UPDATE of ``link_sent_at``, so two
    clicks (or the button and "send all") queue one message; ``again=True`` is staff sending
    it once more on purpose. Returns the outbox message, or None when it was sent already.
    """
    now = now or timezone.now()
    if channel not in CHANNELS:
        raise ValidationError(_("Choose SMS or Zalo."), code="channel")
    buyer = LiveBuyer.objects.select_related("cooperative").get(pk=buyer.pk)
    _check_sendable(buyer, now)
    rows = LiveBuyer.objects.filter(pk=buyer.pk)
    if not again:
        rows = rows.filter(link_sent_at__isnull=True)
    if not rows.update(link_sent_at=now):
        return None
    message = queue(
        kind=Kind.ORDER,
        text=link_text(buyer, now=now),
        name=buyer.name,
        phone=buyer.phone,
        channels=["zalo", "sms"] if channel == "zalo" else ["sms"],
        subject=pgettext("sms", "Your order in the live"),
        source_type=SOURCE_TYPE,
        source_id=str(buyer.pk),
        actor=actor,
    )
    audit_record(
        action="live.link_send",
        actor=actor,
        cooperative=buyer.cooperative,
        obj=buyer,
        data={"channel": channel},
    )
    return message


def moved_up_send(*, buyer: LiveBuyer, now: dt.datetime | None = None):
    """Tell a buyer who already has their link that packs came free for them (they moved
    up from the waiting list). Buyers without a link yet get it with "send all"; buyers
    without a phone are answered on the platform. Returns the outbox message or None."""
    now = now or timezone.now()
    buyer = LiveBuyer.objects.select_related("cooperative").get(pk=buyer.pk)
    if buyer.link_sent_at is None or not buyer.phone or buyer.state != LiveBuyer.State.OPEN:
        return None
    until = confirm_by(buyer, now=now)
    values = {
        "coop": buyer.cooperative.name,
        "items": items_summary(buyer, now=now),
        "until": timezone.localtime(until).strftime("%H:%M %d/%m") if until else "",
        "link": buyer_link(buyer),
    }
    return queue(
        kind=Kind.ORDER,
        text=pgettext("sms", "%(coop)s: your turn came, we now hold %(items)s for you until %(until)s.")
        % values
        + " "
        + pgettext("sms", "Confirm and choose delivery: %(link)s") % values,
        name=buyer.name,
        phone=buyer.phone,
        channels=["sms"],
        subject=pgettext("sms", "Your order in the live"),
        source_type=SOURCE_TYPE,
        source_id=str(buyer.pk),
    )


@dataclass
class SendAll:
    sent: int = 0
    no_phone: int = 0


@transaction.atomic
def links_send_unsent(
    *, session: LiveSession, channel: str = "sms", actor=None, now: dt.datetime | None = None
) -> SendAll:
    """Send the link to every buyer of the live who has something held, a phone, and no
    link yet. Buyers without a phone are counted (staff reply to them on the platform)."""
    now = now or timezone.now()
    result = SendAll()
    buyers = LiveBuyer.objects.filter(
        session=session,
        state=LiveBuyer.State.OPEN,
        link_sent_at__isnull=True,
        claims__state=ClaimState.HELD,
        claims__expires_at__gt=now,
    ).distinct()
    for buyer in buyers.order_by("id"):
        if not buyer.phone:
            result.no_phone += 1
            continue
        if link_send(buyer=buyer, channel=channel, actor=actor, now=now) is not None:
            result.sent += 1
    return result

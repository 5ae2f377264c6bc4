"""A field record handed over by SMS (``HT1 …``, :mod:`hoptac.sync.smsform`), applied
exactly once and answered by SMS.

Registered for the first word ``HT1`` in :mod:`hoptac.notify.prefixes` by
:class:`hoptac.sync.apps.SyncConfig`; the inbound webhook (:mod:`hoptac.notify.inbound`)
stores the text once per gateway id and calls :func:`handle` inside its transaction.

1. The sender's phone must be the phone of a collector with a field device (any
   cooperative: an inbound text carries only the sender's phone, so this is an explicit
   cross-cooperative read). A phone with no device is not ours: the text goes on to the
   member commands (an unknown phone gets nothing, a member the help).
2. The text is read; one of that collector's devices must have the text's prefix and a key
   whose check code matches (a changed character, another phone's record or a forged text
   is refused, with a reply and nothing stored).
3. A revoked device, or one whose collector can no longer record receipts in its
   cooperative, is refused and told so (as the API's device check does).
4. :func:`hoptac.sync.services.record_apply` applies the record with ``via="sms"``: the same
   record key as the API, so an SMS sent twice (a new gateway id) or the same record pushed
   later through the API gets the first answer and nothing twice.
5. The reply (the receipt number ``PTM-…``, or why not) goes to the sender through the outbox
   as a ``reply`` in the collector's language, unaccented, one SMS; at most
   :data:`REPLIES_PER_HOUR` replies an hour go to one phone (the record is applied even when
   the reply is not sent; the phone learns the answer at its next push).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import override, pgettext, pgettext_lazy

from hoptac.coops.access import role_in
from hoptac.core.roles import Perm, has_perm
from hoptac.core.tenancy import tenant
from hoptac.notify import services as notify_services
from hoptac.notify.commands import coop_label, fit
from hoptac.outbox.models import Kind, Message
from hoptac.outbox.services import queue

from . import services, smsform
from .models import Device

log = logging.getLogger(__name__)

REPLIES_PER_HOUR = 30  # a collector may hand over a morning's receipts; a loop still stops
SOURCE = "field-sms"


def devices_of_phone(phone: str) -> QuerySet[Device]:
    """Field devices whose collector signs in with this phone, in every active cooperative.

    An explicit cross-cooperative read: an inbound SMS carries only the sender's phone.
    """
    return (
        Device.unscoped.filter(user__phone=phone, user__is_active=True, cooperative__is_active=True)
        .select_related("cooperative", "user")
        .order_by("cooperative_id", "pk")
    )


def replies_last_hour(phone: str) -> int:
    """Replies sent to this phone in the last hour, from any cooperative and for any reason
    (member commands too): the limit protects the phone's bill and stops loops."""
    since = timezone.now() - dt.timedelta(hours=1)
    return Message.unscoped.filter(kind=Kind.REPLY, to_phone=phone, created_at__gte=since).count()


def handle(inbound) -> bool:
    """Apply and answer a text starting with ``HT1``; ``False`` when the sender has no field
    device (the text is then a member's, or nobody's)."""
    devices = list(devices_of_phone(inbound.phone))
    if not devices:
        return False
    notify_services.inbound_mark_known(inbound=inbound)
    try:
        parsed = smsform.parse(inbound.text)
    except smsform.SmsFormError as exc:
        log.info("Field SMS %s unreadable: %s", inbound.pk, exc)
        _reply(inbound, devices[0], _unreadable_text)
        return True
    candidates = [d for d in devices if d.prefix.upper() == parsed.prefix.upper()]
    device = next((d for d in candidates if smsform.verify(parsed, d.sms_key)), None)
    if device is None:
        log.info("Field SMS %s: no device of %s signs it", inbound.pk, inbound.phone)
        _reply(
            inbound, candidates[0] if candidates else devices[0], _refused_text, parsed=parsed, why="check"
        )
        return True
    if not device.is_active:
        why = "revoked"
    elif not has_perm(role_in(device.user, device.cooperative), Perm.RECEIPT_RECORD):
        why = "no_role"
    else:
        why = ""
    if why:
        _reply(inbound, device, _refused_text, parsed=parsed, why=why)
        return True
    services.device_touch(device=device, pushed=True)
    with override(_language(device)):
        answer = services.record_apply(device=device, record=parsed.record, via="sms")
    _reply(inbound, device, _answer_text, parsed=parsed, answer=answer)
    return True


def _language(device) -> str:
    return device.user.language or "vi"


def _reply(inbound, device, make, **values) -> Message | None:
    if replies_last_hour(inbound.phone) >= REPLIES_PER_HOUR:
        log.info("Field SMS %s: no reply, %s is over its replies for the hour", inbound.pk, inbound.phone)
        return None
    coop = device.cooperative
    with tenant(coop), override(_language(device)):
        text = make(coop=coop_label(coop), **values)
        return queue(
            kind=Kind.REPLY,
            text=text,
            user=device.user,
            name=str(device.user)[:120],
            phone=inbound.phone,
            channels=["sms"],
            source_type=SOURCE,
            source_id=inbound.pk,
        )


# --- reply texts (msgids of context "sms", unaccented by fit) -------------------------------------


def _unreadable_text(*, coop: str) -> str:
    return fit(
        pgettext(
            "sms",
            "%(coop)s: this text could not be read as a field record, nothing was recorded. "
            "Send it again from the app without changing it.",
        )
        % {"coop": coop}
    )


# Why a text that was read is refused before its record is applied: whole sentences, each
# translated as one.
_REFUSED = {
    "check": pgettext_lazy(
        "sms",
        "%(coop)s: record %(no)s was not recorded: the check code does not match (the text was "
        "changed, or is not from this phone). Send it again from the app.",
    ),
    "revoked": pgettext_lazy(
        "sms",
        "%(coop)s: record %(no)s was not recorded: the field app on this phone was switched off "
        "by the chair. Ask the chair.",
    ),
    "no_role": pgettext_lazy(
        "sms",
        "%(coop)s: record %(no)s was not recorded: your account can no longer record receipts "
        "for this cooperative. Ask the chair.",
    ),
}


def _refused_text(*, coop: str, parsed, why: str) -> str:
    return fit(str(_REFUSED[why]) % {"coop": coop, "no": parsed.record["no"]})


def _answer_text(*, coop: str, parsed, answer: dict) -> str:
    values = {
        "coop": coop,
        "no": parsed.record["no"],
        "number": answer.get("number", ""),
        "message": answer.get("message", ""),
    }
    state = answer.get("state")
    replay = answer.get("replay", False)
    if state == "applied":
        text = pgettext("sms", "%(coop)s: record %(no)s is recorded as %(number)s.")
    elif state == "flagged":
        text = pgettext(
            "sms",
            "%(coop)s: record %(no)s is recorded as %(number)s at the price you saw; "
            "the accountant will check the price.",
        )
    elif state == "pending":
        text = pgettext("sms", "%(coop)s: record %(no)s is received, waiting for approval: %(message)s")
    elif state == "retry":
        text = pgettext(
            "sms", "%(coop)s: record %(no)s is not recorded yet: %(message)s Send it again later."
        )
    else:  # refused, conflict
        text = pgettext("sms", "%(coop)s: record %(no)s was NOT recorded: %(message)s")
    if replay:
        text = pgettext("sms", "(Already received.) %(text)s") % {"text": text}
    return fit(text % values)

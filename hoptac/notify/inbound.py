"""The inbound SMS webhook: ``POST /hooks/sms/<gateway>/`` with the gateway's secret in
``X-Hoptac-Secret`` or an ``X-Hoptac-Signature`` of the body, or (for gateways that can
only be given an address) ``POST /hooks/sms/<gateway>/<secret>/`` — see
:mod:`hoptac.outbox.hooks`, which authenticates both and reads the body within limits.

A gateway posts each text members send to the cooperative's number, as a form or as
JSON, with the sender (``phone``, ``from``, ``sender`` or ``Phone``; ``09…``, ``849…`` or
``+849…``), the text (``message``, ``text``, ``content`` or ``Content``) and its own id
(``id``, ``message_id``, ``SMSID`` or ``msg_id``; without one, an id is made from the
phone, the text and the minute). Field names are read case-insensitively.

The text is stored once per (gateway, id): a gateway delivering it again gets the same
answer and nothing new happens (no second reply). Replies go through the outbox in the
same transaction (:func:`hoptac.notify.commands.handle`), so this answers quickly. A text
whose first word has a registered handler (:mod:`hoptac.notify.prefixes`: ``HT1``, a field
record handed over by SMS) goes to that handler first (:func:`answer`).

Answers: 404 for an unknown gateway or a wrong or absent secret (compared in constant
time), 405 for anything but POST, 400 for a body that cannot be read (over 64 KB, JSON
nested deeper than 32, too many form fields, no sender, no text, a sender that is not a
Vietnamese number), otherwise 200 with the same small JSON whoever sent the
text, so nothing about members is disclosed. Fields in the query string are read too.
"""

from __future__ import annotations

import hashlib
import logging

from django.db import IntegrityError, transaction
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.outbox import hooks

from . import commands, prefixes, services
from .models import InboundSms

log = logging.getLogger(__name__)

PHONE_FIELDS = ("phone", "from", "sender")
TEXT_FIELDS = ("message", "text", "content")
ID_FIELDS = ("id", "message_id", "smsid", "msg_id")
MAX_TEXT = InboundSms._meta.get_field("text").max_length
MAX_ID = InboundSms._meta.get_field("gateway_id").max_length
MAX_GATEWAY = InboundSms._meta.get_field("gateway").max_length


class Malformed(ValueError):
    """The body does not hold a sender and a text we can read."""


def _fields(request, body: bytes) -> dict[str, object]:
    """The query string's fields, updated with those of a JSON or form body."""
    data: dict[str, object] = {key: request.GET.get(key) for key in request.GET}
    if request.content_type == "application/json" or body.lstrip()[:1] in (b"{", b"["):
        try:
            parsed = hooks.parse_json(body)
        except ValueError as exc:  # malformed, not UTF-8, too large or too deep
            raise Malformed(f"not JSON: {exc}") from exc
        if not isinstance(parsed, dict):
            raise Malformed("not a JSON object")
        data.update(parsed)
    else:
        try:
            data.update({key: request.POST.get(key) for key in request.POST})
        except hooks.BODY_ERRORS as exc:  # a broken multipart body, too many fields
            raise Malformed("bad form") from exc
    return {str(key).lower(): value for key, value in data.items()}


def _value(data: dict[str, object], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, str | int):
            return str(value)
        raise Malformed(f"{name} is not text")
    return None


def _minute() -> str:
    return timezone.now().strftime("%Y%m%d%H%M")


def read(request, gateway: str, body: bytes) -> tuple[str, str, str]:
    """(phone, text, gateway id) of a gateway's request, or :class:`Malformed`."""
    data = _fields(request, body)
    raw_phone = _value(data, PHONE_FIELDS)
    text = _value(data, TEXT_FIELDS)
    if raw_phone is None or text is None:
        raise Malformed("phone or text missing")
    try:
        phone = normalize_phone(raw_phone)
    except InvalidPhone as exc:
        raise Malformed("not a Vietnamese phone number") from exc
    text = text.replace("\x00", "").strip()[:MAX_TEXT]
    gateway_id = (_value(data, ID_FIELDS) or "").replace("\x00", "").strip()
    if not gateway_id:
        minute = _minute()
        digest = hashlib.sha256(f"{gateway}\n{phone}\n{text}\n{minute}".encode()).hexdigest()
        gateway_id = f"h-{digest[:40]}"
    elif len(gateway_id) > MAX_ID:
        gateway_id = f"h-{hashlib.sha256(gateway_id.encode()).hexdigest()[:40]}"
    return phone, text, gateway_id


def _ok() -> JsonResponse:
    """The same answer whoever sent the text and whatever happened to it."""
    return JsonResponse({"ok": True})


def answer(inbound: InboundSms) -> None:
    """A text whose first word has a handler (:mod:`hoptac.notify.prefixes`, e.g. a field
    record handed over as ``HT1 …``) goes to it first; otherwise, or when the handler does not
    take it, it is a member's command."""
    handler = prefixes.handler_for(inbound.text)
    if handler is not None:
        with transaction.atomic():
            if handler(inbound):
                return
    commands.handle(inbound)


@csrf_exempt
def webhook(request, gateway: str, secret: str | None = None):
    if secret is not None:
        hooks.check_secret(gateway, secret)  # a wrong secret is 404 whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        body = hooks.authenticate(request, gateway, secret)
        phone, text, gateway_id = read(request, gateway, body)
    except (Malformed, hooks.BadBody) as exc:
        log.info("Inbound SMS from %s refused: %s", gateway, exc)
        return HttpResponseBadRequest("bad request", content_type="text/plain")
    gateway = gateway[:MAX_GATEWAY]
    with transaction.atomic():
        if InboundSms.objects.filter(gateway=gateway, gateway_id=gateway_id).exists():
            return _ok()
        try:
            with transaction.atomic():
                inbound = services.inbound_store(
                    gateway=gateway, gateway_id=gateway_id, phone=phone, text=text
                )
        except IntegrityError:
            return _ok()  # the same text delivered twice at once: the other request answers it
        try:
            with transaction.atomic():
                answer(inbound)
        except Exception:
            # The text stays stored; a failed answer must not make the gateway resend it.
            log.exception("Could not answer inbound SMS %s", inbound.pk)
    return _ok()

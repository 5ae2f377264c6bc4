"""Zalo Notification Service (ZNS): approved templates sent to a phone number from the
platform's Official Account.

The access token lives in the one :class:`~hoptac.outbox.models.ZaloToken` row and is
refreshed with the refresh token. Zalo's refresh tokens are single-use: whoever refreshes
first gets a new pair and the old refresh token is dead. So a refresh happens inside a
transaction holding the row's lock (``core.locks.zalo_token_lock``); after taking the lock the expiry is
checked again (another worker may have refreshed meanwhile) and the new pair is stored
before the lock is released.

ZNS does not, as far as we know, refuse a ``tracking_id`` it has seen, so the transport is
not idempotent: an interrupted send becomes "unknown" (``doubt``) for staff.
Error codes and their handling are listed in ``docs/gateways.md``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.locks import zalo_token_lock

from .. import services as outbox_services
from ..models import ZaloToken
from . import Outcome, Transport
from .esms import gateway_answer, http_client, network_outcome, timeout

log = logging.getLogger(__name__)

SEND_PATH = "/message/template"
OAUTH_PATH = "/v4/oa/access_token"
TOKEN_ROW = 1
#: refresh this long before Zalo's expiry, so a token does not run out mid-request
EXPIRY_MARGIN = dt.timedelta(minutes=5)
DEFAULT_LIFETIME = 3600

TOKEN_INVALID = -124
#: worth a retry: unknown error, rate limits, sending hours (no ZNS at night)
TRANSIENT_CODES = {-100, -32, -133}


def _messages() -> dict[int, str]:
    return {
        -108: _("Zalo says the phone number is not valid."),
        -109: _("Zalo does not know this ZNS template id."),
        -110: _("The recipient's Zalo app is too old to receive ZNS."),
        -111: _("The ZNS template data is empty."),
        -112: _("The ZNS template data does not fit the template."),
        -114: _("The recipient cannot receive ZNS (inactive, refused, or an old Zalo version)."),
        -115: _("The Zalo Official Account has no ZNS quota left."),
        -117: _("The Official Account may not use this ZNS template."),
        -118: _("This phone number has no Zalo account."),
        -119: _("This Zalo account cannot receive ZNS."),
        -124: _("Zalo refused the access token even after a refresh."),
        -131: _("The ZNS template is not approved."),
        -139: _("The recipient turned off ZNS messages."),
        -100: _("Zalo had an unknown error; will retry."),
        -32: _("Zalo's rate limit was reached; will retry."),
        -133: _("Zalo does not send ZNS at this hour; will retry."),
    }


def config() -> dict:
    return settings.OUTBOX["ZALO"]


def international(phone: str) -> str:
    """``0912345678`` → ``84912345678`` (ZNS wants the international form without +)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


class ZaloAuthError(Exception):
    """No access token can be had: no refresh token, or Zalo refused it (permanent)."""


# --- Tokens -------------------------------------------------------------------------------


def _fresh(row: ZaloToken | None, now) -> bool:
    return bool(row and row.access_token and row.expires_at and row.expires_at - EXPIRY_MARGIN > now)


def access_token(*, stale: str = "") -> str:
    """A valid access token, refreshed when missing or expired, or when Zalo just refused
    ``stale`` (and nobody has replaced it yet). Raises :class:`ZaloAuthError` or
    ``httpx.HTTPError``."""
    row = ZaloToken.objects.filter(pk=TOKEN_ROW).first()
    if _fresh(row, timezone.now()) and row.access_token != stale:
        return row.access_token
    with transaction.atomic():
        row = zalo_token_lock(ZaloToken, TOKEN_ROW)
        if row is None:
            outbox_services.zalo_token_create(pk=TOKEN_ROW, refresh_token=config()["REFRESH_TOKEN"])
            row = zalo_token_lock(ZaloToken, TOKEN_ROW)
        # Checked again under the lock: another worker may have refreshed meanwhile.
        if _fresh(row, timezone.now()) and row.access_token != stale:
            return row.access_token
        _refresh(row)
    return row.access_token


def _refresh(row: ZaloToken) -> None:
    """Trade the (single-use) refresh token for a new pair and store it; the caller holds
    the row lock. The HTTP call happens under the lock on purpose: nobody else may use the
    refresh token while it is being traded."""
    conf = config()
    if not row.refresh_token:
        raise ZaloAuthError(_("No Zalo refresh token: set HOPTAC_ZALO_REFRESH_TOKEN."))
    response = http_client().post(
        conf["OAUTH_URL"].rstrip("/") + OAUTH_PATH,
        headers={"secret_key": conf["SECRET_KEY"]},
        data={"app_id": conf["APP_ID"], "grant_type": "refresh_token", "refresh_token": row.refresh_token},
        timeout=timeout(),
    )
    if response.status_code >= 500:
        raise httpx.HTTPStatusError("Zalo OAuth server error", request=response.request, response=response)
    try:
        data = response.json()
    except ValueError:
        raise httpx.DecodingError("Zalo OAuth answer is not JSON", request=response.request) from None
    if not isinstance(data, dict) or not data.get("access_token") or not data.get("refresh_token"):
        reason = ""
        if isinstance(data, dict):
            reason = str(data.get("error_description") or data.get("error_name") or data.get("error") or "")
        log.error("Zalo refused the refresh token: %s", reason[:200])
        raise ZaloAuthError(_("Zalo refused the refresh token: %(error)s") % {"error": reason[:200]})
    try:
        lifetime = int(data.get("expires_in") or DEFAULT_LIFETIME)
    except (TypeError, ValueError):
        lifetime = DEFAULT_LIFETIME
    outbox_services.zalo_token_store(
        row=row,
        access_token=data["access_token"],
        refresh_token=data["refresh_token"],
        expires_at=timezone.now() + dt.timedelta(seconds=lifetime),
    )


# --- Sending ------------------------------------------------------------------------------


class ZaloTransport(Transport):
    name = "zalo"
    channel = "zalo"
    idempotent = False  # ZNS does not refuse a tracking_id it has seen (as far as we know)

    def can_send(self, *, kind, phone, email, has_account):
        return bool(phone) and bool(config()["TEMPLATES"].get(kind))

    def send(self, message) -> Outcome:
        template = message.zalo_template or str(config()["TEMPLATES"].get(message.kind, ""))
        if not template:
            return Outcome.permanent("no_template", _("No Zalo template is set for this kind of message."))
        body = {
            "phone": international(message.to_phone),
            "template_id": template,
            "template_data": message.zalo_data or {},
            "tracking_id": message.request_id,
        }
        token = ""
        try:
            for _try in range(2):  # a second time only after Zalo refused the token
                token = access_token(stale=token)
                data, failed = self._post(body, token)
                if failed is not None:
                    return failed
                if self._code(data) != TOKEN_INVALID:
                    break
        except ZaloAuthError as exc:
            return Outcome.permanent("zalo_auth", str(exc))
        except httpx.HTTPError as exc:
            return network_outcome(exc)
        return self.outcome(data)

    @staticmethod
    def _post(body: dict, token: str) -> tuple[dict, Outcome | None]:
        url = config()["API_URL"].rstrip("/") + SEND_PATH
        response = http_client().post(url, json=body, headers={"access_token": token}, timeout=timeout())
        data = gateway_answer(response, lambda d: "error" in d)
        return ({}, data) if isinstance(data, Outcome) else (data, None)

    @staticmethod
    def _code(data: Mapping) -> int | None:
        try:
            return int(data.get("error"))
        except (TypeError, ValueError):
            return None

    @classmethod
    def outcome(cls, data: Mapping) -> Outcome:
        code = cls._code(data)
        if code == 0:
            info = data.get("data") if isinstance(data.get("data"), dict) else {}
            msg_id = str(info.get("msg_id") or "")
            if not msg_id:
                return Outcome.transient("bad_response", _("Zalo accepted but gave no message id."))
            return Outcome.sent(provider_id=msg_id)
        text = str(data.get("message") or "")[:200]
        if code is None:
            return Outcome.transient("bad_response", _("Zalo sent an answer that could not be read."))
        detail = _messages().get(code) or _("Zalo refused the message (error %(code)s): %(error)s") % {
            "code": code,
            "error": text,
        }
        if code in TRANSIENT_CODES:
            return Outcome.transient(str(code), detail)
        return Outcome.permanent(str(code), detail)


# --- Delivery reports ---------------------------------------------------------------------


def parse_report(data: Mapping) -> list[dict]:
    """The Official Account webhook: ``user_received_message`` (its ``message.msg_id`` is
    the id the send returned) means delivered. Other events are ignored. Raises
    ``ValueError`` on malformed input."""
    event = data.get("event_name")
    if not isinstance(event, str) or not event:
        raise ValueError("event_name missing")
    if event != "user_received_message":
        return []
    message = data.get("message")
    msg_id = message.get("msg_id") if isinstance(message, dict) else None
    if not isinstance(msg_id, (str, int)) or isinstance(msg_id, bool) or not str(msg_id).strip():
        raise ValueError("message.msg_id missing")
    if len(str(msg_id)) > 80:
        raise ValueError("message.msg_id too long")
    return [{"provider_id": str(msg_id).strip(), "delivered": True}]

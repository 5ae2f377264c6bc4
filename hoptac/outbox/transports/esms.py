"""eSMS (ViHAT): SMS brandname through ``SendMultipleMessage_V4_post_json``.

eSMS remembers our ``RequestId`` and answers ``124`` when it sees it again, so a row
that was being sent when a worker died can safely be sent again: the member gets one SMS.
The final status comes later by HTTP callback to the ``CallbackUrl`` we give
(:func:`parse_report`, wired in :mod:`hoptac.outbox.hooks`).

Answer codes (``CodeResult``) and what the outbox does with them are listed in
``docs/gateways.md``.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Mapping

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from hoptac.lib.sms import is_gsm7

from . import Outcome, Transport

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"

ACCEPTED = "100"
DUPLICATE = "124"
#: CodeResult values worth a retry; every other refusal is permanent.
TRANSIENT_CODES = {"99"}
#: HTTP statuses worth a retry besides 5xx.
TRANSIENT_HTTP = {408, 425, 429}

# SendStatus of a delivery report (eSMS "Callback Url" page).
STATUS_REJECTED = 4
STATUS_DONE = 5


def _messages() -> dict[str, str]:
    return {
        "101": _("eSMS refused the API key or secret key."),
        "102": _("eSMS has no price list for this account."),
        "103": _("The eSMS account does not have enough balance."),
        "104": _("The brandname is not registered with eSMS."),
        "108": _("eSMS says the phone number is not valid."),
        "140": _("This server's IP address is not on the eSMS whitelist."),
        "146": _("eSMS refused the text: it does not match a registered template."),
        "177": _("The recipient's network is not registered for this brandname."),
        "99": _("eSMS answered 99 (phone blocked or unknown error); will retry."),
    }


def config() -> dict:
    return settings.OUTBOX["ESMS"]


# --- HTTP, shared with the SpeedSMS and Zalo clients ---------------------------------------

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def http_client() -> httpx.Client:
    """One client per process, shared by the worker's threads: its connection pool saves
    a TLS handshake per message (building a client alone takes tens of milliseconds).
    Every request passes its own :func:`timeout`."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=timeout(), follow_redirects=False)
        return _client


def _forget_client() -> None:
    global _client
    _client = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_client)  # sockets are not shared across a fork


def timeout() -> httpx.Timeout:
    """``HOPTAC_GATEWAY_TIMEOUT`` seconds for each step (connect at most 10 s)."""
    seconds = float(settings.OUTBOX["TIMEOUT_SECONDS"])
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


def callback_url() -> str:
    """Where eSMS reports the final status, or "" when no public address or secret is set."""
    base = (settings.PUBLIC_URL or "").rstrip("/")
    secret = settings.OUTBOX["HOOK_SECRETS"].get("esms") or ""
    if not base or not secret:
        return ""
    return base + reverse("outbox_hooks:delivery_report", kwargs={"gateway": "esms", "secret": secret})


def payload(message) -> dict:
    conf = config()
    body = {
        "ApiKey": conf["API_KEY"],
        "SecretKey": conf["SECRET_KEY"],
        "Phone": message.to_phone,
        "Content": message.body,
        "Brandname": conf["BRANDNAME"],
        "SmsType": str(conf["SMS_TYPE"]),
        "IsUnicode": 0 if is_gsm7(message.body) else 1,
        "RequestId": message.request_id,
    }
    url = callback_url()
    if url:
        body["CallbackUrl"] = url
    return body


def network_outcome(exc: httpx.HTTPError) -> Outcome:
    """A network failure, always worth a retry. A connection that timed out
    (``connect_timeout``) or was refused never reached the gateway; no answer in time
    (``timeout``) or a dropped connection may have: only an idempotent gateway can tell
    on the retry."""
    if isinstance(exc, httpx.ConnectTimeout):
        return Outcome.transient(
            "connect_timeout", _("Could not connect to the gateway in time: %(error)s") % {"error": exc}
        )
    if isinstance(exc, httpx.TimeoutException):
        return Outcome.transient(
            "timeout", _("The gateway did not answer in time: %(error)s") % {"error": exc}
        )
    if isinstance(exc, httpx.ConnectError):
        return Outcome.transient("network", _("Could not reach the gateway: %(error)s") % {"error": exc})
    # Read/write errors, a dropped connection: the request may have got through.
    return Outcome.transient("dropped", _("The connection to the gateway broke: %(error)s") % {"error": exc})


def gateway_answer(response: httpx.Response, is_answer) -> dict | Outcome:
    """The gateway's JSON answer when ``is_answer(data)`` recognises it (and the HTTP status
    is not a server error or a rate limit), otherwise the outcome of the HTTP failure or of
    an answer that cannot be read."""
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    if status < 500 and status not in TRANSIENT_HTTP and isinstance(data, dict) and is_answer(data):
        return data
    return http_outcome(response) or Outcome.transient(
        "bad_response", _("The gateway sent an answer that could not be read.")
    )


def http_outcome(response: httpx.Response) -> Outcome | None:
    """An outcome for an HTTP error status, or None for a 2xx answer."""
    status = response.status_code
    if status < 300:
        return None
    detail = _("The gateway answered HTTP %(status)s.") % {"status": status}
    if status >= 500 or status in TRANSIENT_HTTP:
        return Outcome.transient(f"http_{status}", detail)
    return Outcome.permanent(f"http_{status}", detail)


class EsmsTransport(Transport):
    name = "esms"
    channel = "sms"
    idempotent = True  # eSMS refuses a RequestId it has seen (code 124)

    def can_send(self, *, kind, phone, email, has_account):
        return bool(phone)

    def send(self, message) -> Outcome:
        conf = config()
        if not (conf["API_KEY"] and conf["SECRET_KEY"]):
            return Outcome.permanent("not_configured", _("eSMS is chosen but its API key is not set."))
        url = conf["URL"].rstrip("/") + SEND_PATH
        try:
            response = http_client().post(url, json=payload(message), timeout=timeout())
        except httpx.HTTPError as exc:
            return network_outcome(exc)
        data = gateway_answer(response, lambda d: "CodeResult" in d)
        return data if isinstance(data, Outcome) else self.outcome(data)

    @staticmethod
    def outcome(data: Mapping) -> Outcome:
        code = str(data.get("CodeResult", "")).strip()
        sms_id = str(data.get("SMSID") or "")
        if code == ACCEPTED:
            return Outcome.sent(provider_id=sms_id)
        if code == DUPLICATE:
            return Outcome.duplicate(provider_id=sms_id)
        detail = _messages().get(code) or _("eSMS refused the message (code %(code)s): %(error)s") % {
            "code": code,
            "error": str(data.get("ErrorMessage") or "")[:200],
        }
        if code in TRANSIENT_CODES:
            return Outcome.transient(code, detail)
        return Outcome.permanent(code or "unknown", detail)


# --- Delivery reports ---------------------------------------------------------------------


def _int(value) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(f"not a number: {value!r}") from None


def parse_report(data: Mapping) -> list[dict]:
    """eSMS's callback (a GET query, or the same fields POSTed) → delivery reports.

    ``SendStatus`` 5 means eSMS finished with the message: not delivered when
    ``SendFailed`` counts it and ``SendSuccess`` does not, delivered otherwise (eSMS's own
    samples report finished messages with both counts at 0); 4 means rejected. 1, 2 and 7
    (and any status eSMS may add) are interim and change nothing. Raises ``ValueError``
    on malformed input.
    """
    sms_id = str(data.get("SMSID") or "").strip()
    if not sms_id or len(sms_id) > 80:
        raise ValueError("SMSID missing")
    status = _int(data.get("SendStatus"))
    request_id = str(data.get("RequestId") or "").strip()
    if status == STATUS_DONE:
        success = _int(data["SendSuccess"]) if str(data.get("SendSuccess") or "").strip() else 0
        failed = _int(data["SendFailed"]) if str(data.get("SendFailed") or "").strip() else 0
        delivered = not (failed > 0 and success == 0)
        return [
            {
                "provider_id": sms_id,
                "delivered": delivered,
                "code": "" if delivered else "esms_failed",
                "detail": "" if delivered else _("eSMS reports the SMS was not delivered."),
                "request_id": request_id,
            }
        ]
    if status == STATUS_REJECTED:
        return [
            {
                "provider_id": sms_id,
                "delivered": False,
                "code": "esms_rejected",
                "detail": _("eSMS rejected the SMS."),
                "request_id": request_id,
            }
        ]
    return []  # interim: waiting for approval, waiting to send, at the telco


def adopt_provider_id(request_id: str, sms_id: str) -> None:
    """Give eSMS's SMSID to the row that sent ``RequestId`` when the row does not know it
    yet (its accepted answer was lost and the retry only got "duplicate")."""
    from .. import services

    try:
        key = uuid.UUID(hex=request_id)
    except (TypeError, ValueError):
        return
    services.provider_id_adopt(provider="esms", request_id=key.hex, provider_id=sms_id)

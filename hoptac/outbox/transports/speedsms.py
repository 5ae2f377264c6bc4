"""SpeedSMS: ``POST /index.php/sms/send`` with HTTP Basic (the API token as user, "x" as
password).

SpeedSMS has no request id: it cannot tell us that it already has a message. So the
transport is not idempotent; a row interrupted mid-send is marked "unknown" (``doubt``)
for staff instead of being sent again (see :mod:`hoptac.outbox.dispatch`).
Error codes and their handling are listed in ``docs/gateways.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from . import Outcome, Transport
from .esms import gateway_answer, http_client, network_outcome, timeout

SEND_PATH = "/index.php/sms/send"

#: error codes worth a retry ("500: internal error, please try again"); others are permanent
TRANSIENT_CODES = {"500"}


def _messages() -> dict[str, str]:
    return {
        "007": _("SpeedSMS has locked this server's IP address."),
        "008": _("The SpeedSMS account is blocked."),
        "009": _("The SpeedSMS account is not allowed to use the API."),
        "101": _("SpeedSMS refused the request: invalid or missing parameters."),
        "105": _("SpeedSMS says the phone number is not valid."),
        "110": _("SpeedSMS does not support the encoding of this text."),
        "113": _("SpeedSMS says the text is too long."),
        "300": _("The SpeedSMS account does not have enough balance."),
        "500": _("SpeedSMS had an internal error; will retry."),
    }


def config() -> dict:
    return settings.OUTBOX["SPEEDSMS"]


def _cost(value) -> int | None:
    try:
        cost = float(value)
    except (TypeError, ValueError):
        return None
    return round(cost) if cost >= 0 else None


class SpeedSmsTransport(Transport):
    name = "speedsms"
    channel = "sms"
    idempotent = False  # no request id: an interrupted send is left for staff to check

    def can_send(self, *, kind, phone, email, has_account):
        return bool(phone)

    def send(self, message) -> Outcome:
        conf = config()
        if not conf["TOKEN"]:
            return Outcome.permanent("not_configured", _("SpeedSMS is chosen but its API token is not set."))
        body = {
            "to": [message.to_phone],
            "content": message.body,
            "sms_type": conf["SMS_TYPE"],
            "sender": conf["SENDER"],
        }
        try:
            response = http_client().post(
                conf["URL"].rstrip("/") + SEND_PATH,
                json=body,
                auth=httpx.BasicAuth(conf["TOKEN"], "x"),
                timeout=timeout(),
            )
        except httpx.HTTPError as exc:
            return network_outcome(exc)
        if response.status_code == 401:
            return Outcome.permanent("http_401", _("SpeedSMS refused the API token."))
        data = gateway_answer(response, lambda d: d.get("status") in ("success", "error"))
        return data if isinstance(data, Outcome) else self.outcome(data, phone=message.to_phone)

    @staticmethod
    def outcome(data: Mapping, *, phone: str = "") -> Outcome:
        code = str(data.get("code", "")).strip()
        if data.get("status") == "success" and code == "00":
            info = data.get("data") if isinstance(data.get("data"), dict) else {}
            invalid = info.get("invalidPhone") or []
            if phone and phone in invalid:
                return Outcome.permanent("105", _messages()["105"])
            tran_id = info.get("tranId")
            if tran_id in (None, ""):
                return Outcome.transient("bad_response", _("SpeedSMS accepted but gave no transaction id."))
            return Outcome.sent(provider_id=str(tran_id), cost_vnd=_cost(info.get("totalPrice")))
        detail = _messages().get(code) or _("SpeedSMS refused the message (code %(code)s): %(error)s") % {
            "code": code,
            "error": str(data.get("message") or "")[:200],
        }
        if code in TRANSIENT_CODES:
            return Outcome.transient(code, detail)
        return Outcome.permanent(code or "unknown", detail)


# --- Delivery reports ---------------------------------------------------------------------


def parse_report(data: Mapping) -> list[dict]:
    """SpeedSMS's delivery report, POSTed as JSON: ``{"type": "report", "tranId": …,
    "phone": …, "status": 0}`` (0 = delivered, anything else = not delivered).

    Other types (an inbound SMS posted to the wrong address) are ignored. Raises
    ``ValueError`` on malformed input.
    """
    kind = data.get("type", "report")
    if kind != "report":
        return []
    tran_id = data.get("tranId")
    if tran_id in (None, "") or isinstance(tran_id, (dict, list, bool)) or len(str(tran_id)) > 80:
        raise ValueError("tranId missing")
    status = data.get("status")
    if isinstance(status, bool):
        raise ValueError("status is not a number")
    try:
        status = int(str(status).strip())
    except (TypeError, ValueError):
        raise ValueError("status is not a number") from None
    delivered = status == 0
    return [
        {
            "provider_id": str(tran_id),
            "delivered": delivered,
            "code": "" if delivered else f"speedsms_{status}",
            "detail": "" if delivered else _("SpeedSMS reports the SMS was not delivered."),
        }
    ]

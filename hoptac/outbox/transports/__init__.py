"""Transports hand one outbox row to one channel's gateway and say what happened.

Each transport returns an :class:`Outcome` and never raises for a gateway's answer:
``sent`` (accepted; ``provider_id`` is the gateway's id), ``duplicate`` (the gateway
already has this request id: an earlier attempt got through), ``transient`` (worth a
retry: timeouts, 5xx, rate limits) or ``permanent`` (retrying cannot help: bad number,
bad key, no such Zalo account — the next channel is tried).

``idempotent`` says whether the gateway recognises our request id. Only then is a row
that was being sent when a worker died sent again; otherwise it is marked "unknown" for
staff to check, so nobody receives the same SMS twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings


@dataclass(frozen=True)
class Outcome:
    kind: str  # "sent" | "duplicate" | "transient" | "permanent" (dispatch adds "unknown")
    provider_id: str = ""
    code: str = ""
    detail: str = ""
    cost_vnd: int | None = None

    @classmethod
    def sent(cls, provider_id: str = "", **kw) -> Outcome:
        return cls("sent", provider_id=provider_id, **kw)

    @classmethod
    def duplicate(cls, provider_id: str = "", **kw) -> Outcome:
        return cls("duplicate", provider_id=provider_id, **kw)

    @classmethod
    def transient(cls, code: str, detail: str = "") -> Outcome:
        return cls("transient", code=code, detail=detail[:300])

    @classmethod
    def permanent(cls, code: str, detail: str = "") -> Outcome:
        return cls("permanent", code=code, detail=detail[:300])


class Transport(ABC):
    name = ""
    channel = ""
    idempotent = False
    #: a development backend: nothing leaves the machine (the staff pages say so)
    development = False

    @abstractmethod
    def send(self, message) -> Outcome:
        """Hand ``message`` to the gateway; never raise for the gateway's answer."""

    def can_send(self, *, kind: str, phone: str, email: str, has_account: bool) -> bool:
        return True


SMS_BACKENDS = {
    "file": "hoptac.outbox.transports.dev.FileSms",
    "console": "hoptac.outbox.transports.dev.ConsoleSms",
    "esms": "hoptac.outbox.transports.esms.EsmsTransport",
    "speedsms": "hoptac.outbox.transports.speedsms.SpeedSmsTransport",
}


def _load(path: str):
    module, _dot, name = path.rpartition(".")
    return getattr(import_module(module), name)()


def transport_for(channel: str) -> Transport | None:
    """The transport configured for ``channel``, or ``None`` when the channel is off."""
    config = settings.OUTBOX
    if channel == "sms":
        backend = config["SMS_BACKEND"]
        return _load(SMS_BACKENDS.get(backend, backend))
    if channel == "zalo":
        if not config["ZALO"].get("APP_ID") and config.get("ZALO_BACKEND") != "file":
            return None
        if config.get("ZALO_BACKEND") == "file":
            return _load("hoptac.outbox.transports.dev.FileZalo")
        return _load("hoptac.outbox.transports.zalo.ZaloTransport")
    if channel == "email":
        return _load("hoptac.outbox.transports.dev.EmailTransport")
    if channel == "app":
        return _load("hoptac.outbox.transports.dev.AppTransport")
    return None

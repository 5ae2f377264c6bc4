"""Carriers' APIs (GHTK, GHN) behind one interface: :mod:`.base`. ``client_for(name, …)``
returns the client of a carrier; the shop's shipping service only sees the interface."""

from __future__ import annotations

from .base import (
    CALLBACK_HEADER,
    Address,
    BadSignature,
    CarrierClient,
    CarrierError,
    Created,
    Parcel,
    Quote,
    Status,
    StatusUpdate,
    sign_callback,
)

API_CARRIERS = ("ghtk", "ghn")


def client_class(carrier: str) -> type[CarrierClient]:
    """The client class of a carrier (for ``read_callback``, a static method)."""
    if carrier == "ghtk":
        from .ghtk import GhtkClient

        return GhtkClient
    if carrier == "ghn":
        from .ghn import GhnClient

        return GhnClient
    raise CarrierError(f"no API client for carrier {carrier!r}")


def client_for(
    carrier: str, *, token: str, shop_id: str = "", base_url: str | None = None, timeout: float = 15.0
) -> CarrierClient:
    """The API client of ``carrier`` ("ghtk" or "ghn") with a cooperative's credentials.
    ``base_url`` points it elsewhere (tests: a local fake server)."""
    cls = client_class(carrier)
    if carrier == "ghn":
        return cls(token=token, shop_id=shop_id, base_url=base_url, timeout=timeout)
    return cls(token=token, base_url=base_url, timeout=timeout)


def read_callback(carrier: str, *, headers, body: bytes, secret: str, query=None) -> list[StatusUpdate]:
    """Check and read a carrier's status callback: :class:`BadSignature` when the secret is
    missing or wrong, ``ValueError`` when the body cannot be read."""
    return client_class(carrier).read_callback(headers=headers, body=body, secret=secret, query=query)


__all__ = [
    "API_CARRIERS",
    "CALLBACK_HEADER",
    "Address",
    "BadSignature",
    "CarrierClient",
    "CarrierError",
    "Created",
    "Parcel",
    "Quote",
    "Status",
    "StatusUpdate",
    "client_class",
    "client_for",
    "read_callback",
    "sign_callback",
]

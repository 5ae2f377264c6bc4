"""One interface for the carriers' APIs, like the SMS gateways: quote a fee, create a
shipment, fetch its label, cancel it, and read a status callback. Pure: ``httpx`` and
the standard library, no Django models. Each carrier module maps its own statuses onto
:class:`Status`.

Addresses: we store post-2025 units (province + commune/ward codes, ``lib.places``); a
carrier that still wants the pre-2025 three levels gets names (GHTK) or its own ids
(GHN: district id + ward code, looked up once and stored on the carrier account). The
:class:`Address` carries both the names and the carrier's refs where known.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field


class CarrierError(Exception):
    """The carrier refused or could not be reached; ``message`` is safe to show staff."""

    def __init__(self, message: str, *, retry: bool = False, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.status = status


class BadSignature(Exception):
    """A callback whose signature or secret does not check: refuse it (HTTP 403)."""


class Status(enum.StrEnum):
    CREATED = "created"
    PICKED = "picked"
    IN_TRANSIT = "transit"
    DELIVERED = "delivered"
    FAILED = "failed"
    RETURNING = "returning"
    RETURNED = "returned"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    street: str  # house number, street, village
    ward: str  # commune / ward name (post-2025)
    province: str  # province name (post-2025)
    ward_code: int | None = None  # lib.places code
    province_code: int | None = None
    district: str = ""  # pre-2025 district name, when a carrier insists
    carrier_district_ref: str = ""  # the carrier's own id (GHN to_district_id)
    carrier_ward_ref: str = ""  # the carrier's own id (GHN to_ward_code)


@dataclass(frozen=True)
class Parcel:
    order_code: str  # our order code: the carrier's "client order code"
    weight_g: int
    value_vnd: int  # declared value (insurance)
    cod_vnd: int  # cash to collect from the buyer, 0 when paid
    content: str  # what is inside, short
    items: tuple[tuple[str, int, int], ...] = ()  # (name, quantity, weight_g per unit)
    note: str = ""
    length_cm: int = 20
    width_cm: int = 15
    height_cm: int = 10


@dataclass(frozen=True)
class Quote:
    fee_vnd: int
    service: str = ""
    expected: dt.date | None = None


@dataclass(frozen=True)
class Created:
    tracking_code: str
    fee_vnd: int
    label_ref: str = ""  # what label() needs (an id, a token)
    expected: dt.date | None = None
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StatusUpdate:
    tracking_code: str
    order_code: str  # our order code as echoed back, or ""
    status: Status | None  # None: a status we do not act on (kept, shown)
    carrier_status: str  # the carrier's own word or number, for the history
    at: dt.datetime  # the carrier's time of the change (aware)
    dedupe_key: str  # the same callback twice has the same key
    cod_vnd: int | None = None
    fee_vnd: int | None = None
    note: str = ""
    raw: dict = field(default_factory=dict)


class CarrierClient:
    """A carrier's API. ``base_url`` defaults to the carrier's production address; tests
    point it at a local fake server speaking the documented API."""

    name: str = ""

    def quote(self, *, pick: Address, to: Address, parcel: Parcel) -> Quote:  # pragma: no cover - interface
        raise NotImplementedError

    def create(self, *, pick: Address, to: Address, parcel: Parcel) -> Created:  # pragma: no cover
        raise NotImplementedError

    def label(self, *, tracking_code: str, label_ref: str = "") -> tuple[bytes, str]:  # pragma: no cover
        """The label as (content, content type), usually a PDF."""
        raise NotImplementedError

    def cancel(self, *, tracking_code: str) -> None:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def read_callback(*, headers: dict[str, str], body: bytes, secret: str) -> list[StatusUpdate]:  # pragma: no cover
        """Check the callback's secret/signature (raise :class:`BadSignature`) and read it."""
        raise NotImplementedError

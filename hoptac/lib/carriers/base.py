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
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
from django.utils.translation import gettext as _

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# The header that carries a carrier account's callback secret (see the carriers' modules).
CALLBACK_HEADER = "X-Hoptac-Token"
MAX_CALLBACK_BYTES = 64 * 1024
DEFAULT_TIMEOUT = 15.0


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

    def close(self) -> None:  # pragma: no cover - clients with connections override it
        """Release the client's connections."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def quote(self, *, pick: Address, to: Address, parcel: Parcel) -> Quote:  # pragma: no cover - interface
        raise NotImplementedError

    def create(self, *, pick: Address, to: Address, parcel: Parcel) -> Created:  # pragma: no cover
        raise NotImplementedError

    def label(self, *, tracking_code: str, label_ref: str = "") -> tuple[bytes, str]:  # pragma: no cover
        """The label as (content, content type), usually a PDF."""
        raise NotImplementedError

    def cancel(self, *, tracking_code: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def track(self, *, tracking_code: str) -> StatusUpdate:  # pragma: no cover
        """The shipment's current status as the carrier's API tells it (a poll, when a
        callback was lost)."""
        raise NotImplementedError

    @staticmethod
    def read_callback(
        *, headers: Mapping[str, str], body: bytes, secret: str, query: Mapping[str, str] | None = None
    ) -> list[StatusUpdate]:  # pragma: no cover
        """Check the callback's secret/signature (raise :class:`BadSignature`) and read it.
        ``query``: the callback URL's query parameters (GHTK's documented ``?hash=``)."""
        raise NotImplementedError


# --- helpers shared by the carriers' modules ------------------------------------------------


def parse_time(value) -> dt.datetime:
    """A carrier's time as an aware datetime: ISO 8601 with an offset or ``Z``
    (``2026-12-02T10:15:00+07:00``), or a local Vietnam time without one
    (``2026-12-02 10:15:00``, ``02/12/2026 10:15``). Raises ``ValueError``."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=VN_TZ)
    text = str(value or "").strip()
    if not text:
        raise ValueError("no time")
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" +", "+"))
    except ValueError:
        when = None
        for pattern in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d/%m/%Y"):
            try:
                when = dt.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if when is None:
            raise ValueError(f"not a time: {text[:40]!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=VN_TZ)


_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_day(value) -> dt.date | None:
    """The first ``YYYY-MM-DD`` in a carrier's text (``"Chiều 2026-12-04"``), or None."""
    match = _DAY.search(str(value or ""))
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def whole_vnd(value, default: int | None = None) -> int | None:
    """An amount from a carrier's JSON: 30400, "30400", "30400.0"; ``default`` if absent
    or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return default
    try:
        number = float(str(value).strip())
    except ValueError:
        return default
    if number != number or number in (float("inf"), float("-inf")):
        return default
    return int(round(number))


def dedupe_key(carrier: str, tracking_code: str, carrier_status: str, at: dt.datetime) -> str:
    """The same status callback twice gives the same key (64 hex characters)."""
    canonical = "\x1f".join(
        [
            "v1",
            carrier,
            tracking_code.strip().upper(),
            str(carrier_status).strip(),
            at.astimezone(dt.UTC).isoformat(),
        ]
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def lower_headers(headers: Mapping) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}


def check_secret(presented: str | None, secret: str) -> None:
    """Raise :class:`BadSignature` unless ``presented`` is the account's secret (compared in
    constant time). An empty secret on our side never matches."""
    if not secret or not presented:
        raise BadSignature("missing")
    if not hmac.compare_digest(presented.strip().encode("utf-8"), secret.encode("utf-8")):
        raise BadSignature("wrong")


def sign_callback(secret: str) -> dict[str, str]:
    """The header that proves a status callback comes through the carrier account (fakes
    and tests; a proxy in front of us may add it too)."""
    return {CALLBACK_HEADER: secret}


def callback_payload(headers: Mapping[str, str], body: bytes) -> dict:
    """The callback's fields from a JSON or form-encoded body. Raises ``ValueError``."""
    if len(body) > MAX_CALLBACK_BYTES:
        raise ValueError("too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not utf-8") from None
    content_type = lower_headers(headers).get("content-type", "")
    stripped = text.strip()
    if "json" in content_type or stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            raise ValueError("not json") from None
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return data
    pairs = parse_qsl(stripped, keep_blank_values=True)
    if not pairs:
        raise ValueError("empty")
    return dict(pairs)


class HttpApi:
    """A carrier's HTTP API: one place for timeouts, status codes and unreadable answers,
    each turned into a :class:`CarrierError` with a message for staff."""

    carrier_label = ""

    def __init__(
        self, *, base_url: str, timeout: float = DEFAULT_TIMEOUT, client: httpx.Client | None = None
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self.http = client or httpx.Client(follow_redirects=False)

    def headers(self) -> dict[str, str]:  # pragma: no cover - each carrier
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection pool (or use the client in a ``with`` block)."""
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, method: str, path: str, *, params=None, json_body=None) -> httpx.Response:
        name = self.carrier_label
        try:
            response = self.http.request(
                method,
                self.base_url + path,
                params=params,
                json=json_body,
                headers=self.headers(),
                timeout=self.timeout,
            )
        except httpx.TimeoutException:
            raise CarrierError(
                _("%(carrier)s did not answer in time. Try again in a moment.") % {"carrier": name},
                retry=True,
            ) from None
        except httpx.HTTPError:
            raise CarrierError(
                _("Could not reach %(carrier)s. Try again in a moment.") % {"carrier": name}, retry=True
            ) from None
        if response.status_code in (401, 403):
            raise CarrierError(
                _("%(carrier)s refused our API token. Check the token in the carrier account settings.")
                % {"carrier": name},
                status=response.status_code,
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise CarrierError(
                _("%(carrier)s is busy or out of order (HTTP %(status)s). Try again in a moment.")
                % {"carrier": name, "status": response.status_code},
                retry=True,
                status=response.status_code,
            )
        return response

    def read_json(self, response: httpx.Response) -> dict:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if response.status_code >= 400:
                raise CarrierError(
                    _("%(carrier)s refused the request (HTTP %(status)s).")
                    % {"carrier": self.carrier_label, "status": response.status_code},
                    status=response.status_code,
                )
            raise CarrierError(
                _("%(carrier)s gave an answer we cannot read. Try again in a moment.")
                % {"carrier": self.carrier_label},
                retry=True,
                status=response.status_code,
            )
        return data

    def refused(self, message, response: httpx.Response | None = None) -> CarrierError:
        reason = str(message or "").strip()[:300] or _("no reason given")
        return CarrierError(
            _("%(carrier)s refused: %(reason)s") % {"carrier": self.carrier_label, "reason": reason},
            status=response.status_code if response is not None else None,
        )

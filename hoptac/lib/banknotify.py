"""Money coming in: bank-transaction notifications from SePay and Casso, the pull APIs that
catch what a lost webhook missed, and bank statements (xlsx/CSV) a shop uploads.

Everything here is pure: no models, no database. Each source becomes a :class:`BankLine`
(money in is positive, money out negative, so the caller can ignore it); the shop app stores
them and matches them to orders.

**SePay webhook** (https://developer.sepay.vn/en/sepay-webhooks/xac-thuc and
.../bao-mat): JSON body with ``id``, ``gateway``, ``transactionDate`` (``YYYY-MM-DD
HH:MM:SS``, Vietnam time), ``accountNumber``, ``subAccount``, ``code``, ``content``,
``transferType`` (``in``/``out``), ``transferAmount``, ``accumulated``, ``referenceCode``,
``description``. Authentication, one method per webhook as configured in SePay:

- API key: header ``Authorization: Apikey <key>`` (documented by SePay).
- HMAC-SHA256: header ``X-SePay-Timestamp`` (Unix seconds; SePay's docs say to refuse more
  than 5 minutes of drift) and ``X-SePay-Signature: sha256=<hex>``, the HMAC-SHA256 of
  ``"<timestamp>." + raw body`` with the secret. The header names are SePay's; the exact
  signed string (``timestamp.body``, ``sha256=`` prefix) is as configured in SePay and as
  public integrations use it — we could not read it in SePay's own page, so a bare hex
  digest is accepted as well.

SePay wants HTTP 200 and ``{"success": true}`` (:func:`sepay_ok`), otherwise it retries
(7 times over about 33 minutes).

**Casso webhook v2** (https://developer.casso.vn/webhook/thiet-lap-webhook-thu-cong):
``{"error": 0, "data": {...}}`` (``data`` one object or a list) with ``id``,
``reference``, ``description``, ``amount`` (signed), ``runningBalance``,
``transactionDateTime``, ``accountNumber``, ``bankName``, ``counterAccount…``. Header
``X-Casso-Signature: t=<Unix milliseconds>,v1=<hex>``: HMAC-SHA512 with the webhook's key
of ``"<t>." + JSON of the whole body with the keys of every object sorted`` (Casso's
sample serialises like JavaScript's ``JSON.stringify``; PHP's ``json_encode`` form is
accepted too). Checked against the sample signature in Casso's documentation.

**Pull clients**: SePay ``GET /userapi/transactions/list`` (Bearer token,
https://docs.sepay.vn/api-giao-dich.html) paged with ``since_id``/``limit``; Casso
``GET /v2/transactions`` (``Authorization: Apikey …``,
https://developer.casso.vn/casso-api/api/lay-giao-dich) paged with ``page``/``pageSize``.
Failures raise :class:`BankApiError` with ``permanent`` (bad key: retrying cannot help) or
not (timeouts, 5xx, 429, unreadable answers).

**Statements**: :func:`statement_read` reads an xlsx (through :func:`hoptac.lib.xlsx.read_rows`,
the one reader with limits) or a CSV export; :func:`guess_mapping` finds the header row and
columns of common Vietnamese bank exports. All or nothing: one bad row refuses the file,
each bad row named with its number and why.

**Checksum** (duplicate detection, as pretix's bank-transfer plugin does with its
``calculate_checksum``): SHA-256 of a canonical form of the local date, the amount, the
memo (unaccented, lower case, letters and digits only), the account number and the bank's
reference, joined with a separator so that fields cannot run into each other. The same
statement line imported twice gives the same checksum; two real transfers of the same
amount, the same day, with the same memo and no reference would collide (as in pretix).
"""

from __future__ import annotations

import abc
import datetime as dt
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import httpx
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from hoptac.lib import csvrows, xlsx
from hoptac.lib.money import parse_vnd
from hoptac.lib.text import fold, unaccent

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SIGNATURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_BODY_BYTES = 256 * 1024
MAX_TEXT = 500  # characters kept of a memo (shop.BankTransaction.memo holds 500)
SOURCES = ("sepay", "casso", "statement")

SEPAY_SIGNATURE_HEADER = "X-SePay-Signature"
SEPAY_TIMESTAMP_HEADER = "X-SePay-Timestamp"
CASSO_SIGNATURE_HEADER = "X-Casso-Signature"


# --- the normalised line ------------------------------------------------------------------


def _key(value: str) -> str:
    """Letters and digits only, unaccented, lower case: ``"DH 12-ab"`` -> ``"dh12ab"``."""
    return re.sub(r"[^0-9a-z]+", "", unaccent(value or "").casefold())


def line_checksum(*, at: dt.datetime, amount: int, memo: str, account_number: str, reference: str) -> str:
    """SHA-256 of the canonical form of a line (see the module docstring)."""
    day = at.astimezone(VN_TZ).date().isoformat() if at.tzinfo else at.date().isoformat()
    canonical = "\x1f".join(["v1", day, str(int(amount)), _key(memo), _key(account_number), _key(reference)])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BankLine:
    """One bank transaction, whatever told us about it."""

    source: str  # "sepay" | "casso" | "statement"
    provider_id: str  # the provider's id (dedupe on it); "" for a statement line
    at: dt.datetime  # aware
    amount: int  # VND, positive money in, negative money out
    memo: str  # the transfer's text as the bank gave it
    account_number: str = ""
    bank: str = ""
    reference: str = ""  # the bank's own transaction reference
    raw: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    checksum: str = field(init=False)

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}")
        if self.at.tzinfo is None:
            raise ValueError("BankLine.at must be aware")
        object.__setattr__(
            self,
            "checksum",
            line_checksum(
                at=self.at,
                amount=self.amount,
                memo=self.memo,
                account_number=self.account_number,
                reference=self.reference,
            ),
        )

    @property
    def incoming(self) -> bool:
        return self.amount > 0


# --- errors -------------------------------------------------------------------------------


class _Message:
    """A translatable message kept lazy until shown: a template and its parameters."""

    def __init__(self, template, params: Mapping | None = None):
        self.template = template
        self.params = dict(params or {})

    def __str__(self) -> str:
        return str(self.template % self.params) if self.params else str(self.template)


class BankNotifyError(Exception):
    """A webhook delivery refused. ``code`` for logs and tests, ``str()`` for people."""

    def __init__(self, code: str, template, params: Mapping | None = None):
        self.code = code
        self._message = _Message(template, params)
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self._message)

    def __str__(self) -> str:
        return self.message


class WebhookRefused(BankNotifyError):
    """Authentication failed: answer 401/403 and store nothing."""


class PayloadError(BankNotifyError):
    """The body is not a delivery we can read: answer 400 and store nothing."""


class BankApiError(Exception):
    """A pull API failed. ``permanent``: retrying cannot help (bad token); otherwise try later."""

    def __init__(self, code: str, template, params: Mapping | None = None, *, permanent: bool):
        self.code = code
        self.permanent = permanent
        self._message = _Message(template, params)
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self._message)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class RowError:
    row: int
    why: _Message

    def __str__(self) -> str:
        return str(_Message(_("Row %(row)s: %(why)s"), {"row": self.row, "why": str(self.why)}))


class StatementError(Exception):
    """The file is not a statement we can import; nothing of it is imported. ``rows`` names
    each bad row."""

    def __init__(self, code: str, template, params: Mapping | None = None, *, rows: Iterable[RowError] = ()):
        self.code = code
        self._message = _Message(template, params)
        self.rows = list(rows)
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self._message)

    def __str__(self) -> str:
        return self.message


# --- small readers ------------------------------------------------------------------------


def _headers(headers: Mapping) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers).items()}


def _json_body(body: bytes) -> object:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadError("too_large", _("The notification is too large."))
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("not_json", _("The notification is not valid JSON.")) from None


def _text(value, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise ValueError("not text")
    return unicodedata.normalize("NFC", str(value)).strip()[:limit]


def _whole(value) -> int:
    """An amount from JSON: 599000, "599000", "599000.00"; never a fraction of a đồng."""
    if isinstance(value, bool) or value is None:
        raise ValueError(value)
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def _local_datetime(value: str) -> dt.datetime:
    """``YYYY-MM-DD HH:MM:SS`` (or ISO) in Vietnam time unless it carries an offset."""
    text = str(value).strip()
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    return parsed


def _timestamp_ok(seconds: float, now: dt.datetime) -> bool:
    return abs(now.timestamp() - seconds) <= SIGNATURE_TOLERANCE.total_seconds()


# --- SePay ----------------------------------------------------------------------------------


def sepay_check(
    headers: Mapping, body: bytes, *, api_key: str = "", hmac_secret: str = "", now: dt.datetime
) -> str:
    """Accept a SePay delivery or raise :class:`WebhookRefused`. Returns the method used
    (``"hmac"`` or ``"apikey"``). A signed delivery is checked when a secret is configured;
    otherwise ``Authorization: Apikey <key>`` must match ``api_key``."""
    if not api_key and not hmac_secret:
        raise WebhookRefused("not_configured", _("SePay notifications are not set up: no API key or secret."))
    found = _headers(headers)
    signature = found.get(SEPAY_SIGNATURE_HEADER.lower(), "").strip()
    if hmac_secret and signature:
        stamp = found.get(SEPAY_TIMESTAMP_HEADER.lower(), "").strip()
        if not stamp.isdigit() or len(stamp) > 16:
            raise WebhookRefused("no_timestamp", _("The SePay notification has no valid timestamp."))
        seconds = int(stamp) / 1000 if len(stamp) > 11 else int(stamp)  # milliseconds tolerated
        if not _timestamp_ok(seconds, now):
            raise WebhookRefused("stale", _("The SePay notification is more than 5 minutes old or ahead."))
        expected = hmac.new(hmac_secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        given = signature.removeprefix("sha256=").strip().lower()
        if not hmac.compare_digest(expected, given):
            raise WebhookRefused("bad_signature", _("The SePay notification's signature is wrong."))
        return "hmac"
    if hmac_secret and not api_key:
        raise WebhookRefused("no_signature", _("The SePay notification is not signed."))
    scheme, _sep, key = found.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "apikey" or not key.strip():
        raise WebhookRefused("no_key", _("The SePay notification carries no API key."))
    if not hmac.compare_digest(key.strip().encode(), api_key.encode()):
        raise WebhookRefused("bad_key", _("The SePay notification's API key is wrong."))
    return "apikey"


def _provider_id(value) -> str:
    """The provider's transaction id: a number or a short string, never empty."""
    if isinstance(value, (bool, dict, list)) or value in (None, "") or len(str(value)) > 64:
        raise ValueError("id")
    return str(value)


def sepay_line(data: Mapping) -> BankLine:
    """One SePay webhook object as a :class:`BankLine`; raises :class:`PayloadError`."""
    if not isinstance(data, dict):
        raise PayloadError("not_object", _("The SePay notification is not a JSON object."))
    try:
        provider_id = _provider_id(data["id"])
        kind = str(data.get("transferType", "")).strip().lower()
        if kind not in ("in", "out"):
            raise ValueError("transferType")
        amount = _whole(data["transferAmount"])
        if amount < 0:
            raise ValueError("transferAmount")
        at = _local_datetime(data["transactionDate"])
        memo = _text(data.get("content"))
        line = BankLine(
            source="sepay",
            provider_id=provider_id,
            at=at,
            amount=amount if kind == "in" else -amount,
            memo=memo,
            account_number=_text(data.get("accountNumber"), 40),
            bank=_text(data.get("gateway"), 60),
            reference=_text(data.get("referenceCode"), 80),
            raw=dict(data),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PayloadError(
            "bad_field",
            _("The SePay notification is missing or has a bad field (%(field)s)."),
            {"field": str(exc).strip("'\"")[:40]},
        ) from None
    return line


def sepay_parse(body: bytes) -> BankLine:
    """A SePay webhook body as a :class:`BankLine`; raises :class:`PayloadError`."""
    return sepay_line(_json_body(body))


def sepay_ok() -> tuple[int, dict]:
    """The answer SePay expects, or it retries."""
    return 200, {"success": True}


# --- Casso ----------------------------------------------------------------------------------


def _sorted(value):
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def casso_signed_forms(payload) -> list[bytes]:
    """The serialisations Casso may have signed: JavaScript's ``JSON.stringify`` of the sorted
    body first, then PHP's ``json_encode`` (ASCII escapes, escaped slashes)."""
    ordered = _sorted(payload)
    js = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False)
    php = json.dumps(ordered, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")
    return [js.encode("utf-8"), php.encode("utf-8")]


def casso_signature(payload, *, secret: str, timestamp_ms: int) -> str:
    """The ``X-Casso-Signature`` value Casso sends for ``payload`` (used by the fakes)."""
    message = str(timestamp_ms).encode() + b"." + casso_signed_forms(payload)[0]
    digest = hmac.new(secret.encode(), message, hashlib.sha512).hexdigest()
    return f"t={timestamp_ms},v1={digest}"


_CASSO_SIG = re.compile(r"^\s*t=(\d{1,16})\s*,\s*v1=([0-9a-fA-F]{128})\s*$")


def casso_check(headers: Mapping, body: bytes, *, secret: str, now: dt.datetime) -> None:
    """Accept a Casso delivery signed with ``secret`` or raise :class:`WebhookRefused`."""
    if not secret:
        raise WebhookRefused("not_configured", _("Casso notifications are not set up: no key."))
    found = _CASSO_SIG.match(_headers(headers).get(CASSO_SIGNATURE_HEADER.lower(), ""))
    if not found:
        raise WebhookRefused("no_signature", _("The Casso notification is not signed."))
    stamp, given = found.group(1), found.group(2).lower()
    seconds = int(stamp) / 1000 if len(stamp) > 11 else int(stamp)
    if not _timestamp_ok(seconds, now):
        raise WebhookRefused("stale", _("The Casso notification is more than 5 minutes old or ahead."))
    try:
        payload = _json_body(body)
    except PayloadError:
        raise WebhookRefused("bad_signature", _("The Casso notification's signature is wrong.")) from None
    for form in casso_signed_forms(payload):
        expected = hmac.new(secret.encode(), stamp.encode() + b"." + form, hashlib.sha512).hexdigest()
        if hmac.compare_digest(expected, given):
            return
    raise WebhookRefused("bad_signature", _("The Casso notification's signature is wrong."))


def casso_line(data: Mapping) -> BankLine:
    """One Casso transaction (webhook v2 or the transactions API) as a :class:`BankLine`."""
    if not isinstance(data, dict):
        raise PayloadError("not_object", _("A Casso transaction is not a JSON object."))
    try:
        provider_id = _provider_id(data["id"])
        when = data.get("transactionDateTime") or data.get("when")
        if not when:
            raise KeyError("transactionDateTime")
        return BankLine(
            source="casso",
            provider_id=provider_id,
            at=_local_datetime(when),
            amount=_whole(data["amount"]),
            memo=_text(data.get("description")),
            account_number=_text(data.get("accountNumber") or data.get("bankSubAccId"), 40),
            bank=_text(data.get("bankName") or data.get("bankCodeName"), 60),
            reference=_text(data.get("reference") or data.get("tid"), 80),
            raw=dict(data),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PayloadError(
            "bad_field",
            _("A Casso transaction is missing or has a bad field (%(field)s)."),
            {"field": str(exc).strip("'\"")[:40]},
        ) from None


def casso_parse(body: bytes) -> list[BankLine]:
    """A Casso webhook v2 body (``{"error": 0, "data": {…} or [...]}``) as lines."""
    payload = _json_body(body)
    if not isinstance(payload, dict) or "data" not in payload:
        raise PayloadError("not_casso", _("The Casso notification has no data."))
    if payload.get("error") not in (0, "0", None):
        raise PayloadError("casso_error", _("Casso sent an error instead of a transaction."))
    data = payload["data"]
    items = data if isinstance(data, list) else [data]
    return [casso_line(item) for item in items]


def casso_ok() -> tuple[int, dict]:
    """Casso counts any 2xx answer as delivered."""
    return 200, {"success": True}


# --- pull clients ---------------------------------------------------------------------------


class _Client(abc.ABC):
    provider = ""
    max_pages = 500

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        page_size: int = 100,
        client: httpx.Client | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self.client = client or httpx.Client(follow_redirects=False)

    @abc.abstractmethod
    def _auth(self) -> dict:
        """The headers that prove who we are to the provider."""

    def _get(self, path: str, params: dict) -> dict:
        try:
            response = self.client.get(
                self.base_url + path, params=params, headers=self._auth(), timeout=self.timeout
            )
        except httpx.TimeoutException:
            raise BankApiError(
                "timeout",
                _("%(provider)s did not answer in time."),
                {"provider": self.provider},
                permanent=False,
            ) from None
        except httpx.HTTPError as exc:
            raise BankApiError(
                "network",
                _("Could not reach %(provider)s: %(error)s"),
                {"provider": self.provider, "error": str(exc)[:200]},
                permanent=False,
            ) from None
        status = response.status_code
        if status in (401, 403):
            raise BankApiError(
                f"http_{status}",
                _("%(provider)s refused the API key or token."),
                {"provider": self.provider},
                permanent=True,
            )
        if status == 429 or status >= 500:
            raise BankApiError(
                f"http_{status}",
                _("%(provider)s is busy or failing (HTTP %(status)s); will try again."),
                {"provider": self.provider, "status": status},
                permanent=False,
            )
        if status >= 400:
            raise BankApiError(
                f"http_{status}",
                _("%(provider)s refused the request (HTTP %(status)s)."),
                {"provider": self.provider, "status": status},
                permanent=True,
            )
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BankApiError(
                "bad_response",
                _("%(provider)s sent an answer that could not be read."),
                {"provider": self.provider},
                permanent=False,
            )
        return data

    def _bad(self) -> BankApiError:
        return BankApiError(
            "bad_response",
            _("%(provider)s sent an answer that could not be read."),
            {"provider": self.provider},
            permanent=False,
        )


def _since_local(since: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(since, dt.datetime):
        return since.astimezone(VN_TZ) if since.tzinfo else since.replace(tzinfo=VN_TZ)
    return dt.datetime.combine(since, dt.time(), tzinfo=VN_TZ)


class SepayClient(_Client):
    """SePay's user API: ``GET /userapi/transactions/list`` with ``Authorization: Bearer``."""

    provider = "SePay"
    path = "/userapi/transactions/list"

    def __init__(self, base_url: str, token: str, **kw):
        super().__init__(base_url, **kw)
        self.token = token

    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

    def transactions(self, *, since: dt.datetime | dt.date, account_number: str = "") -> list[BankLine]:
        """Every transaction from ``since`` on, oldest id first, all pages."""
        params = {
            "transaction_date_min": _since_local(since).strftime("%Y-%m-%d %H:%M:%S"),
            "limit": self.page_size,
        }
        if account_number:
            params["account_number"] = account_number
        lines: dict[str, BankLine] = {}
        for _page in range(self.max_pages):
            data = self._get(self.path, params)
            if data.get("status") not in (200, "200", None) or data.get("error"):
                raise BankApiError(
                    "api_error",
                    _("SePay answered with an error: %(error)s"),
                    {"error": str(data.get("error") or data.get("status"))[:200]},
                    permanent=False,
                )
            items = data.get("transactions")
            if not isinstance(items, list):
                raise self._bad()
            new = 0
            for item in items:
                line = self.line(item)
                if line.provider_id not in lines:
                    lines[line.provider_id] = line
                    new += 1
            if len(items) < self.page_size or not new:
                break
            numeric = [int(k) for k in lines if k.isdigit()]
            if not numeric:
                break
            params["since_id"] = max(numeric) + 1
        return sorted(lines.values(), key=lambda line: (line.at, line.provider_id))

    def line(self, item) -> BankLine:
        if not isinstance(item, dict):
            raise self._bad()
        try:
            amount = _whole(item.get("amount_in") or 0) - _whole(item.get("amount_out") or 0)
            return BankLine(
                source="sepay",
                provider_id=str(item["id"]),
                at=_local_datetime(item["transaction_date"]),
                amount=amount,
                memo=_text(item.get("transaction_content")),
                account_number=_text(item.get("account_number"), 40),
                bank=_text(item.get("bank_brand_name"), 60),
                reference=_text(item.get("reference_number"), 80),
                raw=dict(item),
            )
        except (KeyError, TypeError, ValueError):
            raise self._bad() from None


class CassoClient(_Client):
    """Casso's API v2: ``GET /v2/transactions`` with ``Authorization: Apikey``."""

    provider = "Casso"
    path = "/v2/transactions"

    def __init__(self, base_url: str, api_key: str, **kw):
        super().__init__(base_url, **kw)
        self.api_key = api_key

    def _auth(self) -> dict:
        return {"Authorization": f"Apikey {self.api_key}", "Content-Type": "application/json"}

    def transactions(self, *, since: dt.datetime | dt.date) -> list[BankLine]:
        """Every transaction from ``since``'s day on (Casso filters by date), all pages."""
        page = 1
        lines: dict[str, BankLine] = {}
        for _page in range(self.max_pages):
            params = {
                "fromDate": _since_local(since).date().isoformat(),
                "page": page,
                "pageSize": self.page_size,
                "sort": "ASC",
            }
            data = self._get(self.path, params)
            if data.get("error") not in (0, "0"):
                permanent = str(data.get("error")) in ("401", "403")
                raise BankApiError(
                    "api_error",
                    _("Casso answered with an error: %(error)s"),
                    {"error": str(data.get("message") or data.get("error"))[:200]},
                    permanent=permanent,
                )
            body = data.get("data")
            if not isinstance(body, dict) or not isinstance(body.get("records"), list):
                raise self._bad()
            for item in body["records"]:
                try:
                    line = casso_line(item)
                except PayloadError:
                    raise self._bad() from None
                lines.setdefault(line.provider_id, line)
            total_pages = body.get("totalPages")
            if not isinstance(total_pages, int) or page >= total_pages or not body["records"]:
                break
            page += 1
        return sorted(lines.values(), key=lambda line: (line.at, line.provider_id))


# --- statements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """Where a statement keeps what: the header row (1-based) and 0-based column indexes.
    Either ``credit`` (with an optional ``debit``) or a signed ``amount``."""

    header_row: int
    date: int
    credit: int | None = None
    debit: int | None = None
    amount: int | None = None
    memo: int | None = None
    reference: int | None = None

    def __post_init__(self):
        if self.credit is None and self.amount is None:
            raise ValueError("a statement needs a credit or an amount column")


@dataclass(frozen=True)
class StatementResult:
    lines: tuple[BankLine, ...]
    mapping: ColumnMapping
    skipped: tuple[int, ...] = ()  # rows that are not transactions (balances, totals, blanks)
    encoding: str = ""  # a CSV's encoding; "" for xlsx


# Header words, folded (unaccented, lower case, punctuation as spaces), best first.
_HEADERS = {
    "date": [
        "ngay giao dich",
        "ngay gd",
        "thoi gian giao dich",
        "ngay hach toan",
        "ngay thuc hien",
        "transaction date",
        "ngay gio giao dich",
        "thoi gian",
        "ngay",
        "date",
        "ngay hieu luc",
    ],
    "credit": [
        "so tien ghi co",
        "ghi co",
        "phat sinh co",
        "so tien co",
        "tien vao",
        "credit amount",
        "credit",
        "co",
        "so tien vao",
    ],
    "debit": [
        "so tien ghi no",
        "ghi no",
        "phat sinh no",
        "so tien no",
        "tien ra",
        "debit amount",
        "debit",
        "no",
        "so tien ra",
    ],
    "amount": ["so tien giao dich", "so tien", "amount", "gia tri"],
    "memo": [
        "noi dung giao dich",
        "noi dung",
        "dien giai",
        "mo ta",
        "chi tiet giao dich",
        "noi dung chi tiet",
        "description",
        "transaction details",
        "details",
        "remark",
        "remarks",
    ],
    "reference": [
        "so but toan",
        "ma giao dich",
        "so tham chieu",
        "ma gd",
        "so giao dich",
        "so ct",
        "so chung tu",
        "ma tham chieu",
        "reference",
        "reference number",
        "ref no",
        "transaction no",
        "so ref",
        "ref",
    ],
}


def _header_parts(cell) -> list[str]:
    if cell is None or not isinstance(cell, str):
        return []
    text = re.sub(r"\([^)]*\)", " ", cell)  # "(VND)", "(Credit)"
    parts = re.split(r"[/\n|]", text)
    out = []
    for part in parts:
        folded = re.sub(r"[^0-9a-z]+", " ", fold(part)).strip()
        if folded:
            out.append(folded)
    return out


def _match_header(row: tuple) -> dict[str, int]:
    best: dict[str, tuple[int, int]] = {}  # role -> (rank, column)
    for column, cell in enumerate(row):
        for part in _header_parts(cell):
            for role, words in _HEADERS.items():
                if part in words:
                    rank = words.index(part)
                    if role not in best or rank < best[role][0]:
                        best[role] = (rank, column)
    found = {role: column for role, (_rank, column) in best.items()}
    # One column, one role: a column matched as credit is not also the signed amount.
    if "credit" in found and found.get("amount") == found["credit"]:
        del found["amount"]
    return found


def guess_mapping(rows: list[tuple]) -> ColumnMapping | None:
    """Find the header row among the first 40 rows of a bank export and its columns."""
    for number, row in enumerate(rows[:40], start=1):
        found = _match_header(row)
        if "date" in found and ("credit" in found or "amount" in found):
            if "credit" in found:
                found.pop("amount", None)
            return ColumnMapping(header_row=number, **found)
    return None


_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def _statement_date(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=VN_TZ)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=VN_TZ)
    text = " ".join(str(value).split())
    found = _DATE.match(text)
    if found:
        day, month, year, hour, minute, second = found.groups()
    else:
        found = _ISO_DATE.match(text)
        if not found:
            raise ValueError(value)
        year, month, day, hour, minute, second = found.groups()
    return dt.datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=VN_TZ
    )


def _statement_amount(value) -> int | None:
    """A money cell: ``None`` when empty; raises ``ValueError`` when not whole đồng."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float, Decimal)):
        return _whole(value) or None
    text = str(value).strip().lstrip("+")
    if text in ("", "-"):
        return None
    try:
        amount = parse_vnd(text)
    except ValueError:
        trailing = re.fullmatch(r"(.*\d)[.,]00\s*(vnd|vnđ|đ|₫)?", text, flags=re.IGNORECASE)
        if not trailing:
            raise
        amount = parse_vnd(trailing.group(1))  # "1,250,000.00", "1.250.000,00"
    return amount or None


def _json_safe(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


_SUMMARY_WORDS = ("tong", "cong", "so du", "total", "balance", "ket thuc", "end of")


def _is_summary(row: tuple) -> bool:
    text = " ".join(fold(str(cell)) for cell in row if isinstance(cell, str))
    return any(word in text for word in _SUMMARY_WORDS)


def _cell(row: tuple, column: int | None):
    if column is None or column >= len(row):
        return None
    value = row[column]
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        return value or None
    return value


MAX_STATEMENT_BYTES = 10 * 1024 * 1024
MAX_ROW_ERRORS = 50


def _csv_rows(content: bytes) -> tuple[list[tuple[int, tuple]], str]:
    if len(content) > MAX_STATEMENT_BYTES:
        raise StatementError("too_large", _("The file is larger than 10 MB."))
    try:
        return csvrows.read_csv_rows(content, xlsx.Limits())
    except csvrows.CsvRefused as exc:
        if exc.code == "binary":
            raise StatementError("binary", _("This file is not a CSV or Excel bank statement.")) from None
        raise StatementError(exc.code, "%(why)s", {"why": exc.message}) from None


def statement_rows(file_bytes: bytes, filename: str) -> tuple[list[tuple[int, tuple]], str]:
    """(row number, values) of a statement file, and the CSV encoding ("" for xlsx)."""
    name = (filename or "").lower()
    if name.endswith(".xls") or file_bytes[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise StatementError(
            "xls",
            _("Old Excel files (.xls) cannot be read. Save the statement as .xlsx or CSV and try again."),
        )
    if name.endswith((".xlsx", ".xlsm")) or file_bytes[:2] == b"PK":
        try:
            return list(xlsx.read_rows(file_bytes, xlsx.Limits())), ""
        except xlsx.XlsxRefused as exc:
            raise StatementError("xlsx_" + exc.code, "%(why)s", {"why": exc.message}) from None
    return _csv_rows(file_bytes)


def statement_read(
    file_bytes: bytes,
    filename: str,
    mapping: ColumnMapping | None = None,
    *,
    account_number: str = "",
    bank: str = "",
) -> StatementResult:
    """Read a bank statement: every transaction line, or :class:`StatementError` naming each
    bad row (nothing is returned half). ``mapping`` ``None``: :func:`guess_mapping`."""
    rows, encoding = statement_rows(file_bytes, filename)
    if mapping is None:
        mapping = guess_mapping([values for _number, values in rows])
        if mapping is None:
            raise StatementError(
                "not_statement",
                _(
                    "This file does not look like a bank statement: no header row with a date "
                    "column and a credit (or amount) column was found."
                ),
            )
    lines: list[BankLine] = []
    skipped: list[int] = []
    errors: list[RowError] = []
    for number, row in rows:
        if number <= mapping.header_row:
            continue
        if len(errors) >= MAX_ROW_ERRORS:
            break  # enough to show what is wrong
        if all(_cell(row, c) is None for c in range(len(row))):
            skipped.append(number)
            continue
        raw_date = _cell(row, mapping.date)
        try:
            if mapping.amount is not None:
                amount = _statement_amount(_cell(row, mapping.amount))
            else:
                credit = _statement_amount(_cell(row, mapping.credit))
                debit = _statement_amount(_cell(row, mapping.debit))
                amount = None if credit is None and debit is None else (credit or 0) - abs(debit or 0)
        except ValueError:
            errors.append(RowError(number, _Message(_("the amount is not a whole number of đồng."))))
            continue
        if raw_date is None:
            if amount is None or _is_summary(row):
                skipped.append(number)  # a total, a balance line, a footer
            else:
                errors.append(RowError(number, _Message(_("there is an amount but no date."))))
            continue
        try:
            at = _statement_date(raw_date)
        except (ValueError, OverflowError):
            if _is_summary(row):
                skipped.append(number)
            else:
                errors.append(
                    RowError(
                        number,
                        _Message(
                            _("the date %(date)s is not a date (dd/mm/yyyy)."), {"date": str(raw_date)[:30]}
                        ),
                    )
                )
            continue
        if amount is None:
            skipped.append(number)  # an opening balance or a line without money
            continue
        memo = _cell(row, mapping.memo)
        reference = _cell(row, mapping.reference)
        lines.append(
            BankLine(
                source="statement",
                provider_id="",
                at=at,
                amount=amount,
                memo=_text(memo),
                account_number=account_number,
                bank=bank,
                reference=_text(reference, 80),
                raw={"row": number, "cells": [_json_safe(v) for v in row]},
            )
        )
    if errors:
        raise StatementError(
            "bad_rows",
            ngettext_lazy(
                "%(count)s row of the statement could not be read; nothing was imported.",
                "%(count)s rows of the statement could not be read; nothing was imported.",
                "count",
            ),
            {"count": len(errors)},
            rows=errors,
        )
    if not lines:
        raise StatementError("empty", _("The statement holds no transaction lines."))
    return StatementResult(lines=tuple(lines), mapping=mapping, skipped=tuple(skipped), encoding=encoding)


__all__ = [
    "BankApiError",
    "BankLine",
    "BankNotifyError",
    "CassoClient",
    "ColumnMapping",
    "PayloadError",
    "RowError",
    "SepayClient",
    "StatementError",
    "StatementResult",
    "WebhookRefused",
    "casso_check",
    "casso_ok",
    "casso_parse",
    "casso_signature",
    "guess_mapping",
    "line_checksum",
    "sepay_check",
    "sepay_ok",
    "sepay_parse",
    "statement_read",
]

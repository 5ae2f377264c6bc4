"""A carrier's cash-on-delivery remittance report (đối soát COD), read from the xlsx or CSV
file the carrier sends or lets the shop download.

Pure: no models. :func:`read_remittance` returns a :class:`Report`: one :class:`RemitLine`
per parcel (tracking code, our order code as the carrier echoes it, cash collected, fees,
what was paid), the day the money was paid and the remittance's reference when the file
says them, and ``problems``: the rows that could not be read, each with its number and why.
Unlike a bank statement (:mod:`hoptac.lib.banknotify`, all or nothing) a report is read
row by row: the shop's matching lists the problems beside the lines, so that one odd row
does not hide the hundred good ones. A file that is not a report at all raises
:class:`RemittanceError` (a ``ValueError``) with a message for staff.

Columns are guessed from the header row (the first of the first 40 rows naming a code
column and a cash-collected column), by folded header text: GHTK's exports ("Mã đơn
hàng", "Mã đơn KH" / "Mã đơn shop", "Tiền thu hộ" / "COD", "Phí", "Tổng phí", "Thực
nhận"…) and GHN's ("Mã đơn GHN", "Mã đơn khách hàng", "Tiền thu hộ", "Tổng phí", "Tiền
chuyển khoản"…), in Vietnamese with or without diacritics or in English. When a report
has no total fee column, its fee columns ("Phí giao hàng", "Phí bảo hiểm", "Phí COD"…) are
added up. Lines above the header may give the reference ("Mã đối soát: …", "Mã phiên…")
and the payment day ("Ngày thanh toán: 02/12/2026"); otherwise a per-line payment-date
column gives it (the latest day). Totals and footers (rows without a code whose text says
"Tổng", "Cộng", "Total") are skipped.

Money is read as numbers or as text written the Vietnamese way ("1.250.000", "1,250,000 đ",
"1.250.000,00"). Formulas are never evaluated: an xlsx is read through
:func:`hoptac.lib.xlsx.read_rows` (limits on size, rows, columns; cached values only), a
CSV cell like ``=1+1`` is not money and a code like ``=HYPERLINK(…)`` is not a code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from hoptac.lib import csvrows, xlsx
from hoptac.lib.money import parse_vnd
from hoptac.lib.text import fold

MAX_BYTES = 10 * 1024 * 1024
MAX_PROBLEMS = 200
HEADER_SEARCH_ROWS = 40
CARRIERS = ("ghtk", "ghn")


class RemittanceError(ValueError):
    """The file is not a remittance report we can read. ``code`` for tests and logs,
    ``message`` (also ``str()``) for staff."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class RemitLine:
    row: int
    tracking_code: str
    order_code: str
    cod_vnd: int
    fee_vnd: int
    paid_vnd: int | None = None  # what the carrier paid for this parcel, when the file says
    status: str = ""  # the carrier's words for the parcel ("Đã giao", "Chuyển hoàn"), if given
    raw: tuple = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Report:
    lines: list[RemitLine]
    paid_on: dt.date | None
    reference: str
    problems: list[tuple[int, str]]
    carrier: str = ""  # as given, or guessed from the headers and codes ("" unknown)
    checksum: str = ""  # SHA-256 of the file: the same report imported twice is one report
    header_row: int = 0
    encoding: str = ""  # of a CSV ("" for xlsx)
    skipped: tuple[int, ...] = ()  # empty, total and footer rows

    @property
    def total_cod_vnd(self) -> int:
        return sum(line.cod_vnd for line in self.lines)

    @property
    def total_fee_vnd(self) -> int:
        return sum(line.fee_vnd for line in self.lines)

    @property
    def total_paid_vnd(self) -> int:
        """What the carrier paid: the file's per-line figure where it has one, else cash
        collected less fees."""
        return sum(
            line.paid_vnd if line.paid_vnd is not None else line.cod_vnd - line.fee_vnd for line in self.lines
        )


# --- headers --------------------------------------------------------------------------------

# role -> folded header texts, best first
_HEADERS: dict[str, list[str]] = {
    "tracking": [
        "ma don ghn",
        "ma don ghtk",
        "ma van don ghtk",
        "ma van don ghn",
        "ma van don",
        "ma don hang",
        "ma don",
        "ma vd",
        "ma bill",
        "ma phieu gui",
        "so van don",
        "tracking code",
        "tracking number",
        "tracking",
        "label",
        "label id",
        "order code",
    ],
    "order": [
        "ma don kh",
        "ma don khach hang",
        "ma don shop",
        "ma don cua shop",
        "ma don hang shop",
        "ma don hang cua shop",
        "ma don doi tac",
        "ma don noi bo",
        "ma don rieng",
        "ma khach hang",
        "ma tham chieu",
        "client order code",
        "partner id",
        "partner order id",
        "ma kh",
    ],
    "cod": [
        "tien thu ho",
        "so tien thu ho",
        "thu ho",
        "tien cod",
        "cod",
        "cod amount",
        "tien thu ho cod",
        "gia tri thu ho",
        "tien hang",
    ],
    "fee_total": [
        "tong phi",
        "tong cuoc",
        "tong phi dich vu",
        "tong phi van chuyen",
        "total fee",
        "tong tien phi",
    ],
    "paid": [
        "thuc nhan",
        "so tien thuc nhan",
        "tien thuc nhan",
        "thuc thanh toan",
        "so tien thanh toan",
        "tien thanh toan",
        "tien chuyen khoan",
        "so tien chuyen",
        "con lai",
        "tong tien doi soat",
        "tien doi soat",
        "net amount",
        "paid",
    ],
    "status": ["trang thai", "trang thai don", "trang thai don hang", "status"],
    "date": [
        "ngay thanh toan",
        "ngay doi soat",
        "ngay chuyen tien",
        "ngay chuyen khoan",
        "payment date",
        "paid on",
    ],
}
_FEE_PART = re.compile(r"^(phi|cuoc|fee)\b")
_NOT_FEE_PART = ("tong",)

_META_REFERENCE = (
    "ma doi soat",
    "ma phien doi soat",
    "ma phien",
    "ma bang ke",
    "so bang ke",
    "ma phieu doi soat",
    "so phieu",
    "ma thanh toan",
    "reference",
    "remittance",
)
_META_DATE = (
    "ngay thanh toan",
    "ngay chuyen tien",
    "ngay chuyen khoan",
    "ngay doi soat",
    "ky doi soat",
    "payment date",
    "paid on",
)
_SUMMARY_WORDS = ("tong", "cong", "total", "sum", "ket thuc")


def _header_text(cell) -> str:
    if not isinstance(cell, str):
        return ""
    text = re.sub(r"\([^)]*\)", " ", cell)  # "(VNĐ)", "(đ)"
    return re.sub(r"[^0-9a-z]+", " ", fold(text)).strip()


@dataclass
class _Mapping:
    header_row: int
    columns: dict[str, int]
    fee_parts: list[int]
    carrier_hint: str


def _match_header(row: tuple) -> tuple[dict[str, int], list[int], str]:
    best: dict[str, tuple[int, int]] = {}
    fee_parts: list[int] = []
    hint = ""
    used: set[int] = set()
    texts = [_header_text(cell) for cell in row]
    for column, text in enumerate(texts):
        if not text:
            continue
        if "ghn" in text.split():
            hint = hint or "ghn"
        if "ghtk" in text.split():
            hint = hint or "ghtk"
        for role, words in _HEADERS.items():
            if text in words:
                rank = words.index(text)
                if role not in best or rank < best[role][0]:
                    best[role] = (rank, column)
    found = {role: column for role, (_rank, column) in best.items()}
    used = set(found.values())
    for column, text in enumerate(texts):
        if column in used or not text:
            continue
        if _FEE_PART.match(text) and not any(word in text.split() for word in _NOT_FEE_PART):
            fee_parts.append(column)
    return found, fee_parts, hint


def _guess(rows: list[tuple[int, tuple]]) -> _Mapping | None:
    for number, row in rows[:HEADER_SEARCH_ROWS]:
        found, fee_parts, hint = _match_header(row)
        if ("tracking" in found or "order" in found) and "cod" in found:
            return _Mapping(header_row=number, columns=found, fee_parts=fee_parts, carrier_hint=hint)
    return None


# --- cells ----------------------------------------------------------------------------------


def _cell(row: tuple, column: int | None):
    if column is None or column >= len(row):
        return None
    value = row[column]
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        return value or None
    return value


def _money(value) -> int | None:
    """A money cell: None when empty; raises ValueError when not whole đồng."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, Decimal)):
        if value != int(value):
            raise ValueError(value)
        return int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            raise ValueError(value)
        return int(value)
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        raise ValueError(value)
    text = str(value).strip().lstrip("+")
    if text in ("", "-", "–"):
        return None
    if text.startswith("(") and text.endswith(")"):  # accountants' negative
        text = "-" + text[1:-1]
    try:
        return parse_vnd(text)
    except ValueError:
        trailing = re.fullmatch(r"(-?.*\d)[.,]00\s*(vnd|vnđ|đ|₫)?", text, flags=re.IGNORECASE)
        if not trailing:
            raise
        return parse_vnd(trailing.group(1))  # "1,250,000.00", "1.250.000,00"


_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,39}$")


def _code(value) -> str:
    """A tracking or order code cell as text; raises ValueError for anything that is not
    a plain code (a formula, a sentence)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        return ""
    if not _CODE.match(text):
        raise ValueError(text)
    return text


_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _day(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    found = _DATE.search(value)
    try:
        if found:
            return dt.date(int(found[3]), int(found[2]), int(found[1]))
        found = _ISO.search(value)
        if found:
            return dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None
    return None


def _meta_value(row: tuple, column: int, text: str) -> object:
    """The value of a "label: value" cell, or of the next non-empty cell on the row."""
    cell = row[column]
    if isinstance(cell, str) and ":" in cell:
        after = cell.split(":", 1)[1].strip()
        if after:
            return after
    for value in row[column + 1 :]:
        if value not in (None, ""):
            return value.strip() if isinstance(value, str) else value
    return None


def _meta(rows: list[tuple[int, tuple]], header_row: int) -> tuple[str, dt.date | None]:
    reference, paid_on = "", None
    for number, row in rows:
        if number >= header_row:
            break
        for column, cell in enumerate(row):
            text = _header_text(cell.split(":", 1)[0] if isinstance(cell, str) else cell)
            if not text:
                continue
            if not reference and any(text.startswith(word) for word in _META_REFERENCE):
                value = _meta_value(row, column, text)
                if value not in (None, ""):
                    if isinstance(value, float) and value.is_integer():
                        value = int(value)
                    reference = re.sub(r"\s+", " ", str(value)).strip()[:60]
            elif paid_on is None and any(text.startswith(word) for word in _META_DATE):
                paid_on = _day(_meta_value(row, column, text))
    if reference.startswith(("=", "+", "@")):
        reference = "'" + reference  # shown, never taken for a formula by a spreadsheet
    return reference, paid_on


# --- the file -------------------------------------------------------------------------------


def _csv_rows(content: bytes) -> tuple[list[tuple[int, tuple]], str]:
    try:
        return csvrows.read_csv_rows(content, xlsx.Limits())
    except csvrows.CsvRefused as exc:
        if exc.code == "binary":
            raise RemittanceError("binary", _("This file is not a CSV or Excel remittance report.")) from None
        raise RemittanceError(exc.code, exc.message) from None


def _rows(data: bytes, filename: str) -> tuple[list[tuple[int, tuple]], str]:
    if not data:
        raise RemittanceError("empty", _("The file is empty."))
    if len(data) > MAX_BYTES:
        raise RemittanceError("too_large", _("The file is larger than 10 MB."))
    name = (filename or "").lower()
    if name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise RemittanceError(
            "xls", _("Old Excel files (.xls) cannot be read. Save the report as .xlsx or CSV and try again.")
        )
    if name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        try:
            return list(xlsx.read_rows(data, xlsx.Limits())), ""
        except xlsx.XlsxRefused as exc:
            raise RemittanceError("xlsx_" + exc.code, exc.message) from None
    if name.endswith((".pdf", ".doc", ".docx", ".png", ".jpg", ".jpeg", ".zip")) or data[:5] == b"%PDF-":
        raise RemittanceError("type", _("Upload the report as an Excel (.xlsx) or CSV file."))
    return _csv_rows(data)


def _guess_carrier(hint: str, lines: list[RemitLine]) -> str:
    if hint:
        return hint
    codes = [line.tracking_code for line in lines if line.tracking_code]
    if codes and all(re.fullmatch(r"S\d+\.[A-Z0-9]+\.\d+", c) or re.fullmatch(r"\d{9,12}", c) for c in codes):
        return "ghtk"
    if codes and all(re.fullmatch(r"[A-Z0-9]{5,12}", c) and not c.isdigit() for c in codes):
        return "ghn"
    return ""


def read_remittance(data: bytes, filename: str, carrier: str | None = None) -> Report:
    """Read a carrier's COD remittance report (xlsx or CSV). Raises :class:`RemittanceError`
    when the file cannot be a report; rows it cannot read are ``problems``."""
    if carrier is not None and carrier not in CARRIERS and carrier not in ("", "other"):
        raise RemittanceError("carrier", _("Unknown carrier."))
    rows, encoding = _rows(data, filename)
    mapping = _guess(rows)
    if mapping is None:
        raise RemittanceError(
            "not_report",
            _(
                "This file does not look like a remittance report: no header row with a tracking "
                "code (or order code) column and a cash-collected (COD) column was found."
            ),
        )
    columns = mapping.columns
    reference, paid_on = _meta(rows, mapping.header_row)
    lines: list[RemitLine] = []
    problems: list[tuple[int, str]] = []
    skipped: list[int] = []
    seen: dict[str, int] = {}
    line_days: list[dt.date] = []
    over = 0

    def problem(number: int, message: str) -> None:
        nonlocal over
        if len(problems) < MAX_PROBLEMS:
            problems.append((number, message))
        else:
            over += 1

    for number, row in rows:
        if number <= mapping.header_row:
            continue
        if all(_cell(row, c) is None for c in range(len(row))):
            skipped.append(number)
            continue
        try:
            tracking = _code(_cell(row, columns.get("tracking")))
            order = _code(_cell(row, columns.get("order")))
        except ValueError as bad:
            text = " ".join(fold(str(c)) for c in row if isinstance(c, str))
            if any(word in text.split() for word in _SUMMARY_WORDS):
                skipped.append(number)
            else:
                problem(number, _("“%(code)s” is not a tracking or order code.") % {"code": str(bad)[:40]})
            continue
        if not tracking and not order:
            text = " ".join(fold(str(c)) for c in row if isinstance(c, str))
            has_money = any(
                isinstance(_cell(row, c), (int, float, Decimal))
                or bool(re.search(r"\d", str(_cell(row, c) or "")))
                for c in (columns.get("cod"), columns.get("fee_total"), columns.get("paid"))
                if c is not None
            )
            if not has_money or any(word in text.split() for word in _SUMMARY_WORDS):
                skipped.append(number)  # a total, a footer, a note
            else:
                problem(number, _("This row has amounts but no tracking code or order code."))
            continue
        try:
            cod = _money(_cell(row, columns["cod"]))
        except ValueError:
            problem(
                number,
                _("The cash collected “%(value)s” is not a whole number of đồng.")
                % {"value": str(_cell(row, columns["cod"]))[:30]},
            )
            continue
        try:
            if "fee_total" in columns:
                fee = _money(_cell(row, columns["fee_total"]))
                fee = abs(fee) if fee is not None else 0
            else:
                fee = sum(abs(_money(_cell(row, c)) or 0) for c in mapping.fee_parts)
        except ValueError:
            problem(number, _("A fee on this row is not a whole number of đồng."))
            continue
        try:
            paid = _money(_cell(row, columns.get("paid")))
        except ValueError:
            problem(number, _("The amount paid on this row is not a whole number of đồng."))
            continue
        cod = cod or 0
        if cod < 0:
            problem(number, _("The cash collected is negative."))
            continue
        key = tracking or f"order:{order}"
        if key in seen:
            problem(
                number,
                _("%(code)s is on row %(row)s already: counted once.")
                % {"code": tracking or order, "row": seen[key]},
            )
            continue
        seen[key] = number
        day = _day(_cell(row, columns.get("date")))
        if day:
            line_days.append(day)
        status = _cell(row, columns.get("status"))
        lines.append(
            RemitLine(
                row=number,
                tracking_code=tracking,
                order_code=order,
                cod_vnd=cod,
                fee_vnd=fee,
                paid_vnd=paid,
                status=str(status)[:60] if status is not None else "",
                raw=tuple(_json_safe(v) for v in row),
            )
        )
    if over:
        problems.append((0, _("… and %(count)s more rows that could not be read.") % {"count": over}))
    if not lines and not problems:
        raise RemittanceError("empty", _("The report holds no parcels."))
    if paid_on is None and line_days:
        paid_on = max(line_days)
    return Report(
        lines=lines,
        paid_on=paid_on,
        reference=reference,
        problems=problems,
        carrier=carrier or _guess_carrier(mapping.carrier_hint, lines),
        checksum=hashlib.sha256(data).hexdigest(),
        header_row=mapping.header_row,
        encoding=encoding,
        skipped=tuple(skipped),
    )


def _json_safe(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


__all__ = ["RemitLine", "RemittanceError", "Report", "read_remittance"]

"""The alliance's directory in Excel: a template to fill, and the reading and matching of
an import (the writes are in ``federation/services.py``).

An import is checked as a whole first, like the member import (``coops/excel.py``, whose
one reader with limits and choice look-ups it shares): any bad row and nothing is stored,
every bad row named with its reasons. A good file is then matched row by row to the
directory of the province:

- the same **tax code** is the same entry (certain);
- the same **name and commune**, folded (no accents, no case, without "HTX", "Hợp tác xã",
  "Tổ hợp tác"…), is the same entry, unless both have tax codes and they differ (doubtful);
- a row with no certain match that looks like an entry (the same name in another commune,
  or a close name in the same commune) is **doubtful**: the officer says, on the review
  page, whether it is that entry or a new one;
- a row that matches no entry but a cooperative already on the platform (tax code, or name
  and commune) becomes an entry linked to it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from hoptac.coops.excel import _choice_lookup, _choose, import_limits
from hoptac.coops.models import Cooperative, CoopKind, Sector, tax_code_validator
from hoptac.federation.models import DirectoryEntry
from hoptac.lib import places, xlsx
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.lib.text import fold
from hoptac.lib.xlsx import RowError
from hoptac.lib.xlsx import cell_text as _text

MAX_MEMBERS = 100_000
FIRST_YEAR = 1945
SIMILAR = 0.85  # difflib ratio of two folded names in one commune that makes a match doubtful


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    width: int
    required: bool = False


COLUMNS = [
    Column("name", gettext_lazy("Name"), 36, True),
    Column("kind", gettext_lazy("Kind (HTX, union, THT)"), 14, True),
    Column("tax_code", gettext_lazy("Tax code"), 14),
    Column("commune", gettext_lazy("Commune / ward"), 20, True),
    Column("sectors", gettext_lazy("Sectors"), 28),
    Column("chair_name", gettext_lazy("Chair"), 22),
    Column("phone", gettext_lazy("Phone"), 14),
    Column("members_count", gettext_lazy("Members"), 10),
    Column("founded_year", gettext_lazy("Year founded"), 10),
    Column("ocop_products", gettext_lazy("OCOP products"), 36),
]

EXAMPLE = {
    "name": "HTX Nông nghiệp Ví dụ",
    "kind": "HTX",
    "tax_code": "5100999999",
    "commune": "Mèo Vạc",
    "sectors": "Mật ong, Chè",
    "chair_name": "Vàng Mí Ví Dụ",
    "phone": "0912 000 000",
    "members_count": 25,
    "founded_year": 2019,
    "ocop_products": "Mật ong bạc hà (4 sao)",
}

KIND_WORDS = {
    "htx": CoopKind.HTX,
    "hợp tác xã": CoopKind.HTX,
    "cooperative": CoopKind.HTX,
    "tht": CoopKind.THT,
    "tổ hợp tác": CoopKind.THT,
    "cooperative group": CoopKind.THT,
    "liên hiệp": CoopKind.UNION,
    "liên hiệp htx": CoopKind.UNION,
    "liên hiệp hợp tác xã": CoopKind.UNION,
    "lhhtx": CoopKind.UNION,
    "union": CoopKind.UNION,
}
SECTOR_WORDS = {
    "mật ong": Sector.HONEY,
    "ong": Sector.HONEY,
    "nuôi ong": Sector.HONEY,
    "chè": Sector.TEA,
    "trà": Sector.TEA,
    "lúa": Sector.RICE,
    "gạo": Sector.RICE,
    "ngô": Sector.RICE,
    "lúa gạo": Sector.RICE,
    "ngũ cốc": Sector.RICE,
    "cây ăn quả": Sector.FRUIT,
    "cam": Sector.FRUIT,
    "hoa quả": Sector.FRUIT,
    "trái cây": Sector.FRUIT,
    "mận": Sector.FRUIT,
    "dược liệu": Sector.HERBS,
    "rau": Sector.VEGETABLES,
    "chăn nuôi": Sector.LIVESTOCK,
    "lâm nghiệp": Sector.FORESTRY,
    "trồng rừng": Sector.FORESTRY,
    "thủ công": Sector.HANDICRAFT,
    "dệt": Sector.HANDICRAFT,
    "thổ cẩm": Sector.HANDICRAFT,
    "du lịch": Sector.TOURISM,
    "du lịch cộng đồng": Sector.TOURISM,
    "dịch vụ": Sector.TRADE,
    "thương mại": Sector.TRADE,
    "chế biến": Sector.PROCESSING,
}

# Words of a name that say its kind, dropped from the matching key (longest first).
_KIND_PREFIXES = (
    "lien hiep hop tac xa",
    "lien hiep htx",
    "hop tac xa",
    "to hop tac",
    "lhhtx",
    "htx",
    "tht",
)
_PUNCTUATION = re.compile(r"[^\w ]+")


def name_key(name: str) -> str:
    """The matching key of a name: ``"HTX Nông nghiệp Tuấn Dũng"`` → ``"nong nghiep tuan dung"``."""
    key = " ".join(_PUNCTUATION.sub(" ", fold(name)).split())
    for prefix in _KIND_PREFIXES:
        if key == prefix:
            return key
        if key.startswith(prefix + " "):
            return key[len(prefix) + 1 :]
    return key


# --- template ----------------------------------------------------------------------------


def template_workbook(province_code: int) -> bytes:
    """An empty directory list with headers in the active language, one example row, the
    allowed values and a sheet of instructions."""
    book = xlsx.workbook()
    sheet = book.active
    sheet.title = _("Directory")
    for index, column in enumerate(COLUMNS, start=1):
        text = str(column.label) + (" *" if column.required else "")
        cell = xlsx.put(sheet, 1, index, text, font=xlsx.HEADER_FONT)
        cell.fill = xlsx.HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        cell = (
            xlsx.text(sheet, 2, index, EXAMPLE[column.key])
            if column.key
            not in (
                "members_count",
                "founded_year",
            )
            else xlsx.put(sheet, 2, index, EXAMPLE[column.key])
        )
        cell.font = Font(italic=True, color="666666")
    for key in ("tax_code", "phone"):
        letter = get_column_letter([c.key for c in COLUMNS].index(key) + 1)
        for row in range(3, 1001):
            sheet[f"{letter}{row}"].number_format = xlsx.TEXT

    lists = book.create_sheet(_("Allowed values"))
    columns = [
        (_("Kind (HTX, union, THT)"), [str(label) for _v, label in CoopKind.choices]),
        (_("Commune / ward"), [name for _c, name in places.commune_choices(province_code)]),
        (_("Sectors"), [str(label) for _v, label in Sector.choices]),
    ]
    for col, (title, values) in enumerate(columns, start=1):
        xlsx.put(lists, 1, col, title, font=Font(bold=True))
        lists.column_dimensions[get_column_letter(col)].width = 30
        for row, value in enumerate(values, start=2):
            xlsx.text(lists, row, col, value)

    guide = book.create_sheet(_("Instructions"))
    lines = [
        _("How to fill in the directory of cooperatives"),
        _("One row per cooperative (HTX), union or cooperative group (THT). Columns marked * are required."),
        _("Kind: HTX, THT or union (liên hiệp)."),
        _("Commune / ward: the name after the 2025 reform, e.g. Mèo Vạc."),
        _("Sectors: separated by commas, from the sheet of allowed values (mật ong, chè, dược liệu…)."),
        _("Tax code: 10 digits, or 10 digits, a dash and 3 digits. Leave empty if none."),
        _("Rows are matched to the directory by tax code, or by name and commune (with or without accents)."),
        _("The example row (HTX Nông nghiệp Ví dụ) is skipped; write over it or below it."),
        _("If any row has a mistake, nothing is imported and every mistake is listed."),
    ]
    for row, line in enumerate(lines, start=1):
        xlsx.put(guide, row, 1, line, font=Font(bold=row == 1))
    guide.column_dimensions["A"].width = 100
    title = places.province_name(province_code)
    xlsx.page_setup(sheet, landscape=True, title=f"{title} · {sheet.title}", repeat_rows=(1, 1))
    xlsx.page_setup(lists, landscape=True, title=f"{title} · {lists.title}", repeat_rows=(1, 1))
    xlsx.page_setup(guide, landscape=False, title=f"{title} · {guide.title}")
    return xlsx.save(book)


# --- reading -----------------------------------------------------------------------------


@dataclass
class Checked:
    """A file read and matched; ``rows`` are the JSON-ready rows of a DirectoryImport."""

    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    skipped_example: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error

    @property
    def doubtful(self) -> list[dict]:
        return [row for row in self.rows if row["action"] == "doubt"]


def _header_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for language in ("vi", "en"):
        with translation.override(language):
            for column in COLUMNS:
                keys[fold(str(column.label))] = column.key
    # Headers of the lists alliances keep, besides the template's own.
    for text, key in (
        ("ten htx", "name"),
        ("ten", "name"),
        ("loai hinh", "kind"),
        ("loai", "kind"),
        ("mst", "tax_code"),
        ("ma so thue", "tax_code"),
        ("xa", "commune"),
        ("xa/phuong", "commune"),
        ("dia chi", "commune"),
        ("nganh nghe", "sectors"),
        ("linh vuc", "sectors"),
        ("chu tich", "chair_name"),
        ("giam doc", "chair_name"),
        ("nguoi dai dien", "chair_name"),
        ("dien thoai", "phone"),
        ("so dien thoai", "phone"),
        ("so thanh vien", "members_count"),
        ("thanh vien", "members_count"),
        ("nam thanh lap", "founded_year"),
        ("san pham ocop", "ocop_products"),
        ("ocop", "ocop_products"),
    ):
        keys.setdefault(text, key)
    return keys


def _is_example(values: dict) -> bool:
    return fold(_text(values.get("name"))) == fold(EXAMPLE["name"]) and _text(values.get("tax_code")) in (
        "",
        EXAMPLE["tax_code"],
    )


def _read(content: bytes) -> tuple[dict[int, str], list[tuple[int, dict]], int]:
    """The rows of the file (the one reader of imports, ``lib.xlsx.read_table``, shared with
    the member import)."""
    try:
        return xlsx.read_table(
            content,
            import_limits(),
            header_keys=_header_keys(),
            required={c.key: str(c.label) for c in COLUMNS if c.required},
            is_example=_is_example,
            max_rows=settings.MAX_IMPORT_ROWS,
        )
    except xlsx.XlsxRefused as refused:
        raise _FileError(refused.message) from None


class _FileError(Exception):
    pass


def _whole_number(value, label: str, low: int, high: int, messages: list[str]) -> int | None:
    text = _text(value).replace(".", "").replace(" ", "")
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        messages.append(
            _("%(column)s: write a whole number from %(low)s to %(high)s.")
            % {"column": label, "low": low, "high": high}
        )
        return None
    return int(text)


def _parse_row(values: dict, province_code: int, lookups) -> tuple[dict, list[str]]:
    kinds, sectors = lookups
    messages: list[str] = []
    labels = {c.key: str(c.label) for c in COLUMNS}
    row = {
        "name": " ".join(_text(values.get("name")).split()),
        "tax_code": _text(values.get("tax_code")).replace(" ", ""),
        "chair_name": " ".join(_text(values.get("chair_name")).split()),
        "ocop_products": _text(values.get("ocop_products")),
    }
    if not row["name"]:
        messages.append(_("The name is missing."))
    elif len(row["name"]) > 200:
        messages.append(_("The name is longer than 200 characters."))
    if len(row["chair_name"]) > 120:
        messages.append(_("The chair's name is longer than 120 characters."))
    if len(row["ocop_products"]) > 2000:
        messages.append(_("The OCOP products are longer than 2000 characters."))
    kind_text = _text(values.get("kind"))
    row["kind"] = _choose(kinds, kind_text) if kind_text else ""
    if not row["kind"]:
        messages.append(
            _("Unknown kind “%(value)s”: write HTX, THT or union.") % {"value": kind_text}
            if kind_text
            else _("The kind is missing: write HTX, THT or union.")
        )
    if row["tax_code"]:
        try:
            tax_code_validator(row["tax_code"])
        except Exception:  # noqa: BLE001 - a ValidationError with the validator's message
            messages.append(
                _("The tax code “%(value)s” is not valid: 10 digits, or 10 digits, a dash and 3 digits.")
                % {"value": row["tax_code"]}
            )
    commune_text = _text(values.get("commune"))
    code = places.find_commune(commune_text, province_code) if commune_text else None
    row["commune_code"] = code
    if not commune_text:
        messages.append(_("The commune / ward is missing."))
    elif code is None:
        messages.append(
            _("Unknown commune “%(value)s” in %(province)s (use the name after the 2025 reform).")
            % {"value": commune_text, "province": places.province_name(province_code)}
        )
    row["sectors"] = []
    for part in re.split(r"[,;\n]", _text(values.get("sectors"))):
        if not part.strip():
            continue
        sector = _choose(sectors, part)
        if not sector:
            messages.append(_("Unknown sector “%(value)s”.") % {"value": part.strip()})
        elif sector not in row["sectors"]:
            row["sectors"].append(sector)
    phone = _text(values.get("phone"))
    row["phone"] = ""
    if phone:
        try:
            row["phone"] = normalize_phone(phone)
        except InvalidPhone:
            messages.append(
                _("The phone number “%(value)s” is not a Vietnamese phone number.") % {"value": phone}
            )
    row["members_count"] = _whole_number(
        values.get("members_count"), labels["members_count"], 0, MAX_MEMBERS, messages
    )
    row["founded_year"] = _whole_number(
        values.get("founded_year"), labels["founded_year"], FIRST_YEAR, dt.date.today().year, messages
    )
    return row, messages


def _lookups():
    return (
        _choice_lookup(CoopKind.choices, KIND_WORDS),
        _choice_lookup(Sector.choices, SECTOR_WORDS),
    )


# --- matching ----------------------------------------------------------------------------


def _describe(entry: DirectoryEntry) -> dict:
    return {
        "id": entry.pk,
        "name": entry.name,
        "commune": entry.commune_name,
        "tax_code": entry.tax_code,
    }


class Matcher:
    """The directory of a province in memory, to match rows against (a province has a few
    hundred to a few thousand entries: two queries, whatever the file's size)."""

    def __init__(self, province_code: int):
        entries = list(DirectoryEntry.objects.filter(province_code=province_code))
        self.by_tax = {e.tax_code: e for e in entries if e.tax_code}
        self.by_name: dict[str, list[DirectoryEntry]] = {}
        for entry in entries:
            self.by_name.setdefault(entry.name_key, []).append(entry)
        self.by_commune: dict[int, list[DirectoryEntry]] = {}
        for entry in entries:
            self.by_commune.setdefault(entry.commune_code, []).append(entry)
        linked = {e.cooperative_id for e in entries if e.cooperative_id}
        coops = [
            c
            for c in Cooperative.objects.filter(province_code=province_code, is_active=True).only(
                "id", "name", "tax_code", "commune_code"
            )
            if c.pk not in linked
        ]
        self.coop_by_tax = {c.tax_code: c for c in coops if c.tax_code}
        self.coop_by_name = {(name_key(c.name), c.commune_code): c for c in coops}

    def match(self, row: dict) -> dict:
        """What the row does: ``{"action": "update", "entry": id}``, ``"new"`` (maybe with a
        ``"cooperative"`` to link), or ``"doubt"`` with ``"candidates"`` and a ``"why"``."""
        key = name_key(row["name"])
        tax = row["tax_code"]
        if tax and tax in self.by_tax:
            return {"action": "update", "entry": self.by_tax[tax].pk}
        same_name = self.by_name.get(key, [])
        here = [e for e in same_name if e.commune_code == row["commune_code"]]
        if here:
            entry = here[0]
            if tax and entry.tax_code and entry.tax_code != tax:
                return self._doubt(here, _("Same name and commune, but another tax code."))
            return {"action": "update", "entry": entry.pk}
        elsewhere = [e for e in same_name if not (tax and e.tax_code and e.tax_code != tax)]
        if elsewhere:
            return self._doubt(elsewhere, _("The same name in another commune."))
        close = [
            e
            for e in self.by_commune.get(row["commune_code"], [])
            if difflib.SequenceMatcher(None, key, e.name_key).ratio() >= SIMILAR
            and not (tax and e.tax_code and e.tax_code != tax)
        ]
        if close:
            return self._doubt(close, _("A similar name in the same commune."))
        coop = (self.coop_by_tax.get(tax) if tax else None) or self.coop_by_name.get(
            (key, row["commune_code"])
        )
        if coop is not None:
            return {"action": "new", "cooperative": coop.pk, "cooperative_name": coop.name}
        return {"action": "new"}

    @staticmethod
    def _doubt(entries: list[DirectoryEntry], why: str) -> dict:
        return {"action": "doubt", "candidates": [_describe(e) for e in entries[:5]], "why": why}


def check_file(*, content: bytes, province_code: int) -> Checked:
    """Read, check and match a directory file of ``province_code``; nothing is written."""
    try:
        _columns, data, skipped = _read(content)
    except _FileError as error:
        return Checked(file_error=str(error))
    if not data:
        return Checked(
            file_error=_("The file has no rows under the headers (the example row is skipped)."),
            skipped_example=skipped,
        )
    lookups = _lookups()
    checked = Checked(skipped_example=skipped)
    matcher = Matcher(province_code)
    seen_tax: dict[str, int] = {}
    seen_name: dict[tuple, int] = {}
    for number, values in data:
        row, messages = _parse_row(values, province_code, lookups)
        if not messages:
            if row["tax_code"]:
                first = seen_tax.setdefault(row["tax_code"], number)
                if first != number:
                    messages.append(
                        _("The tax code %(code)s is also on row %(row)s.")
                        % {"code": row["tax_code"], "row": first}
                    )
            first = seen_name.setdefault((name_key(row["name"]), row["commune_code"]), number)
            if first != number:
                messages.append(_("The same name and commune are also on row %(row)s.") % {"row": first})
        if messages:
            checked.errors.append(RowError(row=number, name=row["name"] or "—", messages=messages))
            continue
        row["row"] = number
        row.update(matcher.match(row))
        checked.rows.append(row)
    if checked.errors:
        checked.rows = []
    return checked

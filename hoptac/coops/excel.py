"""Members in Excel: a template to fill, an all-or-nothing import, and an export.

The import reads each row through :class:`~hoptac.coops.forms.MemberForm`, the same rules
as the web form, then checks duplicates against the cooperative and within the file. If any
row is bad, nothing is stored and every bad row is listed with its reasons.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from hoptac.coops import services
from hoptac.coops.ethnicities import ethnicity_candidates, ethnicity_find
from hoptac.coops.forms import MemberForm
from hoptac.coops.models import CHANNEL_ORDERS, Ethnicity, Gender, MemberGroup, MemberStatus, MemberType
from hoptac.core.tenancy import require_cooperative
from hoptac.lib import places, xlsx
from hoptac.lib.banks import bank_choices, bank_name
from hoptac.lib.text import fold

# The template's example row. It is recognised by its content, wherever it is: a row whose
# name, year of birth, phone, village and bank account are still the example's is skipped
# and counted as such; a row where any of them was changed is a household like any other
# (its note, if still the example's, is dropped).
EXAMPLE = {
    "full_name": "Vàng A Páo",
    "birth_year": 1985,
    "phone": "0912 345 678",
    "village_name": "Pả Vi Thượng",
    "bank_account": "8800205123456",
}
EXAMPLE_NOTE = gettext_lazy(
    "Example row: skipped on import while it stays unchanged. Type over it or write your households below it."
)
# Notes of the example row in earlier templates, also dropped from a real household's row.
OLD_EXAMPLE_NOTES = [gettext_lazy("Example row: it is skipped on import. Write your households below it.")]


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translation: the header in the active language
    width: int
    required: bool = False


COLUMNS = [
    Column("full_name", gettext_lazy("Full name"), 28, True),
    Column("gender", gettext_lazy("Gender"), 10),
    Column("ethnicity", gettext_lazy("Ethnicity"), 12),
    Column("birth_year", gettext_lazy("Year of birth"), 10),
    Column("phone", gettext_lazy("Phone"), 14),
    Column("commune", gettext_lazy("Commune / ward"), 20, True),
    Column("village_name", gettext_lazy("Village (thôn/bản)"), 18),
    Column("member_type", gettext_lazy("Member type"), 18),
    Column("joined_on", gettext_lazy("Join date"), 13, True),
    Column("capital_vnd", gettext_lazy("Capital contributed (VND)"), 16),
    Column("bank", gettext_lazy("Bank"), 16),
    Column("bank_account", gettext_lazy("Bank account number"), 18),
    Column("groups", gettext_lazy("Groups"), 20),
    Column("channels", gettext_lazy("How to reach them"), 22),
    Column("email", gettext_lazy("Email address"), 24),
    Column("notes", gettext_lazy("Notes"), 30),
]
EXPORT_ONLY = [
    Column("status", gettext_lazy("Status"), 12),
    Column("left_on", gettext_lazy("Date left"), 12),
    Column("left_reason", gettext_lazy("Reason for leaving"), 24),
]


def _header_keys() -> dict[str, str]:
    """Folded header text (Vietnamese and English, with or without '*') -> column key."""
    keys: dict[str, str] = {}
    for language in ("vi", "en"):
        with translation.override(language):
            for column in COLUMNS + EXPORT_ONLY:
                keys[fold(str(column.label))] = column.key
    keys["stt"] = "_number"
    keys["no."] = "_number"
    return keys


def _compact(text: str) -> str:
    """Folded, without spaces, hyphens or punctuation: ``"Chính thức"`` -> ``"chinhthuc"``."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


def _choice_lookup(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Labels in both languages, the stored values and the given short words, folded and
    compacted (so with or without accents, spaces or case) -> stored value."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[_compact(value)] = value
        for language in ("vi", "en"):
            with translation.override(language):
                lookup[_compact(str(label))] = value
    for word, value in (extra or {}).items():
        lookup.setdefault(_compact(word), value)
    return lookup


def _choose(lookup: dict[str, str], text: str) -> str:
    """The stored value for what a person typed, or "" when nothing matches."""
    return lookup.get(_compact(text), "")


# Short words people type in a choice column, besides the labels (Vietnamese and English).
GENDER_WORDS = {"nu": "female", "nữ": "female", "f": "female", "nam": "male", "m": "male", "khác": "other"}
MEMBER_TYPE_WORDS = {
    "chính thức": "official",
    "official": "official",
    "TV chính thức": "official",
    "liên kết": "associate",
    "associate": "associate",
    "TV liên kết": "associate",
}
STATUS_WORDS = {
    "hoạt động": "active",
    # the label before the glossary chose "đang sinh hoạt": files exported earlier still import
    "đang hoạt động": "active",
    "sinh hoạt": "active",
    "đang là thành viên": "active",
    "active": "active",
    "đã ra": "left",
    "ra khỏi HTX": "left",
    "đã ra khỏi": "left",
    "đã rời": "left",
    "rời HTX": "left",
    "left": "left",
}


# --- template ----------------------------------------------------------------------------


def _write_header(sheet, columns, *, mark_required: bool) -> None:
    for index, column in enumerate(columns, start=1):
        text = str(column.label) + (" *" if mark_required and column.required else "")
        cell = xlsx.put(sheet, 1, index, text, font=xlsx.HEADER_FONT)
        cell.fill = xlsx.HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 32


def template_workbook() -> bytes:
    """An empty member list with headers in the active language, one example row and a
    sheet of the values each column accepts."""
    coop = require_cooperative()
    book = xlsx.workbook()
    sheet = book.active
    sheet.title = _("Members")
    _write_header(sheet, COLUMNS, mark_required=True)
    example_commune = places.commune_name(coop.commune_code)
    example = {
        **EXAMPLE,
        "gender": str(Gender.MALE.label),
        "ethnicity": str(Ethnicity.HMONG.label),
        "commune": example_commune,
        "member_type": str(MemberType.OFFICIAL.label),
        "joined_on": dt.date(2024, 3, 15),
        "capital_vnd": 5_000_000,
        "bank": "Agribank",
        "groups": "",
        "channels": str(dict(CHANNEL_ORDERS)["zalo,sms"]),
        "email": "",
        "notes": str(EXAMPLE_NOTE),
    }
    for index, column in enumerate(COLUMNS, start=1):
        cell = xlsx.put(sheet, 2, index, example[column.key])
        if column.key == "joined_on":
            cell.number_format = "DD/MM/YYYY"
        if column.key in ("phone", "bank_account"):
            cell.number_format = "@"
        if column.key == "capital_vnd":
            cell.number_format = "#,##0"
        cell.font = Font(italic=True, color="666666")
    # Keep phone and account numbers as text so Excel does not drop the leading 0.
    for key in ("phone", "bank_account"):
        letter = get_column_letter([c.key for c in COLUMNS].index(key) + 1)
        for row in range(3, 1001):
            sheet[f"{letter}{row}"].number_format = "@"

    lists = book.create_sheet(_("Allowed values"))
    lists_columns = [
        (_("Gender"), [str(label) for _v, label in Gender.choices]),
        (_("Ethnicity"), [str(label) for _v, label in Ethnicity.choices]),
        (_("Member type"), [str(label) for _v, label in MemberType.choices]),
        (_("Commune / ward"), [name for _c, name in places.commune_choices(coop.province_code)]),
        (_("Bank"), [label.split(" — ")[0] for _b, label in bank_choices()]),
        (_("Groups"), list(MemberGroup.objects.values_list("name", flat=True))),
        (_("How to reach them"), [str(label) for _v, label in CHANNEL_ORDERS]),
    ]
    for col, (title, values) in enumerate(lists_columns, start=1):
        xlsx.put(lists, 1, col, title, font=Font(bold=True))
        lists.column_dimensions[get_column_letter(col)].width = 26
        for row, value in enumerate(values, start=2):
            xlsx.text(lists, row, col, value)  # group names are typed by people
    for key, list_col in (
        ("gender", 1),
        ("ethnicity", 2),
        ("member_type", 3),
        ("commune", 4),
        ("bank", 5),
        ("channels", 7),
    ):
        values_count = len(lists_columns[list_col - 1][1])
        letter = get_column_letter(list_col)
        validation = DataValidation(
            type="list",
            formula1=f"'{lists.title}'!${letter}$2:${letter}${values_count + 1}",
            allow_blank=True,
            showErrorMessage=False,
        )
        sheet.add_data_validation(validation)
        target = get_column_letter([c.key for c in COLUMNS].index(key) + 1)
        validation.add(f"{target}2:{target}1000")

    guide = book.create_sheet(_("Instructions"))
    lines = [
        _("How to fill in the member list"),
        _("One row per household. Columns marked * are required."),
        _("Phone: 10 digits starting with 0 (0912 345 678) or +84. Leave empty if none."),
        _("Commune / ward: the name after the 2025 reform, e.g. %(example)s.") % {"example": example_commune},
        _("Join date: day/month/year, e.g. 15/03/2024."),
        _("Capital: a whole number of đồng, e.g. 5000000."),
        _("Groups: names separated by commas; new groups are created."),
        _(
            "Choices may be typed without accents (chinh thuc, nu, hmong); old names of peoples are understood (Mèo, Mán)."
        ),
        _("The example row is skipped while it is unchanged; type over it or write below it."),
        _("If any row has a mistake, nothing is imported and every mistake is listed."),
    ]
    for row, line in enumerate(lines, start=1):
        xlsx.put(guide, row, 1, line, font=Font(bold=row == 1))
    guide.column_dimensions["A"].width = 100
    xlsx.page_setup(sheet, landscape=True, title=f"{coop.name} · {sheet.title}", repeat_rows=(1, 1))
    xlsx.page_setup(lists, landscape=True, title=f"{coop.name} · {lists.title}", repeat_rows=(1, 1))
    xlsx.page_setup(guide, landscape=False, title=f"{coop.name} · {guide.title}")
    return xlsx.save(book)


# --- import ------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    name: str
    messages: list[str]


@dataclass
class ImportResult:
    created: int = 0
    skipped_example: int = 0  # rows that were still the template's example
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    file_code: str = ""  # what was wrong with the file: "rows", "doctype", "unreadable"…

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error


class ImportFileError(Exception):
    def __init__(self, message: str, *, code: str = "file"):
        super().__init__(message)
        self.code = code


def _is_example(values: dict[str, object]) -> bool:
    """Whether a row is still the template's example (compared by content, not position)."""
    for key, expected in EXAMPLE.items():
        typed = values.get(key)
        if key in ("phone", "bank_account", "birth_year"):
            if "".join(ch for ch in _text(typed) if ch.isdigit()) != "".join(
                ch for ch in str(expected) if ch.isdigit()
            ):
                return False
        elif fold(_text(typed)) != fold(str(expected)):
            return False
    return True


@functools.cache
def _example_notes() -> frozenset[str]:
    notes = set()
    for language in ("vi", "en"):
        with translation.override(language):
            notes.update(fold(str(note)) for note in [EXAMPLE_NOTE, *OLD_EXAMPLE_NOTES])
    return frozenset(notes)


def import_limits() -> xlsx.Limits:
    """The limits of an imported workbook, from the settings (``MAX_IMPORT_*``)."""
    return xlsx.Limits(
        unpacked_bytes=settings.MAX_IMPORT_UNPACKED_BYTES,
        rows=settings.MAX_IMPORT_SHEET_ROWS,
        columns=settings.MAX_IMPORT_COLUMNS,
        cells=settings.MAX_IMPORT_CELLS,
        strings=settings.MAX_IMPORT_CELLS,
    )


def _read_rows(content: bytes) -> tuple[dict[int, str], list[tuple[int, tuple]], int]:
    """The header's columns, the rows with data and how many example rows were skipped.

    The workbook is read by the one reader with limits (``lib.xlsx.read_rows``): a file that
    is not a workbook, too large unpacked, with XML declarations, damaged XML or too many
    rows, columns or cells is refused with a message before any row is looked at."""
    max_rows = settings.MAX_IMPORT_ROWS
    rows = xlsx.read_rows(content, import_limits())
    try:
        first = next(rows, None)
        if first is None:
            raise ImportFileError(_("The first sheet is empty."), code="empty")
        known = _header_keys()
        columns: dict[int, str] = {}
        for index, text in enumerate(first[1]):
            key = known.get(fold(str(text or "")).rstrip(" *").strip())
            if key:
                columns[index] = key
        missing = [str(c.label) for c in COLUMNS if c.required and c.key not in columns.values()]
        if missing:
            raise ImportFileError(
                _("The first row must hold the column headers of the template. Missing: %(columns)s.")
                % {"columns": ", ".join(missing)},
                code="headers",
            )
        data = []
        skipped_example = 0
        for number, row in rows:
            # Only the template's columns count: a stray value in an unknown column is not a row.
            if all(_text(row[i]) == "" for i in columns if i < len(row)):
                continue
            if _is_example({key: row[i] for i, key in columns.items() if i < len(row)}):
                skipped_example += 1
                continue
            data.append((number, row))
            if len(data) > max_rows:
                raise ImportFileError(
                    _("The file has more than %(max)s rows. Split it and import each part.") % {"max": max_rows},
                    code="data_rows",
                )
    except xlsx.XlsxRefused as refused:
        raise ImportFileError(refused.message, code=refused.code) from None
    finally:
        rows.close()
    return columns, data, skipped_example


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date_text(value) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _text(value)


def _row_to_form_data(values: dict[str, object], lookups, province_code, errors: list[str]) -> dict:
    genders, types, banks, channels = lookups
    data = {
        "full_name": _text(values.get("full_name")),
        "birth_year": _text(values.get("birth_year")),
        "phone": _text(values.get("phone")),
        "village_name": _text(values.get("village_name")),
        "joined_on": _date_text(values.get("joined_on")),
        "capital_vnd": _text(values.get("capital_vnd")),
        "bank_account": _text(values.get("bank_account")).replace(" ", ""),
        "notes": "" if fold(_text(values.get("notes"))) in _example_notes() else _text(values.get("notes")),
        "email": _text(values.get("email")),
        "member_type": "official",
    }
    channel_text = _text(values.get("channels"))
    if channel_text:
        data["channels"] = _choose(channels, channel_text)
        if not data["channels"]:
            errors.append(_("Unknown way to reach them “%(value)s”.") % {"value": channel_text})
    gender = _text(values.get("gender"))
    if gender:
        data["gender"] = _choose(genders, gender)
        if not data["gender"]:
            errors.append(_("Unknown gender “%(value)s”.") % {"value": gender})
    ethnicity = _text(values.get("ethnicity"))
    if ethnicity:
        data["ethnicity"] = ethnicity_find(ethnicity) or ""
        candidates = ethnicity_candidates(ethnicity)
        if candidates:
            labels = dict(Ethnicity.choices)
            errors.append(
                _("The ethnicity “%(value)s” is an old name of several peoples: write one of %(names)s.")
                % {"value": ethnicity, "names": ", ".join(str(labels[c]) for c in candidates)}
            )
        elif not data["ethnicity"]:
            errors.append(
                _(
                    "Unknown ethnicity “%(value)s”: write one of the 54 peoples (see the sheet of allowed "
                    "values), or “%(other)s”."
                )
                % {"value": ethnicity, "other": Ethnicity.OTHER.label}
            )
    member_type = _text(values.get("member_type"))
    if member_type:
        data["member_type"] = _choose(types, member_type)
        if not data["member_type"]:
            errors.append(_("Unknown member type “%(value)s”.") % {"value": values.get("member_type")})
    commune_text = _text(values.get("commune"))
    if commune_text:
        code = places.find_commune(commune_text, province_code)
        if code is None:
            errors.append(
                _("Unknown commune “%(value)s” in %(province)s.")
                % {"value": commune_text, "province": places.province_name(province_code)}
            )
        else:
            data["commune_code"] = str(code)
    bank = _text(values.get("bank"))
    if bank:
        data["bank_bin"] = _choose(banks, bank)
        if not data["bank_bin"]:
            errors.append(_("Unknown bank “%(value)s”.") % {"value": values.get("bank")})
    return data


def _bank_lookup() -> dict[str, str]:
    lookup = {}
    for bin_code, label in bank_choices():
        short, _sep, full = label.partition(" — ")
        for name in (bin_code, short, full):
            lookup.setdefault(_compact(name), bin_code)
    return lookup


def _left(values: dict, messages: list[str]) -> tuple[dt.date | None, str]:
    """The Status, Date left and Reason columns of an export, read back."""
    status = _text(values.get("status"))
    if not status:
        return None, ""
    value = _choose(_choice_lookup(MemberStatus.choices, STATUS_WORDS), status)
    if not value:
        messages.append(_("Unknown status “%(value)s”.") % {"value": status})
    if value != MemberStatus.LEFT:
        return None, ""
    raw = values.get("left_on")
    left_on = None
    if isinstance(raw, dt.datetime):
        left_on = raw.date()
    elif isinstance(raw, dt.date):
        left_on = raw
    else:
        for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
            try:
                left_on = dt.datetime.strptime(_text(raw), pattern).date()
                break
            except ValueError:
                continue
    reason = _text(values.get("left_reason"))
    if left_on is None:
        messages.append(_("A member who left needs the date left (day/month/year)."))
    if not reason:
        messages.append(_("A member who left needs the reason for leaving."))
    return left_on, reason


def members_import_xlsx(*, content: bytes, actor=None) -> ImportResult:
    """Validate every row; store all of them, or none and say why for each bad row."""
    coop = require_cooperative()
    try:
        columns, rows, skipped_example = _read_rows(content)
    except ImportFileError as exc:
        return ImportResult(file_error=str(exc), file_code=exc.code)
    if not rows:
        if skipped_example:
            return ImportResult(
                file_error=_("The file holds only the example row: write your households in it or below it."),
                file_code="only_example",
            )
        return ImportResult(file_error=_("The file has no member rows under the headers."), file_code="no_rows")
    lookups = (
        _choice_lookup(Gender.choices, GENDER_WORDS),
        _choice_lookup(MemberType.choices, MEMBER_TYPE_WORDS),
        _bank_lookup(),
        _choice_lookup(CHANNEL_ORDERS),
    )
    existing_groups = {fold(name): pk for pk, name in MemberGroup.objects.values_list("id", "name")}
    result = ImportResult(skipped_example=skipped_example)
    parsed = []
    seen_phones: dict[str, int] = {}
    seen_people: dict[tuple, int] = {}
    for number, row in rows:
        values = {key: row[index] for index, key in columns.items() if index < len(row)}
        messages: list[str] = []
        data = _row_to_form_data(values, lookups, coop.province_code, messages)
        form = MemberForm(data=data, cooperative=coop)
        form.fields["groups"].choices = []
        if not form.is_valid():
            for name, field_errors in form.errors.items():
                label = str(form.fields[name].label) if name in form.fields else ""
                for message in field_errors:
                    messages.append(f"{label}: {message}" if label else message)
        name = data.get("full_name") or "—"
        left_on, left_reason = _left(values, messages)
        if not messages:
            member_input = form.to_input()
            member_input.group_ids = []
            member_input.left_on, member_input.left_reason = left_on, left_reason
            group_names = [" ".join(g.split()) for g in _text(values.get("groups")).split(",") if g.strip()]
            for group_name in group_names:
                if len(group_name) > 120:
                    messages.append(_("A group name is longer than 120 characters."))
            reason = services.duplicate_reason(member_input)
            if reason:
                messages.append(reason)
            if member_input.phone:
                first = seen_phones.setdefault(member_input.phone, number)
                if first != number:
                    messages.append(
                        _("The phone number %(phone)s is also on row %(row)s.")
                        % {"phone": member_input.phone, "row": first}
                    )
            if member_input.birth_year:
                person = (
                    fold(member_input.full_name),
                    member_input.birth_year,
                    member_input.commune_code,
                    fold(member_input.village_name),
                )
                first = seen_people.setdefault(person, number)
                if first != number:
                    messages.append(_("The same person is also on row %(row)s.") % {"row": first})
            parsed.append((member_input, group_names))
        if messages:
            result.errors.append(RowError(row=number, name=name, messages=messages))
    if result.errors:
        return result
    try:
        created = services.members_import_with_groups(
            rows=parsed, existing_groups=existing_groups, actor=actor
        )
    except ValidationError as error:
        # Someone added the same household while this file was being checked: nothing stored.
        return ImportResult(file_error=" ".join(error.messages), file_code="conflict")
    result.created = len(created)
    return result


# --- export ------------------------------------------------------------------------------


# Export columns holding the personal fields of core.roles.PERSONAL_MEMBER_FIELDS.
PERSONAL_COLUMNS = {"phone", "email", "bank", "bank_account", "notes"}

# Columns of the export whose values people type: written as text, whatever they begin with.
TEXT_KEYS = {
    "full_name",
    "phone",
    "commune",
    "village_name",
    "bank",
    "bank_account",
    "groups",
    "email",
    "notes",
    "left_reason",
}


def members_export_xlsx(members, *, personal: bool = True, target=None, progress=None) -> bytes | None:
    """The given members (already filtered) in the template's columns plus their status,
    set up to print landscape on A4, one page wide, the header row on every page; with
    ``personal=False`` (a role without Perm.MEMBER_PERSONAL) without personal columns.

    Streamed (``lib.xlsx.StreamBook``): the members are read in chunks and written row by
    row. Written to ``target`` (a path or file) when given, else returned as bytes;
    ``progress(done, total)`` is told how far it is (the export job's progress bar)."""
    coop = require_cooperative()
    book = xlsx.stream_workbook()
    sheet = book.sheet(_("Members"))
    columns = [c for c in COLUMNS + EXPORT_ONLY if personal or c.key not in PERSONAL_COLUMNS]
    _write_header(sheet, columns, mark_required=False)
    gender = dict(Gender.choices)
    ethnicity = dict(Ethnicity.choices)
    types = dict(MemberType.choices)
    statuses = dict(MemberStatus.choices)
    channel_labels = dict(CHANNEL_ORDERS)
    total = members.count() if hasattr(members, "iterator") else len(members)
    rows = members.iterator(chunk_size=1000) if hasattr(members, "iterator") else members
    for row, member in enumerate(xlsx.counted(rows, total=total, progress=progress), start=2):
        values = {
            "full_name": member.full_name,
            "gender": str(gender.get(member.gender, "")),
            "ethnicity": str(ethnicity.get(member.ethnicity, "")),
            "birth_year": member.birth_year,
            "phone": member.phone or "",
            "commune": member.commune_name,
            "village_name": member.village.name if member.village else "",
            "member_type": str(types.get(member.member_type, "")),
            "joined_on": member.joined_on,
            "capital_vnd": member.capital_vnd,
            "bank": bank_name(member.bank_bin).split(" — ")[0] if member.bank_bin else "",
            "bank_account": member.bank_account,
            "groups": ", ".join(g.name for g in member.groups.all()),
            "channels": str(channel_labels.get(member.channels, member.channels)),
            "email": member.email,
            "notes": member.notes,
            "status": str(statuses.get(member.status, "")),
            "left_on": member.left_on,
            "left_reason": member.left_reason,
        }
        for col, column in enumerate(columns, start=1):
            value = values[column.key]
            if column.key in TEXT_KEYS:
                cell = xlsx.text(sheet, row, col, value)
            else:
                cell = xlsx.put(sheet, row, col, value)
            if column.key in ("joined_on", "left_on"):
                cell.number_format = "DD/MM/YYYY"
            elif column.key == "capital_vnd":
                cell.number_format = "#,##0"
    xlsx.page_setup(sheet, landscape=True, title=f"{coop.name} · {sheet.title}", repeat_rows=(1, 1))
    if target is not None:
        book.save_to(target)
        return None
    return xlsx.save(book)


def members_export_job(params: dict, *, target, progress=None) -> None:
    """The member export of an export job (``core/exports.py``): ``params`` are the list's
    filters (``selectors.MemberFilters`` as a dict) and ``personal``."""
    from hoptac.coops import selectors

    filters = selectors.MemberFilters(**params.get("filters", {}))
    members = selectors.member_list(filters).prefetch_related("groups")
    members_export_xlsx(members, personal=bool(params.get("personal")), target=target, progress=progress)


__all__ = [
    "members_import_xlsx",
    "members_export_job",
    "members_export_xlsx",
    "template_workbook",
    "ImportResult",
    "ValidationError",
]

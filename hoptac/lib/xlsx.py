"""Spreadsheets (rule 11): the one writer every export uses, the one reader every import uses.

**Writing.** A text that begins with ``=`` is a formula to openpyxl (``#N/A`` and the other
error codes become errors), so a member named ``=HYPERLINK("http://evil","x")`` would be a
live link in the member list. Here every ``str`` is stored as text (an inline string,
``t="inlineStr"``, never an ``<f>``), whatever it begins with (``=``, ``+``, ``-``, ``@``, a
tab or a carriage return): the characters typed, no apostrophe added. :func:`put` and
:func:`text` write one cell; :func:`formula` is the only way to write a formula of ours;
:func:`save` turns any other formula or error left in the book (written through openpyxl
directly) back into text before saving. Numbers stay numbers, dates stay dates. Characters
that XML cannot hold (control characters other than tab, line feed and carriage return) are
dropped instead of making the export fail. :func:`page_setup` gives every sheet A4, an
orientation, fit to the page width, repeated header rows, a header with the title and a
footer with the page number.

**Reading.** :func:`read_rows` refuses a file before openpyxl opens it when it is not a zip,
when it unpacks to more than the limit, holds a part compressed beyond any real spreadsheet,
too many parts, a DOCTYPE or ENTITY (XXE, billion laughs), XML that is not well formed,
shared strings too many or too long, or a sheet whose dimension, rows (empty ones count),
columns or cells pass the limits. The check streams each part through expat and stops at
the first limit passed, so a 184 KB file of 20 million empty rows is refused in
milliseconds. The rows are then read with openpyxl in read-only mode, counted again.
Every refusal is an :class:`XlsxRefused` with a ``code`` (for tests and logs) and a
message for people.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pyexpat import XML_PARAM_ENTITY_PARSING_NEVER as NO_PARAM_ENTITIES
from pyexpat import ExpatError, ParserCreate

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

MONEY = "#,##0"
DATE = "dd/mm/yyyy"
TIME = "hh:mm"
TEXT = "@"
HEADER_FILL = PatternFill("solid", fgColor="1F5F3F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell

# --- writing ---------------------------------------------------------------------------------

# The attribute of a sheet holding the coordinates of the formulas written through
# formula(): the only formulas save() keeps.
_FORMULAS = "_hoptac_formulas"


def workbook() -> Workbook:
    """A new workbook, its properties naming Hợp Tác rather than the library."""
    book = Workbook()
    book.properties.creator = "Hợp Tác"
    return book


def clean_text(value) -> str:
    """``value`` as text a sheet can hold: control characters that XML forbids are dropped,
    the length is capped at Excel's 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))[:MAX_CELL_CHARS]


def _assign(cell, value) -> None:
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"  # never "f" (formula) nor "e" (error), whatever it begins with
    else:
        cell.value = value


def put(sheet, row: int, column: int, value, *, number_format: str | None = None, font=None, alignment=None):
    """Write ``value`` in a cell: a ``str`` always as text, numbers and dates as they are (an
    aware datetime as the local wall-clock time)."""
    cell = sheet.cell(row=row, column=column)
    _assign(cell, value)
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def text(sheet, row: int, column: int, value, **style):
    """A cell holding ``value`` as text with the text number format (``@``), so that Excel
    keeps it text when the cell is edited: account numbers, codes, names, memos."""
    return put(sheet, row, column, "" if value is None else str(value), number_format=TEXT, **style)


def formula(sheet, row: int, column: int, expression: str, *, number_format: str | None = None):
    """A formula of ours (a total, a check), never built from user text. The only way a
    formula reaches a saved workbook."""
    cell = sheet.cell(row=row, column=column)
    cell.value = "=" + expression.removeprefix("=")
    cell.data_type = "f"
    if number_format:
        cell.number_format = number_format
    ours = getattr(sheet, _FORMULAS, None)
    if ours is None:
        ours = set()
        setattr(sheet, _FORMULAS, ours)
    ours.add(cell.coordinate)
    return cell


def header_row(sheet, row: int, columns: list[tuple[object, int]]) -> None:
    """Column titles in the house style, with the column widths."""
    for index, (label, width) in enumerate(columns, start=1):
        put(sheet, row, index, label, font=HEADER_FONT, alignment=HEADER_ALIGNMENT).fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = width


def define_name(book: Workbook, sheet, name: str, row: int, column: int) -> None:
    """A workbook name for one cell (``grand_total``…), so a formula or a test finds it."""
    ref = f"'{sheet.title}'!${get_column_letter(column)}${row}"
    book.defined_names[name] = DefinedName(name, attr_text=ref)


def _header_footer_text(value: str, limit: int = 80) -> str:
    # "&" starts a code in headers and footers ("&P" is the page number): "&&" is an "&".
    return clean_text(" ".join(str(value).split()))[:limit].replace("&", "&&")


def page_setup(
    sheet, *, landscape: bool, title: str = "", repeat_rows: tuple[int, int] | None = None
) -> None:
    """Print setup: A4, portrait or landscape, fit to one page wide (as many pages down as
    needed), the header rows repeated on every page, ``title`` at the top and the page
    number at the foot of each page."""
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.25, footer=0.25)
    sheet.print_options.horizontalCentered = True
    if repeat_rows:
        sheet.print_title_rows = f"{repeat_rows[0]}:{repeat_rows[1]}"
    if title:
        sheet.oddHeader.center.text = _header_footer_text(title)
        sheet.oddHeader.center.size = 9
    sheet.oddFooter.center.text = _header_footer_text(_("Page %(page)s of %(pages)s"), limit=120) % {
        "page": "&P",
        "pages": "&N",
    }
    sheet.oddFooter.center.size = 9


def neutralise(book: Workbook) -> int:
    """Turn every formula and error not written by :func:`formula` back into text; returns
    how many cells it changed (0 when every cell went through :func:`put`)."""
    changed = 0
    for sheet in book.worksheets:
        ours = getattr(sheet, _FORMULAS, set())
        for cell in sheet._cells.values():
            if cell.data_type in ("f", "e") and isinstance(cell._value, str) and cell.coordinate not in ours:
                cell._value = clean_text(cell._value)
                cell.data_type = "s"
                changed += 1
    return changed


def save(book) -> bytes:
    """The workbook (or a :class:`StreamBook`) as the bytes of an .xlsx file, user text never
    a formula."""
    buffer = io.BytesIO()
    if isinstance(book, StreamBook):
        book.save_to(buffer)
    else:
        neutralise(book)
        book.save(buffer)
    return buffer.getvalue()


# --- writing a large set: streaming ----------------------------------------------------------


class _PendingCell:
    """A cell of a :class:`StreamSheet` not yet written: what the export set on it. A ``str``
    value is text (``data_type`` "s") whatever it begins with; only :func:`formula` makes it
    a formula."""

    __slots__ = ("_value", "alignment", "border", "column", "data_type", "fill", "font", "number_format", "row")

    def __init__(self, row: int, column: int):
        self.row = row
        self.column = column
        self._value = None
        self.data_type = "n"
        self.number_format = None
        self.font = None
        self.fill = None
        self.border = None
        self.alignment = None

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, value):
        self._value = value
        if isinstance(value, str):
            self.data_type = "s"

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"


class StreamSheet:
    """A sheet written row by row to a temporary file (openpyxl's write-only mode), with the
    calls of an ordinary sheet that the exports use: ``cell()``, ``merge_cells()``,
    ``column_dimensions``, ``row_dimensions``, ``freeze_panes``, the print setup, and
    :func:`put` / :func:`text` / :func:`formula` / :func:`header_row` / :func:`page_setup`.

    The last ``WINDOW`` rows touched stay in memory so that a header can be styled after it
    is written; older rows are written out and cannot be changed any more (asking for one is
    a ``ValueError``: the export must write in row order). Column widths, row heights and
    the frozen panes must be set before the rows they concern leave the window, and column
    widths and panes before the first row is written: the first ``WINDOW`` rows are kept
    until then."""

    WINDOW = 64

    def __init__(self, book: StreamBook, ws):
        object.__setattr__(self, "_book", book)
        object.__setattr__(self, "_ws", ws)
        object.__setattr__(self, "_pending", {})
        object.__setattr__(self, "_written", 0)  # the last row written out
        # Written with the sheet's first row, before page_setup() is called at the end:
        # every sheet of every export is fit to the page width.
        ws.sheet_properties.pageSetUpPr.fitToPage = True

    # Everything else (title, column_dimensions, page_setup, print_options…) is the sheet's.
    def __getattr__(self, name):
        return getattr(self._ws, name)

    def __setattr__(self, name, value):
        if name == "freeze_panes" and isinstance(value, _PendingCell):
            value = value.coordinate
        setattr(self._ws, name, value)

    def cell(self, row: int, column: int) -> _PendingCell:
        if row <= self._written:
            raise ValueError(f"Row {row} of a streamed sheet was already written (rows go in order).")
        cells = self._pending.get(row)
        if cells is None:
            cells = self._pending[row] = {}
            if row - self.WINDOW > self._written:
                self._flush(row - self.WINDOW)
        found = cells.get(column)
        if found is None:
            found = cells[column] = _PendingCell(row, column)
        return found

    def merge_cells(self, *, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
        self._ws.merged_cells.add(
            CellRange(min_col=start_column, min_row=start_row, max_col=end_column, max_row=end_row)
        )

    def _flush(self, upto: int) -> None:
        """Write out every row up to ``upto`` (included), empty ones as empty rows."""
        ws, book = self._ws, self._book
        for number in range(self._written + 1, upto + 1):
            cells = self._pending.pop(number, None)
            if not cells:
                ws.append([])
                continue
            out = [None] * max(cells)
            for column, pending in cells.items():
                out[column - 1] = book._cell(ws, pending)
            ws.append(out)
        object.__setattr__(self, "_written", max(self._written, upto))

    def close(self) -> None:
        if self._pending:
            self._flush(max(self._pending))


class StreamBook:
    """A workbook for a large set (openpyxl's write-only mode): each sheet's rows go to a
    temporary file as they are written, so memory stays flat whatever the number of rows.
    Styles are shared: each combination of number format, font, fill, border and alignment
    used is one named style of the book (``hoptac-1``, ``hoptac-2``…), which every cell of
    that look refers to."""

    def __init__(self):
        self.book = Workbook(write_only=True)
        self.book.properties.creator = "Hợp Tác"
        self.sheets: list[StreamSheet] = []
        self._styles: dict[tuple, str] = {}
        self._arrays: dict[tuple, StyleArray] = {}  # the cell style of each look, once bound

    @property
    def defined_names(self):
        return self.book.defined_names

    def sheet(self, title: str) -> StreamSheet:
        stream = StreamSheet(self, self.book.create_sheet(title=str(title)[:31]))
        self.sheets.append(stream)
        return stream

    def _style(self, key: tuple) -> str:
        """The named style of one look (number format, font, fill, border, alignment)."""
        name = self._styles.get(key)
        if name is None:
            name = f"hoptac-{len(self._styles) + 1}"
            style = NamedStyle(name=name)
            number_format, *parts = key
            if number_format:
                style.number_format = number_format
            for attr, value in zip(("font", "fill", "border", "alignment"), parts, strict=True):
                if value is not None:
                    setattr(style, attr, value)
            self.book.add_named_style(style)
            self._styles[key] = name
        return name

    def _cell(self, ws, pending: _PendingCell) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws)
        value = pending._value
        if isinstance(value, Promise):
            value = str(value)
        if isinstance(value, str):
            cell._value = clean_text(value) if pending.data_type != "f" else value
            cell.data_type = "f" if pending.data_type == "f" else "s"
        elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            cell._value = value
            cell.data_type = "n"
        elif value is not None:
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = timezone.localtime(value).replace(tzinfo=None)
            cell.value = value
        key = (pending.number_format, pending.font, pending.fill, pending.border, pending.alignment)
        if key != (None, None, None, None, None):
            shared = self._arrays.get(key)
            if shared is None:
                cell.style = self._style(key)
                shared = self._arrays[key] = StyleArray(cell._style)
            else:
                cell._style = StyleArray(shared)
        elif isinstance(value, (dt.date, dt.time)):
            cell.number_format = DATE if isinstance(value, dt.date) else TIME
        return cell

    def save_to(self, target) -> None:
        """Write the book to ``target`` (a path or a binary file)."""
        for sheet in self.sheets:
            sheet.close()
        self.book.save(target)


def counted(items, *, total: int, progress=None, every: int = 500):
    """Yield ``items``, calling ``progress(done, total)`` every ``every`` items and at the end:
    how an export tells its job how far it is."""
    done = 0
    for item in items:
        yield item
        done += 1
        if progress is not None and done % every == 0:
            progress(done, total)
    if progress is not None:
        progress(done, max(total, done))


def stream_workbook() -> StreamBook:
    """A new :class:`StreamBook`: for exports of a whole set (members, a season, a statement)."""
    return StreamBook()


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What a workbook may hold. The defaults fit a list of 5,000 households many times over."""

    unpacked_bytes: int = 20 * 1024 * 1024  # all parts together, unpacked
    rows: int = 10_000  # the last row of a sheet, empty rows counted
    columns: int = 60
    cells: int = 200_000  # all sheets together, empty styled cells counted
    strings: int = 200_000  # entries of the shared strings table
    string_chars: int = MAX_CELL_CHARS
    parts: int = 1_000  # files inside the zip
    ratio: int = 100  # unpacked / packed size of one part, checked for parts over 1 MB
    elements: int = 1_000_000  # XML elements of all parts together
    part_elements: int = 50_000  # XML elements of a part other than a sheet or the strings
    sheets: int = 100


class XlsxRefused(Exception):
    """A workbook refused before or while reading it. ``str()`` is the message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


_RANGE = re.compile(r"^\$?([A-Za-z]+)?\$?(\d+)?(?::\$?([A-Za-z]+)?\$?(\d+)?)?$")


def _column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - 64)
    return index


def unreadable() -> XlsxRefused:
    return XlsxRefused(
        "unreadable",
        _("This file cannot be read as an Excel workbook (.xlsx). Save it as .xlsx and try again."),
    )


def _too_many_rows(limits: Limits) -> XlsxRefused:
    return XlsxRefused(
        "rows",
        _(
            "The sheet goes beyond row %(max)s (empty rows count too). Delete the empty rows under "
            "the list, or split the file and import each part."
        )
        % {"max": f"{limits.rows:,}".replace(",", ".")},
    )


def _too_many_columns(limits: Limits) -> XlsxRefused:
    return XlsxRefused(
        "columns",
        _("The sheet has more than %(max)s columns. Keep only the template's columns.")
        % {"max": limits.columns},
    )


class _Totals:
    """What the parts of one workbook hold together."""

    __slots__ = ("cells", "elements", "sheets", "strings")

    def __init__(self):
        self.cells = 0
        self.elements = 0
        self.sheets = 0
        self.strings = 0


def _too_complex(limit: int) -> XlsxRefused:
    return XlsxRefused(
        "elements",
        _(
            "The file is too complex (more than %(max)s pieces of styles, names or other parts). "
            "Copy only the member list into a new workbook, save it as .xlsx and try again."
        )
        % {"max": f"{limit:,}".replace(",", ".")},
    )


class _Scan:
    """Streams one part through expat: no DTD, well formed, and within the limits. Called
    for every element of a sheet, so it does as little as it can per element."""

    def __init__(self, limits: Limits, totals: _Totals, names: dict[str, str], letters: dict[str, int]):
        self.limits = limits
        self.totals = totals
        self.names = names  # expat's name ("namespace local") -> local name
        self.letters = letters  # column letters -> column number
        self.rows = 0  # rows of this part
        self.last_row = 0
        self.column = 0  # the column of the current cell
        self.string_chars = 0  # characters of the current shared string
        self.elements = 0  # elements of this part
        self.expat = None

    def parser(self):
        parser = ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.SetParamEntityParsing(NO_PARAM_ENTITIES)
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.doctype
        parser.ExternalEntityRefHandler = self.doctype
        parser.StartElementHandler = self.start
        self.expat = parser
        return parser

    def doctype(self, *_args):
        raise XlsxRefused(
            "doctype",
            _(
                "The file holds XML declarations (DOCTYPE or ENTITY) that Excel never writes. "
                "It was refused for safety: save it again from Excel as .xlsx."
            ),
        )

    def start(self, name: str, attrs: dict[str, str]):
        """The root element: a sheet or the shared strings are read cell by cell (``cell``),
        any other part (styles, the workbook, relations…) is only counted (``other``),
        openpyxl building an object for most of its elements."""
        local = name.rpartition(" ")[2]
        handler = self.cell if local in ("worksheet", "sst") else self.other
        self.expat.StartElementHandler = handler
        handler(name, attrs)

    def other(self, name: str, attrs: dict[str, str]):
        self.totals.elements += 1
        self.elements += 1
        if self.elements > self.limits.part_elements:
            raise _too_complex(self.limits.part_elements)
        if self.totals.elements > self.limits.elements:
            raise _too_complex(self.limits.elements)
        local = self.names.get(name)
        if local is None:
            local = self.names[name] = name.rpartition(" ")[2]
        if local == "sheet":
            self.totals.sheets += 1
            if self.totals.sheets > self.limits.sheets:
                raise XlsxRefused(
                    "sheets",
                    _("The file has more than %(max)s sheets. Keep only the member list in it.")
                    % {"max": self.limits.sheets},
                )

    def cell(self, name: str, attrs: dict[str, str]):
        self.totals.elements += 1
        if self.totals.elements > self.limits.elements:
            raise _too_complex(self.limits.elements)
        local = self.names.get(name)
        if local is None:
            local = self.names[name] = name.rpartition(" ")[2]
        if local == "c":
            self.totals.cells += 1
            if self.totals.cells > self.limits.cells:
                raise XlsxRefused(
                    "cells",
                    _("The file has more than %(max)s cells. Split it and import each part.")
                    % {"max": f"{self.limits.cells:,}".replace(",", ".")},
                )
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                column = self.letters.get(letters)
                if column is None:
                    column = self.letters[letters] = _column_index(letters)
                self.column = column
            else:
                self.column += 1
            if self.column > self.limits.columns:
                raise _too_many_columns(self.limits)
        elif local == "row":
            self.rows += 1
            self.column = 0
            number = attrs.get("r", "")
            self.last_row = int(number) if number.isdigit() else self.last_row + 1
            if self.rows > self.limits.rows or self.last_row > self.limits.rows:
                raise _too_many_rows(self.limits)
        elif local == "si":
            self.totals.strings += 1
            self.string_chars = 0
            if self.totals.strings > self.limits.strings:
                raise XlsxRefused(
                    "strings",
                    _("The file holds more than %(max)s different texts. Split it and import each part.")
                    % {"max": f"{self.limits.strings:,}".replace(",", ".")},
                )
        elif local == "sst":
            # The shared strings table: from here on, measure the length of each string.
            self.expat.CharacterDataHandler = self.chars
        elif local == "dimension":
            self.dimension(attrs.get("ref", ""))

    def dimension(self, ref: str):
        found = _RANGE.match(ref.strip())
        if not found:
            return
        first_col, first_row, last_col, last_row = found.groups()
        columns = [_column_index(c) for c in (first_col, last_col) if c]
        rows = [int(r) for r in (first_row, last_row) if r]
        if any(r > self.limits.rows for r in rows):
            raise _too_many_rows(self.limits)
        if any(c > self.limits.columns for c in columns):
            raise _too_many_columns(self.limits)

    def chars(self, data: str):
        self.string_chars += len(data)
        if self.string_chars > self.limits.string_chars:
            raise XlsxRefused(
                "string_length",
                _("A cell holds more than %(max)s characters, more than Excel allows.")
                % {"max": f"{self.limits.string_chars:,}".replace(",", ".")},
            )


def check(content: bytes, limits: Limits) -> None:
    """Refuse ``content`` (:class:`XlsxRefused`) unless it is a workbook within ``limits``;
    reads the zip's directory, then streams every part once, stopping at the first problem."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise unreadable() from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.parts:
            raise XlsxRefused(
                "parts",
                _("The file holds more than %(max)s parts: it is not a member list.") % {"max": limits.parts},
            )
        unpacked = sum(info.file_size for info in infos)
        if unpacked > limits.unpacked_bytes:
            raise XlsxRefused(
                "unpacked_size",
                _(
                    "The file unpacks to more than %(mb)s MB. Keep only the member list in it, "
                    "or split it and import each part."
                )
                % {"mb": limits.unpacked_bytes // (1024 * 1024)},
            )
        for info in infos:
            if info.file_size > 1024 * 1024 and info.file_size > limits.ratio * max(info.compress_size, 1):
                raise XlsxRefused(
                    "ratio",
                    _(
                        "The file holds a part that unpacks to %(ratio)s times its size, which no "
                        "spreadsheet does. It was refused for safety: save it again from Excel as .xlsx."
                    )
                    % {"ratio": info.file_size // max(info.compress_size, 1)},
                )
        totals, names, letters = _Totals(), {}, {}
        for info in infos:
            if not info.is_dir():
                _check_part(archive, info, _Scan(limits, totals, names, letters))


def _check_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, scan: _Scan) -> None:
    parser = scan.parser()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except ExpatError:
        if not info.filename.lower().endswith((".xml", ".rels")):
            # A picture, a printer setting, an embedded file, legacy VML (often not well
            # formed): openpyxl does not read it as a sheet, or fails on it as we would.
            return
        raise XlsxRefused(
            "malformed",
            _(
                "The file is damaged (part %(part)s is not well-formed XML). Save it again from Excel as .xlsx."
            )
            % {"part": info.filename[:80]},
        ) from None
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError, ValueError):
        # A bad checksum or compression, an unknown compression method, a password.
        raise unreadable() from None


def read_rows(content: bytes, limits: Limits, *, sheet: int = 0) -> Iterator[tuple[int, tuple]]:
    """(row number, values) of every row of a sheet, from row 1, empty rows included, after
    :func:`check`. Raises :class:`XlsxRefused` as soon as a limit is passed."""
    check(content, limits)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file; each is "cannot be read"
        raise unreadable() from None
    try:
        if not book.worksheets or sheet >= len(book.worksheets):
            raise XlsxRefused("empty", _("The first sheet is empty."))
        try:
            rows = book.worksheets[sheet].iter_rows(min_row=1, values_only=True)
        except Exception:
            raise unreadable() from None
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                break
            except Exception:
                raise unreadable() from None
            number += 1
            if number > limits.rows:
                raise _too_many_rows(limits)
            if values and len(values) > limits.columns:
                raise _too_many_columns(limits)
            yield number, tuple(values or ())
    finally:
        book.close()


__all__ = [
    "CONTENT_TYPE",
    "DATE",
    "StreamBook",
    "StreamSheet",
    "MONEY",
    "TIME",
    "Limits",
    "XlsxRefused",
    "check",
    "counted",
    "define_name",
    "formula",
    "header_row",
    "page_setup",
    "put",
    "read_rows",
    "save",
    "stream_workbook",
    "text",
    "workbook",
]

"""Excel workbooks of buying from members: the daily collection sheet and the season summary
per member (the bảng kê 01/TNDN or 02/TNDN is in ``offtake/purchase_list.py``).

The numbers are the selectors' numbers, written as numbers: amounts in whole đồng with the
``#,##0`` format, quantities in the product's base unit (kg or litre), dates as real dates
shown ``dd/mm/yyyy``. Each total cell carries a workbook name (``grand_total``,
``total_amount``…) so that a formula, or a test, finds it without counting rows. Every cell
goes through the one writer (``lib.xlsx``): names of members, villages, products, points and
seasons are written as text, never as formulas, and every sheet prints on A4.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from hoptac.lib import xlsx
from hoptac.offtake.models import Grade

MONEY = xlsx.MONEY
DATE = xlsx.DATE
TIME = xlsx.TIME
HEADER_FILL = xlsx.HEADER_FILL
HEADER_FONT = xlsx.HEADER_FONT
TOTAL_FILL = PatternFill("solid", fgColor="EEF1EF")
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)


# --- helpers -------------------------------------------------------------------------------------


def quantity_format(value) -> str:
    """Whole quantities without decimals, others with up to three (grams, millilitres)."""
    if value is None:
        return "General"
    return "#,##0" if Decimal(value) == Decimal(value).to_integral_value() else "#,##0.0##"


def _qty(cell, value) -> None:
    cell.value = value
    cell.number_format = quantity_format(value)


def _money(cell, value) -> None:
    cell.value = value
    cell.number_format = MONEY


def _name(book: Workbook, sheet, name: str, row: int, col: int) -> None:
    xlsx.define_name(book, sheet, name, row, col)


def _coop_header(sheet, cooperative, *, width: int) -> int:
    """Name, address, tax code and phone on rows 1–2; returns the next free row."""
    xlsx.put(sheet, 1, 1, cooperative.name, font=Font(bold=True, size=13))
    details = [cooperative.address]
    if cooperative.tax_code:
        details.append(_("Tax code: %(code)s") % {"code": cooperative.tax_code})
    if cooperative.phone:
        details.append(_("Phone: %(phone)s") % {"phone": cooperative.phone})
    xlsx.put(sheet, 2, 1, " · ".join(d for d in details if d))
    for row in (1, 2):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    return 3


def _title(sheet, row: int, text: str, *, width: int, size: int = 14) -> None:
    xlsx.put(sheet, row, 1, text, font=Font(bold=True, size=size), alignment=Alignment(horizontal="center"))
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _table_header(sheet, row: int, columns: list[tuple[str, int]]) -> None:
    xlsx.header_row(sheet, row, columns)
    sheet.row_dimensions[row].height = 32


def _total_row(sheet, row: int, width: int) -> None:
    for col in range(1, width + 1):
        cell = sheet.cell(row=row, column=col)
        cell.fill = TOTAL_FILL
        cell.font = Font(bold=True)


def _page_setup(sheet, *, landscape: bool, title_row: int, title: str = "") -> None:
    xlsx.page_setup(sheet, landscape=landscape, title=title, repeat_rows=(title_row, title_row))


def _save(book: Workbook) -> bytes:
    return xlsx.save(book)


def _local(moment: dt.datetime) -> dt.datetime:
    """Excel has no time zones: the local wall-clock time."""
    return timezone.localtime(moment).replace(tzinfo=None)


def _grade(value: int) -> str:
    return str(Grade(value).label)


def _unit_label(base_unit: str) -> str:
    return "kg" if base_unit == "kg" else "lít"


# --- daily collection sheet ----------------------------------------------------------------------


def daily_sheet_workbook(sheet_data, *, cooperative) -> bytes:
    """Every line of the day's confirmed receipts, then the totals per product and grade."""
    book = xlsx.stream_workbook()
    sheet = book.sheet(_("Daily sheet"))
    columns = [
        (pgettext("row number", "No."), 5),
        (_("Receipt"), 12),
        (_("Time"), 7),
        (_("Member"), 24),
        (_("Village"), 18),
        (_("Product"), 22),
        (_("Grade"), 9),
        (_("Quantity"), 10),
        (_("Unit"), 6),
        (_("Net (kg or litre)"), 12),
        (_("Unit price (VND)"), 13),
        (_("Amount (VND)"), 15),
    ]
    width = len(columns)
    row = _coop_header(sheet, cooperative, width=width)
    _title(sheet, row + 1, _("DAILY COLLECTION SHEET"), width=width)
    point = sheet_data.point.name if sheet_data.point else _("All collection points")
    day_line = _("Day: %(day)s · Collection point: %(point)s") % {
        "day": sheet_data.day.strftime("%d/%m/%Y"),
        "point": point,
    }
    xlsx.put(sheet, row + 2, 1, day_line)
    header_row = row + 4
    _table_header(sheet, header_row, columns)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)

    row = header_row
    for number, receipt in enumerate(sheet_data.receipts, start=1):
        member = receipt.member
        for line in receipt.lines.all():
            row += 1
            values = [
                number,
                receipt.code,
                _local(receipt.collected_at),
                member.full_name,
                member.village.name if member.village_id else "",
                line.product.name,
                _grade(line.grade),
            ]
            for col, value in enumerate(values, start=1):
                xlsx.put(sheet, row, col, value)
            sheet.cell(row=row, column=3).number_format = TIME
            _qty(sheet.cell(row=row, column=8), line.quantity)
            xlsx.put(sheet, row, 9, line.get_unit_display())
            _qty(sheet.cell(row=row, column=10), line.net_quantity)
            _money(sheet.cell(row=row, column=11), line.unit_price_vnd)
            _money(sheet.cell(row=row, column=12), line.amount_vnd)

    row += 2
    xlsx.put(sheet, row, 1, _("Totals by product and grade"), font=Font(bold=True))
    row += 1
    for col, label in (
        (6, _("Product")),
        (7, _("Grade")),
        (8, _("Quantity")),
        (10, _("Net (kg or litre)")),
        (12, _("Amount (VND)")),
    ):
        xlsx.put(sheet, row, col, label, font=Font(bold=True))
    for total in sheet_data.totals:
        row += 1
        xlsx.put(sheet, row, 6, total["product__name"])
        xlsx.put(sheet, row, 7, _grade(total["grade"]))
        _qty(sheet.cell(row=row, column=8), total["quantity"])
        xlsx.put(sheet, row, 9, _unit_label(total["product__base_unit"]))
        _qty(sheet.cell(row=row, column=10), total["net"])
        _money(sheet.cell(row=row, column=12), total["amount"])
    row += 1
    _total_row(sheet, row, width)
    xlsx.put(sheet, row, 6, _("Grand total"))
    xlsx.put(
        sheet,
        row,
        7,
        ngettext("%(count)s receipt", "%(count)s receipts", len(sheet_data.receipts))
        % {"count": len(sheet_data.receipts)},
    )
    _money(sheet.cell(row=row, column=12), sheet_data.total_vnd)
    _name(book, sheet, "grand_total", row, 12)

    row += 3
    for col, label in ((2, _("Collector")), (6, _("Accountant")), (10, _("Director"))):
        xlsx.put(sheet, row, col, label, font=Font(bold=True))
        xlsx.put(sheet, row + 1, col, _("(signature, full name)"), font=Font(italic=True))
    title = f"{cooperative.name} · {_('DAILY COLLECTION SHEET')} · {sheet_data.day:%d/%m/%Y}"
    _page_setup(sheet, landscape=True, title_row=header_row, title=title)
    return _save(book)


# --- season summary --------------------------------------------------------------------------------


def season_summary_workbook(season, rows, *, cooperative, target=None, progress=None) -> bytes | None:
    """Per member: receipts, quantity and amount bought in the season, and the fulfilment of
    the member's agreement. Streamed; written to ``target`` when given (an export job), else
    returned as bytes; ``progress(done, total)`` follows the rows."""
    unit = season.product.unit_label
    book = xlsx.stream_workbook()
    sheet = book.sheet(_("Season summary"))
    columns = [
        (pgettext("row number", "No."), 5),
        (_("Member"), 26),
        (_("Village"), 20),
        (_("Receipts"), 9),
        (_("Quantity (%(unit)s)") % {"unit": unit}, 13),
        (_("Amount (VND)"), 16),
        (_("Committed (%(unit)s)") % {"unit": unit}, 13),
        (_("Fulfilment (%)"), 12),
    ]
    width = len(columns)
    row = _coop_header(sheet, cooperative, width=width)
    _title(sheet, row + 1, _("SEASON SUMMARY"), width=width)
    xlsx.put(
        sheet,
        row + 2,
        1,
        _("%(season)s · %(product)s · %(start)s to %(end)s")
        % {
            "season": season.name,
            "product": season.product.name,
            "start": season.starts_on.strftime("%d/%m/%Y"),
            "end": season.ends_on.strftime("%d/%m/%Y"),
        },
    )
    header_row = row + 4
    _table_header(sheet, header_row, columns)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)

    row = header_row
    total_qty, total_amount, total_receipts = Decimal(0), 0, 0
    for number, item in enumerate(xlsx.counted(rows, total=len(rows), progress=progress), start=1):
        row += 1
        member = item.member
        xlsx.put(sheet, row, 1, number)
        xlsx.text(sheet, row, 2, member.full_name)
        xlsx.text(sheet, row, 3, member.village.name if member.village_id else "")
        xlsx.put(sheet, row, 4, item.receipts)
        _qty(sheet.cell(row=row, column=5), item.quantity)
        _money(sheet.cell(row=row, column=6), item.amount_vnd)
        if item.committed is not None:
            _qty(sheet.cell(row=row, column=7), item.committed)
            xlsx.put(sheet, row, 8, item.percent)
        total_qty += item.quantity
        total_amount += item.amount_vnd
        total_receipts += item.receipts

    row += 1
    _total_row(sheet, row, width)
    xlsx.put(sheet, row, 2, _("Total"))
    xlsx.put(sheet, row, 4, total_receipts)
    _qty(sheet.cell(row=row, column=5), total_qty)
    _money(sheet.cell(row=row, column=6), total_amount)
    _name(book, sheet, "total_quantity", row, 5)
    _name(book, sheet, "total_amount", row, 6)
    title = f"{cooperative.name} · {_('SEASON SUMMARY')} · {season.name}"
    _page_setup(sheet, landscape=False, title_row=header_row, title=title)
    if target is not None:
        book.save_to(target)
        return None
    return _save(book)

"""A member's statement (sao kê) as an Excel workbook, the same numbers as the page.

Amounts are whole đồng with the ``#,##0`` format, dates are real dates shown
``dd/mm/yyyy``. The closing balance cell carries the workbook name ``closing_balance``
(and the opening one ``opening_balance``) so a formula or a check can find it.
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from hoptac.ledger.selectors import Statement
from hoptac.lib.money import group_digits

MONEY = "#,##0"
DATE = "dd/mm/yyyy"
HEADER_FILL = PatternFill("solid", fgColor="1F5F3F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TOTAL_FILL = PatternFill("solid", fgColor="EEF1EF")
THIN = Side(style="thin", color="D5DBD7")


def _columns() -> list[tuple[str, int]]:
    """(label, width) of the table's columns; the amounts are the last three."""
    return [
        (pgettext("row number", "No."), 6),
        (_("Date"), 12),
        (_("Kind"), 22),
        (_("Description"), 44),
        (_("Code"), 12),
        (_("In (VND)"), 15),
        (_("Out (VND)"), 15),
        (_("Balance (VND)"), 16),
    ]


COL_IN, COL_OUT, COL_BALANCE = 6, 7, 8


def text_cell(sheet, *, row: int, column: int, value: str):
    """A cell holding ``value`` as text, whatever it starts with: user text (a name, a
    memo) is never a formula (``=HYPERLINK(...)`` stays the characters typed)."""
    cell = sheet.cell(row=row, column=column)
    cell.value = "" if value is None else str(value)
    cell.data_type = "s"
    cell.number_format = "@"
    return cell


def _name(book: Workbook, name: str, sheet_title: str, row: int, col: int) -> None:
    ref = f"'{sheet_title}'!${get_column_letter(col)}${row}"
    book.defined_names[name] = DefinedName(name, attr_text=ref)


def statement_workbook(stmt: Statement, *, cooperative, start: dt.date, end: dt.date) -> bytes:
    member = stmt.member
    book = Workbook()
    sheet = book.active
    sheet.title = _("Statement")[:31]

    # The cooperative's header and what this is.
    sheet["A1"] = cooperative.name
    sheet["A1"].font = Font(bold=True, size=13)
    details = [cooperative.address]
    if cooperative.tax_code:
        details.append(_("Tax code: %(code)s") % {"code": cooperative.tax_code})
    if cooperative.phone:
        details.append(_("Phone: %(phone)s") % {"phone": cooperative.phone})
    sheet["A2"] = " · ".join(d for d in details if d)
    sheet["A3"] = _("MEMBER STATEMENT")
    sheet["A3"].font = Font(bold=True, size=14)
    village = member.village.name if getattr(member, "village", None) else ""
    text_cell(
        sheet,
        row=4,
        column=1,
        value=_("Member: %(name)s") % {"name": member.full_name} + (f" — {village}" if village else ""),
    )
    sheet["A5"] = _("Period: %(start)s to %(end)s") % {
        "start": start.strftime("%d/%m/%Y"),
        "end": end.strftime("%d/%m/%Y"),
    }
    sheet["A6"] = _("Printed on %(day)s") % {"day": timezone.localdate().strftime("%d/%m/%Y")}

    header_row = 8
    for col, (label, width) in enumerate(_columns(), start=1):
        cell = sheet.cell(row=header_row, column=col, value=label)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)

    row = header_row + 1
    sheet.cell(row=row, column=4, value=_("Opening balance")).font = Font(bold=True)
    opening = sheet.cell(row=row, column=COL_BALANCE, value=stmt.opening.net)
    opening.number_format, opening.font = MONEY, Font(bold=True)
    _name(book, "opening_balance", sheet.title, row, COL_BALANCE)

    for number, line in enumerate(stmt.lines, start=1):
        row += 1
        entry = line.entry
        memo = entry.memo
        if entry.kind == "deduction":
            memo = f"{memo} ({_('offset')}: {group_digits(-entry.receivable_delta)})"
        values = [
            number,
            timezone.localtime(entry.occurred_at).date(),
            str(entry.get_kind_display()),
            memo,
            entry.code,
            entry.net if entry.net > 0 else None,
            -entry.net if entry.net < 0 else None,
            line.balance_after,
        ]
        for col, value in enumerate(values, start=1):
            if col in (3, 4, 5):
                text_cell(sheet, row=row, column=col, value=value)
                continue
            cell = sheet.cell(row=row, column=col, value=value)
            if col == 2:
                cell.number_format = DATE
            elif col >= COL_IN:
                cell.number_format = MONEY

    row += 1
    sheet.cell(row=row, column=4, value=_("Total")).font = Font(bold=True)
    for col, value in ((COL_IN, stmt.total_in), (COL_OUT, stmt.total_out)):
        cell = sheet.cell(row=row, column=col, value=value)
        cell.number_format, cell.font = MONEY, Font(bold=True)
    for col in range(1, COL_BALANCE + 1):
        sheet.cell(row=row, column=col).fill = TOTAL_FILL
        sheet.cell(row=row, column=col).border = Border(top=THIN)

    row += 1
    sheet.cell(row=row, column=4, value=_("Closing balance")).font = Font(bold=True)
    closing = sheet.cell(row=row, column=COL_BALANCE, value=stmt.closing.net)
    closing.number_format, closing.font = MONEY, Font(bold=True)
    _name(book, "closing_balance", sheet.title, row, COL_BALANCE)

    row += 1
    for label, value in (
        (_("of which the cooperative owes the member"), stmt.closing.payable),
        (_("of which the member owes the cooperative"), stmt.closing.receivable),
    ):
        row += 1
        sheet.cell(row=row, column=4, value=label)
        sheet.cell(row=row, column=COL_BALANCE, value=value).number_format = MONEY
    row += 2
    sheet.cell(
        row=row,
        column=1,
        value=_(
            "Balance: positive, the cooperative owes the member; negative, the member owes the cooperative."
        ),
    ).font = Font(italic=True)

    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def payout_batch_workbook(run, payouts, *, cooperative) -> bytes:
    """The bank batch file of a payout run (one row per prepared transfer): account number
    and BIN as text (leading zeros kept), the holder and bank name as text, the amount as
    a number, the transfer content with the payout code. Totals in the last row, with the
    workbook names ``batch_total`` and ``batch_count``."""
    from hoptac.lib.banks import bank_name

    book = Workbook()
    sheet = book.active
    sheet.title = run.code[:31]
    text_cell(sheet, row=1, column=1, value=cooperative.name).font = Font(bold=True, size=13)
    sheet["A2"] = _("Payout run %(run)s of %(day)s") % {
        "run": run.code,
        "day": timezone.localtime(run.created_at).strftime("%d/%m/%Y"),
    }
    columns = [
        (pgettext("row number", "No."), 6),
        (_("Account number"), 22),
        (_("Account holder"), 30),
        (_("Bank"), 30),
        (_("Bank BIN"), 10),
        (_("Amount (VND)"), 16),
        (_("Transfer content"), 28),
    ]
    header_row = 4
    for col, (label, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=header_row, column=col, value=label)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    row = header_row
    for number, payout in enumerate(payouts, start=1):
        row += 1
        sheet.cell(row=row, column=1, value=number)
        text_cell(sheet, row=row, column=2, value=payout.bank_account)
        text_cell(sheet, row=row, column=3, value=payout.account_holder)
        text_cell(sheet, row=row, column=4, value=bank_name(payout.bank_bin) or payout.bank_bin)
        text_cell(sheet, row=row, column=5, value=payout.bank_bin)
        sheet.cell(row=row, column=6, value=int(payout.amount)).number_format = MONEY
        text_cell(sheet, row=row, column=7, value=payout.code)
    row += 1
    sheet.cell(row=row, column=3, value=_("Total")).font = Font(bold=True)
    total = sheet.cell(row=row, column=6, value=sum(int(p.amount) for p in payouts))
    total.number_format, total.font = MONEY, Font(bold=True)
    _name(book, "batch_total", sheet.title, row, 6)
    count = sheet.cell(row=row, column=1, value=len(payouts))
    _name(book, "batch_count", sheet.title, row, 1)
    count.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

"""A member's statement (sao kê) as an Excel workbook, the same numbers as the page.

Amounts are whole đồng with the ``#,##0`` format, dates are real dates shown
``dd/mm/yyyy``. The closing balance cell carries the workbook name ``closing_balance``
(and the opening one ``opening_balance``) so a formula or a check can find it. Written
through the one writer (``lib.xlsx``): names, memos and codes are text, never formulas.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl.styles import Border, Font, PatternFill, Side

from hoptac.ledger.selectors import Statement
from hoptac.lib import xlsx
from hoptac.lib.money import group_digits

MONEY = xlsx.MONEY
DATE = xlsx.DATE
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
        (pgettext("member statement", "In (VND)"), 15),
        (pgettext("member statement", "Out (VND)"), 15),
        (_("Balance (VND)"), 16),
    ]


COL_IN, COL_OUT, COL_BALANCE = 6, 7, 8


def text_cell(sheet, *, row: int, column: int, value: str):
    """A cell holding ``value`` as text (``lib.xlsx.text``): user text (a name, a memo) is
    never a formula (``=HYPERLINK(...)`` stays the characters typed)."""
    return xlsx.text(sheet, row, column, value)


def statement_workbook(
    stmt: Statement, *, cooperative, start: dt.date, end: dt.date, target=None, progress=None
) -> bytes | None:
    """Streamed (``lib.xlsx.StreamBook``): written to ``target`` when given (an export job),
    else returned as bytes; ``progress(done, total)`` follows the lines."""
    member = stmt.member
    book = xlsx.stream_workbook()
    sheet = book.sheet(_("Statement"))

    # The cooperative's header and what this is.
    xlsx.put(sheet, 1, 1, cooperative.name, font=Font(bold=True, size=13))
    details = [cooperative.address]
    if cooperative.tax_code:
        details.append(_("Tax code: %(code)s") % {"code": cooperative.tax_code})
    if cooperative.phone:
        details.append(_("Phone: %(phone)s") % {"phone": cooperative.phone})
    xlsx.put(sheet, 2, 1, " · ".join(d for d in details if d))
    xlsx.put(sheet, 3, 1, _("MEMBER STATEMENT"), font=Font(bold=True, size=14))
    village = member.village.name if getattr(member, "village", None) else ""
    text_cell(
        sheet,
        row=4,
        column=1,
        value=_("Member: %(name)s") % {"name": member.full_name} + (f" — {village}" if village else ""),
    )
    xlsx.put(
        sheet,
        5,
        1,
        _("Period: %(start)s to %(end)s")
        % {"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")},
    )
    xlsx.put(sheet, 6, 1, _("Printed on %(day)s") % {"day": timezone.localdate().strftime("%d/%m/%Y")})

    header_row = 8
    xlsx.header_row(sheet, header_row, _columns())
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)

    row = header_row + 1
    xlsx.put(sheet, row, 4, _("Opening balance"), font=Font(bold=True))
    xlsx.put(sheet, row, COL_BALANCE, stmt.opening.net, number_format=MONEY, font=Font(bold=True))
    xlsx.define_name(book, sheet, "opening_balance", row, COL_BALANCE)

    lines = xlsx.counted(stmt.lines, total=len(stmt.lines), progress=progress)
    for number, line in enumerate(lines, start=1):
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
            cell = xlsx.put(sheet, row, col, value)
            if col == 2:
                cell.number_format = DATE
            elif col >= COL_IN:
                cell.number_format = MONEY

    row += 1
    xlsx.put(sheet, row, 4, _("Total"), font=Font(bold=True))
    for col, value in ((COL_IN, stmt.total_in), (COL_OUT, stmt.total_out)):
        xlsx.put(sheet, row, col, value, number_format=MONEY, font=Font(bold=True))
    for col in range(1, COL_BALANCE + 1):
        sheet.cell(row=row, column=col).fill = TOTAL_FILL
        sheet.cell(row=row, column=col).border = Border(top=THIN)

    row += 1
    xlsx.put(sheet, row, 4, _("Closing balance"), font=Font(bold=True))
    xlsx.put(sheet, row, COL_BALANCE, stmt.closing.net, number_format=MONEY, font=Font(bold=True))
    xlsx.define_name(book, sheet, "closing_balance", row, COL_BALANCE)

    row += 1
    for label, value in (
        (_("of which the cooperative owes the member"), stmt.closing.payable),
        (_("of which the member owes the cooperative"), stmt.closing.receivable),
    ):
        row += 1
        xlsx.put(sheet, row, 4, label)
        xlsx.put(sheet, row, COL_BALANCE, value, number_format=MONEY)
    row += 2
    xlsx.put(
        sheet,
        row,
        1,
        _("Balance: positive, the cooperative owes the member; negative, the member owes the cooperative."),
        font=Font(italic=True),
    )

    xlsx.page_setup(
        sheet,
        landscape=False,
        title=f"{cooperative.name} · {_('MEMBER STATEMENT')} · {member.full_name}",
        repeat_rows=(header_row, header_row),
    )
    if target is not None:
        book.save_to(target)
        return None
    return xlsx.save(book)


def statement_job(params: dict, *, target, progress=None) -> None:
    """The statement of an export job (``core/exports.py``): ``params`` has the member's
    uuid and the period's first and last day (ISO)."""
    from hoptac.coops.models import Member
    from hoptac.core.tenancy import require_cooperative
    from hoptac.ledger import selectors

    member = Member.objects.select_related("village").get(uuid=params["member"])
    start, end = dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"])
    lower, upper = selectors.day_bounds(start, end)
    stmt = selectors.statement(member, start=lower, end=upper)
    statement_workbook(
        stmt, cooperative=require_cooperative(), start=start, end=end, target=target, progress=progress
    )


def payout_batch_workbook(run, payouts, *, cooperative) -> bytes:
    """The bank batch file of a payout run (one row per prepared transfer): account number
    and BIN as text (leading zeros kept), the holder and bank name as text, the amount as
    a number, the transfer content with the payout code. Totals in the last row, with the
    workbook names ``batch_total`` and ``batch_count``."""
    from hoptac.lib.banks import bank_name

    book = xlsx.stream_workbook()
    sheet = book.sheet(run.code)
    text_cell(sheet, row=1, column=1, value=cooperative.name).font = Font(bold=True, size=13)
    run_title = _("Payout run %(run)s of %(day)s") % {
        "run": run.code,
        "day": timezone.localtime(run.created_at).strftime("%d/%m/%Y"),
    }
    xlsx.put(sheet, 2, 1, run_title)
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
    xlsx.header_row(sheet, header_row, columns)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    row = header_row
    for number, payout in enumerate(payouts, start=1):
        row += 1
        xlsx.put(sheet, row, 1, number)
        text_cell(sheet, row=row, column=2, value=payout.bank_account)
        text_cell(sheet, row=row, column=3, value=payout.account_holder)
        text_cell(sheet, row=row, column=4, value=bank_name(payout.bank_bin) or payout.bank_bin)
        text_cell(sheet, row=row, column=5, value=payout.bank_bin)
        xlsx.put(sheet, row, 6, int(payout.amount), number_format=MONEY)
        text_cell(sheet, row=row, column=7, value=payout.code)
    row += 1
    xlsx.put(sheet, row, 3, _("Total"), font=Font(bold=True))
    total = sum(int(p.amount) for p in payouts)
    xlsx.put(sheet, row, 6, total, number_format=MONEY, font=Font(bold=True))
    xlsx.define_name(book, sheet, "batch_total", row, 6)
    xlsx.put(sheet, row, 1, len(payouts), font=Font(bold=True))
    xlsx.define_name(book, sheet, "batch_count", row, 1)
    xlsx.page_setup(
        sheet, landscape=True, title=f"{cooperative.name} · {run_title}", repeat_rows=(header_row, header_row)
    )
    return xlsx.save(book)

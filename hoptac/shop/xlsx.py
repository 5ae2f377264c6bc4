"""The shop's workbooks (through ``lib/xlsx.py``, the one writer, streamed): the sales report,
a sheet per view of the figures (by product, by lot with the households whose produce went
into it, by channel, by day, and the cancelled or returned orders), and the cash/bank book.

Both are export kinds (``core/exports.py``, registered in ``ShopConfig.ready``): answered at
once when small, written by the worker beyond ``EXPORTS["INLINE_ROWS"]`` rows."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from hoptac.lib import xlsx
from hoptac.shop.selectors.reports import SalesReport

CONTENT_TYPE = xlsx.CONTENT_TYPE
QTY = "#,##0.###"


def _sheet(book, title: str, columns, *, heading: str = ""):
    sheet = book.sheet(title)
    xlsx.put(sheet, 1, 1, heading)
    xlsx.header_row(sheet, 3, columns)
    xlsx.page_setup(sheet, landscape=False, title=heading, repeat_rows=(3, 3))
    return sheet


def sales_workbook(
    report: SalesReport, *, cooperative, names: bool, target=None, progress=None
) -> bytes | None:
    """Streamed: written to ``target`` when given (an export job), else returned as bytes;
    ``progress(done, total)`` follows the rows of the lot sheet (a lot, then each household
    whose produce went into it), the one that grows with the sales."""
    book = xlsx.stream_workbook()
    heading = _("Sales of %(coop)s from %(start)s to %(end)s") % {
        "coop": cooperative.name,
        "start": report.start.strftime("%d/%m/%Y"),
        "end": report.end.strftime("%d/%m/%Y"),
    }
    sheet = _sheet(
        book,
        _("By product"),
        [(_("Product"), 36), (_("Orders"), 10), (_("Packs"), 10), (_("Amount (VND)"), 16)],
        heading=heading,
    )
    row = 4
    for item in report.by_product:
        xlsx.text(sheet, row, 1, item["name"])
        xlsx.put(sheet, row, 2, item["orders"])
        xlsx.put(sheet, row, 3, int(item["packs"] or 0))
        xlsx.put(sheet, row, 4, int(item["amount"] or 0), number_format=xlsx.MONEY)
        row += 1
    xlsx.put(sheet, row, 1, _("Total"))
    xlsx.put(sheet, row, 2, report.orders)
    xlsx.put(sheet, row, 3, report.packs)
    xlsx.put(sheet, row, 4, report.goods_vnd, number_format=xlsx.MONEY)

    sheet = _sheet(
        book,
        _("By lot"),
        [
            (_("Lot"), 16),
            (_("Product"), 30),
            (_("Packs"), 10),
            (_("Amount (VND)"), 16),
            (_("Household"), 28),
            (_("Village"), 18),
            (_("Quantity contributed"), 14),
            (_("Unit"), 8),
        ],
        heading=heading,
    )
    lot_rows = [
        item
        for lot in report.by_lot
        for item in ((lot, None, 0), *((lot, c, index) for index, c in enumerate(lot.contributors, start=1)))
    ]
    for row, (lot, c, index) in enumerate(
        xlsx.counted(lot_rows, total=len(lot_rows), progress=progress), start=4
    ):
        if c is None:
            xlsx.text(sheet, row, 1, lot.lot_code)
            xlsx.text(sheet, row, 2, lot.product)
            xlsx.put(sheet, row, 3, float(lot.packs), number_format=QTY)
            xlsx.put(sheet, row, 4, lot.amount_vnd, number_format=xlsx.MONEY)
            continue
        who = c.name if names else _("Household %(n)s") % {"n": index}
        xlsx.text(sheet, row, 5, who)
        xlsx.text(sheet, row, 6, c.village)
        xlsx.put(sheet, row, 7, float(c.quantity), number_format=QTY)
        xlsx.text(sheet, row, 8, c.unit)

    sheet = _sheet(
        book,
        _("By channel"),
        [
            (_("Channel"), 24),
            (_("Live sale or link"), 36),
            (_("Code"), 10),
            (_("Orders"), 10),
            (_("Amount (VND)"), 16),
            (_("Paid (VND)"), 16),
        ],
        heading=heading,
    )
    # One line per channel, then the live sales and share links, each under its channel.
    row = 4
    for item in report.by_channel:
        xlsx.text(sheet, row, 1, str(item["label"]))
        xlsx.put(sheet, row, 4, item["orders"])
        xlsx.put(sheet, row, 5, int(item["amount"] or 0), number_format=xlsx.MONEY)
        xlsx.put(sheet, row, 6, int(item.get("paid") or 0), number_format=xlsx.MONEY)
        row += 1
        for source in (s for s in report.by_source if s["channel"] == item["channel"]):
            xlsx.text(sheet, row, 1, str(source["label"]))
            xlsx.text(sheet, row, 2, source["name"])
            xlsx.text(sheet, row, 3, source["channel_ref"])
            xlsx.put(sheet, row, 4, source["orders"])
            xlsx.put(sheet, row, 5, int(source["amount"] or 0), number_format=xlsx.MONEY)
            xlsx.put(sheet, row, 6, int(source["paid"] or 0), number_format=xlsx.MONEY)
            row += 1

    sheet = _sheet(
        book, _("By day"), [(_("Day"), 14), (_("Orders"), 10), (_("Amount (VND)"), 16)], heading=heading
    )
    for row, item in enumerate(report.by_day, start=4):
        xlsx.put(sheet, row, 1, item["day"], number_format=xlsx.DATE)
        xlsx.put(sheet, row, 2, item["orders"])
        xlsx.put(sheet, row, 3, int(item["amount"] or 0), number_format=xlsx.MONEY)

    sheet = _sheet(
        book,
        _("Cancelled"),
        [(_("Status"), 20), (_("Orders"), 10), (_("Amount (VND)"), 16)],
        heading=heading,
    )
    for row, item in enumerate(report.undone, start=4):
        xlsx.text(sheet, row, 1, str(item["label"]))
        xlsx.put(sheet, row, 2, item["orders"])
        xlsx.put(sheet, row, 3, int(item["amount"] or 0), number_format=xlsx.MONEY)
    return _finish(book, target)


def _finish(book, target) -> bytes | None:
    if target is not None:
        book.save_to(target)
        return None
    return xlsx.save(book)


def sales_job(params: dict, *, target, progress=None) -> None:
    """The sales report of an export job: ``params`` has the period's first and last day
    (ISO) and ``names`` (the asker may read members' names)."""
    from hoptac.core.tenancy import require_cooperative
    from hoptac.shop.selectors.reports import sales_report

    start, end = dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"])
    sales_workbook(
        sales_report(start=start, end=end),
        cooperative=require_cooperative(),
        names=bool(params.get("names")),
        target=target,
        progress=progress,
    )


def cash_book_workbook(entries, *, opening: int, total: int, cooperative, target=None, progress=None):
    """The cash/bank book: its lines in number order with the balance after each (the
    selector's ``running_sum`` from ``opening``). Streamed, read in chunks; ``progress``
    follows the lines (``total`` of them, counted by the caller)."""
    book = xlsx.stream_workbook()
    sheet = book.sheet(_("Cash book"))
    xlsx.header_row(
        sheet,
        1,
        [
            (_("No."), 8),
            (_("Time"), 18),
            (_("Kind"), 18),
            (_("Account"), 10),
            (_("Order"), 14),
            (_("Memo"), 40),
            (_("Amount (VND)"), 16),
            (_("Balance (VND)"), 16),
        ],
    )
    rows = xlsx.counted(entries.iterator(chunk_size=500), total=total, progress=progress)
    for row, entry in enumerate(rows, start=2):
        xlsx.put(sheet, row, 1, entry.number)
        xlsx.put(sheet, row, 2, entry.at, number_format="dd/mm/yyyy hh:mm")
        xlsx.put(sheet, row, 3, entry.get_kind_display())
        xlsx.put(sheet, row, 4, entry.get_account_display())
        xlsx.text(sheet, row, 5, entry.order.code if entry.order else "")
        xlsx.text(sheet, row, 6, entry.memo)
        xlsx.put(sheet, row, 7, entry.amount_vnd, number_format=xlsx.MONEY)
        xlsx.put(sheet, row, 8, opening + (entry.running_sum or 0), number_format=xlsx.MONEY)
    xlsx.page_setup(sheet, landscape=True, title=f"{_('Cash book')} — {cooperative.name}", repeat_rows=(1, 1))
    return _finish(book, target)


def cash_book_dates(params: dict) -> dict:
    """The book's filter (``date_from``, ``date_to``) from a job's ``params`` (ISO days)."""
    return {key: dt.date.fromisoformat(params[key]) for key in ("date_from", "date_to") if params.get(key)}


def cash_book_job(params: dict, *, target, progress=None) -> None:
    """The cash book of an export job: ``params`` has the first and last day shown (ISO, or
    absent for the whole book)."""
    from hoptac.core.tenancy import require_cooperative
    from hoptac.shop.selectors.payments import cash_book

    entries, opening = cash_book(**cash_book_dates(params))
    cash_book_workbook(
        entries,
        opening=opening,
        total=entries.count(),
        cooperative=require_cooperative(),
        target=target,
        progress=progress,
    )

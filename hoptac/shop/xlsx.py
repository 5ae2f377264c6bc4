"""The sales report as a workbook (through ``lib/xlsx.py``, the one writer): a sheet per
view of the figures: by product, by lot with the households whose produce went into it, by
channel, by day, and the cancelled or returned orders."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hoptac.lib import xlsx
from hoptac.shop.selectors.reports import SalesReport

CONTENT_TYPE = xlsx.CONTENT_TYPE
QTY = "#,##0.###"


def _sheet(book, title: str, columns, *, first: bool = False, heading: str = ""):
    sheet = book.active if first else book.create_sheet()
    sheet.title = title[:31]
    xlsx.put(sheet, 1, 1, heading)
    xlsx.header_row(sheet, 3, columns)
    xlsx.page_setup(sheet, landscape=False, title=heading, repeat_rows=(3, 3))
    return sheet


def sales_workbook(report: SalesReport, *, cooperative, names: bool) -> bytes:
    book = xlsx.workbook()
    heading = _("Sales of %(coop)s from %(start)s to %(end)s") % {
        "coop": cooperative.name,
        "start": report.start.strftime("%d/%m/%Y"),
        "end": report.end.strftime("%d/%m/%Y"),
    }
    sheet = _sheet(
        book,
        _("By product"),
        [(_("Product"), 36), (_("Orders"), 10), (_("Packs"), 10), (_("Amount (VND)"), 16)],
        first=True,
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
    row = 4
    for lot in report.by_lot:
        xlsx.text(sheet, row, 1, lot.lot_code)
        xlsx.text(sheet, row, 2, lot.product)
        xlsx.put(sheet, row, 3, float(lot.packs), number_format=QTY)
        xlsx.put(sheet, row, 4, lot.amount_vnd, number_format=xlsx.MONEY)
        row += 1
        for index, c in enumerate(lot.contributors, start=1):
            who = c.name if names else _("Household %(n)s") % {"n": index}
            xlsx.text(sheet, row, 5, who)
            xlsx.text(sheet, row, 6, c.village)
            xlsx.put(sheet, row, 7, float(c.quantity), number_format=QTY)
            xlsx.text(sheet, row, 8, c.unit)
            row += 1

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
    return xlsx.save(book)

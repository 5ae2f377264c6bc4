"""A live's report as a workbook (through ``lib/xlsx.py``, the one writer, streamed: names
and comments typed by buyers are always text, never formulas): summary, products, buyers
and their claims, comments. An export kind (``core/exports.py``, registered in
``LiveConfig.ready``): answered at once when small, written by the worker beyond
``EXPORTS["INLINE_ROWS"]`` claims and comments."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hoptac.lib import xlsx

from .models import ClaimState
from .selectors.sessions import BuyerRow, Report

CONTENT_TYPE = xlsx.CONTENT_TYPE
PERCENT = "0%"


def _sheet(book, title: str, columns, *, heading: str):
    sheet = book.sheet(title)
    xlsx.text(sheet, 1, 1, heading)
    xlsx.header_row(sheet, 3, columns)
    xlsx.page_setup(sheet, landscape=False, title=heading, repeat_rows=(3, 3))
    return sheet


def live_workbook(
    report: Report, *, buyers: list[BuyerRow], comments, cooperative, target=None, progress=None
) -> bytes | None:
    """Streamed: written to ``target`` when given (an export job), else returned as bytes;
    ``progress(done, total)`` follows the comments (read in chunks), the sheet that grows."""
    session = report.session
    heading = _("%(coop)s — live %(title)s (%(code)s)") % {
        "coop": cooperative.name,
        "title": session.title,
        "code": session.code,
    }
    book = xlsx.stream_workbook()
    t = report.total
    sheet = _sheet(book, _("Summary"), [(_("Figure"), 36), (_("Value"), 20)], heading=heading)
    rows = [
        (_("Platform"), session.get_platform_display(), None),
        (_("Starts at"), session.starts_at, "dd/mm/yyyy hh:mm"),
        (_("Status"), session.get_status_display(), None),
        (_("Comments"), t.comments, None),
        (_("Repeated comments"), t.duplicates, None),
        (_("Claims"), t.claims, None),
        (_("Packs claimed"), t.packs_claimed, None),
        (_("Buyers with claims"), t.buyers, None),
        (_("Orders placed"), t.orders, None),
        (_("Orders paid"), t.paid, None),
        (_("Packs ordered"), t.packs_ordered, None),
        (_("Revenue (VND)"), t.revenue, xlsx.MONEY),
        (_("Conversion"), t.conversion if t.conversion is not None else "", PERCENT),
        (_("Claims expired"), t.expired, None),
        (_("Claims released"), t.released, None),
    ]
    for row, (label, value, fmt) in enumerate(rows, start=4):
        xlsx.text(sheet, row, 1, label)
        if isinstance(value, str):
            xlsx.text(sheet, row, 2, value)
        else:
            xlsx.put(sheet, row, 2, value, number_format=fmt)

    sheet = _sheet(
        book,
        _("Products"),
        [
            (_("Code"), 8),
            (_("Product"), 32),
            (_("Live price (VND)"), 14),
            (_("Packs set aside"), 12),
            (_("Claims"), 10),
            (_("Packs claimed"), 12),
            (_("Buyers"), 10),
            (_("Orders placed"), 12),
            (_("Orders paid"), 12),
            (_("Packs ordered"), 12),
            (_("Revenue (VND)"), 16),
            (_("Conversion"), 12),
        ],
        heading=heading,
    )
    for row, p in enumerate(report.products, start=4):
        xlsx.text(sheet, row, 1, p.item.code)
        xlsx.text(sheet, row, 2, p.name)
        xlsx.put(sheet, row, 3, p.item.price_vnd, number_format=xlsx.MONEY)
        for column, value in enumerate(
            (p.item.quantity, p.claims, p.packs_claimed, p.buyers, p.orders, p.paid, p.packs_ordered), start=4
        ):
            xlsx.put(sheet, row, column, value)
        xlsx.put(sheet, row, 11, p.revenue, number_format=xlsx.MONEY)
        xlsx.put(sheet, row, 12, p.conversion if p.conversion is not None else "", number_format=PERCENT)

    sheet = _sheet(
        book,
        _("Buyers and claims"),
        [
            (_("Buyer"), 28),
            (_("Phone"), 14),
            (_("Code"), 8),
            (_("Packs"), 8),
            (_("State"), 14),
            (_("Claimed at"), 18),
            (_("Order"), 14),
            (_("Payment"), 14),
        ],
        heading=heading,
    )
    labels = dict(ClaimState.choices)
    row = 4
    for b in buyers:
        for claim in b.claims:
            xlsx.text(sheet, row, 1, b.buyer.name)
            xlsx.text(sheet, row, 2, b.buyer.phone)
            xlsx.text(sheet, row, 3, claim.item.code)
            xlsx.put(sheet, row, 4, claim.quantity)
            xlsx.text(sheet, row, 5, labels.get(claim.state, claim.state))
            xlsx.put(sheet, row, 6, claim.created_at, number_format="dd/mm/yyyy hh:mm")
            order = b.buyer.order
            xlsx.text(sheet, row, 7, order.code if order else "")
            xlsx.text(sheet, row, 8, order.get_payment_state_display() if order else "")
            row += 1

    sheet = _sheet(
        book,
        _("Comments"),
        [
            (_("Time"), 18),
            (_("Name"), 28),
            (_("Comment"), 60),
            (_("Order"), 8),
            (_("Claims"), 8),
            (_("Needs a look"), 14),
            (_("Repeat"), 8),
            (_("Source"), 12),
        ],
        heading=heading,
    )
    every = t.comments + t.duplicates
    for row, c in enumerate(
        xlsx.counted(comments.iterator(chunk_size=500), total=every, progress=progress), start=4
    ):
        xlsx.put(sheet, row, 1, c.at, number_format="dd/mm/yyyy hh:mm:ss")
        xlsx.text(sheet, row, 2, c.author_name)
        xlsx.text(sheet, row, 3, c.text)
        xlsx.text(sheet, row, 4, _("yes") if c.is_order else "")
        xlsx.put(sheet, row, 5, c.claims_n)
        xlsx.text(sheet, row, 6, c.look_reason if c.needs_look else "")
        xlsx.text(sheet, row, 7, _("yes") if c.duplicate_of_id else "")
        xlsx.text(sheet, row, 8, c.get_source_display())
    if target is not None:
        book.save_to(target)
        return None
    return xlsx.save(book)


def live_report_job(params: dict, *, target, progress=None) -> None:
    """The report of an export job: ``params`` has the live's code."""
    from hoptac.core.tenancy import require_cooperative

    from .models import LiveSession
    from .selectors import sessions

    session = LiveSession.objects.get(code=params["live"])
    live_workbook(
        sessions.report(session),
        buyers=sessions.buyers(session),
        comments=sessions.comments_for_export(session),
        cooperative=require_cooperative(),
        target=target,
        progress=progress,
    )

"""The alliance's periodic report (báo cáo định kỳ) as a workbook, through the one writer
(``lib.xlsx``): a summary sheet, one row per cooperative, buying by month and by product,
OCOP certificates. Figures only: no member is named, no phone or bank account appears."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from openpyxl.styles import Font

from hoptac.federation.selectors import Overview
from hoptac.lib import xlsx

QTY = "#,##0.###"


def _sheet(book, title: str, heading: str, columns, *, first: bool = False):
    sheet = book.active if first else book.create_sheet()
    sheet.title = title[:31]
    xlsx.put(sheet, 1, 1, heading, font=Font(bold=True, size=13))
    xlsx.header_row(sheet, 3, columns)
    xlsx.page_setup(sheet, landscape=len(columns) > 5, title=heading, repeat_rows=(3, 3))
    return sheet


def report_workbook(data: Overview, rows, *, province_name: str, start: dt.date, end: dt.date) -> bytes:
    """``data`` is the overview of the report's period; ``rows`` every cooperative with its
    figures (``selectors.with_figures``)."""
    period = _("%(start)s to %(end)s") % {"start": f"{start:%m/%Y}", "end": f"{end:%m/%Y}"}
    heading = _("Cooperatives of %(province)s, %(period)s") % {"province": province_name, "period": period}
    book = xlsx.workbook()

    summary = _sheet(book, _("Summary"), heading, [(_("Figure"), 48), (_("Value"), 20)], first=True)
    members = data.members
    province = data.province
    lines = [
        (_("Cooperatives in the province (directory and platform)"), province.total, "#,##0"),
        (_("Cooperatives on the platform"), len(data.coops), "#,##0"),
        (
            _("Share of the province on the platform (%)"),
            province.share if province.share is not None else "",
            "0",
        ),
        (_("Not yet on the platform (in the directory)"), province.not_yet, "#,##0"),
        (_("On the platform, missing from the directory"), province.unlisted, "#,##0"),
        (_("Member households (active)"), members.active, "#,##0"),
        (_("Official members"), members.official, "#,##0"),
        (_("Women"), members.women, "#,##0"),
        (_("Ethnic minority"), members.minority, "#,##0"),
        (_("Capital contributed (VND)"), members.capital_vnd, xlsx.MONEY),
        (_("Buying from members (VND)"), data.total_buying_vnd, xlsx.MONEY),
        (_("Purchase receipts"), data.total_receipts, "#,##0"),
        (_("Paid to members (VND)"), data.total_paid_vnd, xlsx.MONEY),
        (
            _("Average days from receipt to payment"),
            float(data.average_wait) if data.average_wait is not None else "",
            "0.0",
        ),
        (_("Sales orders"), data.total_orders, "#,##0"),
        (_("Sales (VND)"), data.total_sales_vnd, xlsx.MONEY),
        (_("OCOP products (valid certificates)"), data.ocop_products, "#,##0"),
        (
            _("Members declared in the directory (not yet on the platform)"),
            province.declared_members,
            "#,##0",
        ),
        (_("Of which cooperatives without a member count"), province.members_unknown, "#,##0"),
        (
            _("OCOP products declared in the directory (not yet on the platform)"),
            province.ocop_declared,
            "#,##0",
        ),
        (_("Households waiting more than 30 days for payment"), data.waiting_households, "#,##0"),
        (_("Owed to them (VND)"), data.waiting_vnd, xlsx.MONEY),
        (_("Cooperatives without activity"), len(data.idle), "#,##0"),
    ]
    for index, (label, value, number_format) in enumerate(lines, start=4):
        xlsx.put(summary, index, 1, label)
        xlsx.put(summary, index, 2, value, number_format=number_format)

    whole = _sheet(
        book,
        _("The whole province"),
        heading,
        [
            (_("Breakdown"), 22),
            (_("Name"), 36),
            (_("On the platform"), 14),
            (_("Not yet"), 12),
            (_("Total"), 12),
        ],
    )
    groups = [
        (_("Kind"), data.by_kind),
        (_("Sector"), data.by_sector),
        (_("Commune / ward"), data.by_commune),
        (_("OCOP products"), data.ocop_by_stars),
    ]
    index = 4
    for group, counts in groups:
        for count in counts:
            for col, value in enumerate(
                (group, count.label, count.count, count.not_yet, count.total), start=1
            ):
                xlsx.put(whole, index, col, value, number_format=None if col < 3 else "#,##0")
            index += 1
    if province.ocop_without_stars:
        for col, value in enumerate(
            (
                _("OCOP products"),
                _("Stars not given"),
                None,
                province.ocop_without_stars,
                province.ocop_without_stars,
            ),
            start=1,
        ):
            xlsx.put(whole, index, col, value, number_format=None if col < 3 else "#,##0")
        index += 1
    xlsx.put(
        whole,
        index + 1,
        1,
        _(
            "Not yet: the alliance's directory's cooperatives that do not use the platform. OCOP products: "
            "valid certificates on the platform, declared in the directory for the others."
        ),
    )

    coops = _sheet(
        book,
        _("Cooperatives"),
        heading,
        [
            (_("Name"), 40),
            (_("Kind"), 22),
            (_("Tax code"), 14),
            (_("Commune / ward"), 24),
            (_("Active members"), 12),
            (_("Buying (VND)"), 16),
            (_("OCOP certificates"), 12),
            (_("Last activity"), 14),
            (_("Households waiting"), 12),
        ],
    )
    for index, row in enumerate(rows, start=4):
        c = row.coop
        last = row.last_activity_at
        for col, value, number_format in (
            (1, c.name, None),
            (2, c.kind_label, None),
            (3, c.tax_code, xlsx.TEXT),
            (4, c.commune_name, None),
            (5, row.members, "#,##0"),
            (6, row.buying_vnd, xlsx.MONEY),
            (7, row.ocop, "#,##0"),
            (8, last.date() if last else "", xlsx.DATE),
            (9, row.households_waiting, "#,##0"),
        ):
            xlsx.put(coops, index, col, value, number_format=number_format)

    months = _sheet(
        book,
        _("Buying by month"),
        heading,
        [
            (_("Month"), 12),
            (_("Buying (VND)"), 18),
            (_("Receipts"), 12),
            (_("Households that sold"), 14),
            (_("Households paid"), 14),
            (_("Paid (VND)"), 18),
            (_("Average days to payment"), 14),
            (_("Orders"), 10),
            (_("Sales (VND)"), 18),
        ],
    )
    for index, m in enumerate(data.months, start=4):
        for col, value, number_format in (
            (1, m.month, "mm/yyyy"),
            (2, m.amount_vnd, xlsx.MONEY),
            (3, m.receipts, "#,##0"),
            (4, m.households_sold, "#,##0"),
            (5, m.households_paid, "#,##0"),
            (6, m.paid_vnd, xlsx.MONEY),
            (7, float(m.average_wait) if m.average_wait is not None else "", "0.0"),
            (8, m.orders, "#,##0"),
            (9, m.sales_vnd, xlsx.MONEY),
        ):
            xlsx.put(months, index, col, value, number_format=number_format)

    products = _sheet(
        book,
        _("Buying by product"),
        heading,
        [
            (_("Product"), 36),
            (_("Unit"), 8),
            (_("Quantity"), 14),
            (_("Amount (VND)"), 18),
            (_("Receipts"), 12),
        ],
    )
    for index, p in enumerate(data.products, start=4):
        for col, value, number_format in (
            (1, p.name, None),
            (2, p.unit, None),
            (3, p.quantity, QTY),
            (4, p.amount_vnd, xlsx.MONEY),
            (5, p.receipts, "#,##0"),
        ):
            xlsx.put(products, index, col, value, number_format=number_format)

    ocop = _sheet(
        book,
        _("OCOP"),
        heading,
        [
            (_("Stars"), 10),
            (_("Valid certificates"), 16),
            ("", 2),
            (_("Expiring or expired"), 30),
            (_("Product"), 30),
            (_("Expiry date"), 14),
        ],
    )
    for index, s in enumerate(data.ocop_by_stars, start=4):
        xlsx.put(ocop, index, 1, s.label)
        xlsx.put(ocop, index, 2, s.count, number_format="#,##0")
    for index, cert in enumerate(data.expiring, start=4):
        xlsx.put(ocop, index, 4, cert.cooperative)
        xlsx.put(ocop, index, 5, f"{cert.product} ({cert.kind_label})" if cert.product else cert.kind_label)
        xlsx.put(ocop, index, 6, cert.expires_on, number_format=xlsx.DATE)
    return xlsx.save(book)

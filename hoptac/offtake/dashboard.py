"""The overview cards of buying: this season's buying (chair, accountant, alliance), the
collector's own buying today and this week (no money), and, on a member household's own
page, its latest receipts and the prices in force. Registered in ``core.dashboard``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hoptac.core import dashboard
from hoptac.core.dashboard import Card, Line
from hoptac.core.roles import Perm, Role
from hoptac.offtake import selectors


@dashboard.card("buying", order=10)
def buying(viewer) -> Card | None:
    if not viewer.can(Perm.REPORT_VIEW):
        return None
    overview = selectors.season_overview(today=viewer.today)
    url = reverse("offtake:season_list", kwargs={"coop_slug": viewer.slug})
    if not overview.seasons:
        return Card(
            key="buying",
            title=_("This season's buying"),
            number="—",
            label=_("no season yet"),
            url=url,
            link_text=_("Set up a season"),
        )
    lines = []
    for product in overview.products:
        percent = product.percent
        if product.committed:
            value = _("%(percent)s%% of %(committed)s agreed") % {
                "percent": percent,
                "committed": dashboard.qty(product.committed, product.unit),
            }
            chart = dashboard.progress(
                product.quantity,
                product.committed,
                title=_("%(product)s: %(bought)s bought of %(committed)s agreed")
                % {
                    "product": product.name,
                    "bought": dashboard.qty(product.quantity, product.unit),
                    "committed": dashboard.qty(product.committed, product.unit),
                },
            )
        else:
            value, chart = _("no agreements"), ""
        text = "{}: {} · {} · {}".format(
            product.name,
            dashboard.qty(product.quantity, product.unit),
            dashboard.vnd(product.amount_vnd),
            ngettext("%(n)s household", "%(n)s households", product.households) % {"n": product.households},
        )
        lines.append(Line(text=text, value=value, chart=chart))
    weeks = [
        (
            _("Week of %(day)s") % {"day": date_format(monday, "SHORT_DATE_FORMAT")},
            amount,
            dashboard.vnd(amount),
        )
        for monday, amount in overview.weeks
    ]
    names = ", ".join(s.name for s in overview.seasons)
    return Card(
        key="buying",
        title=_("This season's buying") if overview.current else _("Last season's buying"),
        number=dashboard.vnd(overview.amount_vnd),
        label=ngettext("bought from %(n)s household", "bought from %(n)s households", overview.households)
        % {"n": overview.households},
        text=names,
        url=url,
        link_text=_("Seasons and agreements"),
        chart=dashboard.bars(weeks, title=_("Value bought by week")),
        lines=tuple(lines),
    )


@dashboard.card("my_buying", order=10)
def my_buying(viewer) -> Card | None:
    """A collector (who records receipts but does not read the reports) sees what they
    bought themselves: receipts today and this week, quantities by product, no money."""
    if viewer.can(Perm.REPORT_VIEW) or not viewer.can(Perm.RECEIPT_RECORD):
        return None
    overview = selectors.collector_overview(user=viewer.user, today=viewer.today)
    days = [
        (
            date_format(day.day, "D d/m"),
            day.receipts,
            ngettext("%(n)s receipt", "%(n)s receipts", day.receipts) % {"n": day.receipts},
        )
        for day in overview.days
    ]
    lines = tuple(
        Line(
            text=row["name"],
            value=_("today %(today)s · this week %(week)s")
            % {
                "today": dashboard.qty(row["today"], row["unit"]),
                "week": dashboard.qty(row["week"], row["unit"]),
            },
        )
        for row in overview.products
    )
    return Card(
        key="my_buying",
        title=_("My buying"),
        number=str(overview.receipts_today),
        label=ngettext("receipt today", "receipts today", overview.receipts_today),
        text=ngettext("%(n)s receipt this week", "%(n)s receipts this week", overview.receipts_week)
        % {"n": overview.receipts_week},
        url=reverse("offtake:receipt_list", kwargs={"coop_slug": viewer.slug}),
        link_text=_("Receipts"),
        chart=dashboard.bars(days, title=_("My receipts by day this week")),
        lines=lines,
    )


@dashboard.card("member_receipts", order=20)
def member_receipts(viewer) -> Card | None:
    """A member household's own latest receipts (its statement has them all)."""
    if viewer.role != Role.MEMBER or viewer.household is None:
        return None
    receipts = selectors.member_recent_receipts(viewer.household)
    lines = []
    for receipt in receipts:
        goods = ", ".join(
            f"{line.product.name} {dashboard.qty(line.net_quantity, line.product.unit_label)}"
            for line in receipt.lines.all()
        )
        lines.append(
            Line(
                text="{} · {}".format(date_format(receipt.collected_at, "SHORT_DATE_FORMAT"), goods),
                value=dashboard.vnd(receipt.total_vnd),
            )
        )
    return Card(
        key="member_receipts",
        title=_("Latest deliveries"),
        number=str(len(receipts)),
        label=ngettext("latest receipt", "latest receipts", len(receipts)),
        text="" if receipts else _("No deliveries recorded yet."),
        url=reverse("ledger:me", kwargs={"coop_slug": viewer.slug}),
        link_text=_("My statement"),
        lines=tuple(lines),
        audience="member",
    )


@dashboard.card("member_prices", order=30)
def member_prices(viewer) -> Card | None:
    """The prices the cooperative pays today, by product and grade."""
    if viewer.role != Role.MEMBER:
        return None
    prices = selectors.prices_in_force()
    lines = tuple(
        Line(
            text=f"{price.product.name} · {price.get_grade_display()}",
            value=_("%(price)s per %(unit)s")
            % {"price": dashboard.vnd(price.price_vnd), "unit": price.product.unit_label},
        )
        for price in prices
    )
    return Card(
        key="member_prices",
        title=_("Prices today"),
        number=str(len(prices)),
        label=ngettext("price in force", "prices in force", len(prices)),
        text="" if prices else _("The cooperative has not set any price yet."),
        lines=lines,
        audience="member",
    )

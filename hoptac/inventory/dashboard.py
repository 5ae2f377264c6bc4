"""The overview card of stock: what is on hand, by product, from the lots' stock movements
(``selectors.stock_summary``, two queries). Registered in ``core.dashboard``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hoptac.core import dashboard
from hoptac.core.dashboard import Card, Line
from hoptac.core.roles import Perm
from hoptac.inventory import selectors


def _unit(row) -> str:
    if row["lot__kind"] == "finished":
        return _("packs")
    return "kg" if row["base_unit"] == "kg" else _("litre")


@dashboard.card("stock", order=30)
def stock(viewer) -> Card | None:
    if not viewer.can(Perm.STOCK_VIEW):
        return None
    rows = [row for row in selectors.stock_summary() if row["on_hand"] > 0]
    products = {row["lot__product_id"] for row in rows}
    lines, bars = [], []
    # The chart compares like with like: the rows counted in the first row's unit.
    chart_unit = _unit(rows[0]) if rows else ""
    for row in rows:
        kind = _("finished") if row["lot__kind"] == "finished" else _("raw")
        name = f"{row['lot__product__name']} ({kind})"
        amount = dashboard.qty(row["on_hand"], _unit(row))
        lines.append(Line(text=name, value=amount))
        if _unit(row) == chart_unit:
            bars.append((name, float(row["on_hand"]), amount))
    return Card(
        key="stock",
        title=_("Stock"),
        number=str(len(products)),
        label=ngettext("product in stock", "products in stock", len(products)),
        text="" if rows else _("Nothing in stock."),
        url=reverse("inventory:stock", kwargs={"coop_slug": viewer.slug}),
        link_text=_("Stock by product"),
        chart=dashboard.bars(bars, title=_("Stock on hand by product, in %(unit)s") % {"unit": chart_unit})
        if bars
        else "",
        lines=tuple(lines),
    )

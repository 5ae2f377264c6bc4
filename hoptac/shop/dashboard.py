"""The overview card of orders to handle, for the roles that read orders (``order.view``):
new orders to confirm, paid (or cash-on-delivery) orders to pack, and bank transactions
nobody has matched yet (a count only). Registered in ``core.dashboard``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from hoptac.core import dashboard
from hoptac.core.dashboard import Card, Line
from hoptac.core.roles import Perm
from hoptac.shop.selectors.orders import orders_to_handle


@dashboard.card("orders", order=15)
def orders(viewer) -> Card | None:
    if not viewer.can(Perm.ORDER_VIEW):
        return None
    figures = orders_to_handle()
    board = reverse("shop_staff:order_list", kwargs={"coop_slug": viewer.slug})
    total = figures.to_confirm + figures.to_pack
    lines = [
        Line(
            text=_("New orders to confirm"),
            value=str(figures.to_confirm),
            url=f"{board}?{urlencode({'status': 'new'})}",
        ),
        Line(
            text=_("Orders to pack"),
            value=str(figures.to_pack),
            url=f"{board}?{urlencode({'status': 'confirmed'})}",
        ),
        Line(text=_("Bank transactions to match"), value=str(figures.unmatched)),
    ]
    return Card(
        key="orders",
        title=_("Orders to handle"),
        number=str(total),
        label=_("orders waiting for you"),
        url=board,
        link_text=_("Order board"),
        lines=tuple(lines),
        tone="warn" if total or figures.unmatched else "good",
    )

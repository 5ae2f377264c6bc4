"""Reads for the buyer's own pages (confirmation, order look-up, order page).

A buyer has no account and orders live in several cooperatives, so these read
``Order.unscoped`` on purpose: always narrowed to what this browser proved it owns
(the order ids remembered in its session, or an order code *together with* its phone).
"""

from __future__ import annotations

from django.db.models import Prefetch

from hoptac.shop.models import Order, OrderEvent, OrderLine


def _detailed():
    return Order.unscoped.select_related("cooperative", "cooperative__shop").prefetch_related(
        Prefetch("lines", queryset=OrderLine.unscoped.order_by("pk")),
        Prefetch("events", queryset=OrderEvent.unscoped.order_by("at", "pk")),
    )


def order_by_code_and_phone(*, code: str, phone: str) -> Order | None:
    """The order with this code *and* this buyer's phone, or None (either wrong: same answer)."""
    if not code or not phone:
        return None
    return Order.unscoped.filter(code=code, buyer_phone=phone).only("pk", "code").first()


def orders_owned(*, ids, checkout: str | None = None) -> list[Order]:
    """The orders among ``ids`` (the session's), of one checkout if given, with lines and history."""
    rows = _detailed().filter(pk__in=list(ids))
    if checkout:
        rows = rows.filter(checkout=checkout)
    return list(rows.order_by("cooperative_id", "pk"))


def order_owned(*, code: str, ids) -> Order | None:
    return _detailed().filter(code=code, pk__in=list(ids)).first()


def checkout_of_client_key(key: str) -> tuple[str, list[int]] | None:
    """The checkout made with this one-time form key (the key is random and only ever
    known to the browser that rendered the form), as (checkout uuid, order ids)."""
    rows = list(Order.unscoped.filter(client_key=key).values_list("checkout", "pk"))
    if not rows:
        return None
    return str(rows[0][0]), [pk for _c, pk in rows]

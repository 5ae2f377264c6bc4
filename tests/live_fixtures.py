"""Builders for live-selling tests: a live of an open shop with products in stock.

``on_air(coop, items=[("M1", packs_in_stock, live_quantity, live_price)…])`` makes the
shop, the products (honey, tea… one per item), the live, its items, and starts it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hoptac.core.tenancy import tenant
from hoptac.live.models import LiveItem, LiveSession, Platform
from hoptac.live.services.claims import live_start
from hoptac.shop.models import Shop
from tests.shop_fixtures import open_shop, stocked

_serial = iter(range(100_000))


def planned(coop, *, items=(("M1", 20, 10, 200_000),), hold_minutes=120, title="Live mật ong tối thứ Sáu"):
    """A planned live with ``items``: (code, packs in stock, packs set aside, live price)."""
    if not Shop.unscoped.filter(cooperative=coop).exists():
        open_shop(coop)
    with tenant(coop):
        session = LiveSession.objects.create(
            cooperative=coop,
            title=title,
            platform=Platform.FACEBOOK,
            starts_at=timezone.now() + dt.timedelta(hours=1),
            hold_minutes=hold_minutes,
        )
        for position, (code, stock, quantity, price) in enumerate(items):
            listing = stocked(
                coop, name=f"Sản phẩm {code}", code=f"P{code}{next(_serial)}", packs=stock, price=price + 50_000, weight_g=500
            )
            LiveItem.objects.create(
                cooperative=coop,
                session=session,
                listing=listing,
                code=code,
                price_vnd=price,
                quantity=quantity,
                position=position,
            )
    return session


def on_air(coop, **kwargs) -> LiveSession:
    session = planned(coop, **kwargs)
    with tenant(coop):
        return live_start(session=session)


@pytest.fixture
def live_a(coop_a):
    """Coop A on air with M1 (20 in stock, 10 set aside at 200.000 ₫) and C2 (10, 5, 150.000 ₫)."""
    return on_air(coop_a, items=(("M1", 20, 10, 200_000), ("C2", 10, 5, 150_000)))

"""Planning a live sale (services) and its staff pages: the list, the plan, starting and
ending, claims by hand, the live screen and the report after the live."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hoptac.core.tenancy import tenant
from hoptac.live.models import LiveItem, LiveSession, LiveStatus, Platform
from hoptac.live.services.claims import live_start
from hoptac.live.services.sessions import (
    live_create,
    live_item_add,
    live_item_remove,
    live_item_update,
    live_update,
    normalize_code,
    suggest_code,
)
from tests.live_fixtures import on_air
from tests.shop_fixtures import open_shop, stocked

pytestmark = pytest.mark.django_db

SOON = timezone.now() + dt.timedelta(days=1)


def _plan(coop, **more):
    with tenant(coop):
        return live_create(title="Live mật ong", platform=Platform.FACEBOOK, starts_at=SOON, **more)


def test_plan_a_live_with_products(coop_a, chair_a):
    open_shop(coop_a)
    honey = stocked(coop_a, name="Mật ong bạc hà", code="MAT", packs=12, price=250_000)
    tea = stocked(coop_a, name="Chè Shan", code="CHE", packs=5, price=120_000)
    session = _plan(coop_a, hold_minutes=90, actor=chair_a)
    with tenant(coop_a):
        assert session.status == LiveStatus.PLANNED and session.hold_minutes == 90
        first = live_item_add(session=session, listing=honey, quantity=10, actor=chair_a)
        assert (first.code, first.price_vnd) == ("M1", 250_000)  # first letter of "Mật", shop price
        second = live_item_add(session=session, listing=tea, quantity="5", code=" c 2 ", price_vnd="99.000")
        assert (second.code, second.price_vnd, second.quantity) == ("C2", 99_000, 5)
        assert suggest_code(session) == "M2"
        live_item_update(item=second, code="C3", price_vnd="1.250.000", quantity=4)
        second.refresh_from_db()
        assert (second.code, second.price_vnd, second.quantity) == ("C3", 1_250_000, 4)
        live_update(
            session=session, title="Live chè", platform=Platform.TIKTOK, starts_at=SOON, hold_minutes=30
        )
        session.refresh_from_db()
        assert (session.title, session.platform, session.hold_minutes) == ("Live chè", "tiktok", 30)
        live_item_remove(item=second)
        assert list(LiveItem.objects.filter(session=session).values_list("code", flat=True)) == ["M1"]


def test_plan_refuses_bad_values_and_changes_nothing(coop_a):
    open_shop(coop_a)
    honey = stocked(coop_a, name="Mật ong", code="MAT", packs=8)
    tea = stocked(coop_a, name="Chè", code="CHE", packs=8)
    with tenant(coop_a):
        for bad in ({"title": " "}, {"platform": "myspace"}, {"hold_minutes": 5}, {"hold_minutes": "x"}):
            values = {"title": "Live", "platform": Platform.ZALO, "starts_at": SOON, **bad}
            with pytest.raises(ValidationError):
                live_create(**values)
        assert LiveSession.objects.count() == 0
        session = live_create(title="Live", platform=Platform.ZALO, starts_at=SOON)
        live_item_add(session=session, listing=honey, quantity=3, code="M1")
        for listing, kwargs, field in (
            (tea, {"quantity": 2, "code": "M1"}, "code"),  # code taken
            (tea, {"quantity": 2, "code": "1M"}, "code"),  # not a code
            (tea, {"quantity": 9}, "quantity"),  # only 8 in stock
            (tea, {"quantity": 0}, "quantity"),
            (tea, {"quantity": "hai"}, "quantity"),
            (tea, {"quantity": 2, "price_vnd": "12,5"}, "price_vnd"),
            (tea, {"quantity": 2, "price_vnd": "500"}, "price_vnd"),
            (honey, {"quantity": 1}, "listing"),  # already in
        ):
            with pytest.raises(ValidationError) as refused:
                live_item_add(session=session, listing=listing, **kwargs)
            assert field in refused.value.message_dict
        assert LiveItem.objects.filter(session=session).count() == 1


def test_stock_shown_is_what_is_free(coop_a):
    """Packs set aside by a live on air are not free for the next live."""
    live = on_air(coop_a, items=(("M1", 10, 7, 200_000),))
    with tenant(coop_a):
        listing = live.items.get().listing
        session = live_create(title="Live 2", platform=Platform.FACEBOOK, starts_at=SOON)
        with pytest.raises(ValidationError) as refused:
            live_item_add(session=session, listing=listing, quantity=4)
        assert "3" in refused.value.message_dict["quantity"][0]
        assert live_item_add(session=session, listing=listing, quantity=3).quantity == 3


def test_plan_is_frozen_once_on_air(coop_a):
    live = on_air(coop_a)
    with tenant(coop_a):
        item = live.items.get()
        with pytest.raises(ValidationError):
            live_item_update(item=item, code="M9", price_vnd=1000, quantity=1)
        with pytest.raises(ValidationError):
            live_item_remove(item=item)
        with pytest.raises(ValidationError):
            live_update(session=live, title="x", platform=Platform.OTHER, starts_at=SOON, hold_minutes=60)
        item.refresh_from_db()
        assert item.code == "M1"


def test_start_says_when_stock_is_short(coop_a):
    open_shop(coop_a)
    honey = stocked(coop_a, name="Mật ong", code="MAT", packs=5)
    with tenant(coop_a):
        session = live_create(title="Live", platform=Platform.FACEBOOK, starts_at=SOON)
        live_item_add(session=session, listing=honey, quantity=5, code="M1")
        other = live_create(title="Other", platform=Platform.FACEBOOK, starts_at=SOON)
        live_item_add(session=other, listing=honey, quantity=4, code="M1")
        live_start(session=other)
        with pytest.raises(ValidationError) as refused:
            live_start(session=session)
        assert "M1" in refused.value.messages[0]
        session.refresh_from_db()
        assert session.status == LiveStatus.PLANNED


def test_codes():
    assert normalize_code(" mat 2 ") == "MAT2"
    assert normalize_code("đ1") == "D1"
    for bad in ("", "M", "12", "MATT1", "M1234", "M-1"):
        with pytest.raises(ValidationError):
            normalize_code(bad)

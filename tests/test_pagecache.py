"""The server-side cache of public pages (core/pagecache.py), switched on: a second visit is
served without touching the database, with the same Content-Security-Policy; an order, a
price change or a stock movement made through the services shows at the next visit; a
rolled-back change bumps nothing; pages that set cookies or fail are never kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from hoptac.core import pagecache
from hoptac.core.tenancy import tenant
from hoptac.inventory.models import Lot
from hoptac.inventory.services import stock_move
from hoptac.shop.services.orders import Buyer, Choice, order_place
from hoptac.shop.services.settings import listing_save


@pytest.fixture
def cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 30


def _product_url(listing):
    return f"/s/{listing.cooperative.slug}/{listing.short_code}/"


def test_a_second_visit_is_served_from_the_cache_with_the_same_policy(client, cache_on, honey_shop_a):
    url = _product_url(honey_shop_a)
    first = client.get(url)
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)
    assert second.status_code == 200 and second.content == first.content
    assert len(queries) <= 1  # at most the session's, none of the page's
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert "sha256-" in second["Content-Security-Policy"]  # the page's inline style is allowed
    assert second["Cache-Control"] == first["Cache-Control"]
    # Another language is another page.
    english = client.get(url + "?lang=en")
    assert english.content != first.content


def test_an_order_through_the_services_shows_at_the_next_visit(
    client, cache_on, honey_shop_a, django_capture_on_commit_callbacks
):
    url = _product_url(honey_shop_a)
    before = client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        order_place(
            items=[(honey_shop_a.pk, 7)],
            buyer=Buyer(name="Lò Văn Minh", phone="0355111222"),
            choices={honey_shop_a.cooperative_id: Choice(delivery="pickup", payment="cod")},
        )
    after = client.get(url).content
    assert after != before  # 3 packs left of 10: "few left" now


def test_a_price_change_and_a_stock_movement_show_at_the_next_visit(
    client, cache_on, honey_shop_a, chair_a, django_capture_on_commit_callbacks
):
    url = _product_url(honey_shop_a)
    client.get(url)
    coop = honey_shop_a.cooperative
    with django_capture_on_commit_callbacks(execute=True), tenant(coop):
        listing_save(
            product=honey_shop_a.product,
            price_vnd=199_000,
            weight_g=700,
            is_listed=True,
            max_per_order=200,
            actor=chair_a,
        )
    assert "199.000" in client.get(url).content.decode()
    generation = pagecache.generation(pagecache.CATALOGUE)
    with django_capture_on_commit_callbacks(execute=True), tenant(coop):
        lot = Lot.objects.get(product=honey_shop_a.product)
        stock_move(lot=lot, kind="loss", quantity=Decimal(8), reason="vỡ", actor=chair_a)
    assert pagecache.generation(pagecache.CATALOGUE) == generation + 1


def test_a_rolled_back_change_bumps_nothing(
    cache_on, honey_shop_a, chair_a, django_capture_on_commit_callbacks
):
    generation = pagecache.generation(pagecache.CATALOGUE)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
        tenant(honey_shop_a.cooperative),
    ):
        listing_save(
            product=honey_shop_a.product,
            price_vnd=1_000,
            weight_g=700,
            is_listed=True,
            max_per_order=200,
            actor=chair_a,
        )
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert pagecache.generation(pagecache.CATALOGUE) == generation


def test_not_found_pages_are_not_kept(client, cache_on, honey_shop_a):
    url = f"/s/{honey_shop_a.cooperative.slug}/NOSUCH/"
    assert client.get(url).status_code == 404
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 404
    assert len(queries) >= 1  # looked up again, not served from the cache


def test_the_trace_page_is_cached_and_a_new_step_shows_at_the_next_visit(
    client, cache_on, coop_a, django_capture_on_commit_callbacks
):
    """A QR scanned at a fair: the trace page is rendered once, then served from the cache,
    until a change to the lot (here a processing step, through its service) bumps it."""
    import datetime as dt

    from hoptac.inventory.services import step_add
    from tests.test_trace import build_lot

    lot = build_lot(coop_a, code="MAT", households=3, consenting=1, steps=1)
    url = f"/t/{lot.public_code}"
    first = client.get(url)
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)
    assert second.content == first.content and len(queries) <= 1
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    # The GS1 resolver and another language are other entries.
    assert client.get(url + "?lang=en").content != first.content
    with django_capture_on_commit_callbacks(execute=True), tenant(coop_a):
        step_add(
            lot=lot,
            kind="filtering",
            done_on=dt.date.today(),
            operator_name="Ma Thị Lan",
            quantity_in=Decimal("10"),
            quantity_out=Decimal("9.5"),
        )
    after = client.get(url).content.decode()
    assert after != first.content.decode()

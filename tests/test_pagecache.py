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


# --- Served by the early middleware (core/pagecache.PageCacheMiddleware) -------------------


def _hit(client, url, **headers):
    """A visit that must be answered from the cache: not one query."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]
    return response


def _rendered(client, url, **headers):
    """A visit that must render the page (it reads the database)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert len(queries) >= 1
    return response


def test_each_language_is_its_own_page_whether_asked_by_cookie_or_query(client, cache_on, honey_shop_a):
    url = _product_url(honey_shop_a)
    vietnamese = _rendered(client, url)
    assert vietnamese["Content-Language"] == "vi"
    client.cookies[settings_language_cookie()] = "en"
    english = _rendered(client, url)  # the cookie's language is not served the Vietnamese copy
    assert english["Content-Language"] == "en" and english.content != vietnamese.content
    assert _hit(client, url).content == english.content
    del client.cookies[settings_language_cookie()]
    again = _hit(client, url)
    assert again.content == vietnamese.content and again["Content-Language"] == "vi"
    # ?lang=en under the default cookie is another entry than the English cookie's: the
    # language around the page (a price in its preview text) is the cookie's.
    asked = _rendered(client, url + "?lang=en")
    assert asked["Content-Language"] == "en"
    assert _hit(client, url + "?lang=en").content == asked.content


def settings_language_cookie() -> str:
    from django.conf import settings

    return settings.LANGUAGE_COOKIE_NAME


def test_a_signed_in_visitor_is_never_served_nor_makes_a_shared_copy(client, cache_on, honey_shop_a, chair_a):
    from django.test import Client

    url = _product_url(honey_shop_a)
    signed_in = Client()
    signed_in.force_login(chair_a)
    _rendered(signed_in, url)  # first visit by a signed-in visitor: nothing kept …
    anonymous = _rendered(client, url)  # … so the first visitor without a session renders it
    _hit(client, url)
    again = _rendered(signed_in, url)  # and a session never takes the kept copy
    assert again.status_code == 200
    assert not anonymous.cookies


def test_head_and_a_matching_etag_are_served_from_the_cache(client, cache_on, honey_shop_a):
    url = _product_url(honey_shop_a)
    first = _rendered(client, url)
    etag = first["ETag"]
    assert etag.startswith('"') and "public" in first["Cache-Control"]
    with CaptureQueriesContext(connection) as queries:
        head = client.head(url)
    assert len(queries) == 0
    assert head.status_code == 200 and head.content == b"" and head["ETag"] == etag
    assert head["Content-Security-Policy"] == first["Content-Security-Policy"]
    not_modified = _hit(client, url, HTTP_IF_NONE_MATCH=f'"other", {etag}')
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag and "Cookie" in not_modified["Vary"]
    assert _hit(client, url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_gzip_and_plain_are_kept_apart_and_served_as_compressed_the_first_time(
    client, cache_on, honey_shop_a
):
    import gzip

    url = _product_url(honey_shop_a)
    plain = _rendered(client, url)
    packed = _rendered(client, url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    hit = _hit(client, url, HTTP_ACCEPT_ENCODING="gzip")
    assert hit.content == packed.content and gzip.decompress(hit.content) == plain.content
    assert "Accept-Encoding" in hit["Vary"]
    assert "Content-Encoding" not in _hit(client, url)


def test_query_strings_make_other_pages_but_tracking_parameters_do_not(client, cache_on, honey_shop_a):
    url = _product_url(honey_shop_a)
    first = _rendered(client, url + "?fbclid=IwAR0abc")
    assert b"fbclid" not in first.content
    _hit(client, url)
    _hit(client, url + "?utm_source=zalo&utm_medium=zalo&zarsrc=30")
    _hit(client, url + "?gclid=x&fbclid=y")
    from_market = _rendered(client, url + "?c=cho&fbclid=z")  # a parameter the page reads
    assert from_market.content != first.content
    _hit(client, url + "?c=cho")
    _rendered(client, "/cho/?q=m%E1%BA%ADt")
    _hit(client, "/cho/?q=m%E1%BA%ADt&utm_campaign=hoi-cho")
    _rendered(client, "/cho/?q=che")


def test_each_host_is_its_own_page_and_an_unknown_host_is_refused(client, cache_on, honey_shop_a, settings):
    settings.ALLOWED_HOSTS = ["testserver", "cho.example.vn"]
    url = _product_url(honey_shop_a)
    _rendered(client, url)
    other = _rendered(client, url, HTTP_HOST="cho.example.vn")  # its links name its own host
    assert b"cho.example.vn" in other.content
    _hit(client, url, HTTP_HOST="cho.example.vn")
    assert client.get(url, HTTP_HOST="evil.example").status_code == 400


def test_a_name_change_a_lot_change_and_taking_off_sale_show_at_the_next_visit(
    client, cache_on, honey_shop_a, chair_a, django_capture_on_commit_callbacks
):
    from hoptac.catalog.services import product_update

    url = _product_url(honey_shop_a)
    coop = honey_shop_a.cooperative
    assert "In stock" in _rendered(client, url + "?lang=en").content.decode()
    _hit(client, url + "?lang=en")
    with django_capture_on_commit_callbacks(execute=True), tenant(coop):
        product_update(product=honey_shop_a.product, name="Mật ong bạc hà Đồng Văn", actor=chair_a)
    assert "Mật ong bạc hà Đồng Văn" in _rendered(client, url).content.decode()
    with django_capture_on_commit_callbacks(execute=True), tenant(coop):
        lot = Lot.objects.get(product=honey_shop_a.product)
        stock_move(lot=lot, kind="loss", quantity=Decimal(8), reason="vỡ", actor=chair_a)
    assert "Few left" in _rendered(client, url + "?lang=en").content.decode()
    _hit(client, url + "?lang=en")
    with django_capture_on_commit_callbacks(execute=True), tenant(coop):
        listing_save(
            product=honey_shop_a.product,
            price_vnd=185_000,
            weight_g=700,
            is_listed=False,
            max_per_order=200,
            actor=chair_a,
        )
    assert _rendered(client, url).status_code == 404
    assert _rendered(client, url).status_code == 404  # a 404 is not kept


def test_the_kept_policy_allows_exactly_the_pages_inline_style(client, cache_on, coop_a):
    import re

    from hoptac.core.security import csp_hash
    from tests.test_trace import build_lot

    lot = build_lot(coop_a, code="MAT", households=2, consenting=1, steps=1)
    url = f"/t/{lot.public_code}"
    _rendered(client, url)
    hit = _hit(client, url)
    styles = re.findall(r"<style>(.*?)</style>", hit.content.decode(), re.DOTALL)
    assert styles
    policy = hit["Content-Security-Policy"]
    style_src = next(part for part in policy.split("; ") if part.startswith("style-src"))
    assert style_src == "style-src 'self' " + " ".join(csp_hash(css) for css in styles)
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert hit["X-Frame-Options"] == "DENY" and hit["Permissions-Policy"]


# A page that uses a CSRF token or sets a cookie is never kept (views of this module, mounted
# under /s/ where the middleware looks).
CALLS: list[str] = []


@pagecache.cached_public_page(pagecache.CATALOGUE)
def _with_token(request):
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    CALLS.append("token")
    return HttpResponse(f"<form>{get_token(request)}</form>")


@pagecache.cached_public_page(pagecache.CATALOGUE)
def _with_cookie(request):
    from django.http import HttpResponse

    CALLS.append("cookie")
    response = HttpResponse("hello")
    response.set_cookie("seen", "1")
    return response


def _urls():
    from django.urls import path

    return [path("s/token/", _with_token), path("s/cookie/", _with_cookie)]


urlpatterns = _urls()


@pytest.mark.urls("tests.test_pagecache")
def test_a_page_with_a_csrf_token_or_a_cookie_is_never_kept(cache_on):
    from django.test import Client

    CALLS.clear()
    first, second = Client(), Client()
    tokens = [first.get("/s/token/").content, second.get("/s/token/").content]
    assert tokens[0] != tokens[1]  # each visitor got their own token, rendered for them
    first.get("/s/cookie/"), Client().get("/s/cookie/")
    assert CALLS == ["token", "token", "cookie", "cookie"]


@pytest.fixture
def local_memory(settings, cache_on):
    """The provincial shape's per-process memory in front of the shared cache."""
    settings.PAGE_CACHE_LOCAL_SECONDS = 1.0
    pagecache._local_pages.clear()
    pagecache._local_generations.clear()
    yield
    pagecache._local_pages.clear()
    pagecache._local_generations.clear()


def test_in_front_of_a_shared_cache_a_bump_elsewhere_is_seen_within_the_local_time(
    client, local_memory, honey_shop_a
):
    import time

    from django.core.cache import cache

    url = _product_url(honey_shop_a)
    first = _rendered(client, url)
    _hit(client, url)  # read from the shared cache, now remembered by this process
    # Another process bumps the generation in the shared cache (Redis in production).
    cache.set(pagecache._generation_key(pagecache.CATALOGUE), 1000 + pagecache.generation("catalogue"), None)
    assert _hit(client, url).content == first.content  # within the second: this process's copy
    time.sleep(1.05)
    _rendered(client, url)  # past it: the new generation is read, the page rendered anew
    _hit(client, url)


def test_in_front_of_a_shared_cache_a_bump_in_this_process_is_seen_at_once(
    client, local_memory, honey_shop_a, chair_a, django_capture_on_commit_callbacks
):
    url = _product_url(honey_shop_a)
    _rendered(client, url)
    _hit(client, url)
    _hit(client, url)
    with django_capture_on_commit_callbacks(execute=True), tenant(honey_shop_a.cooperative):
        listing_save(
            product=honey_shop_a.product,
            price_vnd=211_000,
            weight_g=700,
            is_listed=True,
            max_per_order=200,
            actor=chair_a,
        )
    assert "211.000" in _rendered(client, url).content.decode()

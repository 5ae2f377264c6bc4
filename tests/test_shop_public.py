"""Public selling pages: shop home, product page, share image, short link, sitemap and the
marketplace (issue 12, items 1 and 2)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from hoptac.catalog.models import Certificate, CertificateKind
from hoptac.catalog.services import photo_add
from hoptac.coops.models import Village
from hoptac.core.tenancy import tenant
from hoptac.shop.models import PriceTier, Shop
from tests.headers import inline_problems
from tests.shop_fixtures import BUYER, open_shop, stocked


def _text(response) -> str:
    return response.content.decode()


def _ocop(coop, listing, stars=4, *, expired=False):
    today = timezone.localdate()
    with tenant(coop):
        return Certificate.objects.create(
            cooperative=coop,
            product=listing.product,
            kind=CertificateKind.OCOP,
            stars=stars,
            issuer="UBND tỉnh Tuyên Quang",
            issued_on=today - dt.timedelta(days=400),
            expires_on=today - dt.timedelta(days=1) if expired else today + dt.timedelta(days=300),
        )


def _photo(coop, listing):
    image = Image.new("RGB", (1200, 900), (200, 150, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    upload = SimpleUploadedFile("honey.jpg", buffer.getvalue(), content_type="image/jpeg")
    with tenant(coop):
        return photo_add(product=listing.product, upload=upload, alt="Hũ mật ong")


def _ld(body: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert found, "no JSON-LD"
    return json.loads(found.group(1))


# --- shop home --------------------------------------------------------------------------------


def test_shop_home_shows_products_place_and_household_count(
    client, coop_a, honey_shop_a, member_a, member_a2
):
    with tenant(coop_a):
        Village.objects.get_or_create(
            cooperative=coop_a, name="Thôn Pả Vi Thượng", commune_code=coop_a.commune_code
        )
    response = client.get("/s/coop-a/")
    assert response.status_code == 200
    body = _text(response)
    assert coop_a.name in body
    assert "Mật ong bạc hà 500 ml" in body
    assert "250.000" in body
    assert "Thôn Pả Vi Thượng" in body
    assert "2 hộ thành viên" in body or "2 member households" in body
    assert f"/s/coop-a/{honey_shop_a.short_code}/" in body
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert not response.cookies
    assert inline_problems(response) == []


@pytest.mark.parametrize("case", ["closed", "unknown", "inactive_coop"])
def test_shop_404s(client, coop_a, honey_shop_a, case):
    slug = "coop-a"
    if case == "closed":
        Shop.unscoped.filter(cooperative=coop_a).update(is_open=False)
    elif case == "unknown":
        slug = "no-such-coop"
    else:
        type(coop_a).objects.filter(pk=coop_a.pk).update(is_active=False)
    assert client.get(f"/s/{slug}/").status_code == 404
    assert client.get(f"/s/{slug}/{honey_shop_a.short_code}/").status_code == 404
    assert client.get(f"/s/{slug}/{honey_shop_a.short_code}/share.jpg").status_code == 404
    if case != "unknown":
        assert client.get(f"/p/{honey_shop_a.short_code}").status_code == 404
        assert honey_shop_a.short_code not in _text(client.get("/cho/"))
        assert "coop-a" not in _text(client.get("/sitemap.xml"))


def test_unlisted_or_inactive_product_is_hidden(client, coop_a, honey_shop_a):
    tea = stocked(coop_a, name="Chè xanh", code="CHX")
    type(honey_shop_a).unscoped.filter(pk=honey_shop_a.pk).update(is_listed=False)
    type(tea.product).unscoped.filter(pk=tea.product_id).update(is_active=False)
    assert client.get(f"/s/coop-a/{honey_shop_a.short_code}/").status_code == 404
    assert client.get(f"/s/coop-a/{tea.short_code}/").status_code == 404
    body = _text(client.get("/s/coop-a/"))
    assert "Mật ong bạc hà 500" not in body and "Chè xanh" not in body
    # A product of another cooperative is not found under this one's address.


def test_product_of_other_coop_not_under_this_shop(client, honey_shop_a, tea_shop_b):
    assert client.get(f"/s/coop-a/{tea_shop_b.short_code}/").status_code == 404
    assert client.get(f"/s/coop-b/{tea_shop_b.short_code}/").status_code == 200


# --- stock states, stars, certificates ---------------------------------------------------------


def test_stock_states(client, coop_a):
    open_shop(coop_a)
    plenty = stocked(coop_a, name="Nhiều", code="A1", packs=30)
    few = stocked(coop_a, name="Ít", code="A2", packs=3)  # few_left_at is 5
    none = stocked(
        coop_a, name="Hết", code="A3", packs=5, best_before=timezone.localdate() - dt.timedelta(days=1)
    )
    body = _text(client.get("/s/coop-a/?lang=en"))
    assert body.count("In stock") == 1 and body.count("Few left") == 1 and body.count("Sold out") == 1
    page = _text(client.get(f"/s/coop-a/{none.short_code}/?lang=en"))
    assert "Sold out" in page and 'name="quantity"' not in page
    assert _ld(page)["offers"]["availability"] == "https://schema.org/OutOfStock"
    assert _ld(_text(client.get(f"/s/coop-a/{few.short_code}/")))["offers"]["availability"].endswith(
        "LimitedAvailability"
    )
    assert _ld(_text(client.get(f"/s/coop-a/{plenty.short_code}/")))["offers"]["availability"].endswith(
        "InStock"
    )


def test_ocop_stars_only_when_valid(client, coop_a, honey_shop_a):
    _ocop(coop_a, honey_shop_a, stars=3, expired=True)
    assert "OCOP 3" not in _text(client.get("/s/coop-a/?lang=en"))
    _ocop(coop_a, honey_shop_a, stars=4)
    home = _text(client.get("/s/coop-a/?lang=en"))
    assert "OCOP 4 stars" in home and "★★★★<" in home
    page = _text(client.get(f"/s/coop-a/{honey_shop_a.short_code}/?lang=en"))
    assert "OCOP 4 stars" in page
    assert "UBND tỉnh Tuyên Quang" in page
    assert "not valid today" in page  # the expired one is named as such
    assert "/certificates/" not in page  # no private document link


def test_product_page_tiers_form_and_trace_link(client, coop_a, honey_shop_a):
    with tenant(coop_a):
        PriceTier.objects.create(cooperative=coop_a, listing=honey_shop_a, min_quantity=20, price_vnd=220_000)
    response = client.get(f"/s/coop-a/{honey_shop_a.short_code}/?lang=en&c=zalo")
    body = _text(response)
    assert response.status_code == 200
    assert "From 20 packs: 220,000" in body or "From 20 packs: 220.000" in body
    form = re.search(r'<form class="buy" method="post" action="([^"]+)">(.*?)</form>', body, re.S)
    assert form
    assert f'name="listing" value="{honey_shop_a.pk}"' in form.group(2)
    assert 'name="quantity"' in form.group(2)
    assert 'name="c" value="zalo"' in form.group(2)
    lot = honey_shop_a.product  # the fixture's lot
    from hoptac.inventory.models import Lot

    code = Lot.unscoped.filter(product=lot).order_by("best_before").first().public_code
    assert f"/t/{code}" in body
    assert inline_problems(response) == []


# --- share previews ------------------------------------------------------------------------------


def test_open_graph_and_share_image(client, coop_a, honey_shop_a, settings):
    _photo(coop_a, honey_shop_a)
    _ocop(coop_a, honey_shop_a, stars=4)
    body = _text(client.get(f"/s/coop-a/{honey_shop_a.short_code}/"))
    og = dict(re.findall(r'<meta property="(og:[a-z:_]+)" content="([^"]*)"', body))
    assert og["og:title"] == "Mật ong bạc hà 500 ml"
    assert og["og:type"] == "product"
    assert og["og:url"].endswith(f"/s/coop-a/{honey_shop_a.short_code}/")
    assert og["og:image"].endswith(f"/s/coop-a/{honey_shop_a.short_code}/share.jpg")
    assert 'name="twitter:card" content="summary_large_image"' in body
    image_url = og["og:image"].split("testserver", 1)[1]
    response = client.get(image_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "public" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "JPEG" and image.size == (1200, 630)
    cached = list((Path(settings.MEDIA_ROOT) / "shop" / "share").glob("*.jpg"))
    assert len(cached) == 1
    # Drawn once: the second answer is the stored file's bytes.
    cached[0].write_bytes(response.content + b"")
    mtime = cached[0].stat().st_mtime_ns
    assert client.get(image_url).content == response.content
    assert cached[0].stat().st_mtime_ns == mtime
    # A new price is a new picture.
    type(honey_shop_a).unscoped.filter(pk=honey_shop_a.pk).update(price_vnd=260_000)
    assert client.get(image_url).content != response.content
    assert len(list((Path(settings.MEDIA_ROOT) / "shop" / "share").glob("*.jpg"))) == 2
    # The shop home previews with its first product's card.
    home = _text(client.get("/s/coop-a/"))
    assert 'property="og:image"' in home and "share.jpg" in home


def test_json_ld_product_offer(client, coop_a, honey_shop_a):
    data = _ld(_text(client.get(f"/s/coop-a/{honey_shop_a.short_code}/")))
    assert data["@type"] == "Product"
    assert data["name"] == "Mật ong bạc hà 500 ml"
    assert data["brand"]["name"] == coop_a.name
    assert data["offers"]["priceCurrency"] == "VND"
    assert data["offers"]["price"] == 250_000


def test_json_ld_cannot_be_closed_by_a_product_name(client, coop_a):
    open_shop(coop_a)
    listing = stocked(coop_a, name="Mật </script><b>x", code="XSS")
    body = _text(client.get(f"/s/coop-a/{listing.short_code}/"))
    assert "</script><b>" not in body
    assert _ld(body)["name"] == "Mật </script><b>x"


def test_short_link_redirects_permanently_and_keeps_channel(client, honey_shop_a):
    response = client.get(f"/p/{honey_shop_a.short_code}?c=fb-live")
    assert response.status_code == 301
    assert response["Location"] == f"/s/coop-a/{honey_shop_a.short_code}/?c=fb-live"
    assert client.get("/p/NOSUCH").status_code == 404


def test_sitemap_lists_shops_products_and_market(client, honey_shop_a, tea_shop_b):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    body = _text(response)
    locs = re.findall(r"<loc>([^<]+)</loc>", body)
    assert "http://testserver/cho/" in locs
    assert "http://testserver/s/coop-a/" in locs and "http://testserver/s/coop-b/" in locs
    assert f"http://testserver/s/coop-b/{tea_shop_b.short_code}/" in locs
    assert len(locs) == 5


# --- marketplace ---------------------------------------------------------------------------------


def test_market_search_is_accent_insensitive(client, honey_shop_a, tea_shop_b):
    body = _text(client.get("/cho/", {"q": "mat ong bac ha"}))
    assert "Mật ong bạc hà 500 ml" in body and "Chè Shan tuyết" not in body
    body = _text(client.get("/cho/", {"q": "CHE shan"}))
    assert "Chè Shan tuyết" in body and "Mật ong" not in body
    body = _text(client.get("/cho/", {"q": "tay con linh"}))  # the cooperative's name
    assert "Chè Shan tuyết" in body
    assert "Mật ong" not in _text(client.get("/cho/", {"q": "mat ong xyz"}))


def test_market_filters(client, coop_a, coop_b, honey_shop_a, tea_shop_b):
    _ocop(coop_b, tea_shop_b, stars=5)
    type(tea_shop_b.product).unscoped.filter(pk=tea_shop_b.product_id).update(ocop_group="drinks")
    names = lambda **q: ("Mật ong" in (b := _text(client.get("/cho/", q))), "Chè Shan" in b)  # noqa: E731
    assert names() == (True, True)
    assert names(stars="4") == (False, True)
    assert names(group="drinks") == (False, True)
    assert names(coop="coop-a") == (True, False)
    assert names(commune=str(coop_a.commune_code)) == (True, False)
    assert names(price_from="200.000") == (True, False)
    assert names(price_to="200.000") == (False, True)
    # A wrong value is said, not a 500, and left out of the filter.
    response = client.get("/cho/", {"price_from": "abc", "stars": "9", "commune": "x"})
    assert response.status_code == 200
    assert "Mật ong" in _text(response) and "Chè Shan" in _text(response)
    assert 'class="errors"' in _text(response)


def test_market_sort(client, honey_shop_a, tea_shop_b):
    def order(sort):
        body = _text(client.get("/cho/", {"sort": sort}))
        return body.index("Mật ong") < body.index("Chè Shan")

    assert order("price_up") is False  # tea 180.000 first
    assert order("price_down") is True
    assert order("name") is False  # Chè before Mật
    assert order("newest") is False  # tea listed after honey


def test_market_pagination(client, coop_a):
    open_shop(coop_a)
    for i in range(30):
        stocked(coop_a, name=f"Sản phẩm {i:02d}", code=f"P{i:02d}", packs=1)
    first = _text(client.get("/cho/", {"sort": "name"}))
    assert first.count('class="item"') == 24 and "Sản phẩm 00" in first and "Sản phẩm 29" not in first
    assert 'rel="next"' in first
    second = _text(client.get("/cho/", {"sort": "name", "page": "2"}))
    assert second.count('class="item"') == 6 and "Sản phẩm 29" in second
    assert client.get("/cho/", {"page": "999"}).status_code == 200


def _many(coop, count, start=0):
    for i in range(start, start + count):
        listing = stocked(coop, name=f"Hàng {i}", code=f"H{i:03d}", packs=2)
        _photo(coop, listing)
        _ocop(coop, listing, stars=3)


def test_queries_do_not_grow_with_products(client, coop_a, django_assert_max_num_queries):
    open_shop(coop_a)
    _many(coop_a, 5)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/cho/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/s/coop-a/").status_code == 200
    _many(coop_a, 45, start=5)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        body = _text(client.get("/cho/"))
    assert body.count('class="item"') == 24
    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        home = _text(client.get("/s/coop-a/"))
    assert home.count('class="item"') == 50
    assert len(many.captured_queries) == len(few.captured_queries)


# --- privacy -------------------------------------------------------------------------------------


def test_no_member_names_or_phones_on_public_pages(
    client, coop_a, honey_shop_a, member_a, member_a2, tea_shop_b
):
    urls = ["/cho/", "/s/coop-a/", f"/s/coop-a/{honey_shop_a.short_code}/", "/sitemap.xml", "/cho/?q=nguyen"]
    for url in urls:
        body = _text(client.get(url))
        for member in (member_a, member_a2):
            assert member.full_name not in body, url
            assert member.phone not in body, url
        assert BUYER["phone"] not in body


def test_language_switch(client, honey_shop_a):
    en = client.get(f"/s/coop-a/{honey_shop_a.short_code}/?lang=en")
    vi = client.get(f"/s/coop-a/{honey_shop_a.short_code}/?lang=vi")
    assert en["Content-Language"] == "en" and vi["Content-Language"] == "vi"
    assert "Add to cart" in _text(en)
    assert '<html lang="vi">' in _text(vi)

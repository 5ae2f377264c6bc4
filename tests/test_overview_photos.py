"""Photos where they help (issue 11, deliverable 5): the product photo as a small
responsive <img> (srcset from the resized variants, width and height, lazy, alt) in the
catalogue, on the product page, on the lot page and on the public trace page, which keeps
its budget; the cooperative's logo on the overview and the trace page."""

from __future__ import annotations

import gzip
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hoptac.catalog import services as catalog
from hoptac.catalog.photos import srcset
from hoptac.core.tenancy import tenant
from hoptac.inventory.models import Lot
from tests.test_trace import build_lot


def _jpeg(width: int, height: int) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 150, 40)).save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


def _png(size: int = 256) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (30, 90, 60)).save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def _img_tags(page: str) -> list[str]:
    return re.findall(r"<img [^>]*>", page)


def _attrs(tag: str) -> dict[str, str]:
    return dict(re.findall(r'([a-z-]+)="([^"]*)"', tag))


@pytest.fixture
def lot(coop_a):
    return build_lot(coop_a, code="PHO", households=2, steps=1)


@pytest.fixture
def photo(coop_a, lot):
    with tenant(coop_a):
        return catalog.photo_add(product=lot.product, upload=_jpeg(1200, 900), alt="Hũ mật ong 500 g")


def test_srcset_lists_both_variants_with_their_widths(photo):
    assert srcset(photo) == f"{photo.small.url} 320w, {photo.medium.url} 800w"


def test_srcset_of_a_small_photo_has_one_entry(coop_a, lot):
    with tenant(coop_a):
        small = catalog.photo_add(product=lot.product, upload=_jpeg(300, 200), alt="")
    assert srcset(small) == f"{small.small.url} 300w"


def test_catalogue_and_product_page_show_a_responsive_lazy_photo(login, chair_a, lot, photo):
    client = login(chair_a)
    for url in ("/c/coop-a/catalog/", f"/c/coop-a/catalog/{lot.product_id}/"):
        page = client.get(url).content.decode()
        tags = [t for t in _img_tags(page) if photo.small.url in t]
        assert tags, url
        attrs = _attrs(tags[0])
        assert attrs["srcset"] == srcset(photo)
        assert attrs["sizes"] and attrs["loading"] == "lazy"
        assert attrs["width"].isdigit() and attrs["height"].isdigit()
        assert attrs["alt"] == "Hũ mật ong 500 g"


def test_lot_page_shows_its_products_photo(login, chair_a, coop_a, lot, photo):
    page = login(chair_a).get(f"/c/coop-a/inventory/lots/{lot.uuid}/").content.decode()
    (tag,) = [t for t in _img_tags(page) if photo.small.url in t]
    assert _attrs(tag)["srcset"] == srcset(photo)
    assert (_attrs(tag)["width"], _attrs(tag)["height"]) == ("64", "64")


def test_lot_page_of_another_product_shows_no_photo(login, chair_a, coop_a, lot, photo):
    from hoptac.inventory.models import LotInput

    raw = LotInput.unscoped.get(lot=lot).source  # a lot of the raw product, which has no photo
    page = login(chair_a).get(f"/c/coop-a/inventory/lots/{raw.uuid}/").content.decode()
    assert page.count("<img ") == 0
    assert photo.small.url not in page


def test_trace_page_photo_has_srcset_and_logo_and_stays_within_budget(client, coop_a, lot, photo):
    coop_a.logo.save("logo.png", _png(), save=True)
    public_code = Lot.unscoped.get(pk=lot.pk).public_code
    response = client.get(f"/t/{public_code}")
    assert response.status_code == 200
    page = response.content.decode()
    (photo_tag,) = [t for t in _img_tags(page) if photo.small.url in t]
    attrs = _attrs(photo_tag)
    assert attrs["srcset"] == srcset(photo) and attrs["loading"] == "lazy"
    assert (attrs["width"], attrs["height"]) == ("320", "240")
    (logo_tag,) = [t for t in _img_tags(page) if coop_a.logo.url in t]
    assert _attrs(logo_tag)["loading"] == "lazy" and _attrs(logo_tag)["alt"]
    assert len(gzip.compress(response.content, compresslevel=6)) <= 14 * 1024
    style = page.split("<style>")[1].split("</style>")[0]
    assert len(style.encode()) < 2048
    # The export stays as its schema says: the srcset and the logo are the page's only.
    from hoptac.trace.selectors import trace_data

    assert set(trace_data(Lot.unscoped.select_related("product", "cooperative").get(pk=lot.pk))["photo"]) == {
        "url",
        "width",
        "height",
        "alt",
    }


def test_overview_shows_the_logo(login, chair_a, coop_a):
    coop_a.logo.save("logo.png", _png(), save=True)
    page = login(chair_a).get("/c/coop-a/").content.decode()
    (tag,) = [t for t in _img_tags(page) if coop_a.logo.url in t]
    assert _attrs(tag)["alt"] and _attrs(tag)["width"] == "64"

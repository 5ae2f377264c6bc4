"""The share kit and share links, end to end through the Django client: making a link,
``/l/<code>`` (visit counted once per person, cookie, redirect, 404), the checkout marking
the link's orders, the kit pages (caption, images whose QR reads back to the link), the
list of links with their orders and money, and sales by channel (page and xlsx) with live
sales and share links named."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
import zxingcpp
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from openpyxl import load_workbook
from PIL import Image

from hoptac.core.models import AuditEvent
from hoptac.core.tenancy import tenant
from hoptac.inventory.models import Lot
from hoptac.lib.captions import MAX_CHARS
from hoptac.live.models import LiveSession
from hoptac.shop.models import Channel, Order, ShareLink
from hoptac.shop.selectors.reports import sales_report
from hoptac.shop.services.orders import Buyer, Choice, order_move, order_place
from hoptac.shop.services.share import share_link_create
from hoptac.shop.views.share import COOKIE

from .shop_fixtures import hanoi_commune

BASE = "http://testserver"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def make_link(listing, **kwargs) -> ShareLink:
    with tenant(listing.cooperative):
        return share_link_create(
            listing=listing,
            place=kwargs.pop("place", "zalo"),
            label=kwargs.pop("label", "Nhóm Chợ quê"),
            **kwargs,
        )


def kit_url(listing) -> str:
    return f"/c/{listing.cooperative.slug}/share/products/{listing.product_id}/"


# --- the service ------------------------------------------------------------------------------


def test_a_link_is_made_with_its_place_label_and_an_audit_row(honey_shop_a, chair_a):
    link = make_link(honey_shop_a, place="facebook", label="  Nhóm   Chợ quê Hà Giang ", actor=chair_a)
    assert re.fullmatch(r"S[2-9A-HJ-NP-Z]{5}", link.code)
    assert (link.place, link.label, link.visits, link.created_by) == (
        "facebook",
        "Nhóm Chợ quê Hà Giang",
        0,
        chair_a,
    )
    assert AuditEvent.objects.filter(action="shop.share_link_create", object_id=str(link.pk)).exists()


def test_bad_input_is_refused_and_nothing_is_saved(honey_shop_a, tea_shop_b):
    coop = honey_shop_a.cooperative
    with tenant(coop):
        other_lot = Lot.unscoped.filter(product=tea_shop_b.product).first()
        for kwargs, field in (
            ({"place": "myspace"}, "place"),
            ({"place": "zalo", "label": "x" * 81}, "label"),
            ({"place": "zalo", "lot": other_lot}, "lot"),
        ):
            with pytest.raises(ValidationError) as error:
                share_link_create(listing=honey_shop_a, **kwargs)
            assert field in error.value.message_dict
        with pytest.raises(ValidationError):
            share_link_create(listing=tea_shop_b, place="zalo")  # another cooperative's product
    assert not ShareLink.unscoped.exists()


# --- /l/<code> -----------------------------------------------------------------------------------


def test_visit_counts_sets_a_cookie_and_redirects_to_the_product(client, honey_shop_a):
    link = make_link(honey_shop_a)
    response = client.get(f"/l/{link.code}")
    assert response.status_code == 302
    assert response["Location"] == f"/s/coop-a/{honey_shop_a.short_code}/"
    assert "no-store" in response["Cache-Control"]
    cookie = response.cookies[COOKIE]
    assert cookie["max-age"] == 7 * 24 * 3600 and cookie["httponly"] and cookie["samesite"] == "Lax"
    client.get(f"/l/{link.code.lower()}")  # typed in lower case: the same link
    link.refresh_from_db()
    assert link.visits == 2


def test_head_and_link_previews_are_not_counted(client, honey_shop_a):
    link = make_link(honey_shop_a)
    assert client.head(f"/l/{link.code}").status_code == 302
    preview = client.get(f"/l/{link.code}", HTTP_USER_AGENT="facebookexternalhit/1.1")
    assert preview.status_code == 302 and COOKIE not in preview.cookies
    client.get(f"/l/{link.code}", HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 12) Zalo iOS/Android")
    link.refresh_from_db()
    assert link.visits == 1


def test_unknown_or_unlisted_is_the_not_found_page(client, honey_shop_a):
    assert client.get("/l/SNOPE2").status_code == 404
    assert client.get("/l/" + "S" * 40).status_code == 404
    link = make_link(honey_shop_a)
    with tenant(honey_shop_a.cooperative):
        honey_shop_a.is_listed = False
        honey_shop_a.save()
    response = client.get(f"/l/{link.code}")
    assert response.status_code == 404 and COOKIE not in response.cookies
    link.refresh_from_db()
    assert link.visits == 0


# --- the checkout -------------------------------------------------------------------------------


def _checkout(client, coops) -> list[Order]:
    page = client.get("/gio/thanh-toan/").content.decode()
    key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    data = {
        "form_key": key,
        "name": "Nguyễn Thị Lan",
        "phone": "0987 654 321",
        "message_channel": "sms",
        "province_code": "1",
        "commune_code": str(hanoi_commune()),
        "street": "12 Hàng Bạc",
    }
    for coop in coops:
        data[f"delivery_{coop.pk}"] = "post"
        data[f"payment_{coop.pk}"] = "bank"
    response = client.post("/gio/thanh-toan/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return list(Order.unscoped.order_by("-id")[: len(coops)])[::-1]


def test_orders_of_a_visit_carry_the_link_of_its_own_cooperative_only(client, honey_shop_a, tea_shop_b):
    link = make_link(honey_shop_a)
    client.get(f"/l/{link.code}")
    client.post("/gio/them/", {"listing": honey_shop_a.pk, "quantity": "1"})
    client.post("/gio/them/", {"listing": tea_shop_b.pk, "quantity": "1"})
    honey, tea = _checkout(client, [honey_shop_a.cooperative, tea_shop_b.cooperative])
    assert (honey.cooperative_id, honey.channel, honey.channel_ref) == (
        honey_shop_a.cooperative_id,
        Channel.SHARE,
        link.code,
    )
    assert (tea.channel, tea.channel_ref) == (Channel.SHOP, "")


def test_without_a_link_or_with_a_forged_cookie_the_order_is_the_shops(client, honey_shop_a):
    client.cookies[COOKIE] = "SABCDE"  # not signed by us
    client.post("/gio/them/", {"listing": honey_shop_a.pk, "quantity": "1"})
    (order,) = _checkout(client, [honey_shop_a.cooperative])
    assert (order.channel, order.channel_ref) == (Channel.SHOP, "")


def test_the_last_link_opened_wins(client, honey_shop_a):
    first, second = make_link(honey_shop_a, label="Nhóm 1"), make_link(honey_shop_a, label="Nhóm 2")
    client.get(f"/l/{first.code}")
    client.get(f"/l/{second.code}")
    client.post("/gio/them/", {"listing": honey_shop_a.pk, "quantity": "1"})
    (order,) = _checkout(client, [honey_shop_a.cooperative])
    assert order.channel_ref == second.code


def test_a_product_added_from_the_marketplace_after_the_link_makes_it_a_marketplace_order(
    client, honey_shop_a
):
    link = make_link(honey_shop_a)
    market = client.get("/cho/").content.decode()
    assert f'/s/coop-a/{honey_shop_a.short_code}/?c=cho"' in market  # the cards carry the tag
    product = client.get(f"/s/coop-a/{honey_shop_a.short_code}/?c=cho").content.decode()
    assert 'name="c" value="cho"' in product  # and "Add to cart" posts it back
    client.get(f"/l/{link.code}")
    client.post("/gio/them/", {"listing": honey_shop_a.pk, "quantity": "1"})  # from the link's page
    (first,) = _checkout(client, [honey_shop_a.cooperative])
    assert (first.channel, first.channel_ref) == (Channel.SHARE, link.code)
    # Later the same buyer finds the product on the marketplace: the last click (times are
    # kept in whole seconds).
    time.sleep(1.1)
    client.post("/gio/them/", {"listing": honey_shop_a.pk, "quantity": "1", "c": "cho"})
    (second,) = _checkout(client, [honey_shop_a.cooperative])
    assert (second.channel, second.channel_ref) == (Channel.MARKETPLACE, "")
    # And a link opened after that wins again.
    time.sleep(1.1)
    client.get(f"/l/{link.code}")
    client.post("/gio/them/", {"listing": honey_shop_a.pk, "quantity": "1"})
    (third,) = _checkout(client, [honey_shop_a.cooperative])
    assert third.channel == Channel.SHARE


def test_the_service_ignores_a_share_code_it_does_not_know(honey_shop_a):
    (order,) = order_place(
        items=[(honey_shop_a.pk, 1)],
        buyer=Buyer(name="Lê Thu", phone="0355111222"),
        choices={honey_shop_a.cooperative_id: Choice(delivery="pickup", payment="cod")},
        channel=Channel.SHARE,
        channel_ref="SZZZZZ",
    )
    assert (order.channel, order.channel_ref) == (Channel.SHOP, "")


# --- the staff pages -------------------------------------------------------------------------


def _qr(content: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(content)).convert("RGB"))]


def test_product_kit_caption_images_and_a_new_link(login, chair_a, honey_shop_a):
    client = login(chair_a)
    page = client.get(kit_url(honey_shop_a))
    assert page.status_code == 200
    caption, plain = page.context["caption"], page.context["plain"]
    short = f"{BASE}/p/{honey_shop_a.short_code}"
    assert short in caption and short in plain
    assert "Mật ong bạc hà 500 ml" in caption and "250.000 ₫ / hũ" in caption
    assert "Mat ong bac ha 500 ml" in plain and plain.isascii()
    assert len(caption) <= MAX_CHARS
    html = page.content.decode()
    assert caption.splitlines()[0] in html and "<textarea" in html

    wide = client.get(f"{kit_url(honey_shop_a)}image/")
    assert wide["Content-Type"] == "image/jpeg" and len(wide.content) < 200_000
    assert Image.open(io.BytesIO(wide.content)).size == (1200, 630)
    assert _qr(wide.content) == [short]
    square = client.get(f"{kit_url(honey_shop_a)}image/?shape=square&format=png&download=1")
    assert square["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(square.content)).size == (1080, 1080)
    assert square["Content-Disposition"] == f'attachment; filename="{honey_shop_a.short_code}-1080x1080.png"'
    assert _qr(square.content) == [short]
    # Drawn once: kept under MEDIA_ROOT by content, and answered 304 to a browser that has it.
    kept = list((Path(settings.MEDIA_ROOT) / "shop" / "share").glob("*.*"))
    assert len(kept) == 2
    again = client.get(f"{kit_url(honey_shop_a)}image/", HTTP_IF_NONE_MATCH=wide["ETag"])
    assert again.status_code == 304
    assert client.get(f"{kit_url(honey_shop_a)}image/?shape=round").status_code == 404

    made = client.post(
        kit_url(honey_shop_a), {"form_key": _key(html), "place": "tiktok", "label": "Video mùa mật"}
    )
    link = ShareLink.unscoped.get()
    assert made.status_code == 302 and made["Location"] == f"/c/coop-a/share/links/{link.code}/"
    assert (link.place, link.label, link.created_by) == ("tiktok", "Video mùa mật", chair_a)
    link_page = client.get(made["Location"])
    assert f"{BASE}/l/{link.code}" in link_page.context["caption"]
    image = client.get(f"/c/coop-a/share/links/{link.code}/image/?shape=square")
    assert _qr(image.content) == [f"{BASE}/l/{link.code}"]


def _key(html: str) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


def test_a_bad_link_form_says_why_and_saves_nothing(login, chair_a, honey_shop_a):
    client = login(chair_a)
    html = client.get(kit_url(honey_shop_a)).content.decode()
    response = client.post(kit_url(honey_shop_a), {"form_key": _key(html), "place": "myspace", "label": "x"})
    assert response.status_code == 422 and response.context["form"].errors["place"]
    assert not ShareLink.unscoped.exists()


def test_lot_kit_names_the_lot_its_trace_page_and_dates(login, chair_a, honey_shop_a):
    client = login(chair_a)
    with tenant(honey_shop_a.cooperative):
        lot = Lot.objects.get(product=honey_shop_a.product)
    page = client.get(f"/c/coop-a/share/lots/{lot.uuid}/")
    assert page.status_code == 200
    caption = page.context["caption"]
    assert lot.public_code in caption and f"{BASE}/t/{lot.public_code}" in caption
    assert lot.production_date.strftime("%d/%m/%Y") in caption
    html = page.content.decode()
    response = client.post(f"/c/coop-a/share/lots/{lot.uuid}/", {"form_key": _key(html), "place": "sms"})
    assert response.status_code == 302
    assert ShareLink.unscoped.get().lot == lot
    # The product's kit lists the lot to share.
    assert lot in client.get(kit_url(honey_shop_a)).context["lots"]


def test_link_list_shows_visits_orders_and_money(login, chair_a, client, honey_shop_a):
    link = make_link(honey_shop_a, label="Nhóm Chợ quê Hà Giang")
    with tenant(honey_shop_a.cooperative):
        for quantity in (1, 2):
            order_place(
                items=[(honey_shop_a.pk, quantity)],
                buyer=Buyer(name="Lê Thu", phone="0355111222"),
                choices={honey_shop_a.cooperative_id: Choice(delivery="pickup", payment="cod")},
                channel=Channel.SHARE,
                channel_ref=link.code,
            )
        cancelled = Order.objects.order_by("id").first()
        order_move(order=cancelled, to="cancelled", note="đổi ý")
    ShareLink.unscoped.filter(pk=link.pk).update(visits=17)
    page = login(chair_a).get("/c/coop-a/share/")
    assert page.status_code == 200
    (row,) = page.context["rows"]
    assert (row.link.visits, row.orders, row.goods_vnd, row.paid_vnd) == (17, 1, 500_000, 0)
    html = page.content.decode()
    assert "Nhóm Chợ quê Hà Giang" in html and "500.000" in html and f"/l/{link.code}" in html


def test_other_cooperatives_links_are_not_listed(login, chair_b, honey_shop_a, tea_shop_b):
    make_link(honey_shop_a)
    page = login(chair_b).get("/c/coop-b/share/")
    assert page.context["rows"] == []
    assert login(chair_b).get(f"/c/coop-b/share/links/{ShareLink.unscoped.get().code}/").status_code == 404


# --- sales by channel ------------------------------------------------------------------------


def _sold(listing, *, channel=Channel.SHOP, ref="", packs=1, paid=False) -> Order:
    coop = listing.cooperative
    with tenant(coop):
        (order,) = order_place(
            items=[(listing.pk, packs)],
            buyer=Buyer(name="Lê Thu", phone="0355111222"),
            choices={coop.pk: Choice(delivery="pickup", payment="cod")},
            channel=channel,
            channel_ref=ref,
        )
        for to in ("confirmed", "packed", "shipped"):
            order = order_move(order=order, to=to)
        if paid:
            Order.objects.filter(pk=order.pk).update(paid_vnd=order.total_vnd, payment_state="paid")
    return order


def test_sales_by_channel_names_each_live_and_link(login, chair_a, honey_shop_a):
    coop = honey_shop_a.cooperative
    link = make_link(honey_shop_a, place="facebook", label="Nhóm Chợ quê Hà Giang")
    with tenant(coop):
        live = LiveSession.objects.create(
            cooperative=coop, title="Live mật ong tối thứ Sáu", platform="facebook", starts_at=timezone.now()
        )
    _sold(honey_shop_a, packs=1)
    _sold(honey_shop_a, channel=Channel.SHARE, ref=link.code, packs=2, paid=True)
    _sold(honey_shop_a, channel=Channel.LIVE, ref=live.code, packs=3)
    _sold(honey_shop_a, channel=Channel.LIVE, ref="LGONE", packs=1)  # a live no longer there: its code
    today = timezone.localdate()
    with tenant(coop):
        report = sales_report(start=today, end=today)
    channels = {r["channel"]: (r["orders"], r["amount"], r["paid"]) for r in report.by_channel}
    assert channels == {
        "shop": (1, 250_000, 0),
        "share": (1, 500_000, 500_000),
        "live": (2, 1_000_000, 0),
    }
    sources = {
        (r["channel"], r["channel_ref"]): (r["name"], r["orders"], r["amount"]) for r in report.by_source
    }
    day = timezone.localtime(live.starts_at).strftime("%d/%m/%Y")
    assert sources == {
        ("live", live.code): (f"Live mật ong tối thứ Sáu ({day})", 1, 750_000),
        ("live", "LGONE"): ("LGONE", 1, 250_000),
        ("share", link.code): ("Nhóm Chợ quê Hà Giang (Facebook) · Mật ong bạc hà 500 ml", 1, 500_000),
    }

    client = login(chair_a)
    with translation.override("en"):
        page = client.get(f"/c/coop-a/shop/reports/?start={today}&end={today}", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Live mật ong tối thứ Sáu" in html and "Nhóm Chợ quê Hà Giang (Facebook)" in html
    xlsx = client.get(f"/c/coop-a/shop/reports/sales.xlsx?start={today}&end={today}")
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book.worksheets[2]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows(min_row=4) if any(c.value for c in row)]
    names = {row[2]: (row[1], row[3], row[4], row[5]) for row in rows if row[2]}
    assert names[link.code] == (
        "Nhóm Chợ quê Hà Giang (Facebook) · Mật ong bạc hà 500 ml",
        1,
        500_000,
        500_000,
    )
    assert names[live.code][1:] == (1, 750_000, 0)
    assert len(rows) == 3 + 3  # three channels, three sources

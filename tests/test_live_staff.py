"""Planning a live sale (services) and its staff pages: the list, the plan, starting and
ending, claims by hand, the live screen and the report after the live."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from hoptac.core.tenancy import tenant
from hoptac.lib import xlsx as xlsx_writer
from hoptac.live.models import Claim, ClaimState, LiveBuyer, LiveItem, LiveSession, LiveStatus, Platform
from hoptac.live.selectors.sessions import report
from hoptac.live.services.claims import buyer_confirm, comment_add, live_start
from hoptac.live.services.sessions import (
    live_create,
    live_item_add,
    live_item_remove,
    live_item_update,
    live_update,
    normalize_code,
    suggest_code,
)
from hoptac.shop.models import PaymentMethod
from hoptac.shop.services.orders import Buyer
from tests.live_fixtures import on_air, planned
from tests.shop_fixtures import hanoi_commune, open_shop, stocked

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


# --- the pages ------------------------------------------------------------------------------------------


def _url(name, coop, **kwargs):
    return reverse(f"live_staff:{name}", kwargs={"coop_slug": coop.slug, **kwargs})


def _key(client, url):
    page = client.get(url).content.decode()
    return re.search(r'name="form_key" value="([^"]+)"', page).group(1)


def test_plan_start_capture_and_end_through_the_pages(settings, login, chair_a, coop_a):
    settings.LANGUAGE_CODE = "en"
    open_shop(coop_a)
    honey = stocked(coop_a, name="Mật ong bạc hà", code="MAT", packs=12, price=250_000)
    client = login(chair_a)
    new = _url("session_create", coop_a)
    response = client.post(
        new,
        {
            "title": "Live tối thứ Sáu",
            "platform": "facebook",
            "starts_at": "2026-12-04T20:00",
            "hold_minutes": "120",
            "form_key": _key(client, new),
        },
    )
    assert response.status_code == 302
    with tenant(coop_a):
        session = LiveSession.objects.get()
    detail = _url("session_detail", coop_a, live_code=session.code)
    assert response.url.startswith(detail)
    # A product: too many packs first (a clear message, nothing added), then right.
    add = _url("item_add", coop_a, live_code=session.code)
    body = {"listing": honey.pk, "code": "", "price_vnd": "199.000", "quantity": "13"}
    refused = client.post(add, {**body, "form_key": _key(client, detail)})
    assert refused.status_code == 422
    with translation.override("en"):
        assert (
            "Only 12 packs are in stock."
            in client.post(add, {**body, "form_key": _key(client, detail)}).content.decode()
        )
    assert client.post(add, {**body, "quantity": "10", "form_key": _key(client, detail)}).status_code == 302
    with tenant(coop_a):
        item = LiveItem.objects.get(session=session)
    assert (item.code, item.price_vnd, item.quantity) == ("M1", 199_000, 10)
    assert client.post(_url("session_start", coop_a, live_code=session.code)).status_code == 302
    paste = _url("comments_paste", coop_a, live_code=session.code)
    text = "Lan: chốt M1 x2 0912345678\nHùng: M1 x3\n"
    response = client.post(paste, {"text": text, "form_key": _key(client, detail)}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("2 comments" in m and "2 orders" in m and "0 repeats" in m and "1 need" in m for m in shown), (
        shown
    )
    response = client.post(paste, {"text": text, "form_key": _key(client, detail)}, follow=True)
    assert any("2 repeats" in str(m) for m in response.context["messages"])
    with tenant(coop_a):
        assert Claim.objects.filter(session=session).count() == 2
    page = client.get(detail).content.decode()
    assert "needs-look" in page and "Hùng" in page
    # The live screen and its panel: claimed 5, left 5; phones masked.
    screen = client.get(_url("screen", coop_a, live_code=session.code)).content.decode()
    assert 'data-refresh="' in screen and "live-screen.js" in screen and "<noscript>" in screen
    panel = client.get(_url("screen_panel", coop_a, live_code=session.code)).json()["html"]
    assert re.search(r'data-count="claimed">5<', panel) and re.search(r'data-count="left">5<', panel)
    assert "0912345678" not in panel and "345678" not in panel and "678" in panel
    assert client.post(_url("session_end", coop_a, live_code=session.code)).status_code == 302
    with tenant(coop_a):
        session.refresh_from_db()
    assert session.status == LiveStatus.ENDED
    again = client.post(_url("session_end", coop_a, live_code=session.code), follow=True)
    assert again.status_code == 200 and any(m.level_tag == "error" for m in again.context["messages"])


def test_claims_by_hand_release_and_buyers_links(login, chair_a, coop_a):
    live = on_air(coop_a, items=(("M1", 20, 3, 200_000),))
    client = login(chair_a)
    detail = _url("session_detail", coop_a, live_code=live.code)
    with tenant(coop_a):
        item = live.items.get()
    add = _url("claim_add", coop_a, live_code=live.code)
    for name, phone, n in (("Lan", "0912345678", 3), ("Hùng", "", 1)):
        body = {"item": item.pk, "buyer_name": name, "phone": phone, "quantity": n}
        assert client.post(add, {**body, "form_key": _key(client, detail)}).status_code == 302
    bad = client.post(
        add,
        {"item": item.pk, "buyer_name": "", "phone": "12", "quantity": 1, "form_key": _key(client, detail)},
    )
    assert bad.status_code == 422
    with tenant(coop_a):
        lan, hung = Claim.objects.filter(session=live).order_by("id")
        assert (lan.state, hung.state) == (ClaimState.HELD, ClaimState.WAITING)
    release = _url("claim_release", coop_a, live_code=live.code, claim_id=lan.pk)
    assert client.post(release, {"note": "gọi không được"}).status_code == 302
    assert client.post(release).status_code == 302  # twice: refused, nothing changes
    with tenant(coop_a):
        lan.refresh_from_db()
        hung.refresh_from_db()
        assert (lan.state, lan.note, hung.state) == (ClaimState.RELEASED, "gọi không được", ClaimState.HELD)
        token = hung.buyer.token
    page = client.get(_url("buyer_list", coop_a, live_code=live.code)).content.decode()
    assert f"/mua/{token}/" in page and "data-copy" in page


def test_report_figures_and_workbook(login, chair_a, coop_a):
    live = on_air(coop_a, items=(("M1", 20, 10, 200_000), ("C2", 10, 5, 150_000)))
    with tenant(coop_a):
        comment_add(session=live, text="chốt M1 x2 0912345678", author_name="Lan")
        comment_add(session=live, text="chốt M1 x2 0912345678", author_name="Lan")  # repeat
        comment_add(session=live, text="C2 x1 0987654321", author_name="Hùng")
        comment_add(session=live, text="M1 còn không?", author_name="Mai")
        lan = LiveBuyer.objects.get(name="Lan")
        order = buyer_confirm(
            buyer=lan,
            details=Buyer(
                name="Lan",
                phone="0912345678",
                province_code=1,
                commune_code=hanoi_commune(),
                street="1 Hàng Bạc",
            ),
            delivery="post",
            payment=PaymentMethod.COD,
        )
        r = report(live)
    assert (r.total.comments, r.total.duplicates, r.total.claims, r.total.buyers, r.total.orders) == (
        3,
        1,
        2,
        2,
        1,
    )
    assert r.total.revenue == order.subtotal_vnd == 400_000 and r.total.paid == 0
    assert r.total.conversion == 0.5
    m1, c2 = r.products
    assert (m1.packs_ordered, m1.revenue, m1.conversion, c2.orders, c2.conversion) == (
        2,
        400_000,
        1.0,
        0,
        0.0,
    )
    client = login(chair_a)
    page = client.get(_url("report", coop_a, live_code=live.code)).content.decode()
    assert 'data-figure="conversion">50%' in page
    response = client.get(_url("report_xlsx", coop_a, live_code=live.code))
    assert response["Content-Type"] == xlsx_writer.CONTENT_TYPE
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 4
    cells = [c for row in book.worksheets[3].iter_rows(values_only=True) for c in row]
    assert "chốt M1 x2 0912345678" in cells and "M1 còn không?" in cells
    across = client.get(_url("reports", coop_a)).content.decode()
    assert live.title in across
    assert client.get(_url("session_list", coop_a)).status_code == 200


def test_a_formula_in_a_comment_stays_text(login, chair_a, coop_a):
    live = on_air(coop_a)
    with tenant(coop_a):
        comment_add(session=live, text='=HYPERLINK("http://x","M1")', author_name="=1+1")
    response = login(chair_a).get(_url("report_xlsx", coop_a, live_code=live.code))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[3]
    cell = sheet.cell(row=4, column=3)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


def test_staff_without_live_run_cannot_open(login, collector_a, coop_a):
    live = on_air(coop_a)
    assert login(collector_a).get(_url("screen", coop_a, live_code=live.code)).status_code == 403


def test_edit_pages_check_conflicts_and_freeze_on_air(settings, login, chair_a, coop_a):
    settings.LANGUAGE_CODE = "en"
    session = planned(coop_a, items=(("M1", 20, 10, 200_000),))
    with tenant(coop_a):
        item = session.items.get()
    client = login(chair_a)
    url = _url("item_edit", coop_a, live_code=session.code, item_id=item.pk)
    page = client.get(url).content.decode()
    base = re.search(r'name="form_base" value="([^"]+)"', page).group(1)
    body = {"code": "m 7", "price_vnd": "185.000", "quantity": "8", "form_base": base}
    assert client.post(url, body).status_code == 302
    with tenant(coop_a):
        item.refresh_from_db()
    assert (item.code, item.price_vnd, item.quantity) == ("M7", 185_000, 8)
    # The same old page sent again: someone changed the product since; nothing is written.
    stale = client.post(url, {**body, "quantity": "9"})
    assert stale.status_code == 422
    with tenant(coop_a):
        item.refresh_from_db()
    assert item.quantity == 8
    edit = _url("session_edit", coop_a, live_code=session.code)
    base = re.search(r'name="form_base" value="([^"]+)"', client.get(edit).content.decode()).group(1)
    body = {"title": "Live chè", "platform": "zalo", "starts_at": "2026-12-05T19:30", "hold_minutes": "60"}
    assert client.post(edit, {**body, "form_base": base}).status_code == 302
    with tenant(coop_a):
        live_start(session=session)
        session.refresh_from_db()
    assert (session.title, session.platform, session.hold_minutes) == ("Live chè", "zalo", 60)
    frozen = client.post(url, {"code": "M1", "price_vnd": "1.000", "quantity": "1"})
    assert frozen.status_code == 409
    with translation.override("en"):
        assert "can no longer change" in client.get(edit).content.decode()

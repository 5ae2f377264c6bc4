"""A live sale from setup to three buyers, in a real browser (system Chromium): staff plan
the live, add a product, go on air and paste the comments; the live screen (open in a
second tab, refreshing itself) shows the right counts at each step; one buyer confirms
with a VietQR bank transfer, one with cash on delivery, one lets the time pass and the
next in line moves up.

The claims' expiry is the service the huey task runs (``claims_expire``), called with a
clock past the time to confirm; everything else goes through the pages."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from hoptac.core.tenancy import tenant
from hoptac.live.models import LiveBuyer, LiveSession
from hoptac.live.services.claims import claims_expire
from hoptac.shop.models import Channel, Order
from tests.shop_fixtures import hanoi_commune, open_shop, stocked
from tests.test_ui_crawl import storage_state

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

COMMENTS = """Lò Thị Mai: chốt M1 x2 0912345678
Vàng Seo Pao: m1 2 sdt 0987.654.321
Giàng A Lử: M1 x1 0977111222
Lò Thị Mai: chốt M1 x2 0912345678
Sùng Thị Dợ: cho e 1 M1 nhé 0966222333
Hoàng Văn Hùng: M1 còn không shop?"""


def _counts(page, claimed: str, left: str, waiting: str) -> None:
    row = page.locator("#item-M1")
    expect(row.locator("[data-count=claimed]")).to_have_text(claimed, timeout=15_000)
    expect(row.locator("[data-count=left]")).to_have_text(left, timeout=15_000)
    expect(row.locator("[data-count=waiting]")).to_have_text(waiting, timeout=15_000)


def _confirm(page, base: str, buyer: LiveBuyer, *, payment: str) -> str:
    """The buyer opens their link, gives an address and confirms; returns the order page."""
    page.goto(f"{base}/mua/{buyer.token}/")
    page.fill("input[name=name]", buyer.name)
    page.select_option("select[name=province_code]", "1")
    page.click("button[name=refresh]")  # no JavaScript: the communes come with the page
    page.select_option("select[name=commune_code]", str(hanoi_commune()))
    page.fill("input[name=street]", "12 Hàng Bạc")
    page.check("input[type=radio][value=post]")
    page.check(f"input[type=radio][value={payment}]")
    page.click("button[name=place]")
    page.wait_for_url("**/don/**")
    return page.url


def test_a_live_from_setup_to_three_buyers(live_server, coop_a, chair_a, settings):
    settings.LANGUAGE_CODE = "en"
    open_shop(coop_a)
    listing = stocked(coop_a, name="Mật ong bạc hà 500 ml", code="MAT", packs=12, price=250_000)
    client = Client()
    client.force_login(chair_a)
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            staff = browser.new_context(
                storage_state=storage_state(client, base), viewport={"width": 360, "height": 740}
            )
            staff.set_default_timeout(20_000)
            page = staff.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            # Plan the live and its product.
            page.goto(f"{base}/c/coop-a/live/new/")
            page.fill("input[name=title]", "Live mật ong tối thứ Sáu")
            page.select_option("select[name=platform]", "facebook")
            page.fill("input[name=starts_at]", (timezone.localtime() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
            page.fill("input[name=hold_minutes]", "60")
            page.click("form button[type=submit]")
            page.wait_for_url("**/c/coop-a/live/L*/**")
            with tenant(coop_a):
                live = LiveSession.objects.get()
            add = page.locator("form[action$='/items/add/']")
            add.locator("select[name=listing]").select_option(str(listing.pk))
            add.locator("input[name=code]").fill("M1")
            add.locator("input[name=price_vnd]").fill("185.000")
            add.locator("input[name=quantity]").fill("5")
            add.locator("button[type=submit]").click()
            expect(page.locator("table")).to_contain_text("M1")
            page.locator("form[action$='/start/'] button").click()
            expect(page.locator("form[action$='/end/']")).to_be_visible()

            # The live screen in a second tab, before any comment.
            screen = staff.new_page()
            screen.goto(f"{base}/c/coop-a/live/{live.code}/screen/")
            _counts(screen, "0", "5", "0")

            # Comments pasted as copied: Mai twice (one claim), Pao, Lử; Dợ comes too late
            # and waits; Hùng asks a question.
            page.fill("textarea[name=text]", COMMENTS)
            page.locator("form[action$='/comments/paste/'] button[type=submit]").click()
            _counts(screen, "5", "0", "1")
            with tenant(coop_a):
                buyers = {b.name.split()[-1]: b for b in LiveBuyer.objects.all()}
            assert set(buyers) == {"Mai", "Pao", "Lử", "Dợ"}

            # Three buyers, each on their own phone (a context without the staff cookie).
            phone = browser.new_context(viewport={"width": 360, "height": 740})
            phone.set_default_timeout(20_000)
            buyer_page = phone.new_page()

            # 1. Mai pays by bank transfer: her order page shows the VietQR code.
            url = _confirm(buyer_page, base, buyers["Mai"], payment="bank")
            qr = buyer_page.locator("figure.pay-qr")
            expect(qr).to_be_visible()
            with tenant(coop_a):
                mai = Order.objects.get(buyer_phone="0912345678")
            payload = qr.get_attribute("data-qr")
            assert payload.startswith("000201") and mai.code in payload  # VietQR, the order code in the memo
            assert f"54{len(str(mai.total_vnd)):02d}{mai.total_vnd}" in payload  # the amount to pay
            assert url.rstrip("/").endswith(mai.code)
            assert (mai.channel, mai.channel_ref) == (Channel.LIVE, live.code)
            assert mai.payment_method == "bank" and mai.subtotal_vnd == 2 * 185_000
            _counts(screen, "5", "0", "1")  # ordered packs stay claimed

            # 2. Pao pays cash on delivery.
            phone.clear_cookies()
            _confirm(buyer_page, base, buyers["Pao"], payment="cod")
            with tenant(coop_a):
                pao = Order.objects.get(buyer_phone="0987654321")
            assert pao.payment_method == "cod" and pao.subtotal_vnd == 2 * 185_000
            _counts(screen, "5", "0", "1")

            # 3. Lử never confirms: past the hour his pack goes to Dợ, first in line.
            with tenant(coop_a):
                assert claims_expire(now=timezone.now() + dt.timedelta(minutes=61)) == 1
            _counts(screen, "5", "0", "0")
            phone.clear_cookies()
            buyer_page.goto(f"{base}/mua/{buyers['Lử'].token}/")
            expect(buyer_page.locator("main")).not_to_contain_text("Confirm my order")
            with tenant(coop_a):
                assert Order.objects.count() == 2
                buyers["Dợ"].refresh_from_db()
                assert buyers["Dợ"].claims.get().state == "held"

            assert page.evaluate("document.scrollingElement.scrollWidth") <= 361
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()

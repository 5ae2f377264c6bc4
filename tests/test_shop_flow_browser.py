"""The whole sale in a real browser (system Chromium), as its people do it: a buyer searches
the marketplace without accents, opens a product, puts products of two cooperatives in the
cart and pays by bank transfer; SePay tells each cooperative that the money came (a signed
webhook, as SePay sends it, over HTTP); the cooperative's chair confirms, packs and ships;
the buyer's own order page then shows the parcel on its way with its tracking code."""

from __future__ import annotations

import os
import re

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from hoptac.core.tenancy import tenant
from hoptac.shop.models import Order, OrderLine, OrderStatus, PaymentState, Shop
from tests.conftest import PASSWORD
from tests.fakes.banks import sepay_delivery, sepay_payload

from .shop_fixtures import hanoi_commune

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
KEYS = {"coop-a": "sepay-key-coop-a-0123456789", "coop-b": "sepay-key-coop-b-9876543210"}


def _add_from_search(page, base, query: str, product_name: str, packs: int) -> None:
    page.goto(f"{base}/cho/?q={query}")
    link = page.locator("main a", has_text=product_name)
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("h1")).to_contain_text(product_name)
    page.locator("form.buy input[name=quantity]").fill(str(packs))
    with page.expect_navigation():
        page.locator("form.buy button[type=submit]").click()


def test_search_cart_two_cooperatives_pay_by_sepay_ship_and_follow(
    live_server, honey_shop_a, tea_shop_b, chair_a
):
    assert os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}"
    base = live_server.url
    for coop in (honey_shop_a.cooperative, tea_shop_b.cooperative):
        with tenant(coop):
            Shop.objects.filter(cooperative=coop).update(sepay_api_key=KEYS[coop.slug])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            buyer = browser.new_context(locale="vi-VN", viewport={"width": 360, "height": 740})
            buyer.set_default_timeout(30_000)
            page = buyer.new_page()
            # 1. Search without accents, open the product, add it; twice, two cooperatives.
            _add_from_search(page, base, "mat ong bac ha", "Mật ong bạc hà 500 ml", 2)
            _add_from_search(page, base, "che shan tuyet", "Chè Shan tuyết 200 g", 3)
            page.goto(f"{base}/gio/")
            expect(page.locator("main")).to_contain_text(honey_shop_a.cooperative.name)
            expect(page.locator("main")).to_contain_text(tea_shop_b.cooperative.name)
            # 2. Checkout by bank transfer.
            page.locator("main a[href='/gio/thanh-toan/']").click()
            page.locator("input[name=name]").fill("Nguyễn Thị Lan")
            page.locator("input[name=phone]").fill("0388 123 456")
            with page.expect_navigation():
                page.locator("select[name=province_code]").select_option("1")
            page.locator("select[name=commune_code]").select_option(str(hanoi_commune()))
            page.locator("input[name=street]").fill("12 Hàng Bạc")
            for listing in (honey_shop_a, tea_shop_b):
                coop = listing.cooperative.pk
                page.locator(f"input[name=delivery_{coop}][value=post]").check()
                page.locator(f"input[name=payment_{coop}][value=bank]").check()
            with page.expect_navigation():
                page.locator("button[name=place]").click()
            expect(page.locator("main figure.pay-qr")).to_have_count(2)
            honey, tea = Order.unscoped.order_by("cooperative_id")
            assert [line.quantity for line in OrderLine.unscoped.order_by("cooperative_id")] == [2, 3]
            # 3. SePay calls each cooperative's webhook: the money came, with the code in the memo.
            for number, order in enumerate((honey, tea), start=1):
                slug = order.cooperative.slug
                payload = sepay_payload(
                    id=5000 + number,
                    amount=order.total_vnd,
                    content=f"{order.code} Nguyen Thi Lan chuyen khoan",
                )
                headers, body = sepay_delivery(payload, api_key=KEYS[slug])
                answer = httpx.post(
                    f"{base}/hooks/bank/sepay/{slug}/", content=body, headers=headers, timeout=30
                )
                assert answer.status_code == 200 and answer.json() == {"success": True}
            for order in (honey, tea):
                order.refresh_from_db()
                assert order.payment_state == PaymentState.PAID
            # 4. The chair of the honey cooperative confirms, packs and ships with a tracking code.
            staff = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
            staff.set_default_timeout(30_000)
            desk = staff.new_page()
            desk.goto(f"{base}/accounts/login/")
            desk.locator("main input[name=identifier]").fill("0911 000 101")
            desk.locator("main input[name=password]").fill(PASSWORD)
            desk.locator("main button[type=submit]").click()
            expect(desk).to_have_url(re.compile(r"/c/coop-a/$"))
            desk.goto(f"{base}/c/coop-a/shop/orders/{honey.code}/")
            expect(desk.locator("main")).to_contain_text("Nguyễn Thị Lan")
            for to in ("confirmed", "packed"):
                with desk.expect_navigation():
                    desk.locator(f"form.move-form:has(input[name=to][value={to}]) button").click()
            ship = desk.locator("form.move-form:has(input[name=to][value=shipped])")
            ship.locator("input[name=carrier]").fill("GHN")
            ship.locator("input[name=tracking_code]").fill("GHN5KQ2MX7")
            with desk.expect_navigation():
                ship.locator("button").click()
            honey.refresh_from_db()
            assert honey.status == OrderStatus.SHIPPED and honey.tracking_code == "GHN5KQ2MX7"
            # 5. The buyer's own page (same browser, no account) shows the parcel on its way.
            page.goto(f"{base}/don/{honey.code}/")
            main = page.locator("main")
            expect(main).to_contain_text("GHN5KQ2MX7")
            expect(main.locator(".order-status")).to_have_text(re.compile(r"\S"))
            with tenant(honey.cooperative):
                shipped_label = str(Order.objects.get(pk=honey.pk).get_status_display())
            assert shipped_label.lower() in main.inner_text().lower()
            staff.close()
        finally:
            browser.close()

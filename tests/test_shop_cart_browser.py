"""The checkout in a real browser (system Chromium): a cart with products of two
cooperatives, checkout by bank transfer, two orders with two VietQRs that decode (zxing-cpp)
to the right account, amount and memo; and the same checkout with JavaScript off."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from hoptac.lib import vietqr
from hoptac.shop.models import Order

from .shop_fixtures import hanoi_commune

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _fill_cart(page, base, listings):
    page.goto(f"{base}/gio/")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for listing, packs in listings:
        answer = page.request.post(
            f"{base}/gio/them/",
            form={"csrfmiddlewaretoken": token, "listing": str(listing.pk), "quantity": str(packs)},
            headers={"Referer": f"{base}/gio/"},
        )
        assert answer.ok


@pytest.mark.parametrize("js", [True, False], ids=["js-on", "js-off"])
def test_checkout_two_cooperatives_by_bank_transfer(live_server, honey_shop_a, tea_shop_b, tmp_path, js):
    import zxingcpp
    from PIL import Image

    assert os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}"
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(
                locale="vi-VN",
                java_script_enabled=js,
                viewport={"width": 360, "height": 740},
                device_scale_factor=2,
            )
            context.set_default_timeout(30_000)
            page = context.new_page()
            _fill_cart(page, base, [(honey_shop_a, 2), (tea_shop_b, 3)])
            page.goto(f"{base}/gio/")
            main = page.locator("main")
            expect(main).to_contain_text(honey_shop_a.cooperative.name)
            expect(main).to_contain_text(tea_shop_b.cooperative.name)
            page.locator("main a[href='/gio/thanh-toan/']").click()
            page.locator("input[name=name]").fill("Nguyễn Thị Lan")
            page.locator("input[name=phone]").fill("0987 654 321")
            if js:  # choosing the province reloads the form with its communes by itself
                with page.expect_navigation():
                    page.locator("select[name=province_code]").select_option("1")
            else:
                page.locator("select[name=province_code]").select_option("1")
                with page.expect_navigation():
                    page.locator("button[name=refresh]").click()
            expect(page.locator("input[name=name]")).to_have_value("Nguyễn Thị Lan")
            page.locator("select[name=commune_code]").select_option(str(hanoi_commune()))
            page.locator("input[name=street]").fill("12 Hàng Bạc")
            assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the checkout fits a phone
            for listing in (honey_shop_a, tea_shop_b):
                coop = listing.cooperative.pk
                page.locator(f"input[name=delivery_{coop}][value=post]").check()
                page.locator(f"input[name=payment_{coop}][value=bank]").check()
            with page.expect_navigation():
                page.locator("button[name=place]").click()
            assert page.url.endswith("/don/xong/")
            figures = page.locator("main figure.pay-qr")
            expect(figures).to_have_count(2)
            honey, tea = Order.unscoped.order_by("cooperative_id")
            decoded = []
            for i in range(2):
                png = tmp_path / f"qr{i}.png"
                figures.nth(i).locator("svg").screenshot(path=str(png))
                texts = [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
                assert len(texts) == 1
                decoded.append(vietqr.parse(texts[0]))
            assert [(d["account"], d["amount"], d["purpose"]) for d in decoded] == [
                ("0123456789", honey.total_vnd, honey.code),
                ("9988776655", tea.total_vnd, tea.code),
            ]
            expect(page.locator("main")).to_contain_text(honey.code)
            # No horizontal overflow at 360 px.
            wide = page.evaluate(
                "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 361)"
                ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
        finally:
            browser.close()

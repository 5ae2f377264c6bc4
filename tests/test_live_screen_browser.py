"""The live screen in a real browser (system Chromium), on a phone (360 px): its panel
refreshes itself under the strict CSP (static live-screen.js) when a claim arrives, the
page keeps its scroll, and nothing overflows."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from hoptac.core.tenancy import tenant
from hoptac.live.services.claims import comment_add
from tests.live_fixtures import on_air
from tests.test_ui_crawl import storage_state

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def test_the_live_screen_follows_the_claims(live_server, coop_a, chair_a):
    live = on_air(coop_a, items=(("M1", 20, 10, 200_000), ("C2", 10, 5, 150_000)))
    client = Client()
    client.force_login(chair_a)
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(
                storage_state=storage_state(client, base), viewport={"width": 360, "height": 640}
            )
            context.set_default_timeout(20_000)
            page = context.new_page()
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{base}/c/coop-a/live/{live.code}/screen/")
            left = page.locator("#item-M1 [data-count=left]")
            expect(left).to_have_text("10")
            page.evaluate("window.scrollTo(0, 200)")
            with tenant(coop_a):
                comment_add(session=live, text="chốt M1 x3 0912345678", author_name="Nguyễn Thị Lan")
            expect(left).to_have_text("7", timeout=10_000)
            expect(page.locator("#item-M1 [data-count=claimed]")).to_have_text("3")
            claims = page.locator(".live-claims li")
            expect(claims).to_have_count(1)
            expect(claims.first).to_contain_text("•••••••678")
            expect(claims.first).not_to_contain_text("0912345678")
            assert page.evaluate("window.scrollY") > 0  # the refresh did not jump to the top
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 361
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()

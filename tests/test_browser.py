"""End-to-end checks in a real browser: the system Chromium driven by Playwright.

These run against pytest-django's ``live_server`` (a real HTTP server in a thread, on the
file-backed SQLite test database). Elements are found by role, name attribute or href so
that the tests do not depend on the Vietnamese catalogue; the browser asks for Vietnamese
anyway, like the people who use the platform.

Chromium is not optional: if it cannot be launched the tests fail (CI installs it).
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from hoptac.coops.models import Member
from hoptac.core.tenancy import tenant
from tests.conftest import MEO_VAC, PASSWORD, make_member

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="module")
def chromium() -> Browser:
    assert os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}: install it or set HOPTAC_CHROMIUM"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(chromium: Browser, **kwargs):
    kwargs.setdefault("locale", "vi-VN")
    context = chromium.new_context(**kwargs)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def page(chromium, live_server):
    context = _context(chromium)
    yield context.new_page()
    context.close()


def sign_in(page: Page, base_url: str, phone: str = "0911 000 101") -> None:
    """Through the real sign-in form, as a person types it (with spaces in the phone)."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("main input[name=identifier]").fill(phone)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    # One cooperative: the start page goes straight to its dashboard.
    expect(page).to_have_url(re.compile(r"/c/coop-a/$"))


def fill_member_form(page: Page) -> None:
    expect(page.locator("main form input[name=full_name]")).to_be_visible()
    page.locator("input[name=full_name]").fill("Vàng Thị Mỷ")
    page.locator("select[name=commune_code]").select_option(str(MEO_VAC))
    page.locator("input[name=village_name]").fill("Thôn Pả Vi Hạ")
    page.locator("input[name=joined_on]").fill("2021-03-15")
    page.locator("input[name=phone]").fill("0988 123 456")
    page.locator("main form button[type=submit]").click()


def test_chair_adds_a_member_and_finds_it_without_accents(page, live_server, coop_a, chair_a, member_a):
    sign_in(page, live_server.url)

    # On a computer the side menu holds every section.
    page.locator("nav.side a[href='/c/coop-a/members/']").click()
    expect(page).to_have_url(re.compile(r"/c/coop-a/members/$"))
    expect(page.locator("main table")).to_contain_text(member_a.full_name)

    page.locator("main a[href='/c/coop-a/members/new/']").click()
    expect(page).to_have_url(re.compile(r"/members/new/$"))
    fill_member_form(page)

    # The member's own page, with the accented name as typed.
    expect(page).to_have_url(re.compile(r"/c/coop-a/members/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vàng Thị Mỷ")
    with tenant(coop_a):
        member = Member.objects.get(full_name="Vàng Thị Mỷ")
    assert member.phone == "0988123456"
    assert member.commune_code == MEO_VAC
    assert member.village.name == "Thôn Pả Vi Hạ"

    page.locator("main a[href='/c/coop-a/members/']").first.click()
    expect(page).to_have_url(re.compile(r"/c/coop-a/members/$"))
    search = page.locator("main form[role=search] input[name=q]")
    search.fill("vang thi my")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"\?.*q=vang\+thi\+my"))
    results = page.locator("main table tbody")
    expect(results).to_contain_text("Vàng Thị Mỷ")
    expect(results.locator("tr")).to_have_count(1)
    expect(results).not_to_contain_text(member_a.full_name)


def test_phone_width_and_keyboard_only_sign_in(chromium, live_server, chair_a, coop_a):
    for i in range(12):
        make_member(
            coop_a,
            full_name=f"Sùng Thị Mai Phương Hoa Nguyễn Thị Thu Hương {i}",
            village_name="Thôn Pả Vi Thượng Cao Nguyên Đá Đồng Văn",
            phone=f"09870000{i:02d}",
        )
    context = _context(chromium, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        # Keyboard only: the phone field has the focus on arrival, Tab moves to the password,
        # Enter sends the form.
        page.goto(f"{live_server.url}/accounts/login/")
        identifier = page.locator("main input[name=identifier]")
        password = page.locator("main input[name=password]")
        expect(identifier).to_be_focused()
        page.keyboard.type("0911 000 101")
        page.keyboard.press("Tab")
        expect(password).to_be_focused()
        # A visible focus ring for people who use the keyboard.
        outline = password.evaluate("el => getComputedStyle(el).outlineStyle")
        assert outline not in ("", "none")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/c/coop-a/$"))

        # The first Tab on a page lands on the "skip to content" link.
        page.goto(f"{live_server.url}/c/coop-a/members/")
        expect(page.locator("main table tbody tr")).to_have_count(12)
        page.keyboard.press("Tab")
        expect(page.locator("a.skip")).to_be_focused()

        # On a phone: the app bar is one row, the menu is a bottom tab bar, "More" opens the
        # full menu (by #menu, no JavaScript needed) and a tab goes to its page.
        assert page.locator("header.appbar").bounding_box()["height"] <= 64
        expect(page.locator("nav.side")).to_be_hidden()
        tabs = page.locator("nav.tabbar a")
        expect(tabs).to_have_count(5)
        for box in (tabs.nth(i).bounding_box() for i in range(5)):
            assert box["height"] >= 44 and box["width"] >= 44
        page.locator("nav.tabbar a[href='#menu']").click()
        expect(page.locator("nav.side a[href='/c/coop-a/settings/']")).to_be_visible()
        page.locator("nav.side a.side-close").click()
        expect(page.locator("nav.side")).to_be_hidden()
        page.locator("nav.tabbar a[href='/c/coop-a/members/']").click()
        expect(page).to_have_url(re.compile(r"/c/coop-a/members/$"))
        expect(page.locator("nav.tabbar a[aria-current=page]")).to_have_attribute("href", "/c/coop-a/members/")

        # No sideways scrolling of the whole page on a 360 px phone.
        for path in ("/c/coop-a/members/", "/c/coop-a/members/new/", "/c/coop-a/", "/accounts/login/"):
            page.goto(f"{live_server.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width} px wide at a 360 px viewport"
    finally:
        context.close()


def test_adding_a_member_works_without_javascript(chromium, live_server, coop_a, chair_a):
    context = _context(chromium, java_script_enabled=False)
    page = context.new_page()
    try:
        page.set_content("<title>static</title><script>document.title = 'scripted'</script>")
        assert page.title() == "static", "JavaScript should be off in this context"
        sign_in(page, live_server.url)
        page.goto(f"{live_server.url}/c/coop-a/members/new/")
        fill_member_form(page)
        expect(page).to_have_url(re.compile(r"/c/coop-a/members/[0-9a-f-]{36}/$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Vàng Thị Mỷ")
        expect(page.locator("main .toasts")).to_contain_text("Vàng Thị Mỷ")
        with tenant(coop_a):
            assert Member.objects.filter(full_name="Vàng Thị Mỷ", phone="0988123456").count() == 1
    finally:
        context.close()


def test_announcement_from_form_to_preview_to_sent_sms_without_javascript(
    chromium, live_server, coop_a, chair_a, member_a, member_a2, settings, tmp_path
):
    """The accountant's whole path in a browser with JavaScript off: write an announcement
    with a placeholder, check the preview (recipients, one SMS each, cost), send it, and
    the worker's drain writes one unaccented SMS per member."""
    from hoptac.outbox import dispatch
    from hoptac.outbox.models import Message, Status

    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "SMS_BACKEND": "file", "FILE_DIR": str(tmp_path)}
    context = _context(chromium, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server.url)
        page.goto(f"{live_server.url}/c/coop-a/messages/announcements/new/")
        page.locator("input[name=title]").fill("Họp thành viên")
        page.locator("textarea[name=body]").fill("Mời {ten} đến họp lúc 8h sáng thứ Bảy tại nhà văn hoá.")
        page.locator("input[name=audience][value=all]").check()
        page.locator("input[name=channel_mode][value=sms]").check()
        page.locator("main form.announce-form button[type=submit]").click()

        expect(page).to_have_url(re.compile(r"/c/coop-a/messages/announcements/\d+/send/$"))
        main = page.locator("main")
        expect(main).to_contain_text("Moi Nguyen Van Duc den hop")  # the SMS as it goes out, for one member
        expect(main).to_contain_text("1.600")  # 2 SMS × 800 đ
        page.locator("form:has(input[name=action][value=now]) button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/c/coop-a/messages/announcements/\d+/$"))

        queued = list(Message.unscoped.order_by("to_phone"))
        assert [m.to_phone for m in queued] == ["0912345678", "0987654321"]
        assert all(m.status == Status.QUEUED for m in queued)
        assert dispatch.drain() == 2
        files = sorted(p.read_text() for p in tmp_path.glob("sms/*/*.json"))
        assert len(files) == 2 and any("Moi Vang A Pao den hop" in f for f in files)

        page.goto(f"{live_server.url}/c/coop-a/messages/outbox/?status=sent")
        expect(page.locator("main")).to_contain_text("Vàng A Páo")
        expect(page.locator("main")).to_contain_text("Nguyễn Văn Đức")
    finally:
        context.close()


def test_pages_work_under_the_content_security_policy(chromium, live_server, coop_a, chair_a, member_a):
    """Chromium enforces the policy: no page reports a violation, the stylesheet applies,
    and the trace page's inline CSS (allowed by its hash) applies too."""
    from hoptac.accounts.models import User

    context = _context(chromium)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(f"{page.url}: {message.text}")
        if "Content Security Policy" in message.text
        else None,
    )
    try:
        page.goto(f"{live_server.url}/t/NOSUCHCODE")
        # trace.css: main is at most 40rem wide, only if the inline style was allowed.
        assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "640px"
        sign_in(page, live_server.url)
        for path in ("/c/coop-a/", "/c/coop-a/buying/receipts/new/", "/c/coop-a/catalog/", "/c/coop-a/members/"):
            page.goto(live_server.url + path)
            # app.css applies: the skip link is moved off screen.
            assert page.evaluate("getComputedStyle(document.querySelector('a.skip')).position") == "absolute"
        User.objects.create_superuser(phone="0900000009", password=PASSWORD, full_name="Admin")
        context.clear_cookies()
        page.goto(f"{live_server.url}/admin/login/")
        page.locator("input[name=username]").fill("0900000009")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("input[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/admin/$"))
        page.goto(f"{live_server.url}/admin/accounts/user/")
        page.goto(f"{live_server.url}/admin/coops/cooperative/{coop_a.pk}/change/")
        expect(page.locator("#content-main form")).to_be_visible()
    finally:
        context.close()
    assert not violations, "\n".join(violations)

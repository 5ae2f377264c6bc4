"""Screenshots of the main pages, on a 360 px phone and a 1280 px office screen.

Usage::

    .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR]

BASE_URL defaults to http://127.0.0.1:8010, a server with the demo data (``hoptac run
--demo``); OUT_DIR defaults to /tmp/shots. Pages are taken in Vietnamese, and
the members list and the sign-in page again in English (switched with the EN button).
The data is left as it was: the forms are sent empty or with a bad file only.

Uses the system Chromium (``HOPTAC_CHROMIUM``, default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
CHAIR = ("0911000001", "demo1234")
OFFICER = ("0919000001", "demo1234")
COOP = "/c/tuan-dung"
WIDTHS = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 800}}


class Shooter:
    def __init__(self, browser: Browser, base: str, out: Path):
        self.browser = browser
        self.base = base.rstrip("/")
        self.out = out
        self.taken: list[Path] = []

    def context(self, size: str) -> BrowserContext:
        mobile = size == "360"
        context = self.browser.new_context(
            viewport=WIDTHS[size], locale="vi-VN", is_mobile=mobile, has_touch=mobile, device_scale_factor=1
        )
        context.set_default_timeout(15_000)
        return context

    def go(self, page: Page, path: str) -> None:
        page.goto(self.base + path, wait_until="load")

    def shot(self, page: Page, name: str, size: str) -> None:
        path = self.out / f"{name}-{size}.png"
        page.screenshot(path=str(path), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        note = f"  (OVERFLOWS by {overflow} px)" if overflow > 0 else ""
        print(f"{path}{note}")
        self.taken.append(path)

    def sign_in(self, page: Page, login: tuple[str, str]) -> None:
        self.go(page, "/accounts/login/")
        page.fill("main input[name=identifier]", login[0])
        page.fill("main input[name=password]", login[1])
        page.click("main button[type=submit]")
        page.wait_for_load_state("load")
        if "/accounts/login/" in page.url:
            raise SystemExit(f"Could not sign in as {login[0]} at {self.base}")

    def vietnamese(self, size: str, bad_file: Path, bad_rows: Path) -> None:
        context = self.context(size)
        page = context.new_page()
        self.go(page, "/")
        self.shot(page, "01-landing", size)
        self.go(page, "/accounts/login/")
        self.shot(page, "02-login", size)
        self.sign_in(page, CHAIR)
        self.go(page, f"{COOP}/")
        self.shot(page, "04-dashboard", size)
        self.go(page, f"{COOP}/members/")
        self.shot(page, "05-members", size)
        first_member = page.locator("main table tbody a").first.get_attribute("href")
        self.go(page, f"{COOP}/members/?q=vang")
        self.shot(page, "06-members-q-vang", size)
        self.go(page, first_member)
        self.shot(page, "07-member-detail", size)
        self.go(page, f"{COOP}/members/new/")
        page.fill("main input[name=full_name]", "")
        page.fill("main input[name=joined_on]", "")
        page.click("main form button[type=submit]")
        page.wait_for_load_state("load")
        self.shot(page, "08-member-new-errors", size)
        self.go(page, f"{COOP}/members/import/")
        self.shot(page, "09-import", size)
        page.set_input_files("main input[type=file]", str(bad_file))
        page.click("main form button[type=submit]")
        page.wait_for_load_state("load")
        self.shot(page, "10-import-bad-file", size)
        page.set_input_files("main input[type=file]", str(bad_rows))
        page.click("main form button[type=submit]")
        page.wait_for_load_state("load")
        self.shot(page, "10b-import-bad-rows", size)
        self.go(page, f"{COOP}/groups/")
        self.shot(page, "11-groups", size)
        self.go(page, f"{COOP}/settings/")
        self.shot(page, "12-settings", size)
        self.go(page, f"{COOP}/staff/")
        self.shot(page, "12b-staff", size)
        self.go(page, f"{COOP}/no-such-page/")
        self.shot(page, "13-not-found", size)
        context.close()

        # The start page with several cooperatives: the provincial alliance officer's.
        context = self.context(size)
        page = context.new_page()
        self.sign_in(page, OFFICER)
        self.go(page, "/")
        self.shot(page, "03-home", size)
        context.close()

    def english(self, size: str) -> None:
        context = self.context(size)
        page = context.new_page()
        self.go(page, "/accounts/login/")
        page.click("header button[name=language][value=en]")
        page.wait_for_load_state("load")
        self.shot(page, "14-login-en", size)
        self.sign_in(page, CHAIR)
        self.go(page, f"{COOP}/members/")
        self.shot(page, "15-members-en", size)
        context.close()


def workbook_with_mistakes() -> bytes:
    """An import file whose rows break several rules, to show the list of mistakes."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Full name", "Gender", "Year of birth", "Phone", "Commune / ward", "Join date"])
    sheet.append(["", "Nữ", 1985, "0912 345", "Xã Mèo Vạc", "2020-01-15"])
    sheet.append(["Sùng Thị Mai Phương", "Nữ", 2030, "0911 222 333", "Xã Không Có Thật", "2099-01-01"])
    sheet.append(["Giàng A Dình", "Nam", 1970, "0911 222 333", "Xã Mèo Vạc", "hôm qua"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:8010")
    parser.add_argument("out_dir", nargs="?", default="/tmp/shots")  # noqa: S108 - a scratch folder
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        bad_file = Path(tmp) / "danh-sach.xlsx"
        bad_file.write_bytes(b"This is not an Excel workbook.\n")
        bad_rows = Path(tmp) / "thanh-vien.xlsx"
        bad_rows.write_bytes(workbook_with_mistakes())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        shooter = Shooter(browser, args.base_url, out)
        for size in WIDTHS:
            shooter.vietnamese(size, bad_file, bad_rows)
            shooter.english(size)
        browser.close()
    print(f"{len(shooter.taken)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

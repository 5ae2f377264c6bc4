"""The collector's receipt flow, measured: from the dashboard to a saved receipt for a member
found by typing three letters, on a 360×740 phone, in taps, keystrokes and seconds.

    .venv/bin/python scripts/receipt_flow.py                        # starts `hoptac run --demo`
    .venv/bin/python scripts/receipt_flow.py http://127.0.0.1:8000  # a running demo
    .venv/bin/python scripts/receipt_flow.py --letters gia --quantity 12,5

Signs in as the demo collector (0911000003 / demo1234) in the system Chromium (touch, 360×740,
Vietnamese), opens the dashboard, and from there, as a person would: taps the way to a new
receipt (a link to ``…/buying/receipts/new/`` on the page, else the receipts page first),
finds the member by typing three letters into the member field (a search box with
suggestions, or a search that answers with a list when there is no JavaScript, or, on
today's form, the drop-down: focused and typed into, which is what a desktop allows; on a
phone a drop-down cannot be typed into, so the script also prints how far down the list
the member is), picks the first product when one must be picked, types the quantity, and
saves; when the form is refused, it reads the message, chooses the unit it names (or the
other units in turn) and saves again. It counts every tap (a field, a link, a button, an
option), every key typed and every page loaded, and times the whole flow.

Fields are found by their label (Vietnamese or English: "Thành viên"/"Member", "Sản
phẩm"/"Product", "Số lượng"/"Quantity", "Đơn vị"/"Unit") and buttons by their role, so the
script keeps working when the pages are redesigned. The seconds are those of the machine
(page loads and rendering, Playwright's own pace): a person's time is estimated from the
counts with a simple keystroke-level model (``--tap-seconds``, ``--key-seconds``) plus the
measured loads. It leaves one receipt in the demo's data: run it on a demo.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_html import DEMO_SLUG, demo  # noqa: E402

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
COLLECTOR = ("0911000003", "demo1234")
LABELS = {
    "member": re.compile(r"^\s*(Thành viên|Hộ thành viên|Member|Household)", re.I),
    "product": re.compile(r"^\s*(Sản phẩm|Product)", re.I),
    "quantity": re.compile(r"^\s*(Số lượng|Khối lượng|Quantity)", re.I),
    "unit": re.compile(r"^\s*(Đơn vị|Unit)", re.I),
}
SAVE = re.compile(r"Lưu|Ghi|Save|Record|Tạo", re.I)
CHECK = re.compile(r"Kiểm tra phiếu|Check the receipt", re.IGNORECASE)


def MESSAGE_TEXT(page: Page) -> str:  # noqa: N802 - reads like the constant it stands for
    """What the page says about the refusal: the text of main without the navigation and
    the options of the drop-downs (whose names would otherwise match any message)."""
    return page.locator("main").evaluate(
        """main => {
          const copy = main.cloneNode(true);
          copy.querySelectorAll('select, nav, script').forEach(el => el.remove());
          const errors = [...copy.querySelectorAll('[role=alert], .errorlist, .error, .errors, .messages')];
          return (errors.length ? errors.map(e => e.innerText || e.textContent).join(' ') : copy.textContent)
            .replace(/\\s+/g, ' ').trim();
        }"""
    )


def plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()


@dataclass
class Flow:
    page: Page
    taps: int = 0
    keys: int = 0
    loads: int = 0
    load_seconds: float = 0.0
    steps: list[str] = field(default_factory=list)

    def tap(self, locator: Locator, why: str, navigates: bool = False) -> None:
        self.taps += 1
        self.steps.append(f"tap: {why}")
        if navigates:
            started = time.monotonic()
            with self.page.expect_navigation(wait_until="load"):
                locator.tap()
            self.loads += 1
            self.load_seconds += time.monotonic() - started
        else:
            locator.tap()

    def type(self, text: str, why: str) -> None:
        self.keys += len(text)
        self.steps.append(f"type {text!r}: {why}")
        self.page.keyboard.type(text, delay=20)

    def choose(self, select: Locator, value: str, label: str, why: str) -> None:
        """A native drop-down on a phone: one tap opens it, one tap picks the option."""
        self.taps += 2
        self.steps.append(f"tap, tap: {why} ({label})")
        select.select_option(value)


def field_for(page: Page, key: str, nth: int = 0) -> Locator | None:
    found = page.get_by_label(LABELS[key])
    return found.nth(nth) if found.count() > nth else None


def new_receipt(flow: Flow) -> None:
    page = flow.page
    link = page.locator("a[href$='/buying/receipts/new/']:visible")
    if link.count() == 0:
        flow.tap(
            page.locator("a[href$='/buying/receipts/']:visible").first, "the receipts page", navigates=True
        )
        link = page.locator("a[href$='/buying/receipts/new/']:visible")
    flow.tap(link.first, "new receipt", navigates=True)


def find_member(flow: Flow, letters: str) -> str:
    """Type three letters into the member field and take the first match: the name chosen."""
    page = flow.page
    member = field_for(page, "member")
    if member is None:
        sys.exit("No member field (label 'Thành viên' / 'Member') on the receipt form.")
    tag = member.evaluate("el => el.localName")
    if tag == "select":
        # Today's form: a drop-down of every member. A desktop browser selects by typing.
        flow.taps += 1
        flow.steps.append("tap: the member drop-down")
        member.focus()
        flow.type(letters, "the member's first letters")
        chosen = member.evaluate("el => el.selectedOptions[0] ? el.selectedOptions[0].text : ''")
        index = member.evaluate("el => el.selectedIndex")
        count = member.evaluate("el => el.options.length")
        flow.steps.append(f"(a drop-down of {count - 1} members; on a phone, scrolled {index} names down)")
        if not plain(chosen).startswith(plain(letters)):
            sys.exit(f"Typing {letters!r} chose {chosen!r} in the member drop-down.")
        return chosen.strip()
    flow.tap(member, "the member search box")
    flow.type(letters, "the member's first letters")
    suggestions = page.get_by_role("option").filter(has_text=re.compile(".")).locator("visible=true")
    try:
        suggestions.first.wait_for(timeout=3000)
    except Exception:  # noqa: BLE001 - no suggestions: the search without JavaScript
        suggestions = None
    if suggestions is not None and suggestions.count():
        chosen = suggestions.first.inner_text()
        flow.tap(suggestions.first, "the first suggestion")
        return " ".join(chosen.split())
    started = time.monotonic()
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    flow.loads += 1
    flow.load_seconds += time.monotonic() - started
    flow.keys += 1
    flow.steps.append("Enter: search")
    result = (
        page.locator("main").get_by_role("radio").or_(page.locator("main form button[name=member]")).first
    )
    chosen = result.evaluate("el => (el.labels && el.labels[0] ? el.labels[0].innerText : el.innerText)")
    flow.tap(result, "the first member found")
    return " ".join(chosen.split())


def fill_line(flow: Flow, quantity: str) -> None:
    page = flow.page
    product = field_for(page, "product")
    if (
        product is not None
        and product.evaluate("el => el.localName") == "select"
        and not product.input_value()
    ):
        options = product.locator("option:not([value=''])")
        flow.choose(product, options.first.get_attribute("value"), options.first.inner_text(), "the product")
    quantity_field = field_for(page, "quantity")
    if quantity_field is None:
        sys.exit("No quantity field (label 'Số lượng' / 'Quantity') on the receipt form.")
    flow.tap(quantity_field, "the quantity")
    flow.type(quantity, "the quantity")


def save(flow: Flow) -> bool:
    page = flow.page
    before = page.url
    # The form first shows what it understood ("Check the receipt"), then saves.
    check = page.locator("main form").get_by_role("button", name=CHECK)
    if check.count():
        flow.tap(check.last, "check the receipt", navigates=True)
    button = page.locator("main form").get_by_role("button", name=SAVE).last
    flow.tap(button, "save", navigates=True)
    saved = page.url != before and not page.url.endswith("/new/")
    flow.steps.append("saved" if saved else "refused: " + MESSAGE_TEXT(page)[:200])
    return saved


def fix_unit(flow: Flow) -> bool:
    """After a refusal: the unit the message names (or, failing that, the next one)."""
    page = flow.page
    unit = field_for(page, "unit")
    if unit is None or unit.evaluate("el => el.localName") != "select":
        return False
    message = plain(MESSAGE_TEXT(page))
    options = unit.locator("option").evaluate_all("os => os.map(o => [o.value, o.text])")
    current = unit.input_value()
    named = [
        (v, t) for v, t in options if v and v != current and re.search(rf"\b{re.escape(plain(t))}\b", message)
    ]
    value, label = (named or [(v, t) for v, t in options if v and v != current])[0]
    flow.choose(unit, value, label, "the unit the message asks for")
    return True


def measure(base: str, letters: str, quantity: str) -> tuple[Flow, str, float]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="vi-VN"
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("main input[name=identifier]", COLLECTOR[0])
        page.fill("main input[name=password]", COLLECTOR[1])
        page.click("main button[type=submit]")
        page.wait_for_load_state("load")
        page.goto(f"{base}/c/{DEMO_SLUG}/", wait_until="load")
        if "/accounts/login/" in page.url:
            sys.exit("Could not sign in as the demo collector.")
        flow = Flow(page)
        started = time.monotonic()
        new_receipt(flow)
        chosen = find_member(flow, letters)
        fill_line(flow, quantity)
        saved = save(flow)
        attempts = 1
        while not saved and attempts < 4 and fix_unit(flow):
            saved = save(flow)
            attempts += 1
        seconds = time.monotonic() - started
        if not saved:
            print("\n".join(flow.steps))
            sys.exit("The receipt was not saved.")
        flow.steps.append(f"at {page.url.removeprefix(base)}")
        browser.close()
    return flow, chosen, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="", help="a running demo (default: start one)")
    parser.add_argument("--letters", default="gia", help="the three letters typed (default: gia)")
    parser.add_argument("--quantity", default="12", help="the quantity typed (default: 12)")
    parser.add_argument("--tap-seconds", type=float, default=1.5, help="a person's time to find and tap")
    parser.add_argument("--key-seconds", type=float, default=0.5, help="a person's time per key on a phone")
    args = parser.parse_args()
    with demo(args.url, prefix="hoptac-flow-") as (base, data_dir):
        flow, chosen, seconds = measure(base, args.letters, args.quantity)
    for number, step in enumerate(flow.steps, 1):
        print(f"{number:2d}. {step}")
    human = flow.taps * args.tap_seconds + flow.keys * args.key_seconds + flow.load_seconds
    print(
        f"\nReceipt for {chosen} (typed {args.letters!r}): {flow.taps} taps, {flow.keys} keys, "
        f"{flow.loads} page loads; {seconds:.1f} s in the browser ({flow.load_seconds:.1f} s loading); "
        f"≈ {human:.0f} s for a person ({args.tap_seconds} s a tap, {args.key_seconds} s a key, plus the loads)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

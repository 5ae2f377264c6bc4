"""Screenshots of the main pages of each role, on a 360×740 phone and a 1280×800 desktop.

    .venv/bin/python scripts/screenshots.py                        # starts `hoptac run --demo`
    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000  # a running demo
    .venv/bin/python scripts/screenshots.py --out /tmp/shots       # elsewhere than docs/screenshots

Signs in through the sign-in page as each role of the demo (chair 0911000001, accountant
0911000002, collector 0911000003, member 0911000004, provincial officer 0919000001; password
demo1234) and takes, for each, the pages of its menu (the links of the page's ``<nav>`` into
the cooperative tuan-dung, so a new menu is followed without touching this script) plus a
few pages that are the role's daily work (the collector's receipt form, a member's page,
the officer's list of cooperatives). Pages are taken in Vietnamese, at a device scale of 1,
the top of the page only (up to 2.5 screens on the phone, 1.5 on the desktop), as palette PNGs (Pillow's quantiser; pngquant
or oxipng are used as well when installed), then ``README.md`` of the folder lists them.
Nothing is changed in the data: only GET pages are opened.

Without a URL it starts the demo like ``scripts/check_html.py`` and stops it at the end. Uses
the system Chromium (``HOPTAC_CHROMIUM``, default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_html import DEMO_SLUG, demo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PASSWORD = "demo1234"  # noqa: S105 - the demo's published password
ROLES = {  # role -> (phone, the role's daily pages besides its menu)
    "chair": ("0911000001", ["/c/{slug}/", "/c/{slug}/members/", "first:members"]),
    "accountant": ("0911000002", ["/c/{slug}/", "/c/{slug}/ledger/owed/"]),
    "collector": (
        "0911000003",
        ["/c/{slug}/", "/c/{slug}/buying/receipts/new/", "/c/{slug}/buying/receipts/"],
    ),
    "member": ("0911000004", ["/c/{slug}/", "/c/{slug}/ledger/me/"]),
    "officer": ("0919000001", ["/", "/c/{slug}/"]),
}
SIZES = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
MAX_SCREENS = {"phone": 2.5, "desktop": 1.5}  # the top of a long page is what a person sees first
MAX_PAGES = 7  # per role


def sign_in(page: Page, base: str, phone: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("main input[name=identifier]", phone)
    page.fill("main input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    if "/accounts/login/" in page.url:
        raise SystemExit(f"Could not sign in as {phone} at {base}: is this the demo?")


def menu(page: Page) -> list[str]:
    """The role's main pages: the links of the page's navigation into the cooperative."""
    hrefs = page.eval_on_selector_all(
        f"nav a[href^='/c/{DEMO_SLUG}/']", "links => links.map(a => a.getAttribute('href'))"
    )
    return [h for h in dict.fromkeys(hrefs) if not re.search(r"\.(xlsx|csv|json|pdf)$|/logout/", h)]


def name_of(path: str) -> str:
    rest = path.removeprefix(f"/c/{DEMO_SLUG}").strip("/")
    rest = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "one", rest)
    return re.sub(r"[^a-z0-9]+", "-", rest).strip("-") or ("dashboard" if path.startswith("/c/") else "home")


def optimise(png: bytes, path: Path) -> None:
    """A palette PNG (256 colours, dithered): a third of the size, the text stays sharp."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )
    for tool, args in (
        ("pngquant", ["--force", "--skip-if-larger", "--ext", ".png", "256"]),
        ("oxipng", ["-q", "-o", "3"]),
    ):
        found = shutil.which(tool)
        if found:
            subprocess.run([found, *args, str(path)], check=False)  # noqa: S603


def shoot_role(browser: Browser, base: str, role: str, out: Path) -> list[tuple[str, str, str]]:
    phone, daily = ROLES[role]
    taken = []
    for size, options in SIZES.items():
        context = browser.new_context(locale="vi-VN", device_scale_factor=1, **options)
        context.set_default_timeout(20_000)
        page = context.new_page()
        sign_in(page, base, phone)
        page.goto(f"{base}/c/{DEMO_SLUG}/")
        paths = [p.format(slug=DEMO_SLUG) for p in daily if not p.startswith("first:")]
        paths += menu(page)
        if "first:members" in daily:
            page.goto(f"{base}/c/{DEMO_SLUG}/members/")
            first = page.locator(f"main a[href^='/c/{DEMO_SLUG}/members/'][href$='/']").filter(
                has_not_text=re.compile(r"^\s*$")
            )
            hrefs = [
                h
                for h in first.evaluate_all("as => as.map(a => a.getAttribute('href'))")
                if re.search(r"/members/[0-9a-f-]{36}/$", h)
            ]
            if hrefs:
                paths.insert(2, hrefs[0])
        for path in list(dict.fromkeys(paths))[:MAX_PAGES]:
            response = page.goto(base + path, wait_until="load")
            if response is None or response.status != 200:
                print(f"  skipped {path} ({response.status if response else 'no answer'})")
                continue
            height = page.evaluate("document.scrollingElement.scrollHeight")
            viewport = options["viewport"]
            clip = {
                "x": 0,
                "y": 0,
                "width": viewport["width"],
                "height": min(height, int(viewport["height"] * MAX_SCREENS[size])),
            }
            name = f"{role}-{name_of(path)}-{size}.png"
            optimise(page.screenshot(clip=clip, full_page=True), out / name)
            title = page.title()
            taken.append((name, path, title))
            print(f"  {name}  {(out / name).stat().st_size // 1024} KB  {path}")
        context.close()
    return taken


def write_readme(out: Path, taken: dict[str, list[tuple[str, str, str]]]) -> None:
    lines = [
        "# Screenshots",
        "",
        "The main pages of each role of the demo (HTX Tuấn Dũng), on a 360×740 phone and a",
        "1280×800 desktop, in Vietnamese. Made by `scripts/screenshots.py` (which rewrites this",
        "file); take them again after changing a page, and look at them before closing an issue.",
        "",
    ]
    for role, shots in taken.items():
        lines += [f"## {role.capitalize()}", "", "| Page | Address | Phone | Desktop |", "|---|---|---|---|"]
        seen = {}
        for name, path, title in shots:
            seen.setdefault(path, {"title": title})[name.rsplit("-", 1)[1].removesuffix(".png")] = name
        for path, found in seen.items():
            phone = f"[phone]({found['phone']})" if "phone" in found else ""
            desktop = f"[desktop]({found['desktop']})" if "desktop" in found else ""
            shown = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<uuid>", path)
            lines.append(f"| {found['title'].replace('|', '/')} | `{shown}` | {phone} | {desktop} |")
        lines.append("")
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="", help="a running demo (default: start one)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated, default all")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    taken: dict[str, list[tuple[str, str, str]]] = {}
    with demo(args.url, prefix="hoptac-shots-") as (base, data_dir), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for role in args.roles.split(","):
            print(role, flush=True)
            taken[role] = shoot_role(browser, base, role, out)
        browser.close()
    write_readme(out, taken)
    total = sum(path.stat().st_size for path in out.glob("*.png"))
    count = sum(len(shots) for shots in taken.values())
    print(f"{count} screenshots in {out}, {total / 1024 / 1024:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

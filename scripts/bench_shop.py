"""Benchmark of the public selling pages against the budgets of issue 12 and ARCHITECTURE.md
("Pages for weak networks"): the marketplace ``/cho/``, a shop home and a product page.

For each page, loaded in the system Chromium at 360 px with the cache off: bytes
transferred in all, of images and of JavaScript; the first HTML response gzip-compressed;
then SQL queries of the marketplace and a shop home at two sizes (5 and 50 products, which
must be equal), and requests per second of the product page and the marketplace beside
``/healthz`` served by the same gunicorn in the same run (200 requests, 4 threads).

    .venv/bin/python scripts/bench_shop.py
    .venv/bin/python scripts/bench_shop.py http://127.0.0.1:8000 --data-dir /tmp/demo   # a running demo

It starts the demo (``scripts/check_html.py`` ``demo()``: gunicorn, a fresh data directory),
opens a shop in every demo cooperative that has none, lists its products with stock (rows
written by the test builders of ``tests/shop_fixtures.py`` when the demo has no shops yet),
and prints figures; it asserts nothing. Requests go to loopback only.
"""

from __future__ import annotations

import gzip
import os
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

BUDGET_COLD, BUDGET_JS, BUDGET_FIRST = 100 * 1024, 30 * 1024, 14 * 1024


def _django(data_dir: Path):
    os.environ["HOPTAC_DATA_DIR"] = str(data_dir)
    os.environ.pop("HOPTAC_DATABASE_URL", None)
    os.environ["HOPTAC_PAGE_CACHE_SECONDS"] = "0"  # count the queries of a rendering, not of a cache hit
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
    import django

    django.setup()


def _shops(count_extra: int = 0) -> list[tuple[str, str]]:
    """Open a shop for every demo cooperative with products; returns (slug, short code) pairs."""
    from hoptac.catalog.models import Product
    from hoptac.coops.models import Cooperative
    from hoptac.core.tenancy import tenant
    from hoptac.shop.models import Listing, Shop
    from tests.shop_fixtures import open_shop, stocked

    pairs = []
    for coop in Cooperative.objects.filter(is_active=True).order_by("pk"):
        with tenant(coop):
            if not Shop.objects.exists():
                open_shop(coop, headline=coop.name)
            for product in Product.objects.filter(is_active=True)[:6]:
                if not Listing.objects.filter(product=product).exists():
                    stocked(coop, name=product.name, code=product.code, packs=20, price=120_000)
            pairs += [(coop.slug, code) for code in Listing.objects.values_list("short_code", flat=True)]
    return pairs


def _grow(total: int) -> None:
    """Listings in the first shop until the marketplace holds ``total`` products."""
    from hoptac.shop.models import Listing, Shop
    from tests.shop_fixtures import stocked

    coop = Shop.unscoped.filter(is_open=True).order_by("pk").first().cooperative
    i = 0
    while Listing.unscoped.count() < total:
        stocked(coop, name=f"Bench product {i}", code=f"BENCH{i:03d}", packs=5, price=50_000 + i * 1000)
        i += 1


def _queries(path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as captured:
        status = client.get(path, HTTP_HOST="127.0.0.1").status_code
    assert status == 200, (path, status)  # noqa: S101 - a broken page is not a figure
    return len(captured.captured_queries)


def _cold_load(base: str, path: str) -> dict:
    from playwright.sync_api import sync_playwright

    sizes = {"total": 0, "image": 0, "script": 0, "document": 0}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 360, "height": 780})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        kinds: dict[str, str] = {}
        cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"].lower()))

        def finished(event):
            kind = kinds.get(event["requestId"], "other")
            size = int(event.get("encodedDataLength", 0))
            sizes["total"] += size
            if kind in sizes:
                sizes[kind] += size

        cdp.on("Network.loadingFinished", finished)
        page.goto(base + path, wait_until="networkidle")
        page.wait_for_timeout(300)
        first_screen = dict(sizes)
        # Then the whole page scrolled through: every lazy image below the fold as well.
        for _ in range(40):
            page.mouse.wheel(0, 700)
            page.wait_for_timeout(60)
        page.wait_for_load_state("networkidle")
        first_screen["scrolled"] = sizes["total"]
        browser.close()
    return first_screen


def _first_html_gzip(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
        return len(gzip.compress(response.read(), 6))


def _rps(url: str, requests: int = 200, threads: int = 4) -> tuple[float, int]:
    def one(_):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
                response.read()
                return response.status == 200
        except OSError:
            return False

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        ok = sum(pool.map(one, range(requests)))
    return requests / (time.perf_counter() - start), requests - ok


def main() -> int:
    import argparse

    from check_html import demo

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="", help="a running demo (default: start one)")
    parser.add_argument("--data-dir", default="", help="the running demo's HOPTAC_DATA_DIR")
    args = parser.parse_args()
    with demo(args.url, prefix="hoptac-bench-shop-") as (base, scratch):
        _django(Path(args.data_dir) if args.data_dir else scratch)
        pairs = _shops()
        if not pairs:
            print("The demo has no products to list.")
            return 1
        slug, code = pairs[0]
        pages = {"marketplace": "/cho/", "shop home": f"/s/{slug}/", "product": f"/s/{slug}/{code}/"}
        print(
            f"\nCold load at 360 px, cache off (budget {BUDGET_COLD // 1024} KB, JS {BUDGET_JS // 1024} KB):"
        )
        for name, path in pages.items():
            sizes = _cold_load(base, path)
            first = _first_html_gzip(base + path)
            print(
                f"  {name:<12} {path:<24} total {sizes['total'] / 1024:6.1f} KB  images {sizes['image'] / 1024:6.1f} KB"
                f"  JS {sizes['script'] / 1024:5.1f} KB  first HTML gzip {first / 1024:5.1f} KB"
                f" (budget {BUDGET_FIRST // 1024} KB); scrolled to the end {sizes['scrolled'] / 1024:6.1f} KB"
            )

        from hoptac.shop.models import Listing

        print("\nSQL queries per page (must not grow with the number of products):")
        for total in (5, 50):
            _grow(total)
            listed = Listing.unscoped.count()
            print(
                f"  {listed:3d} products: /cho/ {_queries('/cho/'):3d} queries   "
                f"/s/{slug}/ {_queries(f'/s/{slug}/'):3d} queries   product {_queries(pages['product']):3d} queries"
            )

        print("\nRequests per second (200 requests, 4 threads, same gunicorn):")
        results = {}
        for name, path in (("/healthz", "/healthz"), ("product", pages["product"]), ("marketplace", "/cho/")):
            _rps(base + path, 20)  # warm up
            results[name] = _rps(base + path)
            print(f"  {name:<12} {results[name][0]:8.1f} req/s   errors {results[name][1]}")
        health = results["/healthz"][0]
        if health:
            for name in ("product", "marketplace"):
                print(f"  {name} / healthz: {results[name][0] / health:.0%} (target ≥ 40%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

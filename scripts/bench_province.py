"""Each page's median time and query count in the biggest cooperative of a generated
province (``hoptac manage province``), and the receipt POST's, on the database the
environment names (HOPTAC_DATA_DIR for SQLite, HOPTAC_DATABASE_URL for PostgreSQL).

    HOPTAC_DATA_DIR=/tmp/province .venv/bin/python manage.py province          # full size
    HOPTAC_DATA_DIR=/tmp/province .venv/bin/python scripts/bench_province.py
    HOPTAC_DATABASE_URL=postgres://…/hoptac_province .venv/bin/python scripts/bench_province.py

Pages are rendered in this process through Django's test client (the chair signed in):
the time is the view's, templates and queries included, without a network or a server in
front. ``--posts N`` records N receipts in that cooperative (they stay: run it on a
benchmark database only). It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host is allowed; mail stays in memory
    from django.conf import settings

    # Static URLs without the manifest `hoptac run` builds (collectstatic): same cost.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def measure(client, path: str, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path, secure=True)  # warm
    times, queries, size, status = [], 0, 0, 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, secure=True)
            times.append(time.perf_counter() - started)
        queries, size, status = len(captured), len(response.content), response.status_code
    return statistics.median(times), queries, size, status


def receipt_posts(client, coop, posts: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from hoptac.catalog.models import Product
    from hoptac.coops.models import Member

    member = Member.unscoped.filter(cooperative=coop, phone__isnull=False).order_by("pk").first()
    product = Product.unscoped.filter(cooperative=coop).order_by("pk").first()
    url = f"/c/{coop.slug}/buying/receipts/new/"
    times, counts = [], []
    for _ in range(posts):
        body = {
            "member": member.pk,
            "collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "point": "",
            "note": "",
            "line-TOTAL_FORMS": "1",
            "line-INITIAL_FORMS": "0",
            "line-MIN_NUM_FORMS": "0",
            "line-MAX_NUM_FORMS": "20",
            "line-0-product": product.pk,
            "line-0-grade": "1",
            "line-0-quantity": "12",
            "line-0-unit": product.base_unit,
            "line-0-deduction_pct": "",
            "confirm": "1",
            "form_key": str(uuid.uuid4()),
        }
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(url, body, secure=True)
            times.append(time.perf_counter() - started)
        if response.status_code != 302:
            return None
        counts.append(sum(1 for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]))
    return statistics.median(times), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default="tinh", help="slug prefix of the generated province")
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each page")
    parser.add_argument("--posts", type=int, default=10, help="receipts recorded to time the POST (0: none)")
    parser.add_argument(
        "--no-alliance", action="store_true", help="skip the alliance officer's pages (and the summaries' refresh)"
    )
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client

    from hoptac.accounts.models import Membership
    from hoptac.coops.models import Cooperative, Member
    from hoptac.demo.province import bench_paths
    from hoptac.offtake.models import Receipt

    coops = Cooperative.objects.filter(slug__startswith=f"{args.prefix}-")
    coop = coops.order_by("slug").first()  # the first is the big one (hoptac/demo/province.py)
    if coop is None:
        raise SystemExit(f"no cooperative “{args.prefix}-…”: run `manage.py province` first")
    chair = Membership.objects.filter(cooperative=coop, role="chair").select_related("user").first().user
    client = Client()
    client.force_login(chair)
    print(
        f"{connection.vendor}: {coops.count()} cooperatives, {Member.unscoped.count()} households, "
        f"{Receipt.unscoped.count()} receipts in all; measured in {coop.slug} with "
        f"{Member.unscoped.filter(cooperative=coop).count()} households and "
        f"{Receipt.unscoped.filter(cooperative=coop).count()} receipts; median of {args.runs}\n"
    )
    header = f"{'page':<24} {'median ms':>10} {'queries':>8} {'KB':>8}  path"
    print(header)
    print("-" * len(header))
    for name, path in bench_paths(coop):
        median, queries, size, status = measure(client, path, args.runs)
        note = "" if status == 200 else f"  (HTTP {status})"
        print(f"{name:<24} {median * 1000:>10.0f} {queries:>8} {size / 1024:>8.1f}  {path[:70]}{note}")
    if args.posts:
        result = receipt_posts(client, coop, args.posts)
        if result is None:
            print(f"{'receipt POST':<24} {'refused':>10}")
        else:
            median, counts = result
            print(
                f"{'receipt POST':<24} {median * 1000:>10.0f} {statistics.median(counts):>8.0f} {'':>8}  "
                f"(BEGIN and COMMIT counted, savepoints not; each POST: {', '.join(map(str, counts))})"
            )
    if not args.no_alliance:
        alliance(coop, args.runs)


def alliance(coop, runs: int) -> None:
    """The officer's pages over the whole generated province, after the worker's refresh of
    the overview's summaries (timed: it is what the worker does every hour)."""
    import datetime as dt

    from django.test import Client

    from hoptac.accounts.models import AllianceOfficer, User
    from hoptac.accounts.services import alliance_officer_set, user_create
    from hoptac.federation.summaries.services import overview_refresh

    started = time.perf_counter()
    overview_refresh(province_code=coop.province_code)
    print(f"\nthe worker's refresh of the overview's summaries: {time.perf_counter() - started:.1f} s\n")
    officer = AllianceOfficer.objects.filter(province_code=coop.province_code).select_related("user").first()
    if officer is not None:
        user = officer.user
    else:
        user = User.objects.filter(phone="0919999001").first() or user_create(
            phone="0919999001", password="bench-" + uuid.uuid4().hex, full_name="Cán bộ Liên minh (benchmark)"
        )
        alliance_officer_set(user=user, province_code=coop.province_code)
    client = Client()
    client.force_login(user)
    year = dt.date.today().year
    pages = [
        ("officer's home", "/"),
        ("overview", "/alliance/overview/"),
        ("overview, one sector", "/alliance/overview/?sector=tea"),
        ("alerts", "/alliance/overview/alerts/"),
        ("cooperatives, page 1", "/alliance/overview/cooperatives/"),
        ("cooperatives, search", "/alliance/overview/cooperatives/?q=0123"),
        ("one cooperative", f"/alliance/overview/cooperatives/{coop.slug}/"),
        ("directory", "/alliance/"),
        ("report xlsx (year)", f"/alliance/overview/report/?year={year}"),
    ]
    for name, path in pages:
        median, queries, size, status = measure(client, path, runs)
        note = "" if status == 200 else f"  (HTTP {status})"
        print(f"{name:<24} {median * 1000:>10.0f} {queries:>8} {size / 1024:>8.1f}  {path[:70]}{note}")


if __name__ == "__main__":
    main()

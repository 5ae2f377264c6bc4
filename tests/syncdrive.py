"""Drives the field app's ``sync.js`` in Chromium against a real server through the fault
proxy, and compares what the phone holds with what the server stored. Shared by
``tests/test_sync_faults.py`` and ``scripts/bench_sync_faults.py``.

- ``seed(coop)`` makes what records need (members, products with prices, a point) and
  returns the ``spec`` the page builds its records from;
- ``drive(...)`` signs the collector in (a session cookie), opens a page of the server
  through the proxy, and evaluates ``tests/syncdrive.js`` there: register the device, make
  the records, push them all with the client's own retries;
- ``compare(coop, result)`` lists every difference between phone and server (an empty list:
  0 lost, 0 duplicated, receipt numbers gapless, one ledger entry per record).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

HARNESS = (Path(__file__).parent / "syncdrive.js").read_text(encoding="utf-8")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
# What the client is given in the tests: short pauses, a timeout the stalls outlast.
FAST = {"backoffMs": 20, "backoffMaxMs": 400, "timeoutMs": 8000, "maxAttempts": 8, "maxRounds": 60}


def is_sync(method: str, path: str) -> bool:
    """The requests the proxy breaks: pushes and pulls (not the pages, scripts or sign-up)."""
    return "/sync/push" in path or "/sync/pull" in path


def seed(coop, *, members: int = 100) -> dict:
    from django.utils import timezone

    from hoptac.catalog.models import Product
    from hoptac.core.tenancy import tenant
    from hoptac.offtake import services as offtake
    from tests.conftest import make_member

    since = timezone.now() - dt.timedelta(days=30)
    with tenant(coop):
        honey = Product.objects.create(cooperative=coop, name="Mật ong bạc hà", code="MAT", base_unit="l")
        tea = Product.objects.create(cooperative=coop, name="Chè búp tươi", code="CHE", base_unit="kg")
        offtake.price_set(product=honey, grade=1, price_vnd=500_000, effective_from=since)
        offtake.price_set(product=honey, grade=2, price_vnd=420_000, effective_from=since)
        offtake.price_set(product=tea, grade=1, price_vnd=25_000, effective_from=since)
        point = offtake.point_create(name="Điểm thu Pả Vi", commune_code=coop.commune_code, village="Pả Vi")
    uuids = [
        str(make_member(coop, full_name=f"Giàng A Páo {i}", phone=f"0912{i:06d}").uuid)
        for i in range(members)
    ]
    return {
        "members": uuids,
        "point": point.pk,
        "lines": [
            {"product": honey.pk, "grade": 1, "unit": "l", "price": 500_000},
            {"product": honey.pk, "grade": 2, "unit": "l", "price": 420_000},
            {"product": tea.pk, "grade": 1, "unit": "kg", "price": 25_000},
        ],
        "share": {"receipt": 0.9, "advance": 0.05, "loan": 0.05},
        "advance": 50_000,
        "loan": 70_000,
    }


def session_cookies(user, url: str) -> list[dict]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return [{"name": name, "value": client.cookies[name].value, "url": url}]


def drive(
    browser,
    base: str,
    *,
    user,
    slug: str,
    spec: dict,
    count: int,
    seed: int = 14,
    options=None,
    store="memory",
):
    """Runs the harness in a fresh browser context; returns its result (``records``: one
    ``[key, kind, state, number, no, message]`` per record on the phone)."""
    context = browser.new_context(locale="en-US", viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")  # a page with the CSRF token, before the session
        context.add_cookies(session_cookies(user, base))
        return page.evaluate(
            HARNESS,
            {
                "slug": slug,
                "spec": spec,
                "count": count,
                "seed": seed,
                "options": {**FAST, **(options or {})},
                "storeKind": store,
            },
        )
    finally:
        context.close()


def compare(coop, result: dict, *, entries_before: int = 0) -> list[str]:
    """Every difference between the phone's records and the server's (empty: all good).
    ``entries_before``: the ledger entries there were before the phone's records."""
    from hoptac.core.tenancy import tenant
    from hoptac.ledger.models import Entry
    from hoptac.offtake.models import Receipt
    from hoptac.sync.models import SyncRecord

    problems: list[str] = []
    phone = {row[0]: row for row in result["records"]}
    if len(phone) != len(result["records"]):
        problems.append("the phone holds the same key twice")
    with tenant(coop):
        stored = list(SyncRecord.objects.values_list("key", "kind", "receipt__number", "entry_id"))
        numbers = sorted(Receipt.objects.values_list("number", flat=True))
        entries = Entry.objects.count() - entries_before
    server = {str(key): (kind, number, entry) for key, kind, number, entry in stored}
    if len(server) != len(stored):
        problems.append("the server holds the same key twice")
    lost = set(phone) - set(server)
    extra = set(server) - set(phone)
    if lost:
        problems.append(f"{len(lost)} records lost (on the phone, not on the server)")
    if extra:
        problems.append(f"{len(extra)} records on the server the phone does not have")
    states = {}
    for key, kind, state, number, _no, message in result["records"]:
        states[state] = states.get(state, 0) + 1
        if state != "applied":
            problems.append(f"{kind} {key} ended {state}: {message}")
            continue
        if key in server and kind == "receipt" and number != f"PTM-{server[key][1]:06d}":
            problems.append(f"receipt {key}: the phone says {number}, the server {server[key][1]}")
    receipts = sum(1 for row in result["records"] if row[1] == "receipt")
    if numbers != list(range(1, receipts + 1)):
        problems.append(
            f"receipt numbers not 1..{receipts} without gaps or repeats ({len(numbers)} receipts)"
        )
    if entries != len(phone):
        problems.append(f"{entries} ledger entries for {len(phone)} records")
    return problems[:20]

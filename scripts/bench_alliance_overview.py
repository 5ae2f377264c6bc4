"""Benchmark of the alliance's overview at province scale: prints how long the worker's
refresh of the summaries takes, and each alliance page's median time and query count.

    .venv/bin/python scripts/bench_alliance_overview.py [--coops 800] [--households 80000] [--receipts 1000000]

Runs on a fresh database in its own data directory (SQLite by default; PostgreSQL when
HOPTAC_DATABASE_URL is set, in a database of its own that is dropped afterwards). The
province is written in bulk (cooperatives, households, receipts with one line each, their
ledger entries, payouts for most of them, OCOP certificates, orders), not through the
services: it measures reads, not writes (``province-scale``'s generator makes a province
through the real rules). It prints figures; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HOPTAC_DATA_DIR", tempfile.mkdtemp(prefix="hoptac-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
os.environ.setdefault("HOPTAC_STATIC_MANIFEST", "0")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coops", type=int, default=800)
    parser.add_argument("--households", type=int, default=80_000)
    parser.add_argument("--receipts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        run(args)
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")


def _province(args) -> None:
    from django.utils import timezone

    from hoptac.catalog.models import Certificate, Product
    from hoptac.coops.models import Cooperative, Member
    from hoptac.ledger.models import Entry
    from hoptac.lib import places
    from hoptac.offtake.models import Receipt, ReceiptLine
    from hoptac.shop.models import Order

    rng = random.Random(15)
    communes = [code for code, _name in places.commune_choices(places.TUYEN_QUANG)]
    kinds = ["htx"] * 7 + ["tht"] * 2 + ["union"]
    sectors = ["honey", "tea", "rice", "fruit", "herbs", "livestock", "tourism"]
    Cooperative.objects.bulk_create(
        [
            Cooperative(
                slug=f"htx-{i:04d}",
                name=f"HTX Thử {i:04d}",
                kind=rng.choice(kinds),
                sectors=rng.sample(sectors, 2),
                commune_code=rng.choice(communes),
            )
            for i in range(args.coops)
        ],
        batch_size=1000,
    )
    coops = list(Cooperative.objects.order_by("pk").values_list("pk", flat=True))
    products = []
    for pk in coops:
        products.append(
            Product(
                cooperative_id=pk, name=rng.choice(["Mật ong bạc hà", "Chè Shan tuyết", "Gạo"]), code="P1"
            )
        )
    Product.unscoped.bulk_create(products, batch_size=1000)
    product_of = dict(Product.unscoped.values_list("cooperative_id", "pk"))
    today = timezone.localdate()
    Certificate.unscoped.bulk_create(
        [
            Certificate(
                cooperative_id=pk,
                product_id=product_of[pk],
                kind="ocop",
                stars=rng.choice([3, 3, 3, 4, 4, 5]),
                issuer="UBND tỉnh",
                issued_on=today - dt.timedelta(days=rng.randint(30, 1000)),
                expires_on=today + dt.timedelta(days=rng.randint(-30, 900)),
            )
            for pk in coops
            if rng.random() < 0.4
        ],
        batch_size=1000,
    )
    members = []
    for index in range(args.households):
        members.append(
            Member(
                cooperative_id=coops[index % len(coops)],
                full_name=f"Hộ {index}",
                gender=rng.choice(["female", "male"]),
                ethnicity=rng.choice(["hmong", "dao", "tay", "kinh"]),
                commune_code=communes[index % len(communes)],
                joined_on=dt.date(2020, 1, 1),
                capital_vnd=rng.choice([0, 1_000_000, 5_000_000]),
                search_text=f"ho {index}",
            )
        )
    Member.unscoped.bulk_create(members, batch_size=5000)
    member_rows = list(Member.unscoped.values_list("pk", "cooperative_id"))
    now = timezone.now()
    started = time.perf_counter()
    batch = 20_000
    number = 0
    for first in range(0, args.receipts, batch):
        count = min(batch, args.receipts - first)
        receipts, chosen = [], []
        for _ in range(count):
            member_id, coop_id = member_rows[rng.randrange(len(member_rows))]
            number += 1
            when = now - dt.timedelta(days=rng.randint(0, 540), minutes=rng.randint(0, 600))
            kg = Decimal(rng.randint(1, 40))
            receipts.append(
                Receipt(
                    cooperative_id=coop_id,
                    number=number,
                    member_id=member_id,
                    collected_at=when,
                    status="confirmed",
                    total_vnd=int(kg) * 250_000,
                    uuid=uuid.uuid4(),
                )
            )
            chosen.append((member_id, coop_id, when, kg))
        made = Receipt.unscoped.bulk_create(receipts, batch_size=5000)
        if made[0].pk is None:  # SQLite before returning ids: read them back
            made = list(Receipt.unscoped.filter(number__gt=number - count).order_by("number"))
        lines, entries = [], []
        for receipt, (member_id, coop_id, when, kg) in zip(made, chosen, strict=True):
            amount = int(kg) * 250_000
            lines.append(
                ReceiptLine(
                    cooperative_id=coop_id,
                    receipt_id=receipt.pk,
                    product_id=product_of[coop_id],
                    quantity=kg,
                    unit="kg",
                    base_quantity=kg,
                    net_quantity=kg,
                    unit_price_vnd=250_000,
                    amount_vnd=amount,
                )
            )
            entries.append(
                Entry(
                    cooperative_id=coop_id,
                    member_id=member_id,
                    kind="purchase",
                    occurred_at=when,
                    payable_delta=amount,
                )
            )
            if (now - when).days > 20 or rng.random() < 0.5:
                paid_at = when + dt.timedelta(days=rng.randint(1, 60))
                if paid_at < now:
                    entries.append(
                        Entry(
                            cooperative_id=coop_id,
                            member_id=member_id,
                            kind="payout",
                            occurred_at=paid_at,
                            payable_delta=-amount,
                            payout_method="cash",
                        )
                    )
        ReceiptLine.unscoped.bulk_create(lines, batch_size=5000)
        Entry.unscoped.bulk_create(entries, batch_size=5000)
    Order.unscoped.bulk_create(
        [
            Order(
                cooperative_id=coops[i % len(coops)],
                code=f"B{i:07d}",
                checkout=uuid.uuid4(),
                buyer_name="Khách",
                buyer_phone="0912345678",
                delivery_method="post",
                subtotal_vnd=300_000,
                delivery_fee_vnd=30_000,
                total_vnd=330_000,
                payment_method="cod",
                status="delivered",
            )
            for i in range(min(args.receipts // 20, 50_000))
        ],
        batch_size=5000,
    )
    print(
        f"province written: {args.coops} cooperatives, {args.households} households, "
        f"{args.receipts} receipts in {time.perf_counter() - started:.0f} s"
    )


def run(args) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hoptac.accounts.services import alliance_officer_set, user_create
    from hoptac.federation.summaries.services import overview_refresh

    _province(args)
    started = time.perf_counter()
    overview_refresh()
    print(f"worker refresh of the summaries: {time.perf_counter() - started:.1f} s")
    officer = user_create(phone="0919000001", password="x" * 12, full_name="Cán bộ")
    alliance_officer_set(user=officer, province_code=8)
    client = Client()
    client.force_login(officer)
    year = dt.date.today().year
    pages = [
        ("officer's home", "/"),
        ("overview", "/alliance/overview/"),
        ("overview, one sector", "/alliance/overview/?sector=tea"),
        ("alerts", "/alliance/overview/alerts/"),
        ("cooperatives, page 1", "/alliance/overview/cooperatives/"),
        ("cooperatives, search", "/alliance/overview/cooperatives/?q=0123"),
        ("one cooperative", "/alliance/overview/cooperatives/htx-0001/"),
        ("periodic report xlsx (year)", f"/alliance/overview/report/?year={year}"),
    ]
    print(f"{'page':32} {'median ms':>10} {'queries':>8} {'KB':>7}")
    for name, url in pages:
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        size = len(response.content) / 1024
        print(f"{name:32} {statistics.median(times):10.0f} {len(queries.captured_queries):8d} {size:7.0f}")


if __name__ == "__main__":
    main()

"""Benchmark of buying from members: prints how long it takes to record 10,000 purchase
receipts and to render a member statement of 5,000 entries (page and xlsx).

    HOPTAC_DATA_DIR=/tmp/bench .venv/bin/python scripts/bench_offtake.py [--receipts N] [--entries N]

Runs on a fresh database in its own data directory (SQLite by default; PostgreSQL when
HOPTAC_DATABASE_URL is set, in a database of its own that is dropped afterwards).
It prints figures; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HOPTAC_DATA_DIR", tempfile.mkdtemp(prefix="hoptac-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
os.environ.setdefault("HOPTAC_STATIC_MANIFEST", "0")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=200)
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


def run(args) -> None:
    from django.test import Client
    from django.utils import timezone

    from hoptac.accounts.services import membership_set, user_create
    from hoptac.catalog.models import Product
    from hoptac.coops import services as coops
    from hoptac.coops.models import Cooperative
    from hoptac.core.tenancy import tenant
    from hoptac.ledger import services as ledger
    from hoptac.offtake import services as offtake

    coop = Cooperative.objects.create(slug="bench", name="HTX Bench", commune_code=769)
    accountant = user_create(phone="0911999001", password="bench-pass-1", full_name="Kế toán")  # noqa: S106
    membership_set(user=accountant, cooperative=coop, role="accountant")
    now = timezone.now()
    with tenant(coop):
        product = Product.objects.create(cooperative=coop, name="Mật ong bạc hà", code="MAT", base_unit="l")
        offtake.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=now - dt.timedelta(days=400)
        )
        members = [
            coops.member_create(
                data=coops.MemberInput(
                    full_name=f"Hộ {i:04d}",
                    commune_code=769,
                    joined_on=dt.date(2020, 1, 1),
                    village_name="Pả Vi",
                )
            )
            for i in range(args.members)
        ]
        start = time.perf_counter()
        for i in range(args.receipts):
            offtake.receipt_record(
                member=members[i % len(members)],
                collected_at=now - dt.timedelta(minutes=args.receipts - i),
                lines=[offtake.LineInput(product=product, quantity=Decimal("3.5"), unit="l")],
            )
        elapsed = time.perf_counter() - start
        print(
            f"record {args.receipts} receipts: {elapsed:.1f} s ({args.receipts / elapsed:.0f} receipts/s, "
            f"{elapsed / args.receipts * 1000:.2f} ms each)"
        )

        member = members[0]
        existing = member.ledger_entries.count()
        for i in range(max(0, args.entries - existing)):
            when = now - dt.timedelta(days=300) + dt.timedelta(minutes=i)
            if i % 2:
                ledger.advance_give(member=member, amount=10_000, occurred_at=when)
            else:
                offtake.receipt_record(
                    member=member,
                    collected_at=when,
                    lines=[offtake.LineInput(product=product, quantity=Decimal("1"), unit="l")],
                )
        total = member.ledger_entries.count()
    client = Client()
    client.force_login(accountant)
    begin = (now - dt.timedelta(days=400)).date().isoformat()
    end = timezone.localdate().isoformat()
    for suffix, label in (("statement/", "statement page"), ("statement.xlsx", "statement xlsx")):
        url = f"/c/bench/ledger/members/{member.uuid}/{suffix}?start={begin}&end={end}"
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
        print(
            f"{label} of {total} entries: best {min(timings) * 1000:.0f} ms "
            f"(status {response.status_code}, {len(response.content) / 1024:.0f} KB)"
        )


if __name__ == "__main__":
    main()

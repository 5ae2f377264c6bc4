"""Sizes of the field app's sync on the wire (issue 14, "Sizes"): a full pull of 500
members (gzip, as the phone receives it), an empty delta pull, and one receipt pushed
(request and answer bytes). Also times a push of 2,000 records in batches of 200.

    HOPTAC_DATA_DIR=/tmp/bench .venv/bin/python scripts/bench_sync_sizes.py [--members N]

Runs on a fresh database (SQLite by default; PostgreSQL when HOPTAC_DATABASE_URL is set,
in a database of its own that is dropped afterwards). Budgets: pull of 500 members
≤ 30 KB compressed, a synced receipt ≤ 1 KB. It prints figures and whether each budget
holds; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HOPTAC_DATA_DIR", tempfile.mkdtemp(prefix="hoptac-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
os.environ.setdefault("HOPTAC_STATIC_MANIFEST", "0")

PULL_BUDGET = 30 * 1024
RECEIPT_BUDGET = 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--records", type=int, default=2_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    settings.SYNC_REQUESTS_PER_MINUTE = 1_000_000
    old = setup_databases(verbosity=0, interactive=False)
    try:
        run(args)
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")


def ok(value: int, budget: int) -> str:
    return "within budget" if value <= budget else "OVER BUDGET"


def run(args) -> None:
    from django.test import Client
    from django.utils import timezone

    from hoptac.accounts.services import membership_set, user_create
    from hoptac.catalog.models import Product
    from hoptac.coops import services as coops
    from hoptac.coops.models import Cooperative
    from hoptac.core.tenancy import tenant
    from hoptac.offtake import services as offtake
    from hoptac.sync import services as sync

    villages = ["Pả Vi Thượng", "Pả Vi Hạ", "Sủng Pờ", "Mè Lẹ", "Khâu Vai", "Lũng Pù"]
    surnames = ["Giàng", "Vàng", "Sùng", "Lò", "Thào", "Hầu", "Ly", "Mua"]
    given = ["A Páo", "Thị Mỷ", "Mí Chứ", "Thị Dợ", "A Sử", "Seo Lử", "Thị Ly", "Văn Pó"]
    coop = Cooperative.objects.create(slug="bench", name="HTX Bench", commune_code=769)
    collector = user_create(phone="0911999002", password="bench-pass-1", full_name="Thu mua")  # noqa: S106
    membership_set(user=collector, cooperative=coop, role="collector")
    now = timezone.now()
    with tenant(coop):
        products = []
        for code, name, base in (("MAT", "Mật ong bạc hà", "l"), ("CHE", "Chè Shan tuyết", "kg")):
            product = Product.objects.create(cooperative=coop, name=name, code=code, base_unit=base)
            for grade, price in ((1, 500_000), (2, 420_000)):
                offtake.price_set(
                    product=product, grade=grade, price_vnd=price // (10 if base == "kg" else 1),
                    effective_from=now - dt.timedelta(days=30),
                )
            products.append(product)
        members = [
            coops.member_create(
                data=coops.MemberInput(
                    full_name=f"{surnames[i % 8]} {given[(i // 8) % 8]} {i // 64 or ''}".strip(),
                    commune_code=769,
                    joined_on=dt.date(2020, 1, 1),
                    village_name=villages[i % len(villages)],
                    phone=f"09{(12_000_000 + i * 7919) % 100_000_000:08d}",
                )
            )
            for i in range(args.members)
        ]
        made = sync.device_register(user=collector, name="Bench phone")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {made.token}")

    pull = client.get("/api/v1/c/bench/sync/pull", HTTP_ACCEPT_ENCODING="gzip")
    compressed = len(pull.content)
    body = json.loads(gzip.decompress(pull.content))
    raw = len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
    print(
        f"full pull of {len(body['members']['rows'])} members: {compressed / 1024:.1f} KB gzip "
        f"({raw / 1024:.1f} KB raw) — budget {PULL_BUDGET // 1024} KB: {ok(compressed, PULL_BUDGET)}"
    )
    delta = client.get("/api/v1/c/bench/sync/pull", {"since": body["cursor"]}, HTTP_ACCEPT_ENCODING="gzip")
    print(f"delta pull just after (overlap window re-sends recent rows): {len(delta.content) / 1024:.1f} KB gzip")

    member = members[1]
    record = {
        "key": str(uuid.uuid4()),
        "kind": "receipt",
        "no": f"{made.device.prefix}-0001",
        "at": timezone.localtime(now - dt.timedelta(minutes=3)).isoformat(timespec="seconds"),
        "body": {
            "member": str(member.uuid),
            "point": None,
            "lines": [{"product": products[0].pk, "grade": 1, "qty": "12.5", "unit": "l", "ded": "2", "price": 500_000}],
            "total": 6_125_000,
            "note": "",
        },
    }
    request = json.dumps({"pending": 0, "records": [record]}, separators=(",", ":"), ensure_ascii=False).encode()
    answer = client.post("/api/v1/c/bench/sync/push", request, content_type="application/json")
    total = len(request) + len(answer.content)
    print(
        f"one receipt pushed: request {len(request)} B + answer {len(answer.content)} B = {total} B "
        f"— budget {RECEIPT_BUDGET} B: {ok(total, RECEIPT_BUDGET)}"
    )

    records = []
    for i in range(args.records):
        rec = json.loads(json.dumps(record))
        rec["key"] = str(uuid.uuid4())
        rec["no"] = f"{made.device.prefix}-{i + 2:04d}"
        rec["body"]["member"] = str(members[i % len(members)].uuid)
        records.append(rec)
    start = time.perf_counter()
    for i in range(0, len(records), 200):
        batch = json.dumps({"pending": 0, "records": records[i : i + 200]})
        assert client.post("/api/v1/c/bench/sync/push", batch, content_type="application/json").status_code == 200
    elapsed = time.perf_counter() - start
    print(f"push {args.records} receipts in batches of 200: {elapsed:.1f} s ({args.records / elapsed:.0f} records/s)")
    start = time.perf_counter()
    for i in range(0, len(records), 200):
        batch = json.dumps({"pending": 0, "records": records[i : i + 200]})
        client.post("/api/v1/c/bench/sync/push", batch, content_type="application/json")
    elapsed = time.perf_counter() - start
    print(f"the same again (all replays): {elapsed:.1f} s ({args.records / elapsed:.0f} records/s)")


if __name__ == "__main__":
    main()

"""Benchmark of messaging: prints how long it takes to queue an announcement to 10,000
members and to send it with the file backend (one worker), and the figures per message.

    HOPTAC_DATA_DIR=/tmp/bench-msg .venv/bin/python scripts/bench_messages.py [--members N]

Runs on a fresh database in its own data directory (SQLite by default; PostgreSQL when
HOPTAC_DATABASE_URL is set, in a test database that is dropped afterwards). The SMS files
go to a temporary directory. It prints figures; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HOPTAC_DATA_DIR", tempfile.mkdtemp(prefix="hoptac-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
os.environ.setdefault("HOPTAC_STATIC_MANIFEST", "0")
os.environ["HOPTAC_WORKER"] = "off"  # the benchmark drains the outbox itself
os.environ["HOPTAC_SMS_BACKEND"] = "file"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    outdir = tempfile.mkdtemp(prefix="hoptac-bench-outbox-")
    settings.OUTBOX = {**settings.OUTBOX, "FILE_DIR": outdir}
    try:
        run(args, Path(outdir))
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")


def run(args, outdir: Path) -> None:
    from django.db import transaction

    from hoptac.coops.models import Cooperative, Member
    from hoptac.core.tenancy import tenant
    from hoptac.outbox import dispatch
    from hoptac.outbox import services as outbox
    from hoptac.outbox.models import Kind, Message, Status

    coop = Cooperative.objects.create(slug="bench", name="HTX Tuấn Dũng", commune_code=769)
    with tenant(coop):
        rules = outbox.messaging_settings()
        rules.sms_quota_segments = args.members * 4
        rules.save()
        Member.objects.bulk_create(
            Member(
                cooperative=coop,
                full_name=f"Vàng A Páo {i:05d}",
                phone=f"098{i:07d}",
                commune_code=769,
                joined_on=dt.date(2020, 1, 1),
            )
            for i in range(args.members)
        )
        members = list(Member.objects.order_by("pk"))
        text = "Thông báo HTX: thu mua mật ong bạc hà ngày 05/12 tại điểm Pả Vi, giá 500.000đ/lít. Mời {name} mang mật đến."

        started = time.perf_counter()
        with transaction.atomic():
            count = outbox.queue_many(
                ((outbox.Recipient.for_member(m), text.replace("{name}", m.full_name)) for m in members),
                kind=Kind.ANNOUNCEMENT,
                source_type="announcement",
                source_id="bench",
            )
        queued = time.perf_counter() - started

    started = time.perf_counter()
    handled = dispatch.drain(max_seconds=3600, batch=200)
    sent_time = time.perf_counter() - started

    statuses = dict(
        Message.unscoped.values_list("status").annotate(n=__import__("django").db.models.Count("id"))
    )
    files = sum(1 for _ in outdir.glob("sms/*/*.json"))
    segments = Message.unscoped.values_list("segments", flat=True).first()
    print(f"members: {args.members:,}")
    print(
        f"queue the announcement (one transaction): {queued:.2f} s ({queued / count * 1000:.3f} ms per message)"
    )
    print(
        f"send with the file backend, one worker:  {sent_time:.2f} s ({handled / sent_time:,.0f} messages/s)"
    )
    print(f"total: {queued + sent_time:.2f} s")
    print(f"statuses: {statuses}; files written: {files:,}; segments per message: {segments}")
    assert statuses.get(Status.SENT) == args.members and files == args.members, (
        "not every message was sent once"
    )


if __name__ == "__main__":
    main()

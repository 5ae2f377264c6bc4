"""Benchmark of the large exports: time and memory of each at the size of the province trial
(one cooperative of 5,000 households and 53,000 purchase receipts, a statement of 3,036
entries), written by the export job's writer as the worker runs it.

    HOPTAC_DATA_DIR=/tmp/bench .venv/bin/python scripts/bench_exports.py \
        [--members 5000] [--receipts 53000] [--entries 3036] [--libreoffice]

The data is generated in bulk (bulk_create, not the services: a fixture, not a use case).
Each export runs in a forked child process so that its memory is its own: "RSS +" is the
child's peak resident memory minus what it had at the start (what a web or worker process
keeps for good), "py peak" is tracemalloc's peak of Python allocations (tracemalloc slows
the run: the times are upper bounds). "CPU" is the child's own processor time, the figure to
compare on a shared, busy machine. With
``--libreoffice`` each file is opened by LibreOffice headless (converted to CSV) and its
rows counted. Runs on a fresh database in its own data directory (SQLite by default;
PostgreSQL when HOPTAC_DATABASE_URL is set, in a database of its own that is dropped
afterwards). It prints figures; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HOPTAC_DATA_DIR", tempfile.mkdtemp(prefix="hoptac-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
os.environ.setdefault("HOPTAC_STATIC_MANIFEST", "0")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--receipts", type=int, default=53_000)
    parser.add_argument("--entries", type=int, default=3_036)
    parser.add_argument("--libreoffice", action="store_true")
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


def generate(args):
    """One cooperative: members, a season of receipts (one line each) with their purchase
    entries, and one member with ``entries`` ledger entries."""
    from django.utils import timezone

    from hoptac.accounts.services import membership_set, user_create
    from hoptac.catalog.models import Product
    from hoptac.coops.models import Cooperative, Member, Village
    from hoptac.ledger.models import Entry
    from hoptac.offtake.models import Receipt, ReceiptLine, Season

    mark = time.perf_counter()
    coop = Cooperative.objects.create(slug="bench", name="HTX Bench & Co", commune_code=769)
    chair = user_create(phone="0911999001", password="bench-pass-1", full_name="Chủ tịch")  # noqa: S106
    membership_set(user=chair, cooperative=coop, role="chair")
    villages = Village.unscoped.bulk_create(
        [Village(cooperative=coop, name=f"Thôn {i}", commune_code=769) for i in range(20)]
    )
    Member.unscoped.bulk_create(
        [
            Member(
                cooperative=coop,
                full_name=f"=Hộ {i:05d} Vàng A Páo",
                phone=f"09{i:08d}",
                village=villages[i % 20],
                commune_code=769,
                joined_on=dt.date(2020, 1, 1),
                bank_bin="970405",
                bank_account=f"73002{i:08d}",
                search_text=f" ho {i:05d} vang a pao",
            )
            for i in range(args.members)
        ],
        batch_size=2000,
    )
    members = list(Member.unscoped.filter(cooperative=coop).order_by("pk").values_list("pk", flat=True))
    product = Product.objects.create(cooperative=coop, name="Chè Shan tuyết", code="CHE", base_unit="kg")
    today = timezone.localdate()
    start = today - dt.timedelta(days=120)
    season = Season.objects.create(cooperative=coop, product=product, name="Vụ xuân", starts_on=start, ends_on=today)
    first = timezone.make_aware(dt.datetime.combine(start, dt.time(7)))
    step = (timezone.now() - first) / max(args.receipts, 1)
    Receipt.unscoped.bulk_create(
        [
            Receipt(
                cooperative=coop,
                number=n + 1,
                member_id=members[n % len(members)],
                collected_at=first + step * n,
                collector=chair,
                status="confirmed",
                total_vnd=250_000,
            )
            for n in range(args.receipts)
        ],
        batch_size=5000,
    )
    receipts = Receipt.unscoped.filter(cooperative=coop).order_by("number").values_list("pk", "member_id", "collected_at")
    lines, entries = [], []
    for pk, member_id, at in receipts.iterator(chunk_size=5000):
        lines.append(
            ReceiptLine(
                cooperative=coop,
                receipt_id=pk,
                product=product,
                quantity=Decimal(5),
                unit="kg",
                base_quantity=Decimal(5),
                net_quantity=Decimal(5),
                unit_price_vnd=50_000,
                amount_vnd=250_000,
            )
        )
        entries.append(
            Entry(cooperative=coop, member_id=member_id, kind="purchase", occurred_at=at, payable_delta=250_000, memo="Thu mua")
        )
    ReceiptLine.unscoped.bulk_create(lines, batch_size=5000)
    Entry.unscoped.bulk_create(entries, batch_size=5000)
    busy = Member.unscoped.get(pk=members[0])
    month = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time(8)))
    Entry.unscoped.bulk_create(
        [
            Entry(
                cooperative=coop,
                member=busy,
                kind="advance",
                occurred_at=month + dt.timedelta(seconds=i),
                receivable_delta=10_000,
                memo=f"=Tạm ứng {i}",
                code=f"TU-{i:06d}",
            )
            for i in range(args.entries)
        ],
        batch_size=5000,
    )
    print(
        f"generated {args.members:,} members, {args.receipts:,} receipts with lines and entries, "
        f"a statement of {args.entries:,} entries in {time.perf_counter() - mark:.1f} s"
    )
    return coop, season, busy, today


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure(name: str, write, params: dict, coop, out: Path) -> None:
    """Run one export writer in a forked child; print its time and memory."""
    from django.db import connections

    connections.close_all()
    read, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        try:
            from hoptac.core.tenancy import tenant

            base = rss_kb()
            tracemalloc.start()
            mark = time.perf_counter()
            cpu = time.process_time()
            with tenant(coop), (out / f"{name}.xlsx").open("wb") as target:
                write(params, target=target, progress=lambda done, total: None)
            seconds = time.perf_counter() - mark
            cpu = time.process_time() - cpu
            peak = tracemalloc.get_traced_memory()[1]
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
            os.write(write_end, f"{seconds:.2f} {cpu:.2f} {peak / 1e6:.1f} {grown / 1024:.0f}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    seconds, cpu, peak, grown = os.read(read, 200).decode().split()
    size = (out / f"{name}.xlsx").stat().st_size
    print(
        f"{name:<16} {float(seconds):>7.2f} s  (CPU {float(cpu):>6.2f} s)   py peak {float(peak):>6.1f} MB"
        f"   RSS + {grown:>4} MB   file {size / 1e6:.1f} MB"
    )


def libreoffice(out: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        print("LibreOffice not installed: files not opened")
        return
    profile = tempfile.mkdtemp(prefix="lo-profile-")
    for path in sorted(out.glob("*.xlsx")):
        mark = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own files
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "csv", "--outdir", str(out), str(path)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        csv = path.with_suffix(".csv")
        rows = len(csv.read_text(encoding="utf-8", errors="replace").splitlines()) if csv.exists() else 0
        state = "opened" if done.returncode == 0 and rows else f"FAILED ({done.returncode})"
        print(f"LibreOffice {path.name:<22} {state}, {rows:,} CSV rows, {time.perf_counter() - mark:.1f} s")


def run(args) -> None:
    from hoptac.coops.excel import members_export_job
    from hoptac.ledger.xlsx import statement_job
    from hoptac.offtake.exports import purchase_list_job, season_summary_job

    coop, season, busy, today = generate(args)
    out = Path(tempfile.mkdtemp(prefix="hoptac-exports-"))
    print(f"files in {out}")
    print(f"{'export':<16} {'time':>9}  {'(CPU time)':<14}   memory")
    measure("members", members_export_job, {"filters": {}, "personal": True}, coop, out)
    period = {"start": season.starts_on.isoformat(), "end": today.isoformat(), "point": None}
    measure("purchase_list", purchase_list_job, period, coop, out)
    measure("season_summary", season_summary_job, {"season": season.pk}, coop, out)
    statement = {"member": str(busy.uuid), "start": today.replace(day=1).isoformat(), "end": today.isoformat()}
    measure("statement", statement_job, statement, coop, out)
    if args.libreoffice:
        libreoffice(out)


if __name__ == "__main__":
    main()

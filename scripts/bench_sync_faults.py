"""Benchmark of the field app's sync through a faulty network (issue 14): records per second
pushed by the phone's own ``sync.js`` (in the system Chromium) to a real server, once through
a clean proxy and once through the fault proxy (cut requests, answers cut after the server
committed, truncated and garbled answers, delays); the faults injected, the client's
retries, and whether the server ended with exactly the phone's records (0 lost, 0 doubled,
receipt numbers gapless). Target: with faults ≥ 50 % of clean.

    .venv/bin/python scripts/bench_sync_faults.py                   # SQLite, 2,000 records a run
    .venv/bin/python scripts/bench_sync_faults.py --records 10000
    HOPTAC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hoptac_bench_sync \\
        .venv/bin/python scripts/bench_sync_faults.py               # PostgreSQL

It migrates a fresh database (a scratch SQLite file, or the PostgreSQL database named, which
should be empty or a former run's), makes one cooperative per run (100 members, two
products with prices, a collector) and serves the app from this process (Django's threaded
live server) on loopback. It asserts nothing; it prints figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _django(data_dir: Path) -> None:
    os.environ["HOPTAC_DATA_DIR"] = str(data_dir)
    os.environ["HOPTAC_STATIC_MANIFEST"] = "0"  # scripts served from the source, as in the tests
    os.environ["HOPTAC_WORKER"] = "off"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _server():
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    return thread


def _cooperative(run: str):
    from django.conf import settings

    from hoptac.accounts.services import membership_set
    from hoptac.coops.models import Cooperative
    from hoptac.core.roles import Role
    from tests.conftest import MEO_VAC, make_user
    from tests.syncdrive import seed

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    stamp = int(time.time() * 1000) % 10**7
    coop = Cooperative.objects.create(
        slug=f"bench-{run}-{stamp}", name=f"HTX bench {run}", commune_code=MEO_VAC, sectors=["honey"]
    )
    user = make_user(f"098{stamp:07d}", f"Thu mua {run}")
    membership_set(user=user, cooperative=coop, role=Role.COLLECTOR)
    return coop, user, seed(coop, members=100)


def _run(browser, upstream, plan, *, run: str, records: int, batch: int) -> dict:
    from hoptac.core.tenancy import tenant
    from hoptac.ledger.models import Entry
    from tests.faultproxy import FaultProxy
    from tests.syncdrive import compare, drive, is_sync

    coop, user, spec = _cooperative(run)
    with tenant(coop):
        before = Entry.objects.count()
    with FaultProxy(upstream, plan, faulty=is_sync) as proxy:
        result = drive(
            browser,
            proxy.url,
            user=user,
            slug=coop.slug,
            spec=spec,
            count=records,
            seed=14,
            options={"batchSize": batch, "timeoutMs": 120_000},
        )
        faults = dict(proxy.counts)
    problems = compare(coop, result, entries_before=before)
    return {
        "rate": records / result["seconds"],
        "seconds": result["seconds"],
        "faults": faults,
        "client": result["status"]["counts"],
        "problems": problems,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="records per run (default 2,000)")
    parser.add_argument("--batch", type=int, default=100, help="the client's batch size (default 100)")
    parser.add_argument("--rate", type=float, default=0.35, help="share of sync requests broken (0.35)")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="hoptac-bench-sync-"))
    try:
        _django(scratch)
        from django.db import connection
        from playwright.sync_api import sync_playwright

        from tests.faultproxy import clean, rough
        from tests.syncdrive import CHROMIUM_ARGS

        server = _server()
        upstream = ("127.0.0.1", server.port)
        print(
            f"Database: {connection.vendor}; {args.records} records a run (90% receipts, 5% advances,"
            f" 5% input loans), batches of {args.batch}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
        )
        figures = {}
        chromium = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for name, plan in (("clean", clean()), ("faults", rough(seed=14, rate=args.rate, stall=0.0))):
                figures[name] = run = _run(
                    browser, upstream, plan, run=name, records=args.records, batch=args.batch
                )
                broken = {k: v for k, v in sorted(run["faults"].items()) if k != "pass"}
                print(
                    f"  {name:<7} {run['rate']:7.1f} records/s ({run['seconds']:.1f} s)  requests"
                    f" {run['client']['requests']}, retries {run['client']['retries']}; faults injected"
                    f" {sum(broken.values())}: {broken or '-'}"
                )
                print(
                    "          server vs phone: "
                    + (
                        "exactly the phone's records, numbers gapless"
                        if not run["problems"]
                        else "; ".join(run["problems"])
                    )
                )
            browser.close()
        server.terminate()
        ratio = figures["faults"]["rate"] / figures["clean"]["rate"]
        print(f"  with faults / clean: {ratio:.0%} (target ≥ 50%)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The fault test of issue 14: 10,000 records made on a "phone" (the field app's own
``sync.js`` in the system Chromium) pushed to the real server through a proxy that cuts
requests, cuts answers after the server committed, truncates and garbles answers, delays and
stalls them (tests/faultproxy.py), with nothing but the client's own retries. Afterwards the
server holds exactly the phone's records: 0 lost, 0 duplicated, receipt numbers PTM gapless
1..N, one ledger entry per record, and the phone shows each record's server number.

Figures (records per second with and without faults): scripts/bench_sync_faults.py."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import sync_playwright

from hoptac.core.tenancy import tenant
from hoptac.ledger.models import Entry
from tests.faultproxy import FaultProxy, rough
from tests.syncdrive import CHROMIUM_ARGS, compare, drive, is_sync, seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")


def record_count() -> int:
    """10,000 records, the issue's figure, on SQLite (the embedded shape, and CI's first half).
    CI runs the suite again on PostgreSQL, where the same faults and checks run over 1,500
    records to keep the whole run under its 25 minutes; ``HOPTAC_FAULT_RECORDS=10000`` runs
    the full count there too (docs/architecture.md gives both figures)."""
    from django.db import connection

    default = "10000" if connection.vendor == "sqlite" else "1500"
    return int(os.environ.get("HOPTAC_FAULT_RECORDS", default))


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_ten_thousand_records_through_every_fault_none_lost_none_doubled(
    chromium, live_server, coop_a, collector_a
):
    count = record_count()
    spec = seed(coop_a, members=100)
    with tenant(coop_a):
        entries_before = Entry.objects.count()
    upstream = (live_server.thread.host, live_server.thread.port)
    # No stalls here: each costs the client a whole timeout, and a timeout longer than the
    # server's slowest batch; tests/test_sync_client.py stalls the client against a fake.
    plan = rough(seed=14, rate=0.35, stall=0.0)
    with FaultProxy(upstream, plan, faulty=is_sync) as proxy:
        result = drive(
            chromium,
            proxy.url,
            user=collector_a,
            slug=coop_a.slug,
            spec=spec,
            count=count,
            seed=14,
            options={"batchSize": 100, "timeoutMs": 120_000},
        )
        faults = dict(proxy.counts)
    print(
        f"\n{count} records in {result['seconds']:.1f} s through {faults}; client {result['status']['counts']}"
    )

    assert len(result["records"]) == count
    assert compare(coop_a, result, entries_before=entries_before) == []
    # The faults did happen, every kind of them, and the client went through them by retrying.
    for fault in ("cut_request", "cut_response", "truncate", "garble", "delay"):
        assert faults.get(fault, 0) > 0, faults
    assert result["status"]["counts"]["retries"] >= faults["cut_request"] + faults["cut_response"]
    assert result["pulled"]["ok"], result["pulled"]
    assert result["pulled"]["counts"]["members"] == 100  # the first pull is whole

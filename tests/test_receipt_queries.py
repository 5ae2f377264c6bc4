"""The receipt POST is cheap and its cost does not grow with the cooperative's data
(issue 15: it cost 42 queries and its p99 reached 5 s at 32 concurrent)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.offtake import services
from hoptac.offtake.models import Receipt
from tests.conftest import keyed

# Counted without savepoints; BEGIN and COMMIT are not visible here (the test runs in a
# transaction): add two on the wire (scripts/bench_province.py --posts counts them). It was
# 42 with savepoints, then 33, 27; now 15 (issue 15's target), constant in the data. What
# each of the 15 is for: docs/architecture.md, "Province scale", "Receipt POST".
MAX_QUERIES = 15


@pytest.fixture
def tea(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Chè búp tươi", code="CHE", base_unit="kg")
        services.price_set(
            product=product, grade=1, price_vnd=25_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
    return product


def _body(member, tea) -> dict:
    return {
        "member": member.pk,
        "collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "point": "",
        "note": "",
        "line-TOTAL_FORMS": "3",
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "20",
        "line-0-product": tea.pk,
        "line-0-grade": "1",
        "line-0-quantity": "12,5",
        "line-0-unit": "kg",
        "line-0-deduction_pct": "",
        "line-1-grade": "1",
        "line-1-unit": "kg",
        "line-2-grade": "1",
        "line-2-unit": "kg",
    }


def _post_queries(client, url, body) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, keyed(body, confirm="1", checked_total="312500"))
    assert response.status_code == 302, response.content.decode()[:2000]
    return sum(1 for q in queries.captured_queries if "SAVEPOINT" not in q["sql"])


def test_a_receipt_post_costs_few_queries_whatever_the_history(
    login, coop_a, collector_a, member_a, member_a2, tea
):
    client = login(collector_a)
    url = f"/c/{coop_a.slug}/buying/receipts/new/"
    client.get(url)
    first = _post_queries(client, url, _body(member_a, tea))
    second = _post_queries(client, url, _body(member_a, tea))
    for _ in range(5):
        _post_queries(client, url, _body(member_a2, tea))
    later = _post_queries(client, url, _body(member_a, tea))
    assert Receipt.unscoped.count() == 8
    assert second <= MAX_QUERIES, f"a receipt POST took {second} queries"
    assert later == second, f"{first=} {second=} {later=}: the cost grows with the data"

"""The field app's receipt push is cheap per record, and its cost per record does not grow
with the batch (issue 15: a receipt ≤ 15 statements, docs/architecture.md "Province scale")."""

from __future__ import annotations

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from hoptac.core.tenancy import tenant
from hoptac.offtake.models import Receipt
from tests.sync_fixtures import receipt_rec
from tests.test_sync_api import API, phone

# Per receipt pushed, savepoints not counted; BEGIN/COMMIT are not visible in a test (each
# record is its own transaction: two more on the wire). Once per request: the device with
# its cooperative and user, the collector's role, and the device's last contact.
MAX_PER_RECORD = 13  # issue 15 asks for at most 15
PER_REQUEST = 4


def _push_statements(client, records) -> int:
    body = json.dumps({"records": records})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(API.format(slug="coop-a") + "push", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()["results"]] == [201] * len(records), response.content
    return sum(1 for q in queries.captured_queries if "SAVEPOINT" not in q["sql"])


def test_a_pushed_receipt_costs_few_statements_and_a_batch_the_same_per_record(
    coop_a, member_a, member_a2, tea_a, device_a
):
    client = phone(device_a.token)
    _push_statements(client, [receipt_rec(member_a, tea_a, no="A7-0001")])  # first of each kind
    one = _push_statements(client, [receipt_rec(member_a, tea_a, no="A7-0002")])
    members = [member_a, member_a2]
    batch = _push_statements(
        client, [receipt_rec(members[i % 2], tea_a, no=f"A7-{100 + i:04d}") for i in range(20)]
    )
    with tenant(coop_a):
        assert Receipt.objects.count() == 22
    per_record = one - PER_REQUEST
    assert per_record <= MAX_PER_RECORD, (
        f"a pushed receipt took {per_record} statements ({one} with the request's)"
    )
    assert batch == PER_REQUEST + 20 * per_record, f"{one=} {batch=}: the cost per record is not constant"

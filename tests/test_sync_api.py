"""The sync API: devices, push and pull as a phone uses them (docs/sync-protocol.md)."""

from __future__ import annotations

import gzip
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from hoptac.accounts.services import membership_set
from hoptac.api.sync import DEVICE_ROUTES
from hoptac.coops import services as coop_services
from hoptac.coops.models import Member
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.ledger.models import Entry
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Receipt
from hoptac.sync import services
from hoptac.sync.models import Device, SyncRecord
from tests.conftest import PASSWORD
from tests.sync_fixtures import advance_rec, household_rec, new_device, receipt_rec

API = "/api/v1/c/{slug}/sync/"


def phone(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def push(client, records, slug="coop-a", pending=None):
    body = {"records": records} if pending is None else {"records": records, "pending": pending}
    return client.post(API.format(slug=slug) + "push", json.dumps(body), content_type="application/json")


def rows(coop):
    with tenant(coop):
        return (
            SyncRecord.objects.count(),
            Receipt.objects.count(),
            Entry.objects.count(),
            Member.objects.count(),
        )


def test_register_with_the_session_and_csrf(client, collector_a, coop_a):
    client.login(username=collector_a.phone, password=PASSWORD)
    url = API.format(slug="coop-a") + "devices"
    body = json.dumps({"name": "Điện thoại của Páo"})
    checked = Client(enforce_csrf_checks=True)
    checked.login(username=collector_a.phone, password=PASSWORD)
    assert checked.post(url, body, content_type="application/json").status_code == 403  # no CSRF header
    answer = client.post(url, body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert made["token"].startswith("htd_") and len(made["token"]) == 44
    assert len(made["prefix"]) == 2 and len(made["sms_key"]) == 32 and made["sms_number"] is None
    with tenant(coop_a):
        device = Device.objects.get()
        assert made["token"] not in device.token_hash and device.user == collector_a
    # The token works at once for the push and the pull.
    assert phone(made["token"]).get(API.format(slug="coop-a") + "pull").status_code == 200


def test_push_applies_each_once_with_its_own_answer(coop_a, member_a, member_a2, tea_a, device_a):
    with tenant(coop_a):
        coop_services.member_leave(member=member_a2, left_on=timezone.localdate(), reason="moved")
    client = phone(device_a.token)
    batch = [
        receipt_rec(member_a, tea_a, no="A7-0001"),
        receipt_rec(member_a2, tea_a, no="A7-0002"),
        receipt_rec(member_a, tea_a, price=30_000, no="A7-0003"),
        advance_rec(member_a, 100_000, no="A7-0004"),
        {"key": "not-a-uuid"},
    ]
    answer = push(client, batch, pending=3)
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201, 201, 422]
    assert [r["state"] for r in results] == ["applied", "refused", "flagged", "applied", "refused"]
    assert "left the cooperative" in results[1]["message"]
    numbers = [int(r["number"][4:]) for r in (results[0], results[2])]
    assert numbers[1] == numbers[0] + 1  # gapless: the refused one took no number
    before = rows(coop_a)
    again = push(client, batch).json()["results"]
    assert [r["status"] for r in again] == [200, 422, 200, 200, 422]
    assert all(r.get("replay") for r in again[:4])
    assert rows(coop_a) == before
    with tenant(coop_a):
        device = Device.objects.get()
        assert device.pending_count == 3 and device.last_push_at is not None


def test_same_key_other_body_is_409_and_stores_nothing(coop_a, member_a, tea_a, device_a):
    client = phone(device_a.token)
    record = receipt_rec(member_a, tea_a)
    push(client, [record])
    before = rows(coop_a)
    changed = {**record, "body": {**record["body"], "lines": [{**record["body"]["lines"][0], "qty": "99"}]}}
    result = push(client, [changed]).json()["results"][0]
    assert result["status"] == 409 and "already used" in result["message"]
    assert rows(coop_a) == before


def test_batches_refused_whole(coop_a, member_a, tea_a, device_a):
    client = phone(device_a.token)
    before = rows(coop_a)
    big = [receipt_rec(member_a, tea_a, no=f"A7-{n:04d}") for n in range(10_000)]
    answer = push(client, big)
    assert answer.status_code in (413, 422)
    too_many = push(client, big[:201])
    assert too_many.status_code == 422
    malformed = client.post(API.format(slug="coop-a") + "push", "{not json", content_type="application/json")
    assert malformed.status_code == 422
    assert push(client, "records").status_code == 422
    heavy = [receipt_rec(member_a, tea_a, no="A7-0001") for _ in range(150)]
    for record in heavy:
        record["body"]["note"] = "x" * 1800
    assert push(client, heavy).status_code == 413
    assert rows(coop_a) == before


def test_revoked_unknown_and_foreign_devices(coop_a, coop_b, chair_a, chair_b, member_a, tea_a, device_a):
    client = phone(device_a.token)
    record = receipt_rec(member_a, tea_a)
    # Another cooperative's slug: 404, as if it did not exist.
    with tenant(coop_b):
        pass
    membership_set(user=device_a.device.user, cooperative=coop_b, role=Role.COLLECTOR)
    assert push(client, [record], slug="coop-b").status_code == 404
    assert client.get(API.format(slug="coop-b") + "pull").status_code == 404
    b_device = new_device(coop_b, chair_b)
    assert push(phone(b_device.token), [record], slug="coop-a").status_code == 404
    # Unknown and personal tokens: 401 device_unknown.
    unknown = push(phone("htd_" + "A" * 40), [record])
    assert unknown.status_code == 401 and unknown.json()["code"] == "device_unknown"
    assert push(Client(), [record]).status_code == 401
    with tenant(coop_a):
        services.device_revoke(device=device_a.device, reason="phone lost", actor=chair_a)
    revoked = push(client, [record])
    assert revoked.status_code == 401 and revoked.json()["code"] == "device_revoked"
    assert "phone lost" in revoked.json()["detail"]
    assert client.get(API.format(slug="coop-a") + "pull").json()["code"] == "device_revoked"
    assert rows(coop_a)[0] == 0


def test_collector_who_lost_the_role_is_refused(coop_a, member_a, tea_a, device_a, collector_a):
    membership_set(user=collector_a, cooperative=coop_a, role=Role.SALES)
    answer = push(phone(device_a.token), [receipt_rec(member_a, tea_a)])
    assert answer.status_code == 403


def test_rate_limit_per_device(settings, coop_a, device_a):
    settings.SYNC_REQUESTS_PER_MINUTE = 2
    client = phone(device_a.token)
    codes = [client.get(API.format(slug="coop-a") + "pull").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_pull_deltas_and_deletions(coop_a, member_a, member_a2, tea_a, device_a):
    client = phone(device_a.token)
    url = API.format(slug="coop-a") + "pull"
    first = client.get(url).json()
    assert first["full"] is True
    assert {row[1] for row in first["members"]["rows"]} == {str(member_a.uuid), str(member_a2.uuid)}
    assert first["products"]["rows"][0][:3] == [tea_a.pk, tea_a.name, "kg"]
    assert first["prices"]["rows"][0][:3] == [tea_a.pk, 1, 20_000]
    assert first["coop"]["price_tolerance_pct"] == 10
    # Nothing changed: members inside the overlap window only; small tables not resent.
    second = client.get(url, {"since": first["cursor"]}).json()
    assert second["full"] is False and second["products"]["rows"] == [] and second["prices"]["rows"] == []
    with tenant(coop_a):
        coop_services.member_leave(member=member_a2, left_on=timezone.localdate(), reason="moved")
        offtake.price_set(product=tea_a, grade=1, price_vnd=22_000)
    third = client.get(url, {"since": second["cursor"]}).json()
    assert third["removed"]["members"] == [member_a2.pk]
    assert str(member_a2.uuid) not in {row[1] for row in third["members"]["rows"]}
    assert third["prices"]["rows"][0][:3] == [tea_a.pk, 1, 22_000]
    # Old rows are not resent once outside the overlap window.
    with tenant(coop_a):
        Member.objects.filter(pk=member_a.pk).update(updated_at=timezone.now() - timezone.timedelta(hours=1))
    old = services_cursor_hours_ago()
    later = client.get(url, {"since": old}).json()
    assert str(member_a.uuid) not in {row[1] for row in later["members"]["rows"]}
    assert client.get(url, {"since": "garbage!"}).json()["full"] is True


def services_cursor_hours_ago() -> str:
    from hoptac.sync.selectors import _encode_cursor

    return _encode_cursor(timezone.now() - timezone.timedelta(minutes=30), "x")


def test_pull_is_gzipped_when_accepted(coop_a, member_a, device_a):
    client = phone(device_a.token)
    answer = client.get(API.format(slug="coop-a") + "pull", HTTP_ACCEPT_ENCODING="gzip")
    assert answer.status_code == 200 and answer["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(answer.content))["full"] is True


def test_household_then_receipt_in_one_batch(coop_a, tea_a, device_a):
    household = household_rec(commune=coop_a.commune_code)
    receipt = receipt_rec(household["key"], tea_a)
    results = push(phone(device_a.token), [receipt, household, receipt]).json()["results"]
    assert [r["status"] for r in results] == [503, 201, 201]
    assert results[1]["member"]


def test_devices_list_and_revoke_for_the_chair(
    client, coop_a, chair_a, collector_a, member_a, tea_a, device_a
):
    push(phone(device_a.token), [receipt_rec(member_a, tea_a)], pending=4)
    client.login(username=chair_a.phone, password=PASSWORD)
    listed = client.get(API.format(slug="coop-a") + "devices", HTTP_ACCEPT_LANGUAGE="en").json()
    assert listed[0]["records_sent"] == 1 and listed[0]["pending_count"] == 4
    url = API.format(slug="coop-a") + f"devices/{device_a.device.uuid}/revoke"
    answer = client.post(url, json.dumps({"reason": "phone lost"}), content_type="application/json")
    assert answer.status_code == 200 and answer.json()["revoked_at"]
    assert (
        client.post(
            API.format(slug="coop-a") + f"devices/{uuid.uuid4()}/revoke",
            json.dumps({"reason": "x"}),
            content_type="application/json",
        ).status_code
        == 404
    )
    client.login(username=collector_a.phone, password=PASSWORD)
    assert client.get(API.format(slug="coop-a") + "devices").status_code == 403


def test_device_routes_are_gated():
    assert set(DEVICE_ROUTES) == {"sync_push", "sync_pull"}


@pytest.mark.parametrize("kind", ["receipt", "advance"])
def test_a_synced_record_is_small(kind, coop_a, member_a, tea_a, device_a):
    record = receipt_rec(member_a, tea_a) if kind == "receipt" else advance_rec(member_a, 100_000)
    body = json.dumps({"records": [record], "pending": 0}, separators=(",", ":")).encode()
    answer = push(phone(device_a.token), [record])
    assert len(body) + len(answer.content) < 1024


def test_every_device_route_refuses_strangers(coop_a, coop_b, chair_a, chair_b, device_a):
    """Each device route of the schema: no token, a personal token, an unknown device, another
    cooperative's device → refused; nothing of coop_a readable."""
    from hoptac.api.services import token_create

    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    device_ops = [
        (method.upper(), path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if op.get("operationId") in DEVICE_ROUTES
    ]
    assert {op["operationId"] for _m, _p, op in device_ops} == set(DEVICE_ROUTES)
    personal = token_create(user=chair_a, name="script").secret
    b_device = new_device(coop_b, chair_b)
    callers = {
        "anonymous": (Client(), 401),
        "personal token": (phone(personal), 401),
        "unknown device": (phone("htd_" + "B" * 40), 401),
        "coop_b's device": (phone(b_device.token), 404),
    }
    problems = []
    for method, path, op in device_ops:
        assert op.get("security"), f"{path}: no authentication in the schema"
        url = path.replace("{slug}", "coop-a")
        for who, (client, expected) in callers.items():
            if method == "GET":
                answer = client.get(url)
            else:
                answer = client.post(url, json.dumps({"records": []}), content_type="application/json")
            if answer.status_code != expected:
                problems.append(f"{method} {url} as {who}: {answer.status_code}")
    assert not problems, "\n".join(problems)


# --- the same record at the same moment (threads, own connections; PostgreSQL's real race) ---


def _push_together(batches: list[tuple[str, list]]) -> list[list[dict]]:
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(batches))
    answers: list[list[dict]] = [[] for _ in batches]

    def run(index: int, token: str, records: list) -> None:
        try:
            client = phone(token)
            barrier.wait(timeout=30)
            answers[index] = push(client, records).json()["results"]
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *batch)) for i, batch in enumerate(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.django_db(transaction=True)
def test_same_key_at_once_applies_once(coop_a, member_a, tea_a, device_a):
    receipt = receipt_rec(member_a, tea_a)
    advance = advance_rec(member_a, 100_000)
    answers = _push_together([(device_a.token, [receipt, advance])] * 3)
    statuses = sorted(a[0]["status"] for a in answers), sorted(a[1]["status"] for a in answers)
    assert statuses == ([200, 200, 201], [200, 200, 201]), answers
    assert len({a[0]["number"] for a in answers}) == 1
    with tenant(coop_a):
        assert (SyncRecord.objects.count(), Receipt.objects.count(), Entry.objects.count()) == (2, 1, 2)
        from hoptac.ledger.selectors import member_balance

        balance = member_balance(member_a)
        assert (balance.payable, balance.receivable) == (200_000, 100_000)


@pytest.mark.django_db(transaction=True)
def test_two_devices_same_member_at_once(coop_a, member_a, tea_a, device_a, collector_a):
    other = new_device(coop_a, collector_a, "Máy 2")
    with tenant(coop_a):
        services.field_settings_set(price_tolerance_pct=10, advance_limit_vnd=250_000)
    first, second = _push_together(
        [(device_a.token, [receipt_rec(member_a, tea_a, qty="3")]), (other.token, [receipt_rec(member_a, tea_a, qty="4")])]
    )
    assert first[0]["status"] == second[0]["status"] == 201
    # The cooperative owes the member 140.000: one advance of 200.000 leaves 60.000 owed
    # (under the 250.000 limit), two would leave 260.000: the member lock serialises the
    # limit check, so the second sees the first and waits for the chair.
    first, second = _push_together(
        [(device_a.token, [advance_rec(member_a, 200_000)]), (other.token, [advance_rec(member_a, 200_000)])]
    )
    assert sorted([first[0]["status"], second[0]["status"]]) == [201, 202]
    with tenant(coop_a):
        from hoptac.ledger.selectors import member_balance

        balance = member_balance(member_a)
        assert (balance.payable, balance.receivable) == (140_000, 200_000)
        numbers = sorted(Receipt.objects.values_list("number", flat=True))
        assert numbers == [numbers[0], numbers[0] + 1]

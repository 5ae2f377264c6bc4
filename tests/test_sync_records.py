"""record_apply: each phone record applied exactly once, through the web forms' services;
refusals per record; flags, limits, households; the review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from hoptac.coops import services as coop_services
from hoptac.coops.models import Member, MemberStatus
from hoptac.core.tenancy import tenant
from hoptac.ledger.models import Entry
from hoptac.ledger.selectors import member_balance
from hoptac.offtake.models import Receipt
from hoptac.sync import selectors, services
from hoptac.sync.models import State, SyncRecord
from tests.sync_fixtures import advance_rec, household_rec, new_device, receipt_rec


def apply(device, record, via="api"):
    with translation.override("en"):
        return services.record_apply(
            device=device.device if hasattr(device, "device") else device, record=record, via=via
        )


def counts(coop):
    with tenant(coop):
        return (
            SyncRecord.objects.count(),
            Receipt.objects.count(),
            Entry.objects.count(),
            Member.objects.count(),
        )


def test_receipt_applied_once_replayed_and_conflict(coop_a, member_a, tea_a, device_a):
    record = receipt_rec(member_a, tea_a)
    first = apply(device_a, record)
    assert first["status"] == 201 and first["state"] == "applied"
    assert first["number"].startswith("PTM-")
    again = apply(device_a, record)
    assert again == {**first, "status": 200, "replay": True}
    other = {**record, "body": {**record["body"], "note": "changed"}}
    before = counts(coop_a)
    conflict = apply(device_a, other)
    assert conflict["status"] == 409 and conflict["state"] == "conflict"
    assert counts(coop_a) == before
    with tenant(coop_a):
        receipt = Receipt.objects.get()
        assert receipt.field_no == "A7-0001" and str(receipt.client_key) == record["key"]
        assert receipt.collector == device_a.device.user
        assert receipt.total_vnd == 200_000
        # The member's SMS was queued by the receipt service, once.
        from hoptac.outbox.models import Message

        assert Message.objects.filter(member=member_a).count() == 1


def test_far_price_is_flagged_with_both_prices(coop_a, member_a, tea_a, device_a):
    answer = apply(device_a, receipt_rec(member_a, tea_a, price=25_000))
    assert answer["status"] == 201 and answer["state"] == "flagged"
    assert "25.000" in answer["message"] and "20.000" in answer["message"]
    with tenant(coop_a):
        stored = SyncRecord.objects.get()
        assert (stored.seen_price_vnd, stored.force_price_vnd) == (25_000, 20_000)
        assert stored.receipt.total_vnd == 250_000
    # Within the tolerance (10 %): applied, at the collector's price.
    near = apply(device_a, receipt_rec(member_a, tea_a, price=21_000))
    assert near["state"] == "applied"


def test_refusals_are_per_record_and_kept(coop_a, member_a, member_a2, tea_a, device_a, chair_a):
    with tenant(coop_a):
        coop_services.member_leave(member=member_a2, left_on=timezone.localdate(), reason="moved")
    left_record = receipt_rec(member_a2, tea_a)
    left = apply(device_a, left_record)
    assert left["status"] == 422 and "left the cooperative" in left["message"]
    next_year = (timezone.localtime() + dt.timedelta(days=366)).isoformat()
    future = apply(device_a, receipt_rec(member_a, tea_a, at=next_year))
    assert future["status"] == 422 and future["state"] == "refused"
    assert apply(device_a, {"key": "nope"})["status"] == 422
    assert apply(device_a, {**receipt_rec(member_a, tea_a), "kind": "gift"})["status"] == 422
    good = apply(device_a, receipt_rec(member_a, tea_a))
    assert good["status"] == 201
    # A refused record is kept under its key: the retry gets the same answer.
    assert apply(device_a, left_record)["message"] == left["message"]
    with tenant(coop_a):
        assert Receipt.objects.count() == 1


def test_advance_over_limit_waits_for_the_chair(coop_a, member_a, device_a, chair_a):
    with tenant(coop_a):
        services.field_settings_set(price_tolerance_pct=10, advance_limit_vnd=1_000_000)
    small = apply(device_a, advance_rec(member_a, 600_000))
    assert small["status"] == 201 and small["number"].startswith("TU-")
    big_record = advance_rec(member_a, 600_000)
    big = apply(device_a, big_record)
    assert big["status"] == 202 and big["state"] == "pending"
    with tenant(coop_a):
        assert member_balance(member_a).receivable == 600_000
        record = SyncRecord.objects.get(key=big["key"])
        services.advance_approve(record=record, actor=chair_a)
        assert member_balance(member_a).receivable == 1_200_000
        with pytest.raises(ValidationError):
            services.advance_approve(record=record, actor=chair_a)
        assert member_balance(member_a).receivable == 1_200_000
    again = apply(device_a, big_record)
    assert again["state"] == "applied" and again["replay"] is True
    pulled = selectors.pull(device=device_a.device)
    assert [r["key"] for r in pulled["records"]] == [big["key"]]


def test_two_devices_same_member_offline(coop_a, member_a, tea_a, device_a, collector_a):
    other = new_device(coop_a, collector_a, "Máy 2")
    assert other.device.prefix != device_a.device.prefix
    one = apply(device_a, receipt_rec(member_a, tea_a, qty="10", no=f"{device_a.device.prefix}-0001"))
    two = apply(other, receipt_rec(member_a, tea_a, qty="5", no=f"{other.device.prefix}-0001"))
    assert one["status"] == two["status"] == 201
    numbers = sorted(int(a["number"][4:]) for a in (one, two))
    assert numbers[1] == numbers[0] + 1
    with tenant(coop_a):
        assert member_balance(member_a).payable == 300_000


def test_household_then_records_naming_it(coop_a, member_a, tea_a, device_a, accountant_a):
    household = household_rec(commune=coop_a.commune_code)
    receipt = receipt_rec(household["key"], tea_a)
    # The receipt arrives first: retry later, nothing stored.
    before = counts(coop_a)
    assert apply(device_a, receipt)["status"] == 503
    assert counts(coop_a) == before
    made = apply(device_a, household)
    assert made["status"] == 201 and made["member"]
    assert apply(device_a, receipt)["status"] == 201
    with tenant(coop_a):
        new = Member.objects.get(uuid=made["member"])
        assert new.receipts.count() == 1
        stored = SyncRecord.objects.get(key=household["key"])
        assert stored.state == State.PROVISIONAL
        services.household_accept(record=stored, actor=accountant_a)
        assert SyncRecord.objects.get(pk=stored.pk).state == State.ACCEPTED


def test_household_merged_by_phone_and_by_staff(coop_a, member_a, tea_a, device_a, chair_a):
    with tenant(coop_a):
        member_a.phone = "0912345678"
        member_a.save()
    same = apply(device_a, household_rec(phone="091 234 5678", commune=coop_a.commune_code))
    assert same["member"] == str(member_a.uuid)
    fresh = household_rec("Vàng Thị Dợ", commune=coop_a.commune_code, no="A7-0009")
    made = apply(device_a, fresh)
    with tenant(coop_a):
        record = SyncRecord.objects.get(key=fresh["key"])
        services.household_merge(record=record, into=member_a, actor=chair_a)
        assert Member.objects.get(uuid=made["member"]).status == MemberStatus.LEFT
    later = apply(device_a, receipt_rec(fresh["key"], tea_a))
    assert later["status"] == 201
    with tenant(coop_a):
        assert Receipt.objects.get().member == member_a


def test_revoked_device_replays_but_records_nothing_new(coop_a, chair_a, member_a, tea_a, device_a):
    sent = receipt_rec(member_a, tea_a)
    first = apply(device_a, sent)
    with tenant(coop_a):
        services.device_revoke(device=device_a.device, reason="lost", actor=chair_a)
        device = SyncRecord.objects.get().device
    assert services.record_apply(device=device, record=sent, via="sms")["number"] == first["number"]
    assert services.record_apply(device=device, record=receipt_rec(member_a, tea_a), via="sms")["status"] == 401
    with tenant(coop_a):
        assert Receipt.objects.count() == 1


def test_device_tokens_and_revoke(coop_a, coop_b, chair_a, device_a):
    device = selectors.device_for_token(device_a.token)
    assert device == device_a.device and device.cooperative == coop_a
    assert selectors.device_for_token("htd_" + "x" * 40) is None
    assert selectors.device_for_token("garbage") is None
    assert selectors.device_for_prefix(coop_a, device.prefix) == device
    assert selectors.device_for_prefix(coop_b, device.prefix) is None
    with tenant(coop_a):
        services.device_revoke(device=device, reason="phone lost", actor=chair_a)
    assert selectors.device_for_token(device_a.token).revoked_at is not None

"""The field app's staff pages: phones (chair), records needing a look, and who may do what."""

from __future__ import annotations

import re

import pytest

from hoptac.coops.models import Member, MemberStatus
from hoptac.core.tenancy import tenant
from hoptac.ledger.selectors import member_balance
from hoptac.offtake.models import Receipt, ReceiptStatus
from hoptac.sync import services
from hoptac.sync.models import Device, State, SyncRecord
from tests.sync_fixtures import advance_rec, household_rec, receipt_rec


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def send(device, record):
    return services.record_apply(device=device.device, record=record, via="api")


def record_of(coop, answer) -> SyncRecord:
    with tenant(coop):
        return SyncRecord.objects.get(key=answer["key"])


def test_devices_page_and_revoke_with_a_reason(english, login, coop_a, chair_a, device_a):
    client = login(chair_a)
    page = client.get("/c/coop-a/field-admin/devices/")
    assert page.status_code == 200 and device_a.device.name in page.content.decode()
    url = f"/c/coop-a/field-admin/devices/{device_a.device.uuid}/revoke/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    with tenant(coop_a):
        assert Device.objects.get().revoked_at is None
    assert client.post(url, {"reason": "Mất máy"}).status_code == 302
    with tenant(coop_a):
        device = Device.objects.get()
        assert device.revoked_at is not None and device.revoke_reason == "Mất máy"
        assert device.revoked_by == chair_a


def test_only_the_chair_sees_phones(login, accountant_a, collector_a, device_a):
    assert login(accountant_a).get("/c/coop-a/field-admin/devices/").status_code == 403
    assert login(collector_a).get("/c/coop-a/field-admin/review/").status_code == 403
    assert login(accountant_a).get("/c/coop-a/field-admin/review/").status_code == 200


def test_settings_page(english, login, coop_a, chair_a):
    client = login(chair_a)
    assert client.post(
        "/c/coop-a/field-admin/settings/",
        {"price_tolerance_pct": "5", "advance_limit_vnd": "2.000.000", "sms_number": "0912 000 111"},
    ).status_code == 302
    with tenant(coop_a):
        current = services.field_settings()
        assert (current.price_tolerance_pct, current.advance_limit_vnd, current.sms_number) == (
            5,
            2_000_000,
            "0912000111",
        )
    assert client.post(
        "/c/coop-a/field-admin/settings/", {"price_tolerance_pct": "500", "advance_limit_vnd": "1"}
    ).status_code == 400


def test_flagged_receipt_accept_and_void(english, login, coop_a, accountant_a, member_a, tea_a, device_a):
    first = record_of(coop_a, send(device_a, receipt_rec(member_a, tea_a, price=30_000, no="A7-0001")))
    second = record_of(coop_a, send(device_a, receipt_rec(member_a, tea_a, price=30_000, no="A7-0002")))
    client = login(accountant_a)
    review = client.get("/c/coop-a/field-admin/review/").content.decode()
    assert re.search(r"30[.,]000", review) and re.search(r"20[.,]000", review)
    page = client.get(f"/c/coop-a/field-admin/review/{first.pk}/").content.decode()
    assert 'data-seen="30000"' in page and 'data-force="20000"' in page
    assert client.post(f"/c/coop-a/field-admin/review/{first.pk}/", {"action": "accept"}).status_code == 302
    assert client.post(f"/c/coop-a/field-admin/review/{first.pk}/", {"action": "accept"}).status_code == 400
    assert client.post(f"/c/coop-a/field-admin/review/{second.pk}/", {"action": "void"}).status_code == 400
    assert client.post(
        f"/c/coop-a/field-admin/review/{second.pk}/", {"action": "void", "reason": "Cân sai"}
    ).status_code == 302
    with tenant(coop_a):
        assert SyncRecord.objects.get(pk=first.pk).state == State.ACCEPTED
        assert Receipt.objects.get(pk=second.receipt_id).status == ReceiptStatus.VOIDED
        assert member_balance(member_a).payable == 300_000
    # The phone hears of the void at its next pull.
    from hoptac.sync.selectors import pull

    states = {r["key"]: r["state"] for r in pull(device=device_a.device)["records"]}
    assert states[str(second.key)] == "refused" and states[str(first.key)] == "applied"


def test_pending_advance_only_the_chair_approves(
    english, login, coop_a, chair_a, accountant_a, member_a, device_a
):
    with tenant(coop_a):
        services.field_settings_set(price_tolerance_pct=10, advance_limit_vnd=100_000)
    pending = record_of(coop_a, send(device_a, advance_rec(member_a, 500_000)))
    declined = record_of(coop_a, send(device_a, advance_rec(member_a, 400_000)))
    url = f"/c/coop-a/field-admin/review/{pending.pk}/"
    assert login(accountant_a).post(url, {"action": "approve"}).status_code == 403
    client = login(chair_a)
    assert "Approve" in client.get(url).content.decode()
    assert client.post(url, {"action": "approve"}).status_code == 302
    assert client.post(
        f"/c/coop-a/field-admin/review/{declined.pk}/", {"action": "decline", "reason": "Quá nhiều"}
    ).status_code == 302
    with tenant(coop_a):
        assert member_balance(member_a).receivable == 500_000
        assert SyncRecord.objects.get(pk=declined.pk).state == State.DECLINED


def test_household_accept_merge_decline(english, login, coop_a, chair_a, member_a, tea_a, device_a):
    one = record_of(coop_a, send(device_a, household_rec("Giàng Thị Mỷ", commune=coop_a.commune_code, no="A7-1")))
    two = record_of(
        coop_a, send(device_a, household_rec(member_a.full_name, commune=coop_a.commune_code, no="A7-2"))
    )
    three = record_of(coop_a, send(device_a, household_rec("Lò Văn Sử", commune=coop_a.commune_code, no="A7-3")))
    send(device_a, receipt_rec(three.key, tea_a))
    client = login(chair_a)
    assert client.post(f"/c/coop-a/field-admin/review/{one.pk}/", {"action": "household_accept"}).status_code == 302
    page = client.get(f"/c/coop-a/field-admin/review/{two.pk}/").content.decode()
    assert str(member_a.uuid) in page  # offered as the member to merge into
    assert client.post(
        f"/c/coop-a/field-admin/review/{two.pk}/", {"action": "merge", "into": str(member_a.uuid)}
    ).status_code == 302
    # A household with a receipt already cannot be declined.
    refused = client.post(
        f"/c/coop-a/field-admin/review/{three.pk}/", {"action": "household_decline", "reason": "không rõ"}
    )
    assert refused.status_code == 400 and "cannot be declined" in refused.content.decode()
    with tenant(coop_a):
        assert SyncRecord.objects.get(pk=one.pk).state == State.ACCEPTED
        assert Member.objects.get(pk=two.member_id).status == MemberStatus.LEFT
        assert SyncRecord.objects.get(pk=two.pk).member == member_a
        assert SyncRecord.objects.get(pk=three.pk).state == State.PROVISIONAL


def test_receipt_page_shows_the_phones_number(english, login, coop_a, accountant_a, member_a, tea_a, device_a):
    answer = send(device_a, receipt_rec(member_a, tea_a, no="PZ-0042"))
    with tenant(coop_a):
        receipt = Receipt.objects.get(client_key=answer["key"])
    page = login(accountant_a).get(f"/c/coop-a/buying/receipts/{receipt.uuid}/").content.decode()
    assert "PZ-0042" in page

"""A field record handed over by SMS (issue 14, deliverable 3), end to end through the inbound
gateway webhook as a gateway posts it: applied exactly once with a reply carrying PTM-…, the
same text again (a new gateway id) and then the same record through the API push give the
same number and no second receipt; a changed text, another phone, a revoked device are
refused and nothing is stored; members' commands still work."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.ledger.selectors import member_balance
from hoptac.lib.sms import is_gsm7, sms_length
from hoptac.notify import prefixes
from hoptac.notify.models import InboundSms, MemberText
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Receipt
from hoptac.outbox.models import Kind, Message
from hoptac.sync import services as sync_services
from hoptac.sync import smsform, smsinbound
from hoptac.sync.models import Device, SyncRecord
from tests.conftest import make_user

URL = "/hooks/sms/esms/s3cret/"


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
        "HOOK_SECRETS": {"esms": "s3cret"},
    }


@pytest.fixture
def collector_en(collector_a):
    collector_a.language = "en"
    collector_a.save(update_fields=["language"])
    return collector_a


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        offtake.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=3)
        )
    return product


@pytest.fixture
def registered(coop_a, collector_en):
    with tenant(coop_a):
        return sync_services.device_register(user=collector_en, name="Páo's phone")


@pytest.fixture
def device(registered):
    return registered.device


_ids = iter(range(1, 100_000))


def post_sms(client, phone, text, msg_id=None):
    data = {"phone": phone, "message": text, "id": msg_id or f"gw-{next(_ids)}"}
    response = client.post(URL, data)
    assert response.status_code == 200 and response.json() == {"ok": True}
    return response


def receipt(member, product, device, *, n=1, price=500_000, qty="12.5"):
    at = timezone.localtime(timezone.now() - dt.timedelta(minutes=20)).replace(microsecond=0)
    return {
        "key": str(uuid.uuid4()),
        "kind": "receipt",
        "no": f"{device.prefix}-{n:04d}",
        "at": at.isoformat(),
        "body": {
            "member": str(member.uuid),
            "point": None,
            "lines": [
                {"product": product.pk, "grade": 1, "qty": qty, "unit": "l", "ded": "0", "price": price}
            ],
            "total": int(price * float(qty)),
            "note": "",
        },
    }


def replies() -> list[Message]:
    return list(Message.unscoped.filter(kind=Kind.REPLY).order_by("id"))


def test_the_sync_handler_is_registered():
    assert prefixes.handler_for("HT1 RA7-0001 …") is smsinbound.handle
    assert prefixes.handler_for("ht1 x") is smsinbound.handle
    assert prefixes.handler_for("GIA") is None and prefixes.handler_for("") is None


def test_a_receipt_by_sms_is_applied_once_and_the_api_push_replays_it(
    client, coop_a, member_a, honey, registered, device
):
    record = receipt(member_a, honey, device)
    text = smsform.encode(record, sms_key=device.sms_key)
    post_sms(client, "0911000103", text, msg_id="gw-first")
    [stored] = Receipt.unscoped.all()
    assert stored.code.startswith("PTM-") and stored.member_id == member_a.pk
    assert stored.total_vnd == 6_250_000 and stored.collector_id == device.user_id
    [sync_record] = SyncRecord.unscoped.all()
    assert sync_record.via == "sms" and str(sync_record.key) == record["key"]
    [reply] = replies()
    assert reply.to_phone == "0911000103" and reply.channel == "sms" and reply.cooperative_id == coop_a.pk
    assert reply.source_type == "field-sms"
    assert f"record {record['no']} is recorded as {stored.code}" in reply.body
    assert is_gsm7(reply.body) and sms_length(reply.body).segments == 1
    assert InboundSms.objects.get().known

    # The gateway delivers the same message again: nothing new, no second reply.
    post_sms(client, "0911000103", text, msg_id="gw-first")
    assert Receipt.unscoped.count() == 1 and len(replies()) == 1

    # The collector sends the same SMS again (a new gateway id): same number, no second receipt.
    post_sms(client, "0911000103", text)
    assert Receipt.unscoped.count() == 1 and SyncRecord.unscoped.count() == 1
    again = replies()[-1].body
    assert stored.code in again and "Already received" in again

    # Data comes back: the phone pushes the same record through the API: a replay.
    response = client.post(
        f"/api/v1/c/{coop_a.slug}/sync/push",
        {"pending": 0, "records": [record]},
        content_type="application/json",
        headers={"authorization": f"Bearer {registered.token}"},
    )
    assert response.status_code == 200, response.content
    [answer] = response.json()["results"]
    assert answer["status"] == 200 and answer["replay"] is True and answer["number"] == stored.code
    assert Receipt.unscoped.count() == 1
    with tenant(coop_a):
        assert member_balance(member_a).payable == 6_250_000


def test_an_advance_by_sms(client, coop_a, member_a, device):
    advance = {
        "key": str(uuid.uuid4()),
        "kind": "advance",
        "no": f"{device.prefix}-0002",
        "at": timezone.localtime().replace(microsecond=0).isoformat(),
        "body": {"member": str(member_a.uuid), "amount": 300_000, "memo": "Tiền giống"},
    }
    post_sms(client, "0911000103", smsform.encode(advance, sms_key=device.sms_key))
    [stored] = SyncRecord.unscoped.all()
    assert stored.via == "sms" and stored.state in ("applied", "pending")
    assert f"record {advance['no']}" in replies()[-1].body


def test_a_changed_text_is_refused_with_a_reply_and_nothing_stored(client, member_a, honey, device):
    text = smsform.encode(receipt(member_a, honey, device), sms_key=device.sms_key)
    tampered = text.replace(",12.5,", ",92.5,")
    assert tampered != text
    post_sms(client, "0911000103", tampered)
    assert Receipt.unscoped.count() == 0 and SyncRecord.unscoped.count() == 0
    [reply] = replies()
    assert "was not recorded" in reply.body and "check code" in reply.body
    garbled = text[: len(text) // 2]
    post_sms(client, "0911000103", garbled)
    assert Receipt.unscoped.count() == 0 and "could not be read" in replies()[-1].body


def test_a_text_from_another_phone_is_refused(client, coop_a, member_a, honey, device, chair_a):
    other = make_user("0911000199", "Người khác")
    other.language = "en"  # the reply is read in English below
    other.save(update_fields=["language"])
    with tenant(coop_a):
        sync_services.device_register(user=other, name="Other phone")
    text = smsform.encode(receipt(member_a, honey, device), sms_key=device.sms_key)
    post_sms(client, "0911000199", text)  # a collector's record sent from another collector's phone
    assert Receipt.unscoped.count() == 0 and SyncRecord.unscoped.count() == 0
    assert "check code" in replies()[-1].body and replies()[-1].to_phone == "0911000199"
    post_sms(client, "0911000101", text)  # the chair's phone: no device, not a member: nothing
    post_sms(client, "0977000000", text)  # an unknown phone: nothing
    assert Receipt.unscoped.count() == 0 and len(replies()) == 1


def test_a_revoked_device_is_refused(client, coop_a, member_a, honey, device, chair_a):
    with tenant(coop_a):
        sync_services.device_revoke(device=device, reason="Lost", actor=chair_a)
    post_sms(client, "0911000103", smsform.encode(receipt(member_a, honey, device), sms_key=device.sms_key))
    assert Receipt.unscoped.count() == 0 and SyncRecord.unscoped.count() == 0
    assert "switched off by the chair" in replies()[-1].body


def test_a_refused_record_is_answered_with_why(client, coop_a, member_a, honey, device):
    from hoptac.coops.models import Member, MemberStatus

    Member.unscoped.filter(pk=member_a.pk).update(status=MemberStatus.LEFT, left_on=timezone.localdate())
    post_sms(client, "0911000103", smsform.encode(receipt(member_a, honey, device), sms_key=device.sms_key))
    assert Receipt.unscoped.count() == 0
    assert "was NOT recorded" in replies()[-1].body and "left the cooperative" in replies()[-1].body


def test_replies_are_limited_but_records_still_applied(client, member_a, honey, device, monkeypatch):
    monkeypatch.setattr(smsinbound, "REPLIES_PER_HOUR", 2)
    for n in range(1, 4):
        post_sms(
            client,
            "0911000103",
            smsform.encode(receipt(member_a, honey, device, n=n), sms_key=device.sms_key),
        )
    assert Receipt.unscoped.count() == 3 and len(replies()) == 2


def test_members_commands_still_work(client, member_a, honey, device):
    post_sms(client, "0987654321", "GIA")
    [reply] = replies()
    assert reply.member_id == member_a.pk and "500.000" in reply.body
    post_sms(client, "0987654321", "HT1 hello")  # a member typing HT1: not a collector, the help
    assert MemberText.unscoped.count() == 2 and len(replies()) == 2


def test_pushed_first_then_the_same_record_by_sms_gets_the_same_number(
    client, coop_a, member_a, honey, device
):
    record = receipt(member_a, honey, device)
    first = sync_services.record_apply(device=device, record=record, via="api")
    assert first["status"] == 201 and first["number"].startswith("PTM-")
    post_sms(client, "0911000103", smsform.encode(record, sms_key=device.sms_key))
    assert Receipt.unscoped.count() == 1
    body = replies()[-1].body
    assert "Already received" in body and first["number"] in body


def test_a_collector_of_two_cooperatives_is_answered_by_the_right_one(
    client, coop_a, coop_b, member_b, device, collector_en
):
    from hoptac.accounts.services import membership_set
    from hoptac.core.roles import Role

    membership_set(user=collector_en, cooperative=coop_b, role=Role.COLLECTOR)
    with tenant(coop_b):
        other = sync_services.device_register(user=collector_en, name="Same phone, other coop").device
        tea = Product.objects.create(cooperative=coop_b, name="Chè", code="CHE", base_unit="kg")
        offtake.price_set(
            product=tea, grade=1, price_vnd=20_000, effective_from=timezone.now() - dt.timedelta(days=3)
        )
    # The same prefix in both cooperatives: the check code tells the devices apart.
    Device.unscoped.filter(pk=other.pk).update(prefix=device.prefix)
    other.refresh_from_db()
    record = receipt(member_b, tea, other, price=20_000, qty="10")
    record["body"]["lines"][0]["unit"] = "kg"
    post_sms(client, "0911000103", smsform.encode(record, sms_key=other.sms_key))
    [stored] = Receipt.unscoped.all()
    assert stored.cooperative_id == coop_b.pk and stored.member_id == member_b.pk
    reply = replies()[-1]
    assert reply.cooperative_id == coop_b.pk and stored.code in reply.body and "Tay Con Linh" in reply.body


def test_a_collector_who_lost_the_role_is_refused(client, coop_a, member_a, honey, device, collector_en):
    from hoptac.accounts.models import Membership

    Membership.objects.filter(user=collector_en, cooperative=coop_a).delete()
    post_sms(client, "0911000103", smsform.encode(receipt(member_a, honey, device), sms_key=device.sms_key))
    assert Receipt.unscoped.count() == 0 and SyncRecord.unscoped.count() == 0
    assert "can no longer record receipts" in replies()[-1].body


def test_the_device_is_seen(client, member_a, honey, device):
    assert device.last_seen_at is None
    post_sms(client, "0911000103", smsform.encode(receipt(member_a, honey, device), sms_key=device.sms_key))
    device.refresh_from_db()
    assert device.last_seen_at is not None and device.last_push_at is not None

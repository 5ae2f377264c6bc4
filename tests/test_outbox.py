"""The outbox: rows written with their cause, sent once by the worker, retried, held by
the quota, and falling back to the next channel."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hoptac.core.tenancy import tenant
from hoptac.outbox import dispatch, services
from hoptac.outbox.models import Attempt, Channel, Kind, Message, Status
from hoptac.outbox.transports import Outcome


@pytest.fixture(autouse=True)
def _outbox_files(settings, tmp_path):
    settings.OUTBOX = {
        **settings.OUTBOX,
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
        "WORKER": "off",
        "ZALO_BACKEND": "file",
        "ZALO": {**settings.OUTBOX["ZALO"], "TEMPLATES": {"announcement": "2001", "receipt": "2002"}},
    }
    return tmp_path / "outbox"


def sms_files(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(root.glob("sms/*/*.json"))]


def test_queue_then_drain_writes_one_sms(coop_a, member_a, _outbox_files):
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Mai thu mua mật ong ở điểm Pả Vi", member=member_a)
    assert message.status == Status.QUEUED
    assert message.channel == Channel.SMS
    assert message.body == "Mai thu mua mat ong o diem Pa Vi"  # unaccented by default
    assert message.segments == 1 and message.cost_vnd == 800
    assert dispatch.drain() == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 1
    files = sms_files(_outbox_files)
    assert [f["phone"] for f in files] == ["0987654321"]
    assert files[0]["request_id"] == message.request_id
    assert dispatch.drain() == 0  # nothing sent twice


def test_resend_of_the_same_request_id_is_a_duplicate_not_a_second_sms(coop_a, member_a, _outbox_files):
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Hop thanh vien 8h", member=member_a)
    # A worker claims it, writes the SMS, then "dies" before recording the result.
    [claimed] = dispatch.claim("dead-worker")
    from hoptac.outbox.transports import transport_for

    assert transport_for("sms").send(claimed).kind == "sent"
    Message.unscoped.filter(pk=message.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert dispatch.drain(worker="new-worker") == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 2
    assert list(Attempt.unscoped.filter(message=message).values_list("outcome", flat=True)) == ["duplicate"]
    assert len(sms_files(_outbox_files)) == 1


def test_zalo_then_sms_falls_back_on_permanent_failure(coop_a, member_a, settings, monkeypatch):
    member_a.channels = "zalo,sms"
    member_a.save()
    from hoptac.outbox.transports import dev

    monkeypatch.setattr(dev.FileZalo, "send", lambda self, m: Outcome.permanent("-118", "no Zalo account"))
    with tenant(coop_a):
        first = services.queue(kind=Kind.ANNOUNCEMENT, text="Giá mật ong hôm nay 500.000đ", member=member_a)
    assert first.channel == Channel.ZALO and first.fallbacks == "sms"
    dispatch.drain()
    first.refresh_from_db()
    assert first.status == Status.FAILED and first.error_code == "-118"
    second = first.fallback
    assert second.channel == Channel.SMS and second.status == Status.SENT
    assert second.body == "Gia mat ong hom nay 500.000d"


def test_transient_failure_waits_and_retries(coop_a, member_a, monkeypatch):
    calls = []

    def flaky(self, message):
        calls.append(message.request_id)
        return Outcome.transient("timeout", "read timeout") if len(calls) == 1 else Outcome.sent("gw-1")

    from hoptac.outbox.transports import dev

    monkeypatch.setattr(dev.FileSms, "send", flaky)
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Thu mua", member=member_a)
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.QUEUED and message.next_attempt_at > timezone.now()
    assert dispatch.drain() == 0  # not due yet
    Message.unscoped.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.SENT and message.provider_id == "gw-1"
    assert calls == [message.request_id, message.request_id]  # same request id both times


def test_quota_holds_messages_and_sweep_releases_them(coop_a, member_a, member_a2):
    with tenant(coop_a):
        rules = services.messaging_settings()
        rules.sms_quota_segments = 1
        rules.save()
        one = services.queue(kind=Kind.OTHER, text="Mot", member=member_a)
        two = services.queue(kind=Kind.OTHER, text="Hai", member=member_a2)
    dispatch.drain()
    one.refresh_from_db()
    two.refresh_from_db()
    assert sorted([one.status, two.status]) == [Status.HELD, Status.SENT]
    assert services.quota_used(coop_a) == 1
    assert dispatch.sweep() == 0  # still no quota
    rules.sms_quota_segments = 10
    rules.save()
    assert dispatch.sweep() == 1
    dispatch.drain()
    assert set(Message.unscoped.values_list("status", flat=True)) == {Status.SENT}
    assert services.quota_used(coop_a) == 2


def test_member_who_texted_huy_gets_no_announcement(coop_a, member_a):
    member_a.messages_stopped_at = timezone.now()
    member_a.save()
    with tenant(coop_a):
        message = services.queue(kind=Kind.ANNOUNCEMENT, text="Thông báo", member=member_a)
        reply = services.queue(kind=Kind.REPLY, text="Da dung", member=member_a)
    assert message.status == Status.SKIPPED and message.error_code == "stopped"
    assert reply.status == Status.QUEUED


def test_member_without_phone_is_skipped_with_a_reason(coop_a):
    from tests.conftest import make_member

    member = make_member(coop_a, full_name="Không Điện Thoại", phone=None)
    with tenant(coop_a):
        message = services.queue(kind=Kind.ANNOUNCEMENT, text="Thông báo", member=member)
    assert message.status == Status.SKIPPED and message.error_code == "no_channel"


def test_buyer_by_phone_and_email(coop_a, mailoutbox):
    with tenant(coop_a):
        sms = services.queue(
            kind=Kind.ORDER, text="Đơn DH-0001 đã xác nhận", phone="0977000111", name="Khách"
        )
        mail = services.queue(
            kind=Kind.ORDER, text="Đơn DH-0001 đã xác nhận", email="khach@example.vn", subject="Đơn DH-0001"
        )
    dispatch.drain()
    sms.refresh_from_db()
    mail.refresh_from_db()
    assert sms.status == Status.SENT and mail.status == Status.SENT
    assert mailoutbox[0].to == ["khach@example.vn"] and "DH-0001" in mailoutbox[0].subject
    assert mailoutbox[0].extra_headers["Message-ID"] == f"<{mail.request_id}@hoptac>"


def test_bad_input_stores_nothing(coop_a, member_b):
    with tenant(coop_a):
        with pytest.raises(ValidationError):
            services.queue(kind=Kind.OTHER, text="   ", phone="0977000111")
        with pytest.raises(ValidationError):
            services.queue(kind=Kind.OTHER, text="x", member=member_b)  # another cooperative's member
        with pytest.raises(ValidationError):
            services.queue(kind=Kind.OTHER, text="x")
    assert Message.unscoped.count() == 0


def test_delivery_report_marks_delivered_once(coop_a, member_a, monkeypatch):
    from hoptac.outbox.transports import dev

    monkeypatch.setattr(dev.FileSms, "send", lambda self, m: Outcome.sent("SMS-42"))
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Thu", member=member_a)
    dispatch.drain()
    assert services.report_delivery(provider="file", provider_id="SMS-42", delivered=True)
    assert services.report_delivery(provider="file", provider_id="SMS-42", delivered=True)
    assert not services.report_delivery(provider="file", provider_id="nope", delivered=True)
    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert Attempt.unscoped.filter(message=message, outcome="delivered").count() == 1


def test_non_idempotent_gateway_interrupted_becomes_doubt(coop_a, member_a, monkeypatch):
    from hoptac.outbox.transports import dev

    monkeypatch.setattr(dev.FileSms, "idempotent", False)
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Thu", member=member_a)
    dispatch.claim("dead-worker")
    Message.unscoped.filter(pk=message.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert dispatch.drain() == 0
    message.refresh_from_db()
    assert message.status == Status.DOUBT
    old_id = message.request_id
    with tenant(coop_a):
        services.resend(message)
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.SENT and message.request_id != old_id

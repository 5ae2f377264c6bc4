"""The SMS quota is charged exactly once per message, whatever the worker does: a worker
killed after taking a batch's quota, or after taking one message's quota but before
recording the send, leaves rows that the next worker sends without charging them again
(issue 9, deliverable 9)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hoptac.core.tenancy import tenant
from hoptac.outbox import dispatch, services
from hoptac.outbox.models import Kind, Message, Status
from hoptac.outbox.transports import transport_for


@pytest.fixture(autouse=True)
def _outbox_files(settings, tmp_path):
    # The file backend remembers request ids, so a resend after a kill is a duplicate.
    settings.OUTBOX = {**settings.OUTBOX, "SMS_BACKEND": "file", "FILE_DIR": str(tmp_path), "WORKER": "off"}


class Killed(BaseException):
    """What the worker's process sees of SIGKILL: nothing after this point runs."""


def _queue(coop, count: int) -> list[Message]:
    with tenant(coop):
        rules = services.messaging_settings()
        rules.sms_quota_segments = 1000
        rules.save()
        for number in range(count):
            services.queue(
                kind=Kind.ANNOUNCEMENT, text=f"Thu mua mat ong dot {number}", phone=f"0987{number:06d}"
            )
    return list(Message.unscoped.order_by("pk"))


def _lease_runs_out() -> None:
    Message.unscoped.filter(status=Status.SENDING).update(lease_until=timezone.now() - dt.timedelta(seconds=1))


def test_a_batch_claimed_by_a_worker_killed_mid_batch_is_charged_once(coop_a):
    rows = _queue(coop_a, 5)
    segments = sum(m.segments for m in rows)
    # The first worker claims the batch, charges its quota, sends two, and is killed.
    claimed = dispatch.claim("worker-1")
    dispatch._take_quota_for_batch(claimed, "worker-1")
    for message in claimed[:2]:
        dispatch.send_claimed(message, "worker-1")
    assert services.quota_used(coop_a) == segments
    _lease_runs_out()
    dispatch.drain(worker="worker-2")
    assert set(Message.unscoped.values_list("status", flat=True)) == {Status.SENT}
    assert services.quota_used(coop_a) == segments  # not 2 × the three left
    assert Message.unscoped.filter(quota_taken=True).count() == 5


def test_a_message_whose_worker_died_during_the_send_is_charged_once(coop_a, monkeypatch):
    [message] = _queue(coop_a, 1)
    transport = transport_for("sms")
    real_send = type(transport).send

    def send_then_die(self, row):
        real_send(self, row)  # the gateway got it…
        raise Killed  # …and the worker died before recording it

    monkeypatch.setattr(type(transport), "send", send_then_die)
    with pytest.raises(Killed):
        dispatch.drain(worker="worker-1")
    monkeypatch.setattr(type(transport), "send", real_send)
    assert services.quota_used(coop_a) == message.segments
    _lease_runs_out()
    dispatch.drain(worker="worker-2")
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 2
    assert services.quota_used(coop_a) == message.segments


def test_a_row_taken_over_by_another_worker_is_not_charged_by_the_first(coop_a):
    rows = _queue(coop_a, 3)
    claimed = dispatch.claim("worker-1")
    _lease_runs_out()
    dispatch.claim("worker-2")  # took them over
    assert services.quota_take_for(claimed, worker="worker-1") is True
    assert services.quota_used(coop_a) == 0
    assert not any(m.quota_taken for m in claimed)
    assert len(rows) == 3

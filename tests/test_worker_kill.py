"""A worker killed in the middle of a batch, then restarted: every message is sent exactly
once. Real processes (`hoptac worker`, Huey's consumer), a real database shared with them,
and the eSMS client talking HTTP to a fake eSMS that remembers request ids."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from hoptac.core.tenancy import tenant
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Attempt, Kind, Message, Status
from tests.fakes.gateways import Action, FakeEsms

ROOT = Path(__file__).resolve().parent.parent
N = 120
KILL_AT = 40  # the gateway takes this one, and the worker dies before hearing back


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hoptac.cli", "worker", "--threads", "1"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed as a whole
    )


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_then_restarted_sends_each_message_once(coop_a, settings, tmp_path):
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "SMS_BACKEND": "esms"}
    fake = FakeEsms()
    fake.hang_seconds = 60
    fake.hook = lambda f, number, payload: Action.ACCEPT_AND_HANG if number == KILL_AT else None
    fake.start()
    try:
        with tenant(coop_a):
            rules = outbox.messaging_settings()
            rules.sms_quota_segments = 10 * N
            rules.save()
            with transaction.atomic():
                outbox.queue_many(
                    (
                        (
                            outbox.Recipient(name=f"Hộ {i}", phone=f"0987{i:06d}", channels=["sms"]),
                            f"Thông báo số {i}",
                        )
                        for i in range(N)
                    ),
                    kind=Kind.ANNOUNCEMENT,
                )
        env = {
            **os.environ,
            "HOPTAC_DATA_DIR": str(tmp_path / "worker"),
            "HOPTAC_DATABASE_URL": _database_url(),
            "HOPTAC_WORKER": "external",
            "HOPTAC_SMS_BACKEND": "esms",
            "HOPTAC_ESMS_URL": fake.url,
            "HOPTAC_ESMS_API_KEY": fake.api_key,
            "HOPTAC_ESMS_SECRET_KEY": fake.secret_key,
            "HOPTAC_ESMS_BRANDNAME": "HOPTAC",
            "HOPTAC_GATEWAY_TIMEOUT": "30",
            "HOPTAC_OUTBOX_LEASE": "3",
            "HOPTAC_REDIS_URL": "",
        }
        log = tmp_path / "worker.log"

        first = _worker(env, log)
        _wait(lambda: fake.send_count >= KILL_AT, 60, "the first worker to reach the gateway 40 times")
        time.sleep(0.3)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)

        # The dead worker leaves what it had claimed as "sending"; the rest waits.
        sent_before = Message.unscoped.filter(status=Status.SENT).count()
        assert sent_before == KILL_AT - 1, log.read_text()[-2000:]
        assert Message.unscoped.filter(status=Status.SENDING).exists()
        assert len(fake.sms) == KILL_AT  # the 40th reached the gateway, unrecorded

        time.sleep(3.5)  # its lease runs out
        second = _worker(env, log)
        try:
            _wait(
                lambda: Message.unscoped.filter(status=Status.SENT).count() == N,
                120,
                "the second worker to send everything",
            )
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(timeout=20)
    finally:
        fake.stop()

    request_ids = {m.request_id for m in Message.unscoped.all()}
    accepted = [sms["RequestId"] for sms in fake.sms]
    assert len(accepted) == N, "a message was sent twice or never"
    assert set(accepted) == request_ids
    assert fake.duplicates >= 1  # the one in flight was offered again and recognised
    in_flight = Message.unscoped.get(request_id=accepted[KILL_AT - 1])
    assert list(Attempt.unscoped.filter(message=in_flight).values_list("outcome", flat=True)) == ["duplicate"]
    assert in_flight.attempts == 2
    # The quota was charged once per message, not again for the batch the dead worker held.
    segments = sum(Message.unscoped.values_list("segments", flat=True))
    assert outbox.quota_used(coop_a) == segments

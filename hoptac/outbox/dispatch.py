"""Sending what is in the outbox: claim due rows, hand each to its transport, record.

Run by the Huey worker (:mod:`hoptac.outbox.tasks`), or directly in tests and benchmarks.

Exactly once, even if a worker dies:

1. a worker *claims* rows (status ``sending``, a lease, its own id) in a short transaction;
2. it calls the gateway with the row's request id (``Message.request_id``);
3. it records the answer, only if it still holds the claim.

A worker that dies between 1 and 3 leaves rows ``sending`` with a lease that runs out.
The next claim takes them again: an idempotent gateway (eSMS, the file backend) answers
"duplicate" if step 2 had got through, so the member still gets one message. For a
gateway without request ids the row becomes ``doubt`` for staff to check; it is never
silently sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.locks import messages_claim

from . import services
from .models import Attempt, Channel, Message, Status
from .transports import Outcome, transport_for

log = logging.getLogger(__name__)

# Waits between attempts after a transient failure: 30 s, 2 min, 8 min, 30 min, 2 h.
BACKOFF_SECONDS = (30, 120, 480, 1800, 7200)
# Failures after which the gateway may or may not have the message (no answer in time, a
# broken connection). An idempotent gateway tells on the retry; for the others the row
# becomes "doubt" rather than risk a second SMS.
AMBIGUOUS_CODES = frozenset({"timeout", "dropped"})
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1


def worker_id() -> str:
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OUTBOX["LEASE_SECONDS"])


def _due(now):
    return Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, lease_until__lt=now)


def due_count(now=None) -> int:
    return Message.unscoped.filter(_due(now or timezone.now())).count()


def claim(worker: str, *, limit: int = 50) -> list[Message]:
    """Take up to ``limit`` due rows for ``worker``. Rows whose lease ran out are taken
    again if their gateway is idempotent, otherwise marked ``doubt``."""
    now = timezone.now()
    with transaction.atomic():
        rows = messages_claim(
            Message.unscoped.filter(_due(now)).select_related("cooperative").order_by("next_attempt_at", "id"),
            limit=limit,
        )
        claimed = []
        for message in rows:
            if message.status == Status.SENDING:  # a worker died holding it
                transport = transport_for(message.channel)
                if transport is None or not transport.idempotent:
                    message.status = Status.DOUBT
                    message.error_code = "interrupted"
                    message.error = _(
                        "The sending was interrupted and this gateway cannot tell whether it got "
                        "the message. Check with the recipient, then send again or mark as sent."
                    )
                    message.lease_until = None
                    message.save(update_fields=["status", "error_code", "error", "lease_until"])
                    continue
            message.status = Status.SENDING
            message.claimed_by = worker
            message.lease_until = now + _lease()
            message.attempts += 1
            claimed.append(message)
        Message.unscoped.bulk_update(claimed, ["status", "claimed_by", "lease_until", "attempts"])
    return claimed


def send_claimed(message: Message, worker: str) -> str:
    """Send one claimed row and record the outcome; returns the row's new status."""
    transport = transport_for(message.channel)
    if transport is None:
        outcome = Outcome.permanent("channel_off", _("This channel is not configured."))
    else:
        if (
            message.channel == Channel.SMS
            and not message.quota_taken
            and not services.quota_take_for([message], worker=worker)
        ):
            return _hold(message, worker)
        try:
            outcome = transport.send(message)
        except Exception as exc:  # noqa: BLE001 - a bug or an unexpected answer: retry, keep a trace
            log.exception("Transport %s failed on message %s", transport.name, message.pk)
            outcome = Outcome.transient("error", f"{type(exc).__name__}: {exc}")
        if outcome.kind == "transient" and outcome.code in AMBIGUOUS_CODES and not transport.idempotent:
            outcome = Outcome("unknown", code=outcome.code, detail=outcome.detail)
        message.provider = transport.name
    return record(message, worker, outcome)


def _hold(message: Message, worker: str) -> str:
    updated = Message.unscoped.filter(pk=message.pk, claimed_by=worker, status=Status.SENDING).update(
        status=Status.HELD,
        lease_until=None,
        attempts=message.attempts - 1,
        error_code="quota",
        error=_("The cooperative's SMS quota for this month is used up."),
    )
    return Status.HELD if updated else message.status


@transaction.atomic
def record(message: Message, worker: str, outcome: Outcome) -> str:
    """Store the outcome of one attempt, if ``worker`` still holds the row (one conditional
    UPDATE); a permanent failure writes the next channel's row in the same transaction."""
    now = timezone.now()
    changes: dict = {"provider": message.provider, "quota_taken": message.quota_taken, "lease_until": None}
    if outcome.kind in ("sent", "duplicate"):
        status = Status.DELIVERED if message.channel == Channel.APP else Status.SENT
        changes.update(status=status, sent_at=now, error_code="", error="")
        if status == Status.DELIVERED:
            changes["delivered_at"] = now
        if outcome.provider_id:
            changes["provider_id"] = outcome.provider_id[:80]
        if outcome.cost_vnd is not None:
            changes["cost_vnd"] = outcome.cost_vnd
    elif outcome.kind == "unknown":
        status = Status.DOUBT
        detail = _(
            "The gateway did not answer and cannot tell whether it got the message. "
            "Check with the recipient, then send again or mark as sent."
        )
        changes.update(
            status=status, error_code=outcome.code[:40], error=f"{detail} ({outcome.detail})"[:300]
        )
    elif outcome.kind == "transient" and message.attempts < MAX_ATTEMPTS:
        status = Status.QUEUED
        wait = BACKOFF_SECONDS[max(message.attempts, 1) - 1]
        changes.update(status=status, next_attempt_at=now + dt.timedelta(seconds=wait))
        changes.update(error_code=outcome.code[:40], error=outcome.detail[:300])
    else:
        status = Status.FAILED
        changes.update(status=status, error_code=outcome.code[:40], error=outcome.detail[:300])
    updated = Message.unscoped.filter(pk=message.pk, status=Status.SENDING, claimed_by=worker).update(
        **changes
    )
    if not updated:  # the lease ran out and another worker took over
        return Message.unscoped.filter(pk=message.pk).values_list("status", flat=True).first()
    Attempt.unscoped.create(
        cooperative_id=message.cooperative_id,
        message_id=message.pk,
        outcome=outcome.kind,
        code=outcome.code[:40],
        detail=outcome.detail[:300],
    )
    if status == Status.FAILED:
        for name, value in changes.items():
            setattr(message, name, value)
        if message.quota_taken:
            services.quota_refund(message.cooperative, message.segments)
        fall_back(message)
    return status


def _take_quota_for_batch(rows: list[Message], worker: str) -> None:
    """Count a whole batch's SMS segments against each cooperative's quota in one UPDATE;
    when a batch does not fit, the rows are counted one by one as they are sent. Either way
    the rows are marked as counted in the same transaction (``services.quota_take_for``),
    so a worker killed mid-batch leaves nothing to count twice."""
    by_coop: dict[int, list[Message]] = {}
    for message in rows:
        if message.channel == Channel.SMS and not message.quota_taken:
            by_coop.setdefault(message.cooperative_id, []).append(message)
    for messages in by_coop.values():
        if len(messages) > 1:
            services.quota_take_for(messages, worker=worker)


def fall_back(failed: Message) -> Message | None:
    """Write the row for the next channel of a message that failed for good."""
    remaining = failed.fallback_list
    if not remaining:
        return None
    plan = services._Plan(failed.cooperative)
    message = Message(
        cooperative_id=failed.cooperative_id,
        kind=failed.kind,
        source_type=failed.source_type,
        source_id=failed.source_id,
        member=failed.member,
        user=failed.user,
        to_name=failed.to_name,
        to_phone=failed.to_phone,
        to_email=failed.to_email,
        subject=failed.subject,
        text=failed.text,
        unaccented=failed.unaccented,
        previous=failed,
        next_attempt_at=timezone.now(),
        created_by=failed.created_by,
    )
    plan.fill(message, remaining[0])
    message.fallbacks = ",".join(remaining[1:])
    message.save()
    services.wake_after_commit()
    return message


def drain(*, max_seconds: float = 50.0, batch: int = 50, worker: str | None = None) -> int:
    """Send due messages until none is left or ``max_seconds`` passed; returns how many
    rows were handled."""
    worker = worker or worker_id()
    started = time.monotonic()
    handled = 0
    while time.monotonic() - started < max_seconds:
        rows = claim(worker, limit=batch)
        if not rows:
            break
        _take_quota_for_batch(rows, worker)
        for message in rows:
            send_claimed(message, worker)
            handled += 1
    return handled


def sweep() -> int:
    """Periodic housekeeping: give held rows another chance when their cooperative has
    quota again (a new month, a raised quota). Returns how many were re-queued."""
    requeued = 0
    held = Message.unscoped.filter(status=Status.HELD).values_list("cooperative_id", flat=True).distinct()
    for coop_id in held:
        rules = services.messaging_settings(_coop(coop_id))
        if services.quota_used(rules.cooperative) < rules.sms_quota_segments:
            requeued += Message.unscoped.filter(cooperative_id=coop_id, status=Status.HELD).update(
                status=Status.QUEUED, next_attempt_at=timezone.now(), error_code="", error=""
            )
    return requeued


def _coop(coop_id):
    from hoptac.coops.models import Cooperative

    return Cooperative.objects.get(pk=coop_id)

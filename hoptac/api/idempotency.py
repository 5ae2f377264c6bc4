"""Idempotent creation for the API's offline writes (ARCHITECTURE.md, rule 7).

The client makes a UUID, ``client_key``. The first request with it writes and answers 201;
a retry with the same key and the same body answers the first answer again with 200; the
same key with another body is refused with 422 and stores nothing. Two requests with one
key at the same moment (PostgreSQL): the loser's writes are rolled back and it answers as
a retry would.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from hoptac.api.common import Status
from hoptac.api.models import IdempotencyRecord


def replay(record: IdempotencyRecord, *, operation: str, body_hash: str, refused: str) -> Status:
    """The first answer again, if the key was used for this same operation and body."""
    if record.operation != operation or record.body_hash != body_hash:
        raise ValidationError(refused, code="key_reused")
    return Status(200, record.response_json)


def create_once(
    request, *, key, operation: str, body_hash: str, create: Callable[[], dict], refused: str
) -> Status:
    """Run ``create()`` (it writes and returns the JSON answer) once per ``key``."""
    with transaction.atomic():
        record = IdempotencyRecord.objects.filter(key=key).first()
        if record is not None:
            return replay(record, operation=operation, body_hash=body_hash, refused=refused)
        data = create()
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    cooperative=request.cooperative,
                    key=key,
                    operation=operation,
                    body_hash=body_hash,
                    response_json=data,
                    status=201,
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(key=key)
            transaction.set_rollback(True)  # keep nothing of this request
            return replay(record, operation=operation, body_hash=body_hash, refused=refused)
    return Status(201, data)


def create_once_across(
    *, key, operation: str, body_hash: str, create: Callable[[], tuple[dict, object] | None], refused: str
) -> Status | None:
    """``create_once`` for a public write that is no one cooperative's (a checkout makes
    orders in several): the key is looked for in every cooperative (client keys are UUIDs),
    and the record is kept under the cooperative ``create()`` names with its answer.
    ``create()`` may return ``None`` to refuse before writing; then this returns ``None``."""
    with transaction.atomic():
        # Across cooperatives on purpose: the caller is no cooperative's user.
        record = IdempotencyRecord.unscoped.filter(key=key).order_by("pk").first()
        if record is not None:
            return replay(record, operation=operation, body_hash=body_hash, refused=refused)
        try:
            with transaction.atomic():
                made = create()
                if made is None:
                    return None
                data, cooperative = made
                IdempotencyRecord.unscoped.create(
                    cooperative=cooperative,
                    key=key,
                    operation=operation,
                    body_hash=body_hash,
                    response_json=data,
                    status=201,
                )
        except IntegrityError:
            # The same key at the same moment (PostgreSQL): the other request's orders count.
            record = IdempotencyRecord.unscoped.filter(key=key).order_by("pk").first()
            if record is None:
                raise ValidationError(refused, code="key_reused") from None
            return replay(record, operation=operation, body_hash=body_hash, refused=refused)
    return Status(201, data)

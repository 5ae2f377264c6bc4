"""Huey tasks: wake-ups for the outbox. The outbox rows are the truth; a lost task only
delays sending until the periodic sweep (every minute)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import dispatch


@db_task()
def drain_task() -> int:
    return dispatch.drain()


@db_periodic_task(crontab(minute="*"))
def sweep_task() -> int:
    dispatch.sweep()
    return dispatch.drain() if dispatch.due_count() else 0

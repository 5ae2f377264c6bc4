"""Huey tasks: wake-ups for the outbox. The outbox rows are the truth; a lost task only
delays sending until the periodic sweep (every minute) or the next worker start."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from . import dispatch


@db_task()
def drain_task() -> int:
    return dispatch.drain()


@db_periodic_task(crontab(minute="*"))
def sweep_task() -> int:
    dispatch.sweep()
    return dispatch.drain() if dispatch.due_count() else 0


@on_startup()
def resume_after_start() -> None:
    """A worker that starts (or restarts after a crash) sends what is due right away."""
    drain_task()

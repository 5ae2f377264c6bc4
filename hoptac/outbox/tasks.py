"""Huey tasks: wake-ups for the outbox, and the daily backup. The outbox rows are the truth;
a lost task only delays sending until the periodic sweep (every minute) or the next worker
start."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from hoptac.coops.selectors import backup_keep
from hoptac.core import backup

from . import dispatch


@db_task()
def drain_task() -> int:
    return dispatch.drain()


@db_periodic_task(crontab(minute="*"))
def sweep_task() -> int:
    dispatch.sweep()
    return dispatch.drain() if dispatch.due_count() else 0


@db_periodic_task(crontab(minute="7"))
def backup_task() -> str:
    """Every hour: a backup when the last good one is about a day old (an office PC may be
    off at night, so there is no fixed time), keeping the number the chair chose."""
    if not settings.BACKUP["DAILY"]:
        return ""
    result = backup.backup_daily(keep=backup_keep())
    return str(result.path) if result else ""


@on_startup()
def resume_after_start() -> None:
    """A worker that starts (or restarts after a crash) sends what is due right away."""
    drain_task()

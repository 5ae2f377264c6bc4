"""Huey tasks of the core app: daily housekeeping, and the export jobs (core/exports.py)."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from hoptac.core.exports import export_jobs_waiting
from hoptac.core.formkeys import KEEP_DAYS
from hoptac.core.services import export_job_run, export_jobs_sweep, form_key_purge


@db_periodic_task(crontab(minute="17", hour="3"))
def form_keys_purge_task() -> int:
    """Forget the one-time keys of forms sent more than ``KEEP_DAYS`` days ago."""
    return form_key_purge(older_than=dt.timedelta(days=KEEP_DAYS))


@db_task()
def export_run_task(job_id: int) -> None:
    """Write the file of one export job (woken after the job is asked for)."""
    export_job_run(job_id=job_id)


@db_periodic_task(crontab(minute="*/5"))
def export_sweep_task() -> dict:
    """Every five minutes: expired files deleted, lost jobs failed, and queued jobs whose
    wake-up was lost (asked for over a minute ago) run."""
    done = export_jobs_sweep()
    for job_id in export_jobs_waiting():
        export_job_run(job_id=job_id)
    return done

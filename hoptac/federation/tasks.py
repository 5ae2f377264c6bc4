"""Huey tasks of the federation: the overview's summaries are recomputed every hour."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hoptac.federation.summaries.services import overview_refresh


@db_periodic_task(crontab(minute="23"))
def overview_refresh_task() -> int:
    return overview_refresh()

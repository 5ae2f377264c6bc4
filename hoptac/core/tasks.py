"""Huey tasks of the core app: daily housekeeping."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hoptac.core.formkeys import KEEP_DAYS
from hoptac.core.services import form_key_purge


@db_periodic_task(crontab(minute="17", hour="3"))
def form_keys_purge_task() -> int:
    """Forget the one-time keys of forms sent more than ``KEEP_DAYS`` days ago."""
    return form_key_purge(older_than=dt.timedelta(days=KEEP_DAYS))

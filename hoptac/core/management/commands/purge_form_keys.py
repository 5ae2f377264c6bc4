"""``hoptac manage purge_form_keys``: forget the one-time keys of forms sent long ago."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from hoptac.core.formkeys import KEEP_DAYS
from hoptac.core.services import form_key_purge


class Command(BaseCommand):
    help = "Delete the one-time keys of create forms used more than --days days ago."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=KEEP_DAYS)

    def handle(self, *args, days: int, **options):
        deleted = form_key_purge(older_than=dt.timedelta(days=max(1, days)))
        self.stdout.write(f"{deleted} form keys deleted.")

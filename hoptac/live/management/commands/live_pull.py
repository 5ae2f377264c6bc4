"""``hoptac manage live_pull [--coop <slug>] [--live <code>]``: read the new Facebook
comments of lives into claims, as the every-minute task does. Without ``--live``: every
live on air linked to a Facebook video (of ``--coop`` only, if given). With ``--live``:
that live, on air or ended (late comments are kept and flagged for staff)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hoptac.coops.models import Cooperative
from hoptac.core.tenancy import tenant
from hoptac.lib.facebook import GraphError
from hoptac.live.models import LiveSession, LiveStatus
from hoptac.live.services.facebook import comments_pull


class Command(BaseCommand):
    help = "Read new Facebook comments of lives into claims."

    def add_arguments(self, parser):
        parser.add_argument("--coop", default="", help="only this cooperative (slug)")
        parser.add_argument("--live", default="", help="only this live (its code, e.g. LAB12C)")

    def handle(self, *args, coop, live, **options):
        # A cross-cooperative read on purpose: a platform command, like the task.
        sessions = LiveSession.unscoped.select_related("cooperative").filter(facebook_page__isnull=False)
        sessions = sessions.exclude(video_id="")
        if coop:
            cooperative = Cooperative.objects.filter(slug=coop, is_active=True).first()
            if cooperative is None:
                raise CommandError(f"No active cooperative {coop!r}.")
            sessions = sessions.filter(cooperative=cooperative)
        if live:
            sessions = sessions.filter(code=live.strip().upper())
            if not sessions.exists():
                raise CommandError(f"No live {live!r} linked to a Facebook video.")
        else:
            sessions = sessions.filter(status=LiveStatus.LIVE)
        failed = 0
        for session in sessions.order_by("pk"):
            with tenant(session.cooperative):
                try:
                    result = comments_pull(session=session)
                except (GraphError, ValidationError) as error:
                    failed += 1
                    text = error.message if isinstance(error, GraphError) else " ".join(error.messages)
                    self.stderr.write(f"{session.code}: {text}")
                    continue
            self.stdout.write(
                f"{session.code}: {result.new} new comments, {result.claims} claims, "
                f"{result.duplicates} already known, {result.pages} pages"
            )
        if failed:
            raise CommandError(f"{failed} lives could not be read.")

"""Huey tasks of live selling: every 5 minutes, held claims past their time expire (their
packs go to the next in line, then back to the shop); every minute, the comments of lives
on air with a Facebook video are read (huey's periodic tasks are minute-grained; staff
have a "read comments now" button for the seconds in between)."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hoptac.coops.models import Cooperative
from hoptac.core.tenancy import tenant
from hoptac.lib.facebook import GraphError
from hoptac.live.models import Claim, ClaimState, LiveSession, LiveStatus
from hoptac.live.services.claims import claims_expire
from hoptac.live.services.facebook import comments_pull

log = logging.getLogger(__name__)


def expire_all(*, now: dt.datetime | None = None) -> int:
    """Expire held claims past their time in every cooperative that has some, each under its
    own tenant; one cooperative's trouble does not stop the others. Returns how many expired."""
    from django.utils import timezone

    now = now or timezone.now()
    # A cross-cooperative read on purpose: the task serves every cooperative in turn.
    coop_ids = (
        Claim.unscoped.filter(state=ClaimState.HELD, expires_at__lte=now)
        .values_list("cooperative_id", flat=True)
        .distinct()
    )
    expired = 0
    for coop in Cooperative.objects.filter(pk__in=list(coop_ids)).order_by("pk"):
        with tenant(coop):
            try:
                expired += claims_expire(now=now)
            except Exception:
                log.exception("live claims expiry failed for cooperative %s", coop.pk)
    return expired


def pull_all() -> int:
    """Read new comments of every live on air linked to a Facebook video. Returns how many
    new comments were kept."""
    sessions = (
        LiveSession.unscoped.select_related("cooperative", "facebook_page")
        .filter(status=LiveStatus.LIVE, facebook_page__isnull=False)
        .exclude(video_id="")
        .order_by("pk")
    )
    kept = 0
    for session in sessions:
        with tenant(session.cooperative):
            try:
                kept += comments_pull(session=session).new
            except GraphError as error:
                log.warning("live %s: Facebook comments not read: %s", session.code, error.code)
            except Exception:
                log.exception("live %s: reading Facebook comments failed", session.code)
    return kept


@db_periodic_task(crontab(minute="*/5"))
def live_claims_expire_task() -> int:
    return expire_all()


@db_periodic_task(crontab(minute="*"))
def live_comments_pull_task() -> int:
    return pull_all()

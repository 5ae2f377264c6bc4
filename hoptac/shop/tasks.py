"""Huey tasks of the shop: every 10 minutes, unpaid bank-transfer orders are reminded once
and then cancelled past the time each cooperative set (their stock goes back)."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hoptac.core.tenancy import tenant
from hoptac.shop.models import Shop
from hoptac.shop.services.orders import orders_remind_and_expire

log = logging.getLogger(__name__)


def remind_and_expire_all(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Run the reminders and expiry for every cooperative with a shop, each under its own
    tenant. A shop closed since keeps its unpaid orders expiring: their stock must come back.
    Returns the totals (reminded, cancelled)."""
    reminded = cancelled = 0
    # A cross-cooperative read on purpose: the task serves every cooperative in turn.
    shops = Shop.unscoped.select_related("cooperative").filter(cooperative__is_active=True).order_by("pk")
    for shop in shops:
        with tenant(shop.cooperative):
            try:
                r, c = orders_remind_and_expire(now=now)
            except Exception:  # one cooperative's trouble must not stop the others
                log.exception("remind/expire failed for cooperative %s", shop.cooperative_id)
                continue
        reminded += r
        cancelled += c
    return reminded, cancelled


@db_periodic_task(crontab(minute="*/10"))
def orders_remind_and_expire_task() -> tuple[int, int]:
    return remind_and_expire_all()

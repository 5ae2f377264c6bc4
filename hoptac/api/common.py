"""Small helpers shared by the routers: pages, documented error answers, local times."""

from __future__ import annotations

import datetime as dt
import math

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.api.schemas import ErrorOut

try:
    from ninja import Status  # django-ninja 1.7+: an answer with its status code
except ImportError:  # pragma: no cover - older django-ninja takes a (status, data) tuple

    def Status(status_code: int, data):  # noqa: N802
        return status_code, data


PAGE_SIZE = 50
MAX_PAGE = 100_000

# The refusals every cooperative route may answer, listed in the OpenAPI schema.
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def paginate(queryset, page: int) -> tuple[dict, list]:
    """(meta, items of ``page``) with PAGE_SIZE items a page; a page past the end is empty."""
    count = queryset.count()
    start = (page - 1) * PAGE_SIZE
    items = list(queryset[start : start + PAGE_SIZE]) if start < count else []
    meta = {
        "count": count,
        "page": page,
        "page_size": PAGE_SIZE,
        "pages": max(1, math.ceil(count / PAGE_SIZE)),
    }
    return meta, items


def local(value: dt.datetime | None) -> dt.datetime | None:
    """An aware date-time in the cooperative's time zone (answers carry ``+07:00``)."""
    return timezone.localtime(value) if value is not None else None


EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)


def check_day(day: dt.date | None) -> dt.date | None:
    if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(_("The date must be between 2000 and 2099."), code="date_range")
    return day


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

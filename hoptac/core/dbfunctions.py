"""Database functions the ORM lacks, written once for the two engines we run on.

:class:`LocalWeek` buckets a timestamp into its local week (Monday to Sunday) with plain
integer arithmetic the database does natively. Django's ``TruncWeek`` on SQLite calls a
Python function for every row (``django_datetime_trunc``): over the 62,500 receipts of the
province benchmark's biggest cooperative it took 470 ms of the chair's 670 ms dashboard;
this takes a few milliseconds on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import Func, IntegerField

EPOCH_MONDAY = dt.date(1970, 1, 5)  # the first Monday after the Unix epoch
_MONDAY_SECONDS = 4 * 86_400  # 1970-01-01 was a Thursday
_WEEK_SECONDS = 7 * 86_400


def _offset_seconds() -> int:
    """The site's time zone's offset from UTC now. Exact for Vietnam (UTC+7 all year, no
    daylight saving); in a zone with daylight saving a receipt in the hour around the change
    could land in the neighbouring week."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return int(dt.datetime.now(zone).utcoffset().total_seconds())


class LocalWeek(Func):
    """The local week of a timestamp, as the number of weeks since :data:`EPOCH_MONDAY`;
    :func:`week_monday` turns it back into the Monday's date."""

    output_field = IntegerField()
    arity = 1

    def _shift(self) -> int:
        return _offset_seconds() - _MONDAY_SECONDS

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"((CAST(strftime('%%s', {sql}) AS INTEGER) + {self._shift():d}) / {_WEEK_SECONDS:d})",
            params,
        )

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"CAST(FLOOR((EXTRACT(EPOCH FROM {sql}) + {self._shift():d}) / {_WEEK_SECONDS:d}) AS INTEGER)",
            params,
        )

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"LocalWeek is written for SQLite and PostgreSQL, not {connection.vendor}")


def week_monday(index: int) -> dt.date:
    """The Monday of a :class:`LocalWeek` number."""
    return EPOCH_MONDAY + dt.timedelta(weeks=int(index))

"""core.dbfunctions.LocalWeek: the database's week of a timestamp is the local week
(Monday to Sunday in Vietnam), on each engine, at the edges of a week."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import DateTimeField, Value

from hoptac.core.dbfunctions import LocalWeek, week_monday

VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def _db_monday(moment: dt.datetime) -> dt.date:
    value = Value(moment, output_field=DateTimeField())
    index = ContentType.objects.annotate(week=LocalWeek(value)).values_list("week", flat=True)[:1].get()
    return week_monday(index)


def _local_monday(moment: dt.datetime) -> dt.date:
    day = moment.astimezone(VN).date()
    return day - dt.timedelta(days=day.weekday())


@pytest.mark.django_db
def test_the_week_of_a_timestamp_is_its_local_week_at_the_edges():
    # Sunday 23:59:59 and Monday 00:00:00 in Hà Giang: Sunday 16:59:59 and 17:00:00 UTC.
    sunday_night = dt.datetime(2026, 11, 29, 23, 59, 59, tzinfo=VN)
    monday_morning = dt.datetime(2026, 11, 30, 0, 0, 0, tzinfo=VN)
    assert _db_monday(sunday_night) == dt.date(2026, 11, 23)
    assert _db_monday(monday_morning) == dt.date(2026, 11, 30)
    assert _db_monday(monday_morning.astimezone(dt.UTC)) == dt.date(2026, 11, 30)


@pytest.mark.django_db
def test_the_week_agrees_with_python_on_random_moments():
    rng = random.Random(2026)
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for _ in range(200):
        moment = start + dt.timedelta(seconds=rng.randrange(0, 40 * 365 * 86_400))
        assert _db_monday(moment) == _local_monday(moment), moment

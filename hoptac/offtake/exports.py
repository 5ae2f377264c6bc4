"""The buying app's large exports, written by the worker (``core/exports.py``): the purchase
list without invoices (01/TNDN, 02/TNDN) of a period, and a season's summary."""

from __future__ import annotations

import datetime as dt

from hoptac.core.tenancy import require_cooperative
from hoptac.offtake import purchase_list, selectors, xlsx
from hoptac.offtake.models import CollectionPoint, Season


def purchase_list_job(params: dict, *, target, progress=None) -> None:
    """``params``: the period's first and last day (ISO) and the collection point's id or None."""
    start, end = dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"])
    point = CollectionPoint.objects.get(pk=params["point"]) if params.get("point") else None
    lines = selectors.purchase_list(start=start, end=end, point=point)
    purchase_list.workbook(
        lines,
        cooperative=require_cooperative(),
        start=start,
        end=end,
        point=point,
        target=target,
        progress=progress,
    )


def season_summary_job(params: dict, *, target, progress=None) -> None:
    """``params``: the season's id."""
    season = Season.objects.select_related("product").get(pk=params["season"])
    xlsx.season_summary_workbook(
        season,
        selectors.season_summary(season),
        cooperative=require_cooperative(),
        target=target,
        progress=progress,
    )

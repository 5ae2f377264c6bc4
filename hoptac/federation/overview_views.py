"""The alliance's pages under /alliance/overview/: the province at a glance, alerts, the
cooperatives (paged, with a drill-down to one) and the periodic report in Excel.

Every page reads aggregates through ``federation.selectors`` (a fixed number of grouped
queries, whatever the number of cooperatives) and shows no member's personal data."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.dashboard import bars, progress, qty, vnd
from hoptac.federation import overview_xlsx, selectors
from hoptac.federation.overview_access import alliance_view
from hoptac.federation.overview_forms import CoopSearch, OverviewFilters, ReportPeriod
from hoptac.lib import xlsx
from hoptac.lib.svgchart import percent

ALERT_ROWS = 10  # the overview shows the first alerts of each kind; the alerts page all of them,
ALERT_PAGE_ROWS = 50  # each kind paged on its own


def _month_label(month: dt.date) -> str:
    return f"{month:%m/%Y}"


def _charts(data: selectors.Overview) -> dict:
    months = data.months
    return {
        "buying": bars(
            [(_month_label(m.month), m.amount_vnd, vnd(m.amount_vnd)) for m in months],
            title=_("Buying from members by month"),
            width=360,
            height=96,
        ),
        "sales": bars(
            [(_month_label(m.month), m.sales_vnd, vnd(m.sales_vnd)) for m in months],
            title=_("Sales by month"),
            width=360,
            height=72,
        ),
        "kind": bars(
            [(k.label, k.total, _split_text(k)) for k in data.by_kind],
            title=_("Cooperatives by kind"),
            width=180,
            height=64,
        ),
        "activity": bars(
            [(k.label, k.count, str(k.count)) for k in data.by_activity],
            title=_("Cooperatives by activity"),
            width=240,
            height=64,
        ),
        "stars": bars(
            [(k.label, k.count, str(k.count)) for k in data.ocop_by_stars],
            title=_("OCOP products by stars"),
            width=240,
            height=64,
        ),
    }


def _split_text(row: selectors.Count_) -> str:
    """A bar's title: the total, and how many of them use the platform."""
    return _("%(total)s, %(on)s on the platform") % {"total": row.total, "on": row.count}


def _province_charts(data: selectors.Overview) -> dict:
    """The province from the directory: its share on the platform, and the communes with the
    most cooperatives (totals; the tables beside them split on the platform / not yet)."""
    province = data.province
    if province is None:
        return {}
    return {
        "share": progress(
            province.on_platform,
            province.total,
            title=_("%(on)s of %(total)s cooperatives of the province use the platform")
            % {"on": province.on_platform, "total": province.total},
            width=240,
        ),
        "commune": bars(
            [(k.label, k.total, _split_text(k)) for k in data.by_commune[:12]],
            title=_("Cooperatives by commune / ward"),
            width=240,
            height=64,
        ),
        "sector": bars(
            [(k.label, k.total, _split_text(k)) for k in data.by_sector],
            title=_("Cooperatives by sector"),
            width=240,
            height=64,
        ),
    }


def _context(request, data: selectors.Overview, form, **extra) -> dict:
    members = data.members
    return {
        "alliance": request.alliance,
        "data": data,
        "form": form,
        "charts": {**_charts(data), **_province_charts(data)},
        "province": data.province,
        "members": members,
        "women_pct": percent(members.women, members.active),
        "minority_pct": percent(members.minority, members.active),
        "products": [(p, qty(p.quantity, p.unit)) for p in data.products[:15]],
        "more_products": max(0, len(data.products) - 15),
        "idle_first": data.idle[:ALERT_ROWS],
        "expiring_first": data.expiring[:ALERT_ROWS],
        "today": timezone.localdate(),
        **extra,
    }


@alliance_view
def overview(request):
    """The province at a glance: cooperatives by kind, sector, commune and activity; member
    households; buying, payments and sales by month; OCOP; the alerts."""
    form = OverviewFilters(request.GET or None, province=request.alliance.province)
    today = timezone.localdate()
    scope = form.scope(today)
    data = selectors.overview(scope, today=today, idle_days=form.idle_days_value)
    waiting = selectors.waiting_coops(scope)
    return render(
        request,
        "federation/overview.html",
        _context(request, data, form, waiting_first=waiting[:ALERT_ROWS], waiting_count=len(waiting)),
    )


@alliance_view
def alerts(request):
    """Every alert in full: cooperatives without activity, members waiting for their money,
    certificates expiring or just expired."""
    form = OverviewFilters(request.GET or None, province=request.alliance.province)
    today = timezone.localdate()
    scope = form.scope(today)
    data = selectors.overview(scope, today=today, idle_days=form.idle_days_value)
    waiting = selectors.waiting_coops(scope)
    # Each list paged on its own (a province has hundreds of cooperatives).
    pages = {
        key: Paginator(rows, ALERT_PAGE_ROWS).get_page(request.GET.get(f"{key}_page"))
        for key, rows in (("waiting", waiting), ("idle", data.idle), ("expiring", data.expiring))
    }
    return render(
        request,
        "federation/overview_alerts.html",
        {
            "alliance": request.alliance,
            "form": form,
            "data": data,
            "pages": pages,
            "waiting_count": len(waiting),
            "idle_days": form.idle_days_value,
            "today": today,
        },
    )


@alliance_view
def coop_list(request):
    form = CoopSearch(request.GET or None, province=request.alliance.province)
    today = timezone.localdate()
    scope = form.scope(today)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    page = selectors.coop_page(scope, query=query, page=request.GET.get("page") or 1)
    return render(
        request,
        "federation/overview_coops.html",
        {"alliance": request.alliance, "form": form, "page": page, "filtered": bool(query) or form.filtered},
    )


@alliance_view
def coop_detail(request, coop_slug: str):
    """One cooperative's figures, from the same summaries as the province's."""
    cooperative = selectors.cooperative_in(list(request.alliance.provinces), coop_slug)
    if cooperative is None:
        raise Http404
    today = timezone.localdate()
    scope = selectors.Scope.last_months(cooperative.province_code, today, cooperative_id=cooperative.pk)
    data = selectors.overview(scope, today=today)
    waiting = selectors.waiting_coops(scope)
    context = _context(request, data, None, cooperative=cooperative, waiting=waiting[0] if waiting else None)
    return render(request, "federation/overview_coop.html", context)


@alliance_view
def report(request):
    """The periodic report: the form, and the workbook once a year (and quarter) is given."""
    today = timezone.localdate()
    if "year" not in request.GET:
        form = ReportPeriod(initial={"year": today.year})
        return render(
            request, "federation/overview_report.html", {"alliance": request.alliance, "form": form}
        )
    form = ReportPeriod(request.GET)
    if not form.is_valid():
        return render(
            request,
            "federation/overview_report.html",
            {"alliance": request.alliance, "form": form},
            status=400,
        )
    start, end = form.period()
    scope = selectors.Scope(province_code=request.alliance.province, start=start, end=end)
    data = selectors.overview(scope, today=today)
    rows = selectors.with_figures(scope, data.coops)
    content = overview_xlsx.report_workbook(
        data, rows, province_name=request.alliance.province_name, start=start, end=end
    )
    response = HttpResponse(content, content_type=xlsx.CONTENT_TYPE)
    quarter = form.cleaned_data.get("quarter")
    name = f"bao-cao-htx-{request.alliance.province}-{start.year}" + (f"-q{quarter}" if quarter else "")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response

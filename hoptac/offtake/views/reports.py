"""Reports of buying from members: the daily collection sheet per collection point (page,
print and xlsx), the season summaries, and the bảng kê 01/TNDN (02/TNDN since Circular
20/2026/TT-BTC) of produce bought from households without invoices (xlsx). All need
``report.view``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from hoptac.coops.access import coop_view
from hoptac.core.roles import Perm
from hoptac.offtake import purchase_list, selectors, xlsx
from hoptac.offtake.forms import DailySheetForm, PeriodForm, PurchaseListForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _daily_form(request) -> DailySheetForm:
    return DailySheetForm(request.GET if request.GET else {})


def _index(request, *, daily_form=None, period_form=None, status=200):
    start, end = PeriodForm.current_month()
    return render(
        request,
        "offtake/report_index.html",
        {
            "daily_form": daily_form or DailySheetForm(),
            "period_form": period_form or PurchaseListForm(initial={"start": start, "end": end}),
            "seasons": selectors.season_list(),
        },
        status=status,
    )


@coop_view(Perm.REPORT_VIEW)
@require_GET
def report_index(request):
    return _index(request)


@coop_view(Perm.REPORT_VIEW)
@require_GET
def daily_sheet(request):
    form = _daily_form(request)
    sheet = None
    if form.is_valid():
        sheet = selectors.daily_sheet_printable(
            day=form.cleaned_data["day"], point=form.cleaned_data["point"]
        )
    return render(
        request,
        "offtake/daily_sheet.html",
        {"form": form, "sheet": sheet, "printed_at": timezone.now()},
        status=200 if sheet is not None else 400,
    )


@coop_view(Perm.REPORT_VIEW)
@require_GET
def daily_sheet_xlsx(request):
    form = _daily_form(request)
    if not form.is_valid():
        return _index(request, daily_form=form, status=400)
    day, point = form.cleaned_data["day"], form.cleaned_data["point"]
    sheet = selectors.daily_sheet_printable(day=day, point=point)
    content = xlsx.daily_sheet_workbook(sheet, cooperative=request.cooperative)
    suffix = f"-diem-{point.pk}" if point is not None else ""
    return _xlsx(content, f"bang-ke-thu-mua-{day:%Y%m%d}{suffix}.xlsx")


@coop_view(Perm.REPORT_VIEW)
@require_GET
def purchase_list_xlsx(request):
    """The bảng kê for ``?start=YYYY-MM-DD&end=YYYY-MM-DD[&collection_point=<id>]`` (the current month
    without), on the form in force for the purchases' dates.

    A tax document naming each seller with their address (and identity number): closed to a
    role without ``member.personal`` (the provincial officer)."""
    if not request.access.can(Perm.MEMBER_PERSONAL):
        raise PermissionDenied
    point = None
    if request.GET:
        form = PurchaseListForm(request.GET)
        if not form.is_valid():
            return _index(request, period_form=form, status=400)
        start, end, point = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["collection_point"]
    else:
        start, end = PeriodForm.current_month()
    lines = selectors.purchase_list(start=start, end=end, point=point)
    content = purchase_list.workbook(lines, cooperative=request.cooperative, start=start, end=end, point=point)
    codes = "-".join(form.code.split("/")[0] for form, _start, _end in purchase_list.parts(start, end))
    suffix = f"-diem-{point.pk}" if point is not None else ""
    return _xlsx(content, f"bang-ke-{codes}-tndn-{start:%Y%m%d}-{end:%Y%m%d}{suffix}.xlsx")


urlpatterns = [
    path("reports/", report_index, name="report_index"),
    path("reports/daily/", daily_sheet, name="daily_sheet"),
    path("reports/daily.xlsx", daily_sheet_xlsx, name="daily_sheet_xlsx"),
    path("reports/purchase-list.xlsx", purchase_list_xlsx, name="purchase_list_xlsx"),
]

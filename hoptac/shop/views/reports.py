"""Sales reports (``report.view`` or ``order.view``): the page for a period and its xlsx.
Members' names in "whose produce was sold" only for roles with ``member.view``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from hoptac.coops.access import coop_view
from hoptac.core.roles import Perm
from hoptac.shop import xlsx
from hoptac.shop.forms_staff import PeriodForm
from hoptac.shop.selectors.reports import sales_report


def _allowed(request) -> None:
    if not (request.access.can(Perm.REPORT_VIEW) or request.access.can(Perm.ORDER_VIEW)):
        raise PermissionDenied


def _period(request) -> PeriodForm:
    if "start" in request.GET or "end" in request.GET:
        return PeriodForm(request.GET)
    start, end = PeriodForm.this_month()
    return PeriodForm({"start": start.isoformat(), "end": end.isoformat()})


# coop.view at the gate, then report.view or order.view: the role table has no single
# permission for "may read the sales figures".
@coop_view(Perm.COOP_VIEW)
@require_GET
def sales(request):
    _allowed(request)
    form = _period(request)
    report = None
    if form.is_valid():
        report = sales_report(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
    return render(
        request,
        "shop/staff/reports.html",
        {"form": form, "report": report, "names": request.access.can(Perm.MEMBER_VIEW)},
        status=200 if report is not None else 400,
    )


@coop_view(Perm.COOP_VIEW)
@require_GET
def sales_xlsx(request):
    _allowed(request)
    form = _period(request)
    if not form.is_valid():
        return render(request, "shop/staff/reports.html", {"form": form, "report": None}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    report = sales_report(start=start, end=end)
    content = xlsx.sales_workbook(
        report, cooperative=request.cooperative, names=request.access.can(Perm.MEMBER_VIEW)
    )
    response = HttpResponse(content, content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="ban-hang-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"'
    return response

"""Sales reports (``report.view`` or ``order.view``): the page for a period and its xlsx.
Members' names in "whose produce was sold" only for roles with ``member.view``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from hoptac.coops.access import coop_view
from hoptac.coops.exports import export_response
from hoptac.core.formkeys import repeat_safe
from hoptac.core.roles import Perm
from hoptac.shop.forms_staff import PeriodForm
from hoptac.shop.selectors.reports import sales_report, sales_report_size


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
@repeat_safe("asking again for the same sales report goes to the job already asked for")
@require_http_methods(["GET", "POST"])
def sales_xlsx(request):
    """The report as xlsx: at once, or by the worker for a period of many sales
    (``coops/exports.py``); members' names only for a role with ``member.view``, which the
    job then needs too."""
    _allowed(request)
    form = _period(request)
    if not form.is_valid():
        return render(request, "shop/staff/reports.html", {"form": form, "report": None}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    names = request.access.can(Perm.MEMBER_VIEW)
    seen = Perm.REPORT_VIEW if request.access.can(Perm.REPORT_VIEW) else Perm.ORDER_VIEW
    return export_response(
        request,
        kind="sales",
        params={"start": start.isoformat(), "end": end.isoformat(), "names": names},
        rows=sales_report_size(start=start, end=end),
        perms=[seen, *([Perm.MEMBER_VIEW] if names else [])],
        download_name=f"ban-hang-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
    )

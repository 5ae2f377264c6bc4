"""Setting up what the cooperative buys: products, seasons, collection points, the price
list and offtake agreements (hợp đồng bao tiêu).

Every page reads with ``offtake.view``; a list page takes its "new …" form by POST on the
same address and checks the write permission (``season.edit`` or ``price.set``) there.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from hoptac.catalog import selectors as catalog_selectors
from hoptac.catalog import services as catalog_services
from hoptac.coops.access import coop_view
from hoptac.coops.exports import export_response
from hoptac.core.formkeys import creates, made, repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.lib import places
from hoptac.lib.text import unaccent
from hoptac.offtake import selectors, services
from hoptac.offtake.forms import (
    AgreementFilterForm,
    AgreementForm,
    PointForm,
    PriceFilterForm,
    PriceForm,
    ProductForm,
    SeasonForm,
)
from hoptac.offtake.models import Agreement, Season

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(request, perm: Perm) -> None:
    if not request.access.can(perm):
        raise PermissionDenied


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _status(request, form) -> int:
    return 422 if request.method == "POST" and form.errors else 200


# --- products ---------------------------------------------------------------------------------


@coop_view(Perm.OFFTAKE_VIEW)
@creates
@require_http_methods(["GET", "POST"])
def product_list(request):
    form = ProductForm(request.POST or None)
    if request.method == "POST":
        _require(request, Perm.SEASON_EDIT)
        if form.is_valid():
            try:
                product = catalog_services.product_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(
                    form,
                    error,
                    {"duplicate": "code", "code": "code", "name": "name", "base_unit": "base_unit"},
                )
            else:
                made(request, product.name)
                messages.success(request, _("Product %(name)s added.") % {"name": product.name})
                return redirect("offtake:product_list", coop_slug=request.cooperative.slug)
    return render(
        request,
        "offtake/product_list.html",
        {
            "products": catalog_selectors.product_list(),
            "form": form,
            "can_edit": request.access.can(Perm.SEASON_EDIT),
        },
        status=_status(request, form),
    )


# --- seasons ----------------------------------------------------------------------------------


def _season_or_404(season_id: int) -> Season:
    try:
        return selectors.season_get(season_id)
    except Season.DoesNotExist:
        raise Http404 from None


@coop_view(Perm.OFFTAKE_VIEW)
@creates
@require_http_methods(["GET", "POST"])
def season_list(request):
    form = SeasonForm(request.POST or None)
    if request.method == "POST":
        _require(request, Perm.SEASON_EDIT)
        if form.is_valid():
            try:
                season = services.season_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error, {"dates": "ends_on"})
            else:
                made(request, season.name)
                messages.success(request, _("Season %(name)s created.") % {"name": season.name})
                return redirect(
                    "offtake:season_detail", coop_slug=request.cooperative.slug, season_id=season.pk
                )
    return render(
        request,
        "offtake/season_list.html",
        {
            "seasons": selectors.season_list(),
            "form": form,
            "can_edit": request.access.can(Perm.SEASON_EDIT),
            "today": timezone.localdate(),
        },
        status=_status(request, form),
    )


@coop_view(Perm.OFFTAKE_VIEW)
@require_GET
def season_detail(request, season_id):
    """The season's totals, then one of two tables a page at a time (a big cooperative has
    thousands of households): its agreements, or (for report readers) what each member sold."""
    season = _season_or_404(season_id)
    can_report = request.access.can(Perm.REPORT_VIEW)
    show = "summary" if can_report and request.GET.get("show") == "summary" else "agreements"
    agreements, committed, delivered = selectors.season_agreement_totals(season)
    if show == "summary":
        page = Paginator(selectors.season_members(season), PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = selectors.season_rows(season, page.object_list)
    else:
        page = Paginator(selectors.agreement_queryset(season=season), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        page.object_list = selectors.fulfilment_of(page.object_list)
    return render(
        request,
        "offtake/season_detail.html",
        {
            "season": season,
            "show": show,
            "page": page,
            "agreement_count": agreements,
            "committed_total": committed,
            "delivered_total": delivered,
            "percent_total": int((delivered * 100 / committed).to_integral_value()) if committed else 0,
            "totals": selectors.season_totals(season) if can_report else None,
            "can_report": can_report,
            "can_edit": request.access.can(Perm.SEASON_EDIT),
        },
    )


@coop_view(Perm.REPORT_VIEW)
@repeat_safe("asking again for the same season summary goes to the job already asked for")
@require_http_methods(["GET", "POST"])
def season_summary_xlsx(request, season_id):
    """At once, or by the worker for a season of many members (coops/exports.py)."""
    season = _season_or_404(season_id)
    name = slugify(unaccent(season.name)) or f"season-{season.pk}"
    return export_response(
        request,
        kind="season_summary",
        params={"season": season.pk},
        rows=selectors.season_summary_size(season),
        perms=[Perm.REPORT_VIEW],
        download_name=f"tong-hop-vu-{name}.xlsx",
    )


# --- collection points ------------------------------------------------------------------------------


@coop_view(Perm.OFFTAKE_VIEW)
@creates
@require_http_methods(["GET", "POST"])
def point_list(request):
    form = PointForm(request.POST or None, cooperative=request.cooperative)
    if request.method == "POST":
        _require(request, Perm.SEASON_EDIT)
        if form.is_valid():
            try:
                point = services.point_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error, {"duplicate": "name"})
            else:
                made(request, point.name)
                messages.success(request, _("Collection point %(name)s added.") % {"name": point.name})
                return redirect("offtake:point_list", coop_slug=request.cooperative.slug)
    return render(
        request,
        "offtake/point_list.html",
        {
            "points": [(p, places.commune_name(p.commune_code)) for p in selectors.point_list()],
            "form": form,
            "can_edit": request.access.can(Perm.SEASON_EDIT),
        },
        status=_status(request, form),
    )


# --- price list -----------------------------------------------------------------------------------------


@coop_view(Perm.OFFTAKE_VIEW)
@creates
@require_http_methods(["GET", "POST"])
def price_list(request):
    form = PriceForm(request.POST or None)
    if request.method == "POST":
        _require(request, Perm.PRICE_SET)
        if form.is_valid():
            try:
                price = services.price_set(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error, {"price": "price_vnd", "grade": "grade"})
            else:
                messages.success(
                    request,
                    _("New price for %(product)s, %(grade)s saved.")
                    % {"product": price.product.name, "grade": price.get_grade_display()},
                )
                return redirect("offtake:price_list", coop_slug=request.cooperative.slug)
    filter_form = PriceFilterForm(request.GET or None, auto_id="filter_%s")  # beside the price form
    product = filter_form.cleaned_data.get("product") if filter_form.is_valid() else None
    page = Paginator(selectors.price_history(product), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "offtake/price_list.html",
        {
            "current": selectors.prices_in_force(),
            "form": form,
            "filter_form": filter_form,
            "page": page,
            "now": timezone.now(),
            "can_set": request.access.can(Perm.PRICE_SET),
        },
        status=_status(request, form),
    )


# --- agreements -----------------------------------------------------------------------------------------


def _agreement_or_404(agreement_id) -> Agreement:
    try:
        return selectors.agreement_get(agreement_id)
    except Agreement.DoesNotExist:
        raise Http404 from None


@coop_view(Perm.OFFTAKE_VIEW)
@require_GET
def agreement_list(request):
    filter_form = AgreementFilterForm(request.GET or None)
    season = filter_form.cleaned_data.get("season") if filter_form.is_valid() else None
    page = Paginator(selectors.agreement_queryset(season=season), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.fulfilment_of(page.object_list)
    return render(
        request,
        "offtake/agreement_list.html",
        {
            "filter_form": filter_form,
            "season": season,
            "page": page,
            "can_edit": request.access.can(Perm.SEASON_EDIT),
        },
    )


@coop_view(Perm.SEASON_EDIT)
@creates
@require_http_methods(["GET", "POST"])
def agreement_create(request):
    initial = {"season": request.GET.get("season"), "member": request.GET.get("member")}
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        kwargs = form.to_kwargs()
        if kwargs["advance_vnd"] and not request.access.can(Perm.LEDGER_WRITE):
            form.add_error("advance_vnd", _("Your role cannot record advances."))
        else:
            try:
                agreement = services.agreement_create(actor=request.user, **kwargs)
            except ValidationError as error:
                add_errors(
                    form,
                    error,
                    {
                        "member_left": "member",
                        "duplicate": "member",
                        "quantity": "committed_quantity",
                        "unit": "committed_unit",
                        "fixed_price": "fixed_price_vnd",
                        "price_rule": "price_rule",
                        "future": "signed_on",
                    },
                )
            else:
                made(request, str(agreement))
                messages.success(
                    request,
                    _("Agreement %(code)s with %(name)s saved.")
                    % {"code": str(agreement), "name": agreement.member.full_name},
                )
                return redirect(
                    "offtake:agreement_detail",
                    coop_slug=request.cooperative.slug,
                    agreement_id=agreement.uuid,
                )
    return render(request, "offtake/agreement_form.html", {"form": form}, status=_status(request, form))


@coop_view(Perm.OFFTAKE_VIEW)
@require_GET
def agreement_detail(request, agreement_id):
    agreement = _agreement_or_404(agreement_id)
    fulfilment = selectors.agreements_with_fulfilment(season=agreement.season, member=agreement.member)[0]
    receipts = selectors.agreement_receipts(agreement)
    return render(
        request,
        "offtake/agreement_detail.html",
        {"agreement": agreement, "fulfilment": fulfilment, "receipts": receipts},
    )


urlpatterns = [
    path("products/", product_list, name="product_list"),
    path("seasons/", season_list, name="season_list"),
    path("seasons/<int:season_id>/", season_detail, name="season_detail"),
    path("seasons/<int:season_id>/summary.xlsx", season_summary_xlsx, name="season_summary_xlsx"),
    path("points/", point_list, name="point_list"),
    path("prices/", price_list, name="price_list"),
    path("agreements/", agreement_list, name="agreement_list"),
    path("agreements/new/", agreement_create, name="agreement_create"),
    path("agreements/<uuid:agreement_id>/", agreement_detail, name="agreement_detail"),
]

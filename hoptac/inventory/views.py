"""Lots and stock pages under /c/<slug>/inventory/: thin views that parse with a form,
call one service and say what happened."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hoptac.catalog import selectors as catalog_selectors
from hoptac.coops.access import coop_view
from hoptac.core.formkeys import creates, made
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.inventory import selectors, services
from hoptac.inventory.forms import (
    FinishedLotForm,
    LotFilterForm,
    MovementForm,
    RawLinesFilterForm,
    RawLotForm,
    StepForm,
    TakeOutForm,
)
from hoptac.inventory.models import Lot, LotKind
from hoptac.lib import places

PAGE_SIZE = 50


def _lot_or_404(lot_id) -> Lot:
    try:
        return selectors.lot_get(lot_id)
    except Lot.DoesNotExist:
        raise Http404 from None


def _to_detail(request, lot):
    return redirect("inventory:lot_detail", coop_slug=request.cooperative.slug, lot_id=lot.uuid)


@coop_view(Perm.STOCK_VIEW)
def lot_list(request):
    form = LotFilterForm(request.GET or None)
    product, kind = None, ""
    if form.is_valid():
        product, kind = form.cleaned_data["product"], form.cleaned_data["kind"]
    paginator = Paginator(selectors.lot_list(product=product, kind=kind), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/lot_list.html",
        {"filter_form": form, "page": page, "filtered": bool(product or kind)},
    )


@coop_view(Perm.STOCK_EDIT)
@creates
@require_http_methods(["GET", "POST"])
def lot_raw_create(request):
    """Choose a product, narrow the receipt lines by date and collection point (GET), tick
    them (``all=1`` ticks every line shown, without JavaScript) and make the lot (POST)."""
    source = request.POST if request.method == "POST" else request.GET
    filters = RawLinesFilterForm(source if source.get("product") else None)
    lines, product = [], None
    if filters.is_valid():
        product = filters.cleaned_data["product"]
        lines = list(
            selectors.receipt_lines_for_lot(
                product=product,
                date_from=filters.cleaned_data["date_from"],
                date_to=filters.cleaned_data["date_to"],
                point=filters.cleaned_data["point"],
            )[: selectors.RAW_LINES_SHOWN + 1]
        )
    form = RawLotForm(request.POST or None, initial={"product": product})
    if request.method == "POST" and form.is_valid():
        try:
            lot = services.raw_lot_create(
                product=form.cleaned_data["product"],
                receipt_line_ids=form.cleaned_data["lines"],
                notes=form.cleaned_data["notes"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            made(request, lot.code)
            messages.success(request, _("Lot %(code)s made.") % {"code": lot.code})
            return _to_detail(request, lot)
    if request.method == "POST":
        checked = {str(v) for v in request.POST.getlist("lines")}
    elif request.GET.get("all") == "1":
        checked = {str(line.pk) for line in lines}
    else:
        checked = set()
    truncated = len(lines) > selectors.RAW_LINES_SHOWN
    lines = lines[: selectors.RAW_LINES_SHOWN]
    query = QueryDict(mutable=True)
    for name in ("product", "date_from", "date_to", "point") if filters.is_valid() else ():
        if source.get(name):
            query[name] = source[name]
    return render(
        request,
        "inventory/lot_raw_form.html",
        {
            "filters": filters,
            "form": form,
            "product": product,
            "lines": lines,
            "checked": checked,
            "truncated": truncated,
            "shown_total": sum((line.net_quantity for line in lines if str(line.pk) in checked), 0),
            "query": query.urlencode(),
        },
        status=422 if request.method == "POST" else 200,
    )


def _detail(request, lot, *, step_form=None, move_form=None, take_out_form=None, status=200):
    may_edit = request.access.can(Perm.STOCK_EDIT)
    origin = selectors.lot_origin(lot)
    context = {
        "lot": lot,
        "on_hand": selectors.stock_on_hand(lot),
        "origin": origin,
        "communes": [places.commune_name(code) or str(code) for code in origin.commune_codes],
        "sources": selectors.lot_sources(lot) if not lot.is_finished else [],
        "inputs": selectors.lot_inputs(lot) if lot.is_finished else [],
        "used_in": selectors.lot_used_in(lot) if not lot.is_finished else [],
        "steps": selectors.lot_steps(lot),
        "movements": selectors.lot_movements(lot),
        "may_edit": may_edit,
        "may_sell": request.access.can(Perm.STOCK_SELL),
        "step_form": step_form or (StepForm(prefix="step") if may_edit else None),
        "move_form": move_form or MovementForm(prefix="move", may_edit=may_edit),
        "kinds": LotKind,
        "take_out_form": take_out_form,
        # The lot's product photo (the catalogue's first one), shown small.
        "photo": catalog_selectors.first_photos([lot.product_id]).get(lot.product_id),
    }
    return render(request, "inventory/lot_detail.html", context, status=status)


@coop_view(Perm.STOCK_VIEW)
def lot_detail(request, lot_id):
    return _detail(request, _lot_or_404(lot_id))


@coop_view(Perm.STOCK_EDIT)
@creates
@require_POST
def step_create(request, lot_id):
    lot = _lot_or_404(lot_id)
    form = StepForm(request.POST, prefix="step")
    if form.is_valid():
        try:
            step = services.step_add(lot=lot, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Step “%(step)s” recorded.") % {"step": step.get_kind_display()})
            return _to_detail(request, lot)
    messages.error(request, _("The processing step was not recorded: see the form below."))
    return _detail(request, lot, step_form=form, status=422)


@coop_view(Perm.STOCK_SELL)
@creates
@require_POST
def movement_create(request, lot_id):
    lot = _lot_or_404(lot_id)
    may_edit = request.access.can(Perm.STOCK_EDIT)
    form = MovementForm(request.POST, prefix="move", may_edit=may_edit)
    if form.is_valid():
        try:
            services.stock_move(
                lot=lot, reason=form.cleaned_data["reason"], actor=request.user, **form.to_kwargs()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Stock movement recorded."))
            return _to_detail(request, lot)
    messages.error(request, _("The stock movement was not recorded: see the form below."))
    return _detail(request, lot, move_form=form, status=422)


@coop_view(Perm.STOCK_EDIT)
@creates
@require_POST
def receipt_take_out(request, lot_id):
    """Take a purchase receipt out of a raw lot (the correction before voiding it)."""
    lot = _lot_or_404(lot_id)
    form = TakeOutForm(request.POST)
    if form.is_valid():
        receipt = selectors.lot_live_receipt(lot, form.cleaned_data["receipt"])
        if receipt is None:
            form.add_error(None, _("This receipt is not in this lot."))
        else:
            try:
                services.lot_receipt_remove(
                    lot=lot, receipt=receipt, reason=form.cleaned_data["reason"], actor=request.user
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                made(request, receipt.code)
                messages.success(
                    request,
                    _("Receipt %(code)s was taken out of lot %(lot)s: it can be voided now.")
                    % {"code": receipt.code, "lot": lot.code},
                )
                return _to_detail(request, lot)
    messages.error(request, _("The receipt was not taken out of the lot: see below."))
    return _detail(request, lot, take_out_form=form, status=422)


@coop_view(Perm.STOCK_EDIT)
@creates
@require_http_methods(["GET", "POST"])
def lot_finished_create(request):
    raw_lots = selectors.raw_lots_in_stock()
    initial = {}
    from_lot = next((lot for lot in raw_lots if str(lot.uuid) == request.GET.get("from")), None)
    if from_lot is not None:
        initial = {"product": from_lot.product_id, "source_0": from_lot.pk}
    form = FinishedLotForm(request.POST or None, raw_lots=raw_lots, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lot = services.finished_lot_create(
                product=data["product"],
                inputs=data["inputs"],
                pack_count=data["pack_count"],
                production_date=data["production_date"],
                best_before=data["best_before"],
                notes=data["notes"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            made(request, lot.code)
            messages.success(request, _("Lot %(code)s made.") % {"code": lot.code})
            return _to_detail(request, lot)
    return render(
        request,
        "inventory/lot_finished_form.html",
        {"form": form, "raw_lots": raw_lots},
        status=422 if request.method == "POST" else 200,
    )


@coop_view(Perm.STOCK_VIEW)
def stock(request):
    return render(request, "inventory/stock.html", {"rows": selectors.stock_summary()})

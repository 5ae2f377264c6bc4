"""Delivery by carrier, under ``/c/<slug>/shipping/``: the packed orders to ship and the
shipments (``order.manage``), a shipment's label and history, the carrier accounts
(``shop.edit``), COD remittance reports and their differences (``payment.manage``); and
the carriers' status callbacks at ``/hooks/carrier/<carrier>/<coop-slug>/`` (the account's
callback secret in a header, checked by the carrier's client in ``lib.carriers``)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hoptac.coops.access import coop_view
from hoptac.coops.models import Cooperative
from hoptac.core.formkeys import repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.core.tenancy import tenant
from hoptac.shop.forms_shipping import CarrierAccountForm, RemittanceForm, ResolveForm, ShipmentSearchForm
from hoptac.shop.models import API_CARRIERS, Carrier, Order, Remittance, RemittanceLine, Shipment
from hoptac.shop.selectors import orders as order_selectors
from hoptac.shop.selectors import shipping as selectors
from hoptac.shop.services import remittances as remittance_services
from hoptac.shop.services import shipping as services

log = logging.getLogger(__name__)

PER_PAGE = 50
MAX_HOOK_BYTES = 64 * 1024
CARRIER_NAMES = dict(Carrier.choices)


def _slug(request) -> str:
    return request.cooperative.slug


def _shipment_or_404(pk) -> Shipment:
    try:
        return selectors.shipment_get(pk)
    except Shipment.DoesNotExist:
        raise Http404 from None


def _back(request, default: str):
    """Back to the order page when the button was on it, else to the list."""
    code = str(request.POST.get("order_page") or "")[:12]
    if code and order_selectors.order_by_code(code) is not None:
        return redirect("shop_staff:order_detail", coop_slug=_slug(request), order_code=code)
    return redirect(default, coop_slug=_slug(request))


# --- shipments ---------------------------------------------------------------------------------


@coop_view(Perm.ORDER_MANAGE)
@require_GET
def shipment_list(request):
    form = ShipmentSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.shipments(q=q), PER_PAGE).get_page(request.GET.get("page"))
    to_ship = list(selectors.orders_to_ship()[: services.MAX_BULK])
    return render(
        request,
        "shop/shipping_list.html",
        {
            "form": form,
            "page": page,
            "to_ship": to_ship,
            "account": selectors.active_api_account(),
            "may_settle": request.access.can(Perm.SHOP_EDIT),
        },
    )


@coop_view(Perm.ORDER_MANAGE)
@repeat_safe("An order has at most one active shipment: sent twice, the second is refused.")
@require_POST
def shipment_create(request, order_code: str):
    order = order_selectors.order_by_code(order_code)
    if order is None:
        raise Http404
    try:
        shipment = services.shipment_create(order=order, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _(
                "Shipment created at %(carrier)s: tracking code %(code)s. Print the label and hand the parcel over."
            )
            % {"carrier": shipment.get_carrier_display(), "code": shipment.tracking_code},
        )
    return _back(request, "shop_shipping:shipment_list")


@coop_view(Perm.ORDER_MANAGE)
@repeat_safe("Orders that already have a shipment are skipped: sent twice, the second makes none.")
@require_POST
def shipments_create_all(request):
    try:
        made, refused = services.shipments_create_packed(actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("shop_shipping:shipment_list", coop_slug=_slug(request))
    if made:
        messages.success(request, _("%(count)s shipments created.") % {"count": len(made)})
    elif not refused:
        messages.info(request, _("No packed order is waiting for a shipment."))
    for order, why in refused[:20]:
        messages.error(request, _("%(code)s: %(why)s") % {"code": order.code, "why": why})
    return redirect("shop_shipping:shipment_list", coop_slug=_slug(request))


@coop_view(Perm.ORDER_MANAGE)
@require_GET
def shipment_detail(request, shipment_id: int):
    return _shipment_page(request, _shipment_or_404(shipment_id))


def _shipment_page(request, shipment: Shipment, *, status: int = 200):
    return render(
        request,
        "shop/shipping_detail.html",
        {
            "shipment": shipment,
            "events": selectors.shipment_events(shipment),
            "can_cancel": shipment.is_active and shipment.status in ("created", "failed"),
        },
        status=status,
    )


@coop_view(Perm.ORDER_MANAGE)
@require_GET
def shipment_label(request, shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    try:
        content, content_type = services.shipment_label(shipment=shipment)
    except ValidationError as error:
        # The shipment's page, saying why there is no label: 502 when the carrier failed.
        messages.error(request, " ".join(error.messages))
        return _shipment_page(request, shipment, status=502 if error.code == "carrier" else 200)
    safe = "".join(ch for ch in shipment.tracking_code if ch.isalnum() or ch in "-_.")[:40] or "label"
    name = f"{shipment.carrier}-{safe}"
    if content_type in ("application/pdf", "image/png", "image/jpeg"):
        response = HttpResponse(content, content_type=content_type)
        extension = {"image/png": "png", "image/jpeg": "jpg"}.get(content_type, "pdf")
        response["Content-Disposition"] = f'inline; filename="{name}.{extension}"'
    else:
        # A carrier's print page (GHN serves HTML): downloaded, never shown as our page,
        # and sandboxed should a browser open it anyway.
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{name}.html"'
        response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@coop_view(Perm.ORDER_MANAGE)
@repeat_safe("A cancelled shipment refuses to be cancelled again.")
@require_POST
def shipment_cancel(request, shipment_id: int):
    shipment = _shipment_or_404(shipment_id)
    try:
        services.shipment_cancel(shipment=shipment, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Shipment cancelled; the order stays packed."))
    return redirect("shop_shipping:shipment_detail", coop_slug=_slug(request), shipment_id=shipment.pk)


# --- carrier accounts --------------------------------------------------------------------------


def _hook_url(request, carrier: str) -> str:
    return request.build_absolute_uri(reverse("shop_hooks:carrier_hook", args=[carrier, _slug(request)]))


@coop_view(Perm.SHOP_EDIT)
@require_GET
def carrier_list(request):
    saved = {account.carrier: account for account in selectors.accounts()}
    rows = [
        {"carrier": carrier.value, "name": CARRIER_NAMES[carrier.value], "account": saved.get(carrier.value)}
        for carrier in API_CARRIERS
    ]
    return render(request, "shop/shipping_carriers.html", {"rows": rows})


def _to_account(request, carrier: str):
    return redirect(reverse("shop_shipping:carrier_account", args=[_slug(request)]) + f"?carrier={carrier}")


def _masked(token: str) -> str:
    return f"…{token[-4:]}" if len(token) > 8 else "…"


def _account_page(request, carrier: str, account, form, *, status=200):
    return render(
        request,
        "shop/shipping_account.html",
        {
            "carrier": carrier,
            "carrier_name": CARRIER_NAMES[carrier],
            "account": account,
            "form": form,
            "token_hint": _masked(account.api_token) if account else "",
            "hook_url": _hook_url(request, carrier),
            # The address to register at the carrier, with the secret (GHTK's ``?hash=``).
            "hook_url_secret": f"{_hook_url(request, carrier)}?{urlencode({'hash': account.callback_secret})}"
            if account
            else "",
        },
        status=status,
    )


@coop_view(Perm.SHOP_EDIT)
@repeat_safe("One account per carrier: sent twice, the same values are saved again.")
@require_http_methods(["GET", "POST"])
@never_cache
def carrier_account(request):
    """One carrier's account (``?carrier=ghtk``): a new one, or the saved one to change."""
    carrier = str(request.GET.get("carrier") or API_CARRIERS[0])[:10]
    if carrier not in API_CARRIERS:
        raise Http404
    account = selectors.account_for(carrier)
    if request.method == "GET":
        return _account_page(
            request, carrier, account, CarrierAccountForm(initial=CarrierAccountForm.initial_from(account))
        )
    form = CarrierAccountForm(request.POST)
    if "refresh" in request.POST:
        # "Show communes" (no JavaScript): the same form with the province's communes.
        form.full_clean()
        form._errors.clear()
        return _account_page(request, carrier, account, form)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.carrier_account_save(
                data=services.AccountData(carrier=carrier, **data), actor=request.user
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Carrier account saved."))
            return _to_account(request, carrier)
    return _account_page(request, carrier, account, form, status=422)


@coop_view(Perm.SHOP_EDIT)
@repeat_safe("Making a new secret again only replaces it; the one shown last is in force.")
@require_POST
def carrier_secret(request):
    carrier = str(request.POST.get("carrier") or "")[:10]
    account = selectors.account_for(carrier) if carrier in API_CARRIERS else None
    if account is None:
        raise Http404
    services.carrier_secret_rotate(account=account, actor=request.user)
    messages.success(request, _("New callback secret made: copy it into the carrier's webhook settings."))
    return _to_account(request, carrier)


# --- COD remittances ---------------------------------------------------------------------------


def _remittance_or_404(pk) -> Remittance:
    try:
        return selectors.remittance_get(pk)
    except Remittance.DoesNotExist:
        raise Http404 from None


def _remittance_list(request, form, *, status=200):
    page = Paginator(selectors.remittances(), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "shop/shipping_remittances.html",
        {"form": form, "page": page, "open_problems": selectors.open_problems().count()},
        status=status,
    )


@coop_view(Perm.PAYMENT_MANAGE)
@repeat_safe("The same report twice is refused by its checksum.")
@require_http_methods(["GET", "POST"])
def remittance_list(request):
    if request.method == "GET":
        return _remittance_list(request, RemittanceForm())
    form = RemittanceForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            remittance = remittance_services.remittance_import(
                data=upload.read(),
                filename=upload.name or "",
                carrier=form.cleaned_data["carrier"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if remittance.problems_count:
                messages.warning(
                    request,
                    _("Report imported: %(count)s lines need a look.") % {"count": remittance.problems_count},
                )
            else:
                messages.success(request, _("Report imported: every line matches its order."))
            return redirect(
                "shop_shipping:remittance_detail", coop_slug=_slug(request), remittance_id=remittance.pk
            )
    messages.error(request, _("The report was not imported: see the form below."))
    return _remittance_list(request, form, status=422)


def _remittance_page(request, remittance, *, resolve_form=None, resolving=None, status=200):
    problems_only = request.GET.get("show") == "problems"
    return render(
        request,
        "shop/shipping_remittance.html",
        {
            "remittance": remittance,
            "lines": selectors.remittance_lines(remittance, problems_only=problems_only),
            "problems_only": problems_only,
            "problem_states": selectors.PROBLEM_STATES,
            "resolve_form": resolve_form or ResolveForm(),
            "resolving": resolving,
        },
        status=status,
    )


@coop_view(Perm.PAYMENT_MANAGE)
@require_GET
def remittance_detail(request, remittance_id: int):
    return _remittance_page(request, _remittance_or_404(remittance_id))


@coop_view(Perm.PAYMENT_MANAGE)
@repeat_safe("A resolved line refuses to be resolved again.")
@require_POST
def remittance_line_resolve(request, line_id: int):
    try:
        line = selectors.remittance_line_get(line_id)
    except RemittanceLine.DoesNotExist:
        raise Http404 from None
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            remittance_services.remittance_line_resolve(
                line=line,
                note=form.cleaned_data["note"],
                record_payment=form.cleaned_data["record_payment"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Line %(row)s resolved.") % {"row": line.row})
            return redirect(
                "shop_shipping:remittance_detail", coop_slug=_slug(request), remittance_id=line.remittance_id
            )
    messages.error(request, _("Nothing was changed: see the form below."))
    return _remittance_page(request, line.remittance, resolve_form=form, resolving=line.pk, status=422)


# --- the carriers' callbacks ---------------------------------------------------------------------


def _refused() -> JsonResponse:
    # One answer for an unknown cooperative or account and a wrong or missing secret.
    return JsonResponse({"success": False, "message": "Forbidden"}, status=403)


@csrf_exempt
@require_POST
def carrier_hook(request, carrier: str, coop_slug: str):
    """A carrier's status callback: refused (403, nothing written) without the account's
    secret; each update kept once and applied if newer; answered 200 so the carrier stops,
    also for a duplicate or an update we keep without applying."""
    if carrier not in API_CARRIERS:
        raise Http404
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = MAX_HOOK_BYTES + 1
    if declared > MAX_HOOK_BYTES:
        return JsonResponse({"success": False, "message": "body too large"}, status=413)
    body = request.body
    coop = Cooperative.objects.filter(slug=coop_slug[:100], is_active=True).first()
    if coop is None:
        return _refused()
    headers = dict(request.headers.items())
    with tenant(coop):
        try:
            results = services.callback_receive(
                carrier=carrier, headers=headers, body=body, query=dict(request.GET.items())
            )
        except services.CallbackRefused as refused:
            log.info("carrier hook %s/%s refused: %s", carrier, coop_slug[:40], refused)
            return _refused()
        except ValueError as error:  # not JSON, or not the carrier's shape
            log.info("carrier hook %s/%s unreadable: %s", carrier, coop_slug[:40], error)
            return JsonResponse({"success": False, "message": "unreadable"}, status=400)
    return JsonResponse({"success": True, "results": results})


def order_shipping(order: Order) -> dict:
    """What the staff order page shows about delivery by carrier (used by views.staff)."""
    return {
        "shipments": list(selectors.order_shipments(order)),
        "active": selectors.active_shipment(order),
        "account": selectors.active_api_account(),
    }

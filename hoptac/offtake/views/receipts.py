"""Purchase receipts: list, record, view, print (80 mm and A5), void."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hoptac.coops.access import coop_view
from hoptac.coops.picker import member_option
from hoptac.core.formkeys import creates, made, repeat_safe
from hoptac.core.roles import Perm
from hoptac.ledger.selectors import member_balance
from hoptac.lib import bounds, qr
from hoptac.lib.money import vnd_in_words
from hoptac.lib.units import UNIT_LABELS, Unit, format_quantity, quantity_in_words
from hoptac.offtake import selectors, services
from hoptac.offtake.models import CollectionPoint, Grade, Receipt, ReceiptStatus
from hoptac.offtake.receipt_forms import ReceiptForm, VoidForm, active_products, line_formset
from hoptac.offtake.sms import receipt_sms_text

DEFAULT_LINES = 3


def _receipt_or_404(receipt_id) -> Receipt:
    try:
        return selectors.receipt_get(receipt_id)
    except Receipt.DoesNotExist:
        raise Http404 from None


def _parse_day(request, text: str | None) -> dt.date | None:
    """``?day=`` as an ISO date within the bounds of lib.bounds; anything else is ignored
    with a message (year 1 used to answer 500)."""
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
        bounds.check_date("any", day)
    except (ValueError, ValidationError):
        messages.warning(
            request, _("The date %(text)s cannot be read: all days are shown.") % {"text": text[:20]}
        )
        return None
    return day


@coop_view(Perm.OFFTAKE_VIEW)
def receipt_list(request):
    day = _parse_day(request, request.GET.get("day"))
    point = None
    if request.GET.get("point", "").isdigit() and len(request.GET["point"]) <= 12:
        point = CollectionPoint.objects.filter(pk=int(request.GET["point"])).first()
    status = request.GET.get("status", "")
    if status not in ReceiptStatus.values:
        status = ""
    receipts = selectors.receipt_list(day=day, point=point, status=status)
    page = Paginator(receipts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "offtake/receipt_list.html",
        {
            "page": page,
            "day": day,
            "point": point,
            "status": status,
            "points": CollectionPoint.objects.order_by("name"),
            "statuses": ReceiptStatus.choices,
        },
    )


def _quiet(form, formset) -> None:
    """A form shown again for a search or a change, not a save: no error messages yet."""
    form.errors.clear()
    for line in formset.forms:
        line.errors.clear()
    formset.non_form_errors().clear()


def _first_line_product(request, products):
    """The product the form opens with: ``?product=`` or the only product bought."""
    by_id = {str(p.pk): p for p in products}
    if request.GET.get("product") in by_id:
        return by_id[request.GET["product"]]
    return products[0] if len(products) == 1 else None


def _check_rows(check) -> list[dict]:
    rows = []
    for line, base, net, price, list_price, amount, _agreement in check.priced:
        unit = UNIT_LABELS.get(Unit(line.unit), line.unit)
        rows.append(
            {
                "product": line.product,
                "grade": Grade(line.grade).label,
                "quantity": quantity_in_words(line.quantity),
                "unit": unit,
                "base": format_quantity(base),
                "base_unit": line.product.unit_label,
                "converted": Unit(line.unit) not in (Unit.KG, Unit.LITRE),
                "deduction": line.deduction_pct,
                "net": format_quantity(net),
                "price": price,
                "overridden": price != list_price,
                "amount": amount,
            }
        )
    return rows


@coop_view(Perm.RECEIPT_RECORD)
@creates
@require_http_methods(["GET", "POST"])
def receipt_create(request):
    """Three steps, each a plain form post (no JavaScript needed): find and choose the
    member ("Find" shows the matches), type the lines, then "Check before saving" shows
    the receipt as it will be recorded — quantities and total in words — with Save and
    Change. Every step keeps the one-time key."""
    try:
        extra = max(1, min(20, int(request.GET.get("lines", DEFAULT_LINES))))
    except ValueError:
        extra = DEFAULT_LINES
    LineFormSet = line_formset(extra)
    data = request.POST or None
    personal = request.access.can(Perm.MEMBER_PERSONAL)
    form = ReceiptForm(data, initial={"member": request.GET.get("member")}, personal=personal)
    stepping = request.method == "POST" and ("find" in request.POST or "change" in request.POST)
    terms = None
    if request.method == "POST" and not stepping and form.is_valid():
        # Checked or saved: the products come with their prices and the member's agreement
        # at the receipt's time (one statement, not two per line).
        products, terms = selectors.products_with_terms(
            member=form.cleaned_data["member"], at=form.cleaned_data["collected_at"]
        )
    else:
        products = active_products()
    formset = LineFormSet(data, prefix="line", products=products)
    if data is None:
        product = _first_line_product(request, products)
        if product is not None:
            formset.forms[0].initial.update({"product": product.pk, "unit": product.base_unit})
    context = {
        "form": form,
        "formset": formset,
        # Called by the template only when the form is shown (not on a save).
        "prices": selectors.prices_in_force,
        "products": products,
        "more_lines": extra + 3,
    }
    if stepping:
        _quiet(form, formset)
        return render(request, "offtake/receipt_form.html", context)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        lines = [line for line in (f.to_input() for f in formset.forms) if line is not None]
        common = {
            "member": form.cleaned_data["member"],
            "collected_at": form.cleaned_data["collected_at"],
            "point": form.cleaned_data["point"],
            "lines": lines,
            "may_override_price": request.access.can(Perm.PRICE_OVERRIDE),
        }
        try:
            check = services.receipt_check(**common, terms=terms)
            # Save: the total must still be the one that was checked (a price may have
            # changed meanwhile); a body without it (a client that shows no check step) is saved.
            checked = request.POST.get("checked_total", str(check.total_vnd))
            if request.POST.get("confirm") and checked == str(check.total_vnd):
                receipt = services.receipt_record(
                    **common,
                    note=form.cleaned_data["note"],
                    collector=request.user,
                    actor=request.user,
                    check=check,
                )
            else:
                receipt = None
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if receipt is not None:
                made(request, receipt.code)
                messages.success(request, _("Receipt %(code)s recorded.") % {"code": receipt.code})
                return redirect(
                    "offtake:receipt_detail", coop_slug=request.cooperative.slug, receipt_id=receipt.uuid
                )
            changed = bool(request.POST.get("confirm"))
            return render(
                request,
                "offtake/receipt_check.html",
                {
                    **context,
                    "member": member_option(form.cleaned_data["member"], personal=personal),
                    "collected_at": check.collected_at,
                    "point": form.cleaned_data["point"],
                    "rows": _check_rows(check),
                    "total": check.total_vnd,
                    "total_words": vnd_in_words(check.total_vnd),
                    "changed": changed,
                },
            )
    return render(
        request, "offtake/receipt_form.html", context, status=422 if request.method == "POST" else 200
    )


def _sms_text(request, receipt) -> str:
    balance = member_balance(receipt.member, at=receipt.collected_at).net
    return receipt_sms_text(receipt, coop_name=request.cooperative.name, balance_net=balance)


@coop_view(Perm.OFFTAKE_VIEW)
def receipt_detail(request, receipt_id):
    receipt = _receipt_or_404(receipt_id)
    return render(
        request,
        "offtake/receipt_detail.html",
        {
            "receipt": receipt,
            "void_form": VoidForm(),
            "sms_text": _sms_text(request, receipt),
            "lots": selectors.receipt_lots(receipt),
        },
    )


@coop_view(Perm.OFFTAKE_VIEW)
def receipt_print(request, receipt_id):
    receipt = _receipt_or_404(receipt_id)
    paper = "a5" if request.GET.get("paper") == "a5" else "80mm"
    return render(
        request,
        "offtake/receipt_print.html",
        {
            "receipt": receipt,
            "paper": paper,
            "qr_svg": qr.svg(receipt.code, scale=3, title=receipt.code),
            "balance": member_balance(receipt.member, at=receipt.collected_at),
            "printed_at": timezone.now(),
        },
    )


@coop_view(Perm.RECEIPT_VOID)
@repeat_safe("A transition: a voided receipt cannot be voided again.")
@require_POST
def receipt_void(request, receipt_id):
    receipt = _receipt_or_404(receipt_id)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for voiding the receipt."))
    else:
        try:
            services.receipt_void(receipt=receipt, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Receipt %(code)s voided.") % {"code": receipt.code})
    return redirect("offtake:receipt_detail", coop_slug=request.cooperative.slug, receipt_id=receipt.uuid)


urlpatterns = [
    path("receipts/", receipt_list, name="receipt_list"),
    path("receipts/new/", receipt_create, name="receipt_create"),
    path("receipts/<uuid:receipt_id>/", receipt_detail, name="receipt_detail"),
    path("receipts/<uuid:receipt_id>/print/", receipt_print, name="receipt_print"),
    path("receipts/<uuid:receipt_id>/void/", receipt_void, name="receipt_void"),
]

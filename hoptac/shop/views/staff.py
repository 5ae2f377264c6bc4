"""The cooperative's selling pages under ``/c/<slug>/shop/``: the order board and order
page with its actions, the packing slip, the shop's settings and delivery fees, the
products on sale with their quantity prices. Reports are in ``views/reports.py``.

Reading orders needs ``order.view`` (every role that ships needs the buyer's phone and
address); acting on them ``order.manage``; cash received ``order.manage`` or
``payment.manage``; the settings ``shop.edit``; the products on sale ``listing.edit``.
Every action is a POST; the destructive ones (cancel, returned) ask first on a page of
their own; an action sent from a page opened before the order moved is refused, saying
what changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hoptac.coops.access import coop_view
from hoptac.core.conflicts import EditGuard
from hoptac.core.formkeys import creates, edits, made, repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.lib import banks, places, qr
from hoptac.lib.money import group_digits
from hoptac.shop.forms_staff import (
    BoardForm,
    CashForm,
    InvoiceForm,
    ListingForm,
    MoveForm,
    RateForm,
    ShopForm,
    TierForm,
)
from hoptac.shop.models import TRANSITIONS, DeliveryMethod, Order, OrderStatus, PaymentMethod
from hoptac.shop.selectors import orders as selectors
from hoptac.shop.selectors.orders import BoardFilter
from hoptac.shop.services import orders as order_services
from hoptac.shop.services import payments as payment_services
from hoptac.shop.services import settings as shop_services

PER_PAGE = 25
# The buttons of each move, and whether it asks first (destructive: it ends the order).
MOVES = {
    OrderStatus.CONFIRMED: (gettext_lazy("Confirm the order"), False),
    OrderStatus.PACKED: (gettext_lazy("Mark packed"), False),
    OrderStatus.SHIPPED: (gettext_lazy("Mark shipped"), False),
    OrderStatus.DELIVERED: (gettext_lazy("Mark delivered"), False),
    OrderStatus.CANCELLED: (gettext_lazy("Cancel the order"), True),
    OrderStatus.RETURNED: (gettext_lazy("Mark returned"), True),
}


def _require(request, *perms: Perm) -> None:
    if not any(request.access.can(perm) for perm in perms):
        raise PermissionDenied


def _order_or_404(code: str) -> Order:
    order = selectors.order_by_code(code)
    if order is None:
        raise Http404
    return order


def _to_order(request, order: Order):
    return redirect("shop_staff:order_detail", coop_slug=request.cooperative.slug, order_code=order.code)


# --- the order board -----------------------------------------------------------------------


@coop_view(Perm.ORDER_VIEW)
@require_GET
def order_list(request):
    form = BoardForm(request.GET or None)
    flt = BoardFilter()
    status = 200
    if form.is_bound:
        if form.is_valid():
            flt = BoardFilter(**form.cleaned_data)
        else:
            status = 400
    counts = selectors.status_counts(flt)
    page = Paginator(selectors.order_board(flt), PER_PAGE).get_page(request.GET.get("page"))
    tabs = [("", _("All"), counts[""])] + [
        (value, label, counts[value]) for value, label in OrderStatus.choices
    ]
    return render(
        request,
        "shop/staff/order_list.html",
        {"form": form, "page": page, "orders": page.object_list, "tabs": tabs, "current": flt.status},
        status=status,
    )


# --- one order -------------------------------------------------------------------------------


def _actions(request, order: Order) -> list[dict]:
    if not request.access.can(Perm.ORDER_MANAGE):
        return []
    result = []
    for to in TRANSITIONS.get(order.status, ()):
        label, asks = MOVES[to]
        result.append(
            {
                "to": to,
                "label": label,
                "asks": asks,
                "needs_tracking": to == OrderStatus.SHIPPED
                and order.delivery_method != DeliveryMethod.PICKUP,
                "tracking_required": to == OrderStatus.SHIPPED
                and order.delivery_method == DeliveryMethod.POST,
            }
        )
    return result


def _detail(request, order: Order, *, invoice_form=None, cash_form=None, guard=None, status=200):
    page = selectors.order_page(order)
    can_cash = request.access.can(Perm.ORDER_MANAGE) or request.access.can(Perm.PAYMENT_MANAGE)
    return render(
        request,
        "shop/staff/order_detail.html",
        {
            "order": order,
            "page": page,
            "address": _address(order),
            "actions": _actions(request, order),
            "can_manage": request.access.can(Perm.ORDER_MANAGE),
            "can_cash": can_cash and order.status not in (OrderStatus.CANCELLED, OrderStatus.RETURNED),
            "cash_form": cash_form
            or CashForm(initial={"amount": _amount_text(order.owed_vnd), "seen_paid": order.paid_vnd}),
            "invoice_form": invoice_form or InvoiceForm(initial=_invoice_initial(order)),
            "guard": guard or EditGuard(request, current=_invoice_initial(order)),
            "shipping": _shipping(order),
        },
        status=status,
    )


def _shipping(order: Order) -> dict | None:
    """Delivery by carrier on the order page (orders sent by post only)."""
    if order.delivery_method != DeliveryMethod.POST:
        return None
    from hoptac.shop.views.shipping import order_shipping

    return order_shipping(order)


def _amount_text(amount: int) -> str:
    """An amount as a money input shows it, the Vietnamese way: ``800.000``."""
    return group_digits(amount) if amount else ""


def _invoice_initial(order: Order) -> dict:
    return {"einvoice_number": order.einvoice_number, "einvoice_provider": order.einvoice_provider}


def _address(order: Order) -> str:
    if order.delivery_method == DeliveryMethod.PICKUP:
        return ""
    parts = [order.street]
    if order.commune_code:
        parts.append(places.commune_name(order.commune_code) or "")
    if order.province_code:
        parts.append(places.province_name(order.province_code) or "")
    return ", ".join(p for p in parts if p)


@coop_view(Perm.ORDER_VIEW)
@require_GET
def order_detail(request, order_code: str):
    return _detail(request, _order_or_404(order_code))


def _stale(request, order: Order, seen: str) -> bool:
    if seen == order.status:
        return False
    messages.error(
        request,
        _(
            "This order changed since you opened the page: it was %(seen)s and is now %(now)s. "
            "Nothing was done; look at it again before acting."
        )
        % {
            "seen": str(dict(OrderStatus.choices).get(seen, seen)).lower(),
            "now": order.get_status_display().lower(),
        },
    )
    return True


@coop_view(Perm.ORDER_MANAGE)
@repeat_safe("A state transition: sent twice, the second is refused as stale (the order already moved).")
@require_POST
def order_move(request, order_code: str):
    order = _order_or_404(order_code)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This action could not be read; nothing was done."))
        return _to_order(request, order)
    data = form.cleaned_data
    if _stale(request, order, data["seen"]):
        return _to_order(request, order)
    to = data["to"]
    label, asks = MOVES.get(to, ("", False))
    if asks and data["confirm"] != "yes":
        return render(
            request,
            "shop/staff/order_confirm.html",
            {"order": order, "to": to, "label": label, "note": data["note"]},
        )
    try:
        order_services.order_move(
            order=order,
            to=to,
            actor=request.user,
            note=data["note"],
            carrier=data["carrier"],
            tracking_code=data["tracking_code"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        if asks:
            return render(
                request,
                "shop/staff/order_confirm.html",
                {"order": order, "to": to, "label": label, "note": data["note"], "error": True},
                status=422,
            )
    else:
        order.refresh_from_db()
        messages.success(
            request,
            _("Order %(code)s: %(status)s.") % {"code": order.code, "status": order.get_status_display()},
        )
    return _to_order(request, order)


@coop_view(Perm.ORDER_VIEW)
@creates
@require_POST
def order_cash(request, order_code: str):
    """Cash handed over for an order (cash on delivery, or paid at pickup)."""
    _require(request, Perm.ORDER_MANAGE, Perm.PAYMENT_MANAGE)
    order = _order_or_404(order_code)
    form = CashForm(request.POST)
    if form.is_valid():
        if form.cleaned_data["seen_paid"] != order.paid_vnd:
            form.add_error(
                None,
                _(
                    "A payment was recorded for this order since you opened the page; check what is still owed."
                ),
            )
        else:
            try:
                payment_services.order_cash_received(
                    order=order, amount=form.cleaned_data["amount"], actor=request.user
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                made(request, order.code)
                messages.success(request, _("Cash received recorded in the cash book."))
                return _to_order(request, order)
    order.refresh_from_db()
    return _detail(request, order, cash_form=form, status=422)


@coop_view(Perm.ORDER_MANAGE)
@edits
@require_POST
def order_invoice(request, order_code: str):
    order = _order_or_404(order_code)
    guard = EditGuard(request, current=_invoice_initial(order))
    form = InvoiceForm(request.POST)
    if form.is_valid() and guard.unchanged(form):
        try:
            order_services.order_invoice_set(
                order=order,
                number=form.cleaned_data["einvoice_number"],
                provider=form.cleaned_data["einvoice_provider"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("E-invoice recorded."))
            return _to_order(request, order)
    return _detail(request, order, invoice_form=form, guard=guard, status=422)


@coop_view(Perm.ORDER_VIEW)
@require_GET
def order_slip(request, order_code: str):
    """The packing slip, on A5 or an 80 mm roll (``?paper=80mm``)."""
    order = _order_or_404(order_code)
    page = selectors.order_page(order)
    order_path = reverse(
        "shop_staff:order_detail", kwargs={"coop_slug": request.cooperative.slug, "order_code": order.code}
    )
    lots = []
    seen = set()
    for entry in page.lines:
        for lot, _quantity, _state in entry.lots:
            if lot.pk not in seen:
                seen.add(lot.pk)
                url = request.build_absolute_uri(reverse("trace:page", args=[lot.public_code]))
                lots.append({"lot": lot, "url": url, "qr": qr.svg(url, scale=2, title=lot.code)})
    paper = "80mm" if request.GET.get("paper") == "80mm" else "a5"
    return render(
        request,
        "shop/staff/slip.html",
        {
            "order": order,
            "page": page,
            "address": _address(order),
            "lots": lots,
            "paper": paper,
            "cod": order.payment_method == PaymentMethod.COD and order.owed_vnd > 0,
            "order_qr": qr.svg(order_path, scale=3, title=order.code),
            "printed_at": timezone.now(),
        },
    )


# --- settings ---------------------------------------------------------------------------------


def _settings(request, *, form=None, rate_form=None, guard=None, status=200):
    shop = shop_services.shop_for_current()
    public_url = ""
    if shop.pk and shop.is_open:
        public_url = request.build_absolute_uri(f"/s/{request.cooperative.slug}/")
    return render(
        request,
        "shop/staff/settings.html",
        {
            "shop": shop,
            "form": form or ShopForm(initial=ShopForm.initial_from(shop)),
            "guard": guard or EditGuard(request, current=ShopForm.initial_from(shop)),
            "rate_form": rate_form or RateForm(),
            "rates": selectors.delivery_rates(),
            "problems": shop_services.opening_problems(shop),
            "public_url": public_url,
            "bank_name": banks.bank_name(shop.bank_bin) if shop.bank_bin else "",
        },
        status=status,
    )


@coop_view(Perm.SHOP_EDIT)
@edits
@require_http_methods(["GET", "POST"])
def shop_settings(request):
    if request.method == "GET":
        return _settings(request)
    shop = shop_services.shop_for_current()
    guard = EditGuard(request, current=ShopForm.initial_from(shop))
    form = ShopForm(request.POST)
    if form.is_valid() and guard.unchanged(form):
        try:
            shop = shop_services.shop_save(actor=request.user, **form.values())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The shop is open.") if shop.is_open else _("Settings saved."))
            return redirect("shop_staff:settings", coop_slug=request.cooperative.slug)
    return _settings(request, form=form, guard=guard, status=422)


@coop_view(Perm.SHOP_EDIT)
@creates
@require_POST
def rate_add(request):
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            shop_services.delivery_rate_add(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Delivery fee added."))
            return redirect(
                reverse("shop_staff:settings", kwargs={"coop_slug": request.cooperative.slug}) + "#rates"
            )
    return _settings(request, rate_form=form, status=422)


@coop_view(Perm.SHOP_EDIT)
@repeat_safe("Removing a fee line twice removes nothing the second time.")
@require_POST
def rate_remove(request):
    try:
        rate_id = int(request.POST.get("rate", ""))
    except ValueError:
        rate_id = 0
    if shop_services.delivery_rate_remove(rate_id=rate_id, actor=request.user):
        messages.success(request, _("Delivery fee removed."))
    else:
        messages.info(request, _("This delivery fee was removed already."))
    return redirect(reverse("shop_staff:settings", kwargs={"coop_slug": request.cooperative.slug}) + "#rates")


# --- products on sale ---------------------------------------------------------------------------


@coop_view(Perm.LISTING_EDIT)
@require_GET
def listing_list(request):
    return render(request, "shop/staff/listing_list.html", {"rows": selectors.listings_with_stock()})


def _product_or_404(product_id: int):
    product = selectors.product_or_none(product_id)
    if product is None:
        raise Http404
    return product


def _listing_page(request, product, *, form=None, tier_form=None, guard=None, status=200):
    listing = selectors.listing_of(product)
    return render(
        request,
        "shop/staff/listing_edit.html",
        {
            "product": product,
            "listing": listing,
            "tiers": list(listing.tiers.all()) if listing else [],
            "form": form or ListingForm(initial=ListingForm.initial_from(listing)),
            "tier_form": tier_form or TierForm(),
            "guard": guard or EditGuard(request, current=ListingForm.initial_from(listing)),
        },
        status=status,
    )


@coop_view(Perm.LISTING_EDIT)
@edits
@require_http_methods(["GET", "POST"])
def listing_edit(request, product_id: int):
    product = _product_or_404(product_id)
    if request.method == "GET":
        return _listing_page(request, product)
    listing = selectors.listing_of(product)
    guard = EditGuard(request, current=ListingForm.initial_from(listing))
    form = ListingForm(request.POST)
    if form.is_valid() and guard.unchanged(form):
        try:
            shop_services.listing_save(product=product, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Saved: %(name)s.") % {"name": product.name})
            return redirect("shop_staff:listing_list", coop_slug=request.cooperative.slug)
    return _listing_page(request, product, form=form, guard=guard, status=422)


@coop_view(Perm.LISTING_EDIT)
@creates
@require_POST
def tier_add(request, product_id: int):
    product = _product_or_404(product_id)
    listing = selectors.listing_of(product)
    form = TierForm(request.POST)
    if listing is None:
        form.add_error(None, _("Put the product on sale first: give its price."))
    elif form.is_valid():
        try:
            shop_services.price_tier_add(listing=listing, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Quantity price added."))
            return redirect(
                "shop_staff:listing_edit", coop_slug=request.cooperative.slug, product_id=product.pk
            )
    return _listing_page(request, product, tier_form=form, status=422)


@coop_view(Perm.LISTING_EDIT)
@repeat_safe("Removing a quantity price twice removes nothing the second time.")
@require_POST
def tier_remove(request, product_id: int):
    product = _product_or_404(product_id)
    listing = selectors.listing_of(product)
    try:
        tier_id = int(request.POST.get("tier", ""))
    except ValueError:
        tier_id = 0
    if listing is not None and shop_services.price_tier_remove(
        listing=listing, tier_id=tier_id, actor=request.user
    ):
        messages.success(request, _("Quantity price removed."))
    else:
        messages.info(request, _("This quantity price was removed already."))
    return redirect("shop_staff:listing_edit", coop_slug=request.cooperative.slug, product_id=product.pk)

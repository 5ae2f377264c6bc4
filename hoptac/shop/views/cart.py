"""The buyer's side: the session cart, the checkout, the confirmation with VietQR, and the
buyer's own order page. No account: what a browser may see is what its session placed, or
an order it named by code *and* phone.

**One-time checkout key for anonymous buyers.** ``core/formkeys.py`` ties a key to a
signed-in person, so the checkout does its own, in two layers:

1. the checkout page carries a random ``form_key`` (a UUID); after a successful checkout
   the session maps that key to the checkout's uuid, so Back + resubmit, or a second click
   arriving after the first answer, goes straight to the first confirmation;
2. the key is also passed to ``order_place`` as ``client_key``; a second POST racing the
   first (double click, before the session was saved) is refused by the service ("already
   placed") and answered with the orders of that key. Nothing is placed twice.

Every page here answers ``Cache-Control: private, no-store`` (``never_cache``): they carry a
buyer's name, phone and address.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from hoptac.accounts.limiter import client_address
from hoptac.core.formkeys import parse_key
from hoptac.core.tenancy import tenant
from hoptac.lib import places, qr, vietqr
from hoptac.lib.banks import bank_name
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.shop import cart, pricing
from hoptac.shop.forms import CheckoutForm
from hoptac.shop.models import DeliveryMethod, OrderStatus, PaymentMethod
from hoptac.shop.selectors import buyer as buyer_selectors
from hoptac.shop.services.orders import Buyer, Choice, order_cancel_by_buyer, order_place
from hoptac.shop.views.share import checkout_channel

CHECKOUT_LIMIT, CHECKOUT_WINDOW = 10, 600  # checkouts per address per 10 minutes
LOOKUP_LIMIT, LOOKUP_WINDOW = 10, 600  # order look-ups per address per 10 minutes
STATUS_LABELS = dict(OrderStatus.choices)


def _drop_gone(request, gone) -> None:
    if gone:
        cart.remove(request.session, gone)
        messages.warning(request, _("Some products are no longer on sale and were taken out of your cart."))


def _quote(request, province_code=None, commune_code=None):
    quotes, gone = pricing.quote(
        cart.items(request.session), province_code=province_code, commune_code=commune_code
    )
    _drop_gone(request, gone)
    return quotes


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- the cart -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD"])
def cart_view(request):
    quotes = _quote(request)
    return render(
        request,
        "shop/cart/cart.html",
        {"quotes": quotes, "total": sum(q.subtotal for q in quotes), "max_packs": pricing.MAX_PACKS},
    )


@csrf_exempt
@never_cache
@require_POST
def cart_add(request):
    """Add packs of a listing (``listing``, ``quantity``); only listings still on sale.

    Without CSRF on purpose: the button sits on the public product pages, which are cached
    and set no cookie (so they carry no CSRF token). A forged request can only put a product
    into the visitor's own cart, which they see before anything is ordered; the checkout,
    which makes orders, keeps its CSRF check."""
    back = _safe_next(request, reverse("shop_cart:cart"))
    listing_id = request.POST.get("listing", "")
    listing = (
        pricing.listings_for_cart([int(listing_id)]).get(int(listing_id))
        if listing_id.isdigit() and len(listing_id) < 12
        else None
    )
    if listing is None:
        messages.error(request, _("This product is not on sale."))
        return HttpResponseRedirect(back)
    try:
        packs = cart.parse_packs(request.POST.get("quantity", "1"), most=listing.max_per_order)
        cart.add(request.session, listing.pk, packs)
        cart.note_source(request.session, (request.POST.get("c") or "")[:40])
    except cart.BadQuantity as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(back)
    messages.success(request, _("Added to your cart: %(name)s.") % {"name": listing.product.name})
    return HttpResponseRedirect(back)


@never_cache
@require_POST
def cart_update(request):
    """Change quantities (``qty_<listing id>``) or take a line out (``remove=<listing id>``)."""
    session = request.session
    remove = request.POST.get("remove", "")
    if remove.isdigit():
        cart.remove(session, [int(remove)])
        messages.success(request, _("Taken out of your cart."))
        return redirect("shop_cart:cart")
    in_cart = dict(cart.items(session))
    listings = pricing.listings_for_cart(in_cart)
    problems = []
    for listing_id in in_cart:
        raw = request.POST.get(f"qty_{listing_id}")
        if raw is None:
            continue
        if raw.strip() in ("0",):
            cart.remove(session, [listing_id])
            continue
        listing = listings.get(listing_id)
        most = listing.max_per_order if listing else pricing.MAX_PACKS
        try:
            cart.set_quantity(session, listing_id, cart.parse_packs(raw, most=most))
        except cart.BadQuantity as error:
            name = listing.product.name if listing else ""
            problems.append(f"{name}: {error}")
    for problem in problems:
        messages.error(request, problem)
    if not problems:
        messages.success(request, _("Your cart is updated."))
    return redirect("shop_cart:cart")


# --- the checkout ---------------------------------------------------------------------------


def _buyer(data) -> Buyer:
    return Buyer(
        name=data.get("name") or "",
        phone=data.get("phone") or "",
        email=data.get("email") or "",
        province_code=data.get("province_code"),
        commune_code=data.get("commune_code"),
        street=data.get("street") or "",
        note=data.get("note") or "",
        company_name=data.get("company_name") or "",
        tax_code=data.get("tax_code") or "",
        company_address=data.get("company_address") or "",
        message_channel=data.get("message_channel") or "sms",
    )


def _parts(form: CheckoutForm, quotes):
    """Per cooperative: its quote, its two fields, the chosen method's fee (None: cannot
    deliver there) and the part's total; and the overall total."""
    parts, overall, complete = [], 0, True
    for cq in quotes:
        method = form.chosen(cq.cooperative.pk, "delivery")
        fee = cq.fees.get(method) if method else None
        if method == DeliveryMethod.PICKUP:
            fee = 0
        delivery, payment = form.coop_fields(cq.cooperative.pk)
        labels = dict(DeliveryMethod.choices)
        fees = [
            (m, labels.get(m, m), 0 if m == DeliveryMethod.PICKUP else cq.fees.get(m)) for m in cq.methods()
        ]
        total = cq.subtotal + (fee or 0)
        overall += total
        complete = complete and fee is not None
        parts.append(
            {
                "quote": cq,
                "delivery": delivery,
                "payment": payment,
                "chosen": method,
                "fee": fee,
                "fees": fees,
                "total": total,
            }
        )
    return parts, overall, complete


def _checkout_page(request, form, quotes, *, key: str, status: int = 200, top_errors=()):
    parts, overall, complete = _parts(form, quotes)
    return render(
        request,
        "shop/cart/checkout.html",
        {
            "form": form,
            "parts": parts,
            "overall": overall,
            "complete": complete,
            "form_key": key,
            "top_errors": list(top_errors),
            "has_communes": len(form.fields["commune_code"].choices) > 1,
        },
        status=status,
    )


def _to_done(request, checkout: str, order_ids) -> HttpResponseRedirect:
    cart.remember_orders(request.session, order_ids)
    request.session[cart.LAST_CHECKOUT] = checkout
    return redirect("shop_cart:done")


def _error_messages(error: ValidationError) -> tuple[dict[str, list[str]], list[str]]:
    if hasattr(error, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in error.error_dict.items()}
        return fields, []
    return {}, list(error.messages)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkout(request):
    session = request.session
    if request.method != "POST":
        quotes = _quote(request)
        if not quotes:
            messages.info(request, _("Your cart is empty: add products first."))
            return redirect("shop_cart:cart")
        form = CheckoutForm(quotes=quotes)
        return _checkout_page(request, form, quotes, key=str(_new_key()))

    key = parse_key(request.POST.get("form_key"))
    if key is not None:
        done = cart.checkout_for_key(session, str(key))
        if done:
            messages.info(request, _("This order was already placed; nothing was ordered twice."))
            return redirect("shop_cart:done")
    province = CheckoutForm(request.POST).chosen_province()
    # The commune too: a carrier quoting the fee needs it (asked here, outside the order's
    # transaction; placing the order then finds the quote in the cache).
    raw_commune = str(request.POST.get("commune_code") or "")[:12]
    commune = int(raw_commune) if raw_commune.isdigit() else None
    if commune is not None and (province is None or places.commune_province(commune) != province):
        commune = None
    quotes = _quote(request, province_code=province, commune_code=commune)
    if not quotes:
        messages.error(request, _("Your cart is empty: add products first."))
        return redirect("shop_cart:cart")
    form = CheckoutForm(request.POST, quotes=quotes)
    key_text = str(key or _new_key())
    if "refresh" in request.POST:
        # "Show communes" (JS off): the same form again with the communes of the province and
        # the fees to it, keeping what was typed, without complaining about what is not yet.
        form.full_clean()
        form._errors.clear()
        return _checkout_page(request, form, quotes, key=key_text)
    if key is None:
        return _checkout_page(
            request,
            form,
            quotes,
            key=key_text,
            status=400,
            top_errors=[_("The form was damaged or is too old. Check it and send it again.")],
        )
    if not cart.allow("checkout", client_address(request), limit=CHECKOUT_LIMIT, seconds=CHECKOUT_WINDOW):
        return _checkout_page(
            request,
            form,
            quotes,
            key=key_text,
            status=429,
            top_errors=[_("Too many orders from your connection. Try again in a few minutes.")],
        )
    if not form.is_valid():
        return _checkout_page(request, form, quotes, key=key_text, status=400)
    data = form.cleaned_data
    choices = {
        cq.cooperative.pk: Choice(
            delivery=data[f"delivery_{cq.cooperative.pk}"], payment=data[f"payment_{cq.cooperative.pk}"]
        )
        for cq in quotes
    }
    # A share link opened within 7 days marks its cooperative's order, unless the buyer came
    # through the marketplace since (last click; views/share.py).
    channel, channel_ref = checkout_channel(request)
    try:
        orders = order_place(
            items=cart.items(session),
            buyer=_buyer(data),
            choices=choices,
            client_key=key_text,
            channel=channel,
            channel_ref=channel_ref,
        )
    except ValidationError as error:
        codes = {getattr(e, "code", None) for e in getattr(error, "error_list", [])}
        if "client_key" in codes:
            earlier = buyer_selectors.checkout_of_client_key(key_text)
            if earlier:
                cart.remember_checkout(session, key_text, earlier[0])
                cart.clear(session)
                messages.info(request, _("This order was already placed; nothing was ordered twice."))
                return _to_done(request, earlier[0], earlier[1])
        if "gone" in codes:
            _quote(request)
        fields, top = _error_messages(error)
        for name, texts in fields.items():
            for text in texts:
                form.add_error(name if name in form.fields else None, text)
        return _checkout_page(request, form, quotes, key=key_text, status=400, top_errors=top)
    checkout_id = str(orders[0].checkout)
    cart.remember_checkout(session, key_text, checkout_id)
    cart.clear(session)
    return _to_done(request, checkout_id, [o.pk for o in orders])


def _new_key():
    return uuid.uuid4()


# --- confirmation and the buyer's order page ------------------------------------------------


def pay_details(order) -> dict | None:
    """What to transfer for a bank-transfer order still owing: the VietQR (amount owed, the
    order code as the memo) drawn as SVG, and the same written out; None when nothing is owed."""
    if order.payment_method != PaymentMethod.BANK or order.status in (
        OrderStatus.CANCELLED,
        OrderStatus.RETURNED,
    ):
        return None
    owed = order.total_vnd - order.paid_vnd
    if owed <= 0:
        return None
    shop = order.cooperative.shop
    memo = vietqr.clean_purpose(order.code)
    try:
        text = vietqr.payload(bank_bin=shop.bank_bin, account=shop.bank_account, amount=owed, purpose=memo)
    except vietqr.VietQRError:
        text = ""
    return {
        "owed": owed,
        "memo": memo,
        "bank": bank_name(shop.bank_bin),
        "account": shop.bank_account,
        "holder": shop.account_name or order.cooperative.name,
        "payload": text,
        "svg": qr.svg(text, scale=4, title=_("VietQR to pay order %(code)s") % {"code": order.code})
        if text
        else "",
        "pay_by": order.pay_by,
    }


def _address(order) -> str:
    if order.delivery_method == DeliveryMethod.PICKUP:
        return ""
    return ", ".join(
        p
        for p in (
            order.street,
            places.commune_name(order.commune_code),
            places.province_name(order.province_code),
        )
        if p
    )


def _blocks(orders):
    return [{"order": o, "pay": pay_details(o), "address": _address(o)} for o in orders]


@never_cache
@require_http_methods(["GET", "HEAD"])
def done(request):
    checkout_id = request.session.get(cart.LAST_CHECKOUT)
    orders = (
        buyer_selectors.orders_owned(ids=cart.remembered_orders(request.session), checkout=checkout_id)
        if checkout_id
        else []
    )
    if not orders:
        return redirect("shop_cart:lookup")
    return render(
        request,
        "shop/cart/done.html",
        {"blocks": _blocks(orders), "overall": sum(o.total_vnd for o in orders), "first": orders[0]},
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request):
    """Find an order by its code and the buyer's phone: one answer for a wrong code and a
    wrong phone, and a limit per address so codes cannot be tried in bulk."""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper().replace(" ", "")[:12]
    phone_text = (request.POST.get("phone") or "")[:20]
    error, status = "", 200
    if request.method == "POST":
        if not cart.allow("lookup", client_address(request), limit=LOOKUP_LIMIT, seconds=LOOKUP_WINDOW):
            error, status = _("Too many tries from your connection. Try again in a few minutes."), 429
        else:
            try:
                phone = normalize_phone(phone_text)
            except InvalidPhone:
                phone = ""
            found = buyer_selectors.order_by_code_and_phone(code=code, phone=phone)
            if found is not None:
                cart.remember_orders(request.session, [found.pk])
                return redirect("shop_cart:order", code=found.code)
            error, status = _("We found no order with this code and phone number. Check both."), 404
    mine = buyer_selectors.orders_owned(ids=cart.remembered_orders(request.session))
    return render(
        request,
        "shop/cart/lookup.html",
        {"code": code, "phone": phone_text, "error": error, "mine": mine},
        status=status,
    )


def _owned(request, code: str):
    return buyer_selectors.order_owned(code=code.upper(), ids=cart.remembered_orders(request.session))


@never_cache
@require_http_methods(["GET", "HEAD"])
def order_page(request, code: str):
    order = _owned(request, code)
    if order is None:
        return redirect(f"{reverse('shop_cart:lookup')}?code={code.upper()[:12]}")
    return render(
        request,
        "shop/cart/order.html",
        {
            "order": order,
            "pay": pay_details(order),
            "address": _address(order),
            "can_cancel": order.status == OrderStatus.NEW,
            "history": [(e, STATUS_LABELS.get(e.to_status, e.to_status)) for e in order.events.all()],
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def order_cancel(request, code: str):
    """The buyer cancels an order not yet confirmed: a page that asks first (reason
    optional), then ``order_cancel_by_buyer``. Repeating it changes nothing (refused)."""
    order = _owned(request, code)
    if order is None:
        return redirect(f"{reverse('shop_cart:lookup')}?code={code.upper()[:12]}")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            with tenant(order.cooperative):
                order_cancel_by_buyer(order=order, reason=(request.POST.get("reason") or "")[:300])
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("Order %(code)s is cancelled.") % {"code": order.code})
        return redirect("shop_cart:order", code=order.code)
    if order.status != OrderStatus.NEW:
        messages.error(
            request, _("The cooperative has already confirmed this order: call them to change it.")
        )
        return redirect("shop_cart:order", code=order.code)
    return render(request, "shop/cart/cancel.html", {"order": order})

"""A live buyer's own page, ``/mua/<token>/``: no account, no JavaScript, phone first.

The token in the address is the buyer's key (``services/links.py``). The page shows the
cooperative, what is held for the buyer (live price, total, time left to confirm), what
waits ("you are 2nd in line"), what expired or was released; it asks for the delivery and
the address (the shop's checkout form and its per-cooperative fields, reused) and the
payment, then ``claims.buyer_confirm`` makes one order and the buyer lands on the shop's
order page ``/don/<code>/`` (VietQR for a bank transfer).

One order, however often the form is sent: the page carries a one-time ``form_key`` passed
to ``buyer_confirm`` as the order's client key; a second POST (double click, Back and send
again) finds the buyer already ordered and goes to that order. A claim held but past its
time counts as expired here even before the task expires it.

Privacy: the phone found in the buyer's comment is shown masked (whoever holds a forwarded
link does not learn it); left empty, the form uses it. Every answer is ``no-store``,
``noindex`` and ``Referrer-Policy: same-origin`` (the token never leaves in a Referer to
another site; not ``no-referrer``, with which the browser posts the form with ``Origin:
null`` and Django's CSRF check refuses it — tests/test_live_flow_browser.py),
and the token is masked in our logs (``core/redact.py``).
"""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hoptac.accounts.limiter import client_address
from hoptac.core.formkeys import parse_key
from hoptac.core.tenancy import tenant
from hoptac.lib.livecomments import mask_phones
from hoptac.shop import cart, pricing
from hoptac.shop.forms import CheckoutForm
from hoptac.shop.views.cart import _buyer, _parts

from ..models import Claim, ClaimState, LiveBuyer
from ..services.claims import buyer_confirm

TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,24}$")
PAGE_LIMIT, PAGE_WINDOW = 120, 600  # page views (good or unknown tokens) per address per 10 minutes
CONFIRM_LIMIT, CONFIRM_WINDOW = 10, 600  # confirmations per address per 10 minutes


class ConfirmForm(CheckoutForm):
    """The checkout form, with the phone optional when the live already knows it."""

    def __init__(self, *args, known_phone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.known_phone = known_phone
        if known_phone:
            self.fields["phone"].required = False
            self.fields["phone"].help_text = _(
                "Leave it empty to use %(phone)s, the number in your comment."
            ) % {"phone": mask_phones(known_phone)}

    def clean_phone(self):
        return self.cleaned_data.get("phone") or self.known_phone


def _headers(response):
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _rows(buyer: LiveBuyer, now):
    """Each claim of the buyer as shown: held (counting), waiting (with its place in line),
    or closed (ordered, released, expired — or held past its time)."""
    claims = list(Claim.objects.filter(buyer=buyer).select_related("item__listing__product").order_by("id"))
    rows, held = [], []
    for claim in claims:
        row = {"claim": claim, "item": claim.item, "name": claim.item.listing.product.name, "place": None}
        row["total"] = claim.quantity * claim.item.price_vnd
        if claim.state == ClaimState.HELD and claim.expires_at and claim.expires_at > now:
            row["state"] = "held"
            held.append(claim)
        elif claim.state == ClaimState.HELD:
            row["state"] = ClaimState.EXPIRED.value
        elif claim.state == ClaimState.WAITING:
            row["state"] = "waiting"
            row["place"] = (
                Claim.objects.filter(item_id=claim.item_id, state=ClaimState.WAITING, id__lt=claim.id).count()
                + 1
            )
        else:
            row["state"] = claim.state
        row["label"] = dict(ClaimState.choices).get(row["state"], row["state"])
        rows.append(row)
    return rows, held


def _cart(held):
    items: dict[int, int] = {}
    prices: dict[int, int] = {}
    for claim in held:
        lid = claim.item.listing_id
        items[lid] = items.get(lid, 0) + claim.quantity
        prices[lid] = claim.item.price_vnd
    return list(items.items()), prices


def _to_order(request, order, *, again: bool = False):
    cart.remember_orders(request.session, [order.pk])
    if again:
        messages.info(request, _("This order was already placed; nothing was ordered twice."))
    return _headers(redirect("shop_cart:order", code=order.code))


def _closed(request, buyer, rows, *, gone: bool = False, status: int = 200):
    return _headers(
        render(
            request,
            "live/buyer_closed.html",
            {
                "buyer": buyer,
                "coop": buyer.cooperative,
                "rows": rows,
                "waiting": any(r["state"] == "waiting" for r in rows),
                "gone": gone,
            },
            status=status,
        )
    )


def _page(request, buyer, form, quotes, rows, held, *, key: str, status: int = 200, top_errors=()):
    parts, overall, complete = _parts(form, quotes)
    return _headers(
        render(
            request,
            "live/buyer_page.html",
            {
                "buyer": buyer,
                "coop": buyer.cooperative,
                "session": buyer.session,
                "rows": rows,
                "held_total": sum(c.quantity * c.item.price_vnd for c in held),
                "until": min(c.expires_at for c in held),
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
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def buyer_page(request, token: str):
    address = client_address(request)
    if not cart.allow("live_page", address, limit=PAGE_LIMIT, seconds=PAGE_WINDOW):
        response = render(request, "live/buyer_busy.html", status=429)
        return _headers(response)
    if not TOKEN.match(token or ""):
        raise Http404
    # A cross-cooperative read on purpose: the token names the buyer, whatever cooperative.
    buyer = (
        LiveBuyer.unscoped.select_related("session", "cooperative", "cooperative__shop", "order")
        .filter(token=token)
        .first()
    )
    if buyer is None:
        raise Http404
    with tenant(buyer.cooperative):
        return _serve(request, buyer, address)


def _serve(request, buyer: LiveBuyer, address):
    now = timezone.now()
    if buyer.state == LiveBuyer.State.ORDERED and buyer.order_id:
        return _to_order(request, buyer.order, again=request.method == "POST")
    rows, held = _rows(buyer, now)
    if not held:
        return _closed(request, buyer, rows)
    items, prices = _cart(held)
    province = ConfirmForm(request.POST).chosen_province() if request.method == "POST" else None
    quotes, gone = pricing.quote(items, province_code=province, unit_prices=prices)
    if gone or not quotes:
        return _closed(request, buyer, rows, gone=True)
    if request.method != "POST":
        form = ConfirmForm(quotes=quotes, known_phone=buyer.phone, initial={"name": buyer.name})
        return _page(request, buyer, form, quotes, rows, held, key=str(uuid.uuid4()))

    form = ConfirmForm(request.POST, quotes=quotes, known_phone=buyer.phone)
    key = parse_key(request.POST.get("form_key"))
    key_text = str(key or uuid.uuid4())
    if "refresh" in request.POST:
        form.full_clean()
        form._errors.clear()
        return _page(request, buyer, form, quotes, rows, held, key=key_text)
    if key is None:
        return _page(
            request,
            buyer,
            form,
            quotes,
            rows,
            held,
            key=key_text,
            status=400,
            top_errors=[_("The form was damaged or is too old. Check it and send it again.")],
        )
    if not cart.allow("live_confirm", address, limit=CONFIRM_LIMIT, seconds=CONFIRM_WINDOW):
        return _page(
            request,
            buyer,
            form,
            quotes,
            rows,
            held,
            key=key_text,
            status=429,
            top_errors=[_("Too many orders from your connection. Try again in a few minutes.")],
        )
    if not form.is_valid():
        return _page(request, buyer, form, quotes, rows, held, key=key_text, status=400)
    data = form.cleaned_data
    coop_id = quotes[0].cooperative.pk
    try:
        order = buyer_confirm(
            buyer=buyer,
            details=_buyer(data),
            delivery=data[f"delivery_{coop_id}"],
            payment=data[f"payment_{coop_id}"],
            client_key=key_text,
        )
    except ValidationError as error:
        buyer = LiveBuyer.objects.select_related("order").get(pk=buyer.pk)
        if buyer.state == LiveBuyer.State.ORDERED and buyer.order_id:
            # A second POST that raced the first: it finds the order the first one made.
            return _to_order(request, buyer.order, again=True)
        rows, held = _rows(buyer, timezone.now())
        if not held:
            return _closed(request, buyer, rows, status=409)
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                for text in (m for e in errors for m in e.messages):
                    form.add_error(name if name in form.fields else None, text)
            top = []
        else:
            top = list(error.messages)
        return _page(request, buyer, form, quotes, rows, held, key=key_text, status=400, top_errors=top)
    return _to_order(request, order)

"""The share kit (``/c/<slug>/share/``, ``listing.edit``) and the public share link ``/l/<code>``.

Staff pages: the links with their visits, orders and money (``link_list``); a kit per listed
product, per lot of it and per share link: the two share images (1200×630 and 1080×1080,
JPEG or PNG, with a QR code to the kit's address), the caption with and without
diacritics, and the form that makes a link for a group or a post.

``/l/<code>`` counts a visit (one ``UPDATE``; not for ``HEAD`` nor for link-preview robots),
remembers the link for 7 days in a signed first-party cookie and sends the visitor to the
product's page. The checkout asks :func:`checkout_channel`: the orders of the link's
cooperative are marked ``channel=share, channel_ref=<code>``. *Last click wins*: another
share link opened later replaces the cookie; a product added to the cart from the
marketplace *after* the link was opened makes the checkout ``marketplace`` (the
marketplace's product links carry ``?c=cho``, which "Add to cart" posts back). Merely
browsing the shop or the marketplace changes nothing (those pages are cached for everyone
and set no cookie).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.signing import BadSignature
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from hoptac.coops.access import coop_view
from hoptac.core.formkeys import creates, made
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.core.sites import public_base
from hoptac.lib import captions, money
from hoptac.lib.shareimage import LANDSCAPE, SQUARE, render_share_image
from hoptac.shop import cart
from hoptac.shop.forms_share import ShareLinkForm
from hoptac.shop.models import Channel
from hoptac.shop.selectors import share as selectors
from hoptac.shop.services.share import share_link_create, share_link_visit

SHARE_DIR = "shop/share"  # under MEDIA_ROOT, as the public preview images: named by content hash
COOKIE = "hoptac_share"
COOKIE_SALT = "hoptac.share"
COOKIE_DAYS = 7
SHAPES = {"wide": LANDSCAPE, "square": SQUARE}
FORMATS = {"jpeg": ("image/jpeg", "jpg"), "png": ("image/png", "png")}
# Link previews (Facebook, Zalo's and others' fetchers) open the link without a person.
ROBOTS = re.compile(r"bot|crawl|spider|facebookexternalhit|facebot|preview|slurp|embedly", re.I)
CAPTION_LANGUAGE = "vi"  # captions are for the cooperative's buyers, whatever the staff reads


# --- the share link: public side -------------------------------------------------------------


def _is_robot(request) -> bool:
    return bool(ROBOTS.search(request.META.get("HTTP_USER_AGENT", "")[:300]))


@require_safe
def link_visit(request, code: str):
    """``/l/<code>``: count, remember, redirect to the product page (a lot link too: the
    caption names the lot and its trace page). Unknown or no longer on sale: the 404 page."""
    link = selectors.link_by_code(code)
    if link is None:
        from hoptac.shop.views.public import _not_found

        return _not_found(request)
    listing = link.listing
    target = reverse("shop_public:product", args=[listing.cooperative.slug, listing.short_code])
    response = HttpResponseRedirect(target)
    add_never_cache_headers(response)  # counted per visit; never served from a cache
    if request.method == "GET" and not _is_robot(request):
        share_link_visit(link_id=link.pk)
        response.set_signed_cookie(
            COOKIE,
            f"{link.code}:{int(time.time())}",
            salt=COOKIE_SALT,
            max_age=COOKIE_DAYS * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def share_opened(request) -> tuple[str, int]:
    """The share link this browser opened last within 7 days and when (Unix seconds), from
    the signed cookie; ``("", 0)`` without one (or with one we did not sign)."""
    try:
        value = request.get_signed_cookie(
            COOKIE, default="", salt=COOKIE_SALT, max_age=COOKIE_DAYS * 24 * 3600
        )
    except BadSignature:
        return "", 0
    code, _sep, at = (value or "").partition(":")
    code = code.strip().upper()
    if not (code.isalnum() and len(code) <= 8 and at.isdigit()):
        return "", 0
    return code, int(at)


def checkout_channel(request) -> tuple[str, str]:
    """(channel, channel_ref) for the orders of this checkout, by the last click: a share
    link opened within 7 days -> ``share`` (the service keeps it for the link's own
    cooperative only), unless a product was added from the marketplace since ->
    ``marketplace``; else ``shop``."""
    code, opened_at = share_opened(request)
    market_at = cart.from_market_at(request.session)
    if code and opened_at >= market_at:
        return Channel.SHARE, code
    if market_at:
        return Channel.MARKETPLACE, ""
    return Channel.SHOP, ""


# --- images and captions ------------------------------------------------------------------


def _price_text(kit: selectors.Kit) -> str:
    return money.format_vnd(kit.listing.price_vnd, language=CAPTION_LANGUAGE)


def _image_bytes(kit: selectors.Kit, *, qr_text: str, shape: str, image_format: str) -> tuple[bytes, str]:
    """The card drawn once per content and kept under MEDIA_ROOT by its hash (like the public
    preview): a second request reads the file. Returns (bytes, hash)."""
    price = _price_text(kit)
    photo = kit.photo_path
    try:
        stamp = Path(photo).stat().st_mtime_ns if photo else 0
    except OSError:
        photo, stamp = "", 0
    drawn = [
        kit.product.name,
        price,
        kit.card.stars or 0,
        kit.listing.cooperative.name,
        photo,
        stamp,
        qr_text,
        shape,
        image_format,
        "kit-v1",
    ]
    key = hashlib.sha256(json.dumps(drawn, ensure_ascii=False).encode()).hexdigest()[:32]
    path = Path(settings.MEDIA_ROOT) / SHARE_DIR / f"{key}.{FORMATS[image_format][1]}"
    if path.exists():
        return path.read_bytes(), key
    data = render_share_image(
        photo=photo or None,
        title=kit.product.name,
        price_text=price,
        stars=kit.card.stars,
        coop_name=kit.listing.cooperative.name,
        size=SHAPES[shape],
        qr_text=qr_text,
        image_format=image_format,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_bytes(data)
    temp.replace(path)  # atomic: two requests drawing at once leave one whole file
    return data, key


def _image_response(request, kit: selectors.Kit) -> HttpResponse:
    shape = request.GET.get("shape", "wide")
    image_format = request.GET.get("format", "jpeg")
    if shape not in SHAPES or image_format not in FORMATS:
        raise Http404
    base = public_base(request)
    data, key = _image_bytes(kit, qr_text=base + kit.path(), shape=shape, image_format=image_format)
    if request.headers.get("If-None-Match") == f'"{key}"':
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(data, content_type=FORMATS[image_format][0])
    response["ETag"] = f'"{key}"'
    if request.GET.get("download"):
        width, height = SHAPES[shape]
        name = kit.link.code if kit.link else kit.listing.short_code
        response["Content-Disposition"] = (
            f'attachment; filename="{name}-{width}x{height}.{FORMATS[image_format][1]}"'
        )
    return response


def _captions(request, kit: selectors.Kit) -> dict:
    base = public_base(request)
    trace_path = reverse("trace:page", args=[kit.lot.public_code]) if kit.lot is not None else ""
    facts = kit.facts(base=base, trace_path=trace_path)
    with translation.override(CAPTION_LANGUAGE):
        text = captions.caption(facts, language=CAPTION_LANGUAGE)
        plain = captions.plain(facts, language=CAPTION_LANGUAGE)
    return {"caption": text, "plain": plain, "link": base + kit.path()}


# --- staff pages --------------------------------------------------------------------------


@coop_view(Perm.LISTING_EDIT)
@require_GET
def link_list(request):
    return render(
        request,
        "shop/share_list.html",
        {"cards": selectors.listed_products(), "rows": selectors.link_rows()},
    )


def _kit_page(request, kit: selectors.Kit, *, form=None, status=200, view_name: str = ""):
    context = {
        "kit": kit,
        "images": _image_links(request, kit),
        "form": form or ShareLinkForm(),
        "form_view": view_name,
        "links": selectors.link_rows(listing=kit.listing) if kit.link is None else [],
        "lots": selectors.lots_to_share(kit.product) if kit.lot is None and kit.link is None else [],
        **_captions(request, kit),
    }
    return render(request, "shop/share_kit.html", context, status=status)


def _image_links(request, kit: selectors.Kit) -> list[dict]:
    slug = request.cooperative.slug
    if kit.link is not None:
        url = reverse("shop_share:link_image", args=[slug, kit.link.code])
    elif kit.lot is not None:
        url = reverse("shop_share:lot_image", args=[slug, kit.lot.uuid])
    else:
        url = reverse("shop_share:product_image", args=[slug, kit.product.pk])
    return [
        {
            "shape": shape,
            "size": f"{SHAPES[shape][0]} × {SHAPES[shape][1]}",
            "width": SHAPES[shape][0] // 2,
            "height": SHAPES[shape][1] // 2,
            "preview": f"{url}?shape={shape}",
            "jpeg": f"{url}?shape={shape}&format=jpeg&download=1",
            "png": f"{url}?shape={shape}&format=png&download=1",
        }
        for shape in SHAPES
    ]


def _create_link(request, kit: selectors.Kit, view_name: str):
    form = ShareLinkForm(request.POST)
    if form.is_valid():
        try:
            link = share_link_create(
                listing=kit.listing,
                lot=kit.lot,
                place=form.cleaned_data["place"],
                label=form.cleaned_data["label"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            made(request, f"/l/{link.code}")
            messages.success(request, _("Share link made: /l/%(code)s.") % {"code": link.code})
            return redirect("shop_share:link_kit", coop_slug=request.cooperative.slug, link_code=link.code)
    return _kit_page(request, kit, form=form, status=422, view_name=view_name)


@coop_view(Perm.LISTING_EDIT)
@creates
@require_http_methods(["GET", "POST"])
def product_kit(request, product_id: int):
    kit = selectors.kit_for_product(product_id)
    if kit is None:
        raise Http404
    if request.method == "POST":
        return _create_link(request, kit, "shop_share:product_kit")
    return _kit_page(request, kit, view_name="shop_share:product_kit")


@coop_view(Perm.LISTING_EDIT)
@creates
@require_http_methods(["GET", "POST"])
def lot_kit(request, lot_id):
    kit = selectors.kit_for_lot(lot_id)
    if kit is None:
        raise Http404
    if request.method == "POST":
        return _create_link(request, kit, "shop_share:lot_kit")
    return _kit_page(request, kit, view_name="shop_share:lot_kit")


@coop_view(Perm.LISTING_EDIT)
@require_GET
def link_kit(request, link_code: str):
    kit = selectors.kit_for_link(link_code)
    if kit is None:
        raise Http404
    return _kit_page(request, kit)


@coop_view(Perm.LISTING_EDIT)
@require_GET
def product_image(request, product_id: int):
    kit = selectors.kit_for_product(product_id)
    if kit is None:
        raise Http404
    return _image_response(request, kit)


@coop_view(Perm.LISTING_EDIT)
@require_GET
def lot_image(request, lot_id):
    kit = selectors.kit_for_lot(lot_id)
    if kit is None:
        raise Http404
    return _image_response(request, kit)


@coop_view(Perm.LISTING_EDIT)
@require_GET
def link_image(request, link_code: str):
    kit = selectors.kit_for_link(link_code)
    if kit is None:
        raise Http404
    return _image_response(request, kit)

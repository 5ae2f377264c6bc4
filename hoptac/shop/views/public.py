"""Public selling pages (no login, no cookie needed): a cooperative's shop ``/s/<slug>/``,
its product pages ``/s/<slug>/<code>/`` with a share image, the short link ``/p/<code>``,
the marketplace ``/cho/`` and ``/sitemap.xml``.

Cacheable like the trace pages (``Cache-Control: public``); the language comes from
``?lang=`` or the language cookie (``Vary: Cookie``). A closed shop, an unknown one, or a
product that is not on sale is the same 404.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from hoptac.catalog.models import OcopGroup
from hoptac.core import pagecache
from hoptac.core.sites import public_base
from hoptac.lib import money
from hoptac.lib.shareimage import render_share_image
from hoptac.shop.selectors import catalogue

PUBLIC_MAX_AGE = 60
SHARE_DIR = "shop/share"  # under MEDIA_ROOT: drawn once per content (the name is its hash)


def _language(request) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    asked = request.GET.get("lang", "")
    if asked in supported:
        return asked
    return getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)


def _public(response: HttpResponse, language: str | None = None) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    patch_vary_headers(response, ("Cookie",))
    if language:
        response["Content-Language"] = language
    return response


def _render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    language = _language(request)
    context.update(
        lang=language,
        lang_query="" if language == settings.LANGUAGE_CODE else f"?lang={language}",
        other_lang="vi" if language == "en" else "en",
        page_path=request.path,
    )
    with translation.override(language):
        response = render(request, template, context, status=status)
    return _public(response, language)


def _not_found(request) -> HttpResponse:
    return _render(request, "shop/public/not_found.html", {}, status=404)


def _cart_add_url() -> str:
    # The cart's view (shop/urls_cart.py) is another helper's; until it is merged the form
    # posts to the cart's address.
    try:
        return reverse("shop_cart:add")
    except NoReverseMatch:
        return "/gio/"


def _absolute(request, path: str) -> str:
    return public_base(request) + path


def _price_text(value: int) -> str:
    return money.format_vnd(value, language=translation.get_language() or "vi")


def _ld_json(data: dict) -> str:
    """JSON for a ``<script type="application/ld+json">`` block: ``<``, ``>`` and ``&``
    escaped so that no text of a product can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@require_safe
@pagecache.cached_public_page(pagecache.CATALOGUE)
def shop_home(request, slug: str):
    shop = catalogue.open_shop_by_slug(slug)
    if shop is None:
        return _not_found(request)
    home = catalogue.shop_home(shop)
    coop = home.cooperative
    url = _absolute(request, reverse("shop_public:shop", args=[slug]))
    image = ""
    if home.cards:
        first = home.cards[0]
        image = _absolute(request, reverse("shop_public:share", args=[slug, first.short_code]))
    return _render(
        request,
        "shop/public/shop.html",
        {
            "home": home,
            "coop": coop,
            "og": {
                "title": coop.name,
                "description": home.shop.headline or home.shop.story[:200],
                "url": url,
                "image": image,
                "type": "website",
            },
        },
    )


@require_safe
@pagecache.cached_public_page(pagecache.CATALOGUE)
def product(request, slug: str, code: str):
    shop = catalogue.open_shop_by_slug(slug)
    listing = catalogue.listing_public(shop, code) if shop is not None else None
    if listing is None:
        return _not_found(request)
    page = catalogue.product_page(listing)
    card = page.card
    url = _absolute(request, reverse("shop_public:product", args=[slug, code]))
    image = _absolute(request, reverse("shop_public:share", args=[slug, code]))
    ld = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": card.product.name,
        "sku": card.product.code,
        "description": (card.product.description or card.product.story)[:500],
        "image": [_absolute(request, p.url) for p in page.photos] or [image],
        "brand": {"@type": "Organization", "name": card.cooperative.name},
        "offers": {
            "@type": "Offer",
            "url": url,
            "priceCurrency": "VND",
            "price": card.listing.price_vnd,
            "availability": card.schema_availability,
            "seller": {"@type": "Organization", "name": card.cooperative.name},
        },
    }
    if card.product.gtin:
        ld["gtin"] = card.product.gtin
    return _render(
        request,
        "shop/public/product.html",
        {
            "page": page,
            "card": card,
            "coop": card.cooperative,
            "cart_add_url": _cart_add_url(),
            "channel": request.GET.get("c", "")[:40],
            "ld_json": _ld_json(ld),
            "og": {
                "title": card.product.name,
                "description": f"{_price_text(card.listing.price_vnd)} · {card.cooperative.name}",
                "url": url,
                "image": image,
                "type": "product",
            },
        },
    )


@require_safe
def share_image(request, slug: str, code: str):
    """The 1200×630 card for link previews, drawn once per content and kept in the public
    media folder under the hash of what it shows."""
    shop = catalogue.open_shop_by_slug(slug)
    listing = catalogue.listing_public(shop, code) if shop is not None else None
    if listing is None:
        raise Http404
    card = catalogue.cards([listing])[0]
    with translation.override(_language(request)):
        price = _price_text(listing.price_vnd)
    photo_path = card.photo.source if card.photo is not None else ""
    drawn = [card.product.name, price, card.stars or 0, card.cooperative.name, photo_path, "v1"]
    key = hashlib.sha256(json.dumps(drawn, ensure_ascii=False).encode()).hexdigest()[:32]
    path = Path(settings.MEDIA_ROOT) / SHARE_DIR / f"{key}.jpg"
    if path.exists():
        data = path.read_bytes()
    else:
        data = render_share_image(
            photo=photo_path or None,
            title=card.product.name,
            price_text=price,
            stars=card.stars,
            coop_name=card.cooperative.name,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        temp.write_bytes(data)
        temp.replace(path)  # atomic: two requests drawing at once leave one whole file
    response = HttpResponse(data, content_type="image/jpeg")
    patch_cache_control(response, public=True, max_age=24 * 3600)
    response["ETag"] = f'"{key}"'
    return response


@require_safe
def short_link(request, code: str):
    """``/p/<code>``: the short link for captions, a permanent redirect to the product page
    (the ``?c=`` channel tag kept)."""
    listing = catalogue.listing_by_short_code(code)
    if listing is None:
        return _not_found(request)
    target = reverse("shop_public:product", args=[listing.cooperative.slug, listing.short_code])
    channel = request.GET.get("c", "")
    if channel:
        from urllib.parse import urlencode

        target += "?" + urlencode({"c": channel[:40]})
    return _public(HttpResponsePermanentRedirect(target))


class MarketForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    group = forms.ChoiceField(label=_("OCOP group"), required=False)
    stars = forms.TypedChoiceField(label=_("OCOP stars"), required=False, coerce=int, empty_value=None)
    coop = forms.ChoiceField(label=_("Cooperative"), required=False)
    commune = forms.TypedChoiceField(label=_("Commune / ward"), required=False, coerce=int, empty_value=None)
    price_from = forms.CharField(label=_("Price from (VND)"), required=False, max_length=16)
    price_to = forms.CharField(label=_("Price to (VND)"), required=False, max_length=16)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _("All"))]
        self.fields["group"].choices = anything + list(OcopGroup.choices)
        self.fields["stars"].choices = anything + [
            (str(n), _("%(n)s stars or more") % {"n": n}) for n in (3, 4, 5)
        ]
        self.fields["coop"].choices = anything + choices["cooperatives"]
        self.fields["commune"].choices = anything + [(str(c), name) for c, name in choices["communes"]]
        self.fields["sort"].choices = [
            ("newest", _("Newest")),
            ("price_up", _("Price: low to high")),
            ("price_down", _("Price: high to low")),
            ("name", _("Name")),
        ]

    def _price(self, name):
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = money.parse_vnd(raw)
        except (ValueError, TypeError, ArithmeticError):
            raise forms.ValidationError(_("Write a price in đồng, e.g. 150.000.")) from None
        if value < 0 or value > 1_000_000_000:
            raise forms.ValidationError(_("Write a price in đồng, e.g. 150.000."))
        return value

    def clean_price_from(self):
        return self._price("price_from")

    def clean_price_to(self):
        return self._price("price_to")

    def market_filter(self) -> catalogue.MarketFilter:
        data = self.cleaned_data if self.is_bound else {}
        errors = self.errors if self.is_bound else {}
        return catalogue.MarketFilter(
            q=data.get("q", "") if "q" not in errors else "",
            group=data.get("group", "") if "group" not in errors else "",
            stars=data.get("stars") if "stars" not in errors else None,
            cooperative=data.get("coop", "") if "coop" not in errors else "",
            commune=data.get("commune") if "commune" not in errors else None,
            price_from=data.get("price_from") if "price_from" not in errors else None,
            price_to=data.get("price_to") if "price_to" not in errors else None,
            sort=data.get("sort") or "newest" if "sort" not in errors else "newest",
        )


@require_safe
@pagecache.cached_public_page(pagecache.CATALOGUE)
def market(request):
    """``/cho/``: every open shop's products, searched, filtered, sorted, 24 a page; a GET
    form that works without JavaScript. A wrong filter value is said and left out."""
    form = MarketForm(request.GET or None, choices=catalogue.market_choices())
    if form.is_bound:
        form.is_valid()
    rows = catalogue.market_listings(form.market_filter())
    page = Paginator(rows, catalogue.PER_PAGE).get_page(request.GET.get("page"))
    return _render(
        request,
        "shop/public/market.html",
        {
            "form": form,
            "filtered": any(request.GET.get(name) for name in form.fields if name not in ("q", "sort")),
            "page": page,
            "cards": catalogue.cards(page.object_list),
            "og": {
                "title": _("Marketplace"),
                "description": _(
                    "Products of the province's cooperatives, sold by the cooperatives themselves."
                ),
                "url": _absolute(request, reverse("shop_public:market")),
                "image": "",
                "type": "website",
            },
        },
    )


@require_safe
@pagecache.cached_public_page(pagecache.CATALOGUE)
def sitemap(request):
    entries = catalogue.sitemap_entries()
    urls = [(_absolute(request, reverse("shop_public:market")), None)]
    urls += [
        (_absolute(request, reverse("shop_public:shop", args=[slug])), at) for slug, at in entries["shops"]
    ]
    urls += [
        (_absolute(request, reverse("shop_public:product", args=[slug, code])), at)
        for slug, code, at in entries["products"]
    ]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for loc, at in urls:
        lastmod = f"<lastmod>{at.date().isoformat()}</lastmod>" if at else ""
        lines.append(f"<url><loc>{escape(loc)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return _public(HttpResponse("\n".join(lines), content_type="application/xml; charset=utf-8"))

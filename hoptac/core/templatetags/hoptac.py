"""Template filters for Vietnamese formats (loaded as a builtin in every template)."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from hoptac.lib import money, phone, units

register = template.Library()


@register.filter
def vnd(value):
    """``{{ 1250000|vnd }}`` -> ``1.250.000 ₫``."""
    if value in (None, ""):
        return ""
    return money.format_vnd(int(value), language=get_language() or "vi")


@register.filter
def money_input(value):
    """The value of a money field as a person would type it: ``27.363.200`` in Vietnamese,
    ``27,363,200`` in English (``lib.money.parse_vnd`` reads both back)."""
    if value in (None, ""):
        return ""
    return money.group_digits(int(value), "," if (get_language() or "vi").startswith("en") else ".")


@register.filter
def qty(value):
    """A quantity without trailing zeros, in the active language (``lib.units.format_quantity``,
    the one formatter of quantities): 18.500 -> ``18,5``, 1250 -> ``1.250``, 126.165 -> ``126,165``."""
    if value in (None, ""):
        return ""
    return units.format_quantity(value, language=get_language() or "vi")


@register.filter
def phone_display(value):
    return phone.display_phone(value or "")


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs):
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"


@register.simple_tag(takes_context=True)
def form_key(context, view_name: str = ""):
    """The hidden one-time key of a create form (see ``hoptac.core.formkeys``). On a page
    with several create forms, name each one's view (``{% form_key "app:view" %}``) so
    that only the form sent again after errors keeps its key."""
    from django.utils.html import format_html

    from hoptac.core.formkeys import FIELD, key_for

    return format_html(
        '<input type="hidden" name="{}" value="{}">', FIELD, key_for(context.get("request"), view_name)
    )


@register.simple_tag(takes_context=True)
def inline_style(context, path: str):
    """``{% inline_style "hoptac/trace.css" %}``: the static CSS file ``path`` as an inline
    ``<style>`` whose sha256 is added to this response's Content-Security-Policy
    (``hoptac.core.security``). For the few pages that must carry their CSS in the first
    response (the public trace page); every other page links its stylesheet."""
    from django.utils.safestring import mark_safe

    from hoptac.core.security import style_hash_add

    css = _static_text(path)
    style_hash_add(context.get("request"), css)
    return mark_safe(f"<style>{css}</style>")  # noqa: S308 - our own static file, never user input


def _static_text(path: str) -> str:
    from django.conf import settings

    if settings.DEBUG:
        return _read_static(path)
    return _read_static_cached(path)


def _read_static(path: str) -> str:
    from django.contrib.staticfiles import finders

    found = finders.find(path)
    if not found:
        raise template.TemplateSyntaxError(f"inline_style: no static file {path!r}")
    with open(found, encoding="utf-8") as handle:
        css = handle.read()
    if "</" in css:
        raise template.TemplateSyntaxError(f"inline_style: {path!r} may not contain '</'")
    return css


_CACHE: dict[str, str] = {}


def _read_static_cached(path: str) -> str:
    if path not in _CACHE:
        _CACHE[path] = _read_static(path)
    return _CACHE[path]


@register.simple_tag
def icon(name: str, label: str = ""):
    """``{% icon "users" %}``: an icon of the shipped Lucide sprite (hoptac/static/hoptac/icons.svg,
    one cached file). Decorative unless ``label`` is given, which becomes its accessible name."""
    from django.templatetags.static import static
    from django.utils.html import format_html

    href = f"{static('hoptac/icons.svg')}#{name}"
    if label:
        return format_html(
            '<svg class="icon" role="img" aria-label="{}" focusable="false"><use href="{}"></use></svg>', label, href
        )
    return format_html('<svg class="icon" aria-hidden="true" focusable="false"><use href="{}"></use></svg>', href)


@register.simple_tag(takes_context=True)
def coop_menus(context):
    """``{% coop_menus as menus %}``: the tab bar and side menu of the current cooperative page
    for the signed-in user's role (``hoptac.core.navigation``), or None outside a cooperative."""
    from hoptac.core.navigation import menus_for

    request = context.get("request")
    access = getattr(request, "access", None)
    cooperative = getattr(request, "cooperative", None)
    if access is None or cooperative is None:
        return None
    match = getattr(request, "resolver_match", None)
    return menus_for(role=access.role, slug=cooperative.slug, view_name=match.view_name if match else "")

"""Template helpers of the catalog: star ratings, certificate validity and the dashboard
reminder of certificates that expire soon or have expired.

The dashboard belongs to ``coops``, which may not import the catalog (a lower layer must
not know a higher one); the template loads this library instead, and the tag renders
nothing unless a cooperative is current and the reader may edit the catalog.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from hoptac.catalog import photos, selectors
from hoptac.core.roles import Perm
from hoptac.core.tenancy import current_cooperative

register = template.Library()

REMINDER_LIMIT = 10


@register.filter
def stars(count) -> str:
    """``4`` -> ``★★★★``."""
    try:
        return "★" * max(0, min(int(count), 5))
    except (TypeError, ValueError):
        return ""


@register.filter
def small_height(photo) -> int:
    """The height of a photo's 320 px variant, for the ``height`` attribute of its <img>."""
    return photos.variant_size(photo.width, photo.height, photos.SMALL_WIDTH)[1]


@register.filter
def small_width(photo) -> int:
    return photos.variant_size(photo.width, photo.height, photos.SMALL_WIDTH)[0]


@register.simple_tag
def product_photo(photo, *, sizes: str = "320px", css: str = "", alt=None, width=None, height=None):
    """A small responsive ``<img>`` of a product photo: the 320 px variant as ``src``, both
    resized variants in ``srcset`` (the browser picks by ``sizes`` and the screen's
    density), ``width``/``height`` so the text does not jump, lazy. ``width``/``height``
    given: the box it is shown in (a square thumbnail), else the 320 px variant's size."""
    if photo is None or not photo.small:
        return ""
    small_w, small_h = photos.variant_size(photo.width, photo.height, photos.SMALL_WIDTH)
    return format_html(
        '<img{} src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="lazy" decoding="async">',
        format_html(' class="{}"', css) if css else "",
        photo.small.url,
        photos.srcset(photo),
        sizes,
        width or small_w,
        height or small_h,
        photo.alt if alt is None else alt,
    )


@register.filter
def certificate_status(certificate) -> str:
    """``valid``, ``expiring``, ``expired`` or ``pending``."""
    return selectors.certificate_status(certificate)


@register.inclusion_tag("catalog/_reminders.html", takes_context=True)
def certificate_reminders(context):
    """Certificates expiring within 90 days or expired, for the people who renew them."""
    request = context.get("request")
    access = getattr(request, "access", None)
    coop = current_cooperative()
    if (
        coop is None
        or access is None
        or access.cooperative.pk != coop.pk
        or not access.can(Perm.CATALOG_EDIT)
    ):
        return {"show": False}
    expiring = list(selectors.certificates_expiring()[:REMINDER_LIMIT])
    expired = list(selectors.certificates_expired()[:REMINDER_LIMIT])
    return {
        "show": bool(expiring or expired),
        "expiring": expiring,
        "expired": expired,
        "slug": coop.slug,
        "coop_name": coop.name,
        "days": selectors.EXPIRING_DAYS,
    }

"""The overview card of certificates that expire within 60 days or have expired, for the
people who renew them (``Perm.CATALOG_EDIT``). Registered in ``core.dashboard``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hoptac.catalog import selectors
from hoptac.core import dashboard
from hoptac.core.dashboard import Card, Line
from hoptac.core.roles import Perm

CARD_DAYS = 60
LIMIT = 5


@dashboard.card("certificates", order=50)
def certificates(viewer) -> Card | None:
    if not viewer.can(Perm.CATALOG_EDIT):
        return None
    expiring = list(selectors.certificates_expiring(within_days=CARD_DAYS))
    expired = list(selectors.certificates_expired())
    soon = sum(1 for c in expiring if (c.expires_on - viewer.today).days <= 30)
    lines = []
    for c in [*expired[:LIMIT], *expiring[:LIMIT]]:
        what = f"{c.product.name if c.product else viewer.access.cooperative.name}: {c.get_kind_display()}"
        if c.number:
            what = f"{what} ({c.number})"
        when = date_format(c.expires_on, "SHORT_DATE_FORMAT")
        text = _("expired on %(date)s") if c.expires_on < viewer.today else _("expires on %(date)s")
        url = (
            reverse("catalog:product_detail", kwargs={"coop_slug": viewer.slug, "product_id": c.product_id})
            if c.product_id
            else reverse("catalog:product_list", kwargs={"coop_slug": viewer.slug})
        )
        lines.append(Line(text=what, value=text % {"date": when}, url=url))
    total = len(expiring) + len(expired)
    return Card(
        key="certificates",
        title=_("Certificates to renew"),
        number=str(total),
        label=ngettext(
            "expired or expiring within %(days)s days",
            "expired or expiring within %(days)s days",
            total,
        )
        % {"days": CARD_DAYS},
        tone="bad" if expired else ("warn" if expiring else "good"),
        url=reverse("catalog:product_list", kwargs={"coop_slug": viewer.slug}),
        link_text=_("Catalog"),
        chart=dashboard.bars(
            [
                (_("Expired"), len(expired), str(len(expired))),
                (_("Within 30 days"), soon, str(soon)),
                (_("In 31 to 60 days"), len(expiring) - soon, str(len(expiring) - soon)),
            ],
            title=_("Certificates by when they expire"),
            height=48,
            gap=16,
        ),
        lines=tuple(lines),
    )

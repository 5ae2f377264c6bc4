"""Share links: making one for a group or a post, and counting its visits.

A share link (``/l/<code>``) leads to a product's page and marks the orders of that visit
with the link (``order.channel = share``, ``order.channel_ref = code``). A visit is one
``UPDATE … SET visits = visits + 1`` (no row per visit, no lock: concurrent visits add up
in the database, not in Python).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.tenancy import require_cooperative
from hoptac.inventory.models import Lot
from hoptac.shop.models import Listing, ShareLink, SharePlace, new_share_code

MAX_LABEL = 80
MAX_LINKS_PER_LISTING = 500


@transaction.atomic
def share_link_create(
    *, listing: Listing, place: str, label: str = "", lot: Lot | None = None, actor=None
) -> ShareLink:
    """A new link to ``listing`` (or to one ``lot`` of its product) for a group or post."""
    coop = require_cooperative()
    errors: dict[str, list[str]] = {}
    if listing.cooperative_id != coop.pk:
        raise ValidationError(_("This product is not one of the cooperative's."), code="listing")
    if place not in SharePlace.values:
        errors["place"] = [_("Choose where the link is shared.")]
    label = " ".join((label or "").split())
    if len(label) > MAX_LABEL:
        errors["label"] = [_("At most %(n)s characters.") % {"n": MAX_LABEL}]
    if lot is not None and (lot.cooperative_id != coop.pk or lot.product_id != listing.product_id):
        errors["lot"] = [_("This lot is not of this product.")]
    if errors:
        raise ValidationError(errors)
    if ShareLink.objects.filter(listing=listing).count() >= MAX_LINKS_PER_LISTING:
        raise ValidationError(
            _("At most %(n)s share links per product.") % {"n": MAX_LINKS_PER_LISTING}, code="too_many"
        )
    for _attempt in range(10):
        try:
            with transaction.atomic():  # a savepoint: a code drawn twice is drawn again
                link = ShareLink.objects.create(
                    cooperative=coop,
                    code=new_share_code(),
                    listing=listing,
                    lot=lot,
                    place=place,
                    label=label,
                    created_by=actor if getattr(actor, "pk", None) else None,
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - 32^5 codes
        raise RuntimeError("could not draw a free share code")
    audit_record(
        action="shop.share_link_create",
        actor=actor,
        cooperative=coop,
        obj=link,
        data={"code": link.code, "place": place, "label": label, "lot": lot.code if lot else ""},
    )
    return link


def share_link_visit(*, link_id: int) -> None:
    """Count one visit of a link: a single atomic ``UPDATE`` (autocommit, no transaction
    held open, no lock taken)."""
    ShareLink.unscoped.filter(pk=link_id).update(visits=F("visits") + 1)

"""The dashboard's messages panel: what needs staff attention (offers to answer, messages
held by the quota or of unknown fate), and a member's latest notices.

The dashboard belongs to ``coops``, which may not import ``notify``; the template loads
this library instead. The tag renders nothing unless a cooperative is current and the
reader may see messages (or has a notice board). It reads through ``notify.selectors``
only: a member's notices have one definition, shared with the notice board.
"""

from __future__ import annotations

from django import template

from hoptac.core.roles import Perm
from hoptac.core.tenancy import current_cooperative
from hoptac.notify import selectors

register = template.Library()


@register.inclusion_tag("notify/_dashboard.html", takes_context=True)
def messages_panel(context):
    request = context.get("request")
    access = getattr(request, "access", None)
    coop = current_cooperative()
    if coop is None or access is None or access.cooperative.pk != coop.pk:
        return {"show": False}
    if access.can(Perm.MESSAGE_VIEW):
        counts = selectors.attention_counts()
        return {"show": any(counts.values()), "staff": True, "slug": coop.slug, **counts}
    if access.can(Perm.OWN_NOTICES):
        notices = selectors.latest_notices(request.user, coop)
        return {"show": bool(notices), "staff": False, "slug": coop.slug, "notices": notices}
    return {"show": False}

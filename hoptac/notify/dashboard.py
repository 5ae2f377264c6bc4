"""The overview cards of messages: what waits for staff (offers to sell to answer, messages
held by the SMS quota or of unknown fate) and, on a member household's own page, its latest
notices (the notice board's one definition). Registered in ``core.dashboard``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hoptac.core import dashboard
from hoptac.core.dashboard import Card, Line
from hoptac.core.roles import Perm, Role
from hoptac.notify import selectors


@dashboard.card("messages", order=40)
def messages(viewer) -> Card | None:
    if not viewer.can(Perm.MESSAGE_VIEW):
        return None
    counts = selectors.attention_counts()
    kwargs = {"coop_slug": viewer.slug}
    outbox = reverse("notify:outbox", kwargs=kwargs)
    offers_text = ngettext(
        "%(n)s offer to sell waits for an answer", "%(n)s offers to sell wait for an answer", counts["offers"]
    ) % {"n": counts["offers"]}
    held_text = ngettext(
        "%(n)s message held: the monthly SMS quota is used up",
        "%(n)s messages held: the monthly SMS quota is used up",
        counts["held"],
    ) % {"n": counts["held"]}
    doubt_text = ngettext(
        "%(n)s message of unknown fate: check, then send again or mark as sent",
        "%(n)s messages of unknown fate: check, then send again or mark as sent",
        counts["doubt"],
    ) % {"n": counts["doubt"]}
    lines = []
    if counts["offers"]:
        lines.append(Line(text=offers_text, url=reverse("notify:offer_list", kwargs=kwargs)))
    if counts["held"]:
        lines.append(Line(text=held_text, url=f"{outbox}?status=held"))
    if counts["doubt"]:
        lines.append(Line(text=doubt_text, url=f"{outbox}?status=doubt"))
    total = sum(counts.values())
    return Card(
        key="messages",
        title=_("Messages and offers"),
        number=str(total),
        label=ngettext("waits for you", "wait for you", total),
        text="" if total else _("Nothing waits for an answer."),
        tone="warn" if total else "",
        url=outbox,
        link_text=_("Messages"),
        chart=dashboard.bars(
            [
                (_("Offers to sell"), counts["offers"], str(counts["offers"])),
                (_("Held by the quota"), counts["held"], str(counts["held"])),
                (_("Unknown fate"), counts["doubt"], str(counts["doubt"])),
            ],
            title=_("Offers and messages waiting"),
            height=48,
            gap=16,
        ),
        lines=tuple(lines),
    )


@dashboard.card("member_notices", order=40)
def member_notices(viewer) -> Card | None:
    if viewer.role != Role.MEMBER or not viewer.can(Perm.OWN_NOTICES):
        return None
    notices = list(selectors.notices_for(viewer.household)[:3]) if viewer.household is not None else []
    return Card(
        key="member_notices",
        title=_("Latest notices"),
        number=str(len(notices)),
        label=ngettext("latest notice", "latest notices", len(notices)),
        text="" if notices else _("No notices yet."),
        url=reverse("notify:notices", kwargs={"coop_slug": viewer.slug}),
        link_text=_("All notices"),
        lines=tuple(
            Line(text=m.text, value=date_format(m.sent_at or m.created_at, "SHORT_DATE_FORMAT"))
            for m in notices
        ),
        audience="member",
    )

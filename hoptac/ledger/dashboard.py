"""The overview cards of the member ledger: what the cooperative owes its members and is
owed by them (staff who read the ledger), and a member household's own balance in words
that say who owes whom. Registered in ``core.dashboard``; every figure is
``member_balance``'s definition (``selectors.coop_balances`` nets per member the same way).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hoptac.core import dashboard
from hoptac.core.dashboard import Card, Line
from hoptac.core.roles import Perm, Role
from hoptac.ledger import selectors


@dashboard.card("balances", order=20)
def balances(viewer) -> Card | None:
    if not viewer.can(Perm.LEDGER_VIEW):
        return None
    totals = selectors.coop_balances()
    owes = _("The cooperative owes members")
    owed = _("Members owe the cooperative")
    return Card(
        key="balances",
        title=_("Money with members"),
        number=dashboard.vnd(totals.owed_to_members),
        label=ngettext(
            "the cooperative owes %(n)s member", "the cooperative owes %(n)s members", totals.members_owed_to
        )
        % {"n": totals.members_owed_to},
        url=reverse("ledger:owed", kwargs={"coop_slug": viewer.slug}),
        link_text=_("Members to pay"),
        chart=dashboard.bars(
            [
                (owes, totals.owed_to_members, dashboard.vnd(totals.owed_to_members)),
                (owed, totals.owed_by_members, dashboard.vnd(totals.owed_by_members)),
            ],
            title=_("What the cooperative owes members, and what members owe it"),
            height=48,
            gap=24,
        ),
        lines=(
            Line(text=owes, value=dashboard.vnd(totals.owed_to_members)),
            Line(
                text=ngettext(
                    "%(n)s member owes the cooperative",
                    "%(n)s members owe the cooperative",
                    totals.members_owing,
                )
                % {"n": totals.members_owing},
                value=dashboard.vnd(totals.owed_by_members),
            ),
        ),
    )


def balance_words(net: int) -> str:
    """Who owes whom, in a sentence a member reads (positive: the cooperative owes)."""
    if net > 0:
        return _("The cooperative still owes your household %(amount)s.") % {"amount": dashboard.vnd(net)}
    if net < 0:
        return _("Your household still owes the cooperative %(amount)s.") % {"amount": dashboard.vnd(-net)}
    return _("Nobody owes anything: your account is settled.")


@dashboard.card("member_balance", order=10)
def member_balance(viewer) -> Card | None:
    if viewer.role != Role.MEMBER or not viewer.can(Perm.OWN_STATEMENT):
        return None
    url = reverse("ledger:me", kwargs={"coop_slug": viewer.slug})
    if viewer.household is None:
        return Card(
            key="member_balance",
            title=_("My balance"),
            number="—",
            label=_("no household linked"),
            text=_("Your account is not linked to a member household yet: ask the cooperative's office."),
            audience="member",
        )
    balance = selectors.member_balance(viewer.household)
    net = balance.net
    return Card(
        key="member_balance",
        title=_("My balance"),
        number=dashboard.vnd(abs(net)),
        label=_("the cooperative owes you") if net > 0 else (_("you owe") if net < 0 else _("settled")),
        text=balance_words(net),
        tone="good" if net > 0 else ("warn" if net < 0 else ""),
        url=url,
        link_text=_("My statement"),
        lines=(
            Line(text=_("For produce delivered, not yet paid"), value=dashboard.vnd(balance.payable)),
            Line(text=_("Advances and loans not yet repaid"), value=dashboard.vnd(balance.receivable)),
        ),
        audience="member",
    )

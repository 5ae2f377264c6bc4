"""The cooperative's menus, decided in one place: the sections, and each role's tabs.

On a phone the bottom tab bar shows the four or five main tasks of the role
(:data:`TABS`) and a "More" tab opening the full menu; on a computer the side menu
shows every section the role may open (:data:`SECTIONS`, filtered by permission from
``core.roles``). Templates draw what :func:`menus_for` returns and decide nothing by role;
``tests/test_navigation.py`` opens every tab of every role and expects 200.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hoptac.core.roles import Perm, Role, has_perm


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    short: str  # the tab's label under its icon: one or two short words
    url_name: str
    icon: str  # a name in hoptac/static/hoptac/icons.svg
    perm: Perm
    # The pages that belong to this section ("app:name", a trailing * matches a prefix).
    matches: tuple[str, ...] = ()
    # Left out for a role that has this permission too (a member's own pages, not staff's).
    unless: Perm | None = None


SECTIONS: tuple[Section, ...] = (
    Section("overview", _("Overview"), _("Overview"), "coops:dashboard", "house", Perm.COOP_VIEW,
            ("coops:dashboard",)),
    Section("my_account", _("My account"), _("My account"), "ledger:me", "wallet", Perm.OWN_STATEMENT,
            ("ledger:me",), unless=Perm.LEDGER_VIEW),
    Section("notices", _("Notices"), _("Notices"), "notify:notices", "bell", Perm.OWN_NOTICES,
            ("notify:notices",), unless=Perm.MESSAGE_VIEW),
    Section("receipt_new", _("New receipt"), _("New receipt"), "offtake:receipt_create", "circle-plus",
            Perm.RECEIPT_RECORD, ("offtake:receipt_create",)),
    Section("receipts", _("Buying"), _("Buying"), "offtake:receipt_list", "shopping-basket",
            Perm.OFFTAKE_VIEW, ("offtake:*",)),
    Section("payables", _("Payables"), _("Payables"), "ledger:owed", "hand-coins", Perm.LEDGER_VIEW,
            ("ledger:*",)),
    # Records made offline on collectors' phones that need a look; the chair's phones page.
    Section("field", _("Field records"), _("Field"), "sync:review", "inbox", Perm.LEDGER_WRITE,
            ("sync:*",)),
    Section("members", _("Members"), _("Members"), "coops:member_list", "users", Perm.MEMBER_VIEW,
            ("coops:member_*",)),
    Section("groups", _("Groups and villages"), _("Villages"), "coops:group_list", "map-pin",
            Perm.MEMBER_VIEW, ("coops:group_*",)),
    Section("stock", _("Stock"), _("Stock"), "inventory:lot_list", "package", Perm.STOCK_VIEW,
            ("inventory:*",)),
    Section("selling", _("Selling"), _("Orders"), "shop_staff:order_list", "receipt", Perm.ORDER_VIEW,
            ("shop_staff:*", "shop_shipping:*", "shop_share:*")),
    Section("live", _("Live sales"), _("Live"), "live_staff:session_list", "radio", Perm.LIVE_RUN,
            ("live_staff:*", "live_facebook:*")),
    Section("money", _("Money in"), _("Money in"), "shop_money:transaction_list", "coins", Perm.PAYMENT_MANAGE,
            ("shop_money:*",)),
    Section("catalog", _("Catalog"), _("Catalog"), "catalog:product_list", "tag", Perm.COOP_VIEW,
            ("catalog:*",)),
    Section("messages", _("Messages"), _("Messages"), "notify:announcement_list", "message-square",
            Perm.MESSAGE_VIEW, ("notify:*",)),
    Section("staff", _("Staff"), _("Staff"), "coops:staff_list", "user-cog", Perm.COOP_VIEW,
            ("coops:staff_*", "coops:invitation_*", "notify:invite", "notify:resend")),
    Section("settings", _("Settings"), _("Settings"), "coops:settings", "settings", Perm.COOP_EDIT,
            ("coops:settings",)),
)

BY_KEY = {section.key: section for section in SECTIONS}

# The bottom tab bar on a phone: each role's main tasks, most used first ("More" is added).
TABS: dict[str, tuple[str, ...]] = {
    Role.COLLECTOR: ("receipt_new", "receipts", "members", "messages"),
    Role.CHAIR: ("overview", "receipts", "members", "payables"),
    Role.ACCOUNTANT: ("overview", "payables", "receipts", "members"),
    Role.SALES: ("overview", "selling", "live", "stock"),
    Role.MEMBER: ("overview", "my_account", "notices"),
    Role.ALLIANCE: ("overview", "members", "receipts", "stock"),
}


@dataclass(frozen=True)
class Link:
    section: Section
    url: str
    current: bool

    @property
    def key(self) -> str:
        return self.section.key


@dataclass(frozen=True)
class Menus:
    tabs: tuple[Link, ...]
    side: tuple[Link, ...]

    @property
    def more_current(self) -> bool:
        """True when the page belongs to a section that has no tab of its own."""
        return any(link.current for link in self.side) and not any(link.current for link in self.tabs)


def opens(role: str | None, section: Section) -> bool:
    """Whether ``section`` is in ``role``'s menu: allowed, and not a member's own page shown to staff."""
    return has_perm(role, section.perm) and not (section.unless and has_perm(role, section.unless))


def sections_for(role: str | None) -> tuple[Section, ...]:
    return tuple(section for section in SECTIONS if opens(role, section))


def tabs_for(role: str | None) -> tuple[Section, ...]:
    return tuple(BY_KEY[key] for key in TABS.get(role or "", ()) if opens(role, BY_KEY[key]))


def _match(pattern: str, view_name: str) -> bool:
    if pattern.endswith("*"):
        return view_name.startswith(pattern[:-1])
    return view_name == pattern


def current_section(view_name: str, sections: tuple[Section, ...]) -> str | None:
    """The section a page belongs to: an exact pattern wins over a prefix (a new receipt is
    "New receipt", not "Buying"), then the first section listed."""
    for exact in (True, False):
        for section in sections:
            for pattern in section.matches:
                if pattern.endswith("*") != exact and _match(pattern, view_name):
                    return section.key
    return None


def menus_for(*, role: str | None, slug: str, view_name: str = "") -> Menus:
    """The tab bar and side menu of a cooperative's page for ``role``."""
    side = sections_for(role)
    tabs = tabs_for(role)
    current = current_section(view_name, tabs) or current_section(view_name, side)

    def link(section: Section) -> Link:
        url = reverse(section.url_name, kwargs={"coop_slug": slug})
        return Link(section=section, url=url, current=section.key == current)

    return Menus(tabs=tuple(link(s) for s in tabs), side=tuple(link(s) for s in side))

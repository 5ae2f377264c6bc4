"""The cards of a cooperative's overview page, contributed by the apps that own the figures.

The overview (``coops.views.dashboard``) belongs to ``coops``, which may not import the
apps above it (offtake, ledger, inventory, catalog, notify: the import-linter layers). So
each of those apps has a ``dashboard.py`` that registers its cards here with
:func:`card`; :func:`cards_for` loads those modules by name (Django's
``autodiscover_modules``, as the admin does), asks every registered function for its card
and returns the ones that are not ``None``, in ``order``.

A card function takes a :class:`Viewer` (the request, the role and its permissions, the
member household of a member's account) and returns a :class:`Card`, or ``None`` when the role may not open the card's page or has
nothing there. It reads through its app's ``selectors`` only, with a fixed number of
queries whatever the amount of data (``tests/test_overview.py`` counts them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules
from django.utils.safestring import SafeString, mark_safe

from hoptac.lib import svgchart


@dataclass(frozen=True)
class Line:
    """One row under a card's number: a label, a value and, optionally, a link."""

    text: str
    value: str = ""
    url: str = ""
    chart: SafeString | str = ""


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    number: str  # already formatted: "1.250 kg", "3.500.000 ₫", "4"
    label: str  # a few words under the number
    url: str = ""  # the page the card opens ("" for none the role may open)
    link_text: str = ""
    chart: SafeString | str = ""
    lines: tuple[Line, ...] = field(default_factory=tuple)
    tone: str = ""  # "" | "good" | "warn" | "bad"
    audience: str = "staff"  # "staff" | "member": the member household's own page
    text: str = ""  # a sentence in place of (or under) the number, e.g. who owes whom


@dataclass(frozen=True)
class Viewer:
    """Who looks at the overview: the request, its role (``access``), the member household
    linked to the account (only for the member role; ``None`` otherwise) and today."""

    request: object
    access: object
    household: object | None
    today: dt.date

    def can(self, perm) -> bool:
        return self.access.can(perm)

    @property
    def role(self) -> str:
        return self.access.role

    @property
    def slug(self) -> str:
        return self.access.cooperative.slug

    @property
    def user(self):
        return self.request.user


CardFunction = Callable[[Viewer], Card | None]
_REGISTRY: dict[str, tuple[int, CardFunction]] = {}
_DISCOVERED = False


def card(key: str, *, order: int) -> Callable[[CardFunction], CardFunction]:
    """Register the decorated function as the source of the card ``key``."""

    def register(function: CardFunction) -> CardFunction:
        _REGISTRY[key] = (order, function)
        return function

    return register


def _discover() -> None:
    global _DISCOVERED
    if not _DISCOVERED:
        autodiscover_modules("dashboard")
        _DISCOVERED = True


def registered() -> list[str]:
    _discover()
    return [key for key, _ in sorted(_REGISTRY.items(), key=lambda kv: (kv[1][0], kv[0]))]


def cards_for(viewer: Viewer) -> list[Card]:
    """The cards this viewer's role may see, in order."""
    _discover()
    result = []
    for _key, (_order, function) in sorted(_REGISTRY.items(), key=lambda kv: (kv[1][0], kv[0])):
        found = function(viewer)
        if found is not None:
            result.append(found)
    return result


def bars(items, *, title: str, **kwargs) -> SafeString:
    """:func:`hoptac.lib.svgchart.bars`, marked safe for a template (it escapes its text)."""
    return mark_safe(svgchart.bars(items, title=title, **kwargs))  # noqa: S308 - escaped by construction


def progress(value, total, *, title: str, **kwargs) -> SafeString:
    return mark_safe(svgchart.progress(value, total, title=title, **kwargs))  # noqa: S308


def vnd(value: int) -> str:
    """Money as the cards show it (the one formatter, ``lib.money.format_vnd``)."""
    from django.utils.translation import get_language

    from hoptac.lib.money import format_vnd

    return format_vnd(int(value or 0), language=get_language() or "vi")


def qty(value, unit: str = "") -> str:
    """A quantity as the cards show it (``lib.units.format_quantity``), with its unit."""
    from django.utils.translation import get_language

    from hoptac.lib.units import format_quantity

    text = format_quantity(value or 0, language=get_language() or "vi")
    return f"{text}\u00a0{unit}" if unit else text

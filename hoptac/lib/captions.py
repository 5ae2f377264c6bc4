"""Ready captions for sharing a product (or one lot of it) in Zalo, Facebook, TikTok, SMS…

:func:`caption` writes the text in the active language (the share kit renders it in
Vietnamese, the buyers' language): name, price (``1.250.000 ₫``), OCOP stars (``★★★★``),
cooperative and origin, a short description, for a lot its trace code and harvest /
packing dates, the short link, and hashtags (``#OCOP #MatOng #HaGiang``).
:func:`plain` is the same text without diacritics, stars or the ``₫`` sign, for SMS and
places that mangle Vietnamese letters. Both stay within :data:`MAX_CHARS`: the
description is shortened first, then the hashtags; the link is never cut.

Pure: no models; labels go through ``pgettext("caption", …)``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.translation import pgettext

from hoptac.lib.money import format_vnd
from hoptac.lib.text import unaccent

MAX_CHARS = 600
MAX_TAGS = 5
_TAG_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class LotFacts:
    trace_code: str  # the lot's public code (the trace page /t/<code>)
    trace_url: str = ""
    harvest_from: dt.date | None = None
    harvest_to: dt.date | None = None
    packed_on: dt.date | None = None
    best_before: dt.date | None = None


@dataclass(frozen=True)
class CaptionFacts:
    name: str
    price_vnd: int
    link: str
    coop_name: str
    unit: str = ""  # "hũ", "gói"…: "250.000 ₫ / hũ"
    stars: int | None = None
    commune: str = ""
    province: str = ""
    description: str = ""
    lot: LotFacts | None = None
    extra_tags: tuple[str, ...] = field(default_factory=tuple)


def hashtag(text: str, *, most: int = 24) -> str:
    """``"Hà Giang"`` -> ``"#HaGiang"``: unaccented words, each capitalised, joined; ``""``
    when nothing is left."""
    words = _TAG_WORD.findall(unaccent(text or ""))
    joined = "".join(w[:1].upper() + w[1:] for w in words)[:most]
    return f"#{joined}" if joined else ""


def _tags(facts: CaptionFacts) -> list[str]:
    tags: list[str] = []
    candidates = ["#OCOP" if facts.stars else ""]
    # The product's first two words ("Mật ong" -> #MatOng), the province, the cooperative.
    candidates.append(hashtag(" ".join(facts.name.split()[:2])))
    candidates += [hashtag(facts.province), hashtag(facts.coop_name)]
    candidates += [hashtag(t) for t in facts.extra_tags]
    for tag in candidates:
        if tag and tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    return tags[:MAX_TAGS]


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _harvest(lot: LotFacts) -> str:
    start, end = lot.harvest_from, lot.harvest_to
    if start and end and start != end:
        return f"{_day(start)} – {_day(end)}"
    return _day(start or end) if (start or end) else ""


def _lot_line(lot: LotFacts) -> str:
    parts = [pgettext("caption", "Lot %(code)s") % {"code": lot.trace_code}]
    harvest = _harvest(lot)
    if harvest:
        parts.append(pgettext("caption", "harvested %(when)s") % {"when": harvest})
    if lot.packed_on:
        parts.append(pgettext("caption", "packed %(day)s") % {"day": _day(lot.packed_on)})
    if lot.best_before:
        parts.append(pgettext("caption", "best before %(day)s") % {"day": _day(lot.best_before)})
    line = " · ".join(parts)
    if lot.trace_url:
        line += "\n" + pgettext("caption", "Where it comes from: %(url)s") % {"url": lot.trace_url}
    return line


def _shorten(text: str, most: int) -> str:
    text = " ".join((text or "").split())
    if len(text) <= most:
        return text
    if most < 20:
        return ""
    cut = text[: most - 1].rsplit(" ", 1)[0].rstrip(" ,.;:–-")
    return cut + "…"


def _lines(facts: CaptionFacts, *, description: str, tags: list[str], language: str) -> list[str]:
    price = format_vnd(facts.price_vnd, language=language).replace("\u00a0", " ")
    if facts.unit:
        price = f"{price} / {facts.unit}"
    lines = [" ".join(facts.name.split()), pgettext("caption", "Price: %(price)s") % {"price": price}]
    if facts.stars:
        stars = max(1, min(int(facts.stars), 5))
        lines.append("★" * stars + " " + pgettext("caption", "OCOP %(n)s stars") % {"n": stars})
    where = ", ".join(p for p in (facts.commune, facts.province) if p)
    lines.append(f"{facts.coop_name} – {where}" if where else facts.coop_name)
    if description:
        lines.append(description)
    if facts.lot is not None:
        lines.append(_lot_line(facts.lot))
    lines.append(pgettext("caption", "Order here: %(link)s") % {"link": facts.link})
    if tags:
        lines.append(" ".join(tags))
    return lines


def caption(facts: CaptionFacts, *, language: str = "vi", most: int = MAX_CHARS) -> str:
    """The caption in the active language, at most ``most`` characters."""
    tags = _tags(facts)
    description = " ".join((facts.description or "").split())
    text = "\n".join(_lines(facts, description="", tags=tags, language=language))
    while len(text) > most and tags:  # without a description it is still too long: fewer tags
        tags = tags[:-1]
        text = "\n".join(_lines(facts, description="", tags=tags, language=language))
    room = most - len(text) - 1  # the description's own line break
    description = _shorten(description, room) if room > 0 else ""
    text = "\n".join(_lines(facts, description=description, tags=tags, language=language))
    if len(text) > most:  # the name itself is absurdly long: cut what is left, keep the link
        text = "\n".join(_lines(facts, description="", tags=[], language=language))
        text = text[-most:]
    return text


_PLAIN = str.maketrans(
    {"₫": "d", "\u00a0": " ", "–": "-", "—": "-", "·": "-", "…": "...", "“": '"', "”": '"'}
)


def to_plain(text: str) -> str:
    """A caption in plain ASCII for SMS: no diacritics, no stars, ``250.000 d``; anything
    else outside ASCII (an emoji in a description) is left out."""
    text = re.sub(r"★+ ?", "", text).translate(_PLAIN)
    return unaccent(text).encode("ascii", "ignore").decode()


def plain(facts: CaptionFacts, *, language: str = "vi", most: int = MAX_CHARS) -> str:
    """:func:`caption` through :func:`to_plain`, still within ``most`` characters."""
    text = to_plain(caption(facts, language=language, most=most))
    if len(text) > most:  # "…" became "...": leave the room it took
        text = to_plain(caption(facts, language=language, most=2 * most - len(text)))
    return text

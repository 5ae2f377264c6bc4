"""Text helpers for Vietnamese: accent folding for search and unaccented SMS text."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Letters that do not decompose into a base letter plus combining marks.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "D"})


def unaccent(value: str) -> str:
    """Remove Vietnamese diacritics, keeping case: ``"Vàng A Páo"`` -> ``"Vang A Pao"``."""
    decomposed = unicodedata.normalize("NFD", value.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def fold(value: str) -> str:
    """Search key: unaccented, lower case, single spaces. ``"Nguyễn  Văn"`` -> ``"nguyen van"``."""
    return _SPACES.sub(" ", unaccent(value or "").casefold()).strip()


def search_tokens(query: str) -> list[str]:
    """Split a user's query into folded tokens; every token must match."""
    return [token for token in fold(query).split(" ") if token]


_SECRET_LINK = re.compile(r"(/invitation/)[A-Za-z0-9_-]{8,}(/?)")


def hide_secret_links(text: str) -> str:
    """A message's text as staff may read it: the token of an invitation link (which opens a
    role in a cooperative) replaced by "…". The message sent keeps the link."""
    return _SECRET_LINK.sub(r"\1…\2", text or "")

"""Reading orders in livestream and group comments: ``chốt M1 x2 0912345678``, ``M1 2``,
``lấy 2 hũ m1``, ``M1+C2``… into the product codes wanted, how many of each, and the
buyer's phone number. Pure: no Django, no database.

First version: exact codes (any case, with or without spaces, ``M 1``), a number next to
the code, a phone number. The corpus and benchmark (tests/data/live_comments.json,
scripts/bench_live_parser.py) measure it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from hoptac.lib.text import fold

_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)[\s.\-]?(\d(?:[\s.\-]?\d){8})(?!\d)")


@dataclass(frozen=True)
class Wanted:
    code: str  # the code as configured for the live, e.g. "M1"
    quantity: int  # packs, at least 1
    sure: bool = True  # False when the code or the quantity was guessed


@dataclass(frozen=True)
class Parsed:
    wanted: tuple[Wanted, ...] = ()
    phone: str = ""  # 0XXXXXXXXX, or ""
    question: bool = False  # reads as a question, not an order
    unclear: tuple[str, ...] = field(default_factory=tuple)  # "quantity", "code"…

    @property
    def is_order(self) -> bool:
        return bool(self.wanted) and not self.question

    @property
    def needs_look(self) -> bool:
        return self.is_order and (bool(self.unclear) or any(not w.sure for w in self.wanted))


def find_phone(text: str) -> str:
    """The first Vietnamese mobile number in ``text``, as 0XXXXXXXXX, or ""."""
    for match in _PHONE.finditer(text or ""):
        digits = "0" + re.sub(r"\D", "", match.group(1))
        if digits[1] in "35789":
            return digits
    return ""


def mask_phones(text: str) -> str:
    """``text`` with every phone number hidden but its last three digits (public screens)."""

    def hide(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return "•" * 7 + digits[-3:]

    return _PHONE.sub(hide, text or "")


def parse(text: str, codes: Iterable[str]) -> Parsed:
    """Read one comment against the live's product codes."""
    known = {fold(c).replace(" ", ""): c for c in codes}
    phone = find_phone(text)
    body = _PHONE.sub(" ", text or "")
    folded = fold(body)
    wanted: dict[str, int] = {}
    for key, code in known.items():
        letters = re.escape(key[:1]) + r"\s?" + re.escape(key[1:])
        pattern = re.compile(rf"(?<![a-z0-9])(\d+\s*)?{letters}(?![a-z0-9])\s*(?:x|\*)?\s*(\d+)?")
        for m in pattern.finditer(folded):
            qty = int(m.group(2) or m.group(1) or 1)
            wanted[code] = wanted.get(code, 0) + max(qty, 1)
    question = "?" in folded and not re.search(r"\b(chot|lay|mua)\b", folded)
    return Parsed(
        wanted=tuple(Wanted(code=c, quantity=q) for c, q in wanted.items()),
        phone=phone,
        question=question,
    )

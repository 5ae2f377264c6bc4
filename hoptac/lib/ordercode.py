"""Order codes that survive a bank transfer memo.

A code is a prefix (``"DH"``, *đơn hàng*) + 6 random characters + 1 check character, all
from the 32 letters and digits that a person cannot confuse: no ``0``/``O``, no ``1``/``I``.
``DH7KQ2MX5`` is 9 characters; with any prefix a code stays within 25 characters, the
length many banks keep of a VietQR transfer memo.

The check character
-------------------
A weighted sum modulo 32 cannot catch every swap of neighbours: 32 is even, so the weights
differ by an even number and some pairs of values cancel out. The check character is
therefore Damm's algorithm over the 32 symbols, with the quasigroup ``x * y = 2·x + y``
in the field GF(32) (addition there is XOR, multiplication modulo ``x⁵ + x² + 1``). That
quasigroup is totally anti-symmetric, which catches **every** single wrong character and
**every** swap of two neighbouring characters, check character included
(``tests/test_ordercode.py`` tries all of them). The prefix is a marker that
``find_codes`` looks for; it is not part of the checksum.

Reading memos
-------------
Banks and people mangle memos: upper or lower case, spaces, dots, dashes, slashes or
underscores inserted or removed, the code glued to the words around it, ``Đ`` for ``D``,
diacritics. ``find_codes`` folds the memo to upper-case ASCII letters and digits
(remembering where each came from), finds each occurrence of the prefix and reads the
next 7 characters; only those whose check character is right count, and the code as
written may span at most 25 characters of the memo.

``0``, ``1``, ``O`` and ``I`` are never in a code, so we do not map them to anything:
a person who reads a code off a screen has nothing to confuse them with, and mapping
``O`` to ``0`` (or ``I`` to ``1``) would only produce another character that is not in
the alphabet. A memo with one of them inside the 7 characters simply has no code there.
The false-positive rate on random memos is printed by ``scripts/bench_ordercode.py``.
"""

from __future__ import annotations

import re
import secrets

from hoptac.lib.text import unaccent

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BODY_LENGTH = 6
MAX_LENGTH = 25  # characters of the code as written in a memo, separators included
DEFAULT_PREFIX = "DH"

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_PREFIX_RE = re.compile(rf"^[A-Z]{{1,{MAX_LENGTH - BODY_LENGTH - 1}}}$")


def _times2(x: int) -> int:
    """Multiply by the field element 2 (the polynomial ``x``) in GF(32) = GF(2)[x]/(x⁵ + x² + 1)."""
    x <<= 1
    if x & 0b100000:
        x ^= 0b100101
    return x


def _interim(body: str) -> int:
    state = 0
    for ch in body:
        state = _times2(state) ^ _VALUE[ch]
    return state


def check_char(body: str) -> str:
    """The check character for ``body`` (characters of ``ALPHABET``)."""
    # The next step is 2·state XOR c; it is 0 when c = 2·state.
    return ALPHABET[_times2(_interim(body))]


def _check_prefix(prefix: str) -> str:
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"An order code prefix is 1 to 18 capital letters A-Z, not {prefix!r}.")
    return prefix


def new_code(prefix: str = DEFAULT_PREFIX) -> str:
    """A fresh random code, e.g. ``"DH7KQ2MX5"`` (32⁶ ≈ 1.07 billion bodies per prefix)."""
    _check_prefix(prefix)
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return prefix + body + check_char(body)


def is_valid(code: str, prefix: str = DEFAULT_PREFIX) -> bool:
    """Exactly ``prefix`` + 6 alphabet characters + the right check character (no folding)."""
    if not isinstance(code, str) or not code.startswith(prefix):
        return False
    rest = code[len(prefix) :]
    if len(rest) != BODY_LENGTH + 1 or any(ch not in _VALUE for ch in rest):
        return False
    return _interim(rest) == 0


def _fold(memo: str) -> tuple[str, list[int]]:
    """Upper-case ASCII letters and digits of ``memo`` and, for each, its index in ``memo``."""
    chars: list[str] = []
    where: list[int] = []
    for index, raw in enumerate(memo):
        for ch in unaccent(raw).upper():
            if ch.isascii() and ch.isalnum():
                chars.append(ch)
                where.append(index)
    return "".join(chars), where


def find_codes(memo: str, prefix: str = DEFAULT_PREFIX) -> list[str]:
    """The valid codes in a bank transfer memo, in order, each once.

    ``"CK DH7KQ2MX5 tu NGUYEN VAN A"``, ``"dh 7kq2-mx5"``, ``"Đ H 7KQ2MX5"`` and
    ``"MBVCB.123.DH7KQ2MX5.CT"`` all give ``["DH7KQ2MX5"]``.
    """
    _check_prefix(prefix)
    if not memo:
        return []
    text, where = _fold(memo)
    size = len(prefix) + BODY_LENGTH + 1
    found: list[str] = []
    start = text.find(prefix)
    while start != -1:
        candidate = text[start : start + size]
        if (
            len(candidate) == size
            and where[start + size - 1] - where[start] < MAX_LENGTH
            and is_valid(candidate, prefix)
            and candidate not in found
        ):
            found.append(candidate)
        start = text.find(prefix, start + 1)
    return found

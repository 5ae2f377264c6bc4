"""JSON from outside (webhooks) parsed with limits on size and nesting.

``json.loads`` recurses once per level of nesting: ``[[[[…]]]]`` a few thousand levels
deep raises ``RecursionError`` (not a ``ValueError``), which a view does not expect and
answers with a 500. :func:`loads` measures the depth first, in one pass without
recursion, and refuses a document too large or too deep with :class:`JSONRefused`, a
``ValueError`` like every other malformed document.
"""

from __future__ import annotations

import json
import re

MAX_BYTES = 64 * 1024
MAX_DEPTH = 32

# The only characters that matter for nesting: brackets, and quotes and backslashes,
# which say whether a bracket is inside a string.
_SPECIAL = re.compile(r'["\\\[\]{}]')


class JSONRefused(ValueError):
    """The document is larger or deeper than allowed."""


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (0 for a scalar)."""
    deepest = level = 0
    in_string = False
    escaped_at = -1  # the position of a character escaped by a backslash
    for match in _SPECIAL.finditer(text):
        char, position = match.group(), match.start()
        if position == escaped_at:
            continue
        if in_string:
            if char == "\\":
                escaped_at = position + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            level += 1
            deepest = max(deepest, level)
        elif char in "]}":
            level -= 1
    return deepest


def loads(data: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH):
    """``json.loads`` of UTF-8 ``data``; :class:`JSONRefused` (a ``ValueError``) when it is
    over ``max_bytes`` or nested deeper than ``max_depth``; ``ValueError`` when malformed."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise JSONRefused(f"JSON of {size} bytes, over {max_bytes}")
    text = data.decode("utf-8") if isinstance(data, bytes) else data  # UnicodeDecodeError is a ValueError
    found = depth(text)
    if found > max_depth:
        raise JSONRefused(f"JSON nested {found} deep, over {max_depth}")
    try:
        return json.loads(text)
    except RecursionError as exc:  # pragma: no cover - depth() already refused it
        raise JSONRefused("JSON nested too deep") from exc

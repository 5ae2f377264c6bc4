"""Money is an integer number of Vietnamese đồng (VND has no minor unit)."""

from __future__ import annotations


def group_digits(value: int, separator: str = ".") -> str:
    sign = "-" if value < 0 else ""
    digits = str(abs(int(value)))
    groups = []
    while digits:
        groups.append(digits[-3:])
        digits = digits[:-3]
    return sign + separator.join(reversed(groups))


def format_vnd(value: int | None, *, language: str = "vi") -> str:
    """``1250000`` -> ``1.250.000 ₫`` (Vietnamese) or ``1,250,000 ₫`` (English)."""
    if value is None:
        return ""
    separator = "," if language.startswith("en") else "."
    return f"{group_digits(value, separator)}\u00a0₫"


def parse_vnd(raw: str | int | float) -> int:
    """Read an amount typed or found in a spreadsheet: ``"1.250.000"``, ``"1,250,000 đ"``, 1250000.

    Raises ``ValueError`` for text that is not a whole number of đồng.
    """
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValueError(raw)
        return int(raw)
    text = str(raw).strip().lower()
    for suffix in ("vnđ", "vnd", "đồng", "đ", "₫"):
        if text.endswith(suffix):
            text = text[: -len(suffix)].strip()
            break
    text = text.replace(" ", "").replace("\u00a0", "")
    negative = text.startswith("-")
    text = text.lstrip("-")
    if not text:
        raise ValueError(raw)
    # Both separators are thousands separators for VND, which has no decimals.
    compact = text.replace(".", "").replace(",", "")
    if not compact.isdigit():
        raise ValueError(raw)
    groups = text.replace(",", ".").split(".")
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise ValueError(raw)
    value = int(compact)
    return -value if negative else value

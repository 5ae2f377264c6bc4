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


_UNITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_SCALES = ["", "nghìn", "triệu", "tỷ"]


def _three(n: int, *, full: bool) -> str:
    """Words of 0 < n < 1000; ``full`` when a higher group precedes (``không trăm linh năm``)."""
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [_UNITS[hundreds], "trăm"]
    if tens == 0:
        if ones and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_UNITS[tens], "mươi"]
    if ones:
        if ones == 1 and tens >= 2:
            words.append("mốt")
        elif ones == 5 and tens >= 1:
            words.append("lăm")
        elif ones == 4 and tens >= 2:
            words.append("tư")
        else:
            words.append(_UNITS[ones])
    return " ".join(words)


def _below_billion(value: int, *, full: bool) -> str:
    groups = []
    scale = 0
    while value:
        value, group = divmod(value, 1000)
        groups.append((group, scale))
        scale += 1
    words = []
    for index, (group, scale) in enumerate(reversed(groups)):
        if group == 0:
            continue
        words.append(_three(group, full=full or index > 0))
        if _SCALES[scale]:
            words.append(_SCALES[scale])
    return " ".join(words)


def number_in_words(value: int) -> str:
    """A whole number in Vietnamese words: ``50000000`` -> ``năm mươi triệu``,
    ``1250`` -> ``một nghìn hai trăm năm mươi``, ``1000000000000`` -> ``một nghìn tỷ``."""
    value = int(value)
    if value == 0:
        return _UNITS[0]
    if value < 0:
        return "âm " + number_in_words(-value)
    if value >= 1_000_000_000:
        high, low = divmod(value, 1_000_000_000)
        text = number_in_words(high) + " tỷ"
        return f"{text} {_below_billion(low, full=True)}" if low else text
    return _below_billion(value, full=False)


def vnd_in_words(value: int) -> str:
    """``50000000`` -> ``50.000.000 ₫ (năm mươi triệu đồng)``: an amount as it was understood."""
    return f"{format_vnd(value)} ({number_in_words(value)} đồng)"

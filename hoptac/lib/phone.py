"""Vietnamese phone numbers.

One number has one stored form, the 10- or 11-digit national form starting with 0
(``0912345678``). ``0912 345 678``, ``+84912345678``, ``84912345678`` and
``(+84) 912.345.678`` are the same number.
"""

from __future__ import annotations

import re

# Mobile prefixes since the 2018 renumbering: 03x, 05x, 07x, 08x, 09x (10 digits).
_MOBILE = re.compile(r"^0[35789]\d{8}$")
# Fixed lines: 02 + area code + subscriber, 11 digits in all.
_LANDLINE = re.compile(r"^02\d{9}$")
_SEPARATORS = re.compile(r"[\s.\-()/]")


class InvalidPhone(ValueError):
    """The text is not a Vietnamese phone number."""


def normalize_phone(raw: str) -> str:
    """Return the national form of ``raw`` or raise :class:`InvalidPhone`."""
    if raw is None:
        raise InvalidPhone("empty")
    digits = _SEPARATORS.sub("", str(raw).strip())
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("84"):
            raise InvalidPhone(raw)
    # ASCII digits only: "09" followed by full-width digits must not become a second spelling.
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidPhone(raw)
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    raise InvalidPhone(raw)


def is_phone(raw: str) -> bool:
    try:
        normalize_phone(raw)
    except InvalidPhone:
        return False
    return True


def to_international(phone: str) -> str:
    """``0912345678`` -> ``84912345678``, the form SMS gateways expect."""
    return "84" + normalize_phone(phone)[1:]


def display_phone(phone: str) -> str:
    """``0912345678`` -> ``0912 345 678`` for reading aloud and printing."""
    if not phone:
        return ""
    if len(phone) == 10:
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    # Fixed lines: the area code (02xx), then 3 + 4 digits: 0219 387 1456.
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}"

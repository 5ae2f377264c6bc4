"""GTIN (GS1 trade item numbers: GTIN-8, -12, -13, -14) with their check digit."""

from __future__ import annotations


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits before it."""
    total = 0
    for index, digit in enumerate(reversed(body)):
        total += int(digit) * (3 if index % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid(gtin: str) -> bool:
    text = (gtin or "").strip()
    return (
        text.isascii()
        and text.isdigit()
        and len(text) in (8, 12, 13, 14)
        and check_digit(text[:-1]) == int(text[-1])
    )


def to_gtin14(gtin: str) -> str:
    """The 14-digit form used in GS1 Digital Link paths (zero-padded on the left)."""
    return gtin.strip().zfill(14)

"""SMS length and cost: GSM-7 vs UCS-2 segments, and unaccented Vietnamese text.

Vietnamese with diacritics does not fit the GSM-7 alphabet, so it goes out as UCS-2: 70
characters in one SMS, 67 per part when split. Unaccented text is GSM-7: 160 in one SMS,
153 per part. Characters of the GSM-7 extension table (``^{}\\[~]|€``) take two septets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hoptac.lib.text import unaccent

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int

    @property
    def per_segment(self) -> int:
        if self.encoding == "GSM-7":
            return 160 if self.segments <= 1 else 153
        return 70 if self.segments <= 1 else 67


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENSION for ch in text)


def sms_length(text: str) -> SmsLength:
    """How many segments ``text`` takes, and in which encoding."""
    if is_gsm7(text):
        units = sum(2 if ch in _EXTENSION else 1 for ch in text)
        segments = 1 if units <= 160 else math.ceil(units / 153)
        return SmsLength("GSM-7", units, segments)
    units = len(text.encode("utf-16-be")) // 2
    segments = 1 if units <= 70 else math.ceil(units / 67)
    return SmsLength("UCS-2", units, segments)


def sms_text(text: str, *, unaccented: bool) -> str:
    """The text to send: without diacritics (GSM-7, about half the cost) when asked.

    Characters still outside GSM-7 after removing accents (curly quotes, dashes…) are
    replaced by their plain forms so the whole message stays GSM-7.
    """
    if not unaccented:
        return text
    plain = unaccent(text).translate(
        str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."})
    )
    return "".join(ch if (ch in _BASIC or ch in _EXTENSION) else "?" for ch in plain)


def sms_cost(text: str, *, recipients: int, price_per_segment_vnd: int) -> int:
    """Estimated cost in đồng of sending ``text`` to ``recipients`` numbers."""
    return sms_length(text).segments * recipients * price_per_segment_vnd

"""SMS length and cost: GSM-7 vs UCS-2 segments, and unaccented Vietnamese text.

Vietnamese with diacritics does not fit the GSM-7 alphabet, so it goes out as UCS-2: 70
characters in one SMS, 67 per part when split. Unaccented text is GSM-7: 160 in one SMS,
153 per part. Characters of the GSM-7 extension table (``^{}\\[~]|€``) take two septets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import get_language, pgettext

from hoptac.lib.money import group_digits
from hoptac.lib.text import unaccent
from hoptac.lib.units import format_quantity

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


# --- the words of an SMS to a member ----------------------------------------------------------
#
# Every text a member reads by SMS is an English msgid in the catalogue under the context
# "sms" (``pgettext("sms", …)``), translated into Vietnamese WITH diacritics; the code
# removes them after translation (:func:`one_sms`), so a translator writes natural
# Vietnamese and the member gets GSM-7 (160 characters in one SMS). One style everywhere
# (docs/huong-dan.md, "Tin nhắn SMS"): amounts "8.322.600d", prices per the product's own
# unit "520.000d/lit", "25.000d/kg", grades "loai 1", the member "ong/ba", balances in
# words that say who owes whom, never a minus sign.


SMS_LANGUAGES = ("vi", "en")


def sms_language(user) -> str:
    """The language of SMS to a member household: that of its own account (``user``, or
    None when it has none), Vietnamese otherwise."""
    language = (getattr(user, "language", "") or "vi")[:2]
    return language if language in SMS_LANGUAGES else "vi"


def one_sms(text: str) -> str:
    """``text`` as it goes out: without diacritics (GSM-7), single spaces."""
    return " ".join(sms_text(text, unaccented=True).split())


def _english() -> bool:
    return (get_language() or "vi").startswith("en")


def sms_number(value) -> str:
    """A quantity the way the member's language writes it: ``16,005`` (vi), ``16.005`` (en)."""
    return format_quantity(value, language="en" if _english() else "vi")


def sms_money(amount: int) -> str:
    """``8.322.600d`` (vi) or ``8,322,600 VND`` (en); never a sign (see :func:`balance_words`)."""
    digits = group_digits(abs(int(amount)), "," if _english() else ".")
    return pgettext("sms", "%(amount)s VND") % {"amount": digits}


def sms_unit(unit: str) -> str:
    """The unit word of an SMS: ``lit``, ``kg``, ``ta``… (``l``, ``kg``, ``ta`` in English)."""
    words = {
        "kg": pgettext("sms", "kg"),
        "l": pgettext("sms", "l"),
        "lang": pgettext("sms", "lang"),
        "yen": pgettext("sms", "yen"),
        "ta": pgettext("sms", "ta"),
        "tan": pgettext("sms", "tan"),
    }
    return words.get(str(unit), str(unit))


def sms_price(amount: int, base_unit: str) -> str:
    """``520.000d/lit``: the price per the product's own unit (kg or litre)."""
    return f"{sms_money(amount)}/{sms_unit(base_unit)}"


def sms_grade(grade) -> str:
    return pgettext("sms", "grade %(grade)s") % {"grade": grade}


def balance_words(net: int) -> str:
    """Who owes whom, in words (a farmer does not read a minus sign), as a sentence:
    ``HTX con no ong/ba 1.285.000d`` / ``Ong/ba con no HTX 1.285.000d`` /
    ``HTX va ong/ba khong con no nhau``. ``net`` > 0: the cooperative owes the member."""
    if net > 0:
        text = pgettext("sms", "the cooperative owes you %(amount)s") % {"amount": sms_money(net)}
    elif net < 0:
        text = pgettext("sms", "you owe the cooperative %(amount)s") % {"amount": sms_money(-net)}
    else:
        text = pgettext("sms", "you and the cooperative owe each other nothing")
    return text[:1].upper() + text[1:]

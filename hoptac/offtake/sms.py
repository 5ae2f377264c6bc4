"""The receipt as an unaccented SMS of at most 160 characters (one GSM-7 segment), in the
member's language.

Each line shows its arithmetic so that the member can check it with a calculator: the
quantity as typed, its conversion to the product's own unit when the unit differs (tạ to
kg), the deduction for moisture or impurities when there is one, the price per that unit
and the amount. Quantities are written the member's way (``1.250,5`` in Vietnamese), like
the amounts (``6.370.000d``); the balance says in words who owes whom::

    HTX Tuan Dung, phieu PTM-000012 27/11 08:15: Vang A Pao giao Mat ong bac ha loai 1:
    16,5 lit tru 3% = 16,005 lit x 520.000d/lit = 8.322.600d. HTX con no ong/ba 20.817.600d
    Che loai 2: 1,5 ta = 150 kg tru 5% = 142,5 kg x 25.000d/kg = 3.562.500d

Every word comes from the catalogue (context "sms"), written with diacritics by the
translator and removed here (:func:`hoptac.lib.sms.one_sms`).
"""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import npgettext, pgettext

from hoptac.lib.sms import (
    balance_words,
    one_sms,
    sms_grade,
    sms_language,
    sms_length,
    sms_money,
    sms_number,
    sms_unit,
)
from hoptac.lib.units import Unit

SMS_LIMIT = 160


def member_language(member) -> str:
    """The language of SMS to ``member``: that of the household's own account when it has
    one (``User.language``), Vietnamese otherwise."""
    from hoptac.outbox.services import accounts_for

    if getattr(member, "pk", None) is None:
        return "vi"
    return sms_language(accounts_for([member]).get(member.pk))


def product_name(product) -> str:
    """The product's name in the active language (``name_en`` in English when given)."""
    english = getattr(product, "name_en", "")
    return english if english and (translation.get_language() or "").startswith("en") else product.name


def _base(line) -> Unit:
    return Unit.LITRE if line.product.base_unit == "l" else Unit.KG


def line_arithmetic(line, *, product_label: str, compact: bool = False) -> str:
    """``Mat ong loai 1: 16,5 lit tru 3% = 16,005 lit x 520.000d/lit = 8.322.600d``: every
    step a member can check; ``compact`` writes ``=`` and ``x`` without spaces after them."""
    unit = Unit(line.unit)
    base = _base(line)
    eq, times = ("=", "x") if compact else (" = ", "x ")
    text = f"{sms_number(line.quantity)} {sms_unit(unit)}"
    if unit != base:
        text += f"{eq}{sms_number(line.base_quantity)} {sms_unit(base)}"
    if line.deduction_pct:
        less = pgettext("sms", "less %(percent)s%%") % {"percent": sms_number(line.deduction_pct)}
        text += f" {less}{eq}{sms_number(line.net_quantity)} {sms_unit(base)}"
    price = f"{sms_money(line.unit_price_vnd)}/{sms_unit(base)}"
    text += f" {times}{price}{eq}{sms_money(line.amount_vnd)}"
    return f"{product_label} {sms_grade(line.grade)}: {text}"


def receipt_sms_text(
    receipt, *, coop_name: str, balance_net: int | None = None, language: str | None = None
) -> str:
    """The receipt SMS in ``language`` (by default the member's: :func:`member_language`).

    Shortened step by step until it fits 160 characters: the member's name left out (the
    member knows it; the product's name matters more), product codes instead of names, the
    cooperative's name cut, ``=`` without spaces, the
    balance left out; a receipt of several lines that still does not fit is summarised by
    its total (the member's printed receipt has the detail). A one-line receipt always
    keeps its arithmetic; a longer one shows each line's amount, or only the total.
    """
    with translation.override(language or member_language(receipt.member)):
        return _receipt_text(receipt, coop_name=coop_name, balance_net=balance_net)


def _receipt_text(receipt, *, coop_name: str, balance_net: int | None) -> str:
    when = timezone.localtime(receipt.collected_at)
    lines = list(receipt.lines.all())
    code = receipt.code
    if receipt.is_voided:
        code = f"{code} " + pgettext("sms", "CANCELLED")
    total = sms_money(receipt.total_vnd)
    balance = f" {balance_words(balance_net)}." if balance_net is not None else ""

    def head(coop: str, stamp: str, member: bool) -> str:
        values = {"coop": coop, "code": code, "when": stamp, "member": receipt.member.full_name}
        if member:
            return pgettext("sms", "%(coop)s, receipt %(code)s %(when)s: %(member)s delivered") % values
        return pgettext("sms", "%(coop)s, receipt %(code)s %(when)s:") % values

    def detail(label, compact: bool = False) -> str:
        parts = [line_arithmetic(line, product_label=label(line), compact=compact) for line in lines]
        if len(parts) == 1:
            return parts[0] + "."
        return "; ".join(parts) + ". " + pgettext("sms", "Total %(amount)s.") % {"amount": total}

    def amounts(label) -> str:
        parts = [f"{label(line)} {sms_grade(line.grade)}: {sms_money(line.amount_vnd)}" for line in lines]
        return "; ".join(parts) + ". " + pgettext("sms", "Total %(amount)s.") % {"amount": total}

    summary = npgettext(
        "sms", "%(count)s product, total %(amount)s.", "%(count)s products, total %(amount)s.", len(lines)
    ) % {"count": len(lines), "amount": total}
    full_stamp, day = when.strftime("%d/%m %H:%M"), when.strftime("%d/%m")
    short_coop = coop_name[:20]
    by_name = detail(lambda line: product_name(line.product))

    def code_label(line) -> str:
        return line.product.code or product_name(line.product)[:6]

    by_code = detail(code_label)
    compact = detail(code_label, compact=True)
    candidates = [
        f"{head(coop_name, full_stamp, True)} {by_name}{balance}",
        f"{head(short_coop, full_stamp, False)} {by_name}{balance}",
        f"{head(coop_name, full_stamp, True)} {by_code}{balance}",
        f"{head(short_coop, full_stamp, False)} {by_code}{balance}",
        f"{head(short_coop, full_stamp, False)} {compact}{balance}",
        f"{head(short_coop, day, False)} {compact}{balance}",
        f"{head(short_coop, day, False)} {compact}",
        # The largest quantities in the smallest units (96.857,105 lạng) with a cancelled
        # receipt's word: a shorter name still keeps the arithmetic a member can check.
        f"{head(coop_name[:10], day, False)} {compact}",
        f"{head(short_coop, full_stamp, False)} {amounts(code_label)}{balance}",
        f"{head(short_coop, day, False)} {amounts(code_label)}",
        f"{head(coop_name, full_stamp, True)} {summary}{balance}",
        f"{head(short_coop, full_stamp, False)} {summary}{balance}",
        f"{head(short_coop, day, False)} {summary}{balance}",
        f"{head(short_coop, day, False)} {summary}",
    ]
    for text in candidates:
        text = one_sms(text)
        if sms_length(text).units <= SMS_LIMIT:
            return text
    return one_sms(candidates[-1])[:SMS_LIMIT]

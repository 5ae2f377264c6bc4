"""The receipt as an unaccented SMS of at most 160 characters (one GSM-7 segment).

Each line shows its arithmetic so that the member can check it with a calculator: the
quantity as typed, its conversion to the product's base unit when the unit differs, the
deduction for moisture or impurities when there is one, the price per base unit and the
amount. Quantities are written the Vietnamese way (``1.250,5``), like the amounts
(``6.370.000``)::

    Mat ong L1 12,5lit -2%=12,25lit x520.000=6.370.000d
    Che L2 3yen=30kg -5%=28,5kg x50.000=1.425.000d
"""

from __future__ import annotations

from django.utils import timezone

from hoptac.lib.money import group_digits
from hoptac.lib.sms import sms_length, sms_text
from hoptac.lib.units import Unit, format_quantity

SMS_LIMIT = 160

# Unit words without accents (GSM-7), as members write them.
SMS_UNITS = {
    Unit.KG: "kg",
    Unit.LANG: "lang",
    Unit.YEN: "yen",
    Unit.TA: "ta",
    Unit.TAN: "tan",
    Unit.LITRE: "lit",
}


def _qty(value) -> str:
    return format_quantity(value)


def _pct(value) -> str:
    return format_quantity(value)


def line_arithmetic(line, *, product_label: str) -> str:
    """``Mat ong L1 12,5lit -2%=12,25lit x520.000=6.370.000d``: every step a member can check."""
    unit = Unit(line.unit)
    base = Unit.LITRE if line.product.base_unit == "l" else Unit.KG
    base_label = SMS_UNITS[base]
    text = f"{product_label} L{line.grade} {_qty(line.quantity)}{SMS_UNITS.get(unit, line.unit)}"
    if unit != base:
        text += f"={_qty(line.base_quantity)}{base_label}"
    if line.deduction_pct:
        text += f" -{_pct(line.deduction_pct)}%={_qty(line.net_quantity)}{base_label}"
    return f"{text} x{group_digits(line.unit_price_vnd)}={group_digits(line.amount_vnd)}d"


def receipt_sms_text(receipt, *, coop_name: str, balance_net: int | None = None) -> str:
    """E.g. ``HTX Tuan Dung PTM-000012 27/11 08:15: Vang A Pao ban Mat ong L1 12,5lit -2%=12,25lit
    x520.000=6.370.000d. So du 6.670.000d``.

    Shortened step by step (product codes instead of names, the member's name left out, the
    cooperative's name cut, the balance left out) until it fits 160 characters; a receipt of
    several lines that still does not fit is summarised by its total.
    """
    when = timezone.localtime(receipt.collected_at).strftime("%d/%m %H:%M")
    lines = list(receipt.lines.all())
    status = " DA HUY" if receipt.is_voided else ""
    total = f"{group_digits(receipt.total_vnd)}d"
    balance = f". So du {group_digits(balance_net)}d" if balance_net is not None else ""
    head = f"{coop_name} {receipt.code}{status} {when}: {receipt.member.full_name}"
    short_head = f"{coop_name[:20]} {receipt.code}{status} {when}:"

    def detail(label) -> str:
        parts = [line_arithmetic(line, product_label=label(line)) for line in lines]
        if len(parts) == 1:
            return parts[0]
        return "; ".join(parts) + f". Tong {total}"

    by_name = detail(lambda line: line.product.name)
    by_code = detail(lambda line: line.product.code or line.product.name[:6])
    candidates = [
        f"{head} ban {by_name}{balance}",
        f"{head} ban {by_code}{balance}",
        f"{short_head} {by_code}{balance}",
        f"{short_head} {by_code}",
        f"{head} ban {len(lines)} mat hang ={total}{balance}",
        f"{short_head} ={total}{balance}",
        f"{short_head} ={total}",
    ]
    for text in candidates:
        text = " ".join(sms_text(text, unaccented=True).split())
        if sms_length(text).units <= SMS_LIMIT:
            return text
    return sms_text(candidates[-1], unaccented=True)[:SMS_LIMIT]

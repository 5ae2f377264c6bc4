"""The receipt as an unaccented SMS of at most 160 characters (one GSM-7 segment)."""

from __future__ import annotations

from django.utils import timezone

from hoptac.lib.money import group_digits
from hoptac.lib.sms import sms_length, sms_text
from hoptac.lib.units import UNIT_LABELS, Unit

SMS_LIMIT = 160


def _qty(value) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def receipt_sms_text(receipt, *, coop_name: str, balance_net: int | None = None) -> str:
    """E.g. ``HTX Tuan Dung PTM-000012 27/11 08:15: Vang A Pao ban Mat ong L1 3,5lit x500.000=1.715.000d. So du 2.015.000d``.

    Shortened step by step (lines summarised, name shortened) until it fits 160 characters.
    """
    when = timezone.localtime(receipt.collected_at).strftime("%d/%m %H:%M")
    lines = list(receipt.lines.all())

    def line_text(line) -> str:
        unit = UNIT_LABELS.get(Unit(line.unit), line.unit)
        return f"{line.product.name} L{line.grade} {_qty(line.quantity)}{unit} x{group_digits(line.unit_price_vnd)}"

    status = " DA HUY" if receipt.is_voided else ""
    total = f"={group_digits(receipt.total_vnd)}d"
    tail = f". So du {group_digits(balance_net)}d" if balance_net is not None else ""
    head = f"{coop_name} {receipt.code}{status} {when}: {receipt.member.full_name}"
    candidates = [
        f"{head} ban {'; '.join(line_text(line) for line in lines)}{total}{tail}",
        f"{head} ban {len(lines)} mat hang {total}{tail}",
        f"{head} {total}{tail}",
        f"{coop_name[:20]} {receipt.code}{status} {when} {total}{tail}",
    ]
    for text in candidates:
        text = " ".join(sms_text(text, unaccented=True).split())
        if sms_length(text).units <= SMS_LIMIT:
            return text
    return sms_text(candidates[-1], unaccented=True)[:SMS_LIMIT]

"""Units of quantity used when buying from members, and the one rounding rule for money.

Quantities are ``Decimal`` in a unit; each converts to the product's base unit (kg, or
litre for honey and wine). ``tạ`` is 100 kg by law but 60 kg in some places, so the
cooperative chooses (``Cooperative.kg_per_ta``).

Rounding rule (one, everywhere): a line's net quantity is the base quantity less the
deduction percentage, kept to 3 decimals (grams / millilitres) with ROUND_HALF_UP; its
amount is net quantity × unit price per base unit, rounded ROUND_HALF_UP to a whole đồng.
A receipt's total is the sum of its line amounts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

THOUSANDTH = Decimal("0.001")


class BaseUnit(StrEnum):
    KG = "kg"
    LITRE = "l"


class Unit(StrEnum):
    KG = "kg"
    LANG = "lang"  # lạng = 100 g
    YEN = "yen"  # yến = 10 kg
    TA = "ta"  # tạ = 100 kg (or 60 kg, per cooperative)
    TAN = "tan"  # tấn = 1,000 kg
    LITRE = "l"  # lít


UNIT_LABELS = {
    Unit.KG: "kg",
    Unit.LANG: "lạng",
    Unit.YEN: "yến",
    Unit.TA: "tạ",
    Unit.TAN: "tấn",
    Unit.LITRE: "lít",
}

MASS_FACTORS = {
    Unit.KG: Decimal(1),
    Unit.LANG: Decimal("0.1"),
    Unit.YEN: Decimal(10),
    Unit.TAN: Decimal(1000),
}


class UnitError(ValueError):
    """A unit that is unknown, or that does not fit the product's base unit."""


def parse_unit(raw: str) -> Unit:
    from hoptac.lib.text import fold

    key = fold(str(raw or "")).replace(".", "")
    aliases = {
        "kg": Unit.KG,
        "kilogram": Unit.KG,
        "can": Unit.KG,
        "lang": Unit.LANG,
        "yen": Unit.YEN,
        "ta": Unit.TA,
        "tan": Unit.TAN,
        "l": Unit.LITRE,
        "lit": Unit.LITRE,
        "litre": Unit.LITRE,
        "liter": Unit.LITRE,
    }
    if key not in aliases:
        raise UnitError(raw)
    return aliases[key]


def to_base(quantity: Decimal, unit: Unit | str, base: BaseUnit | str, *, kg_per_ta: int = 100) -> Decimal:
    """``quantity`` of ``unit`` in the product's base unit, kept to 3 decimals."""
    unit = Unit(unit)
    base = BaseUnit(base)
    if base == BaseUnit.LITRE:
        if unit != Unit.LITRE:
            raise UnitError(unit)
        return quantize_qty(quantity)
    if unit == Unit.LITRE:
        raise UnitError(unit)
    factor = Decimal(kg_per_ta) if unit == Unit.TA else MASS_FACTORS[unit]
    return quantize_qty(quantity * factor)


def quantize_qty(value: Decimal) -> Decimal:
    return Decimal(value).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def net_quantity(base_quantity: Decimal, deduction_pct: Decimal) -> Decimal:
    """The quantity paid for, after the deduction for moisture or impurities."""
    return quantize_qty(base_quantity * (Decimal(100) - deduction_pct) / Decimal(100))


def line_amount(net_qty: Decimal, unit_price_vnd: int) -> int:
    """Whole đồng, ROUND_HALF_UP: the one rounding rule for money."""
    return int((net_qty * Decimal(unit_price_vnd)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_quantity(raw) -> Decimal:
    """A quantity typed by a person: ``"12,5"`` or ``"12.5"``; raises ValueError."""
    text = str(raw).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(raw) from exc
    if not value.is_finite():
        raise ValueError(raw)
    return value


def qty_text(value: Decimal) -> str:
    """``Decimal("200.000")`` -> ``"200"``, ``Decimal("12.500")`` -> ``"12.5"`` (no exponent)."""
    text = format(quantize_qty(Decimal(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text

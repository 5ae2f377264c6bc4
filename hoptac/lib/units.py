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

# The base unit as a Vietnamese word, in messages to members whatever the staff's language.
BASE_UNIT_WORDS = {BaseUnit.KG: "kg", BaseUnit.LITRE: "lít"}


def base_unit_word(base: BaseUnit | str) -> str:
    """``"l"`` -> ``"lít"``, ``"kg"`` -> ``"kg"``: the unit a product is priced in."""
    return BASE_UNIT_WORDS[BaseUnit(base)]


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


class QuantityError(ValueError):
    """Text that cannot be read as a quantity the Vietnamese way."""


_DIGITS = frozenset("0123456789")


def _grouped(text: str) -> bool:
    """``"1.250.000"``: groups of three digits after a first group of 1–3 (not ``0``)."""
    groups = text.split(".")
    return (
        1 <= len(groups[0]) <= 3
        and groups[0] != "0"
        and all(len(g) == 3 for g in groups[1:])
        and all(set(g) <= _DIGITS and g for g in groups)
    )


def parse_quantity(raw) -> Decimal:
    """A quantity typed by a person, read the Vietnamese way; raises ``QuantityError``.

    - ``.`` groups thousands and ``,`` marks decimals: ``"1.250"`` is 1250, ``"12,5"`` is
      12.5, ``"1.250,5"`` is 1250.5, ``"1.250.000"`` is 1250000.
    - Cheap phone keypads may offer only ``.``: a dot that cannot be a thousands separator
      (not followed by exactly three digits, or after a lone ``0``) is a decimal point:
      ``"12.5"`` and ``"1.25"`` are 12.5 and 1.25, ``"0.250"`` is 0.25. One dot followed by
      exactly three digits stays a thousands separator: ``"1.250"`` is 1250 (how it is
      read is shown back before anything is saved).
    - Anything else (``"1,250.5"``, ``"1.2.3"``, ``"12,5,0"``, letters) is refused.
    """
    if isinstance(raw, bool):
        raise QuantityError(raw)
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
        if not value.is_finite():
            raise QuantityError(raw)
        return value
    text = str(raw).strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    sign = ""
    if text[:1] in "-+" and text:
        sign, text = ("-" if text[0] == "-" else ""), text[1:]
    if not text or not set(text) <= _DIGITS | {".", ","}:
        raise QuantityError(raw)
    if text.count(",") > 1:
        raise QuantityError(raw)
    whole, comma, decimals = text.partition(",")
    if comma:
        if not decimals or not set(decimals) <= _DIGITS or not whole:
            raise QuantityError(raw)
        if "." in whole and not _grouped(whole):
            raise QuantityError(raw)
        number = whole.replace(".", "") + "." + decimals
    elif "." not in whole:
        number = whole
    elif _grouped(whole):
        number = whole.replace(".", "")
    elif whole.count(".") == 1:
        left, right = whole.split(".")
        if not left or not right:
            raise QuantityError(raw)
        number = whole  # a decimal point: the only possible reading
    else:
        raise QuantityError(raw)
    try:
        value = Decimal(sign + number)
    except InvalidOperation as exc:
        raise QuantityError(raw) from exc
    if not value.is_finite():
        raise QuantityError(raw)
    return value


def format_quantity(value, *, language: str = "vi", places: int | None = None) -> str:
    """A quantity for people: ``Decimal("126.165")`` -> ``"126,165"``, ``1250`` -> ``"1.250"``,
    ``Decimal("1250.500")`` -> ``"1.250,5"`` in Vietnamese (``"1,250.5"`` in English).

    At most 3 decimals (grams, millilitres), trailing zeros dropped unless ``places`` is given.
    """
    if value is None or value == "":
        return ""
    number = quantize_qty(Decimal(value))
    thousands, decimal = (",", ".") if language.startswith("en") else (".", ",")
    sign = "-" if number < 0 else ""
    text = format(abs(number), "f")
    whole, _dot, frac = text.partition(".")
    frac = frac.rstrip("0") if places is None else (frac + "000")[:places]
    groups = []
    while whole:
        groups.append(whole[-3:])
        whole = whole[:-3]
    result = sign + thousands.join(reversed(groups or ["0"]))
    return f"{result}{decimal}{frac}" if frac else result


def quantity_in_words(value) -> str:
    """How a typed quantity was understood, for the echo next to the field:
    ``Decimal("1250")`` -> ``"1.250 (một nghìn hai trăm năm mươi)"``."""
    from hoptac.lib.money import number_in_words

    number = quantize_qty(Decimal(value))
    whole = int(number)
    frac = format(number - whole, "f").partition(".")[2].rstrip("0")
    words = number_in_words(whole)
    if frac:
        words += " phẩy " + " ".join(_DIGIT_WORDS[int(d)] for d in frac)
    return f"{format_quantity(number)} ({words})"


_DIGIT_WORDS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def qty_text(value: Decimal) -> str:
    """``Decimal("200.000")`` -> ``"200"``, ``Decimal("12.500")`` -> ``"12.5"`` (no exponent)."""
    text = format(quantize_qty(Decimal(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text

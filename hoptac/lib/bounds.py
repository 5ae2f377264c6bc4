"""Bounds: the one place that says how large or small an amount, a quantity or a date may be.

Forms (field validators), services (a translated ``ValidationError``, so the API and the
Excel import get the same answer) and the API schemas all read these numbers; the table in
docs/architecture.md ("Bounds") explains them for people.

The limits are far above anything a cooperative in Hà Giang records (a typing slip of
three zeros too many is refused) and far below what the database columns hold (a
``BigIntegerField`` holds 9.2 × 10¹⁸, a ``DecimalField(12, 3)`` holds 999.999.999,999),
so that a bad number is refused with a message instead of overflowing a column or a date
calculation (year 1 minus a time zone offset is an ``OverflowError``: a 500).

``confirm_from`` is the amount from which a person must confirm a second time, seeing the
amount as it was understood (digits and words): a right amount that large is rare, and a
wrong one is expensive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hoptac.lib.money import format_vnd


@dataclass(frozen=True)
class MoneyBound:
    """Whole đồng from ``low`` to ``high``; from ``confirm_from`` on, a second confirmation."""

    label: str
    low: int
    high: int
    confirm_from: int | None = None


MILLION = 1_000_000
BILLION = 1_000 * MILLION

# kind -> bound. Every number is explained on its line.
MONEY: dict[str, MoneyBound] = {
    # Góp vốn of one household: typically 1 to 50 million đồng; the Law on Cooperatives
    # 2023 caps one member at 20 % of the charter capital, and the largest cooperatives of
    # the province have a charter capital of a few tens of billions.
    "capital": MoneyBound(gettext_lazy("The capital"), 0, 5 * BILLION, confirm_from=100 * MILLION),
    # Tạm ứng: cash ahead of a season, a few million đồng; 50 million is a whole year's
    # produce of a large household, so it is confirmed; 2 billion is never right.
    "advance": MoneyBound(gettext_lazy("The advance"), 1, 2 * BILLION, confirm_from=50 * MILLION),
    # Inputs lent (fertiliser, bee boxes, seedlings): as for an advance.
    "input_loan": MoneyBound(
        gettext_lazy("The value of the loan"), 1, 2 * BILLION, confirm_from=50 * MILLION
    ),
    # Chi trả: what the cooperative pays a member at once, at most a season's deliveries.
    "payout": MoneyBound(gettext_lazy("The payout"), 0, 5 * BILLION, confirm_from=50 * MILLION),
    # Any other ledger amount (a purchase, a deduction, an opening balance).
    "ledger": MoneyBound(gettext_lazy("The amount"), 1, 10 * BILLION, confirm_from=50 * MILLION),
    # An adjustment (opening balance, correction), either sign, at most this much.
    "adjustment": MoneyBound(gettext_lazy("The adjustment"), 1, 5 * BILLION, confirm_from=50 * MILLION),
    # Price per kg or litre: honey is 300–600 thousand, cardamom 200 thousand, tea 100
    # thousand, dried shiitake 400 thousand; 100 million per kg is beyond any produce here.
    "price": MoneyBound(gettext_lazy("The price"), 1, 100 * MILLION),
    # Price of one SMS or Zalo message charged by a gateway: a few hundred đồng.
    "message_price": MoneyBound(gettext_lazy("The price of a message"), 0, 100_000),
}


@dataclass(frozen=True)
class QuantityBound:
    label: str
    low: Decimal  # inclusive
    high: Decimal  # inclusive
    places: int = 3  # decimals allowed (grams, millilitres)


QUANTITY: dict[str, QuantityBound] = {
    # What a person types in any unit (kg, lạng, yến, tạ, tấn, lít, bao…): a million of
    # anything is already absurd for one line.
    "typed": QuantityBound(gettext_lazy("The quantity"), Decimal("0.001"), Decimal(1_000_000)),
    # One receipt line, in the product's base unit (kg or litre): the largest delivery of
    # one household is a few tonnes of cardamom or tea; 100 tonnes is a typing slip.
    "receipt_line": QuantityBound(gettext_lazy("The quantity"), Decimal("0.001"), Decimal(100_000)),
    # An offtake agreement's committed quantity, base unit: a whole season of a household.
    "agreement": QuantityBound(gettext_lazy("The committed quantity"), Decimal("0.001"), Decimal(1_000_000)),
    # A lot, a processing step, a stock movement (base unit): a cooperative's warehouse.
    "stock": QuantityBound(gettext_lazy("The quantity"), Decimal("0.001"), Decimal(10_000_000)),
    # The size of one pack in its pack unit (g, ml, kg, l…): a tonne bag counted in grams.
    "pack_size": QuantityBound(gettext_lazy("The pack size"), Decimal("0.001"), Decimal(1_000_000)),
}

# Number of packs made at once (a packing run): whole packs, 1 to 10 million.
PACK_COUNT_MAX = 10_000_000

# Deduction for moisture or impurities on a receipt line, in percent.
DEDUCTION_PCT_MAX = Decimal(50)

# The earliest date of anything the cooperative records as its own business: no
# cooperative record kept in this platform predates the 2000s (the oldest cooperatives of
# Hà Giang were re-founded under the Law on Cooperatives 2003).
EARLIEST_RECORD = dt.date(2000, 1, 1)
# People joined cooperatives long before the platform existed; someone born in 1900 is
# the oldest plausible member of a household list.
EARLIEST_JOIN = dt.date(1950, 1, 1)
BIRTH_YEAR_MIN = 1900


@dataclass(frozen=True)
class DateBound:
    label: str
    low: dt.date
    # days after today that are still allowed (None: any date up to LATEST)
    ahead_days: int | None


# The latest date anyone may type anywhere: far enough for a certificate's validity, far
# from ``date.max`` (adding a day or a time zone to it raises OverflowError).
LATEST = dt.date(2199, 12, 31)
EARLIEST = dt.date(1900, 1, 1)

DATES: dict[str, DateBound] = {
    # Any date read from a query string or a filter: a report of year 1 is a typing slip.
    "any": DateBound(gettext_lazy("The date"), EARLIEST, None),
    # A buying season: planned at most 3 years ahead.
    "season": DateBound(gettext_lazy("The date"), EARLIEST_RECORD, 3 * 366),
    # A purchase receipt: paper receipts of past seasons may be typed in late; not
    # tomorrow (a phone clock a little ahead is tolerated by the services).
    "receipt": DateBound(gettext_lazy("The date"), EARLIEST_RECORD, 1),
    # A ledger entry (advance, loan, payout) and an agreement's signature: the same.
    "ledger": DateBound(gettext_lazy("The date"), EARLIEST_RECORD, 1),
    # A member's join date (and leaving date): the founding of older cooperatives.
    "join": DateBound(gettext_lazy("The date"), EARLIEST_JOIN, 1),
    # A certificate's issue and expiry dates: OCOP stars last 36 months, VietGAP 2 years,
    # organic 1–3 years; an expiry 30 years ahead is already generous.
    "certificate": DateBound(gettext_lazy("The date"), dt.date(1990, 1, 1), 30 * 366),
    # A lot's production and best-before dates, a processing step: honey keeps 2–3
    # years, dried produce less; 10 years ahead covers any best-before date.
    "stock": DateBound(gettext_lazy("The date"), EARLIEST_RECORD, 10 * 366),
    # An announced event (a meeting, a training): within the next 5 years.
    "event": DateBound(gettext_lazy("The date"), EARLIEST_RECORD, 5 * 366),
}


def date_range(kind: str, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last allowed day for dates of ``kind``."""
    bound = DATES[kind]
    if bound.ahead_days is None:
        return bound.low, LATEST
    today = today or timezone.localdate()
    return bound.low, min(LATEST, today + dt.timedelta(days=bound.ahead_days))


def clamp_date(day: dt.date) -> dt.date:
    """``day`` brought within 1900–2199, for reading rows stored before the bounds existed
    (a season dated year 1 made its pages answer 500: year 1 minus a time zone overflows)."""
    return min(max(day, EARLIEST), LATEST)


def check_date(
    kind: str, value: dt.date | dt.datetime | None, *, field: str = "", future: bool = True
) -> None:
    """Raise a translated ``ValidationError`` when ``value`` is outside the bounds of ``kind``.

    ``future=False`` leaves "not in the future" to the caller's own, more precise message
    (form fields do: "The date of leaving cannot be in the future.")."""
    if value is None:
        return
    day = (
        timezone.localtime(value).date()
        if isinstance(value, dt.datetime) and timezone.is_aware(value)
        else (value.date() if isinstance(value, dt.datetime) else value)
    )
    low, high = date_range(kind)
    near_today = DATES[kind].ahead_days is not None and DATES[kind].ahead_days <= 1
    if not future and near_today:
        high = LATEST
    if day > high and near_today:
        raise ValidationError(_("The date cannot be in the future."), code="future")
    if not low <= day <= high:
        raise ValidationError(
            _("%(what)s must be between %(low)s and %(high)s.")
            % {
                "what": field or DATES[kind].label,
                "low": low.strftime("%d/%m/%Y"),
                "high": high.strftime("%d/%m/%Y"),
            },
            code="date_out_of_range",
        )


def check_money(kind: str, amount: int, *, field: str = "") -> int:
    """``amount`` if it is a whole number of đồng within the bounds of ``kind``, else a
    translated ``ValidationError`` naming the limit."""
    bound = MONEY[kind]
    what = field or bound.label
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError(_("%(what)s must be a whole number of đồng.") % {"what": what}, code="not_int")
    if amount < bound.low:
        raise ValidationError(
            _("%(what)s cannot be less than %(low)s.") % {"what": what, "low": format_vnd(bound.low)},
            code="too_small",
        )
    if amount > bound.high:
        raise ValidationError(
            _("%(what)s cannot be more than %(high)s.") % {"what": what, "high": format_vnd(bound.high)},
            code="too_large",
        )
    return amount


def check_quantity(kind: str, quantity: Decimal | None, *, field: str = "") -> Decimal | None:
    """``quantity`` if within the bounds of ``kind`` and with at most 3 decimals."""
    if quantity is None:
        return None
    bound = QUANTITY[kind]
    what = field or bound.label
    quantity = Decimal(quantity)
    if not quantity.is_finite():
        raise ValidationError(_("%(what)s is not a number.") % {"what": what}, code="invalid")
    if quantity < bound.low:
        raise ValidationError(_("%(what)s must be more than 0.") % {"what": what}, code="not_positive")
    if quantity > bound.high:
        from hoptac.lib.units import format_quantity

        raise ValidationError(
            _("%(what)s cannot be more than %(high)s.") % {"what": what, "high": format_quantity(bound.high)},
            code="too_large",
        )
    if quantity != quantity.quantize(Decimal(1).scaleb(-bound.places)):
        raise ValidationError(
            _("%(what)s has more than %(places)d decimals.") % {"what": what, "places": bound.places},
            code="too_precise",
        )
    return quantity


def needs_confirmation(kind: str, amount: int | None) -> bool:
    """Whether ``amount`` of ``kind`` is large enough to be confirmed a second time."""
    threshold = MONEY[kind].confirm_from
    return threshold is not None and amount is not None and abs(amount) >= threshold

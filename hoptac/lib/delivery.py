"""Delivery zones and fees, without models.

A cooperative ships from its province. Three zones, from the post-2025 province codes:

- ``same_province``: the buyer is in the cooperative's province;
- ``north``: the buyer is in another of the 15 northern provinces
  (``places.northern_province_codes()``), wherever the cooperative is;
- ``elsewhere``: the rest of the country.

A delivery method has a table of rates. ``Rate(zone, up_to_g, fee)``: ``zone`` is one of the
zones or ``""`` for any zone, ``up_to_g`` the heaviest parcel of the band in grams (``None``:
no limit), ``fee`` in VND. ``fee_for`` takes the rates of the buyer's zone if the table has
any, otherwise the rates for any zone (the specific table replaces the general one; it does
not fall back to it for heavier parcels, which could otherwise be cheaper). Among them, the
smallest band that holds the weight gives the fee; ``None`` means this method cannot carry
the parcel there. ``rates_problems`` says what is wrong with a table (fees that go down as
the band grows, bands twice): a table without problems gives fees that never go down as the
weight goes up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from hoptac.lib import places

SAME_PROVINCE = "same_province"
NORTH = "north"
ELSEWHERE = "elsewhere"
ZONES = (SAME_PROVINCE, NORTH, ELSEWHERE)
ANY_ZONE = ""


@dataclass(frozen=True)
class Rate:
    zone: str  # one of ZONES, or "" for any zone
    up_to_g: int | None  # heaviest parcel of the band, in grams; None: no limit
    fee: int  # VND


def zone_label(zone: str) -> str:
    labels = {
        SAME_PROVINCE: _("Same province"),
        NORTH: _("Northern provinces"),
        ELSEWHERE: _("Elsewhere in Vietnam"),
        ANY_ZONE: _("Any zone"),
    }
    return labels[zone]


def zone_of(origin_province: int, dest_province: int) -> str:
    """The zone of a parcel from ``origin_province`` to ``dest_province`` (post-2025 codes).

    Raises ``ValueError`` for a code that is not a province after the 2025 reform
    (such as an old code from before the merger).
    """
    for code in (origin_province, dest_province):
        if not places.is_province(code):
            raise ValueError(_("%(code)s is not a province code after the 2025 reform.") % {"code": code})
    if origin_province == dest_province:
        return SAME_PROVINCE
    if dest_province in places.northern_province_codes():
        return NORTH
    return ELSEWHERE


def _band_key(rate: Rate) -> float:
    return float("inf") if rate.up_to_g is None else rate.up_to_g


def fee_for(
    rates: Iterable[Rate], *, zone: str, weight_g: int, subtotal: int, free_above: int | None
) -> int | None:
    """The delivery fee in VND, ``0`` when ``subtotal >= free_above``, ``None`` if not deliverable.

    Free delivery ("from 500.000 đ") applies only where the method delivers: a parcel
    that no band holds is still ``None``.
    """
    if zone not in ZONES:
        raise ValueError(_("Unknown delivery zone: %(zone)s.") % {"zone": zone})
    if weight_g < 0:
        raise ValueError(_("A weight cannot be negative."))
    rates = list(rates)
    specific = [rate for rate in rates if rate.zone == zone]
    table = specific or [rate for rate in rates if rate.zone == ANY_ZONE]
    holding = [rate for rate in table if rate.up_to_g is None or rate.up_to_g >= weight_g]
    if not holding:
        return None
    if free_above is not None and subtotal >= free_above:
        return 0
    return min(holding, key=_band_key).fee


def rates_problems(rates: Iterable[Rate]) -> list[str]:
    """What is wrong with a rate table, in words for the person who typed it (empty: fine)."""
    problems: list[str] = []
    by_zone: dict[str, list[Rate]] = {}
    for rate in rates:
        if rate.zone not in (*ZONES, ANY_ZONE):
            problems.append(_("Unknown delivery zone: %(zone)s.") % {"zone": rate.zone})
            continue
        if rate.fee < 0:
            problems.append(_("A delivery fee cannot be negative."))
        if rate.up_to_g is not None and rate.up_to_g <= 0:
            problems.append(_("A weight band must be more than 0 g."))
        by_zone.setdefault(rate.zone, []).append(rate)
    for zone, table in by_zone.items():
        table.sort(key=_band_key)
        for lighter, heavier in zip(table, table[1:], strict=False):
            if lighter.up_to_g == heavier.up_to_g:
                problems.append(
                    _("%(zone)s: the same weight band is there twice.") % {"zone": zone_label(zone)}
                )
            elif heavier.fee < lighter.fee:
                problems.append(
                    _("%(zone)s: a heavier band cannot cost less than a lighter one.")
                    % {"zone": zone_label(zone)}
                )
    return problems

"""Delivery zones and fees (``hoptac.lib.delivery``) and the northern provinces."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from hoptac.lib import places
from hoptac.lib.delivery import (
    ELSEWHERE,
    NORTH,
    SAME_PROVINCE,
    ZONES,
    Rate,
    fee_for,
    rates_problems,
    zone_of,
)

HA_NOI, TUYEN_QUANG, LAO_CAI, HAI_PHONG, NINH_BINH, THANH_HOA, HCM, CAN_THO = 1, 8, 15, 31, 37, 38, 79, 92


def test_northern_provinces_are_the_fifteen_named():
    codes = places.northern_province_codes()
    names = {places.province_name(code).removeprefix("Thành phố ") for code in codes}
    assert names == {
        "Hà Nội", "Hải Phòng", "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên",
        "Ninh Bình", "Quảng Ninh", "Cao Bằng", "Lạng Sơn", "Lai Châu", "Điện Biên", "Sơn La",
    }  # fmt: skip
    assert len(codes) == 15
    assert THANH_HOA not in codes and HCM not in codes
    assert places.TUYEN_QUANG in codes  # where Hà Giang went in 2025
    # Of the 34 units after the reform, the northern ones are exactly those up to Ninh Bình.
    assert codes == {code for code, _ in places.province_choices() if code <= NINH_BINH}


@pytest.mark.parametrize(
    ("origin", "dest", "zone"),
    [
        (TUYEN_QUANG, TUYEN_QUANG, SAME_PROVINCE),
        (TUYEN_QUANG, HA_NOI, NORTH),
        (TUYEN_QUANG, LAO_CAI, NORTH),
        (TUYEN_QUANG, NINH_BINH, NORTH),
        (TUYEN_QUANG, THANH_HOA, ELSEWHERE),
        (TUYEN_QUANG, HCM, ELSEWHERE),
        (HCM, HCM, SAME_PROVINCE),
        (HCM, HAI_PHONG, NORTH),
        (HCM, CAN_THO, ELSEWHERE),
    ],
)
def test_zone_of(origin, dest, zone):
    assert zone_of(origin, dest) == zone


@pytest.mark.parametrize(
    ("origin", "dest"), [(2, HA_NOI), (TUYEN_QUANG, 2), (TUYEN_QUANG, 0), (None, HA_NOI)]
)
def test_zone_of_refuses_codes_that_are_not_provinces(origin, dest):
    # 2 was Hà Giang before the 2025 merger: no longer a province code.
    with translation.override("en"), pytest.raises(ValueError, match="province"):
        zone_of(origin, dest)


TABLE = [
    Rate("", 1000, 30_000),
    Rate("", 5000, 45_000),
    Rate("", None, 80_000),
    Rate(SAME_PROVINCE, 2000, 15_000),
    Rate(SAME_PROVINCE, 10_000, 25_000),
]


@pytest.mark.parametrize(
    ("zone", "weight", "fee"),
    [
        (NORTH, 0, 30_000),
        (NORTH, 1000, 30_000),  # the band's limit is inside it
        (NORTH, 1001, 45_000),
        (ELSEWHERE, 5000, 45_000),
        (ELSEWHERE, 50_000, 80_000),
        (SAME_PROVINCE, 500, 15_000),
        (SAME_PROVINCE, 2001, 25_000),
        (SAME_PROVINCE, 10_001, None),  # its own table, no fall-back to the general one
    ],
)
def test_fee_for_table(zone, weight, fee):
    assert fee_for(TABLE, zone=zone, weight_g=weight, subtotal=100_000, free_above=None) == fee


def test_free_above_and_its_limits():
    kwargs = {"zone": NORTH, "weight_g": 1200}
    assert fee_for(TABLE, **kwargs, subtotal=499_999, free_above=500_000) == 45_000
    assert fee_for(TABLE, **kwargs, subtotal=500_000, free_above=500_000) == 0
    # Free delivery does not make an undeliverable parcel deliverable.
    assert fee_for(TABLE, zone=SAME_PROVINCE, weight_g=20_000, subtotal=10**9, free_above=0) is None
    assert fee_for([], zone=NORTH, weight_g=1, subtotal=10**9, free_above=0) is None


def test_fee_for_refuses_bad_input():
    with translation.override("en"), pytest.raises(ValueError, match="zone"):
        fee_for(TABLE, zone="mars", weight_g=1, subtotal=0, free_above=None)
    with translation.override("en"), pytest.raises(ValueError, match="negative"):
        fee_for(TABLE, zone=NORTH, weight_g=-1, subtotal=0, free_above=None)


def test_rates_problems():
    assert rates_problems(TABLE) == []
    assert len(rates_problems([Rate("", 1000, 30_000), Rate("", 2000, 20_000)])) == 1
    assert len(rates_problems([Rate("", 1000, 30_000), Rate("", 1000, 35_000)])) == 1
    assert len(rates_problems([Rate("", None, 30_000), Rate("", None, 35_000)])) == 1
    assert len(rates_problems([Rate("", 0, 30_000), Rate(NORTH, 10, -1), Rate("moon", 1, 1)])) == 3
    # Zones are checked each on their own: a cheaper specific table is fine.
    assert rates_problems([Rate("", 1000, 30_000), Rate(SAME_PROVINCE, 2000, 10_000)]) == []


zones_or_any = st.sampled_from([*ZONES, ""])


@st.composite
def sound_tables(draw):
    """Rate tables without problems: in each zone, fees do not go down as bands grow."""
    rates = []
    for zone in draw(st.sets(zones_or_any, min_size=1)):
        limits = sorted(draw(st.sets(st.integers(1, 50_000), max_size=5)))
        if draw(st.booleans()):
            limits.append(None)
        fees = sorted(draw(st.lists(st.integers(0, 500_000), min_size=len(limits), max_size=len(limits))))
        rates += [Rate(zone, limit, fee) for limit, fee in zip(limits, fees, strict=True)]
    return draw(st.permutations(rates))


weights = st.integers(0, 60_000)


@given(sound_tables(), st.sampled_from(ZONES), weights, weights)
def test_fee_never_goes_down_as_weight_goes_up(rates, zone, a, b):
    assert rates_problems(rates) == []
    light, heavy = sorted((a, b))
    light_fee = fee_for(rates, zone=zone, weight_g=light, subtotal=0, free_above=None)
    heavy_fee = fee_for(rates, zone=zone, weight_g=heavy, subtotal=0, free_above=None)
    if heavy_fee is not None:
        assert light_fee is not None and light_fee <= heavy_fee
    if light_fee is None:
        assert heavy_fee is None


@given(sound_tables(), st.sampled_from(ZONES), weights, st.integers(0, 10**7), st.integers(0, 10**7))
def test_free_above_works(rates, zone, weight, subtotal, free_above):
    paid = fee_for(rates, zone=zone, weight_g=weight, subtotal=subtotal, free_above=None)
    offered = fee_for(rates, zone=zone, weight_g=weight, subtotal=subtotal, free_above=free_above)
    if paid is None:
        assert offered is None
    elif subtotal >= free_above:
        assert offered == 0
    else:
        assert offered == paid


@given(sound_tables(), st.sampled_from(ZONES), weights)
def test_none_exactly_when_no_band_holds_the_weight(rates, zone, weight):
    table = [r for r in rates if r.zone == zone] or [r for r in rates if r.zone == ""]
    holds = any(r.up_to_g is None or r.up_to_g >= weight for r in table)
    fee = fee_for(rates, zone=zone, weight_g=weight, subtotal=0, free_above=None)
    assert (fee is None) == (not holds)
    if fee is not None:
        # The fee is one of the table's, and the band is the smallest that holds the weight.
        smallest = min(
            (r for r in table if r.up_to_g is None or r.up_to_g >= weight),
            key=lambda r: float("inf") if r.up_to_g is None else r.up_to_g,
        )
        assert fee == smallest.fee


@given(st.lists(st.builds(Rate, zones_or_any, st.none() | st.integers(1, 9000), st.integers(0, 90_000))))
def test_any_table_without_problems_is_monotone(rates):
    assume(rates_problems(rates) == [])
    for zone in ZONES:
        fees = [
            fee_for(rates, zone=zone, weight_g=w, subtotal=0, free_above=None) for w in range(0, 10_001, 250)
        ]
        known = [fee for fee in fees if fee is not None]
        assert known == sorted(known)
        # Once a parcel is too heavy, every heavier one is too.
        assert fees == known + [None] * (len(fees) - len(known))

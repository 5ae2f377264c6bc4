"""Numbers that add up: quantities read and written the Vietnamese way, the receipt SMS that
shows its arithmetic (deduction included) in one GSM-7 segment, price messages in the
product's own unit."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django import forms
from hypothesis import given, settings
from hypothesis import strategies as st

from hoptac.core.fields import QuantityField
from hoptac.lib import units
from hoptac.lib.money import number_in_words, vnd_in_words
from hoptac.lib.sms import is_gsm7, sms_length
from hoptac.lib.units import QuantityError, Unit, format_quantity, parse_quantity
from hoptac.offtake.sms import receipt_sms_text

# --- reading quantities -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1.250", Decimal(1250)),  # the defect: stored as 1,25
        ("12,5", Decimal("12.5")),
        ("1.250,5", Decimal("1250.5")),
        ("1.250.000", Decimal(1250000)),
        ("126,165", Decimal("126.165")),
        ("12.5", Decimal("12.5")),  # a keypad with only ".": the dot cannot group thousands here
        ("1.25", Decimal("1.25")),
        ("0.250", Decimal("0.25")),
        (" 3 ", Decimal(3)),
    ],
)
def test_quantities_are_read_the_vietnamese_way(typed, value):
    assert parse_quantity(typed) == value


@pytest.mark.parametrize(
    "typed", ["1,250.5", "1.2.3", "12,5,0", "abc", "1e5", "NaN", "12.", ",5", "1.2345.678"]
)
def test_unreadable_quantities_are_refused(typed):
    with pytest.raises(QuantityError):
        parse_quantity(typed)


def test_quantity_field_reads_thousands_and_refuses_with_a_message():
    field = QuantityField()
    assert field.clean("1.250,5") == Decimal("1250.5")
    assert field.clean("1.000.000") == Decimal(1000000)
    assert field.clean("0.250") == Decimal("0.25")
    with pytest.raises(forms.ValidationError) as error:
        field.clean("1,250.5")
    assert "1.250" in str(error.value)
    with pytest.raises(forms.ValidationError):
        field.clean("0,0001")  # more than 3 decimals
    # Shown back as understood, the Vietnamese way.
    assert field.prepare_value(Decimal("1250.500")) == "1.250,5"


def test_an_ambiguous_thousands_dot_is_echoed_in_words_before_saving():
    """ "1.250" used to be stored as 1,25: now it is read as 1250, and the form says so in
    words before anything is saved; the field comes back as "1250", plain on a second save."""
    field = QuantityField()
    with pytest.raises(forms.ValidationError) as error:
        field.clean("1.250")
    assert error.value.code == "confirm_quantity"
    assert "một nghìn hai trăm năm mươi" in error.value.messages[0]
    assert field.bound_data("1.250", None) == "1250"
    assert field.clean(field.bound_data("1.250", None)) == Decimal(1250)
    assert field.bound_data("0.250", None) == "0.250"  # a decimal, not thousands


def test_a_receipt_line_typed_1_250_is_stored_as_1250(login, coop_a, collector_a, member_a):
    from django.utils import timezone

    from hoptac.catalog.models import Product
    from hoptac.core.tenancy import tenant
    from hoptac.offtake import services as offtake
    from hoptac.offtake.models import ReceiptLine

    with tenant(coop_a):
        tea = Product.objects.create(cooperative=coop_a, name="Chè", code="CHE", base_unit="kg")
        offtake.price_set(
            product=tea, grade=1, price_vnd=10_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
    client = login(collector_a)
    url = f"/c/{coop_a.slug}/buying/receipts/new/"
    data = {
        "member": member_a.pk,
        "collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "point": "",
        "note": "",
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "20",
        "line-0-product": tea.pk,
        "line-0-grade": "1",
        "line-0-quantity": "1.250",
        "line-0-unit": "kg",
        "line-0-deduction_pct": "",
        "line-0-unit_price_vnd": "",
        "line-0-override_reason": "",
        "form_key": str(uuid.uuid4()),  # the same key when it is sent again below
    }
    response = client.post(url, data)
    assert response.status_code == 422  # shown back, nothing stored yet
    page = response.content.decode()
    assert "một nghìn hai trăm năm mươi" in page
    assert 'value="1250"' in page
    assert not ReceiptLine.unscoped.exists()
    response = client.post(url, {**data, "line-0-quantity": "1250"})
    assert response.status_code == 200  # issue 11: "Check before saving" shows it in words again
    assert "một nghìn hai trăm năm mươi" in response.content.decode()
    assert not ReceiptLine.unscoped.exists()
    response = client.post(url, {**data, "line-0-quantity": "1250", "confirm": "1"})
    assert response.status_code == 302
    assert ReceiptLine.unscoped.get().quantity == Decimal(1250)


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000_000), places=3))
def test_format_then_parse_gives_the_same_quantity(value):
    assert parse_quantity(format_quantity(value)) == value


def test_quantities_are_written_with_a_decimal_comma():
    assert format_quantity(Decimal("126.165")) == "126,165"  # lots showed "126.165 lít"
    assert format_quantity(Decimal(1250)) == "1.250"
    assert format_quantity(Decimal("1250.500")) == "1.250,5"
    assert format_quantity(Decimal("1250.5"), language="en") == "1,250.5"
    assert format_quantity(Decimal("0.5")) == "0,5"


def test_amounts_in_words():
    assert vnd_in_words(50_000_000) == "50.000.000\u00a0₫ (năm mươi triệu đồng)"
    assert number_in_words(1250) == "một nghìn hai trăm năm mươi"
    assert number_in_words(2_000_000_005) == "hai tỷ không trăm linh năm"
    assert number_in_words(21) == "hai mươi mốt"
    assert number_in_words(105) == "một trăm linh năm"


# --- the receipt SMS ------------------------------------------------------------------------

KG_UNITS = [Unit.KG, Unit.LANG, Unit.YEN, Unit.TA, Unit.TAN]


def _receipt(*, coop_name, member_name, product_name, code, unit, base, kg_per_ta, quantity, pct, price,
             grade=1, number=1, voided=False, lines=1):  # fmt: skip
    product = SimpleNamespace(name=product_name, code=code, base_unit=base)
    made = []
    for _ in range(lines):
        base_qty = units.to_base(quantity, unit, base, kg_per_ta=kg_per_ta)
        net = units.net_quantity(base_qty, pct)
        made.append(
            SimpleNamespace(
                product=product,
                grade=grade,
                quantity=quantity,
                unit=unit,
                base_quantity=base_qty,
                deduction_pct=pct,
                net_quantity=net,
                unit_price_vnd=price,
                amount_vnd=units.line_amount(net, price),
            )  # fmt: skip
        )
    total = sum(line.amount_vnd for line in made)
    receipt = SimpleNamespace(
        code=f"PTM-{number:06d}",
        collected_at=dt.datetime(2026, 11, 27, 1, 15, tzinfo=dt.UTC),
        is_voided=voided,
        total_vnd=total,
        member=SimpleNamespace(full_name=member_name),
        lines=SimpleNamespace(all=lambda: made),
    )
    return receipt, made


def test_receipt_sms_shows_the_deduction_and_its_arithmetic():
    receipt, _lines = _receipt(
        coop_name="HTX Tuấn Dũng", member_name="Vàng A Páo", product_name="Mật ong", code="MAT",
        unit=Unit.LITRE, base="l", kg_per_ta=100, quantity=Decimal("12.5"), pct=Decimal(2), price=520_000,
    )  # fmt: skip
    text = receipt_sms_text(receipt, coop_name="HTX Tuấn Dũng", balance_net=6_370_000)
    # 12,5 × 98 % = 12,25 and 12,25 × 520.000 = 6.370.000: the member can check each step.
    assert "Mat ong loai 1: 12,5 lit tru 2% = 12,25 lit x 520.000d/lit = 6.370.000d" in text
    assert "HTX con no ong/ba 6.370.000d" in text
    assert is_gsm7(text) and sms_length(text).segments == 1


def test_receipt_sms_converts_the_typed_unit_to_the_priced_one():
    receipt, _lines = _receipt(
        coop_name="HTX", member_name="A", product_name="Chè", code="CHE",
        unit=Unit.YEN, base="kg", kg_per_ta=100, quantity=Decimal(3), pct=Decimal(0), price=50_000,
    )  # fmt: skip
    text = receipt_sms_text(receipt, coop_name="HTX")
    assert "3 yen = 30 kg x 50.000d/kg = 1.500.000d" in text


# The receipt SMS over the whole range of values (both languages, arithmetic read back from
# the text): tests/test_sms_length.py.


# --- price messages in the product's own unit -------------------------------------------------


@pytest.fixture
def honey_priced(coop_a):
    from django.utils import timezone

    from hoptac.catalog.models import Product
    from hoptac.core.tenancy import tenant
    from hoptac.offtake import services as offtake

    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        price = offtake.price_set(
            product=product, grade=1, price_vnd=520_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
    return product, price


def test_the_price_change_sms_says_litre_for_honey(coop_a, honey_priced):
    from hoptac.core.tenancy import tenant
    from hoptac.offtake.notices import price_text

    _product, price = honey_priced
    with tenant(coop_a):
        text = price_text(price, None)
    assert "520.000d/lit" in text and "loai 1" in text
    assert "/kg" not in text


def test_the_price_placeholder_carries_the_products_unit(coop_a, honey_priced):
    from hoptac.core.tenancy import tenant
    from hoptac.notify import selectors, services
    from hoptac.notify.models import Audience

    product, _price = honey_priced
    with tenant(coop_a):
        suggestion = next(s for s in selectors.suggestions() if s.key == "price")
        assert "/kg" not in suggestion.body
        for body in (suggestion.body, "Giá {gia}/kg loại 1"):  # an old template wrote "/kg"
            announcement = services.announcement_save(
                title="Giá",
                body=body,
                audience=Audience.ALL,
                product=product,
                event_date=dt.date(2026, 12, 1),
            )
            values = selectors.fixed_values(announcement)
            text = selectors.fill(announcement.body, values)
            assert "520.000đ/lít" in text
            assert "/kg" not in text

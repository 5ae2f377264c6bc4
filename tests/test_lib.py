"""Pure helpers of ``hoptac.lib``: phone numbers, Vietnamese text, money and places."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hoptac.lib import money, phone, places, text
from hoptac.lib.phone import InvalidPhone

# --- Phone numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        " 0912 345 678 ",
        "0912.345.678",
        "0912-345-678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "(+84) 912.345.678",
        "0084912345678",
        "0084 912 345 678",
    ],
)
def test_mobile_spellings_normalise_to_the_national_form(raw):
    assert phone.normalize_phone(raw) == "0912345678"
    assert phone.is_phone(raw)


@pytest.mark.parametrize("prefix", ["032", "056", "070", "081", "086", "099"])
def test_every_mobile_range_is_accepted(prefix):
    assert phone.normalize_phone(f"{prefix}1234567") == f"{prefix}1234567"


@pytest.mark.parametrize(
    "raw",
    ["02193856123", "0219 3856 123", "(0219) 3856.123", "+84 219 3856 123", "842193856123"],
)
def test_landline_is_eleven_digits_starting_02(raw):
    assert phone.normalize_phone(raw) == "02193856123"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        None,
        "091234567",  # nine digits: too short
        "09123456789",  # eleven digits on a mobile prefix: too long
        "0219385612",  # a landline needs eleven digits
        "09123abc78",  # letters
        "zero nine one two",
        "0112345678",  # 01x was retired in 2018
        "0412345678",  # no such range
        "0612345678",
        "912345678",  # the leading zero is missing
        "+1 212 555 0100",  # not Vietnam
        "+12125550100",
        "+0912345678",
        "840912345678",  # "+84 0912..." keeps a stray zero
        "0912345678 ext 2",
        "09\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",  # full-width digits after "09"
        "09\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",  # Arabic-Indic digits
    ],
)
def test_invalid_numbers_raise(raw):
    with pytest.raises(InvalidPhone):
        phone.normalize_phone(raw)
    assert not phone.is_phone(raw)


def test_invalid_phone_is_a_value_error():
    # Callers catching ValueError (form fields, spreadsheet import) see it too.
    assert issubclass(InvalidPhone, ValueError)


@pytest.mark.parametrize(
    ("raw", "international"),
    [
        ("0912345678", "84912345678"),
        ("0912 345 678", "84912345678"),
        ("+84912345678", "84912345678"),
        ("02193856123", "842193856123"),
    ],
)
def test_to_international(raw, international):
    assert phone.to_international(raw) == international


def test_to_international_refuses_invalid():
    with pytest.raises(InvalidPhone):
        phone.to_international("12345")


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("0912345678", "0912 345 678"), ("02193856123", "0219 385 6123"), ("", ""), (None, "")],
)
def test_display_phone(stored, shown):
    assert phone.display_phone(stored) == shown


@given(st.sampled_from("35789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_any_mobile_number_survives_every_spelling(second_digit, rest):
    national = "0" + second_digit + rest[:8]
    spaced = f"{national[:4]} {national[4:7]} {national[7:]}"
    for raw in (national, spaced, "+84" + national[1:], "84" + national[1:], "0084" + national[1:]):
        assert phone.normalize_phone(raw) == national
    assert phone.normalize_phone(phone.to_international(national)) == national
    assert phone.normalize_phone(phone.display_phone(national)) == national


# --- Vietnamese text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("ĐẶNG THỊ ĐÀO", "dang thi dao"),
        ("đường", "duong"),
        ("H'Mông", "h'mong"),
        ("  Vàng   A\tPáo \n", "vang a pao"),
        ("Mật ong bạc hà", "mat ong bac ha"),
        ("Chè Shan tuyết", "che shan tuyet"),
        ("Xã Mèo Vạc", "xa meo vac"),
        ("Ữ ỹ Ỷ ơ ư", "u y y o u"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(raw, folded):
    assert text.fold(raw) == folded


def test_unaccent_keeps_case():
    assert text.unaccent("Nguyễn Văn Đức") == "Nguyen Van Duc"
    assert text.unaccent("Vàng A Páo") == "Vang A Pao"
    assert text.unaccent("đĐ") == "dD"
    assert text.unaccent("H'Mông") == "H'Mong"


@pytest.mark.parametrize("name", ["Nguyễn Văn Đức", "Triệu Thị Mây", "Hoàng Su Phì", "Mèo Vạc", "H'Mông"])
def test_composed_and_decomposed_input_fold_the_same(name):
    composed = unicodedata.normalize("NFC", name)
    decomposed = unicodedata.normalize("NFD", name)
    assert composed != decomposed  # the two inputs really are different strings
    assert text.fold(composed) == text.fold(decomposed)
    assert text.unaccent(composed) == text.unaccent(decomposed)
    assert text.fold(decomposed).isascii()


def test_search_tokens():
    assert text.search_tokens("  Nguyễn   ĐỨC ") == ["nguyen", "duc"]
    assert text.search_tokens("Vàng\tA\nPáo") == ["vang", "a", "pao"]
    assert text.search_tokens("") == []
    assert text.search_tokens("   ") == []


@given(st.text())
def test_fold_is_idempotent(value):
    once = text.fold(value)
    assert text.fold(once) == once


_VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"


@given(st.text(alphabet=_VIETNAMESE + _VIETNAMESE.upper() + " '"))
def test_folded_vietnamese_is_plain_ascii_lower_case(value):
    folded = text.fold(value)
    assert folded.isascii()
    assert folded == folded.lower()
    assert "  " not in folded
    assert text.fold(unicodedata.normalize("NFD", value)) == folded
    assert " ".join(text.search_tokens(value)) == folded


# --- Money ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "language", "shown"),
    [
        (1_250_000, "vi", "1.250.000\u00a0₫"),
        (1_250_000, "en", "1,250,000\u00a0₫"),
        (1_250_000, "en-us", "1,250,000\u00a0₫"),
        (0, "vi", "0\u00a0₫"),
        (999, "vi", "999\u00a0₫"),
        (1000, "vi", "1.000\u00a0₫"),
        (-1_250_000, "vi", "-1.250.000\u00a0₫"),
        (-500, "en", "-500\u00a0₫"),
        (2_000_000_000, "vi", "2.000.000.000\u00a0₫"),
    ],
)
def test_format_vnd(value, language, shown):
    assert money.format_vnd(value, language=language) == shown


def test_format_vnd_defaults_to_vietnamese_and_none_is_empty():
    assert money.format_vnd(700_000) == "700.000\u00a0₫"
    assert money.format_vnd(None) == ""


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1.250.000", 1_250_000),
        ("1,250,000", 1_250_000),
        ("1,250,000 đ", 1_250_000),
        ("1.250.000 ₫", 1_250_000),
        ("1.250.000\u00a0₫", 1_250_000),
        ("1.250.000đ", 1_250_000),
        ("1.250.000 VNĐ", 1_250_000),
        ("1.250.000 vnd", 1_250_000),
        ("500.000 đồng", 500_000),
        ("5000000", 5_000_000),
        ("  5000000  ", 5_000_000),
        ("1 250 000", 1_250_000),
        ("-1.250.000", -1_250_000),
        ("0", 0),
        ("999", 999),
        (5_000_000, 5_000_000),
        (5_000_000.0, 5_000_000),
        (0, 0),
    ],
)
def test_parse_vnd_accepts(raw, value):
    parsed = money.parse_vnd(raw)
    assert parsed == value
    assert type(parsed) is int


@pytest.mark.parametrize(
    "raw",
    [
        "12.5",  # a decimal, not a thousands group
        "12,50",
        "1.25.000",
        "1.2500.000",
        "1234.567",
        ".500",
        "1.000.",
        "1..000",
        "abc",
        "12abc",
        "",
        "   ",
        "đ",
        "-",
        "1e6",
        "½",
        "²",  # isdigit() but not a decimal digit
        12.5,
        float("nan"),
        True,
        False,
    ],
)
def test_parse_vnd_refuses(raw):
    with pytest.raises(ValueError):
        money.parse_vnd(raw)


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["vi", "en"]))
def test_format_then_parse_round_trips(value, language):
    assert money.parse_vnd(money.format_vnd(value, language=language)) == value


@given(st.integers(min_value=0, max_value=10**15))
def test_group_digits_has_three_digit_groups(value):
    grouped = money.group_digits(value)
    head, *tail = grouped.split(".")
    assert 1 <= len(head) <= 3
    assert all(len(group) == 3 for group in tail)
    assert grouped.replace(".", "") == str(value)


# --- Places ---------------------------------------------------------------------------

MEO_VAC = 769


@pytest.mark.parametrize(
    "raw", ["Mèo Vạc", "meo vac", "xa meo vac", "Xã Mèo Vạc", "  XÃ MÈO VẠC ", "769", 769]
)
def test_find_commune_resolves_names_and_codes(raw):
    assert places.find_commune(raw) == MEO_VAC
    assert places.find_commune(raw, places.TUYEN_QUANG) == MEO_VAC


def test_find_commune_decomposed_name():
    assert places.find_commune(unicodedata.normalize("NFD", "Xã Mèo Vạc")) == MEO_VAC


def test_meo_vac_is_in_tuyen_quang():
    assert places.TUYEN_QUANG == 8
    assert places.commune_province(MEO_VAC) == 8
    assert places.commune_name(MEO_VAC) == "Xã Mèo Vạc"
    assert places.province_name(8) == "Tuyên Quang"
    assert places.province_name(None) == ""


@pytest.mark.parametrize("raw", ["Không Có Xã Này", "xa", "", "0", "99999999"])
def test_find_commune_unknown_is_none(raw):
    assert places.find_commune(raw) is None


def test_find_commune_code_outside_the_province_is_none():
    assert places.find_commune("769", 1) is None
    assert places.find_commune("Mèo Vạc", 1) is None


@pytest.mark.parametrize("code", [None, 0, 99999999])
def test_unknown_commune_code(code):
    assert places.commune_name(code) == ""
    assert places.commune_province(code) is None


def test_commune_choices_are_the_wards_of_the_province():
    choices = places.commune_choices(places.TUYEN_QUANG)
    codes = [code for code, _name in choices]
    assert MEO_VAC in codes
    assert len(codes) == len(set(codes))
    assert all(places.commune_province(code) == 8 for code in codes)
    names = [text.fold(name) for _code, name in choices]
    assert names == sorted(names)

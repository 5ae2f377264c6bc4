"""The live comment parser (``hoptac.lib.livecomments``): the corpus as a whole, the hard
rules one by one, phone masking, and properties on any text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoptac.lib.livecomments import Parsed, Wanted, find_phone, mask_phones, parse

CORPUS = json.loads((Path(__file__).parent / "data" / "live_comments.json").read_text(encoding="utf-8"))
M = ["M1", "M2", "M3", "M4", "M5"]


def claims(parsed: Parsed) -> dict[str, int]:
    return {w.code: w.quantity for w in parsed.wanted} if parsed.is_order else {}


def test_corpus_is_varied():
    assert len(CORPUS) >= 320
    code_sets = {tuple(entry["codes"]) for entry in CORPUS}
    assert len(code_sets) >= 4
    assert sum(1 for e in CORPUS if not e["expect"]) >= 60  # questions, reviews, talk
    assert sum(1 for e in CORPUS if len(e["expect"]) >= 2) >= 40  # several products
    assert sum(1 for e in CORPUS if e["phone"]) >= 60
    assert sum(1 for e in CORPUS if e["text"].isascii()) >= 60  # written without diacritics
    for entry in CORPUS:
        assert set(entry) <= {"text", "codes", "expect", "phone", "unsure"}
        assert all(code in entry["codes"] and qty >= 1 for code, qty in entry["expect"])
        assert entry["phone"] == "" or re.fullmatch(r"0[35789]\d{8}", entry["phone"])


def test_corpus_precision_recall_and_phones():
    true_pos = false_pos = false_neg = phones_right = 0
    for entry in CORPUS:
        parsed = parse(entry["text"], entry["codes"])
        got = claims(parsed)
        expected = dict(entry["expect"])
        hits = sum(1 for code, qty in got.items() if expected.get(code) == qty)
        true_pos += hits
        false_pos += len(got) - hits
        false_neg += len(expected) - hits
        phones_right += parsed.phone == entry["phone"]
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    phone_accuracy = phones_right / len(CORPUS)
    print(
        f"\nlive comments: {len(CORPUS)}, precision {precision:.3f}, recall {recall:.3f}, phones {phone_accuracy:.3f}"
    )
    assert precision >= 0.95
    assert recall >= 0.95
    assert phone_accuracy >= 0.98


def test_corpus_unsure_comments_are_flagged_for_a_look():
    """Most comments a human would look at twice are flagged (needs_look) by the parser,
    and most plain orders are not."""
    unsure = [e for e in CORPUS if e.get("unsure")]
    plain = [e for e in CORPUS if e["expect"] and not e.get("unsure")]
    flagged = sum(parse(e["text"], e["codes"]).needs_look for e in unsure)
    quiet = sum(not parse(e["text"], e["codes"]).needs_look for e in plain)
    assert flagged / len(unsure) >= 0.8
    assert quiet / len(plain) >= 0.95


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("chốt M1 x2 0912345678", {"M1": 2}),
        ("lấy 2 hũ m1", {"M1": 2}),
        ("M1+C2", {"M1": 1}),  # C2 is not a code of this live
        ("m1 m2 mỗi loại 1", {"M1": 1, "M2": 1}),
        ("chot m1 sl 3", {"M1": 3}),
        ("M1 hai hũ", {"M1": 2}),
        ("m1 bay hu", {"M1": 7}),  # no diacritics anywhere: "bay" is bảy
        ("2m1", {"M1": 2}),
        ("M1x2,M3x1", {"M1": 2, "M3": 1}),
        ("M1 - 2 hộp", {"M1": 2}),
        ("cho e 2 M1 nhé", {"M1": 2}),
        ("lấy 2 M1 1 M2", {"M1": 2, "M2": 1}),
        ("M1 2 M2 3", {"M1": 2, "M2": 3}),
        ("Lò Văn Ba: M1 2", {"M1": 2}),  # a name with a number word in it
        ("chốt M1 250k", {"M1": 1}),
        ("M1 250.000", {"M1": 1}),
        ("M1 hũ 500g x2", {"M1": 2}),
        ("M1 giao 20/11", {"M1": 1}),
        ("M1 3 lần 5", {"M1": 3}),
        ("M1 còn không?", {}),
        ("M1 giá bao nhiêu", {}),
        ("ship HN bao lâu", {}),
        ("M1 ngon không shop", {}),
        ("đã nhận M1, ngon lắm", {}),
        ("cho em hỏi M1 còn không ạ", {}),
        ("bỏ M1 lấy M2 2", {"M2": 2}),
        ("chốt M1 2 hũ, M2 thì thôi", {"M1": 2}),
    ],
)
def test_reads(text, expected):
    assert claims(parse(text, M)) == expected


@pytest.mark.parametrize(
    ("text", "codes", "code"),
    [
        ("Ml 2", M, "M1"),
        ("MI 2", M, "M1"),
        ("M l 2", M, "M1"),
        ("M01 2", M, "M1"),
        ("m 1 2", M, "M1"),
        ("M! 2", M, "M1"),
        ("chốt á 2", ["A1", "A2", "A3"], "A1"),  # A1 typed on a VNI keyboard
        ("ms1o 2", ["MS10", "MS11"], "MS10"),
    ],
)
def test_typos_in_the_code_are_read_but_not_sure(text, codes, code):
    parsed = parse(text, codes)
    assert parsed.wanted == (Wanted(code=code, quantity=2, sure=False),)
    assert parsed.needs_look


@pytest.mark.parametrize(
    ("text", "codes", "expected"),
    [
        ("M10 2", ["M1", "M2"], {}),
        ("M10 2", ["M1", "M10"], {"M10": 2}),
        ("M1 2 M10 1", ["M1", "M10"], {"M1": 2, "M10": 1}),
        ("MS1 2", ["MS10", "MS11"], {}),
        ("M6 2", M, {}),
    ],
)
def test_only_configured_codes_match(text, codes, expected):
    assert claims(parse(text, codes)) == expected


@pytest.mark.parametrize("text", ["M1 vài hũ", "M1 nhiều", "M1 1kg", "chốt M1 0"])
def test_unclear_quantity_is_one_and_not_sure(text):
    parsed = parse(text, M)
    assert parsed.wanted == (Wanted(code="M1", quantity=1, sure=False),)
    assert parsed.unclear == ("quantity",)
    assert parsed.needs_look


def test_big_quantities_are_not_sure():
    assert parse("M1 150", M).wanted == (Wanted(code="M1", quantity=150, sure=False),)
    assert parse("M1 99", M).wanted == (Wanted(code="M1", quantity=99, sure=True),)


@pytest.mark.parametrize("text", ["hủy M1", "bỏ M1", "không lấy M1 nữa", "M1 hủy nhé shop", "huy m1"])
def test_cancellations_are_not_orders_but_are_shown(text):
    parsed = parse(text, M)
    assert not parsed.is_order
    assert "cancel" in parsed.unclear
    assert parsed.needs_look


def test_an_order_with_a_question_is_an_order_flagged():
    parsed = parse("chốt M1 2, ship HN mấy ngày?", M)
    assert claims(parsed) == {"M1": 2}
    assert parsed.unclear == ("question",)
    assert parsed.needs_look


def test_a_number_word_in_a_name_or_product_is_not_a_quantity():
    assert claims(parse("lấy 2 hộp tam thất M1", M)) == {"M1": 2}
    assert claims(parse("Nguyễn Văn Hai: lấy M3 1 túi", M)) == {"M3": 1}


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("chốt M1 0912345678", "0912345678"),
        ("sđt 0912.345.678", "0912345678"),
        ("sdt 0912 345 678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("(+84) 912-345-678", "0912345678"),
        ("84912345678", "0912345678"),
        ("M1 2 098.765.4321", "0987654321"),
        ("stk 0123456789", ""),  # not a mobile number
        ("M1 2 hũ 250.000", ""),
        ("0912345678 / 0987654321", "0912345678"),
    ],
)
def test_phones(text, phone):
    assert find_phone(text) == phone
    assert parse(text, M).phone == phone


def test_phone_digits_are_never_quantities():
    parsed = parse("M1 0912 345 678", M)
    assert parsed.wanted == (Wanted(code="M1", quantity=1, sure=True),)


@pytest.mark.parametrize(
    "text",
    [
        "chốt M1 0912345678",
        "sđt 0912.345.678",
        "gọi 0912 345 678 nhé",
        "+84 912 345 678",
        "(+84) 912-345-678",
        "84912345678",
        "0912-345-678",
        "09 1234 5678",
    ],
)
def test_mask_phones_hides_all_but_the_last_three_digits(text):
    masked = mask_phones(text)
    assert "678" in masked
    assert not re.search(r"\d{4}", masked.replace(" ", "").replace(".", "").replace("-", ""))
    assert find_phone(masked) == ""
    assert masked.count("678") == 1


def test_mask_phones_keeps_other_words():
    assert mask_phones("M1 2 hũ 0912345678 cảm ơn") == "M1 2 hũ •••••••678 cảm ơn"
    assert mask_phones("M1 2 hũ 250.000") == "M1 2 hũ 250.000"


codes_strategy = st.lists(
    st.from_regex(r"[A-Z]{1,2}[0-9]{1,2}", fullmatch=True), min_size=1, max_size=5, unique=True
)
pieces = st.sampled_from(
    ["M1", "m1", "C2", "MS10", "2", "x", "hai", "hũ", "chốt", "lấy", "?", ",", "0912345678", "250k", "vài",
     "hủy", "bỏ", "mỗi loại", "Ml", "M l", "á", "1kg", "😀", "\n", ":", "+84", "không", " ", "999", "0"]
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=200), st.lists(st.one_of(pieces, st.text(max_size=5)), max_size=25).map(" ".join)
    ),
    codes_strategy,
)
def test_parse_never_fails_and_stays_within_the_codes(text, codes):
    parsed = parse(text, codes)
    assert isinstance(parsed, Parsed)
    assert all(w.code in codes for w in parsed.wanted)
    assert all(w.quantity >= 1 for w in parsed.wanted)
    assert len({w.code for w in parsed.wanted}) == len(parsed.wanted)
    assert parsed.phone == "" or re.fullmatch(r"0[35789]\d{8}", parsed.phone)
    assert find_phone(mask_phones(text)) == ""

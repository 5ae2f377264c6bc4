"""Order codes (``hoptac.lib.ordercode``): check character and reading bank memos."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoptac.lib import ordercode
from hoptac.lib.ordercode import ALPHABET, check_char, find_codes, is_valid, new_code

bodies = st.text(alphabet=ALPHABET, min_size=6, max_size=6)


def _code(body: str, prefix: str = "DH") -> str:
    return prefix + body + check_char(body)


def test_new_code_shape():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000  # 32^6 bodies: a collision here would mean a broken generator
    for code in codes:
        assert len(code) == 9 and code.startswith("DH")
        assert set(code[2:]) <= set(ALPHABET)
        assert is_valid(code)
    # Every character of the alphabet turns up in the body.
    assert set("".join(code[2:8] for code in codes)) == set(ALPHABET)
    assert new_code("HD").startswith("HD") and is_valid(new_code("HD"), "HD")


@pytest.mark.parametrize("prefix", ["", "dh", "D1", "Đ", "A" * 19])
def test_bad_prefix_is_refused(prefix):
    with pytest.raises(ValueError):
        new_code(prefix)


def test_alphabet_has_no_confusable_characters():
    assert len(ALPHABET) == 32 == len(set(ALPHABET))
    assert not set("01OI") & set(ALPHABET)


@given(bodies)
def test_every_single_typo_is_caught(body):
    code = _code(body)
    assert is_valid(code)
    for position in range(2, 9):
        for ch in ALPHABET:
            if ch != code[position]:
                typo = code[:position] + ch + code[position + 1 :]
                assert not is_valid(typo), typo
                assert typo not in find_codes(f"CK {typo} tu NGUYEN VAN A")


@given(bodies)
def test_every_swap_of_neighbours_is_caught(body):
    code = _code(body)
    for position in range(2, 8):
        a, b = code[position], code[position + 1]
        if a != b:
            swapped = code[:position] + b + a + code[position + 2 :]
            assert not is_valid(swapped), swapped


def test_is_valid_refuses_other_shapes():
    code = _code("7KQ2MX")
    assert code == "DH7KQ2MX5"
    assert is_valid(code)
    assert not is_valid(code.lower())  # is_valid is strict; find_codes folds
    assert not is_valid(code + "2")
    assert not is_valid(code[:-1])
    assert not is_valid("HD" + code[2:])
    assert not is_valid(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "memo",
    [
        "CK DH7KQ2MX5 tu NGUYEN VAN A",
        "dh 7kq2-mx5",
        "MBVCB.123.DH7KQ2MX5.CT",
        "MBVCB.123456789.DH7KQ2MX5CT.NGUYEN VAN A chuyen tien",
        "ĐH7KQ2MX5",
        "đh.7kq.2mx.5",
        "thanh toan don hang DH 7KQ 2MX 5",
        "Thanh toán đơn DH7KQ2MX5",
        "IBFT DH7KQ2MX5-NGUYEN THI B",
        "DH7KQ2MX5 DH7KQ2MX5",
    ],
)
def test_find_codes_in_mangled_memos(memo):
    assert find_codes(memo) == ["DH7KQ2MX5"]


def test_find_codes_finds_two_orders_and_ignores_wrong_ones():
    other = _code("ABCDEF")
    assert find_codes(f"DH7KQ2MX5 va {other.lower()}") == ["DH7KQ2MX5", other]
    assert find_codes("DH7KQ2MX6") == []  # wrong check character
    assert find_codes("DH7KQ2MX") == []  # cut short
    assert find_codes("DH7K0Q2MX5") == []  # a zero is not in any code: no mapping
    assert find_codes("") == []
    assert find_codes("chuyen khoan tien hang") == []


def test_a_code_spread_too_far_is_not_joined():
    spread = "D H 7 K Q 2 M X 5"  # 17 characters: read
    assert find_codes(spread) == ["DH7KQ2MX5"]
    far = "DH 7KQ2MX" + " " * 16 + "5"  # 26 characters from D to 5: not a code any more
    assert len(far) == 26
    assert find_codes(far) == []


# At most 2 characters between two characters of the code: 9 + 8 × 2 = 25 characters.
separators = st.sampled_from(["", "", "", " ", ".", "-", "/", "_", "  ", ". ", " -"])
glue = st.text(alphabet="ABCEFGHKLMNPRSTUVXYZ 0123456789.-", max_size=20)


@st.composite
def mangled(draw):
    body = draw(bodies)
    code = _code(body)
    out = []
    for index, ch in enumerate(code):
        if index:
            out.append(draw(separators))
        if ch == "D" and draw(st.booleans()):
            ch = "Đ"
        out.append(ch.lower() if draw(st.booleans()) else ch)
    return code, draw(glue) + "".join(out) + draw(glue)


@given(mangled())
def test_every_mangling_is_found(case):
    code, memo = case
    assert code in find_codes(memo), memo


@given(st.text(max_size=60))
@settings(max_examples=300)
def test_found_codes_are_valid_and_in_the_memo(memo):
    squeezed = "".join(ch for ch in ordercode._fold(memo)[0])
    for code in find_codes(memo):
        assert is_valid(code)
        assert code in squeezed


MEMO_WORDS = [
    "CK",
    "chuyen khoan",
    "thanh toan",
    "tien hang",
    "NGUYEN VAN A",
    "TRAN THI BINH",
    "MBVCB",
    "IBFT",
    "FT24123",
    "don hang",
    "mat ong",
    "Hà Giang",
    "Đỗ Hữu",
    "Đoàn Hà",
    "0912345678",
]


@given(st.lists(st.sampled_from(MEMO_WORDS), max_size=8).map(" ".join))
def test_memos_without_the_prefix_have_no_code(memo):
    # "Đỗ Hữu" and "Đoàn Hà" fold to DOHUU and DOANHA: no D next to an H, so no prefix.
    assert find_codes(memo) == []


def test_false_positives_after_a_bare_prefix_are_rare():
    """After a bare "DH", ordinary words make a "code" about once in 32 tries at most.

    A memo like "DH CK TRAN THI..." reads as DHCKTRANT, whose check character happens
    to be right: find_codes gives candidates, and the caller keeps only those that are
    open orders of the cooperative (32^6 bodies make a stray match with one of them
    negligible).
    """
    memos = ["DH " + " ".join(words) for words in itertools.product(MEMO_WORDS, repeat=3)]
    hits = [memo for memo in memos if find_codes(memo)]
    assert find_codes("DH CK TRAN THI BINH") == ["DHCKTRANT"]
    assert 0 < len(hits) < len(memos) / 32

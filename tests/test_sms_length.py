"""SMS segments for Vietnamese text with and without accents (GSM-7 160/153, UCS-2 70/67)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hoptac.lib.sms import is_gsm7, sms_cost, sms_length, sms_text

ACCENTED = "Thông báo: HTX Tuấn Dũng thu mua mật ong bạc hà ngày 28/11 tại điểm Pả Vi, giá 520.000đ/lít."


def test_accented_vietnamese_is_ucs2_and_unaccented_is_gsm7():
    assert not is_gsm7(ACCENTED)
    accented = sms_length(ACCENTED)
    assert (accented.encoding, accented.units) == ("UCS-2", len(ACCENTED))
    assert accented.segments == 2  # 95 characters > 70
    plain = sms_text(ACCENTED, unaccented=True)
    assert plain.startswith("Thong bao: HTX Tuan Dung thu mua mat ong bac ha")
    assert is_gsm7(plain)
    assert sms_length(plain).segments == 1  # the same message costs half


def test_segment_boundaries():
    assert sms_length("a" * 160).segments == 1
    assert sms_length("a" * 161).segments == 2
    assert sms_length("a" * 306).segments == 2
    assert sms_length("a" * 307).segments == 3
    assert sms_length("ă" * 70).segments == 1
    assert sms_length("ă" * 71).segments == 2
    assert sms_length("ă" * 134).segments == 2
    assert sms_length("ă" * 135).segments == 3


def test_extension_characters_take_two_septets():
    assert sms_length("€" * 80).units == 160
    assert sms_length("€" * 80).segments == 1
    assert sms_length("€" * 81).segments == 2
    assert sms_length("[x]").units == 5


def test_curly_quotes_and_dashes_stay_gsm7_when_unaccented():
    text = sms_text("“Bà cụ” — hồng trà…", unaccented=True)
    assert text == '"Ba cu" - hong tra...'
    assert is_gsm7(text)


def test_cost_estimate():
    assert sms_cost(ACCENTED, recipients=100, price_per_segment_vnd=750) == 2 * 100 * 750
    assert sms_cost(sms_text(ACCENTED, unaccented=True), recipients=100, price_per_segment_vnd=750) == 75_000


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạ ,.", max_size=400))
def test_unaccented_never_costs_more(text):
    plain = sms_text(text, unaccented=True)
    assert is_gsm7(plain)
    assert sms_length(plain).segments <= sms_length(text).segments

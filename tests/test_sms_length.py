"""SMS segments for Vietnamese text with and without accents (GSM-7 160/153, UCS-2 70/67), and
every SMS a member reads: one GSM-7 segment over the whole range of values, in Vietnamese and
English, the receipt's arithmetic read back from the text, balances in words."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoptac.accounts.services import membership_set
from hoptac.catalog.models import Product
from hoptac.core.fields import MAX_QUANTITY
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.ledger import services as ledger
from hoptac.lib import bounds, units
from hoptac.lib.sms import SMS_LANGUAGES, balance_words, is_gsm7, one_sms, sms_cost, sms_length, sms_text
from hoptac.lib.units import Unit
from hoptac.notify import commands
from hoptac.notify import selectors as notify_selectors
from hoptac.offtake import notices
from hoptac.offtake import services as offtake
from hoptac.offtake.sms import SMS_LIMIT, receipt_sms_text
from tests.conftest import make_user

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


# =================================================================================================
# Every SMS a member reads: one GSM-7 segment over the whole range of values, in Vietnamese and
# in English, the receipt's arithmetic read back from the text, balances in words.
# =================================================================================================


LANGUAGE = st.sampled_from(SMS_LANGUAGES)
YOU = re.compile(r"\bban\b")  # unaccented "bạn" (you) reads as "bán" (sell) and the BAN command
LONG_COOP = ("Hợp tác xã Nông nghiệp Đặc sản Vùng cao " * 6)[:200]
LONG_MEMBER = ("Nguyễn Thị Hoàng " * 8)[:120]
LONG_PRODUCT = ("Mật ong bạc hà rừng già " * 8)[:160]


def assert_one_gsm7_sms(text: str) -> None:
    assert is_gsm7(text), text
    assert sms_length(text).units <= SMS_LIMIT, (sms_length(text).units, text)
    assert "<" not in text and ">" not in text, text
    assert not YOU.search(text), text


# --- reading the receipt's arithmetic back from the text ------------------------------------------

_UNITS_BACK = {"vi": {"lit": "l"}, "en": {}}
_NUM = r"\d[\d.,]*"


def _arithmetic(language: str) -> re.Pattern:
    grade, less, money = ("loai", "tru", "d") if language == "vi" else ("grade", "less", " VND")
    return re.compile(
        rf"{grade} (?P<grade>\d): (?P<qty>{_NUM}) (?P<unit>[a-z]+)"
        rf"(?: ?= ?(?P<base>{_NUM}) (?P<bunit>[a-z]+))?"
        rf"(?: {less} (?P<pct>{_NUM})% ?= ?(?P<net>{_NUM}) (?P<nunit>[a-z]+))?"
        rf" x ?(?P<price>{_NUM}){money}/(?P<punit>[a-z]+) ?= ?(?P<amount>{_NUM}){money}"
    )


def _number(text: str, language: str) -> Decimal:
    text = text.rstrip(".,")
    if language == "vi":
        return Decimal(text.replace(".", "").replace(",", "."))
    return Decimal(text.replace(",", ""))


def check_arithmetic(text: str, *, language: str, kg_per_ta: int) -> list[dict]:
    """Every line of arithmetic in ``text``, re-computed as a member would with a calculator:
    the conversion to the priced unit, the deduction, price × quantity = amount."""
    found = []
    back = _UNITS_BACK[language]
    for match in _arithmetic(language).finditer(text):
        g = match.groupdict()
        unit = back.get(g["unit"], g["unit"])
        priced = back.get(g["punit"], g["punit"])
        qty = _number(g["qty"], language)
        quantity = qty
        if g["base"] is not None:
            factor = {"lang": Decimal("0.1"), "yen": 10, "ta": kg_per_ta, "tan": 1000}[unit]
            quantity = _number(g["base"], language)
            assert quantity == units.quantize_qty(qty * factor), text
            assert back.get(g["bunit"], g["bunit"]) == priced, text
        else:
            # never a quantity in one unit times a price per another (tạ × đ/kg)
            assert unit == priced, text
        if g["pct"] is not None:
            pct = _number(g["pct"], language)
            net = _number(g["net"], language)
            assert net == units.quantize_qty(quantity * (100 - pct) / 100), text
            assert back.get(g["nunit"], g["nunit"]) == priced, text
            quantity = net
        price = _number(g["price"], language)
        amount = _number(g["amount"], language)
        assert amount == (quantity * price).quantize(Decimal(1), rounding=ROUND_HALF_UP), text
        found.append({"grade": int(g["grade"]), "quantity": qty, "unit": unit, "amount": amount})
    return found


# --- the receipt -------------------------------------------------------------------------------------


def _receipt(*, product_name, code, unit, base, kg_per_ta, quantity, pct, price, grade=1, number=1,
             voided=False, lines=1, member_name="Vàng A Páo"):  # fmt: skip
    product = SimpleNamespace(name=product_name, name_en="", code=code, base_unit=base)
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
    receipt = SimpleNamespace(
        code=f"PTM-{number:06d}",
        collected_at=dt.datetime(2026, 11, 27, 1, 15, tzinfo=dt.UTC),
        is_voided=voided,
        total_vnd=sum(line.amount_vnd for line in made),
        member=SimpleNamespace(full_name=member_name),
        lines=SimpleNamespace(all=lambda: made),
    )
    return receipt, made


def test_the_receipt_of_the_issue_writes_the_deduction_and_adds_up():
    """16,5 × 520.000 is 8.580.000: the 3 % deduction was applied but not written."""
    receipt, _ = _receipt(
        product_name="Mật ong bạc hà", code="MAT", unit=Unit.LITRE, base="l", kg_per_ta=100,
        quantity=Decimal("16.5"), pct=Decimal(3), price=520_000,
    )  # fmt: skip
    text = receipt_sms_text(receipt, coop_name="HTX Tuấn Dũng", balance_net=20_817_600, language="vi")
    assert "Mat ong bac ha loai 1: 16,5 lit tru 3% = 16,005 lit x 520.000d/lit = 8.322.600d" in text
    assert "HTX con no ong/ba 20.817.600d" in text
    assert " L1 " not in text and "So du" not in text
    [line] = check_arithmetic(text, language="vi", kg_per_ta=100)
    assert line["amount"] == 8_322_600
    assert_one_gsm7_sms(text)


def test_a_quantity_in_ta_is_converted_before_the_price_per_kg():
    """ "1,5ta x25.000=3.750.000d" mixed tạ with a per-kg price."""
    receipt, _ = _receipt(
        product_name="Chè búp tươi", code="CHE", unit=Unit.TA, base="kg", kg_per_ta=100,
        quantity=Decimal("1.5"), pct=Decimal(0), price=25_000,
    )  # fmt: skip
    text = receipt_sms_text(receipt, coop_name="HTX Tuấn Dũng", language="vi")
    assert "1,5 ta = 150 kg x 25.000d/kg = 3.750.000d" in text
    check_arithmetic(text, language="vi", kg_per_ta=100)
    english = receipt_sms_text(receipt, coop_name="HTX Tuấn Dũng", language="en")
    assert "1.5 ta = 150 kg x 25,000 VND/kg = 3,750,000 VND" in english
    check_arithmetic(english, language="en", kg_per_ta=100)


@pytest.mark.parametrize(
    ("net", "vi", "en"),
    [
        (1_285_000, "HTX con no ong/ba 1.285.000d", "The cooperative owes you 1,285,000 VND"),
        (-1_285_000, "Ong/ba con no HTX 1.285.000d", "You owe the cooperative 1,285,000 VND"),
        (0, "HTX va ong/ba khong con no nhau", "You and the cooperative owe each other nothing"),
    ],
)
def test_a_balance_says_who_owes_whom_in_words(net, vi, en):
    with translation.override("vi"):
        assert one_sms(balance_words(net)) == vi
    with translation.override("en"):
        assert one_sms(balance_words(net)) == en


@settings(max_examples=40, deadline=None)
@given(net=st.integers(min_value=-(10**13), max_value=10**13), language=LANGUAGE)
def test_a_balance_never_has_a_minus_sign(net, language):
    with translation.override(language):
        text = one_sms(balance_words(net))
    assert "-" not in text and is_gsm7(text) and not YOU.search(text)


UNIT_BASES = st.sampled_from(
    [(u, "kg") for u in (Unit.KG, Unit.LANG, Unit.YEN, Unit.TA, Unit.TAN)] + [(Unit.LITRE, "l")]
)


@settings(max_examples=150, deadline=None)
@given(
    unit_base=UNIT_BASES,
    kg_per_ta=st.sampled_from([100, 60]),
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=bounds.QUANTITY["typed"].high, places=3),
    pct=st.one_of(st.just(Decimal(0)), st.decimals(min_value=Decimal("0.01"), max_value=bounds.DEDUCTION_PCT_MAX, places=2)),
    price=st.integers(min_value=1, max_value=bounds.MONEY["price"].high),
    grade=st.sampled_from([1, 2, 3]),
    number=st.integers(min_value=1, max_value=999_999),
    voided=st.booleans(),
    balance=st.one_of(st.none(), st.integers(min_value=-(10**13), max_value=10**13)),
    long_names=st.booleans(),
    language=LANGUAGE,
)  # fmt: skip
def test_the_receipt_sms_is_one_segment_and_its_arithmetic_adds_up(
    unit_base, kg_per_ta, quantity, pct, price, grade, number, voided, balance, long_names, language
):
    unit, base = unit_base
    base_qty = units.to_base(quantity, unit, base, kg_per_ta=kg_per_ta)
    if not bounds.QUANTITY["receipt_line"].low <= base_qty <= bounds.QUANTITY["receipt_line"].high:
        return  # refused by receipt_record
    coop, member, product = (
        (LONG_COOP, LONG_MEMBER, LONG_PRODUCT) if long_names else ("HTX Tuấn Dũng", "Vàng A Páo", "Mật ong")
    )
    receipt, [line] = _receipt(
        product_name=product, code="ABCDEF" if long_names else "MAT", unit=unit, base=base, kg_per_ta=kg_per_ta,
        quantity=quantity, pct=pct, price=price, grade=grade, number=number, voided=voided, member_name=member,
    )  # fmt: skip
    text = receipt_sms_text(receipt, coop_name=coop, balance_net=balance, language=language)
    assert_one_gsm7_sms(text)
    assert receipt.code in text
    assert "-" not in text.replace(receipt.code, "")  # no minus sign, whoever owes
    [read] = check_arithmetic(
        text, language=language, kg_per_ta=kg_per_ta
    )  # a one-line receipt always shows it
    assert (read["grade"], read["quantity"], read["amount"]) == (grade, quantity, line.amount_vnd)
    assert ("DA HUY" in text) == (voided and language == "vi")
    if balance is not None and f"{'HTX' if language == 'vi' else 'cooperative'}" in text.split(": ", 1)[1]:
        with translation.override(language):
            assert one_sms(balance_words(balance)) in text


@settings(max_examples=30, deadline=None)
@given(
    lines=st.integers(min_value=2, max_value=20),
    price=st.integers(min_value=1, max_value=bounds.MONEY["price"].high),
    language=LANGUAGE,
)
def test_a_receipt_of_many_lines_is_one_segment_with_its_total(lines, price, language):
    receipt, made = _receipt(
        product_name=LONG_PRODUCT, code="ABCDEF", unit=Unit.TA, base="kg", kg_per_ta=60,
        quantity=Decimal("999.999"), pct=Decimal("12.25"), price=price, lines=lines, member_name=LONG_MEMBER,
    )  # fmt: skip
    text = receipt_sms_text(receipt, coop_name=LONG_COOP, balance_net=-(10**13), language=language)
    assert_one_gsm7_sms(text)
    with translation.override(language):
        assert one_sms(commands.money(receipt.total_vnd)) in text
    for read in check_arithmetic(text, language=language, kg_per_ta=60):  # the lines shown add up
        assert read["amount"] == made[0].amount_vnd


def test_two_short_lines_show_each_line_and_the_total():
    receipt, _ = _receipt(
        product_name="Chè", code="CHE", unit=Unit.YEN, base="kg", kg_per_ta=100, quantity=Decimal(3),
        pct=Decimal(5), price=50_000, lines=2,
    )  # fmt: skip
    text = receipt_sms_text(receipt, coop_name="HTX", language="vi")
    # each line's arithmetic does not fit one SMS: each line's amount and the total do
    assert "CHE loai 1: 1.425.000d; CHE loai 1: 1.425.000d. Tong 2.850.000d." in text
    assert_one_gsm7_sms(text)


# --- the receipt and the price change, sent for real -----------------------------------------------


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        offtake.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=3)
        )
    return product


def english_account(coop, member):
    user = make_user("0911000199", "Member A")
    type(user).objects.filter(pk=user.pk).update(language="en")
    membership_set(user=user, cooperative=coop, role=Role.MEMBER, member=member)


@pytest.fixture
def english_member(coop_a, member_a):
    """member_a's household has its own account, in English."""
    english_account(coop_a, member_a)
    return member_a


def test_a_receipt_sms_of_a_member_who_owes(coop_a, member_a, honey, accountant_a):
    with tenant(coop_a):
        ledger.advance_give(member=member_a, amount=4_000_000, actor=accountant_a)
        receipt = offtake.receipt_record(
            member=member_a,
            collected_at=timezone.now(),
            lines=[
                offtake.LineInput(product=honey, quantity=Decimal("5.5"), unit="l", deduction_pct=Decimal(2))
            ],
        )
        text = notices.receipt_text(receipt)
    assert_one_gsm7_sms(text)
    [line] = check_arithmetic(text, language="vi", kg_per_ta=100)
    assert line["amount"] == 2_695_000  # 5,5 × 98 % = 5,39 lit × 500.000
    assert "Ong/ba con no HTX 1.305.000d" in text  # 4.000.000 - 2.695.000, in words


def test_the_receipt_sms_is_in_the_language_of_the_households_account(coop_a, english_member, honey):
    with tenant(coop_a):
        receipt = offtake.receipt_record(
            member=english_member,
            collected_at=timezone.now(),
            lines=[offtake.LineInput(product=honey, quantity=Decimal(2), unit="l")],
        )
        text = notices.receipt_text(receipt)
    assert "grade 1: 2 l x 500,000 VND/l = 1,000,000 VND" in text
    assert "The cooperative owes you 1,000,000 VND" in text
    assert_one_gsm7_sms(text)


@pytest.mark.parametrize("language", SMS_LANGUAGES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    price=st.integers(min_value=1, max_value=bounds.MONEY["price"].high),
    previous=st.one_of(st.none(), st.integers(min_value=1, max_value=bounds.MONEY["price"].high)),
    long_names=st.booleans(),
)
def test_the_price_change_sms_is_one_segment_per_the_products_unit(
    coop_a, language, price, previous, long_names
):
    name = LONG_PRODUCT if long_names else "Mật ong bạc hà"
    coop_a.name = LONG_COOP if long_names else "HTX Tuấn Dũng"
    product = SimpleNamespace(name=name, name_en="", base_unit="l")
    when = timezone.now()
    new = SimpleNamespace(product=product, grade=1, price_vnd=price, effective_from=when)
    old = (
        SimpleNamespace(product=product, grade=1, price_vnd=previous, effective_from=when)
        if previous
        else None
    )
    with tenant(coop_a):
        text = notices.price_text(new, old, language=language)
    assert_one_gsm7_sms(text)
    with translation.override(language):
        assert one_sms(commands.sms_price(price, "l")) in text
        if old:
            assert one_sms(commands.sms_price(previous, "l")) in text
    assert "/kg" not in text
    assert ("d/lit" in text) if language == "vi" else ("VND/l" in text)


def test_the_price_change_of_honey_is_per_litre_for_each_members_language(
    coop_a, english_member, member_a2, honey
):
    from hoptac.outbox.models import Kind, Message

    with tenant(coop_a):
        today = timezone.localdate()
        season = offtake.season_create(
            product=honey,
            name="Vụ 2026",
            starts_on=today - dt.timedelta(days=5),
            ends_on=today + dt.timedelta(days=60),
        )
        for member in (english_member, member_a2):
            offtake.agreement_create(
                member=member, season=season, committed_quantity=Decimal(100), committed_unit="l",
                price_rule="list", signed_on=today,
            )  # fmt: skip
        offtake.price_set(product=honey, grade=1, price_vnd=520_000, effective_from=timezone.now())
        texts = {m.member_id: m.text for m in Message.objects.filter(kind=Kind.PRICE)}
    vietnamese = one_sms(texts[member_a2.pk])
    assert "Mat ong bac ha loai 1" in vietnamese and "520.000d/lit (truoc day 500.000d/lit)" in vietnamese
    assert "520,000 VND/l (was 500,000 VND/l)" in texts[english_member.pk]
    assert_one_gsm7_sms(vietnamese)


# --- the replies to commands ------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=MAX_QUANTITY, places=3),
    unit=st.sampled_from(list(Unit)),
    long_names=st.booleans(),
    language=LANGUAGE,
)
def test_the_offer_reply_is_one_segment(quantity, unit, long_names, language):
    coop = SimpleNamespace(name=LONG_COOP if long_names else "HTX Tuấn Dũng (test)", slug="x")
    product = SimpleNamespace(name=LONG_PRODUCT if long_names else "Mật ong", name_en="")
    with translation.override(language):
        text = commands.offer_received_text(coop, quantity, unit, product)
        assert_one_gsm7_sms(text)
        if not long_names:
            assert one_sms(commands.quantity_text(quantity, unit)) in text


@pytest.mark.parametrize("language", SMS_LANGUAGES)
@pytest.mark.parametrize("coop_name", ["HTX Tuấn Dũng", LONG_COOP])
def test_huy_and_dk_replies_are_whole_in_one_segment(language, coop_name):
    coop = SimpleNamespace(name=coop_name, slug="x")
    with translation.override(language):
        stop, resume = commands.stop_text(coop), commands.resume_text(coop)
    for text in (stop, resume):
        assert_one_gsm7_sms(text)
        assert not text.endswith("...")  # nothing cut
    assert stop.endswith("DK de nhan lai." if language == "vi" else "Send DK to get them again.")
    # the truth: receipts and price changes stop too, answers to the member's texts do not
    if language == "vi":
        assert "phieu thu mua" in stop and "tin gia" in stop and "van duoc tra loi" in stop


@pytest.mark.parametrize("language", SMS_LANGUAGES)
@pytest.mark.parametrize("long_names", [False, True])
@pytest.mark.parametrize("codes", [None, ["TD", "TCL"], ["NNDSVC1", "NNDSVC2", "NNDSVC3"]])
def test_help_is_one_segment_with_examples_to_copy(coop_a, language, long_names, codes):
    coop_a.name = LONG_COOP if long_names else "HTX Tuấn Dũng"
    with tenant(coop_a):
        Product.objects.create(cooperative=coop_a, name=LONG_PRODUCT if long_names else "Mật ong", code="MAT")
        with translation.override(language):
            text = commands.help_text(coop_a, codes)
    assert_one_gsm7_sms(text)
    for word in ("GIA", "SODU", "HUY", "DK"):
        assert word in text
    assert re.search(r"BAN (?:[A-Z0-9]+ )?MAT 20\b", text), text


@pytest.mark.parametrize("language", SMS_LANGUAGES)
def test_sell_help_lists_many_products_in_one_segment(coop_a, language):
    products = [
        SimpleNamespace(name=f"{LONG_PRODUCT[:40]} {i}", name_en="", code=f"P{i}", base_unit="kg")
        for i in range(30)
    ]
    coop = SimpleNamespace(name=LONG_COOP, slug="x")
    with translation.override(language):
        for reason in ("Which product?", "How much?"):
            text = commands.sell_help_text(coop, products, reason)
            assert_one_gsm7_sms(text)
            assert "BAN P0 20" in text


@pytest.mark.parametrize(
    ("advance", "delivered_litres"),
    [(0, 0), (3_000_000, 0), (0, 4), (2_000_000_000, 0), (300_000, 4), (2_000_000_000, 19_999)],
)
@pytest.mark.parametrize("language", SMS_LANGUAGES)
def test_sodu_is_one_segment_in_words(
    coop_a, member_a, honey, accountant_a, advance, delivered_litres, language
):
    with tenant(coop_a):
        if language == "en":
            english_account(coop_a, member_a)
        if advance:
            ledger.advance_give(member=member_a, amount=advance, actor=accountant_a)
        if delivered_litres:
            for _ in range(max(1, delivered_litres // 100_000 + 1)):
                offtake.receipt_record(
                    member=member_a,
                    collected_at=timezone.now(),
                    lines=[
                        offtake.LineInput(
                            product=honey, quantity=Decimal(min(delivered_litres, 99_999)), unit="l"
                        )
                    ],
                )
        with translation.override(language):
            text = commands.balance_text(member_a)
    assert_one_gsm7_sms(text)
    assert "-" not in text


def test_the_help_example_works_when_copied(client, coop_a, member_a, honey, settings, tmp_path):
    """A farmer types the example as written: it must be an offer, not another help text."""
    from hoptac.notify.models import SellOffer
    from tests.test_sms_commands import URL, last_reply, sms

    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
        "HOOK_SECRETS": {"esms": "s3cret", "speedsms": "", "zalo": "z-secret"},
    }
    assert URL.endswith("/s3cret/")
    sms(client, "0987654321", "xin chao")
    example = re.search(r"BAN [A-Z0-9]+ 20", last_reply()).group(0)
    sms(client, "0987654321", "GIA MAT")
    assert "Mat ong bac ha loai 1 500.000d/lit" in last_reply()
    sms(client, "0987654321", example)
    with tenant(coop_a):
        offer = SellOffer.objects.get()
    assert offer.product == honey and offer.quantity == 20 and offer.unit == "l"
    assert "20 lit Mat ong bac ha" in last_reply()


def test_english_replies_for_a_household_with_an_english_account(
    client, coop_a, english_member, honey, settings, tmp_path
):
    from tests.test_sms_commands import last_reply, sms

    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
        "HOOK_SECRETS": {"esms": "s3cret", "speedsms": "", "zalo": "z-secret"},
    }
    sms(client, "0987654321", "GIA")
    assert "buying prices on" in last_reply() and "grade 1 500,000 VND/l" in last_reply()
    sms(client, "0987654321", "SODU")
    assert "You and the cooperative owe each other nothing" in last_reply()
    sms(client, "0987654321", "hello")
    assert "send GIA for prices" in last_reply() and "BAN MAT 20" in last_reply()


# --- the announcement suggestions -------------------------------------------------------------------


@pytest.mark.parametrize("language", SMS_LANGUAGES)
def test_the_price_suggestion_uses_the_products_own_unit(coop_a, honey, language):
    from hoptac.notify import services as notify_services
    from hoptac.notify.models import Audience

    with tenant(coop_a), translation.override(language):
        suggestion = next(s for s in notify_selectors.suggestions() if s.key == "price")
        assert "/kg" not in suggestion.body and "{" in suggestion.body
        announcement = notify_services.announcement_save(
            title="Giá",
            body=suggestion.body,
            audience=Audience.ALL,
            product=honey,
            event_date=dt.date(2026, 12, 1),
        )
        text = notify_selectors.fill(announcement.body, notify_selectors.fixed_values(announcement))
    assert "500.000đ/lít" in text and "/kg" not in text
    assert "{" not in text  # every placeholder of the translation is known
    for suggestion in notify_selectors.suggestions():
        notify_selectors.placeholders_in(suggestion.body)


# --- the statement ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("advance", "expected"),
    [(0, "HTX con no ong/ba 1.000.000d."), (1_285_000 + 1_000_000, "Ong/ba con no HTX 1.285.000d.")],
)
def test_the_statement_sms_says_who_owes_whom_in_gsm7(
    coop_a, member_a, honey, accountant_a, advance, expected
):
    """It wrote the balance with "₫", which is not GSM-7: the SMS showed "?"."""
    from hoptac.outbox.models import Message

    end = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    at = timezone.make_aware(dt.datetime.combine(start, dt.time(12, 0)))
    with tenant(coop_a):
        offtake.price_set(product=honey, grade=1, price_vnd=500_000, effective_from=at - dt.timedelta(days=1))
        offtake.receipt_record(
            member=member_a,
            collected_at=at,
            lines=[offtake.LineInput(product=honey, quantity=Decimal(2), unit="l")],
        )
        if advance:
            ledger.advance_give(member=member_a, amount=advance, occurred_at=at, actor=accountant_a)
        close = ledger.statement_send(member=member_a, start=start, end=end, actor=accountant_a)
        message = Message.objects.get(pk=close.message_id)
    assert message.body.endswith(expected), message.body
    assert "?" not in message.body and "-" not in message.body.split(". ", 1)[1]
    assert_one_gsm7_sms(message.body)


# --- the catalogue: every SMS text translated, in the one style ----------------------------------


def _sms_entries():
    import polib

    import hoptac

    path = Path(hoptac.__file__).resolve().parent / "locale" / "vi" / "LC_MESSAGES" / "django.po"
    return [e for e in polib.pofile(str(path)) if e.msgctxt == "sms" and not e.obsolete]


def test_every_sms_text_is_translated_with_diacritics_in_the_one_style():
    entries = _sms_entries()
    assert len(entries) >= 40  # receipt, price, statement, replies, suggestions, invitation, reset
    for entry in entries:
        assert entry.translated() and "fuzzy" not in entry.flags, entry.msgid
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            plain = one_sms(text)
            assert not YOU.search(plain), (entry.msgid, plain)  # "ong/ba", never "ban"
            assert "<" not in plain and ">" not in plain, entry.msgid
            assert " L1" not in plain and "d/l " not in plain, entry.msgid
    written = " ".join(e.msgstr for e in entries if len(e.msgstr) > 12)
    assert written != one_sms(written)  # the translator writes diacritics; the code removes them


@pytest.mark.parametrize("language", SMS_LANGUAGES)
def test_the_password_reset_and_invitation_sms_say_ong_ba(language):
    from django.utils.translation import pgettext

    with translation.override(language):
        reset = pgettext(
            "sms",
            "%(platform)s: your code to set a new password is %(code)s. It is valid for %(minutes)s "
            "minutes. Do not give it to anyone, not even cooperative staff.",
        ) % {"platform": "Hop Tac", "code": "123456", "minutes": 15}
    assert_one_gsm7_sms(one_sms(reset))
    if language == "vi":
        assert "cua ong/ba la 123456" in one_sms(reset)


@pytest.mark.parametrize("language", SMS_LANGUAGES)
@pytest.mark.parametrize("count", [1, 3, 12])
def test_gia_is_at_most_two_segments_in_the_one_style(coop_a, language, count):
    """GIA is the one reply allowed two SMS (a price list); names are cut, then products."""
    coop_a.name = LONG_COOP
    with tenant(coop_a):
        for index in range(count):
            product = Product.objects.create(
                cooperative=coop_a, name=f"{LONG_PRODUCT[:60]} {index}", code=f"P{index}", base_unit="l"
            )
            for grade in (1, 2, 3):
                offtake.price_set(
                    product=product,
                    grade=grade,
                    price_vnd=bounds.MONEY["price"].high - grade,
                    effective_from=timezone.now() - dt.timedelta(days=1),
                )
        with translation.override(language):
            text = commands.prices_text(coop_a)
            price = one_sms(commands.sms_price(bounds.MONEY["price"].high - 1, "l"))
    assert is_gsm7(text) and sms_length(text).segments <= 2
    assert not YOU.search(text) and "-" not in text
    assert price in text  # the price per the product's own unit, whole
    assert ("loai 1" in text) if language == "vi" else ("grade 1" in text)

"""Fast entry for the jobs done a hundred times a day (issue 11, deliverable 3): the member
picker (a search, without JavaScript too), the product's own unit by default, numeric
keypads, Vietnamese numbers and the "Check before saving" step of the receipt form."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.catalog.models import Product
from hoptac.coops import selectors
from hoptac.coops.models import Member
from hoptac.core.tenancy import tenant
from hoptac.offtake import services
from hoptac.offtake.models import Receipt, ReceiptLine
from tests.conftest import keyed, make_member

URL = "/c/coop-a/buying/receipts/new/"
SEARCH = "/c/coop-a/members/search"


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        services.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
    return product


@pytest.fixture
def tea(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Chè búp tươi", code="CHE", base_unit="kg")
        services.price_set(
            product=product, grade=1, price_vnd=25_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
    return product


@pytest.fixture
def households(coop_a):
    """Two "Cử Thị Súa" of Thôn Sủng Trà (told apart by the year of birth), Giàng A Páo and
    a household that left."""
    sua1 = make_member(
        coop_a, full_name="Cử Thị Súa", village_name="Thôn Sủng Trà", birth_year=1975, phone="0912345678"
    )
    sua2 = make_member(
        coop_a, full_name="Cử Thị Súa", village_name="Thôn Sủng Trà", birth_year=1990, phone="0987000111"
    )
    pao = make_member(coop_a, full_name="Giàng A Páo", village_name="Thôn Lũng Cú", birth_year=1968)
    left = make_member(
        coop_a, full_name="Giàng A Pao Cũ", left_on=dt.date(2024, 1, 1), left_reason="Chuyển đi"
    )
    return {"sua1": sua1, "sua2": sua2, "pao": pao, "left": left}


def _body(member, product, **more) -> dict:
    return {
        "member_q": "",
        "member": member.pk if member else "",
        "collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "point": "",
        "note": "",
        "line-TOTAL_FORMS": "2",
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "20",
        "line-0-product": product.pk,
        "line-0-grade": "1",
        "line-0-quantity": "12,5",
        "line-0-unit": "",
        "line-0-deduction_pct": "",
        "line-1-grade": "1",
        "line-1-unit": "",
        **more,
    }


def _key(page: str) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', page).group(1)


def _pick(coop, query, *, by_phone=True):
    with tenant(coop):
        return [m.full_name for m in selectors.member_pick(query, by_phone=by_phone)]


# --- the search ---------------------------------------------------------------------------------


def test_a_name_without_diacritics_finds_the_member(coop_a, households):
    assert _pick(coop_a, "giang a pao") == ["Giàng A Páo"]  # the one who left is not offered
    assert _pick(coop_a, "GIANG pa") == ["Giàng A Páo"]
    assert _pick(coop_a, "cu thi sua") == ["Cử Thị Súa", "Cử Thị Súa"]


def test_the_village_finds_its_members(coop_a, households):
    assert sorted(_pick(coop_a, "sung tra")) == ["Cử Thị Súa", "Cử Thị Súa"]
    assert _pick(coop_a, "sua lung cu") == []
    assert _pick(coop_a, "pao lung cu") == ["Giàng A Páo"]


@pytest.mark.parametrize(
    "typed", ["0912345678", "0912 345 678", "+84 912 345 678", "+84912345678", "0912.345", "345 678"]
)
def test_a_phone_as_typed_finds_the_member(coop_a, households, typed):
    with tenant(coop_a):
        found = selectors.member_pick(typed, by_phone=True)
    assert [m.pk for m in found] == [households["sua1"].pk]


def test_without_personal_data_digits_find_nobody(coop_a, households):
    assert _pick(coop_a, "0912 345 678", by_phone=False) == []
    assert _pick(coop_a, "cu thi sua", by_phone=False) == ["Cử Thị Súa", "Cử Thị Súa"]


def test_the_search_reads_its_own_cooperative_only(coop_a, coop_b, households, member_b):
    assert _pick(coop_b, "cu thi sua") == []
    assert _pick(coop_a, "trieu thi may") == []


def test_the_search_is_one_query_and_ten_members_at_most(coop_a, django_assert_num_queries):
    for n in range(12):
        make_member(coop_a, full_name=f"Sùng A Dính {n}", birth_year=1960 + n)
    with tenant(coop_a):
        with django_assert_num_queries(1):
            few = selectors.member_pick("sung a dinh 1", by_phone=True)  # 1, 10, 11
        with django_assert_num_queries(1):
            many = selectors.member_pick("sung a dinh", by_phone=True)
        with django_assert_num_queries(0):
            assert selectors.member_pick("  ", by_phone=True) == []
    assert len(few) == 3 and len(many) == 10


# --- the search endpoint ---------------------------------------------------------------------------


def test_the_endpoint_tells_two_namesakes_apart(login, collector_a, households):
    response = login(collector_a).get(SEARCH, {"q": "cu thi sua"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    results = response.json()["results"]
    assert {r["id"] for r in results} == {households["sua1"].pk, households["sua2"].pk}
    assert {r["place"] for r in results} == {"Thôn Sủng Trà"}
    facts = sorted(r["fact"] for r in results)
    assert "1975" in facts[0] and "0912 345 678" in facts[0]  # a collector reads phones
    assert "1990" in facts[1]


def test_the_endpoint_shows_no_phone_to_a_role_without_personal_data(login, officer, households):
    client = login(officer)  # reads coop_a as its province's officer, without Perm.MEMBER_PERSONAL
    results = client.get(SEARCH, {"q": "cu thi sua"}).json()["results"]
    assert len(results) == 2
    assert not any("0912" in r["fact"] or "0987" in r["fact"] for r in results)
    assert client.get(SEARCH, {"q": "0912345678"}).json()["results"] == []


def test_the_endpoint_is_the_cooperatives_own(client, login, chair_b, households):
    assert client.get(SEARCH, {"q": "sua"}).status_code == 302  # to sign in
    assert login(chair_b).get(SEARCH, {"q": "sua"}).status_code == 404


def test_the_endpoint_answers_ten_at_most_and_nothing_for_nothing(login, collector_a, coop_a):
    for n in range(12):
        make_member(coop_a, full_name=f"Lò Văn Tủa {n}", birth_year=1960 + n)
    client = login(collector_a)
    assert len(client.get(SEARCH, {"q": "lo van tua"}).json()["results"]) == 10
    assert client.get(SEARCH).json() == {"results": []}
    assert client.get(SEARCH, {"q": "x" * 5000}).json() == {"results": []}


# --- the receipt form without JavaScript ---------------------------------------------------------------


def test_the_form_lists_no_household_until_searched(login, collector_a, households, tea):
    """The defect: a drop-down of every household (110 names, namesakes twice)."""
    page = login(collector_a).get(URL).content.decode()
    assert "Cử Thị Súa" not in page and "Giàng A Páo" not in page
    assert 'name="member_q"' in page and 'name="find"' in page


def test_find_shows_the_matches_and_keeps_the_form_and_its_key(login, collector_a, households, tea):
    client = login(collector_a)
    key = _key(client.get(URL).content.decode())
    response = client.post(
        URL,
        {
            **_body(None, tea, **{"line-0-quantity": "7,5"}),
            "member_q": "cu thi sua",
            "find": "1",
            "form_key": key,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('type="radio" name="member"') == 2
    assert "1975" in page and "1990" in page  # the namesakes told apart
    assert 'value="7,5"' in page  # what was typed is kept
    assert _key(page) == key  # and the one-time key
    assert "Please correct" not in page  # a search is not an error
    assert not Receipt.unscoped.exists()


def test_a_single_match_is_chosen_already(login, collector_a, households, tea):
    client = login(collector_a)
    page = client.post(URL, keyed(_body(None, tea), member_q="giang a pao", find="1")).content.decode()
    assert re.search(rf'value="{households["pao"].pk}"\s+checked', page)


def test_nobody_found_says_what_to_try(login, collector_a, households, tea):
    page = login(collector_a).post(URL, keyed(_body(None, tea), member_q="zzz", find="1")).content.decode()
    assert "Nobody found" in page or "zzz" in page


@pytest.mark.parametrize("bad", ["abc", "999999999", "", "1" * 40])
def test_a_bad_member_is_a_message_not_a_500(login, collector_a, households, tea, bad):
    response = login(collector_a).post(URL, keyed(_body(None, tea), member=bad))
    assert response.status_code == 422
    assert "member" in response.context["form"].errors
    assert not Receipt.unscoped.exists()


def test_a_member_who_left_or_of_another_cooperative_is_refused(
    login, collector_a, households, member_b, tea
):
    client = login(collector_a)
    for member in (households["left"], member_b):
        response = client.post(URL, keyed(_body(member, tea), confirm="1"))
        assert response.status_code == 422
    assert not Receipt.unscoped.exists()


def test_the_whole_flow_find_choose_check_save(login, collector_a, households, honey):
    """Find → choose → Check before saving (in words) → Save: one receipt, one key."""
    client = login(collector_a)
    key = _key(client.get(URL).content.decode())
    body = {**_body(None, honey, **{"line-0-quantity": "1.250,5"}), "form_key": key}
    found = client.post(URL, {**body, "member_q": "cu sua 1990", "find": "1"})
    assert found.status_code == 200
    check = client.post(URL, {**body, "member": households["sua2"].pk, "check": "1"})
    assert check.status_code == 200
    page = check.content.decode()
    assert _("Check before saving") in page
    assert "một nghìn hai trăm năm mươi phẩy năm" in page  # 1.250,5 as understood
    assert "sáu trăm hai mươi lăm triệu hai trăm năm mươi nghìn đồng" in page  # 625.250.000 ₫
    assert _key(page) == key
    assert not Receipt.unscoped.exists()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert hidden["member"] == str(households["sua2"].pk) and hidden["checked_total"] == "625250000"
    saved = client.post(URL, {**hidden, "confirm": "1"})
    assert saved.status_code == 302
    receipt = Receipt.unscoped.get()
    line = ReceiptLine.unscoped.get()
    assert receipt.member_id == households["sua2"].pk and receipt.total_vnd == 625_250_000
    assert line.unit == "l" and line.quantity == Decimal("1250.5")
    again = client.post(URL, {**hidden, "confirm": "1"})  # Back, Save again
    assert again.status_code == 302 and Receipt.unscoped.count() == 1


def test_change_goes_back_to_the_form_with_the_values(login, collector_a, households, tea):
    client = login(collector_a)
    body = keyed(_body(households["pao"], tea, **{"line-0-deduction_pct": "2,5"}))
    response = client.post(URL, {**body, "change": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert _("Check before saving") not in page and 'value="12,5"' in page and 'value="2,5"' in page
    assert re.search(rf'value="{households["pao"].pk}"\s+checked', page)
    assert _key(page) == body["form_key"]


def test_a_price_changed_after_the_check_is_checked_again(login, collector_a, coop_a, households, tea):
    client = login(collector_a)
    body = keyed(_body(households["pao"], tea), confirm="1", checked_total="312500")
    with tenant(coop_a):
        services.price_set(
            product=tea, grade=1, price_vnd=30_000, effective_from=timezone.now() - dt.timedelta(minutes=1)
        )
    response = client.post(URL, body)
    assert response.status_code == 200
    page = response.content.decode()
    assert _("The prices changed since the receipt was checked: check it again.") in page and "375.000" in page
    assert not Receipt.unscoped.exists()
    assert client.post(URL, {**body, "checked_total": "375000"}).status_code == 302


# --- units, keypads and numbers ------------------------------------------------------------------------


def test_honey_defaults_to_its_own_unit(login, collector_a, households, honey, tea):
    """The defect: honey's unit defaulted to kg and was then refused."""
    client = login(collector_a)
    page = client.get(URL).content.decode()
    assert re.search(r'<option value="" selected>[^<]*</option>', page)  # the product's own unit
    assert f'value="{honey.pk}" data-unit="l"' in page and f'value="{tea.pk}" data-unit="kg"' in page
    response = client.post(URL, keyed(_body(households["pao"], honey), confirm="1"))
    assert response.status_code == 302
    assert ReceiptLine.unscoped.get().unit == "l"


def test_the_form_opens_with_the_products_unit(login, collector_a, honey, tea):
    client = login(collector_a)
    page = client.get(URL, {"product": honey.pk}).content.decode()
    line0 = page[page.index('name="line-0-unit"') : page.index('name="line-1-product"')]
    assert '<option value="l" selected>' in line0
    Product.unscoped.filter(pk=tea.pk).update(is_active=False)
    page = client.get(URL).content.decode()  # the only product bought
    assert re.search(rf'<option value="{honey.pk}" (selected data-unit="l"|data-unit="l" selected)>', page)


def test_a_unit_that_does_not_fit_is_still_refused_clearly(login, collector_a, households, honey):
    response = login(collector_a).post(URL, keyed(_body(households["pao"], honey, **{"line-0-unit": "kg"})))
    assert response.status_code == 422
    assert "does not fit" in response.content.decode() or "không" in response.content.decode()
    assert not Receipt.unscoped.exists()


def test_number_inputs_bring_a_numeric_keypad(login, collector_a, tea):
    page = login(collector_a).get(URL).content.decode()
    quantity = re.search(r'<input[^>]*name="line-0-quantity"[^>]*>', page).group(0)
    deduction = re.search(r'<input[^>]*name="line-0-deduction_pct"[^>]*>', page).group(0)
    price = re.search(r'<input[^>]*name="line-0-unit_price_vnd"[^>]*>', page)
    assert 'inputmode="decimal"' in quantity and 'type="text"' in quantity and "size=" not in quantity
    assert 'inputmode="decimal"' in deduction
    assert price is None or 'inputmode="numeric"' in price.group(0)
    assert 'type="number"' not in page
    assert 'src="/static/hoptac/picker.js"' in page and " defer" in page


@pytest.mark.parametrize(
    ("typed", "deduction", "total"),
    [("12,5", "", 312_500), ("12.5", "", 312_500), ("1.250", "", None), ("10", "2,5", 243_750)],
)
def test_vietnamese_numbers_on_the_receipt_form(login, collector_a, households, tea, typed, deduction, total):
    body = keyed(
        _body(households["pao"], tea, **{"line-0-quantity": typed, "line-0-deduction_pct": deduction})
    )
    response = login(collector_a).post(URL, body)
    if total is None:  # "1.250": read as 1250 and asked back before the check
        assert response.status_code == 422
        assert "một nghìn hai trăm năm mươi" in response.content.decode()
    else:
        assert response.status_code == 200
        assert response.context["total"] == total
    assert not Receipt.unscoped.exists()


def test_a_deduction_over_50_is_a_message(login, collector_a, households, tea):
    response = login(collector_a).post(
        URL, keyed(_body(households["pao"], tea, **{"line-0-deduction_pct": "60"}))
    )
    assert response.status_code == 422
    assert not Receipt.unscoped.exists()


def test_the_check_step_writes_nothing(login, collector_a, households, tea):
    client = login(collector_a)
    body = keyed(_body(households["pao"], tea))
    before = Member.unscoped.count()
    assert client.post(URL, body).status_code == 200
    assert not Receipt.unscoped.exists() and Member.unscoped.count() == before
    assert client.post(URL, {**body, "form_key": str(uuid.uuid4()), "confirm": "1"}).status_code == 302


# --- the ledger forms: advance, input loan, payout ------------------------------------------------------


def _ledger(name, member):
    return f"/c/coop-a/ledger/members/{member.uuid}/{name}/"


def test_an_advance_is_shown_in_words_before_it_is_recorded(login, accountant_a, member_a):
    from hoptac.ledger.models import Entry

    client = login(accountant_a)
    url = _ledger("advance", member_a)
    form_page = client.get(url).content.decode()
    amount = re.search(r'<input[^>]*name="amount"[^>]*>', form_page).group(0)
    assert 'inputmode="numeric"' in amount and 'type="text"' in amount
    body = keyed(amount="1.500.000", day=timezone.localdate().isoformat(), memo="Tạm ứng")
    check = client.post(url, body)
    assert check.status_code == 200
    page = check.content.decode()
    assert _("Check before saving") in page
    assert "một triệu năm trăm nghìn đồng" in page
    assert _key(page) == body["form_key"]
    assert not Entry.unscoped.exists()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert hidden["amount"] == "1.500.000"
    change = client.post(url, {**hidden, "change": "1"})
    assert change.status_code == 200 and 'value="1.500.000"' in change.content.decode()
    assert "Please correct" not in change.content.decode() and not Entry.unscoped.exists()
    saved = client.post(url, {**hidden, "confirm": "1"})
    assert saved.status_code == 302
    assert Entry.unscoped.get().receivable_delta == 1_500_000
    assert client.post(url, {**hidden, "confirm": "1"}).status_code == 302  # sent twice
    assert Entry.unscoped.count() == 1


def test_an_input_loan_shows_the_quantity_as_understood(login, accountant_a, member_a):
    from hoptac.ledger.models import Entry

    body = keyed(
        item="Phân NPK", quantity="2,5", unit="bao", value="750.000", day=timezone.localdate().isoformat()
    )
    page = login(accountant_a).post(_ledger("loan", member_a), body).content.decode()
    assert "2,5 (hai phẩy năm)" in page
    assert "bảy trăm năm mươi nghìn đồng" in page
    assert not Entry.unscoped.exists()


def test_a_bad_amount_is_the_form_again_not_the_check(login, accountant_a, member_a):
    response = login(accountant_a).post(
        _ledger("advance", member_a), keyed(amount="12,5", day=timezone.localdate().isoformat())
    )
    assert _("Check before saving") not in response.content.decode()
    assert response.context["form"].errors["amount"]

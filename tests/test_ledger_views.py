"""The member ledger pages: who may open them, what they show, and that bad input stores nothing.

The balance on every page is ``ledger.selectors.member_balance``; the bank payout page
carries a VietQR of the member's own account with the amount and the payout code; the
statement is the same on the page and in the xlsx; a member's own account sees only its
own statement.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from hoptac.accounts.services import membership_set
from hoptac.catalog.models import Product
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.ledger import services as ledger
from hoptac.ledger.models import Entry, EntryKind, PayoutMethod
from hoptac.ledger.selectors import member_balance, statement
from hoptac.lib import vietqr
from hoptac.offtake import services as offtake
from tests.conftest import keyed, make_member

AGRIBANK = "970405"
ACCOUNT = "7300205123456"
PRICE = 250_000  # đồng per kg of honey


# --- data ----------------------------------------------------------------------------------


QR_SVG = re.compile(r'<svg(?! class="icon")')


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT")
        offtake.price_set(
            product=product,
            grade=1,
            price_vnd=PRICE,
            effective_from=timezone.now() - dt.timedelta(days=800),
        )
    return product


@pytest.fixture
def banked(coop_a):
    """A member of coop_a with a bank account on file."""
    return make_member(
        coop_a, full_name="Sùng Thị Mỷ", phone="0966111222", bank_bin=AGRIBANK, bank_account=ACCOUNT
    )


def buy(coop, member, product, kg: int, when: dt.datetime | None = None):
    with tenant(coop):
        return offtake.receipt_record(
            member=member,
            collected_at=when or timezone.now() - dt.timedelta(hours=1),
            lines=[offtake.LineInput(product=product, quantity=Decimal(kg), unit="kg")],
        )


def advance(coop, member, amount: int, when: dt.datetime | None = None) -> Entry:
    with tenant(coop):
        return ledger.advance_give(member=member, amount=amount, occurred_at=when)


def balance_of(coop, member):
    with tenant(coop):
        return member_balance(member)


def entry_count() -> int:
    return Entry.unscoped.count()


def url(name: str, member=None, **kwargs) -> str:
    kwargs.setdefault("coop_slug", "coop-a")
    if member is not None:
        kwargs["member_id"] = member.uuid
    return reverse(f"ledger:{name}", kwargs=kwargs)


@pytest.fixture
def busy_member(coop_a, member_a, honey):
    """member_a with a purchase, an advance, an input loan, a cash payout and a reversal."""
    buy(coop_a, member_a, honey, 10, timezone.now() - dt.timedelta(days=3))  # 2.500.000
    with tenant(coop_a):
        ledger.advance_give(member=member_a, amount=500_000)
        ledger.input_loan_give(
            member=member_a, item="Thùng ong", quantity=Decimal(2), unit="thùng", value=400_000
        )
        mistake = ledger.advance_give(member=member_a, amount=99_000)
        ledger.entry_reverse(entry=mistake, reason="Ghi nhầm")
        result = ledger.payout_make(member=member_a, amount=1_000_000, deduct=900_000)
    return {"member": member_a, "payout_code": result.code, "advance": mistake}


def member_pages(member, code: str, entry) -> list[str]:
    return [
        url("member", member),
        url("advance", member),
        url("loan", member),
        url("payout", member),
        url("statement", member),
        url("statement_xlsx", member),
        url("payout_done", code=code),
        url("entry_reverse", entry_id=entry.uuid),
    ]


# --- who may open what ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["chair_a", "accountant_a"])
def test_every_page_opens_for_chair_and_accountant(request, login, who, busy_member):
    client = login(request.getfixturevalue(who))
    member = busy_member["member"]
    for page in member_pages(member, busy_member["payout_code"], busy_member["advance"]):
        response = client.get(page)
        assert response.status_code == 200, page
    body = client.get(url("member", member)).content.decode()
    assert member.full_name in body
    assert busy_member["payout_code"] in body


def test_collector_cannot_write_nor_read_the_ledger(login, collector_a, busy_member):
    client = login(collector_a)
    member = busy_member["member"]
    before = entry_count()
    for name in ("advance", "loan", "payout"):
        assert client.get(url(name, member)).status_code == 403
        assert client.post(url(name, member), keyed({"amount": "100000", "value": "1"})).status_code == 403
    assert (
        client.post(url("entry_reverse", entry_id=busy_member["advance"].uuid), {"reason": "x"}).status_code
        == 403
    )
    assert client.get(url("member", member)).status_code == 403
    assert client.get(url("statement", member)).status_code == 403
    assert entry_count() == before


def test_other_cooperatives_chair_gets_404(login, chair_b, member_b, busy_member):
    client = login(chair_b)
    member = busy_member["member"]
    before = entry_count()
    pages = member_pages(member, busy_member["payout_code"], busy_member["advance"])
    for page in pages:
        assert client.get(page).status_code == 404, page
        assert client.post(page, {"amount": "1000", "reason": "x", "method": "cash"}).status_code in (
            404,
            405,
        )
    # The same ids under chair_b's own cooperative are not found either.
    for page in pages:
        own = page.replace("/c/coop-a/", "/c/coop-b/")
        response = client.get(own)
        assert response.status_code == 404, own
        assert member.full_name not in response.content.decode()
    assert entry_count() == before


def test_member_detail_links_to_the_ledger_only_for_ledger_readers(
    login, accountant_a, collector_a, member_a
):
    detail = reverse("coops:member_detail", kwargs={"coop_slug": "coop-a", "member_id": member_a.uuid})
    assert url("member", member_a) in login(accountant_a).get(detail).content.decode()
    assert url("payout", member_a) in login(accountant_a).get(detail).content.decode()
    body = login(collector_a).get(detail).content.decode()
    assert url("member", member_a) not in body
    assert url("statement", member_a) not in body


# --- the ledger page ------------------------------------------------------------------------


def test_ledger_page_shows_balance_loans_and_entries(login, accountant_a, coop_a, busy_member):
    member = busy_member["member"]
    response = login(accountant_a).get(url("member", member))
    context = response.context
    assert context["balance"] == balance_of(coop_a, member)
    # 2.500.000 bought, 500.000 + 400.000 lent, 900.000 deducted and 1.000.000 paid.
    assert context["balance"].payable == 600_000
    assert context["balance"].receivable == 0
    assert context["outstanding"].loans == []
    entries = list(context["page"].object_list)
    assert [e.occurred_at for e in entries] == sorted((e.occurred_at for e in entries), reverse=True)
    assert len(entries) == 7
    body = response.content.decode()
    assert 'data-net="600000"' in body
    reversed_advance = busy_member["advance"]
    # The reversed advance and the reversal itself offer no "reverse" action.
    assert url("entry_reverse", entry_id=reversed_advance.uuid) not in body
    payout = next(e for e in entries if e.kind == EntryKind.PAYOUT)
    assert url("entry_reverse", entry_id=payout.uuid) in body


def test_outstanding_loans_repay_the_oldest_first(login, accountant_a, coop_a, member_a, honey):
    buy(coop_a, member_a, honey, 2)  # 500.000
    first = advance(coop_a, member_a, 300_000, timezone.now() - dt.timedelta(days=5))
    second = advance(coop_a, member_a, 400_000, timezone.now() - dt.timedelta(days=4))
    with tenant(coop_a):
        ledger.payout_make(member=member_a, amount=0, deduct=500_000)
    outstanding = login(accountant_a).get(url("member", member_a)).context["outstanding"]
    # 700.000 lent, 500.000 deducted: 200.000 still owed, all of it on the newer advance.
    assert [(loan.entry.pk, loan.outstanding) for loan in outstanding.loans] == [(second.pk, 200_000)]
    assert outstanding.total == balance_of(coop_a, member_a).receivable == 200_000
    assert first.pk not in [loan.entry.pk for loan in outstanding.loans]


def test_ledger_page_is_paginated_newest_first(login, accountant_a, coop_a, member_a):
    start = timezone.now() - dt.timedelta(days=60)
    for day in range(55):
        advance(coop_a, member_a, 1000 + day, start + dt.timedelta(days=day))
    client = login(accountant_a)
    first = client.get(url("member", member_a)).context["page"]
    assert len(first.object_list) == 50
    assert first.object_list[0].receivable_delta == 1054
    second = client.get(url("member", member_a) + "?page=2").context["page"]
    assert [e.receivable_delta for e in second.object_list] == [1004, 1003, 1002, 1001, 1000]


# --- advances and loans ---------------------------------------------------------------------


def test_advance_is_recorded(login, accountant_a, coop_a, member_a):
    day = timezone.localdate() - dt.timedelta(days=2)
    response = login(accountant_a).post(
        url("advance", member_a),
        keyed({"amount": "1.500.000", "day": day.isoformat(), "memo": "Tạm ứng vụ ong"}, confirm="1"),
    )
    assert response.status_code == 302
    assert response.url == url("member", member_a)
    with tenant(coop_a):
        entry = Entry.objects.get(member=member_a)
    assert (entry.kind, entry.receivable_delta, entry.payable_delta) == (EntryKind.ADVANCE, 1_500_000, 0)
    assert timezone.localtime(entry.occurred_at).date() == day
    assert entry.memo == "Tạm ứng vụ ong"
    assert entry.created_by == accountant_a
    assert balance_of(coop_a, member_a).net == -1_500_000


def test_input_loan_is_recorded(login, accountant_a, coop_a, member_a):
    response = login(accountant_a).post(
        url("loan", member_a),
        keyed(
            {
                "item": "Phân NPK",
                "quantity": "2,5",
                "unit": "bao",
                "value": "750000",
                "day": timezone.localdate().isoformat(),
            },
            confirm="1",
        ),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        entry = Entry.objects.get(member=member_a)
    assert entry.kind == EntryKind.INPUT_LOAN
    assert (entry.item, entry.item_quantity, entry.item_unit) == ("Phân NPK", Decimal("2.5"), "bao")
    assert entry.receivable_delta == 750_000
    assert abs(entry.occurred_at - timezone.now()) < dt.timedelta(minutes=1)


TOMORROW = (dt.date.today() + dt.timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    "name, data, field",
    [
        ("advance", {"amount": "-5000", "day": "2025-01-02"}, "amount"),
        ("advance", {"amount": "0", "day": "2025-01-02"}, "amount"),
        ("advance", {"amount": "12,5", "day": "2025-01-02"}, "amount"),
        ("advance", {"amount": "", "day": "2025-01-02"}, "amount"),
        ("advance", {"amount": "100000", "day": TOMORROW}, "day"),
        (
            "loan",
            {"item": "Phân", "quantity": "0", "unit": "bao", "value": "1000", "day": "2025-01-02"},
            "quantity",
        ),
        (
            "loan",
            {"item": "Phân", "quantity": "-1", "unit": "bao", "value": "1000", "day": "2025-01-02"},
            "quantity",
        ),
        (
            "loan",
            {"item": "Phân", "quantity": "1", "unit": "bao", "value": "0", "day": "2025-01-02"},
            "value",
        ),
        (
            "loan",
            {"item": "Phân", "quantity": "1", "unit": "bao", "value": "-1", "day": "2025-01-02"},
            "value",
        ),
        ("loan", {"item": "", "quantity": "1", "unit": "bao", "value": "1000", "day": "2025-01-02"}, "item"),
        ("loan", {"item": "Phân", "quantity": "1", "unit": "bao", "value": "1000", "day": TOMORROW}, "day"),
    ],
)
def test_bad_advance_or_loan_stores_nothing(login, accountant_a, member_a, name, data, field):
    before = entry_count()
    response = login(accountant_a).post(url(name, member_a), keyed(data))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors.get(field), form.errors
    assert 'class="alert"' in response.content.decode()
    assert entry_count() == before


def test_nothing_new_for_a_member_who_left(login, accountant_a, coop_a, member_a):
    from hoptac.coops import services as coop_services

    with tenant(coop_a):
        coop_services.member_leave(member=member_a, left_on=timezone.localdate(), reason="Chuyển đi")
    before = entry_count()
    response = login(accountant_a).post(
        url("advance", member_a), keyed({"amount": "100000", "day": "2025-01-02"}, confirm="1")
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert entry_count() == before


# --- payouts ----------------------------------------------------------------------------------


def test_payout_page_proposes_netting(login, accountant_a, coop_a, banked, honey):
    buy(coop_a, banked, honey, 8)  # 2.000.000
    advance(coop_a, banked, 300_000)
    with tenant(coop_a):
        ledger.input_loan_give(
            member=banked, item="Cây giống", quantity=Decimal(10), unit="cây", value=200_000
        )
    response = login(accountant_a).get(url("payout", banked))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["deduct"] == "500.000"
    assert form.initial["amount"] == "1.500.000"
    assert form.initial["method"] == PayoutMethod.BANK
    assert response.context["balance"] == balance_of(coop_a, banked)
    assert len(response.context["outstanding"].loans) == 2


def test_payout_proposal_when_loans_exceed_what_is_owed(login, accountant_a, coop_a, member_a, honey):
    buy(coop_a, member_a, honey, 1)  # 250.000
    advance(coop_a, member_a, 400_000)
    form = login(accountant_a).get(url("payout", member_a)).context["form"]
    assert (form.initial["deduct"], form.initial["amount"]) == ("250.000", "0")
    assert form.initial["method"] == PayoutMethod.CASH  # no bank account on file


def test_bank_payout_shows_the_members_vietqr(login, accountant_a, coop_a, banked, honey):
    buy(coop_a, banked, honey, 8)  # 2.000.000
    advance(coop_a, banked, 300_000)
    client = login(accountant_a)
    response = client.post(
        url("payout", banked), keyed({"deduct": "300.000", "amount": "1.700.000", "method": "bank"}, confirm="1")
    )
    assert response.status_code == 302
    code = response.url.rstrip("/").rsplit("/", 1)[-1]
    assert re.fullmatch(r"CHI\d{6}", code)
    assert response.url == url("payout_done", code=code)

    page = client.get(response.url)
    assert page.status_code == 200
    expected = vietqr.payload(bank_bin=AGRIBANK, account=ACCOUNT, amount=1_700_000, purpose=code)
    assert page.context["vietqr"] == expected
    body = page.content.decode()
    assert f'data-vietqr="{expected}"' in body
    assert re.search(r'<figure class="vietqr"[^>]*>.*?<svg', body, re.S)  # the QR itself
    assert ACCOUNT in body
    assert code in body
    decoded = vietqr.parse(page.context["vietqr"])
    assert decoded == {"bank_bin": AGRIBANK, "account": ACCOUNT, "amount": 1_700_000, "purpose": code}

    # Prepared only: nothing in the ledger until the bank's reference is confirmed.
    balance = balance_of(coop_a, banked)
    assert (balance.payable, balance.receivable) == (2_000_000, 300_000)
    with tenant(coop_a):
        assert not Entry.objects.filter(code=code).exists()
    confirmed = client.post(
        url("payout_confirm", code=code),
        {"reference": "FT26123456789", "transferred_on": timezone.localdate().isoformat()},
    )
    assert confirmed.status_code == 302
    balance = balance_of(coop_a, banked)
    assert (balance.payable, balance.receivable) == (0, 0)
    with tenant(coop_a):
        kinds = {e.kind: e for e in Entry.objects.filter(code=code)}
    assert kinds[EntryKind.PAYOUT].payable_delta == -1_700_000
    assert kinds[EntryKind.PAYOUT].payout_method == PayoutMethod.BANK
    assert kinds[EntryKind.DEDUCTION].receivable_delta == -300_000


def test_cash_payout_prints_a_slip(login, accountant_a, coop_a, member_a, honey):
    buy(coop_a, member_a, honey, 4)  # 1.000.000
    client = login(accountant_a)
    response = client.post(
        url("payout", member_a), keyed({"deduct": "0", "amount": "600000", "method": "cash"}, confirm="1"), follow=True
    )
    assert response.status_code == 200
    assert response.context["payout"].payout_method == PayoutMethod.CASH
    body = response.content.decode()
    assert 'class="card slip"' in body
    assert 'class="signatures"' in body
    assert not QR_SVG.search(body)  # no QR (the menu's icons are <svg class="icon">)
    assert response.context["vietqr"] == ""
    assert member_a.full_name in body
    assert coop_a.name in body
    assert "600.000" in body
    assert balance_of(coop_a, member_a).payable == 400_000


def test_reversed_bank_payout_shows_no_qr(login, accountant_a, coop_a, banked, honey):
    buy(coop_a, banked, honey, 4)
    with tenant(coop_a):
        prepared = ledger.payout_prepare(member=banked, amount=500_000)
        result = ledger.payout_confirm(payout=prepared, reference="FT1", transferred_on=timezone.localdate())
        ledger.entry_reverse(entry=result.payout, reason="Chuyển nhầm")
    response = login(accountant_a).get(url("payout_done", code=result.code))
    assert response.status_code == 200
    assert response.context["is_reversed"] is True
    assert response.context["vietqr"] == ""
    assert not QR_SVG.search(response.content.decode())


def test_unknown_payout_code_is_404(login, accountant_a, chair_b, busy_member):
    assert login(accountant_a).get(url("payout_done", code="CHI999999")).status_code == 404
    code = busy_member["payout_code"]
    assert login(chair_b).get(url("payout_done", code=code, coop_slug="coop-b")).status_code == 404


@pytest.mark.parametrize(
    "data, field",
    [
        ({"deduct": "300001", "amount": "0", "method": "cash"}, "deduct"),  # owes only 300.000
        ({"deduct": "0", "amount": "1000001", "method": "cash"}, "amount"),  # owed only 1.000.000
        ({"deduct": "300000", "amount": "700001", "method": "cash"}, "amount"),
        ({"deduct": "0", "amount": "100000", "method": "bank"}, "method"),  # no account on file
        ({"deduct": "0", "amount": "-100000", "method": "cash"}, "amount"),
        ({"deduct": "-1", "amount": "100000", "method": "cash"}, "deduct"),
        ({"deduct": "0", "amount": "0", "method": "cash"}, None),
        ({"deduct": "0", "amount": "1000", "method": "cheque"}, "method"),
    ],
)
def test_bad_payout_stores_nothing(login, accountant_a, coop_a, member_a, honey, data, field):
    buy(coop_a, member_a, honey, 4)  # 1.000.000 owed to the member
    advance(coop_a, member_a, 300_000)
    before = entry_count()
    response = login(accountant_a).post(url("payout", member_a), keyed(data, confirm="1"))
    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.get(field) if field else form.non_field_errors()
    assert errors, form.errors
    assert 'class="alert"' in response.content.decode()
    assert entry_count() == before


# --- reversals --------------------------------------------------------------------------------


def test_reverse_an_advance_once(login, accountant_a, coop_a, member_a):
    entry = advance(coop_a, member_a, 250_000)
    client = login(accountant_a)
    page = url("entry_reverse", entry_id=entry.uuid)
    response = client.post(page, {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    response = client.post(page, {"reason": "Ghi nhầm số tiền"})
    assert response.status_code == 302
    with tenant(coop_a):
        reversal = Entry.objects.get(reverses=entry)
    assert (reversal.kind, reversal.receivable_delta, reversal.memo) == (
        EntryKind.REVERSAL,
        -250_000,
        "Ghi nhầm số tiền",
    )
    assert balance_of(coop_a, member_a).net == 0
    before = entry_count()
    again = client.post(page, {"reason": "Lần nữa"})
    assert again.status_code == 200
    with translation.override("vi"):
        expected = translation.gettext("This entry has already been reversed.")
    assert expected in again.context["form"].non_field_errors()
    assert expected in again.content.decode()
    assert entry_count() == before


def test_a_purchase_is_reversed_by_voiding_the_receipt(login, accountant_a, coop_a, member_a, honey):
    buy(coop_a, member_a, honey, 2)
    with tenant(coop_a):
        purchase = Entry.objects.get(member=member_a, kind=EntryKind.PURCHASE)
    before = entry_count()
    response = login(accountant_a).post(url("entry_reverse", entry_id=purchase.uuid), {"reason": "Sai"})
    assert response.status_code == 200
    with translation.override("vi"):
        expected = translation.gettext("Void the purchase receipt instead.")
    assert expected in response.content.decode()
    assert entry_count() == before


# --- statements -------------------------------------------------------------------------------


def _local(day: dt.date, hour=0, minute=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_statement_period_is_half_open_in_local_time(login, accountant_a, coop_a, member_a):
    start, end = dt.date(2025, 3, 1), dt.date(2025, 3, 31)
    advance(coop_a, member_a, 1_000, _local(start) - dt.timedelta(seconds=1))  # before
    advance(coop_a, member_a, 20_000, _local(start))  # first moment: in
    advance(coop_a, member_a, 300_000, _local(end, 23, 59))  # last minute: in
    advance(coop_a, member_a, 4_000_000, _local(end + dt.timedelta(days=1)))  # next day: out
    response = login(accountant_a).get(url("statement", member_a) + "?start=2025-03-01&end=2025-03-31")
    assert response.status_code == 200
    stmt = response.context["statement"]
    assert stmt.opening.net == -1_000
    assert [line.entry.receivable_delta for line in stmt.lines] == [20_000, 300_000]
    assert [line.balance_after for line in stmt.lines] == [-21_000, -321_000]
    assert stmt.closing.net == -321_000
    assert (stmt.total_in, stmt.total_out) == (0, 320_000)
    body = response.content.decode()
    assert 'data-opening="-1000"' in body
    assert 'data-closing="-321000"' in body
    assert coop_a.name in body
    assert "hoptac/print.css" in body  # the print styles (A4, no menus) come from a file


def test_statement_defaults_to_the_current_month(login, accountant_a, member_a):
    response = login(accountant_a).get(url("statement", member_a))
    today = timezone.localdate()
    assert response.context["start"] == today.replace(day=1)
    end = response.context["end"]
    assert end.month == today.month and (end + dt.timedelta(days=1)).day == 1


def test_statement_with_a_bad_period_says_so(login, accountant_a, member_a):
    response = login(accountant_a).get(url("statement", member_a) + "?start=2025-03-10&end=2025-03-01")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert response.context["start"] == timezone.localdate().replace(day=1)
    response = login(accountant_a).get(url("statement", member_a) + "?start=hôm-qua&end=2025-03-01")
    assert response.context["form"].errors["start"]


def test_statement_xlsx_matches_the_balance(login, accountant_a, coop_a, busy_member, honey):
    member = busy_member["member"]
    buy(coop_a, member, honey, 3, timezone.now() - dt.timedelta(days=40))
    start = timezone.localdate() - dt.timedelta(days=365)
    end = timezone.localdate()
    response = login(accountant_a).get(url("statement_xlsx", member) + f"?start={start}&end={end}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active

    def named(name):
        ((title, ref),) = book.defined_names[name].destinations
        return book[title][ref.replace("$", "")]

    closing = named("closing_balance")
    assert closing.value == balance_of(coop_a, member).net == 600_000 + 750_000
    assert closing.number_format == "#,##0"
    assert named("opening_balance").value == 0
    dates = [c for c in sheet["B"] if isinstance(c.value, dt.datetime)]
    assert len(dates) == 8
    assert all(c.number_format == "dd/mm/yyyy" for c in dates)
    balances = [row[7].value for row in sheet.iter_rows(min_row=10) if isinstance(row[1].value, dt.datetime)]
    with tenant(coop_a):
        lower = _local(start)
        upper = _local(end + dt.timedelta(days=1))
        expected = statement(member, start=lower, end=upper)
    assert balances == [line.balance_after for line in expected.lines]
    assert all(isinstance(v, int) for v in balances)


def test_queries_do_not_grow_with_entries(login, accountant_a, coop_a, member_a, honey):
    client = login(accountant_a)
    period = f"?start={timezone.localdate() - dt.timedelta(days=400)}&end={timezone.localdate()}"
    pages = [
        url("member", member_a),
        url("statement", member_a) + period,
        url("statement_xlsx", member_a) + period,
    ]

    def counts():
        result = []
        for page in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(page).status_code == 200
            result.append(len(queries))
        return result

    buy(coop_a, member_a, honey, 2, timezone.now() - dt.timedelta(days=10))
    advance(coop_a, member_a, 1_000, timezone.now() - dt.timedelta(days=9))
    with tenant(coop_a):
        ledger.input_loan_give(member=member_a, item="Phân", quantity=Decimal(1), unit="bao", value=5_000)
        ledger.payout_make(member=member_a, amount=100_000, deduct=6_000)  # a deduction and a payout
        assert Entry.objects.filter(member=member_a).count() == 5
    few = counts()

    start = timezone.now() - dt.timedelta(days=300)
    with tenant(coop_a):
        for i in range(97):  # advances and their reversals (which select the entry they reverse)
            entry = ledger.advance_give(
                member=member_a, amount=1_000 + i, occurred_at=start + dt.timedelta(days=i)
            )
            ledger.entry_reverse(entry=entry, reason="Nhầm")
        ledger.input_loan_give(
            member=member_a, item="Cây giống", quantity=Decimal(9), unit="cây", value=9_000
        )
        assert Entry.objects.filter(member=member_a).count() == 200
    many = counts()
    assert many == few
    assert len(client.get(pages[1]).context["statement"].lines) == 200


# --- a member's own account -------------------------------------------------------------------


def test_member_sees_only_their_own_statement(
    login, coop_a, member_user_a, member_a, member_a2, member_b, busy_member
):
    membership_set(user=member_user_a, cooperative=coop_a, role=Role.MEMBER, member=member_a)
    advance(coop_a, member_a2, 777_000)
    client = login(member_user_a)

    response = client.get(url("me"))
    assert response.status_code == 200
    assert response.context["member"] == member_a
    assert response.context["statement"].member == member_a
    body = response.content.decode()
    assert member_a.full_name in body
    assert member_a2.full_name not in body
    assert f'href="{url("member", member_a)}"' not in body  # no link to the staff ledger page

    assert client.get(url("statement", member_a)).status_code == 200
    assert client.get(url("statement_xlsx", member_a)).status_code == 200
    for page in (url("statement", member_a2), url("statement_xlsx", member_a2)):
        response = client.get(page)
        assert response.status_code in (403, 404)
        assert member_a2.full_name not in response.content.decode()
    assert client.get(url("statement", coop_slug="coop-a", member_id=member_b.uuid)).status_code == 404
    for page in member_pages(member_a, busy_member["payout_code"], busy_member["advance"]):
        if "statement" not in page:
            assert client.get(page).status_code in (403, 404), page


def test_member_without_a_linked_household_sees_no_statement(login, member_user_a, member_a):
    response = login(member_user_a).get(url("me"))
    assert response.status_code == 200
    assert "statement" not in response.context
    assert [t.name for t in response.templates][0] == "ledger/me_unlinked.html"
    assert login(member_user_a).get(url("statement", member_a)).status_code == 404

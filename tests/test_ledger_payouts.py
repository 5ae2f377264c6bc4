"""Bank payouts in two steps, what the cooperative owes, payout runs (issue 9, deliverable 8).

A bank transfer is PREPARED (amount reserved, VietQR, no ledger entry) and then CONFIRMED
with the bank's reference (the ledger entries are written) or CANCELLED with a reason;
each move writes a history row. The "what the cooperative owes" page lists every member
with a positive balance and what is prepared; a payout run prepares many transfers at
once, gives each VietQR and a bank batch file, and is confirmed as the bank statement shows.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from hoptac.coops.models import Member
from hoptac.core.tenancy import tenant
from hoptac.ledger import services as ledger
from hoptac.ledger.models import BankPayout, Entry, EntryKind, PayoutMethod, PayoutStatus
from hoptac.ledger.selectors import member_balance
from hoptac.lib import vietqr
from tests.conftest import keyed, make_member

AGRIBANK = "970405"
VCB = "970436"
EVIL = '=HYPERLINK("http://evil","x")'


def url(name: str, **kwargs) -> str:
    kwargs.setdefault("coop_slug", "coop-a")
    return reverse(f"ledger:{name}", kwargs=kwargs)


def owe(coop, member, amount: int, *, advance: int = 0):
    """The cooperative owes ``member`` ``amount`` (an opening adjustment), less an advance."""
    with tenant(coop):
        ledger.adjustment_record(member=member, payable_delta=amount, reason="Số dư đầu kỳ")
        if advance:
            ledger.advance_give(member=member, amount=advance)


@pytest.fixture
def banked(coop_a):
    return make_member(coop_a, full_name="Sùng Thị Mỷ", bank_bin=AGRIBANK, bank_account="0073002051234")


@pytest.fixture
def evil(coop_a):
    return make_member(coop_a, full_name=EVIL, bank_bin=VCB, bank_account="0011223344")


def entries(coop, code) -> dict:
    with tenant(coop):
        return {e.kind: e for e in Entry.objects.filter(code=code)}


# --- two steps ----------------------------------------------------------------------------------


def test_prepare_reserves_then_confirm_writes_the_entries(coop_a, banked, accountant_a):
    owe(coop_a, banked, 2_000_000, advance=300_000)
    with tenant(coop_a):
        prepared = ledger.payout_prepare(member=banked, amount=1_700_000, deduct=300_000, actor=accountant_a)
        assert prepared.status == PayoutStatus.PREPARED and prepared.code.startswith("CHI")
        assert not Entry.objects.filter(code=prepared.code).exists()  # not paid yet
        assert member_balance(banked).net == 1_700_000
        # What is prepared cannot be prepared again, nor paid in cash.
        for action in (
            lambda: ledger.payout_prepare(member=banked, amount=1),
            lambda: ledger.payout_make(member=banked, amount=1, method=PayoutMethod.CASH),
            lambda: ledger.payout_make(member=banked, amount=0, deduct=1),
        ):
            with pytest.raises(ValidationError) as caught:
                action()
            assert caught.value.code in ("over_balance", "deduct_too_much")
        result = ledger.payout_confirm(
            payout=prepared, reference="FT26001", transferred_on=timezone.localdate(), actor=accountant_a
        )
        assert result.code == prepared.code
        prepared.refresh_from_db()
        assert prepared.status == PayoutStatus.CONFIRMED and prepared.bank_reference == "FT26001"
        assert [(e.from_status, e.to_status) for e in prepared.events.all()] == [
            ("", "prepared"),
            ("prepared", "confirmed"),
        ]
        assert member_balance(banked).net == 0
        with pytest.raises(ValidationError) as caught:
            ledger.payout_confirm(payout=prepared, reference="FT2", transferred_on=timezone.localdate())
        assert caught.value.code == "status"
        with pytest.raises(ValidationError):
            ledger.payout_cancel(payout=prepared, reason="x")
    kinds = entries(coop_a, prepared.code)
    assert kinds[EntryKind.PAYOUT].payable_delta == -1_700_000
    assert kinds[EntryKind.PAYOUT].payout_method == PayoutMethod.BANK
    assert kinds[EntryKind.DEDUCTION].receivable_delta == -300_000


def test_cancel_frees_what_was_reserved(coop_a, banked):
    owe(coop_a, banked, 1_000_000)
    with tenant(coop_a):
        prepared = ledger.payout_prepare(member=banked, amount=1_000_000)
        with pytest.raises(ValidationError) as caught:
            ledger.payout_cancel(payout=prepared, reason="  ")
        assert caught.value.code == "no_reason"
        ledger.payout_cancel(payout=prepared, reason="Sai số tài khoản")
        prepared.refresh_from_db()
        assert prepared.status == PayoutStatus.CANCELLED
        assert not Entry.objects.filter(code=prepared.code).exists()
        again = ledger.payout_prepare(member=banked, amount=1_000_000)
        assert again.code != prepared.code


def test_bank_transfer_is_never_recorded_in_one_step(coop_a, banked):
    owe(coop_a, banked, 1_000_000)
    with tenant(coop_a), pytest.raises(ValidationError) as caught:
        ledger.payout_make(member=banked, amount=500_000, method=PayoutMethod.BANK)
    assert caught.value.code == "two_steps"
    with tenant(coop_a):
        assert not Entry.objects.filter(kind=EntryKind.PAYOUT).exists()


def test_payout_page_prepares_then_confirms(login, accountant_a, coop_a, banked):
    owe(coop_a, banked, 1_000_000)
    client = login(accountant_a)
    response = client.post(
        url("payout", member_id=banked.uuid), keyed({"deduct": "0", "amount": "600.000", "method": "bank"}, confirm="1")
    )
    assert response.status_code == 302
    code = response.url.rstrip("/").rsplit("/", 1)[-1]
    page = client.get(response.url)
    payload = page.context["vietqr"]
    assert vietqr.parse(payload) == {
        "bank_bin": AGRIBANK,
        "account": "0073002051234",
        "amount": 600_000,
        "purpose": code,
    }
    assert entries(coop_a, code) == {}
    ledger_page = client.get(url("member", member_id=banked.uuid))
    assert [p.code for p in ledger_page.context["prepared"]] == [code]
    assert url("payout_done", code=code) in ledger_page.content.decode()
    # The payout form now proposes what is left, after the prepared transfer.
    form = client.get(url("payout", member_id=banked.uuid)).context["form"]
    assert form.initial["amount"] == "400.000"
    # Bad confirmations say why and store nothing.
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    bad = client.post(url("payout_confirm", code=code), {"reference": "FT9", "transferred_on": future})
    assert bad.status_code == 400 and bad.context["confirm_form"].errors["transferred_on"]
    bad = client.post(url("payout_confirm", code=code), {"reference": "", "transferred_on": ""})
    assert bad.status_code == 400 and bad.context["confirm_form"].errors["reference"]
    assert entries(coop_a, code) == {}
    ok = client.post(
        url("payout_confirm", code=code),
        {"reference": "FT26XYZ", "transferred_on": timezone.localdate().isoformat()},
    )
    assert ok.status_code == 302
    page = client.get(url("payout_done", code=code))
    assert page.context["vietqr"] == ""  # paid: no QR to scan again
    assert "FT26XYZ" in page.content.decode()
    assert entries(coop_a, code)[EntryKind.PAYOUT].payable_delta == -600_000


# --- what the cooperative owes --------------------------------------------------------------------


def test_owed_lists_members_with_totals_and_filters(login, accountant_a, coop_a, member_a, member_a2, banked):
    owe(coop_a, member_a, 1_000_000, advance=200_000)  # 800.000
    owe(coop_a, member_a2, 100_000, advance=300_000)  # the member owes: not listed
    owe(coop_a, banked, 2_000_000)
    with tenant(coop_a):
        ledger.payout_prepare(member=banked, amount=500_000)
    client = login(accountant_a)
    page = client.get(url("owed"))
    assert page.status_code == 200
    result = page.context["owed"]
    by_name = {row.member.full_name: row for row in result.rows}
    assert set(by_name) == {member_a.full_name, banked.full_name}
    assert by_name[member_a.full_name].balance.net == 800_000
    assert by_name[banked.full_name].reserved.amount == 500_000
    assert by_name[banked.full_name].proposal.amount == 1_500_000
    assert (result.total_owed, result.total_prepared, result.total_to_pay) == (2_800_000, 500_000, 2_300_000)
    body = page.content.decode()
    assert 'data-total-owed="2800000"' in body and 'data-total-prepared="500000"' in body
    # The amount to transfer is written as a person types it, and the bank by its short name.
    assert f'name="amount_{banked.uuid}" value="1.500.000"' in body
    assert "Agribank · " in body and "Ngân hàng Nông nghiệp" not in body
    # The same balances as member_balance, the one definition.
    with tenant(coop_a):
        for row in result.rows:
            assert row.balance == member_balance(row.member)
    # Filters: a minimum amount, a village.
    big = client.get(url("owed"), {"min_amount": "1.000.000"}).context["owed"]
    assert [row.member.full_name for row in big.rows] == [banked.full_name]
    assert len(client.get(url("owed"), {"min_amount": "800.000"}).context["owed"].rows) == 2
    village = member_a.village
    in_village = client.get(url("owed"), {"village": village.pk}).context["owed"]
    assert {row.member.village_id for row in in_village.rows} == {village.pk}
    assert client.get(url("owed"), {"village": "abc"}).status_code == 200  # a bad filter is not a 500
    huge = client.get(url("owed"), {"min_amount": "9" * 30, "village": str(10**30)})
    assert huge.status_code == 200 and huge.context["form"].errors


def test_owed_queries_do_not_grow_with_members(login, accountant_a, coop_a):
    def count_queries() -> int:
        client = login(accountant_a)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("owed")).status_code == 200
        return len(queries)

    for number in range(3):
        member = make_member(
            coop_a, full_name=f"Hộ {number}", bank_bin=AGRIBANK, bank_account=f"10020030{number}"
        )
        owe(coop_a, member, 100_000 * (number + 1))
        with tenant(coop_a):
            ledger.payout_prepare(member=member, amount=50_000)
    few = count_queries()
    for number in range(3, 12):
        member = make_member(
            coop_a, full_name=f"Hộ {number}", bank_bin=AGRIBANK, bank_account=f"10020030{number}"
        )
        owe(coop_a, member, 100_000 * (number + 1))
        with tenant(coop_a):
            ledger.payout_prepare(member=member, amount=50_000)
    assert count_queries() == few


# --- a payout run -----------------------------------------------------------------------------------


def test_payout_run_from_owed_list_to_bank_statement(login, accountant_a, coop_a, member_a, banked, evil):
    owe(coop_a, member_a, 900_000)  # no bank account: named and left out
    owe(coop_a, banked, 2_000_000, advance=300_000)
    owe(coop_a, evil, 1_000_000)
    with tenant(coop_a):
        ledger.payout_prepare(member=evil, amount=250_000)  # already prepared: the run proposes the rest
    client = login(accountant_a)
    response = client.post(
        url("run_create"),
        keyed({
            "member": [str(member_a.uuid), str(banked.uuid), str(evil.uuid), "not-a-uuid"],
            f"amount_{banked.uuid}": "",  # the default: what is owed less what is prepared
            f"amount_{evil.uuid}": "700.000",
        }),
        follow=True,
    )
    assert response.status_code == 200
    run = response.context["run"]
    body = response.content.decode()
    assert member_a.full_name in " ".join(str(m) for m in response.context["messages"])
    rows = {row["payout"].member_id: row for row in response.context["rows"]}
    assert set(rows) == {banked.pk, evil.pk}
    banked_payout, evil_payout = rows[banked.pk]["payout"], rows[evil.pk]["payout"]
    assert (banked_payout.amount, banked_payout.deduct) == (1_700_000, 300_000)
    assert (evil_payout.amount, evil_payout.deduct) == (700_000, 0)
    for row in rows.values():
        payout = row["payout"]
        assert vietqr.parse(row["vietqr"]) == {
            "bank_bin": payout.bank_bin,
            "account": payout.bank_account,
            "amount": payout.amount,
            "purpose": payout.code,
        }
        assert f'data-vietqr="{row["vietqr"]}"' in body
    assert Entry.unscoped.filter(code__in=[banked_payout.code, evil_payout.code]).count() == 0

    # The bank batch file.
    xlsx = client.get(url("run_xlsx", number=run.number))
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book.active
    data = [list(row) for row in sheet.iter_rows(min_row=5, max_row=6)]
    by_code = {row[6].value: row for row in data}
    assert set(by_code) == {banked_payout.code, evil_payout.code}
    row = by_code[banked_payout.code]
    assert row[1].value == "0073002051234" and row[1].data_type == "s"  # text: the leading zero stays
    assert row[2].value == banked.full_name
    assert row[4].value == AGRIBANK and row[4].data_type == "s"
    assert row[5].value == 1_700_000 and row[5].data_type == "n"
    row = by_code[evil_payout.code]
    assert row[2].value == EVIL and row[2].data_type == "s"  # never a formula
    assert row[5].value == 700_000
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
    total_ref = book.defined_names["batch_total"].attr_text.split("!")[1].replace("$", "")
    assert sheet[total_ref].value == 2_400_000

    # The bank statement shows the banked member's transfer; the other is cancelled.
    settle = client.post(
        url("run", number=run.number),
        {
            "transferred_on": timezone.localdate().isoformat(),
            f"reference_{banked_payout.pk}": "FT26STATEMENT1",
            f"reference_{evil_payout.pk}": "",
            f"cancel_{evil_payout.pk}": "1",
            "cancel_reason": "Không có trên sao kê ngân hàng",
        },
    )
    assert settle.status_code == 302
    with tenant(coop_a):
        banked_payout.refresh_from_db()
        evil_payout.refresh_from_db()
        assert (
            banked_payout.status == PayoutStatus.CONFIRMED
            and banked_payout.bank_reference == "FT26STATEMENT1"
        )
        assert evil_payout.status == PayoutStatus.CANCELLED
        assert member_balance(banked).net == 0
        assert member_balance(evil).net == 1_000_000
        assert not Entry.objects.filter(code=evil_payout.code).exists()
    kinds = entries(coop_a, banked_payout.code)
    assert kinds[EntryKind.PAYOUT].payable_delta == -1_700_000
    assert kinds[EntryKind.DEDUCTION].receivable_delta == -300_000
    # Settling again is refused: nothing is waiting any more for these two.
    again = client.post(
        url("run", number=run.number),
        {"transferred_on": timezone.localdate().isoformat(), f"reference_{banked_payout.pk}": "FT2"},
    )
    assert again.status_code == 400
    assert Entry.unscoped.filter(code=banked_payout.code).count() == 2


def test_run_is_all_or_nothing(coop_a, banked, evil):
    owe(coop_a, banked, 1_000_000)
    owe(coop_a, evil, 1_000_000)
    with tenant(coop_a):
        with pytest.raises(ValidationError) as caught:
            ledger.payout_run_create(
                items=[ledger.RunItem(member=banked), ledger.RunItem(member=evil, amount=1_000_001)]
            )
        assert caught.value.code == "over_balance"
        assert EVIL in caught.value.messages[0]
        assert not BankPayout.objects.exists()
        nobody = make_member(coop_a, full_name="Không tài khoản")
    with tenant(coop_a), pytest.raises(ValidationError) as caught:
        ledger.payout_run_create(items=[ledger.RunItem(member=Member.unscoped.get(pk=nobody.pk))])
    assert caught.value.code == "no_bank"


def test_collector_cannot_see_nor_run_payouts(login, collector_a, coop_a, banked):
    owe(coop_a, banked, 1_000_000)
    client = login(collector_a)
    assert client.get(url("owed")).status_code == 403
    assert client.post(url("run_create"), keyed({"member": [str(banked.uuid)]})).status_code == 403
    assert BankPayout.unscoped.count() == 0


# --- a prepared transfer and a cash payout at the same moment ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_prepare_and_cash_at_once_cannot_reserve_more_than_owed(coop_a):
    """The member row lock (PostgreSQL) or the IMMEDIATE transaction (SQLite) serialises a
    bank preparation and a cash payout: together they cannot exceed what is owed."""
    import threading

    member = make_member(coop_a, full_name="Hộ song song", bank_bin=AGRIBANK, bank_account="100200300")
    owe(coop_a, member, 1_000_000)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    guard = threading.Lock()

    def run(action):
        try:
            with tenant(coop_a):
                barrier.wait(timeout=30)
                try:
                    outcome = action()
                except ValidationError as error:
                    outcome = error.code
            with guard:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=run, args=(lambda: ledger.payout_prepare(member=member, amount=700_000).code,)
        ),
        threading.Thread(target=run, args=(lambda: ledger.payout_make(member=member, amount=700_000).code,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(outcomes)[1] == "over_balance", outcomes
    assert sorted(outcomes)[0].startswith("CHI"), outcomes
    with tenant(coop_a):
        prepared = sum(p.amount for p in BankPayout.objects.filter(status=PayoutStatus.PREPARED))
        paid = -sum(e.payable_delta for e in Entry.objects.filter(member=member, kind=EntryKind.PAYOUT))
        assert prepared + paid == 700_000


def test_unknown_run_or_payout_is_404(login, accountant_a):
    client = login(accountant_a)
    assert client.get(url("run", number=10**30)).status_code == 404
    assert client.get(url("run_xlsx", number=7)).status_code == 404
    assert client.get(url("payout_done", code="CHI" + "9" * 40)).status_code == 404
    assert client.post(url("payout_confirm", code="CHI999999"), {"reference": "x"}).status_code == 404

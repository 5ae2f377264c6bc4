"""Closed periods (issue 9, deliverable 5).

The accountant closes a month for the whole cooperative; a statement sent (SMS/Zalo
through the outbox) or handed to a member closes that member's books through its end.
Nothing can then be dated in a closed period, by any way in (advances, loans, cash and
bank payouts, purchases from receipts, the API, agreements with an advance); corrections
are new entries dated now that point at what they correct. One selector decides:
``ledger.selectors.closed_through``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from hoptac.api import services as api_services
from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.ledger import selectors
from hoptac.ledger import services as ledger
from hoptac.ledger.models import CloseReason, Entry, EntryKind, PeriodClose
from hoptac.ledger.selectors import day_bounds, member_balance, statement
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Receipt
from hoptac.outbox.models import Message
from tests.conftest import keyed, make_member

PRICE = 250_000


@pytest.fixture(autouse=True)
def _outbox_off(settings, tmp_path):
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "FILE_DIR": str(tmp_path)}


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT")
        offtake.price_set(
            product=product, grade=1, price_vnd=PRICE, effective_from=timezone.now() - dt.timedelta(days=800)
        )
    return product


def last_month() -> tuple[dt.date, dt.date]:
    """The first and last days of the month before this one (always ended)."""
    end = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def url(name: str, **kwargs) -> str:
    kwargs.setdefault("coop_slug", "coop-a")
    return reverse(f"ledger:{name}", kwargs=kwargs)


def buy(member, product, kg: int, when: dt.datetime):
    return offtake.receipt_record(
        member=member,
        collected_at=when,
        lines=[offtake.LineInput(product=product, quantity=Decimal(kg), unit="kg")],
        notify=False,
    )


def refused(action) -> ValidationError:
    before = Entry.unscoped.count()
    with pytest.raises(ValidationError) as caught:
        action()
    assert Entry.unscoped.count() == before
    return caught.value


# --- the defect: an advance dated 1999 changed a balance already sent by SMS ----------------------


def test_advance_dated_1999_cannot_change_a_statement_sent_by_sms(
    login, accountant_a, coop_a, member_a, honey
):
    start, end = last_month()
    with tenant(coop_a):
        buy(member_a, honey, 4, noon(start))  # 1.000.000 owed to the member
    client = login(accountant_a)
    sent = client.post(
        url("statement_send", member_id=member_a.uuid),
        keyed({"start": "1999-01-01", "end": end.isoformat(), "how": "sent"}),
    )
    assert sent.status_code == 302
    with tenant(coop_a):
        close = PeriodClose.objects.get(member=member_a)
        assert close.reason == CloseReason.STATEMENT_SENT and close.through == end
        assert close.closing_payable - close.closing_receivable == 1_000_000
        message = Message.objects.get(pk=close.message_id)
        assert "1.000.000" in message.text and end.strftime("%d/%m/%Y") in message.text

    # The year 1999 itself is outside the bounds of a ledger date (lib.bounds); a day inside
    # the closed statement period is refused because the member was told the balance.
    for day in ("1999-06-01", start.isoformat()):
        response = client.post(
            url("advance", member_id=member_a.uuid), keyed({"amount": "500.000", "day": day, "memo": ""}, confirm="1")
        )
        assert response.status_code == 200
        assert response.context["form"].errors["day"]
    assert end.strftime("%d/%m/%Y") in response.context["form"].errors["day"][0]
    lower, upper = day_bounds(dt.date(1999, 1, 1), end)
    with tenant(coop_a):
        assert statement(member_a, start=lower, end=upper).closing.net == 1_000_000  # what the SMS said
        assert not Entry.objects.filter(kind=EntryKind.ADVANCE).exists()
        # Today is open: the same advance dated today is recorded.
        ledger.advance_give(member=member_a, amount=500_000)
        assert member_balance(member_a).net == 500_000


# --- every way in refuses a date in a closed month -------------------------------------------------


@pytest.fixture
def closed(coop_a, accountant_a):
    """coop_a's books closed through the end of last month."""
    start, end = last_month()
    with tenant(coop_a):
        ledger.month_close(month=start, actor=accountant_a)
    return start, end


def test_every_way_in_refuses_a_closed_month(coop_a, member_a, honey, closed):
    start, end = closed
    inside = noon(end)
    with tenant(coop_a):
        ledger.purchase_record(
            member=member_a,
            amount=2_000_000,
            occurred_at=timezone.now(),
            source_type="",
            source_id="",
            memo="Số dư",
        )
        ways = {
            "advance": lambda: ledger.advance_give(member=member_a, amount=1, occurred_at=inside),
            "loan": lambda: ledger.input_loan_give(
                member=member_a, item="Phân bón", quantity=Decimal(1), unit="bao", value=1, occurred_at=inside
            ),
            "cash payout": lambda: ledger.payout_make(member=member_a, amount=1, occurred_at=inside),
            "purchase": lambda: ledger.purchase_record(
                member=member_a, amount=1, occurred_at=inside, source_type="", source_id="", memo="x"
            ),
            "receipt": lambda: buy(member_a, honey, 1, inside),
            "receipt long ago": lambda: buy(member_a, honey, 1, noon(start - dt.timedelta(days=40))),
        }
        receipts = Receipt.objects.count()
        for name, action in ways.items():
            error = refused(action)
            assert error.code == "closed_period", name
            assert end.strftime("%d/%m/%Y") in error.messages[0], name
        assert Receipt.objects.count() == receipts
        # The day after the closed month is open.
        ledger.advance_give(member=member_a, amount=1, occurred_at=noon(end + dt.timedelta(days=1)))


def test_agreement_advance_signed_in_a_closed_month_is_refused(coop_a, member_a, honey, closed):
    from hoptac.offtake.models import Agreement

    start, end = closed
    with tenant(coop_a):
        season = offtake.season_create(
            product=honey,
            name="Vụ mật",
            starts_on=start,
            ends_on=timezone.localdate() + dt.timedelta(days=60),
        )
        error = refused(
            lambda: offtake.agreement_create(
                member=member_a,
                season=season,
                committed_quantity=Decimal(50),
                committed_unit="kg",
                price_rule="list",
                signed_on=end,
                advance_vnd=1_000_000,
            )
        )
        assert error.code == "closed_period"
        assert not Agreement.objects.exists()  # nothing half done


def test_api_receipt_dated_in_a_closed_month_is_refused(collector_a, coop_a, member_a, honey, closed):
    from django.test import Client

    start, end = closed
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {api_services.token_create(user=collector_a, name='t').secret}"
    )
    body = {
        "client_key": str(uuid.uuid4()),
        "member_id": str(member_a.uuid),
        "collected_at": noon(end).isoformat(),
        "lines": [{"product_id": honey.pk, "grade": 1, "quantity": "2", "unit": "kg"}],
    }
    response = client.post("/api/v1/c/coop-a/receipts", body, content_type="application/json")
    assert response.status_code in (400, 409, 422), response.content
    assert end.strftime("%d/%m/%Y") in " ".join(response.json()["detail"])
    assert Receipt.unscoped.count() == 0 and Entry.unscoped.count() == 0
    body.update(
        client_key=str(uuid.uuid4()), collected_at=timezone.localtime().replace(microsecond=0).isoformat()
    )
    assert client.post("/api/v1/c/coop-a/receipts", body, content_type="application/json").status_code == 201


def test_bank_payout_confirmed_with_a_transfer_date_in_a_closed_month_is_refused(coop_a, honey, accountant_a):
    banked = make_member(coop_a, full_name="Sùng Thị Mỷ", bank_bin="970405", bank_account="7300205123456")
    with tenant(coop_a):
        buy(banked, honey, 4, timezone.now() - dt.timedelta(hours=1))
        prepared = ledger.payout_prepare(member=banked, amount=500_000)
        # The payout was prepared today; backdate its creation to test the closed-period check.
        prepared.__class__.objects.filter(pk=prepared.pk).update(created_at=noon(last_month()[0]))
        prepared.refresh_from_db()
        ledger.month_close(month=last_month()[0], actor=accountant_a)
        error = refused(
            lambda: ledger.payout_confirm(payout=prepared, reference="FT1", transferred_on=last_month()[1])
        )
        assert error.code == "closed_period"
        ledger.payout_confirm(payout=prepared, reference="FT1", transferred_on=timezone.localdate())
        assert member_balance(banked).payable == 500_000


# --- corrections are new entries dated now that point back ----------------------------------------


def test_a_correction_of_a_closed_month_is_a_reversal_dated_now(coop_a, member_a, accountant_a):
    start, end = last_month()
    with tenant(coop_a):
        mistake = ledger.advance_give(member=member_a, amount=700_000, occurred_at=noon(start))
        ledger.month_close(month=start, actor=accountant_a)
        lower, upper = day_bounds(start, end)
        before = statement(member_a, start=lower, end=upper).closing
        reversal = ledger.entry_reverse(entry=mistake, reason="Ghi nhầm", actor=accountant_a)
        assert reversal.reverses_id == mistake.pk and reversal.kind == EntryKind.REVERSAL
        assert timezone.localdate(reversal.occurred_at) == timezone.localdate()
        assert statement(member_a, start=lower, end=upper).closing == before  # the closed month is unchanged
        assert member_balance(member_a).net == 0
        # An adjustment is dated now too, so it is never in a closed period.
        adjustment = ledger.adjustment_record(member=member_a, payable_delta=10_000, reason="Làm tròn")
        assert timezone.localdate(adjustment.occurred_at) == timezone.localdate()


# --- the accountant closes months; the selector is the one rule -----------------------------------


def test_accountant_closes_a_month_and_sees_it(login, accountant_a, collector_a, coop_a, member_a):
    start, end = last_month()
    client = login(accountant_a)
    page = client.get(url("periods"))
    assert page.status_code == 200 and page.context["closed_through"] is None
    this_month = timezone.localdate().strftime("%Y-%m")
    refused_now = client.post(url("periods"), {"month": this_month})
    assert refused_now.status_code == 400 and refused_now.context["form"].errors["month"]
    done = client.post(url("periods"), {"month": start.strftime("%Y-%m")})
    assert done.status_code == 302
    page = client.get(url("periods"))
    assert page.context["closed_through"] == end
    assert end.strftime("%d/%m/%Y") in page.content.decode()
    again = client.post(url("periods"), {"month": (start - dt.timedelta(days=1)).strftime("%Y-%m")})
    assert again.status_code == 400  # an earlier month is already closed by this one
    with tenant(coop_a):
        assert PeriodClose.objects.count() == 1
        assert selectors.closed_through(member_a) == end
        assert not selectors.is_open(member_a, noon(start - dt.timedelta(days=400)))
        assert selectors.is_open(member_a, timezone.now())
    for bad in ("0001-01", "tháng 3", ""):
        assert client.post(url("periods"), {"month": bad}).status_code == 400
    collector = login(collector_a)
    assert collector.post(url("periods"), {"month": start.strftime("%Y-%m")}).status_code == 403


def test_a_statement_closes_the_books_of_that_member_only(coop_a, member_a, member_a2, accountant_a):
    start, end = last_month()
    with tenant(coop_a):
        ledger.statement_send(member=member_a, start=start, end=end, handed=True, actor=accountant_a)
        close = PeriodClose.objects.get()
        assert close.reason == CloseReason.STATEMENT_HANDED and close.message_id is None
        assert (
            refused(lambda: ledger.advance_give(member=member_a, amount=1, occurred_at=noon(end))).code
            == "closed_period"
        )
        ledger.advance_give(member=member_a2, amount=1, occurred_at=noon(end))  # another member: open
        assert selectors.closed_through(member_a2) is None


def test_only_a_period_that_has_ended_can_be_sent(login, accountant_a, coop_a, member_a):
    today = timezone.localdate()
    with tenant(coop_a):
        with pytest.raises(ValidationError) as caught:
            ledger.statement_send(member=member_a, start=today.replace(day=1), end=today)
        assert caught.value.code == "not_ended"
        assert not PeriodClose.objects.exists() and not Message.objects.exists()
    page = login(accountant_a).get(url("statement", member_id=member_a.uuid))
    assert page.context["can_send"] and not page.context["can_send_period"]


def test_a_statement_cannot_be_sent_to_a_member_who_cannot_be_reached(coop_a):
    start, end = last_month()
    nowhere = make_member(coop_a, full_name="Lý Thị Sen", phone=None)
    with tenant(coop_a):
        with pytest.raises(ValidationError) as caught:
            ledger.statement_send(member=nowhere, start=start, end=end)
        assert caught.value.code == "unreachable"
        assert not PeriodClose.objects.exists() and not Message.objects.exists()
        ledger.statement_send(member=nowhere, start=start, end=end, handed=True)
        assert selectors.closed_through(nowhere) == end


def test_sending_a_statement_with_a_date_out_of_range_is_a_message(login, accountant_a, coop_a, member_a):
    client = login(accountant_a)
    for start in ("0001-01-01", "1999-13-01", ""):
        response = client.post(
            url("statement_send", member_id=member_a.uuid),
            keyed({"start": start, "end": "2000-01-31", "how": "sent"}),
        )
        assert response.status_code == 302
    with tenant(coop_a):
        assert not PeriodClose.objects.exists() and not Message.objects.exists()


def test_books_of_reads_the_closed_period_and_the_balance_as_their_selectors(
    coop_a, member_a, member_a2, honey, accountant_a
):
    """``books_of`` (one statement under the member's lock) is ``closed_through`` and
    ``member_balance``; the purchase's ``balance_after`` is the balance with it."""
    start, end = last_month()
    with tenant(coop_a):
        assert selectors.books_of(member_a) == selectors.Books(None, selectors.ZERO)
        buy(member_a, honey, 2, noon(start))
        ledger.advance_give(member=member_a, amount=300_000, occurred_at=noon(start))
        ledger.statement_send(member=member_a, start=start, end=end, handed=True, actor=accountant_a)
        ledger.month_close(month=start - dt.timedelta(days=40), actor=accountant_a)
        for member in (member_a, member_a2):
            books = selectors.books_of(member)
            assert books.closed_through == selectors.closed_through(member)
            assert books.balance == member_balance(member)
        assert selectors.books_of(member_a).closed_through == end
        assert selectors.books_of(member_a2).closed_through < end
        receipt = buy(member_a, honey, 3, timezone.now())
        entry = Entry.objects.get(source_type="receipt", source_id=str(receipt.pk))
        after = ledger.purchase_record(
            member=member_a,
            amount=1_000,
            occurred_at=timezone.now(),
            source_type="test",
            source_id="1",
            memo="",
        ).balance_after
        assert entry.payable_delta == 3 * PRICE
        assert after == member_balance(member_a) == selectors.Balance(5 * PRICE + 1_000, 300_000)

"""The rules of the member ledger, over random sequences of what happens in a season.

- the balance (``member_balance``) always equals the sum of the entries, and the sum a
  separate model of the business computes;
- a statement's closing balance is the next period's opening balance;
- a voided receipt cannot be voided again, an entry cannot be reversed twice;
- nothing is ever updated in place or deleted;
- two payouts at the same moment cannot together pay more than is owed.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.ledger import services as ledger
from hoptac.ledger.models import AppendOnly, Entry, EntryKind, PayoutMethod
from hoptac.ledger.selectors import Balance, member_balance, statement
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Receipt, ReceiptStatus
from tests.conftest import make_member

PRICE = 180_000  # đồng per kg
HORIZON_DAYS = 90


@pytest.fixture
def tea(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Chè Shan tuyết", code="CHE")
        offtake.price_set(
            product=product,
            grade=1,
            price_vnd=PRICE,
            effective_from=timezone.now() - dt.timedelta(days=HORIZON_DAYS + 30),
        )
    return product


def _receipt(member, product, kg, when):
    return offtake.receipt_record(
        member=member,
        collected_at=when,
        lines=[offtake.LineInput(product=product, quantity=Decimal(kg), unit="kg")],
    )


# --- the property: random sequences of receipts, advances, loans, payouts, reversals, voids -----

days_ago = st.integers(min_value=0, max_value=HORIZON_DAYS)
percent = st.integers(min_value=0, max_value=100)
STEP = st.one_of(
    st.tuples(st.just("receipt"), st.integers(1, 40), days_ago),
    st.tuples(st.just("advance"), st.integers(1, 5_000_000), days_ago),
    st.tuples(st.just("loan"), st.integers(1, 5_000_000), days_ago),
    st.tuples(st.just("payout"), percent, percent, st.sampled_from([PayoutMethod.CASH, PayoutMethod.BANK])),
    st.tuples(st.just("overpay"), st.integers(1, 1_000_000)),
    st.tuples(st.just("overdeduct"), st.integers(1, 1_000_000)),
    st.tuples(st.just("reverse"), st.integers(0, 10_000)),
    st.tuples(st.just("void"), st.integers(0, 10_000)),
    st.tuples(st.just("close"), st.integers(min_value=1, max_value=HORIZON_DAYS)),
)


def _snapshot(member) -> dict:
    fields = ("kind", "occurred_at", "payable_delta", "receivable_delta", "memo", "code", "reverses_id")
    return {row["pk"]: row for row in Entry.objects.filter(member=member).values("pk", *fields)}


def _expect_refusal(code: str, action) -> None:
    """``action`` is refused with ``code`` and writes nothing."""
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as refused:
        action()
    assert refused.value.code == code
    assert Entry.objects.count() == before


class Model:
    """What the member is owed and owes, computed from the business, not from the entries."""

    def __init__(self):
        self.payable = 0
        self.receivable = 0
        # Closed periods: (closed through, the entries that existed when it was closed).
        self.closes: list[tuple[dt.date, set[int]]] = []

    def closed(self, when: dt.datetime) -> bool:
        return any(timezone.localdate(when) <= through for through, _pks in self.closes)

    @property
    def balance(self) -> Balance:
        return Balance(self.payable, self.receivable)


def _apply(step, *, member, product, model: Model, now: dt.datetime) -> None:
    kind = step[0]
    balance = member_balance(member)
    dated = {"receipt": 2, "advance": 2, "loan": 2}
    if kind in dated and model.closed(now - dt.timedelta(days=step[dated[kind]])):
        # Dated in a closed period: refused, by receipts as by the ledger, nothing written.
        receipts = Receipt.objects.count()
        when = now - dt.timedelta(days=step[dated[kind]])
        actions = {
            "receipt": lambda: _receipt(member, product, step[1], when),
            "advance": lambda: ledger.advance_give(member=member, amount=step[1], occurred_at=when),
            "loan": lambda: ledger.input_loan_give(
                member=member,
                item="Phân bón",
                quantity=Decimal(1),
                unit="bao",
                value=step[1],
                occurred_at=when,
            ),
        }
        _expect_refusal("closed_period", actions[kind])
        assert Receipt.objects.count() == receipts
        return
    if kind == "close":
        # A statement handed to the member closes their books through that day.
        through = timezone.localdate(now) - dt.timedelta(days=step[1])
        ledger.statement_send(
            member=member, start=through - dt.timedelta(days=HORIZON_DAYS), end=through, handed=True
        )
        model.closes.append((through, set(Entry.objects.filter(member=member).values_list("pk", flat=True))))
        return
    if kind == "receipt":
        receipt = _receipt(member, product, step[1], now - dt.timedelta(days=step[2]))
        assert receipt.total_vnd == step[1] * PRICE
        model.payable += receipt.total_vnd
    elif kind == "advance":
        ledger.advance_give(member=member, amount=step[1], occurred_at=now - dt.timedelta(days=step[2]))
        model.receivable += step[1]
    elif kind == "loan":
        ledger.input_loan_give(
            member=member,
            item="Phân bón",
            quantity=Decimal("1.5"),
            unit="bao",
            value=step[1],
            occurred_at=now - dt.timedelta(days=step[2]),
        )
        model.receivable += step[1]
    elif kind == "payout":
        # Only valid payouts: deduct at most what is owed both ways, pay at most the rest.
        deduct = max(0, min(balance.receivable, balance.payable)) * step[1] // 100
        amount = max(0, balance.payable - deduct) * step[2] // 100

        def pay():
            if step[3] == PayoutMethod.BANK and amount:
                # Two steps: prepared (nothing in the ledger), then confirmed with the reference.
                prepared = ledger.payout_prepare(member=member, amount=amount, deduct=deduct)
                assert not Entry.objects.filter(code=prepared.code).exists()
                assert member_balance(member) == balance
                return ledger.payout_confirm(
                    payout=prepared, reference="FT1", transferred_on=timezone.localdate()
                )
            return ledger.payout_make(member=member, amount=amount, deduct=deduct)

        if amount == 0 and deduct == 0:
            _expect_refusal("nothing", pay)
            return
        result = pay()
        assert result.code.startswith("CHI")
        assert Entry.objects.filter(
            code=result.code, kind__in=[EntryKind.PAYOUT, EntryKind.DEDUCTION]
        ).count() == (bool(amount) + bool(deduct))
        model.payable -= amount + deduct
        model.receivable -= deduct
    elif kind == "overpay":
        amount = max(0, balance.payable) + step[1]
        _expect_refusal("over_balance", lambda: ledger.payout_make(member=member, amount=amount))
    elif kind == "overdeduct":
        deduct = max(0, balance.receivable) + step[1]
        _expect_refusal("deduct_too_much", lambda: ledger.payout_make(member=member, amount=0, deduct=deduct))
    elif kind == "reverse":
        entries = list(Entry.objects.filter(member=member).order_by("id"))
        if not entries:
            return
        entry = entries[step[1] % len(entries)]
        reverse = lambda: ledger.entry_reverse(entry=entry, reason="Sai sót")  # noqa: E731
        if entry.kind == EntryKind.REVERSAL:
            _expect_refusal("reversal", reverse)
        elif Entry.objects.filter(reverses=entry).exists():
            _expect_refusal("already_reversed", reverse)
        elif entry.kind == EntryKind.PURCHASE:
            _expect_refusal("has_source", reverse)
        elif entry.receivable_delta > 0 and model.receivable < entry.receivable_delta:
            # an advance or loan already (partly) deducted at a payout: undo the deduction first
            _expect_refusal("already_deducted", reverse)
        else:
            reversal = reverse()
            assert reversal.reverses_id == entry.pk
            assert (reversal.payable_delta, reversal.receivable_delta) == (
                -entry.payable_delta,
                -entry.receivable_delta,
            )
            model.payable -= entry.payable_delta
            model.receivable -= entry.receivable_delta
    elif kind == "void":
        receipts = list(Receipt.objects.filter(member=member).order_by("id"))
        if not receipts:
            return
        receipt = receipts[step[1] % len(receipts)]
        void = lambda: offtake.receipt_void(receipt=receipt, reason="Cân sai")  # noqa: E731
        if receipt.status == ReceiptStatus.VOIDED:
            _expect_refusal("already_voided", void)
        else:
            assert void().status == ReceiptStatus.VOIDED
            model.payable -= receipt.total_vnd
            _expect_refusal("already_voided", void)  # and never twice


def _check(member, model: Model, *, mid: dt.datetime, now: dt.datetime) -> None:
    rows = list(Entry.objects.filter(member=member).values_list("payable_delta", "receivable_delta"))
    summed = Balance(sum(p for p, _ in rows), sum(r for _, r in rows))
    balance = member_balance(member)
    assert balance == summed == model.balance

    start = now - dt.timedelta(days=HORIZON_DAYS + 1)
    end = now + dt.timedelta(days=1)
    first = statement(member, start=start, end=mid)
    second = statement(member, start=mid, end=end)
    assert first.opening == Balance(0, 0)
    assert first.closing == second.opening
    assert second.closing == balance
    for part in (first, second):
        running = part.opening.net
        for line in part.lines:
            running += line.entry.net
            assert line.balance_after == running
        assert running == part.closing.net
        assert part.total_in - part.total_out == part.closing.net - part.opening.net
    assert len(first.lines) + len(second.lines) == len(rows)
    assert member_balance(member, at=mid - dt.timedelta(microseconds=1)) == first.closing


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=14), data=st.data())
def test_random_seasons_keep_the_ledger_consistent(db, coop_a, tea, steps, data):
    now = timezone.now()
    with tenant(coop_a), transaction.atomic():
        member = make_member(coop_a, full_name="Lý Văn Sình", bank_bin="970405", bank_account="100200300")
        model = Model()
        for step in steps:
            before = _snapshot(member)
            _apply(step, member=member, product=tea, model=model, now=now)
            after = _snapshot(member)
            # Append-only: every earlier entry is still there, unchanged.
            assert {pk: after.get(pk) for pk in before} == before
            # Nothing written after a period was closed is dated in it.
            for through, existing in model.closes:
                for pk, row in after.items():
                    assert pk in existing or timezone.localdate(row["occurred_at"]) > through
            mid = now - dt.timedelta(
                days=data.draw(st.integers(0, HORIZON_DAYS + 1), label="mid days ago"),
                minutes=data.draw(st.integers(0, 24 * 60), label="mid minutes"),
            )
            _check(member, model, mid=mid, now=now)
        transaction.set_rollback(True)


# --- the same rules, spelled out once -----------------------------------------------------------


def test_a_voided_receipt_cannot_be_voided_again(coop_a, member_a, tea):
    with tenant(coop_a):
        receipt = _receipt(member_a, tea, 5, timezone.now() - dt.timedelta(hours=2))
        offtake.receipt_void(receipt=receipt, reason="Cân sai")
        assert member_balance(member_a) == Balance(0, 0)
        count = Entry.objects.count()
        with pytest.raises(ValidationError) as refused:
            offtake.receipt_void(receipt=receipt, reason="Lần nữa")
        assert refused.value.code == "already_voided"
        assert Entry.objects.count() == count
        assert Receipt.objects.get(pk=receipt.pk).void_reason == "Cân sai"


def test_an_entry_cannot_be_reversed_twice(coop_a, member_a):
    with tenant(coop_a):
        entry = ledger.advance_give(member=member_a, amount=300_000)
        reversal = ledger.entry_reverse(entry=entry, reason="Nhầm")
        with pytest.raises(ValidationError) as twice:
            ledger.entry_reverse(entry=entry, reason="Lần nữa")
        assert twice.value.code == "already_reversed"
        with pytest.raises(ValidationError) as of_reversal:
            ledger.entry_reverse(entry=reversal, reason="Hoàn tác")
        assert of_reversal.value.code == "reversal"
        with pytest.raises(ValidationError) as no_reason:
            ledger.entry_reverse(entry=ledger.advance_give(member=member_a, amount=1), reason="  ")
        assert no_reason.value.code == "no_reason"
        assert Entry.objects.filter(kind=EntryKind.REVERSAL).count() == 1


def test_nothing_is_ever_updated_in_place(coop_a, member_a):
    with tenant(coop_a):
        entry = ledger.advance_give(member=member_a, amount=300_000, memo="Tạm ứng")
        other = ledger.advance_give(member=member_a, amount=100_000)
        attempts = [
            lambda: Entry.objects.get(pk=entry.pk).save(),
            lambda: Entry.objects.get(pk=entry.pk).save(update_fields=["memo"]),
            lambda: Entry.objects.get(pk=entry.pk).delete(),
            lambda: Entry.objects.filter(pk=entry.pk).update(receivable_delta=1),
            lambda: Entry.objects.filter(pk=entry.pk).delete(),
            lambda: Entry.objects.all().delete(),
            lambda: Entry.unscoped.filter(pk=entry.pk).update(memo="x"),
            lambda: Entry.unscoped.all().delete(),
            lambda: Entry.objects.bulk_update([entry, other], ["memo"]),
            lambda: Entry.objects.update_or_create(pk=entry.pk, defaults={"memo": "x"}),
        ]
        for attempt in attempts:
            # Each in its own savepoint: bulk_update's own atomic block would spoil the test's.
            with pytest.raises(AppendOnly), transaction.atomic():
                attempt()
        entry.memo = "đổi"
        with pytest.raises(AppendOnly):
            entry.save()
        # The number filled in at the insert is never changed after.
        assert Entry.objects.fill_number(entry.pk, "TU-999999") == 0
        stored = Entry.objects.get(pk=entry.pk)
        assert (stored.receivable_delta, stored.memo) == (300_000, "Tạm ứng")
        assert stored.code == f"TU-{entry.pk:06d}"
        assert Entry.objects.count() == 2


# --- two payouts at the same moment ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_payouts_at_once_cannot_pay_more_than_owed(coop_a):
    """On PostgreSQL the member row lock serialises them; on SQLite the IMMEDIATE
    transactions do. Either way exactly one of two payouts that together exceed the
    balance goes through, whoever comes first."""
    rounds = 4
    for number in range(rounds):
        member = make_member(coop_a, full_name=f"Hộ {number}", phone=f"09880000{number:02d}")
        with tenant(coop_a):
            ledger.adjustment_record(member=member, payable_delta=1_000_000, reason="Số dư đầu kỳ")
        barrier = threading.Barrier(2)
        outcomes: list[object] = []
        lock = threading.Lock()

        def pay(member=member, barrier=barrier, outcomes=outcomes, lock=lock):
            try:
                with tenant(coop_a):
                    barrier.wait(timeout=30)
                    try:
                        result = ledger.payout_make(member=member, amount=700_000)
                    except ValidationError as error:
                        outcome = error.code
                    else:
                        outcome = result.code
                with lock:
                    outcomes.append(outcome)
            finally:
                connection.close()

        threads = [threading.Thread(target=pay) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert len(outcomes) == 2, outcomes
        codes = sorted(str(o) for o in outcomes)
        assert codes[1] == "over_balance", codes
        assert codes[0].startswith("CHI"), codes
        with tenant(coop_a):
            balance = member_balance(member)
            assert balance.payable == 300_000
            assert balance.payable >= 0
            assert Entry.objects.filter(member=member, kind=EntryKind.PAYOUT).count() == 1

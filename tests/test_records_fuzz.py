"""Records that cannot go wrong, over random sequences of everything that writes money and
stock at once: receipts, voids, raw lots, receipts taken out of lots, advances, cash and
bank payouts (prepared, then confirmed), and month closes.

After every step:

- each member's balance (``member_balance``) is the sum of their ledger entries;
- each raw lot's quantity is the sum of its live lines (``lots_out_of_line`` is empty), and
  no voided receipt is still in a lot;
- nothing written by the step is dated in a period that was closed before it;
- a refused step wrote nothing.

``test_ledger_rules.py`` and ``test_lot_corrections.py`` hold the narrower properties of
each side; this one mixes them, because the shop, the offline sync and the livestream
claims will.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.inventory import services as inventory
from hoptac.inventory.models import Lot, LotSource, StockMovement
from hoptac.inventory.selectors import lots_out_of_line
from hoptac.ledger import services as ledger
from hoptac.ledger.models import BankPayout, Entry, PayoutMethod
from hoptac.ledger.selectors import closed_through, member_balance
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Receipt, ReceiptStatus
from tests.conftest import make_member

PRICE = 150_000  # đồng per kg
DAYS = 100

MEMBER = st.integers(0, 2)
AGO = st.integers(0, DAYS)
RECEIPT = st.tuples(st.just("receipt"), MEMBER, st.integers(1, 30), AGO)
VOID = st.tuples(st.just("void"), st.integers(0, 50))
LOT = st.tuples(st.just("lot"), st.lists(st.integers(0, 50), min_size=1, max_size=4))
# Receipts, lots and voids are drawn more often, so that sequences such as "a receipt, a lot
# made of it, a void of it" come up within the budget.
STEP = st.one_of(
    RECEIPT,
    RECEIPT,
    RECEIPT,
    VOID,
    VOID,
    LOT,
    LOT,
    st.tuples(st.just("take_out"), st.integers(0, 50)),
    st.tuples(st.just("advance"), MEMBER, st.integers(1, 3_000_000), AGO),
    st.tuples(st.just("payout"), MEMBER, st.integers(1, 100), st.sampled_from([PayoutMethod.CASH, PayoutMethod.BANK])),
    st.tuples(st.just("close"), st.integers(1, 3)),
)


def _state() -> tuple:
    """Everything a refused step must leave as it was."""
    return (
        Entry.objects.count(),
        Receipt.objects.filter(status=ReceiptStatus.VOIDED).count(),
        Lot.objects.count(),
        LotSource.objects.filter(removed_at__isnull=False).count(),
        StockMovement.objects.count(),
        BankPayout.objects.count(),
    )


def _pick(items: list, index: int):
    return items[index % len(items)] if items else None


def _apply(step, *, members, product, receipts, now):
    kind = step[0]
    if kind == "receipt":
        _, who, kg, ago = step
        receipt = offtake.receipt_record(
            member=members[who],
            collected_at=now - dt.timedelta(days=ago, hours=1),
            lines=[offtake.LineInput(product=product, quantity=Decimal(kg), unit="kg")],
        )
        receipts.append(receipt)
    elif kind == "void":
        receipt = _pick(receipts, step[1])
        if receipt is not None:
            offtake.receipt_void(receipt=receipt, reason="Cân sai")
    elif kind == "lot":
        chosen = {(_pick(receipts, i) or receipts).pk for i in step[1]} if receipts else set()
        lines = [line.pk for r in receipts if r.pk in chosen for line in r.lines.all()]
        if lines:
            inventory.raw_lot_create(product=product, receipt_line_ids=lines)
    elif kind == "take_out":
        receipt = _pick(receipts, step[1])
        source = (
            LotSource.objects.filter(receipt_line__receipt=receipt, removed_at__isnull=True).first()
            if receipt
            else None
        )
        if source is not None:
            inventory.lot_receipt_remove(lot=source.lot, receipt=receipt, reason="Ghi nhầm hộ")
    elif kind == "advance":
        _, who, amount, ago = step
        ledger.advance_give(member=members[who], amount=amount, occurred_at=now - dt.timedelta(days=ago))
    elif kind == "payout":
        _, who, percent, method = step
        member = members[who]
        owed = member_balance(member).payable
        amount = owed * percent // 100
        if amount <= 0:
            return
        if method == PayoutMethod.CASH:
            ledger.payout_make(member=member, amount=amount, method=PayoutMethod.CASH)
        else:
            prepared = ledger.payout_prepare(member=member, amount=amount)
            ledger.payout_confirm(payout=prepared, reference="FT26336", transferred_on=timezone.localdate())
    elif kind == "close":
        first = timezone.localdate().replace(day=1)
        for _ in range(step[1]):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        ledger.month_close(month=first)


def _check(members, *, closed_before: dict, entries_before: int) -> None:
    for member in members:
        sums = Entry.objects.filter(member=member).aggregate(p=Sum("payable_delta"), r=Sum("receivable_delta"))
        balance = member_balance(member)
        assert (balance.payable, balance.receivable) == (sums["p"] or 0, sums["r"] or 0)
        through = closed_before[member.pk]
        if through is not None:
            for entry in Entry.objects.filter(member=member, pk__gt=entries_before):
                assert timezone.localdate(entry.occurred_at) > through, (entry.kind, entry.occurred_at, through)
    assert lots_out_of_line() == []
    assert not LotSource.objects.filter(
        removed_at__isnull=True, receipt_line__receipt__status=ReceiptStatus.VOIDED
    ).exists()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=3, max_size=20))
def test_random_days_of_buying_lots_and_payouts_keep_every_record_true(db, coop_a, steps):
    now = timezone.now()
    with tenant(coop_a), transaction.atomic():
        product = Product.objects.create(cooperative=coop_a, name="Chè Shan tuyết", code="CHE")
        offtake.price_set(
            product=product, grade=1, price_vnd=PRICE, effective_from=now - dt.timedelta(days=DAYS + 30)
        )
        members = [
            make_member(coop_a, full_name=f"Hộ {i}", bank_bin="970405", bank_account=f"10020030{i}")
            for i in range(3)
        ]
        receipts: list[Receipt] = []
        refused: set[str] = set()
        for step in steps:
            closed_before = {m.pk: closed_through(m) for m in members}
            entries_before = Entry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            before = _state()
            try:
                _apply(step, members=members, product=product, receipts=receipts, now=now)
            except ValidationError as error:
                refused.add(f"{step[0]}:{error.code}")
                assert _state() == before, f"{step} was refused ({error.code}) but wrote something"
            for receipt in receipts:
                receipt.refresh_from_db()
            _check(members, closed_before=closed_before, entries_before=entries_before)
        transaction.set_rollback(True)

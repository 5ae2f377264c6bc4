"""The province generator writes a valid province (small here; full size on demand with
``hoptac manage province``), on which the services go on working."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from hoptac.coops.models import Cooperative, Member
from hoptac.core.tenancy import tenant
from hoptac.demo.province import Size, province_check, province_generate
from hoptac.inventory.models import Lot
from hoptac.ledger.models import Entry, EntryKind
from hoptac.ledger.selectors import member_balance
from hoptac.offtake import services
from hoptac.offtake.models import Receipt
from hoptac.outbox.models import Message

SMALL = Size(cooperatives=3, households=60, receipts=900)


@pytest.mark.django_db(transaction=True)
def test_a_small_province_is_valid_and_the_services_carry_on(settings):
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off"}
    counts = province_generate(size=SMALL, seed=3)
    assert counts["cooperatives"] == 3 and counts["members"] == 60 and counts["receipts"] == 900
    assert counts["lots"] > 0 and counts["payouts"] > 0
    assert province_check() == []
    coops = list(Cooperative.objects.filter(slug__startswith="tinh-").order_by("pk"))
    # The first cooperative is the big one.
    sizes = [Receipt.unscoped.filter(cooperative=c).count() for c in coops]
    assert sum(sizes) == 900 and all(n >= 0 for n in sizes)
    assert Message.unscoped.filter(cooperative__in=coops).exists()
    assert Lot.unscoped.filter(cooperative__in=coops).count() == counts["lots"]

    # A receipt recorded now takes the next number, its ids do not collide with the
    # generated rows (sequences caught up), and the balance is the ledger's sum.
    coop = max(coops, key=lambda c: Receipt.unscoped.filter(cooperative=c).count())
    with tenant(coop):
        member = Member.objects.order_by("pk").first()
        product = coop_product(coop)
        before = member_balance(member).payable
        receipt = services.receipt_record(
            member=member,
            collected_at=timezone.now() - dt.timedelta(minutes=5),
            lines=[services.LineInput(product=product, quantity=Decimal("10"), unit=product.base_unit)],
            notify=True,
        )
        assert receipt.number == Receipt.objects.count()
        assert member_balance(member).payable == before + receipt.total_vnd
        bought = sum(Entry.objects.filter(member=member).values_list("payable_delta", flat=True))
        assert member_balance(member).payable == bought
        assert Entry.objects.filter(kind=EntryKind.PURCHASE, source_id=str(receipt.pk)).count() == 1
    assert province_check() == []


def coop_product(coop):
    from hoptac.catalog.models import Product

    return Product.objects.order_by("pk").first()


@pytest.mark.django_db(transaction=True)
def test_the_command_refuses_a_used_prefix_and_checks(settings):
    call_command("province", cooperatives=2, households=6, receipts=50, prefix="thu")
    with pytest.raises(CommandError, match="thu-"):
        call_command("province", cooperatives=2, households=6, receipts=50, prefix="thu")
    call_command("province", check_only=True, prefix="thu")
    # Break it: a receipt's total that the ledger does not know.
    Receipt.unscoped.filter(cooperative__slug="thu-0001", number=1).update(total_vnd=1)
    with pytest.raises(CommandError, match="ledger purchases"):
        call_command("province", check_only=True, prefix="thu")

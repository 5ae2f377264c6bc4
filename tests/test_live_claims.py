"""Claims of a live sale: first come first served on the set-aside quantity, the waiting
list, expiry, the stock held in the warehouse, and confirmation into one shop order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoptac.core.tenancy import tenant
from hoptac.inventory.selectors import available_by_product
from hoptac.live.models import Claim, ClaimState, LiveBuyer, LiveComment, LiveItem
from hoptac.live.services.claims import (
    buyer_confirm,
    claim_add,
    claim_release,
    claims_expire,
    comment_add,
    live_end,
)
from hoptac.shop.models import Channel, Order, PaymentMethod
from hoptac.shop.services.orders import Buyer
from tests.live_fixtures import on_air
from tests.shop_fixtures import BUYER, hanoi_commune

pytestmark = pytest.mark.django_db


def _item(session, code):
    return LiveItem.objects.get(session=session, code=code)


def _free(item) -> int:
    return int(available_by_product([item.listing.product_id]).get(item.listing.product_id, Decimal(0)))


def _taken(item) -> int:
    return sum(c.quantity for c in Claim.objects.filter(item=item, state__in=("held", "ordered")))


def test_starting_a_live_sets_its_packs_aside(coop_a, live_a):
    with tenant(coop_a):
        m1 = _item(live_a, "M1")
        assert _free(m1) == 10  # 20 in stock, 10 set aside for the live


def test_comments_claim_first_come_first_served_then_wait(coop_a, live_a):
    with tenant(coop_a):
        first = comment_add(session=live_a, author_name="Lò Thị Mai", text="chốt M1 x6 0912345678")
        second = comment_add(session=live_a, author_name="Vàng Seo Pao", text="m1 5 0987654321")
        third = comment_add(session=live_a, author_name="Giàng A Lử", text="M1 2 0977111222")
        assert [c.state for c in first.claims] == [ClaimState.HELD]
        # 4 left: 5 do not fit; and 2 must not jump the queue.
        assert [c.state for c in second.claims] == [ClaimState.WAITING]
        assert [c.state for c in third.claims] == [ClaimState.WAITING]
        claim_release(claim=first.claims[0], note="khách đổi ý")
        states = {c.buyer.name: c.state for c in Claim.objects.filter(item__code="M1").select_related("buyer")}
        assert states == {"Lò Thị Mai": "released", "Vàng Seo Pao": "held", "Giàng A Lử": "held"}


def test_the_same_comment_twice_is_one_claim(coop_a, live_a):
    with tenant(coop_a):
        comment_add(session=live_a, author_name="Lò Thị Mai", text="chốt M1 x2 0912345678")
        again = comment_add(session=live_a, author_name="Lo Thi Mai", text="Chốt m1 X2   0912345678")
        assert again.duplicate and not again.claims
        assert Claim.objects.count() == 1
        assert LiveComment.objects.count() == 2


def test_a_buyers_comments_merge_by_phone_or_name(coop_a, live_a):
    with tenant(coop_a):
        comment_add(session=live_a, author_name="Lò Thị Mai", text="M1 2")
        comment_add(session=live_a, author_name="Lò Thị Mai", text="thêm C2 1 nhé sđt 0912345678")
        comment_add(session=live_a, author_name="Mai Lo", text="chốt c2 1 0912345678")
        assert LiveBuyer.objects.count() == 1
        buyer = LiveBuyer.objects.get()
        assert buyer.phone == "0912345678"
        assert buyer.claims.count() == 3


def test_expired_claims_move_the_waiting_list_up(coop_a, live_a):
    now = timezone.now()
    with tenant(coop_a):
        comment_add(session=live_a, author_name="A", text="M1 10 0912345678", now=now)
        late = comment_add(session=live_a, author_name="B", text="M1 3 0987654321", now=now + dt.timedelta(minutes=5))
        assert late.claims[0].state == ClaimState.WAITING
        assert claims_expire(now=now + dt.timedelta(minutes=121)) == 1
        late.claims[0].refresh_from_db()
        assert late.claims[0].state == ClaimState.HELD


def test_after_the_live_unclaimed_packs_go_back_to_the_shop(coop_a, live_a):
    now = timezone.now()
    with tenant(coop_a):
        m1 = _item(live_a, "M1")
        comment_add(session=live_a, author_name="A", text="M1 3 0912345678", now=now)
        live_end(session=live_a)
        assert _free(m1) == 17  # 20 - the 3 still held
        claims_expire(now=now + dt.timedelta(hours=3))
        assert _free(m1) == 20


def test_confirming_makes_one_order_at_live_prices(coop_a, live_a):
    with tenant(coop_a):
        m1 = _item(live_a, "M1")
        comment_add(session=live_a, author_name="Lò Thị Mai", text="chốt M1 x2 0912345678")
        comment_add(session=live_a, author_name="Lò Thị Mai", text="C2 1 0912345678")
        buyer = LiveBuyer.objects.get()
        details = Buyer(
            name="Lò Thị Mai", phone="0912345678", province_code=1, commune_code=hanoi_commune(), street=BUYER["street"]
        )
        order = buyer_confirm(buyer=buyer, details=details, delivery="post", payment=PaymentMethod.COD)
        assert order.channel == Channel.LIVE and order.channel_ref == live_a.code
        assert order.subtotal_vnd == 2 * 200_000 + 150_000
        assert set(Claim.objects.values_list("state", flat=True)) == {"ordered"}
        assert _free(m1) == 10  # still 10 set aside on air (8 for the live, 2 in the order)
        with pytest.raises(ValidationError):
            buyer_confirm(buyer=buyer, details=details, delivery="post", payment=PaymentMethod.COD)
        assert Order.objects.count() == 1


def test_staff_claims_and_bad_quantities(coop_a, live_a):
    with tenant(coop_a):
        m1 = _item(live_a, "M1")
        claim = claim_add(item=m1, buyer_name="Chị Hoa", phone="0912 345 678", quantity=2)
        assert claim.state == ClaimState.HELD and claim.buyer.phone == "0912345678"
        with pytest.raises(ValidationError):
            claim_add(item=m1, buyer_name="Chị Hoa", quantity=0)
        with pytest.raises(ValidationError):
            claim_add(item=m1, buyer_name="", phone="", quantity=1)


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("claim"), st.integers(0, 5), st.integers(1, 6)),
        st.tuples(st.just("release"), st.integers(0, 30)),
        st.tuples(st.just("expire"), st.integers(0, 200)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_no_interleaving_gives_out_more_than_the_live_quantity(coop_a, ops):
    """Any sequence of claims, releases and expiries: held + ordered ≤ quantity, and a
    waiting claim is never held while an earlier one of the same item still waits."""
    with tenant(coop_a):
        Claim.objects.all().delete()
        session = on_air(coop_a, items=(("M1", 12, 7, 100_000),), hold_minutes=30)
        item = _item(session, "M1")
        start = timezone.now()
        clock = 0
        for op in ops:
            clock += 1
            now = start + dt.timedelta(minutes=clock)
            if op[0] == "claim":
                comment_add(
                    session=session, author_name=f"Khách {op[1]}", text=f"M1 {op[2]} lần {clock}", now=now
                )
            elif op[0] == "release":
                open_claims = list(Claim.objects.filter(item=item, state__in=("held", "waiting")))
                if open_claims:
                    claim_release(claim=open_claims[op[1] % len(open_claims)], now=now)
            else:
                clock += op[1]
                claims_expire(now=start + dt.timedelta(minutes=clock))
            assert _taken(item) <= item.quantity
            waiting = list(Claim.objects.filter(item=item, state="waiting").values_list("id", flat=True))
            if waiting:
                # The first in line waits only because it does not fit, and nobody after it
                # was given packs since it started waiting.
                first = Claim.objects.get(pk=waiting[0])
                assert first.quantity > item.quantity - _taken(item)
                assert not Claim.objects.filter(
                    item=item, state="held", id__gt=first.pk, held_at__gt=first.created_at
                ).exists()
            assert _free(item) == 12 - 7


def test_after_the_live_the_waiting_list_moves_up_only_into_packs_still_held(coop_a):
    """Ended with A holding 5 and B waiting for 8 of 10: the other 5 went back to the shop,
    so when A's claim expires B (8) cannot be held from those 5, which go back to the shop too."""
    now = timezone.now()
    with tenant(coop_a):
        session = on_air(coop_a, items=(("M1", 20, 10, 100_000),))
        item = _item(session, "M1")
        comment_add(session=session, author_name="A", text="M1 5 0912345678", now=now)
        late = comment_add(session=session, author_name="B", text="M1 8 0987654321", now=now)
        assert late.claims[0].state == ClaimState.WAITING
        live_end(session=session)
        assert _free(item) == 15
        claims_expire(now=now + dt.timedelta(hours=3))
        late.claims[0].refresh_from_db()
        assert late.claims[0].state == ClaimState.WAITING
        assert _free(item) == 20  # nobody can take A's 5 any more: they go back to the shop


def test_a_buyer_who_moves_up_is_told_when_they_have_their_link(coop_a, live_a):
    from hoptac.live.services.links import SOURCE_TYPE, link_send
    from hoptac.outbox.models import Message

    now = timezone.now()
    with tenant(coop_a):
        first = comment_add(session=live_a, author_name="A", text="M1 10 0912345678", now=now)
        comment_add(session=live_a, author_name="B", text="C2 1 0987654321", now=now)
        late = comment_add(session=live_a, author_name="B", text="M1 2 0987654321", now=now)
        buyer = late.claims[0].buyer
        link_send(buyer=buyer, now=now)
        before = Message.objects.filter(source_type=SOURCE_TYPE, source_id=str(buyer.pk)).count()
        claim_release(claim=first.claims[0], now=now)
        texts = list(
            Message.objects.filter(source_type=SOURCE_TYPE, source_id=str(buyer.pk)).values_list("text", flat=True)
        )
        assert len(texts) == before + 1
        assert f"/mua/{buyer.token}/" in texts[-1]

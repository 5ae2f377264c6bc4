"""The live-selling demo: an ended Friday live at Tuấn Dũng with comments of every kind,
buyers, claims in every state and three orders (one paid), a live planned for next week,
and Po Mỷ on air; consistent with the services, and idempotent."""

from __future__ import annotations

import time

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from hoptac.accounts.services import membership_set
from hoptac.api import services as api_services
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.demo.loaders import load_all
from hoptac.inventory.selectors import available_by_product
from hoptac.live import demo as live_demo
from hoptac.live.models import (
    TAKING,
    Claim,
    ClaimState,
    LiveBuyer,
    LiveComment,
    LiveItem,
    LiveSession,
    LiveStatus,
)
from hoptac.shop.models import CashEntry, Channel, Order, PaymentState
from tests.conftest import make_user


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "SMS_BACKEND": "file", "FILE_DIR": str(tmp_path)}
    started = time.perf_counter()
    loaded = load_all()
    print(f"\nwhole demo: {time.perf_counter() - started:.1f} s")
    return loaded


def test_demo_lives(demo):
    assert demo["live"] == {"products": 2, "lives": 3, "comments": 84, "orders": 3}
    friday = LiveSession.unscoped.select_related("cooperative").get(title=live_demo.FRIDAY_LIVE)
    coop = friday.cooperative
    assert coop.slug == "tuan-dung" and friday.status == LiveStatus.ENDED and friday.platform == "facebook"
    assert friday.starts_at.astimezone(timezone.get_current_timezone()).weekday() == 4  # a Friday
    assert 2 <= (timezone.now() - friday.starts_at).days <= 9
    with tenant(coop):
        assert list(LiveItem.objects.filter(session=friday).values_list("code", flat=True)) == [
            "M1",
            "M2",
            "C1",
        ]
        comments = LiveComment.objects.filter(session=friday)
        assert comments.count() == len(live_demo.COMMENTS) == 70
        assert comments.filter(duplicate_of__isnull=False).count() >= 5
        assert (
            comments.filter(is_order=False, duplicate_of__isnull=True).count() >= 15
        )  # questions, greetings
        assert comments.filter(needs_look=True, look_reason__contains="phone").exists()
        claims = Claim.objects.filter(session=friday)
        assert set(claims.values_list("state", flat=True)) == set(ClaimState.values)
        for item in LiveItem.objects.filter(session=friday):  # never more than set aside
            taken = claims.filter(item=item, state__in=TAKING).aggregate(n=Sum("quantity"))["n"] or 0
            assert taken <= item.quantity
        # The claims still held were moved up from the waiting list recently: still open.
        assert not claims.filter(state=ClaimState.HELD, expires_at__lte=timezone.now()).exists()
        buyers = LiveBuyer.objects.filter(session=friday)
        assert buyers.filter(state=LiveBuyer.State.ORDERED).count() == 3
        orders = Order.objects.filter(channel=Channel.LIVE, channel_ref=friday.code)
        assert orders.count() == 3
        paid = orders.get(payment_state=PaymentState.PAID)
        assert CashEntry.objects.filter(order=paid).aggregate(s=Sum("amount_vnd"))["s"] == paid.total_vnd
        assert orders.filter(payment_method="cod").count() == 1
        stock = available_by_product(
            LiveItem.objects.filter(session=friday).values_list("listing__product_id", flat=True)
        )
        assert all(left > 0 for left in stock.values())
        planned = LiveSession.objects.get(title=live_demo.NEXT_LIVE)
        assert planned.status == LiveStatus.PLANNED and planned.starts_at > timezone.now()
    on_air = LiveSession.unscoped.select_related("cooperative").get(title=live_demo.PO_MY_LIVE)
    assert on_air.cooperative.slug == "po-my" and on_air.status == LiveStatus.LIVE
    with tenant(on_air.cooperative):
        assert Claim.objects.filter(session=on_air, state=ClaimState.HELD).count() >= 5
        assert Claim.objects.filter(session=on_air, state=ClaimState.WAITING).exists()

    # The API reads it: the Friday live's counts as the demo made them.
    user = make_user("0911000777", "Bán hàng demo")
    membership_set(user=user, cooperative=coop, role=Role.SALES)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_services.token_create(user=user, name='demo').secret}")
    live = client.get(f"/api/v1/c/tuan-dung/lives/{friday.code}").json()
    assert live["counts"]["comments"] == 70 and live["counts"]["buyers_ordered"] == 3
    assert all(live["counts"]["claims"][state] > 0 for state in ClaimState.values)

    counts = (
        LiveSession.unscoped.count(),
        LiveComment.unscoped.count(),
        Claim.unscoped.count(),
        Order.unscoped.count(),
        LiveItem.unscoped.count(),
    )
    again = load_all()
    assert again["live"] == {"products": 0, "lives": 0, "comments": 0, "orders": 0}
    assert (
        LiveSession.unscoped.count(),
        LiveComment.unscoped.count(),
        Claim.unscoped.count(),
        Order.unscoped.count(),
        LiveItem.unscoped.count(),
    ) == counts

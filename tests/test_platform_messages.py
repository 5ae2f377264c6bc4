"""Messages the rest of the platform sends through the outbox, in the transaction of
their cause: purchase receipts, voids, price changes, and orders to buyers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.lib.sms import sms_length
from hoptac.offtake import services
from hoptac.outbox import dispatch
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Channel, Kind, Message, Status


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "SMS_BACKEND": "file", "FILE_DIR": str(tmp_path)}


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        services.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
    return product


def _record(coop, member, product, qty="3.5"):
    with tenant(coop):
        return services.receipt_record(
            member=member,
            collected_at=timezone.now(),
            lines=[services.LineInput(product=product, quantity=Decimal(qty), unit="l")],
        )


def test_receipt_queues_one_sms_to_the_member_with_the_balance(coop_a, member_a, honey):
    receipt = _record(coop_a, member_a, honey)
    [message] = Message.unscoped.filter(kind=Kind.RECEIPT)
    assert message.member == member_a and message.channel == Channel.SMS
    assert message.source_type == "receipt" and message.source_id == str(receipt.pk)
    assert receipt.code in message.body and "HTX con no ong/ba 1.750.000d" in message.body
    assert "3,5 lit x 500.000d/lit = 1.750.000d" in message.body
    assert sms_length(message.body).encoding == "GSM-7" and message.segments == 1
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_void_sends_the_voided_receipt(coop_a, member_a, honey):
    receipt = _record(coop_a, member_a, honey)
    with tenant(coop_a):
        services.receipt_void(receipt=receipt, reason="Ghi nhầm")
    texts = list(Message.unscoped.filter(kind=Kind.RECEIPT).order_by("id").values_list("body", flat=True))
    assert len(texts) == 2 and "DA HUY" in texts[1] and "HTX va ong/ba khong con no nhau" in texts[1]


def test_receipt_and_its_message_are_one_transaction(coop_a, member_a, honey, monkeypatch):
    """If writing the message fails, the receipt is not stored either (and vice versa)."""
    from hoptac.offtake import notices

    def boom(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(notices.outbox, "queue", boom)
    with pytest.raises(RuntimeError):
        _record(coop_a, member_a, honey)  # receipt_record is its own transaction
    with tenant(coop_a):
        from hoptac.offtake.models import Receipt

        assert Receipt.objects.count() == 0
    assert Message.unscoped.count() == 0


def test_cooperative_can_turn_receipt_messages_off(coop_a, member_a, honey):
    with tenant(coop_a):
        rules = outbox.messaging_settings()
        rules.send_receipts = False
        rules.save()
    _record(coop_a, member_a, honey)
    assert not Message.unscoped.filter(kind=Kind.RECEIPT).exists()


def test_price_change_tells_members_with_an_agreement_in_a_current_season(coop_a, member_a, member_a2, honey):
    today = timezone.localdate()
    with tenant(coop_a):
        season = services.season_create(
            product=honey,
            name="Vụ mật 2026",
            starts_on=today - dt.timedelta(days=10),
            ends_on=today + dt.timedelta(days=60),
        )
        services.agreement_create(
            member=member_a,
            season=season,
            committed_quantity=Decimal("50"),
            committed_unit="l",
            price_rule="list",
            signed_on=today - dt.timedelta(days=5),
        )
        services.price_set(product=honey, grade=1, price_vnd=500_000)  # unchanged: no message
        assert not Message.objects.filter(kind=Kind.PRICE).exists()
        services.price_set(product=honey, grade=1, price_vnd=520_000)
        [message] = Message.objects.filter(kind=Kind.PRICE)
    assert message.member == member_a  # member_a2 holds no agreement
    assert "520.000d/lit" in message.body and "(truoc day 500.000d/lit)" in message.body
    assert "Mat ong bac ha" in message.body


def test_order_messages_to_a_buyer_by_phone(coop_a):
    """The shop will call this for order confirmations and status to buyers."""
    with tenant(coop_a):
        message = outbox.queue(
            kind=Kind.ORDER,
            text="Đơn hàng DH-000123 đã được xác nhận. Tổng 350.000đ.",
            phone="0966000111",
            name="Chị Lan (Hà Nội)",
            source_type="order",
            source_id="123",
        )
    assert message.member is None and message.to_phone == "0966000111"
    assert message.body == "Don hang DH-000123 da duoc xac nhan. Tong 350.000d."
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.SENT

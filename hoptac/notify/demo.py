"""Demo of messages at HTX Tuấn Dũng: how members are reached (Zalo then SMS, the app,
SMS only), a member who texted HUY, a buying-day announcement sent last week to the honey
agreement holders, a members' meeting scheduled for next week, the SMS of the latest
purchase receipts, texts members sent in (GIA, SODU) and two offers to sell.

Messages are only made when the SMS transport is a development one (files or console):
the demo never sends to the made-up phone numbers through a real gateway.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from hoptac.accounts.models import User
from hoptac.accounts.services import membership_set, user_create
from hoptac.catalog.models import Product
from hoptac.coops.models import Cooperative, Member, MemberStatus
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.notify import commands
from hoptac.notify import services as notify
from hoptac.notify.models import (
    Announcement,
    Audience,
    Command,
    InboundSms,
    MemberText,
    OfferStatus,
    SellOffer,
)
from hoptac.offtake import notices
from hoptac.offtake.models import Receipt, ReceiptStatus, Season
from hoptac.outbox import dispatch
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Kind, Message, Status
from hoptac.outbox.transports import transport_for

DEMO_PASSWORD = "demo1234"  # noqa: S105 - the published demo password
MEMBER_LOGIN = "0911000004"


def _shift(queryset, days: int) -> None:
    """Move demo rows back in time, as if they had been sent ``days`` ago."""
    delta = dt.timedelta(days=days)
    for message in queryset:
        Message.unscoped.filter(pk=message.pk).update(
            created_at=message.created_at - delta,
            next_attempt_at=message.next_attempt_at - delta,
            sent_at=(message.sent_at - delta) if message.sent_at else None,
        )


def _tuan_dung(coop: Cooperative, rng: random.Random) -> int:
    chair = User.objects.filter(phone="0911000001").first()
    accountant = User.objects.filter(phone="0911000002").first()
    members = list(Member.objects.filter(status=MemberStatus.ACTIVE).exclude(phone=None).order_by("pk"))
    if not members:
        return 0

    # How members are reached: a quarter use Zalo first, one household has the app.
    for member in members[::4]:
        Member.objects.filter(pk=member.pk).update(channels="zalo,sms")
    household = members[1]
    Member.objects.filter(pk=household.pk).update(channels="app,sms")
    user = User.objects.filter(phone=MEMBER_LOGIN).first() or user_create(
        phone=MEMBER_LOGIN, password=DEMO_PASSWORD, full_name=household.full_name
    )
    membership_set(user=user, cooperative=coop, role=Role.MEMBER, member=household)
    stopped = members[7]
    Member.objects.filter(pk=stopped.pk).update(messages_stopped_at=timezone.now() - dt.timedelta(days=12))

    rules = outbox.messaging_settings(coop)
    rules.sms_quota_segments = 3000
    rules.save()

    honey = Product.objects.filter(code="MAT").first()
    season = Season.objects.filter(product=honey).order_by("-starts_on").first() if honey else None
    made = 0
    # A buying day announced last week to the agreement holders.
    if season is not None:
        buying = notify.announcement_save(
            title="Thu mua mật ong đợt 3",
            body=(
                "HTX Tuấn Dũng: thu mua mật ong bạc hà ngày {ngay} tại các điểm Pả Vi, Sủng Là. "
                "Giá loại 1: {gia}/lít. Mời {ten} mang sổ thành viên."
            ),
            audience=Audience.SEASON,
            season=season,
            product=honey,
            event_date=timezone.localdate() - dt.timedelta(days=3),
            actor=accountant,
        )
        buying = notify.announcement_send(buying, actor=accountant)
        made += buying.recipients
    # The latest purchase receipts, by SMS.
    for receipt in Receipt.objects.filter(status=ReceiptStatus.CONFIRMED).order_by("-collected_at")[:12]:
        notices.send_receipt(receipt, actor=accountant)
        made += 1
    dispatch.drain(max_seconds=120)
    sent = Message.objects.filter(status=Status.SENT)
    # Most were delivered (the gateway's reports); they went out about a week ago.
    for message in sent:
        if rng.random() < 0.85:
            outbox.report_delivery(provider=message.provider, provider_id=message.provider_id, delivered=True)
    _shift(Message.objects.filter(kind=Kind.ANNOUNCEMENT), 6)
    Announcement.objects.filter(title="Thu mua mật ong đợt 3").update(
        created_at=timezone.now() - dt.timedelta(days=6), queued_at=timezone.now() - dt.timedelta(days=6)
    )

    # A members' meeting, scheduled for next week.
    meeting = notify.announcement_save(
        title="Họp thành viên cuối năm",
        body="HTX Tuấn Dũng mời {ten} họp tổng kết năm lúc 8h ngày {ngay} tại nhà văn hoá xã.",
        audience=Audience.ALL,
        event_date=timezone.localdate() + dt.timedelta(days=9),
        actor=chair,
    )
    when = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=6), dt.time(7, 30))
    )
    meeting = notify.announcement_send(meeting, actor=chair, scheduled_at=when)
    made += meeting.recipients

    # Texts members sent in, and two offers to sell.
    for number, (member, word, command) in enumerate(
        [(members[2], "GIA", Command.PRICES), (members[3], "SODU", Command.BALANCE)], start=1
    ):
        inbound = InboundSms.objects.create(
            gateway="demo", gateway_id=f"demo-{number}", phone=member.phone, text=word, known=True
        )
        text = commands.prices_text(coop) if command == Command.PRICES else commands.balance_text(member)
        reply = outbox.queue(
            kind=Kind.REPLY,
            text=text,
            member=member,
            channels=["sms"],
            source_type="inbound",
            source_id=inbound.pk,
        )
        MemberText.objects.create(
            cooperative=coop, inbound=inbound, member=member, command=command, reply=reply
        )
    if honey is not None:
        for number, (member, quantity, status) in enumerate(
            [
                (members[5], Decimal("15"), OfferStatus.OPEN),
                (members[9], Decimal("40"), OfferStatus.ANSWERED),
            ],
            start=3,
        ):
            raw = f"BAN mat ong {quantity}"
            inbound = InboundSms.objects.create(
                gateway="demo", gateway_id=f"demo-{number}", phone=member.phone, text=raw, known=True
            )
            offer = SellOffer.objects.create(
                cooperative=coop,
                member=member,
                product=honey,
                product_text="mat ong",
                quantity=quantity,
                unit="l",
                raw_text=raw,
                status=status,
            )
            MemberText.objects.create(
                cooperative=coop, inbound=inbound, member=member, command=Command.SELL, offer=offer
            )
            if status == OfferStatus.ANSWERED:
                answer = "HTX nhan mua 40 lit mat ong cua ong/ba, mang den diem Pa Vi sang thu Bay. Cam on!"
                outbox.queue(
                    kind=Kind.REPLY,
                    text=answer,
                    member=member,
                    channels=["sms"],
                    source_type="offer",
                    source_id=offer.pk,
                )
                SellOffer.objects.filter(pk=offer.pk).update(
                    answer=answer, answered_by=accountant, answered_at=timezone.now() - dt.timedelta(hours=20)
                )
    dispatch.drain(max_seconds=60)
    return made


def load_demo(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda _text: None)
    transport = transport_for("sms")
    if transport is None or not transport.development:
        say("messages: skipped (a real SMS gateway is configured; the demo never sends through it)")
        return {}
    counts = {}
    coop = Cooperative.objects.filter(slug="tuan-dung").first()
    if coop is None:
        return counts
    with tenant(coop):
        if Announcement.objects.exists():
            return {"tuan-dung": 0}
        counts["tuan-dung"] = _tuan_dung(coop, random.Random("hoptac-notify-tuan-dung"))  # noqa: S311
    say(f"tuan-dung: +{counts['tuan-dung']} messages")
    return counts

"""The whole demo (hoptac demo): buying seasons, ledgers, catalogue and lots, idempotent."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hoptac.catalog.models import Certificate
from hoptac.coops.models import Cooperative, Member
from hoptac.core.tenancy import tenant
from hoptac.demo.loaders import load_all
from hoptac.federation.models import DirectoryEntry
from hoptac.inventory.models import Lot, StockMovement
from hoptac.inventory.selectors import lot_origin, lot_steps
from hoptac.ledger.models import Entry, EntryKind
from hoptac.lib.places import TUYEN_QUANG
from hoptac.notify.models import Announcement, OfferStatus, SellOffer
from hoptac.offtake.models import Agreement, Receipt, ReceiptStatus
from hoptac.outbox.models import Kind, Message, Status


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "SMS_BACKEND": "file", "FILE_DIR": str(tmp_path)}
    load_all()


def coop(slug):
    return Cooperative.objects.get(slug=slug)


def check_honey_season_at_tuan_dung():
    with tenant(coop("tuan-dung")):
        active = Member.objects.filter(status="active").count()
        sellers = Receipt.objects.filter(status=ReceiptStatus.CONFIRMED).values("member").distinct().count()
        assert sellers >= active * 0.8  # receipts from most households
        assert Agreement.objects.count() >= active * 0.7
        assert Entry.objects.filter(kind=EntryKind.ADVANCE).exists()
        assert Entry.objects.filter(kind=EntryKind.INPUT_LOAN, item="Thùng ong").exists()
        assert Entry.objects.filter(kind=EntryKind.PAYOUT).exists()
        assert Receipt.objects.filter(status=ReceiptStatus.VOIDED).count() == 1
        assert not Receipt.objects.filter(collected_at__gt=timezone.now()).exists()


def check_tea_season_at_tay_con_linh():
    with tenant(coop("tay-con-linh")):
        assert Receipt.objects.count() > 100


def check_lots_with_households_steps_and_certificates():
    with tenant(coop("tuan-dung")):
        raw = Lot.objects.get(kind="raw")
        assert lot_origin(raw).households == 40
        # The honey jar's lot (the live demo adds lots of a bottle and a gift box).
        finished = Lot.objects.get(kind="finished", product__code="MAT")
        assert lot_origin(finished).households == 40
        assert len(lot_steps(finished)) == 2
        assert StockMovement.objects.filter(lot=finished).exists()
    for slug in ("tay-con-linh", "phin-ho"):
        with tenant(coop(slug)):
            finished = Lot.objects.get(kind="finished")
            assert len(lot_steps(finished)) == 4
    today = timezone.localdate()
    ocop = Certificate.unscoped.filter(kind="ocop")
    assert ocop.count() >= 3
    assert any(c.expires_on < today for c in ocop)  # one OCOP certificate has expired
    assert any(c.expires_on >= today for c in ocop)
    assert all(c.expires_on == c.issued_on.replace(year=c.issued_on.year + 3) for c in ocop)
    assert Certificate.unscoped.filter(kind="ocop", stars=5).exists()


def check_the_province_s_directory():
    """The alliance's list, imported like an officer's upload: the five demo cooperatives
    linked by name and commune, and the province's others not on the platform yet."""
    entries = DirectoryEntry.objects.filter(province_code=TUYEN_QUANG)
    linked = entries.filter(cooperative__isnull=False)
    assert linked.count() == Cooperative.objects.filter(province_code=TUYEN_QUANG).count() == 5
    assert entries.filter(cooperative__isnull=True).count() >= 12
    assert entries.get(name="HTX Gạo Séng Cù Xín Mần").sectors == ["rice"]
    assert entries.filter(kind="tht").count() >= 3


def check_messages_at_tuan_dung(tmp_path):
    with tenant(coop("tuan-dung")):
        sent = Announcement.objects.get(title="Thu mua mật ong đợt 3")
        scheduled = Announcement.objects.get(title="Họp thành viên cuối năm")
        assert sent.status == "sent" and sent.recipients > 20
        assert scheduled.status == "scheduled" and scheduled.scheduled_at > timezone.now()
        assert Message.objects.filter(source_id=str(scheduled.pk), status=Status.QUEUED).exists()
        assert Message.objects.filter(kind=Kind.RECEIPT, status__in=[Status.SENT, Status.DELIVERED]).exists()
        assert Message.objects.filter(status=Status.DELIVERED).count() > 20
        assert Message.objects.filter(error_code="stopped").exists()  # the household that texted HUY
        assert SellOffer.objects.filter(status=OfferStatus.OPEN).count() == 1
        assert Message.objects.filter(channel="app", status=Status.DELIVERED).exists()  # 0911000004's board
        # README's example of an SMS command uses this household's phone.
        assert Member.objects.get(phone="0772017228").full_name == "Cử Thị Mỷ"
    # Sent through the development backend: files, nothing left the machine.
    assert (
        len(list(tmp_path.glob("sms/*/*.json")))
        == Message.unscoped.filter(channel="sms", status__in=["sent", "delivered"]).count()
    )


def test_the_demo_s_seasons_lots_and_messages(demo, tmp_path):
    """One load of the whole demo (about 25 s), read five ways: loading it once per check
    cost CI a minute and a half on each engine."""
    check_honey_season_at_tuan_dung()
    check_tea_season_at_tay_con_linh()
    check_lots_with_households_steps_and_certificates()
    check_messages_at_tuan_dung(tmp_path)
    check_the_province_s_directory()


def test_demo_never_makes_messages_with_a_real_gateway(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "SMS_BACKEND": "esms", "FILE_DIR": str(tmp_path)}
    load_all()
    assert not Message.unscoped.exists()


def test_demo_is_idempotent(demo):
    counts = (
        Message.unscoped.count(),
        Receipt.unscoped.count(),
        Entry.unscoped.count(),
        Lot.unscoped.count(),
        Certificate.unscoped.count(),
    )
    result = load_all()
    assert result["offtake"] == {"tuan-dung": 0, "tay-con-linh": 0}
    assert result["directory"] == {"entries": 0}
    assert (
        Receipt.unscoped.count(),
        Entry.unscoped.count(),
        Lot.unscoped.count(),
        Certificate.unscoped.count(),
    ) == counts[1:]
    assert Message.unscoped.count() == counts[0]

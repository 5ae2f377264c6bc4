"""The dashboard's messages panel: what needs staff attention, and a member's notices."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hoptac.accounts.services import membership_set
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.notify.models import SellOffer
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Kind, Message, Status


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "FILE_DIR": str(tmp_path)}


def test_staff_see_offers_held_and_uncertain_messages(login, coop_a, chair_a, chair_b, member_a, member_a2):
    with tenant(coop_a):
        SellOffer.objects.create(
            cooperative=coop_a, member=member_a, raw_text="BAN mat 10", product_text="mat"
        )
        held = outbox.queue(kind=Kind.OTHER, text="Mot", member=member_a)
        doubt = outbox.queue(kind=Kind.OTHER, text="Hai", member=member_a2)
    Message.unscoped.filter(pk=held.pk).update(status=Status.HELD)
    Message.unscoped.filter(pk=doubt.pk).update(status=Status.DOUBT)
    page = login(chair_a).get("/c/coop-a/").content.decode()
    assert "/c/coop-a/messages/offers/" in page
    assert "/c/coop-a/messages/outbox/?status=held" in page
    assert "/c/coop-a/messages/outbox/?status=doubt" in page
    other = login(chair_b).get("/c/coop-b/").content.decode()
    assert "/messages/offers/" not in other and "status=held" not in other


def test_nothing_to_look_at_shows_no_panel(login, coop_a, chair_a):
    page = login(chair_a).get("/c/coop-a/").content.decode()
    assert 'id="msg-panel-title"' not in page


def test_member_account_sees_its_latest_notices(login, coop_a, member_a, member_a2):
    from tests.conftest import make_user

    user = make_user("0911000199", "Hộ Đức")
    membership_set(user=user, cooperative=coop_a, role=Role.MEMBER, member=member_a)
    with tenant(coop_a):
        mine = outbox.queue(kind=Kind.ANNOUNCEMENT, text="Họp thành viên thứ Bảy", member=member_a)
        other = outbox.queue(kind=Kind.ANNOUNCEMENT, text="Tin riêng cho hộ khác", member=member_a2)
    Message.unscoped.filter(pk__in=[mine.pk, other.pk]).update(status=Status.SENT, sent_at=timezone.now())
    page = login(user).get("/c/coop-a/").content.decode()
    assert "Họp thành viên thứ Bảy" in page
    assert "Tin riêng cho hộ khác" not in page

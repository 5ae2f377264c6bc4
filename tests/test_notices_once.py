"""A member's notices have one definition (``notify.selectors.notices_for``), used by the
dashboard's panel and by the notice board: an announcement whose first channel failed, so
that a fallback row was written for the next channel, shows once on both (issue 9)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hoptac.accounts.services import membership_set
from hoptac.coops.models import Member
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.outbox import dispatch
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Channel, Kind, Message, Status
from hoptac.outbox.transports import Outcome
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "SMS_BACKEND": "file", "FILE_DIR": str(tmp_path)}


def test_an_announcement_whose_first_channel_failed_shows_once(login, coop_a, member_a):
    user = make_user("0911000198", "Hộ Páo")
    membership_set(user=user, cooperative=coop_a, role=Role.MEMBER, member=member_a)
    with tenant(coop_a):
        Member.objects.filter(pk=member_a.pk).update(channels="app,sms")
        member_a.refresh_from_db()
        first = outbox.queue(kind=Kind.ANNOUNCEMENT, text="Họp thành viên thứ Bảy", member=member_a)
    assert first.channel == Channel.APP and first.fallbacks == "sms"
    # The first channel fails for good: the row is failed and the SMS row is written.
    [claimed] = dispatch.claim("worker-1")
    assert dispatch.record(claimed, "worker-1", Outcome.permanent("gone", "No such account")) == Status.FAILED
    fallback = Message.unscoped.get(previous=first)
    Message.unscoped.filter(pk=fallback.pk).update(status=Status.SENT, sent_at=timezone.now())
    assert Message.unscoped.filter(member=member_a, kind=Kind.ANNOUNCEMENT).count() == 2

    client = login(user)
    dashboard = client.get("/c/coop-a/").content.decode()
    assert dashboard.count("Họp thành viên thứ Bảy") == 1
    board = client.get("/c/coop-a/messages/notices/").content.decode()
    assert board.count("Họp thành viên thứ Bảy") == 1

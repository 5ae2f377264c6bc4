"""Onboarding without a shell (issue 15, item 2): the officer starts a cooperative from a
directory entry and invites its chair by SMS; the chair sets a password from the link;
expired, reused and wrong links; requests to join, approved or declined with a reason."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from hoptac.accounts.models import Membership
from hoptac.coops.models import Cooperative, InvitationStatus, StaffInvitation
from hoptac.core.models import AuditEvent
from hoptac.core.roles import Role
from hoptac.federation import services
from hoptac.federation.models import DirectoryEntry, JoinRequest, JoinStatus
from hoptac.outbox.models import Message
from tests.conftest import MEO_VAC, PASSWORD, make_user

LINK = re.compile(r"https?://[^\s]+(/invitation/[\w-]+/)")
CHAIR_PHONE = "0913555666"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def entry(db):
    return DirectoryEntry.objects.create(
        province_code=8,
        name="HTX Mật ong Sủng Là",
        name_key="mat ong sung la",
        kind="htx",
        tax_code="5100777001",
        commune_code=MEO_VAC,
        sectors=["honey"],
        chair_name="Vàng Mí Lử",
        phone=CHAIR_PHONE,
    )


def start(client, entry, **data):
    body = {"slug": "sung-la", "chair_name": "Vàng Mí Lử", "chair_phone": "0913 555 666", **data}
    return client.post(f"/alliance/entry/{entry.code}/start/", body)


def sms_link(phone: str = CHAIR_PHONE) -> str:
    message = Message.unscoped.filter(source_type="invitation", to_phone=phone).latest("id")
    found = LINK.search(message.text)
    assert found, message.text
    return found.group(1)


def test_the_officer_starts_a_cooperative_and_the_chair_signs_in_from_the_sms(login, officer, entry):
    client = login(officer)
    page = client.get(f"/alliance/entry/{entry.code}/").content.decode()
    assert "Start on Hợp Tác" in page and 'value="mat-ong-sung-la"' in page  # the suggested address
    response = start(client, entry)
    assert response.status_code == 302, response.content.decode()[:3000]
    coop = Cooperative.objects.get(slug="sung-la")
    assert (coop.name, coop.tax_code, coop.commune_code, coop.province_code, coop.sectors) == (
        "HTX Mật ong Sủng Là",
        "5100777001",
        MEO_VAC,
        8,
        ["honey"],
    )
    entry.refresh_from_db()
    assert entry.cooperative == coop
    invitation = StaffInvitation.unscoped.get(cooperative=coop)
    assert (invitation.role, invitation.phone, invitation.status) == (Role.CHAIR, CHAIR_PHONE, "pending")
    message = Message.unscoped.get(source_type="invitation")
    assert message.cooperative_id == coop.pk and message.channel == "sms"
    assert "chair" in message.body and "HTX Mat ong Sung La" in message.body  # unaccented SMS
    # The officer sees the link once, to pass on by Zalo.
    assert sms_link() in client.get(response["Location"]).content.decode()
    assert sms_link() not in client.get(response["Location"]).content.decode()
    actions = set(AuditEvent.objects.filter(actor=officer).values_list("action", flat=True))
    assert {"alliance.coop_start", "staff.invite"} <= actions

    # The chair opens the link, sets a password and is in: an empty cooperative.
    chair = Client()
    link = sms_link()
    assert chair.get(link).status_code == 200
    done = chair.post(
        link,
        {"action": "create", "full_name": "Vàng Mí Lử", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/c/sung-la/"
    dashboard = chair.get("/c/sung-la/")
    assert dashboard.status_code == 200
    assert Membership.objects.get(cooperative=coop).role == Role.CHAIR
    assert chair.get("/c/sung-la/members/").status_code == 200
    # Used: the same link again is refused, and the officer's page says the chair is in.
    assert Client().get(link).status_code == 410
    page = client.get(f"/alliance/entry/{entry.code}/").content.decode()
    assert "The chair has signed in" in page and "Start on Hợp Tác" not in page


def test_a_started_entry_is_not_started_twice(login, officer, entry):
    client = login(officer)
    assert start(client, entry).status_code == 302
    again = start(client, entry, slug="sung-la-2")
    assert again.status_code == 422
    assert "already uses the platform" in again.content.decode()
    assert Cooperative.objects.count() == 1


def test_a_bad_or_taken_short_address_is_refused(login, officer, entry, coop_a):
    client = login(officer)
    taken = start(client, entry, slug="coop-a")
    assert taken.status_code == 422 and "already uses this short address" in taken.content.decode()
    bad = start(client, entry, slug="Sủng Là!")
    assert bad.status_code == 422
    assert start(client, entry, chair_phone="12345").status_code == 422
    assert Cooperative.objects.count() == 1
    assert not Message.unscoped.exists()


def test_expired_wrong_and_other_phone_links_are_refused(login, officer, entry):
    start(login(officer), entry)
    link = sms_link()
    assert Client().get("/invitation/not-a-real-token-at-all/").status_code == 404
    other = make_user("0914000999", "Người khác")
    signed_in = Client()
    signed_in.force_login(other)
    assert signed_in.get(link).status_code == 403
    assert signed_in.post(link, {"action": "accept"}).status_code == 403
    StaffInvitation.unscoped.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = Client().get(link)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert not Membership.objects.filter(cooperative__slug="sung-la").exists()


def test_the_officer_invites_again_and_the_old_link_stops_working(login, officer, entry):
    client = login(officer)
    start(client, entry)
    first = sms_link()
    body = {"full_name": "Vàng Mí Lử", "phone": CHAIR_PHONE}
    soon = client.post(f"/alliance/entry/{entry.code}/invite/", body)
    assert soon.status_code == 422 and "less than a minute ago" in soon.content.decode()
    StaffInvitation.unscoped.update(sent_at=timezone.now() - dt.timedelta(minutes=5))
    assert client.post(f"/alliance/entry/{entry.code}/invite/", body).status_code == 302
    second = sms_link()
    assert first != second
    assert Client().get(first).status_code == 410  # cancelled
    assert Client().get(second).status_code == 200
    assert StaffInvitation.unscoped.filter(status=InvitationStatus.PENDING).count() == 1


def test_no_invitation_once_the_cooperative_has_a_chair(login, officer, entry):
    client = login(officer)
    start(client, entry)
    chair = Client()
    chair.post(
        sms_link(),
        {"action": "create", "full_name": "Vàng Mí Lử", "password1": PASSWORD, "password2": PASSWORD},
    )
    refused = client.post(
        f"/alliance/entry/{entry.code}/invite/", {"full_name": "Ai Đó", "phone": "0913000111"}
    )
    assert refused.status_code == 422
    assert "has a chair already" in refused.content.decode()


def test_the_officer_of_another_province_cannot_start_or_invite(login, entry):
    from hoptac.accounts.services import alliance_officer_set

    hanoi = make_user("0919000202", "Cán bộ Hà Nội")
    alliance_officer_set(user=hanoi, province_code=1)
    client = login(hanoi)
    assert start(client, entry).status_code == 404
    assert client.post(f"/alliance/entry/{entry.code}/invite/", {}).status_code == 404
    assert not Cooperative.objects.exists()


def test_the_platform_administrator_starts_a_cooperative_audited(login, entry):
    admin = make_user("0900000009", "Quản trị")
    admin.is_superuser = True
    admin.save()
    assert start(login(admin), entry).status_code == 302
    event = AuditEvent.objects.get(action="alliance.coop_start")
    assert event.actor == admin and event.cooperative.slug == "sung-la"


# --- requests to join ----------------------------------------------------------------------

JOIN = {
    "name": "HTX Chè Cổ Thụ Cao Bồ",
    "kind": "htx",
    "tax_code": "",
    "province": "8",
    "commune": "cao bo",
    "sectors": ["tea"],
    "chair_name": "Triệu Văn Sơn",
    "phone": "0913 222 333",
    "members_count": "18",
    "message": "Chúng tôi muốn bán chè trên mạng.",
}


def test_a_cooperative_asks_to_join_from_the_public_page(db, client):
    assert client.get("/join/").status_code == 200
    response = client.post("/join/", JOIN)
    assert response.status_code == 302
    join_request = JoinRequest.objects.get()
    assert (join_request.province_code, join_request.commune_code, join_request.phone) == (
        8,
        952,
        "0913222333",
    )
    assert response["Location"] == f"/join/{join_request.code}/"
    assert "will answer" in client.get(response["Location"]).content.decode()
    # Sent twice (a double tap, or the page sent again): the same request.
    assert client.post("/join/", JOIN)["Location"] == response["Location"]
    assert JoinRequest.objects.count() == 1


def test_a_join_request_with_a_bad_commune_or_phone_is_refused(db, client):
    response = client.post("/join/", {**JOIN, "commune": "Không Có", "phone": "123"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "No commune or ward of Tuyên Quang has this name" in page
    assert "not a Vietnamese phone number" in page
    assert not JoinRequest.objects.exists()


def test_join_requests_are_rate_limited(db, client):
    for number in range(5):
        assert client.post("/join/", {**JOIN, "name": f"HTX Số {number}"}).status_code == 302
    refused = client.post("/join/", {**JOIN, "name": "HTX Số 6"})
    assert refused.status_code == 422 and "Too many requests" in refused.content.decode()
    assert JoinRequest.objects.count() == 5


def test_the_alliance_approves_a_request(client, login, officer):
    client.post("/join/", JOIN)
    join_request = JoinRequest.objects.get()
    officer_client = login(officer)
    listing = officer_client.get("/alliance/requests/").content.decode()
    assert "HTX Chè Cổ Thụ Cao Bồ" in listing
    page = officer_client.get(f"/alliance/requests/{join_request.code}/").content.decode()
    assert 'value="che-co-thu-cao-bo"' in page
    response = officer_client.post(
        f"/alliance/requests/{join_request.code}/", {"action": "approve", "slug": "che-co-thu-cao-bo"}
    )
    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.status == JoinStatus.APPROVED and join_request.decided_by == officer
    coop = Cooperative.objects.get(slug="che-co-thu-cao-bo")
    assert join_request.entry.cooperative == coop
    assert StaffInvitation.unscoped.get(cooperative=coop).phone == "0913222333"
    assert sms_link("0913222333")
    assert "Approved" in Client().get(f"/join/{join_request.code}/").content.decode()
    again = officer_client.post(
        f"/alliance/requests/{join_request.code}/", {"action": "decline", "reason": "x"}
    )
    assert again.status_code == 422 and "already answered" in again.content.decode()
    assert AuditEvent.objects.filter(action="alliance.join_approve", actor=officer).exists()


def test_approving_matches_the_directory_entry(client, login, officer):
    entry = DirectoryEntry.objects.create(
        province_code=8, name="Hợp tác xã chè cổ thụ Cao Bồ", name_key="che co thu cao bo", commune_code=952
    )
    client.post("/join/", JOIN)
    join_request = JoinRequest.objects.get()
    login(officer).post(f"/alliance/requests/{join_request.code}/", {"action": "approve", "slug": "cao-bo"})
    entry.refresh_from_db()
    assert entry.cooperative.slug == "cao-bo"
    assert DirectoryEntry.objects.count() == 1


def test_the_alliance_declines_with_a_reason(client, login, officer):
    client.post("/join/", JOIN)
    join_request = JoinRequest.objects.get()
    officer_client = login(officer)
    no_reason = officer_client.post(
        f"/alliance/requests/{join_request.code}/", {"action": "decline", "reason": " "}
    )
    assert no_reason.status_code == 422
    response = officer_client.post(
        f"/alliance/requests/{join_request.code}/",
        {"action": "decline", "reason": "Chưa có giấy chứng nhận đăng ký HTX."},
    )
    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.status == JoinStatus.DECLINED
    status_page = Client().get(f"/join/{join_request.code}/").content.decode()
    assert "Chưa có giấy chứng nhận đăng ký HTX." in status_page
    assert not Cooperative.objects.exists() and not Message.unscoped.exists()
    assert AuditEvent.objects.filter(action="alliance.join_decline", actor=officer).exists()


def test_requests_of_another_province_are_not_shown(db, client, login):
    from hoptac.accounts.services import alliance_officer_set

    client.post("/join/", JOIN)
    join_request = JoinRequest.objects.get()
    hanoi = make_user("0919000202", "Cán bộ Hà Nội")
    alliance_officer_set(user=hanoi, province_code=1)
    other = login(hanoi)
    assert "Cao Bồ" not in other.get("/alliance/requests/?province=8").content.decode()
    assert other.get(f"/alliance/requests/{join_request.code}/").status_code == 404
    refused = other.post(f"/alliance/requests/{join_request.code}/", {"action": "approve", "slug": "x"})
    assert refused.status_code == 404
    join_request.refresh_from_db()
    assert join_request.status == JoinStatus.PENDING


def test_the_slug_suggestion_is_free(db):
    assert services.slug_suggest("HTX Chè Shan Tuyết Lũng Phìn") == "che-shan-tuyet-lung-phin"


@pytest.mark.django_db
def test_a_suggested_slug_skips_taken_ones(coop_a):
    Cooperative.objects.create(slug="tuan-dung", name="x", commune_code=MEO_VAC)
    assert services.slug_suggest("HTX Tuấn Dũng") == "tuan-dung-2"

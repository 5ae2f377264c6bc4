"""Staff roles by invitation: the person accepts, and the staff page says nothing about
whether a phone has an account (issue 10, deliverable 7)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from hoptac.accounts.models import Membership, User
from hoptac.coops.models import InvitationStatus, StaffInvitation
from hoptac.core.models import AuditEvent
from hoptac.core.roles import Role
from hoptac.outbox.models import Message
from tests.conftest import PASSWORD, keyed, make_user

STAFF_URL = "/c/coop-a/staff/"
INVITE_URL = "/c/coop-a/staff/invite/"
LINK = re.compile(r"https?://[^\s]+/invitation/([\w-]+)/")


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "FILE_DIR": str(tmp_path / "outbox")}


def invite(client, phone: str, role: str = "collector", name: str = "Giàng Thị Súa"):
    return client.post(INVITE_URL, keyed({"phone": phone, "full_name": name, "role": role}), follow=True)


def last_link() -> str:
    message = Message.unscoped.filter(source_type="invitation").latest("id")
    found = LINK.search(message.text)
    assert found, message.text
    return f"/invitation/{found.group(1)}/"


def _visible(response) -> str:
    """What the chair sees: the page without the per-request parts (keys, tokens, links)."""
    text = response.content.decode()
    text = re.sub(r'name="(form_key|csrfmiddlewaretoken)" value="[^"]*"', "", text)
    text = re.sub(r"https?://\S+/invitation/[\w-]+/", "LINK", text)
    text = re.sub(r"/invitations/\d+/", "/invitations/N/", text)
    text = re.sub(r"link-\d+", "link-N", text)
    return re.sub(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", "DATE", text)


def test_the_answer_does_not_tell_whether_a_phone_has_an_account(login, chair_a, chair_b, coop_a):
    """The probe: "This phone number has no account yet: give an initial password." told the
    chair which phones have accounts, and a known account got the role without consent."""
    client = login(chair_a)
    with_account = invite(client, chair_b.phone)
    first = _visible(with_account).replace("0912 000 101", "PHONE").replace("Chủ tịch B", "NAME")
    # the same request for a phone with no account
    StaffInvitation.unscoped.update(status=InvitationStatus.CANCELLED)
    without = invite(client, "0977000111")
    second = _visible(without).replace("0977 000 111", "PHONE").replace("Chủ tịch B", "NAME")
    assert with_account.status_code == without.status_code == 200
    assert [r[1] for r in with_account.redirect_chain] == [r[1] for r in without.redirect_chain] == [302]
    assert first == second
    assert "has no account" not in first
    # No role was given to chair_b (another cooperative's chair) without their consent,
    # and no account was made for the new phone.
    assert not Membership.objects.filter(user=chair_b, cooperative=coop_a).exists()
    assert not User.objects.filter(phone="0977000111").exists()
    # each got the same SMS (a link), through the outbox of coop_a
    texts = [LINK.sub("LINK", m.text) for m in Message.unscoped.filter(source_type="invitation")]
    assert len(texts) == 2 and texts[0] == texts[1]
    assert all(m.cooperative_id == coop_a.pk for m in Message.unscoped.filter(source_type="invitation"))


def test_the_chair_sees_the_link_once_to_copy_into_zalo(login, chair_a):
    client = login(chair_a)
    response = invite(client, "0977000111")
    link = last_link()
    assert link in response.content.decode()
    assert link not in client.get(STAFF_URL).content.decode()
    invitation = StaffInvitation.unscoped.get()
    assert invitation.token_hash not in link  # stored hashed
    assert link.split("/")[2] not in str(list(StaffInvitation.unscoped.values()))


def test_a_new_person_creates_their_account_and_gets_the_role(login, chair_a, coop_a, client):
    invite(login(chair_a), "0977000111", role="collector")
    link = last_link()
    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200
    assert "HTX Tuấn Dũng (test)" in page.content.decode()
    # Django's password validators apply
    weak = visitor.post(link, {"action": "create", "full_name": "Giàng Thị Súa", "password1": "1234", "password2": "1234"})
    assert weak.status_code == 422
    assert not User.objects.filter(phone="0977000111").exists()
    response = visitor.post(
        link,
        {"action": "create", "full_name": "Giàng Thị Súa", "password1": "mat-ong-2026", "password2": "mat-ong-2026"},
    )
    assert response.status_code == 302
    assert response.url == "/c/coop-a/"
    user = User.objects.get(phone="0977000111")
    assert user.full_name == "Giàng Thị Súa"
    assert Membership.objects.get(user=user, cooperative=coop_a).role == Role.COLLECTOR
    assert authenticate(username="0977 000 111", password="mat-ong-2026") == user
    assert visitor.get("/c/coop-a/").status_code == 200  # signed in
    assert StaffInvitation.unscoped.get().status == InvitationStatus.ACCEPTED
    # the link is used: refused with a clear message
    again = Client().get(link)
    assert again.status_code == 410
    assert "already been accepted" in again.content.decode() or again.context["text"]


def test_someone_with_an_account_signs_in_and_accepts(login, chair_a, chair_b, coop_a):
    invite(login(chair_a), chair_b.phone, role="sales")
    link = last_link()
    # Without signing in, creating a second account for the phone is refused.
    anonymous = Client()
    response = anonymous.post(
        link, {"action": "create", "full_name": "X", "password1": "mat-ong-2026", "password2": "mat-ong-2026"}
    )
    assert response.status_code == 422
    assert authenticate(username=chair_b.phone, password=PASSWORD) == chair_b
    assert not Membership.objects.filter(user=chair_b, cooperative=coop_a).exists()
    # The page sends them to sign in and back
    assert f"/accounts/login/?next={link}" in anonymous.get(link).content.decode().replace("%2F", "/")
    invitee = Client()
    invitee.force_login(chair_b)
    page = invitee.get(link)
    assert page.status_code == 200
    assert 'value="accept"' in page.content.decode()
    assert invitee.post(link, {"action": "accept"}).status_code == 302
    assert Membership.objects.get(user=chair_b, cooperative=coop_a).role == Role.SALES
    assert Membership.objects.filter(user=chair_b).count() == 2  # coop_b's role kept


def test_a_link_opened_by_another_signed_in_user_is_refused(login, chair_a, chair_b, collector_a, coop_a):
    invite(login(chair_a), chair_b.phone, role="chair")
    link = last_link()
    other = Client()
    other.force_login(collector_a)
    assert other.get(link).status_code == 403
    assert other.post(link, {"action": "accept"}).status_code == 403
    assert other.post(link, {"action": "decline"}).status_code == 403
    assert Membership.objects.get(user=collector_a, cooperative=coop_a).role == Role.COLLECTOR
    assert not Membership.objects.filter(user=chair_b, cooperative=coop_a).exists()
    assert StaffInvitation.unscoped.get().status == InvitationStatus.PENDING


def test_decline(login, chair_a, chair_b, coop_a):
    invite(login(chair_a), chair_b.phone)
    link = last_link()
    invitee = Client()
    invitee.force_login(chair_b)
    assert invitee.post(link, {"action": "decline"}).status_code == 302
    assert StaffInvitation.unscoped.get().status == InvitationStatus.DECLINED
    assert not Membership.objects.filter(user=chair_b, cooperative=coop_a).exists()
    assert invitee.post(link, {"action": "accept"}).status_code == 410
    assert not Membership.objects.filter(user=chair_b, cooperative=coop_a).exists()


def test_expired_cancelled_and_unknown_links_are_refused(login, chair_a, chair_b, coop_a):
    client = login(chair_a)
    invite(client, chair_b.phone)
    link = last_link()
    StaffInvitation.unscoped.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    invitee = Client()
    invitee.force_login(chair_b)
    response = invitee.post(link, {"action": "accept"})
    assert response.status_code == 410
    assert "expired" in response.context["text"] or response.context["text"]
    assert not Membership.objects.filter(user=chair_b, cooperative=coop_a).exists()
    # the chair sends it again: a new link, the old one stays dead
    invitation = StaffInvitation.unscoped.get()
    assert client.post(f"{STAFF_URL}invitations/{invitation.pk}/resend/", keyed()).status_code == 302
    new_link = last_link()
    assert new_link != link
    assert Message.unscoped.filter(source_type="invitation").count() == 2
    assert invitee.get(link).status_code == 404
    assert invitee.get(new_link).status_code == 200
    # cancelled: refused
    assert client.post(f"{STAFF_URL}invitations/{invitation.pk}/cancel/").status_code == 302
    assert invitee.post(new_link, {"action": "accept"}).status_code == 410
    assert not Membership.objects.filter(user=chair_b, cooperative=coop_a).exists()
    assert Client().get("/invitation/not-a-real-token/").status_code == 404


def test_pending_invitations_are_listed_with_cancel_and_send_again(login, chair_a):
    client = login(chair_a)
    invite(client, "0977000111", name="Lò Thị Hoa")
    client.get(STAFF_URL)  # the link shown once
    invitation = StaffInvitation.unscoped.get()
    body = client.get(STAFF_URL).content.decode()
    assert "Lò Thị Hoa" in body
    assert f"/invitations/{invitation.pk}/resend/" in body
    assert f"/invitations/{invitation.pk}/cancel/" in body
    # a new invitation for the same phone replaces the pending one
    invite(client, "0977000111", role="sales", name="Lò Thị Hoa")
    assert list(StaffInvitation.unscoped.order_by("id").values_list("status", flat=True)) == [
        InvitationStatus.CANCELLED,
        InvitationStatus.PENDING,
    ]


def test_member_role_is_linked_to_the_household(login, chair_a, member_a, coop_a):
    invite(login(chair_a), member_a.phone, role="member", name=member_a.full_name)
    link = last_link()
    visitor = Client()
    visitor.post(
        link,
        {"action": "create", "full_name": member_a.full_name, "password1": "mat-ong-2026", "password2": "mat-ong-2026"},
    )
    membership = Membership.objects.get(user__phone=member_a.phone, cooperative=coop_a)
    assert membership.role == Role.MEMBER
    assert membership.member_id == member_a.pk


def test_every_step_is_audited(login, chair_a, chair_b):
    client = login(chair_a)
    invite(client, chair_b.phone)
    link = last_link()
    invitation = StaffInvitation.unscoped.get()
    client.post(f"{STAFF_URL}invitations/{invitation.pk}/resend/", keyed())
    client.post(f"{STAFF_URL}invitations/{invitation.pk}/cancel/")
    invite(client, chair_b.phone)
    link = last_link()
    invitee = Client()
    invitee.force_login(chair_b)
    invitee.post(link, {"action": "accept"})
    invite(client, "0977000111")
    Client().post(last_link(), {"action": "decline"})
    actions = list(AuditEvent.objects.filter(action__startswith="staff.invite").order_by("id").values_list("action", flat=True))
    assert actions == [
        "staff.invite",
        "staff.invite_resend",
        "staff.invite_cancel",
        "staff.invite",
        "staff.invite_accept",
        "staff.invite",
        "staff.invite_decline",
    ]
    accepted = AuditEvent.objects.get(action="staff.invite_accept")
    assert accepted.actor_id == chair_b.pk


def test_only_the_chair_invites(login, accountant_a, officer, coop_a):
    for user in (accountant_a, officer):
        response = login(user).post(INVITE_URL, keyed({"phone": "0977000111", "full_name": "x", "role": "chair"}))
        assert response.status_code == 403
    assert not StaffInvitation.unscoped.exists()
    assert not Message.unscoped.exists()


def test_another_account_with_the_same_name_is_not_involved(login, chair_a, coop_a):
    """The invitation is for the phone, whatever name the chair typed."""
    make_user("0977000222", "Giàng Thị Súa")
    invite(login(chair_a), "0977000111")
    assert not Membership.objects.filter(user__phone="0977000222").exists()


def test_the_link_is_not_readable_on_the_message_pages(login, chair_a, collector_a, accountant_a):
    """Staff who read the outbox (a collector, an accountant) must not get the link: with it
    they could create the invited person's account themselves and take the role."""
    invite(login(chair_a), "0977000111", role="chair")
    token = last_link().split("/")[2]
    message = Message.unscoped.get(source_type="invitation")
    assert token in message.text  # the SMS itself carries the link
    for user in (collector_a, accountant_a, chair_a):
        client = Client()
        client.force_login(user)
        page = client.get(f"/c/coop-a/messages/outbox/{message.pk}/")
        assert page.status_code == 200
        assert token not in page.content.decode()
        assert "/invitation/…/" in page.content.decode()
        for url in ("/c/coop-a/messages/outbox/", "/c/coop-a/messages/"):
            assert token not in client.get(url).content.decode()


def test_the_role_is_never_chosen_in_advance(login, chair_a):
    """The form starts on "choose a role": a thumb that misses the list must not invite a
    second chair. Sent without a role, it is refused and nothing is sent."""
    client = login(chair_a)
    page = client.get(STAFF_URL).content.decode()
    select = re.search(r'<select name="role"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no role list on the staff page"
    assert re.match(r'\s*<option value=""', select.group(1)), select.group(1)[:120]
    chosen = re.findall(r'<option value="(\w*)"[^>]*\bselected', select.group(1))
    assert chosen in ([], [""]), chosen
    response = invite(client, "0977000222", role="")
    assert response.status_code == 422  # the form again, with its error
    assert not StaffInvitation.unscoped.filter(phone="0977000222").exists()
    assert not Message.unscoped.filter(source_type="invitation").exists()

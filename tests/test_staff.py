"""Staff roles managed by the chair, password resets, the language default, admin pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from hoptac.accounts.models import Membership, User
from hoptac.accounts.services import membership_set
from hoptac.core.roles import Role
from tests.conftest import PASSWORD, keyed

STAFF_URL = "/c/coop-a/staff/"


INVITE_URL = "/c/coop-a/staff/invite/"


def test_chair_changes_the_role_of_their_own_staff_directly(login, chair_a, collector_a, coop_a):
    response = login(chair_a).post(
        INVITE_URL, keyed({"phone": collector_a.phone, "full_name": "x", "role": "accountant"})
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=collector_a, cooperative=coop_a).role == Role.ACCOUNTANT


def test_chair_resets_the_password_of_their_own_staff_only(login, chair_a, collector_a, chair_b, coop_a):
    client = login(chair_a)
    membership = Membership.objects.get(user=collector_a, cooperative=coop_a)
    url = f"{STAFF_URL}{membership.pk}/password/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"password1": "new-pass-7788", "password2": "new-pass-7788"})
    assert response.status_code == 302
    assert authenticate(username=collector_a.phone, password="new-pass-7788") == collector_a
    # Django's validators apply
    response = client.post(url, {"password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors
    # chair_b also works with coop_b: chair_a may not take over that account
    other = membership_set(user=chair_b, cooperative=coop_a, role=Role.SALES)
    response = client.post(
        f"{STAFF_URL}{other.pk}/password/", {"password1": "steal-it-9911", "password2": "steal-it-9911"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert authenticate(username=chair_b.phone, password=PASSWORD) == chair_b
    # a role of another cooperative is not found
    theirs = Membership.objects.get(user=chair_b, cooperative__slug="coop-b")
    assert client.get(f"{STAFF_URL}{theirs.pk}/password/").status_code == 404


def test_the_last_chair_cannot_step_down(login, chair_a):
    response = login(chair_a).post(
        INVITE_URL, keyed({"phone": chair_a.phone, "full_name": "x", "role": "member"})
    )
    assert response.status_code == 422
    assert Membership.objects.get(user=chair_a).role == Role.CHAIR


def test_collector_cannot_manage_staff(login, collector_a):
    client = login(collector_a)
    assert client.get(STAFF_URL).status_code == 200
    response = client.post(
        INVITE_URL, keyed({"phone": "0977000113", "full_name": "x", "role": "chair"})
    )
    assert response.status_code == 403
    assert not User.objects.filter(phone="0977000113").exists()


def test_remove_role(login, chair_a, accountant_a):
    membership = Membership.objects.get(user=accountant_a)
    response = login(chair_a).post(f"{STAFF_URL}{membership.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=accountant_a.pk).exists()


def test_vietnamese_whatever_the_browser_says(client, settings):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert b'<html lang="vi"' in response.content
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert b'<html lang="en"' in client.get("/accounts/login/").content


@pytest.mark.parametrize("behind_proxy", [True, False])
def test_rate_limit_counts_the_visitor_not_the_proxy(client, settings, behind_proxy, chair_a):
    from hoptac.accounts.models import LoginFailure

    settings.BEHIND_PROXY = behind_proxy
    client.post(
        "/accounts/login/",
        {"identifier": "0900123456", "password": "wrong-one"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    expected = "203.0.113.9" if behind_proxy else "10.0.0.1"
    assert LoginFailure.objects.get().ip_address == expected


def test_admin_user_pages_work(client, db, chair_a):
    admin = User.objects.create_superuser(phone="0900000001", password=PASSWORD, full_name="Admin")
    client.force_login(admin)
    assert client.get("/admin/accounts/user/add/").status_code == 200
    assert client.get(f"/admin/accounts/user/{chair_a.pk}/change/").status_code == 200
    assert client.get("/admin/coops/member/").status_code == 200

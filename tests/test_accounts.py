"""Signing in and out through the real views: phone spellings, email, rate limiting, CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from hoptac.accounts import selectors, services
from hoptac.accounts.models import LoginFailure, User
from tests.conftest import PASSWORD, make_user

LOGIN_URL = "/accounts/login/"
LOGOUT_URL = "/accounts/logout/"
PHONE = "0912345678"
PHONE_SPELLINGS = [
    "0912345678",
    "0912 345 678",
    "+84912345678",
    "84912345678",
    "(+84) 912.345.678",
    "0084912345678",
]
INVALID_LOGIN_TEXT = "The phone number (or email) and password do not match. Please check and try again."


@pytest.fixture
def farmer(db):
    return make_user(PHONE, "Vàng A Páo")


@pytest.fixture
def emailer(db):
    return make_user(None, "Bàn Văn Sử", email="Ban.Van.Su@Example.ORG")


def sign_in(client, identifier, password=PASSWORD, **extra):
    return client.post(LOGIN_URL, {"identifier": identifier, "password": password}, **extra)


def signed_in_user_id(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def error_codes(response) -> set[str]:
    form = response.context["form"]
    return {error.code for error in form.errors.as_data().get("__all__", [])}


def assert_refused(client, response, code):
    assert response.status_code == 200
    assert code in error_codes(response)
    assert signed_in_user_id(client) is None


# --- Signing in -----------------------------------------------------------------------


def test_login_page_renders(client, db):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert 'name="identifier"' in response.content.decode()
    assert 'name="password"' in response.content.decode()


@pytest.mark.parametrize("identifier", PHONE_SPELLINGS)
def test_sign_in_with_any_phone_spelling(client, farmer, identifier):
    response = sign_in(client, identifier)
    assert response.status_code == 302
    assert signed_in_user_id(client) == farmer.pk
    assert client.get("/").wsgi_request.user == farmer


@pytest.mark.parametrize(
    "identifier", ["ban.van.su@example.org", "BAN.VAN.SU@EXAMPLE.ORG", " Ban.Van.Su@Example.ORG "]
)
def test_sign_in_with_email_ignores_case(client, emailer, identifier):
    assert emailer.email == "ban.van.su@example.org"
    response = sign_in(client, identifier)
    assert response.status_code == 302
    assert signed_in_user_id(client) == emailer.pk


def test_wrong_password_is_refused_with_a_message(client, farmer):
    response = sign_in(client, PHONE, "not-the-password")
    assert_refused(client, response, "invalid_login")
    with translation.override("vi"):
        expected = gettext(INVALID_LOGIN_TEXT)
    assert escape(expected) in response.content.decode()
    assert LoginFailure.objects.filter(identifier=PHONE).count() == 1


def test_unknown_account_is_refused_the_same_way(client, farmer):
    response = sign_in(client, "0987000000", PASSWORD)
    assert_refused(client, response, "invalid_login")
    assert LoginFailure.objects.filter(identifier="0987000000").count() == 1


def test_empty_fields_are_refused(client, farmer):
    response = client.post(LOGIN_URL, {"identifier": "", "password": ""})
    assert response.status_code == 200
    form = response.context["form"]
    assert "identifier" in form.errors
    assert "password" in form.errors
    assert signed_in_user_id(client) is None
    assert LoginFailure.objects.count() == 0


def test_inactive_user_cannot_sign_in(client, farmer):
    farmer.is_active = False
    farmer.save(update_fields=["is_active"])
    response = sign_in(client, PHONE)
    assert_refused(client, response, "invalid_login")


def test_signed_in_user_is_sent_away_from_login_page(client, farmer):
    sign_in(client, PHONE)
    response = client.get(LOGIN_URL)
    assert response.status_code == 302


def test_next_outside_the_site_is_ignored(client, farmer):
    response = client.post(
        LOGIN_URL, {"identifier": PHONE, "password": PASSWORD, "next": "https://evil.example/steal"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert signed_in_user_id(client) == farmer.pk


# --- Rate limiting --------------------------------------------------------------------


def fail(client, identifier, times, **extra):
    for _ in range(times):
        response = sign_in(client, identifier, "wrong-password", **extra)
        assert_refused(client, response, "invalid_login")


def test_failures_in_any_spelling_block_even_the_right_password(client, farmer):
    limit = settings.LOGIN_FAILURE_LIMIT
    assert limit >= 2
    for index in range(limit):
        response = sign_in(client, PHONE_SPELLINGS[index % len(PHONE_SPELLINGS)], "wrong-password")
        assert_refused(client, response, "invalid_login")
    assert LoginFailure.objects.filter(identifier=PHONE).count() == limit

    for spelling in (PHONE, "+84 912 345 678"):
        response = sign_in(client, spelling, PASSWORD)
        assert_refused(client, response, "rate_limited")
        assert "invalid_login" not in error_codes(response)
    with translation.override("vi"):
        expected = gettext(
            "Too many failed sign-ins. Please wait %(minutes)s minutes and try again, "
            "or ask your cooperative's chair to reset your password."
        ) % {"minutes": services.login_window_minutes()}
    assert escape(expected) in response.content.decode()
    assert SESSION_KEY not in client.session


def test_one_below_the_limit_still_signs_in(client, farmer):
    fail(client, PHONE, settings.LOGIN_FAILURE_LIMIT - 1)
    response = sign_in(client, PHONE)
    assert response.status_code == 302
    assert signed_in_user_id(client) == farmer.pk


def test_failures_for_one_account_do_not_block_another(client, farmer, emailer):
    fail(client, PHONE, settings.LOGIN_FAILURE_LIMIT)
    assert_refused(client, sign_in(client, PHONE), "rate_limited")
    response = sign_in(client, "BAN.VAN.SU@example.org")
    assert response.status_code == 302
    assert signed_in_user_id(client) == emailer.pk


def test_blocked_account_is_blocked_from_a_fresh_client_too(client, farmer):
    fail(client, PHONE, settings.LOGIN_FAILURE_LIMIT)
    other = Client(REMOTE_ADDR="198.51.100.20")
    response = sign_in(other, "0912.345.678")
    assert_refused(other, response, "rate_limited")


def test_success_clears_failures(client, farmer):
    limit = settings.LOGIN_FAILURE_LIMIT
    fail(client, "+84912345678", limit - 1)
    assert sign_in(client, PHONE).status_code == 302
    assert LoginFailure.objects.filter(identifier=PHONE).count() == 0

    client.post(LOGOUT_URL)
    # The earlier failures no longer count: another limit - 1 failures still leave room.
    fail(client, PHONE, limit - 1)
    assert sign_in(client, PHONE).status_code == 302
    assert signed_in_user_id(client) == farmer.pk


def test_failures_older_than_the_window_are_forgotten(client, farmer):
    fail(client, PHONE, settings.LOGIN_FAILURE_LIMIT)
    assert_refused(client, sign_in(client, PHONE), "rate_limited")
    past = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS + 60)
    LoginFailure.objects.update(at=past)
    response = sign_in(client, PHONE)
    assert response.status_code == 302
    assert signed_in_user_id(client) == farmer.pk


def test_many_failures_from_one_address_block_that_address(farmer):
    address = "203.0.113.7"
    for index in range(settings.LOGIN_FAILURE_LIMIT * 4):
        services.login_failure_record(identifier=f"09870000{index:02d}", ip_address=address)
    assert not selectors.login_is_blocked(identifier=PHONE, ip_address="198.51.100.1")
    assert selectors.login_is_blocked(identifier=PHONE, ip_address=address)

    crowded = Client(REMOTE_ADDR=address)
    assert_refused(crowded, sign_in(crowded, PHONE), "rate_limited")
    elsewhere = Client(REMOTE_ADDR="198.51.100.1")
    assert sign_in(elsewhere, PHONE).status_code == 302
    assert signed_in_user_id(elsewhere) == farmer.pk


# --- Signing out ----------------------------------------------------------------------


def test_logout_by_get_is_not_allowed(client, farmer):
    sign_in(client, PHONE)
    response = client.get(LOGOUT_URL)
    assert response.status_code == 405
    assert signed_in_user_id(client) == farmer.pk


def test_logout_by_post(client, farmer):
    sign_in(client, PHONE)
    assert signed_in_user_id(client) == farmer.pk
    response = client.post(LOGOUT_URL)
    assert response.status_code == 302
    assert signed_in_user_id(client) is None
    assert not client.get("/").wsgi_request.user.is_authenticated


# --- Passwords and CSRF ---------------------------------------------------------------


def test_passwords_are_stored_hashed(farmer, emailer):
    for user in (farmer, emailer):
        stored = User.objects.get(pk=user.pk).password
        assert stored != PASSWORD
        assert PASSWORD not in stored
        identify_hasher(stored)  # raises for anything that is not a known hash
        assert user.check_password(PASSWORD)
        assert not user.check_password(PASSWORD + "x")


def test_login_needs_a_csrf_token(db, farmer):
    strict = Client(enforce_csrf_checks=True)
    response = sign_in(strict, PHONE)
    assert response.status_code == 403
    assert signed_in_user_id(strict) is None

    # With the token from the page, the same request goes through.
    page = strict.get(LOGIN_URL)
    token = page.context["csrf_token"]
    response = strict.post(
        LOGIN_URL, {"identifier": PHONE, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert signed_in_user_id(strict) == farmer.pk


def test_logout_needs_a_csrf_token(db, farmer):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(farmer)
    assert strict.post(LOGOUT_URL).status_code == 403
    assert signed_in_user_id(strict) == farmer.pk


# --- identifier_key -------------------------------------------------------------------


@pytest.mark.parametrize("identifier", PHONE_SPELLINGS + ["  0912 345 678  "])
def test_identifier_key_for_phones(identifier):
    assert selectors.identifier_key(identifier) == PHONE


@pytest.mark.parametrize(
    ("identifier", "key"),
    [
        ("Ban.Van.Su@Example.ORG", "ban.van.su@example.org"),
        ("  ban.van.su@example.org ", "ban.van.su@example.org"),
        ("Not A Phone", "not a phone"),
        ("0112345678", "0112345678"),
        ("", ""),
        (None, ""),
    ],
)
def test_identifier_key_for_other_text(identifier, key):
    assert selectors.identifier_key(identifier) == key


def test_user_by_identifier(farmer, emailer):
    assert selectors.user_by_identifier("+84 912 345 678") == farmer
    assert selectors.user_by_identifier("BAN.VAN.SU@EXAMPLE.ORG") == emailer
    assert selectors.user_by_identifier("0987000000") is None
    assert selectors.user_by_identifier("nobody@example.org") is None

"""``POST /api/v1/auth/token``: a personal token for a password, through the one sign-in
limiter (issue 10)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from hoptac.accounts.models import LoginFailure
from hoptac.api.models import ApiToken
from tests.conftest import PASSWORD

URL = "/api/v1/auth/token"


def ask(client, identifier, password=PASSWORD, name="field phone 1", **extra):
    body = {"identifier": identifier, "password": password, "name": name}
    return client.post(URL, json.dumps(body), content_type="application/json", **extra)


def test_right_password_gives_a_token_that_works(client, chair_a):
    response = ask(client, "+84 911 000 101")
    assert response.status_code == 201, response.content
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    data = response.json()
    assert data["token"].startswith("hoptac_") and data["name"] == "field phone 1"
    token = ApiToken.objects.get(user=chair_a)
    assert token.prefix == data["prefix"] and token.key_hash != data["token"]
    # Used as a Bearer token on a cooperative route, without any session.
    fresh = Client()
    answer = fresh.get("/api/v1/c/coop-a/prices", HTTP_AUTHORIZATION=f"Bearer {data['token']}")
    assert answer.status_code == 200
    assert fresh.get("/api/v1/c/coop-a/prices").status_code == 401


def test_wrong_password_and_unknown_account_get_the_same_answer(client, chair_a):
    wrong = ask(client, "0911000101", "not-it")
    unknown = ask(client, "0987000000", "not-it")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["detail"]
    assert not ApiToken.objects.exists()


def test_too_many_failures_answer_429_even_for_the_right_password(client, chair_a):
    limit = settings.LOGIN_FAILURE_LIMIT
    for _ in range(limit):
        assert ask(client, "0911000101", "not-it").status_code == 401
    for password in ("not-it", PASSWORD):
        response = ask(client, "0911 000 101", password)
        assert response.status_code == 429
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]
        assert int(response["Retry-After"]) == settings.LOGIN_FAILURE_WINDOW_SECONDS
    assert not ApiToken.objects.exists()
    assert LoginFailure.objects.filter(identifier="0911000101").count() == limit


def test_site_failures_count_for_the_api_too(client, chair_a):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/accounts/login/", {"identifier": "0911000101", "password": "nope"})
    assert ask(Client(), "0911000101").status_code == 429


def test_a_token_clears_the_failures(client, chair_a):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        ask(client, "0911000101", "not-it")
    assert ask(client, "0911000101").status_code == 201
    assert not LoginFailure.objects.filter(identifier="0911000101").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"identifier": "0911000101", "password": PASSWORD},
        {"identifier": "0911000101", "password": PASSWORD, "name": ""},
        {"identifier": "", "password": PASSWORD, "name": "x"},
        {"identifier": "0911000101", "password": PASSWORD, "name": "x" * 101},
        {"identifier": "0911000101\x00", "password": PASSWORD, "name": "x"},
    ],
)
def test_bad_bodies_are_422_and_make_nothing(client, chair_a, body):
    response = client.post(URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_blank_name_is_refused_after_the_password(client, chair_a):
    response = ask(client, "0911000101", name="   ")
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_the_endpoint_is_in_the_schema_without_authentication(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    assert operation["operationId"] == "auth_token"
    assert not operation.get("security")
    assert {"201", "401", "422", "429"} <= set(operation["responses"])


def test_the_command_still_makes_tokens(chair_a, capsys):
    from django.core.management import call_command

    call_command("api_token", "0911000101", "script")
    assert capsys.readouterr().out.strip().startswith("hoptac_")
    assert ApiToken.objects.filter(user=chair_a, name="script").exists()

"""Password reset by SMS code (issue 10): /accounts/reset/ asks for a code, /accounts/reset/code/
sets the new password. No account enumeration, codes hashed, expiring, single use, burnt
after wrong tries, and every step through the one sign-in limiter."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.utils import timezone

from hoptac.accounts import reset
from hoptac.accounts.models import LoginFailure, PasswordResetCode, User
from hoptac.core.models import AuditEvent
from hoptac.core.tenancy import tenant
from hoptac.notify.password_reset import SOURCE
from hoptac.outbox import dispatch
from hoptac.outbox.models import Message, Status
from tests.conftest import PASSWORD

REQUEST_URL = "/accounts/reset/"
CODE_URL = "/accounts/reset/code/"
NEW_PASSWORD = "tra-xanh-Moc-Chau-2026"
CHAIR_PHONE = "0911000101"


@pytest.fixture(autouse=True)
def _outbox_files(settings, tmp_path):
    settings.OUTBOX = {
        **settings.OUTBOX,
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
        "WORKER": "off",
    }
    return tmp_path / "outbox"


def sms_files(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(root.glob("sms/*/*.json"))]


def ask(client, identifier, **extra):
    return client.post(REQUEST_URL, {"identifier": identifier}, **extra)


def code_in(message: Message) -> str:
    found = re.search(r"\b(\d{6})\b", message.text)
    assert found, message.text
    return found.group(1)


def use(client, code, identifier=CHAIR_PHONE, password=NEW_PASSWORD, **extra):
    body = {"identifier": identifier, "code": code, "new_password1": password, "new_password2": password}
    return client.post(CODE_URL, body, **extra)


def error_codes(response) -> set[str]:
    form = response.context["form"]
    return {error.code for errors in form.errors.as_data().values() for error in errors}


def page_text(response) -> str:
    """The page without its (per-response) CSRF tokens."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def reset_messages() -> list[Message]:
    return list(Message.unscoped.filter(source_type=SOURCE).order_by("id"))


# --- the sign-in page links here ----------------------------------------------------------------


def test_login_page_links_to_the_reset(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert f'href="{REQUEST_URL}"' in page
    assert client.get(REQUEST_URL).status_code == 200


def test_pages_have_no_inline_style_or_script(client, db):
    for url in (REQUEST_URL, CODE_URL):
        page = client.get(url).content.decode()
        assert "<style" not in page and "style=" not in page
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


# --- asking for a code --------------------------------------------------------------------------


def test_a_known_phone_gets_a_code_by_sms_through_the_outbox(client, chair_a, coop_a, _outbox_files):
    response = ask(client, "+84 911 000 101")
    assert response.status_code == 302 and response["Location"] == CODE_URL
    [message] = reset_messages()
    assert message.cooperative_id == coop_a.pk
    assert message.to_phone == CHAIR_PHONE and message.channel == "sms"
    assert message.status == Status.QUEUED
    code = code_in(message)
    row = PasswordResetCode.objects.get(user=chair_a)
    assert row.sent_by == "sms"
    assert code not in row.code_hash and row.code_hash == reset.code_hash(chair_a.pk, code)
    minutes = (row.expires_at - row.created_at).total_seconds() / 60
    assert 10 <= minutes <= 15
    # The worker sends it: the file backend holds the SMS, code included.
    assert dispatch.drain() == 1
    [sent] = sms_files(_outbox_files)
    assert sent["phone"] == CHAIR_PHONE
    assert code in json.dumps(sent)


def test_unknown_and_known_phones_get_the_same_answer(chair_a):
    known, unknown = Client(), Client()
    first = ask(known, CHAIR_PHONE)
    second = ask(unknown, "0987000111")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    # The code page is the same but for the phone typed (kept in the form).
    known_page = page_text(known.get(CODE_URL)).replace(CHAIR_PHONE, "PHONE")
    assert known_page == page_text(unknown.get(CODE_URL)).replace("0987000111", "PHONE")
    assert "PHONE" in known_page
    # Only the real account got a code.
    assert len(reset_messages()) == 1
    assert PasswordResetCode.objects.count() == 1


def test_every_answer_takes_at_least_the_floor(chair_a):
    """Making and queueing a code costs a few ms more than finding no account: both answers
    are held to the same floor, so the timing does not tell which phones have accounts."""
    import time

    floor = settings.PASSWORD_RESET_MIN_SECONDS
    assert floor >= 0.02
    for phone in (CHAIR_PHONE, "0987000111"):
        started = time.monotonic()
        assert ask(Client(), phone).status_code == 302
        assert time.monotonic() - started >= floor
    assert len(reset_messages()) == 1


def test_a_double_tap_sends_one_sms(client, chair_a):
    assert ask(client, CHAIR_PHONE).status_code == 302
    assert ask(client, CHAIR_PHONE).status_code == 302
    assert len(reset_messages()) == 1


def test_requests_are_limited_per_phone(client, chair_a):
    limit = settings.PASSWORD_RESET_REQUEST_LIMIT
    for index in range(limit):
        # Spread in time so that each request sends a code (not the double-tap rule).
        PasswordResetCode.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        assert ask(client, CHAIR_PHONE, REMOTE_ADDR=f"198.51.100.{index + 1}").status_code == 302
    PasswordResetCode.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    response = ask(Client(), CHAIR_PHONE, REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 200
    assert "rate_limited" in error_codes(response)
    assert len(reset_messages()) == limit
    # An unknown phone is limited alike: being limited tells nothing.
    for _ in range(limit):
        ask(Client(), "0987000111")
    assert "rate_limited" in error_codes(ask(Client(), "0987000111"))


def test_requests_are_limited_per_address(client, db):
    for index in range(settings.PASSWORD_RESET_REQUEST_LIMIT * 4):
        assert ask(client, f"09870001{index:02d}").status_code == 302
    response = ask(client, "0987000299")
    assert "rate_limited" in error_codes(response)
    assert (
        Client(REMOTE_ADDR="198.51.100.7").post(REQUEST_URL, {"identifier": "0987000299"}).status_code == 302
    )


def test_an_account_without_a_cooperative_gets_an_email_or_nothing(
    client, officer, django_capture_on_commit_callbacks
):
    assert ask(client, "0919000101").status_code == 302
    assert reset_messages() == [] and mail.outbox == []
    assert PasswordResetCode.objects.get(user=officer).sent_by == ""

    admin = User.objects.create_superuser(email="admin@example.org", password=PASSWORD, full_name="Admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(REQUEST_URL, {"identifier": "Admin@Example.org"})
    assert response.status_code == 302
    assert PasswordResetCode.objects.get(user=admin).sent_by == "email"
    assert reset_messages() == []
    [email] = mail.outbox
    assert email.to == ["admin@example.org"]
    assert re.search(r"\b\d{6}\b", email.body)


def test_a_disabled_account_gets_nothing(client, chair_a):
    chair_a.is_active = False
    chair_a.save(update_fields=["is_active"])
    assert ask(client, CHAIR_PHONE).status_code == 302
    assert reset_messages() == []


def test_staff_cannot_read_the_code_in_the_outbox(client, chair_a, accountant_a, coop_a):
    ask(Client(), CHAIR_PHONE)
    [message] = reset_messages()
    code = code_in(message)
    client.force_login(accountant_a)
    page = client.get(f"/c/{coop_a.slug}/messages/outbox/{message.pk}/")
    assert page.status_code == 200
    assert code not in page.content.decode()
    listing = client.get(f"/c/{coop_a.slug}/messages/outbox/")
    assert code not in listing.content.decode()


# --- using the code -----------------------------------------------------------------------------


@pytest.fixture
def asked(client, chair_a):
    """A client that asked for a code for the chair, and the code."""
    ask(client, CHAIR_PHONE)
    [message] = reset_messages()
    return client, code_in(message)


def test_the_right_code_sets_the_password_and_ends_other_sessions(asked, chair_a):
    client, code = asked
    elsewhere = Client()
    elsewhere.force_login(chair_a)
    assert elsewhere.get("/").wsgi_request.user.is_authenticated
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        Client().post("/accounts/login/", {"identifier": CHAIR_PHONE, "password": "wrong"})

    response = use(client, code)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    chair_a.refresh_from_db()
    assert chair_a.check_password(NEW_PASSWORD) and not chair_a.check_password(PASSWORD)
    # Django ends every session made with the old password.
    assert not elsewhere.get("/").wsgi_request.user.is_authenticated
    assert SESSION_KEY not in elsewhere.session
    # The sign-in failures are forgotten, the change is audited, the new password signs in.
    assert not LoginFailure.objects.filter(kind="login", identifier=CHAIR_PHONE).exists()
    assert AuditEvent.objects.filter(action="user.password_reset", object_id=str(chair_a.pk)).count() == 1
    login = client.post("/accounts/login/", {"identifier": CHAIR_PHONE, "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_a_code_works_once(asked, chair_a):
    client, code = asked
    assert use(client, code).status_code == 302
    again = use(client, code, password="another-Password-42")
    assert again.status_code == 200
    assert "invalid_code" in error_codes(again)
    chair_a.refresh_from_db()
    assert chair_a.check_password(NEW_PASSWORD)


def test_a_code_expires(asked, chair_a):
    client, code = asked
    PasswordResetCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = use(client, code)
    assert "invalid_code" in error_codes(response)
    chair_a.refresh_from_db()
    assert chair_a.check_password(PASSWORD)


def test_wrong_codes_burn_the_code(asked, chair_a):
    client, code = asked
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(settings.PASSWORD_RESET_CODE_TRIES):
        assert "invalid_code" in error_codes(use(client, wrong))
    # The right code comes too late: burnt.
    assert "invalid_code" in error_codes(use(client, code))
    chair_a.refresh_from_db()
    assert chair_a.check_password(PASSWORD)


def test_a_new_code_replaces_the_old_one(client, chair_a):
    ask(client, CHAIR_PHONE)
    PasswordResetCode.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    ask(client, CHAIR_PHONE)
    first, second = (code_in(m) for m in reset_messages())
    if first != second:
        assert "invalid_code" in error_codes(use(client, first))
    assert use(client, second).status_code == 302


def test_code_attempts_are_limited_through_the_limiter(asked, chair_a):
    client, code = asked
    limit = settings.LOGIN_FAILURE_LIMIT
    # Wrong codes for the phone from many requests (each new code allows more tries).
    for _ in range(limit):
        use(Client(), "000000" if code != "000000" else "111111")
    response = use(client, code)
    assert "rate_limited" in error_codes(response)
    chair_a.refresh_from_db()
    assert chair_a.check_password(PASSWORD)


def test_a_weak_password_is_refused_and_the_code_kept(asked, chair_a):
    client, code = asked
    response = use(client, code, password="12345678")
    assert response.status_code == 200
    assert "new_password1" in response.context["form"].errors
    mismatch = client.post(
        CODE_URL,
        {
            "identifier": CHAIR_PHONE,
            "code": code,
            "new_password1": NEW_PASSWORD,
            "new_password2": "other-one-2026",
        },
    )
    assert "password_mismatch" in error_codes(mismatch)
    for _ in range(settings.PASSWORD_RESET_CODE_TRIES):
        use(client, code, password="12345678")
    # Right code, weak passwords: the tries were given back, the code still works.
    assert use(client, code).status_code == 302


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 456"])
def test_malformed_codes_are_refused_on_the_form(asked, code):
    client, _right = asked
    response = use(client, code)
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert PasswordResetCode.objects.get().tries == 0


def test_unknown_phone_with_a_code_gets_the_same_refusal(client, chair_a):
    response = use(client, "123456", identifier="0987000111")
    assert "invalid_code" in error_codes(response)


def test_a_member_account_gets_the_code_from_its_cooperative(client, coop_a, member_user_a):
    ask(client, "0911000104")
    [message] = reset_messages()
    assert message.cooperative_id == coop_a.pk and message.to_phone == "0911000104"
    with tenant(coop_a):
        assert Message.objects.filter(source_type=SOURCE).count() == 1
    assert use(client, code_in(message), identifier="0911000104").status_code == 302

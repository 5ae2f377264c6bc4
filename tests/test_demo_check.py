"""The deployment check fails while the published demo accounts exist on a real installation."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from hoptac import cli
from hoptac.accounts.services import user_create
from hoptac.coops.checks import DEMO_PHONES
from hoptac.coops.demo import DEMO_PASSWORD


def test_the_checked_phones_are_the_demo_logins():
    assert set(DEMO_PHONES) == {phone for phone, _who in cli.DEMO_LOGINS}


def test_check_deploy_fails_with_the_demo_superuser(db, settings):
    """The probe: ``check --deploy`` said "no issues" with 0900000000 / demo1234 in the database."""
    settings.DEMO = False
    user_create(phone="0900000000", password=DEMO_PASSWORD, full_name="Admin", is_superuser=True)
    with pytest.raises(SystemCheckError, match=r"hoptac\.E001.*0900000000"):
        call_command("check", deploy=True)


def test_check_deploy_fails_with_a_demo_chair(db, settings):
    settings.DEMO = False
    user_create(phone="0911000001", password=DEMO_PASSWORD, full_name="Chair")
    with pytest.raises(SystemCheckError, match="0911000001"):
        call_command("check", deploy=True)
    # `hoptac check` exits non-zero too
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check"])
    assert "hoptac.E001" in str(exit_info.value.code)


def _demo_errors():
    from hoptac.coops.checks import check_demo_accounts

    return [e.id for e in check_demo_accounts()]


def test_no_error_when_the_demo_password_was_changed_or_in_a_demo(db, settings):
    settings.DEMO = False
    user = user_create(phone="0900000000", password=DEMO_PASSWORD, full_name="Admin", is_superuser=True)
    assert _demo_errors() == ["hoptac.E001"]
    settings.DEMO = True  # hoptac run --demo
    assert _demo_errors() == []
    settings.DEMO = False
    user.set_password("a-real-long-password-2026")
    user.save()
    assert _demo_errors() == []
    # Another account with the demo password is not a demo account.
    user_create(phone="0977000999", password=DEMO_PASSWORD, full_name="Someone")
    assert _demo_errors() == []


def test_a_new_installation_passes(db, settings):
    settings.DEMO = False
    assert _demo_errors() == []

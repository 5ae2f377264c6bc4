from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hoptac.accounts.models import AllianceOfficer, LoginFailure, Membership, User
from hoptac.accounts.selectors import identifier_key


@transaction.atomic
def login_attempt_record(*, kind: str = "login", identifier: str, ip_address: str | None) -> int:
    """Write one attempt of the limiter (``accounts/limiter.py``); returns its id. Called
    outside any transaction, so that the row is committed before the limiter counts."""
    row = LoginFailure.objects.create(kind=kind, identifier=identifier_key(identifier), ip_address=ip_address)
    # Keep the table small: forget attempts older than a day.
    LoginFailure.objects.filter(at__lt=timezone.now() - timedelta(days=1)).delete()
    return row.pk


@transaction.atomic
def login_attempt_discard(*, attempt_id: int) -> None:
    """Forget one attempt: the limiter refused it, so nothing was checked."""
    LoginFailure.objects.filter(pk=attempt_id).delete()


def login_failure_record(*, identifier: str, ip_address: str | None) -> None:
    """A failed sign-in (kept for scripts and tests: the limiter records before checking)."""
    login_attempt_record(kind="login", identifier=identifier, ip_address=ip_address)


@transaction.atomic
def login_failures_clear(*, identifier: str, kind: str = "login") -> None:
    """Forget the account's attempts of ``kind``: it has just proved who it is."""
    LoginFailure.objects.filter(kind=kind, identifier=identifier_key(identifier)).delete()


@transaction.atomic
def user_create(
    *,
    phone: str | None = None,
    email: str | None = None,
    password: str | None,
    full_name: str = "",
    is_superuser: bool = False,
) -> User:
    if is_superuser:
        return User.objects.create_superuser(phone=phone, email=email, password=password, full_name=full_name)
    return User.objects.create_user(phone=phone, email=email, password=password, full_name=full_name)


@transaction.atomic
def membership_set(*, user: User, cooperative, role: str, member=None) -> Membership:
    """Give ``user`` ``role`` in ``cooperative`` (replacing any role they had there)."""
    membership, _ = Membership.objects.update_or_create(
        user=user, cooperative=cooperative, defaults={"role": role, "member": member}
    )
    return membership


@transaction.atomic
def alliance_officer_set(*, user: User, province_code: int) -> AllianceOfficer:
    officer, _ = AllianceOfficer.objects.get_or_create(user=user, province_code=province_code)
    return officer


def login_window_minutes() -> int:
    return max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.accounts.models import AllianceOfficer, LoginFailure, Membership, PasswordResetCode, User
from hoptac.accounts.selectors import identifier_key
from hoptac.core.audit import audit_record


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


# --- password reset codes (the flow: accounts/reset.py; the pages and the SMS: notify) ---------


@transaction.atomic
def reset_code_create(*, user: User, code_hash: str, ip_address: str | None) -> PasswordResetCode:
    """A new code for ``user``; the codes sent before it stop working."""
    now = timezone.now()
    PasswordResetCode.objects.filter(user=user, used_at__isnull=True).update(
        tries=settings.PASSWORD_RESET_CODE_TRIES
    )
    return PasswordResetCode.objects.create(
        user=user,
        code_hash=code_hash,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.PASSWORD_RESET_MINUTES),
        ip_address=ip_address,
    )


@transaction.atomic
def reset_code_sent(*, code: PasswordResetCode, by: str) -> None:
    """Note how the code left: ``sms``, ``email`` or ``""`` (no way to reach the user)."""
    PasswordResetCode.objects.filter(pk=code.pk).update(sent_by=by)


@transaction.atomic
def reset_code_try_take(*, code: PasswordResetCode) -> bool:
    """Take one try of the code, in one conditional UPDATE: ``False`` when none is left
    (or the code is used or expired), so concurrent guesses cannot exceed the tries."""
    return bool(
        PasswordResetCode.objects.filter(
            pk=code.pk,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            tries__lt=settings.PASSWORD_RESET_CODE_TRIES,
        ).update(tries=F("tries") + 1)
    )


@transaction.atomic
def reset_code_try_give_back(*, code: PasswordResetCode) -> None:
    """The code was right but the new password was refused: the try does not count."""
    PasswordResetCode.objects.filter(pk=code.pk, tries__gt=0).update(tries=F("tries") - 1)


@transaction.atomic
def password_reset_complete(*, code: PasswordResetCode, password: str, ip_address: str | None) -> User:
    """Use the code (once: a conditional UPDATE) and set the user's new password. The new
    hash ends every session of the user (Django checks it on each request); the user's
    sign-in failures are forgotten."""
    used = PasswordResetCode.objects.filter(pk=code.pk, used_at__isnull=True).update(used_at=timezone.now())
    if not used:
        raise ValidationError(_("This code has already been used. Ask for a new code."), code="used")
    user = User.objects.get(pk=code.user_id)
    user.set_password(password)
    user.save(update_fields=["password"])
    for key in {user.phone, user.email} - {None, ""}:
        LoginFailure.objects.filter(kind="login", identifier=identifier_key(key)).delete()
    audit_record(
        action="user.password_reset",
        actor=user,
        obj=user,
        data={"code": code.pk, "sent_by": code.sent_by, "ip": ip_address or ""},
    )
    return user

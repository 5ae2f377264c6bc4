from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from hoptac.accounts.models import AllianceOfficer, LoginFailure, Membership, PasswordResetCode, User
from hoptac.lib.phone import InvalidPhone, normalize_phone


def identifier_key(identifier: str) -> str:
    """One key per account whatever way it was typed: normalised phone or lower-case email."""
    text = (identifier or "").strip()
    if "@" in text:
        return text.lower()
    try:
        return normalize_phone(text)
    except InvalidPhone:
        return text.lower()


def user_by_identifier(identifier: str) -> User | None:
    key = identifier_key(identifier)
    lookup = Q(email__iexact=key) if "@" in key else Q(phone=key)
    return User.objects.filter(lookup).first()


def attempts_in_window(
    *, kind: str, identifier: str, ip_address: str | None, seconds: int
) -> tuple[int, int]:
    """How many attempts of ``kind`` the window holds for the account and for the address."""
    since = timezone.now() - timedelta(seconds=seconds)
    recent = LoginFailure.objects.filter(kind=kind, at__gte=since)
    by_account = recent.filter(identifier=identifier_key(identifier)).count()
    by_address = recent.filter(ip_address=ip_address).count() if ip_address else 0
    return by_account, by_address


def login_is_blocked(*, identifier: str, ip_address: str | None) -> bool:
    """Would the next sign-in of this account, from this address, be refused? (A read
    only: the limiter itself records first and then counts, see ``accounts/limiter.py``.)"""
    limit = settings.LOGIN_FAILURE_LIMIT
    by_account, by_address = attempts_in_window(
        kind="login",
        identifier=identifier,
        ip_address=ip_address,
        seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS,
    )
    # An address shared by a whole office or a mobile carrier's NAT gets more room.
    return by_account >= limit or by_address >= limit * 4


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, cooperative__is_active=True)
        .select_related("cooperative")
        .order_by("cooperative__name")
    )


def membership_for(*, user: User, cooperative_id: int) -> Membership | None:
    return Membership.objects.filter(user=user, cooperative_id=cooperative_id).first()


def with_account(members: QuerySet) -> QuerySet:
    """``members`` read with their household account in the same statement: the id and
    language of the user of the first membership linked to each (``account_user_id``,
    ``account_language``; ``None`` for a household without one). The outbox reads the
    account from these instead of looking it up again (``account_of``)."""
    first = Membership.objects.filter(member=OuterRef("pk")).order_by("pk")
    return members.annotate(
        account_user_id=Subquery(first.values("user_id")[:1]),
        account_language=Subquery(first.values("user__language")[:1]),
    )


NOT_READ = object()


def account_of(member):
    """The account read with ``member`` by :func:`with_account`: a ``User`` holding its id
    and language (its other fields are loaded if asked for), ``None`` when the household
    has none, or ``NOT_READ`` when ``member`` was read without it."""
    if "account_user_id" not in member.__dict__:
        return NOT_READ
    if member.account_user_id is None:
        return None
    return User.from_db(
        member._state.db, ["id", "language"], [member.account_user_id, member.account_language or ""]
    )


def alliance_provinces(user: User) -> list[int]:
    return list(AllianceOfficer.objects.filter(user=user).values_list("province_code", flat=True))


def reset_code_active(user: User) -> PasswordResetCode | None:
    """The user's newest code that may still be tried: not used, not expired, tries left."""
    return (
        PasswordResetCode.objects.filter(
            user=user,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            tries__lt=settings.PASSWORD_RESET_CODE_TRIES,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def reset_code_recent(user: User, seconds: int) -> PasswordResetCode | None:
    """An active code made in the last ``seconds``: a second request (a double tap) sends none."""
    code = reset_code_active(user)
    if code is not None and code.created_at >= timezone.now() - timedelta(seconds=seconds):
        return code
    return None

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from hoptac.accounts.models import AllianceOfficer, LoginFailure, Membership, User
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


def login_is_blocked(*, identifier: str, ip_address: str | None) -> bool:
    """Too many recent failures for this account, or from this address."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    limit = settings.LOGIN_FAILURE_LIMIT
    recent = LoginFailure.objects.filter(at__gte=since)
    if recent.filter(identifier=identifier_key(identifier)).count() >= limit:
        return True
    # An address shared by a whole office or a mobile carrier's NAT gets more room.
    return bool(ip_address) and recent.filter(ip_address=ip_address).count() >= limit * 4


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, cooperative__is_active=True)
        .select_related("cooperative")
        .order_by("cooperative__name")
    )


def membership_for(*, user: User, cooperative_id: int) -> Membership | None:
    return Membership.objects.filter(user=user, cooperative_id=cooperative_id).first()


def alliance_provinces(user: User) -> list[int]:
    return list(AllianceOfficer.objects.filter(user=user).values_list("province_code", flat=True))

"""Who is calling: a personal API token (``Authorization: Bearer hoptac_…``) or the
Django session of the app's own pages, with the CSRF check on unsafe methods."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from hoptac.api.models import ApiToken
from hoptac.api.services import looks_like_token, token_hash, token_touch

# last_used_at is written at most this often per token, so reads do not all write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_user(token: str):
    """The active user of a valid, unrevoked token, or ``None``."""
    if not looks_like_token(token):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        token_touch(token=row, at=now)
    return row.user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer hoptac_<40 characters>``. A token that is wrong, revoked or
    of a disabled account is refused with 401 even when a session cookie is also sent."""

    def authenticate(self, request, token: str):
        user = token_user(token.strip())
        if user is None:
            raise AuthenticationError()
        return user


class SessionAuth(NinjaSessionAuth):
    """The signed-in session, as ninja's ``django_auth`` with ``csrf=True``: a POST needs
    the CSRF token (header ``X-CSRFToken``), else 403. An anonymous caller gets 401,
    without a CSRF check first."""

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


AUTH = [TokenAuth(), SessionAuth()]

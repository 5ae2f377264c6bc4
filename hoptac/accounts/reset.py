"""Password reset by a 6-digit code: asking for a code and using it.

The account side only: codes (stored as a keyed hash, ``accounts.PasswordResetCode``),
their checks, and the new password. Sending the code is not here: an SMS goes through
the outbox, which ``accounts`` may not import (the layers of pyproject.toml); the pages
and the sending are in ``hoptac/notify/password_reset.py``.

Both steps go through the one sign-in limiter (``accounts/limiter.py``), each in its own
bucket: requests per phone and per address (``reset``), codes typed in (``reset_code``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from hoptac.accounts import limiter, selectors, services
from hoptac.accounts.models import PasswordResetCode, User

CODE_DIGITS = 6
# A second request for the same account within this time (a double tap, a reload) sends
# nothing new: the code already sent still works.
RESEND_AFTER_SECONDS = 60


class WrongCode(Exception):
    """No such account, no active code, or not this code: one answer for all."""


def code_hash(user_id: int, code: str) -> str:
    """A keyed hash (HMAC with the secret key), so that a copy of the database does not
    give the codes away by trying all million of them."""
    return salted_hmac("hoptac.password_reset", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@dataclass
class CodeToSend:
    user: User
    code: PasswordResetCode
    secret: str  # the 6 digits: sent once, never stored


def code_request(
    *, identifier: str, ip_address: str | None, send: Callable[[CodeToSend], str]
) -> PasswordResetCode | None:
    """Ask for a code for the account with this phone (or email).

    Raises :class:`limiter.Blocked` when too many were asked for this phone or from this
    address. Otherwise, for an active account without a code sent a moment ago, makes a
    code and calls ``send`` with it in the same transaction (``send`` answers how it went:
    ``sms``, ``email`` or ``""``); returns the code row, or ``None`` (no such account, a
    disabled one, a code sent a moment ago). The caller answers the same in every case.
    """
    limiter.attempt_begin(kind=limiter.RESET_REQUEST, identifier=identifier, ip_address=ip_address)
    secret = new_code()
    user = selectors.user_by_identifier(identifier)
    if user is None or not user.is_active:
        code_hash(0, secret)  # the same work as for an account
        return None
    if selectors.reset_code_recent(user, RESEND_AFTER_SECONDS) is not None:
        return None
    with transaction.atomic():
        code = services.reset_code_create(
            user=user, code_hash=code_hash(user.pk, secret), ip_address=ip_address
        )
        services.reset_code_sent(code=code, by=send(CodeToSend(user=user, code=code, secret=secret)))
    return code


def password_set_with_code(*, identifier: str, code: str, password: str, ip_address: str | None) -> User:
    """Check the code and set the new password. Raises :class:`limiter.Blocked`,
    :class:`WrongCode` (the try counts, and a few burn the code) or ``ValidationError``
    (the password validators; the code stays usable)."""
    attempt = limiter.attempt_begin(kind=limiter.RESET_CODE, identifier=identifier, ip_address=ip_address)
    user = selectors.user_by_identifier(identifier)
    row = selectors.reset_code_active(user) if user is not None and user.is_active else None
    if row is None:
        code_hash(0, code)
        raise WrongCode
    if not services.reset_code_try_take(code=row):
        raise WrongCode
    if not constant_time_compare(row.code_hash, code_hash(user.pk, code.strip())):
        raise WrongCode
    try:
        validate_password(password, user)
    except ValidationError:
        services.reset_code_try_give_back(code=row)
        raise
    user = services.password_reset_complete(code=row, password=password, ip_address=ip_address)
    attempt.succeeded(user)
    return user


def code_minutes() -> int:
    return settings.PASSWORD_RESET_MINUTES

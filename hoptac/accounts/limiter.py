"""The one sign-in limiter: every way in goes through :func:`attempt_begin`.

Used by the site's sign-in form, the Django admin's sign-in form, the API token endpoint
(``POST /api/v1/auth/token``) and the password reset (requests and codes, each its own
bucket). It counts per account (the normalised phone or email) and, four times more
loosely, per address.

**Atomic under concurrency: record first, then count.** An attempt is written (and
committed, in its own short transaction) *before* anything is checked; then the rows of
the window are counted, the attempt's own included. Rows are only ever added before the
count, so the k-th attempt to commit sees at least k rows: with a limit of 5, at most 5
attempts are ever checked against the password, however many arrive at once, on every
database and across every process (a check-then-record design lets them all pass one
check first). An attempt that the limiter refuses deletes its own row: it checked
nothing, so it should not push the pause further back. The guarantee is one-sided: when
every simultaneous attempt has written its row before any of them counts, all of them are
refused (none checked, the room left as it was) — a burst fails closed. A success deletes the account's
rows of its bucket (its failures), as before.

Call it outside a transaction (views are not atomic here): inside one, the row would
only be committed with the caller, and concurrent attempts could not see it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate

from hoptac.accounts import selectors, services

LOGIN = "login"
RESET_REQUEST = "reset"
RESET_CODE = "reset_code"

IDENTIFIER_LENGTH = 254  # LoginFailure.identifier

# An address shared by a whole office or a mobile carrier's NAT gets more room.
ADDRESS_FACTOR = 4


@dataclass(frozen=True)
class Bucket:
    kind: str
    limit: int  # attempts allowed per account in the window
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, -(-self.seconds // 60))

    @property
    def address_limit(self) -> int:
        return self.limit * ADDRESS_FACTOR


def bucket(kind: str) -> Bucket:
    """The limit and window of a kind of attempt, from the settings of the moment."""
    if kind == LOGIN:
        return Bucket(kind, settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS)
    if kind == RESET_REQUEST:
        return Bucket(
            kind, settings.PASSWORD_RESET_REQUEST_LIMIT, settings.PASSWORD_RESET_REQUEST_WINDOW_SECONDS
        )
    if kind == RESET_CODE:
        # Wrong codes (of any code of the account) count like wrong passwords.
        return Bucket(kind, settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS)
    raise ValueError(f"Unknown kind of attempt: {kind!r}")


class Blocked(Exception):
    """Too many attempts for this account or from this address: nothing was checked."""

    def __init__(self, bucket: Bucket):
        super().__init__(bucket.kind)
        self.bucket = bucket

    @property
    def minutes(self) -> int:
        return self.bucket.minutes

    @property
    def seconds(self) -> int:
        return self.bucket.seconds


class InvalidLogin(Exception):
    """Wrong password, unknown or disabled account: one answer for all three."""


@dataclass
class Attempt:
    bucket: Bucket
    identifier: str
    ip_address: str | None
    attempt_id: int

    def succeeded(self, user=None) -> None:
        """The account proved who it is: forget its failures of this bucket (under every
        identifier it has, so failures typed as the email are cleared by the phone too)."""
        keys = {self.identifier}
        if user is not None:
            keys |= {value for value in (user.phone, user.email) if value}
        for key in keys:
            services.login_failures_clear(identifier=key, kind=self.bucket.kind)


def attempt_begin(*, kind: str, identifier: str, ip_address: str | None) -> Attempt:
    """Record an attempt, then count: raises :class:`Blocked` when the account's (or the
    address's) attempts in the window, this one included, are over the limit."""
    rule = bucket(kind)
    # The column's length: a longer text (the admin's form does not cap it) is no account.
    identifier = (identifier or "")[:IDENTIFIER_LENGTH]
    attempt_id = services.login_attempt_record(kind=kind, identifier=identifier, ip_address=ip_address)
    by_account, by_address = selectors.attempts_in_window(
        kind=kind, identifier=identifier, ip_address=ip_address, seconds=rule.seconds
    )
    if by_account > rule.limit or (ip_address and by_address > rule.address_limit):
        services.login_attempt_discard(attempt_id=attempt_id)
        raise Blocked(rule)
    return Attempt(bucket=rule, identifier=identifier, ip_address=ip_address, attempt_id=attempt_id)


def sign_in(request, *, identifier: str, password: str):
    """The user whose password this is, through the limiter: raises :class:`Blocked`
    (nothing checked) or :class:`InvalidLogin` (the failure stays counted)."""
    attempt = attempt_begin(kind=LOGIN, identifier=identifier, ip_address=client_address(request))
    user = authenticate(request, username=identifier, password=password)
    if user is None:
        raise InvalidLogin
    attempt.succeeded(user)
    return user


# --- the visitor's address --------------------------------------------------------------------


def _address(text: str | None) -> str | None:
    """``text`` as an IP address, or ``None``: tolerates a port (``1.2.3.4:5678``,
    ``[2001:db8::1]:443``), as some proxies write it."""
    text = (text or "").strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The visitor's address, as counted by the limiter.

    ``HOPTAC_TRUSTED_PROXIES`` says how many reverse proxies of ours stand in front of the
    app (0: none, the address is ``REMOTE_ADDR``). Each proxy *appends* the address it
    received the request from to ``X-Forwarded-For``; everything left of what our proxies
    wrote is the client's own text and may be anything. With ``n`` proxies the client is
    therefore the ``n``-th entry from the right. With fewer entries than ``n`` the request
    came in past our outer proxy (e.g. straight to the inner one): all entries were written
    by our proxies, and the leftmost is the furthest client seen. An entry that is not an
    address (a misconfigured proxy) falls back to ``REMOTE_ADDR``.
    """
    remote = _address(request.META.get("REMOTE_ADDR"))
    # HOPTAC_BEHIND_PROXY, the older switch, means one proxy.
    trusted = settings.TRUSTED_PROXIES or (1 if settings.BEHIND_PROXY else 0)
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    chosen = forwarded[-trusted] if len(forwarded) >= trusted else forwarded[0]
    return _address(chosen) or remote

"""``POST /api/v1/auth/token``: a personal API token for a phone (or email) and password.

The field app and scripts ask for their token here instead of an administrator running
``hoptac manage api_token``. The password goes through the one sign-in limiter
(``accounts/limiter.py``), as on the site and the admin: too many failures for the account
or the address answer 429 without checking the password. The answer for an unknown
account and for a wrong password is the same 401.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import translation
from ninja import Router, Schema
from pydantic import Field

from hoptac.accounts import limiter
from hoptac.accounts.forms import INVALID_LOGIN, RATE_LIMITED
from hoptac.api.access import api_language
from hoptac.api.common import Status, local
from hoptac.api.schemas import ErrorOut, text
from hoptac.api.services import token_create

router = Router(tags=["auth"])

# Routes open without a token or session, with the reason (the gate test reads this).
PUBLIC_ROUTES = {"auth_token": "asks for a token with a password; limited by accounts/limiter.py"}


class TokenIn(Schema):
    identifier: text(254) = Field(
        min_length=1, description="The phone number (any spelling, e.g. 0912 345 678) or the email."
    )
    password: text(4096) = Field(min_length=1)
    name: text(100) = Field(min_length=1, description="What the token is for, e.g. 'field phone 1'.")


class TokenOut(Schema):
    token: str = Field(description="The token, shown once: send it as `Authorization: Bearer <token>`.")
    name: str
    prefix: str = Field(description="The first 8 characters after `hoptac_`, to tell tokens apart.")
    created_at: dt.datetime


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Make a personal token with a password",
    # Open to anyone (it is how a token is made): said explicitly, not left undefined.
    openapi_extra={"security": []},
)
def auth_token(request, payload: TokenIn, response: HttpResponse):
    """A new personal token of the account with this phone (or email) and password. The
    token acts as its user: the user's roles decide what it may do. Wrong password and
    unknown account answer the same 401; too many failed attempts for the account or from
    the address answer 429 (with `Retry-After`) without checking the password."""
    response["Cache-Control"] = "private, no-store"
    with translation.override(api_language(request)):
        try:
            user = limiter.sign_in(request, identifier=payload.identifier, password=payload.password)
        except limiter.Blocked as blocked:
            response["Retry-After"] = str(blocked.seconds)
            return Status(429, {"detail": str(RATE_LIMITED) % {"minutes": blocked.minutes}})
        except limiter.InvalidLogin:
            return Status(401, {"detail": str(INVALID_LOGIN)})
        try:
            made = token_create(user=user, name=payload.name)
        except ValidationError as error:
            return Status(422, {"detail": [str(message) for message in error.messages]})
        return Status(
            201,
            {
                "token": made.secret,
                "name": made.token.name,
                "prefix": made.token.prefix,
                "created_at": local(made.token.created_at),
            },
        )

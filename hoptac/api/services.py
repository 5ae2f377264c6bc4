"""Writes of the API app: personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.api.models import ApiToken
from hoptac.core.audit import audit_record
from hoptac.core.locks import api_token_lock

TOKEN_PREFIX = "hoptac_"  # noqa: S105 - a label, not a secret
SECRET_LENGTH = 40
_ALPHABET = string.ascii_letters + string.digits  # 62**40: about 238 bits


def token_hash(token: str) -> str:
    """What is stored for a token: the hex SHA-256 of the whole token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    secret = token[len(TOKEN_PREFIX) :]
    return (
        token.startswith(TOKEN_PREFIX)
        and len(secret) == SECRET_LENGTH
        and all(char in _ALPHABET for char in secret)
    )


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole ``hoptac_…`` value: shown once, never stored


@transaction.atomic
def token_create(*, user, name: str, actor=None) -> NewToken:
    """A new personal token of ``user``. The caller shows ``secret`` once."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the token a name, e.g. the script or phone it is for."), code="name")
    if len(name) > 100:
        raise ValidationError(_("The name is longer than 100 characters."), code="name")
    if not user.is_active:
        raise ValidationError(_("This account is disabled."), code="inactive")
    random_part = "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))
    secret = TOKEN_PREFIX + random_part
    token = ApiToken.objects.create(user=user, name=name, prefix=random_part[:8], key_hash=token_hash(secret))
    audit_record(action="api_token.create", actor=actor or user, obj=token, data={"prefix": token.prefix})
    return NewToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, token: ApiToken, actor=None) -> ApiToken:
    """Revoke a token: it stops working at once. Revoking twice changes nothing."""
    token = api_token_lock(ApiToken, token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action="api_token.revoke", actor=actor or token.user, obj=token, data={"prefix": token.prefix}
        )
    return token


@transaction.atomic
def token_touch(*, token: ApiToken, at) -> None:
    """Note when a token was last used (one UPDATE; the caller limits how often)."""
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)

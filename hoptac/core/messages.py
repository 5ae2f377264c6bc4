"""Where the one-off notices ("Receipt PTM-000230 recorded.") travel between a POST and the
page after it: in a signed cookie, so the POST writes no session row for them (the receipt
POST counts its statements), and in the session only when too many for a cookie.

A cookie outlives a sign-out, and a cooperative's office has one shared PC: a notice written
for one person ("The answer to Nguyễn Văn Đức is waiting to be sent") must never be shown to
the next person who signs in on it. So the cookie is signed for its owner (the signed-in
user's id, or nobody, in the signature's salt): read by anyone else its signature does not
match, and Django's storage drops it unread and clears the cookie. The owner is read when
the notices are, never before (no user lookup on a page without notices). The session's
part is the session's own: a sign-out flushes it.
"""

from __future__ import annotations

from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core import signing


def _owner(request) -> str:
    user = getattr(request, "user", None)
    return str(user.pk) if user is not None and user.is_authenticated else "-"


class OwnCookieStorage(CookieStorage):
    """Django's signed-cookie storage, signed for the person it was written for."""

    @property
    def signer(self):
        return signing.get_cookie_signer(salt=f"{self.key_salt}:{_owner(self.request)}")

    @signer.setter
    def signer(self, value):
        """Django's ``__init__`` sets a signer for everyone: the owner's is made when used."""


class OwnFallbackStorage(FallbackStorage):
    storage_classes = (OwnCookieStorage, SessionStorage)

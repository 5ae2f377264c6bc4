"""Secrets in addresses kept out of the logs: webhook secrets and invitation links.

A gateway that can only be given an address calls ``/hooks/<kind>/<gateway>/<secret>/``
(see ``hoptac.outbox.hooks``): the secret is then part of the request line that the
access log and Django's request log (``Not Found: /hooks/…`` on a 404) write down.
:func:`redact` rewrites it to ``/hooks/<kind>/<gateway>/***/``; :class:`RedactSecrets` is
a logging filter that does it to every record of the handlers it is put on (settings'
``LOGGING``), and ``hoptac.core.accesslog`` does it to gunicorn's access log. The one-time token of a staff
invitation link (``/invitation/<token>/``) is masked the same way: whoever reads the log
could otherwise take the invited role. So is a live buyer's link (``/mua/<token>/``):
it opens their items, name and address form.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
# /hooks/<kind>/<gateway>/<secret>: the third segment after /hooks/ is the secret.
_HOOK_SECRET = re.compile(r"(/hooks/[^/\s?#\"']+/[^/\s?#\"']+/)[^/\s?#\"']+")
_INVITATION_TOKEN = re.compile(r"(/invitation/)[^/\s?#\"']+")
_BUYER_TOKEN = re.compile(r"(/mua/)[^/\s?#\"']+")

# A carrier's callback address carries the account's secret as ``?hash=…`` (GHTK's way).
_HASH_QUERY = re.compile(r"([?&]hash=)[^&\s#\"']+")
SECRET_HEADERS = ("x-hoptac-secret", "x-hoptac-signature", "x-hoptac-token")


def redact(value):
    """``value`` with any webhook secret or invitation token in a path replaced by ``***``
    (non-text unchanged)."""
    if isinstance(value, str):
        if "/hooks/" in value:
            value = _HOOK_SECRET.sub(rf"\g<1>{MASK}", value)
            value = _HASH_QUERY.sub(rf"\g<1>{MASK}", value)
        if "/invitation/" in value:
            value = _INVITATION_TOKEN.sub(rf"\g<1>{MASK}", value)
        if "/mua/" in value:
            value = _BUYER_TOKEN.sub(rf"\g<1>{MASK}", value)
    return value


class RedactSecrets(logging.Filter):
    """Rewrites webhook secrets in a record's message and arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: redact(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(redact(value) for value in record.args)
        return True

"""A size cap on every request body, applied before anything reads it.

``HOPTAC_MAX_BODY`` (bytes, 10 MB by default, and never below the member import's limit
plus room for the form) is the largest body the site accepts: the biggest legitimate one
is a product photo, a certificate document or a member import (5 MB each).

Two layers, one rule:

- :class:`BodyLimitWSGI` wraps the WSGI application (``hoptac.wsgi``, which gunicorn and
  waitress serve). A request whose ``Content-Length`` is over the cap is answered ``413``
  without calling Django and without reading a byte of the body; a body without
  ``Content-Length`` (chunked) gets a ``wsgi.input`` that refuses to read past the cap.
- :class:`BodyLimitMiddleware`, first in ``MIDDLEWARE``, applies the same rule inside
  Django (the test client, ``runserver``, any server that does not load ``hoptac.wsgi``).

Django itself would read a form body up to ``DATA_UPLOAD_MAX_MEMORY_SIZE`` and spool file
uploads of any size to disk before a view could look at them: this stops that.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext

STATUS = "413 Request Entity Too Large"


class BodyTooLarge(OSError):
    """Reading a request body went past the cap. An OSError, so that Django answers a
    body it cannot read as a bad request (UnreadablePostError), never a 500."""


def max_body() -> int:
    return int(getattr(settings, "MAX_BODY", 10 * 1024 * 1024))


def declared_length(environ) -> int | None:
    """The request's ``Content-Length``, None when absent; -1 when it is not a number."""
    value = environ.get("CONTENT_LENGTH", "")
    if value in ("", None):
        return None
    try:
        length = int(value)
    except (TypeError, ValueError):
        return -1
    return length if length >= 0 else -1


def too_large(environ) -> bool:
    length = declared_length(environ)
    return length is not None and (length < 0 or length > max_body())


def message() -> str:
    """The short answer, in Vietnamese then English."""
    megabytes = max(1, max_body() // (1024 * 1024))
    lines = []
    for language in ("vi", "en"):
        with translation.override(language):
            lines.append(
                gettext("The request is too large (at most %(mb)s MB). Send a smaller file.")
                % {"mb": megabytes}
            )
    return "\n".join(dict.fromkeys(lines)) + "\n"


class LimitedInput:
    """``wsgi.input`` for a body without ``Content-Length``: raises :class:`BodyTooLarge`
    once more than ``limit`` bytes have been read."""

    def __init__(self, stream, limit: int):
        self.stream = stream
        self.limit = limit
        self.count = 0

    def _account(self, data: bytes) -> bytes:
        self.count += len(data)
        if self.count > self.limit:
            raise BodyTooLarge(f"request body over {self.limit} bytes")
        return data

    def _size(self, size) -> int:
        room = self.limit - self.count + 1  # one byte more than allowed shows the overflow
        if size is None or size < 0:
            return room
        return min(size, room)

    def read(self, size=-1):
        if size is None or size < 0:
            chunks = []
            while True:
                chunk = self._account(self.stream.read(self._size(64 * 1024)))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        return self._account(self.stream.read(self._size(size)))

    def readline(self, size=-1):
        return self._account(self.stream.readline(self._size(size)))

    def readlines(self, hint=-1):
        return list(iter(self.readline, b""))

    def __iter__(self):
        return iter(self.readline, b"")

    def close(self):
        close = getattr(self.stream, "close", None)
        if close is not None:
            close()


class BodyLimitWSGI:
    """WSGI middleware: ``application = BodyLimitWSGI(get_wsgi_application())``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if too_large(environ):
            body = message().encode("utf-8")
            start_response(
                STATUS,
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [body]
        if declared_length(environ) is None and "wsgi.input" in environ:
            environ["wsgi.input"] = LimitedInput(environ["wsgi.input"], max_body())
        return self.app(environ, start_response)


class BodyLimitMiddleware:
    """The same cap inside Django; first in ``MIDDLEWARE``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if too_large(request.META):
            return HttpResponse(message(), status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

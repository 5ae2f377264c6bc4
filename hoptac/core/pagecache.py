"""A short server-side cache of public pages that are the same for every visitor (the shop,
product and marketplace pages, and the trace page a QR on a jar opens), so that a link
shared in a Zalo group of thousands, or a QR scanned by a crowd at a fair, does not render
the page thousands of times.

How a page is kept and served:

- A view marks itself cacheable with :func:`cached_public_page`; the decorator only notes
  it on the request. :class:`PageCacheMiddleware`, near the top of ``MIDDLEWARE``, keeps
  the **final** answer (the bytes sent, gzip-compressed or not, and every header the other
  middleware added: Content-Security-Policy, Vary, Content-Language, Cache-Control…) and
  serves the next equal request from it **before** the session, language, CSRF,
  authentication, message and URL-resolving layers and without compressing again.
- The key is everything such a page varies on: the scheme, the host (checked against
  ``ALLOWED_HOSTS`` as always), the path and query, the language it is rendered in
  (``?lang=`` or the language cookie, :func:`languages`) and whether the visitor takes
  gzip. Tracking parameters that links collect when shared (``utm_*``, ``fbclid``,
  ``gclid``, ``zarsrc``) are removed from the request the page is rendered from, so a
  Facebook click id does not make every visit a new page.
- Only a visitor **without a session cookie** is served a kept page, and only such a
  visitor's answer is kept: someone signed in (or with a cart) always gets the page
  rendered for them. Only ``200`` answers without ``Set-Cookie`` and without a CSRF token
  used are kept; no page that shows anything about the visitor may use the decorator.
- Each entry records the **generation** of what it shows. Services that change what a
  public page shows (an order placed or cancelled, a price, a shop's settings, a stock
  movement, a product, a lot's step) bump it **after commit** (:func:`changes`), so the
  next visit renders anew. One ``get_many`` reads the entry and the generation together
  (one round trip to Redis).
- Entries also expire after ``HOPTAC_PAGE_CACHE_SECONDS`` (30 s by default; 0 turns the
  cache off). A change made without a bump is therefore seen within that time, which is
  no more than what the pages already allow browsers and proxies (``max-age=60``).
- The policy is kept with the page: there are no nonces, an inline style is allowed by its
  hash (``core/security.py``), and the same bytes carry the same hashes.
- An ``ETag`` (a hash of the bytes sent) is added; a kept page asked with a matching
  ``If-None-Match`` is a ``304`` without a body.

The cache is Django's default cache: per process with the built-in local memory, shared
across processes and servers with Redis (``HOPTAC_REDIS_URL``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified, QueryDict

_PREFIX = "hoptac:page:"

# What the shop, product, marketplace and trace pages show: products, stock, lots and their
# steps, the cooperative, its members' names (trace pages name the consenting farmers).
CATALOGUE = "catalogue"
# Every generation a kept page may depend on, read with the page in one round trip.
GENERATIONS = [CATALOGUE]

# Parameters that sharing adds to a link and that no public page reads.
TRACKING = re.compile(r"^(utm_[a-z_]*|fbclid|gclid|zarsrc)$")
_GZIP = re.compile(r"\bgzip\b")
# Headers a 304 repeats (RFC 9110 §15.4.5).
_NOT_MODIFIED_HEADERS = ("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Vary")


def _seconds() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 30))


# In front of a shared cache (Redis), each process remembers for PAGE_CACHE_LOCAL_SECONDS
# the pages it served and the generations it read, so that a crowd on one page costs one
# round trip to Redis a second per process instead of one per visit. A bump made in this
# process forgets its generation at once; one made elsewhere is seen within that time.
_local_pages: dict[str, tuple[float, tuple]] = {}
_local_generations: dict[str, tuple[float, int]] = {}
_LOCAL_MAX = 1000


def _local_seconds() -> float:
    return float(getattr(settings, "PAGE_CACHE_LOCAL_SECONDS", 0))


def _generation_key(name: str) -> str:
    return f"{_PREFIX}gen:{name}"


def generation(name: str) -> int:
    return cache.get(_generation_key(name)) or 0


def bump(name: str) -> None:
    """A new generation of ``name``: pages cached before it are no longer served. Inside a
    transaction, done when it commits (a rolled-back change changes nothing)."""

    def _bump() -> None:
        _local_generations.pop(name, None)
        key = _generation_key(name)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, None)

    transaction.on_commit(_bump)


def languages(request) -> tuple[str, str]:
    """(the language a public page is rendered in, the language active around it): the
    first is ``?lang=`` when supported, else the second, which is the language cookie's
    (``core/middleware.LanguageMiddleware``), else the default."""
    supported = {code for code, _name in settings.LANGUAGES}
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    active = chosen if chosen in supported else settings.LANGUAGE_CODE
    asked = request.GET.get("lang", "")
    return (asked if asked in supported else active), active


def cached_public_page(name: str):
    """Mark a view whose ``200`` answer is the same for every visitor without a session
    (given the key of :func:`_key`): :class:`PageCacheMiddleware` keeps it under the
    generation ``name``."""
    if name not in GENERATIONS:
        GENERATIONS.append(name)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            request.page_cache = name
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _clean_query(request) -> None:
    """Drop tracking parameters from the request the page is rendered from (the server's
    access log, which reads the WSGI environ, keeps them)."""
    query = request.META.get("QUERY_STRING", "")
    if not query or not any(TRACKING.match(part.split("=", 1)[0]) for part in query.split("&")):
        return
    kept = "&".join(part for part in query.split("&") if part and not TRACKING.match(part.split("=", 1)[0]))
    request.META = {**request.META, "QUERY_STRING": kept}
    request.GET = QueryDict(kept, encoding=request.encoding)


def _key(request) -> str:
    language, active = languages(request)
    gzip = "gz" if _GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) else "id"
    # get_host() refuses a host outside ALLOWED_HOSTS (a 400), as CommonMiddleware would.
    raw = "\n".join((request.scheme, request.get_host(), request.get_full_path(), language, active, gzip))
    return _PREFIX + "v2:" + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:40]


def _kept(request, response) -> bool:
    return (
        getattr(request, "page_cache", None) is not None
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
    )


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as for a GET)."""
    wanted = etag.removeprefix("W/")
    return any(
        tag.strip().removeprefix("W/") in (wanted, "*") for tag in if_none_match.split(",") if tag.strip()
    )


class PageCacheMiddleware:
    """Serves and keeps the pages of :func:`cached_public_page` views for visitors without
    a session; placed just inside the body-size cap, outside every other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = _seconds()
        if (
            seconds <= 0
            or request.method not in ("GET", "HEAD")
            or not request.path_info.startswith(tuple(settings.PAGE_CACHE_PATHS))
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return self.get_response(request)
        _clean_query(request)
        key = _key(request)
        local = _local_seconds()
        if local > 0:
            held = _local_pages.get(key)
            clock = time.monotonic()
            if held is not None and held[0] > clock:
                name, at, etag, headers, content = held[1]
                known = _local_generations.get(name)
                if known is not None and known[0] > clock and known[1] == at:
                    return self._answer(request, etag, headers, content)
        generation_keys = [_generation_key(name) for name in GENERATIONS]
        found = cache.get_many([key, *generation_keys])
        if local > 0:
            until = time.monotonic() + local
            for name in GENERATIONS:
                _local_generations[name] = (until, found.get(_generation_key(name)) or 0)
        entry = found.get(key)
        if entry is not None:
            name, at, etag, headers, content = entry
            now = found.get(_generation_key(name)) if name in GENERATIONS else generation(name)
            if at == (now or 0):
                if local > 0:
                    if len(_local_pages) >= _LOCAL_MAX:
                        _local_pages.clear()
                    _local_pages[key] = (time.monotonic() + local, entry)
                return self._answer(request, etag, headers, content)
        response = self.get_response(request)
        name = getattr(request, "page_cache", None)
        if _kept(request, response):
            at = found.get(_generation_key(name)) if name in GENERATIONS else generation(name)
            content = response.content
            etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
            response["ETag"] = etag
            cache.set(key, (name, at or 0, etag, list(response.items()), content), seconds)
        return response

    @staticmethod
    def _answer(request, etag: str, headers: list, content: bytes) -> HttpResponse:
        if _matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
            response = HttpResponseNotModified()
            for header, value in headers:
                if header in _NOT_MODIFIED_HEADERS:
                    response[header] = value
            return response
        response = HttpResponse(content)
        for header, value in headers:
            response[header] = value
        return response


def changes(name: str):
    """Mark a service that changes what public pages of ``name`` show. Put it *under*
    ``@transaction.atomic`` so the bump waits for the commit."""

    def decorator(service):
        @functools.wraps(service)
        def wrapper(*args, **kwargs):
            bump(name)
            return service(*args, **kwargs)

        return wrapper

    return decorator

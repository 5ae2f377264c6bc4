"""A short server-side cache of public pages that are the same for every visitor (the shop,
product and marketplace pages, and the trace page a QR on a jar opens), so that a link shared in a Zalo group of thousands does not
render the page thousands of times.

- The key is the page's path and query, the language it is rendered in, and the current
  **generation** of what it shows. Services that change what a public page shows (an order
  placed or cancelled, a price, a shop's settings, a stock movement, a product) call
  :func:`bump` for their generation **after commit**, so the next visit renders anew.
- Entries also expire after ``HOPTAC_PAGE_CACHE_SECONDS`` (30 s by default; 0 turns the
  cache off). A change made without a bump is therefore seen within that time, which is
  no more than what the pages already allow browsers and proxies (``max-age=60``).
- A cached page keeps the hashes of its inline styles, so the Content-Security-Policy of a
  cached answer is the same as the first one's (``core/security.py``).
- Only 200 answers without a ``Set-Cookie`` are kept; no page that shows anything about the
  visitor (a cart, a message, a form with a CSRF token) may use it.

The cache is Django's default cache: per process with the built-in local memory, shared
across processes and servers with Redis (``HOPTAC_REDIS_URL``).
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

_PREFIX = "hoptac:page:"


def _seconds() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 30))


def generation(name: str) -> int:
    return cache.get(f"{_PREFIX}gen:{name}") or 0


def bump(name: str) -> None:
    """A new generation of ``name``: pages cached before it are no longer served. Inside a
    transaction, done when it commits (a rolled-back change changes nothing)."""

    def _bump() -> None:
        key = f"{_PREFIX}gen:{name}"
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, None)

    transaction.on_commit(_bump)


def cached_public_page(name: str, *, language):
    """Cache a view's answer for ``_seconds()``; ``language(request)`` is the language the
    view renders in (part of the key)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            seconds = _seconds()
            if seconds <= 0 or request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
            key = f"{_PREFIX}{name}:{generation(name)}:{language(request)}:{digest}"
            hit = cache.get(key)
            if hit is not None:
                content, headers, hashes = hit
                response = HttpResponse(content, status=200)
                for header, value in headers:
                    response[header] = value
                request.csp_style_hashes = list(hashes)
                return response
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies and not response.streaming:
                headers = [(h, v) for h, v in response.items() if h.lower() != "content-security-policy"]
                hashes = tuple(getattr(request, "csp_style_hashes", ()))
                cache.set(key, (response.content, headers, hashes), seconds)
            return response

        return wrapper

    return decorator


# What the shop, product, marketplace and trace pages show: products, stock, lots and their
# steps, the cooperative, its members' names (trace pages name the consenting farmers).
CATALOGUE = "catalogue"


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

"""Security headers on every response: Content-Security-Policy, Permissions-Policy and
``Cache-Control: private, no-store`` on pages with personal or money data.

- **CSP**: no inline script anywhere, styles from files only, except stylesheets that a
  page must carry inline (the public trace page fits its first response in 14 KB). Such a
  page inlines a static CSS file with ``{% inline_style "…css" %}``, which records the
  file's sha256 on the request (:func:`style_hash_add`); this middleware adds the hashes
  of that response to ``style-src``, so the inline style is allowed by its hash alone.
- **Permissions-Policy**: no page uses the camera, microphone, location, payment or USB
  (there is no JavaScript), so every feature is off for every origin.
- **Cache-Control**: everything under the signed-in parts of the site (``/c/…``,
  ``/accounts/``, ``/api/``, ``/admin/``, ``/switch/``) and every response to a signed-in
  person is ``private, no-store``, so that a shared office PC or a proxy keeps no copy of
  a member list, a statement or an export. Public pages (trace pages, ``/healthz``, static
  files, public product photos) keep the caching their views give them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re

# Paths whose every response holds (or may hold) personal or money data.
PRIVATE_PREFIXES = ("/c/", "/accounts/", "/api/", "/admin/", "/switch/")
# Paths that are public whoever asks (static files and public product photos).
PUBLIC_PREFIXES = ("/static/", "/media/")

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
        "interest-cohort",
        "browsing-topics",
    )
)


def csp_hash(css: str) -> str:
    """The CSP source of an inline ``<style>`` whose exact content is ``css``."""
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def style_hash_add(request, css: str) -> str:
    """Allow the inline style ``css`` in the response to ``request``; returns its source."""
    source = csp_hash(css)
    if request is not None:
        hashes = getattr(request, "csp_style_hashes", None)
        if hashes is None:
            hashes = request.csp_style_hashes = []
        if source not in hashes:
            hashes.append(source)
    return source


_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@functools.cache
def admin_style_hashes() -> tuple[str, ...]:
    """The one inline style of Django's admin (the change list without actions sets a
    column width), hashed from Django's own template so that it follows Django upgrades.
    Allowed under ``/admin/`` only."""
    from django.template.loader import get_template

    try:
        source = get_template("admin/change_list.html").template.source
    except Exception:  # noqa: BLE001 - no admin, no hash
        return ()
    return tuple(csp_hash(css) for css in _STYLE_BLOCK.findall(source))


def content_security_policy(style_hashes: list[str] | tuple[str, ...] = ()) -> str:
    style_src = " ".join(("'self'", *style_hashes))
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src {style_src}",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
    return "; ".join(directives)


def is_private(request, response) -> bool:
    """Whether ``response`` may hold personal or money data (and so must not be stored)."""
    path = request.path_info
    if path.startswith(PRIVATE_PREFIXES):
        return True
    if path.startswith(PUBLIC_PREFIXES):
        return False
    if "public" in response.get("Cache-Control", ""):
        return False  # a public page (trace page, schema) says so itself
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def mark_private(response) -> None:
    """``Cache-Control: private, no-store`` (stricter values set by a view are kept)."""
    current = {part.strip().split("=")[0].lower() for part in response.get("Cache-Control", "").split(",")}
    if {"private", "no-store"} <= current:
        return
    response["Cache-Control"] = "private, no-store"
    if response.has_header("Expires"):
        del response["Expires"]


class SecurityHeadersMiddleware:
    """Sets CSP, Permissions-Policy and, on private responses, ``Cache-Control``.

    Placed just inside the body-size cap, so that it sees every response, static files
    (answered by WhiteNoise further in) included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            hashes = list(getattr(request, "csp_style_hashes", ()))
            if request.path_info.startswith("/admin/"):
                hashes += admin_style_hashes()
            response["Content-Security-Policy"] = content_security_policy(hashes)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if is_private(request, response):
            mark_private(response)
        return response

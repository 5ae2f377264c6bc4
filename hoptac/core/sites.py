"""The platform's public address, for links that leave the page: SMS, QR labels, previews."""

from __future__ import annotations

from django.conf import settings


def public_base(request=None) -> str:
    """``PUBLIC_URL`` (HOPTAC_PUBLIC_URL) or, when it is empty, the request's own host
    (``""`` without a request: a relative link)."""
    base = (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    if base:
        return base
    if request is None:
        return ""
    return request.build_absolute_uri("/").rstrip("/")

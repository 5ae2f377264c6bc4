"""Uploaded files: the public ones at ``/media/``, the private ones only through a view that
checks who asks.

Two places on disk, so that no web server rule can mix them up:

- ``MEDIA_ROOT`` (``DATA_DIR/media``): product photos and cooperative logos. They are on
  public pages (the trace page, the shop), so anyone may fetch them. ``/media/`` serves only
  the folders in ``PUBLIC_PREFIXES`` and only images; anything else there is a 404 (a
  certificate scan left in ``media/certificates/`` by an old version included).
- ``PRIVATE_MEDIA_ROOT`` (``DATA_DIR/private``): certificate scans, and whatever later says
  something about a member. These files have no URL (``PrivateStorage.url`` refuses); a view
  of the owning app checks the permission in the cooperative and answers with
  ``private_file_response`` (``Cache-Control: private, no-store``).

Every answer carries ``X-Content-Type-Options: nosniff`` and a content type taken from a
short list of extensions: a file is never served as HTML or SVG.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.views.decorators.http import require_safe
from django.views.static import serve

# Folder of MEDIA_ROOT → Cache-Control max-age. Product photo names carry a random part made
# at upload (catalog.services.photo_add) and are never rewritten: they are immutable. A logo
# keeps the uploaded name, so it is cached for a day only.
PUBLIC_PREFIXES: dict[str, int] = {
    "products/": 365 * 24 * 3600,
    "coops/logos/": 24 * 3600,
}
IMMUTABLE_PREFIXES = ("products/",)
# What /media/ may answer: raster images only (an SVG can carry script).
PUBLIC_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
# Private files: shown in the browser when it is a PDF or a photo, else downloaded.
INLINE_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


class PrivateStorage(FileSystemStorage):
    """Files under ``settings.PRIVATE_MEDIA_ROOT`` (read at each use, so that a test's
    setting applies); they have no URL."""

    def __init__(self, **kwargs):
        kwargs.pop("location", None)
        kwargs.pop("base_url", None)
        super().__init__(**kwargs)

    @property
    def base_location(self):  # type: ignore[override]
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):  # type: ignore[override]
        return str(Path(self.base_location).resolve())

    @cached_property
    def base_url(self):  # type: ignore[override]
        return None

    def url(self, name):
        raise ValueError("A private file has no URL: link to the view that checks the permission.")


_private = PrivateStorage()


def private_storage() -> PrivateStorage:
    """The storage of private uploads (a callable, so that migrations name it, not a path)."""
    return _private


def _clean(path: str) -> str | None:
    """``path`` as a plain relative name, or None when it tries to climb or is odd."""
    if not path or "\\" in path or "\x00" in path or path.startswith("/"):
        return None
    normal = posixpath.normpath(path)
    if normal != path or normal.startswith("..") or "/../" in f"/{normal}/":
        return None
    return normal


@require_safe
def public_media(request, path: str):
    """``/media/<path>`` (when the application serves the media): product photos and logos
    only, with a long cache; a 404 for everything else, existing or not."""
    name = _clean(path)
    prefix = next((p for p in PUBLIC_PREFIXES if name and name.startswith(p)), None)
    if prefix is None:
        raise Http404
    content_type, encoding = mimetypes.guess_type(name)
    if content_type not in PUBLIC_TYPES or encoding:
        raise Http404
    response = serve(request, name, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    if response.status_code in (200, 304):
        cache = {"public": True, "max_age": PUBLIC_PREFIXES[prefix]}
        if prefix in IMMUTABLE_PREFIXES:
            cache["immutable"] = True
        patch_cache_control(response, **cache)
        # The same bytes whatever the language cookie: no "Vary: Cookie", which would keep
        # shared caches from keeping the photo (core.middleware.LanguageMiddleware).
        response.language_neutral = True
    return response


def private_file_response(file, *, download_name: str) -> FileResponse:
    """The answer for a private file the caller has checked the user may read: ``file`` is an
    open file; ``download_name`` the name offered to the browser (its extension decides the
    content type). PDF and photos open in the browser, anything else downloads."""
    extension = Path(download_name).suffix.lower()
    content_type = INLINE_TYPES.get(extension)
    response = FileResponse(
        file,
        as_attachment=content_type is None,
        filename=download_name,
        content_type=content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


def open_private(name: str, *, legacy_prefixes: tuple[str, ...] = ()):
    """Open the private file ``name`` for reading; raises Http404 when it is missing.

    A file of ``legacy_prefixes`` that an old version stored under MEDIA_ROOT (and that was
    not moved, e.g. restored from an old backup after the migration) is read from there: it
    is served through the caller's check, never by ``/media/``."""
    clean = _clean(name or "")
    if clean is None:
        raise Http404
    storage = private_storage()
    if storage.exists(clean):
        return storage.open(clean, "rb")
    if clean.startswith(legacy_prefixes):
        old = Path(settings.MEDIA_ROOT) / clean
        if old.is_file():
            return old.open("rb")
    raise Http404

"""Product photos: check an upload is a real, reasonably sized image and make the variants.

Phones send 4000×3000 JPEGs of 5 MB with the rotation in an EXIF tag; shop and trace pages
on a weak mobile connection want a few tens of kilobytes. So every upload is opened with
Pillow (a file that is not an image, or is cut short, is refused with a message), turned
upright, and stored three times as JPEG without its metadata (no GPS position of the
member's house): the "original" at most 2000 px, ``medium`` 800 px wide and ``small``
320 px wide.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
ORIGINAL_MAX = 2000
MEDIUM_WIDTH = 800
SMALL_WIDTH = 320
QUALITY = 80


@dataclass(frozen=True)
class Variants:
    original: ContentFile
    medium: ContentFile
    small: ContentFile
    width: int  # of the stored original
    height: int


def _read(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _too_large()
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large()
    if not data:
        raise ValidationError(_("The file is empty."), code="photo")
    return data


def _too_large() -> ValidationError:
    return ValidationError(
        _("The photo is too large (at most %(mb)s MB).") % {"mb": MAX_BYTES // (1024 * 1024)}, code="photo"
    )


def _not_an_image() -> ValidationError:
    return ValidationError(
        _("This file is not a photo we can read, or it is damaged. Send a JPEG, PNG or WebP photo."),
        code="photo",
    )


def _open(data: bytes) -> Image.Image:
    """The decoded, upright image; refuses what is not a whole image of a sane size."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _("The photo has too many pixels (at most %(mp)s megapixels).")
                    % {"mp": MAX_PIXELS // 1_000_000},
                    code="photo",
                )
            probe.verify()  # catches many corrupt files before decoding
        image = Image.open(io.BytesIO(data))
        image.load()  # a truncated file fails here
        image = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _not_an_image() from None
    return image


def _rgb(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: put transparent pixels on white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def _jpeg(image: Image.Image, name: str) -> ContentFile:
    buffer = io.BytesIO()
    # A new image carries no EXIF, ICC or comment: nothing is passed, nothing is kept.
    image.save(buffer, format="JPEG", quality=QUALITY, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue(), name=name)


def _to_width(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image.copy()
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def variant_size(width: int, height: int, target: int) -> tuple[int, int]:
    """The size of the variant ``target`` px wide made from a ``width``×``height`` original."""
    if not width or not height or width <= target:
        return width, height
    return target, max(1, round(height * target / width))


def make_variants(upload, *, stem: str) -> Variants:
    """Check ``upload`` and return the three JPEGs to store; raises ValidationError."""
    image = _rgb(_open(_read(upload)))
    original = image.copy()
    original.thumbnail((ORIGINAL_MAX, ORIGINAL_MAX), Image.Resampling.LANCZOS)
    return Variants(
        original=_jpeg(original, f"{stem}.jpg"),
        medium=_jpeg(_to_width(original, MEDIUM_WIDTH), f"{stem}-800.jpg"),
        small=_jpeg(_to_width(original, SMALL_WIDTH), f"{stem}-320.jpg"),
        width=original.width,
        height=original.height,
    )


# --- certificate documents ---------------------------------------------------------------------

DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
_SIGNATURES = {
    b"%PDF-": "pdf",
    b"\xff\xd8\xff": "jpg",
    b"\x89PNG\r\n\x1a\n": "png",
}


def check_document(upload) -> str:
    """The extension of a certificate scan (PDF, JPEG or PNG, by content); raises otherwise."""
    size = getattr(upload, "size", None)
    if size is not None and size > DOCUMENT_MAX_BYTES:
        raise ValidationError(
            _("The document is too large (at most %(mb)s MB).") % {"mb": DOCUMENT_MAX_BYTES // (1024 * 1024)},
            code="document",
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    head = upload.read(16)
    if hasattr(upload, "seek"):
        upload.seek(0)
    for magic, ext in _SIGNATURES.items():
        if head.startswith(magic):
            return ext
    raise ValidationError(_("The document must be a PDF, JPEG or PNG file."), code="document")


def srcset(photo) -> str:
    """The ``srcset`` of a stored photo from its resized variants: the 320 px one and the
    800 px one, each with its real width (a photo narrower than a variant was not enlarged,
    so a variant the same width as a smaller one is left out). ``""`` without variants."""
    entries, seen = [], set()
    for field, target in ((photo.small, SMALL_WIDTH), (photo.medium, MEDIUM_WIDTH)):
        if not field:
            continue
        width = variant_size(photo.width, photo.height, target)[0]
        if width and width not in seen:
            seen.add(width)
            entries.append(f"{field.url} {width}w")
    return ", ".join(entries)

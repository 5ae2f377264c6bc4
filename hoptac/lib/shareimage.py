"""Share images of a product for Zalo, Facebook and the like (Open Graph cards), with Pillow.

Two shapes:

- ``1200 × 630`` (the default, ``og:image``): the photo cover-cropped on the left, a light
  panel on the right with the cooperative's name, the product's name (at most 3 lines),
  the price, and the OCOP stars;
- ``1080 × 1080`` (``square=True`` or ``size=(1080, 1080)``): the photo on top, the same
  text below, and a QR code (``qr_text``, e.g. the product's address) in the lower right corner.

Without a photo (or with one Pillow cannot read) the card is a clean green card with the
same text. Text is set in Be Vietnam Pro (OFL, ``static/hoptac/fonts``), which has every
Vietnamese letter; stars are drawn as polygons, not taken from a font. Everything is drawn
at twice the size and scaled down, for smooth edges. The result is a JPEG (quality 82,
progressive, well under 200 KB) or, with ``image_format="png"``, a PNG of at most 256
colours (for apps that recompress JPEGs badly; still small). The QR code is drawn after the
scaling, in whole pixels per module, so it stays sharp and reads (tests decode it).
"""

from __future__ import annotations

import io
import math
import os
from functools import lru_cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont, ImageOps

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "hoptac" / "fonts"
REGULAR = FONT_DIR / "BeVietnamPro-Regular.ttf"
BOLD = FONT_DIR / "BeVietnamPro-Bold.ttf"

LANDSCAPE = (1200, 630)
SQUARE = (1080, 1080)
QUALITY = 82
SCALE = 2  # drawn at twice the size, then scaled down

INK = (27, 31, 29)
MUTED = (83, 93, 88)
ACCENT = (31, 95, 63)
ACCENT_DARK = (23, 74, 49)
PAPER = (250, 248, 242)
GOLD = (233, 172, 32)
WHITE = (255, 255, 255)
MAX_TITLE_LINES = 3


@lru_cache(maxsize=32)
def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)


def _open_photo(photo: bytes | str | os.PathLike | None) -> Image.Image | None:
    if photo is None:
        return None
    try:
        source = io.BytesIO(photo) if isinstance(photo, bytes | bytearray) else photo
        with Image.open(source) as image:
            image.draft("RGB", (2400, 2400))  # a big JPEG is decoded at a reduced scale
            return ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # not an image we can read: the card without a photo


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap; a word longer than the line is cut by characters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if face.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while face.getlength(word) > width:
            cut = len(word)
            while cut > 1 and face.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def _fit_title(title: str, width: int, sizes: tuple[int, ...]) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which the title fits in 3 lines; else the smallest, ellipsized."""
    title = " ".join(title.split()) or "…"
    for size in sizes:
        face = font(size, bold=True)
        lines = _wrap(title, face, width)
        if len(lines) <= MAX_TITLE_LINES:
            return face, lines
    lines = lines[:MAX_TITLE_LINES]
    last = lines[-1]
    while last and face.getlength(last + "…") > width:
        last = last[:-1].rstrip()
    lines[-1] = last + "…"
    return face, lines


def _ellipsize(text: str, face: ImageFont.FreeTypeFont, width: int) -> str:
    text = " ".join(text.split())
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(text + "…") > width:
        text = text[:-1].rstrip()
    return text + "…"


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float, fill) -> None:
    inner = radius * 0.42
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=fill)


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return ImageOps.fit(image, size, method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def _qr_image(text: str, box: int) -> Image.Image:
    """A QR code with its quiet zone, ``box`` pixels square (modules stay whole pixels)."""
    code = segno.make(text, error="m", micro=False)
    border = 2
    modules = code.symbol_size(scale=1, border=border)[0]
    scale = max(1, box // modules)
    rows = list(code.matrix_iter(scale=scale, border=border))
    image = Image.new("L", (len(rows[0]), len(rows)), 255)
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    return image.convert("RGB")


class _Text:
    """Where the text block goes and the colours it uses."""

    def __init__(self, *, left: int, top: int, width: int, bottom: int, ink, muted, accent, star):
        self.left, self.top, self.width, self.bottom = left, top, width, bottom
        self.ink, self.muted, self.accent, self.star = ink, muted, accent, star


def _draw_text(draw: ImageDraw.ImageDraw, box: _Text, *, s: int, title, price_text, stars, coop_name, sizes):
    """Coop name on top, then title, price and stars; returns nothing (draws in place)."""
    y = box.top
    coop_face = font(26 * s, bold=True)
    coop = _ellipsize(coop_name.upper(), coop_face, box.width)
    draw.rectangle((box.left, y + 4 * s, box.left + 6 * s, y + 30 * s), fill=box.accent)
    draw.text((box.left + 18 * s, y), coop, font=coop_face, fill=box.accent)
    y += 64 * s

    face, lines = _fit_title(title, box.width, tuple(size * s for size in sizes))
    line_height = int(face.size * 1.22)
    for line in lines:
        draw.text((box.left, y), line, font=face, fill=box.ink)
        y += line_height
    y += 18 * s

    price_face = font(int(sizes[0] * 1.1) * s, bold=True)
    for size in range(int(sizes[0] * 1.1), 27, -4):  # the price shrinks rather than lose its unit
        price_face = font(size * s, bold=True)
        if price_face.getlength(" ".join(price_text.split())) <= box.width:
            break
    price = _ellipsize(price_text, price_face, box.width)
    draw.text((box.left, y), price, font=price_face, fill=box.accent)
    y += int(price_face.size * 1.35)

    if stars:
        radius = 19 * s
        cy = max(y + radius, box.bottom - radius) if box.bottom else y + radius
        cx = box.left + radius
        for _ in range(max(0, min(int(stars), 5))):
            _star(draw, cx, cy, radius, box.star)
            cx += radius * 2 + 8 * s
        label = font(28 * s, bold=True)
        draw.text((cx + 4 * s, cy), "OCOP", font=label, fill=box.muted, anchor="lm")


def render_share_image(
    *,
    photo: bytes | str | os.PathLike | None,
    title: str,
    price_text: str,
    stars: int | None,
    coop_name: str,
    size: tuple[int, int] = LANDSCAPE,
    qr_text: str | None = None,
    square: bool = False,
    image_format: str = "jpeg",
) -> bytes:
    """The share card as JPEG (or PNG) bytes (``size`` 1200×630, or 1080×1080 with ``square``)."""
    if image_format not in ("jpeg", "png"):
        raise ValueError("A share image is a JPEG or a PNG.")
    if square:
        size = SQUARE
    width, height = size
    if width < 200 or height < 200:
        raise ValueError("A share image is at least 200 × 200 pixels.")
    s = SCALE
    W, H = width * s, height * s
    image = Image.new("RGB", (W, H), PAPER)
    draw = ImageDraw.Draw(image)
    picture = _open_photo(photo)
    tall = height >= width * 0.8

    if tall:
        qr_box = int(min(width, height) * 0.24) * s if qr_text else 0
        photo_h = int(H * 0.56)
        margin = 56 * s
        if picture is not None:
            image.paste(_cover(picture, (W, photo_h)), (0, 0))
            colours = {"ink": INK, "muted": MUTED, "accent": ACCENT, "star": GOLD}
            text_top = photo_h + 44 * s
        else:
            _green(image, (0, 0, W, H))
            colours = {"ink": WHITE, "muted": (214, 234, 222), "accent": (190, 236, 208), "star": GOLD}
            text_top = 150 * s
        # Beside the photo the text shares the lower part with the QR code; on the green card
        # the text stays above it and takes the whole width.
        beside_qr = qr_box and picture is not None
        text_width = W - 2 * margin - (qr_box + 32 * s if beside_qr else 0)
        box = _Text(left=margin, top=text_top, width=text_width, bottom=H - margin, **colours)
        sizes = (52, 46, 40, 36) if picture is not None else (92, 80, 68, 56)
        _draw_text(
            draw, box, s=s, title=title, price_text=price_text, stars=stars, coop_name=coop_name, sizes=sizes
        )
    else:
        margin = 56 * s
        if picture is not None:
            photo_w = int(W * 0.5)
            image.paste(_cover(picture, (photo_w, H)), (0, 0))
            draw.rectangle((photo_w, 0, photo_w + 8 * s, H), fill=ACCENT)
            left = photo_w + 8 * s + margin
            colours = {"ink": INK, "muted": MUTED, "accent": ACCENT, "star": GOLD}
            sizes = (54, 48, 42, 36)
        else:
            _green(image, (0, 0, W, H))
            left = margin + 24 * s
            colours = {"ink": WHITE, "muted": (214, 234, 222), "accent": (190, 236, 208), "star": GOLD}
            sizes = (72, 62, 54, 46)
        qr_box = int(height * 0.34) * s if qr_text else 0
        right = W - margin - (qr_box + 32 * s if qr_box else 0)
        box = _Text(left=left, top=margin + 8 * s, width=right - left, bottom=H - margin, **colours)
        _draw_text(
            draw, box, s=s, title=title, price_text=price_text, stars=stars, coop_name=coop_name, sizes=sizes
        )

    image = image.resize(size, Image.Resampling.LANCZOS)
    if qr_text:
        side = qr_box // s
        qr = _qr_image(qr_text, side)
        pad = 12
        x = width - 56 - qr.width
        y = height - 56 - qr.height
        ImageDraw.Draw(image).rounded_rectangle(
            (x - pad, y - pad, x + qr.width + pad, y + qr.height + pad), radius=14, fill=WHITE
        )
        image.paste(qr, (x, y))

    out = io.BytesIO()
    if image_format == "png":
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    else:
        image.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _green(image: Image.Image, box: tuple[int, int, int, int]) -> None:
    """A diagonal green gradient with two soft circles: a card that needs no photo."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    down = Image.linear_gradient("L").resize((w, h))
    across = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize((w, h))
    small = Image.blend(down, across, 0.5)
    top, bottom = Image.new("RGB", (w, h), (42, 122, 80)), Image.new("RGB", (w, h), ACCENT_DARK)
    card = Image.composite(bottom, top, small)
    overlay = ImageDraw.Draw(card, "RGBA")
    r = int(min(w, h) * 0.55)
    overlay.ellipse((w - r, -r // 2, w + r, int(r * 1.5)), fill=(255, 255, 255, 18))
    overlay.ellipse(
        (w - int(r * 0.6), h - int(r * 0.5), w + int(r * 0.8), h + int(r * 0.9)), fill=(255, 255, 255, 14)
    )
    image.paste(card, (x0, y0))

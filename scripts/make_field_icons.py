"""Draw the field app's icons (hoptac/static/hoptac/field/icon-192.png, icon-512.png) from
the same shapes as hoptac/static/hoptac/icon.svg: a green square, a yellow arc, a white dot.
Reproducible (no font, no randomness); run after changing the shapes:

    .venv/bin/python scripts/make_field_icons.py

The 512 px icon keeps the shapes inside the middle 80 % so that it also serves as the
"maskable" icon Android crops to a circle.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "hoptac" / "static" / "hoptac" / "field"
GREEN = (31, 95, 63)
YELLOW = (242, 193, 78)
WHITE = (255, 255, 255)


def draw(size: int) -> Image.Image:
    scale = 4  # draw large, then shrink: smooth edges without anti-aliasing support
    big = size * scale
    image = Image.new("RGB", (big, big), GREEN)
    pen = ImageDraw.Draw(image)
    unit = big / 40  # the 32-unit icon in the middle 80 %
    ox = oy = 4 * unit
    # The arc of icon.svg: from (8,22) up and back to (24,22), 3 units thick.
    box = [ox + 8 * unit, oy + 12.5 * unit, ox + 24 * unit, oy + 31.5 * unit]
    pen.arc(box, start=180, end=360, fill=YELLOW, width=round(3 * unit))
    cx, cy, r = ox + 16 * unit, oy + 11 * unit, 3 * unit
    pen.ellipse([cx - r, cy - r, cx + r, cy + r], fill=WHITE)
    return image.resize((size, size), Image.LANCZOS).quantize(colors=32)


def main() -> None:
    for size in (192, 512):
        path = OUT / f"icon-{size}.png"
        draw(size).save(path, optimize=True)
        print(f"{path.relative_to(OUT.parents[3])}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()

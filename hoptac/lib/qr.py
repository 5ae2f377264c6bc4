"""QR codes as inline SVG (segno: small, no image library needed)."""

from __future__ import annotations

import segno


def svg(data: str, *, scale: int = 4, border: int = 2, title: str = "") -> str:
    """An ``<svg>`` element for ``data`` (error correction M), ready to inline in HTML."""
    code = segno.make(data, error="m", micro=False)
    return code.svg_inline(scale=scale, border=border, title=title or None, dark="#000", light="#fff")

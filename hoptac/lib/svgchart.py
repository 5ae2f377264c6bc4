"""Tiny charts drawn on the server as SVG markup: no JavaScript, no chart library.

Pure functions from numbers to a string of SVG. Every piece of text is escaped; every
chart starts with a ``<title>`` (its accessible name, read by screen readers and shown as a
tooltip) and has ``role="img"``; every bar carries its own ``<title>`` with its label and
value. Colours come from CSS classes (``hoptac/static/hoptac/overview.css``) with a
``fill`` attribute as the fallback, so a chart prints in solid ink. No ``style``
attribute: the Content-Security-Policy forbids inline styles.

The caller marks the result safe (``django.utils.safestring.mark_safe``): it is safe by
construction, since nothing of the input reaches the markup unescaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

SVG_NS = "http://www.w3.org/2000/svg"


def _num(value: float) -> str:
    """A coordinate with at most one decimal, without a trailing ``.0``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _open(width: int, height: int, title: str, css: str) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" class="{escape(css)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" focusable="false">'
        f"<title>{escape(title)}</title>"
    )


def bars(
    items: Sequence[tuple[str, float, str]],
    *,
    title: str,
    width: int = 240,
    height: int = 64,
    gap: int = 3,
) -> str:
    """A bar chart of ``items`` — ``(label, value, value_text)`` — left to right.

    ``value_text`` is how the value reads to a person (``"1.250 kg"``); it goes into each
    bar's ``<title>``. Negative values draw as empty bars. With no items the chart is a
    baseline only (still with its title).
    """
    out = [_open(width, height, title, "chart chart-bars")]
    baseline = height - 1
    if items:
        top = max((max(0.0, float(v)) for _, v, _ in items), default=0.0)
        slot = width / len(items)
        bar_width = max(1.0, slot - gap)
        for index, (label, value, value_text) in enumerate(items):
            value = max(0.0, float(value))
            bar_height = (value / top) * (height - 2) if top > 0 else 0.0
            if value > 0:
                bar_height = max(bar_height, 1.0)  # a small week still shows
            x = index * slot + gap / 2
            y = baseline - bar_height
            out.append(
                f'<rect class="bar" fill="currentColor" x="{_num(x)}" y="{_num(y)}" '
                f'width="{_num(bar_width)}" height="{_num(bar_height)}">'
                f"<title>{escape(label)}: {escape(value_text)}</title></rect>"
            )
    out.append(
        f'<line class="axis" stroke="currentColor" x1="0" y1="{baseline}" x2="{width}" y2="{baseline}"/>'
    )
    out.append("</svg>")
    return "".join(out)


def progress(
    value: float,
    total: float,
    *,
    title: str,
    width: int = 240,
    height: int = 14,
) -> str:
    """A progress bar: ``value`` against ``total`` (e.g. bought against agreements).

    More than the total fills the bar and adds the ``over`` class; a total of zero or less
    draws an empty track.
    """
    value = max(0.0, float(value))
    total = float(total)
    share = min(1.0, value / total) if total > 0 else 0.0
    over = total > 0 and value > total
    css = "chart chart-progress over" if over else "chart chart-progress"
    fill_width = width * share
    return "".join(
        [
            _open(width, height, title, css),
            f'<rect class="track" fill="none" stroke="currentColor" x="0.5" y="0.5" '
            f'width="{width - 1}" height="{height - 1}" rx="3"/>',
            f'<rect class="fill" fill="currentColor" x="0" y="0" width="{_num(fill_width)}" '
            f'height="{height}" rx="3"/>'
            if fill_width > 0
            else "",
            "</svg>",
        ]
    )


def percent(value: float, total: float) -> int | None:
    """``value`` as a whole percentage of ``total``; ``None`` when there is no total."""
    if not total or float(total) <= 0:
        return None
    return round(float(value) * 100 / float(total))

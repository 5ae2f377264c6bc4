"""Filters of the trace pages: ISO dates and codes of the trace data made readable."""

from __future__ import annotations

import datetime as dt

from django import template

from hoptac.catalog.models import CertificateKind
from hoptac.inventory.models import StepKind
from hoptac.lib.phone import display_phone, to_international

register = template.Library()


@register.filter
def isodate(value: str | None):
    """``"2026-11-27"`` -> a date, for ``|date:"DATE_FORMAT"``; empty stays empty."""
    if not value:
        return ""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return ""


@register.filter
def step_label(kind: str) -> str:
    try:
        return str(StepKind(kind).label)
    except ValueError:
        return kind


@register.filter
def cert_label(cert: dict) -> str:
    if cert.get("kind") == CertificateKind.OCOP:
        return f"OCOP {cert.get('stars') or ''}★"
    try:
        return str(CertificateKind(cert.get("kind")).label)
    except ValueError:
        return str(cert.get("kind", ""))


@register.filter
def tel(phone: str) -> str:
    """``0912345678`` -> ``+84912345678`` for a ``tel:`` link."""
    try:
        return "+" + to_international(phone)
    except (ValueError, TypeError):
        return phone


@register.filter
def phone_text(phone: str) -> str:
    return display_phone(phone)


@register.filter
def is_mobile(phone: str) -> bool:
    """Zalo accounts are on mobile numbers; a landline (02…) has none."""
    return bool(phone) and len(phone) == 10 and phone[:2] in ("03", "05", "07", "08", "09")


@register.filter
def communes(items: list[dict]) -> str:
    """``Xã Mèo Vạc, Xã Sơn Vĩ (Tuyên Quang)``: each province named once, after its communes."""
    by_province: dict[str, list[str]] = {}
    for item in items:
        by_province.setdefault(item.get("province_name", ""), []).append(item["name"])
    parts = []
    for province, names in by_province.items():
        text = ", ".join(names)
        parts.append(f"{text} ({province})" if province else text)
    return "; ".join(parts)

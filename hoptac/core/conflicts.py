"""Edits detect conflicts: a record changed since its form was opened is not overwritten.

No migration, no version column: when an edit form is rendered it carries, in the hidden
field ``form_base``, the record's editable values as they were (signed, so they come back
as they went out). On POST the view builds an :class:`EditGuard` from the values stored
*now* and asks ``guard.unchanged(form)`` before saving. If someone else saved the record
in between, nothing is written; the form is shown again with the user's values and, field
by field, the value now, the value when the form was opened, and the user's value. The
re-rendered form carries the values of now as its new base, so sending it again keeps
the user's values (they decided), and opening the form again starts from what is stored.

Use in a view (declared with ``@edits`` from ``core/formkeys.py``)::

    guard = EditGuard(request, current=MemberForm.initial_from(member))
    if request.method == "POST" and form.is_valid() and guard.unchanged(form):
        services.member_update(...)
    render(..., {"form": form, "guard": guard})

and in the template, inside the ``<form>``: ``{% include "_conflict.html" %}``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core import signing
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hoptac.core.fields import MoneyField, PhoneField
from hoptac.lib.money import format_vnd
from hoptac.lib.phone import display_phone

FIELD = "form_base"
SALT = "hoptac.core.conflicts"
_MISSING = object()


def normal(value: Any) -> Any:
    """``value`` as plain JSON that compares equal when the stored value is the same."""
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a stored file
        return value.name or ""
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return sorted((normal(v) for v in value), key=str)
    return str(value)


def sign(values: Mapping[str, Any]) -> str:
    return signing.dumps(dict(values), salt=SALT, compress=True)


def read(token: str | None) -> dict | None:
    """The values signed in ``token``, or ``None`` if it is missing or was tampered with."""
    if not token:
        return None
    try:
        values = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return values if isinstance(values, dict) else None


def _labels(field) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, label in getattr(field, "choices", ()):
        if isinstance(label, list | tuple):  # a group of choices
            labels.update({str(k): str(v) for k, v in label})
        else:
            labels[str(key)] = str(label)
    return labels


def shown(field, value: Any) -> str:
    """A normalised value as a person reads it in ``field``."""
    if value in ("", None, []):
        return "—"
    if isinstance(field, forms.BooleanField) or isinstance(value, bool):
        return _("yes") if value else _("no")
    if field is not None and hasattr(field, "choices"):
        labels = _labels(field)
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in values)
    if isinstance(field, MoneyField) and isinstance(value, int):
        return format_vnd(value, language=get_language() or "vi")
    if isinstance(field, PhoneField):
        return display_phone(str(value))
    if isinstance(field, forms.DateField) and isinstance(value, str):
        try:
            return date_format(dt.date.fromisoformat(value[:10]), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Change:
    name: str
    label: str
    theirs: str  # stored now, by someone else
    base: str  # when this form was opened
    mine: str  # what this form sends


class EditGuard:
    """The edit form's view of its record: when it was opened and what it holds now."""

    def __init__(self, request, *, current: Mapping[str, Any]):
        self.current = {name: normal(value) for name, value in current.items()}
        self.changes: list[Change] = []
        posted = request.POST.get(FIELD) if request.method == "POST" else None
        self.base = read(posted)
        self.token = posted if self.base is not None else sign(self.current)

    def unchanged(self, form) -> bool:
        """``True`` when nobody changed the record since the form was opened. Otherwise
        ``False``: the changes are listed, the form gets an error and the new base."""
        cleaned = getattr(form, "cleaned_data", {}) or {}
        base = self.base
        if base is None:
            # Sent without (or with a damaged) record of when it was opened: it cannot be
            # told apart from a stale form, so what it would change is shown first.
            base = {}
            changed = [
                name
                for name, value in self.current.items()
                if name in cleaned and normal(cleaned[name]) != value
            ]
        else:
            changed = [name for name, value in self.current.items() if base.get(name, _MISSING) != value]
        if not changed:
            return True
        for name in changed:
            field = form.fields.get(name)
            self.changes.append(
                Change(
                    name=name,
                    label=str(field.label) if field is not None and field.label else name,
                    theirs=shown(field, self.current[name]),
                    base=shown(field, base[name]) if name in base else "?",
                    mine=shown(field, normal(cleaned[name])) if name in cleaned else "—",
                )
            )
        form.add_error(
            None,
            _(
                "Someone else changed this record after you opened the form, so nothing was saved. "
                "See below what changed, then decide."
            ),
        )
        self.token = sign(self.current)
        return False

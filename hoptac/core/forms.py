"""Small helpers shared by the forms of every app."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def add_errors(form, error: ValidationError, fields: dict[str, str] | None = None) -> None:
    """Put a service's refusal on ``form``: on the field its code names (through ``fields``,
    a map of error code to field name, or the code itself when it is a field's name), else
    on the form as a whole."""
    fields = fields or {}

    def target(code: str | None) -> str | None:
        name = fields.get(code or "", code)
        return name if name in form.fields else None

    if hasattr(error, "error_dict"):
        for name, items in error.error_dict.items():
            for item in items:
                form.add_error(target(name) or target(item.code), " ".join(item.messages))
        return
    for item in error.error_list:
        form.add_error(target(item.code), " ".join(item.messages))

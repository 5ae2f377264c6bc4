"""Form fields for what people type in Vietnam: phone numbers, amounts in đồng and
quantities with a decimal comma. One definition each, used by every app's forms."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from hoptac.lib.money import parse_vnd
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.lib.units import parse_quantity

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
MAX_QUANTITY = Decimal("1000000")  # in the unit typed: a million tấn is already absurd


class PhoneField(forms.CharField):
    default_error_messages = {
        "invalid": _(
            "This is not a Vietnamese phone number. Write 10 digits starting with 0, e.g. 0912 345 678."
        )
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return normalize_phone(value)
        except InvalidPhone:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class MoneyField(forms.CharField):
    """Whole đồng as typed: ``5.000.000``, ``5,000,000 đ``, ``5000000``; empty is 0."""

    default_error_messages = {
        "invalid": _("Write a whole number of đồng, e.g. 5.000.000."),
        "negative": _("The amount cannot be negative."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in (None, ""):
            return 0
        try:
            amount = parse_vnd(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if amount < 0:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")
        return amount


class QuantityField(forms.Field):
    """A quantity typed by a person: ``12,5`` or ``12.5``; more than 0 (or 0 too with
    ``allow_zero``), at most 3 decimals and at most ``MAX_QUANTITY``."""

    default_error_messages = {
        "invalid": _("Write a number, e.g. 12 or 12,5."),
        "not_positive": _("The quantity must be more than 0."),
        "too_large": _("The quantity is too large."),
    }

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "maxlength": 20}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = str(value or "").strip()
        if not value:
            return None
        if len(value) > 20:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            quantity = parse_quantity(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if quantity < 0 or (quantity == 0 and not self.allow_zero):
            raise forms.ValidationError(self.error_messages["not_positive"], code="not_positive")
        if quantity > MAX_QUANTITY:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        if quantity.as_tuple().exponent < -3:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return quantity

"""Form fields for what people type in Vietnam: phone numbers, amounts in đồng and
quantities with a decimal comma. One definition each, used by every app's forms."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from hoptac.lib import bounds
from hoptac.lib.money import format_vnd, parse_vnd, vnd_in_words
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.lib.units import format_quantity, parse_quantity, quantity_in_words

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
# One dot followed by exactly three digits ("1.250"): thousands, but easily meant as decimals.
AMBIGUOUS_THOUSANDS = re.compile(r"^[1-9]\d{0,2}\.\d{3}$")
MAX_QUANTITY = Decimal("1000000")  # in the unit typed: a million tấn is already absurd


# Inputs for numbers typed on a phone: a numeric keypad (``inputmode``), never
# ``type=number`` (which refuses the Vietnamese ``12,5`` and ``1.250`` in many browsers).
def quantity_input(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": 20, **attrs})


def money_input(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 24, **attrs})


class DataSelect(forms.Select):
    """A drop-down whose options carry ``data-*`` attributes for a script, e.g. each
    product's own unit: ``DataSelect(option_data={"12": {"unit": "l"}})``."""

    def __init__(self, attrs=None, choices=(), option_data=None):
        super().__init__(attrs, choices)
        self.option_data = option_data or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        for key, data in self.option_data.get(str(value), {}).items():
            option["attrs"][f"data-{key}"] = data
        return option


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
        kwargs.setdefault("widget", money_input())
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
    """A quantity typed by a person, read the Vietnamese way (``lib.units.parse_quantity``):
    ``1.250`` is one thousand two hundred and fifty, ``12,5`` twelve and a half; more than 0
    (or 0 too with ``allow_zero``), at most 3 decimals, within the bounds of ``kind``
    (``lib.bounds.QUANTITY``)."""

    default_error_messages = {
        "invalid": _(
            "Write a number the Vietnamese way, e.g. 12, 12,5 or 1.250 (one thousand two hundred and fifty)."
        ),
        "not_positive": _("The quantity must be more than 0."),
        "too_large": _("The quantity is too large."),
    }

    def __init__(self, *, allow_zero: bool = False, kind: str = "typed", **kwargs):
        self.allow_zero = allow_zero
        self.kind = kind
        kwargs.setdefault("widget", quantity_input())
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return format_quantity(value)
        return value

    def bound_data(self, data, initial):
        """An ambiguous ``1.250`` comes back written without the dot (``1250``), so that the
        second submission, after the person has read how it was understood, is plain."""
        if isinstance(data, str) and AMBIGUOUS_THOUSANDS.match(data.strip()):
            return data.strip().replace(".", "")
        return data

    def to_python(self, value):
        if isinstance(value, Decimal):
            value = format_quantity(value)
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
        if quantity == 0:
            return quantity
        if quantity > MAX_QUANTITY:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        bounds.check_quantity(self.kind, quantity)
        if AMBIGUOUS_THOUSANDS.match(value):
            # "1.250": one thousand two hundred and fifty the Vietnamese way, but 1,25 to
            # anyone used to a decimal point. Shown back in words before anything is saved.
            raise forms.ValidationError(
                _(
                    "%(typed)s is read as %(understood)s. If that is right, save again; "
                    "for a number with decimals write a comma, e.g. %(comma)s."
                )
                % {
                    "typed": value,
                    "understood": quantity_in_words(quantity),
                    "comma": value.replace(".", ","),
                },
                code="confirm_quantity",
            )
        return quantity


class DateField(forms.DateField):
    """A date within the bounds of ``kind`` (``lib.bounds.DATES``): a typing slip such as
    year 1 or 9999 is refused with a message instead of breaking a page."""

    def __init__(self, *, kind: str = "any", **kwargs):
        self.kind = kind
        kwargs.setdefault("widget", DATE_WIDGET)
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        bounds.check_date(self.kind, value, future=False)


class BoundedMoneyField(MoneyField):
    """Whole đồng, not negative, at most the upper bound of ``kind`` (``lib.bounds.MONEY``);
    empty is 0. The lower bound (more than 0 for an advance) is each form's or service's."""

    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        super().__init__(**kwargs)

    def to_python(self, value):
        amount = super().to_python(value)
        if amount:
            high = bounds.MONEY[self.kind].high
            if amount > high:
                raise forms.ValidationError(
                    _("The amount cannot be more than %(high)s.") % {"high": format_vnd(high)},
                    code="too_large",
                )
        return amount


class LargeAmountConfirmMixin:
    """Forms whose amounts may be large: from ``lib.bounds.MONEY[kind].confirm_from`` on, the
    form comes back showing the amount as understood (digits and words) with a checkbox;
    without the tick nothing is written.

    A form lists its amounts as ``large_amounts = {"field name": "bounds kind"}``.
    """

    large_amounts: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.large_confirmation_needed = False
        if self.is_bound and self.add_prefix("confirm_large") in self.data:
            self._add_confirm_field()

    def _add_confirm_field(self):
        if "confirm_large" not in self.fields:
            self.fields["confirm_large"] = forms.BooleanField(
                label=_("Yes, this amount is right"), required=False
            )

    def large_amounts_understood(self) -> str:
        """The large amounts typed (an amount unchanged since the form was opened is not
        asked again), as understood: ``50.000.000 ₫ (năm mươi triệu đồng)``."""
        return "; ".join(
            vnd_in_words(self.cleaned_data[name])
            for name, kind in self.large_amounts.items()
            if bounds.needs_confirmation(kind, self.cleaned_data.get(name)) and name in self.changed_data
        )

    def clean(self):
        cleaned = super().clean()
        understood = self.large_amounts_understood()
        if understood and not cleaned.get("confirm_large"):
            self.large_confirmation_needed = True
            self._add_confirm_field()
            self.add_error(
                "confirm_large",
                forms.ValidationError(
                    _("This is a large amount: %(amount)s. Check it, tick the box and save again.")
                    % {"amount": understood},
                    code="confirm_large",
                ),
            )
        return cleaned

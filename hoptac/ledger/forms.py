"""Forms of the member ledger: they parse what staff type; the services decide the rules."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from hoptac.core.fields import (
    BoundedMoneyField,
    DateField,
    LargeAmountConfirmMixin,
    MoneyField,
    QuantityField,
)
from hoptac.ledger.models import PayoutMethod
from hoptac.ledger.selectors import day_bounds  # noqa: F401  (the views import it from here)
from hoptac.lib.money import vnd_in_words
from hoptac.lib.units import quantity_in_words

# Units an input loan is usually counted in; any other word may be typed.
LOAN_UNITS = ["bao", "kg", "cây", "thùng", "lít", "chai", "chiếc", "con"]


def _positive_amount(value: int) -> int:
    if value <= 0:
        raise forms.ValidationError(_("The amount must be more than 0 đồng."), code="not_positive")
    return value


def _not_future(day: dt.date | None) -> dt.date | None:
    if day is not None and day > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."), code="future")
    return day


def occurred_at(day: dt.date | None) -> dt.datetime | None:
    """The moment recorded for an entry dated ``day``: now for today, local noon for a past day."""
    if day is None or day == timezone.localdate():
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def understood(form) -> list[dict]:
    """What a valid form was read as, for the "Check before saving" step: each field with
    its label, amounts and quantities in digits and words (``1.500.000 ₫ (một triệu năm
    trăm nghìn đồng)``), dates as dates, choices by their label."""
    rows = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if name == "confirm_large" or value in (None, ""):
            continue
        number = isinstance(field, MoneyField | QuantityField)
        if isinstance(field, MoneyField):
            text = vnd_in_words(value)
        elif isinstance(field, QuantityField):
            text = quantity_in_words(value)
        elif isinstance(field, forms.DateField):
            text = date_format(value, "SHORT_DATE_FORMAT")
        elif isinstance(field, forms.ChoiceField):
            text = str(dict(field.choices).get(value, value))
        else:
            text = str(value)
        rows.append({"label": field.label, "text": text, "number": number})
    return rows


class AdvanceForm(LargeAmountConfirmMixin, forms.Form):
    amount = BoundedMoneyField(label=_("Amount (VND)"), kind="advance")
    day = DateField(label=_("Date"), kind="ledger", initial=timezone.localdate)
    memo = forms.CharField(label=_("Note"), max_length=300, required=False)

    large_amounts = {"amount": "advance"}

    def clean_amount(self):
        return _positive_amount(self.cleaned_data["amount"])

    def clean_day(self):
        return _not_future(self.cleaned_data.get("day"))


class LoanForm(LargeAmountConfirmMixin, forms.Form):
    item = forms.CharField(
        label=_("What was lent"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. NPK fertiliser, bee boxes, tea seedlings")}),
    )
    quantity = QuantityField(label=_("Quantity"))
    unit = forms.CharField(
        label=_("Unit"),
        max_length=20,
        widget=forms.TextInput(attrs={"list": "loan-units", "autocomplete": "off"}),
    )
    value = BoundedMoneyField(
        label=_("Value (VND)"), kind="input_loan", help_text=_("What the member will repay, in đồng.")
    )
    day = DateField(label=_("Date"), kind="ledger", initial=timezone.localdate)
    memo = forms.CharField(label=_("Note"), max_length=300, required=False)

    units = LOAN_UNITS
    large_amounts = {"value": "input_loan"}

    def clean_value(self):
        return _positive_amount(self.cleaned_data["value"])

    def clean_day(self):
        return _not_future(self.cleaned_data.get("day"))


class PayoutForm(LargeAmountConfirmMixin, forms.Form):
    large_amounts = {"amount": "payout"}

    deduct = BoundedMoneyField(
        kind="payout",
        label=_("Deduct from loans and advances (VND)"),
        required=False,
        help_text=_("Netted against what the member owes; no cash changes hands for it."),
    )
    amount = BoundedMoneyField(label=_("Pay to the member (VND)"), kind="payout", required=False)
    method = forms.ChoiceField(
        label=_("How"), choices=PayoutMethod.choices, initial=PayoutMethod.CASH, widget=forms.RadioSelect
    )
    memo = forms.CharField(label=_("Note"), max_length=300, required=False)


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the reversal"),
        max_length=300,
        help_text=_("Kept with the reversing entry; the original entry stays in the ledger."),
    )


class PeriodForm(forms.Form):
    start = DateField(label=_("From"))
    end = DateField(label=_("To"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The period ends before it starts."), code="order")
        return cleaned

    @staticmethod
    def current_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
        today = today or timezone.localdate()
        first = today.replace(day=1)
        next_month = (first + dt.timedelta(days=32)).replace(day=1)
        return first, next_month - dt.timedelta(days=1)

    def period(self) -> tuple[dt.date, dt.date]:
        """The chosen days (inclusive), or the current month when nothing valid was given."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.current_month()


class MonthCloseForm(forms.Form):
    month = DateField(  # lib.bounds: a year such as 1 or 9999 is refused with a message
        label=_("Month to close"),
        input_formats=["%Y-%m", "%m/%Y", "%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("Closing a month also closes every month before it."),
    )


class StatementSendForm(forms.Form):
    HOW = [
        ("sent", _("Send it to the member by SMS/Zalo")),
        ("handed", _("The printed statement was handed to the member")),
    ]
    start = DateField(widget=forms.HiddenInput)
    end = DateField(widget=forms.HiddenInput)
    how = forms.ChoiceField(label=_("How"), choices=HOW, initial="sent", widget=forms.RadioSelect)


class PayoutConfirmForm(forms.Form):
    reference = forms.CharField(
        label=_("Bank's reference of the transfer"),
        max_length=60,
        help_text=_("As it appears on the bank statement or in the banking app."),
    )
    transferred_on = DateField(label=_("Transfer date"), kind="ledger", initial=timezone.localdate)

    def clean_transferred_on(self):
        return _not_future(self.cleaned_data.get("transferred_on"))


class PayoutCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300)


class OwedFilterForm(forms.Form):
    village = forms.TypedChoiceField(label=_("Village"), required=False, coerce=int, empty_value=None)
    min_amount = BoundedMoneyField(label=_("Owed at least (VND)"), kind="ledger", required=False)

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", _("All villages"))] + [(v.pk, v.name) for v in villages]


class RunSettleForm(forms.Form):
    transferred_on = DateField(label=_("Transfer date"), kind="ledger", initial=timezone.localdate)
    cancel_reason = forms.CharField(
        label=_("Reason for cancelling the transfers ticked"), max_length=300, required=False
    )

    def clean_transferred_on(self):
        return _not_future(self.cleaned_data.get("transferred_on"))

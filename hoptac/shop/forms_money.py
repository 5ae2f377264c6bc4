"""Forms of the money pages: filters, resolving a transaction, a statement upload with its
column mapping."""

from __future__ import annotations

import string

from django import forms
from django.utils.translation import gettext_lazy as _

from hoptac.core.fields import DateField
from hoptac.lib.banknotify import ColumnMapping
from hoptac.shop.models import TxSource, TxState

MAX_STATEMENT_BYTES = 5 * 1024 * 1024
COLUMNS = [("", "—")] + [(str(i), letter) for i, letter in enumerate(string.ascii_uppercase)]


class TransactionFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), ("queue", _("Needs a look"))] + list(TxState.choices),
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All"))] + list(TxSource.choices)
    )
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)


class DateRangeForm(forms.Form):
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)


class OrderSearchForm(forms.Form):
    q = forms.CharField(label=_("Order code, buyer's name or phone"), max_length=100, required=False)


class AssignForm(forms.Form):
    order = forms.CharField(label=_("Order code"), max_length=20)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class IgnoreForm(forms.Form):
    note = forms.CharField(label=_("Why it is not an order payment"), max_length=300)


class RefundForm(forms.Form):
    amount = forms.IntegerField(label=_("Amount given back (VND)"), min_value=1, max_value=10_000_000_000)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


def _column(label):
    return forms.TypedChoiceField(label=label, choices=COLUMNS, required=False, coerce=int, empty_value=None)


class StatementForm(forms.Form):
    file = forms.FileField(label=_("Statement file (xlsx or CSV)"))
    header_row = forms.IntegerField(label=_("Header row"), min_value=1, max_value=200, required=False)
    date = _column(_("Date column"))
    credit = _column(_("Money-in column"))
    debit = _column(_("Money-out column"))
    amount = _column(_("Signed amount column"))
    memo = _column(_("Memo column"))
    reference = _column(_("Reference column"))

    MAPPING_FIELDS = ("header_row", "date", "credit", "debit", "amount", "memo", "reference")

    def __init__(self, *args, mapping: ColumnMapping | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if mapping is not None and not self.is_bound:
            for name in self.MAPPING_FIELDS:
                value = getattr(mapping, name)
                self.initial[name] = value if name == "header_row" else ("" if value is None else str(value))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."), code="too_large")
        return upload

    def mapping(self) -> ColumnMapping | None:
        """The mapping typed in the form, ``None`` when left empty (use the saved or guessed one)."""
        data = self.cleaned_data
        if not data.get("header_row") and data.get("date") is None:
            return None
        if not data.get("header_row") or data.get("date") is None:
            raise forms.ValidationError(
                _("Give the header row and the date column, or leave the columns empty.")
            )
        if data.get("credit") is None and data.get("amount") is None:
            raise forms.ValidationError(_("Give the money-in column or the signed amount column."))
        return ColumnMapping(**{name: data.get(name) for name in self.MAPPING_FIELDS})


class ConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=2_000_000)

"""Forms of the field app's staff pages: revoking a device, reviewing a record, settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hoptac.core.fields import BoundedMoneyField, PhoneField


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class MergeForm(forms.Form):
    into = forms.UUIDField(label=_("Merge into"))


class FieldSettingsForm(forms.Form):
    price_tolerance_pct = forms.IntegerField(
        label=_("Price tolerance (%)"),
        min_value=0,
        max_value=100,
        help_text=_("A receipt whose price differs more than this from the price in force is flagged."),
    )
    advance_limit_vnd = BoundedMoneyField(
        kind="advance",
        label=_("Advance limit per member"),
        help_text=_("An advance that would bring what the member owes above this waits for the chair."),
    )
    sms_number = PhoneField(
        label=_("Inbound SMS number"),
        required=False,
        help_text=_("Where phones with no data text their records. Leave empty to hide the SMS hand-over."),
    )

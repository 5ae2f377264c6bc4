"""Forms of the delivery pages: a carrier account, finding a shipment, a COD remittance
report upload, and resolving a remittance line."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hoptac.lib import places
from hoptac.shop.models import API_CARRIERS, Carrier

MAX_REPORT_BYTES = 5 * 1024 * 1024


def _int(raw) -> int | None:
    text = str(raw or "").strip()[:12]
    return int(text) if text.isdigit() else None


class CarrierAccountForm(forms.Form):
    api_token = forms.CharField(
        label=_("API token"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
        help_text=_("Leave empty to keep the token saved before."),
    )
    shop_id = forms.CharField(
        label=_("Shop id at the carrier"),
        max_length=40,
        required=False,
        help_text=_("GHN: the ShopId of your store. GHTK: leave empty."),
    )
    pick_name = forms.CharField(label=_("Sender name"), max_length=120)
    pick_phone = forms.CharField(
        label=_("Sender phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    pick_province_code = forms.TypedChoiceField(label=_("Province"), coerce=int, empty_value=None)
    pick_commune_code = forms.TypedChoiceField(label=_("Commune or ward"), coerce=int, empty_value=None)
    pick_street = forms.CharField(label=_("House number, street, village"), max_length=200)
    pick_district_ref = forms.CharField(
        label=_("Pickup district id at the carrier"),
        max_length=20,
        required=False,
        help_text=_("GHN only: the district id of the pickup address in GHN's list."),
    )
    pick_ward_ref = forms.CharField(
        label=_("Pickup ward code at the carrier"),
        max_length=20,
        required=False,
        help_text=_("GHN only: the ward code of the pickup address in GHN's list."),
    )
    quote_at_checkout = forms.BooleanField(
        label=_("Quote the delivery fee at checkout"),
        required=False,
        help_text=_(
            "Buyers see the carrier's fee; when the carrier does not answer, your fee table is used."
        ),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pick_province_code"].choices = [("", _("— choose the province —"))] + list(
            places.province_choices()
        )
        raw = self.data.get("pick_province_code") if self.is_bound else self.initial.get("pick_province_code")
        province = _int(raw)
        communes = (
            list(places.commune_choices(province)) if province and places.province_name(province) else []
        )
        self.fields["pick_commune_code"].choices = [
            ("", _("— choose the commune or ward —") if communes else _("— choose the province first —"))
        ] + communes

    def clean(self):
        data = super().clean()
        province, commune = data.get("pick_province_code"), data.get("pick_commune_code")
        if commune and province and places.commune_province(commune) != province:
            self.add_error("pick_commune_code", _("Choose a commune or ward of this province."))
        return data

    @staticmethod
    def initial_from(account) -> dict:
        if account is None:
            return {"quote_at_checkout": True, "is_active": True}
        return {
            "shop_id": account.shop_id,
            "pick_name": account.pick_name,
            "pick_phone": account.pick_phone,
            "pick_province_code": account.pick_province_code,
            "pick_commune_code": account.pick_commune_code,
            "pick_street": account.pick_street,
            "pick_district_ref": account.pick_district_ref,
            "pick_ward_ref": account.pick_ward_ref,
            "quote_at_checkout": account.quote_at_checkout,
            "is_active": account.is_active,
        }


class ShipmentSearchForm(forms.Form):
    q = forms.CharField(label=_("Tracking code or order code"), max_length=40, required=False)


class CancelForm(forms.Form):
    confirm = forms.CharField(required=False)


class RemittanceForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=())
    file = forms.FileField(label=_("The carrier's COD report (xlsx or CSV)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Carrier.choices)
        self.fields["carrier"].choices = [(c.value, labels[c.value]) for c in API_CARRIERS]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_REPORT_BYTES:
            raise forms.ValidationError(_("This file is too large (at most 5 MB)."))
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an xlsx or CSV file."))
        return upload


class ResolveForm(forms.Form):
    note = forms.CharField(label=_("How it was settled"), max_length=250)
    record_payment = forms.BooleanField(
        label=_("Record the money the carrier paid for this order"), required=False
    )

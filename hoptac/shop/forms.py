"""The checkout form: the buyer, the address (province, then commune/ward of that
province), and per cooperative the delivery method and the payment.

The per-cooperative fields are named ``delivery_<cooperative id>`` / ``payment_<id>`` and
made only for the cooperatives of the cart as priced on the server, with only the choices
that cooperative offers: a posted id of another cooperative, or a method it does not
offer, is not a field, so it is ignored or refused.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hoptac.core.fields import PhoneField
from hoptac.lib import places
from hoptac.shop.models import DeliveryMethod, PaymentMethod

CHANNELS = (("sms", _("SMS")), ("zalo", _("Zalo")), ("email", _("Email")))


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class CheckoutForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=120)
    phone = PhoneField(label=_("Mobile phone"), help_text=_("We send the order and payment details to it."))
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    message_channel = forms.ChoiceField(
        label=_("Send me messages by"), choices=CHANNELS, initial="sms", widget=forms.RadioSelect
    )
    province_code = forms.TypedChoiceField(label=_("Province"), coerce=int, required=False, empty_value=None)
    commune_code = forms.TypedChoiceField(
        label=_("Commune or ward"), coerce=int, required=False, empty_value=None
    )
    street = forms.CharField(label=_("House number, street, village"), max_length=200, required=False)
    note = forms.CharField(
        label=_("Note for the cooperative"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    tax_code = forms.CharField(label=_("Tax code"), max_length=14, required=False)
    company_address = forms.CharField(label=_("Company address"), max_length=300, required=False)

    def __init__(self, *args, quotes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.quotes = list(quotes)
        self.fields["province_code"].choices = [("", _("— choose the province —"))] + list(
            places.province_choices()
        )
        province = self.chosen_province()
        communes = list(places.commune_choices(province)) if province else []
        self.fields["commune_code"].choices = [
            ("", _("— choose the commune or ward —") if communes else _("— choose the province first —"))
        ] + communes
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["street"].widget.attrs["autocomplete"] = "street-address"
        delivery_labels = dict(DeliveryMethod.choices)
        payment_labels = dict(PaymentMethod.choices)
        for cq in self.quotes:
            cid = cq.cooperative.pk
            methods = cq.methods()
            self.fields[f"delivery_{cid}"] = forms.ChoiceField(
                label=_("Delivery"),
                choices=[(m, delivery_labels.get(m, m)) for m in methods],
                initial=methods[0] if methods else None,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose how the order is delivered.")},
            )
            pays = cq.payments()
            self.fields[f"payment_{cid}"] = forms.ChoiceField(
                label=_("Payment"),
                choices=[(p, payment_labels.get(p, p)) for p in pays],
                initial=pays[0] if pays else None,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose how to pay.")},
            )

    def chosen_province(self) -> int | None:
        raw = self.data.get("province_code") if self.is_bound else self.initial.get("province_code")
        code = _int(raw)
        return code if code and places.province_name(code) else None

    def chosen(self, cooperative_id: int, kind: str) -> str:
        """The method the buyer picked for a cooperative (for showing its fee), even unvalidated."""
        name = f"{kind}_{cooperative_id}"
        value = self.data.get(name) if self.is_bound else None
        field = self.fields.get(name)
        if field is None:
            return ""
        allowed = [c for c, _label in field.choices]
        return value if value in allowed else (field.initial or "")

    def coop_fields(self, cooperative_id: int):
        return self[f"delivery_{cooperative_id}"], self[f"payment_{cooperative_id}"]

    def clean(self):
        data = super().clean()
        province, commune = data.get("province_code"), data.get("commune_code")
        if commune and province and places.commune_province(commune) != province:
            self.add_error("commune_code", _("Choose a commune or ward of this province."))
        tax_code = (data.get("tax_code") or "").strip()
        if tax_code and not (data.get("company_name") or "").strip():
            self.add_error("company_name", _("Give the company name for the invoice."))
        return data

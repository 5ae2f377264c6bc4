"""Forms of the cooperative's selling pages: shop settings, delivery fee lines, products on
sale and their quantity prices, the order board's filters, order actions, reports' period.
The services check everything again."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hoptac.core.fields import DateField, MoneyField
from hoptac.lib import banks
from hoptac.lib.money import format_vnd
from hoptac.offtake import forms as offtake_forms
from hoptac.shop.models import Channel, DeliveryMethod, OrderStatus, PaymentState, Zone
from hoptac.shop.services.settings import SHOP_FIELDS

BLANK = [("", "—")]


def _money(value) -> str:
    """An amount as the money inputs show it: ``250.000``."""
    return format_vnd(int(value), language="vi").replace("₫", "").strip() if value not in (None, "") else ""


class ShopForm(forms.Form):
    is_open = forms.BooleanField(label=_("Shop open to buyers"), required=False)
    headline = forms.CharField(label=_("Headline"), max_length=160, required=False)
    story = forms.CharField(
        label=_("Our story"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    bank_bin = forms.ChoiceField(label=_("Bank"), required=False, choices=())
    bank_account = forms.CharField(
        label=_("Account number"),
        max_length=19,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_name = forms.CharField(label=_("Account holder"), max_length=80, required=False)
    bank_transfer = forms.BooleanField(label=_("Accept bank transfer (VietQR)"), required=False)
    cash_on_delivery = forms.BooleanField(label=_("Accept cash on delivery"), required=False)
    pickup = forms.BooleanField(label=_("Buyers may pick up"), required=False)
    pickup_address = forms.CharField(label=_("Pickup address"), max_length=300, required=False)
    own_delivery = forms.BooleanField(label=_("We deliver ourselves"), required=False)
    post = forms.BooleanField(label=_("We send by post or carrier"), required=False)
    free_delivery_above = MoneyField(
        label=_("Free delivery from (VND)"),
        required=False,
        help_text=_("Orders of goods from this amount on pay no delivery fee. Leave empty for never."),
    )
    pay_within_hours = forms.IntegerField(
        label=_("Bank transfer expected within (hours)"), min_value=2, max_value=24 * 14
    )
    remind_after_hours = forms.IntegerField(
        label=_("Remind unpaid orders after (hours)"), min_value=1, max_value=24 * 13
    )
    few_left_at = forms.IntegerField(label=_("Show 'few left' from (packs)"), min_value=0, max_value=1000)

    FIELDS = SHOP_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank_bin"].choices = BLANK + list(banks.bank_choices())

    @classmethod
    def initial_from(cls, shop) -> dict:
        initial = {name: getattr(shop, name) for name in cls.FIELDS}
        initial["free_delivery_above"] = shop.free_delivery_above or 0
        return initial

    def clean_bank_account(self):
        return "".join(self.cleaned_data["bank_account"].split())

    def clean_free_delivery_above(self):
        return self.cleaned_data["free_delivery_above"] or 0

    def values(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.FIELDS}
        data["free_delivery_above"] = data["free_delivery_above"] or None
        return data


class RateForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Delivery"), choices=[c for c in DeliveryMethod.choices if c[0] != DeliveryMethod.PICKUP]
    )
    zone = forms.ChoiceField(label=_("Zone"), choices=Zone.choices, required=False)
    up_to_g = forms.IntegerField(
        label=_("Up to (grams)"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("Empty: any weight."),
    )
    fee_vnd = MoneyField(label=_("Fee (VND)"))


class ListingForm(forms.Form):
    price_vnd = MoneyField(label=_("Price per pack (VND)"))
    weight_g = forms.IntegerField(
        label=_("Parcel weight per pack (grams)"),
        min_value=1,
        max_value=50_000,
        help_text=_("With the jar or box and its packing: it decides the delivery fee."),
    )
    is_listed = forms.BooleanField(label=_("On sale"), required=False)
    max_per_order = forms.IntegerField(label=_("At most per order (packs)"), min_value=1, max_value=10_000)

    FIELDS = ("price_vnd", "weight_g", "is_listed", "max_per_order")

    @classmethod
    def initial_from(cls, listing) -> dict:
        if listing is None:
            return {"price_vnd": "", "weight_g": "", "is_listed": False, "max_per_order": 200}
        return {name: getattr(listing, name) for name in cls.FIELDS}


class TierForm(forms.Form):
    min_quantity = forms.IntegerField(label=_("From (packs)"), min_value=2, max_value=10_000)
    price_vnd = MoneyField(label=_("Price per pack (VND)"))


class BoardForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=BLANK + list(OrderStatus.choices), required=False)
    payment = forms.ChoiceField(
        label=_("Payment"), choices=BLANK + list(PaymentState.choices), required=False
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=BLANK + list(Channel.choices), required=False)
    start = DateField(label=_("From"), required=False)
    end = DateField(label=_("To"), required=False)
    q = forms.CharField(
        label=_("Code, name or phone"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=OrderStatus.choices)
    seen = forms.ChoiceField(choices=OrderStatus.choices)  # the status the page was opened with
    note = forms.CharField(label=_("Reason"), max_length=300, required=False)
    carrier = forms.CharField(label=_("Carrier"), max_length=40, required=False)
    tracking_code = forms.CharField(label=_("Tracking code"), max_length=40, required=False)
    confirm = forms.CharField(required=False)


class CashForm(forms.Form):
    amount = MoneyField(label=_("Amount received (VND)"))
    seen_paid = forms.IntegerField(min_value=0)


class InvoiceForm(forms.Form):
    einvoice_number = forms.CharField(label=_("E-invoice number"), max_length=40)
    einvoice_provider = forms.CharField(label=_("E-invoice provider"), max_length=40, required=False)


class PeriodForm(offtake_forms.PeriodForm):
    """The buying reports' period (at most a year, in order), opening on this month so far."""

    @staticmethod
    def this_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
        today = today or timezone.localdate()
        return today.replace(day=1), today

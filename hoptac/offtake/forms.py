"""Forms of the buying setup (products, seasons, collection points, prices, agreements) and
of the reports. They parse what staff type; the services decide the rules.

Receipt forms live in ``receipt_forms.py``.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hoptac.catalog.models import OcopGroup, Product
from hoptac.catalog.selectors import product_list
from hoptac.coops.models import Member, MemberStatus
from hoptac.core.fields import BoundedMoneyField, DateField, LargeAmountConfirmMixin, QuantityField
from hoptac.lib import places
from hoptac.offtake.models import UNIT_CHOICES, CollectionPoint, Grade, PriceRule, Season

BLANK = [("", "—")]
DATETIME_WIDGET = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]

class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.unit_label})"


# --- products --------------------------------------------------------------------------------


class ProductForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("thing", "Name"), max_length=160)
    name_en = forms.CharField(label=_("Name in English"), max_length=160, required=False)
    code = forms.CharField(
        label=_("Short code"),
        max_length=6,
        help_text=_("2 to 6 capital letters or digits, used in receipt and lot codes, e.g. MAT for honey."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    base_unit = forms.ChoiceField(
        label=_("Bought and sold by"), choices=Product._meta.get_field("base_unit").choices, initial="kg"
    )
    ocop_group = forms.ChoiceField(label=_("OCOP group"), choices=OcopGroup.choices, initial=OcopGroup.FOOD)

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


# --- seasons ---------------------------------------------------------------------------------


class SeasonForm(forms.Form):
    product = ProductChoiceField(label=_("Product"), queryset=None, empty_label="—")
    name = forms.CharField(
        label=pgettext_lazy("thing", "Name"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Honey 2026–2027")}),
    )
    starts_on = DateField(label=_("Starts"), kind="season")
    ends_on = DateField(label=_("Ends"), kind="season")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = product_list(active_only=True)


# --- collection points -------------------------------------------------------------------------


class PointForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("thing", "Name"), max_length=120)
    commune_code = forms.TypedChoiceField(label=_("Commune / ward"), coerce=int)
    village = forms.CharField(label=_("Village (thôn/bản)"), max_length=120, required=False)

    def __init__(self, *args, cooperative, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune_code"].choices = BLANK + list(places.commune_choices(cooperative.province_code))
        self.fields["commune_code"].initial = cooperative.commune_code


# --- prices ----------------------------------------------------------------------------------------


class PriceForm(forms.Form):
    product = ProductChoiceField(label=_("Product"), queryset=None, empty_label="—")
    grade = forms.TypedChoiceField(label=_("Grade"), coerce=int, choices=Grade.choices, initial=Grade.FIRST)
    price_vnd = BoundedMoneyField(
        label=_("Price per kg or litre (VND)"),
        kind="price",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "500.000"}),
    )
    effective_from = forms.DateTimeField(
        label=_("In force from"), input_formats=DATETIME_FORMATS, widget=DATETIME_WIDGET
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = product_list(active_only=True)
        self.fields["effective_from"].initial = lambda: timezone.localtime().replace(second=0, microsecond=0)

    def clean_price_vnd(self):
        price = self.cleaned_data["price_vnd"]
        if price <= 0:
            raise forms.ValidationError(_("The price must be more than 0 đồng."), code="not_positive")
        return price


class PriceFilterForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, required=False, empty_label=_("All"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = product_list()


# --- agreements -----------------------------------------------------------------------------------


class MemberField(forms.ModelChoiceField):
    """Any member of the cooperative is accepted, so that the service can say clearly that
    a member has left; the list offers the active ones only."""

    def label_from_instance(self, obj):
        place = obj.village.name if obj.village_id else obj.commune_name
        return f"{obj.full_name} — {place}" if place else obj.full_name


class SeasonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.product.name})"


class AgreementForm(LargeAmountConfirmMixin, forms.Form):
    large_amounts = {"advance_vnd": "advance"}

    member = MemberField(label=_("Member"), queryset=None, empty_label="—")
    season = SeasonChoiceField(label=_("Season"), queryset=None, empty_label="—")
    committed_quantity = QuantityField(label=_("Committed quantity"), kind="agreement")
    committed_unit = forms.ChoiceField(
        label=_("Unit"),
        choices=UNIT_CHOICES,
        initial="kg",
        error_messages={"invalid_choice": _("Unknown unit.")},
    )
    price_rule = forms.ChoiceField(
        label=_("Price rule"),
        choices=PriceRule.choices,
        initial=PriceRule.LIST,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Unknown price rule.")},
    )
    fixed_price_vnd = BoundedMoneyField(
        label=_("Fixed price per kg or litre (VND)"),
        kind="price",
        required=False,
        help_text=_("Only for a fixed-price agreement."),
    )
    floor_price_vnd = BoundedMoneyField(
        label=_("Floor price per kg or litre (VND)"),
        kind="price",
        required=False,
        help_text=_("With the price list: the member is never paid less than this."),
    )
    advance_vnd = BoundedMoneyField(
        label=_("Advance given (VND)"),
        kind="advance",
        required=False,
        help_text=_("Recorded in the member's ledger as a cash advance."),
    )
    signed_on = DateField(label=_("Signed on"), kind="ledger")
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        member = self.fields["member"]
        member.queryset = Member.objects.select_related("village").order_by("full_name", "id")
        active = member.queryset.filter(status=MemberStatus.ACTIVE)
        member.widget.choices = BLANK + [(m.pk, member.label_from_instance(m)) for m in active]
        self.fields["season"].queryset = Season.objects.select_related("product").order_by(
            "-starts_on", "name"
        )
        self.fields["signed_on"].initial = timezone.localdate

    def to_kwargs(self) -> dict:
        c = self.cleaned_data
        return {
            "member": c["member"],
            "season": c["season"],
            "committed_quantity": c["committed_quantity"],
            "committed_unit": c["committed_unit"],
            "price_rule": c["price_rule"],
            "fixed_price_vnd": c.get("fixed_price_vnd") or None,
            "floor_price_vnd": c.get("floor_price_vnd") or None,
            "advance_vnd": c.get("advance_vnd") or 0,
            "signed_on": c["signed_on"],
            "note": c.get("note") or "",
        }


class AgreementFilterForm(forms.Form):
    season = SeasonChoiceField(label=_("Season"), queryset=None, required=False, empty_label=_("All"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["season"].queryset = Season.objects.select_related("product").order_by(
            "-starts_on", "name"
        )


# --- reports -----------------------------------------------------------------------------------------


class DailySheetForm(forms.Form):
    day = DateField(label=_("Day"), required=False)
    point = forms.ModelChoiceField(
        label=_("Collection point"),
        queryset=None,
        required=False,
        empty_label=_("All collection points"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = CollectionPoint.objects.order_by("name")
        self.fields["day"].initial = timezone.localdate

    def clean_day(self):
        return self.cleaned_data.get("day") or timezone.localdate()


class PeriodForm(forms.Form):
    start = DateField(label=_("From"))
    end = DateField(label=_("To"))

    MAX_DAYS = 366

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."), code="order")
            if (end - start).days > self.MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most one year."), code="too_long")
        return cleaned

    @staticmethod
    def current_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
        today = today or timezone.localdate()
        first = today.replace(day=1)
        next_month = (first + dt.timedelta(days=32)).replace(day=1)
        return first, next_month - dt.timedelta(days=1)


class PurchaseListForm(PeriodForm):
    """The period of the bảng kê, and optionally one collection point: the form asks each
    buying station for its own list (the cooperative then adds them up)."""

    # Not "point": the daily sheet's form on the same page has a field of that name.
    collection_point = forms.ModelChoiceField(
        label=_("Collection point"),
        queryset=None,
        required=False,
        empty_label=_("All collection points"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection_point"].queryset = CollectionPoint.objects.order_by("name")

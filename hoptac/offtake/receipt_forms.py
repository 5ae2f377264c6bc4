from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hoptac.catalog.models import Product
from hoptac.coops.picker import MemberPickField, MemberPickMixin, member_search_field
from hoptac.core.fields import BoundedMoneyField, DataSelect, QuantityField, quantity_input
from hoptac.lib.units import UnitError, parse_unit
from hoptac.offtake.models import UNIT_CHOICES, CollectionPoint, Grade
from hoptac.offtake.services import LineInput

DATETIME_WIDGET = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


def _point_choices() -> list:
    return [("", "—")] + list(CollectionPoint.objects.filter(is_active=True).values_list("id", "name"))


class PointField(forms.TypedChoiceField):
    """An active collection point by id. The list is read only when the form is shown (a
    callable); a point sent is checked by ``ReceiptForm.clean_point``, one read of it."""

    def valid_value(self, value) -> bool:
        return True


class ReceiptForm(MemberPickMixin, forms.Form):
    member_q = member_search_field()
    member = MemberPickField(label=_("Member"))
    collected_at = forms.DateTimeField(
        label=_("Date and time"), input_formats=DATETIME_FORMATS, widget=DATETIME_WIDGET
    )
    point = PointField(label=_("Collection point"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, personal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_picker(personal=personal)
        self.fields["point"].choices = _point_choices
        self.fields["collected_at"].initial = lambda: timezone.localtime().replace(second=0, microsecond=0)

    def clean_point(self):
        point_id = self.cleaned_data.get("point")
        if point_id is None:
            return None
        point = CollectionPoint.objects.filter(pk=point_id, is_active=True).first()
        if point is None:
            field = self.fields["point"]
            raise forms.ValidationError(
                field.error_messages["invalid_choice"], code="invalid_choice", params={"value": point_id}
            )
        return point


class LineForm(forms.Form):
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, required=False, empty_value=None, widget=DataSelect
    )
    grade = forms.TypedChoiceField(label=_("Grade"), coerce=int, choices=Grade.choices, initial=1)
    quantity = QuantityField(label=_("Quantity"), required=False)
    # Empty: the product's own unit (kg, or litre for honey), so that the default is never refused.
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=[("", _("its own unit"))] + UNIT_CHOICES,
        required=False,
        error_messages={"invalid_choice": _("Unknown unit.")},
    )
    deduction_pct = QuantityField(
        label=_("Deduction %"), required=False, allow_zero=True, widget=quantity_input(maxlength=6)
    )
    unit_price_vnd = BoundedMoneyField(
        label=_("Unit price (VND)"), kind="price", required=False, help_text=_("Empty: the price list.")
    )
    override_reason = forms.CharField(label=_("Reason for the price"), max_length=200, required=False)

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        product.choices = [("", "—")] + [(p.pk, f"{p.name} ({p.unit_label})") for p in products]
        product.widget.option_data = {str(p.pk): {"unit": p.base_unit} for p in products}
        self._products = {p.pk: p for p in products}

    def clean_deduction_pct(self):
        value = self.cleaned_data.get("deduction_pct")
        if value is not None and value > 50:
            raise forms.ValidationError(_("The deduction must be between 0 and 50%."), code="deduction")
        return value

    def clean(self):
        cleaned = super().clean()
        product_id, quantity = cleaned.get("product"), cleaned.get("quantity")
        if product_id is None and quantity is None:
            cleaned["empty"] = True
            return cleaned
        if product_id is None:
            self.add_error("product", _("Choose the product."))
        elif product_id not in self._products:
            self.add_error("product", _("Unknown product."))
        if quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter the quantity."))
        unit = cleaned.get("unit")
        if not unit and product_id in self._products:
            cleaned["unit"] = self._products[product_id].base_unit
        elif unit:
            try:
                parse_unit(unit)
            except UnitError:
                self.add_error("unit", _("Unknown unit."))
        return cleaned

    def to_input(self) -> LineInput | None:
        c = self.cleaned_data
        if c.get("empty"):
            return None
        price = c.get("unit_price_vnd") or None
        return LineInput(
            product=self._products[c["product"]],
            grade=c["grade"],
            quantity=c["quantity"],
            unit=c["unit"],
            deduction_pct=c.get("deduction_pct") or Decimal(0),
            unit_price_vnd=price,
            override_reason=c.get("override_reason") or "",
        )


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, products=(), **kwargs):
        self.products = list(products)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["products"] = self.products
        return kwargs

    def clean(self):
        if any(self.errors):
            return
        if not any(not form.cleaned_data.get("empty") for form in self.forms):
            raise forms.ValidationError(_("Enter at least one line: product and quantity."))


def line_formset(extra: int):
    return forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=extra, max_num=20, absolute_max=20)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason for voiding"), max_length=200)


def active_products():
    return list(Product.objects.filter(is_active=True).order_by("name"))

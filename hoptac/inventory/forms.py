"""Forms of the lot and stock pages: they parse and check what a person typed; the
services (inventory.services) decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hoptac.catalog.models import Product
from hoptac.core.fields import DateField, QuantityField
from hoptac.inventory.models import LotKind, MovementKind, StepKind
from hoptac.lib import bounds
from hoptac.offtake.models import CollectionPoint

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
FINISHED_ROWS = 5


class ProductField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


def _products():
    return Product.objects.order_by("name")


class LotFilterForm(forms.Form):
    product = ProductField(label=_("Product"), queryset=Product.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All"))] + LotKind.choices, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _products()


class RawLinesFilterForm(forms.Form):
    """GET: which receipt lines the raw-lot form shows."""

    product = ProductField(label=_("Product"), queryset=Product.objects.none())
    date_from = DateField(label=_("Collected from"), required=False)
    date_to = DateField(label=_("Collected until"), required=False)
    point = forms.ModelChoiceField(
        label=_("Collection point"), queryset=CollectionPoint.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _products()
        self.fields["point"].queryset = CollectionPoint.objects.order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class IdListField(forms.Field):
    """Checked boxes sharing one name: a list of whole numbers. Which ids may go into a
    lot is the service's decision (it says why one may not)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Choose the purchase receipts from the list.")}

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            ids = [int(v) for v in value]
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if len(ids) > 5000 or any(i <= 0 for i in ids):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class RawLotForm(forms.Form):
    """POST: the product and the checked receipt lines."""

    product = ProductField(label=_("Product"), queryset=Product.objects.none())
    lines = IdListField(
        label=_("Purchase receipts"),
        error_messages={"required": _("Choose the purchase receipts that make this lot.")},
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _products()


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Step"), choices=StepKind.choices)
    done_on = DateField(label=_("Date"), kind="stock")
    operator_name = forms.CharField(label=_("Operator"), max_length=120)
    quantity_in = QuantityField(label=_("Quantity in"), kind="stock")
    quantity_out = QuantityField(label=_("Quantity out"), allow_zero=True, kind="stock")
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].initial = timezone.localdate

    def clean(self):
        data = super().clean()
        q_in, q_out = data.get("quantity_in"), data.get("quantity_out")
        if q_in is not None and q_out is not None and q_out > q_in:
            self.add_error("quantity_out", _("The quantity out cannot be more than the quantity in."))
        return data


ADJUST_IN, ADJUST_OUT = "adjust_in", "adjust_out"


class MovementForm(forms.Form):
    """Out by sale, loss, or an adjustment up or down with a reason."""

    kind = forms.ChoiceField(label=_("Kind"))
    quantity = QuantityField(label=_("Quantity"), kind="stock")
    reason = forms.CharField(
        label=_("Reason or buyer"),
        max_length=200,
        required=False,
        help_text=_("Needed for a loss or an adjustment."),
    )

    def __init__(self, *args, may_edit: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(MovementKind.SALE.value, MovementKind.SALE.label)]
        if may_edit:
            choices += [
                (MovementKind.LOSS.value, MovementKind.LOSS.label),
                (ADJUST_IN, _("Adjustment: add to stock")),
                (ADJUST_OUT, _("Adjustment: take out of stock")),
            ]
        self.fields["kind"].choices = choices

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in (MovementKind.LOSS, ADJUST_IN, ADJUST_OUT) and not data.get("reason", "").strip():
            self.add_error("reason", _("Give the reason."))
        return data

    def to_kwargs(self) -> dict:
        kind, quantity = self.cleaned_data["kind"], self.cleaned_data["quantity"]
        if kind == ADJUST_IN:
            return {"kind": MovementKind.ADJUST, "quantity": quantity}
        if kind == ADJUST_OUT:
            return {"kind": MovementKind.ADJUST, "quantity": -quantity}
        return {"kind": kind, "quantity": -quantity}


def _raw_lot_label(lot) -> str:
    from hoptac.lib.units import format_quantity

    return f"{lot.code} — {lot.product.name} ({format_quantity(lot.on_hand)} {lot.product.unit_label})"


class FinishedLotForm(forms.Form):
    product = ProductField(label=_("Product (packed)"), queryset=Product.objects.none())
    pack_count = forms.IntegerField(label=_("Number of packs"), min_value=1, max_value=bounds.PACK_COUNT_MAX)
    production_date = DateField(label=_("Production / packing date"), kind="stock")
    best_before = DateField(label=_("Best before"), kind="stock", required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, raw_lots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _products()
        self.fields["production_date"].initial = timezone.localdate
        # The lots are read once for the five rows (the form's choices, not five queries).
        self.raw_lots = {lot.pk: lot for lot in raw_lots}
        choices = [("", "—")] + [(lot.pk, _raw_lot_label(lot)) for lot in raw_lots]
        for row in range(FINISHED_ROWS):
            self.fields[f"source_{row}"] = forms.TypedChoiceField(
                label=_("Raw lot %(n)s") % {"n": row + 1},
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
            )
            self.fields[f"used_{row}"] = QuantityField(label=_("Quantity used"), required=False)

    def rows(self):
        return [(self[f"source_{i}"], self[f"used_{i}"]) for i in range(FINISHED_ROWS)]

    def clean(self):
        data = super().clean()
        inputs, seen = [], set()
        for row in range(FINISHED_ROWS):
            lot = self.raw_lots.get(data.get(f"source_{row}"))
            quantity = data.get(f"used_{row}")
            if lot is None and quantity is None:
                continue
            if lot is None:
                if f"source_{row}" not in self.errors:
                    self.add_error(f"source_{row}", _("Choose the raw lot for this quantity."))
                continue
            if quantity is None:
                if f"used_{row}" not in self.errors:
                    self.add_error(f"used_{row}", _("Write the quantity used from this lot."))
                continue
            if lot.pk in seen:
                self.add_error(f"source_{row}", _("This raw lot is chosen twice: use one row per lot."))
                continue
            seen.add(lot.pk)
            inputs.append((lot, quantity))
        if not inputs and not self.errors:
            raise forms.ValidationError(_("Choose the raw lots this was made from."), code="no_inputs")
        data["inputs"] = inputs
        return data


class TakeOutForm(forms.Form):
    """Take one purchase receipt out of a raw lot, so that it can be voided."""

    receipt = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("For example: the receipt was recorded for the wrong member."),
    )

"""The label sheet's settings: label size, grid and page margin, in millimetres on A4."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

A4_WIDTH, A4_HEIGHT = Decimal(210), Decimal(297)


class LabelSheetForm(forms.Form):
    width = forms.DecimalField(
        label=_("Label width (mm)"),
        min_value=Decimal(25),
        max_value=A4_WIDTH,
        decimal_places=1,
        initial="63.5",
    )
    height = forms.DecimalField(
        label=_("Label height (mm)"),
        min_value=Decimal(20),
        max_value=A4_HEIGHT,
        decimal_places=1,
        initial="38.1",
    )
    columns = forms.IntegerField(label=_("Columns"), min_value=1, max_value=8, initial=3)
    rows = forms.IntegerField(label=_("Rows"), min_value=1, max_value=20, initial=7)
    margin = forms.DecimalField(
        label=_("Page margin (mm)"),
        min_value=Decimal(0),
        max_value=Decimal(40),
        decimal_places=1,
        initial="7",
    )

    DEFAULTS = {"width": "63.5", "height": "38.1", "columns": "3", "rows": "7", "margin": "7"}

    def __init__(self, data=None, **kwargs):
        merged = dict(self.DEFAULTS)
        if data is not None:
            merged.update({k: v for k, v in data.items() if k in self.DEFAULTS and str(v).strip()})
        super().__init__(merged, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        used_width = data["columns"] * data["width"] + 2 * data["margin"]
        if used_width > A4_WIDTH:
            raise forms.ValidationError(
                _(
                    "%(columns)s labels of %(width)s mm with %(margin)s mm margins need %(used)s mm: "
                    "an A4 page is only 210 mm wide."
                ),
                params={**data, "used": used_width},
                code="too_wide",
            )
        used_height = data["rows"] * data["height"] + 2 * data["margin"]
        if used_height > A4_HEIGHT:
            raise forms.ValidationError(
                _(
                    "%(rows)s rows of %(height)s mm with %(margin)s mm margins need %(used)s mm: "
                    "an A4 page is only 297 mm high."
                ),
                params={**data, "used": used_height},
                code="too_high",
            )
        return data

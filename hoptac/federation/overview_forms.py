"""The overview's filters: kind, sector, commune of the province, and how many days
without activity make an alert. Bad values are refused with a message, never a 500."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from hoptac.coops.models import CoopKind, Sector
from hoptac.federation.selectors import IDLE_DAYS_DEFAULT, Scope
from hoptac.lib import places


class OverviewFilters(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    commune = forms.TypedChoiceField(label=_("Commune / ward"), required=False, coerce=int, empty_value=None)
    idle_days = forms.IntegerField(
        label=_("No activity for (days)"),
        required=False,
        min_value=7,
        max_value=3650,
        initial=IDLE_DAYS_DEFAULT,
    )

    def __init__(self, *args, province: int, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["kind"].choices = everything + list(CoopKind.choices)
        self.fields["sector"].choices = everything + list(Sector.choices)
        self.fields["commune"].choices = everything + list(places.commune_choices(province))
        self.province = province

    def scope(self, today: dt.date, **extra) -> Scope:
        data = self.cleaned_data if self.is_valid() else {}
        return Scope.last_months(
            self.province,
            today,
            kind=data.get("kind") or "",
            sector=data.get("sector") or "",
            commune=data.get("commune") or None,
            **extra,
        )

    @property
    def idle_days_value(self) -> int:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("idle_days") or IDLE_DAYS_DEFAULT

    @property
    def filtered(self) -> bool:
        data = self.cleaned_data if self.is_valid() else {}
        return any(data.get(k) for k in ("kind", "sector", "commune"))


class CoopSearch(OverviewFilters):
    q = forms.CharField(label=_("Name, tax code or commune"), required=False, max_length=100)

    field_order = ["q", "kind", "sector", "commune"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["idle_days"]


class ReportPeriod(forms.Form):
    """The periodic report: a year, and optionally one quarter of it."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Whole year")), (1, "I"), (2, "II"), (3, "III"), (4, "IV")],
    )

    def period(self) -> tuple[dt.date, dt.date]:
        year, quarter = self.cleaned_data["year"], self.cleaned_data.get("quarter")
        if quarter:
            start = dt.date(year, 3 * quarter - 2, 1)
            return start, dt.date(year, 3 * quarter, 1)
        return dt.date(year, 1, 1), dt.date(year, 12, 1)

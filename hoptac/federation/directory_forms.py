"""Forms of the alliance's directory pages, of starting a cooperative and of the public
request to join."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hoptac.coops.models import CoopKind, Sector, tax_code_validator
from hoptac.core.fields import PhoneField
from hoptac.federation.directory import MAX_MEMBERS
from hoptac.federation.directory_selectors import EntryFilters
from hoptac.lib import places

PLATFORM_CHOICES = [("", _("All")), ("yes", _("Uses Hợp Tác")), ("no", _("Not on Hợp Tác yet"))]


class EntryFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or tax code")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All"))] + list(CoopKind.choices)
    )
    commune = forms.TypedChoiceField(label=_("Commune / ward"), required=False, coerce=int, empty_value=None)
    platform = forms.ChoiceField(label=_("On the platform"), required=False, choices=PLATFORM_CHOICES)

    def __init__(self, *args, province_code: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [("", _("All"))] + list(places.commune_choices(province_code))

    def filters(self) -> EntryFilters:
        if not self.is_valid():
            return EntryFilters()
        data = self.cleaned_data
        return EntryFilters(
            q=data["q"].strip(), kind=data["kind"], commune_code=data["commune"], platform=data["platform"]
        )


class SlugField(forms.SlugField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Short address"))
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault(
            "help_text", _("Used in the cooperative's web addresses: lower-case letters, digits and dashes.")
        )
        super().__init__(**kwargs)


class StartForm(forms.Form):
    """Start a directory entry's cooperative on the platform and invite its chair."""

    slug = SlugField()
    chair_name = forms.CharField(label=_("Chair's full name"), max_length=120)
    chair_phone = PhoneField(label=_("Chair's phone"), help_text=_("The invitation is sent to it by SMS."))


class InviteForm(forms.Form):
    full_name = forms.CharField(label=_("Chair's full name"), max_length=120)
    phone = PhoneField(label=_("Chair's phone"))


class ApproveForm(forms.Form):
    slug = SlugField()


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The cooperative reads it on its request's page."),
    )


class JoinForm(forms.Form):
    """The public request to join (no account needed)."""

    name = forms.CharField(label=_("Name of the cooperative"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=CoopKind.choices)
    tax_code = forms.CharField(
        label=_("Tax code"), max_length=14, required=False, validators=[tax_code_validator]
    )
    province = forms.TypedChoiceField(label=_("Province"), coerce=int)
    commune = forms.CharField(
        label=_("Commune / ward"),
        max_length=100,
        help_text=_("The name after the 2025 reform, e.g. Mèo Vạc."),
    )
    sectors = forms.MultipleChoiceField(
        label=_("Sectors"), required=False, choices=Sector.choices, widget=forms.CheckboxSelectMultiple
    )
    chair_name = forms.CharField(label=_("Chair's full name"), max_length=120)
    phone = PhoneField(label=_("Chair's phone"), help_text=_("The invitation to start is sent to it by SMS."))
    members_count = forms.IntegerField(
        label=_("Members"),
        required=False,
        min_value=0,
        max_value=MAX_MEMBERS,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    message = forms.CharField(
        label=_("Message to the alliance"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = list(places.province_choices())
        self.fields["province"].initial = places.TUYEN_QUANG

    def clean(self):
        data = super().clean()
        province, commune = data.get("province"), data.get("commune")
        if province and commune:
            code = places.find_commune(commune, province)
            if code is None:
                self.add_error(
                    "commune",
                    _("No commune or ward of %(province)s has this name (after the 2025 reform).")
                    % {"province": places.province_name(province)},
                )
            else:
                data["commune_code"] = code
        return data

    def request_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": " ".join(data["name"].split()),
            "kind": data["kind"],
            "tax_code": data["tax_code"],
            "commune_code": data["commune_code"],
            "sectors": list(data["sectors"]),
            "chair_name": " ".join(data["chair_name"].split()),
            "phone": data["phone"],
            "members_count": data["members_count"],
            "message": data["message"],
        }

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hoptac.catalog.models import CertificateKind, OcopGroup
from hoptac.core.fields import DateField, QuantityField

BLANK = [("", "—")]
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
PACK_UNITS = [("g", "g"), ("kg", "kg"), ("ml", "ml"), ("l", "l")]


class ProductForm(forms.Form):
    """A product's catalog details; the service checks them again (GTIN uniqueness…)."""

    name = forms.CharField(label=_("Name (Vietnamese)"), max_length=160)
    name_en = forms.CharField(label=_("Name in English"), max_length=160, required=False)
    ocop_group = forms.ChoiceField(label=_("OCOP group"), choices=OcopGroup.choices)
    sale_unit = forms.CharField(
        label=_("Sale unit"), max_length=40, required=False, help_text=_("e.g. jar, box, bag")
    )
    pack_size = QuantityField(
        label=_("Pack size"),
        required=False,
        kind="pack_size",
        help_text=_("How much one pack holds, e.g. 500 (with the unit below)."),
    )
    pack_unit = forms.ChoiceField(label=_("Pack unit"), choices=BLANK + PACK_UNITS, required=False)
    gtin = forms.CharField(
        label=_("GTIN (barcode)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("8, 12, 13 or 14 digits with a valid check digit; optional."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    story = forms.CharField(
        label=_("Product story"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Where it comes from, who makes it and how: shown to buyers."),
    )
    is_active = forms.BooleanField(label=_("Active (bought or sold now)"), required=False)

    FIELDS = (
        "name",
        "name_en",
        "ocop_group",
        "sale_unit",
        "pack_size",
        "pack_unit",
        "gtin",
        "description",
        "story",
        "is_active",
    )

    @classmethod
    def initial_from(cls, product) -> dict:
        initial = {name: getattr(product, name) for name in cls.FIELDS}
        # The QuantityField shows it the Vietnamese way: 500.000 stored is "500", 0.25 is "0,25".
        return initial


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP, at most 5 MB. It is resized for the web."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt = forms.CharField(
        label=_("What the photo shows"),
        max_length=200,
        required=False,
        help_text=_("For people who cannot see the photo, e.g. “500 ml jar of honey on a wooden table”."),
    )


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CertificateKind.choices)
    stars = forms.TypedChoiceField(
        label=_("OCOP stars"),
        choices=BLANK + [(n, "★" * n) for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Only for OCOP."),
    )
    number = forms.CharField(label=_("Certificate number"), max_length=60, required=False)
    issuer = forms.CharField(label=_("Issued by"), max_length=200, help_text=_("e.g. UBND tỉnh Tuyên Quang"))
    issued_on = DateField(label=_("Issue date"), kind="certificate")
    expires_on = DateField(
        label=_("Expiry date"),
        required=False,
        kind="certificate",
        help_text=_("For OCOP, leave empty: 36 months after the issue date."),
    )
    document = forms.FileField(
        label=_("Document (scan)"),
        required=False,
        help_text=_("PDF, JPEG or PNG, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].widget.attrs["max"] = timezone.localdate().isoformat()

"""Forms of the live sale's staff pages: the live, its products, pasted comments, a comment
file, a claim typed by hand and a release. The services check everything again."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hoptac.core.fields import PhoneField, money_input
from hoptac.lib.money import format_vnd

from .models import Platform
from .services.claims import MAX_CLAIM
from .services.sessions import MAX_CSV_BYTES, MAX_HOLD, MAX_PASTE_CHARS, MAX_QUANTITY, MIN_HOLD

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
DATETIME_WIDGET = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


def money_text(value) -> str:
    """An amount as the money inputs show it: ``250.000``."""
    return format_vnd(int(value), language="vi").replace("₫", "").strip() if value not in (None, "") else ""


class LiveForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=120, help_text=_("For staff, e.g. “Honey live, Friday evening”.")
    )
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        input_formats=DATETIME_FORMATS,
        widget=DATETIME_WIDGET,
        error_messages={"required": _("Give the day and time of the live.")},
    )
    hold_minutes = forms.IntegerField(
        label=_("Buyers confirm within (minutes)"),
        min_value=MIN_HOLD,
        max_value=MAX_HOLD,
        initial=120,
        help_text=_("A claim not confirmed in this time lets its packs go to the next buyer."),
    )

    @classmethod
    def initial_from(cls, session) -> dict:
        return {
            "title": session.title,
            "platform": session.platform,
            "starts_at": timezone.localtime(session.starts_at).replace(second=0, microsecond=0),
            "hold_minutes": session.hold_minutes,
        }


class ItemForm(forms.Form):
    """A product to put in the live: ``listings`` is [(listing, packs free)]."""

    listing = forms.TypedChoiceField(label=_("Product"), coerce=int, choices=())
    code = forms.CharField(
        label=_("Code in comments"),
        max_length=8,
        required=False,
        help_text=_("Buyers type it to order, e.g. M1. Leave empty for a suggestion."),
    )
    price_vnd = forms.CharField(
        label=_("Live price per pack (VND)"),
        max_length=24,
        required=False,
        widget=money_input(),
        help_text=_("Leave empty for the shop's price."),
    )
    quantity = forms.IntegerField(label=_("Packs set aside"), min_value=1, max_value=MAX_QUANTITY)

    def __init__(self, *args, listings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["listing"].choices = [("", "—")] + [
            (
                listing.pk,
                _("%(name)s — %(price)s, %(n)s in stock")
                % {"name": listing.product.name, "price": format_vnd(listing.price_vnd), "n": free},
            )
            for listing, free in listings
        ]


class ItemEditForm(forms.Form):
    code = forms.CharField(label=_("Code in comments"), max_length=8)
    price_vnd = forms.CharField(label=_("Live price per pack (VND)"), max_length=24, widget=money_input())
    quantity = forms.IntegerField(label=_("Packs set aside"), min_value=1, max_value=MAX_QUANTITY)

    @classmethod
    def initial_from(cls, item) -> dict:
        return {"code": item.code, "price_vnd": money_text(item.price_vnd), "quantity": item.quantity}


class PasteForm(forms.Form):
    text = forms.CharField(
        label=_("Comments"),
        max_length=MAX_PASTE_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "Select the comments on the platform, copy, and paste them here as they are: "
            "“Name: comment” one per line, or as Facebook and TikTok copy them. "
            "Pasting the same comments again claims nothing twice."
        ),
        error_messages={"required": _("Paste the comments first.")},
    )


class CsvForm(forms.Form):
    file = forms.FileField(
        label=_("Comment file (CSV)"),
        help_text=_(
            "A CSV export of the comments, in UTF-8, with a first row naming the columns (name, comment, time)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(n)s MB).") % {"n": MAX_CSV_BYTES // 1_000_000}
            )
        return upload


class ClaimForm(forms.Form):
    item = forms.TypedChoiceField(label=_("Product"), coerce=int, choices=())
    buyer_name = forms.CharField(label=_("Buyer's name"), max_length=120, required=False)
    phone = PhoneField(label=_("Phone"), required=False)
    quantity = forms.IntegerField(label=_("Packs"), min_value=1, max_value=MAX_CLAIM, initial=1)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(i.pk, f"{i.code} — {i.listing.product.name}") for i in items]

    def clean(self):
        data = super().clean()
        if (
            not (data.get("buyer_name") or "").strip()
            and not data.get("phone")
            and not self.has_error("phone")
        ):
            self.add_error("buyer_name", _("Give the buyer's name or phone."))
        return data


class ReleaseForm(forms.Form):
    note = forms.CharField(label=_("Why (optional)"), max_length=200, required=False)

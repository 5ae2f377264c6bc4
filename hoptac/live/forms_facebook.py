"""Forms of the Facebook pages screen."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PageForm(forms.Form):
    page_id = forms.CharField(
        label=_("Page id"),
        max_length=40,
        help_text=_("In the page's About section (Page transparency), or in Meta Business Suite."),
    )
    access_token = forms.CharField(
        label=_("Page access token"),
        max_length=400,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "A page token with pages_read_engagement and pages_messaging. It is checked with Facebook."
        ),
    )


class LiveLinkForm(forms.Form):
    page = forms.TypedChoiceField(label=_("Facebook page"), coerce=int, required=False, empty_value=None)
    video_id = forms.CharField(
        label=_("Live video id"),
        max_length=40,
        required=False,
        help_text=_("The number at the end of the live video's address (facebook.com/…/videos/<id>)."),
    )

    def __init__(self, *args, pages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].choices = [("", _("— choose the page —"))] + [(p.pk, p.name) for p in pages]

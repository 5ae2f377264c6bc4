"""The form of the share kit: a share link for a group or a post."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hoptac.shop.models import SharePlace
from hoptac.shop.services.share import MAX_LABEL


class ShareLinkForm(forms.Form):
    place = forms.ChoiceField(label=_("Shared in"), choices=SharePlace.choices, initial=SharePlace.ZALO)
    label = forms.CharField(
        label=_("Name of the group or post"),
        required=False,
        max_length=MAX_LABEL,
        help_text=_("e.g. Nhóm Chợ quê Hà Giang: it names the link in the list and in the sales report."),
    )

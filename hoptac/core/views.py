"""The living page of the design system: every component in every state (``/ui/``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from hoptac.core.fields import DATE_WIDGET, MoneyField, QuantityField
from hoptac.core.navigation import SECTIONS, TABS


class ExampleForm(forms.Form):
    """Fields as every form draws them (templates/_field.html), one of them with an error."""

    name = forms.CharField(label=_("Full name"), help_text=_("As on the identity card."))
    amount = MoneyField(label=_("Amount"), help_text=_("Write 1.250.000 or 1250000."), required=False)
    quantity = QuantityField(label=_("Quantity"), required=False)
    day = forms.DateField(label=_("Day"), widget=DATE_WIDGET, required=False)
    agree = forms.BooleanField(label=_("The member has signed"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].unit = "₫"
        self.fields["quantity"].unit = "kg"
        self.fields["quantity"].widget.attrs.setdefault("inputmode", "decimal")


@login_required
@require_GET
def components(request):
    """Tokens, buttons, fields, badges, toasts, lists, cards, tables, empty states, the
    confirmation step and pagination, with the icons shipped; for people building pages."""
    for level, text in (
        (messages.SUCCESS, _("Receipt PTM-000123 saved.")),
        (messages.INFO, _("The price list changes tomorrow.")),
        (messages.WARNING, _("This member has no bank account: pay in cash.")),
        (messages.ERROR, _("The receipt was not saved.")),
    ):
        messages.add_message(request, level, text)
    form = ExampleForm(data={"name": "", "amount": "1.250.000", "quantity": "12,5"})
    form.is_valid()
    page = Paginator(range(100), 10).get_page(request.GET.get("page") or 2)
    tabs = {role: [s for s in SECTIONS if s.key in keys] for role, keys in TABS.items()}
    icons = sorted({s.icon for s in SECTIONS} | {"menu", "circle-check", "info", "triangle-alert", "circle-x", "inbox"})
    # Sample data (names, villages, codes, amounts): data, not interface text.
    rows = [
        {"name": "Cử Thị Súa", "village": "Thôn Sủng Trà", "year": 1972, "amount": 2_400_000},
        {"name": "Cử Thị Súa", "village": "Thôn Pả Vi Hạ", "year": 1988, "amount": 850_000},
    ]
    receipts = [
        {"code": "PTM-000121", "name": "Mua Thị Pằng", "point": "Pả Vi", "total": 5_850_000, "ok": True},
        {"code": "PTM-000122", "name": "Giàng A Páo", "point": "Sủng Trà", "total": 4_680_000, "ok": False},
    ]
    return render(
        request,
        "core/components.html",
        {
            "form": form,
            "page": page,
            "tabs": tabs,
            "icons": icons,
            "tones": [(t, f"--c-{t}-fg", f"--c-{t}-bg") for t in ("ok", "info", "warn", "danger", "neutral")],
            "rows": rows,
            "receipts": receipts,
            "receipts_total": sum(r["total"] for r in receipts),
        },
    )

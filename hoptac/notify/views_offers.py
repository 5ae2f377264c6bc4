"""Staff pages for what members text in: offers to sell (BAN) and every text received.

Reading needs ``message.view``; answering or closing an offer needs ``message.send``.
Writes are in :mod:`hoptac.notify.services` (``offer_answer``, ``offer_close``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hoptac.catalog.models import Product
from hoptac.coops.access import coop_view
from hoptac.core.formkeys import creates, repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.lib.sms import sms_length, sms_text
from hoptac.offtake.selectors import prices_in_force

from . import commands
from . import services as notify_services
from .models import Command, OfferStatus, SellOffer

PAGE_SIZE = 50
ANSWER_MAX = SellOffer._meta.get_field("answer").max_length


# --- forms ------------------------------------------------------------------------------------------


class OfferFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All")), *OfferStatus.choices],
        required=False,
    )
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product"), queryset=None, required=False, empty_label=gettext_lazy("All")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.order_by("name", "id")


class TextFilterForm(forms.Form):
    command = forms.ChoiceField(
        label=gettext_lazy("Command"), choices=[("", gettext_lazy("All")), *Command.choices], required=False
    )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Answer"),
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": ANSWER_MAX}),
        help_text=gettext_lazy(
            "Sent by SMS to the member's phone. Say what you buy, at what price, when and where to bring it."
        ),
        error_messages={
            "required": gettext_lazy("Write the answer."),
            "max_length": gettext_lazy("The answer is too long (at most %(limit_value)d characters)."),
        },
    )
    unaccented = forms.BooleanField(
        label=gettext_lazy("SMS without accents"),
        required=False,
        initial=True,
        help_text=gettext_lazy("About half the cost: 160 characters in one SMS instead of 70."),
    )

    def clean_text(self):
        text = " ".join(self.cleaned_data["text"].split())
        if not text:
            raise ValidationError(_("Write the answer."), code="required")
        return text

    def sms(self) -> dict | None:
        """The SMS as it will go out (after removing accents when asked) and its length."""
        if not hasattr(self, "cleaned_data") or "text" not in self.cleaned_data:
            return None
        body = sms_text(self.cleaned_data["text"], unaccented=self.cleaned_data.get("unaccented", False))
        length = sms_length(body)
        return {"body": body, "length": length, "gsm": length.encoding == "GSM-7"}


# --- helpers ----------------------------------------------------------------------------------------


def _require(request, perm: Perm) -> None:
    if not request.access.can(perm):
        raise PermissionDenied


def _offer_or_404(offer_id: int) -> SellOffer:
    try:
        return commands.offer_get(offer_id)
    except SellOffer.DoesNotExist:
        raise Http404 from None


# --- pages ------------------------------------------------------------------------------------------


@coop_view(Perm.MESSAGE_VIEW)
@require_GET
def offer_list(request):
    filter_form = OfferFilterForm(request.GET or None)
    status, product = "", None
    if filter_form.is_valid():
        status = filter_form.cleaned_data["status"]
        product = filter_form.cleaned_data["product"]
    page = Paginator(commands.offer_list(status=status, product=product), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notify/offer_list.html",
        {
            "filter_form": filter_form,
            "page": page,
            "open_count": commands.open_offer_count(),
            "filtered": bool(status or product),
        },
    )


@coop_view(Perm.MESSAGE_VIEW)
@creates
@require_http_methods(["GET", "POST"])
def offer_detail(request, offer_id: int):
    offer = _offer_or_404(offer_id)
    form = AnswerForm(request.POST or None)
    checked = False
    if request.method == "POST":
        _require(request, Perm.MESSAGE_SEND)
        if form.is_valid():
            if request.POST.get("action") == "check":
                checked = True
            else:
                try:
                    notify_services.offer_answer(
                        offer=offer,
                        text=form.cleaned_data["text"],
                        unaccented=form.cleaned_data["unaccented"],
                        actor=request.user,
                    )
                except ValidationError as error:
                    if error.error_list[0].code != "state":
                        add_errors(form, error, {"empty": "text", "too_long": "text"})
                    else:  # answered or closed meanwhile by someone else
                        messages.error(request, " ".join(error.messages))
                        return redirect(
                            "notify:offer_detail", coop_slug=request.cooperative.slug, offer_id=offer.pk
                        )
                else:
                    messages.success(
                        request,
                        _("Answer to %(name)s queued for sending by SMS.") % {"name": offer.member.full_name},
                    )
                    return redirect(
                        "notify:offer_detail", coop_slug=request.cooperative.slug, offer_id=offer.pk
                    )
    prices = [p for p in prices_in_force() if offer.product_id and p.product_id == offer.product_id]
    return render(
        request,
        "notify/offer_detail.html",
        {
            "offer": offer,
            "form": form,
            "sms": form.sms() if checked else None,
            "replies": commands.offer_messages(offer),
            "prices": prices,
            "can_send": request.access.can(Perm.MESSAGE_SEND),
            "is_open": offer.status == OfferStatus.OPEN,
            "open_count": commands.open_offer_count(),
        },
        status=422 if request.method == "POST" and form.errors else 200,
    )


@coop_view(Perm.MESSAGE_SEND)
@repeat_safe("A transition: only an open offer can be closed.")
@require_POST
def offer_close(request, offer_id: int):
    offer = _offer_or_404(offer_id)
    try:
        notify_services.offer_close(offer=offer, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Offer closed without an answer. Nothing was sent."))
    return redirect("notify:offer_detail", coop_slug=request.cooperative.slug, offer_id=offer.pk)


@coop_view(Perm.MESSAGE_VIEW)
@require_GET
def text_list(request):
    filter_form = TextFilterForm(request.GET or None)
    command = filter_form.cleaned_data["command"] if filter_form.is_valid() else ""
    page = Paginator(commands.text_list(command=command), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/text_list.html",
        {
            "filter_form": filter_form,
            "page": page,
            "open_count": commands.open_offer_count(),
            "limit": commands.REPLIES_PER_HOUR,
        },
    )

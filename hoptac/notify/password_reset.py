"""Forgotten passwords: the pages at ``/accounts/reset/`` and the sending of the code.

The codes, their checks and the new password are ``accounts/reset.py``; this module is
in ``notify`` because sending an SMS goes through the outbox, which the ``accounts``
layer may not import. The code goes:

- by SMS, through the outbox of the user's cooperative (their first active role there,
  as the outbox needs a cooperative and the cooperative pays for its SMS), to the
  account's phone;
- else by email (Django's mail) when the account has an email: an officer or the
  platform administrator has no cooperative;
- else nowhere. The pages answer the same in every case, and the same as for a phone
  without an account.

The text of these outbox messages holds a code: the outbox pages and the API show it
hidden (``SOURCE``), so no staff member can read another person's code.
"""

from __future__ import annotations

import logging
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import RegexValidator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from hoptac.accounts import limiter, reset
from hoptac.accounts.selectors import memberships_of
from hoptac.core.tenancy import tenant
from hoptac.outbox import services as outbox
from hoptac.outbox.models import PASSWORD_RESET_SOURCE, Kind, Status

log = logging.getLogger(__name__)

SOURCE = PASSWORD_RESET_SOURCE  # Message.source_type of the SMS with a code (hidden from staff)
SESSION_KEY = "password_reset_identifier"


# --- sending ----------------------------------------------------------------------------------


def send_code(item: reset.CodeToSend) -> str:
    """Send the code of ``item`` (inside the transaction that made it); answers ``sms``,
    ``email`` or ``""``."""
    user = item.user
    membership = memberships_of(user).first()
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = pgettext(
            "sms",
            "%(platform)s: your code to set a new password is %(code)s. It is valid for %(minutes)s "
            "minutes. Do not give it to anyone, not even cooperative staff.",
        ) % {"platform": settings.PLATFORM_NAME, "code": item.secret, "minutes": reset.code_minutes()}
        subject = _("Your code to set a new password")
    if user.phone and membership is not None:
        with tenant(membership.cooperative):
            message = outbox.queue(
                kind=Kind.OTHER,
                text=text,
                user=user,
                name=user.full_name,
                phone=user.phone,
                channels=["sms"],
                source_type=SOURCE,
                source_id=str(item.code.pk),
            )
        if message.status != Status.SKIPPED:
            return "sms"
    if user.email:
        address = user.email

        def mail() -> None:
            try:
                send_mail(subject, text, None, [address])
            except Exception:  # a mail server down must not tell the visitor anything
                log.exception("The password reset email to user %s could not be sent.", user.pk)

        transaction.on_commit(mail)
        return "email"
    return ""


# --- forms --------------------------------------------------------------------------------------


class RequestForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=254,
        help_text=gettext_lazy("The phone number you sign in with (or your email, if you sign in with it)."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "inputmode": "tel"}),
    )


class CodeForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "tel"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Code"),
        help_text=gettext_lazy("The 6 digits of the SMS."),
        min_length=reset.CODE_DIGITS,
        max_length=reset.CODE_DIGITS,
        validators=[
            RegexValidator(r"^[0-9]{6}$", gettext_lazy("Type the 6 digits of the code."), code="format")
        ],
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
    # Django's own labels and message, already in Vietnamese in Django's catalogue.
    new_password1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=gettext_lazy("New password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip()

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error(
                "new_password2",
                ValidationError(
                    gettext_lazy("The two password fields didn’t match."), code="password_mismatch"
                ),
            )
        return cleaned


def _too_many(blocked: limiter.Blocked, message) -> ValidationError:
    return ValidationError(message, code="rate_limited", params={"minutes": blocked.minutes})


# --- pages --------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def request_code(request):
    """Step 1: the phone number. The same answer whether it has an account or not. A
    second request a moment later (a double tap) sends nothing new."""
    started = time.monotonic()
    form = RequestForm(request.POST or None)
    if request.method == "POST":
        try:
            return _request_code_post(request, form)
        finally:
            # Making and queueing a code takes a few milliseconds more than finding no
            # account: every answer takes at least the same floor, so timing tells nothing.
            time.sleep(max(0.0, settings.PASSWORD_RESET_MIN_SECONDS - (time.monotonic() - started)))
    return render(request, "notify/password_reset_request.html", {"form": form})


def _request_code_post(request, form):
    if form.is_valid():
        identifier = form.cleaned_data["identifier"].strip()
        try:
            reset.code_request(
                identifier=identifier, ip_address=limiter.client_address(request), send=send_code
            )
        except limiter.Blocked as blocked:
            form.add_error(
                None,
                _too_many(
                    blocked,
                    gettext_lazy(
                        "Too many codes were asked for. Please wait %(minutes)s minutes and try again."
                    ),
                ),
            )
        else:
            request.session[SESSION_KEY] = identifier
            return redirect("password_reset:code")
    return render(request, "notify/password_reset_request.html", {"form": form})


@never_cache
@csrf_protect
@sensitive_post_parameters("code", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def enter_code(request):
    """Step 2: the code and the new password. Sent twice, the second finds the code used
    and changes nothing."""
    form = CodeForm(request.POST or None, initial={"identifier": request.session.get(SESSION_KEY, "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reset.password_set_with_code(
                identifier=data["identifier"].strip(),
                code=data["code"],
                password=data["new_password1"],
                ip_address=limiter.client_address(request),
            )
        except limiter.Blocked as blocked:
            form.add_error(
                None,
                _too_many(
                    blocked,
                    gettext_lazy(
                        "Too many wrong codes. Please wait %(minutes)s minutes and ask for a new code."
                    ),
                ),
            )
        except reset.WrongCode:
            form.add_error(
                None,
                ValidationError(
                    gettext_lazy("The code is wrong or has expired. Check it, or ask for a new code."),
                    code="invalid_code",
                ),
            )
        except ValidationError as error:
            if any(getattr(e, "code", "") == "used" for e in error.error_list):
                form.add_error(None, error)
            else:
                form.add_error("new_password1", error)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, _("Your new password is set. Sign in with it."))
            return redirect("accounts:login")
    return render(
        request,
        "notify/password_reset_code.html",
        {"form": form, "minutes": reset.code_minutes(), "asked": bool(request.session.get(SESSION_KEY))},
    )


app_name = "password_reset"
urlpatterns = [
    path("", request_code, name="request"),
    path("code/", enter_code, name="code"),
]

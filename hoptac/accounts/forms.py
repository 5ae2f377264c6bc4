from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from hoptac.accounts import limiter
from hoptac.accounts.limiter import client_address

__all__ = ["AdminLoginForm", "LoginForm", "client_address"]

RATE_LIMITED = _(
    "Too many failed sign-ins. Please wait %(minutes)s minutes and try again, "
    "or ask your cooperative's chair to reset your password."
)
INVALID_LOGIN = _("The phone number (or email) and password do not match. Please check and try again.")


def limited_sign_in(request, identifier: str, password: str):
    """The user, through the one limiter, or a form error (``rate_limited`` or
    ``invalid_login``)."""
    try:
        return limiter.sign_in(request, identifier=identifier, password=password)
    except limiter.Blocked as blocked:
        raise forms.ValidationError(
            RATE_LIMITED, code="rate_limited", params={"minutes": blocked.minutes}
        ) from None
    except limiter.InvalidLogin:
        raise forms.ValidationError(INVALID_LOGIN, code="invalid_login") from None


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Phone number or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "inputmode": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        identifier = cleaned.get("identifier")
        password = cleaned.get("password")
        if not identifier or not password:
            return cleaned
        self.user = limited_sign_in(self.request, identifier, password)
        return cleaned

    def get_user(self):
        return self.user


class AdminLoginForm(AdminAuthenticationForm):
    """The Django admin's sign-in (``admin.site.login_form``), through the same limiter:
    the admin has no sign-in path of its own."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = limited_sign_in(self.request, username, password)
            # Staff only (the admin's own rule): a member's right password opens nothing here.
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

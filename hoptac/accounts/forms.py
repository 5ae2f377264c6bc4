from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from hoptac.accounts import selectors, services


def client_address(request) -> str | None:
    """The visitor's address. Behind our own reverse proxy (HOPTAC_BEHIND_PROXY) it is
    the last address the proxy appended to X-Forwarded-For, not the proxy's own."""
    from django.conf import settings

    if settings.BEHIND_PROXY:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


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

    def _ip(self) -> str | None:
        if self.request is None:
            return None
        return client_address(self.request)

    def clean(self):
        cleaned = super().clean()
        identifier = cleaned.get("identifier")
        password = cleaned.get("password")
        if not identifier or not password:
            return cleaned
        if selectors.login_is_blocked(identifier=identifier, ip_address=self._ip()):
            raise forms.ValidationError(
                _(
                    "Too many failed sign-ins. Please wait %(minutes)s minutes and try again, "
                    "or ask your cooperative's chair to reset your password."
                ),
                code="rate_limited",
                params={"minutes": services.login_window_minutes()},
            )
        self.user = authenticate(self.request, username=identifier, password=password)
        if self.user is None:
            services.login_failure_record(identifier=identifier, ip_address=self._ip())
            raise forms.ValidationError(
                _("The phone number (or email) and password do not match. Please check and try again."),
                code="invalid_login",
            )
        services.login_failures_clear(identifier=identifier)
        return cleaned

    def get_user(self):
        return self.user

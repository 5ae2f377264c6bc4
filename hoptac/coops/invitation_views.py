"""The page of an invitation link (``/invitation/<token>/``), outside any cooperative.

- Nobody signed in: the person creates their account for the invited phone (name and a
  password) and the role starts; or, having an account already, signs in and comes back
  here; or declines.
- Signed in as the invited phone: Accept or Decline.
- Signed in as anyone else: refused (the link is for one phone number).
- A used, cancelled or expired link: refused with a clear message.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hoptac.coops import services
from hoptac.coops.forms import InvitationAccountForm
from hoptac.coops.models import InvitationStatus
from hoptac.core.forms import add_errors


def _page(request, template: str, context: dict, status: int = 200):
    return render(request, f"coops/{template}", context, status=status)


@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    found = services.invitation_by_token(token)
    if found is None:
        return _page(
            request,
            "invitation_closed.html",
            {"text": _("This invitation link is not valid. Check that it was copied whole.")},
            status=404,
        )
    if found.state != InvitationStatus.PENDING:
        return _page(
            request, "invitation_closed.html", {"text": services.invitation_closed_message(found)}, status=410
        )
    user = request.user
    if user.is_authenticated and user.phone != found.phone:
        return _page(
            request,
            "invitation_closed.html",
            {
                "text": _(
                    "This invitation is for another phone number. Sign out, then open the link again."
                ),
                "sign_out": True,
            },
            status=403,
        )
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = InvitationAccountForm(
        request.POST if action == "create" else None,
        phone=found.phone,
        initial={"full_name": found.full_name},
    )
    try:
        if action == "decline":
            services.invitation_decline(invitation=found, user=user)
            messages.success(request, _("You declined the invitation. Nothing was changed."))
            return redirect("home")
        if action == "accept" and user.is_authenticated:
            services.invitation_accept(invitation=found, user=user)
            return _accepted(request, found)
        if action == "create" and not user.is_authenticated and form.is_valid():
            new_user = services.invitation_accept_new(
                invitation=found,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
            login(request, new_user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return _accepted(request, found)
    except ValidationError as error:
        if action == "create":
            add_errors(form, error)
        else:
            messages.error(request, " ".join(error.messages))
    status = 422 if action else 200
    return _page(request, "invitation.html", {"invitation": found, "form": form}, status=status)


def _accepted(request, found):
    messages.success(
        request,
        _("Welcome: you are now %(role)s of %(coop)s.")
        % {"role": found.role_label, "coop": found.cooperative.name},
    )
    return redirect("coops:dashboard", coop_slug=found.cooperative.slug)

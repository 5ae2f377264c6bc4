"""Staff invitations: the chair's form, "Send again", and the SMS with the link.

The invitation itself (model, services, the page that accepts it) is in ``coops``; sending
the SMS needs the outbox, which ``coops`` may not import, so the two views that send live
here. Whether the phone already has an account changes nothing in what the chair sees:
the same message, the same redirect, the same SMS.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from hoptac.coops import selectors as coop_selectors
from hoptac.coops import services as coop_services
from hoptac.coops.access import coop_view
from hoptac.coops.forms import StaffForm
from hoptac.coops.models import StaffInvitation
from hoptac.coops.views import INVITATION_LINKS, staff_page
from hoptac.core.formkeys import creates, made
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.lib.phone import display_phone
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Kind

SESSION_LINKS = INVITATION_LINKS


def invitation_link(request, token: str) -> str:
    return request.build_absolute_uri(reverse("invitation", kwargs={"token": token}))


def _send(invitation: StaffInvitation, link: str, *, actor) -> None:
    text = pgettext(
        "sms",
        "%(coop)s invites you to work with it on Hop Tac as %(role)s. "
        "Open this link within %(days)s days to accept: %(link)s",
    ) % {
        "coop": invitation.cooperative.name,
        "role": invitation.role_label,
        "days": coop_services.INVITATION_DAYS,
        "link": link,
    }
    outbox.queue(
        kind=Kind.OTHER,
        text=text,
        name=invitation.full_name,
        phone=invitation.phone,
        channels=["sms"],
        source_type="invitation",
        source_id=str(invitation.pk),
        actor=actor,
    )


def _remember_link(request, invitation: StaffInvitation, link: str) -> None:
    """The chair sees the link once, on the staff page, to copy it into Zalo."""
    links = dict(request.session.get(SESSION_LINKS) or {})
    links[str(invitation.pk)] = link
    request.session[SESSION_LINKS] = links


def _sent_message(phone: str) -> str:
    return _("Invitation sent to %(phone)s; the role starts when they accept.") % {
        "phone": display_phone(phone)
    }


@transaction.atomic
def invite(request, *, phone: str, full_name: str, role: str) -> StaffInvitation:
    """Write the invitation and queue its SMS in one transaction."""
    invitation, token = coop_services.invitation_create(
        phone=phone, full_name=full_name, role=role, actor=request.user
    )
    link = invitation_link(request, token)
    _send(invitation, link, actor=request.user)
    _remember_link(request, invitation, link)
    return invitation


@coop_view(Perm.STAFF_MANAGE)
@creates
@require_POST
def staff_invite(request):
    """The chair's form on the staff page: a role for a phone number."""
    form = StaffForm(request.POST)
    if form.is_valid():
        phone, role = form.cleaned_data["phone"], form.cleaned_data["role"]
        current = coop_selectors.staff_membership_by_phone(phone)
        try:
            if current is not None:
                # Already on this cooperative's staff (the chair sees them in the list):
                # a change of role needs no invitation.
                coop_services.staff_role_change(membership_id=current.pk, role=role, actor=request.user)
                text = _("Role saved for %(phone)s.") % {"phone": display_phone(phone)}
            else:
                invite(request, phone=phone, full_name=form.cleaned_data["full_name"], role=role)
                text = _sent_message(phone)
        except ValidationError as error:
            add_errors(form, error)
        else:
            made(request, text)
            messages.success(request, text)
            return redirect("coops:staff_list", coop_slug=request.cooperative.slug)
    return staff_page(request, form=form, status=422)


@coop_view(Perm.STAFF_MANAGE)
@creates
@require_POST
def invitation_resend(request, invitation_id: int):
    """A new link (the old one stops working), sent again by SMS."""
    invitation = StaffInvitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    try:
        with transaction.atomic():
            token = coop_services.invitation_renew(invitation=invitation, actor=request.user)
            invitation.refresh_from_db()
            link = invitation_link(request, token)
            _send(invitation, link, actor=request.user)
            _remember_link(request, invitation, link)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = _sent_message(invitation.phone)
        made(request, text)
        messages.success(request, text)
    return redirect("coops:staff_list", coop_slug=request.cooperative.slug)

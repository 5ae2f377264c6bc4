"""Requests to join: the alliance's list and answer (/alliance/requests/), and the public
page where a cooperative asks (/join/) and then follows its request (/join/<code>/)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hoptac.accounts.limiter import client_address
from hoptac.core.formkeys import repeat_safe
from hoptac.core.forms import add_errors
from hoptac.federation import directory_selectors as selectors
from hoptac.federation import services
from hoptac.federation.directory_access import alliance_view, province_or_404
from hoptac.federation.directory_forms import ApproveForm, DeclineForm, JoinForm
from hoptac.federation.directory_views import link_maker
from hoptac.federation.models import JoinStatus
from hoptac.shop.cart import allow

# Requests to join from one address: a few an hour (a commune office may send for several).
JOIN_LIMIT, JOIN_WINDOW = 5, 3600


@alliance_view
def request_list(request):
    status = request.GET.get("status", JoinStatus.PENDING)
    if status not in JoinStatus.values:
        status = JoinStatus.PENDING
    return render(
        request,
        "federation/join_requests.html",
        {
            "requests": selectors.join_requests(request.province_code, status)[:200],
            "status": status,
            "statuses": JoinStatus.choices,
        },
    )


def _request_or_404(request, code):
    join_request = selectors.join_request_by_code(code)
    if join_request is None:
        raise Http404
    province_or_404(request, join_request.province_code)
    return join_request


@alliance_view
@repeat_safe("an answered request refuses a second answer (the service checks its status in the transaction)")
@require_http_methods(["GET", "POST"])
def request_detail(request, code):
    join_request = _request_or_404(request, code)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    approve = ApproveForm(
        request.POST if action == "approve" else None,
        initial={"slug": services.slug_suggest(join_request.name)},
    )
    decline = DeclineForm(request.POST if action == "decline" else None)
    refusal = ""
    if action == "approve" and approve.is_valid():
        try:
            coop = services.join_request_approve(
                join_request=join_request,
                slug=approve.cleaned_data["slug"],
                link_for=link_maker(request),
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(approve, error, {"slug": "slug", "slug_taken": "slug"})
            refusal = " ".join(error.messages)
        else:
            messages.success(
                request,
                _("%(coop)s is on Hợp Tác. The invitation was sent by SMS to its chair.")
                % {"coop": coop.name},
            )
            return redirect("directory:request", code=join_request.code)
    elif action == "decline" and decline.is_valid():
        try:
            services.join_request_decline(
                join_request=join_request, reason=decline.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as error:
            add_errors(decline, error)
            refusal = " ".join(error.messages)
        else:
            messages.success(
                request, _("The request was declined; the cooperative reads the reason on its page.")
            )
            return redirect("directory:request", code=join_request.code)
    join_request.refresh_from_db()
    return render(
        request,
        "federation/join_request.html",
        {"join_request": join_request, "approve": approve, "decline": decline, "refusal": refusal},
        status=422 if action else 200,
    )


@repeat_safe("the same request sent again (same phone and name, still waiting) is the first one")
@require_http_methods(["GET", "POST"])
def join(request):
    """The public form: a cooperative asks the alliance of its province to use the platform."""
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not allow("join", client_address(request), limit=JOIN_LIMIT, seconds=JOIN_WINDOW):
            form.add_error(None, _("Too many requests from this connection. Please try again in an hour."))
        else:
            try:
                join_request = services.join_request_create(data=form.request_data())
            except ValidationError as error:
                add_errors(form, error, {"commune": "commune"})
            else:
                return redirect("join:status", code=join_request.code)
    return render(request, "federation/join_form.html", {"form": form}, status=422 if form.errors else 200)


def join_status(request, code):
    """The request's own page (its address is the key): waiting, approved or declined with the reason."""
    join_request = selectors.join_request_by_code(code)
    if join_request is None:
        raise Http404
    return render(request, "federation/join_status.html", {"join_request": join_request})

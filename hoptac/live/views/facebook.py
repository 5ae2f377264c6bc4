"""Facebook pages and reading a live video's comments, under ``/c/<slug>/live/facebook/``.

One screen (``live.run``): the cooperative's pages (add one with its page token, checked
with Facebook; adding it again renews the token; remove), its Facebook lives each with the
page and live video to read, a "read comments now" button (the task reads every minute),
and the buyers still waiting for their link: a private reply to their comment, an SMS, or
"send all unsent links by SMS". Every action is a POST naming its object in the body, and
each is safe to repeat (an upsert, a setting, a read that keeps each comment once, a
sending that is recorded the first time).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hoptac.coops.access import coop_view
from hoptac.core.formkeys import repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.lib.facebook import GraphError

from ..forms_facebook import LiveLinkForm, PageForm
from ..selectors import facebook as selectors
from ..services import facebook as services
from ..services import links


def _back(request):
    return redirect("live_facebook:pages", coop_slug=request.cooperative.slug)


def _screen(request, *, page_form=None, status=200):
    pages = selectors.pages()
    lives = []
    for session in selectors.facebook_lives():
        form = LiveLinkForm(
            pages=pages,
            initial={"page": session.facebook_page_id, "video_id": session.video_id},
            prefix=f"l{session.pk}",
        )
        lives.append({"session": session, "form": form, "buyers": selectors.buyers_without_link(session)})
    return render(
        request,
        "live/facebook.html",
        {"pages": pages, "page_form": page_form or PageForm(), "lives": lives},
        status=status,
    )


def _errors(request, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


@coop_view(Perm.LIVE_RUN)
@require_GET
def pages(request):
    return _screen(request)


@coop_view(Perm.LIVE_RUN)
@repeat_safe("Adding the same page again renews its token: one page per page id.")
@require_POST
def page_add(request):
    form = PageForm(request.POST)
    if form.is_valid():
        try:
            page = services.facebook_page_add(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Facebook page %(name)s is ready.") % {"name": page.name})
            return _back(request)
    return _screen(request, page_form=form, status=422)


@coop_view(Perm.LIVE_RUN)
@repeat_safe("Removing a page twice removes nothing the second time.")
@require_POST
def page_remove(request):
    page = selectors.page_by_pk(request.POST.get("page"))
    if page is not None and services.facebook_page_remove(page=page, actor=request.user):
        messages.success(request, _("The page and its token are removed."))
    else:
        messages.info(request, _("This page was removed already."))
    return _back(request)


@coop_view(Perm.LIVE_RUN)
@repeat_safe("Setting the same page and video again changes nothing.")
@require_POST
def live_link(request):
    session = selectors.live_by_code(request.POST.get("live", ""))
    if session is None:
        messages.error(request, _("This live no longer exists."))
        return _back(request)
    form = LiveLinkForm(request.POST, pages=selectors.pages(), prefix=f"l{session.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return _back(request)
    page = selectors.page_by_pk(form.cleaned_data["page"]) if form.cleaned_data["page"] else None
    try:
        services.live_facebook_set(
            session=session, page=page, video_id=form.cleaned_data["video_id"], actor=request.user
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request, _("Saved: comments of %(title)s are read from this video.") % {"title": session.title}
        )
    return _back(request)


@coop_view(Perm.LIVE_RUN)
@repeat_safe("Reading comments again keeps each comment once (by its Facebook id).")
@require_POST
def pull(request):
    session = selectors.live_by_code(request.POST.get("live", ""))
    if session is None:
        messages.error(request, _("This live no longer exists."))
        return _back(request)
    try:
        result = services.comments_pull(session=session)
    except ValidationError as error:
        _errors(request, error)
    except GraphError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(new)s new comments read, %(claims)s claims; %(dup)s already known.")
            % {"new": result.new, "claims": result.claims, "dup": result.duplicates},
        )
    return _back(request)


@coop_view(Perm.LIVE_RUN)
@repeat_safe("A link is sent once: Facebook takes one private reply per comment, and an SMS is recorded.")
@require_POST
def send_link(request):
    buyer = selectors.buyer_by_pk(request.POST.get("buyer"))
    if buyer is None:
        messages.error(request, _("This buyer no longer exists."))
        return _back(request)
    try:
        if request.POST.get("by") == "reply":
            services.private_reply(buyer=buyer, actor=request.user)
        else:
            if links.link_send(buyer=buyer, actor=request.user) is None:
                messages.info(request, _("The link was sent already."))
                return _back(request)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Link sent to %(name)s.") % {"name": buyer.name})
    return _back(request)


@coop_view(Perm.LIVE_RUN)
@repeat_safe("Buyers who have their link are skipped: sending all twice sends nothing twice.")
@require_POST
def send_all(request):
    session = selectors.live_by_code(request.POST.get("live", ""))
    if session is None:
        messages.error(request, _("This live no longer exists."))
        return _back(request)
    result = links.links_send_unsent(session=session, actor=request.user)
    messages.success(request, _("%(n)s links sent by SMS.") % {"n": result.sent})
    if result.no_phone:
        messages.warning(
            request,
            _("%(n)s buyers gave no phone: answer their comment with a private reply.")
            % {"n": result.no_phone},
        )
    return _back(request)

"""The cooperative's live sales under ``/c/<slug>/live/`` (``live.run``: chair and sales):
the list, planning a live and its products, going on air and off, capturing comments
(paste, comment file), claims typed by hand and released, the buyers and their links, the
live screen for the person helping the seller, and the report after the live (xlsx too).

Every action is a POST; the plan's forms are one-time (create) or conflict-checked (edit);
start, end, remove and release are refused or change nothing when sent twice.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hoptac.coops.access import coop_view
from hoptac.coops.exports import export_response
from hoptac.core.conflicts import EditGuard
from hoptac.core.formkeys import creates, edits, made, repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.core.sites import public_base

from ..forms import ClaimForm, CsvForm, ItemEditForm, ItemForm, LiveForm, PasteForm, ReleaseForm
from ..models import LiveSession, LiveStatus
from ..selectors import sessions as selectors
from ..services import claims as claim_services
from ..services import sessions as services

SHOWN_LINES = 5  # skipped or refused lines named in a capture's message


def _session_or_404(code: str) -> LiveSession:
    session = selectors.session_by_code(code)
    if session is None:
        raise Http404
    return session


def _to_session(request, session: LiveSession, anchor: str = ""):
    url = reverse(
        "live_staff:session_detail", kwargs={"coop_slug": request.cooperative.slug, "live_code": session.code}
    )
    return redirect(url + (f"#{anchor}" if anchor else ""))


def buyer_link(request, buyer) -> str:
    """The buyer's own page, ``/mua/<token>/``, as a full address to copy."""
    try:
        path = reverse("live_buyer:page", kwargs={"token": buyer.token})
    except NoReverseMatch:
        path = f"/mua/{buyer.token}/"
    return public_base(request) + path


def _send_url(buyer) -> str:
    """Where the "send the link" button posts (the buyer page's own view), if it exists."""
    try:
        return reverse("live_buyer:send", kwargs={"token": buyer.token})
    except NoReverseMatch:
        return ""


# --- the list -------------------------------------------------------------------------------------


@coop_view(Perm.LIVE_RUN)
@require_GET
def session_list(request):
    groups = selectors.session_list()
    return render(
        request,
        "live/session_list.html",
        {
            "groups": [
                (LiveStatus.LIVE, _("On air"), groups[LiveStatus.LIVE]),
                (LiveStatus.PLANNED, _("Planned"), groups[LiveStatus.PLANNED]),
                (LiveStatus.ENDED, _("Ended"), groups[LiveStatus.ENDED]),
            ],
            "any": any(groups.values()),
        },
    )


@coop_view(Perm.LIVE_RUN)
@creates
@require_http_methods(["GET", "POST"])
def session_create(request):
    form = LiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.live_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            made(request, session.title)
            messages.success(request, _("Live planned: now add its products."))
            return _to_session(request, session, "plan")
    return render(request, "live/session_form.html", {"form": form}, status=422 if form.is_bound else 200)


@coop_view(Perm.LIVE_RUN)
@edits
@require_http_methods(["GET", "POST"])
def session_edit(request, live_code: str):
    session = _session_or_404(live_code)
    guard = EditGuard(request, current=LiveForm.initial_from(session))
    if session.status != LiveStatus.PLANNED:
        # Nothing to change: the page says so (a POST from a page opened earlier too).
        return render(
            request,
            "live/session_form.html",
            {"session": session, "frozen": True},
            status=200 if request.method == "GET" else 409,
        )
    if request.method == "GET":
        form = LiveForm(initial=LiveForm.initial_from(session))
        return render(request, "live/session_form.html", {"form": form, "session": session, "guard": guard})
    form = LiveForm(request.POST)
    if form.is_valid() and guard.unchanged(form):
        try:
            services.live_update(session=session, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return _to_session(request, session)
    return render(
        request, "live/session_form.html", {"form": form, "session": session, "guard": guard}, status=422
    )


# --- one live -------------------------------------------------------------------------------------


def _detail(request, session, *, item_form=None, paste_form=None, csv_form=None, claim_form=None, status=200):
    plan = selectors.plan(session)
    context = {
        "session": session,
        "plan": plan,
        "planned": session.status == LiveStatus.PLANNED,
        "on_air": session.status == LiveStatus.LIVE,
        "ended": session.status == LiveStatus.ENDED,
    }
    if session.status == LiveStatus.PLANNED:
        listings = selectors.listings_to_add(session)
        form = item_form or ItemForm(listings=listings, initial={"code": services.suggest_code(session)})
        context.update({"item_form": form, "can_add": bool(listings)})
    else:
        items = [row.item for row in plan]
        context.update(
            {
                "screen": selectors.screen(session),
                "paste_form": paste_form or PasteForm(),
                "csv_form": csv_form or CsvForm(),
                "claim_form": claim_form or ClaimForm(items=items),
                "claims": list(selectors.open_claims(session)[:300]),
                "look": [(c, selectors.reasons_text(c)) for c in selectors.comments_to_look_at(session)],
                "release_form": ReleaseForm(),
            }
        )
    return render(request, "live/session_detail.html", context, status=status)


@coop_view(Perm.LIVE_RUN)
@require_GET
def session_detail(request, live_code: str):
    return _detail(request, _session_or_404(live_code))


@coop_view(Perm.LIVE_RUN)
@repeat_safe("Going on air twice is refused: the live is no longer planned.")
@require_POST
def session_start(request, live_code: str):
    session = _session_or_404(live_code)
    try:
        claim_services.live_start(session=session, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("On air: the packs are set aside. Paste the comments as they come."))
    return _to_session(request, session)


@coop_view(Perm.LIVE_RUN)
@repeat_safe("Ending twice is refused: the live is no longer on air.")
@require_POST
def session_end(request, live_code: str):
    session = _session_or_404(live_code)
    try:
        claim_services.live_end(session=session, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The live has ended: packs nobody holds went back to the shop."))
    return _to_session(request, session)


# --- its products --------------------------------------------------------------------------------


@coop_view(Perm.LIVE_RUN)
@creates
@require_POST
def item_add(request, live_code: str):
    session = _session_or_404(live_code)
    form = ItemForm(request.POST, listings=selectors.listings_to_add(session))
    if session.status != LiveStatus.PLANNED:
        form.add_error(None, _("The live has started: its plan can no longer change."))
    elif form.is_valid():
        data = form.cleaned_data
        try:
            item = services.live_item_add(
                session=session,
                listing=data["listing"],
                code=data["code"],
                price_vnd=data["price_vnd"] or None,
                quantity=data["quantity"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("%(code)s added to the live.") % {"code": item.code})
            return _to_session(request, session, "plan")
    return _detail(request, session, item_form=form, status=422)


def _item_or_404(session, item_id: int):
    item = selectors.item_of(session, item_id)
    if item is None:
        raise Http404
    return item


@coop_view(Perm.LIVE_RUN)
@edits
@require_http_methods(["GET", "POST"])
def item_edit(request, live_code: str, item_id: int):
    session = _session_or_404(live_code)
    item = _item_or_404(session, item_id)
    guard = EditGuard(request, current=ItemEditForm.initial_from(item))
    context = {"session": session, "item": item, "in_stock": services.in_stock(item.listing), "guard": guard}
    if session.status != LiveStatus.PLANNED:
        context["frozen"] = True
        return render(request, "live/item_form.html", context, status=200 if request.method == "GET" else 409)
    if request.method == "GET":
        context["form"] = ItemEditForm(initial=ItemEditForm.initial_from(item))
        return render(request, "live/item_form.html", context)
    form = ItemEditForm(request.POST)
    if form.is_valid() and guard.unchanged(form):
        try:
            services.live_item_update(item=item, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return _to_session(request, session, "plan")
    context["form"] = form
    return render(request, "live/item_form.html", context, status=422)


@coop_view(Perm.LIVE_RUN)
@repeat_safe("Removing a product twice removes nothing the second time.")
@require_POST
def item_remove(request, live_code: str, item_id: int):
    session = _session_or_404(live_code)
    item = selectors.item_of(session, item_id)
    if item is None:
        messages.info(request, _("This product was removed already."))
        return _to_session(request, session, "plan")
    try:
        services.live_item_remove(item=item, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(code)s removed from the live.") % {"code": item.code})
    return _to_session(request, session, "plan")


# --- capturing comments ------------------------------------------------------------------------------


def _said(request, done: services.Capture) -> None:
    """N comments, M orders, K repeats, L need a look — and what could not be read."""
    text = _(
        "%(comments)s comments read: %(orders)s orders, %(duplicates)s repeats, %(look)s need a look."
    ) % {
        "comments": done.comments,
        "orders": done.orders,
        "duplicates": done.duplicates,
        "look": done.needs_look,
    }
    made(request, text)
    messages.success(request, text)
    if done.skipped:
        shown = " · ".join(line[:80] for line in done.skipped[:SHOWN_LINES])
        messages.warning(
            request,
            ngettext(
                "%(n)s line was not read as a comment (add it by hand if it is an order): %(lines)s",
                "%(n)s lines were not read as comments (add them by hand if they are orders): %(lines)s",
                len(done.skipped),
            )
            % {"n": len(done.skipped), "lines": shown},
        )
    if done.refused:
        shown = " · ".join(line[:120] for line in done.refused[:SHOWN_LINES])
        messages.warning(
            request,
            ngettext(
                "%(n)s comment was refused: %(lines)s",
                "%(n)s comments were refused: %(lines)s",
                len(done.refused),
            )
            % {"n": len(done.refused), "lines": shown},
        )


@coop_view(Perm.LIVE_RUN)
@creates
@require_POST
def comments_paste(request, live_code: str):
    session = _session_or_404(live_code)
    form = PasteForm(request.POST)
    if form.is_valid():
        try:
            done = services.comments_paste(session=session, text=form.cleaned_data["text"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            _said(request, done)
            return _to_session(request, session, "capture")
    return _detail(request, session, paste_form=form, status=422)


@coop_view(Perm.LIVE_RUN)
@creates
@require_POST
def comments_upload(request, live_code: str):
    session = _session_or_404(live_code)
    form = CsvForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            done = services.comments_import_csv(session=session, data=form.cleaned_data["file"].read())
        except ValidationError as error:
            form.add_error("file", " ".join(error.messages))
        else:
            _said(request, done)
            return _to_session(request, session, "capture")
    return _detail(request, session, csv_form=form, status=422)


# --- claims -------------------------------------------------------------------------------------------


@coop_view(Perm.LIVE_RUN)
@creates
@require_POST
def claim_add(request, live_code: str):
    session = _session_or_404(live_code)
    items = [row.item for row in selectors.plan(session)]
    form = ClaimForm(request.POST, items=items)
    if form.is_valid():
        data = form.cleaned_data
        item = next((i for i in items if i.pk == data["item"]), None)
        try:
            claim = claim_services.claim_add(
                item=item,
                buyer_name=data["buyer_name"],
                phone=data["phone"] or "",
                quantity=data["quantity"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            text = _("Claim added: %(name)s, %(code)s × %(n)s (%(state)s).") % {
                "name": claim.buyer.name,
                "code": item.code,
                "n": claim.quantity,
                "state": claim.get_state_display(),
            }
            made(request, text)
            messages.success(request, text)
            return _to_session(request, session, "claims")
    return _detail(request, session, claim_form=form, status=422)


@coop_view(Perm.LIVE_RUN)
@repeat_safe("Releasing a claim twice is refused: it is already closed.")
@require_POST
def claim_release(request, live_code: str, claim_id: int):
    session = _session_or_404(live_code)
    claim = selectors.claim_of(session, claim_id)
    if claim is None:
        raise Http404
    form = ReleaseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        claim_services.claim_release(claim=claim, note=note, actor=request.user)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Claim of %(name)s released: its packs went to the next in line.") % {"name": claim.buyer.name},
        )
    return _to_session(request, session, "claims")


@coop_view(Perm.LIVE_RUN)
@require_GET
def buyer_list(request, live_code: str):
    session = _session_or_404(live_code)
    rows = selectors.buyers(session)
    for row in rows:
        row.link = buyer_link(request, row.buyer)
        row.send_url = _send_url(row.buyer)
    return render(request, "live/buyer_list.html", {"session": session, "rows": rows})


# --- the live screen -------------------------------------------------------------------------------------


@coop_view(Perm.LIVE_RUN)
@require_GET
def screen(request, live_code: str):
    session = _session_or_404(live_code)
    return render(request, "live/screen.html", {"session": session, "screen": selectors.screen(session)})


@coop_view(Perm.LIVE_RUN)
@require_GET
def screen_panel(request, live_code: str):
    """The screen's panel alone, as JSON ``{"html": …}``, fetched every few seconds by
    live-screen.js (JSON, not a page of its own: it has no head, title or menu)."""
    session = _session_or_404(live_code)
    html = render_to_string(
        "live/_screen_panel.html", {"session": session, "screen": selectors.screen(session)}, request=request
    )
    response = JsonResponse({"html": html})
    response["Cache-Control"] = "no-store"
    return response


# --- after the live ---------------------------------------------------------------------------------------


@coop_view(Perm.LIVE_RUN)
@require_GET
def report(request, live_code: str):
    session = _session_or_404(live_code)
    return render(request, "live/report.html", {"session": session, "report": selectors.report(session)})


@coop_view(Perm.LIVE_RUN)
@repeat_safe("asking again for the same live's report goes to the job already asked for")
@require_http_methods(["GET", "POST"])
def report_xlsx(request, live_code: str):
    """The report as xlsx: at once, or by the worker for a live of many comments
    (``coops/exports.py``)."""
    session = _session_or_404(live_code)
    return export_response(
        request,
        kind="live_report",
        params={"live": session.code},
        rows=selectors.report_size(session),
        perms=[Perm.LIVE_RUN],
        download_name=f"live-{session.code}.xlsx",
    )


@coop_view(Perm.LIVE_RUN)
@require_GET
def reports(request):
    return render(request, "live/reports.html", {"reports": selectors.reports_across()})

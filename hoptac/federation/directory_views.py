"""The alliance's directory pages (/alliance/): the list, the Excel template and import with
its review step, and one entry with "Start on Hợp Tác" and the chair's invitation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from hoptac.coops.forms import ImportForm
from hoptac.core.formkeys import repeat_safe
from hoptac.core.forms import add_errors
from hoptac.federation import directory, services
from hoptac.federation import directory_selectors as selectors
from hoptac.federation.directory_access import alliance_view, province_or_404
from hoptac.federation.directory_forms import EntryFilterForm, InviteForm, StartForm
from hoptac.federation.models import ImportStatus
from hoptac.lib import xlsx
from hoptac.lib.phone import display_phone

PAGE_SIZE = 50


SESSION_LINKS = "alliance_invitation_links"


def link_maker(request, entry_code=None):
    """Builds the absolute invitation link of a token, for the SMS; with ``entry_code``, the
    link is also kept in the session to be shown once on the entry's page (to copy into Zalo)."""

    def link_for(token: str) -> str:
        link = request.build_absolute_uri(reverse("invitation", kwargs={"token": token}))
        if entry_code is not None:
            links = dict(request.session.get(SESSION_LINKS) or {})
            links[str(entry_code)] = link
            request.session[SESSION_LINKS] = links
        return link

    return link_for


def _shown_link(request, entry) -> str:
    """The invitation link just made for the entry, once (then forgotten)."""
    links = dict(request.session.get(SESSION_LINKS) or {})
    link = links.pop(str(entry.code), "")
    if link:
        request.session[SESSION_LINKS] = links
    return link


@alliance_view
def entry_list(request):
    province = request.province_code
    form = EntryFilterForm(request.GET or None, province_code=province)
    filters = form.filters()
    paginator = Paginator(selectors.entry_list(province, filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "federation/directory_list.html",
        {
            "page": page,
            "total": paginator.count,
            "filter_form": form,
            "filtered": any(value for key, value in request.GET.items() if key not in ("page", "province")),
            "counts": selectors.directory_counts(province),
            "waiting": selectors.imports_waiting(province)[:5],
            "unlisted": selectors.unlisted_cooperatives(province),
        },
    )


@alliance_view
@repeat_safe("only cooperatives without an entry are added: a second press adds none")
@require_POST
def directory_add_platform(request):
    added = services.directory_add_platform(province_code=request.province_code, actor=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)s cooperative on Hợp Tác added to the directory.",
            "%(count)s cooperatives on Hợp Tác added to the directory.",
            added,
        )
        % {"count": added},
    )
    return _to_list(request)


@alliance_view
def directory_template(request):
    response = HttpResponse(
        directory.template_workbook(request.province_code), content_type=xlsx.CONTENT_TYPE
    )
    response["Content-Disposition"] = 'attachment; filename="directory-template.xlsx"'
    return response


@alliance_view
@repeat_safe("the same file applied twice updates the entries the first one added (rows are matched again)")
@require_http_methods(["GET", "POST"])
def directory_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    checked = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.MAX_IMPORT_BYTES:
            form.add_error(
                "file",
                _("The file is too large (at most %(mb)s MB).")
                % {"mb": settings.MAX_IMPORT_BYTES // (1024 * 1024)},
            )
        else:
            checked = directory.check_file(content=upload.read(), province_code=request.province_code)
            if checked.file_error:
                form.add_error("file", checked.file_error)
            elif checked.ok:
                staged = services.directory_import_stage(
                    province_code=request.province_code,
                    rows=checked.rows,
                    file_name=upload.name,
                    actor=request.user,
                )
                if checked.doubtful:
                    return redirect("directory:review", code=staged.code)
                try:
                    applied = services.directory_import_apply(staged=staged, choices={}, actor=request.user)
                except ValidationError as error:
                    form.add_error("file", " ".join(error.messages))
                else:
                    text = _applied_text(applied)
                    messages.success(request, text)
                    return _to_list(request)
    status = 422 if checked is not None and not checked.ok or form.errors else 200
    return render(
        request, "federation/directory_import.html", {"form": form, "checked": checked}, status=status
    )


def _applied_text(applied) -> str:
    return _(
        "Directory imported: %(created)s added (%(linked)s already on Hợp Tác), %(updated)s updated."
    ) % {
        "created": applied.created,
        "linked": applied.linked,
        "updated": applied.updated,
    }


def _to_list(request, province_code: int | None = None):
    return redirect(f"{reverse('directory:list')}?province={province_code or request.province_code}")


@alliance_view
@repeat_safe("a staged import is applied or discarded once (its status is claimed in the transaction)")
@require_http_methods(["GET", "POST"])
def directory_review(request, code):
    """The doubtful rows of a checked file: for each, the entry it is, or a new one."""
    staged = selectors.import_by_code(code)
    if staged is None:
        raise Http404
    province_or_404(request, staged.province_code)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "discard":
                services.directory_import_discard(staged=staged, actor=request.user)
                messages.success(request, _("The import was discarded: nothing was changed."))
                return _to_list(request, staged.province_code)
            choices = {
                row["row"]: request.POST.get(f"row-{row['row']}", "")
                for row in staged.rows
                if row["action"] == "doubt"
            }
            applied = services.directory_import_apply(staged=staged, choices=choices, actor=request.user)
        except ValidationError as refused:
            error = " ".join(refused.messages)
            staged.refresh_from_db()
        else:
            messages.success(request, _applied_text(applied))
            return _to_list(request, staged.province_code)
    doubtful = [
        {**row, "chosen": request.POST.get(f"row-{row['row']}", "")}
        for row in staged.rows
        if row["action"] == "doubt"
    ]
    status = 422 if error else 200
    return render(
        request,
        "federation/directory_review.html",
        {
            "staged": staged,
            "doubtful": doubtful,
            "certain": len(staged.rows) - len(doubtful),
            "error": error,
            "open": staged.status == ImportStatus.REVIEW,
        },
        status=status,
    )


def _entry_or_404(request, code):
    entry = selectors.entry_by_code(code)
    if entry is None:
        raise Http404
    province_or_404(request, entry.province_code)
    return entry


def _entry_page(request, entry, *, start_form=None, invite_form=None, status=200):
    started = entry.cooperative_id is not None
    chair = selectors.has_chair(entry) if started else False
    if start_form is None and not started:
        start_form = StartForm(
            initial={
                "slug": services.slug_suggest(entry.name),
                "chair_name": entry.chair_name,
                "chair_phone": display_phone(entry.phone) if entry.phone else "",
            }
        )
    if invite_form is None and started and not chair:
        invite_form = InviteForm(initial={"full_name": entry.chair_name, "phone": display_phone(entry.phone)})
    return render(
        request,
        "federation/directory_entry.html",
        {
            "entry": entry,
            "start_form": start_form,
            "invite_form": invite_form,
            "has_chair": chair,
            "invitations": selectors.chair_invitations(entry),
            "new_link": _shown_link(request, entry) if status == 200 else "",
        },
        status=status,
    )


@alliance_view
def entry_detail(request, code):
    return _entry_page(request, _entry_or_404(request, code))


@alliance_view
@repeat_safe("an entry already started is refused (checked in the transaction)")
@require_POST
def entry_start(request, code):
    """Open the entry's cooperative on the platform and send its chair the invitation."""
    entry = _entry_or_404(request, code)
    form = StartForm(request.POST)
    if form.is_valid():
        try:
            coop, invitation = services.cooperative_start(
                entry=entry,
                slug=form.cleaned_data["slug"],
                chair_phone=form.cleaned_data["chair_phone"],
                chair_name=form.cleaned_data["chair_name"],
                link_for=link_maker(request, entry.code),
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error, {"slug": "slug", "slug_taken": "slug"})
        else:
            text = _("%(coop)s is on Hợp Tác. The invitation was sent by SMS to %(phone)s.") % {
                "coop": coop.name,
                "phone": display_phone(invitation.phone),
            }
            messages.success(request, text)
            return redirect("directory:entry", code=entry.code)
    return _entry_page(request, entry, start_form=form, status=422)


@alliance_view
@repeat_safe("a second invitation to the same phone within a minute is refused")
@require_POST
def entry_invite(request, code):
    """Invite the chair again (a new link; the earlier one stops working)."""
    entry = _entry_or_404(request, code)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.chair_invite(
                entry=entry,
                phone=form.cleaned_data["phone"],
                full_name=form.cleaned_data["full_name"],
                link_for=link_maker(request, entry.code),
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            text = _("The invitation was sent by SMS to %(phone)s.") % {
                "phone": display_phone(invitation.phone)
            }
            messages.success(request, text)
            return redirect("directory:entry", code=entry.code)
    return _entry_page(request, entry, invite_form=form, status=422)

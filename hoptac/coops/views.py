from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from hoptac.coops import excel, selectors, services
from hoptac.coops.access import coop_view
from hoptac.coops.exports import export_response
from hoptac.coops.forms import (
    CooperativeForm,
    GroupForm,
    GroupMembersForm,
    ImportForm,
    LeaveForm,
    MemberFilterForm,
    MemberForm,
    MemberPageForm,
    NewPasswordForm,
    StaffForm,
)
from hoptac.coops.models import Cooperative, Member, MemberGroup
from hoptac.core.backup import backup_health
from hoptac.core.conflicts import EditGuard
from hoptac.core.dashboard import Viewer, cards_for
from hoptac.core.formkeys import creates, edits, made, repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm, Role

PAGE_SIZE = 50
# Session key of the invitation links the chair has not seen yet (notify.invitations).
INVITATION_LINKS = "invitation_links"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def home(request):
    """Signed in: the cooperatives this person works with. Otherwise: what Hợp Tác is."""
    if not request.user.is_authenticated:
        count = Cooperative.objects.filter(is_active=True).count()
        return render(request, "coops/landing.html", {"coop_count": count})
    return _home(request, redirect_single=True)


def _home(request, *, redirect_single: bool):
    """The person's own cooperatives as cards; for an alliance officer or a platform
    administrator also the province's cooperatives, searched and paged (a province has
    hundreds), under a link to the alliance's overview."""
    choices = selectors.own_cooperatives(request.user)
    query = request.GET.get("q", "")[:100]
    province_page = selectors.alliance_cooperatives(request.user, query=query, page=request.GET.get("page") or 1)
    if redirect_single and province_page is None and len(choices) == 1:
        return redirect("coops:dashboard", coop_slug=choices[0].cooperative.slug)
    return render(
        request,
        "coops/home.html",
        {"choices": choices, "page": province_page, "q": query, "alliance": province_page is not None},
    )


def _member_or_404(member_uuid) -> Member:
    try:
        return selectors.member_get(member_uuid)
    except Member.DoesNotExist:
        raise Http404 from None


@coop_view(Perm.COOP_VIEW)
def dashboard(request):
    """The overview: cards with a figure and a small chart, each contributed by the app that
    owns it (``core.dashboard``), for what this role may open. A member's account gets its
    household's own page: balance in words, latest deliveries, prices, notices."""
    summary = selectors.coop_summary() if request.access.can(Perm.MEMBER_VIEW) else None
    # The chair sees when the last backup was made, where, and a warning when it is old.
    backup = backup_health() if request.access.can(Perm.COOP_EDIT) else None
    is_member = request.access.role == Role.MEMBER
    household = selectors.own_household(request.user, request.cooperative) if is_member else None
    viewer = Viewer(request=request, access=request.access, household=household, today=timezone.localdate())
    cards = cards_for(viewer)
    return render(
        request,
        "coops/dashboard.html",
        {
            "summary": summary,
            "backup": backup,
            "is_member": is_member,
            "household": household,
            "cards": [c for c in cards if c.audience == "staff"],
            "member_cards": [c for c in cards if c.audience == "member"],
        },
    )


def _member_filters(request) -> tuple[MemberFilterForm, selectors.MemberFilters]:
    """The list's filters; without Perm.MEMBER_PERSONAL, numbers in the search do not look
    at phone numbers (so that nobody can test which phone belongs to a member)."""
    form = MemberFilterForm(request.GET or None)
    personal = request.access.can(Perm.MEMBER_PERSONAL)
    if not personal:
        form.fields["q"].widget.attrs["placeholder"] = _("Name or village")
    filters = selectors.MemberFilters(by_phone=personal)
    if form.is_valid():
        filters = selectors.MemberFilters(
            by_phone=personal, **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        )
    return form, filters


@coop_view(Perm.MEMBER_VIEW)
def member_list(request):
    form, filters = _member_filters(request)
    paginator = Paginator(selectors.member_list(filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "coops/member_list.html",
        {
            "filter_form": form,
            "page": page,
            "total": paginator.count,
            "filtered": any(v for k, v in vars(filters).items() if k != "by_phone"),
            "personal": request.access.can(Perm.MEMBER_PERSONAL),
        },
    )


@coop_view(Perm.MEMBER_EDIT)
@creates
@require_http_methods(["GET", "POST"])
def member_create(request):
    form = MemberPageForm(request.POST or None, cooperative=request.cooperative)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(data=form.to_input(), actor=request.user)
        except ValidationError as error:
            add_errors(form, error)
        else:
            made(request, member.full_name)
            messages.success(request, _("Member %(name)s added.") % {"name": member.full_name})
            return redirect("coops:member_detail", coop_slug=request.cooperative.slug, member_id=member.uuid)
    return render(request, "coops/member_form.html", {"form": form, "member": None})


@coop_view(Perm.MEMBER_VIEW)
def member_detail(request, member_id):
    member = _member_or_404(member_id)
    return render(
        request,
        "coops/member_detail.html",
        {"member": member, "leave_form": LeaveForm(), "personal": request.access.can(Perm.MEMBER_PERSONAL)},
    )


@coop_view(Perm.MEMBER_EDIT)
@edits
@require_http_methods(["GET", "POST"])
def member_edit(request, member_id):
    member = _member_or_404(member_id)
    initial = MemberForm.initial_from(member)
    guard = EditGuard(request, current=initial)
    form = MemberPageForm(request.POST or None, cooperative=request.cooperative, initial=initial)
    if request.method == "POST" and form.is_valid() and guard.unchanged(form):
        try:
            services.member_update(member=member, data=form.to_input(), actor=request.user)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("coops:member_detail", coop_slug=request.cooperative.slug, member_id=member.uuid)
    return render(request, "coops/member_form.html", {"form": form, "member": member, "guard": guard})


@coop_view(Perm.MEMBER_LEAVE)
@repeat_safe("A transition: a member who has already left is refused.")
@require_http_methods(["GET", "POST"])
def member_leave(request, member_id):
    member = _member_or_404(member_id)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_leave(
                member=member,
                left_on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("%(name)s is recorded as having left.") % {"name": member.full_name})
            return redirect("coops:member_detail", coop_slug=request.cooperative.slug, member_id=member.uuid)
    return render(request, "coops/member_leave.html", {"form": form, "member": member})


@coop_view(Perm.MEMBER_LEAVE)
@repeat_safe("A transition: an active member is refused.")
@require_POST
def member_rejoin(request, member_id):
    member = _member_or_404(member_id)
    try:
        services.member_rejoin(member=member, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is an active member again.") % {"name": member.full_name})
    return redirect("coops:member_detail", coop_slug=request.cooperative.slug, member_id=member.uuid)


@coop_view(Perm.MEMBER_IMPORT)
@creates
@require_http_methods(["GET", "POST"])
def member_import(request):
    from django.conf import settings

    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.MAX_IMPORT_BYTES:
            form.add_error(
                "file",
                _("The file is too large (at most %(mb)s MB).")
                % {"mb": settings.MAX_IMPORT_BYTES // (1024 * 1024)},
            )
        else:
            result = excel.members_import_xlsx(content=upload.read(), actor=request.user)
            if result.file_error:
                # A file refused as a whole (not a workbook, too large, crafted, no headers):
                # the form answers with the reason, nothing was stored.
                form.add_error("file", result.file_error)
            elif result.ok:
                made(
                    request,
                    ngettext("%(count)s member imported", "%(count)s members imported", result.created)
                    % {"count": result.created},
                )
                text = ngettext(
                    "%(count)s member imported.", "%(count)s members imported.", result.created
                ) % {"count": result.created}
                if result.skipped_example:
                    text += " " + _("The template's unchanged example row was skipped.")
                messages.success(request, text)
                return redirect("coops:member_list", coop_slug=request.cooperative.slug)
    status = 422 if result is not None and result.errors else 200
    return render(request, "coops/member_import.html", {"form": form, "result": result}, status=status)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@coop_view(Perm.MEMBER_IMPORT)
def member_template(request):
    return _xlsx(excel.template_workbook(), f"{request.cooperative.slug}-members-template.xlsx")


@coop_view(Perm.MEMBER_EXPORT)
@repeat_safe("asking again for the same member export goes to the job already asked for")
@require_http_methods(["GET", "POST"])
def member_export(request):
    """The members as xlsx; without Perm.MEMBER_PERSONAL (the provincial officer), without the
    personal columns (phone, email, bank, notes). A large list is written by the worker
    (``coops/exports.py``)."""
    _form, filters = _member_filters(request)
    personal = request.access.can(Perm.MEMBER_PERSONAL)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return export_response(
        request,
        kind="members",
        params={"filters": dataclasses.asdict(filters), "personal": personal},
        rows=selectors.member_list(filters).count(),
        perms=[Perm.MEMBER_EXPORT, *([Perm.MEMBER_PERSONAL] if personal else [])],
        download_name=f"{request.cooperative.slug}-members-{stamp}.xlsx",
    )


@coop_view(Perm.MEMBER_VIEW)
@creates
@require_http_methods(["GET", "POST"])
def group_list(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST":
        if not request.access.can(Perm.GROUP_EDIT):
            raise PermissionDenied
        if form.is_valid():
            try:
                group = services.group_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                made(request, group.name)
                messages.success(request, _("Group %(name)s created.") % {"name": group.name})
                return redirect("coops:group_detail", coop_slug=request.cooperative.slug, group_id=group.pk)
    return render(
        request,
        "coops/group_list.html",
        {"groups": selectors.group_list(), "villages": selectors.village_list(), "form": form},
    )


@coop_view(Perm.MEMBER_VIEW)
@edits
@require_http_methods(["GET", "POST"])
def group_detail(request, group_id):
    try:
        group = selectors.group_get(group_id)
    except MemberGroup.DoesNotExist:
        raise Http404 from None
    active = selectors.member_list(selectors.MemberFilters(status="active"))
    choices = [(m.pk, f"{m.full_name} — {m.village.name if m.village else ''}") for m in active]
    current = list(group.members.values_list("id", flat=True))
    guard = EditGuard(request, current={"members": current})
    form = GroupMembersForm(request.POST or None, member_choices=choices, initial={"members": current})
    if request.method == "POST":
        if not request.access.can(Perm.GROUP_EDIT):
            raise PermissionDenied
        if form.is_valid() and guard.unchanged(form):
            services.group_set_members(
                group=group, member_ids=form.cleaned_data["members"], actor=request.user
            )
            messages.success(request, _("Group members saved."))
            return redirect("coops:group_detail", coop_slug=request.cooperative.slug, group_id=group.pk)
    members = group.members.select_related("village").order_by("full_name")
    return render(
        request,
        "coops/group_detail.html",
        {"group": group, "members": members, "form": form, "guard": guard},
    )


@coop_view(Perm.COOP_EDIT)
@edits
@require_http_methods(["GET", "POST"])
def coop_settings(request):
    coop = request.cooperative
    form = CooperativeForm(request.POST or None, request.FILES or None, instance=coop)
    guard = EditGuard(request, current={name: form.initial.get(name) for name in form.Meta.fields})
    if request.method == "POST" and form.is_valid() and guard.unchanged(form):
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if not form.cleaned_data.get("logo"):
            fields.pop("logo")
        try:
            services.cooperative_update(
                cooperative=Cooperative.objects.get(pk=coop.pk), actor=request.user, **fields
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Cooperative details saved."))
            return redirect("coops:dashboard", coop_slug=coop.slug)
    return render(
        request,
        "coops/coop_settings.html",
        {"form": form, "guard": guard},
    )


def staff_page(request, *, form=None, status: int = 200):
    """The staff page: roles, pending invitations and (for the chair) the invitation form.
    Also rendered by ``notify.invitations.staff_invite`` when its form has errors."""
    can_manage = request.access.can(Perm.STAFF_MANAGE)
    invitations = list(selectors.invitations_pending()) if can_manage else []
    links = dict(request.session.get(INVITATION_LINKS) or {})
    for invitation in invitations:
        # Each link is shown once; links of another cooperative's page stay for it.
        invitation.link = links.pop(str(invitation.pk), "")
    if can_manage and INVITATION_LINKS in request.session:
        request.session[INVITATION_LINKS] = links
    return render(
        request,
        "coops/staff_list.html",
        {
            "staff": selectors.staff_list(),
            "form": form if form is not None else StaffForm(),
            "can_manage": can_manage,
            "invitations": invitations,
        },
        status=status,
    )


@coop_view(Perm.COOP_VIEW)
def staff_list(request):
    return staff_page(request)


@coop_view(Perm.STAFF_MANAGE)
@repeat_safe("Setting the same new password again leaves the same password; nothing is created.")
@require_http_methods(["GET", "POST"])
def staff_password(request, membership_id):
    """The chair sets a new password for someone who works with this cooperative only."""
    try:
        membership = selectors.staff_membership_get(membership_id)
    except ObjectDoesNotExist:
        raise Http404 from None
    form = NewPasswordForm(request.POST or None, for_user=membership.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_password_set(
                membership_id=membership.pk, password=form.cleaned_data["password1"], actor=request.user
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("New password set for %(name)s. Tell it to them in person; they can change it.")
                % {"name": membership.user.full_name or membership.user},
            )
            return redirect("coops:staff_list", coop_slug=request.cooperative.slug)
    return render(request, "coops/staff_password.html", {"form": form, "membership": membership})


@coop_view(Perm.STAFF_MANAGE)
@repeat_safe("A cancelled invitation is refused the second time.")
@require_POST
def invitation_cancel(request, invitation_id):
    try:
        services.invitation_cancel(invitation_id=invitation_id, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ObjectDoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, _("Invitation cancelled: its link no longer works."))
    return redirect("coops:staff_list", coop_slug=request.cooperative.slug)


@coop_view(Perm.STAFF_MANAGE)
@repeat_safe("A removed role is not found (404) the second time.")
@require_POST
def staff_remove(request, membership_id):
    try:
        services.staff_remove(membership_id=membership_id, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ObjectDoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, _("Role removed."))
    return redirect("coops:staff_list", coop_slug=request.cooperative.slug)


@login_required
def switch(request):
    return _home(request, redirect_single=False)

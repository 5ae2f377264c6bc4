"""Staff pages of the field app (under /c/<slug>/field-admin/): the chair's devices and
field settings, and the records needing a look (flagged receipts, advances over the
limit, new households). Every task works without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from hoptac.coops.access import coop_view
from hoptac.coops.models import Member, MemberStatus
from hoptac.core.formkeys import repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.lib.text import fold
from hoptac.sync import selectors, services
from hoptac.sync.forms import FieldSettingsForm, MergeForm, NoteForm, ReasonForm
from hoptac.sync.models import Device, Kind, State, SyncRecord


@coop_view(Perm.STAFF_MANAGE)
@require_GET
def device_list(request):
    return render(
        request,
        "sync/devices.html",
        {"devices": list(selectors.device_list()), "settings": services.field_settings()},
    )


@coop_view(Perm.STAFF_MANAGE)
@repeat_safe("Revoking a device twice changes nothing.")
@require_http_methods(["GET", "POST"])
def device_revoke(request, device_id):
    try:
        device = selectors.device_get(device_id)
    except Device.DoesNotExist:
        raise Http404 from None
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.device_revoke(device=device, reason=form.cleaned_data["reason"], actor=request.user)
            except ValidationError as error:
                add_errors(form, error, {"reason": "reason"})
            else:
                messages.success(
                    request, _("The phone “%(name)s” can no longer send records.") % {"name": device.name}
                )
                return redirect("sync:devices", coop_slug=request.cooperative.slug)
        status = 400
    return render(request, "sync/device_revoke.html", {"device": device, "form": form}, status=status)


@coop_view(Perm.STAFF_MANAGE)
@repeat_safe("Saving the same settings twice leaves them the same.")
@require_http_methods(["GET", "POST"])
def settings_edit(request):
    current = services.field_settings()
    initial = {
        "price_tolerance_pct": current.price_tolerance_pct,
        "advance_limit_vnd": current.advance_limit_vnd,
        "sms_number": current.sms_number,
    }
    form = FieldSettingsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.field_settings_set(
                    price_tolerance_pct=form.cleaned_data["price_tolerance_pct"],
                    advance_limit_vnd=form.cleaned_data["advance_limit_vnd"],
                    sms_number=form.cleaned_data["sms_number"] or "",
                    actor=request.user,
                )
            except ValidationError as error:
                add_errors(
                    form,
                    error,
                    {"tolerance": "price_tolerance_pct", "phone": "sms_number", "too_large": "advance_limit_vnd"},
                )
            else:
                messages.success(request, _("Field settings saved."))
                return redirect("sync:devices", coop_slug=request.cooperative.slug)
        status = 400
    return render(request, "sync/settings.html", {"form": form}, status=status)


@coop_view(Perm.LEDGER_WRITE)
@require_GET
def review(request):
    return render(
        request,
        "sync/review.html",
        {**selectors.review_lists(), "can_approve": request.access.can(Perm.STAFF_MANAGE)},
    )


def _merge_candidates(record: SyncRecord) -> list[Member]:
    """Active members who may be the same household: a word of the name in common."""
    if record.member is None:
        return []
    words = [w for w in fold(record.member.full_name).split() if len(w) > 1][-2:]
    found = Member.objects.filter(status=MemberStatus.ACTIVE).exclude(pk=record.member_id)
    result: list[Member] = []
    for word in words:
        for member in found.filter(search_text__contains=" " + word).select_related("village")[:10]:
            if member not in result:
                result.append(member)
    return result[:15]


ACTIONS = {
    # action: (kind, state it applies to, permission)
    "accept": (Kind.RECEIPT, State.FLAGGED, Perm.LEDGER_WRITE),
    "void": (Kind.RECEIPT, State.FLAGGED, Perm.RECEIPT_VOID),
    "approve": (Kind.ADVANCE, State.PENDING, Perm.STAFF_MANAGE),
    "decline": (Kind.ADVANCE, State.PENDING, Perm.STAFF_MANAGE),
    "household_accept": (Kind.HOUSEHOLD, State.PROVISIONAL, Perm.MEMBER_EDIT),
    "merge": (Kind.HOUSEHOLD, State.PROVISIONAL, Perm.MEMBER_EDIT),
    "household_decline": (Kind.HOUSEHOLD, State.PROVISIONAL, Perm.MEMBER_EDIT),
}


def _apply_action(request, record: SyncRecord, action: str, form) -> None:
    data = form.cleaned_data
    if action == "accept":
        services.flagged_accept(record=record, note=data.get("note", ""), actor=request.user)
    elif action == "void":
        services.flagged_void(record=record, reason=data["reason"], actor=request.user)
    elif action == "approve":
        services.advance_approve(record=record, note=data.get("note", ""), actor=request.user)
    elif action == "decline":
        services.advance_decline(record=record, reason=data["reason"], actor=request.user)
    elif action == "household_accept":
        services.household_accept(record=record, note=data.get("note", ""), actor=request.user)
    elif action == "household_decline":
        services.household_decline(record=record, reason=data["reason"], actor=request.user)
    elif action == "merge":
        into = Member.objects.filter(uuid=data["into"]).first()
        if into is None:
            raise ValidationError(_("Choose a member to merge into."), code="into")
        services.household_merge(record=record, into=into, actor=request.user)


def _form_for(action: str, data=None):
    if action in ("void", "decline", "household_decline"):
        return ReasonForm(data)
    if action == "merge":
        return MergeForm(data)
    return NoteForm(data)


@coop_view(Perm.LEDGER_WRITE)
@repeat_safe("A record is reviewed once: a second answer is refused (conditional update).")
@require_http_methods(["GET", "POST"])
def record_review(request, record_id: int):
    try:
        record = selectors.record_get(record_id)
    except SyncRecord.DoesNotExist:
        raise Http404 from None
    status = 200
    errors: list[str] = []
    failed_action = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        rule = ACTIONS.get(action)
        if rule is None or rule[0] != record.kind:
            errors.append(_("Unknown action."))
        elif not request.access.can(rule[2]):
            raise PermissionDenied
        else:
            form = _form_for(action, request.POST)
            if form.is_valid():
                try:
                    _apply_action(request, record, action, form)
                except ValidationError as error:
                    errors += [str(m) for m in error.messages]
                else:
                    messages.success(request, _("Done: the collector's phone will show it at its next contact."))
                    return redirect("sync:review", coop_slug=request.cooperative.slug)
            else:
                errors += [str(e) for field_errors in form.errors.values() for e in field_errors]
        failed_action = action
        status = 400
    actions = [
        name
        for name, (kind, state, perm) in ACTIONS.items()
        if kind == record.kind and state == record.state and request.access.can(perm)
    ]
    return render(
        request,
        "sync/record.html",
        {
            "record": record,
            "actions": actions,
            "errors": errors,
            "failed_action": failed_action,
            "candidates": _merge_candidates(record) if "merge" in actions else [],
            "lines": list(record.receipt.lines.select_related("product")) if record.receipt_id else [],
        },
        status=status,
    )

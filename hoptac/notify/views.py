"""Announcements, the staff outbox, messaging settings and a member's notice board, under
``/c/<slug>/messages/``.

Reading needs ``message.view``; writing (announcements, templates, actions on a message)
``message.send``, checked on POST where a page takes both; the settings ``coop.edit``; the
notice board ``notice.own``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hoptac.coops.access import coop_view
from hoptac.core.conflicts import EditGuard
from hoptac.core.formkeys import creates, edits, made, repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.notify import selectors, services
from hoptac.notify.forms import (
    AnnouncementForm,
    MessageActionForm,
    MessagingSettingsForm,
    OutboxFilterForm,
    ScheduleForm,
    TemplateForm,
)
from hoptac.notify.models import Announcement, AnnouncementStatus, AnnouncementTemplate
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Channel, Message

PAGE_SIZE = 50


def _error_text(error: ValidationError) -> str:
    return " ".join(m for e in error.error_list for m in e.messages)


def _require(request, perm: Perm) -> None:
    if not request.access.can(perm):
        raise PermissionDenied


def _status(request, *forms) -> int:
    return 422 if request.method == "POST" and any(f.errors for f in forms) else 200


def _announcement_or_404(announcement_id: int) -> Announcement:
    try:
        return selectors.announcement_get(announcement_id)
    except Announcement.DoesNotExist:
        raise Http404 from None


# --- announcements ----------------------------------------------------------------------------


@coop_view(Perm.MESSAGE_VIEW)
@require_GET
def announcement_list(request):
    page = Paginator(selectors.announcement_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.announcement_counts(page.object_list)
    empty = selectors.Counts()
    return render(
        request,
        "notify/announcement_list.html",
        {
            "page": page,
            "rows": [(a, counts.get(a.pk, empty)) for a in page.object_list],
            "can_send": request.access.can(Perm.MESSAGE_SEND),
        },
    )


def _start_from(request) -> tuple[dict, str]:
    """Initial title and text from ``?template=<id>`` or ``?suggestion=<key>``."""
    template_id = request.GET.get("template", "")
    if template_id.isdigit():
        try:
            template = selectors.template_get(int(template_id))
        except AnnouncementTemplate.DoesNotExist:
            raise Http404 from None
        return {"title": template.name, "body": template.body}, template.name
    key = request.GET.get("suggestion", "")
    for suggestion in selectors.suggestions():
        if suggestion.key == key:
            return {"title": suggestion.name, "body": suggestion.body}, suggestion.name
    return {}, ""


@coop_view(Perm.MESSAGE_SEND)
@creates
@require_http_methods(["GET", "POST"])
def announcement_create(request):
    initial, started_from = _start_from(request) if request.method == "GET" else ({}, "")
    form = AnnouncementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            announcement = services.announcement_save(actor=request.user, **form.to_kwargs())
        except ValidationError as error:
            add_errors(form, error, AnnouncementForm.ERROR_FIELDS)
        else:
            made(request, announcement.title)
            return redirect(
                "notify:announcement_preview",
                coop_slug=request.cooperative.slug,
                announcement_id=announcement.pk,
            )
    templates = list(selectors.template_list())
    return render(
        request,
        "notify/announcement_form.html",
        {
            "form": form,
            "announcement": None,
            "templates": templates,
            "suggestions": [] if templates else selectors.suggestions(),
            "started_from": started_from,
        },
        status=_status(request, form),
    )


@coop_view(Perm.MESSAGE_SEND)
@edits
@require_http_methods(["GET", "POST"])
def announcement_edit(request, announcement_id):
    announcement = _announcement_or_404(announcement_id)
    if announcement.status != AnnouncementStatus.DRAFT:
        messages.error(
            request, _("Only a draft can be changed: this announcement was already sent or scheduled.")
        )
        return redirect(
            "notify:announcement_detail", coop_slug=request.cooperative.slug, announcement_id=announcement.pk
        )
    initial = AnnouncementForm.initial_from(announcement)
    guard = EditGuard(request, current=initial)
    form = AnnouncementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and guard.unchanged(form):
        try:
            services.announcement_save(announcement=announcement, actor=request.user, **form.to_kwargs())
        except ValidationError as error:
            add_errors(form, error, AnnouncementForm.ERROR_FIELDS)
        else:
            return redirect(
                "notify:announcement_preview",
                coop_slug=request.cooperative.slug,
                announcement_id=announcement.pk,
            )
    return render(
        request,
        "notify/announcement_form.html",
        {
            "form": form,
            "announcement": announcement,
            "guard": guard,
            "templates": [],
            "suggestions": [],
            "started_from": "",
        },
        status=_status(request, form),
    )


@coop_view(Perm.MESSAGE_SEND)
@repeat_safe("Sending is a transition of a draft: an announcement already sent or scheduled is refused.")
@require_http_methods(["GET", "POST"])
def announcement_preview(request, announcement_id):
    """The check before sending, with "Send now" and "Schedule"."""
    announcement = _announcement_or_404(announcement_id)
    slug = request.cooperative.slug
    if announcement.status != AnnouncementStatus.DRAFT:
        if request.method == "POST":
            messages.error(request, _("This announcement was already sent or scheduled."))
        return redirect("notify:announcement_detail", coop_slug=slug, announcement_id=announcement.pk)
    action = request.POST.get("action", "")
    schedule_form = ScheduleForm(request.POST if action == "schedule" else None)
    send_error = ""
    if request.method == "POST":
        scheduled_at = None
        ready = True
        if action == "schedule":
            ready = schedule_form.is_valid()
            scheduled_at = schedule_form.cleaned_data.get("scheduled_at") if ready else None
        elif action != "now":
            ready = False
            send_error = _("Choose “Send now” or “Schedule”.")
        if ready:
            try:
                sent = services.announcement_send(announcement, actor=request.user, scheduled_at=scheduled_at)
            except ValidationError as error:
                if any(e.code == "state" for e in error.error_list):
                    messages.error(request, _error_text(error))
                    return redirect(
                        "notify:announcement_detail", coop_slug=slug, announcement_id=announcement.pk
                    )
                if any(e.code == "past" for e in error.error_list):
                    add_errors(schedule_form, error, {"past": "scheduled_at"})
                else:
                    send_error = _error_text(error)
            else:
                if sent.status == AnnouncementStatus.SCHEDULED:
                    messages.success(
                        request,
                        ngettext(
                            "%(count)s message will be sent at the time chosen.",
                            "%(count)s messages will be sent at the time chosen.",
                            sent.recipients,
                        )
                        % {"count": sent.recipients},
                    )
                else:
                    messages.success(
                        request,
                        ngettext(
                            "%(count)s message is being sent.",
                            "%(count)s messages are being sent.",
                            sent.recipients,
                        )
                        % {"count": sent.recipients},
                    )
                return redirect("notify:announcement_detail", coop_slug=slug, announcement_id=sent.pk)
    failed = bool(send_error or schedule_form.errors)
    return render(
        request,
        "notify/announcement_preview.html",
        {
            "announcement": announcement,
            "preview": selectors.announcement_preview(announcement),
            "schedule_form": schedule_form,
            "send_error": send_error,
            "dev_backend": selectors.sms_backend_is_development(),
        },
        status=422 if failed else 200,
    )


@coop_view(Perm.MESSAGE_VIEW)
@require_GET
def announcement_detail(request, announcement_id):
    announcement = _announcement_or_404(announcement_id)
    counts = selectors.announcement_counts([announcement]).get(announcement.pk, selectors.Counts())
    page = Paginator(selectors.announcement_messages(announcement), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    chosen = list(announcement.members.order_by("full_name")) if announcement.audience == "chosen" else []
    return render(
        request,
        "notify/announcement_detail.html",
        {
            "announcement": announcement,
            "counts": counts,
            "page": page,
            "chosen": chosen,
            "can_send": request.access.can(Perm.MESSAGE_SEND),
        },
    )


@coop_view(Perm.MESSAGE_SEND)
@repeat_safe("A transition: only a draft or scheduled announcement can be cancelled.")
@require_POST
def announcement_cancel(request, announcement_id):
    announcement = _announcement_or_404(announcement_id)
    slug = request.cooperative.slug
    was_draft = announcement.status == AnnouncementStatus.DRAFT
    try:
        cancelled = services.announcement_cancel(announcement, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        if was_draft:
            messages.success(request, _("The draft was discarded."))
        else:
            messages.success(
                request,
                ngettext(
                    "Sending cancelled: %(count)s message will not be sent.",
                    "Sending cancelled: %(count)s messages will not be sent.",
                    cancelled,
                )
                % {"count": cancelled},
            )
    return redirect("notify:announcement_detail", coop_slug=slug, announcement_id=announcement.pk)


# --- templates ----------------------------------------------------------------------------


@coop_view(Perm.MESSAGE_VIEW)
@creates
@require_http_methods(["GET", "POST"])
def template_list(request):
    form = TemplateForm(request.POST or None)
    if request.method == "POST":
        _require(request, Perm.MESSAGE_SEND)
        if form.is_valid():
            try:
                template = services.template_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(
                    form, error, {"duplicate": "name", "name": "name", "body": "body", "placeholder": "body"}
                )
            else:
                made(request, template.name)
                messages.success(request, _("Template %(name)s saved.") % {"name": template.name})
                return redirect("notify:template_list", coop_slug=request.cooperative.slug)
    templates = list(selectors.template_list())
    return render(
        request,
        "notify/template_list.html",
        {
            "templates": templates,
            "suggestions": [] if templates else selectors.suggestions(),
            "form": form,
            "can_send": request.access.can(Perm.MESSAGE_SEND),
        },
        status=_status(request, form),
    )


@coop_view(Perm.MESSAGE_SEND)
@repeat_safe("A deleted template is not found (404) the second time.")
@require_POST
def template_delete(request, template_id):
    try:
        template = selectors.template_get(template_id)
    except AnnouncementTemplate.DoesNotExist:
        raise Http404 from None
    services.template_delete(template, actor=request.user)
    messages.success(request, _("Template %(name)s deleted.") % {"name": template.name})
    return redirect("notify:template_list", coop_slug=request.cooperative.slug)


# --- the outbox ----------------------------------------------------------------------------


@coop_view(Perm.MESSAGE_VIEW)
@require_GET
def outbox_list(request):
    form = OutboxFilterForm(request.GET or None)
    filters = form.filters()
    rows = selectors.outbox_list(filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/outbox.html",
        {
            "filter_form": form,
            "page": page,
            "totals": selectors.outbox_totals(rows),
            "filtered": filters != selectors.OutboxFilters(),
            "dev_backend": selectors.sms_backend_is_development(),
        },
    )


@coop_view(Perm.MESSAGE_VIEW)
@repeat_safe("Transitions of one message (cancel, resend, mark sent), each refused in the wrong state.")
@require_http_methods(["GET", "POST"])
def message_detail(request, message_id):
    try:
        message = selectors.message_get(message_id)
    except Message.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        _require(request, Perm.MESSAGE_SEND)
        form = MessageActionForm(request.POST)
        if form.is_valid():
            action = {"cancel": outbox.cancel, "resend": outbox.resend, "mark_sent": outbox.mark_sent}[
                form.cleaned_data["action"]
            ]
            try:
                action(message, actor=request.user)
            except ValidationError as error:
                messages.error(request, _error_text(error))
            else:
                done = {
                    "cancel": _("The message was cancelled."),
                    "resend": _("The message is queued to be sent again."),
                    "mark_sent": _("The message is marked as sent."),
                }
                messages.success(request, done[form.cleaned_data["action"]])
        else:
            messages.error(request, _error_text(ValidationError(list(form.errors.get("action", [])))))
        return redirect("notify:message_detail", coop_slug=request.cooperative.slug, message_id=message.pk)
    announcement = selectors.announcement_of(message)
    return render(
        request,
        "notify/message_detail.html",
        {
            "message": message,
            "attempts": selectors.message_attempts(message),
            "chain": selectors.message_chain(message),
            "fallback_labels": [str(Channel(c).label) for c in message.fallback_list if c in Channel.values],
            "announcement": announcement,
            "can_send": request.access.can(Perm.MESSAGE_SEND),
        },
    )


# --- settings ---------------------------------------------------------------------------------


@coop_view(Perm.COOP_EDIT)
@edits
@require_http_methods(["GET", "POST"])
def messaging_settings(request):
    rules = outbox.messaging_settings(request.cooperative)
    initial = MessagingSettingsForm.initial_from(rules)
    guard = EditGuard(request, current=initial)
    form = MessagingSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and guard.unchanged(form):
        services.messaging_settings_save(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Messaging settings saved."))
        return redirect("notify:messaging_settings", coop_slug=request.cooperative.slug)
    return render(
        request,
        "notify/messaging_settings.html",
        {
            "form": form,
            "guard": guard,
            "usage": selectors.month_usage(),
            "dev_backend": selectors.sms_backend_is_development(),
        },
        status=_status(request, form),
    )


# --- a member's notice board -------------------------------------------------------------------


@coop_view(Perm.OWN_NOTICES)
@require_GET
def notices(request):
    member = selectors.household_of(request.user, request.cooperative)
    if member is None:
        return render(request, "notify/notices.html", {"member": None, "page": None})
    page = Paginator(selectors.notices_for(member), 20).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    unread = {m.pk for m in shown if m.channel == "app" and m.read_at is None}
    services.notices_mark_read(shown)
    return render(
        request,
        "notify/notices.html",
        {"member": member, "page": page, "notices": shown, "unread": unread},
    )

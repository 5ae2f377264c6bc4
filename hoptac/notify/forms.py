"""Forms of the messaging pages: announcements, templates, the outbox filters, messaging
settings. They parse what staff type; the services decide the rules."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hoptac.catalog.selectors import product_list
from hoptac.coops.models import Member, MemberGroup, MemberStatus, Village
from hoptac.core.fields import DateField, MoneyField
from hoptac.notify import selectors
from hoptac.notify.models import Audience, ChannelMode
from hoptac.offtake.models import Season
from hoptac.outbox.models import Channel, Kind, Status

DATETIME_WIDGET = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
MAX_QUOTA = 10_000_000
MAX_PRICE_VND = 100_000


class _Choice(forms.ModelChoiceField):
    def __init__(self, *, label_from, **kwargs):
        self._label_from = label_from
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return self._label_from(obj)


def _member_label(member: Member) -> str:
    parts = [member.full_name]
    if member.village_id:
        parts.append(member.village.name)
    if member.phone:
        parts.append(member.phone)
    return " · ".join(parts)


class MembersField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return _member_label(obj)


class AnnouncementForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("For the cooperative's list, and the notice board in the app."),
    )
    body = forms.CharField(
        label=_("Message text"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Placeholders are filled in for each member: {name} (or {ten}), {price} ({gia}), "
            "{date} ({ngay}), {product} ({sanpham}), {coop} ({htx})."
        ),
    )
    audience = forms.ChoiceField(
        label=_("Send to"),
        choices=Audience.choices,
        initial=Audience.ALL,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose who receives the announcement.")},
    )
    village = _Choice(
        label=_("Village"),
        queryset=None,
        required=False,
        empty_label="—",
        label_from=lambda v: v.name,
        help_text=_("Only when sending to a village."),
    )
    group = _Choice(
        label=_("Group"),
        queryset=None,
        required=False,
        empty_label="—",
        label_from=lambda g: g.name,
        help_text=_("Only when sending to a group."),
    )
    product = _Choice(
        label=_("Product"),
        queryset=None,
        required=False,
        empty_label="—",
        label_from=lambda p: p.name,
        help_text=_(
            "For {product} and {price} (today's grade 1 buying price), and when sending to the "
            "members who sell it (sold in the last 12 months or hold an agreement)."
        ),
    )
    season = _Choice(
        label=_("Season"),
        queryset=None,
        required=False,
        empty_label="—",
        label_from=lambda s: f"{s.name} ({s.product.name})",
        help_text=_("Only when sending to the members with an agreement in a season."),
    )
    members = MembersField(
        label=_("Chosen members"),
        queryset=None,
        required=False,
        help_text=_("Only when sending to chosen members. Active members, by name."),
    )
    event_date = DateField(
        label=_("Date for {date}"),
        required=False,
        kind="event",
        help_text=_("Written as dd/mm/yyyy in the text."),
    )
    channel_mode = forms.ChoiceField(
        label=_("Send by"),
        choices=ChannelMode.choices,
        initial=ChannelMode.PREFERRED,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose how to send.")},
    )
    unaccented = forms.BooleanField(
        label=_("SMS without accents"),
        required=False,
        initial=True,
        help_text=_("About half the cost: 160 characters in one SMS instead of 70."),
    )

    #: a service's error code -> the field it is about
    ERROR_FIELDS = {
        "title": "title",
        "body": "body",
        "placeholder": "body",
        "audience": "audience",
        "village": "village",
        "group": "group",
        "product": "product",
        "price": "product",
        "season": "season",
        "members": "members",
        "event_date": "event_date",
        "channel_mode": "channel_mode",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Village.objects.order_by("name")
        self.fields["group"].queryset = MemberGroup.objects.order_by("name")
        self.fields["product"].queryset = product_list(active_only=True)
        self.fields["season"].queryset = Season.objects.select_related("product").order_by(
            "-starts_on", "name"
        )
        self.fields["members"].queryset = (
            Member.objects.filter(status=MemberStatus.ACTIVE)
            .select_related("village")
            .order_by("full_name", "id")
        )

    def clean_body(self):
        body = self.cleaned_data["body"]
        selectors.placeholders_in(body)  # names every unknown placeholder
        return body

    def clean(self):
        cleaned = super().clean()
        audience = cleaned.get("audience")
        needed = {
            Audience.VILLAGE: ("village", _("Choose the village.")),
            Audience.GROUP: ("group", _("Choose the group.")),
            Audience.PRODUCT: ("product", _("Choose the product.")),
            Audience.SEASON: ("season", _("Choose the season.")),
        }.get(audience)
        if needed and not cleaned.get(needed[0]) and needed[0] not in self.errors:
            self.add_error(needed[0], needed[1])
        if audience == Audience.CHOSEN and not cleaned.get("members") and "members" not in self.errors:
            self.add_error("members", _("Choose at least one member."))
        return cleaned

    def to_kwargs(self) -> dict:
        c = self.cleaned_data
        return {
            "title": c["title"],
            "body": c["body"],
            "audience": c["audience"],
            "village": c.get("village"),
            "group": c.get("group"),
            "product": c.get("product"),
            "season": c.get("season"),
            "members": list(c.get("members") or ()),
            "event_date": c.get("event_date"),
            "channel_mode": c["channel_mode"],
            "unaccented": c.get("unaccented", False),
        }

    @staticmethod
    def initial_from(announcement) -> dict:
        return {
            "title": announcement.title,
            "body": announcement.body,
            "audience": announcement.audience,
            "village": announcement.village_id,
            "group": announcement.group_id,
            "product": announcement.product_id,
            "season": announcement.season_id,
            "members": list(announcement.members.values_list("pk", flat=True)),
            "event_date": announcement.event_date,
            "channel_mode": announcement.channel_mode,
            "unaccented": announcement.unaccented,
        }


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        input_formats=DATETIME_FORMATS,
        widget=DATETIME_WIDGET,
        error_messages={"required": _("Give the day and time to send.")},
    )

    def clean_scheduled_at(self):
        when = self.cleaned_data["scheduled_at"]
        if when <= timezone.now():
            raise ValidationError(_("Choose a time in the future to schedule the sending."), code="past")
        return when


class TemplateForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("thing", "Name"), max_length=80)
    body = forms.CharField(
        label=_("Message text"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Placeholders: {name}, {price}, {date}, {product}, {coop} (or {ten}, {gia}, {ngay}, {sanpham}, {htx})."
        ),
    )

    def clean_body(self):
        body = self.cleaned_data["body"]
        selectors.placeholders_in(body)
        return body


def _all(choices) -> list[tuple[str, str]]:
    return [("", _("All")), *choices]


class OutboxFilterForm(forms.Form):
    q = forms.CharField(
        label=pgettext_lazy("message", "Recipient"),
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or phone")}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_all(Status.choices))
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_all(Channel.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_all(Kind.choices))
    start = DateField(label=_("From"), required=False)
    end = DateField(label=_("To"), required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The period ends before it starts."))
        return cleaned

    def filters(self) -> selectors.OutboxFilters:
        if not self.is_valid():
            return selectors.OutboxFilters()
        c = self.cleaned_data
        return selectors.OutboxFilters(
            status=c.get("status") or "",
            channel=c.get("channel") or "",
            kind=c.get("kind") or "",
            start=c.get("start"),
            end=c.get("end"),
            q=c.get("q") or "",
        )


class MessageActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("cancel", "cancel"), ("resend", "resend"), ("mark_sent", "mark_sent")],
        error_messages={"invalid_choice": _("Unknown action."), "required": _("Unknown action.")},
    )


class BoundedMoneyField(MoneyField):
    def __init__(self, *, max_vnd: int, **kwargs):
        self.max_vnd = max_vnd
        super().__init__(**kwargs)

    def to_python(self, value):
        amount = super().to_python(value)
        if amount > self.max_vnd:
            raise ValidationError(_("The amount is too large."), code="too_large")
        return amount


class MessagingSettingsForm(forms.Form):
    sms_quota_segments = forms.IntegerField(
        label=_("SMS quota per month (segments)"),
        min_value=0,
        max_value=MAX_QUOTA,
        help_text=_("Messages beyond it wait, marked 'held', until next month or until the quota is raised."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    sms_price_vnd = BoundedMoneyField(
        label=_("Price of one SMS segment (VND)"),
        max_vnd=MAX_PRICE_VND,
        help_text=_("Used to estimate the cost before sending."),
    )
    zalo_price_vnd = BoundedMoneyField(label=_("Price of one Zalo message (VND)"), max_vnd=MAX_PRICE_VND)
    send_receipts = forms.BooleanField(label=_("Send each purchase receipt to the member"), required=False)
    send_price_changes = forms.BooleanField(
        label=_("Tell members with an agreement when a buying price changes"), required=False
    )

    @staticmethod
    def initial_from(rules) -> dict:
        return {
            "sms_quota_segments": rules.sms_quota_segments,
            "sms_price_vnd": rules.sms_price_vnd,
            "zalo_price_vnd": rules.zalo_price_vnd,
            "send_receipts": rules.send_receipts,
            "send_price_changes": rules.send_price_changes,
        }

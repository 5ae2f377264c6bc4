"""Announcements to members, and what members text in (SMS commands, offers to sell).

Messages themselves live in :mod:`hoptac.outbox`; an announcement writes one outbox row
per recipient (``source_type="announcement"``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned
from hoptac.lib.units import UNIT_LABELS


class Audience(models.TextChoices):
    ALL = "all", _("All active members")
    VILLAGE = "village", _("Members of a village")
    GROUP = "group", _("Members of a group")
    PRODUCT = "product", _("Members who sell a product")
    SEASON = "season", _("Members with an offtake agreement in a season")
    CHOSEN = "chosen", _("Chosen members")


class ChannelMode(models.TextChoices):
    PREFERRED = "preferred", _("Each member's own channels (with fallbacks)")
    SMS = "sms", _("SMS to everyone")
    APP = "app", _("Only the notice board in the app")


class AnnouncementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class Announcement(CoopOwned):
    """Thông báo: a text to many members. ``{name}``, ``{price}``, ``{date}``, ``{product}``
    and ``{coop}`` (or ``{ten}``, ``{gia}``, ``{ngay}``, ``{sanpham}``, ``{htx}``) are filled
    in for each member."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=1000)
    audience = models.CharField(_("to"), max_length=10, choices=Audience.choices, default=Audience.ALL)
    village = models.ForeignKey(
        "coops.Village", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(
        "coops.MemberGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
    )
    season = models.ForeignKey(
        "offtake.Season",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("season"),
    )
    members = models.ManyToManyField("coops.Member", blank=True, related_name="+", verbose_name=_("members"))
    event_date = models.DateField(_("date for {date}"), null=True, blank=True)
    channel_mode = models.CharField(
        _("send by"), max_length=10, choices=ChannelMode.choices, default=ChannelMode.PREFERRED
    )
    unaccented = models.BooleanField(
        _("SMS without accents"),
        default=True,
        help_text=_("About half the cost: 160 characters in one SMS instead of 70."),
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AnnouncementStatus.choices, default=AnnouncementStatus.DRAFT
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    estimated_cost_vnd = models.PositiveIntegerField(_("estimated cost (VND)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class AnnouncementTemplate(CoopOwned):
    name = models.CharField(_("name"), max_length=80)
    body = models.TextField(_("text"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("announcement template")
        verbose_name_plural = _("announcement templates")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["cooperative", "name"], name="template_name_unique")]

    def __str__(self) -> str:
        return self.name


class InboundSms(models.Model):
    """Every SMS that came in through a gateway webhook, kept once per gateway id.

    Not owned by a cooperative: a text from an unknown phone belongs to none. Cooperative
    pages read what their members sent through :class:`MemberText`.
    """

    gateway = models.CharField(max_length=16)
    gateway_id = models.CharField(max_length=80)
    phone = models.CharField(max_length=11)
    text = models.CharField(max_length=480)
    received_at = models.DateTimeField(auto_now_add=True)
    known = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "gateway_id"], name="inbound_once")]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.gateway_id}"


class Command(models.TextChoices):
    PRICES = "GIA", _("GIA: today's prices")
    BALANCE = "SODU", _("SODU: my balance")
    SELL = "BAN", _("BAN: offer to sell")
    STOP = "HUY", _("HUY: stop messages")
    RESUME = "DK", _("DK: resume messages")
    HELP = "?", _("Unknown: help sent")


class MemberText(CoopOwned):
    """What one member texted to this cooperative, the command read and the reply."""

    inbound = models.ForeignKey(InboundSms, on_delete=models.PROTECT, related_name="member_texts")
    member = models.ForeignKey("coops.Member", on_delete=models.PROTECT, related_name="+")
    command = models.CharField(_("command"), max_length=4, choices=Command.choices)
    reply = models.ForeignKey(
        "outbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The offer a BAN text made, when it could be read.
    offer = models.ForeignKey(
        "SellOffer", null=True, blank=True, on_delete=models.SET_NULL, related_name="texts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class OfferStatus(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class SellOffer(CoopOwned):
    """BAN <product> <quantity>: a member offers produce; staff answer by SMS."""

    member = models.ForeignKey("coops.Member", on_delete=models.PROTECT, related_name="sell_offers")
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
    )
    product_text = models.CharField(_("product as texted"), max_length=80, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=8, choices=list(UNIT_LABELS.items()), blank=True)
    raw_text = models.CharField(_("text"), max_length=480)
    status = models.CharField(
        _("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN
    )
    answer = models.CharField(_("answer"), max_length=300, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("offer to sell")
        verbose_name_plural = _("offers to sell")
        ordering = ["-created_at", "-id"]

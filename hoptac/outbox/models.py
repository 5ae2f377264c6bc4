"""The outbox: one row per message, recipient and channel.

A cause (a purchase receipt, an announcement, a reply to an SMS command, an order) writes
its message rows in its own transaction through :func:`hoptac.outbox.services.queue`;
a worker sends them after commit (:mod:`hoptac.outbox.dispatch`). A row's ``request_id`` is
given to the gateway, the same on every attempt, so a message resent after a worker died
is recognised by the gateway as a duplicate and not delivered twice. Its ``uuid`` is its
public id (pages, API) and never changes.

When a channel fails for good, the row is marked failed and a new row for the next channel
of the recipient's fallback order is written in the same transaction (``previous`` links
them), so every channel tried keeps its own status, attempts and cost.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hoptac.core.tenancy import CoopOwned
from hoptac.lib.text import hide_secret_links


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    ZALO = "zalo", _("Zalo")
    EMAIL = "email", _("Email")
    APP = "app", _("In the app")


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", pgettext_lazy("message", "Delivered")
    FAILED = "failed", _("Failed")
    HELD = "held", _("Held: quota reached")
    DOUBT = "doubt", _("Unknown: check before resending")
    CANCELLED = "cancelled", _("Cancelled")
    SKIPPED = "skipped", _("Not sent")


OPEN_STATUSES = (Status.QUEUED, Status.SENDING, Status.HELD, Status.DOUBT)


class Kind(models.TextChoices):
    ANNOUNCEMENT = "announcement", _("Announcement")
    RECEIPT = "receipt", _("Purchase receipt")
    PRICE = "price", _("Price change")
    ORDER = "order", _("Order")
    REPLY = "reply", _("Reply to an SMS")
    OTHER = "other", _("Other")


def new_request_id() -> str:
    return uuid.uuid4().hex


# Messages whose whole text is for their recipient only (``Message.source_type``): a password
# reset code (hoptac/notify/password_reset.py) — staff reading the outbox must not take it.
PASSWORD_RESET_SOURCE = "password_reset"  # noqa: S105 - a source type, not a password
SECRET_SOURCES = frozenset({PASSWORD_RESET_SOURCE})
HIDDEN_TEXT = "******"


class Message(CoopOwned):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Given to the gateway, the same on every attempt; a new one only when staff send a
    # message of unknown fate again (so that the gateway does not refuse it as a duplicate).
    request_id = models.CharField(max_length=40, default=new_request_id, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    source_type = models.CharField(max_length=24, blank=True)
    source_id = models.CharField(max_length=40, blank=True)
    member = models.ForeignKey(
        "coops.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_name = models.CharField(_("recipient"), max_length=120, blank=True)
    to_phone = models.CharField(_("phone"), max_length=11, blank=True)
    to_email = models.EmailField(_("email"), blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    fallbacks = models.CharField(max_length=40, blank=True, help_text="Channels still to try, in order.")
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="fallback"
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text as written"))
    unaccented = models.BooleanField(_("SMS without accents"), default=True)
    body = models.TextField(_("text sent"))
    zalo_template = models.CharField(max_length=40, blank=True)
    zalo_data = models.JSONField(default=dict, blank=True)
    segments = models.PositiveSmallIntegerField(_("SMS segments"), default=0)
    cost_vnd = models.PositiveIntegerField(_("cost (VND)"), default=0)
    quota_taken = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("send after"))
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=40, blank=True)
    provider = models.CharField(_("gateway"), max_length=16, blank=True)
    provider_id = models.CharField(max_length=80, blank=True, db_index=True)
    error_code = models.CharField(max_length=40, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["cooperative", "source_type", "source_id"], name="outbox_source"),
            models.Index(fields=["cooperative", "-created_at"], name="outbox_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to_name or self.to_phone or self.to_email}"

    @property
    def shown_text(self) -> str:
        """The text for pages and the API: secret links (an invitation's) hidden, and the
        whole text of a message that is a secret (a password reset code) replaced."""
        if self.source_type in SECRET_SOURCES:
            return HIDDEN_TEXT
        return hide_secret_links(self.text)

    @property
    def shown_body(self) -> str:
        if self.source_type in SECRET_SOURCES:
            return HIDDEN_TEXT
        return hide_secret_links(self.body)

    @property
    def fallback_list(self) -> list[str]:
        return [c for c in self.fallbacks.split(",") if c]


class Attempt(CoopOwned):
    """One try to hand a message to its gateway, with what the gateway answered."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Accepted")
        DUPLICATE = "duplicate", _("Already accepted earlier")
        TRANSIENT = "transient", _("Failed, will retry")
        PERMANENT = "permanent", _("Failed for good")
        UNKNOWN = "unknown", _("No answer: unknown whether it got through")
        DELIVERED = "delivered", _("Delivery report: delivered")
        UNDELIVERED = "undelivered", _("Delivery report: not delivered")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    code = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


class MessagingSettings(CoopOwned):
    """A cooperative's sending rules: its monthly SMS quota, prices and automatic messages."""

    sms_quota_segments = models.PositiveIntegerField(
        _("SMS quota per month (segments)"),
        default=3000,
        help_text=_("Messages beyond it wait, marked 'held', until next month or until the quota is raised."),
    )
    sms_price_vnd = models.PositiveIntegerField(
        _("price of one SMS segment (VND)"),
        default=800,
        help_text=_("Used to estimate the cost before sending."),
    )
    zalo_price_vnd = models.PositiveIntegerField(_("price of one Zalo message (VND)"), default=300)
    send_receipts = models.BooleanField(_("send each purchase receipt to the member"), default=True)
    send_price_changes = models.BooleanField(
        _("tell members with an agreement when a buying price changes"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")
        constraints = [models.UniqueConstraint(fields=["cooperative"], name="one_messaging_settings")]


class QuotaUsage(CoopOwned):
    """SMS segments sent by a cooperative in one month; raised with a conditional UPDATE."""

    month = models.DateField()  # first day of the month
    sms_segments = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cooperative", "month"], name="one_usage_per_month")]


class ZaloToken(models.Model):
    """The platform's Zalo Official Account tokens (one row). Refresh tokens are single-use,
    so a refresh happens under a row lock and stores the new pair before anyone else reads."""

    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Zalo token (expires {self.expires_at})"

"""The field app's sync: devices (a token per phone), the records phones send (each kept
under the phone's key, with its first answer), and the cooperative's field settings.

See docs/sync-protocol.md (the contract with the phone) and docs/architecture.md, "The
field app's sync: server".
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned

DEFAULT_PRICE_TOLERANCE_PCT = 10
DEFAULT_ADVANCE_LIMIT_VND = 3_000_000


class FieldSettings(CoopOwned):
    """The cooperative's rules for records made offline (one row per cooperative; the
    defaults above while it has none)."""

    price_tolerance_pct = models.PositiveSmallIntegerField(
        _("price tolerance (%)"),
        default=DEFAULT_PRICE_TOLERANCE_PCT,
        help_text=_("A receipt whose price differs more than this from the price in force is flagged."),
    )
    advance_limit_vnd = models.PositiveBigIntegerField(
        _("advance limit per member (VND)"),
        default=DEFAULT_ADVANCE_LIMIT_VND,
        help_text=_("An advance that would bring what the member owes above this waits for the chair."),
    )
    sms_number = models.CharField(
        _("inbound SMS number"),
        max_length=11,
        blank=True,
        help_text=_(
            "The number collectors' phones text records to when they have no data (the SMS hand-over)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("field settings")
        verbose_name_plural = _("field settings")
        constraints = [models.UniqueConstraint(fields=["cooperative"], name="field_settings_one_per_coop")]

    def __str__(self) -> str:
        return f"{self.price_tolerance_pct}% / {self.advance_limit_vnd}"


class Device(CoopOwned):
    """A collector's phone: a token tied to one user and one cooperative.

    Only the SHA-256 of the token is kept (``token_hash``); ``token_prefix`` tells tokens
    apart on the chair's page. ``prefix`` starts the phone's provisional numbers
    (``A7-0001``); ``sms_key`` signs the SMS hand-over (kept in clear: the server must
    compute the same check code).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("collector"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token starts with"), max_length=8)
    prefix = models.CharField(_("number prefix"), max_length=2)
    sms_key = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_push_at = models.DateTimeField(_("last sent records"), null=True, blank=True)
    pending_count = models.PositiveIntegerField(_("records waiting on the phone"), default=0)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("field device")
        verbose_name_plural = _("field devices")
        constraints = [models.UniqueConstraint(fields=["cooperative", "prefix"], name="device_prefix_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Via(models.TextChoices):
    API = "api", _("Internet")
    SMS = "sms", _("SMS")


class Kind(models.TextChoices):
    RECEIPT = "receipt", _("Purchase receipt")
    ADVANCE = "advance", _("Cash advance")
    LOAN = "loan", _("Input loan")
    HOUSEHOLD = "household", _("New household")


class State(models.TextChoices):
    APPLIED = "applied", _("Recorded")
    FLAGGED = "flagged", _("Recorded, price to check")
    PENDING = "pending", _("Waiting for approval")
    REFUSED = "refused", _("Refused")
    PROVISIONAL = "provisional", _("New household, to accept")
    ACCEPTED = "accepted", _("Checked and accepted")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    VOIDED = "voided", _("Voided")
    MERGED = "merged", _("Merged into a member")


# What the phone is told for each state (docs/sync-protocol.md, "a record on the phone").
PHONE_STATE = {
    State.APPLIED: "applied",
    State.FLAGGED: "flagged",
    State.PENDING: "pending",
    State.REFUSED: "refused",
    State.PROVISIONAL: "applied",
    State.ACCEPTED: "applied",
    State.APPROVED: "applied",
    State.DECLINED: "refused",
    State.VOIDED: "refused",
    State.MERGED: "applied",
}


class SyncRecord(CoopOwned):
    """One record a phone sent, kept under the phone's ``key`` for ever with its first
    answer: a retry (API or SMS) gets that answer again; the same key with another body
    is refused. ``receipt``, ``entry`` and ``member`` point at what it made."""

    key = models.UUIDField()
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    via = models.CharField(max_length=3, choices=Via.choices, default=Via.API)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    no = models.CharField(_("phone's number"), max_length=12)
    at = models.DateTimeField(_("when, says the phone"))
    body = models.JSONField()
    body_hash = models.CharField(max_length=64)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    status = models.PositiveSmallIntegerField()
    answer = models.JSONField()
    receipt = models.ForeignKey(
        "offtake.Receipt", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        "coops.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seen_price_vnd = models.PositiveBigIntegerField(null=True, blank=True)
    force_price_vnd = models.PositiveBigIntegerField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    review_note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("field record")
        verbose_name_plural = _("field records")
        constraints = [models.UniqueConstraint(fields=["cooperative", "key"], name="sync_record_key_unique")]
        indexes = [models.Index(fields=["cooperative", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.no}"

    @property
    def phone_state(self) -> str:
        return PHONE_STATE.get(self.state, "applied")

    @staticmethod
    def phone_state_for(state: str) -> str:
        return PHONE_STATE.get(state, "applied")

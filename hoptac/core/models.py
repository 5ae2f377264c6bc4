from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned


class AuditEvent(models.Model):
    """Who changed what, when: one row per change made through a service."""

    cooperative = models.ForeignKey(
        "coops.Cooperative", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class Counter(models.Model):
    """Gapless numbers per cooperative (receipt 1, 2, 3…): the row is locked while a
    number is taken, so a rolled-back transaction gives its number back."""

    cooperative = models.ForeignKey("coops.Cooperative", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cooperative", "key"], name="counter_unique")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class FormKey(CoopOwned):
    """One use of a create form's one-time key (``core/formkeys.py``).

    The row is written in the same transaction as what the form creates, so it exists
    exactly when the creation was kept; a second submission of the key finds it and is
    sent to ``result_url`` instead of creating again. Rows older than
    ``formkeys.KEEP_DAYS`` are purged (``hoptac manage purge_form_keys``, and by the worker).
    """

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    view = models.CharField(max_length=100)
    result_url = models.CharField(max_length=500, blank=True)
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("form key")
        verbose_name_plural = _("form keys")

    def __str__(self) -> str:
        return f"{self.key} {self.view} {self.label}"


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportJob(CoopOwned):
    """A spreadsheet of a whole set (a season's purchase list, the member list, a statement)
    written by the worker rather than in the request (docs/architecture.md, "Large exports
    in the worker"). The file is private (``PRIVATE_MEDIA_ROOT/exports/``): only the person
    who asked may download it, and only while they still hold ``perms`` in the cooperative.
    The worker deletes the file and marks the job expired after ``HOPTAC_EXPORT_KEEP_HOURS``."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    # The permissions the export needed when asked for, checked again at download.
    perms = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)  # in private storage
    download_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["cooperative", "requested_by", "-created_at"], name="export_mine")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def finished(self) -> bool:
        return self.state in (ExportState.DONE, ExportState.FAILED, ExportState.EXPIRED)

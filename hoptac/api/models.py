"""Personal API tokens and the idempotency records of offline writes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned


class ApiToken(models.Model):
    """A personal token for scripts and the offline field app: ``hoptac_<40 characters>``.

    Only the SHA-256 of the token is kept; the token itself is shown once, when made. The
    token acts as its user: the user's roles in each cooperative decide what it may do.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=8, db_index=True, help_text=_("Shown to tell tokens apart.")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} (hoptac_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(CoopOwned):
    """The first answer to an offline write, kept under the client's key (ARCHITECTURE
    rule 7): a retry with the same body gets it again; another body under the key is refused."""

    key = models.UUIDField()
    operation = models.CharField(max_length=40)
    body_hash = models.CharField(max_length=64)
    response_json = models.JSONField()
    status = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "key"], name="api_idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"

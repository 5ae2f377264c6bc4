"""The provincial alliance's own records: the directory of every cooperative of a province
(on the platform or not), its imports awaiting review, and the requests to join.

None of these is owned by one cooperative: they belong to a province (``province_code``),
and every read goes through ``federation/directory.py``'s selectors, which filter by the
provinces the user may see. A directory entry points at the cooperative once it uses the
platform.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hoptac.coops.models import CoopKind, Sector
from hoptac.lib import places


class DirectoryEntry(models.Model):
    """Một HTX, liên hiệp HTX hoặc tổ hợp tác trong danh bạ của Liên minh HTX tỉnh."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    province_code = models.PositiveIntegerField(_("province"))
    kind = models.CharField(_("kind"), max_length=8, choices=CoopKind.choices, default=CoopKind.HTX)
    name = models.CharField(_("name"), max_length=200)
    # The folded name without its kind ("HTX", "Hợp tác xã", "Tổ hợp tác"…): the matching key.
    name_key = models.CharField(max_length=200, db_index=True, editable=False)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True, db_index=True)
    commune_code = models.PositiveIntegerField(_("commune / ward"))
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    chair_name = models.CharField(_("chair"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=11, blank=True)
    members_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    founded_year = models.PositiveSmallIntegerField(_("year founded"), null=True, blank=True)
    ocop_products = models.TextField(_("OCOP products"), blank=True)
    cooperative = models.OneToOneField(
        "coops.Cooperative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_entry",
        verbose_name=_("cooperative on the platform"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_key", "pk"]
        verbose_name = _("directory entry")
        verbose_name_plural = _("directory entries")
        indexes = [
            models.Index(fields=["province_code", "name_key"]),
            models.Index(fields=["province_code", "commune_code"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def commune_name(self) -> str:
        return places.commune_name(self.commune_code)

    @property
    def sector_labels(self) -> str:
        labels = dict(Sector.choices)
        return ", ".join(str(labels.get(value, value)) for value in self.sectors)

    @property
    def on_platform(self) -> bool:
        return self.cooperative_id is not None and self.cooperative.is_active


class ImportStatus(models.TextChoices):
    REVIEW = "review", _("Waiting for review")
    APPLIED = "applied", _("Applied")
    DISCARDED = "discarded", _("Discarded")


class DirectoryImport(models.Model):
    """An alliance's Excel list, checked: every row with what it will do (add, update an
    entry, or a doubtful match waiting for the officer's choice). Applied all at once."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    province_code = models.PositiveIntegerField(_("province"))
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    rows = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.REVIEW
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("directory import")
        verbose_name_plural = _("directory imports")

    def __str__(self) -> str:
        return f"{self.file_name} — {self.status}"


class JoinStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the alliance")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class JoinRequest(models.Model):
    """A cooperative asks, from the public page, to use the platform (đăng ký tham gia)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    province_code = models.PositiveIntegerField(_("province"))
    kind = models.CharField(_("kind"), max_length=8, choices=CoopKind.choices, default=CoopKind.HTX)
    name = models.CharField(_("name"), max_length=200)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True)
    commune_code = models.PositiveIntegerField(_("commune / ward"))
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    chair_name = models.CharField(_("chair's full name"), max_length=120)
    phone = models.CharField(_("chair's phone"), max_length=11)
    members_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JoinStatus.choices, default=JoinStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    entry = models.ForeignKey(
        DirectoryEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="join_requests"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("request to join")
        verbose_name_plural = _("requests to join")
        indexes = [models.Index(fields=["province_code", "status"])]

    def __str__(self) -> str:
        return f"{self.name} — {self.status}"

    @property
    def commune_name(self) -> str:
        return places.commune_name(self.commune_code)

    @property
    def sector_labels(self) -> str:
        labels = dict(Sector.choices)
        return ", ".join(str(labels.get(value, value)) for value in self.sectors)
# The overview's summaries (kept by the worker): alliance-overview's own module.
from hoptac.federation.overview_models import BuyingMonth, CoopFigures, CoopMonth  # noqa: E402,F401

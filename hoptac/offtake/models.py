"""Buying from members: seasons, offtake agreements (bao tiêu), price lists, collection
points and purchase receipts (phiếu thu mua)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned
from hoptac.lib.units import UNIT_LABELS, Unit

UNIT_CHOICES = [(u.value, UNIT_LABELS[u]) for u in Unit]


class Grade(models.IntegerChoices):
    FIRST = 1, _("Grade 1")
    SECOND = 2, _("Grade 2")
    THIRD = 3, _("Grade 3")


class Season(CoopOwned):
    """A buying season of one product, e.g. "Mật ong 2026–2027", October to February."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="seasons")
    name = models.CharField(_("name"), max_length=120)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("season")
        verbose_name_plural = _("seasons")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="season_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CollectionPoint(CoopOwned):
    """Điểm thu mua: where a collector buys from members."""

    name = models.CharField(_("name"), max_length=120)
    village = models.CharField(_("village (thôn/bản)"), max_length=120, blank=True)
    commune_code = models.PositiveIntegerField(_("commune / ward"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("collection point")
        verbose_name_plural = _("collection points")
        constraints = [models.UniqueConstraint(fields=["cooperative", "name"], name="point_name_unique")]

    def __str__(self) -> str:
        return self.name


class Price(CoopOwned):
    """One row of the price list: the price of a product and grade from a moment on.

    Rows are never changed; a new price is a new row. The price in force at a moment is
    the row with the latest ``effective_from`` not after it.
    """

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="prices")
    grade = models.PositiveSmallIntegerField(_("grade"), choices=Grade.choices, default=Grade.FIRST)
    price_vnd = models.PositiveBigIntegerField(
        _("price per base unit (VND)"), validators=[MinValueValidator(1)]
    )
    effective_from = models.DateTimeField(_("in force from"), db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "grade", "-effective_from"]
        verbose_name = _("price")
        verbose_name_plural = _("price list")
        indexes = [models.Index(fields=["product", "grade", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.product} {self.grade}: {self.price_vnd}"


class PriceRule(models.TextChoices):
    FIXED = "fixed", _("Fixed price")
    LIST = "list", _("Price list, with a floor price")


class Agreement(CoopOwned):
    """Hợp đồng bao tiêu: the cooperative commits to buy a member's produce for a season."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField(_("number"))
    member = models.ForeignKey("coops.Member", on_delete=models.PROTECT, related_name="agreements")
    season = models.ForeignKey(Season, on_delete=models.PROTECT, related_name="agreements")
    committed_quantity = models.DecimalField(
        _("committed quantity"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)]
    )
    committed_unit = models.CharField(_("unit"), max_length=4, choices=UNIT_CHOICES, default=Unit.KG)
    committed_base = models.DecimalField(max_digits=14, decimal_places=3, editable=False)
    price_rule = models.CharField(
        _("price rule"), max_length=6, choices=PriceRule.choices, default=PriceRule.LIST
    )
    fixed_price_vnd = models.PositiveBigIntegerField(_("fixed price (VND)"), null=True, blank=True)
    floor_price_vnd = models.PositiveBigIntegerField(_("floor price (VND)"), null=True, blank=True)
    advance_vnd = models.PositiveBigIntegerField(_("advance given (VND)"), default=0)
    signed_on = models.DateField(_("signed on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-number"]
        verbose_name = _("offtake agreement")
        verbose_name_plural = _("offtake agreements")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "number"], name="agreement_number_unique"),
            models.UniqueConstraint(fields=["member", "season"], name="one_agreement_per_member_season"),
        ]

    def __str__(self) -> str:
        return f"HĐ {self.number:04d}"


class ReceiptStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    VOIDED = "voided", _("Voided")


class Receipt(CoopOwned):
    """Phiếu thu mua: what a member delivered at a collection point, and what it is worth.

    ``number`` runs 1, 2, 3… per cooperative without gaps (core.locks.counter_next).
    A receipt is never deleted; a mistake is voided with a reason, which reverses its
    ledger entry.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField(_("number"))
    member = models.ForeignKey("coops.Member", on_delete=models.PROTECT, related_name="receipts")
    collected_at = models.DateTimeField(_("date and time"), db_index=True)
    point = models.ForeignKey(
        CollectionPoint,
        verbose_name=_("collection point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.CONFIRMED
    )
    total_vnd = models.BigIntegerField(_("total (VND)"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=300, blank=True)
    client_key = models.UUIDField(null=True, blank=True, help_text="Idempotency key from an offline client.")
    field_no = models.CharField(
        _("phone's provisional number"),
        max_length=12,
        blank=True,
        help_text=_("The number the field app gave the receipt offline, e.g. A7-0012."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-collected_at", "-number"]
        verbose_name = _("purchase receipt")
        verbose_name_plural = _("purchase receipts")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "number"], name="receipt_number_unique"),
            models.UniqueConstraint(fields=["cooperative", "client_key"], name="receipt_client_key_unique"),
        ]
        indexes = [models.Index(fields=["cooperative", "collected_at"])]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        """Printed and sent by SMS: ``PTM-000123``."""
        return f"PTM-{self.number:06d}"

    @property
    def is_voided(self) -> bool:
        return self.status == ReceiptStatus.VOIDED


class ReceiptLine(CoopOwned):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    grade = models.PositiveSmallIntegerField(_("grade"), choices=Grade.choices, default=Grade.FIRST)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=4, choices=UNIT_CHOICES)
    base_quantity = models.DecimalField(max_digits=14, decimal_places=3)
    deduction_pct = models.DecimalField(
        _("deduction %"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
    )
    net_quantity = models.DecimalField(max_digits=14, decimal_places=3)
    unit_price_vnd = models.PositiveBigIntegerField(_("unit price (VND)"))
    list_price_vnd = models.PositiveBigIntegerField(null=True, blank=True)
    price_override_reason = models.CharField(max_length=200, blank=True)
    amount_vnd = models.BigIntegerField(_("amount (VND)"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price_vnd__gt=0), name="line_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.quantity} {self.unit}"

    @property
    def price_overridden(self) -> bool:
        return self.list_price_vnd is not None and self.list_price_vnd != self.unit_price_vnd


class ReceiptEvent(CoopOwned):
    """History of a receipt's state: recorded, voided — who and when."""

    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=[("record", _("Recorded")), ("void", _("Voided"))])
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at}"

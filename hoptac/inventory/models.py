"""Lots (lô hàng), processing steps and stock.

A **raw lot** is formed from confirmed purchase receipt lines: it knows its households,
villages, communes, harvest dates and quantities. **Processing steps** (filtering, drying,
roasting, packing…) record date, operator, quantity in and out. A **finished lot** is made
from raw lots and has a pack count, production date and best-before date. **Stock** is a
list of append-only movements per lot; stock on hand is their sum and never goes negative.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned, ScopedManager, ScopedQuerySet

PUBLIC_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed by hand
# 12 characters of 32 = 60 random bits for lots made from now on (lots made before keep their
# 8 characters, 40 bits: their QRs are printed). Both fit GS1's AI 10 (at most 20 characters
# of the "character set 82", of which this alphabet is a subset that needs no escaping in a URI).
PUBLIC_CODE_LENGTH = 12
PUBLIC_CODE_LENGTHS = (8, 12)


def new_public_code() -> str:
    return "".join(secrets.choice(PUBLIC_ALPHABET) for _ in range(PUBLIC_CODE_LENGTH))


def looks_like_public_code(value: str) -> bool:
    """Whether ``value`` (upper case) could be a public code: 8 to 12 characters of the alphabet."""
    return PUBLIC_CODE_LENGTHS[0] <= len(value) <= PUBLIC_CODE_LENGTHS[1] and all(
        c in PUBLIC_ALPHABET for c in value
    )


class LotKind(models.TextChoices):
    RAW = "raw", _("Raw lot")
    FINISHED = "finished", _("Finished lot")


class Lot(CoopOwned):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("lot code"), max_length=30)
    # The code printed in the QR (/t/<public_code>): unique on the whole platform.
    public_code = models.CharField(max_length=12, unique=True, default=new_public_code, editable=False)
    # The QR of a lot labelled before public codes went into the GS1 Digital Link held
    # /01/<GTIN>/10/<lot code>, a sequential code anyone can guess. Such a label keeps working
    # only for the lots that existed then (set by migration inventory 0004, never for a new
    # lot) and only until the lot's best-before date: docs/traceability.md, "Old labels".
    legacy_gs1_path = models.BooleanField(default=False, editable=False)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="lots")
    kind = models.CharField(_("kind"), max_length=8, choices=LotKind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    harvest_from = models.DateField(_("harvest from"), null=True, blank=True)
    harvest_to = models.DateField(_("harvest to"), null=True, blank=True)
    production_date = models.DateField(_("production / packing date"), null=True, blank=True)
    best_before = models.DateField(_("best before"), null=True, blank=True)
    pack_count = models.PositiveIntegerField(_("number of packs"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "code"], name="lot_code_unique"),
            # A raw lot whose every receipt was taken out of it holds nothing: 0, not less.
            models.CheckConstraint(
                condition=Q(quantity__gt=0) | Q(kind="raw", quantity=0), name="lot_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind="raw") | Q(pack_count__gt=0, production_date__isnull=False),
                name="finished_lot_has_packs_and_date",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_finished(self) -> bool:
        return self.kind == LotKind.FINISHED

    @property
    def stock_unit(self) -> str:
        """Finished lots are counted in packs; raw lots in the product's base unit."""
        return "pack" if self.is_finished else self.product.base_unit


class LotSource(CoopOwned):
    """A purchase receipt line that went into a raw lot (string FK: offtake owns receipts).

    A line is *live* until it is taken out of the lot (``removed_at``), which is how a
    receipt in a lot is corrected before it is voided. The row stays, as history; a raw
    lot's quantity is the sum of its live lines.
    """

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="sources")
    receipt_line = models.OneToOneField(
        "offtake.ReceiptLine", on_delete=models.PROTECT, related_name="lot_source"
    )
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    removed_at = models.DateTimeField(_("taken out"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("lot source")


class LotInput(CoopOwned):
    """A raw lot (or part of it) used to make a finished lot."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="inputs")
    source = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="used_in")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lot", "source"], name="lot_input_unique")]


class StepKind(models.TextChoices):
    FILTERING = "filtering", _("Filtering")
    DRYING = "drying", _("Drying")
    WITHERING = "withering", _("Withering")
    ROLLING = "rolling", _("Rolling")
    ROASTING = "roasting", _("Roasting")
    SORTING = "sorting", _("Sorting")
    PACKING = "packing", _("Packing")
    OTHER = "other", _("Other")


class ProcessingStep(CoopOwned):
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=10, choices=StepKind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    done_on = models.DateField(_("date"))
    operator_name = models.CharField(_("operator"), max_length=120)
    quantity_in = models.DecimalField(_("quantity in"), max_digits=14, decimal_places=3)
    quantity_out = models.DecimalField(_("quantity out"), max_digits=14, decimal_places=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done_on", "id"]
        verbose_name = _("processing step")
        verbose_name_plural = _("processing steps")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    quantity_in__gt=0, quantity_out__gte=0, quantity_out__lte=models.F("quantity_in")
                ),
                name="step_out_not_more_than_in",
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def loss(self):
        return self.quantity_in - self.quantity_out


class MovementKind(models.TextChoices):
    IN = "in", _("Stock in")
    USED = "used", _("Used in processing")
    SALE = "sale", _("Out by sale")
    ADJUST = "adjust", _("Adjustment")
    LOSS = "loss", _("Loss")
    REMOVED = "removed", _("Receipt taken out")


class AppendOnly(Exception):
    pass


class MovementQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Stock movements are never updated.")

    def delete(self):
        raise AppendOnly("Stock movements are never deleted.")


class StockMovement(CoopOwned):
    """One change of a lot's stock (positive in, negative out). Never updated or deleted."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=8, choices=MovementKind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField(_("date and time"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedManager.from_queryset(MovementQuerySet)()
    unscoped = models.Manager.from_queryset(MovementQuerySet)()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="movement_not_zero")]

    def __str__(self) -> str:
        return f"{self.lot_id} {self.quantity}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("Stock movements are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Stock movements are never deleted.")


class ReservationState(models.TextChoices):
    HELD = "held", _("Reserved")
    SOLD = "sold", _("Sold")
    RELEASED = "released", _("Released")


class StockReservation(CoopOwned):
    """Packs of a finished lot held for an order line, from the moment the order is placed.

    A lot's stock on hand is the sum of its movements; what may still be sold is on hand
    minus what is *held*. A held reservation ends *sold* (a SALE movement is written for it
    when the order ships) or *released* (the order is cancelled or expires). So for every
    lot: held + sold (the SALE movements) + available = what came in. ``order_line_id``
    names the shop's order line without a foreign key (the shop sits above inventory);
    ``live_item_id`` names a live sale's item instead (packs set aside for a livestream).
    """

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    # Who holds the packs: an order line of the shop, or a live sale's item (the quantity
    # set aside for a livestream). Exactly one is set; neither is a foreign key.
    order_line_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    live_item_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    state = models.CharField(
        _("state"), max_length=8, choices=ReservationState.choices, default=ReservationState.HELD
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("stock reservation")
        verbose_name_plural = _("stock reservations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_positive"),
            models.CheckConstraint(
                condition=Q(order_line_id__isnull=False, live_item_id__isnull=True)
                | Q(order_line_id__isnull=True, live_item_id__isnull=False),
                name="reservation_one_holder",
            ),
        ]
        indexes = [models.Index(fields=["lot", "state"], name="reservation_lot_state")]

    def __str__(self) -> str:
        return f"{self.lot_id} {self.quantity} {self.state}"

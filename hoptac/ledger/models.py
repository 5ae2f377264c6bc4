"""Sổ công nợ thành viên: the member ledger, append-only.

Each entry moves two running sums of one member:

- ``payable``: what the cooperative owes the member (produce bought, less payouts);
- ``receivable``: what the member owes the cooperative (cash advances and input loans,
  less what was deducted from their payouts).

The member's **balance** is ``payable − receivable``: positive, the cooperative owes the
member; negative, the member owes the cooperative. It has one definition, in
``ledger.selectors.member_balance``. An entry is never changed or deleted: a mistake is
corrected by a reversal entry that points at what it reverses.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned, ScopedManager, ScopedQuerySet


class EntryKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    ADVANCE = "advance", _("Cash advance")
    INPUT_LOAN = "input_loan", _("Input loan")
    PAYOUT = "payout", _("Payout")
    DEDUCTION = "deduction", _("Deduction of loans and advances")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REVERSAL = "reversal", _("Reversal")


class PayoutMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK = "bank", _("Bank transfer")


class AppendOnly(Exception):
    """Ledger entries are never updated or deleted."""


class EntryQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Ledger entries are never updated; write a reversal.")

    def delete(self):
        raise AppendOnly("Ledger entries are never deleted; write a reversal.")


class EntryManager(ScopedManager.from_queryset(EntryQuerySet)):
    pass


class Entry(CoopOwned):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey("coops.Member", on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    occurred_at = models.DateTimeField(_("date and time"), db_index=True)
    payable_delta = models.BigIntegerField(default=0)
    receivable_delta = models.BigIntegerField(default=0)
    memo = models.CharField(_("description"), max_length=300, blank=True)
    # What caused it, in an app above the ledger (a purchase receipt, a payout…).
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.CharField(max_length=40, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # Input loans: the item lent (phân bón, cây giống, thùng ong…), its quantity and unit.
    item = models.CharField(_("item"), max_length=120, blank=True)
    item_quantity = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    item_unit = models.CharField(max_length=20, blank=True)
    payout_method = models.CharField(max_length=8, choices=PayoutMethod.choices, blank=True)
    code = models.CharField(_("code"), max_length=30, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EntryManager()
    unscoped = models.Manager.from_queryset(EntryQuerySet)()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["member", "occurred_at", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(payable_delta=0, receivable_delta=0), name="entry_moves_money"
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="reversal_points_at_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.net}"

    @property
    def net(self) -> int:
        """This entry's effect on the member's balance."""
        return self.payable_delta - self.receivable_delta

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnly("Ledger entries are never updated; write a reversal.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Ledger entries are never deleted; write a reversal.")

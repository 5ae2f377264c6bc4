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


# Cash advances and input loans are numbered by their entry's id: "TU-000123" (tạm ứng),
# "VT-000123" (vật tư), the number the field app shows the member.
NUMBER_PREFIX = {EntryKind.ADVANCE: "TU", EntryKind.INPUT_LOAN: "VT"}


def entry_number(kind: str, pk: int) -> str:
    return f"{NUMBER_PREFIX[kind]}-{pk:06d}"


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

    def fill_number(self, pk: int, code: str) -> int:
        """The one write to an entry after its insert: an advance's or an input loan's
        number (made of its id, so known only once the row is in) into its empty code, by
        the service that inserted it, in the same transaction. Never changes a code."""
        return super(EntryQuerySet, self.filter(pk=pk, code="")).update(code=code)


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


# --- closed periods -----------------------------------------------------------------------


class CloseReason(models.TextChoices):
    MONTH = "month", _("Month closed")
    STATEMENT_SENT = "sent", _("Statement sent to the member")
    STATEMENT_HANDED = "handed", _("Printed statement handed to the member")


class PeriodClose(CoopOwned):
    """The books are closed through ``through`` (inclusive, a local day): for the whole
    cooperative when ``member`` is empty (the accountant closed a month), or for one
    member (a statement was sent or handed to them). No entry may be dated on or before
    the latest ``through`` that applies to a member; see ``ledger.selectors.closed_through``.
    Rows are only added, never changed."""

    member = models.ForeignKey(
        "coops.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="period_closes"
    )
    through = models.DateField(_("closed through"))
    reason = models.CharField(_("reason"), max_length=8, choices=CloseReason.choices)
    # For a statement: the period it covered and the closing balance the member was told.
    period_start = models.DateField(null=True, blank=True)
    closing_payable = models.BigIntegerField(null=True, blank=True)
    closing_receivable = models.BigIntegerField(null=True, blank=True)
    message = models.ForeignKey(
        "outbox.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["-through", "-id"]
        verbose_name = _("closed period")
        verbose_name_plural = _("closed periods")
        indexes = [models.Index(fields=["cooperative", "member", "through"])]


# --- bank-transfer payouts in two steps -------------------------------------------------------


class PayoutStatus(models.TextChoices):
    PREPARED = "prepared", _("Prepared, not yet transferred")
    CONFIRMED = "confirmed", _("Transferred")
    CANCELLED = "cancelled", _("Cancelled")


# The moves a bank payout may make; anything else is refused by the services.
PAYOUT_TRANSITIONS = {
    PayoutStatus.PREPARED: {PayoutStatus.CONFIRMED, PayoutStatus.CANCELLED},
    PayoutStatus.CONFIRMED: set(),
    PayoutStatus.CANCELLED: set(),
}


class PayoutRun(CoopOwned):
    """Many bank payouts prepared together (đợt chi), with one bank batch file."""

    number = models.PositiveIntegerField()
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["-number"]
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "number"], name="payout_run_number_unique")
        ]

    @property
    def code(self) -> str:
        return f"DOT{self.number:05d}"

    def __str__(self) -> str:
        return self.code


class BankPayout(CoopOwned):
    """A bank transfer to a member: prepared (the amount is reserved, no ledger entry),
    then confirmed with the bank's reference (the ledger entries are written then) or
    cancelled with a reason. Each move writes a ``BankPayoutEvent``."""

    code = models.CharField(_("code"), max_length=30)
    member = models.ForeignKey("coops.Member", on_delete=models.PROTECT, related_name="bank_payouts")
    run = models.ForeignKey(
        PayoutRun, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.PREPARED
    )
    amount = models.BigIntegerField(_("amount"))
    deduct = models.BigIntegerField(_("deducted from loans and advances"), default=0)
    # The account as it was when prepared: the QR and the batch file use these.
    bank_bin = models.CharField(max_length=8)
    bank_account = models.CharField(max_length=19)
    account_holder = models.CharField(max_length=200)
    memo = models.CharField(_("description"), max_length=300, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    transferred_on = models.DateField(_("transfer date"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("bank payout")
        verbose_name_plural = _("bank payouts")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "code"], name="bank_payout_code_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(deduct__gte=0), name="bank_payout_positive"),
        ]
        indexes = [models.Index(fields=["cooperative", "status", "member"])]

    def __str__(self) -> str:
        return self.code


class BankPayoutEvent(CoopOwned):
    payout = models.ForeignKey(BankPayout, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["at", "id"]

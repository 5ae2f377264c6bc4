"""Summaries behind the alliance's overview, kept by the worker (``overview_services``).

A live aggregate over a province's purchase receipts and ledger (a million receipts, two
million entries) takes seconds; the overview must answer in well under one. So the worker
recomputes these small tables every hour (``federation.tasks``), and the overview reads
them with GROUP BY queries over a few thousand rows. Members, certificates and orders are
small enough to be read live. Each row belongs to one cooperative (``CoopOwned``); only the
federation reads them, across cooperatives, through ``unscoped``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned


class BuyingMonth(CoopOwned):
    """What one cooperative bought from its members in one month, per product."""

    month = models.DateField()  # the first day of the month
    product_name = models.CharField(max_length=160)
    unit = models.CharField(max_length=8)
    quantity = models.DecimalField(max_digits=16, decimal_places=3, default=0)
    amount_vnd = models.BigIntegerField(default=0)
    receipts = models.PositiveIntegerField(default=0)
    households = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("buying of a month")
        indexes = [models.Index(fields=["month", "cooperative"])]


class CoopMonth(CoopOwned):
    """One cooperative's month: how many households sold to it, how many it paid and how
    much, and how long the receipts it settled had waited (first in, first paid). A household
    belongs to one cooperative, so the province's month is the sum of these rows."""

    month = models.DateField()
    households_sold = models.PositiveIntegerField(default=0)
    households_paid = models.PositiveIntegerField(default=0)
    paid_vnd = models.BigIntegerField(default=0)
    settled_receipts = models.PositiveIntegerField(default=0)
    wait_days_total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("month of a cooperative")
        indexes = [models.Index(fields=["month", "cooperative"])]


class CoopFigures(CoopOwned):
    """One cooperative's figures that are too slow to read live: its last activity and the
    members waiting for their money. ``refreshed_at`` says how old they are."""

    last_activity_at = models.DateTimeField(null=True, blank=True)
    households_waiting = models.PositiveIntegerField(default=0)  # owed for more than 30 days
    waiting_vnd = models.BigIntegerField(default=0)
    oldest_wait_days = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("figures of a cooperative")
        constraints = [models.UniqueConstraint(fields=["cooperative"], name="coop_figures_one")]

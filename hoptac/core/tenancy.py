"""Tenancy: every cooperative-owned row is read through a scope that fails closed.

The current cooperative lives in a context variable set by the view decorator
(``hoptac.coops.access.coop_view``), the demo loader or a test, always with
:func:`tenant`. ``Model.objects`` raises :class:`NoTenant` when none is set. Reading
across cooperatives is spelled ``Model.unscoped`` so that every such read is visible in
review (``git grep unscoped``); only federation, admin and platform commands use it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.db import models

_current: contextvars.ContextVar[Any] = contextvars.ContextVar("hoptac_cooperative", default=None)


class NoTenant(RuntimeError):
    """A scoped query ran with no current cooperative."""


def current_cooperative():
    """The cooperative set for this request or task, or ``None``."""
    return _current.get()


def require_cooperative():
    coop = _current.get()
    if coop is None:
        raise NoTenant("No current cooperative: use hoptac.core.tenancy.tenant(coop)")
    return coop


@contextlib.contextmanager
def tenant(cooperative) -> Iterator[Any]:
    """Run a block with ``cooperative`` as the current tenant."""
    if cooperative is None or cooperative.pk is None:
        raise NoTenant("tenant() needs a saved cooperative")
    token = _current.set(cooperative)
    try:
        yield cooperative
    finally:
        _current.reset(token)


class ScopedQuerySet(models.QuerySet):
    pass


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    """Rows of the current cooperative only; raises when no cooperative is set."""

    def get_queryset(self):
        coop = require_cooperative()
        return super().get_queryset().filter(cooperative_id=coop.pk)


class CoopOwned(models.Model):
    """Base for every row that belongs to one cooperative."""

    cooperative = models.ForeignKey(
        "coops.Cooperative", on_delete=models.PROTECT, related_name="+", db_index=True
    )

    objects = ScopedManager()
    unscoped = models.Manager()

    class Meta:
        abstract = True

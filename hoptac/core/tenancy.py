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
    """A queryset of one cooperative. Built with no cooperative set, it matches no row
    (so it is safe even inside a subquery) and raises :class:`NoTenant` when evaluated,
    so the missing scope is found, not silently read as empty."""

    _no_tenant = False

    def _clone(self):
        clone = super()._clone()
        clone._no_tenant = self._no_tenant
        return clone

    def _check_tenant(self) -> None:
        if self._no_tenant:
            raise NoTenant(
                f"{self.model.__name__}.objects used with no current cooperative: "
                "use hoptac.core.tenancy.tenant(coop), or Model.unscoped for an explicit cross-cooperative read"
            )

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_tenant()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_tenant()
        return super().iterator(*args, **kwargs)

    def count(self):
        self._check_tenant()
        return super().count()

    def exists(self):
        self._check_tenant()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_tenant()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_tenant()
        return super().update(**kwargs)

    def delete(self):
        self._check_tenant()
        return super().delete()


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    """Rows of the current cooperative only; with none set, nothing, and evaluating raises."""

    def get_queryset(self):
        queryset = super().get_queryset()
        coop = _current.get()
        if coop is None:
            # cooperative is never NULL, so this matches no row whatever happens next.
            queryset = queryset.filter(cooperative__isnull=True)
            queryset._no_tenant = True
            return queryset
        return queryset.filter(cooperative_id=coop.pk)


class CoopOwned(models.Model):
    """Base for every row that belongs to one cooperative."""

    cooperative = models.ForeignKey(
        "coops.Cooperative", on_delete=models.PROTECT, related_name="+", db_index=True
    )

    objects = ScopedManager()
    unscoped = models.Manager()

    class Meta:
        abstract = True

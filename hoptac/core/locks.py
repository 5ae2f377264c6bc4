"""Every ``select_for_update`` of the project lives here, in one lock order:

1. the cooperative's counters (``counter_next``),
2. member rows (``members_lock``, always by ascending id),
3. stock rows (later, inventory).

Code that needs several locks takes them in this order, so two transactions never wait
on each other in a circle. On SQLite the IMMEDIATE transaction mode already serialises
writers; the row locks matter on PostgreSQL.
"""

from __future__ import annotations

from django.db import transaction

from hoptac.core.models import Counter


def counter_next(*, cooperative, key: str) -> int:
    """The next number of ``key`` for ``cooperative``, gapless. Call inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("counter_next() must run inside a transaction")
    Counter.objects.get_or_create(cooperative=cooperative, key=key)
    counter = Counter.objects.select_for_update().get(cooperative=cooperative, key=key)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


def members_lock(model, ids) -> dict:
    """Lock member rows by ascending id and return them by id."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("members_lock() must run inside a transaction")
    rows = model.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {row.pk: row for row in rows}


def lots_lock(model, ids) -> dict:
    """Lock lot rows (stock) by ascending id, after members (see the order above)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lots_lock() must run inside a transaction")
    rows = model.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {row.pk: row for row in rows}

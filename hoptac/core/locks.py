"""Every row lock (``select_for_update``) of the project lives here, in ONE order.

A transaction that needs several locks takes them in this order, top to bottom, so two
transactions never wait on each other in a circle (a deadlock):

1. announcements (``announcement_lock``) and offers to sell (``offer_lock``): the causes
   that write messages;
1a. field records under review: not a ``select_for_update`` but one conditional
   ``UPDATE … WHERE state=…`` (``hoptac/sync/services.py``'s ``_claim``), which moves the
   record to its new state and holds its row's lock until commit. Every review action takes
   it first, before what it then writes: accepting or voiding a flagged price (the void
   locks the receipt, level 2, then the member), approving or declining an advance over the
   limit (the approval writes the ledger: the member, level 6), accepting, merging or
   declining a new household (merging and declining make a member leave). Of two reviewers
   at the same moment the second waits on the row, then updates nothing and is told;
2. purchase receipts (``receipts_lock``, by ascending id). **A receipt's lock covers its
   lines**: whoever reads a line's status or its place in a lot and then writes because
   of it (a void, a raw lot, taking a receipt out of a lot) locks the receipt first;
3. bank transactions (``bank_transaction_lock``): a transaction is settled, and only then
   the orders it pays;
3a. live items (``live_items_lock``, by ascending id): claims on a live item's
   quantity are counted and written under its lock; confirming a buyer's claims then
   places an order (level 4) and moves the packs (level 7);
3b. shipments (``shipment_lock``): a carrier's callback updates the shipment, then moves
   its order;
4. shop orders (``orders_lock``, by ascending id): status, payment and the cash book entry
   written for them; an order's lock covers its lines and their stock reservations'
   state (the lots themselves are locked at level 7 when stock is taken or given back);
5. the cooperative's counters (``counter_next``);
6. member rows (``members_lock``, by ascending id): every ledger write;
7. lots (``lots_lock``, by ascending id): stock is the sum of a lot's movements, checked
   and written under the lot's lock;
8. the messaging settings of a cooperative (``messaging_settings_lock``);
9. outbox messages (``messages_lock`` by ascending id, ``message_lock`` and
   ``message_lock_first`` for one row, and ``messages_claim`` for the worker, which skips
   rows another worker holds);
10. the SMS quota row: not a ``select_for_update`` but one conditional ``UPDATE``, which
   holds that row's lock until commit, so it comes after the messages it is taken for;
11. the Zalo token row (``zalo_token_lock``), alone in its transaction in practice;
12. API tokens (``api_token_lock``), alone in their transaction.

Skipping levels is fine; going back up is not (e.g. a service holding a lot may not then
lock a member). A test reads the code (``tests/test_locks.py``) and fails on a
``select_for_update`` anywhere else.

``core`` may not import the apps above it, so callers pass the model (or a queryset of
it) in. Each helper refuses to run outside a transaction: a lock outside one is released
at once and protects nothing. On SQLite the IMMEDIATE transaction mode already serialises
writers; these locks matter on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F, Manager, Model, QuerySet

from hoptac.core.models import Counter

# The order above, as data: the documentation and the test read it.
LOCK_ORDER = (
    "announcement",
    "offer",
    "field_record",
    "receipt",
    "bank_transaction",
    "live_item",
    "shipment",
    "order",
    "counter",
    "member",
    "lot",
    "messaging_settings",
    "message",
    "quota",
    "zalo_token",
    "api_token",
)


def _in_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name}() must run inside a transaction")


def _queryset(source: type[Model] | Manager | QuerySet) -> QuerySet:
    """A model (its default manager, scoped for cooperative-owned rows), a manager (e.g.
    ``Message.unscoped`` for the worker) or a queryset."""
    if isinstance(source, QuerySet):
        return source
    if isinstance(source, Manager):
        return source.all()
    return source._default_manager.all()


def _rows(name: str, source, ids: Iterable[int]) -> dict:
    """Lock the rows with these ids, by ascending id; returns them by id (missing ids —
    another cooperative's, or gone — are simply absent)."""
    _in_transaction(name)
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = _queryset(source).select_for_update(of=("self",)).filter(pk__in=wanted).order_by("pk")
    return {row.pk: row for row in rows}


def _one(name: str, source, pk):
    """Lock one row; raises the model's ``DoesNotExist`` when it is not there."""
    _in_transaction(name)
    return _queryset(source).select_for_update(of=("self",)).get(pk=pk)


# 1. announcements, offers -------------------------------------------------------------------


def announcement_lock(source, pk):
    return _one("announcement_lock", source, pk)


def offer_lock(source, pk):
    return _one("offer_lock", source, pk)


# 2. receipts (and their lines) ----------------------------------------------------------------


def receipts_lock(source, ids) -> dict:
    """Lock purchase receipts by ascending id: the lock of a receipt covers its lines."""
    return _rows("receipts_lock", source, ids)


# 3. bank transactions, 4. orders ------------------------------------------------------------


def bank_transaction_lock(source, pk):
    return _one("bank_transaction_lock", source, pk)


def live_items_lock(source, ids) -> dict:
    """Lock live sales' items by ascending id and return them by id."""
    return _rows("live_items_lock", source, ids)


def shipment_lock(source, pk):
    """Lock one shipment (a carrier's callback) and return it, or None."""
    return _rows("shipment_lock", source, [pk]).get(pk)


def orders_lock(source, ids) -> dict:
    """Lock shop orders by ascending id and return them by id."""
    return _rows("orders_lock", source, ids)


# 5. counters ---------------------------------------------------------------------------------


def _counter_bump_sql() -> str | None:
    """``UPDATE … SET value = value + 1 … RETURNING value`` for the counter table, or
    ``None`` where the database cannot return rows from an UPDATE (SQLite before 3.35)."""
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 35):
        return None  # pragma: no cover - Debian 12 ships 3.40
    if connection.vendor not in ("sqlite", "postgresql"):
        return None  # pragma: no cover - the two engines the project supports
    quote, meta = connection.ops.quote_name, Counter._meta
    table, value = quote(meta.db_table), quote(meta.get_field("value").column)
    coop, key = quote(meta.get_field("cooperative").column), quote(meta.get_field("key").column)
    # Only the model's own quoted names are formatted in; the values are parameters.
    return f"UPDATE {table} SET {value} = {value} + 1 WHERE {coop} = %s AND {key} = %s RETURNING {value}"  # noqa: S608


def counter_next(*, cooperative, key: str) -> int:
    """The next number of ``key`` for ``cooperative``, gapless. Call inside a transaction.

    One statement: ``UPDATE … value + 1 … RETURNING value`` takes the row's lock (held to the
    end of the transaction, so a rolled-back transaction gives its number back and a second
    one waits) and answers the new value. The first number of a key creates the row."""
    _in_transaction("counter_next")
    sql = _counter_bump_sql()
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [cooperative.pk, key])
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
    elif Counter.objects.filter(cooperative=cooperative, key=key).update(value=F("value") + 1):
        return Counter.objects.filter(cooperative=cooperative, key=key).values_list("value", flat=True)[0]
    Counter.objects.get_or_create(cooperative=cooperative, key=key)
    counter = Counter.objects.select_for_update().get(cooperative=cooperative, key=key)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


# 6. members ----------------------------------------------------------------------------------


def members_lock(source, ids) -> dict:
    """Lock member rows by ascending id and return them by id."""
    return _rows("members_lock", source, ids)


# 7. lots -------------------------------------------------------------------------------------


def lots_lock(source, ids) -> dict:
    """Lock lot rows (stock) by ascending id and return them by id."""
    return _rows("lots_lock", source, ids)


# 8. messaging settings -------------------------------------------------------------------------


def messaging_settings_lock(source):
    """Lock the current cooperative's messaging settings (one row; ``source`` is scoped)."""
    _in_transaction("messaging_settings_lock")
    return _queryset(source).select_for_update(of=("self",)).get()


# 9. messages ---------------------------------------------------------------------------------


def messages_lock(source, ids) -> dict:
    """Lock outbox rows by ascending id and return them by id."""
    return _rows("messages_lock", source, ids)


def message_lock(source, pk):
    return _one("message_lock", source, pk)


def message_lock_first(queryset: QuerySet):
    """Lock the first row of ``queryset`` (in its order), or return ``None``."""
    _in_transaction("message_lock_first")
    return queryset.select_for_update(of=("self",)).first()


def messages_claim(queryset: QuerySet, *, limit: int) -> list:
    """The worker's claim: lock up to ``limit`` rows of ``queryset``, skipping rows another
    worker holds (``SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time)."""
    _in_transaction("messages_claim")
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(queryset[:limit])


# 11. the Zalo token -----------------------------------------------------------------------------


def zalo_token_lock(source, pk):
    """Lock the Zalo token row, or return ``None`` when there is none yet."""
    _in_transaction("zalo_token_lock")
    return _queryset(source).select_for_update(of=("self",)).filter(pk=pk).first()


# 12. API tokens --------------------------------------------------------------------------------


def api_token_lock(source, pk):
    return _one("api_token_lock", source, pk)

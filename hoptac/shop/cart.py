"""The buyer's cart, kept in the session: no account needed.

The cart holds only listing ids and pack counts, never a price, a cooperative or a name:
everything a page shows is priced again by :func:`hoptac.shop.pricing.quote` from the
database. Quantities are whole packs written the Vietnamese way (``1.250`` is one thousand
two hundred and fifty); ``12,5`` or ``-3`` is refused with a message.

Also here: a small cache-based limiter (:func:`allow`) for the anonymous checkout and the
order look-up, and the session's memory of what this browser ordered.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils.translation import gettext as _

from hoptac.lib.money import parse_vnd
from hoptac.shop import pricing

SESSION_KEY = "shop_cart"
ORDERS_KEY = "shop_orders"  # ids of orders this browser placed or proved it owns (code + phone)
CHECKOUT_KEYS = "shop_checkout_keys"  # one-time checkout form key -> checkout uuid
LAST_CHECKOUT = "shop_last_checkout"
FROM_MARKET = "shop_from_market"  # when a product was last added from a marketplace page
MARKET_TAG = "cho"  # the marketplace's product links carry ?c=cho, posted back by "Add to cart"
KEEP_KEYS = 20
KEEP_ORDERS = 50


class BadQuantity(ValueError):
    """A quantity that is not a whole number of packs from 1 to the listing's maximum."""


def parse_packs(raw, *, most: int = pricing.MAX_PACKS) -> int:
    """``"3"``, ``"1.250"`` -> int packs; raises :class:`BadQuantity` with a translated message."""
    text = str(raw if raw is not None else "").strip()
    try:
        value = parse_vnd(text)
    except ValueError:
        raise BadQuantity(_("Write a whole number of packs, e.g. 2.")) from None
    if value < 1:
        raise BadQuantity(_("The quantity must be at least 1."))
    if value > most:
        raise BadQuantity(_("At most %(n)s packs.") % {"n": most})
    return value


def _clean(raw) -> dict[str, int]:
    result: dict[str, int] = {}
    if not isinstance(raw, dict):
        return result
    for key, qty in raw.items():
        if str(key).isdigit() and isinstance(qty, int) and 1 <= qty <= pricing.MAX_PACKS:
            result[str(int(key))] = qty
        if len(result) >= pricing.MAX_LINES:
            break
    return result


def items(session) -> list[tuple[int, int]]:
    """The cart as ``(listing_id, packs)``, in the order the lines were added."""
    return [(int(k), v) for k, v in _clean(session.get(SESSION_KEY)).items()]


def count(session) -> int:
    return sum(q for _lid, q in items(session))


def _save(session, cart: dict[str, int]) -> None:
    session[SESSION_KEY] = cart
    session.modified = True


def add(session, listing_id: int, packs: int) -> None:
    cart = _clean(session.get(SESSION_KEY))
    key = str(int(listing_id))
    if key not in cart and len(cart) >= pricing.MAX_LINES:
        raise BadQuantity(_("A cart holds at most %(n)s products.") % {"n": pricing.MAX_LINES})
    cart[key] = min(cart.get(key, 0) + packs, pricing.MAX_PACKS)
    _save(session, cart)


def note_source(session, tag: str) -> None:
    """Remember that a product was added from the marketplace (the ``c`` tag of the product
    page's form), with the time: the checkout's last-click rule compares it with the time a
    share link was opened (``views/share.checkout_channel``)."""
    if tag == MARKET_TAG:
        session[FROM_MARKET] = int(time.time())
        session.modified = True


def from_market_at(session) -> int:
    value = session.get(FROM_MARKET)
    return value if isinstance(value, int) else 0


def set_quantity(session, listing_id: int, packs: int) -> None:
    cart = _clean(session.get(SESSION_KEY))
    key = str(int(listing_id))
    if key in cart:
        cart[key] = packs
        _save(session, cart)


def remove(session, listing_ids) -> None:
    cart = _clean(session.get(SESSION_KEY))
    for lid in listing_ids:
        cart.pop(str(int(lid)), None)
    _save(session, cart)


def clear(session) -> None:
    _save(session, {})


# --- what this browser ordered -----------------------------------------------------------


def remember_orders(session, order_ids) -> None:
    known = [i for i in session.get(ORDERS_KEY, []) if isinstance(i, int)]
    for oid in order_ids:
        if oid not in known:
            known.append(int(oid))
    session[ORDERS_KEY] = known[-KEEP_ORDERS:]
    session.modified = True


def remembered_orders(session) -> set[int]:
    return {i for i in session.get(ORDERS_KEY, []) if isinstance(i, int)}


def remember_checkout(session, form_key: str, checkout: str) -> None:
    keys = dict(session.get(CHECKOUT_KEYS, {}))
    keys[form_key] = checkout
    session[CHECKOUT_KEYS] = dict(list(keys.items())[-KEEP_KEYS:])
    session[LAST_CHECKOUT] = checkout
    session.modified = True


def checkout_for_key(session, form_key: str) -> str | None:
    return dict(session.get(CHECKOUT_KEYS, {})).get(form_key)


# --- a small limiter for anonymous buyers ------------------------------------------------


def allow(kind: str, address: str | None, *, limit: int, seconds: int) -> bool:
    """Count one attempt of ``kind`` from ``address`` in a fixed window; False once more
    than ``limit`` attempts arrived in it.

    Cache-based (Django's cache: per process with the default local-memory cache, shared
    with Redis in the provincial set-up), not the database limiter of
    ``accounts/limiter.py``: that one guards passwords and must be exact across processes;
    here a little slack only lets a bot hold slightly more stock for a few minutes, and the
    checkout must not write a row per attempt.
    """
    window = int(time.time() // seconds)
    key = f"shop-limit:{kind}:{address or '-'}:{window}"
    cache.add(key, 0, timeout=seconds + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds + 5)
        used = 1
    return used <= limit

"""Names for the detail of an order's channel (``order.channel_ref``), for the reports.

An order says where it came from: ``channel`` (shop, marketplace, live, share…) and, for
a live sale or a share link, ``channel_ref`` (the live's or the link's code). The sales
report shows a name for each code. Share links are the shop's own; live sales belong to the
``live`` app, which sits *above* ``shop`` in the layer contract, so ``shop`` may not import
it. Rather than reach up at run time (``apps.get_model("live", …)``, a dependency the
import linter cannot see), an app above registers a resolver for its channel here, from its
``AppConfig.ready``: the dependency keeps pointing down. Without a resolver (or for a code
it does not know) the report shows the code itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Resolver = Callable[[list[str]], dict[str, str]]

_resolvers: dict[str, Resolver] = {}


def register(channel: str, resolver: Resolver) -> None:
    """``resolver(codes)`` returns code -> name for the current cooperative (one query)."""
    _resolvers[channel] = resolver


def names(channel: str, codes: Iterable[str]) -> dict[str, str]:
    codes = sorted({c for c in codes if c})
    resolver = _resolvers.get(channel)
    if resolver is None or not codes:
        return {}
    return resolver(codes)

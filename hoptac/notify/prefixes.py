"""Handlers of inbound texts that start with a given word, tried before the member commands.

The inbound SMS webhook (:mod:`hoptac.notify.inbound`) answers members' commands
(:mod:`hoptac.notify.commands`). Some texts are not a member's command but a machine's:
the field app hands a record over as one SMS starting with ``HT1`` (issue 14). Those are read
by apps *above* ``notify`` in the layer contract, so ``notify`` may not import them. As
``shop/channels.py`` does for the sales report, an app above registers a handler for its
first word here, from its ``AppConfig.ready`` (``hoptac/sync/apps.py`` registers ``HT1``):
the dependency keeps pointing down.

A handler is called with the stored :class:`~hoptac.notify.models.InboundSms`, inside the
webhook's transaction (in a savepoint of its own), and returns whether it dealt with the text.
It answers through the outbox itself and rate-limits its own replies. Returning ``False``
(the text only looked like one of its own: not from a phone it knows) hands the text on to
the member commands, so a member who happens to type ``HT1`` still gets the help.
"""

from __future__ import annotations

from collections.abc import Callable

Handler = Callable[[object], bool]

_handlers: dict[str, Handler] = {}


def register(word: str, handler: Handler) -> None:
    """Send texts whose first word is ``word`` (case does not matter) to ``handler``."""
    word = word.strip().upper()
    if not word or " " in word:
        raise ValueError("a prefix is one word")
    _handlers[word] = handler


def handler_for(text: str) -> Handler | None:
    """The handler of a text's first word, if one is registered."""
    words = (text or "").split(None, 1)
    return _handlers.get(words[0].upper()) if words else None


def registered() -> list[str]:
    return sorted(_handlers)

"""A person's accident is not a second record (ARCHITECTURE.md, rule 8).

Every form under ``/c/<slug>/`` that accepts POST is one of three kinds, declared on its
view right under ``@coop_view`` (the URL walk in ``tests/test_form_safety.py`` fails on a
view that declares none):

``@creates`` — the form creates something (a receipt, a payout, a member...). Its template
    carries ``{% form_key %}``, a hidden one-time key made when the page is rendered. On
    POST the view runs in a transaction; if it answers with a redirect (success), the key
    is written as the transaction's last write, with the address and a short label of what
    was made (``made(request, "PTM-000230")``, else the success message): one INSERT on a
    unique key. If that INSERT finds the key already used (a resubmission, or a twin sent
    at the same moment, which waits on the unique key on PostgreSQL and on the write lock
    on SQLite), everything the view wrote is rolled back. If the view re-renders the form
    (errors, a step), its writes are rolled back and the re-rendered form carries the same
    key, so the corrected form can be sent. Whenever nothing was kept, the key is looked
    up: a second POST of a used key creates nothing and goes to the first result
    ("Already recorded: PTM-000230 — nothing was recorded twice"); a key used by another
    person or form saves nothing and shows the form again with a message, as does a
    missing or damaged key.

``@edits`` — the form changes an existing record; the view checks, with
    ``core.conflicts.EditGuard``, that nobody changed the record since the form opened.

``@repeat_safe("why")`` — a state transition (void, reverse, cancel, delete...) that is
    refused or changes nothing when repeated, or a POST that writes nothing.
"""

from __future__ import annotations

import functools
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from hoptac.core import services

FIELD = "form_key"
KEEP_DAYS = 30

CREATE, EDIT, REPEAT_SAFE = "create", "edit", "repeat_safe"


def parse_key(text: str | None) -> uuid.UUID | None:
    """The UUID in a submitted ``form_key``, or ``None`` when it is missing or garbled."""
    if not text or len(text) > 64:
        return None
    try:
        return uuid.UUID(text.strip())
    except (ValueError, AttributeError):
        return None


def key_for(request, view_name: str = "") -> str:
    """The key to put in a form being rendered: the one being resubmitted after errors
    (if ``view_name`` is given, only in the form of that view), else a new one
    (``{% form_key %}`` calls this)."""
    key = getattr(request, "form_key", None) if request is not None else None
    if key and view_name:
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name != view_name:
            key = None
    return str(key or uuid.uuid4())


def made(request, label: str) -> None:
    """Tell the key what a create view made (e.g. the receipt number ``PTM-000230``)."""
    request.form_made = str(label)


def _view_name(request, view) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name:
        return match.view_name[:100]
    return f"{view.__module__}.{view.__qualname__}"[:100]


def _queued(request) -> list:
    storage = getattr(request, "_messages", None)
    return list(getattr(storage, "_queued_messages", []))


class _KeyTaken(Exception):
    """The one-time key's INSERT failed: leave the transaction, rolling it back."""


def _drop_queued(request, before: int) -> None:
    """Forget the messages a view queued in a run that was rolled back."""
    storage = getattr(request, "_messages", None)
    queued = getattr(storage, "_queued_messages", None)
    if queued is not None:
        del queued[before:]


def _refuse(request, view, args, kwargs, text: str):
    """Nothing is saved: show the form again (as if opened now, with a new key) with
    ``text``, or, for a form that only takes POST, a short page saying so."""
    messages.error(request, text)
    request.method = "GET"
    request.form_key = None
    response = view(request, *args, **kwargs)
    if response.status_code in (200, 422):
        response.status_code = 400
        return response
    if response.status_code == 405:
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        return render(request, "core/form_refused.html", {"text": text, "back": back}, status=400)
    return response


def creates(view):
    """Mark ``view`` as a create view and give its POST a one-time key (see above)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        key = parse_key(request.POST.get(FIELD))
        if key is None:
            return _refuse(
                request,
                view,
                args,
                kwargs,
                _(
                    "This form could not be checked (its one-time key is missing or damaged), so "
                    "nothing was saved. Check the form and send it again."
                ),
            )
        name = _view_name(request, view)
        request.form_key = key
        before = len(_queued(request))
        taken = False
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                new = _queued(request)[before:]
                failed = any(m.level >= messages.ERROR for m in new)
                if response.status_code in (301, 302, 303) and not failed:
                    label = getattr(request, "form_made", "") or next(
                        (str(m.message) for m in reversed(new) if m.level == messages.SUCCESS), ""
                    )
                    try:
                        services.form_key_record(
                            key=key,
                            user=request.user,
                            view=name,
                            result_url=response["Location"],
                            label=label,
                        )
                    except IntegrityError:
                        taken = True  # used meanwhile or before: undo everything the view did
                        raise _KeyTaken from None
                    return response
                transaction.set_rollback(True)
        except _KeyTaken:
            pass
        # Not saved (errors, a step of the form, or the key was already used): was it?
        try:
            earlier = services.form_key_earlier(key=key, user=request.user, view=name)
        except ValidationError as error:
            _drop_queued(request, before)
            return _refuse(request, view, args, kwargs, " ".join(error.messages))
        if earlier is not None:
            _drop_queued(request, before)
            messages.info(
                request,
                _("Already recorded: %(what)s — nothing was recorded twice.")
                % {"what": earlier.label or _("this form")},
            )
            return HttpResponseRedirect(earlier.result_url or request.get_full_path())
        if taken:  # pragma: no cover - a key taken and gone between two statements
            raise RuntimeError("form key taken but not found")
        return response

    wrapper.form_kind = CREATE
    return wrapper


def edits(view):
    """Mark ``view`` as an edit view: it checks ``core.conflicts.EditGuard`` before saving.

    Its POST runs in one transaction, so the check and the save see the same record (on
    SQLite the transaction holds the write lock from its start)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        with transaction.atomic():
            return view(request, *args, **kwargs)

    wrapper.form_kind = EDIT
    return wrapper


def repeat_safe(why: str):
    """Mark a POST view that needs no key: say ``why`` repeating it cannot make a second record."""

    def decorator(view):
        view.form_kind = REPEAT_SAFE
        view.form_kind_why = why
        return view

    return decorator

"""Writes of the core app: the one-time keys of create forms (see ``core/formkeys.py``)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.models import FormKey
from hoptac.core.tenancy import require_cooperative


@transaction.atomic
def form_key_claim(*, key: uuid.UUID, user, view: str) -> FormKey | None:
    """Claim ``key`` for ``user`` submitting the create form of ``view``.

    Returns ``None`` when the key is new: the claim is written in the caller's transaction
    and disappears with it if the caller rolls back. Returns the earlier use when the key
    was already used by the same person for the same form (a resubmission). Raises
    ``ValidationError`` (code ``key_foreign``) when another person, another cooperative or
    another form used it. On PostgreSQL a twin submitted at the same moment waits on the
    unique key until the first one commits or rolls back.
    """
    cooperative = require_cooperative()
    try:
        with transaction.atomic():
            FormKey.objects.create(cooperative=cooperative, key=key, user=user, view=view)
    except IntegrityError:
        earlier = FormKey.objects.filter(key=key).first()  # scoped: another cooperative's is not found
        if earlier is None or earlier.user_id != user.pk or earlier.view != view:
            raise ValidationError(
                _("This form was already sent from another page or by another person, so nothing was saved."),
                code="key_foreign",
            ) from None
        return earlier
    return None


@transaction.atomic
def form_key_complete(*, key: uuid.UUID, result_url: str, label: str) -> None:
    """Write what the form made (the address of the result and a short label) on its key."""
    FormKey.objects.filter(key=key).update(result_url=result_url[:500], label=label[:200])


@transaction.atomic
def form_key_purge(*, older_than: dt.timedelta) -> int:
    """Delete the keys of every cooperative used more than ``older_than`` ago; how many."""
    deleted, _rows = FormKey.unscoped.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted

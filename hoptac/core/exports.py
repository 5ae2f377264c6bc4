"""Large exports written by the worker (docs/architecture.md, "Large exports in the worker").

An export of a whole set (the member list, a season's purchase list, a season summary, a
member's statement) may be tens of thousands of rows: written in the request it held a web
worker for over a minute and left it at 600–800 MB. Such an export is a job instead:

1. the view counts the rows; at most ``settings.EXPORTS["INLINE_ROWS"]`` it answers the file
   at once (streamed, a few MB), beyond it asks for a job (``core.services.export_job_request``)
   and sends the person to the job's page;
2. the worker (Huey, ``core.tasks.export_run_task``) writes the file with the kind's writer
   into private storage (``PRIVATE_MEDIA_ROOT/exports/``), telling the job how far it is;
3. the job's page shows a progress bar (a refresh every few seconds without JavaScript,
   polling with it), then a download link: only for the person who asked, and only while
   they still hold the permissions the export needed;
4. the worker deletes the file after ``settings.EXPORTS["KEEP_HOURS"]`` (the job stays,
   marked expired) and the job row after ``PURGE_DAYS``.

The writers belong to their apps, which register them here in their ``ready()``: core
knows a kind only by its key, so no lower layer imports a higher one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from hoptac.core.models import ExportJob, ExportState

#: Days a finished job's row is kept (its file is gone after KEEP_HOURS).
PURGE_DAYS = 30
#: A job still running after this long is taken as lost (its worker died): failed.
STALE_MINUTES = 60
#: The folder of export files in private storage.
FOLDER = "exports"


@dataclass(frozen=True)
class ExportKind:
    key: str
    label: object  # a lazy translation
    # write(params, target=<path or binary file>, progress=<callable(done, total)>), run with
    # the job's cooperative as the tenant and the asker's language active.
    write: Callable


_KINDS: dict[str, ExportKind] = {}


def register(key: str, *, label, write: Callable) -> None:
    """Called by an app's ``ready()`` for each of its large exports."""
    _KINDS[key] = ExportKind(key=key, label=label, write=write)


def kind(key: str) -> ExportKind | None:
    return _KINDS.get(key)


def inline_rows() -> int:
    """The largest export answered at once; more rows go through a job."""
    return settings.EXPORTS["INLINE_ROWS"]


def job_for(*, job_id: int, user) -> ExportJob | None:
    """The current cooperative's job ``job_id`` if ``user`` asked for it, else None."""
    return ExportJob.objects.filter(pk=job_id, requested_by=user).first()


def recent_jobs(*, user, limit: int = 10) -> list[ExportJob]:
    """``user``'s latest jobs in the current cooperative."""
    return list(ExportJob.objects.filter(requested_by=user)[:limit])


def export_jobs_waiting(*, older_than_seconds: int = 60) -> list[int]:
    """Queued jobs asked for over ``older_than_seconds`` ago, across cooperatives (the
    worker's sweep runs those whose wake-up was lost)."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    return list(
        ExportJob.unscoped.filter(state=ExportState.QUEUED, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:20]
    )

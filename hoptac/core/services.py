"""Writes of the core app: the one-time keys of create forms (see ``core/formkeys.py``), and
the export jobs (``core/exports.py``)."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hoptac.core import exports
from hoptac.core.audit import audit_record
from hoptac.core.media import private_storage
from hoptac.core.models import ExportJob, ExportState, FormKey
from hoptac.core.tenancy import require_cooperative, tenant

logger = logging.getLogger(__name__)


def form_key_earlier(*, key: uuid.UUID, user, view: str) -> FormKey | None:
    """The earlier use of ``key`` (a resubmission by the same person of the same form), or
    ``None`` when it is unused. Raises ``ValidationError`` (code ``key_foreign``) when
    another person, another cooperative or another form used it."""
    earlier = FormKey.unscoped.filter(key=key).first()  # the key is unique across cooperatives
    if earlier is None:
        return None
    if (
        earlier.cooperative_id != require_cooperative().pk
        or earlier.user_id != user.pk
        or earlier.view != view
    ):
        raise _foreign()
    return earlier


def _foreign() -> ValidationError:
    return ValidationError(
        _("This form was already sent from another page or by another person, so nothing was saved."),
        code="key_foreign",
    )


@transaction.atomic
def form_key_record(*, key: uuid.UUID, user, view: str, result_url: str, label: str) -> FormKey:
    """Write the use of ``key`` with what the form made (the address of the result and a
    short label), in the transaction of what it made: one INSERT, the last write of a
    create view. Raises ``IntegrityError`` when the key was used meanwhile or before (the
    caller rolls everything back); on PostgreSQL a twin submitted at the same moment waits
    on the unique key until the first one commits or rolls back."""
    return FormKey.objects.create(
        cooperative=require_cooperative(),
        key=key,
        user=user,
        view=view,
        result_url=result_url[:500],
        label=label[:200],
    )


@transaction.atomic
def form_key_purge(*, older_than: dt.timedelta) -> int:
    """Delete the keys of every cooperative used more than ``older_than`` ago; how many."""
    deleted, _rows = FormKey.unscoped.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- Large exports (core/exports.py) -----------------------------------------------------


@transaction.atomic
def export_job_request(
    *, kind: str, params: dict, perms: list[str], download_name: str, rows_total: int, actor
) -> ExportJob:
    """Ask the worker for the export ``kind`` of the current cooperative with ``params``
    (JSON); ``perms`` are the permissions it needed, checked again at download. The worker is
    woken after commit (not with ``HOPTAC_WORKER=off``: tests run the job themselves)."""
    cooperative = require_cooperative()
    if exports.kind(kind) is None:
        raise ValidationError(_("Unknown export."), code="export_kind")
    job = ExportJob.objects.create(
        cooperative=cooperative,
        requested_by=actor,
        kind=kind,
        params={**params, "language": translation.get_language() or settings.LANGUAGE_CODE},
        perms=sorted(str(p) for p in perms),
        download_name=download_name[:200],
        rows_total=rows_total,
        expires_at=timezone.now() + dt.timedelta(hours=settings.EXPORTS["KEEP_HOURS"]),
    )
    audit_record(
        action="export.request",
        actor=actor,
        cooperative=cooperative,
        obj=job,
        data={"kind": kind, "params": params, "rows": rows_total},
    )
    if settings.OUTBOX["WORKER"] != "off":
        transaction.on_commit(lambda: _export_wake(job.pk))
    return job


def _export_wake(job_id: int) -> None:
    from hoptac.core import tasks

    try:
        tasks.export_run_task(job_id)
    except Exception:  # noqa: BLE001 - the periodic sweep runs a job whose wake-up was lost
        logger.warning("Could not wake the worker for export job %s", job_id, exc_info=True)


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the file of a queued job (the worker's task). The job is claimed with one
    conditional UPDATE, so two workers never write the same job; progress is stored as it
    goes (at most every half second), outside any long transaction. A writer that fails
    leaves the job ``failed`` with a short message and no file."""
    now = timezone.now()
    if not ExportJob.unscoped.filter(pk=job_id, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, started_at=now
    ):
        return None  # done, expired or claimed by another worker
    job = ExportJob.unscoped.select_related("cooperative").get(pk=job_id)
    found = exports.kind(job.kind)
    storage = private_storage()
    name = f"{exports.FOLDER}/{job.cooperative_id}/{uuid.uuid4().hex}.xlsx"
    path = Path(storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        moment = time.monotonic()
        if moment - last[0] >= 0.5 or done >= total:
            last[0] = moment
            ExportJob.unscoped.filter(pk=job_id).update(rows_done=done, rows_total=total)

    try:
        if found is None:
            raise LookupError(f"unknown export kind {job.kind!r}")
        language = job.params.get("language") or settings.LANGUAGE_CODE
        with tenant(job.cooperative), translation.override(language), partial.open("wb") as target:
            found.write(job.params, target=target, progress=progress)
        partial.replace(path)
    except Exception:
        logger.exception("Export job %s (%s) failed", job_id, job.kind)
        partial.unlink(missing_ok=True)
        ExportJob.unscoped.filter(pk=job_id).update(
            state=ExportState.FAILED,
            finished_at=timezone.now(),
            error="The file could not be written.",
        )
        return ExportJob.unscoped.get(pk=job_id)
    ExportJob.unscoped.filter(pk=job_id, state=ExportState.RUNNING).update(
        state=ExportState.DONE,
        file_name=name,
        size=path.stat().st_size,
        finished_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=settings.EXPORTS["KEEP_HOURS"]),
    )
    return ExportJob.unscoped.get(pk=job_id)


def export_jobs_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's housekeeping, across cooperatives (``ExportJob.unscoped``: the worker
    serves all of them): delete the files of jobs past their expiry (the job stays,
    ``expired``), fail jobs left running by a dead worker, forget jobs older than
    ``PURGE_DAYS``. Returns what it did, and the queued jobs whose wake-up may be lost."""
    now = now or timezone.now()
    storage = private_storage()
    expired = 0
    for job in (
        ExportJob.unscoped.filter(expires_at__lte=now)
        .exclude(state=ExportState.EXPIRED)
        .exclude(state=ExportState.RUNNING)
    ):
        if job.file_name:
            storage.delete(job.file_name)
        ExportJob.unscoped.filter(pk=job.pk).update(state=ExportState.EXPIRED, file_name="")
        expired += 1
    stale = ExportJob.unscoped.filter(
        state=ExportState.RUNNING, started_at__lt=now - dt.timedelta(minutes=exports.STALE_MINUTES)
    ).update(state=ExportState.FAILED, finished_at=now, error="The worker stopped while writing the file.")
    purged, _by_model = ExportJob.unscoped.filter(
        created_at__lt=now - dt.timedelta(days=exports.PURGE_DAYS)
    ).delete()
    return {"expired": expired, "stale": stale, "purged": purged}

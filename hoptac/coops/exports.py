"""Export views shared by every app (core/exports.py has the jobs): answer a small export at
once, offer a large one to the worker, show a job's progress and hand over its file.

``export_response()`` is what an app's ``.xlsx`` view returns: with at most
``settings.EXPORTS["INLINE_ROWS"]`` rows, the file itself (streamed by ``lib.xlsx``); with
more, on GET a page saying how many rows and a button, on POST a job (the same job again if
one for the same export and parameters is waiting, being written or ready) and a redirect
to its page. The job's page and file are only for the person who asked, in this
cooperative, holding the permissions the export needed when it was asked for."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.coops.access import coop_view
from hoptac.core import exports, services
from hoptac.core.media import open_private, private_file_response
from hoptac.core.models import ExportJob, ExportState
from hoptac.core.roles import Perm
from hoptac.lib.xlsx import CONTENT_TYPE

#: Jobs one person may have waiting or being written in one cooperative at once.
MAX_ACTIVE = 3


def export_response(request, *, kind: str, params: dict, rows: int, perms, download_name: str):
    """The answer of an export view (see the module docstring). ``perms``: every permission
    the export needed (the view's, ``member.personal`` when it holds personal data)."""
    found = exports.kind(kind)
    if found is None:
        raise Http404
    if rows <= exports.inline_rows():
        buffer = io.BytesIO()
        found.write(params, target=buffer, progress=None)
        response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{download_name}"'
        return response
    if request.method != "POST":
        return render(
            request,
            "coops/export_offer.html",
            {"label": found.label, "rows": rows, "jobs": exports.recent_jobs(user=request.user, limit=5)},
        )
    same = _same_job(request, kind=kind, params=params)
    if same is not None:
        return redirect("coops:export_job", coop_slug=request.cooperative.slug, job_id=same.pk)
    active = ExportJob.objects.filter(
        requested_by=request.user, state__in=(ExportState.QUEUED, ExportState.RUNNING)
    ).count()
    if active >= MAX_ACTIVE:
        messages.error(
            request,
            _("You already have %(count)s files being prepared. Wait until one is ready, then ask again.")
            % {"count": active},
        )
        return redirect(request.get_full_path())
    try:
        job = services.export_job_request(
            kind=kind,
            params=params,
            perms=list(perms),
            download_name=download_name,
            rows_total=rows,
            actor=request.user,
        )
    except ValidationError as error:
        raise Http404 from error
    return redirect("coops:export_job", coop_slug=request.cooperative.slug, job_id=job.pk)


def _same_job(request, *, kind: str, params: dict) -> ExportJob | None:
    """The person's job for the same export and parameters still waiting, being written or
    ready (and not about to expire): asking twice (a double click, the back button) gives
    the same job."""
    wanted = json.dumps(params, sort_keys=True)
    candidates = ExportJob.objects.filter(
        requested_by=request.user,
        kind=kind,
        state__in=(ExportState.QUEUED, ExportState.RUNNING, ExportState.DONE),
        expires_at__gt=timezone.now() + dt.timedelta(minutes=10),
    )[:20]
    for job in candidates:
        own = {k: v for k, v in job.params.items() if k != "language"}
        if json.dumps(own, sort_keys=True) == wanted:
            return job
    return None


def _job_or_404(request, job_id: int) -> ExportJob:
    job = exports.job_for(job_id=job_id, user=request.user)
    if job is None:
        raise Http404
    if not all(request.access.can(perm) for perm in job.perms):
        raise PermissionDenied
    return job


@coop_view(Perm.COOP_VIEW)
def export_job(request, job_id: int):
    """A job's page: its progress (the page refreshes itself every few seconds without
    JavaScript; with it, it asks ``?status=json``), then the download link."""
    job = _job_or_404(request, job_id)
    found = exports.kind(job.kind)
    if request.GET.get("status") == "json":
        return JsonResponse(
            {"state": job.state, "percent": job.percent, "done": job.rows_done, "total": job.rows_total}
        )
    return render(
        request,
        "coops/export_job.html",
        {"job": job, "label": found.label if found else job.kind, "refresh": not job.finished},
    )


@coop_view(Perm.COOP_VIEW)
def export_file(request, job_id: int):
    """The file of a finished job, private (no cache), to the person who asked only."""
    job = _job_or_404(request, job_id)
    if job.state != ExportState.DONE or not job.file_name:
        raise Http404
    return private_file_response(open_private(job.file_name), download_name=job.download_name)

"""Public trace pages (no login), the GS1 Digital Link resolver, label sheets and the
trace export of a lot."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from hoptac.coops.access import coop_view
from hoptac.core import pagecache
from hoptac.core.roles import Perm
from hoptac.inventory.models import Lot
from hoptac.lib import qr
from hoptac.trace.forms import LabelSheetForm
from hoptac.trace.selectors import gs1_lot, public_lot, trace_data, trace_page_data, trace_url

PUBLIC_MAX_AGE = 300
SCHEMA_PATH = Path(__file__).parent / "schema" / "trace-export.schema.json"


def _language(request) -> str:
    """``?lang=en`` or ``?lang=vi`` first, then the language cookie (set by the switch)."""
    supported = {code for code, _name in settings.LANGUAGES}
    asked = request.GET.get("lang", "")
    if asked in supported:
        return asked
    return getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)


def _public(response: HttpResponse, language: str) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    patch_vary_headers(response, ("Cookie",))
    response["Content-Language"] = language
    return response


def _not_found(request, language: str) -> HttpResponse:
    with translation.override(language):
        response = render(request, "trace/not_found.html", {"lang": language}, status=404)
    return _public(response, language)


def _page(request, lot: Lot | None) -> HttpResponse:
    language = _language(request)
    if lot is None:
        return _not_found(request, language)
    data, page = trace_page_data(lot)
    with translation.override(language):
        response = render(
            request,
            "trace/lot.html",
            {
                "t": data,
                "page": page,
                "lang": language,
                "other_lang": "vi" if language == "en" else "en",
                "page_path": request.path,
            },
        )
    return _public(response, language)


@require_safe
@pagecache.cached_public_page(pagecache.CATALOGUE)
def trace_page(request, code: str):
    """``/t/<public code>``: what a shopper sees after scanning the QR on a jar."""
    return _page(request, public_lot(code))


@require_safe
@pagecache.cached_public_page(pagecache.CATALOGUE)
def gs1_resolver(request, gtin: str, batch: str):
    """``/01/<GTIN>/10/<public code>`` (GS1 Digital Link): the same page, served at once rather
    than redirected, to save a round trip on a weak mobile link. A sequential lot code is the
    same 404 as an unknown one, except on an old label (``trace.selectors.gs1_lot``)."""
    return _page(request, gs1_lot(gtin, batch))


@require_safe
def healthz(request):
    """The smallest Django view, for comparison in scripts/bench_trace.py."""
    return HttpResponse("ok", content_type="text/plain")


def _lot_or_404(lot_id) -> Lot:
    lot = Lot.objects.select_related("product", "cooperative").filter(uuid=lot_id).first()
    if lot is None:
        raise Http404
    return lot


_SVG_SIZE = re.compile(r'^<svg width="(\d+)" height="(\d+)"')


def _scalable_qr(data: str) -> str:
    """The QR as an SVG that CSS sizes in millimetres (a viewBox instead of pixel sizes).

    Hidden from screen readers: each label says the product and lot in words beside it, and
    the address the QR holds is written at the top of the sheet."""
    svg = qr.svg(data, scale=1, border=2)
    return _SVG_SIZE.sub(
        lambda m: f'<svg viewBox="0 0 {m[1]} {m[2]}" shape-rendering="crispEdges" aria-hidden="true"',
        svg,
        count=1,
    )


@require_safe
@coop_view(Perm.STOCK_VIEW)
def labels(request, lot_id):
    """A printable A4 sheet of labels for a lot: QR, product, lot code, dates."""
    lot = _lot_or_404(lot_id)
    form = LabelSheetForm(request.GET)
    context = {"lot": lot, "form": form, "labels": []}
    if form.is_valid():
        sheet = form.cleaned_data
        # The QR takes the label's height less the padding; the text the rest of the width.
        qr_mm = min(sheet["height"] - 4, sheet["width"] * 9 / 20)
        if request.GET.get("as") == "css":
            # The sheet's sizes as a stylesheet of their own (the page has no inline style):
            # the page links it with the same query, so the numbers are the validated form's.
            css = render_to_string("trace/labels.css", {"sheet": sheet, "qr_mm": qr_mm})
            return HttpResponse(css, content_type="text/css; charset=utf-8")
        data = trace_data(lot)
        url = trace_url(lot, request)
        svg = _scalable_qr(url)
        query = request.GET.copy()
        query["as"] = "css"
        context.update(
            sheet=sheet,
            t=data,
            url=url,
            qr_svg=svg,
            qr_mm=qr_mm,
            labels=range(sheet["columns"] * sheet["rows"]),
            sheet_css=f"?{query.urlencode()}",
        )
        status = 200
    else:
        status = 400
    return render(request, "trace/labels.html", context, status=status)


@require_safe
@coop_view(Perm.STOCK_VIEW)
def export(request, lot_id):
    """The lot's trace data as JSON (schema: hoptac/trace/schema/trace-export.schema.json)."""
    lot = _lot_or_404(lot_id)
    data = trace_data(lot)
    data["lot"]["trace_url"] = trace_url(lot, request)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="trace-{lot.code}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def schema(request):
    """The JSON Schema of the export, served so that a receiver can validate against it."""
    response = HttpResponse(SCHEMA_PATH.read_bytes(), content_type="application/schema+json")
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response

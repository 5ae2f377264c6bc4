"""Delivery-report callbacks from the SMS and Zalo gateways.

``/hooks/dlr/<gateway>/<secret>/``: the secret (one per gateway, ``HOPTAC_*_HOOK_SECRET``)
is the only authentication the gateways offer, so a wrong or unset secret answers 404,
compared in constant time. Each gateway's body is read by ``parse_report`` in its
transport module; the answer is the same small JSON whether or not the message id was
ours, so the hook tells a caller nothing about the outbox. Malformed input answers 400,
never 500.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services
from .transports import esms, speedsms, zalo

log = logging.getLogger(__name__)

PARSERS = {
    "esms": esms.parse_report,
    "speedsms": speedsms.parse_report,
    "zalo": zalo.parse_report,
}
MAX_BODY = 64 * 1024


def check_secret(gateway: str, secret: str) -> None:
    """404 unless ``secret`` is this gateway's configured hook secret (constant time)."""
    expected = settings.OUTBOX["HOOK_SECRETS"].get(gateway) or ""
    if not expected or not hmac.compare_digest(expected.encode(), secret.encode()):
        raise Http404


def _payload(request) -> dict:
    """The callback's fields: the query string, updated with a JSON or form body."""
    data = {key: request.GET.get(key) for key in request.GET}
    if request.method == "POST":
        content_type = (request.content_type or "").lower()
        body = request.body
        if len(body) > MAX_BODY:
            raise ValueError("body too large")
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            data.update({key: request.POST.get(key) for key in request.POST})
        elif body.strip():
            parsed = json.loads(body.decode("utf-8"))
            if not isinstance(parsed, dict):
                raise ValueError("not a JSON object")
            data.update(parsed)
    return data


@csrf_exempt
@require_http_methods(["GET", "POST"])
def delivery_report(request, gateway: str, secret: str):
    check_secret(gateway, secret)
    parser = PARSERS.get(gateway)
    if parser is None:
        raise Http404
    try:
        reports = parser(_payload(request))
    except (ValueError, MultiPartParserError) as exc:  # JSON and Unicode errors are ValueErrors
        log.info("Malformed %s delivery report: %s", gateway, exc)
        return HttpResponseBadRequest("bad request", content_type="text/plain")
    for report in reports:
        request_id = report.pop("request_id", "")
        if gateway == "esms" and request_id:
            esms.adopt_provider_id(request_id, report["provider_id"])
        services.report_delivery(provider=gateway, **report)
    return JsonResponse({"ok": True})

"""Delivery-report callbacks from the SMS and Zalo gateways."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods


def check_secret(gateway: str, secret: str) -> None:
    """404 unless ``secret`` is this gateway's configured hook secret (constant time)."""
    expected = settings.OUTBOX["HOOK_SECRETS"].get(gateway) or ""
    if not expected or not hmac.compare_digest(expected.encode(), secret.encode()):
        raise Http404


@csrf_exempt
@require_http_methods(["GET", "POST"])
def delivery_report(request, gateway: str, secret: str):
    check_secret(gateway, secret)
    return HttpResponse(status=501)  # filled in by the gateway clients

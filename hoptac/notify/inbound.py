"""The inbound SMS webhook (to be written)."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from hoptac.outbox.hooks import check_secret


@csrf_exempt
def webhook(request, gateway: str, secret: str):
    check_secret(gateway, secret)
    return HttpResponse(status=501)

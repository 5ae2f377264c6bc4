"""Delivery-report callbacks from the SMS and Zalo gateways, and what every webhook shares.

Two ways for a gateway to prove it is the gateway (one secret per gateway,
``HOPTAC_*_HOOK_SECRET``):

- **preferred**: ``POST /hooks/dlr/<gateway>/`` with the secret in a header,
  ``X-Hoptac-Secret: <secret>``, or an HMAC-SHA256 of the body keyed with the secret,
  ``X-Hoptac-Signature: sha256=<hex>`` (for a GET, of the raw query string);
- **path form**, for gateways that can only be given an address (eSMS's ``CallbackUrl``):
  ``/hooks/dlr/<gateway>/<secret>/``. The secret is then in the address, so it is
  redacted from the access log and Django's request log (``hoptac.core.redact``).

A wrong, absent or unset secret answers 404 (compared in constant time). Bodies are read
with limits: over 64 KB, JSON nested deeper than 32, or more form fields than Django
allows answer 400, never 500. Each gateway's body is read by ``parse_report`` in its
transport module; the answer is the same small JSON whether or not the message id was
ours, so the hook tells a caller nothing about the outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hoptac.lib import safejson

from . import services
from .transports import esms, speedsms, zalo

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Hoptac-Secret"  # noqa: S105 - the name of a header, not a secret
SIGNATURE_HEADER = "X-Hoptac-Signature"
MAX_BODY = safejson.MAX_BYTES
MAX_DEPTH = safejson.MAX_DEPTH


class BadBody(ValueError):
    """A webhook body that cannot be read within the limits."""


# Everything reading a webhook body may raise (JSON and Unicode errors are ValueErrors).
BODY_ERRORS = (ValueError, MultiPartParserError, SuspiciousOperation)


PARSERS = {
    "esms": esms.parse_report,
    "speedsms": speedsms.parse_report,
    "zalo": zalo.parse_report,
}


def _expected(gateway: str) -> bytes:
    return (settings.OUTBOX["HOOK_SECRETS"].get(gateway) or "").encode()


def check_secret(gateway: str, secret: str) -> None:
    """404 unless ``secret`` is this gateway's configured hook secret (constant time)."""
    expected = _expected(gateway)
    if not expected or not hmac.compare_digest(expected, secret.encode()):
        raise Http404


def read_body(request) -> bytes:
    """The request body, refused (:class:`BadBody`) over ``MAX_BODY`` before it is read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise BadBody("bad Content-Length") from exc
    if declared > MAX_BODY:
        raise BadBody(f"body of {declared} bytes, over {MAX_BODY}")
    try:
        body = request.body
    except RequestDataTooBig as exc:  # pragma: no cover - the declared length was checked
        raise BadBody("body too large") from exc
    if len(body) > MAX_BODY:  # pragma: no cover - Django reads no more than declared
        raise BadBody("body too large")
    return body


def _signature_ok(expected: bytes, request, body: bytes) -> bool:
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not given.lower().startswith("sha256="):
        return False
    signed = body if request.method == "POST" else request.META.get("QUERY_STRING", "").encode("latin-1")
    digest = hmac.new(expected, signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(
        digest.encode(), given[len("sha256=") :].strip().lower().encode("ascii", "replace")
    )


def authenticate(request, gateway: str, secret: str | None) -> bytes:
    """Check the caller is ``gateway`` and return the body (read within the limits).

    With ``secret`` (the path form) it must be the gateway's secret; without, the request
    carries ``X-Hoptac-Secret`` or a valid ``X-Hoptac-Signature``. Http404 otherwise, the
    same answer as an unknown gateway; :class:`BadBody` for a body over the limit.
    """
    if secret is not None:
        check_secret(gateway, secret)
        return read_body(request)
    expected = _expected(gateway)
    if not expected:
        raise Http404
    header = request.headers.get(SECRET_HEADER)
    if header is not None:
        if not hmac.compare_digest(expected, header.strip().encode("utf-8", "replace")):
            raise Http404
        return read_body(request)
    if SIGNATURE_HEADER not in request.headers:
        raise Http404
    body = read_body(request)
    if not _signature_ok(expected, request, body):
        raise Http404
    return body


def parse_json(body: bytes):
    """A JSON body within the size and depth limits (ValueError otherwise)."""
    return safejson.loads(body, max_bytes=MAX_BODY, max_depth=MAX_DEPTH)


def bad_request() -> HttpResponseBadRequest:
    return HttpResponseBadRequest("bad request", content_type="text/plain")


def _payload(request, body: bytes) -> dict:
    """The callback's fields: the query string, updated with a JSON or form body."""
    data = {key: request.GET.get(key) for key in request.GET}
    if request.method == "POST":
        content_type = (request.content_type or "").lower()
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            data.update({key: request.POST.get(key) for key in request.POST})
        elif body.strip():
            parsed = parse_json(body)
            if not isinstance(parsed, dict):
                raise ValueError("not a JSON object")
            data.update(parsed)
    return data


@csrf_exempt
@require_http_methods(["GET", "POST"])
def delivery_report(request, gateway: str, secret: str | None = None):
    try:
        body = authenticate(request, gateway, secret)
    except BadBody as exc:
        log.info("Refused %s delivery report: %s", gateway, exc)
        return bad_request()
    parser = PARSERS.get(gateway)
    if parser is None:
        raise Http404
    try:
        reports = parser(_payload(request, body))
    except BODY_ERRORS as exc:
        log.info("Malformed %s delivery report: %s", gateway, exc)
        return bad_request()
    for report in reports:
        request_id = report.pop("request_id", "")
        if gateway == "esms" and request_id:
            esms.adopt_provider_id(request_id, report["provider_id"])
        services.report_delivery(provider=gateway, **report)
    return JsonResponse({"ok": True})

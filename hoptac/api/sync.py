"""The field app's sync (docs/sync-protocol.md): devices, push and pull.

- ``POST /c/{slug}/sync/devices`` (the collector's session or token, ``receipt.record``)
  makes a device and answers its token once; ``GET …/sync/devices`` and ``POST
  …/sync/devices/{device_id}/revoke`` are the chair's (``staff.manage``).
- ``POST /c/{slug}/sync/push`` and ``GET /c/{slug}/sync/pull`` are authenticated by the
  DEVICE token (``Authorization: Bearer htd_…``), through ``@device_route``: an unknown
  token → 401 ``device_unknown``, a revoked one → 401 ``device_revoked``, another
  cooperative's slug → 404, a collector who lost the role → 403; at most
  ``SYNC_REQUESTS_PER_MINUTE`` calls a minute per device (429 with ``Retry-After``).
  ``DEVICE_ROUTES`` lists them for the gate test.

No ``from __future__ import annotations`` in router modules: ninja reads the handlers'
annotations through the gate's wrapper.
"""

import datetime as dt
import functools
import json
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from hoptac.api.access import api_language, coop_route
from hoptac.api.common import ERRORS, Status, local
from hoptac.api.schemas import ErrorOut, text
from hoptac.coops.access import role_in
from hoptac.core.roles import Perm, has_perm
from hoptac.core.tenancy import tenant
from hoptac.sync import selectors, services
from hoptac.sync.models import Device

router = Router(tags=["sync"])

# Routes authenticated by a device token, with what gates them (the gate test reads this).
DEVICE_ROUTES: dict[str, str] = {}


class DeviceRefused(Exception):
    """A device token refused before the request's body is read: 401 ``device_unknown`` /
    ``device_revoked``, 404 for another cooperative, 403, 429 (answered by
    ``device_refused``, registered in api.py)."""

    def __init__(self, status: int, message: str = "", code: str = ""):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def device_refused(request, exc: DeviceRefused):
    body = {"detail": _("Not found.")} if exc.status == 404 else {"detail": exc.message, "code": exc.code}
    response = JsonResponse(body, status=exc.status, json_dumps_params={"ensure_ascii": False})
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="hoptac-device"'
    if exc.status == 429:
        response["Retry-After"] = "60"
    response["Content-Language"] = api_language(request)
    response["Cache-Control"] = "no-store"
    return response


def _rate_limited(device: Device) -> bool:
    limit = int(getattr(settings, "SYNC_REQUESTS_PER_MINUTE", 240))
    key = f"sync-rate:{device.pk}:{int(timezone.now().timestamp() // 60)}"
    if cache.add(key, 1, timeout=70):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        return False


def device_check(request, device: Device | None) -> Device:
    """Every refusal of a device call, before its body is read (module doc)."""
    if device is None:
        raise DeviceRefused(
            401,
            _("This phone is not known to the cooperative: sign in again on the phone."),
            "device_unknown",
        )
    if device.revoked_at is not None:
        raise DeviceRefused(
            401,
            _(
                "This phone was switched off by the cooperative (%(reason)s): records not sent stay "
                "on the phone; ask the chair."
            )
            % {"reason": device.revoke_reason or "—"},
            "device_revoked",
        )
    coop = device.cooperative
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("slug") if match is not None else None
    if slug != coop.slug or not coop.is_active:
        raise DeviceRefused(404)
    if not has_perm(role_in(device.user, coop), Perm.RECEIPT_RECORD):
        raise DeviceRefused(403, _("The collector of this phone can no longer record receipts here."), "role")
    if _rate_limited(device):
        raise DeviceRefused(429, _("Too many requests from this phone: wait a minute."), "rate_limited")
    return device


class DeviceAuth(HttpBearer):
    """``Authorization: Bearer htd_<40 characters>``, a field device's token. Runs before
    ninja reads the body, so a refused device never has its batch parsed."""

    def authenticate(self, request, token: str):
        with translation.override(api_language(request)):
            return device_check(request, selectors.device_for_token(token))


DEVICE_AUTH = [DeviceAuth()]


def device_route(view):
    """Gate a handler of ``/c/{slug}/sync/…`` authenticated by a device token (the checks
    are in ``DeviceAuth``; this sets the tenant, the language and what the handler reads)."""
    if view.__name__ in DEVICE_ROUTES:
        raise RuntimeError(f"Two device routes are named {view.__name__!r}.")
    DEVICE_ROUTES[view.__name__] = "device token of this cooperative, its collector still has receipt.record"

    @functools.wraps(view)
    def wrapper(request, slug: str, **kwargs):
        device = request.auth
        if not isinstance(device, Device) or slug != device.cooperative.slug:
            raise Http404
        with translation.override(api_language(request)):
            request.device = device
            request.cooperative = device.cooperative
            request.user = device.user
            with tenant(device.cooperative):
                return view(request, slug=slug, **kwargs)

    wrapper.device_rule = True
    return wrapper


DEVICE_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


# --- devices ----------------------------------------------------------------------------------


class DeviceIn(Schema):
    name: text(100) = Field(min_length=1, description="What the phone is, e.g. “Điện thoại của Páo”.")


class DeviceMadeOut(Schema):
    id: UUID
    name: str
    token: str = Field(description="The device token, answered once: `Authorization: Bearer htd_…`.")
    prefix: str = Field(description="Two characters that start the phone's provisional numbers.")
    sms_key: str = Field(description="The key of the SMS hand-over's check code (base32).")
    sms_number: str | None = Field(description="The cooperative's inbound SMS number, or null.")


class DeviceOut(Schema):
    id: UUID
    name: str
    collector: str
    prefix: str
    token_prefix: str
    created_at: dt.datetime
    last_seen_at: dt.datetime | None
    last_push_at: dt.datetime | None
    records_sent: int
    pending_count: int = Field(description="Records the phone said were waiting at its last contact.")
    revoked_at: dt.datetime | None
    revoke_reason: str


class RevokeIn(Schema):
    reason: text(200) = Field(min_length=1, description="Why, e.g. “phone lost”.")


def _sms_number() -> str | None:
    """The cooperative's inbound SMS number (its field settings), or None."""
    return services.field_settings().sms_number or None


def _device_out(device, sent: int | None = None) -> dict:
    return {
        "id": device.uuid,
        "name": device.name,
        "collector": device.user.full_name or str(device.user),
        "prefix": device.prefix,
        "token_prefix": device.token_prefix,
        "created_at": local(device.created_at),
        "last_seen_at": local(device.last_seen_at),
        "last_push_at": local(device.last_push_at),
        "records_sent": sent if sent is not None else device.records.count(),
        "pending_count": device.pending_count,
        "revoked_at": local(device.revoked_at),
        "revoke_reason": device.revoke_reason,
    }


@router.post(
    "/c/{slug}/sync/devices",
    response={201: DeviceMadeOut, **ERRORS},
    summary="Register this phone as a field device",
)
@coop_route(Perm.RECEIPT_RECORD)
def device_register(request, slug: str, payload: DeviceIn):
    """Make a device for the signed-in collector (the session with its CSRF header, or a
    personal token) and answer its token, number prefix and SMS key ONCE."""
    made = services.device_register(user=request.user, name=payload.name, actor=request.user)
    return Status(
        201,
        {
            "id": made.device.uuid,
            "name": made.device.name,
            "token": made.token,
            "prefix": made.device.prefix,
            "sms_key": made.device.sms_key,
            "sms_number": _sms_number(),
        },
    )


@router.get("/c/{slug}/sync/devices", response={200: list[DeviceOut], **ERRORS}, summary="Field devices")
@coop_route(Perm.STAFF_MANAGE)
def device_list(request, slug: str):
    """Every device of the cooperative, active first: collector, last contact, records sent,
    records the phone still held at its last contact."""
    return [_device_out(device, device.sent) for device in selectors.device_list()]


@router.post(
    "/c/{slug}/sync/devices/{device_id}/revoke",
    response={200: DeviceOut, **ERRORS},
    summary="Revoke a field device",
)
@coop_route(Perm.STAFF_MANAGE)
def device_revoke(request, slug: str, device_id: UUID, payload: RevokeIn):
    """The device's token stops working at once. Its records already sent stay; those still
    on the phone are not sent (its last count is kept)."""
    try:
        device = selectors.device_get(device_id)
    except Device.DoesNotExist:
        raise Http404 from None
    return _device_out(services.device_revoke(device=device, reason=payload.reason, actor=request.user))


# --- push and pull ----------------------------------------------------------------------------


class PushIn(Schema):
    pending: int | None = Field(None, ge=0, le=1_000_000, description="Records the phone still holds unsent.")
    records: list[dict[str, Any]] = Field(
        max_length=services.MAX_BATCH_RECORDS,
        description="At most 200 records `{key, kind, no, at, body}` (docs/sync-protocol.md); "
        "each is answered on its own.",
    )


class RecordAnswer(Schema):
    key: str
    status: int = Field(
        description="201 applied, 200 replay, 202 pending, 409 conflict, 422 refused, 503 retry."
    )
    state: str
    number: str | None = None
    message: str | None = None
    member: str | None = None
    replay: bool | None = None


class PushOut(Schema):
    results: list[RecordAnswer]
    server_time: dt.datetime


@router.post(
    "/c/{slug}/sync/push",
    auth=DEVICE_AUTH,
    response={200: PushOut, 413: ErrorOut, **DEVICE_ERRORS},
    summary="Send the phone's waiting records",
    openapi_extra={"requestBody": {"description": "At most 200 records and 256 KB."}},
)
@device_route
def sync_push(request, slug: str, payload: PushIn):
    """Apply each record exactly once (by its key) and answer each on its own, in order. A
    batch over 200 records or 256 KB is refused whole and nothing is stored."""
    size = len(request.body)
    if size > services.MAX_BATCH_BYTES:
        return Status(
            413,
            {
                "detail": _("The batch is larger than %(kb)s KB: send fewer records at a time.")
                % {"kb": services.MAX_BATCH_BYTES // 1024},
                "code": "too_large",
            },
        )
    result = services.push_batch(
        device=request.device, records=payload.records, pending=payload.pending, raw_size=size
    )
    return {"results": result.results, "server_time": local(timezone.now())}


class Table(Schema):
    cols: list[str]
    rows: list[list[Any]]


class PullOut(Schema):
    cursor: str = Field(description="Send it back as `since` next time.")
    full: bool = Field(description="True: everything, replace the phone's tables.")
    coop: dict[str, Any]
    members: Table
    points: Table
    products: Table
    prices: Table
    agreements: Table
    removed: dict[str, list[int]]
    records: list[dict[str, Any]]


@router.get(
    "/c/{slug}/sync/pull",
    auth=DEVICE_AUTH,
    response={200: PullOut, **DEVICE_ERRORS},
    summary="What changed since the phone's cursor",
)
@device_route
def sync_pull(request, slug: str, since: str | None = None):
    """Members, collection points, products, prices in force and open agreements changed
    since ``since`` (with deletions), and this device's records whose state changed.
    Compressed with gzip when the phone accepts it."""
    if since is not None and len(since) > 100:
        since = None
    data = selectors.pull(device=request.device, since=since)
    services.device_touch(device=request.device)
    return data


def body_size(data: dict) -> int:
    """Bytes of ``data`` as JSON on the wire (used by the size benchmark)."""
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))

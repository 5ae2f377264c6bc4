"""Reads of the field app's sync: a device by its token, the pull (changes since a
cursor), and the lists of the staff pages.

The pull's cursor is a time with an overlap window: rows are read with ``updated_at >
since - OVERLAP``. ``updated_at`` is set when a row is saved, not when its transaction
commits, so a transaction that saved before the last pull but committed after it has a
time before the cursor; reading the last ``OVERLAP`` again finds it (a transaction of the
app lasts well under a second; the window is 5 minutes). What the overlap repeats is an
upsert on the phone, harmless. The small tables (points, products, prices) have no change
time: they are sent whole when their digest (kept in the cursor) changed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from hoptac.accounts.models import Membership
from hoptac.catalog.models import Product
from hoptac.coops.models import Member, MemberStatus
from hoptac.core.tenancy import tenant
from hoptac.lib.units import BaseUnit, Unit
from hoptac.offtake.models import Agreement, CollectionPoint
from hoptac.offtake.selectors import prices_in_force
from hoptac.sync.models import Device, Kind, State, SyncRecord
from hoptac.sync.services import field_settings, looks_like_device_token, token_hash

OVERLAP = dt.timedelta(minutes=5)


def device_for_token(token: str) -> Device | None:
    """The device of a token, revoked or not (the caller tells a revoked one so), or
    ``None``. Across cooperatives on purpose: the token itself names the cooperative."""
    token = (token or "").strip()
    if not looks_like_device_token(token):
        return None
    role = Membership.objects.filter(user=OuterRef("user_id"), cooperative=OuterRef("cooperative_id"))
    device = (
        Device.unscoped.select_related("cooperative", "user")
        .annotate(gate_role=Subquery(role.values("role")[:1]))
        .filter(token_hash=token_hash(token))
        .first()
    )
    if device is not None:
        # The collector's role, read with the device: the gate (coops.access.role_in) uses it.
        device.cooperative.gate_role, device.cooperative.gate_role_of = device.gate_role, device.user_id
    return device


def device_for_prefix(cooperative, prefix: str) -> Device | None:
    """The device of ``cooperative`` whose number prefix is ``prefix`` (revoked or not), for
    the SMS hand-over, whose text names the phone by its prefix."""
    if not isinstance(prefix, str) or len(prefix) != 2:
        return None
    with tenant(cooperative):
        return Device.objects.select_related("cooperative", "user").filter(prefix=prefix.upper()).first()


def device_list():
    """The current cooperative's devices with how many records each sent."""
    return (
        Device.objects.select_related("user", "revoked_by")
        .annotate(sent=Count("records"))
        .order_by("revoked_at", "-created_at", "-id")
    )


def device_get(device_uuid) -> Device:
    return Device.objects.select_related("user").get(uuid=device_uuid)


def review_lists() -> dict:
    """What needs a look: flagged receipts, advances over the limit, new households."""
    base = SyncRecord.objects.select_related("device__user", "member", "receipt").order_by("created_at", "id")
    return {
        "flagged": list(base.filter(state=State.FLAGGED)),
        "pending": list(base.filter(state=State.PENDING)),
        "households": list(base.filter(state=State.PROVISIONAL, kind=Kind.HOUSEHOLD)),
    }


def review_count() -> int:
    return SyncRecord.objects.filter(state__in=(State.FLAGGED, State.PENDING, State.PROVISIONAL)).count()


def record_get(record_id: int) -> SyncRecord:
    return SyncRecord.objects.select_related("device__user", "member", "receipt").get(pk=record_id)


# --- the pull --------------------------------------------------------------------------------


def _encode_cursor(at: dt.datetime, digest: str) -> str:
    raw = f"{int(at.timestamp() * 1000)}.{digest}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[dt.datetime | None, str]:
    """(time, digest of the small tables) of a cursor; (None, "") for none or a bad one
    (then the pull is full)."""
    if not cursor or len(cursor) > 60:
        return None, ""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        millis, digest = raw.split(".", 1)
        at = dt.datetime.fromtimestamp(int(millis) / 1000, tz=dt.UTC)
    except (ValueError, UnicodeDecodeError, OverflowError, OSError):
        return None, ""
    if at > timezone.now() + OVERLAP:
        return None, ""
    return at, digest


def _small_tables() -> tuple[dict, list, list]:
    points = list(CollectionPoint.objects.order_by("pk").values_list("pk", "name", "village", "is_active"))
    products = list(Product.objects.order_by("pk").values_list("pk", "name", "base_unit", "is_active"))
    active = {pk for pk, _n, _b, is_active in products if is_active}
    prices = sorted(
        [p.product_id, p.grade, p.price_vnd, timezone.localtime(p.effective_from).isoformat()]
        for p in prices_in_force()
        if p.product_id in active
    )
    return {"points": points, "products": products}, prices, []


def _units(base_unit: str) -> list[str]:
    """The units a line of this product may be written in (lib.units)."""
    if base_unit == BaseUnit.LITRE:
        return [Unit.LITRE.value]
    return [Unit.KG.value, Unit.LANG.value, Unit.YEN.value, Unit.TA.value, Unit.TAN.value]


def pull(*, device: Device, since: str | None = None) -> dict:
    """Everything the phone needs that changed since ``since`` (docs/sync-protocol.md, Pull)."""
    with tenant(device.cooperative):
        return _pull(device=device, since=since)


def _pull(*, device: Device, since: str | None) -> dict:
    now = timezone.now()
    at, old_digest = decode_cursor(since)
    full = at is None
    after = at - OVERLAP if at is not None else None
    settings_ = field_settings()
    coop = device.cooperative

    members = Member.objects.select_related("village").order_by("pk")
    removed_members: list[int] = []
    if after is not None:
        changed = members.filter(updated_at__gt=after)
        removed_members = list(changed.filter(status=MemberStatus.LEFT).values_list("pk", flat=True))
        members = changed
    member_rows = [
        [m.pk, str(m.uuid), m.full_name, m.village.name if m.village_id else "", m.phone or "", ""]
        for m in members.filter(status=MemberStatus.ACTIVE)
    ]

    small, prices, _unused = _small_tables()
    digest = hashlib.sha256(
        json.dumps([small, prices], sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    ).hexdigest()[:12]
    send_small = full or digest != old_digest
    points = [[p, n, v] for p, n, v, active in small["points"] if active] if send_small else []
    products = [[p, n, b, _units(b)] for p, n, b, active in small["products"] if active] if send_small else []
    removed_points = (
        [p for p, _n, _v, active in small["points"] if not active] if send_small and not full else []
    )
    removed_products = (
        [p for p, _n, _b, active in small["products"] if not active] if send_small and not full else []
    )

    today = timezone.localdate()
    agreements = Agreement.objects.select_related("member", "season").filter(
        season__starts_on__lte=today, season__ends_on__gte=today, member__status=MemberStatus.ACTIVE
    )
    removed_agreements: list[int] = []
    if after is not None:
        # New agreements, those of members who changed, and those whose season has begun since;
        # removed: those whose season has ended since, and those of members who left.
        agreements = agreements.filter(
            Q(created_at__gt=after)
            | Q(member__updated_at__gt=after)
            | Q(season__starts_on__gt=timezone.localdate(after))
        )
        removed_agreements = list(
            Agreement.objects.filter(
                Q(season__ends_on__lt=today, season__ends_on__gte=timezone.localdate(after))
                | Q(member_id__in=removed_members)
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    agreement_rows = [
        [
            a.pk,
            a.member_id,
            a.season.product_id,
            a.price_rule,
            a.fixed_price_vnd,
            a.floor_price_vnd,
            a.season.starts_on.isoformat(),
            a.season.ends_on.isoformat(),
        ]
        for a in agreements.order_by("pk")
    ]

    records = SyncRecord.objects.filter(device=device, reviewed_at__isnull=False)
    if after is not None:
        records = records.filter(reviewed_at__gt=after)
    record_rows = [
        {
            "key": str(r.key),
            "state": r.phone_state,
            **{k: r.answer[k] for k in ("number", "message") if r.answer.get(k)},
        }
        for r in records.order_by("reviewed_at", "pk")[:1000]
    ]

    return {
        "cursor": _encode_cursor(now, digest),
        "full": full,
        "coop": {
            "name": coop.name,
            "kg_per_ta": coop.kg_per_ta,
            "price_tolerance_pct": settings_.price_tolerance_pct,
            "advance_limit_vnd": settings_.advance_limit_vnd,
        },
        "members": {"cols": ["id", "uuid", "name", "village", "phone", "no"], "rows": member_rows},
        "points": {"cols": ["id", "name", "village"], "rows": points},
        "products": {"cols": ["id", "name", "base_unit", "units"], "rows": products},
        "prices": {"cols": ["product", "grade", "price", "from"], "rows": prices if send_small else []},
        "agreements": {
            "cols": ["id", "member", "product", "rule", "fixed", "floor", "from", "to"],
            "rows": agreement_rows,
        },
        "removed": {
            "members": removed_members,
            "points": removed_points,
            "products": removed_products,
            "agreements": removed_agreements,
        },
        "records": record_rows,
    }

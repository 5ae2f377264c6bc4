"""Writes of the field app's sync: devices and their tokens, records from phones (each
applied exactly once under the phone's key), and the review of flagged, pending and
provisional records.

``record_apply`` is the one way a phone's record enters the books, whether it came by the
API push or by SMS: it claims the key first (a row with a unique key, so a second request
with the same key waits for the first and then answers as a replay), then applies the
record through the same services as the web forms, in a savepoint of its own.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import string
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from hoptac.accounts.selectors import with_account
from hoptac.coops import services as coop_services
from hoptac.coops.models import Member, MemberStatus
from hoptac.core.audit import audit_record
from hoptac.core.locks import members_lock
from hoptac.core.tenancy import require_cooperative, tenant
from hoptac.ledger import services as ledger
from hoptac.ledger.selectors import member_balance
from hoptac.lib import bounds
from hoptac.lib.money import format_vnd
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.offtake import selectors as offtake_selectors
from hoptac.offtake import services as offtake
from hoptac.offtake.models import CollectionPoint, Receipt
from hoptac.outbox import services as outbox
from hoptac.sync.models import (
    Device,
    FieldSettings,
    Kind,
    State,
    SyncRecord,
    Via,
)

TOKEN_PREFIX = "htd_"  # noqa: S105 - a label, not a secret
SECRET_LENGTH = 40
_ALPHABET = string.ascii_letters + string.digits
# Two characters a collector reads without doubt (no 0/O, 1/I/L).
_PREFIX_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

MAX_BATCH_RECORDS = 200
MAX_BATCH_BYTES = 256 * 1024
MAX_TEXT = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_device_token(token: str) -> bool:
    secret = token[len(TOKEN_PREFIX) :]
    return (
        token.startswith(TOKEN_PREFIX)
        and len(secret) == SECRET_LENGTH
        and all(c in _ALPHABET for c in secret)
    )


# --- settings --------------------------------------------------------------------------------


def field_settings() -> FieldSettings:
    """The current cooperative's field settings (the defaults, unsaved, while it has none)."""
    found = FieldSettings.objects.first()
    return found if found is not None else FieldSettings(cooperative=require_cooperative())


@transaction.atomic
def field_settings_set(
    *, price_tolerance_pct: int, advance_limit_vnd: int, sms_number: str | None = None, actor=None
) -> FieldSettings:
    if not isinstance(price_tolerance_pct, int) or not 0 <= price_tolerance_pct <= 100:
        raise ValidationError(_("The price tolerance must be between 0 and 100%."), code="tolerance")
    bounds.check_money("advance", advance_limit_vnd, field=_("The advance limit"))
    current = field_settings()
    if sms_number is not None:
        if sms_number.strip():
            try:
                sms_number = normalize_phone(sms_number)
            except InvalidPhone:
                raise ValidationError(
                    _("The SMS number is not a Vietnamese phone number."), code="phone"
                ) from None
        current.sms_number = sms_number.strip()
    current.price_tolerance_pct = price_tolerance_pct
    current.advance_limit_vnd = advance_limit_vnd
    current.save()
    audit_record(
        action="field.settings",
        actor=actor,
        cooperative=current.cooperative,
        obj=current,
        data={"tolerance": price_tolerance_pct, "limit": advance_limit_vnd},
    )
    return current


# --- devices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewDevice:
    device: Device
    token: str  # the whole ``htd_…`` value: answered once, never stored


def _free_prefix() -> str:
    used = set(Device.objects.values_list("prefix", flat=True))
    free = [a + b for a in _PREFIX_ALPHABET for b in _PREFIX_ALPHABET if a + b not in used]
    if not free:
        raise ValidationError(_("This cooperative has too many devices: revoke old ones first."), code="full")
    return secrets.choice(free)


@transaction.atomic
def device_register(*, user, name: str, actor=None) -> NewDevice:
    """A new device of ``user`` in the current cooperative, with its token (shown once),
    its number prefix and its SMS key."""
    coop = require_cooperative()
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the phone a name, e.g. “Páo's phone”."), code="name")
    if len(name) > 100:
        raise ValidationError(_("The name is longer than 100 characters."), code="name")
    if not user.is_active:
        raise ValidationError(_("This account is disabled."), code="inactive")
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))
    token = TOKEN_PREFIX + secret
    sms_key = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                device = Device.objects.create(
                    cooperative=coop,
                    user=user,
                    name=name,
                    token_hash=token_hash(token),
                    token_prefix=secret[:8],
                    prefix=_free_prefix(),
                    sms_key=sms_key,
                )
            break
        except IntegrityError:  # two phones took the same prefix at the same moment
            continue
    else:  # pragma: no cover - five collisions in a row
        raise ValidationError(_("Could not give the phone a number prefix: try again."), code="prefix")
    audit_record(action="device.register", actor=actor or user, cooperative=coop, obj=device)
    return NewDevice(device=device, token=token)


@transaction.atomic
def device_revoke(*, device: Device, reason: str, actor=None) -> Device:
    """Revoke a device: its token stops working at once; what it sent stays. Revoking
    twice changes nothing (one conditional UPDATE, no lock needed)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give the reason, e.g. “phone lost”."), code="reason")
    if len(reason) > 200:
        raise ValidationError(_("The reason is too long: at most 200 characters."), code="reason")
    changed = Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(),
        revoked_by=actor if getattr(actor, "pk", None) else None,
        revoke_reason=reason,
    )
    if changed:
        audit_record(
            action="device.revoke",
            actor=actor,
            cooperative=device.cooperative,
            obj=device,
            data={"reason": reason},
        )
    return Device.objects.get(pk=device.pk)


@transaction.atomic
def device_touch(*, device: Device, pending: int | None = None, pushed: bool = False) -> None:
    """Note the device's contact (one UPDATE): when, and how many records it still holds."""
    now = timezone.now()
    fields: dict = {"last_seen_at": now}
    if pushed:
        fields["last_push_at"] = now
    if pending is not None:
        fields["pending_count"] = max(0, min(int(pending), 1_000_000))
    Device.unscoped.filter(pk=device.pk).update(**fields)


# --- records ---------------------------------------------------------------------------------


def canonical_hash(record: dict) -> str:
    """SHA-256 of the canonical JSON of ``{"kind","no","at","body"}`` (docs/sync-protocol.md)."""
    data = {name: record.get(name) for name in ("kind", "no", "at", "body")}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Refused(Exception):
    """A record that cannot be applied; ``status`` 422 (kept) or 503 (not kept, retry)."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Outcome:
    state: str
    status: int
    number: str = ""
    message: str = ""
    receipt: Receipt | None = None
    entry: object = None
    member: Member | None = None
    seen_price: int | None = None
    force_price: int | None = None


def _text(body: dict, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Refused(_("The field “%(name)s” must be text.") % {"name": name})
    value = " ".join(value.split())
    if required and not value:
        raise Refused(_("The field “%(name)s” is missing.") % {"name": name})
    if len(value) > limit:
        raise Refused(_("The field “%(name)s” is too long.") % {"name": name})
    return value


def _int(body: dict, name: str, *, required: bool = True, low: int = 0) -> int | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise Refused(_("The field “%(name)s” must be a whole number.") % {"name": name})
    return value


def _decimal(value, name: str) -> Decimal:
    if not isinstance(value, str) or len(value) > 16:
        raise Refused(_("The field “%(name)s” must be a decimal number written as text.") % {"name": name})
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Refused(_("The field “%(name)s” is not a number.") % {"name": name}) from None
    if not number.is_finite() or number < 0 or number.as_tuple().exponent < -3:
        raise Refused(_("The field “%(name)s” is not a number with at most 3 decimals.") % {"name": name})
    return number


def _member(body: dict) -> Member:
    """The member a record names: a member's uuid, or the key of a household sent earlier
    (503 retry while that household has not arrived)."""
    raw = body.get("member")
    try:
        ref = uuid.UUID(str(raw))
    except (ValueError, TypeError):
        raise Refused(_("The record names no member.")) from None
    member = with_account(Member.objects.filter(uuid=ref)).first()  # the account: for the receipt SMS
    if member is None:
        household = SyncRecord.objects.filter(key=ref, kind=Kind.HOUSEHOLD).select_related("member").first()
        if household is None:
            raise Refused(
                _("The new household this record names has not arrived yet: it will be sent again."), 503
            )
        if household.member is None:
            raise Refused(
                household.answer.get("message") or _("The new household this record names was refused.")
            )
        member = household.member
    if member.status != MemberStatus.ACTIVE:
        raise Refused(
            _("%(name)s has left the cooperative: nothing new can be recorded for them.")
            % {"name": member.full_name}
        )
    return member


def _at(record: dict) -> dt.datetime:
    raw = record.get("at")
    when = parse_datetime(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    if when is None:
        raise Refused(_("The record's date and time are missing or not ISO 8601."))
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    try:
        bounds.check_date("ledger", when)
    except ValidationError as error:
        raise Refused(error.messages[0]) from None
    if when > timezone.now() + ledger.FUTURE_TOLERANCE:
        raise Refused(_("The date and time cannot be in the future: check the phone's clock."))
    return when


def _apply_receipt(
    *, device: Device, key: uuid.UUID, no: str, at: dt.datetime, body: dict, rules: FieldSettings
) -> Outcome:
    member = _member(body)
    lines_in = body.get("lines")
    if not isinstance(lines_in, list) or not 1 <= len(lines_in) <= offtake.MAX_LINES:
        raise Refused(_("A receipt needs between 1 and %(max)s lines.") % {"max": offtake.MAX_LINES})
    product_ids = {line.get("product") for line in lines_in if isinstance(line, dict)}
    found, terms = offtake_selectors.products_with_terms(
        member=member, at=at, ids=[p for p in product_ids if isinstance(p, int) and not isinstance(p, bool)]
    )
    products = {product.pk: product for product in found}
    lines = []
    reason = _("Price the collector saw on the field app (%(no)s)") % {"no": no}
    for index, line in enumerate(lines_in, start=1):
        if not isinstance(line, dict):
            raise Refused(_("Line %(n)s is not readable.") % {"n": index})
        product = products.get(line.get("product"))
        if product is None:
            raise Refused(_("Line %(n)s: unknown product.") % {"n": index})
        grade = line.get("grade", 1)
        if grade not in (1, 2, 3) or isinstance(grade, bool):
            raise Refused(_("Line %(n)s: unknown grade.") % {"n": index})
        price = _int(line, "price", low=1)
        lines.append(
            offtake.LineInput(
                product=product,
                quantity=_decimal(line.get("qty"), "qty"),
                unit=_text(line, "unit", required=True, limit=8),
                grade=grade,
                deduction_pct=_decimal(line.get("ded", "0") or "0", "ded"),
                unit_price_vnd=price,
                override_reason=reason,
            )
        )
    point = None
    point_id = body.get("point")
    if point_id is not None:
        point = CollectionPoint.objects.filter(pk=point_id if isinstance(point_id, int) else -1).first()
        if point is None:
            raise Refused(_("Unknown collection point."))
    receipt = offtake.receipt_record(
        member=member,
        collected_at=at,
        lines=lines,
        point=point,
        collector=device.user,
        note=_text(body, "note"),
        may_override_price=True,
        client_key=key,
        field_no=no,
        actor=device.user,
        terms=terms,
    )
    if receipt.recorded_before:
        # receipt_record found a receipt with this key (this record's own key was new: it
        # was claimed above), so it was made another way: nothing of this record is kept.
        raise Refused(_("This record's id was already used for a receipt made another way."), 409)
    tolerance = rules.price_tolerance_pct
    outcome = Outcome(state=State.APPLIED, status=201, number=receipt.code, receipt=receipt, member=member)
    for line in receipt.lines.all():
        seen, force = line.unit_price_vnd, line.list_price_vnd
        if force is None or abs(seen - force) * 100 > tolerance * force:
            outcome.state, outcome.seen_price, outcome.force_price = State.FLAGGED, seen, force
            if force is None:
                outcome.message = _(
                    "Recorded at the price you saw (%(seen)s); there was no price in force: the accountant will look."
                ) % {"seen": format_vnd(seen)}
            else:
                outcome.message = _(
                    "Recorded at the price you saw (%(seen)s); the price in force was %(force)s: "
                    "the accountant will look."
                ) % {"seen": format_vnd(seen), "force": format_vnd(force)}
            break
    return outcome


def _owed(member) -> int:
    balance = member_balance(member)
    return max(0, balance.receivable - balance.payable)


def _apply_advance(
    *, device: Device, key: uuid.UUID, no: str, at: dt.datetime, body: dict, rules: FieldSettings
) -> Outcome:
    member = _member(body)
    amount = _int(body, "amount", low=1)
    try:
        bounds.check_money("advance", amount)
    except ValidationError as error:
        raise Refused(error.messages[0]) from None
    memo = _text(body, "memo") or _("Cash advance (field app %(no)s)") % {"no": no}
    # The member's lock first: two phones giving advances to one member at once are
    # serialised, and the second sees the first when it checks the limit.
    member = members_lock(Member, [member.pk])[member.pk]
    limit = rules.advance_limit_vnd
    if _owed(member) + amount > limit:
        return Outcome(
            state=State.PENDING,
            status=202,
            member=member,
            message=_("Over the member's advance limit (%(limit)s): waiting for the chair's approval.")
            % {"limit": format_vnd(limit)},
        )
    entry = ledger.advance_give(
        member=member, amount=amount, occurred_at=at, memo=memo, actor=device.user, source=("sync", str(key))
    )
    return Outcome(state=State.APPLIED, status=201, number=entry.code, entry=entry, member=member)


def _apply_loan(
    *, device: Device, key: uuid.UUID, no: str, at: dt.datetime, body: dict, rules: FieldSettings
) -> Outcome:
    member = _member(body)
    value = _int(body, "value", low=1)
    entry = ledger.input_loan_give(
        member=member,
        item=_text(body, "item", required=True, limit=120),
        quantity=_decimal(body.get("qty"), "qty"),
        unit=_text(body, "unit", limit=20),
        value=value,
        occurred_at=at,
        memo=_text(body, "memo"),
        actor=device.user,
    )
    return Outcome(state=State.APPLIED, status=201, number=entry.code, entry=entry, member=member)


def _apply_household(
    *, device: Device, key: uuid.UUID, no: str, at: dt.datetime, body: dict, rules: FieldSettings
) -> Outcome:
    name = _text(body, "name", required=True, limit=120)
    phone = None
    raw_phone = _text(body, "phone", limit=20)
    if raw_phone:
        try:
            phone = normalize_phone(raw_phone)
        except InvalidPhone:
            raise Refused(_("“%(phone)s” is not a Vietnamese phone number.") % {"phone": raw_phone}) from None
        same = Member.objects.filter(phone=phone, status=MemberStatus.ACTIVE).first()
        if same is not None:
            return Outcome(
                state=State.APPLIED,
                status=201,
                number=same.full_name,
                member=same,
                message=_(
                    "Already a member with this phone number: %(name)s. Records for this household go to them."
                )
                % {"name": same.full_name},
            )
    commune = _int(body, "commune", low=1)
    birth_year = _int(body, "birth_year", required=False, low=0)
    gender = _text(body, "gender", limit=8)
    ethnicity = _text(body, "ethnicity", limit=10)
    member = coop_services.member_create(
        data=coop_services.MemberInput(
            full_name=name,
            commune_code=commune,
            joined_on=timezone.localdate(at),
            village_name=_text(body, "village", limit=120),
            gender=gender,
            ethnicity=ethnicity,
            birth_year=birth_year,
            phone=phone,
            notes=_("Registered on the field app (%(no)s): provisional until staff accept it.") % {"no": no},
        ),
        actor=device.user,
    )
    return Outcome(
        state=State.PROVISIONAL,
        status=201,
        number=member.full_name,
        member=member,
        message=_("New household recorded; staff will check it."),
    )


APPLY = {
    Kind.RECEIPT: _apply_receipt,
    Kind.ADVANCE: _apply_advance,
    Kind.LOAN: _apply_loan,
    Kind.HOUSEHOLD: _apply_household,
}


def answer_of(record: SyncRecord, *, replay: bool = False) -> dict:
    """The answer to the phone for a stored record (its first answer, kept up to date by
    the review), with ``replay`` on a repeated arrival."""
    answer = dict(record.answer)
    if replay:
        answer["replay"] = True
        if answer.get("status") == 201:
            answer["status"] = 200
    return answer


def _replay(existing: SyncRecord, body_hash: str, key: str) -> dict:
    if existing.body_hash != body_hash:
        return {
            "key": key,
            "status": 409,
            "state": "conflict",
            "message": _(
                "This record's id was already used for other contents: nothing was stored. "
                "Make a new record for it."
            ),
        }
    return answer_of(existing, replay=True)


def _refusal(key: str, message: str, status: int = 422) -> dict:
    return {
        "key": key,
        "status": status,
        "state": "refused" if status != 503 else "retry",
        "message": message,
    }


def record_apply(*, device: Device, record: dict, via: str, rules: FieldSettings | None = None) -> dict:
    """Apply ONE record from a phone exactly once and return its answer (see the module
    doc and docs/sync-protocol.md). Never raises for bad input: every refusal is an answer.
    ``rules``: the cooperative's field settings, read once by a batch (else here)."""
    raw_key = record.get("key") if isinstance(record, dict) else None
    key_text = str(raw_key)[:40] if raw_key is not None else ""
    if not isinstance(record, dict):
        return _refusal("", _("A record must be a JSON object."))
    try:
        key = uuid.UUID(str(raw_key))
    except (ValueError, TypeError):
        return _refusal(key_text, _("The record has no valid id (key)."))
    key_text = str(key)
    if via not in Via.values:
        raise ValueError(via)
    with tenant(device.cooperative):
        body_hash = canonical_hash(record)
        if device.revoked_at is not None:
            existing = SyncRecord.objects.filter(key=key).first()
            if existing is not None:
                return _replay(existing, body_hash, key_text)
            # The API refuses a revoked phone before this; the SMS hand-over relies on it.
            # What it sent before stays (the replay above); nothing new is stored.
            return {
                "key": key_text,
                "status": 401,
                "state": "refused",
                "message": _("This phone was switched off by the cooperative: nothing new is recorded from it."),
            }
        try:
            return _record_new(
                device=device,
                record=record,
                via=via,
                key=key,
                body_hash=body_hash,
                rules=rules if rules is not None else field_settings(),
            )
        except IntegrityError:
            # The key is already stored (a phone sending again), or arrived at the same
            # moment from another request (which won): this one stored nothing and answers
            # as a replay. Claiming first and reading only then costs a new record nothing.
            existing = SyncRecord.objects.filter(key=key).first()
            if existing is None:  # pragma: no cover - a constraint other than the key's
                raise
            return _replay(existing, body_hash, key_text)


@transaction.atomic
def _record_new(
    *, device: Device, record: dict, via: str, key: uuid.UUID, body_hash: str, rules: FieldSettings
) -> dict:
    coop = device.cooperative
    kind = record.get("kind")
    no = record.get("no") if isinstance(record.get("no"), str) else ""
    body = record.get("body")
    # Claim the key first: a second request with this key waits here for this one.
    stored = SyncRecord.objects.create(
        cooperative=coop,
        key=key,
        device=device,
        via=via,
        kind=kind if kind in Kind.values else Kind.RECEIPT,
        no=no[:12],
        at=timezone.now(),
        body=body if isinstance(body, dict) else {},
        body_hash=body_hash,
        state=State.REFUSED,
        status=422,
        answer={},
    )
    outcome: Outcome
    try:
        if kind not in Kind.values:
            raise Refused(_("Unknown kind of record: %(kind)s.") % {"kind": str(kind)[:20]})
        if not isinstance(body, dict):
            raise Refused(_("The record has no body."))
        if not no or len(no) > 12:
            raise Refused(_("The record has no provisional number."))
        at = _at(record)
        stored.at = at
        with transaction.atomic():
            outcome = APPLY[kind](device=device, key=key, no=no, at=at, body=body, rules=rules)
    except Refused as refused:
        if refused.status == 503:
            transaction.set_rollback(True)
            return _refusal(str(key), refused.message, 503)
        if refused.status == 409:
            transaction.set_rollback(True)
            return {"key": str(key), "status": 409, "state": "conflict", "message": refused.message}
        outcome = Outcome(state=State.REFUSED, status=422, message=refused.message)
    except ValidationError as error:
        outcome = Outcome(state=State.REFUSED, status=422, message=" ".join(str(m) for m in error.messages))
    answer = {"key": str(key), "status": outcome.status, "state": stored.phone_state_for(outcome.state)}
    if outcome.number:
        answer["number"] = outcome.number
    if outcome.member is not None and kind == Kind.HOUSEHOLD:
        answer["member"] = str(outcome.member.uuid)
    if outcome.message:
        answer["message"] = outcome.message
    stored.state = outcome.state
    stored.status = outcome.status
    stored.answer = answer
    stored.receipt = outcome.receipt
    stored.entry = outcome.entry
    stored.member = outcome.member
    stored.seen_price_vnd = outcome.seen_price
    stored.force_price_vnd = outcome.force_price
    stored.save()
    return answer


@dataclass
class BatchResult:
    results: list[dict]


def push_check(*, raw_size: int, records) -> None:
    """A batch is read whole or refused whole (nothing stored): a list of at most 200
    records in at most 256 KB."""
    if raw_size > MAX_BATCH_BYTES:
        raise ValidationError(
            _("The batch is larger than %(kb)s KB: send fewer records at a time.")
            % {"kb": MAX_BATCH_BYTES // 1024},
            code="too_large",
        )
    if not isinstance(records, list):
        raise ValidationError(_("The batch has no list of records."), code="malformed")
    if len(records) > MAX_BATCH_RECORDS:
        raise ValidationError(
            _("A batch has at most %(max)s records; this one has %(n)s: nothing was stored.")
            % {"max": MAX_BATCH_RECORDS, "n": len(records)},
            code="too_many",
        )


def push_batch(*, device: Device, records: list, pending: int | None, raw_size: int) -> BatchResult:
    """Apply a batch, record by record, each in its own transaction; one answer each. The
    field settings and the messaging rules are read once for the batch (one request)."""
    push_check(raw_size=raw_size, records=records)
    with tenant(device.cooperative):
        rules = field_settings()
    with outbox.rules_read_once():
        results = [record_apply(device=device, record=record, via=Via.API, rules=rules) for record in records]
    device_touch(device=device, pending=pending, pushed=True)
    return BatchResult(results=results)


# --- review ----------------------------------------------------------------------------------


def _reviewed(record: SyncRecord, *, state: str, actor, note: str, **answer) -> SyncRecord:
    record.state = state
    record.reviewed_by = actor if getattr(actor, "pk", None) else None
    record.reviewed_at = timezone.now()
    record.review_note = note[:200]
    record.answer = {**record.answer, "state": record.phone_state_for(state), **answer}
    record.save(
        update_fields=["state", "reviewed_by", "reviewed_at", "review_note", "answer", "entry", "member"]
    )
    audit_record(
        action=f"field.{state}",
        actor=actor,
        cooperative=record.cooperative,
        obj=record,
        data={"note": note[:200]},
    )
    return record


def _claim(record: SyncRecord, expected: str, state: str) -> SyncRecord:
    """Move a record from ``expected`` to ``state`` with one conditional UPDATE: of two
    reviewers at the same moment, the second is told it was already done."""
    if not SyncRecord.objects.filter(pk=record.pk, state=expected).update(state=state):
        raise ValidationError(_("This record was already reviewed: reload the page."), code="reviewed")
    return SyncRecord.objects.get(pk=record.pk)


def _note(note: str, *, required: bool) -> str:
    note = " ".join((note or "").split())
    if required and not note:
        raise ValidationError(_("Give the reason."), code="reason")
    if len(note) > 200:
        raise ValidationError(_("The reason is too long: at most 200 characters."), code="reason")
    return note


@transaction.atomic
def flagged_accept(*, record: SyncRecord, note: str = "", actor=None) -> SyncRecord:
    """The accountant keeps a flagged receipt at the collector's price."""
    note = _note(note, required=False)
    record = _claim(record, State.FLAGGED, State.ACCEPTED)
    return _reviewed(record, state=State.ACCEPTED, actor=actor, note=note)


@transaction.atomic
def flagged_void(*, record: SyncRecord, reason: str, actor=None) -> SyncRecord:
    """The accountant voids a flagged receipt through the normal void (reversing entry)."""
    reason = _note(reason, required=True)
    record = _claim(record, State.FLAGGED, State.VOIDED)
    offtake.receipt_void(receipt=record.receipt, reason=reason, actor=actor)
    return _reviewed(
        record,
        state=State.VOIDED,
        actor=actor,
        note=reason,
        message=_("Voided by the cooperative: %(reason)s") % {"reason": reason},
    )


@transaction.atomic
def advance_approve(*, record: SyncRecord, note: str = "", actor=None) -> SyncRecord:
    """The chair approves an advance over the limit: now it goes into the ledger."""
    note = _note(note, required=False)
    record = _claim(record, State.PENDING, State.APPROVED)
    body = record.body
    entry = ledger.advance_give(
        member=record.member,
        amount=int(body.get("amount", 0)),
        occurred_at=record.at,
        memo=body.get("memo") or _("Cash advance (field app %(no)s)") % {"no": record.no},
        actor=actor,
        source=("sync", str(record.key)),
    )
    record.entry = entry
    return _reviewed(
        record,
        state=State.APPROVED,
        actor=actor,
        note=note,
        number=entry.code,
        status=201,
        message=_("Approved by the chair."),
    )


@transaction.atomic
def advance_decline(*, record: SyncRecord, reason: str, actor=None) -> SyncRecord:
    reason = _note(reason, required=True)
    record = _claim(record, State.PENDING, State.DECLINED)
    return _reviewed(
        record,
        state=State.DECLINED,
        actor=actor,
        note=reason,
        status=422,
        message=_("Declined by the chair: %(reason)s") % {"reason": reason},
    )


def _has_records(member: Member) -> bool:
    return member.receipts.exists() or member.ledger_entries.exists()


@transaction.atomic
def household_accept(*, record: SyncRecord, note: str = "", actor=None) -> SyncRecord:
    note = _note(note, required=False)
    record = _claim(record, State.PROVISIONAL, State.ACCEPTED)
    return _reviewed(record, state=State.ACCEPTED, actor=actor, note=note)


@transaction.atomic
def household_merge(*, record: SyncRecord, into: Member, actor=None) -> SyncRecord:
    """The household was already a member: the provisional one leaves (it has no records
    yet), and later records naming the household's key go to ``into``."""
    if into.pk == record.member_id or into.status != MemberStatus.ACTIVE:
        raise ValidationError(_("Choose another, active member to merge into."), code="into")
    if _has_records(record.member):
        raise ValidationError(
            _("This household already has receipts or ledger entries: it cannot be merged."),
            code="has_records",
        )
    record = _claim(record, State.PROVISIONAL, State.MERGED)
    provisional = record.member
    coop_services.member_leave(
        member=provisional,
        left_on=timezone.localdate(),
        reason=_("Merged into %(name)s") % {"name": into.full_name},
        actor=actor,
    )
    record.member = into
    return _reviewed(
        record,
        state=State.MERGED,
        actor=actor,
        note=into.full_name,
        number=into.full_name,
        member=str(into.uuid),
    )


@transaction.atomic
def household_decline(*, record: SyncRecord, reason: str, actor=None) -> SyncRecord:
    reason = _note(reason, required=True)
    if _has_records(record.member):
        raise ValidationError(
            _("This household already has receipts or ledger entries: it cannot be declined; accept it."),
            code="has_records",
        )
    record = _claim(record, State.PROVISIONAL, State.DECLINED)
    coop_services.member_leave(member=record.member, left_on=timezone.localdate(), reason=reason, actor=actor)
    return _reviewed(
        record,
        state=State.DECLINED,
        actor=actor,
        note=reason,
        message=_("Declined by the cooperative: %(reason)s") % {"reason": reason},
    )

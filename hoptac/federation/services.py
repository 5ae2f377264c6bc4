"""The alliance's writes: directory imports, starting a cooperative from an entry with its
chair's invitation, and requests to join.

Every function here is keyword-only and atomic, and writes an audit row with the acting
officer (or platform administrator). Who may call them (an officer of the province, or a
superuser) is checked by the views (``federation/access.py``); the services take the
province from the records they change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hoptac.coops import services as coop_services
from hoptac.coops.models import Cooperative, InvitationStatus, StaffInvitation
from hoptac.core.audit import audit_record
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.federation.directory import Matcher, name_key
from hoptac.federation.models import (
    DirectoryEntry,
    DirectoryImport,
    ImportStatus,
    JoinRequest,
    JoinStatus,
)
from hoptac.lib import places
from hoptac.lib.text import unaccent
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Kind

RESEND_SECONDS = 60  # a second invitation to the same phone within this is a double tap

ENTRY_FIELDS = (
    "kind",
    "name",
    "tax_code",
    "commune_code",
    "sectors",
    "chair_name",
    "phone",
    "members_count",
    "founded_year",
    "ocop_products",
)


# --- the directory import ----------------------------------------------------------------


@dataclass
class Applied:
    created: int = 0
    updated: int = 0
    linked: int = 0


@transaction.atomic
def directory_import_stage(*, province_code: int, rows: list[dict], file_name: str, actor) -> DirectoryImport:
    """Keep a checked file (``directory.check_file``'s rows) until it is applied."""
    staged = DirectoryImport.objects.create(
        province_code=province_code, rows=rows, file_name=file_name[:200], uploaded_by=actor
    )
    audit_record(
        action="alliance.directory_stage",
        actor=actor,
        obj=staged,
        data={
            "province": province_code,
            "rows": len(rows),
            "doubtful": sum(r["action"] == "doubt" for r in rows),
        },
    )
    return staged


def _entry_values(row: dict) -> dict:
    """The row's values that say something: an empty cell does not erase what the entry has."""
    values = {key: row[key] for key in ENTRY_FIELDS if row.get(key) not in (None, "", [])}
    if "name" in values:
        values["name_key"] = name_key(values["name"])
    return values


@transaction.atomic
def directory_import_apply(*, staged: DirectoryImport, choices: dict[int, str], actor) -> Applied:
    """Apply every row of a staged import, or none. ``choices`` answers each doubtful row
    (by its row number): ``"new"`` or the id of the entry it is."""
    claimed = DirectoryImport.objects.filter(pk=staged.pk, status=ImportStatus.REVIEW).update(
        status=ImportStatus.APPLIED, decided_at=timezone.now()
    )
    if claimed != 1:
        raise ValidationError(_("This import was already applied or discarded."), code="done")
    province = staged.province_code
    # Matched again now: entries added since the file was checked are not added twice.
    matcher = Matcher(province)
    entries = {e.pk: e for e in DirectoryEntry.objects.filter(province_code=province)}
    missing = []
    result = Applied()
    for row in staged.rows:
        action = row["action"]
        if action == "doubt":
            choice = str(choices.get(row["row"], ""))
            allowed = {str(c["id"]) for c in row["candidates"]} | {"new"}
            if choice not in allowed:
                missing.append(row["row"])
                continue
            action, entry_id = ("new", None) if choice == "new" else ("update", int(choice))
        elif action == "new":
            again = matcher.match(row)
            action, entry_id = ("update", again["entry"]) if again["action"] == "update" else ("new", None)
        else:
            entry_id = row["entry"]
        values = _entry_values(row)
        if action == "update":
            entry = entries.get(entry_id)
            if entry is None:
                raise ValidationError(
                    _("Row %(row)s: the entry it matched was deleted meanwhile. Import the file again.")
                    % {"row": row["row"]},
                    code="gone",
                )
            for key, value in values.items():
                setattr(entry, key, value)
            entry.save()
            result.updated += 1
            continue
        coop_id = row.get("cooperative")
        if coop_id and DirectoryEntry.objects.filter(cooperative_id=coop_id).exists():
            coop_id = None
        entry = DirectoryEntry.objects.create(province_code=province, cooperative_id=coop_id, **values)
        matcher.by_name.setdefault(entry.name_key, []).append(entry)
        if entry.tax_code:
            matcher.by_tax[entry.tax_code] = entry
        entries[entry.pk] = entry
        result.created += 1
        result.linked += bool(coop_id)
    if missing:
        raise ValidationError(
            _(
                "Say for each doubtful row whether it is an entry of the directory or a new one (rows %(rows)s)."
            )
            % {"rows": ", ".join(str(n) for n in missing)},
            code="choices",
        )
    audit_record(
        action="alliance.directory_import",
        actor=actor,
        obj=staged,
        data={
            "province": province,
            "created": result.created,
            "updated": result.updated,
            "linked": result.linked,
        },
    )
    return result


@transaction.atomic
def directory_import_discard(*, staged: DirectoryImport, actor) -> None:
    done = DirectoryImport.objects.filter(pk=staged.pk, status=ImportStatus.REVIEW).update(
        status=ImportStatus.DISCARDED, decided_at=timezone.now()
    )
    if done != 1:
        raise ValidationError(_("This import was already applied or discarded."), code="done")
    audit_record(action="alliance.directory_discard", actor=actor, obj=staged)


@transaction.atomic
def directory_add_platform(*, province_code: int, actor) -> int:
    """Add to the directory the cooperatives of the province that use the platform but are
    not in it (started before the directory, or in the admin); returns how many."""
    coops = list(
        Cooperative.objects.filter(province_code=province_code, is_active=True, directory_entry__isnull=True)
    )
    DirectoryEntry.objects.bulk_create(
        DirectoryEntry(
            province_code=province_code,
            cooperative=coop,
            kind=coop.kind,
            name=coop.name,
            name_key=name_key(coop.name),
            tax_code=coop.tax_code,
            commune_code=coop.commune_code,
            sectors=coop.sectors,
            phone=coop.phone,
            founded_year=coop.founded_on.year if coop.founded_on else None,
        )
        for coop in coops
    )
    audit_record(
        action="alliance.directory_add_platform",
        actor=actor,
        data={"province": province_code, "added": len(coops)},
    )
    return len(coops)


# --- starting a cooperative and inviting its chair ---------------------------------------


def slug_suggest(name: str) -> str:
    """A free short address for a name: ``"HTX Chè Shan Tuyết Lũng Phìn"`` → ``che-shan-tuyet-lung-phin``."""
    base = slugify(unaccent(name_key(name)))[:50].strip("-") or "htx"
    slug, number = base, 2
    while Cooperative.objects.filter(slug=slug).exists():
        slug = f"{base}-{number}"
        number += 1
    return slug


def _check_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not slug or slugify(slug) != slug or len(slug) > 60:
        raise ValidationError(
            _("Use lower-case letters without accents, digits and dashes, e.g. tuan-dung."), code="slug"
        )
    if Cooperative.objects.filter(slug=slug).exists():
        raise ValidationError(_("Another cooperative already uses this short address."), code="slug_taken")
    return slug


def _invite_chair(*, coop: Cooperative, phone: str, full_name: str, link_for: Callable[[str], str], actor):
    """The chair's invitation in ``coop`` and its SMS, in the caller's transaction."""
    with tenant(coop):
        invitation, token = coop_services.invitation_create(
            phone=phone, full_name=full_name, role=Role.CHAIR, actor=actor
        )
        text = pgettext(
            "sms",
            "The cooperative alliance opened %(coop)s on Hop Tac, with you as its chair. "
            "Open this link within %(days)s days to set your password: %(link)s",
        ) % {"coop": coop.name, "days": coop_services.INVITATION_DAYS, "link": link_for(token)}
        outbox.queue(
            kind=Kind.OTHER,
            text=text,
            name=full_name,
            phone=phone,
            channels=["sms"],
            source_type="invitation",
            source_id=str(invitation.pk),
            actor=actor,
        )
    return invitation


def _create_cooperative(*, values: dict, slug: str, actor) -> Cooperative:
    coop = Cooperative.objects.create(
        slug=_check_slug(slug),
        kind=values["kind"],
        name=values["name"],
        tax_code=values.get("tax_code", ""),
        province_code=values["province_code"],
        commune_code=values["commune_code"],
        sectors=values.get("sectors") or [],
        phone=values.get("phone", ""),
    )
    audit_record(
        action="alliance.coop_start",
        actor=actor,
        cooperative=coop,
        obj=coop,
        data={"slug": coop.slug, "province": coop.province_code},
    )
    return coop


@transaction.atomic
def cooperative_start(
    *,
    entry: DirectoryEntry,
    slug: str,
    chair_phone: str,
    chair_name: str,
    link_for: Callable[[str], str],
    actor,
) -> tuple[Cooperative, StaffInvitation]:
    """Open the cooperative of a directory entry on the platform (empty, ready to use) and
    invite its chair by SMS: a one-time link, valid for ``INVITATION_DAYS`` days."""
    entry = DirectoryEntry.objects.get(pk=entry.pk)
    if entry.cooperative_id is not None:
        raise ValidationError(_("This cooperative already uses the platform."), code="started")
    coop = _create_cooperative(
        values={
            field: getattr(entry, field)
            for field in ("kind", "name", "tax_code", "province_code", "commune_code", "sectors", "phone")
        },
        slug=slug,
        actor=actor,
    )
    updated = DirectoryEntry.objects.filter(pk=entry.pk, cooperative__isnull=True).update(cooperative=coop)
    if updated != 1:
        raise ValidationError(_("This cooperative already uses the platform."), code="started")
    invitation = _invite_chair(
        coop=coop, phone=chair_phone, full_name=chair_name, link_for=link_for, actor=actor
    )
    return coop, invitation


@transaction.atomic
def chair_invite(
    *, entry: DirectoryEntry, phone: str, full_name: str, link_for: Callable[[str], str], actor
) -> StaffInvitation:
    """Invite (again) the chair of a cooperative started from the directory that has no
    chair yet; an earlier invitation to the same phone stops working."""
    coop = entry.cooperative
    if coop is None:
        raise ValidationError(_("Start the cooperative on the platform first."), code="not_started")
    with tenant(coop):
        if coop.staff_memberships.filter(role=Role.CHAIR).exists():
            raise ValidationError(
                _("This cooperative has a chair already; the chair gives roles on its Staff page."),
                code="has_chair",
            )
        recent = timezone.now() - dt.timedelta(seconds=RESEND_SECONDS)
        if StaffInvitation.objects.filter(
            phone=phone, status=InvitationStatus.PENDING, sent_at__gte=recent
        ).exists():
            raise ValidationError(
                _("An invitation was sent to this phone less than a minute ago; wait for it to arrive."),
                code="just_sent",
            )
    return _invite_chair(coop=coop, phone=phone, full_name=full_name, link_for=link_for, actor=actor)


# --- requests to join --------------------------------------------------------------------


@transaction.atomic
def join_request_create(*, data: dict) -> JoinRequest:
    """A cooperative asks to join, from the public page (no account)."""
    province = places.commune_province(data["commune_code"])
    if province is None:
        raise ValidationError(_("Choose the commune / ward from the list."), code="commune")
    key = name_key(data["name"])
    for waiting in JoinRequest.objects.filter(
        province_code=province, phone=data["phone"], status=JoinStatus.PENDING
    ):
        if name_key(waiting.name) == key:
            return waiting  # sent twice: the first request
    request = JoinRequest.objects.create(province_code=province, **data)
    audit_record(action="alliance.join_request", obj=request, data={"province": province})
    return request


def _open_request(join_request: JoinRequest) -> JoinRequest:
    fresh = JoinRequest.objects.get(pk=join_request.pk)
    if fresh.status != JoinStatus.PENDING:
        raise ValidationError(_("This request was already answered."), code="answered")
    return fresh


def _decide(join_request: JoinRequest, *, status: str, reason: str, actor, entry=None) -> None:
    updated = JoinRequest.objects.filter(pk=join_request.pk, status=JoinStatus.PENDING).update(
        status=status, reason=reason, decided_by=actor, decided_at=timezone.now(), entry=entry
    )
    if updated != 1:
        raise ValidationError(_("This request was already answered."), code="answered")


@transaction.atomic
def join_request_approve(
    *, join_request: JoinRequest, slug: str, link_for: Callable[[str], str], actor
) -> Cooperative:
    """Approve a request: its directory entry (found by tax code or name and commune, or
    added), the cooperative opened on the platform, and its chair invited by SMS."""
    join_request = _open_request(join_request)
    row = {
        field: getattr(join_request, field)
        for field in (
            "kind",
            "name",
            "tax_code",
            "commune_code",
            "sectors",
            "chair_name",
            "phone",
            "members_count",
        )
    }
    found = Matcher(join_request.province_code).match(row)
    if found["action"] == "update":
        entry = DirectoryEntry.objects.get(pk=found["entry"])
        if entry.cooperative_id is not None:
            raise ValidationError(
                _("%(name)s already uses the platform (its directory entry is linked).")
                % {"name": entry.name},
                code="started",
            )
    else:
        entry = DirectoryEntry.objects.create(province_code=join_request.province_code, **_entry_values(row))
    _decide(join_request, status=JoinStatus.APPROVED, reason="", actor=actor, entry=entry)
    coop, _invitation = cooperative_start(
        entry=entry,
        slug=slug,
        chair_phone=join_request.phone,
        chair_name=join_request.chair_name,
        link_for=link_for,
        actor=actor,
    )
    audit_record(action="alliance.join_approve", actor=actor, cooperative=coop, obj=join_request)
    return coop


@transaction.atomic
def join_request_decline(*, join_request: JoinRequest, reason: str, actor) -> JoinRequest:
    """Decline a request with a reason, which the requester reads on the request's page."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Write the reason: the cooperative reads it."), code="reason")
    join_request = _open_request(join_request)
    _decide(join_request, status=JoinStatus.DECLINED, reason=reason[:2000], actor=actor)
    audit_record(
        action="alliance.join_decline", actor=actor, obj=join_request, data={"reason": reason[:2000]}
    )
    join_request.refresh_from_db()
    return join_request

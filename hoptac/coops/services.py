"""Writes for cooperatives and members. Every function runs in one transaction and
writes an audit row with the acting user."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.accounts.models import Membership
from hoptac.coops.models import (
    Cooperative,
    InvitationStatus,
    Member,
    MemberGroup,
    MemberStatus,
    StaffInvitation,
    Village,
)
from hoptac.core import pagecache
from hoptac.core.audit import audit_record
from hoptac.core.tenancy import require_cooperative, tenant
from hoptac.lib import bounds
from hoptac.lib.text import fold


@dataclass
class MemberInput:
    """What a person (a form, an Excel row, the API) says about a household."""

    full_name: str
    commune_code: int
    joined_on: dt.date
    village_name: str = ""
    gender: str = ""
    ethnicity: str = ""
    birth_year: int | None = None
    phone: str | None = None
    member_type: str = "official"
    capital_vnd: int = 0
    bank_bin: str = ""
    bank_account: str = ""
    notes: str = ""
    email: str = ""
    channels: str = "sms"
    group_ids: list[int] = field(default_factory=list)
    # A household that has already left (e.g. a re-imported export): date and reason.
    left_on: dt.date | None = None
    left_reason: str = ""


def _search_text(member: Member, village_name: str) -> str:
    """Folded words with a leading space, so that a search matches the start of words:
    " nguyen van duc 0987654321 pa vi thuong"."""
    return " " + fold(" ".join(filter(None, [member.full_name, member.phone or "", village_name])))[:399]


def village_get_or_create(*, commune_code: int, name: str) -> Village | None:
    """The current cooperative's village of that name in that commune, created if new.

    Names are matched without accents or case, so "Pả Vi" and "pa vi" are one village.
    """
    name = " ".join((name or "").split())
    if not name:
        return None
    if name == name.lower():  # "pả vi thượng" is written "Pả Vi Thượng"
        name = name.title()
    key = fold(name)
    for village in Village.objects.filter(commune_code=commune_code):
        if fold(village.name) == key:
            return village
    return Village.objects.create(cooperative=require_cooperative(), commune_code=commune_code, name=name)


def _apply(member: Member, data: MemberInput) -> Village | None:
    village = village_get_or_create(commune_code=data.commune_code, name=data.village_name)
    member.full_name = " ".join(data.full_name.split())
    member.gender = data.gender
    member.ethnicity = data.ethnicity
    member.birth_year = data.birth_year
    member.phone = data.phone or None
    member.village = village
    member.commune_code = data.commune_code
    member.member_type = data.member_type
    member.joined_on = data.joined_on
    member.capital_vnd = data.capital_vnd
    member.bank_bin = data.bank_bin
    member.bank_account = data.bank_account
    member.notes = data.notes
    member.email = data.email
    member.channels = data.channels or "sms"
    member.search_text = _search_text(member, village.name if village else "")
    return village


def duplicate_reason(data: MemberInput, *, exclude_pk: int | None = None) -> str | None:
    """Why ``data`` would duplicate a household already in the current cooperative, if it does."""
    others = Member.objects.all()
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    if (
        data.phone
        and data.left_on is None
        and others.filter(phone=data.phone, status=MemberStatus.ACTIVE).exists()
    ):
        return _("Another member already has the phone number %(phone)s.") % {"phone": data.phone}
    if data.birth_year:
        key = fold(data.full_name)
        same = others.filter(
            birth_year=data.birth_year, commune_code=data.commune_code, search_text__startswith=" " + key
        )
        village_key = fold(data.village_name)
        for other in same.select_related("village"):
            if (
                fold(other.full_name) == key
                and fold(other.village.name if other.village else "") == village_key
            ):
                return _("%(name)s, born %(year)s, of the same village is already a member.") % {
                    "name": other.full_name,
                    "year": data.birth_year,
                }
    return None


def _check_groups(group_ids: list[int]) -> list[MemberGroup]:
    groups = list(MemberGroup.objects.filter(pk__in=group_ids))
    if len(groups) != len(set(group_ids)):
        raise ValidationError(_("A chosen group does not exist."))
    return groups


@transaction.atomic
def _check_bounds(data: MemberInput) -> None:
    """The documented bounds of lib.bounds, for every way in (page, import, API)."""
    bounds.check_money("capital", data.capital_vnd)
    bounds.check_date("join", data.joined_on, field=_("The join date"))
    if data.left_on is not None:
        bounds.check_date("join", data.left_on, field=_("The date of leaving"))
    if (
        data.birth_year is not None
        and not bounds.BIRTH_YEAR_MIN <= data.birth_year <= timezone.localdate().year
    ):
        raise ValidationError(_("The year of birth is out of range."), code="birth_year")


def member_create(*, data: MemberInput, actor=None) -> Member:
    coop = require_cooperative()
    _check_bounds(data)
    reason = duplicate_reason(data)
    if reason:
        raise ValidationError(reason, code="duplicate")
    groups = _check_groups(data.group_ids)
    member = Member(cooperative=coop)
    _apply(member, data)
    if data.left_on is not None:
        if data.left_on < data.joined_on or not data.left_reason.strip():
            raise ValidationError(
                _("A member who left needs a date of leaving after the join date and a reason.")
            )
        member.status, member.left_on, member.left_reason = (
            MemberStatus.LEFT,
            data.left_on,
            data.left_reason.strip(),
        )
    member.full_clean(exclude=["cooperative", "village"])
    member.save()
    member.groups.set(groups)
    audit_record(action="member.create", actor=actor, cooperative=coop, obj=member, data=_audit_data(data))
    return member


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)  # a farmer's name on trace pages
def member_update(*, member: Member, data: MemberInput, actor=None) -> Member:
    _check_bounds(data)
    coop = require_cooperative()
    if member.cooperative_id != coop.pk:
        raise ValidationError(_("This member belongs to another cooperative."))
    reason = duplicate_reason(data, exclude_pk=member.pk)
    if reason:
        raise ValidationError(reason, code="duplicate")
    groups = _check_groups(data.group_ids)
    _apply(member, data)
    member.full_clean(exclude=["cooperative", "village"])
    member.save()
    member.groups.set(groups)
    audit_record(action="member.update", actor=actor, cooperative=coop, obj=member, data=_audit_data(data))
    return member


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)
def member_leave(*, member: Member, left_on: dt.date, reason: str, actor=None) -> Member:
    """Record that a household left the cooperative. The row stays: history refers to it."""
    coop = require_cooperative()
    if member.status == MemberStatus.LEFT:
        raise ValidationError(_("This member has already left."), code="already_left")
    if left_on < member.joined_on:
        raise ValidationError(_("The date of leaving cannot be before the join date."), code="before_join")
    if left_on > timezone.localdate():
        raise ValidationError(_("The date of leaving cannot be in the future."), code="future")
    if not reason.strip():
        raise ValidationError(_("Please give the reason for leaving."), code="no_reason")
    member.status = MemberStatus.LEFT
    member.left_on = left_on
    member.left_reason = reason.strip()
    member.save(update_fields=["status", "left_on", "left_reason", "updated_at"])
    audit_record(
        action="member.leave",
        actor=actor,
        cooperative=coop,
        obj=member,
        data={"left_on": left_on.isoformat(), "reason": member.left_reason},
    )
    return member


@transaction.atomic
def member_rejoin(*, member: Member, actor=None) -> Member:
    coop = require_cooperative()
    if member.status == MemberStatus.ACTIVE:
        raise ValidationError(_("This member is already active."), code="already_active")
    if (
        member.phone
        and Member.objects.filter(phone=member.phone, status=MemberStatus.ACTIVE)
        .exclude(pk=member.pk)
        .exists()
    ):
        raise ValidationError(
            _("Another member already has the phone number %(phone)s.") % {"phone": member.phone}
        )
    member.status = MemberStatus.ACTIVE
    member.left_on = None
    member.left_reason = ""
    member.save(update_fields=["status", "left_on", "left_reason", "updated_at"])
    audit_record(action="member.rejoin", actor=actor, cooperative=coop, obj=member)
    return member


@transaction.atomic
def members_import(*, rows: list[MemberInput], actor=None) -> list[Member]:
    """Store every row or none: the caller has validated them all (see ``coops.excel``)."""
    coop = require_cooperative()
    created = [member_create(data=row, actor=actor) for row in rows]
    audit_record(action="member.import", actor=actor, cooperative=coop, data={"count": len(created)})
    return created


@transaction.atomic
def group_create(*, name: str, kind: str, description: str = "", actor=None) -> MemberGroup:
    coop = require_cooperative()
    name = " ".join(name.split())
    # Compared folded in Python, like villages and the import: SQLite's iexact ignores the
    # case of ASCII letters only, so "TỔ CHÈ" would slip past "Tổ chè".
    key = fold(name)
    if any(fold(other) == key for other in MemberGroup.objects.values_list("name", flat=True)):
        raise ValidationError(_("A group with this name already exists."), code="duplicate")
    group = MemberGroup.objects.create(cooperative=coop, name=name, kind=kind, description=description)
    audit_record(action="group.create", actor=actor, cooperative=coop, obj=group)
    return group


@transaction.atomic
def group_set_members(*, group: MemberGroup, member_ids: list[int], actor=None) -> MemberGroup:
    coop = require_cooperative()
    members = list(Member.objects.filter(pk__in=member_ids))
    if len(members) != len(set(member_ids)):
        raise ValidationError(_("A chosen member does not exist."))
    group.members.set(members)
    audit_record(
        action="group.members", actor=actor, cooperative=coop, obj=group, data={"count": len(members)}
    )
    return group


@transaction.atomic
@pagecache.changes(pagecache.CATALOGUE)  # its name and logo on public pages
def cooperative_update(*, cooperative: Cooperative, actor=None, **fields) -> Cooperative:
    allowed = {
        "kind",
        "name",
        "tax_code",
        "founded_on",
        "sectors",
        "commune_code",
        "village",
        "street",
        "phone",
        "email",
        "description",
        "logo",
        "backup_keep",
        "shares_personal_data",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    for key, value in fields.items():
        setattr(cooperative, key, value)
    cooperative.full_clean()
    cooperative.save()
    audit_record(
        action="cooperative.update",
        actor=actor,
        cooperative=cooperative,
        obj=cooperative,
        data={k: str(v) for k, v in fields.items() if k != "logo"},
    )
    return cooperative


def _audit_data(data: MemberInput) -> dict:
    values = asdict(data)
    values["joined_on"] = data.joined_on.isoformat()
    values["left_on"] = data.left_on.isoformat() if data.left_on else None
    return values


@transaction.atomic
def members_import_with_groups(
    *, rows: list[tuple[MemberInput, list[str]]], existing_groups: dict[str, int], actor=None
) -> list[Member]:
    """Store validated import rows, creating groups named in the file that do not exist yet."""
    coop = require_cooperative()
    groups = dict(existing_groups)
    for data, group_names in rows:
        ids = []
        for name in group_names:
            key = fold(name)
            if key not in groups:
                groups[key] = MemberGroup.objects.create(cooperative=coop, name=name, kind="manual").pk
            ids.append(groups[key])
        data.group_ids = ids
    return members_import(rows=[data for data, _names in rows], actor=actor)


INVITATION_DAYS = 7


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _token_hash(token)


def invitation_by_token(token: str) -> StaffInvitation | None:
    """The invitation of a link (any cooperative: the link itself is the key), or None."""
    if not token or len(token) > 100:
        return None
    return (
        StaffInvitation.unscoped.filter(token_hash=_token_hash(token), cooperative__is_active=True)
        .select_related("cooperative")
        .first()
    )


def _check_role(role: str) -> None:
    from hoptac.core.roles import STAFF_ROLES

    if role not in {r.value for r in STAFF_ROLES}:
        raise ValidationError(_("Choose a role from the list."), code="role")


@transaction.atomic
def invitation_create(*, phone: str, full_name: str, role: str, actor=None) -> tuple[StaffInvitation, str]:
    """Offer ``role`` in the current cooperative to whoever holds ``phone``; returns the
    invitation and the token of its link (shown once, never stored). An earlier pending
    invitation to the same phone is cancelled. Nothing here depends on whether the phone
    has an account: the answer to the chair must not tell."""
    coop = require_cooperative()
    _check_role(role)
    full_name = " ".join((full_name or "").split())
    now = timezone.now()
    for earlier in StaffInvitation.objects.filter(phone=phone, status=InvitationStatus.PENDING):
        earlier.status = InvitationStatus.CANCELLED
        earlier.answered_at = now
        earlier.save(update_fields=["status", "answered_at"])
        audit_record(action="staff.invite_cancel", actor=actor, cooperative=coop, obj=earlier)
    token, token_hash = _new_token()
    invitation = StaffInvitation.objects.create(
        cooperative=coop,
        token_hash=token_hash,
        phone=phone,
        full_name=full_name,
        role=role,
        invited_by=actor if getattr(actor, "pk", None) else None,
        sent_at=now,
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
    )
    audit_record(
        action="staff.invite", actor=actor, cooperative=coop, obj=invitation, data={"phone": phone, "role": role}
    )
    return invitation, token


def _open_invitation(invitation: StaffInvitation) -> None:
    if invitation.state != InvitationStatus.PENDING:
        raise ValidationError(invitation_closed_message(invitation), code=invitation.state)


def invitation_closed_message(invitation: StaffInvitation) -> str:
    return {
        InvitationStatus.ACCEPTED: _("This invitation has already been accepted."),
        InvitationStatus.DECLINED: _("This invitation was declined."),
        InvitationStatus.CANCELLED: _("This invitation was cancelled by the cooperative."),
        InvitationStatus.EXPIRED: _(
            "This invitation has expired. Ask the cooperative's chair to send it again."
        ),
    }.get(invitation.state, "")


@transaction.atomic
def invitation_renew(*, invitation: StaffInvitation, actor=None) -> str:
    """A new link (new token, new expiry) for a pending or expired invitation; returns the token."""
    coop = require_cooperative()
    invitation = StaffInvitation.objects.get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError(invitation_closed_message(invitation), code=invitation.status)
    token, invitation.token_hash = _new_token()
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + dt.timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit_record(action="staff.invite_resend", actor=actor, cooperative=coop, obj=invitation)
    return token


@transaction.atomic
def invitation_cancel(*, invitation_id: int, actor=None) -> StaffInvitation:
    coop = require_cooperative()
    invitation = StaffInvitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise StaffInvitation.DoesNotExist
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError(invitation_closed_message(invitation), code=invitation.status)
    invitation.status = InvitationStatus.CANCELLED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    audit_record(action="staff.invite_cancel", actor=actor, cooperative=coop, obj=invitation)
    return invitation


def _locked_invitation(invitation: StaffInvitation) -> StaffInvitation:
    """The row read again inside the transaction, so that two answers cannot both win."""
    fresh = StaffInvitation.unscoped.select_related("cooperative").get(pk=invitation.pk)
    _open_invitation(fresh)
    return fresh


@transaction.atomic
def invitation_accept(*, invitation: StaffInvitation, user) -> Membership:
    """The person with the invited phone, signed in, accepts: the role starts now. A member
    role is linked to the household with the same phone, when there is one."""
    from hoptac.accounts.services import membership_set
    from hoptac.core.roles import Role

    invitation = _locked_invitation(invitation)
    if not user.is_authenticated or user.phone != invitation.phone:
        raise ValidationError(
            _("This invitation is for another phone number."), code="other_person"
        )
    coop = invitation.cooperative
    with tenant(coop):
        current = Membership.objects.filter(user=user, cooperative=coop).first()
        if current and current.role == Role.CHAIR and invitation.role != Role.CHAIR:
            _ensure_another_chair(coop, user)
        member = None
        if invitation.role == Role.MEMBER:
            member = Member.objects.filter(phone=invitation.phone, status=MemberStatus.ACTIVE).first()
        membership = membership_set(user=user, cooperative=coop, role=invitation.role, member=member)
        updated = StaffInvitation.unscoped.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
            status=InvitationStatus.ACCEPTED, answered_by=user, answered_at=timezone.now()
        )
        if updated != 1:  # answered meanwhile by another request
            raise ValidationError(_("This invitation has already been answered."), code="answered")
        audit_record(
            action="staff.invite_accept",
            actor=user,
            cooperative=coop,
            obj=invitation,
            data={"user": user.pk, "role": invitation.role},
        )
    return membership


@transaction.atomic
def invitation_accept_new(*, invitation: StaffInvitation, full_name: str, password: str):
    """Someone without an account accepts: their account is made for the invited phone
    (with the password they chose) and the role starts. Returns the new user."""
    from hoptac.accounts.models import User
    from hoptac.accounts.services import user_create

    invitation = _locked_invitation(invitation)
    if User.objects.filter(phone=invitation.phone).exists():
        raise ValidationError(
            _("An account with this phone number already exists: sign in to accept the invitation."),
            code="has_account",
        )
    user = user_create(phone=invitation.phone, password=password, full_name=" ".join(full_name.split()))
    invitation_accept(invitation=invitation, user=user)
    return user


@transaction.atomic
def invitation_decline(*, invitation: StaffInvitation, user=None) -> StaffInvitation:
    """The invitee says no (signed in as the invited phone, or with the link alone)."""
    invitation = _locked_invitation(invitation)
    if user is not None and user.is_authenticated and user.phone != invitation.phone:
        raise ValidationError(_("This invitation is for another phone number."), code="other_person")
    invitation.status = InvitationStatus.DECLINED
    invitation.answered_by = user if user is not None and user.is_authenticated else None
    invitation.answered_at = timezone.now()
    updated = StaffInvitation.unscoped.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
        status=invitation.status, answered_by=invitation.answered_by, answered_at=invitation.answered_at
    )
    if updated != 1:
        raise ValidationError(_("This invitation has already been answered."), code="answered")
    audit_record(
        action="staff.invite_decline",
        actor=invitation.answered_by,
        cooperative=invitation.cooperative,
        obj=invitation,
    )
    return invitation


@transaction.atomic
def staff_role_change(*, membership_id: int, role: str, actor=None) -> Membership:
    """Change the role of someone already on this cooperative's staff (no consent needed:
    they already work here). A member role is linked to the household with the same phone."""
    from hoptac.accounts.services import membership_set
    from hoptac.core.roles import Role

    coop = require_cooperative()
    _check_role(role)
    membership = Membership.objects.filter(pk=membership_id, cooperative=coop).select_related("user").first()
    if membership is None:
        raise Membership.DoesNotExist
    user = membership.user
    if membership.role == Role.CHAIR and role != Role.CHAIR:
        _ensure_another_chair(coop, user)
    member = None
    if role == Role.MEMBER and user.phone:
        member = Member.objects.filter(phone=user.phone, status=MemberStatus.ACTIVE).first()
    membership = membership_set(user=user, cooperative=coop, role=role, member=member)
    audit_record(
        action="staff.set",
        actor=actor,
        cooperative=coop,
        obj=membership,
        data={"phone": user.phone, "role": role},
    )
    return membership


@transaction.atomic
def staff_password_set(*, membership_id: int, password: str, actor=None) -> None:
    """The chair sets a new password for a person who works with this cooperative only."""
    coop = require_cooperative()
    membership = Membership.objects.filter(pk=membership_id, cooperative=coop).select_related("user").first()
    if membership is None:
        raise Membership.DoesNotExist
    user = membership.user
    _check_password_reset_allowed(user, coop)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(action="staff.password_reset", actor=actor, cooperative=coop, data={"user": user.pk})


def _check_password_reset_allowed(user, coop) -> None:
    """A chair may set a new password only for a person who works with their cooperative
    alone: anyone else (another cooperative's staff, an alliance officer, a platform
    administrator) is reset by the platform administrator."""
    from hoptac.accounts.models import AllianceOfficer, Membership

    elsewhere = Membership.objects.filter(user=user).exclude(cooperative=coop).exists()
    if elsewhere or user.is_superuser or user.is_staff or AllianceOfficer.objects.filter(user=user).exists():
        raise ValidationError(
            _(
                "This person also has a role elsewhere: only the platform administrator can reset their password."
            ),
            code="password_elsewhere",
        )


def _ensure_another_chair(coop, leaving_user) -> None:
    from hoptac.accounts.models import Membership
    from hoptac.core.roles import Role

    others = Membership.objects.filter(cooperative=coop, role=Role.CHAIR).exclude(user=leaving_user)
    if not others.exists():
        raise ValidationError(
            _("A cooperative needs at least one chair: appoint another chair first."), code="last_chair"
        )


@transaction.atomic
def staff_remove(*, membership_id: int, actor=None) -> None:
    """Take away a person's role in the current cooperative (their account stays)."""
    from hoptac.accounts.models import Membership
    from hoptac.core.roles import Role

    coop = require_cooperative()
    membership = Membership.objects.filter(pk=membership_id, cooperative=coop).first()
    if membership is None:
        raise Membership.DoesNotExist
    if membership.role == Role.CHAIR:
        _ensure_another_chair(coop, membership.user)
    audit_record(
        action="staff.remove",
        actor=actor,
        cooperative=coop,
        obj=membership,
        data={"user": membership.user_id, "role": membership.role},
    )
    membership.delete()

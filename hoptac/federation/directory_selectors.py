"""Reads of the alliance's directory, imports and requests to join, always for one province
(the views check that the user may see it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from hoptac.coops.models import Cooperative, StaffInvitation
from hoptac.core.roles import Role
from hoptac.federation.directory import name_key
from hoptac.federation.models import DirectoryEntry, DirectoryImport, ImportStatus, JoinRequest, JoinStatus
from hoptac.lib.text import search_tokens


@dataclass(frozen=True)
class EntryFilters:
    q: str = ""
    kind: str = ""
    commune_code: int | None = None
    platform: str = ""  # "yes", "no" or "" (both)


def entry_list(province_code: int, filters: EntryFilters | None = None) -> QuerySet[DirectoryEntry]:
    filters = filters or EntryFilters()
    entries = DirectoryEntry.objects.filter(province_code=province_code).select_related("cooperative")
    if filters.q:
        digits = filters.q.replace(" ", "")
        if digits.replace("-", "").isdigit():
            entries = entries.filter(Q(tax_code__startswith=digits) | Q(phone__contains=digits))
        else:
            for token in search_tokens(name_key(filters.q)) or search_tokens(filters.q):
                entries = entries.filter(name_key__contains=token)
    if filters.kind:
        entries = entries.filter(kind=filters.kind)
    if filters.commune_code:
        entries = entries.filter(commune_code=filters.commune_code)
    if filters.platform == "yes":
        entries = entries.filter(cooperative__isnull=False, cooperative__is_active=True)
    elif filters.platform == "no":
        entries = entries.exclude(cooperative__isnull=False, cooperative__is_active=True)
    return entries


@dataclass(frozen=True)
class DirectoryCounts:
    total: int
    on_platform: int
    requests_pending: int


def directory_counts(province_code: int) -> DirectoryCounts:
    entries = DirectoryEntry.objects.filter(province_code=province_code)
    return DirectoryCounts(
        total=entries.count(),
        on_platform=entries.filter(cooperative__isnull=False, cooperative__is_active=True).count(),
        requests_pending=JoinRequest.objects.filter(
            province_code=province_code, status=JoinStatus.PENDING
        ).count(),
    )


def unlisted_cooperatives(province_code: int) -> int:
    """How many cooperatives of the province use the platform without a directory entry."""
    return Cooperative.objects.filter(
        province_code=province_code, is_active=True, directory_entry__isnull=True
    ).count()


def entry_by_code(code) -> DirectoryEntry | None:
    return DirectoryEntry.objects.select_related("cooperative").filter(code=code).first()


def chair_invitations(entry: DirectoryEntry) -> list[StaffInvitation]:
    """The chair invitations of the entry's cooperative, newest first: an explicit read
    across cooperatives (the alliance's page is outside any one of them)."""
    if entry.cooperative_id is None:
        return []
    return list(
        StaffInvitation.unscoped.filter(cooperative_id=entry.cooperative_id, role=Role.CHAIR).order_by(
            "-sent_at"
        )[:10]
    )


def has_chair(entry: DirectoryEntry) -> bool:
    return (
        entry.cooperative_id is not None
        and entry.cooperative.staff_memberships.filter(role=Role.CHAIR).exists()
    )


def import_by_code(code) -> DirectoryImport | None:
    return DirectoryImport.objects.filter(code=code).first()


def imports_waiting(province_code: int) -> QuerySet[DirectoryImport]:
    return DirectoryImport.objects.filter(province_code=province_code, status=ImportStatus.REVIEW).order_by(
        "-created_at"
    )


def join_requests(province_code: int, status: str = JoinStatus.PENDING) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(province_code=province_code, status=status).select_related("entry")


def join_request_by_code(code) -> JoinRequest | None:
    return JoinRequest.objects.select_related("entry__cooperative").filter(code=code).first()

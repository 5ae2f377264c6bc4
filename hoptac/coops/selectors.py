"""Reads for cooperatives and members. Scoped reads assume the current tenant is set."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet, Sum

from hoptac.accounts.selectors import alliance_provinces, memberships_of
from hoptac.coops.models import BACKUP_KEEP_DEFAULT, Cooperative, Member, MemberGroup, MemberStatus, Village
from hoptac.lib import places
from hoptac.lib.text import search_tokens

PICK_LIMIT = 10
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")


@dataclass(frozen=True)
class MemberFilters:
    q: str = ""
    status: str = ""
    member_type: str = ""
    village: int | None = None
    group: int | None = None
    gender: str = ""
    ethnicity: str = ""
    # False for a role without Perm.MEMBER_PERSONAL: numbers typed in the search are not
    # matched against phone numbers.
    by_phone: bool = True


def member_list(filters: MemberFilters | None = None) -> QuerySet[Member]:
    """Members of the current cooperative, filtered; accent-insensitive search on name,
    phone and village (``nguyen van`` finds ``Nguyễn Văn``)."""
    filters = filters or MemberFilters()
    qs = Member.objects.select_related("village")
    for token in search_tokens(filters.q):
        if not filters.by_phone and token.isdigit() and len(token) >= 3:
            # Only a phone number has such a word: match nothing rather than tell.
            return qs.none()
        qs = qs.filter(search_text__contains=" " + token)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.member_type:
        qs = qs.filter(member_type=filters.member_type)
    if filters.village:
        qs = qs.filter(village_id=filters.village)
    if filters.group:
        qs = qs.filter(groups__id=filters.group)
    if filters.gender:
        qs = qs.filter(gender=filters.gender)
    if filters.ethnicity:
        qs = qs.filter(ethnicity=filters.ethnicity)
    return qs.order_by("search_text", "id")


def _phone_digits(query: str) -> str:
    """The digits of a query written as a phone number, in the national form when it has
    the country code: ``+84 912 345`` -> ``0912345``, ``0912.345.678`` -> ``0912345678``;
    ``""`` when the query is not only digits and separators."""
    text = _PHONE_SEPARATORS.sub("", query.strip())
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("0084"):
        text = "0" + text[4:]
    elif text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    return text if text.isascii() and text.isdigit() else ""


def member_pick(query: str, *, by_phone: bool, limit: int = PICK_LIMIT) -> list[Member]:
    """The active members a person means by ``query`` in a member picker, at most ``limit``,
    in one query: every word matches the start of a word of the name or the village,
    without diacritics (``giang a pao`` finds ``Giàng A Páo``, ``sung tra`` finds Thôn Sủng
    Trà); a query of digits (spaces, dots and ``+84`` allowed) is a phone number or a
    part of one. Without ``by_phone`` (a role without Perm.MEMBER_PERSONAL) digits find
    nobody, so that the picker does not tell whose number it is."""
    query = (query or "")[:100]
    tokens = search_tokens(query)
    if not tokens:
        return []
    qs = Member.objects.filter(status=MemberStatus.ACTIVE).select_related("village")
    digits = _phone_digits(query)
    if digits:
        if not by_phone or len(digits) < 3:
            return []
        # Only phone numbers are digits in search_text: a part of one is found anywhere in it.
        qs = qs.filter(search_text__contains=digits)
    else:
        for token in tokens:
            if token.isdigit() and not by_phone:
                return []
            qs = qs.filter(search_text__contains=" " + token)
    return list(qs.order_by("search_text", "id")[:limit])


def member_get(member_uuid) -> Member:
    """One member of the current cooperative (``Member.DoesNotExist`` otherwise)."""
    return Member.objects.select_related("village").prefetch_related("groups").get(uuid=member_uuid)


def village_list() -> QuerySet[Village]:
    return Village.objects.annotate(
        member_count=Count("members", filter=Q(members__status=MemberStatus.ACTIVE))
    ).order_by("name")


def group_list() -> QuerySet[MemberGroup]:
    return MemberGroup.objects.annotate(
        member_count=Count("members", filter=Q(members__status=MemberStatus.ACTIVE))
    ).order_by("name")


def group_get(group_id: int) -> MemberGroup:
    return MemberGroup.objects.get(pk=group_id)


@dataclass(frozen=True)
class CoopSummary:
    active_members: int
    left_members: int
    official_members: int
    women: int
    ethnic_minority: int
    capital_vnd: int
    villages: int
    groups: int


def coop_summary() -> CoopSummary:
    active = Q(status=MemberStatus.ACTIVE)
    row = Member.objects.aggregate(
        active=Count("id", filter=active),
        left=Count("id", filter=Q(status=MemberStatus.LEFT)),
        official=Count("id", filter=active & Q(member_type="official")),
        women=Count("id", filter=active & Q(gender="female")),
        minority=Count("id", filter=active & ~Q(ethnicity__in=["kinh", ""])),
        capital=Sum("capital_vnd", filter=active),
    )
    return CoopSummary(
        active_members=row["active"],
        left_members=row["left"],
        official_members=row["official"],
        women=row["women"],
        ethnic_minority=row["minority"],
        capital_vnd=row["capital"] or 0,
        villages=Village.objects.count(),
        groups=MemberGroup.objects.count(),
    )


@dataclass(frozen=True)
class CoopChoice:
    cooperative: Cooperative
    role: str
    role_label: str


def cooperatives_for_user(user) -> list[CoopChoice]:
    """Every cooperative the user may open, with their role: their own memberships, then
    (read-only) every cooperative of the provinces they serve as an alliance officer.

    This is an explicit cross-cooperative read, over the Cooperative table only. The home
    page does not use it for officers (a province has hundreds of cooperatives): it shows
    :func:`own_cooperatives` and a page of :func:`alliance_cooperatives`.
    """
    from hoptac.core.roles import Role

    if not user.is_authenticated:
        return []
    choices = own_cooperatives(user)
    seen = {c.cooperative.pk for c in choices}
    others = _alliance_queryset(user)
    if others is not None:
        others = others.exclude(pk__in=seen)
        choices += [CoopChoice(c, Role.ALLIANCE, str(Role.ALLIANCE.label)) for c in others.order_by("name")]
    return choices


def own_cooperatives(user) -> list[CoopChoice]:
    """The cooperatives where ``user`` holds a role of their own (a membership)."""
    if not user.is_authenticated:
        return []
    return [CoopChoice(m.cooperative, m.role, str(m.get_role_display())) for m in memberships_of(user)]


def _alliance_queryset(user):
    """The active cooperatives an alliance officer (their provinces) or a platform
    administrator (all) reads; ``None`` for anyone else."""
    provinces = alliance_provinces(user)
    if not (provinces or user.is_superuser):
        return None
    others = Cooperative.objects.filter(is_active=True)
    if not user.is_superuser:
        others = others.filter(province_code__in=provinces)
    return others


HOME_PAGE_SIZE = 25


def alliance_cooperatives(user, *, query: str = "", page: int | str = 1):
    """One page (25) of the cooperatives an officer or administrator reads, by name,
    searched without accents in the name, tax code and commune; ``None`` for anyone else.

    The names are read in one query (a province has hundreds of cooperatives, not millions)
    and matched here, since the Cooperative table has no folded column; the page's rows are
    the only objects built."""
    from django.core.paginator import Paginator

    from hoptac.lib.text import fold

    others = _alliance_queryset(user) if user.is_authenticated else None
    if others is None:
        return None
    rows = list(others.order_by("name", "pk").values_list("pk", "name", "tax_code", "commune_code"))
    words = fold(query).split()
    if words:
        rows = [
            r for r in rows if all(w in fold(f"{r[1]} {r[2]} {places.commune_name(r[3])}") for w in words)
        ]
    page_obj = Paginator([r[0] for r in rows], HOME_PAGE_SIZE).get_page(page)
    by_id = Cooperative.objects.in_bulk(list(page_obj.object_list))
    page_obj.object_list = [by_id[pk] for pk in page_obj.object_list if pk in by_id]
    return page_obj


def staff_list():
    """People with a role in the current cooperative (an explicit read of accounts' table,
    filtered by the current cooperative)."""
    from hoptac.accounts.models import Membership
    from hoptac.core.tenancy import require_cooperative

    return (
        Membership.objects.filter(cooperative=require_cooperative())
        .select_related("user")
        .order_by("role", "user__full_name")
    )


def backup_keep() -> int:
    """How many daily backups the worker keeps: one database holds every cooperative on
    it, so the largest number any active cooperative asked for (nobody gets fewer)."""
    value = Cooperative.objects.filter(is_active=True).aggregate(keep=Max("backup_keep"))["keep"]
    return int(value or BACKUP_KEEP_DEFAULT)


def staff_membership_by_phone(phone: str):
    """The role of the person with ``phone`` in the current cooperative, if they have one."""
    from hoptac.accounts.models import Membership
    from hoptac.core.tenancy import require_cooperative

    return (
        Membership.objects.filter(cooperative=require_cooperative(), user__phone=phone)
        .select_related("user")
        .first()
    )


def staff_membership_get(membership_id: int):
    """One role of the current cooperative (``Membership.DoesNotExist`` otherwise)."""
    from hoptac.accounts.models import Membership
    from hoptac.core.tenancy import require_cooperative

    return Membership.objects.select_related("user").get(pk=membership_id, cooperative=require_cooperative())


def invitations_pending():
    """Invitations of the current cooperative still waiting for an answer (expired ones too,
    so that the chair can send them again or cancel them)."""
    from hoptac.coops.models import InvitationStatus, StaffInvitation

    return StaffInvitation.objects.filter(status=InvitationStatus.PENDING).order_by("-sent_at")


def own_household(user, cooperative) -> Member | None:
    """The member household linked to ``user``'s account in ``cooperative``, if any (read
    through the scoped manager: a link to another cooperative's member finds nothing)."""
    membership = memberships_of(user).filter(cooperative=cooperative).first() if user.is_authenticated else None
    if membership is None or membership.member_id is None:
        return None
    return Member.objects.select_related("village").filter(pk=membership.member_id).first()

"""Members (a minimal list), and each member's balance and statement from the ledger.

The balance is ``ledger.selectors.member_balance``, the one definition used everywhere.
Staff with ``ledger.view`` read any member; a member's own account (role "member" linked
to a household) reads only its own household: any other member is 404 for it.
"""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from hoptac.api.access import coop_route
from hoptac.api.common import ERRORS, MAX_PAGE, check_day, day_start, local, paginate
from hoptac.api.schemas import BalanceOut, MemberPage, StatementOut
from hoptac.coops import selectors as coop_selectors
from hoptac.coops.models import Member
from hoptac.core.roles import Perm
from hoptac.ledger import selectors as ledger

router = Router(tags=["members"])


def _member(request, member_id: UUID) -> Member:
    """The member of the path: the caller's own household, or any member for staff."""
    if request.own_member is not None:
        return request.own_member
    try:
        return coop_selectors.member_get(member_id)
    except Member.DoesNotExist:
        raise Http404 from None


def _parts(balance) -> dict:
    return {"payable": balance.payable, "receivable": balance.receivable, "net": balance.net}


@router.get("/c/{slug}/members", response={200: MemberPage, **ERRORS}, summary="Members")
@coop_route(Perm.MEMBER_VIEW)
def member_list(
    request,
    slug: str,
    q: Annotated[
        str, Query(max_length=100, description="Search name, phone or village, accents optional.")
    ] = "",
    status: Literal["active", "left"] | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """Members by name, 50 a page: just enough to pick one (uuid, name, village, phone, status).

    The phone is null, and numbers in ``q`` match no phone, for a caller without the
    ``member.personal`` permission (the provincial alliance officer)."""
    personal = request.access.can(Perm.MEMBER_PERSONAL)
    members = coop_selectors.member_list(
        coop_selectors.MemberFilters(q=q.replace("\x00", " "), status=status or "", by_phone=personal)
    )
    meta, items = paginate(members, page)
    return {
        **meta,
        "items": [
            {
                "uuid": member.uuid,
                "full_name": member.full_name,
                "village": member.village.name if member.village_id else None,
                "phone": (member.phone or None) if personal else None,
                "status": member.status,
            }
            for member in items
        ],
    }


@router.get(
    "/c/{slug}/members/{member_id}/balance", response={200: BalanceOut, **ERRORS}, summary="Member balance"
)
@coop_route(Perm.LEDGER_VIEW, own_member=True)
def member_balance(request, slug: str, member_id: UUID):
    """What the cooperative owes the member and what the member owes, now."""
    member = _member(request, member_id)
    return {"member_id": member.uuid, **_parts(ledger.member_balance(member))}


@router.get(
    "/c/{slug}/members/{member_id}/statement",
    response={200: StatementOut, **ERRORS},
    summary="Member statement (sao kê)",
)
@coop_route(Perm.LEDGER_VIEW, own_member=True)
def member_statement(
    request,
    slug: str,
    member_id: UUID,
    start: Annotated[dt.date | None, Query(description="First day (default: the 1st of this month).")] = None,
    end: Annotated[
        dt.date | None, Query(description="Last day, included (default: the end of this month).")
    ] = None,
):
    """Opening balance before ``start``, every entry of the days ``start``–``end``, each with
    the balance after it, and the closing balance (the next period's opening)."""
    member = _member(request, member_id)
    today = timezone.localdate()
    first = today.replace(day=1)
    start = check_day(start) or first
    end = check_day(end) or (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    if start > end:
        raise ValidationError(_("The start of the period cannot be after its end."), code="period")
    result = ledger.statement(member, start=day_start(start), end=day_start(end + dt.timedelta(days=1)))
    return {
        "member_id": member.uuid,
        "start": start,
        "end": end,
        "opening": _parts(result.opening),
        "lines": [
            {
                "date": local(line.entry.occurred_at),
                "kind": line.entry.kind,
                "kind_label": str(line.entry.get_kind_display()),
                "description": line.entry.memo,
                "net": line.entry.net,
                "balance_after": line.balance_after,
                "code": line.entry.code,
            }
            for line in result.lines
        ],
        "closing": _parts(result.closing),
    }

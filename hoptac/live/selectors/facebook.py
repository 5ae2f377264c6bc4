"""Reads for the Facebook pages screen: the cooperative's pages, its Facebook lives, and
per live the buyers still waiting for their link."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from ..models import ClaimState, CommentSource, FacebookPage, LiveBuyer, LiveSession, LiveStatus, Platform

RECENT_LIVES = 20


def pages():
    return list(FacebookPage.objects.order_by("name", "pk"))


def facebook_lives():
    """Facebook lives not ended, then the latest ended ones, with their comment counts."""
    rows = (
        LiveSession.objects.filter(platform=Platform.FACEBOOK)
        .select_related("facebook_page")
        .annotate(
            n_comments=Count("comments", filter=Q(comments__source=CommentSource.FACEBOOK), distinct=True)
        )
        .order_by("-starts_at", "-pk")[:RECENT_LIVES]
    )
    order = {LiveStatus.LIVE: 0, LiveStatus.PLANNED: 1, LiveStatus.ENDED: 2}
    return sorted(rows, key=lambda s: order.get(s.status, 3))


def buyers_without_link(session: LiveSession):
    """Buyers with something held and no link sent yet, with whether a Facebook comment of
    theirs can be answered."""
    now = timezone.now()
    return list(
        LiveBuyer.objects.filter(
            session=session,
            state=LiveBuyer.State.OPEN,
            link_sent_at__isnull=True,
            claims__state=ClaimState.HELD,
            claims__expires_at__gt=now,
        )
        .annotate(
            n_facebook=Count(
                "comments",
                filter=Q(comments__source=CommentSource.FACEBOOK) & ~Q(comments__external_id=""),
                distinct=True,
            )
        )
        .distinct()
        .order_by("pk")
    )


def live_by_code(code: str):
    return (
        LiveSession.objects.filter(code=(code or "").strip().upper()[:8])
        .select_related("facebook_page")
        .first()
    )


def page_by_pk(pk) -> FacebookPage | None:
    try:
        return FacebookPage.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def buyer_by_pk(pk) -> LiveBuyer | None:
    try:
        return LiveBuyer.objects.filter(pk=int(pk)).select_related("session").first()
    except (TypeError, ValueError):
        return None

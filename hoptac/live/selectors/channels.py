"""Names of live sales for the shop's sales report (registered in ``LiveConfig.ready``)."""

from __future__ import annotations

from django.utils import timezone

from hoptac.live.models import LiveSession


def live_names(codes: list[str]) -> dict[str, str]:
    """Code -> "title (day)" of the current cooperative's live sales, one query."""
    return {
        code: f"{title} ({timezone.localtime(starts_at):%d/%m/%Y})"
        for code, title, starts_at in LiveSession.objects.filter(code__in=codes).values_list(
            "code", "title", "starts_at"
        )
    }

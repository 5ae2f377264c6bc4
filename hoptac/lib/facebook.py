"""A small client of Facebook's Graph API for live selling: reading a live video's comments
and sending one private reply to a comment. Pure: no models, no database.

**Comments of a live video** (https://developers.facebook.com/docs/graph-api/reference/live-video/comments,
and .../reference/video/comments): ``GET /{video-id}/comments`` with
``filter=stream`` (every comment, replies included, not only the top level),
``order=chronological``, ``fields=id,from{id,name},message,created_time``, ``limit`` and
cursor paging: the answer is ``{"data": [...], "paging": {"cursors": {"before", "after"},
"next": ...}}``; the next page is asked with ``after=<cursors.after>``; ``next`` is absent
on the last page. The cursor of the last page read is what the caller stores, so the next
pull starts after it. ``from`` may be missing (Facebook withholds some commenters) and
``message`` may be empty (a sticker or a photo alone).

**Private reply** (https://developers.facebook.com/docs/messenger-platform/discovery/private-replies):
``POST /{page-id}/messages`` with ``{"recipient": {"comment_id": ...}, "message": {"text":
...}}``, a page access token with ``pages_messaging``. One reply per comment, within 7 days
of it; the answer is ``{"recipient_id", "message_id"}``.

**The token** travels in the ``Authorization: Bearer`` header, never in the address (the
address ends up in logs and proxies).

**Errors** (https://developers.facebook.com/docs/graph-api/guides/error-handling): the
body is ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
Code 190 (and 102, 463/467 subcodes) — the token expired or was revoked: a new page token
is needed. 4, 17, 32, 613 — too many calls: try later. 10 and 200–299 — a permission is
missing. 1, 2 — a passing trouble at Facebook. 100 — a bad parameter (often an unknown
video id). Each becomes a :class:`GraphError` with a ``kind`` and a message for staff.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import httpx
from django.utils.translation import gettext_lazy as _

DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"
COMMENT_FIELDS = "id,from{id,name},message,created_time"
PAGE_SIZE = 100
MAX_PAGES = 50  # one pull reads at most 5,000 comments; the next pull goes on from there
_ID = re.compile(r"^[0-9]{1,40}(_[0-9]{1,40})?$")

TOKEN, RATE_LIMIT, PERMISSION, TEMPORARY, INVALID, NETWORK, BAD_RESPONSE = (
    "token",
    "rate_limit",
    "permission",
    "temporary",
    "invalid",
    "network",
    "bad_response",
)
_MESSAGES = {
    TOKEN: _(
        "Facebook refused the page access token (expired or revoked): add the page again with a new token."
    ),
    RATE_LIMIT: _("Facebook asks us to slow down (too many calls): comments will be read again in a minute."),
    PERMISSION: _(
        "Facebook refused: the page token lacks a permission (reading the page's videos, or pages_messaging for replies)."
    ),
    TEMPORARY: _("Facebook has a passing problem; it will be tried again."),
    INVALID: _("Facebook refused the request: check the video id (%(detail)s)."),
    NETWORK: _("Could not reach Facebook: %(detail)s"),
    BAD_RESPONSE: _("Facebook sent an answer that could not be read."),
}


class GraphError(Exception):
    """A Graph API call failed. ``kind`` (token, rate_limit, permission, temporary, invalid,
    network, bad_response), Facebook's ``code``, and ``permanent`` when retrying cannot help."""

    def __init__(self, kind: str, *, code: int | None = None, detail: str = ""):
        self.kind = kind
        self.code = code if code is not None else kind
        self.detail = detail[:200]
        self.permanent = kind in (TOKEN, PERMISSION, INVALID)
        super().__init__(kind)

    @property
    def message(self) -> str:
        return str(_MESSAGES[self.kind]) % {"detail": self.detail or "-"}

    def __str__(self) -> str:
        return self.message


def classify(error: Mapping) -> str:
    """The kind of a Graph error body's ``error`` object."""
    try:
        code = int(error.get("code"))
    except (TypeError, ValueError):
        code = 0
    if code in (190, 102) or error.get("type") == "OAuthException" and code in (0, 190):
        return TOKEN
    if code in (4, 17, 32, 613, 80001, 80004):
        return RATE_LIMIT
    if code == 10 or 200 <= code <= 299:
        return PERMISSION
    if code in (1, 2):
        return TEMPORARY
    return INVALID


@dataclass(frozen=True)
class Comment:
    id: str
    author_id: str
    author_name: str
    message: str
    created_time: dt.datetime | None


@dataclass(frozen=True)
class CommentPage:
    comments: list[Comment]
    after: str  # the cursor to go on from ("" when Facebook gave none)
    has_next: bool


def parse_time(text) -> dt.datetime | None:
    """Graph's ``2026-12-02T21:42:30+0000`` -> an aware datetime (None if unreadable)."""
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def check_id(value: str) -> str:
    """A Graph object id (digits, or ``<digits>_<digits>``); refuses anything that could
    change the address."""
    value = (value or "").strip()
    if not _ID.match(value):
        raise ValueError(value)
    return value


def _comment(row) -> Comment | None:
    if not isinstance(row, dict) or not isinstance(row.get("id"), str):
        return None
    author = row.get("from") if isinstance(row.get("from"), dict) else {}
    return Comment(
        id=row["id"][:80],
        author_id=str(author.get("id") or "")[:60],
        author_name=str(author.get("name") or "")[:120],
        message=str(row.get("message") or ""),
        created_time=parse_time(row.get("created_time")),
    )


class GraphClient:
    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ):
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self.client = client or httpx.Client(follow_redirects=False)

    def _call(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = self.client.request(
                method, self.base_url + path, params=params, json=body, headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException:
            raise GraphError(NETWORK, detail="timeout") from None
        except httpx.HTTPError as exc:
            raise GraphError(NETWORK, detail=type(exc).__name__) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            error = data["error"]
            code = error.get("code") if isinstance(error.get("code"), int) else None
            raise GraphError(classify(error), code=code, detail=str(error.get("message") or "")[:200])
        if response.status_code == 429:
            raise GraphError(RATE_LIMIT, code=429)
        if response.status_code >= 500:
            raise GraphError(TEMPORARY, code=response.status_code)
        if response.status_code in (401, 403):
            raise GraphError(TOKEN, code=response.status_code)
        if response.status_code >= 400 or not isinstance(data, dict):
            raise GraphError(BAD_RESPONSE, code=response.status_code)
        return data

    # --- reading ---------------------------------------------------------------------------

    def page(self, page_id: str) -> dict:
        """``GET /{page-id}?fields=id,name``: checks the token reads this page."""
        data = self._call("GET", f"/{check_id(page_id)}", params={"fields": "id,name"})
        if not isinstance(data.get("id"), str):
            raise GraphError(BAD_RESPONSE)
        return {"id": data["id"], "name": str(data.get("name") or "")[:120]}

    def comments_page(self, video_id: str, *, after: str = "", limit: int = PAGE_SIZE) -> CommentPage:
        params = {
            "filter": "stream",
            "order": "chronological",
            "fields": COMMENT_FIELDS,
            "limit": str(limit),
        }
        if after:
            params["after"] = after
        data = self._call("GET", f"/{check_id(video_id)}/comments", params=params)
        rows = data.get("data")
        if not isinstance(rows, list):
            raise GraphError(BAD_RESPONSE)
        paging = data.get("paging") if isinstance(data.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        cursor = cursors.get("after") if isinstance(cursors.get("after"), str) else ""
        comments = [c for c in (_comment(row) for row in rows) if c is not None]
        return CommentPage(
            comments=comments, after=cursor[:200], has_next=bool(paging.get("next")) and bool(rows)
        )

    def comments(
        self, video_id: str, *, after: str = "", max_pages: int = MAX_PAGES
    ) -> Iterator[CommentPage]:
        """The pages of comments after ``after``, oldest first, until the last one."""
        for _page in range(max_pages):
            page = self.comments_page(video_id, after=after)
            yield page
            if not page.has_next or not page.after or page.after == after:
                return
            after = page.after

    # --- writing ---------------------------------------------------------------------------

    def private_reply(self, page_id: str, comment_id: str, text: str) -> str:
        """Send ``text`` privately to the author of ``comment_id``; returns the message id."""
        data = self._call(
            "POST",
            f"/{check_id(page_id)}/messages",
            body={"recipient": {"comment_id": check_id(comment_id)}, "message": {"text": text[:2000]}},
        )
        message_id = data.get("message_id")
        if not isinstance(message_id, str):
            raise GraphError(BAD_RESPONSE)
        return message_id

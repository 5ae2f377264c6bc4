"""A fake Facebook Graph API on 127.0.0.1 (the pattern of :mod:`tests.fakes.gateways`):
a page, live videos with their comments, cursor paging, the token in the Authorization
header, Graph's error bodies, and private replies recorded.

- ``GET /v21.0/{page-id}?fields=id,name`` answers the page.
- ``GET /v21.0/{video-id}/comments`` with ``filter=stream``, ``order=chronological``,
  ``fields``, ``limit`` and ``after`` answers ``{"data": [...], "paging": {"cursors":
  {"before", "after"}, "next"}}``, ``next`` only when more comments follow; cursors are
  opaque (base64 of the position), as Facebook's are.
- ``POST /v21.0/{page-id}/messages`` with ``{"recipient": {"comment_id"}, "message":
  {"text"}}``: one private reply per comment (a second one answers error 10, as Facebook
  refuses it); recorded in ``replies``.

A token in the query string (``access_token=``) is refused: the client must send it in the
header. ``error`` makes every call answer a Graph error: ``fake.error = 190`` (token
expired), ``4``/``17``/``32`` (rate limits), ``10``/``200`` (permissions).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools

import pytest

from tests.fakes.gateways import FakeServer

VERSION = "/v21.0"
ERRORS = {
    190: ("Error validating access token: Session has expired.", "OAuthException"),
    4: ("Application request limit reached", "OAuthException"),
    17: ("User request limit reached", "OAuthException"),
    32: ("Page request limit reached", "OAuthException"),
    10: ("Application does not have permission for this action", "OAuthException"),
    200: ("Permissions error", "OAuthException"),
    100: ("Unsupported get request. Object with ID does not exist", "GraphMethodException"),
}


def graph_error(code: int) -> dict:
    message, kind = ERRORS.get(code, ("Unknown error", "OAuthException"))
    return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf"}}


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def _position(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        return None
    return int(text[4:]) if text.startswith("pos:") and text[4:].isdigit() else None


class FakeGraph(FakeServer):
    token = "EAAG-page-token"
    page_id = "104372518820563"
    page_name = "HTX Mật ong Tuấn Dũng"
    video_id = "987654321012345"

    def __init__(self):
        super().__init__()
        self.comments: dict[str, list[dict]] = {self.video_id: []}
        self.replies: list[dict] = []
        self.error: int | None = None
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return self.url + VERSION

    def comment(
        self, message: str, *, name: str = "Nguyễn Văn A", user_id: str | None = None, video=None
    ) -> dict:
        """A viewer comments on the live video; returns the comment as Graph lists it."""
        number = next(self._ids)
        row = {
            "id": f"{self.video_id}_{1000 + number}",
            "from": {"id": user_id or f"{5000 + number}", "name": name},
            "message": message,
            "created_time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        }
        with self.lock:
            self.comments.setdefault(video or self.video_id, []).append(row)
        return row

    def handle(self, req):
        if "access_token" in req["query"]:
            return 400, {
                "error": {
                    "message": "Token must be in the header (test fake)",
                    "type": "OAuthException",
                    "code": 1,
                }
            }
        if req["headers"].get("authorization") != f"Bearer {self.token}":
            return 400, graph_error(190)
        if self.error is not None:
            return 400 if self.error not in (4, 17, 32) else 403, graph_error(self.error)
        path = req["path"]
        if not path.startswith(VERSION + "/"):
            return 404, graph_error(100)
        parts = path[len(VERSION) + 1 :].strip("/").split("/")
        if req["method"] == "GET" and parts == [self.page_id]:
            return 200, {"id": self.page_id, "name": self.page_name}
        if req["method"] == "GET" and len(parts) == 2 and parts[1] == "comments":
            return self._comments(parts[0], req["query"])
        if req["method"] == "POST" and parts == [self.page_id, "messages"]:
            return self._reply(self.json_body(req))
        return 400, graph_error(100)

    def _comments(self, video_id: str, query: dict):
        if video_id not in self.comments:
            return 400, graph_error(100)
        if query.get("filter") != "stream" or query.get("order") != "chronological":
            return 400, {
                "error": {"message": "(fake) filter=stream&order=chronological expected", "code": 100}
            }
        limit = max(1, min(int(query.get("limit", 25)), 100))
        start = 0
        if query.get("after"):
            position = _position(query["after"])
            if position is None:
                return 400, graph_error(100)
            start = position + 1
        with self.lock:
            rows = list(self.comments[video_id])
        page = rows[start : start + limit]
        body: dict = {"data": page}
        if page:
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}}
            if start + len(page) < len(rows):
                body["paging"]["next"] = f"https://graph.facebook.com{VERSION}/{video_id}/comments?after=x"
        return 200, body

    def _reply(self, body):
        if not isinstance(body, dict):
            return 400, graph_error(100)
        comment_id = (body.get("recipient") or {}).get("comment_id")
        text = (body.get("message") or {}).get("text")
        if not comment_id or not text:
            return 400, graph_error(100)
        with self.lock:
            if any(r["comment_id"] == comment_id for r in self.replies):
                return 400, {
                    "error": {
                        "message": "(#10) This message is sent outside of allowed window.",
                        "type": "OAuthException",
                        "code": 10,
                        "error_subcode": 2018278,
                    }
                }
            self.replies.append({"comment_id": comment_id, "text": text})
            number = len(self.replies)
        return 200, {"recipient_id": f"7000{number}", "message_id": f"m_fake{number}"}


@pytest.fixture
def graph_server(settings):
    """A running :class:`FakeGraph`; ``settings.FACEBOOK_GRAPH_URL`` points at it."""
    with FakeGraph() as fake:
        settings.FACEBOOK_GRAPH_URL = fake.base_url
        yield fake

"""Fake eSMS, SpeedSMS and Zalo servers: small threaded HTTP servers on 127.0.0.1 that
speak enough of each gateway's API to test the real clients over real sockets.

Each fake records what it was asked (``requests``), what it accepted (``sms`` or ``sent``)
and can be told to fail: an error code, HTTP 500, a non-JSON answer, or to hang longer
than the client's timeout (``mode``). ``hook(fake, number, payload)`` runs before each
send request (``number`` counts from 1); it may block, or return one of the ``Action``
values to answer differently, e.g. ``Action.ACCEPT_AND_HANG`` to take the SMS but never
answer, as if the worker died after the gateway got the message.

Fixtures ``esms_server``, ``speedsms_server`` and ``zalo_server`` start a fake and point
``settings.OUTBOX`` at it. A test module uses them with
``pytest_plugins = ["tests.fakes.gateways"]`` or by importing them.
"""

from __future__ import annotations

import abc
import base64
import enum
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest


class Action(enum.StrEnum):
    ACCEPT_AND_HANG = "accept_and_hang"  # count the message, then never answer
    HANG = "hang"  # never answer (longer than any test timeout)
    DROP = "drop"  # close the connection without an answer
    HTTP_500 = "http_500"
    NOT_JSON = "not_json"


class FakeServer(abc.ABC):
    """A ThreadingHTTPServer in a thread; subclasses implement ``handle(req)``."""

    hang_seconds = 10.0
    Action = Action  # for hooks: ``fake.Action.ACCEPT_AND_HANG``

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.hook: Callable | None = None
        self.mode: str | int | Action = "ok"
        self.send_count = 0
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # releases hanging handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def hang(self) -> None:
        self._stop.wait(self.hang_seconds)

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path, _sep, query = self.path.partition("?")
                req = {
                    "method": self.command,
                    "path": path,
                    "query": {k: v[0] for k, v in parse_qs(query).items()},
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "raw": raw,
                }
                with fake.lock:
                    fake.requests.append(req)
                answer = fake.handle(req)
                if answer is None:  # hung up without an answer
                    self.close_connection = True
                    return
                status, body, *rest = answer  # an optional third item: the content type
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                content_type = "application/json" if not isinstance(body, bytes) else "text/html"
                if rest:
                    content_type = rest[0]
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass

            do_GET = _serve
            do_POST = _serve

        return Handler

    @abc.abstractmethod
    def handle(self, req: dict):
        """Answer one request: ``(status, body)`` or ``(status, body, content type)``, or
        ``None`` to hang up."""

    @staticmethod
    def json_body(req: dict):
        try:
            return json.loads(req["raw"].decode() or "null")
        except ValueError:
            return None

    def _run_hook(self, payload) -> Action | None:
        """Count this send request and run the hook; returns its action, if any."""
        with self.lock:
            self.send_count += 1
            number = self.send_count
        if self.hook is not None:
            return self.hook(self, number, payload)
        return None

    def _failure(self, action) -> tuple | None | bool:
        """A generic failure for ``action``: an answer, ``None`` (hang up), or ``False``
        when ``action`` is not a generic failure."""
        if action in (Action.HANG, "hang"):
            self.hang()
            return None
        if action in (Action.DROP, "drop"):
            return None
        if action in (Action.HTTP_500, "http_500"):
            return 500, b"<html>Internal Server Error</html>"
        if action in (Action.NOT_JSON, "not_json"):
            return 200, b"<html>Maintenance</html>"
        return False


# --- eSMS ---------------------------------------------------------------------------------


class FakeEsms(FakeServer):
    """``SendMultipleMessage_V4_post_json``: remembers RequestIds (a repeated one answers 124
    and is not a new SMS). ``mode``: "ok", a CodeResult to answer ("101", "103", "104", "99",
    …), or "hang" / "http_500" / "not_json"."""

    path = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
    api_key = "esms-key"
    secret_key = "esms-secret"

    def __init__(self):
        super().__init__()
        self.sms: list[dict] = []  # accepted messages, each with its SMSID
        self.by_request_id: dict[str, str] = {}
        self.duplicates = 0

    def handle(self, req):
        if req["method"] != "POST" or req["path"] != self.path:
            return 404, b"<html>Not found</html>"
        payload = self.json_body(req)
        if not isinstance(payload, dict):
            return 400, {"CodeResult": "110", "ErrorMessage": "Bad request"}
        action = self._run_hook(payload) or self.mode
        failure = self._failure(action)
        if failure is not False:
            return failure
        if action not in ("ok", Action.ACCEPT_AND_HANG):
            return 200, {"CodeResult": str(action), "ErrorMessage": f"Error {action}"}
        if payload.get("ApiKey") != self.api_key or payload.get("SecretKey") != self.secret_key:
            return 200, {"CodeResult": "101", "ErrorMessage": "Sai ApiKey hoac SecretKey"}
        request_id = str(payload.get("RequestId") or "")
        with self.lock:
            if request_id and request_id in self.by_request_id:
                self.duplicates += 1
                return 200, {"CodeResult": "124", "ErrorMessage": "Trung RequestId"}
            sms_id = str(uuid.uuid4())
            if request_id:
                self.by_request_id[request_id] = sms_id
            self.sms.append({**payload, "SMSID": sms_id})
        if action == Action.ACCEPT_AND_HANG:
            self.hang()
            return None
        return 200, {"CodeResult": "100", "CountRegenerate": 0, "SMSID": sms_id}


# --- SpeedSMS -----------------------------------------------------------------------------


class FakeSpeedSms(FakeServer):
    """``/index.php/sms/send`` with HTTP Basic (token as user). ``mode``: "ok", an error code
    ("007", "300", "500", …), "rate_limit" (HTTP 429), or "hang" / "http_500" / "not_json"."""

    path = "/index.php/sms/send"
    token = "speedsms-token"
    price = 250

    def __init__(self):
        super().__init__()
        self.sms: list[dict] = []
        self._tran_ids = itertools.count(70001)

    def authorised(self, req) -> bool:
        header = req["headers"].get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _sep, _password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.token

    def handle(self, req):
        if req["method"] != "POST" or req["path"] != self.path:
            return 404, {"name": "Not Found", "message": "Page not found.", "code": 0, "status": 404}
        if not self.authorised(req):
            return 401, {"name": "Unauthorized", "message": "Invalid credentials.", "code": 0, "status": 401}
        payload = self.json_body(req)
        if not isinstance(payload, dict) or not payload.get("to") or not payload.get("content"):
            return 200, {"status": "error", "code": "101", "message": "Invalid or missing parameters"}
        action = self._run_hook(payload) or self.mode
        failure = self._failure(action)
        if failure is not False:
            return failure
        if action == "rate_limit":
            return 429, {
                "name": "Too Many Requests",
                "message": "Rate limit exceeded.",
                "code": 0,
                "status": 429,
            }
        if action not in ("ok", Action.ACCEPT_AND_HANG):
            return 200, {"status": "error", "code": str(action), "message": f"Error {action}"}
        with self.lock:
            tran_id = next(self._tran_ids)
            self.sms.append({**payload, "tranId": tran_id})
        if action == Action.ACCEPT_AND_HANG:
            self.hang()
            return None
        return 200, {
            "status": "success",
            "code": "00",
            "data": {"tranId": tran_id, "totalSMS": 1, "totalPrice": self.price, "invalidPhone": []},
        }


# --- Zalo ---------------------------------------------------------------------------------


class FakeZalo(FakeServer):
    """Zalo's OAuth token endpoint and the ZNS template endpoint.

    OAuth trades a refresh token for a new access + refresh pair and REJECTS a refresh
    token that was already used (``reused`` lists such attempts); ``refreshes`` counts the
    successful trades and ``refresh_delay`` slows them down to widen races. ZNS checks the
    ``access_token`` header (-124 for an expired or unknown token), answers -118 for a
    phone in ``no_zalo`` and otherwise accepts. ``mode`` ("ok", an error number such as
    -139 or -32, "hang", "http_500", "not_json") applies to ZNS sends.
    """

    app_id = "zalo-app"
    secret_key = "zalo-secret"
    first_refresh_token = "RT-0"

    def __init__(self):
        super().__init__()
        self.refresh_delay = 0.0
        self.refreshes = 0
        self.reused: list[str] = []
        self.rejected: list[str] = []
        self.refresh_tokens_used: list[str] = []
        self.valid_refresh = {self.first_refresh_token}
        self.valid_access: set[str] = set()
        self.no_zalo: set[str] = set()
        self.sent: list[dict] = []
        self._numbers = itertools.count(1)

    def expire_access_tokens(self) -> None:
        """Zalo-side expiry: every access token issued so far becomes invalid."""
        with self.lock:
            self.valid_access.clear()

    def handle(self, req):
        if req["method"] == "POST" and req["path"] == "/v4/oa/access_token":
            return self.oauth(req)
        if req["method"] == "POST" and req["path"] == "/message/template":
            return self.zns(req)
        return 404, {"error": 404, "message": "Not found"}

    def oauth(self, req):
        form = {k: v[0] for k, v in parse_qs(req["raw"].decode()).items()}
        if req["headers"].get("secret_key") != self.secret_key or form.get("app_id") != self.app_id:
            return 200, {"error": -14002, "error_name": "Invalid app", "error_description": "Invalid app"}
        if form.get("grant_type") != "refresh_token":
            return 200, {"error": -14003, "error_name": "Invalid grant type"}
        token = form.get("refresh_token", "")
        with self.lock:
            if token not in self.valid_refresh:
                (self.reused if token in self.refresh_tokens_used else self.rejected).append(token)
                return 200, {
                    "error": -14014,
                    "error_name": "Invalid refresh token",
                    "error_description": "Refresh token is invalid or was already used",
                }
            self.valid_refresh.discard(token)  # single-use, as at Zalo
            self.refresh_tokens_used.append(token)
        if self.refresh_delay:
            time.sleep(self.refresh_delay)
        with self.lock:
            number = next(self._numbers)
            self.refreshes += 1
            access, refresh = f"AT-{number}", f"RT-{number}"
            self.valid_access.add(access)
            self.valid_refresh.add(refresh)
        # Zalo sends expires_in as a string.
        return 200, {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}

    def zns(self, req):
        payload = self.json_body(req)
        if not isinstance(payload, dict):
            return 200, {"error": -121, "message": "Body data empty"}
        with self.lock:
            token_ok = req["headers"].get("access_token") in self.valid_access
        if not token_ok:
            return 200, {"error": -124, "message": "Access token is invalid"}
        action = self._run_hook(payload) or self.mode
        failure = self._failure(action)
        if failure is not False:
            return failure
        if action not in ("ok", Action.ACCEPT_AND_HANG):
            return 200, {"error": int(action), "message": f"Error {action}"}
        phone = str(payload.get("phone", ""))
        if not (phone.startswith("84") and phone.isdigit() and len(phone) == 11):
            return 200, {"error": -108, "message": "Phone number invalid"}
        if phone in self.no_zalo:
            return 200, {"error": -118, "message": "Zalo account not existed"}
        msg_id = uuid.uuid4().hex[:20]
        with self.lock:
            self.sent.append({**payload, "msg_id": msg_id, "access_token": req["headers"]["access_token"]})
        if action == Action.ACCEPT_AND_HANG:
            self.hang()
            return None
        return 200, {
            "error": 0,
            "message": "Success",
            "data": {"msg_id": msg_id, "sent_time": "1700000000000"},
        }


# --- Fixtures -----------------------------------------------------------------------------


def _outbox(settings, **changes) -> None:
    settings.OUTBOX = {**settings.OUTBOX, **changes}


@pytest.fixture
def esms_server(settings):
    """A running :class:`FakeEsms`; ``settings.OUTBOX["ESMS"]`` points at it."""
    with FakeEsms() as fake:
        _outbox(
            settings,
            ESMS={
                **settings.OUTBOX["ESMS"],
                "URL": fake.url,
                "API_KEY": fake.api_key,
                "SECRET_KEY": fake.secret_key,
                "BRANDNAME": "HOPTAC",
                "SMS_TYPE": "2",
            },
        )
        yield fake


@pytest.fixture
def speedsms_server(settings):
    """A running :class:`FakeSpeedSms`; ``settings.OUTBOX["SPEEDSMS"]`` points at it."""
    with FakeSpeedSms() as fake:
        _outbox(
            settings,
            SPEEDSMS={
                **settings.OUTBOX["SPEEDSMS"],
                "URL": fake.url,
                "TOKEN": fake.token,
                "SENDER": "HOPTAC",
                "SMS_TYPE": 2,
            },
        )
        yield fake


@pytest.fixture
def zalo_server(settings):
    """A running :class:`FakeZalo`; ``settings.OUTBOX["ZALO"]`` points at it (both URLs)."""
    with FakeZalo() as fake:
        _outbox(
            settings,
            ZALO_BACKEND="zns",
            ZALO={
                **settings.OUTBOX["ZALO"],
                "APP_ID": fake.app_id,
                "SECRET_KEY": fake.secret_key,
                "REFRESH_TOKEN": fake.first_refresh_token,
                "OAUTH_URL": fake.url,
                "API_URL": fake.url,
            },
        )
        yield fake

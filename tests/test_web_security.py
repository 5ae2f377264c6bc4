"""Issue 10, the web side: security headers (CSP with hashed inline styles,
Permissions-Policy, no-store on private pages), the body-size cap before Django, webhooks
authenticated by a header or a signature with bodies parsed within limits, webhook secrets
kept out of the logs, and the Nu checker's findings on the receipt form.

The walk of every cooperative page (tests/test_tenancy.py) and of every API route
(tests/test_api.py) checks the headers too; this file checks the rest of the site.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import re
import socket
import threading
import uuid
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.util import setup_testing_defaults

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import Client

from hoptac.core import bodylimit
from hoptac.core.redact import RedactSecrets, redact
from hoptac.core.security import admin_style_hashes, csp_hash
from hoptac.lib import safejson
from hoptac.notify.models import InboundSms
from hoptac.outbox.models import Message, Status
from tests.headers import header_problems, inline_problems

MB = 1024 * 1024
SECRETS = {"esms": "s-esms-123", "speedsms": "s-speed-456", "zalo": "s-zalo-789"}


# --- Content-Security-Policy, Permissions-Policy, Cache-Control ---------------------------------


def test_sign_in_page_is_private_and_under_the_policy(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert header_problems(response) == []
    assert inline_problems(response) == []
    assert "camera=()" in response["Permissions-Policy"]


def test_home_and_switch_when_signed_in_are_private(login, chair_a, coop_a, coop_b):
    from hoptac.accounts.services import membership_set
    from hoptac.core.roles import Role

    membership_set(user=chair_a, cooperative=coop_b, role=Role.ACCOUNTANT)  # two: home lists them
    client = login(chair_a)
    for url in ("/", "/switch/", "/accounts/password/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert header_problems(response) == [], url
        assert inline_problems(response) == [], url


def test_member_export_and_statement_are_not_stored(login, accountant_a, member_a):
    """The finding: a shared office PC kept the member list and the statement."""
    client = login(accountant_a)
    for url in (
        "/c/coop-a/members/",
        "/c/coop-a/members/export.xlsx",
        f"/c/coop-a/ledger/members/{member_a.uuid}/statement/",
        f"/c/coop-a/ledger/members/{member_a.uuid}/statement.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        cache = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache, (url, response["Cache-Control"])
        assert response.has_header("Content-Security-Policy"), url


def _trace_css() -> str:
    with open(finders.find("hoptac/trace.css"), encoding="utf-8") as handle:
        return handle.read()


def test_trace_page_keeps_its_css_inline_and_hashed(client, coop_a):
    """The public trace page fits its first response in 14 KB with its CSS inline: the
    style is allowed by its sha256, and the page stays public and cacheable."""
    from tests.test_trace import build_lot

    lot = build_lot(coop_a, code="MAT", households=2)
    css = _trace_css()
    for url in (f"/t/{lot.public_code}", "/t/NOSUCHCODE"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        body = response.content.decode()
        assert f"<style>{css}</style>" in body, url
        assert csp_hash(css) in response["Content-Security-Policy"], url
        assert inline_problems(response) == [], url
        assert header_problems(response, private=False) == [], url
        assert "public" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]


def test_a_page_without_inline_style_allows_no_hash(login, chair_a):
    response = login(chair_a).get("/c/coop-a/members/")
    assert "sha256-" not in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_public_pages_stay_cacheable(client, login, chair_a):
    assert "no-store" not in client.get("/healthz").get("Cache-Control", "")
    schema = client.get("/schema/trace-export.schema.json")
    assert "public" in schema["Cache-Control"]
    # A public product photo, fetched by a signed-in person, is not made private.
    from pathlib import Path

    from django.conf import settings

    name = f"products/320/cache-test-{uuid.uuid4().hex}.jpg"
    photo = Path(settings.MEDIA_ROOT) / name
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    try:
        response = login(chair_a).get(f"/media/{name}")
    finally:
        photo.unlink()
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert response.has_header("Content-Security-Policy")


def test_admin_works_under_the_policy(client, db):
    """Django's admin has no inline script; its one inline style (a change list without
    actions) is allowed by hash under /admin/ only."""
    from hoptac.accounts.models import User

    admin = User.objects.create_superuser(phone="0900000001", password="pw-admin-123", full_name="Admin")
    client.force_login(admin)
    for url in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{admin.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert header_problems(response) == [], url
        assert inline_problems(response) == [], url
    assert client.get("/admin/login/").status_code in (200, 302)
    # The change list's inline style (shown when a model admin has no actions) is allowed
    # by the hash of Django's own template, under /admin/ only.
    hashes = admin_style_hashes()
    assert len(hashes) == 1
    assert hashes[0] in client.get("/admin/")["Content-Security-Policy"]
    assert hashes[0] not in client.get("/switch/")["Content-Security-Policy"]


def test_error_pages_have_no_inline_style():
    for name in ("500.html", "404.html", "403.html", "403_csrf.html"):
        html = render_to_string(name, {})
        assert not re.search(r"<style|\sstyle\s*=|<script", html), name


def test_receipt_form_has_no_style_in_body_nor_size_on_numbers(login, collector_a):
    """The Nu checker's errors on offtake/receipt_form.html."""
    response = login(collector_a).get("/c/coop-a/buying/receipts/new/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<style" not in body
    # Issue 11: numbers are text inputs with a numeric keypad (type=number refuses "12,5").
    numbers = re.findall(r"<input[^>]*inputmode=\"(?:decimal|numeric)\"[^>]*>", body)
    assert numbers, "the form has number inputs"
    assert not [tag for tag in numbers if re.search(r"\ssize=", tag)]
    assert 'type="number"' not in body
    assert inline_problems(response) == []


# --- the body-size cap --------------------------------------------------------------------------


class CountingInput:
    """A ``wsgi.input`` of ``size`` bytes made on demand, counting what is read."""

    def __init__(self, size: int):
        self.size = size
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.read_bytes
        n = left if n is None or n < 0 else min(n, left)
        self.read_bytes += n
        return b"x" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(min(n, 8192) if n and n > 0 else 8192)


def _environ(path: str, stream, length: int | None, content_type: str) -> dict:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": content_type,
        "wsgi.input": stream,
        "SERVER_NAME": "localhost",
        "HTTP_HOST": "localhost",
    }
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    setup_testing_defaults(environ)
    return environ


def _call(app, environ) -> tuple[str, bytes]:
    status = []

    def start_response(value, headers, exc_info=None):
        status.append(value)

    body = b"".join(app(environ, start_response))
    return status[0], body


def test_200_mb_multipart_to_sign_in_is_refused_unread_by_the_wsgi_app(db):
    """The finding: a 200 MB anonymous multipart POST to the sign-in page was spooled."""
    from hoptac.wsgi import application

    stream = CountingInput(200 * MB)
    environ = _environ("/accounts/login/", stream, 200 * MB, "multipart/form-data; boundary=xyz")
    status, body = _call(application, environ)
    assert status.startswith("413")
    assert stream.read_bytes == 0
    assert b"10 MB" in body


def test_the_wsgi_app_serves_normal_requests(db):
    from hoptac.wsgi import application

    environ = _environ("/healthz", CountingInput(0), None, "")
    environ["REQUEST_METHOD"] = "GET"
    status, _body = _call(application, environ)
    assert status.startswith("200")


def test_a_chunked_body_is_cut_at_the_cap(settings):
    """Without Content-Length the body's stream stops at the cap, whoever reads it."""
    settings.MAX_BODY = 1 * MB
    stream = CountingInput(200 * MB)
    seen = {}

    def reader(environ, start_response):
        try:
            environ["wsgi.input"].read()
        except bodylimit.BodyTooLarge:
            seen["refused"] = True
        start_response("200 OK", [])
        return [b""]

    _call(bodylimit.BodyLimitWSGI(reader), _environ("/hooks/sms/esms/", stream, None, "application/json"))
    assert seen == {"refused": True}
    assert stream.read_bytes <= 1 * MB + 64 * 1024
    limited = bodylimit.LimitedInput(CountingInput(3 * MB), 1 * MB)
    assert len(limited.read(MB)) == MB
    with pytest.raises(bodylimit.BodyTooLarge):
        limited.read(10)
    assert bodylimit.LimitedInput(io.BytesIO(b"a\nb\n"), 100).readlines() == [b"a\n", b"b\n"]


def test_the_django_middleware_refuses_before_reading(client, db, settings):
    stream = CountingInput(200 * MB)
    response = client.generic(
        "POST",
        "/accounts/login/",
        b"x",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(200 * MB),
        **{"wsgi.input": stream},
    )
    assert response.status_code == 413
    assert stream.read_bytes == 0
    settings.MAX_BODY = 1000
    assert client.post("/accounts/login/", "x" * 1000, content_type="text/plain").status_code != 413
    assert client.post("/accounts/login/", "x" * 1001, content_type="text/plain").status_code == 413
    assert client.generic("POST", "/accounts/login/", b"", CONTENT_LENGTH="-5").status_code == 413


def test_the_cap_leaves_room_for_the_largest_upload(settings):
    from hoptac.catalog import photos

    assert settings.MAX_BODY >= 10 * MB
    assert max(photos.MAX_BYTES, photos.DOCUMENT_MAX_BYTES, settings.MAX_IMPORT_BYTES) < settings.MAX_BODY


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # no request lines on the test output
        pass


def test_a_live_server_answers_413_without_waiting_for_the_body(db):
    """Over a real socket: the headers announce 200 MB, no body follows, and the answer
    comes at once (the server does not wait for, nor read, the body)."""
    from hoptac.wsgi import application

    server = make_server("127.0.0.1", 0, application, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        with socket.create_connection(server.server_address, timeout=10) as sock:
            sock.sendall(
                b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=xyz\r\n"
                b"Content-Length: " + str(200 * MB).encode() + b"\r\n\r\n" + b"--xyz\r\n"
            )
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413"), answer[:80]
    finally:
        thread.join(timeout=10)
        server.server_close()


# --- webhooks: secret in a header or a signature, bodies within limits ------------------------


@pytest.fixture
def hooks_on(settings, tmp_path):
    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "FILE_DIR": str(tmp_path / "outbox"),
        "HOOK_SECRETS": dict(SECRETS),
    }


@pytest.fixture
def sent(coop_a, member_a, hooks_on):
    from hoptac.core.tenancy import tenant
    from hoptac.outbox import services

    with tenant(coop_a):
        message = services.queue(kind="other", text="Thu mua", member=member_a)
    Message.unscoped.filter(pk=message.pk).update(
        status=Status.SENT, provider="speedsms", provider_id="70001", attempts=1
    )
    return message


def _signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _report(tran_id=70001, status=0) -> bytes:
    return json.dumps(
        {"type": "report", "tranId": tran_id, "phone": "84987654321", "status": status}
    ).encode()


def test_delivery_report_with_the_secret_in_a_header(client, sent):
    response = client.post(
        "/hooks/dlr/speedsms/",
        _report(),
        content_type="application/json",
        HTTP_X_HOPTAC_SECRET=SECRETS["speedsms"],
    )
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.DELIVERED


def test_delivery_report_signed_with_hmac(client, sent):
    body = _report()
    response = client.post(
        "/hooks/dlr/speedsms/",
        body,
        content_type="application/json",
        HTTP_X_HOPTAC_SIGNATURE=_signature(SECRETS["speedsms"], body),
    )
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.DELIVERED


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_HOPTAC_SECRET": "wrong"},
        {"HTTP_X_HOPTAC_SECRET": SECRETS["esms"]},  # another gateway's secret
        {"HTTP_X_HOPTAC_SIGNATURE": "sha256=" + "0" * 64},
        {"HTTP_X_HOPTAC_SIGNATURE": _signature(SECRETS["speedsms"], b"another body")},
        {"HTTP_X_HOPTAC_SIGNATURE": "md5=abc"},
    ],
)
def test_webhooks_without_the_right_secret_are_404_and_change_nothing(client, sent, headers):
    response = client.post("/hooks/dlr/speedsms/", _report(), content_type="application/json", **headers)
    assert response.status_code == 404
    sms = client.post(
        "/hooks/sms/speedsms/",
        {"phone": "0987654321", "message": "GIA", "id": "gw-1"},
        **headers,
    )
    assert sms.status_code == 404
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert InboundSms.objects.count() == 0


def test_unset_secret_refuses_headers_too(client, sent, settings):
    settings.OUTBOX = {**settings.OUTBOX, "HOOK_SECRETS": {**SECRETS, "speedsms": ""}}
    response = client.post(
        "/hooks/dlr/speedsms/", _report(), content_type="application/json", HTTP_X_HOPTAC_SECRET=""
    )
    assert response.status_code == 404


def test_inbound_sms_with_header_or_signature(client, hooks_on, member_a):
    ok = client.post(
        "/hooks/sms/esms/",
        {"phone": "0987654321", "message": "GIA", "id": "gw-1"},
        HTTP_X_HOPTAC_SECRET=SECRETS["esms"],
    )
    assert ok.status_code == 200
    body = json.dumps({"phone": "0987654321", "message": "GIA", "id": "gw-2"}).encode()
    signed = client.post(
        "/hooks/sms/esms/",
        body,
        content_type="application/json",
        HTTP_X_HOPTAC_SIGNATURE=_signature(SECRETS["esms"], body),
    )
    assert signed.status_code == 200
    assert set(InboundSms.objects.values_list("gateway_id", flat=True)) == {"gw-1", "gw-2"}


def _deep(levels: int) -> bytes:
    """``{"a":{"a":…1…}}`` nested ``levels`` deep."""
    return ('{"a":' * levels + "1" + "}" * levels).encode()


HOOK_URLS = [
    ("/hooks/dlr/speedsms/s-speed-456/", {}),
    ("/hooks/dlr/speedsms/", {"HTTP_X_HOPTAC_SECRET": SECRETS["speedsms"]}),
    ("/hooks/dlr/zalo/s-zalo-789/", {}),
    ("/hooks/sms/esms/s-esms-123/", {}),
    ("/hooks/sms/esms/", {"HTTP_X_HOPTAC_SECRET": SECRETS["esms"]}),
]


@pytest.mark.parametrize(("url", "headers"), HOOK_URLS)
@pytest.mark.parametrize(
    "body",
    [
        _deep(5000),  # 30 KB: json.loads raised RecursionError, a 500
        ("[" * 30000 + "]" * 30000).encode(),
        _deep(safejson.MAX_DEPTH + 1),
    ],
    ids=["objects-5000-deep", "arrays-30000-deep", "just-too-deep"],
)
def test_deeply_nested_json_is_400_not_500(client, sent, url, headers, body):
    response = client.post(url, body, content_type="application/json", **headers)
    assert response.status_code == 400
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert InboundSms.objects.count() == 0


@pytest.mark.parametrize(("url", "headers"), HOOK_URLS)
def test_oversized_webhook_bodies_are_400_unread(client, sent, url, headers):
    stream = CountingInput(5 * MB)
    response = client.generic(
        "POST",
        url,
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(5 * MB),
        **{"wsgi.input": stream},
        **headers,
    )
    assert response.status_code == 400
    assert stream.read_bytes == 0
    too_many_fields = "&".join(f"f{i}=1" for i in range(2000))
    response = client.post(url, too_many_fields, content_type="application/x-www-form-urlencoded", **headers)
    assert response.status_code == 400


def test_nesting_within_the_limit_is_read(client, sent):
    nested = {"type": "report", "tranId": 70001, "status": 0, "extra": json.loads(_deep(20))}
    response = client.post(
        "/hooks/dlr/speedsms/s-speed-456/", json.dumps(nested), content_type="application/json"
    )
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.DELIVERED


@pytest.mark.parametrize("gateway", ["esms", "speedsms", "zalo"])
@pytest.mark.parametrize("odd", [[1, [2]], {"x": {"y": []}}, None, 3.5, "", True])
def test_odd_json_values_never_answer_500(client, sent, gateway, odd):
    bodies = [
        {"SMSID": odd, "SendStatus": odd},
        {"type": "report", "tranId": odd, "status": odd},
        {"event_name": "user_received_message", "message": odd},
        {"event_name": odd, "message": {"msg_id": odd}},
        {"phone": odd, "message": odd, "id": odd},
    ]
    for body in bodies:
        for url in (f"/hooks/dlr/{gateway}/{SECRETS[gateway]}/", f"/hooks/sms/{gateway}/{SECRETS[gateway]}/"):
            response = client.post(url, json.dumps(body), content_type="application/json")
            assert response.status_code in (200, 400), (url, body, response.status_code)


def test_safejson_depth_ignores_brackets_in_strings():
    assert safejson.depth('{"a": "[[[[{{{{", "b": "\\"[["}') == 1
    assert safejson.loads(b'{"a": "[[[["}') == {"a": "[[[["}
    with pytest.raises(ValueError):
        safejson.loads(b"[" * 40 + b"]" * 40)
    with pytest.raises(ValueError):
        safejson.loads(b" " * (safejson.MAX_BYTES + 1))


# --- webhook secrets kept out of the logs --------------------------------------------------------


def test_redact_masks_the_secret_segment_only():
    assert (
        redact("GET /hooks/dlr/esms/s-esms-123/?SMSID=1 HTTP/1.1")
        == "GET /hooks/dlr/esms/***/?SMSID=1 HTTP/1.1"
    )
    assert redact("Not Found: /hooks/sms/esms/abc") == "Not Found: /hooks/sms/esms/***"
    assert redact("/hooks/dlr/esms/") == "/hooks/dlr/esms/"
    assert redact("/c/coop-a/members/") == "/c/coop-a/members/"
    assert redact(42) == 42
    # The one-time token of a staff invitation link is a secret too.
    assert redact("GET /invitation/Zk3-abc_DEF/ HTTP/1.1") == "GET /invitation/***/ HTTP/1.1"


def _configured_handler() -> logging.Handler:
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, RedactSecrets) for f in handler.filters):
            return handler
    pytest.fail("no root log handler has the RedactSecrets filter (settings.LOGGING)")


def test_django_request_log_shows_no_webhook_secret(client, hooks_on):
    """A 404 or 400 on a webhook is logged by django.request with its path."""
    handler = _configured_handler()
    buffer = io.StringIO()
    # Swapped in place: setStream() would flush the old stream, which pytest may have closed.
    old, handler.stream = handler.stream, buffer
    try:
        assert client.get("/hooks/dlr/esms/wrong-but-real-looking/").status_code == 404
        assert (
            client.post(
                "/hooks/sms/esms/s-esms-123/", "{not json", content_type="application/json"
            ).status_code
            == 400
        )
    finally:
        handler.stream = old
    written = buffer.getvalue()
    assert "/hooks/dlr/esms/***/" in written
    assert "/hooks/sms/esms/***/" in written
    assert "wrong-but-real-looking" not in written and "s-esms-123" not in written


class _Response:
    status = "200 OK"
    headers = [("Content-Type", "application/json")]
    sent = 11


class _Request:
    headers = [("X-HOPTAC-SECRET", "s-esms-123"), ("USER-AGENT", "gateway")]


def test_gunicorn_access_log_shows_no_webhook_secret(tmp_path):
    from gunicorn.config import Config

    from hoptac.cli import gunicorn_options
    from hoptac.core.accesslog import RedactingLogger

    options = gunicorn_options("127.0.0.1", 8000, 1)
    assert options["logger_class"] == "hoptac.core.accesslog.RedactingLogger"
    assert options["accesslog"] == "-"
    config = Config()
    config.set("logger_class", options["logger_class"])
    assert config.logger_class is RedactingLogger
    log_file = tmp_path / "access.log"
    config.set("accesslog", str(log_file))
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s %(U)s %({x-hoptac-secret}i)s %({raw_uri}e)s')
    logger = RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/hooks/dlr/esms/s-esms-123/?SMSID=1",
        "PATH_INFO": "/hooks/dlr/esms/s-esms-123/",
        "QUERY_STRING": "SMSID=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.5",
    }
    logger.access(_Response(), _Request(), environ, dt.timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = log_file.read_text()
    assert "GET /hooks/dlr/esms/***/?SMSID=1 HTTP/1.1" in line
    assert "s-esms-123" not in line
    assert "203.0.113.5" in line


def test_other_routes_are_untouched_by_the_filter():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/c/x/",), None
    )
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == "Not Found: /c/x/"


def test_anonymous_client_gets_the_headers_on_a_404(db):
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert header_problems(response, private=False) == []

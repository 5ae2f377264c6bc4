"""The real gateway clients (eSMS, SpeedSMS, Zalo ZNS) against local fake servers that
speak their APIs, alone and through the outbox pipeline, and the delivery-report hooks."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from hoptac.core.tenancy import tenant
from hoptac.outbox import dispatch, services
from hoptac.outbox.models import Attempt, Channel, Kind, Message, Status, ZaloToken
from hoptac.outbox.transports import transport_for
from hoptac.outbox.transports.esms import EsmsTransport
from hoptac.outbox.transports.speedsms import SpeedSmsTransport
from hoptac.outbox.transports.zalo import ZaloTransport, access_token

pytest_plugins = ["tests.fakes.gateways"]

SECRETS = {"esms": "s-esms-123", "speedsms": "s-speed-456", "zalo": "s-zalo-789"}


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.PUBLIC_URL = ""
    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "SMS_BACKEND": "esms",
        "FILE_DIR": str(tmp_path / "outbox"),
        "TIMEOUT_SECONDS": 5,
        "HOOK_SECRETS": dict(SECRETS),
        "ZALO_BACKEND": "zns",
        "ZALO": {
            **settings.OUTBOX["ZALO"],
            "APP_ID": "",
            "TEMPLATES": {"announcement": "3001", "receipt": "3002"},
        },
    }


def short_timeout(settings, seconds: float = 0.5) -> None:
    settings.OUTBOX = {**settings.OUTBOX, "TIMEOUT_SECONDS": seconds}


def sms(text: str = "Mai thu mua mat ong o diem Pa Vi", phone: str = "0987654321", **kw) -> Message:
    """An unsaved outbox row, enough for a transport."""
    return Message(kind=kw.pop("kind", Kind.OTHER), to_phone=phone, text=text, body=text, **kw)


def dead_url() -> str:
    """An address where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def hook_url(gateway: str, secret: str | None = None) -> str:
    return reverse(
        "outbox_hooks:delivery_report", kwargs={"gateway": gateway, "secret": secret or SECRETS[gateway]}
    )


def outcomes(message) -> list[str]:
    return list(Attempt.unscoped.filter(message=message).values_list("outcome", flat=True))


# --- eSMS ---------------------------------------------------------------------------------


def test_esms_accepts_unaccented_text_as_gsm7(esms_server):
    message = sms()
    outcome = EsmsTransport().send(message)
    assert outcome.kind == "sent"
    [got] = esms_server.sms
    assert outcome.provider_id == got["SMSID"]
    assert got["RequestId"] == message.request_id
    assert got["Phone"] == "0987654321" and got["Content"] == message.body
    assert got["IsUnicode"] == 0 and got["Brandname"] == "HOPTAC" and got["SmsType"] == "2"
    assert "CallbackUrl" not in got  # no PUBLIC_URL


def test_esms_sends_vietnamese_with_accents_as_unicode(esms_server):
    assert EsmsTransport().send(sms("Giá mật ong hôm nay 500.000đ")).kind == "sent"
    assert esms_server.sms[0]["IsUnicode"] == 1
    assert esms_server.sms[0]["Content"] == "Giá mật ong hôm nay 500.000đ"


def test_esms_callback_url_uses_public_url_and_secret(esms_server, settings):
    settings.PUBLIC_URL = "https://hoptac.example/"
    EsmsTransport().send(sms())
    assert esms_server.sms[0]["CallbackUrl"] == f"https://hoptac.example/hooks/dlr/esms/{SECRETS['esms']}/"
    settings.OUTBOX = {**settings.OUTBOX, "HOOK_SECRETS": {**SECRETS, "esms": ""}}
    EsmsTransport().send(sms())
    assert "CallbackUrl" not in esms_server.sms[1]


def test_esms_repeated_request_id_is_a_duplicate_and_one_sms(esms_server):
    message = sms()
    transport = EsmsTransport()
    assert transport.send(message).kind == "sent"
    second = transport.send(message)
    assert second.kind == "duplicate" and second.code == ""
    assert len(esms_server.sms) == 1 and esms_server.duplicates == 1
    assert transport.send(sms()).kind == "sent"  # another row, another request id
    assert len(esms_server.sms) == 2


@pytest.mark.parametrize(
    ("mode", "kind", "code"),
    [
        ("101", "permanent", "101"),
        ("103", "permanent", "103"),
        ("104", "permanent", "104"),
        ("99", "transient", "99"),
        ("777", "permanent", "777"),
        ("http_500", "transient", "http_500"),
        ("not_json", "transient", "bad_response"),
        ("drop", "transient", "dropped"),
    ],
)
def test_esms_errors_map_to_outcomes(esms_server, mode, kind, code):
    esms_server.mode = mode
    outcome = EsmsTransport().send(sms())
    assert (outcome.kind, outcome.code) == (kind, code)
    assert outcome.detail
    assert esms_server.sms == []


def test_esms_wrong_key_is_permanent(esms_server, settings):
    settings.OUTBOX = {**settings.OUTBOX, "ESMS": {**settings.OUTBOX["ESMS"], "SECRET_KEY": "wrong"}}
    outcome = EsmsTransport().send(sms())
    assert (outcome.kind, outcome.code) == ("permanent", "101")
    assert esms_server.sms == [] and len(esms_server.requests) == 1


def test_esms_without_a_key_does_not_call_out(esms_server, settings):
    settings.OUTBOX = {**settings.OUTBOX, "ESMS": {**settings.OUTBOX["ESMS"], "API_KEY": ""}}
    outcome = EsmsTransport().send(sms())
    assert (outcome.kind, outcome.code) == ("permanent", "not_configured")
    assert esms_server.requests == []


def test_esms_timeout_is_transient(esms_server, settings):
    short_timeout(settings)
    esms_server.mode = "hang"
    started = time.monotonic()
    outcome = EsmsTransport().send(sms())
    assert (outcome.kind, outcome.code) == ("transient", "timeout")
    assert time.monotonic() - started < 3


def test_esms_refused_connection_is_transient(settings):
    settings.OUTBOX = {
        **settings.OUTBOX,
        "ESMS": {**settings.OUTBOX["ESMS"], "URL": dead_url(), "API_KEY": "k", "SECRET_KEY": "s"},
    }
    outcome = EsmsTransport().send(sms())
    assert (outcome.kind, outcome.code) == ("transient", "network")


def test_esms_through_the_pipeline(coop_a, member_a, esms_server):
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Mai thu mua mật ong", member=member_a)
        accented = services.queue(
            kind=Kind.OTHER, text="Mai thu mua mật ong", member=member_a, unaccented=False
        )
    assert dispatch.drain() == 2
    message.refresh_from_db()
    accented.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 1 and message.provider == "esms"
    by_request = {s["RequestId"]: s for s in esms_server.sms}
    assert message.provider_id == by_request[message.request_id]["SMSID"]
    assert by_request[message.request_id]["IsUnicode"] == 0
    assert by_request[message.request_id]["Content"] == "Mai thu mua mat ong"
    assert by_request[accented.request_id]["IsUnicode"] == 1
    assert outcomes(message) == ["sent"]
    assert dispatch.drain() == 0 and len(esms_server.sms) == 2


def test_esms_answer_lost_then_retry_is_one_sms(coop_a, member_a, member_a2, esms_server, settings, client):
    """The 2nd request reaches eSMS but its answer never comes back (as if the line or the
    worker died): that row is retried with the same RequestId, eSMS answers 124, and the
    member still gets exactly one SMS. The delivery report then finds the row by RequestId."""
    short_timeout(settings)
    hung = []

    def hook(fake, number, payload):
        if number == 2:
            hung.append(payload["RequestId"])
            return fake.Action.ACCEPT_AND_HANG
        return None

    esms_server.hook = hook
    with tenant(coop_a):
        rows = [
            services.queue(kind=Kind.OTHER, text=f"Tin {i}", member=m)
            for i, m in enumerate([member_a, member_a2, member_a])
        ]
    assert dispatch.drain() == 3
    for row in rows:
        row.refresh_from_db()
    [lost] = [r for r in rows if r.request_id in hung]
    assert lost.status == Status.QUEUED and lost.error_code == "timeout"
    assert sorted(r.status for r in rows) == [Status.QUEUED, Status.SENT, Status.SENT]
    assert len(esms_server.sms) == 3  # eSMS got all three

    Message.unscoped.filter(pk=lost.pk).update(next_attempt_at=timezone.now())
    assert dispatch.drain() == 1
    lost.refresh_from_db()
    assert lost.status == Status.SENT and lost.attempts == 2
    assert outcomes(lost) == ["transient", "duplicate"]
    assert len(esms_server.sms) == 3 and esms_server.duplicates == 1
    assert lost.provider_id == ""  # the 124 answer has no SMSID

    sms_id = esms_server.by_request_id[lost.request_id]
    response = client.get(
        hook_url("esms"),
        {
            "SMSID": sms_id,
            "SendStatus": "5",
            "SendSuccess": "1",
            "SendFailed": "0",
            "RequestId": lost.request_id,
        },
    )
    assert response.status_code == 200
    lost.refresh_from_db()
    assert lost.status == Status.DELIVERED and lost.provider_id == sms_id


def test_esms_worker_died_after_sending_is_resent_as_duplicate(coop_a, member_a, esms_server):
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Hop thanh vien 8h", member=member_a)
    [claimed] = dispatch.claim("dead-worker")
    assert transport_for("sms").send(claimed).kind == "sent"  # then the worker dies
    Message.unscoped.filter(pk=message.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert dispatch.drain(worker="new-worker") == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 2
    assert outcomes(message) == ["duplicate"]
    assert len(esms_server.sms) == 1


def test_esms_permanent_refusal_fails_and_refunds_quota(coop_a, member_a, esms_server):
    esms_server.mode = "103"
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Thu mua", member=member_a)
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.error_code == "103"
    assert services.quota_used(coop_a) == 0
    assert outcomes(message) == ["permanent"]


def test_esms_unknown_error_waits_and_retries(coop_a, member_a, esms_server):
    esms_server.mode = "99"
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Thu mua", member=member_a)
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.QUEUED and message.error_code == "99"
    assert message.next_attempt_at > timezone.now()
    esms_server.mode = "ok"
    Message.unscoped.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 2
    assert [s["RequestId"] for s in esms_server.sms] == [message.request_id]


# --- SpeedSMS -----------------------------------------------------------------------------


def test_speedsms_accepts_with_basic_auth(speedsms_server):
    outcome = SpeedSmsTransport().send(sms())
    assert outcome.kind == "sent"
    assert outcome.provider_id == "70001" and outcome.cost_vnd == 250
    [got] = speedsms_server.sms
    assert got["to"] == ["0987654321"] and got["content"] == "Mai thu mua mat ong o diem Pa Vi"
    assert got["sms_type"] == 2 and got["sender"] == "HOPTAC"


def test_speedsms_wrong_token_is_permanent(speedsms_server, settings):
    settings.OUTBOX = {**settings.OUTBOX, "SPEEDSMS": {**settings.OUTBOX["SPEEDSMS"], "TOKEN": "nope"}}
    outcome = SpeedSmsTransport().send(sms())
    assert (outcome.kind, outcome.code) == ("permanent", "http_401")
    assert speedsms_server.sms == []


@pytest.mark.parametrize(
    ("mode", "kind", "code"),
    [
        ("007", "permanent", "007"),
        ("008", "permanent", "008"),
        ("009", "permanent", "009"),
        ("101", "permanent", "101"),
        ("105", "permanent", "105"),
        ("110", "permanent", "110"),
        ("113", "permanent", "113"),
        ("300", "permanent", "300"),
        ("500", "transient", "500"),
        ("http_500", "transient", "http_500"),
        ("rate_limit", "transient", "http_429"),
        ("not_json", "transient", "bad_response"),
    ],
)
def test_speedsms_errors_map_to_outcomes(speedsms_server, mode, kind, code):
    speedsms_server.mode = mode
    outcome = SpeedSmsTransport().send(sms())
    assert (outcome.kind, outcome.code) == (kind, code)
    assert speedsms_server.sms == []


def test_speedsms_success_listing_our_phone_as_invalid_is_permanent():
    answer = {
        "status": "success",
        "code": "00",
        "data": {"tranId": 1, "totalSMS": 0, "invalidPhone": ["0987654321"]},
    }
    outcome = SpeedSmsTransport.outcome(answer, phone="0987654321")
    assert (outcome.kind, outcome.code) == ("permanent", "105")
    assert SpeedSmsTransport.outcome({**answer, "data": {"tranId": 1, "totalPrice": "x"}}).cost_vnd is None


def test_speedsms_timeout_is_transient(speedsms_server, settings):
    short_timeout(settings)
    speedsms_server.mode = "hang"
    outcome = SpeedSmsTransport().send(sms())
    assert (outcome.kind, outcome.code) == ("transient", "timeout")


def test_speedsms_through_the_pipeline_records_the_price(coop_a, member_a, speedsms_server, settings):
    settings.OUTBOX = {**settings.OUTBOX, "SMS_BACKEND": "speedsms"}
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Thu mua", member=member_a)
    assert message.cost_vnd == 800  # the estimate
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.SENT and message.provider == "speedsms"
    assert message.provider_id == "70001" and message.cost_vnd == 250


def test_speedsms_no_answer_in_time_becomes_doubt_not_a_retry(coop_a, member_a, speedsms_server, settings):
    """SpeedSMS has no request id: after a timeout it may have the SMS, so the row waits
    for staff ("doubt") instead of being retried into a second SMS."""
    settings.OUTBOX = {**settings.OUTBOX, "SMS_BACKEND": "speedsms"}
    short_timeout(settings)
    speedsms_server.hook = lambda fake, number, payload: fake.Action.ACCEPT_AND_HANG
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Thu mua", member=member_a)
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.DOUBT and message.error_code == "timeout"
    assert outcomes(message) == ["unknown"]
    assert dispatch.drain() == 0  # not retried by itself


def test_esms_no_answer_in_time_is_retried_with_the_same_request_id(coop_a, member_a, esms_server, settings):
    short_timeout(settings)
    esms_server.hook = lambda fake, number, payload: fake.Action.ACCEPT_AND_HANG if number == 1 else None
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Thu mua", member=member_a)
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.QUEUED and message.error_code == "timeout"
    Message.unscoped.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert outcomes(message) == ["transient", "duplicate"] and len(esms_server.sms) == 1


def test_speedsms_interrupted_send_becomes_doubt_not_a_second_sms(
    coop_a, member_a, speedsms_server, settings
):
    settings.OUTBOX = {**settings.OUTBOX, "SMS_BACKEND": "speedsms"}
    assert transport_for("sms").idempotent is False
    with tenant(coop_a):
        message = services.queue(kind=Kind.OTHER, text="Thu mua", member=member_a)
    [claimed] = dispatch.claim("dead-worker")
    assert transport_for("sms").send(claimed).kind == "sent"  # then the worker dies
    Message.unscoped.filter(pk=message.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert dispatch.drain() == 0
    message.refresh_from_db()
    assert message.status == Status.DOUBT and message.error_code == "interrupted"
    assert len(speedsms_server.sms) == 1 and len(speedsms_server.requests) == 1


# --- Zalo ---------------------------------------------------------------------------------


def zns(phone: str = "0987654321", kind: str = Kind.ANNOUNCEMENT) -> Message:
    return Message(
        kind=kind,
        to_phone=phone,
        text="Giá mật ong hôm nay",
        body="Giá mật ong hôm nay",
        zalo_template="3001",
        zalo_data={"customer_name": "Đức", "content": "Giá mật ong hôm nay"},
    )


def test_zalo_first_send_refreshes_the_token_and_stores_the_pair(db, zalo_server):
    message = zns()
    outcome = ZaloTransport().send(message)
    assert outcome.kind == "sent"
    [got] = zalo_server.sent
    assert outcome.provider_id == got["msg_id"]
    assert got["phone"] == "84987654321" and got["template_id"] == "3001"
    assert got["tracking_id"] == message.request_id
    assert got["template_data"] == {"customer_name": "Đức", "content": "Giá mật ong hôm nay"}
    token = ZaloToken.objects.get(pk=1)
    assert (token.access_token, token.refresh_token) == ("AT-1", "RT-1")
    assert token.expires_at > timezone.now() + dt.timedelta(hours=24)
    assert zalo_server.refresh_tokens_used == ["RT-0"]
    assert ZaloTransport().send(zns()).kind == "sent"
    assert zalo_server.refreshes == 1  # the stored token is used again


def test_zalo_expired_token_is_refreshed_once_and_the_send_retried(db, zalo_server):
    assert ZaloTransport().send(zns()).kind == "sent"
    zalo_server.expire_access_tokens()  # Zalo now answers -124 to AT-1
    outcome = ZaloTransport().send(zns())
    assert outcome.kind == "sent"
    assert zalo_server.refreshes == 2 and len(zalo_server.sent) == 2
    assert ZaloToken.objects.get(pk=1).access_token == "AT-2"


def test_zalo_locally_expired_token_is_refreshed_before_sending(db, zalo_server):
    ZaloToken.objects.create(
        pk=1, access_token="AT-old", refresh_token="RT-0", expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert ZaloTransport().send(zns()).kind == "sent"
    assert zalo_server.refreshes == 1
    assert not any(r["headers"].get("access_token") == "AT-old" for r in zalo_server.requests)


def test_zalo_used_refresh_token_is_never_reused(db, zalo_server):
    for _round in range(3):
        assert ZaloTransport().send(zns()).kind == "sent"
        zalo_server.expire_access_tokens()
    ZaloToken.objects.filter(pk=1).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert ZaloTransport().send(zns()).kind == "sent"
    assert zalo_server.refresh_tokens_used == ["RT-0", "RT-1", "RT-2", "RT-3"]
    assert zalo_server.reused == [] and zalo_server.rejected == []
    assert ZaloToken.objects.get(pk=1).refresh_token == "RT-4"


def test_zalo_token_refused_even_after_a_refresh_is_permanent(db, zalo_server):
    zalo_server.mode = -124  # refuses every token, even a new one
    outcome = ZaloTransport().send(zns())
    assert (outcome.kind, outcome.code) == ("permanent", "-124")
    assert zalo_server.refreshes == 2  # the first token, then one refresh after the refusal
    assert len([r for r in zalo_server.requests if r["path"] == "/message/template"]) == 2


def test_zalo_token_replaced_by_another_worker_is_not_refreshed_again(db, zalo_server):
    assert ZaloTransport().send(zns()).kind == "sent"
    # A worker that was refused "AT-0" asks for a new token: AT-1 is already newer.
    assert access_token(stale="AT-0") == "AT-1"
    assert zalo_server.refreshes == 1


def test_zalo_refused_refresh_token_is_permanent(db, zalo_server):
    ZaloToken.objects.create(pk=1, refresh_token="RT-revoked")
    outcome = ZaloTransport().send(zns())
    assert (outcome.kind, outcome.code) == ("permanent", "zalo_auth")
    assert zalo_server.rejected == ["RT-revoked"] and zalo_server.sent == []
    assert ZaloToken.objects.get(pk=1).refresh_token == "RT-revoked"  # kept: staff decide


def test_zalo_unreachable_oauth_is_transient(db, zalo_server, settings):
    settings.OUTBOX = {**settings.OUTBOX, "ZALO": {**settings.OUTBOX["ZALO"], "OAUTH_URL": dead_url()}}
    outcome = ZaloTransport().send(zns())
    assert (outcome.kind, outcome.code) == ("transient", "network")
    assert not ZaloToken.objects.exclude(access_token="").exists()


@pytest.mark.parametrize(
    ("mode", "kind", "code"),
    [
        (-108, "permanent", "-108"),
        (-109, "permanent", "-109"),
        (-114, "permanent", "-114"),
        (-118, "permanent", "-118"),
        (-139, "permanent", "-139"),
        (-100, "transient", "-100"),
        (-32, "transient", "-32"),
        (-133, "transient", "-133"),
        ("http_500", "transient", "http_500"),
        ("not_json", "transient", "bad_response"),
    ],
)
def test_zalo_errors_map_to_outcomes(db, zalo_server, mode, kind, code):
    zalo_server.mode = mode
    outcome = ZaloTransport().send(zns())
    assert (outcome.kind, outcome.code) == (kind, code)
    assert zalo_server.sent == []


def test_zalo_timeout_is_transient(db, zalo_server, settings):
    ZaloToken.objects.create(
        pk=1, access_token="AT-x", refresh_token="RT-0", expires_at=timezone.now() + dt.timedelta(hours=2)
    )
    zalo_server.valid_access.add("AT-x")
    short_timeout(settings)
    zalo_server.mode = "hang"
    outcome = ZaloTransport().send(zns())
    assert (outcome.kind, outcome.code) == ("transient", "timeout")


def test_zalo_needs_a_phone_and_a_template_for_the_kind(zalo_server):
    transport = transport_for("zalo")
    assert isinstance(transport, ZaloTransport) and transport.idempotent is False
    assert transport.can_send(kind=Kind.ANNOUNCEMENT, phone="0987654321", email="", has_account=False)
    assert not transport.can_send(kind=Kind.ORDER, phone="0987654321", email="", has_account=False)
    assert not transport.can_send(kind=Kind.ANNOUNCEMENT, phone="", email="a@b.vn", has_account=True)


@pytest.mark.django_db(transaction=True)
def test_zalo_two_workers_refresh_the_token_exactly_once(zalo_server):
    """Two threads find the token expired at the same time; the refresh token is single-use,
    so exactly one of them may trade it. The other waits for the row lock, sees the new
    token and uses it."""
    ZaloToken.objects.create(
        pk=1, access_token="AT-old", refresh_token="RT-0", expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    zalo_server.refresh_delay = 0.5
    barrier = threading.Barrier(2)
    results: list = []

    def worker():
        try:
            barrier.wait(timeout=5)
            results.append(ZaloTransport().send(zns()))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [getattr(r, "kind", r) for r in results] == ["sent", "sent"]
    assert zalo_server.refreshes == 1
    assert zalo_server.refresh_tokens_used == ["RT-0"]
    assert zalo_server.reused == [] and zalo_server.rejected == []
    assert {s["access_token"] for s in zalo_server.sent} == {"AT-1"}
    token = ZaloToken.objects.get(pk=1)
    assert (token.access_token, token.refresh_token) == ("AT-1", "RT-1")


def test_zalo_without_zalo_account_falls_back_to_sms(coop_a, member_a, zalo_server, esms_server):
    member_a.channels = "zalo,sms"
    member_a.save()
    zalo_server.no_zalo = {"84987654321"}
    with tenant(coop_a):
        first = services.queue(kind=Kind.ANNOUNCEMENT, text="Giá mật ong hôm nay 500.000đ", member=member_a)
    assert first.channel == Channel.ZALO and first.fallbacks == "sms" and first.zalo_template == "3001"
    assert dispatch.drain() == 2
    first.refresh_from_db()
    assert first.status == Status.FAILED and first.error_code == "-118" and first.provider == "zalo"
    second = first.fallback
    assert second.channel == Channel.SMS and second.status == Status.SENT and second.provider == "esms"
    [got] = esms_server.sms
    assert got["Content"] == "Gia mat ong hom nay 500.000d" and got["IsUnicode"] == 0
    assert got["RequestId"] == second.request_id != first.request_id
    assert zalo_server.sent == []


def test_zalo_through_the_pipeline_then_delivered_by_webhook(coop_a, member_a, zalo_server, client):
    member_a.channels = "zalo,sms"
    member_a.save()
    with tenant(coop_a):
        message = services.queue(kind=Kind.ANNOUNCEMENT, text="Hop thanh vien", member=member_a)
    dispatch.drain()
    message.refresh_from_db()
    [got] = zalo_server.sent
    assert message.status == Status.SENT and message.provider == "zalo"
    assert message.provider_id == got["msg_id"] and got["tracking_id"] == message.request_id
    event = {
        "app_id": "zalo-app",
        "event_name": "user_received_message",
        "message": {
            "msg_id": got["msg_id"],
            "tracking_id": message.request_id,
            "delivery_time": "1700000000000",
        },
        "timestamp": "1700000000000",
    }
    response = client.post(hook_url("zalo"), event, content_type="application/json")
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.DELIVERED and message.delivered_at is not None


# --- Delivery-report hooks ----------------------------------------------------------------


@pytest.fixture
def sent_sms(coop_a, member_a):
    """An SMS the gateway accepted, waiting for its delivery report."""

    def make(provider: str, provider_id: str, **fields) -> Message:
        with tenant(coop_a):
            message = services.queue(kind=Kind.OTHER, text="Thu mua", member=member_a)
        Message.unscoped.filter(pk=message.pk).update(
            status=Status.SENT, provider=provider, provider_id=provider_id, attempts=1, **fields
        )
        message.refresh_from_db()
        return message

    return make


def esms_report(sms_id: str, status: str = "5", success: str = "1", failed: str = "0") -> dict:
    return {
        "SMSID": sms_id,
        "SendFailed": failed,
        "SendStatus": status,
        "SendSuccess": success,
        "TotalPrice": "0.0000",
        "TotalReceiver": "1",
        "TotalSent": "1",
        "RequestId": "",
        "TypeId": "2",
        "telcoid": "1",
        "phonenumber": "0987654321",
    }


def test_esms_callback_get_marks_delivered(client, sent_sms):
    message = sent_sms("esms", "SMS-1")
    response = client.get(hook_url("esms"), esms_report("SMS-1"))
    assert response.status_code == 200 and response.json() == {"ok": True}
    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert outcomes(message) == ["delivered"]


def test_esms_callback_post_json_and_form(client, sent_sms):
    one = sent_sms("esms", "SMS-1")
    two = sent_sms("esms", "SMS-2")
    assert (
        client.post(hook_url("esms"), esms_report("SMS-1"), content_type="application/json").status_code
        == 200
    )
    assert client.post(hook_url("esms"), esms_report("SMS-2")).status_code == 200  # form-encoded
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == two.status == Status.DELIVERED


@pytest.mark.parametrize(
    ("status", "success", "failed", "expected", "code"),
    [
        ("5", "0", "1", Status.FAILED, "esms_failed"),
        ("5", "0", "0", Status.DELIVERED, ""),
        ("5", "1", "0", Status.DELIVERED, ""),
        ("4", "0", "0", Status.FAILED, "esms_rejected"),
        ("7", "0", "0", Status.SENT, ""),
        ("2", "0", "0", Status.SENT, ""),
    ],
)
def test_esms_callback_failed_rejected_and_interim(client, sent_sms, status, success, failed, expected, code):
    message = sent_sms("esms", "SMS-1")
    response = client.get(hook_url("esms"), esms_report("SMS-1", status, success, failed))
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == expected and message.error_code == code


def test_hook_with_wrong_or_unset_secret_is_404(client, sent_sms, settings):
    message = sent_sms("esms", "SMS-1")
    assert client.get(hook_url("esms", "wrong"), esms_report("SMS-1")).status_code == 404
    assert client.get(hook_url("esms", SECRETS["zalo"]), esms_report("SMS-1")).status_code == 404
    assert client.post(hook_url("nope", SECRETS["esms"]), {}).status_code == 404
    settings.OUTBOX = {**settings.OUTBOX, "HOOK_SECRETS": {**SECRETS, "esms": ""}}
    assert client.get(hook_url("esms"), esms_report("SMS-1")).status_code == 404
    message.refresh_from_db()
    assert message.status == Status.SENT and outcomes(message) == []


@pytest.mark.parametrize(
    ("gateway", "kwargs"),
    [
        ("esms", {"method": "get", "data": {"SendStatus": "5"}}),
        ("esms", {"method": "get", "data": {"SMSID": "SMS-1", "SendStatus": "abc"}}),
        ("esms", {"method": "get", "data": {"SMSID": "SMS-1", "SendStatus": "5", "SendSuccess": "x"}}),
        ("esms", {"method": "post", "data": "{not json", "content_type": "application/json"}),
        ("esms", {"method": "post", "data": "[1, 2]", "content_type": "application/json"}),
        ("speedsms", {"method": "post", "data": "not json", "content_type": "application/json"}),
        (
            "speedsms",
            {"method": "post", "data": {"type": "report", "status": 0}, "content_type": "application/json"},
        ),
        (
            "speedsms",
            {
                "method": "post",
                "data": {"type": "report", "tranId": 70001, "status": "ok"},
                "content_type": "application/json",
            },
        ),
        ("speedsms", {"method": "post", "data": b"\xff\xfe", "content_type": "application/json"}),
        (
            "zalo",
            {"method": "post", "data": {"message": {"msg_id": "SMS-1"}}, "content_type": "application/json"},
        ),
        (
            "zalo",
            {
                "method": "post",
                "data": {"event_name": "user_received_message", "message": {}},
                "content_type": "application/json",
            },
        ),
        ("zalo", {"method": "post", "data": "", "content_type": "application/json"}),
    ],
)
def test_malformed_reports_are_400_and_change_nothing(client, sent_sms, gateway, kwargs):
    message = sent_sms(gateway, "SMS-1" if gateway != "speedsms" else "70001")
    method = kwargs.pop("method")
    response = getattr(client, method)(hook_url(gateway), **kwargs)
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.status == Status.SENT and outcomes(message) == []


def test_unknown_id_answers_like_a_known_one_and_changes_nothing(client, sent_sms):
    message = sent_sms("esms", "SMS-1")
    unknown = client.get(hook_url("esms"), esms_report("SMS-999"))
    assert unknown.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.SENT and Attempt.unscoped.count() == 0
    known = client.get(hook_url("esms"), esms_report("SMS-1"))
    assert known.status_code == 200 and known.content == unknown.content  # nothing disclosed
    # A report for a provider id of another gateway does not touch the row either.
    other = client.post(
        hook_url("speedsms"),
        {"type": "report", "tranId": "SMS-1", "status": 1},
        content_type="application/json",
    )
    assert other.status_code == 200 and other.content == known.content
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_speedsms_report_delivered_and_failed(client, sent_sms):
    ok = sent_sms("speedsms", "70001")
    bad = sent_sms("speedsms", "70002")
    for tran_id, status in ((70001, 0), (70002, 1)):
        response = client.post(
            hook_url("speedsms"),
            {"type": "report", "tranId": tran_id, "phone": "84987654321", "status": status},
            content_type="application/json",
        )
        assert response.status_code == 200
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert ok.status == Status.DELIVERED
    assert bad.status == Status.FAILED and bad.error_code == "speedsms_1"
    assert outcomes(bad) == ["undelivered"]


def test_speedsms_inbound_sms_posted_here_is_ignored(client, sent_sms):
    message = sent_sms("speedsms", "70001")
    response = client.post(
        hook_url("speedsms"),
        {"type": "sms", "phone": "84987654321", "content": "HUY", "tranId": 70001, "status": 0},
        content_type="application/json",
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_zalo_other_events_are_ignored(client, sent_sms):
    message = sent_sms("zalo", "abc123")
    response = client.post(
        hook_url("zalo"),
        {"event_name": "user_send_text", "message": {"msg_id": "abc123", "text": "Chao"}},
        content_type="application/json",
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.SENT
    response = client.post(
        hook_url("zalo"),
        {"event_name": "user_received_message", "message": {"msg_id": "abc123"}},
        content_type="application/json",
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_failed_delivery_report_falls_back_to_the_next_channel(
    client, coop_a, member_a, zalo_server, esms_server
):
    """An SMS that eSMS reports as not delivered fails, and the member's next channel
    (Zalo) is tried with a new row."""
    member_a.channels = "sms,zalo"
    member_a.save()
    with tenant(coop_a):
        message = services.queue(kind=Kind.ANNOUNCEMENT, text="Hop thanh vien", member=member_a)
    assert message.channel == Channel.SMS and message.fallbacks == "zalo"
    dispatch.drain()
    message.refresh_from_db()
    assert message.status == Status.SENT
    sms_id = message.provider_id
    response = client.get(hook_url("esms"), esms_report(sms_id, "5", "0", "1"))
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.error_code == "esms_failed"
    dispatch.drain()
    fallback = message.fallback
    assert fallback.channel == Channel.ZALO and fallback.status == Status.SENT
    assert len(zalo_server.sent) == 1 and len(esms_server.sms) == 1

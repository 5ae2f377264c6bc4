# ruff: noqa: F811 - the fixtures imported from tests.test_api are named again as test arguments
"""The API of messages (/api/v1/c/{slug}/messages) and offers to sell (/offers): the outbox
with its filters and pages in a constant number of queries, one message with its attempts,
sending one message idempotently by ``client_key`` (bad input refused whole, in the
caller's language), the offers members text in and the staff's answer by SMS, and the
permissions message.view / message.send.

The route walk and the schemathesis fuzz of tests/test_api.py cover these routes too.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import typing
import uuid

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hoptac.api import schemas
from hoptac.api import services as api_services
from hoptac.api.common import PAGE_SIZE
from hoptac.api.models import IdempotencyRecord
from hoptac.api.schemas import MessageIn
from hoptac.core.tenancy import tenant
from hoptac.notify import services as notify_services
from hoptac.notify.models import OfferStatus, SellOffer
from hoptac.outbox import dispatch
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Attempt, Channel, Kind, Message, Status
from tests.conftest import make_member
from tests.test_api import (  # noqa: F401 - fixtures and helpers shared with the API's tests
    PREFIX,
    conforms,
    honey_a,
    offer_a,
    openapi_schema,
    own_member_user_a,
    receipt_body,
    response_schema,
    send,
    token_for,
)

MESSAGES = f"{PREFIX}/c/coop-a/messages"
OFFERS = f"{PREFIX}/c/coop-a/offers"


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "FILE_DIR": str(tmp_path)}


def queue(coop, **kwargs) -> Message:
    kwargs.setdefault("kind", Kind.OTHER)
    with tenant(coop), transaction.atomic():
        return outbox.queue(**kwargs)


def body_for(**overrides) -> dict:
    body = {"client_key": str(uuid.uuid4()), "text": "Mai 7 giờ cân mật ong ở điểm Pả Vi."}
    body.update(overrides)
    return body


def counts() -> tuple[int, int]:
    return Message.unscoped.count(), IdempotencyRecord.unscoped.count()


def post(client: Client, url: str, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **extra)


# --- the outbox -------------------------------------------------------------------------------------


def test_list_is_the_outbox_newest_first_with_every_field(
    chair_a, token_for, coop_a, member_a, coop_b, member_b
):
    first = queue(coop_a, text="Giá mật ong hôm nay: 500.000đ/lít", member=member_a, kind=Kind.PRICE)
    second = queue(coop_a, text="Chào anh", phone="0912000999", name="Anh Lâm", kind=Kind.ORDER)
    queue(coop_b, text="Tin của HTX khác", member=member_b)
    data = token_for(chair_a).get(MESSAGES).json()
    assert (data["count"], data["page"], data["page_size"], data["pages"]) == (2, 1, PAGE_SIZE, 1)
    assert [item["id"] for item in data["items"]] == [str(second.uuid), str(first.uuid)]
    item = data["items"][1]
    created = dt.datetime.fromisoformat(item.pop("created_at"))
    assert abs(created - first.created_at) < dt.timedelta(milliseconds=1)  # JSON keeps milliseconds
    assert created.utcoffset() == dt.timedelta(hours=7)
    assert item == {
        "id": str(first.uuid),
        "kind": "price",
        "channel": "sms",
        "status": "queued",
        "member_id": str(member_a.uuid),
        "to_name": member_a.full_name,
        "to_phone": member_a.phone,
        "to_email": "",
        "subject": "",
        "text": "Giá mật ong hôm nay: 500.000đ/lít",
        "body": "Gia mat ong hom nay: 500.000d/lit",
        "segments": 1,
        "cost_vnd": 800,
        "attempts": 0,
        "error_code": "",
        "error": "",
        "sent_at": None,
        "delivered_at": None,
        "previous_id": None,
        "fallback_id": None,
    }
    assert data["items"][0]["member_id"] is None and data["items"][0]["to_name"] == "Anh Lâm"


def test_list_filters(accountant_a, token_for, coop_a, member_a, member_a2):
    old = queue(coop_a, text="Cũ", member=member_a)
    Message.unscoped.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    failed = queue(coop_a, text="Lỗi", member=member_a2)
    Message.unscoped.filter(pk=failed.pk).update(status=Status.FAILED)
    queue(coop_a, text="Thư", email="mua@example.org", kind=Kind.ORDER)
    client = token_for(accountant_a)

    def ids(**params) -> set[str]:
        response = client.get(MESSAGES, params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert len(ids()) == 3
    assert ids(status="failed") == {str(failed.uuid)}
    assert ids(status="queued", channel="sms") == {str(old.uuid)}
    assert {item["to_email"] for item in client.get(MESSAGES, {"channel": "email"}).json()["items"]} == {
        "mua@example.org"
    }
    assert len(ids(kind="order")) == 1 and ids(kind="reply") == set()
    assert ids(member_id=str(member_a.uuid)) == {str(old.uuid)}
    since = (timezone.localtime() - dt.timedelta(days=1)).isoformat()
    assert str(old.uuid) not in ids(since=since) and len(ids(since=since)) == 2
    for params in (
        {"status": "nonsense"},
        {"channel": "fax"},
        {"kind": "spam"},
        {"member_id": "not-a-uuid"},
        {"member_id": str(uuid.uuid4())},
        {"since": "yesterday"},
        {"since": "0001-01-01T00:00:00"},
        {"page": 0},
    ):
        response = client.get(MESSAGES, params)
        assert response.status_code == 422, params
        assert response.json()["detail"], params


def test_list_pages(collector_a, token_for, coop_a, member_a):
    for i in range(PAGE_SIZE + 3):
        queue(coop_a, text=f"Tin số {i}", member=member_a)
    client = token_for(collector_a)
    first = client.get(MESSAGES).json()
    assert (first["count"], first["pages"], len(first["items"])) == (PAGE_SIZE + 3, 2, PAGE_SIZE)
    assert first["items"][0]["text"] == f"Tin số {PAGE_SIZE + 2}"
    second = client.get(MESSAGES, {"page": 2}).json()
    assert [item["text"] for item in second["items"]] == ["Tin số 2", "Tin số 1", "Tin số 0"]
    assert not {m["id"] for m in first["items"]} & {m["id"] for m in second["items"]}
    assert client.get(MESSAGES, {"page": 3}).json()["items"] == []


def _failed_with_fallback(coop, member) -> tuple[Message, Message]:
    """An SMS that failed for good and the email written for the next channel."""
    with tenant(coop), transaction.atomic():
        sms = outbox.queue(kind=Kind.OTHER, text="Họp xã viên tối nay", member=member)
        sms.status = Status.FAILED
        sms.attempts = 1
        sms.error_code = "bad_number"
        sms.save()
        Attempt.objects.create(
            cooperative=coop,
            message=sms,
            outcome=Attempt.Outcome.PERMANENT,
            code="bad_number",
            detail="Sai số",
        )
        return sms, dispatch.fall_back(sms)


def test_list_takes_the_same_queries_for_any_page_size(chair_a, token_for, coop_a, member_a):
    with tenant(coop_a):
        member_a.email = "duc@example.org"
        member_a.channels = "sms,email"
        member_a.save()
    client = token_for(chair_a)
    _failed_with_fallback(coop_a, member_a)
    client.get(MESSAGES)  # the token's last use is written once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(MESSAGES)
        assert response.status_code == 200
        return len(captured)

    few = queries()
    for _i in range(PAGE_SIZE):
        _failed_with_fallback(coop_a, member_a)
    many = queries()
    items = client.get(MESSAGES).json()["items"]
    assert len(items) == PAGE_SIZE
    assert sum(1 for item in items if item["fallback_id"]) == PAGE_SIZE // 2
    assert sum(1 for item in items if item["previous_id"]) == PAGE_SIZE // 2
    assert many == few


def test_detail_with_attempts_and_linked_channels(accountant_a, token_for, coop_a, member_a):
    with tenant(coop_a):
        member_a.email = "duc@example.org"
        member_a.channels = "sms,email"
        member_a.save()
    sms, email = _failed_with_fallback(coop_a, member_a)
    client = token_for(accountant_a)
    data = client.get(f"{MESSAGES}/{sms.uuid}").json()
    assert (data["id"], data["status"], data["channel"], data["attempts"]) == (
        str(sms.uuid),
        "failed",
        "sms",
        1,
    )
    assert data["fallback_id"] == str(email.uuid) and data["previous_id"] is None
    [attempt] = data["attempt_log"]
    assert (attempt["outcome"], attempt["code"], attempt["detail"]) == ("permanent", "bad_number", "Sai số")
    assert attempt["at"].endswith("+07:00")
    following = client.get(f"{MESSAGES}/{email.uuid}").json()
    assert (following["channel"], following["to_email"]) == ("email", "duc@example.org")
    assert following["previous_id"] == str(sms.uuid) and following["attempt_log"] == []
    # The list says the same as the detail, without the attempts.
    listed = {item["id"]: item for item in client.get(MESSAGES).json()["items"]}
    assert listed[str(sms.uuid)] == {k: v for k, v in data.items() if k != "attempt_log"}


def test_detail_of_another_cooperatives_message_is_404(chair_a, chair_b, token_for, coop_b, member_b):
    theirs = queue(coop_b, text="Tin của HTX khác", member=member_b)
    client = token_for(chair_a)
    assert client.get(f"{MESSAGES}/{theirs.uuid}").status_code == 404
    assert client.get(f"{MESSAGES}/{uuid.uuid4()}").status_code == 404
    assert client.get(f"{MESSAGES}/not-a-uuid").status_code == 422
    assert member_b.full_name not in client.get(MESSAGES).content.decode()
    # Its own cooperative's chair reads it.
    assert (
        token_for(chair_b).get(f"{PREFIX}/c/coop-b/messages/{theirs.uuid}").json()["text"]
        == "Tin của HTX khác"
    )


# --- sending one message ----------------------------------------------------------------------------


def test_send_to_a_member(accountant_a, token_for, member_a):
    body = body_for(member_id=str(member_a.uuid))
    response = post(token_for(accountant_a), MESSAGES, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["kind"], data["channel"], data["status"]) == ("other", "sms", "queued")
    assert (data["member_id"], data["to_phone"], data["to_name"]) == (
        str(member_a.uuid),
        member_a.phone,
        member_a.full_name,
    )
    assert data["text"] == body["text"] and data["body"] == "Mai 7 gio can mat ong o diem Pa Vi."
    assert data["attempt_log"] == [] and data["created_at"].endswith("+07:00")
    message = Message.unscoped.get()
    assert str(message.uuid) == data["id"]
    assert (message.source_type, message.source_id) == ("api", body["client_key"])
    assert message.created_by == accountant_a and message.member == member_a
    record = IdempotencyRecord.unscoped.get()
    assert (record.operation, str(record.key), record.status) == ("message.send", body["client_key"], 201)
    # The detail route gives the same answer.
    assert token_for(accountant_a).get(f"{MESSAGES}/{data['id']}").json() == data


def test_send_follows_the_members_channels_unless_given(chair_a, token_for, coop_a, member_a):
    with tenant(coop_a):
        member_a.email = "duc@example.org"
        member_a.channels = "email,sms"
        member_a.save()
    client = token_for(chair_a)
    own = post(client, MESSAGES, body_for(member_id=str(member_a.uuid), subject="Lịch cân")).json()
    assert (own["channel"], own["to_email"], own["subject"], own["segments"]) == (
        "email",
        "duc@example.org",
        "Lịch cân",
        0,
    )
    assert Message.unscoped.get(uuid=own["id"]).fallback_list == ["sms"]
    chosen = post(
        client, MESSAGES, body_for(member_id=str(member_a.uuid), channels=["sms"], unaccented=False)
    )
    assert chosen.status_code == 201
    assert chosen.json()["channel"] == "sms" and chosen.json()["body"] == chosen.json()["text"]


def test_send_to_a_phone_or_an_email(chair_a, token_for):
    client = token_for(chair_a)
    by_phone = post(client, MESSAGES, body_for(phone="+84 912.000.999", name="  Anh   Lâm "))
    assert by_phone.status_code == 201, by_phone.content
    data = by_phone.json()
    assert (data["to_phone"], data["to_name"], data["member_id"], data["channel"]) == (
        "0912000999",
        "Anh Lâm",
        None,
        "sms",
    )
    by_email = post(client, MESSAGES, body_for(email="mua@example.org", subject="Báo giá\nmới"))
    assert by_email.status_code == 201, by_email.content
    data = by_email.json()
    assert (data["channel"], data["to_email"], data["to_phone"], data["subject"]) == (
        "email",
        "mua@example.org",
        "",
        "Báo giá mới",
    )
    assert Message.unscoped.count() == 2


def test_a_member_who_stopped_messages_gets_a_skipped_row(chair_a, token_for, coop_a, member_a):
    with tenant(coop_a):
        member_a.messages_stopped_at = timezone.now()
        member_a.save()
    response = post(token_for(chair_a), MESSAGES, body_for(member_id=str(member_a.uuid)))
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["error_code"], response.json()["cost_vnd"]) == (
        "skipped",
        "stopped",
        0,
    )


def test_a_retry_with_the_same_body_returns_the_first_answer(chair_a, token_for, member_a):
    client = token_for(chair_a)
    body = body_for(phone="0912000999", name="Anh Lâm")
    first = post(client, MESSAGES, body)
    assert first.status_code == 201
    before = counts()
    assert before == (1, 1)
    again = post(client, MESSAGES, body)
    assert again.status_code == 200 and again.json() == first.json()
    # The same message written differently: another spelling of the phone, defaults spelt out.
    same = {
        **body,
        "phone": "+84 912 000 999",
        "email": None,
        "member_id": None,
        "channels": None,
        "unaccented": True,
        "subject": "",
        "text": f"  {body['text']} ",
    }
    again = post(client, MESSAGES, same)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert counts() == before


def test_the_same_key_with_another_body_is_refused(chair_a, token_for, member_a, member_a2, honey_a):
    client = token_for(chair_a)
    body = body_for(member_id=str(member_a.uuid))
    assert post(client, MESSAGES, body).status_code == 201
    before = counts()
    for change in (
        {"member_id": str(member_a2.uuid)},
        {"text": "Nội dung khác"},
        {"unaccented": False},
        {"channels": ["sms", "app"]},
    ):
        response = post(client, MESSAGES, {**body, **change})
        assert response.status_code == 422, change
        assert "client_key" in response.json()["detail"][0]
    assert counts() == before
    # A key already used for a receipt is refused too, in the caller's language.
    receipt = receipt_body(member_a, honey_a["product"])
    assert post(client, f"{PREFIX}/c/coop-a/receipts", receipt).status_code == 201
    before = counts()  # the receipt's own SMS to the member and its idempotency record
    response = post(
        client,
        MESSAGES,
        body_for(client_key=receipt["client_key"], member_id=str(member_a.uuid)),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        "This client_key was already used with different contents: nothing was sent. "
        "Make a new key for a new message."
    ]
    assert counts() == before


def test_the_key_is_per_cooperative(chair_a, chair_b, token_for, member_a, member_b):
    key = str(uuid.uuid4())
    a = post(token_for(chair_a), MESSAGES, body_for(client_key=key, member_id=str(member_a.uuid)))
    b = post(
        token_for(chair_b),
        f"{PREFIX}/c/coop-b/messages",
        body_for(client_key=key, member_id=str(member_b.uuid)),
    )
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"] and b.json()["to_phone"] == member_b.phone


def test_bad_messages_are_refused_and_store_nothing(chair_a, token_for, coop_a, member_a, member_b):
    no_phone = make_member(coop_a, full_name="Lò Thị Hoa", phone=None)
    member = str(member_a.uuid)
    bad = {
        "empty text": body_for(member_id=member, text=""),
        "only spaces": body_for(member_id=member, text="   \n "),
        "text over 2000": body_for(member_id=member, text="a" * 2001),
        "text far too long": body_for(member_id=member, text="a" * 5000),
        "NUL in text": body_for(member_id=member, text="a\x00b"),
        "no text": {k: v for k, v in body_for(member_id=member).items() if k != "text"},
        "unknown member": body_for(member_id=str(uuid.uuid4())),
        "member of another cooperative": body_for(member_id=str(member_b.uuid)),
        "member id not a uuid": body_for(member_id="12"),
        "bad phone": body_for(phone="12345"),
        "landline typo": body_for(phone="0912 345 67"),
        "full-width digits": body_for(phone="０９１２３４５６７８"),
        "bad email": body_for(email="not-an-email"),
        "email with a newline": body_for(email="a@example.org\nBcc: b@example.org"),
        "unknown channel": body_for(member_id=member, channels=["fax"]),
        "channels not a list": body_for(member_id=member, channels="sms"),
        "too many channels": body_for(member_id=member, channels=["sms", "zalo", "email", "app", "sms"]),
        "no recipient": body_for(),
        "empty recipient": body_for(phone="  ", email=""),
        "member and phone": body_for(member_id=member, phone="0912000999"),
        "phone and email": body_for(phone="0912000999", email="mua@example.org"),
        "no way to reach the phone by email": body_for(phone="0912000999", channels=["email"]),
        "member without a phone": body_for(member_id=str(no_phone.uuid)),
        "app for a phone": body_for(phone="0912000999", channels=["app"]),
        "no client key": {k: v for k, v in body_for(member_id=member).items() if k != "client_key"},
        "bad client key": body_for(member_id=member, client_key="not-a-uuid"),
        "name too long": body_for(phone="0912000999", name="x" * 121),
        "unaccented not a boolean": body_for(member_id=member, unaccented="maybe"),
    }
    client = token_for(chair_a)
    before = counts()
    problems = []
    for name, body in bad.items():
        response = post(client, MESSAGES, body)
        if response.status_code != 422:
            problems.append(f"{name}: {response.status_code} {response.content[:200]!r}")
        elif not response.json().get("detail"):
            problems.append(f"{name}: 422 without a message")
    for raw in ("{", "[]", '"text"'):
        if (status := post(client, MESSAGES, raw).status_code) != 422:
            problems.append(f"malformed {raw!r}: {status}")
    assert not problems, "\n".join(problems)
    assert counts() == before == (0, 0)


def test_refusals_speak_the_callers_language(chair_a, token_for, coop_a, member_a):
    client = token_for(chair_a)
    cases = [
        (body_for(), "Give exactly one recipient: member_id, phone or email."),
        (body_for(member_id=str(uuid.uuid4())), "Unknown member."),
        (
            body_for(phone="12345"),
            "This is not a Vietnamese phone number. Write 10 digits starting with 0, e.g. 0912 345 678.",
        ),
        (body_for(email="nope"), "Enter a valid email address."),
        (body_for(member_id=str(member_a.uuid), text=" "), "The message is empty."),
        (
            body_for(member_id=str(member_a.uuid), text="a" * 2001),
            "The message is too long (at most 2,000 characters).",
        ),
        (
            body_for(phone="0912000999", channels=["email"]),
            "No way to reach this recipient: no phone, email or account for the chosen channels.",
        ),
    ]
    for body, english in cases:
        response = post(client, MESSAGES, body, HTTP_ACCEPT_LANGUAGE="en")
        assert response.json() == {"detail": [english]}, body
        assert response["Content-Language"] == "en"
        vietnamese = post(client, MESSAGES, body)
        assert vietnamese.status_code == 422 and vietnamese["Content-Language"] == "vi"
        assert vietnamese.json()["detail"] != [english], english
    assert post(client, MESSAGES, body_for(member_id=str(uuid.uuid4()))).json() == {
        "detail": ["Không tìm thấy thành viên này."]
    }
    assert post(client, MESSAGES, body_for(member_id=str(member_a.uuid), text="")).json() == {
        "detail": ["Tin nhắn không có nội dung."]
    }
    assert counts() == (0, 0)


def test_canonical_hash_ignores_spelling_only():
    key = str(uuid.uuid4())
    base = MessageIn.model_validate({"client_key": key, "text": "Chào", "phone": "0912000999"})
    same = MessageIn.model_validate(
        {
            "client_key": key,
            "text": " Chào ",
            "phone": "+84912000999",
            "email": None,
            "channels": [],
            "name": " ",
        }
    )
    assert same.canonical_hash() == base.canonical_hash()
    for other in (
        {"text": "Chào!"},
        {"phone": "0912000998"},
        {"channels": ["sms"]},
        {"unaccented": False},
        {"name": "Lâm"},
    ):
        changed = MessageIn.model_validate(
            {"client_key": key, "text": "Chào", "phone": "0912000999", **other}
        )
        assert changed.canonical_hash() != base.canonical_hash(), other


def _post_together(secret: str, bodies: list[dict]) -> list[int]:
    barrier = threading.Barrier(len(bodies))
    statuses = [0] * len(bodies)

    def run(index: int, body: dict) -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
            barrier.wait(timeout=30)
            statuses[index] = post(client, MESSAGES, body).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_the_same_message_sent_three_times_at_once_is_written_once(chair_a, member_a):
    secret = api_services.token_create(user=chair_a, name="script").secret
    body = body_for(member_id=str(member_a.uuid))
    assert sorted(_post_together(secret, [body, body, body])) == [200, 200, 201]
    assert counts() == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_one_key_with_two_bodies_at_once_writes_one(chair_a, member_a, member_a2):
    secret = api_services.token_create(user=chair_a, name="script").secret
    first = body_for(member_id=str(member_a.uuid))
    second = {**first, "member_id": str(member_a2.uuid)}
    statuses = _post_together(secret, [first, second])
    assert sorted(statuses) == [201, 422], statuses
    assert counts() == (1, 1)
    assert Message.unscoped.get().member == (member_a if statuses[0] == 201 else member_a2)


# --- permissions -------------------------------------------------------------------------------------


def test_collector_reads_but_may_not_send(collector_a, token_for, coop_a, member_a, offer_a):
    message = queue(coop_a, text="Chào", member=member_a)
    client = token_for(collector_a)
    assert client.get(MESSAGES).json()["count"] == 1
    assert client.get(f"{MESSAGES}/{message.uuid}").status_code == 200
    assert client.get(OFFERS).json()["count"] == 1
    assert post(client, MESSAGES, body_for(member_id=str(member_a.uuid))).status_code == 403
    assert post(client, f"{OFFERS}/{offer_a.pk}/answer", {"text": "Mua"}).status_code == 403
    assert counts() == (1, 0)
    offer_a.refresh_from_db()
    assert offer_a.status == OfferStatus.OPEN


def test_member_role_gets_403_anonymous_401_other_cooperative_404(
    own_member_user_a, chair_b, outsider, token_for, coop_a, member_a, offer_a
):
    message = queue(coop_a, text="Chào", member=member_a)
    requests = [
        ("GET", MESSAGES, None),
        ("GET", f"{MESSAGES}/{message.uuid}", None),
        ("POST", MESSAGES, body_for(member_id=str(member_a.uuid))),
        ("GET", OFFERS, None),
        ("POST", f"{OFFERS}/{offer_a.pk}/answer", {"text": "Mua"}),
    ]
    for client, status in (
        (token_for(own_member_user_a), 403),
        (Client(), 401),
        (token_for(chair_b), 404),
        (token_for(outsider), 404),
    ):
        for method, url, body in requests:
            response = send(client, method, url, body)
            assert response.status_code == status, (method, url, status, response.content)
            assert "Chào" not in response.content.decode()
    assert counts() == (1, 0)
    offer_a.refresh_from_db()
    assert offer_a.status == OfferStatus.OPEN


# --- offers to sell ----------------------------------------------------------------------------------


def test_offer_list(accountant_a, token_for, coop_a, member_a, member_a2, offer_a, honey_a):
    with tenant(coop_a):
        closed = SellOffer.objects.create(
            cooperative=coop_a, member=member_a2, product_text="che", raw_text="ban che", unit=""
        )
        notify_services.offer_close(offer=closed, actor=accountant_a)
    client = token_for(accountant_a)
    data = client.get(OFFERS).json()
    assert data["count"] == 2
    assert [item["id"] for item in data["items"]] == [offer_a.pk, closed.pk]  # open first
    item = data["items"][0]
    created = item.pop("created_at")
    assert created.endswith("+07:00")
    assert item == {
        "id": offer_a.pk,
        "member_id": str(member_a.uuid),
        "member_name": member_a.full_name,
        "product_id": honey_a["product"].pk,
        "product_text": "mat ong",
        "quantity": "20.000",
        "unit": "l",
        "raw_text": "BAN mat ong 20",
        "status": "open",
        "answer": "",
        "answered_at": None,
    }
    assert data["items"][1]["quantity"] is None and data["items"][1]["product_id"] is None
    assert [o["id"] for o in client.get(OFFERS, {"status": "closed"}).json()["items"]] == [closed.pk]
    assert client.get(OFFERS, {"status": "answered"}).json()["count"] == 0
    assert client.get(OFFERS, {"status": "nonsense"}).status_code == 422
    assert client.get(OFFERS, {"page": 2}).json()["items"] == []


def test_offer_list_takes_the_same_queries_for_any_page_size(chair_a, token_for, coop_a, member_a, offer_a):
    client = token_for(chair_a)
    client.get(OFFERS)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(OFFERS).status_code == 200
        return len(captured)

    few = queries()
    with tenant(coop_a):
        for i in range(PAGE_SIZE):
            SellOffer.objects.create(cooperative=coop_a, member=member_a, raw_text=f"ban {i}")
    assert queries() == few
    assert len(client.get(OFFERS).json()["items"]) == PAGE_SIZE


def test_answer_an_offer_once(accountant_a, token_for, member_a, offer_a):
    client = token_for(accountant_a)
    url = f"{OFFERS}/{offer_a.pk}/answer"
    response = post(client, url, {"text": "HTX mua 20 lít, mang đến điểm Pả Vi sáng mai."})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["offer"]["status"] == "answered"
    assert data["offer"]["answer"] == "HTX mua 20 lít, mang đến điểm Pả Vi sáng mai."
    assert data["offer"]["answered_at"].endswith("+07:00")
    message = data["message"]
    assert (message["kind"], message["channel"], message["to_phone"], message["member_id"]) == (
        "reply",
        "sms",
        member_a.phone,
        str(member_a.uuid),
    )
    assert message["body"] == "HTX mua 20 lit, mang den diem Pa Vi sang mai."
    stored = Message.unscoped.get()
    assert (stored.source_type, stored.source_id, str(stored.uuid)) == (
        "offer",
        str(offer_a.pk),
        message["id"],
    )
    offer_a.refresh_from_db()
    assert (offer_a.status, offer_a.answered_by) == (OfferStatus.ANSWERED, accountant_a)

    again = post(client, url, {"text": "Lần nữa"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 422
    assert again.json() == {"detail": ["This offer was already answered."]}
    assert post(client, url, {"text": "Lần nữa"}).json() == {
        "detail": ["Đề nghị bán này đã được trả lời rồi."]
    }
    assert Message.unscoped.count() == 1
    offer_a.refresh_from_db()
    assert offer_a.answer == "HTX mua 20 lít, mang đến điểm Pả Vi sáng mai."


def test_bad_answers_are_refused_and_send_nothing(
    chair_a, token_for, coop_a, member_a, offer_a, coop_b, member_b
):
    with tenant(coop_a):
        closed = SellOffer.objects.create(cooperative=coop_a, member=member_a, raw_text="ban che 5")
        notify_services.offer_close(offer=closed, actor=chair_a)
    with tenant(coop_b):
        theirs = SellOffer.objects.create(cooperative=coop_b, member=member_b, raw_text="ban che 5")
    client = token_for(chair_a)
    url = f"{OFFERS}/{offer_a.pk}/answer"
    for body in (
        {"text": "  "},
        {"text": "x" * 301},
        {"text": "x" * 2001},
        {"text": "a\x00b"},
        {},
        {"text": "Mua", "unaccented": "maybe"},
    ):
        response = post(client, url, body)
        assert response.status_code == 422, body
        assert response.json()["detail"], body
    closed_answer = post(client, f"{OFFERS}/{closed.pk}/answer", {"text": "Mua"}, HTTP_ACCEPT_LANGUAGE="en")
    assert (closed_answer.status_code, closed_answer.json()) == (
        422,
        {"detail": ["This offer was already closed."]},
    )
    assert post(client, f"{OFFERS}/{theirs.pk}/answer", {"text": "Mua"}).status_code == 404
    assert post(client, f"{OFFERS}/{10**6}/answer", {"text": "Mua"}).status_code == 404
    assert post(client, f"{OFFERS}/{10**30}/answer", {"text": "Mua"}).status_code == 422
    assert post(client, f"{OFFERS}/0/answer", {"text": "Mua"}).status_code == 422
    assert post(client, f"{OFFERS}/abc/answer", {"text": "Mua"}).status_code == 422
    assert Message.unscoped.count() == 0
    assert set(SellOffer.unscoped.values_list("status", flat=True)) == {"open", "closed"}
    assert SellOffer.unscoped.get(pk=theirs.pk).status == "open"


# --- the published schema ----------------------------------------------------------------------------


def test_answers_match_their_schema(chair_a, token_for, coop_a, member_a, offer_a):
    message = queue(coop_a, text="Chào", member=member_a)
    schema = openapi_schema()
    client = token_for(chair_a)
    cases = [
        ("GET", "/c/{slug}/messages", "/c/coop-a/messages", None, 200),
        ("GET", "/c/{slug}/messages/{message_id}", f"/c/coop-a/messages/{message.uuid}", None, 200),
        ("POST", "/c/{slug}/messages", "/c/coop-a/messages", body_for(phone="0912000999"), 201),
        ("POST", "/c/{slug}/messages", "/c/coop-a/messages", body_for(phone="1"), 422),
        ("GET", "/c/{slug}/messages/{message_id}", f"/c/coop-a/messages/{uuid.uuid4()}", None, 404),
        ("GET", "/c/{slug}/offers", "/c/coop-a/offers", None, 200),
        (
            "POST",
            "/c/{slug}/offers/{offer_id}/answer",
            f"/c/coop-a/offers/{offer_a.pk}/answer",
            {"text": "Mua"},
            200,
        ),
    ]
    problems = []
    for method, template, path, body, status in cases:
        response = send(client, method, PREFIX + path, body)
        if response.status_code != status:
            problems.append(f"{method} {path}: {response.status_code}, expected {status}")
            continue
        problems += conforms(
            schema, response_schema(schema, template, method, status), response.json(), f"{method} {path}"
        )
    assert not problems, "\n".join(problems)


def test_the_schemas_enums_are_the_models_choices():
    def values(alias) -> set[str]:
        return set(typing.get_args(alias))

    assert values(schemas.MessageKind) == set(Kind.values)
    assert values(schemas.MessageChannel) == set(Channel.values)
    assert values(schemas.MessageStatus) == set(Status.values)
    assert values(schemas.AttemptOutcome) == set(Attempt.Outcome.values)
    assert values(schemas.OfferState) == set(OfferStatus.values)

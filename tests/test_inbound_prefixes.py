"""The registry of inbound texts' first words (``hoptac/notify/prefixes.py``): a registered
handler gets its texts before the member commands; one that declines hands them on."""

from __future__ import annotations

import pytest

from hoptac.notify import prefixes
from hoptac.notify.models import InboundSms, MemberText
from hoptac.outbox.models import Kind, Message

URL = "/hooks/sms/esms/s3cret/"


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
        "HOOK_SECRETS": {"esms": "s3cret"},
    }


@pytest.fixture
def seen():
    calls = []

    def handler(inbound):
        calls.append(inbound.text)
        return not inbound.text.endswith("pass")

    prefixes.register("ZZ9", handler)
    yield calls
    prefixes._handlers.pop("ZZ9")


def test_a_prefix_goes_to_its_handler_first(client, member_a, seen):
    assert client.post(URL, {"phone": "0987654321", "message": "zz9 take", "id": "1"}).status_code == 200
    assert seen == ["zz9 take"] and MemberText.unscoped.count() == 0
    assert not Message.unscoped.filter(kind=Kind.REPLY).exists()
    client.post(URL, {"phone": "0987654321", "message": "ZZ9 pass", "id": "2"})
    assert seen == ["zz9 take", "ZZ9 pass"]
    assert MemberText.unscoped.count() == 1  # handed on: the member got the help
    client.post(URL, {"phone": "0987654321", "message": "ZZ9X", "id": "3"})  # another word
    assert len(seen) == 2 and InboundSms.objects.count() == 3


def test_a_prefix_is_one_word():
    with pytest.raises(ValueError):
        prefixes.register("HT 1", lambda inbound: True)
    assert prefixes.handler_for("   ") is None

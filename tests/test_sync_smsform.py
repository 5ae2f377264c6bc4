"""The SMS form of field records (``hoptac/sync/smsform.py``, ``field/sms.js``): round trips
of any record the form can carry (hypothesis), what it refuses, and the phone's encoder run
in the system Chromium producing texts the server's decoder reads back as the same record
with a valid check code (and the same body hash as the API push computes)."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoptac.sync import smsform
from hoptac.sync.smsform import SmsFormError
from tests.test_browser import chromium  # noqa: F401 (fixture)

SMS_JS = Path(__file__).resolve().parent.parent / "hoptac" / "static" / "hoptac" / "field" / "sms.js"
KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

RECEIPT = {
    "key": "6f1c2a4e-1b2c-4d3e-8f90-123456789abc",
    "kind": "receipt",
    "no": "A7-0012",
    "at": "2026-12-03T08:15:00+07:00",
    "body": {
        "member": "0b1c2a4e-1b2c-4d3e-8f90-123456789abc",
        "point": 3,
        "lines": [
            {"product": 7, "grade": 1, "qty": "12.5", "unit": "kg", "ded": "2", "price": 180000},
            {"product": 8, "grade": 2, "qty": "120.25", "unit": "kg", "ded": "0", "price": 95000},
            {"product": 12, "grade": 1, "qty": "3.5", "unit": "l", "ded": "", "price": 500000},
        ],
        "total": 2205000,
        "note": "",
    },
}
ADVANCE = {
    "key": "1d7c2a4e-1b2c-4d3e-8f90-123456789abc",
    "kind": "advance",
    "no": "A7-0013",
    "at": "2026-12-03T01:15:00.123Z",
    "body": {"member": "0b1c2a4e-1b2c-4d3e-8f90-123456789abc", "amount": 500000, "memo": "Tiền giống, đợt 2"},
}
LOAN = {
    "key": "2e7c2a4e-1b2c-4d3e-8f90-123456789abc",
    "kind": "loan",
    "no": "B2-0001",
    "at": "2026-12-03T08:15:00+07:00",
    "body": {
        "member": "0b1c2a4e-1b2c-4d3e-8f90-123456789abc",
        "item": "Phân NPK",
        "qty": "2",
        "unit": "bao",
        "value": 700000,
        "memo": "",
    },
}
HOUSEHOLD = {
    "key": "3f7c2a4e-1b2c-4d3e-8f90-123456789abc",
    "kind": "household",
    "no": "A7-0014",
    "at": "2026-12-03T08:15:00+07:00",
    "body": {
        "name": "Giàng Thị Mỷ",
        "phone": "0912345678",
        "village": "Pả Vi",
        "commune": 769,
        "gender": "female",
        "ethnicity": "hmong",
        "birth_year": None,
    },
}
EXAMPLES = [RECEIPT, ADVANCE, LOAN, HOUSEHOLD]


def body_hash(record: dict) -> str:
    """The protocol's body hash (canonical JSON of kind, no, at, body)."""
    canonical = {k: record[k] for k in ("kind", "no", "at", "body")}
    data = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


@pytest.mark.parametrize("record", EXAMPLES, ids=lambda r: r["kind"])
def test_examples_round_trip_in_one_gsm7_sms(record):
    from hoptac.lib.sms import is_gsm7, sms_length

    text = smsform.encode(record, sms_key=KEY)
    assert text.startswith("HT1 ") and is_gsm7(text)
    assert sms_length(text).segments == 1 and len(text) <= 160, (len(text), text)
    parsed = smsform.parse(text)
    assert parsed.record == record
    assert body_hash(parsed.record) == body_hash(record)
    assert parsed.prefix == record["no"].rsplit("-", 1)[0]
    assert smsform.verify(parsed, KEY)
    assert not smsform.verify(parsed, KEY[::-1])


def test_the_documented_receipt():
    """The example in docs/sync-protocol.md, to the character."""
    text = smsform.encode(RECEIPT, sms_key=KEY)
    assert text == (
        "HT1 RA7-0012 N4OCUTQ3FRGT5D4QCI2FM6E2XQ 261203081500 BMOCUTQ3FRGT5D4QCI2FM6E2XQ 3 1B9E0 =- "
        "7,1,12.5,kg,2,3UW0 8,2,120.25,kg,0,21AW C,1,3.5,l,=-,APSW 45LV2WGO"
    )
    assert text in (Path(__file__).resolve().parent.parent / "docs" / "sync-protocol.md").read_text()
    assert smsform.encode(LOAN, sms_key=KEY).split(" ")[5] == "Ph=acn_NPK"


def test_any_changed_character_is_refused():
    text = smsform.encode(ADVANCE, sms_key=KEY)
    for index, ch in enumerate(text):
        if ch == " ":
            continue
        for other in {"A", "7", "=", "_", "z"} - {ch}:
            changed = text[:index] + other + text[index + 1 :]
            try:
                parsed = smsform.parse(changed)
            except SmsFormError:
                continue
            assert not smsform.verify(parsed, KEY), changed


@pytest.mark.parametrize(
    "change, code",
    [
        (lambda r: r["body"].update(extra=1), "unsupported"),
        (lambda r: r["body"].update(total=1.5), "unsupported"),
        (lambda r: r["body"].update(note="emoji 🙂"), "unsupported"),
        (lambda r: r["body"].update(note="“quoted”"), "unsupported"),
        (lambda r: r["body"].update(member="not-a-uuid"), "unsupported"),
        (lambda r: r["body"].update(member=r["body"]["member"].upper()), "unsupported"),
        (lambda r: r.update(at="3 December"), "unsupported"),
        (lambda r: r.update(no="0012"), "unsupported"),
        (lambda r: r.update(kind="payment"), "unsupported"),
        (lambda r: r["body"]["lines"].append(dict(r["body"]["lines"][0])), "too_long"),
        (lambda r: r["body"].update(note="a long note " * 3), "too_long"),
    ],
)
def test_what_does_not_fit(change, code):
    record = json.loads(json.dumps(RECEIPT))
    change(record)
    with pytest.raises(SmsFormError) as caught:
        smsform.encode(record, sms_key=KEY)
    assert caught.value.code == code


@pytest.mark.parametrize(
    "text, code",
    [
        ("GIA", "not_form"),
        ("HT1", "malformed"),
        ("HT1 RA7-0012 N4OC 261203081500 x y ABCDEFGH", "malformed"),
        ("HT1 XA7-0012 N4OCUTQ3FRGT5D4QCI2FM6E2XQ 261203081500 x y ABCDEFGH", "malformed"),
        (
            "HT1 A0012 N4OCUTQ3FRGT5D4QCI2FM6E2XQ 261203081500 BMOCUTQ3FRGT5D4QCI2FM6E2XQ 1 =- ABCDEFGH",
            "malformed",
        ),
        (
            "HT1 AA7-1 N4OCUTQ3FRGT5D4QCI2FM6E2XQ 2612030815 BMOCUTQ3FRGT5D4QCI2FM6E2XQ 1 =- ABCDEFGH",
            "malformed",
        ),
        (
            "HT1 AA7-1 N4OCUTQ3FRGT5D4QCI2FM6E2XQ 261203081500 BMOCUTQ3FRGT5D4QCI2FM6E2XQ 01 =- ABCDEFGH",
            "malformed",
        ),
        (
            "HT1 AA7-1 N4OCUTQ3FRGT5D4QCI2FM6E2XQ 261203081500 BMOCUTQ3FRGT5D4QCI2FM6E2XQ 1 a=q ABCDEFGH",
            "malformed",
        ),
        (
            "HT1 AA7-1 N4OCUTQ3FRGT5D4QCI2FM6E2XQ 261203081500 BMOCUTQ3FRGT5D4QCI2FM6E2XQ 1 =- 1 ABCDEFGH",
            "malformed",
        ),
        (
            "HT1 RA7-1 N4OCUTQ3FRGT5D4QCI2FM6E2XQ 261203081500 BMOCUTQ3FRGT5D4QCI2FM6E2XQ 1 1 =- ABCDEFGH",
            "malformed",
        ),
        (
            "HT1 RA7-1 N4OCUTQ3FRGT5D4QCI2FM6E2XQ 261203081500 BMOCUTQ3FRGT5D4QCI2FM6E2XQ 1 1 =- 1,1 ABCDEFGH",
            "malformed",
        ),
    ],
)
def test_unreadable_texts(text, code):
    with pytest.raises(SmsFormError) as caught:
        smsform.parse(text)
    assert caught.value.code == code


# --- any record the form carries ----------------------------------------------------------------

VI_TEXT = st.text(
    alphabet=st.sampled_from(sorted(smsform.PLAIN | set(smsform.VIETNAMESE) | {" ", "=", "_", ","})),
    max_size=12,
)
INTS = st.integers(min_value=0, max_value=10**9)
MAYBE_INT = st.none() | st.integers(min_value=-(10**6), max_value=10**12)
UUIDS = st.uuids(version=4).map(str)
QTY = st.decimals(min_value=0, max_value=99999, places=3, allow_nan=False, allow_infinity=False).map(str)
AT = st.builds(
    lambda y, mo, d, h, mi, s, ms, zone: f"20{y:02d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{ms}{zone}",
    st.integers(0, 99), st.integers(1, 12), st.integers(1, 28), st.integers(0, 23),
    st.integers(0, 59), st.integers(0, 59),
    st.sampled_from(["", ".000", ".999", ".123"]),
    st.sampled_from(["+07:00", "Z", "+00:00", "-05:30"]),
)  # fmt: skip
LINES = st.fixed_dictionaries(
    {
        "product": INTS,
        "grade": MAYBE_INT,
        "qty": QTY,
        "unit": VI_TEXT,
        "ded": QTY | st.just(""),
        "price": INTS,
    }
)
BODIES = {
    "receipt": st.fixed_dictionaries(
        {
            "member": UUIDS,
            "point": MAYBE_INT,
            "lines": st.lists(LINES, min_size=1, max_size=3),
            "total": INTS,
            "note": VI_TEXT,
        }  # fmt: skip
    ),
    "advance": st.fixed_dictionaries({"member": UUIDS, "amount": INTS, "memo": VI_TEXT}),
    "loan": st.fixed_dictionaries(
        {"member": UUIDS, "item": VI_TEXT, "qty": QTY, "unit": VI_TEXT, "value": INTS, "memo": VI_TEXT}
    ),
    "household": st.fixed_dictionaries(
        {
            "name": VI_TEXT,
            "phone": st.from_regex(r"\A(0[0-9]{9})?\Z"),
            "village": VI_TEXT,
            "commune": MAYBE_INT,
            "gender": st.sampled_from(["", "male", "female"]),
            "ethnicity": VI_TEXT,
            "birth_year": MAYBE_INT,
        }  # fmt: skip
    ),
}
RECORDS = st.sampled_from(sorted(BODIES)).flatmap(
    lambda kind: st.fixed_dictionaries(
        {
            "key": UUIDS,
            "kind": st.just(kind),
            "no": st.from_regex(r"\A[A-Z0-9]{2}-[0-9]{4}\Z"),
            "at": AT,
            "body": BODIES[kind],
        }  # fmt: skip
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS, st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=32, max_size=32))
def test_any_record_round_trips_or_is_refused_as_too_long(record, key):
    try:
        text = smsform.encode(record, sms_key=key)
    except SmsFormError as exc:
        assert exc.code == "too_long", exc
        return
    assert len(text) <= 160
    parsed = smsform.parse(text)
    assert parsed.record == record
    assert body_hash(parsed.record) == body_hash(record)
    assert smsform.verify(parsed, key)


# --- the phone's encoder, in Chromium ---------------------------------------------------------------


@pytest.mark.browser
def test_the_phones_encoder_writes_what_the_server_reads(chromium):  # noqa: F811
    import random

    rng = random.Random(14)
    records = [*EXAMPLES]

    @settings(max_examples=60, database=None, deadline=None)
    @given(RECORDS)
    def gather(record):
        records.append(record)

    gather()
    records.append(dict(RECEIPT, body={**RECEIPT["body"], "note": "x" * 40}))  # too long
    keys = ["".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32)) for _ in records]
    context = chromium.new_context()
    page = context.new_page()
    source = SMS_JS.read_text()

    def serve(route):
        if route.request.url.endswith("/sms.js"):
            route.fulfill(body=source, content_type="text/javascript")
        else:
            route.fulfill(body="<!doctype html><title>sms</title>", content_type="text/html")

    try:
        page.route("http://phone.test/**", serve)
        page.goto("http://phone.test/")
        answers = page.evaluate(
            """async ([records, keys]) => {
                const sms = await import("/sms.js");
                return records.map((record, i) => {
                    try {
                        const text = sms.encodeRecord(record, {smsKey: keys[i], coopCode: "TD"});
                        return {text, link: sms.smsLink("0912 345 678", text),
                                back: sms.decodeText(text).record, can: sms.canEncode(record, {smsKey: keys[i]})};
                    } catch (err) { return {error: err.code || String(err)}; }
                });
            }""",
            [records, keys],
        )
    finally:
        context.close()
    encoded = 0
    for record, key, answer in zip(records, keys, answers, strict=True):
        try:
            expected = smsform.encode(record, sms_key=key)
        except SmsFormError as exc:
            assert answer == {"error": exc.code}
            continue
        assert answer["text"] == expected
        parsed = smsform.parse(answer["text"])
        assert parsed.record == record and smsform.verify(parsed, key)
        assert body_hash(parsed.record) == body_hash(record)
        assert answer["back"] == record and answer["can"] is True
        assert answer["link"].startswith("sms:0912345678?body=HT1%20")
        encoded += 1
    assert encoded >= len(EXAMPLES) and answers[-1] == {"error": "too_long"}


def test_uuid_of_a_key():
    key = str(uuid.uuid4())
    assert smsform._uuid_in(smsform._uuid_out(key)) == key

"""The SMS form of a field record: one text of at most 160 GSM-7 characters that carries a
record of the field app exactly, so that a record handed over by SMS and the same record
pushed later through the API are one record (same key, same body hash).

The phone writes it (``hoptac/static/hoptac/field/sms.js``, ``encodeRecord``); the inbound
SMS webhook reads it (:func:`parse`, then :func:`verify` with the device's ``sms_key``).
Both sides are tested against each other. The form, version 1::

    HT1 <kind><no> <key> <time> <field> … <check>

Tokens are separated by one space:

- ``HT1``: the form and its version (what the inbound registry recognises);
- ``<kind>``: ``R`` receipt, ``A`` advance, ``L`` loan, ``H`` household, followed at once by
  the phone's provisional number (``RA7-0012``); the device's prefix is the part of the
  number before its last ``-``;
- ``<key>``: the record's UUID as 26 base32 characters (RFC 4648, upper case, no padding);
- ``<time>``: ``at`` as ``YYMMDDhhmmss`` (year 20YY), then the milliseconds' three digits if
  ``at`` has them, then ``Z`` for UTC, ``+hhmm``/``-hhmm`` for another offset, nothing for
  ``+07:00`` (``2026-12-03T08:15:00+07:00`` is ``261203081500``);
- the body's fields, in a fixed order per kind (:data:`FIELDS`); a receipt's lines come last,
  one token each, their six fields separated by ``,``;
- ``<check>``: the first 8 characters of the base32 HMAC-SHA256 of everything before the
  space that precedes it, keyed with the device's ``sms_key`` (its ASCII text): a changed
  character, a lost one or a forged text is refused.

Field values: a number is an integer in base 36, upper case (``180000`` is ``3UW0``), ``-``
for null; a UUID (member or household key) is 26 base32 characters; a text keeps its
characters, with ``_`` for a space and ``=`` escaping: ``==`` is ``=``, ``=_`` is ``_``, ``=,``
is ``,``, ``=`` followed by a letter and a code is a Vietnamese letter with its marks
(``Phân`` is ``Ph=acn``; :data:`VIETNAMESE`), and ``=-`` is the empty text.

What does not fit: a text longer than 160 characters (a receipt with many lines, long notes,
a household with a long name), a text character outside plain ASCII and the Vietnamese
letters (curly quotes, emoji, Chinese), a body whose fields are not exactly those of the
protocol (an extra key, a float, a member that is not a UUID). The phone's encoder checks
that the text reads back as the very record it holds; when it does not, the app says the
record must wait for data (nothing is lost: it stays waiting).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

FORM = "HT1"
MAX_LENGTH = 160
CHECK_LENGTH = 8

KINDS = {"R": "receipt", "A": "advance", "L": "loan", "H": "household"}
LETTERS = {kind: letter for letter, kind in KINDS.items()}

# The body's fields of each kind, in the order of the text, with their types:
# "uuid", "int" (integer or null) or "str".
FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "receipt": (("member", "uuid"), ("point", "int"), ("total", "int"), ("note", "str")),
    "advance": (("member", "uuid"), ("amount", "int"), ("memo", "str")),
    "loan": (
        ("member", "uuid"),
        ("item", "str"),
        ("qty", "str"),
        ("unit", "str"),
        ("value", "int"),
        ("memo", "str"),
    ),
    "household": (
        ("name", "str"),
        ("phone", "str"),
        ("village", "str"),
        ("commune", "int"),
        ("gender", "str"),
        ("ethnicity", "str"),
        ("birth_year", "int"),
    ),
}
LINE_FIELDS: tuple[tuple[str, str], ...] = (
    ("product", "int"),
    ("grade", "int"),
    ("qty", "str"),
    ("unit", "str"),
    ("ded", "str"),
    ("price", "int"),
)

# Each Vietnamese letter with marks is written "=" + its plain letter + one code: the
# modifier (none, breve or horn, circumflex; 3 for the stroke of đ) times 6 plus the tone
# (none, grave, acute, hook, tilde, dot below), as one base-36 digit. The same table is in
# sms.js.
VIETNAMESE = dict(
    zip(
        "àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬèéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆìíỉĩịÌÍỈĨỊòóỏõọơờớởỡợôồốổỗộ"
        "ÒÓỎÕỌƠỜỚỞỠỢÔỒỐỔỖỘùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰỳýỷỹỵỲÝỶỸỴđĐ",
        re.findall(
            "..",
            "a1a2a3a4a5a6a7a8a9aaabacadaeafagahA1A2A3A4A5A6A7A8A9AaAbAcAdAeAfAgAhe1e2e3e4e5ecedeeefegeh"
            "E1E2E3E4E5EcEdEeEfEgEhi1i2i3i4i5I1I2I3I4I5o1o2o3o4o5o6o7o8o9oaobocodoeofogohO1O2O3O4O5O6"
            "O7O8O9OaObOcOdOeOfOgOhu1u2u3u4u5u6u7u8u9uaubU1U2U3U4U5U6U7U8U9UaUby1y2y3y4y5Y1Y2Y3Y4Y5diDi",
        ),
        strict=True,
    )
)
_FROM_CODE = {code: letter for letter, code in VIETNAMESE.items()}
# Characters a text keeps as they are: printable ASCII in the GSM-7 basic alphabet, less
# the space and the characters the form uses ("=", "_", ",").
PLAIN = frozenset("!\"#$%&'()*+-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_AT = re.compile(r"^20(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{3}))?(Z|[+-]\d\d:\d\d)$")
_TIME = re.compile(r"^(\d{12})(\d{3})?(Z|[+-]\d{4})?$")
_BASE32 = re.compile(r"^[A-Z2-7]{26}$")
_NUMBER = re.compile(r"^-?[0-9A-Z]+$")
_CHECK = re.compile(r"^[A-Z2-7]{8}$")
HOME_OFFSET = "+07:00"
EMPTY = "=-"  # the empty text
NULL = "-"  # an absent number


class SmsFormError(ValueError):
    """A text that is not a record in the SMS form, or a record that has no SMS form.

    ``code``: ``not_form`` (not ``HT1``), ``malformed`` (cannot be read), ``bad_check`` (the
    check code does not match), ``unsupported`` (a record the form cannot carry),
    ``too_long`` (more than 160 characters).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Parsed:
    record: dict  # {"key", "kind", "no", "at", "body"} as the API push takes it
    prefix: str  # the device's prefix, from the provisional number
    signed: str  # the text the check code covers
    check: str


# --- values --------------------------------------------------------------------------------------


def _int_out(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool) or not isinstance(value, int):
        raise SmsFormError("unsupported", f"not an integer: {value!r}")
    digits = ""
    number = abs(value)
    while True:
        number, rest = divmod(number, 36)
        digits = _B36[rest] + digits
        if not number:
            break
    return ("-" if value < 0 else "") + digits


def _int_in(word: str) -> int | None:
    if word == NULL:
        return None
    digits = word.removeprefix("-")
    if not _NUMBER.match(word) or word == "-0" or (len(digits) > 1 and digits[0] == "0"):
        raise SmsFormError("malformed", f"not a number: {word!r}")
    if len(digits) > 11:
        raise SmsFormError("malformed", "number too long")
    return int(word, 36)


def _uuid_out(value) -> str:
    if not isinstance(value, str) or not _UUID.match(value):
        raise SmsFormError("unsupported", f"not a UUID in canonical form: {value!r}")
    return base64.b32encode(uuid.UUID(value).bytes).decode("ascii").rstrip("=")


def _uuid_in(token: str) -> str:
    if not _BASE32.match(token):
        raise SmsFormError("malformed", f"not a key: {token!r}")
    raw = base64.b32decode(token + "======")
    if base64.b32encode(raw).decode("ascii").rstrip("=") != token:
        raise SmsFormError("malformed", f"not a key: {token!r}")  # stray low bits
    return str(uuid.UUID(bytes=raw))


def _str_out(value, *, in_line: bool = False) -> str:
    if not isinstance(value, str):
        raise SmsFormError("unsupported", f"not a text: {value!r}")
    if value == "":
        return EMPTY
    out = []
    for ch in value:
        if ch in PLAIN:
            out.append(ch)
        elif ch == " ":
            out.append("_")
        elif ch in "=_,":
            out.append("=" + ch)
        elif ch in VIETNAMESE:
            out.append("=" + VIETNAMESE[ch])
        else:
            raise SmsFormError("unsupported", f"a character the SMS form cannot carry: {ch!r}")
    return "".join(out)


def _str_in(token: str) -> str:
    if token == EMPTY:
        return ""
    out = []
    index = 0
    while index < len(token):
        ch = token[index]
        if ch == "_":
            out.append(" ")
            index += 1
        elif ch == "=":
            nxt = token[index + 1 : index + 2]
            if nxt in ("=", "_", ","):
                out.append(nxt)
                index += 2
            elif token[index + 1 : index + 3] in _FROM_CODE:
                out.append(_FROM_CODE[token[index + 1 : index + 3]])
                index += 3
            else:
                raise SmsFormError("malformed", f"a bad escape in {token!r}")
        elif ch in PLAIN:
            out.append(ch)
            index += 1
        else:
            raise SmsFormError("malformed", f"an unexpected character in {token!r}")
    return "".join(out)


def _time_out(value) -> str:
    match = _AT.match(value) if isinstance(value, str) else None
    if not match:
        raise SmsFormError("unsupported", f"a time the SMS form cannot carry: {value!r}")
    *parts, millis, offset = match.groups()
    zone = "" if offset == HOME_OFFSET else offset.replace(":", "")
    return "".join(parts) + (millis or "") + zone


def _time_in(token: str) -> str:
    match = _TIME.match(token)
    if not match:
        raise SmsFormError("malformed", f"not a time: {token!r}")
    digits, millis, zone = match.groups()
    yy, mo, dd, hh, mi, ss = (digits[i : i + 2] for i in range(0, 12, 2))
    if zone is None:
        offset = HOME_OFFSET
    elif zone == "Z":
        offset = "Z"
    else:
        offset = f"{zone[:3]}:{zone[3:]}"
    return f"20{yy}-{mo}-{dd}T{hh}:{mi}:{ss}" + (f".{millis}" if millis else "") + offset


_OUT = {"uuid": _uuid_out, "int": _int_out, "str": _str_out}
_IN = {"uuid": _uuid_in, "int": _int_in, "str": _str_in}


def _fields_out(body, fields) -> list[str]:
    if not isinstance(body, dict) or set(body) != {name for name, _ in fields}:
        raise SmsFormError("unsupported", "the fields are not those the SMS form carries")
    return [_OUT[kind](body[name]) for name, kind in fields]


def _fields_in(tokens: list[str], fields) -> dict:
    return {name: _IN[kind](token) for (name, kind), token in zip(fields, tokens, strict=True)}


# --- the check code ------------------------------------------------------------------------------


def check_code(signed: str, sms_key: str) -> str:
    digest = hmac.new(sms_key.encode("ascii"), signed.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:CHECK_LENGTH]


def verify(parsed: Parsed, sms_key: str) -> bool:
    """Whether the text's check code is the one the device's key makes (constant time)."""
    return hmac.compare_digest(parsed.check, check_code(parsed.signed, sms_key))


# --- the whole text ------------------------------------------------------------------------------


def encode(record: dict, *, sms_key: str) -> str:
    """The SMS form of a record (what ``encodeRecord`` writes on the phone), or
    :class:`SmsFormError` (``unsupported``, ``too_long``)."""
    if not isinstance(record, dict) or set(record) - {"key", "kind", "no", "at", "body"}:
        raise SmsFormError("unsupported", "not a record")
    kind = record.get("kind")
    if kind not in LETTERS:
        raise SmsFormError("unsupported", f"a kind the SMS form cannot carry: {kind!r}")
    no = record.get("no")
    if not isinstance(no, str) or "-" not in no:
        raise SmsFormError("unsupported", "a provisional number without the device's prefix")
    tokens = [FORM, LETTERS[kind] + _str_out(no), _uuid_out(record.get("key")), _time_out(record.get("at"))]
    body = record.get("body")
    if kind == "receipt":
        lines = body.get("lines") if isinstance(body, dict) else None
        if not isinstance(lines, list) or not lines:
            raise SmsFormError("unsupported", "a receipt without lines")
        rest = {k: v for k, v in body.items() if k != "lines"}
        tokens += _fields_out(rest, FIELDS[kind])
        tokens += [",".join(_fields_out(line, LINE_FIELDS)) for line in lines]
    else:
        tokens += _fields_out(body, FIELDS[kind])
    signed = " ".join(tokens)
    text = f"{signed} {check_code(signed, sms_key)}"
    if len(text) > MAX_LENGTH:
        raise SmsFormError("too_long", f"{len(text)} characters, more than one SMS")
    return text


def _split_line(token: str) -> list[str]:
    """A line's fields: split at each "," that is not escaped by "="."""
    parts, current, index = [], [], 0
    while index < len(token):
        ch = token[index]
        if ch == "=":
            current.append(token[index : index + 2])
            index += 2
        elif ch == ",":
            parts.append("".join(current))
            current = []
            index += 1
        else:
            current.append(ch)
            index += 1
    parts.append("".join(current))
    return parts


def is_form(text: str) -> bool:
    """Whether a text claims to be a field record (its first word is ``HT1``)."""
    return text.split(" ", 1)[0].upper() == FORM


def parse(text: str) -> Parsed:
    """Read a text in the SMS form (the check code is not verified here: :func:`verify`)."""
    text = text.strip()
    tokens = text.split(" ")
    if tokens[0].upper() != FORM:
        raise SmsFormError("not_form", "not a field record")
    if len(tokens) < 5 or len(text) > MAX_LENGTH * 3:
        raise SmsFormError("malformed", "too few parts")
    check = tokens[-1].upper()
    if not _CHECK.match(check):
        raise SmsFormError("malformed", "no check code")
    signed = text[: -len(tokens[-1]) - 1]
    head = tokens[1]
    kind = KINDS.get(head[:1])
    if kind is None:
        raise SmsFormError("malformed", f"an unknown kind {head[:1]!r}")
    no = _str_in(head[1:]) if len(head) > 1 else ""
    prefix = no.rpartition("-")[0]
    if not prefix:
        raise SmsFormError("malformed", "a provisional number without the device's prefix")
    key = _uuid_in(tokens[2])
    at = _time_in(tokens[3])
    values = tokens[4:-1]
    fields = FIELDS[kind]
    if kind == "receipt":
        if len(values) <= len(fields):
            raise SmsFormError("malformed", "a receipt without lines")
        body = _fields_in(values[: len(fields)], fields)
        lines = []
        for token in values[len(fields) :]:
            parts = _split_line(token)
            if len(parts) != len(LINE_FIELDS):
                raise SmsFormError("malformed", f"a line that cannot be read: {token!r}")
            lines.append(_fields_in(parts, LINE_FIELDS))
        body["lines"] = lines
    else:
        if len(values) != len(fields):
            raise SmsFormError("malformed", f"{len(values)} fields for a {kind}")
        body = _fields_in(values, fields)
    record = {"key": key, "kind": kind, "no": no, "at": at, "body": body}
    return Parsed(record=record, prefix=prefix, signed=signed, check=check)

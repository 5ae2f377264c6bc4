"""Splitting comments copied from a live or a post into (name, text) pairs. Pure: no Django.

Shapes read from pasted text (``split``):

* one comment per line, ``Name: text`` — optionally after a time, ``[21:05] Lan: chốt M1``;
* Facebook's copy: the name on one line, the comment on the next line(s), then a line of
  actions and age, ``Thích · Phản hồi · 2 phút`` / ``Like · Reply · 2m`` (badges such as
  "Fan cứng", "Top fan", "Tác giả" are dropped);
* TikTok's copy: the name, the comment, then ``2 giờ trước  Trả lời`` / ``3-15 Reply``
  and a count of likes; its live chat's notices (``Lan đã tham gia``, ``joined``…) are
  dropped.

"Name text" on one line cannot be split reliably and is given back as *skipped*, for staff
to type by hand. ``read_csv`` reads a comment export whose columns are guessed by header.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from hoptac.lib.text import fold

MAX_NAME = 60
MAX_ROWS = 5000


@dataclass(frozen=True)
class PastedComment:
    author: str
    text: str
    at: dt.datetime | None = None
    author_id: str = ""
    external_id: str = ""


@dataclass
class Split:
    comments: list[PastedComment] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class BadFile(Exception):
    """A comment file that cannot be read; ``code`` says why: encoding, empty, no_text_column,
    too_many_rows."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# --- lines that are not comments ------------------------------------------------------------------

_ACTION_WORDS = (
    "thich",
    "phan hoi",
    "tra loi",
    "like",
    "reply",
    "chia se",
    "share",
    "xem ban dich",
    "see translation",
    "da chinh sua",
    "edited",
)
_AGE = (
    r"(?:vua xong|just now|now|"
    r"\d{1,4}\s*(?:giay|phut|gio|ngay|tuan|thang|nam|s|m|h|d|w|y|sec|min|mins|hr|hrs|"
    r"second|seconds|minute|minutes|hour|hours|day|days|week|weeks)(?:\s*(?:truoc|ago))?|"
    r"\d{1,2}-\d{1,2}(?:-\d{2,4})?|\d{1,2}/\d{1,2}(?:/\d{2,4})?|yesterday|hom qua)"
)
_ACTION = "|".join(re.escape(w) for w in _ACTION_WORDS)
# A line made only of actions, an age and like counts, separated by dots or spaces.
_META = re.compile(rf"^(?:(?:{_ACTION}|{_AGE}|\d{{1,6}}|[·•.|\-])\s*)+$")
_NEEDS_ACTION_OR_AGE = re.compile(rf"(?:^|[\s·•|])(?:{_ACTION}|{_AGE})(?:$|[\s·•|])")
_BADGES = {
    "fan cung",
    "top fan",
    "nguoi theo doi hang dau",
    "tac gia",
    "author",
    "creator",
    "nha sang tao",
    "quan tri vien",
    "admin",
    "moderator",
    "nguoi kiem duyet",
    "xem them",
    "see more",
    "viet binh luan...",
    "write a comment...",
    "xem them binh luan",
    "view more comments",
    "ghim",
    "pinned",
    "da ghim",
}
_NOTICE = re.compile(
    r"(?:\bda tham gia|\bjoined|\bda thich (?:buoi )?live|\bliked the live|\bda chia se (?:buoi )?live|"
    r"\bshared the live|\bda theo doi (?:chu phong|host|nguoi phat)|\bfollowed the host|"
    r"\b(?:da gui|sent) (?:tang )?(?:hoa hong|rose|qua|a gift|gift|x\d+).*)$"
)
_STAMP = re.compile(r"^\[?(\d{1,2})[:h](\d{2})(?::(\d{2}))?\]?\s*[-–]?\s*")


def _is_meta(line: str) -> bool:
    folded = fold(line)
    return (
        bool(folded)
        and bool(_META.match(folded))
        and bool(_NEEDS_ACTION_OR_AGE.search(folded))
        and not (folded.isdigit() and len(folded) > 6)
    )


def _is_noise(line: str) -> bool:
    folded = fold(line)
    return folded in _BADGES or bool(_NOTICE.search(folded) and len(folded.split()) <= 10)


def _age(line: str, now: dt.datetime | None) -> dt.datetime | None:
    """``2 phút`` -> now minus 2 minutes; None when the line gives no age."""
    if now is None:
        return None
    folded = fold(line)
    if re.search(r"\b(?:vua xong|just now)\b", folded):
        return now
    m = re.search(
        r"(?<![\d-])(\d{1,4})\s*(giay|phut|gio|ngay|tuan|s|m|h|d|w|sec|min|mins|hr|hrs|second|seconds|"
        r"minute|minutes|hour|hours|day|days|week|weeks)\b",
        folded,
    )
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2)
    seconds = {
        "giay": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1,
        "phut": 60, "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
        "gio": 3600, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
        "ngay": 86400, "d": 86400, "day": 86400, "days": 86400,
        "tuan": 604800, "w": 604800, "week": 604800, "weeks": 604800,
    }[unit]  # fmt: skip
    return now - dt.timedelta(seconds=n * seconds)


def _name_ok(name: str) -> bool:
    return 0 < len(name) <= MAX_NAME and not name.isdigit() and "://" not in name


def _colon(line: str) -> tuple[str, str] | None:
    """``Lan: chốt M1`` -> ("Lan", "chốt M1")."""
    name, sep, text = line.partition(":")
    name, text = " ".join(name.split()), text.strip()
    if sep and text and _name_ok(name) and len(name.split()) <= 8:
        return name, text
    return None


def _stamp(line: str, now: dt.datetime | None, tz) -> tuple[str, dt.datetime | None]:
    m = _STAMP.match(line)
    if not m:
        return line, None
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return line, None
    rest = line[m.end() :]
    if now is None:
        return rest, None
    local = now.astimezone(tz) if tz is not None and now.tzinfo else now
    at = local.replace(hour=hour, minute=minute, second=second, microsecond=0)
    if at > local + dt.timedelta(minutes=5):
        at -= dt.timedelta(days=1)
    return rest, at


def split(text: str, *, tz=None, now: dt.datetime | None = None) -> Split:
    """Split pasted text into comments (see the module's docstring for the shapes)."""
    lines = [
        " ".join(line.split()) for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    lines = [line for line in lines if line and not _is_noise(line)]
    if any(_is_meta(line) for line in lines):
        result = _blocks(lines, now)
    else:
        result = Split()
        for line in lines:
            rest, at = _stamp(line, now, tz)
            pair = _colon(rest)
            if pair is None:
                result.skipped.append(line)
            else:
                result.comments.append(PastedComment(author=pair[0], text=pair[1], at=at))
    # Oldest first when every comment has a time (Facebook may show the newest on top).
    if result.comments and all(c.at is not None for c in result.comments):
        result.comments.sort(key=lambda c: c.at)
    return result


def _blocks(lines: list[str], now: dt.datetime | None) -> Split:
    """Facebook and TikTok: name, comment line(s), then one or more action/age lines (the
    actions may come one per line; counts of likes around them are dropped)."""
    result = Split()
    block: list[str] = []
    ages: list[dt.datetime] = []
    in_meta = False

    def flush() -> None:
        while len(block) >= 3 and block[-1].isdigit() and len(block[-1]) <= 4:
            block.pop()  # a count of reactions shown under the comment
        at = ages[0] if ages else None
        if len(block) >= 2 and _name_ok(block[0]):
            result.comments.append(PastedComment(author=block[0], text=" ".join(block[1:]), at=at))
        elif len(block) == 1 and (pair := _colon(block[0])) is not None:
            result.comments.append(PastedComment(author=pair[0], text=pair[1], at=at))
        elif block:
            result.skipped.append(" / ".join(block))
        block.clear()
        ages.clear()

    for line in lines:
        if _is_meta(line) or (in_meta and line.isdigit() and len(line) <= 6):
            in_meta = True
            age = _age(line, now)
            if age is not None:
                ages.append(age)
            continue
        if in_meta:
            flush()
            in_meta = False
        block.append(line)
    flush()
    return result


# --- comment exports (CSV) ---------------------------------------------------------------------

_COLUMNS = {
    "author": ("name", "author", "author name", "from name", "from", "user", "username", "nickname",
               "display name", "ten", "ho ten", "ho va ten", "nguoi binh luan", "ten nguoi binh luan",
               "khach"),
    "text": ("comment", "message", "text", "content", "body", "noi dung", "binh luan", "tin nhan"),
    "at": ("time", "created time", "created at", "date", "timestamp", "thoi gian", "ngay", "gio", "luc"),
    "external_id": ("id", "comment id", "ma", "ma binh luan", "message id"),
    "author_id": ("author id", "from id", "user id", "uid", "profile id"),
}  # fmt: skip


def _column_key(header: str) -> str:
    return re.sub(r"[\s_.\-]+", " ", fold(header)).strip()


def _guess_columns(header: list[str]) -> dict[str, int]:
    keys = [_column_key(h) for h in header]
    found: dict[str, int] = {}
    for role, names in _COLUMNS.items():
        for i, key in enumerate(keys):
            if key in names and i not in found.values():
                found[role] = i
                break
    # Second pass: a header containing a known word ("Nội dung bình luận", "Tên khách").
    for role, names in _COLUMNS.items():
        if role in found:
            continue
        for i, key in enumerate(keys):
            if i not in found.values() and any(len(n) > 3 and n in key for n in names):
                found[role] = i
                break
    return found


def parse_time(value: str, tz=None) -> dt.datetime | None:
    """A time from an export: ISO 8601 (``2026-03-15T12:05:33+0000``), ``15/03/2026 19:05``,
    or seconds since 1970. Naive times are in ``tz``."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit() and 9 <= len(value) <= 13:
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    at = None
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value.replace("Z", "+00:00"))
    try:
        at = dt.datetime.fromisoformat(iso)
    except ValueError:
        for fmt in (
            "%d/%m/%Y %H:%M:%S",
            "%d/%m/%Y %H:%M",
            "%d-%m-%Y %H:%M:%S",
            "%d-%m-%Y %H:%M",
            "%H:%M:%S %d/%m/%Y",
        ):
            try:
                at = dt.datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if at is None:
        return None
    if at.tzinfo is None and tz is not None:
        at = at.replace(tzinfo=tz)
    return at


def read_csv(data: bytes, *, tz=None) -> Split:
    """Read a comment export: UTF-8 (with or without BOM), comma, semicolon or tab."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile("encoding") from None
    if not text.strip():
        raise BadFile("empty")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        raise BadFile("empty") from None
    columns = _guess_columns(header)
    if "text" not in columns:
        raise BadFile("no_text_column")
    result = Split()

    def cell(row, role):
        i = columns.get(role)
        return row[i].strip() if i is not None and i < len(row) else ""

    try:
        for n, row in enumerate(rows, start=2):
            if n > MAX_ROWS + 1:
                raise BadFile("too_many_rows")
            if not any(c.strip() for c in row):
                continue
            body = cell(row, "text")
            if not body:
                result.skipped.append(f"{n}: {' | '.join(row)[:120]}")
                continue
            result.comments.append(
                PastedComment(
                    author=" ".join(cell(row, "author").split())[:120],
                    text=body[:1000],
                    at=parse_time(cell(row, "at"), tz),
                    author_id=cell(row, "author_id")[:60],
                    external_id=cell(row, "external_id")[:80],
                )
            )
    except csv.Error:
        raise BadFile("encoding") from None
    if result.comments and all(c.at is not None for c in result.comments):
        result.comments.sort(key=lambda c: c.at)
    return result

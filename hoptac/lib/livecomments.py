"""Reading orders in livestream and group comments: ``chốt M1 x2 0912345678``, ``M1 2``,
``lấy 2 hũ m1``, ``M1+C2``, ``m1 c2 mỗi loại 1``, ``M1 hai hũ``… into the product codes
wanted, how many of each, and the buyer's phone number. Pure: no Django, no database.

How a comment is read (docs/architecture.md, "Reading comments"):

1. The text is normalised (NFKC, keycap emoji ``1️⃣`` to ``1``, ``×`` to ``x``) and kept in
   two forms of the same length: lower case, and lower case without diacritics, so a
   pattern found in one can be checked against the other (``cân`` is a weight, ``cần``
   is "need"; ``sáu`` is six, ``sau`` is "after").
2. A name pasted before the text (``Lò Thị Mai: …``, a first line, ``Vàng Seo Pao chốt…``)
   is set aside.
3. Phone numbers (``0912.345.678``, ``+84 912 345 678``…) are taken out; then the codes
   configured for the live, exactly (sure) or with a typo within reason (``Ml``, ``MI``,
   ``M 1``, ``M01``, ``M!``, ``á`` for ``A1`` typed on a VNI keyboard: not sure); then the
   numbers that are not quantities: prices (``250k``, ``250.000``), weights (``500g``,
   ``1kg``, ``1 cân``), dates, times, durations, house numbers, ``lần 2``, ``thứ 7``.
4. The rest is split into words, and each code takes the number written next to it, on
   the side the comment uses (``M1 2 C2 3`` or ``lấy 2 M1 1 C2``), skipping units
   (``hũ``, ``gói``…), ``x``, ``sl`` and a few words of the product's name. ``mỗi loại 2``
   gives every code without its own number. ``vài``, ``nhiều`` give 1, not sure.
5. Questions (``M1 còn không?``, ``M1 giá bao nhiêu``), reviews (``đã nhận M1, ngon lắm``)
   and cancellations (``hủy M1``) are not orders, unless an order word (``chốt``,
   ``lấy``…) comes with them.

Every code set is compiled once (cached by the tuple of codes).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Wanted:
    code: str  # the code as configured for the live, e.g. "M1"
    quantity: int  # packs, at least 1
    sure: bool = True  # False when the code or the quantity was guessed


@dataclass(frozen=True)
class Parsed:
    wanted: tuple[Wanted, ...] = ()
    phone: str = ""  # 0XXXXXXXXX, or ""
    question: bool = False  # reads as a question, not an order
    unclear: tuple[str, ...] = field(default_factory=tuple)  # "quantity", "code", "cancel", "question"

    @property
    def is_order(self) -> bool:
        return bool(self.wanted) and not self.question

    @property
    def needs_look(self) -> bool:
        """An order with a guess in it, or a cancellation staff must act on."""
        if "cancel" in self.unclear:
            return True
        return self.is_order and (bool(self.unclear) or any(not w.sure for w in self.wanted))


MAX_SURE_QUANTITY = 99  # more packs than this in one comment is read, but not sure
MAX_QUANTITY = 999  # a bigger number next to a code is not a quantity (a price, a year…)

# --- characters ------------------------------------------------------------------------

_PREP = str.maketrans({"\ufe0f": None, "\u20e3": None, "×": "x", "✖": "x", "\u200b": None, "\u00a0": " "})


def _build_tables() -> tuple[dict[int, str], dict[int, str]]:
    lower: dict[int, str] = {}
    folded: dict[int, str] = {}
    ranges = [(0x41, 0x5B), (0xC0, 0x250), (0x1E00, 0x1F00)]
    for start, end in ranges:
        for code in range(start, end):
            ch = chr(code)
            low = ch.lower()
            if len(low) != 1:
                continue
            base = unicodedata.normalize("NFD", low.replace("đ", "d"))
            base = "".join(c for c in base if not unicodedata.combining(c))
            if low != ch:
                lower[code] = low
            if len(base) == 1 and base != ch:
                folded[code] = base
            elif low != ch:
                folded[code] = low
    return lower, folded


_LOWER, _FOLD = _build_tables()

# --- phone numbers ---------------------------------------------------------------------

_SEP = r"[\s.\-]?"
_PHONE = re.compile(
    r"(?<![\da-z])(?:\(?\+?84\)?[\s.\-]?|[0o])(?P<rest>[1-9](?:" + _SEP + r"\d){8})(?!\d)", re.IGNORECASE
)
_LANDLINE = re.compile(r"(?<!\d)0?2\d(?:" + _SEP + r"\d){8}(?!\d)")


def _phone_digits(match: re.Match) -> str:
    return "0" + re.sub(r"\D", "", match.group("rest"))


def find_phone(text: str) -> str:
    """The first Vietnamese mobile number in ``text``, as 0XXXXXXXXX, or ""."""
    text = unicodedata.normalize("NFKC", text or "")
    for match in _PHONE.finditer(text):
        digits = _phone_digits(match)
        if digits[1] in "35789":
            return digits
    return ""


def mask_phones(text: str) -> str:
    """``text`` with every phone number hidden but its last three digits (public screens)."""

    def hide(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return "•" * 7 + digits[-3:]

    text = unicodedata.normalize("NFKC", text or "")
    return _LANDLINE.sub(hide, _PHONE.sub(hide, text))


# --- words -----------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


UNITS = _words(
    "hu hop goi tui chai lo binh bich cai phan suat sp san pham qua cu can kg ky ki kilo "
    "h thung bao bo set combo hopqua cap doi chiec mon loai ma thanh ong"
)
# Words skipped between a code and its number: markers, pronouns, politeness.
FILLER = _words(
    "cho e em minh m t toi tui a anh c chi ad shop nhe nha nhen nhá luon voi di lay them nua "
    "ak ah a ha ne nhe oi ban b cua la thi o chot mua dat ship gui giup"
)
MARKS = frozenset({"x", "sl", "soluong", "so", "luong", "sluong", "s/l"})
NUMBER_WORDS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "sáu": 6, "bảy": 7, "bẩy": 7,
    "tám": 8, "chín": 9, "mười": 10, "chục": 10,
}  # fmt: skip
NUMBER_WORDS_PLAIN = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
    "muoi": 10, "chuc": 10,
}  # fmt: skip
VAGUE = {"vài": "vai", "nhiều": "nhieu", "mấy": "may", "ít": "it", "dăm": "dam"}
VAGUE_PLAIN = frozenset({"vai", "nhieu", "it", "dam"})

_STRONG_ORDER = frozenset(
    {"chốt", "chot", "lấy", "lay", "đặt", "dat", "thêm", "them", "order", "od", "đăng", "dang"}
)
_ORDER = _STRONG_ORDER | frozenset({"mua", "gửi", "gui", "gởi"})
_PRONOUNS = _words("e em minh mình m c chị chi a anh t tôi toi tui cô co chú chu bác bac mk mik")

_QUESTION = re.compile(
    r"\b(?:bao nhieu|bao lau|bao gio|khi nao|the nao|nhu nao|ntn|o dau|dau vay|sao vay|tai sao|"
    r"con (?:khong|ko|k|kh|hong|hok|khum|hang|nua|ko a)|het chua|co (?:ship|giao|freeship)|gia sao|"
    r"bn tien|may tien|sao khong|cho (?:e|em|minh|chi|c|anh|a|toi|t|co|chu) hoi|hay (?!qua|lam|that|ghe|the)[a-z]+|lam gi|de lam gi|giao may|mat may|khac (?:gi|nhau)|la gi|duoc khong|dc khong|dc ko|"
    r"duoc ko|ship tinh|ship ha noi|ship hn|ship sg|sao shop|gi vay|nao ngon|nen lay|hsd|han su dung)\b"
)
_FINAL_QUESTION = frozenset(
    {"khong", "ko", "k", "kh", "hong", "hok", "khum", "hem", "chua", "ha", "nhi", "bn", "khg", "gi"}
)
_TRAILING_PARTICLES = frozenset(
    {"shop", "a", "ad", "e", "em", "chi", "c", "vay", "the", "ban", "b", "oi", "nhi", "ha", "ah", "ak"}
)
_REVIEW = re.compile(
    r"\b(?:da nhan|nhan duoc|nhan hang|nhan roi|da mua|mua roi|lan truoc|hom truoc|hom qua mua|"
    r"da an|an roi|dung roi|ngon lam|ngon qua|ngon that|rat ngon|ngon tuyet|tuyet voi|chat luong qua|"
    r"thom lam|thom qua|cam on shop|cam on ban|5 sao|nam sao|se ung ho|ung ho shop|dong goi can than|"
    r"giao nhanh|hang dep|ngon ngot|uong ngon|an ngon|dung tot|lan sau|tuan sau|thang sau|dip sau)\b"
)
_AFTER_CANCEL = _STRONG_ORDER | {"sang", "thanh", "thành"}
_GIVERS = frozenset({"cho", "gửi", "gui", "gởi", "ship"})
_EACH = UNITS | {"thu", "ma", "mon", "sp", "san", "mau", "vi", "dong"}
_UNITS_FILLER = UNITS | FILLER
_CANCEL_WORDS = _words("huy cancel doi bo thi thoi khong ko k kh hong hok khum khg")
# A buyer writing about an order already made: "chốt rồi mà chưa thấy ai gọi".
_SUPPORT = re.compile(r"\b(?:roi ma chua|chua thay|chua nhan duoc|chua ai|chua co ai|sao chua)\b")
_PRAISE = frozenset({"ngon", "dep", "thom", "xinh", "tuyet", "ngot", "re", "xin", "gia"})  # and "M1 giá 250k"
_CANCEL = re.compile(
    r"\b(?:(?:thoi )?(?:khong|ko|k|kh|hong|hok|khum|khg) (?:lay|mua|chot|dat)(?: nua)?|thoi khong|thoi ko|"
    r"thi thoi|huy|cancel|doi y|doi(?= .*\b(?:sang|thanh)\b)|bo)\b"
)

# Numbers that are not quantities: prices, weights, dates, times, durations, places.
_NOT_QUANTITY = re.compile(
    r"(?P<price>\d+(?:[.,]\d+)?\s?(?:k|ka|nghin|ngan|tr|trieu|d|dong|vnd|vnđ|đ)(?![a-wyz])\d*"
    r"|\d{1,3}(?:[.,]\d{3})+(?:\s?(?:d|dong|vnd|đ))?|\d{4,})"
    r"|(?P<weight>\d+(?:[.,]\d+)?\s?(?:g|gr|gram|gam|kg|kgs|ky|ki|kilo|can|lang|yen|ml|lit|l|lon)(?![a-wyz]))"
    r"|(?P<date>\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}-\d{1,2}-\d{2,4}|\d{1,2}[:h]\d{2}|\d{1,2}\s?h(?![a-z])"
    r"|(?<![a-z])(?:thu|t)\s?[2-8](?![\d])|(?<![a-z])(?:mung|thang)\s?\d{1,2}(?!\d))"
    r"|(?P<duration>\d+\s?(?:phut|p|gio|tieng|ngay|tuan|hom|buoi|nam|sao|%|nguoi)(?![a-z]))"
    r"|(?P<place>(?<![a-z])(?:lan|so|ngo|ngach|hem|to|xom|khu|phong|p|q|quan|phuong|km|duong|tang|lau|size|sz|tuoi|top|nha|ngay)"
    r"\s?\d+(?![\d]))"
)

_TIME_OF_DAY = re.compile(r"\s*(?:sang|trua|chieu|toi|dem|mai|nay|hom)\b")
_TOKEN = re.compile(
    r"(?P<num>\d+)|(?P<word>[a-z]+)|(?P<sep>[,;+&/\n|]|\.)|(?P<mark>[*:=\-–])|(?P<q>\?)|(?P<other>[^\s\x00\x01])"
)
_CODE_CANDIDATE = r"(?<![a-z])(?P<let>{letters})(?P<sp>[ ._\-]?)(?P<dig>[0-9][0-9o]{{0,3}}|[l|!i][0-9o]{{1,3}}|[l|!@#i](?![a-z0-9]))(?!\d)"
_FUZZY_DIGITS = str.maketrans({"l": "1", "|": "1", "!": "1", "i": "1", "o": "0", "@": "2", "#": "3"})
_VNI_TONES = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
_WORDS = re.compile(r"[^\W\d_]+")
_NAME_COLON = re.compile(r"^\s*(?:\[[\d:/ ]+\]\s*)?([^\n:\d]{2,48}):\s*")
# A line of a platform's own words, as pasted: "Thích · Phản hồi · 2 phút", "3 giờ".
_FB_NOISE = re.compile(
    r"^[\s·•]*(?:(?:Thích|Phản hồi|Trả lời|Chia sẻ|Xem bản dịch|Like|Reply|Tác giả|Đã chỉnh sửa|"
    r"\d{1,2}\s?(?:phút|giờ|ngày|tuần|m|h|d|w))[\s·•]*)+$",
    re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class _Codes:
    exact: dict  # folded code -> configured code (all configured codes)
    split: dict  # (letters, int digits) -> configured code
    vni: dict  # "á" -> "A1"
    letters_only: dict  # "a" -> "A"
    others: re.Pattern | None  # configured codes of another shape, matched as they are
    candidates: re.Pattern | None  # letters then digits, typos allowed


@lru_cache(maxsize=256)
def _compile(codes: tuple[str, ...]) -> _Codes:
    exact, split, vni, letters_only, others = {}, {}, {}, {}, []
    for code in codes:
        key = "".join(code.split()).translate(_FOLD).lower()
        if not key:
            continue
        exact[key] = code
        m = re.fullmatch(r"([a-z]+)(\d+)", key)
        if m:
            split.setdefault((m.group(1), int(m.group(2))), code)
            letters, digits = m.groups()
            if letters[-1] in "aeiouy" and digits in _VNI_TONES:
                toned = unicodedata.normalize("NFC", letters + _VNI_TONES[digits])
                vni[toned] = code
        elif key.isalpha():
            letters_only[key] = code
        else:
            others.append(re.escape(key))
    pattern = (
        re.compile(r"(?<![a-z0-9])(?:" + "|".join(sorted(others, key=len, reverse=True)) + r")(?![a-z0-9])")
        if others
        else None
    )
    prefixes = sorted({letters for letters, _n in split}, key=len, reverse=True)
    candidates = re.compile(_CODE_CANDIDATE.format(letters="|".join(prefixes))) if prefixes else None
    return _Codes(
        exact=exact, split=split, vni=vni, letters_only=letters_only, others=pattern, candidates=candidates
    )


# Token kinds
_CODE, _NUM, _WORD, _SEPK, _MARK, _Q, _OTHER, _PHONEK, _WEIGHT, _PRICE, _VAGUEK = range(11)


@dataclass(slots=True)
class _Tok:
    kind: int
    start: int
    text: str = ""  # folded
    orig: str = ""  # lower case, with diacritics
    value: object = None  # code or number
    sure: bool = True
    word_number: bool = False
    used: bool = False


def _strip_name(text: str) -> str:
    """The comment without a name pasted before it."""
    m = _NAME_COLON.match(text)
    if m and len(m.group(1).split()) <= 6 and not m.group(1).strip().lower().startswith(("sdt", "sđt", "sl")):
        return text[m.end() :]
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) >= 2 and _looks_like_name(lines[0].split()) == len(lines[0].split()):
        text = "\n".join(lines[1:])
    words = text.split(" ", 6)
    n = _looks_like_name(words[:5])
    if 2 <= n < len(words):
        return " ".join(words[n:])
    return text


_NOT_NAME = _words(
    "chốt chot lấy lay mua đặt dat cho em mình minh shop ship thêm them hủy huy bỏ bo còn con giá gia "
    "hũ hu hộp hop gói goi túi tui chai lọ lo sđt sdt ok oke dạ da vâng chị chi anh ad admin xin "
    "mật mat chè che gạo gao mận man thảo thao tam"
)


def _looks_like_name(words: list[str]) -> int:
    """How many of ``words``, from the first, read as a person's name (capitalised words)."""
    n = 0
    for word in words:
        if not word or not word[0].isupper() or not word.isalpha() or word.lower() in _NOT_NAME:
            break
        if len(word) > 1 and word.isupper():
            break
        n += 1
    return n


def _tokens(text: str, table: _Codes) -> tuple[list[_Tok], str, str]:
    low = text.translate(_LOWER)
    fol = text.translate(_FOLD)
    toks: list[_Tok] = []
    chars = list(fol)

    def blank(start: int, end: int, char: str = "\x00") -> None:
        chars[start:end] = char * (end - start)

    for m in _PHONE.finditer(fol):
        toks.append(_Tok(_PHONEK, m.start(), value=_phone_digits(m)))
        blank(m.start(), m.end())
    work = "".join(chars)
    if table.others is not None:
        for m in table.others.finditer(work):
            toks.append(_Tok(_CODE, m.start(), text=m.group(0), value=table.exact[m.group(0)]))
            blank(m.start(), m.end(), "\x01")
        work = "".join(chars)
    for m in table.candidates.finditer(work) if table.candidates is not None else ():
        code, sure = _read_code(m, text, low, work, table)
        if code is not None:
            toks.append(_Tok(_CODE, m.start(), text=m.group(0), value=code, sure=sure))
            blank(m.start(), m.end(), "\x01")
    work = "".join(chars)
    for m in _NOT_QUANTITY.finditer(work):
        kind = m.lastgroup
        if kind == "weight" and low[m.end() - 3 : m.end()] == "cần":
            continue
        if (
            kind == "date"
            and m.group(0)[-1] == "h"
            and work[: m.start()].rstrip(" ").endswith("\x01")
            and not _TIME_OF_DAY.match(work, m.end())
        ):
            continue  # "M1 2h": two jars, not two o'clock
        if kind == "place" and m.group(0).startswith("ngay") and low[m.start() : m.start() + 4] != "ngày":
            continue
        if kind == "place" and m.group(0).startswith("nha") and low[m.start() : m.start() + 3] != "nhà":
            continue  # "nha 2 túi": a particle, not a house number
        if kind == "duration" and m.group(0).endswith("nam") and low[m.end() - 3 : m.end()] != "năm":
            continue
        toks.append(_Tok(_WEIGHT if kind == "weight" else _PRICE, m.start(), text=m.group(0)))
        blank(m.start(), m.end())
    work = "".join(chars)
    plain = low == fol  # no diacritics anywhere: "nam", "sau", "tam" may be numbers
    for m in _TOKEN.finditer(work):
        kind = m.lastgroup
        start = m.start()
        if kind == "num":
            toks.append(_Tok(_NUM, start, text=m.group(0), value=int(m.group(0))))
        elif kind == "word":
            toks.append(_word(m.group(0), low[start : m.end()], text[start : m.end()], start, table, plain))
        elif kind == "sep":
            toks.append(_Tok(_SEPK, start, text=m.group(0)))
        elif kind == "mark":
            toks.append(_Tok(_MARK, start, text=m.group(0)))
        elif kind == "q":
            toks.append(_Tok(_Q, start, text="?"))
        else:
            toks.append(_Tok(_OTHER, start, text=m.group(0)))
    toks.sort(key=lambda t: t.start)
    return _join_numbers(toks), low, fol


def _read_code(m: re.Match, text: str, low: str, work: str, table: _Codes) -> tuple[str | None, bool]:
    letters, sp, dig = m.group("let"), m.group("sp"), m.group("dig")
    whole = letters + dig
    start = m.start()
    before = work[start - 1] if start else " "
    if not sp and whole in table.exact:
        return table.exact[whole], True
    if low[m.start("let") : m.start("let") + len(letters)] != letters:
        return None, False  # "á 2" is not "a 2"
    fuzzy = not dig.isdigit()
    if fuzzy:
        if before.isdigit():
            return None, False  # 500ml
        if dig == "i" and text[m.start("dig")] != "I":
            return None, False  # "mi", "ai" are words; "MI" is M1 typed with an I
    number = dig.translate(_FUZZY_DIGITS)
    if not number.isdigit():
        return None, False
    code = table.split.get((letters, int(number)))
    if code is None:
        return None, False
    if sp:
        # "cho c 2 hũ": a pronoun then a number, not the code C2.
        after = work[m.end() :].lstrip(" \x00")
        nxt = re.match(r"[a-z]+", after)
        if (
            (nxt and nxt.group(0) in UNITS)
            or len(letters) == 1
            and text[m.start()].islower()
            and _prev_word(work, start)
            in {
                "cho",
                "giup",
                "gui",
                "ship",
                "de",
                "ban",
                "moi",
            }
        ):
            return None, False
    sure = not sp and not fuzzy and number == str(int(number))
    return code, sure


def _prev_word(work: str, start: int) -> str:
    m = re.search(r"([a-z]+)[\s\x00]*$", work[:start])
    return m.group(1) if m else ""


def _word(fol: str, low: str, orig: str, start: int, table: _Codes, plain: bool) -> _Tok:
    if low in table.vni:
        return _Tok(_CODE, start, text=fol, orig=low, value=table.vni[low], sure=False)
    if fol in table.letters_only and orig.isupper():
        return _Tok(_CODE, start, text=fol, orig=low, value=table.letters_only[fol], sure=True)
    if fol == "x":
        return _Tok(_MARK, start, text="x", orig=low)
    value = NUMBER_WORDS.get(low)
    if value is None and low == fol and plain:
        value = NUMBER_WORDS_PLAIN.get(fol)
    if value is not None:
        return _Tok(_NUM, start, text=fol, orig=low, value=value, word_number=True)
    if low in VAGUE or (low == fol and fol in VAGUE_PLAIN):
        return _Tok(_VAGUEK, start, text=fol, orig=low)
    return _Tok(_WORD, start, text=fol, orig=low)


def _join_numbers(toks: list[_Tok]) -> list[_Tok]:
    """``1 chục`` is 10, ``mười hai`` 12, ``hai mươi`` 20."""
    out: list[_Tok] = []
    for tok in toks:
        prev = out[-1] if out else None
        if prev is not None and prev.kind == _NUM and tok.kind == _NUM and tok.word_number:
            if tok.text == "chuc" or (tok.text == "muoi" and prev.value < 10 and tok.orig != "mười"):
                prev.value = prev.value * 10
                continue
            if (
                prev.word_number
                and prev.value in (10, 20, 30, 40, 50)
                and tok.value < 10
                and prev.text != "chuc"
            ):
                prev.value += tok.value
                continue
        out.append(tok)
    return out


def _is(tok: _Tok, words: frozenset[str]) -> bool:
    """The word, written with its diacritics or without any."""
    return tok.kind == _WORD and (tok.orig in words or (tok.orig == tok.text and tok.text in words))


def _find_number(toks: list[_Tok], i: int, step: int) -> tuple[_Tok | None, bool]:
    """The number belonging to the code at ``i``, looking right (step 1) or left (step -1).
    Returns the token (a number or a vague word) and whether a weight was passed."""
    j = i + step
    generic = 0
    weight = False
    limit = 3 if step > 0 else 4
    units_seen = False
    while 0 <= j < len(toks):
        tok = toks[j]
        kind = tok.kind
        if kind == _NUM:
            if tok.used:
                return None, weight
            if tok.word_number and generic:
                if generic < limit:
                    generic += 1
                    j += step
                    continue
                return None, weight
            if step < 0 and generic and not units_seen:
                return None, weight  # "ngày 5 mình về M1": too far
            return tok, weight
        if kind == _VAGUEK:
            return (tok if not generic else None), weight
        if kind in (_MARK, _OTHER, _PHONEK):
            pass
        elif kind == _WEIGHT:
            weight = True
        elif kind == _PRICE:
            pass
        elif kind == _WORD:
            if tok.text in UNITS:
                units_seen = True
            elif tok.text in FILLER or tok.text in MARKS:
                pass
            elif generic < limit:
                generic += 1
            else:
                return None, weight
        elif (
            kind == _SEPK
            and step > 0
            and not generic
            and all(t.kind == _WORD and t.text in FILLER for t in toks[i + 1 : j])
            and tok.text in ",."
            and j + 1 < len(toks)
            and toks[j + 1].kind == _NUM
            and (j + 2 == len(toks) or toks[j + 2].kind in (_WORD, _SEPK, _PHONEK, _OTHER))
            and (j + 2 == len(toks) or toks[j + 2].kind != _WORD or toks[j + 2].text in _UNITS_FILLER)
        ):
            pass  # "chốt m1, 2 hũ"
        else:
            return None, weight
        j += step
    return None, weight


def _each_quantity(toks: list[_Tok]) -> _Tok | None:
    """``mỗi loại 2``, ``đều 2``, ``2 hũ mỗi loại``: one number for every code."""
    for i, tok in enumerate(toks):
        if tok.kind != _WORD:
            continue
        if (
            tok.text == "moi"
            and i + 1 < len(toks)
            and toks[i + 1].kind == _WORD
            and toks[i + 1].text in _EACH
        ):
            found, _ = _find_number(toks, i + 1, 1)
            if found is None:
                found, _ = _find_number(toks, i, -1)
            if found is not None:
                return found
        if tok.text in ("deu", "moi") and i + 1 < len(toks) and toks[i + 1].kind in (_NUM, _VAGUEK):
            return toks[i + 1]
    return None


def _quantity(tok: _Tok | None) -> tuple[int, bool, bool]:
    """(quantity, sure, unclear) read from a number token."""
    if tok is None:
        return 1, True, False
    if tok.kind == _VAGUEK:
        return 1, False, True
    value = int(tok.value)
    if value < 1 or value > MAX_QUANTITY:
        return 1, False, True
    return value, value <= MAX_SURE_QUANTITY, False


def parse(text: str, codes: Iterable[str]) -> Parsed:
    """Read one comment against the live's product codes."""
    table = _compile(tuple(codes))
    raw = unicodedata.normalize("NFKC", text or "").translate(_PREP)[:2000]
    phone = ""
    for match in _PHONE.finditer(raw):
        digits = _phone_digits(match)
        if digits[1] in "35789":
            phone = digits
            break
    body = _FB_NOISE.sub(" ", _strip_name(raw))
    toks, low, fol = _tokens(body, table)
    code_idx = [i for i, t in enumerate(toks) if t.kind == _CODE]
    words = [t for t in toks if t.kind == _WORD]
    order_words = [t for t in words if _is(t, _ORDER)]
    strong = [t for t in words if _is(t, _STRONG_ORDER)]
    for i, t in enumerate(toks[:-1]):
        if (
            _is(t, _GIVERS)
            and toks[i + 1].kind == _WORD
            and _is(toks[i + 1], _PRONOUNS)
            and not (i + 2 < len(toks) and toks[i + 2].text == "hoi")
        ):
            strong.append(t)
            order_words.append(t)
    pieces = [t.text if t.kind in (_WORD, _NUM) else ("," if t.kind == _SEPK else "") for t in toks]
    offsets = []
    pos = 0
    for piece in pieces:
        offsets.append(pos)
        pos += len(piece) + 1
    plain = " ".join(pieces)

    question = _is_question(toks, plain, low)
    review = (bool(_REVIEW.search(plain)) and not strong) or bool(_SUPPORT.search(plain))
    unclear: list[str] = []

    # Cancellations: "hủy M1", "bỏ M1", "không lấy M1 nữa"; an order word after them keeps
    # what follows it ("bỏ M1 lấy C2").
    cancel_at = None
    for m in _CANCEL.finditer(plain) if not _CANCEL_WORDS.isdisjoint(t.text for t in words) else ():
        if m.group(0) == "bo" and not _cancel_bo(toks, low):
            continue
        cancel_at = m
        break
    if cancel_at is not None:
        unclear.append("cancel")
        code_idx = _not_cancelled(
            toks,
            code_idx,
            bisect_right(offsets, cancel_at.start()) - 1,
            bisect_right(offsets, cancel_at.end() - 1),
        )
        strong = [t for t in strong if not cancel_at.start() <= offsets[toks.index(t)] < cancel_at.end()]

    if review or (not code_idx and not strong):
        return Parsed(phone=phone, question=question and not review, unclear=tuple(unclear))
    if not code_idx:
        if not question and cancel_at is None:
            unclear.append("code")
        return Parsed(phone=phone, question=question, unclear=tuple(unclear))

    has_number = any(t.kind in (_NUM, _VAGUEK) for t in toks)
    if not order_words and not has_number and any(t.text in _PRAISE for t in words) and not question:
        return Parsed(phone=phone)  # "M1 đẹp quá": talk, not an order

    each = _each_quantity(toks)
    if each is not None:
        each.used = True
    first, last = code_idx[0], code_idx[-1]
    left_first, _ = _find_number(toks, first, -1)
    right_first, _ = _find_number(toks, first, 1)
    right_last, _ = _find_number(toks, last, 1)
    left_style = left_first is not None and (right_first is None or right_last is None)
    order = (-1, 1) if left_style else (1, -1)

    verb_number = None
    if len(code_idx) == 1:
        for i in range(code_idx[0] + 1, len(toks) - 1):
            if toks[i].kind == _WORD and _is(toks[i], _STRONG_ORDER):
                verb_number, _ = _find_number(toks, i, 1)
                if verb_number is not None and verb_number.kind == _NUM and not verb_number.word_number:
                    break
                verb_number = None
    found: dict[str, list] = {}
    vague = False
    for i in code_idx:
        tok = toks[i]
        num, weight = (verb_number, False) if verb_number is not None else _find_number(toks, i, order[0])
        if num is None:
            num, weight2 = _find_number(toks, i, order[1])
            weight = weight or weight2
        if num is not None:
            num.used = True
            qty, sure, unsure_qty = _quantity(num)
        elif each is not None:
            qty, sure, unsure_qty = _quantity(each)
        elif weight:
            qty, sure, unsure_qty = 1, False, True
        else:
            qty, sure, unsure_qty = 1, True, False
        vague = vague or unsure_qty
        sure = sure and tok.sure
        if tok.value in found:
            found[tok.value][0] += qty
            found[tok.value][1] = found[tok.value][1] and sure
        else:
            found[tok.value] = [qty, sure]
    if vague:
        unclear.insert(0, "quantity")
    if question and strong:
        unclear.append("question")
        question = False
    # A code only read with a VNI tone ("á" for A1) counts only in an order.
    if (
        not order_words
        and all(not toks[i].sure and toks[i].kind == _CODE and toks[i].orig for i in code_idx)
        and not any(t.kind == _NUM and t.used for t in toks)
    ):
        return Parsed(phone=phone, question=question, unclear=tuple(unclear))
    wanted = tuple(Wanted(code=c, quantity=min(q, MAX_QUANTITY), sure=s) for c, (q, s) in found.items())
    return Parsed(wanted=wanted, phone=phone, question=question, unclear=tuple(dict.fromkeys(unclear)))


def _cancel_bo(toks: list[_Tok], low: str) -> bool:
    """``bỏ M1`` cancels; ``1 bộ`` is a set, ``bơ`` butter."""
    for i, t in enumerate(toks):
        if t.kind == _WORD and t.text == "bo" and t.orig in ("bỏ", "bo"):
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            prev = toks[i - 1] if i else None
            if prev is not None and prev.kind == _NUM:
                continue
            if (
                nxt is None
                or nxt.kind == _CODE
                or (nxt.kind == _WORD and nxt.text in {"don", "het", "nhe", "nha", "di", "ra", "m", "cai"})
            ):
                return True
            if prev is not None and prev.kind == _CODE:
                return True
    return False


def _not_cancelled(toks: list[_Tok], code_idx: list[int], start: int, end: int) -> list[int]:
    """The codes still wanted when the words ``toks[start:end]`` cancel: "hủy M1" and
    "không lấy M1 nữa" cancel the codes after them, up to an order word ("bỏ M1 lấy C2");
    "M1 2, M2 thì thôi" cancels the codes of its own clause, or all before it if none."""
    keep = []
    verbs = [i for i in range(end, len(toks)) if toks[i].kind == _WORD and _is(toks[i], _AFTER_CANCEL)]
    if verbs:
        keep += [i for i in code_idx if i > verbs[0]]
    clause = start
    while clause > 0 and toks[clause - 1].kind != _SEPK:
        clause -= 1
    in_clause = [i for i in code_idx if clause <= i < start]
    if in_clause:
        keep = [i for i in code_idx if i < clause] + keep
    return keep


def _is_question(toks: list[_Tok], plain: str, low: str) -> bool:
    if any(t.kind == _Q for t in toks):
        return True
    if _QUESTION.search(plain):
        return True
    for i, t in enumerate(toks):
        if (
            t.kind == _WORD
            and (t.orig in ("giá", "gía") or (t.orig == "gia" and "dinh" not in plain))
            and not (i + 1 < len(toks) and toks[i + 1].kind == _PRICE)
        ):
            return True  # "M1 giá?", not "M1 giá 250k"
    words = [t for t in toks if t.kind in (_WORD, _NUM, _CODE)]
    while (
        words
        and words[-1].kind == _WORD
        and words[-1].text in _TRAILING_PARTICLES
        and words[-1].orig not in ("à", "hả")
    ):
        words.pop()
    if words and words[-1].kind == _WORD:
        last = words[-1]
        if last.orig == "còn" or (last.text == "con" and len(words) > 1 and words[-2].kind == _CODE):
            return True  # "M1 còn"
        if last.text in _FINAL_QUESTION or last.orig in ("à", "hả", "nhỉ", "sao"):
            return not (last.text == "ha" and last.orig == "hà")  # "Hà" is a name
    return False

"""The words farmers and staff read: one vocabulary, nothing outside the catalogue, a guide
that names what the screen shows.

- **Glossary** (docs/glossary.md): each concept of the cooperative has one Vietnamese word
  (or one per audience). The table below mirrors the glossary; the test counts every
  variant of each concept in the catalogue's translations and allows only the chosen ones.
- **Text outside the catalogue**: a template may show only text wrapped in
  ``{% translate %}``/``{% blocktranslate %}`` (beyond numbers, codes, punctuation and the
  names in ``VISIBLE_ALLOWED``); a Python module may not hand a literal, untranslated
  string to ``messages.*``, ``ValidationError`` or a form field's ``label``/``help_text``.
- **The guide** (docs/huong-dan.md): a button, menu or page name is written in bold right
  after "bấm", "nút", "chọn", "mở", "menu", "mục" or "trang" (e.g. ``bấm **Lưu**``), or as a
  path in italics (``*Thu mua → Báo cáo*``); each such name must be a translation in the
  catalogue, so the guide cannot name a button the screen does not have.

The SMS entries (``msgctxt "sms"``) are unaccented by code and kept by their own tests;
they are left out of the counts here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import polib
import pytest

import hoptac

PACKAGE = Path(hoptac.__file__).resolve().parent
ROOT = PACKAGE.parent
PO_PATH = PACKAGE / "locale" / "vi" / "LC_MESSAGES" / "django.po"
GLOSSARY = ROOT / "docs" / "glossary.md"
GUIDE = ROOT / "docs" / "huong-dan.md"


def _entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(PO_PATH)) if not e.obsolete and e.msgctxt != "sms"]


def _text(entry) -> str:
    if entry.msgid_plural:
        return " ".join(entry.msgstr_plural.values())
    return entry.msgstr


def _translations() -> dict[tuple[str, str], str]:
    return {(e.msgctxt or "", e.msgid): _text(e) for e in _entries()}


# --- 1. the glossary ---------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    name: str
    # the chosen word(s): {Vietnamese: audience}; one word per audience at most
    allowed: dict[str, str]
    # variants seen before or likely to creep in: none may appear in a translation
    forbidden: tuple[str, ...] = ()
    # entries of this concept (by English msgid) must use one of the allowed words
    msgids: str | None = None
    # words that must not appear in this concept's own entries (a word of another concept)
    not_in_entries: tuple[str, ...] = field(default=())


def _rx(term: str) -> re.Pattern:
    # whole words, case-insensitive; "Ngày ra" does not match "Ngày ra khỏi HTX" when the
    # term says so with a negative look-ahead written into it
    return re.compile(r"(?<![\wÀ-ỹ])" + term + r"(?![\wÀ-ỹ])", re.IGNORECASE)


CONCEPTS = [
    Concept(
        "input loan",
        {"vật tư ứng": "both"},
        ("ứng vật tư", "vật tư cho ứng", "vật tư đã ứng", "cho vay vật tư"),
        msgids=r"\b(input loans?|lent|the loan)\b",
    ),
    Concept(
        "weight deduction on a receipt",
        {"trừ hao": "both"},
        (),
        msgids=r"^(Deduction|Deduction %|deduction %|Net|Net \(kg or litre\))$|deduction must be between|after deductions",
        not_in_entries=("khấu trừ",),
    ),
    Concept(
        "offset of loans and advances at payout",
        {"khấu trừ": "both"},
        ("bù trừ", "cấn trừ"),
        msgids=r"loans and advances|^offset$|^Netted against|^deducted$",
        not_in_entries=("trừ hao",),
    ),
    Concept(
        "grade",
        {"loại hàng": "field", r"loại (?:[123]|%\(grade\)s)": "value"},
        ("hạng [123]",),
        msgids=r"(?<!\()\bgrades?\b",
        not_in_entries=("phân loại",),
    ),
    Concept(
        "offtake agreement (menu and page)",
        {"hợp đồng bao tiêu": "both"},
        (),
        msgids=r"^(Agreements|New agreement|Offtake agreements?|New offtake agreement|offtake agreements?)$",
    ),
    Concept("rate", {"tỷ lệ": "both"}, ("tỉ lệ",)),
    Concept("file", {"tệp": "both"}, ("file",)),
    Concept(
        "transaction (member) / ledger entry (accountant)",
        {"giao dịch": "member", "bút toán": "accountant"},
        (),
    ),
    Concept("collector", {"cán bộ thu mua": "both"}, ("người thu gom", "thu gom viên", "nhân viên thu mua")),
    Concept("receipt", {"phiếu thu mua": "both"}, ("biên nhận thu mua", "phiếu cân")),
    Concept("payout", {"chi trả": "both"}, ("trả tiền hàng",)),
    Concept(
        "statement",
        {"sao kê": "both"},
        ("bảng sao kê",),
        msgids=r"^(Statement|My statement|MEMBER STATEMENT|statements?)$",
    ),
    Concept("offer to sell", {"đề nghị bán": "both"}, ("chào bán",), msgids=r"^(Offers to sell|Offer)$"),
    Concept("member household", {"hộ thành viên": "both"}, ("nông hộ", "hộ gia đình thành viên")),
    Concept(
        "left the cooperative",
        {"ra khỏi HTX": "both"},
        (r"ngày ra(?! khỏi)", r"lý do ra(?! khỏi)", "rời HTX"),
        msgids=r"^(Left|Date left|Reason for leaving|date left|reason for leaving)$",
    ),
    Concept(
        "active / inactive",
        {"đang sinh hoạt": "member", "đang dùng": "things", "ngừng dùng": "things-off"},
        ("đang hoạt động", "ngừng sử dụng", "đang sử dụng"),
        msgids=r"^(active|inactive|Active|Active members)$",
    ),
    Concept(
        "unit of measure",
        {"đơn vị tính": "both"},
        ("đơn vị mua bán",),
        msgids=r"^(Unit|unit|Bought and sold by)$",
    ),
    Concept("packing date", {"ngày đóng gói": "both"}, ("đóng gói xong",), msgids=r"^Packing date$"),
    Concept("sales role", {"cán bộ bán hàng": "both"}, (), msgids=r"^Sales$"),
    Concept(
        "PHIẾU CHI signer",
        {"người lập phiếu": "accountant", "người lập biểu": "statement", "người lập bảng kê": "tax form"},
        (),
        msgids=r"^Prepared by$",
    ),
    Concept(
        "province after the 2025 merger",
        {"tỉnh tuyên quang": "both"},
        ("tỉnh hà giang",),
        msgids=r"UBND tỉnh",
    ),
    Concept("shop", {"gian hàng": "both"}, ("cửa hàng trực tuyến", "shop")),
    Concept("marketplace", {"chợ": "both"}, ("sàn thương mại điện tử", "marketplace")),
    Concept("delivery fee", {"phí giao hàng": "both"}, ("phí ship", "phí vận chuyển", "cước giao")),
    Concept("order code", {"mã đơn": "both"}, ("mã đặt hàng",)),
    Concept("quantity price", {"giá sỉ": "both"}, ("giá buôn",)),
    Concept("live sale", {"phiên live": "both"}, ("buổi phát trực tiếp", "phiên livestream")),
    Concept("claim", {"lượt chốt": "both"}, ("đơn chốt",)),
    Concept("waiting list", {"danh sách chờ": "both"}, ("hàng đợi",)),
    Concept("share link", {"link chia sẻ": "both"}, ("liên kết chia sẻ",)),
    Concept("carrier", {"đơn vị vận chuyển": "both"}, ("nhà vận chuyển", "hãng ship")),
    Concept("tracking code", {"mã vận đơn": "both"}, ("mã theo dõi", "mã tracking")),
    Concept("COD remittance", {"đối soát thu hộ": "both"}, ("đối soát cod",)),
    Concept(
        "calques the review named",
        {},
        (
            "một nơi cho",
            "báo cáo phát",
            "thất bại hẳn",
            "không được làm việc này",
            "chọn tất cả phiếu đang hiển thị",
            "danh mục sản phẩm",
        ),
    ),
]


def test_glossary_document_names_every_chosen_word():
    text = GLOSSARY.read_text(encoding="utf-8").lower()
    missing = [
        (c.name, word) for c in CONCEPTS for word in c.allowed if not re.search(word, text, re.IGNORECASE)
    ]
    assert not missing, f"docs/glossary.md does not list: {missing}"


@pytest.mark.parametrize("concept", CONCEPTS, ids=lambda c: c.name)
def test_one_word_per_concept_in_the_catalogue(concept):
    entries = _entries()
    texts = [(_text(e), e) for e in entries]
    counts: dict[str, int] = {}
    for term in [*concept.allowed, *concept.forbidden]:
        counts[term] = sum(1 for t, _ in texts if _rx(term).search(t))
    used = {term for term, n in counts.items() if n}
    rejected = {term: counts[term] for term in concept.forbidden if counts[term]}
    assert not rejected, f"{concept.name}: rejected variants in the catalogue: {rejected}"
    by_audience: dict[str, set[str]] = {}
    for term in used & set(concept.allowed):
        by_audience.setdefault(concept.allowed[term], set()).add(term)
    assert all(len(terms) <= 1 for terms in by_audience.values()), by_audience

    if concept.msgids:
        pattern = re.compile(concept.msgids)
        own = [(t, e) for t, e in texts if pattern.search(e.msgid)]
        assert own, f"{concept.name}: no catalogue entry matches {concept.msgids!r}"
        for t, e in own:
            assert any(_rx(w).search(t) for w in concept.allowed), f"{concept.name}: {e.msgid!r} -> {t!r}"
            for word in concept.not_in_entries:
                assert not _rx(word).search(t), f"{concept.name}: {e.msgid!r} -> {t!r} uses {word!r}"


def test_counting_finds_a_variant():
    """The counter itself: a rejected variant is found, a longer chosen phrase is not."""
    assert _rx("ứng vật tư").search("Ghi nhận ứng vật tư")
    assert not _rx(r"ngày ra(?! khỏi)").search("Ngày ra khỏi HTX")
    assert _rx(r"ngày ra(?! khỏi)").search("Ngày ra")
    assert not _rx("file").search("profile")


def test_a_word_with_two_meanings_has_two_contexts():
    """Goods delivered and an SMS that reached the phone are different words."""
    t = _translations()
    assert t[("", "Delivered")] == "Đã giao"
    assert t[("message", "Delivered")] == "Đã đến máy"
    from django.utils import translation

    from hoptac.outbox.models import Status

    with translation.override("vi"):
        assert str(Status.DELIVERED.label) == "Đã đến máy"
        assert str(Status.SENT.label) == "Đã gửi"


def test_member_statement_speaks_to_the_member():
    t = _translations()
    member = {k: v for k, v in t.items() if k[0] == "member statement"}
    assert member, "the member statement's columns have a context of their own"
    for (_ctx, msgid), text in member.items():
        assert not re.search(r"\b(Tăng|Giảm|bút toán)\b", text), (msgid, text)
    assert t[("member statement", "In")] == "HTX phải trả"
    assert t[("member statement", "Out")] == "Ông/bà đã nhận"
    for msgid in (
        "Entries of the period, oldest first, with the balance after each",
        "No entries in this period.",
    ):
        assert "giao dịch" in t[("", msgid)] and "bút toán" not in t[("", msgid)]


def test_statement_page_uses_the_member_columns(client, accountant_a, member_a):
    from django.urls import reverse

    client.force_login(accountant_a)
    url = reverse(
        "ledger:statement", kwargs={"coop_slug": member_a.cooperative.slug, "member_id": member_a.uuid}
    )
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "HTX phải trả" in page and "Ông/bà đã nhận" in page
    assert "HTX còn nợ ông/bà" in page and "Ông/bà còn nợ HTX" in page
    assert ">Tăng<" not in page and ">Giảm<" not in page


# --- 2. text outside the catalogue ------------------------------------------------------

# Visible words a template may show untranslated: names, codes and units.
VISIBLE_ALLOWED = {
    "Hợp Tác",
    "VietQR",
    "AGPL",
    "AGPL-3.0-or-later",
    "HTX",
    "SMS",
    "Zalo",
    "OCOP",
    "QR",
    "GTIN",
    "API",
    "JSON",
    "Excel",
    "xlsx",
    "A4",
    "A5",
    "kg",
    "g",
    "ml",
    "l",
    "đ",
    "₫",
    "VND",
    "VI",
    "EN",
    "Tiếng Việt",
    "English",
    "VietGAP",
    "HACCP",
    "TNDN",
    "GS1",
    "ID",
    "PDF",
    "OpenAPI",
    "Swagger",
    "SODU",
    "GIA",
    "BAN",
    "HUY",
    "DK",
    "L",
}

_TEMPLATE_STRIP = [
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{%\s*blocktranslate\b.*?\{%\s*endblocktranslate\s*%\}", re.S),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"<script\b.*?</script>", re.S | re.I),
    re.compile(r"<style\b.*?</style>", re.S | re.I),
    re.compile(r"<svg\b.*?</svg>", re.S | re.I),
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
]
_VISIBLE_ATTR = re.compile(r"\b(?:title|placeholder|alt|aria-label)\s*=\s*\"([^\"]*)\"", re.I)
_TAG = re.compile(r"<[^>]*>", re.S)
_ENTITY = re.compile(r"&[#\w]+;")


def visible_text(source: str) -> list[str]:
    """The words a template shows that are not wrapped in a translation tag."""
    for rx in _TEMPLATE_STRIP:
        source = rx.sub(" ", source)
    attrs = _VISIBLE_ATTR.findall(source)
    text = " ".join([_TAG.sub(" ", source), *attrs])
    text = _ENTITY.sub(" ", text)
    for name in sorted(VISIBLE_ALLOWED, key=len, reverse=True):
        text = re.sub(r"(?<![\wÀ-ỹ])" + re.escape(name) + r"(?![\wÀ-ỹ])", " ", text)
    words = re.findall(r"[A-Za-zÀ-ỹ]{2,}", text)
    return words


# template → (words it may show untranslated, why)
TEMPLATE_ALLOWED: dict[str, tuple[set[str], str]] = {
    "templates/500.html": (
        {"*"},
        "Django renders 500.html without a request context or the catalogue (the failure may "
        "be the database or the settings), so the page is written once in both languages.",
    ),
    "templates/base.html": (
        {"Switch", "to", "English", "Chuyển", "sang", "tiếng", "Việt"},
        "The language switch names each language in that language, so someone who cannot "
        "read the current one still finds theirs.",
    ),
}


def _templates() -> list[Path]:
    return sorted(p for p in PACKAGE.glob("**/templates/**/*.html"))


def test_templates_show_only_translated_text():
    problems = {}
    assert len(_templates()) > 50, "the walk finds the templates of every app"
    for path in _templates():
        rel = str(path.relative_to(PACKAGE))
        allowed, _why = TEMPLATE_ALLOWED.get(rel, (set(), ""))
        if "*" in allowed:
            continue
        words = [w for w in visible_text(path.read_text(encoding="utf-8")) if w not in allowed]
        if words:
            problems[rel] = sorted(set(words))[:12]
    assert not problems, "Text outside {% translate %} in templates:\n" + "\n".join(
        f"{k}: {v}" for k, v in problems.items()
    )


def test_visible_text_finder():
    assert visible_text('<p>{% translate "Save" %}</p>') == []
    assert visible_text("<p>Lưu lại</p>") == ["Lưu", "lại"]
    assert visible_text('<input placeholder="Search">') == ["Search"]
    assert visible_text("<p>{{ member.name }} · 12,5 kg · VietQR</p>") == []
    assert visible_text("{% blocktranslate %}Hello {{ x }}{% endblocktranslate %}") == []


# Python: literal strings handed to the user without gettext.
_MESSAGE_FUNCS = {"success", "error", "info", "warning", "debug", "add_message"}
_FIELD_KWARGS = {"label", "help_text", "empty_label"}

# (module, start of the literal) → why it stays as written
PYTHON_ALLOWED = {
    ("ledger/services.py", 'f"{member.full_name}: {'): "joins a name and messages already translated",
    ("offtake/models.py", "'Idempotency key from an offline client.'"): (
        "a model field's help_text for developers, never on a page (no form shows the field); "
        "changing it would need a migration"
    ),
    ("outbox/models.py", "'Channels still to try, in order.'"): (
        "a model field's help_text for developers, never on a page; changing it would need a migration"
    ),
}

# modules left out whole, with the reason
PYTHON_ALLOWED_MODULES = {
    # The purchase list filed with the tax office (mẫu 02/TNDN, formerly 01/TNDN) is a legal
    # form: its Vietnamese headings are fixed by the Ministry of Finance's circular and are
    # printed as such in every language of the interface.
    "offtake/purchase_list.py": "tax-office form, fixed Vietnamese by law",
}


def _is_literal(node) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-zÀ-ỹ]{2,}", node.value))
    return isinstance(node, ast.JoinedStr)


def literal_user_strings(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        args: list = []
        if owner == "messages" and name in _MESSAGE_FUNCS:
            args = node.args[1:2] if name != "add_message" else node.args[2:3]
            args += [k.value for k in node.keywords if k.arg == "message"]
        elif name == "ValidationError":
            args = node.args[:1] + [k.value for k in node.keywords if k.arg == "message"]
        args += [k.value for k in node.keywords if k.arg in _FIELD_KWARGS]
        for arg in args:
            if _is_literal(arg):
                found.append((node.lineno, ast.unparse(arg)[:60]))
    return found


def test_python_hands_no_literal_text_to_users():
    problems = []
    for path in sorted(PACKAGE.glob("**/*.py")):
        rel = str(path.relative_to(PACKAGE))
        if "/migrations/" in rel or rel.startswith("demo/") or rel in PYTHON_ALLOWED_MODULES:
            continue
        for line, text in literal_user_strings(path.read_text(encoding="utf-8")):
            if any(rel == m and text.startswith(start) for m, start in PYTHON_ALLOWED):
                continue
            problems.append(f"{rel}:{line}: {text}")
    assert not problems, "Untranslated text for users (wrap it in gettext):\n" + "\n".join(problems)


def test_literal_finder():
    src = (
        "messages.success(request, 'Saved.')\n"
        "messages.success(request, _('Saved.'))\n"
        "raise ValidationError(f'Bad {x}')\n"
        "raise ValidationError(_('Bad'), code='bad')\n"
        "x = forms.CharField(label='Name', help_text=_('Help'))\n"
    )
    assert [line for line, _ in literal_user_strings(src)] == [1, 3, 5]


# --- 3. the guide names what the screen shows -------------------------------------------

_LEAD = r"(?:bấm|Bấm|nút|chọn|Chọn|mở|Mở|menu|mục|trang|Trang)"
_BOLD_AFTER = re.compile(_LEAD + r"\s+\*\*([^*\n]+?)\*\*")
_PATH = re.compile(r"(?<![*\w])\*(\S[^*\n]*?→[^*\n]*?\S)\*(?![*\w])")
# names the guide uses that are not catalogue entries, with the reason
GUIDE_ALLOWED = {
    "Hợp Tác": "the software's name",
    "Quay lại": "the browser's Back button, not ours",
    "VI": "the language button shows the language's code, not a translation",
    "EN": "the language button shows the language's code, not a translation",
}


def guide_names(text: str) -> list[str]:
    names = [m.strip() for m in _BOLD_AFTER.findall(text)]
    for path in _PATH.findall(text):
        names += [part.strip() for part in path.split("→")]
    return names


def test_guide_names_only_what_the_catalogue_has():
    catalogue = {t.strip() for t in _translations().values() if t}
    names = guide_names(GUIDE.read_text(encoding="utf-8"))
    assert len(names) >= 40, "the guide names the screen's buttons and menus in bold"
    missing = sorted({n for n in names if n not in catalogue and n not in GUIDE_ALLOWED})
    assert not missing, "The guide names buttons/menus the screen does not have:\n" + "\n".join(missing)


def test_guide_uses_the_glossary_words():
    text = GUIDE.read_text(encoding="utf-8")
    for word in (
        "file",
        "tỉ lệ",
        "ứng vật tư",
        "Đang hoạt động",
        "Đơn vị mua bán",
        "Dòng mẫu",
        "Chờ: hết hạn mức",
        "Xem trước",
    ):
        assert not _rx(re.escape(word)).search(text), f"the guide still says {word!r}"
    for wrong in ("chưa dùng được", "đang được xây dựng"):
        assert wrong not in text, f"the guide says a feature is not there: {wrong!r}"


def test_guide_name_finder():
    text = "Bấm **Lưu** rồi mở *Thu mua → Báo cáo*. Đây là **quan trọng**."
    assert guide_names(text) == ["Lưu", "Thu mua", "Báo cáo"]

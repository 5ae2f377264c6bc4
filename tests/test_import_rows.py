"""The member import never drops a row: the template's example is recognised by its content,
every other non-empty row is imported or named, ethnicities are read by their official,
old and common names, and every choice column accepts unaccented values (issue 9, item 7)."""

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from django.utils import translation
from django.utils.translation import gettext, ngettext
from openpyxl import load_workbook

from hoptac.coops import excel
from hoptac.coops.ethnicities import ALIASES, AMBIGUOUS, ethnicity_candidates, ethnicity_find, ethnicity_key
from hoptac.coops.models import Ethnicity, Member
from hoptac.core.tenancy import tenant
from tests.test_excel import KEYS, row, text, upload, xlsx

TEMPLATE_URL = "/c/coop-a/members/import/template.xlsx"


@pytest.fixture
def chair(login, chair_a):
    return login(chair_a)


def _template_with(chair, rows: dict[int, dict]) -> bytes:
    """The downloaded template with the given sheet rows (2 = the example's row) written over."""
    book = load_workbook(io.BytesIO(chair.get(TEMPLATE_URL).content))
    sheet = book.worksheets[0]
    for number, values in rows.items():
        for key, value in values.items():
            sheet.cell(row=number, column=KEYS.index(key) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _household(name: str, phone: str) -> dict:
    return {
        "full_name": name,
        "gender": "Nữ",
        "ethnicity": "H'Mông",
        "birth_year": 1990,
        "phone": phone,
        "commune": "Mèo Vạc",
        "village_name": "Sủng Lìa",
        "member_type": "Thành viên chính thức",
        "joined_on": "01/03/2024",
        "capital_vnd": 1_000_000,
        "bank": "",
        "bank_account": "",
    }


def _flash(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_example_replaced_by_a_real_household_plus_two_more_imports_three(chair, coop_a):
    """The reported defect: the example row overtyped with a real household (its grey note
    left in place, far to the right) was dropped: "2 imported" for 3 typed."""
    content = _template_with(
        chair,
        {
            2: _household("Giàng Thị Mỷ", "0912 111 001"),
            3: _household("Sùng Thị Dở", "0912 111 002"),
            4: _household("Lù Thị Chá", "0912 111 003"),
        },
    )
    response = upload(chair, content)
    assert response.status_code == 302, text(response)
    with tenant(coop_a):
        names = sorted(Member.objects.values_list("full_name", flat=True))
        notes = set(Member.objects.values_list("notes", flat=True))
    assert names == ["Giàng Thị Mỷ", "Lù Thị Chá", "Sùng Thị Dở"]
    assert notes == {""}  # the example's note is not a household's note
    with translation.override("vi"):
        expected = ngettext("%(count)s member imported.", "%(count)s members imported.", 3) % {"count": 3}
    assert expected in _flash(response)


def test_unchanged_example_is_skipped_and_counted_in_the_message(chair, coop_a):
    content = _template_with(chair, {3: _household("Sùng Thị Dở", "0912 111 002")})
    response = upload(chair, content)
    assert response.status_code == 302, text(response)
    with tenant(coop_a):
        assert list(Member.objects.values_list("full_name", flat=True)) == ["Sùng Thị Dở"]
    with translation.override("vi"):
        skipped = gettext("The template's unchanged example row was skipped.")
        one = ngettext("%(count)s member imported.", "%(count)s members imported.", 1) % {"count": 1}
    flash = _flash(response)
    assert one in flash and skipped in flash


def test_example_is_recognised_by_content_wherever_it_is(coop_a):
    """The example copied to row 4 (rows sorted, pasted) is still the example; a row that
    differs from it in one field (the phone) is a household and is imported."""
    example = {**excel.EXAMPLE, "commune": "Mèo Vạc", "joined_on": "15/03/2024", "bank": "Agribank"}
    changed = {**example, "phone": "0912 345 679"}
    content = xlsx([row(full_name="Thào Mí Dính"), row(full_name="Ly Mí Chá"), example, changed])
    with tenant(coop_a):
        result = excel.members_import_xlsx(content=content)
        assert result.ok, result.errors
        assert (result.created, result.skipped_example) == (3, 1)
        assert Member.objects.filter(full_name="Vàng A Páo").count() == 1


def test_every_non_empty_row_is_imported_or_named(coop_a):
    """A row with only a gender or only a note is not silently dropped: it is named (no
    name, no commune...). Rows of spaces only are empty."""
    content = xlsx(
        [
            row(full_name="Thào Mí Dính"),
            {"notes": "hộ mới, chưa đủ thông tin"},
            {"full_name": "   ", "notes": "  "},
            row(full_name="Ly Mí Chá"),
        ]
    )
    with tenant(coop_a):
        result = excel.members_import_xlsx(content=content)
        assert [e.row for e in result.errors] == [3]
        assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Mèo", "hmong"),
        ("meo", "hmong"),
        ("MÈO", "hmong"),
        ("hmong", "hmong"),
        ("H'mông", "hmong"),
        ("Mông", "hmong"),
        ("Mán", "dao"),
        ("man", "dao"),
        ("Dao đỏ", "dao"),
        ("Thổ", "tho"),
        ("Xá Cẩu", "khomu"),
        ("xa khao", "khang"),
        ("Cao Lan", "sanchay"),
        ("Việt", "kinh"),
        ("Hán", "hoa"),
        ("Ê-đê", "ede"),
        ("e de", "ede"),
        ("Khơ-me", "khmer"),
        ("Chàm", "cham"),
        ("Giẻ-Triêng", "gietrieng"),
        ("Bru Vân Kiều", "bruvankieu"),
        ("Khác", "other"),
    ],
)
def test_ethnicity_names_old_names_and_spellings(typed, stored):
    assert ethnicity_find(typed) == stored


def test_every_official_name_is_found_and_no_alias_points_two_ways():
    """All 55 choices (54 peoples and Other) are found by their label in both languages and
    by their value; the table builds (it raises on a name given to two peoples); an
    ambiguous old name is not in the table."""
    assert len(Ethnicity.choices) == 55
    for value, label in Ethnicity.choices:
        for language in ("vi", "en"):
            with translation.override(language):
                assert ethnicity_find(str(label)) == value, label
        assert ethnicity_find(value) == value
    for value, names in ALIASES.items():
        for name in names:
            assert ethnicity_find(name) == value, name
    for name in AMBIGUOUS:
        assert ethnicity_find(name) is None
        assert ethnicity_candidates(name)
    assert ethnicity_key("H’Mông") == ethnicity_key("hmong")


def test_unknown_or_ambiguous_ethnicity_is_named_not_stored_as_other(coop_a):
    content = xlsx(
        [
            row(full_name="Thào Mí Dính", ethnicity="Mèo"),
            row(full_name="Ly Mí Chá", ethnicity="Người sao Hỏa"),
            row(full_name="Lò Văn Xá", ethnicity="Xá"),
        ]
    )
    with tenant(coop_a):
        result = excel.members_import_xlsx(content=content)
        assert Member.objects.count() == 0
    reasons = {e.row: " ".join(e.messages) for e in result.errors}
    assert set(reasons) == {3, 4}
    assert "Người sao Hỏa" in reasons[3]
    assert "Khơ Mú" in reasons[4] and "Kháng" in reasons[4]
    with tenant(coop_a):
        result = excel.members_import_xlsx(content=xlsx([row(full_name="Thào Mí Dính", ethnicity="Mèo")]))
        assert result.ok
        assert Member.objects.get().ethnicity == "hmong"


def test_unaccented_values_are_accepted_in_every_choice_column(coop_a):
    """The reported defect: "nu" and "hmong" were accepted but "chinh thuc" was not."""
    content = xlsx(
        [
            row(
                full_name="Thào Mí Dính",
                gender="nu",
                ethnicity="hmong",
                member_type="chinh thuc",
                commune="xa meo vac",
                bank="agribank",
                bank_account="8800205000001",
                channels="zalo, roi sms",
            ),
            row(
                full_name="Ly Mí Chá",
                gender="NAM",
                ethnicity="DAO",
                member_type="lien ket",
                commune="MEO VAC",
            ),
            row(
                full_name="Sùng Mí Lử",
                gender="Male",
                member_type="Associate member",
                bank="AGRIBANK",
                bank_account="8800205000002",
            ),
            row(full_name="Giàng Thị Súa", gender="nữ", member_type="thanh vien lien ket"),
        ],
    )
    with tenant(coop_a):
        result = excel.members_import_xlsx(content=content)
        assert result.ok, [(e.row, e.messages) for e in result.errors]
        got = {
            m.full_name: (m.gender, m.ethnicity, m.member_type, m.commune_code, m.bank_bin, m.channels)
            for m in Member.objects.all()
        }
    assert got["Thào Mí Dính"] == ("female", "hmong", "official", 769, "970405", "zalo,sms")
    assert got["Ly Mí Chá"][:4] == ("male", "dao", "associate", 769)
    assert got["Sùng Mí Lử"][0::2][:3] == ("male", "associate", "970405")
    assert got["Giàng Thị Súa"][2] == "associate"


def test_status_column_read_unaccented_and_unknown_status_named(coop_a):
    keys = [*KEYS, "status", "left_on", "left_reason"]
    with translation.override("vi"):
        headers = [str(c.label) for c in excel.COLUMNS + excel.EXPORT_ONLY]
    good = xlsx(
        [
            {
                **row(full_name="Thào Mí Dính"),
                "status": "da ra khoi htx",
                "left_on": "01/06/2025",
                "left_reason": "chuyển đi",
            },
            {**row(full_name="Ly Mí Chá"), "status": "dang hoat dong"},
        ],
        headers=headers,
        keys=keys,
    )
    with tenant(coop_a):
        result = excel.members_import_xlsx(content=good)
        assert result.ok, [(e.row, e.messages) for e in result.errors]
        assert dict(Member.objects.values_list("full_name", "status")) == {
            "Thào Mí Dính": "left",
            "Ly Mí Chá": "active",
        }
    bad = xlsx([{**row(full_name="Sùng Mí Lử"), "status": "nghỉ phép"}], headers=headers, keys=keys)
    with tenant(coop_a):
        result = excel.members_import_xlsx(content=bad)
    assert not result.ok and "nghỉ phép" in " ".join(result.errors[0].messages)

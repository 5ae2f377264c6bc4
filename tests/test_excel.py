"""Members in Excel: the template, the all-or-nothing import and the export, through the
pages. Files are built in memory with openpyxl, as a cooperative's Excel would save them."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook

from hoptac.accounts.services import membership_set
from hoptac.coops import services as coop_services
from hoptac.coops.excel import COLUMNS
from hoptac.coops.models import Cooperative, Member, MemberGroup, Village
from hoptac.core.fields import PhoneField
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from tests.conftest import CAO_BO, MEO_VAC, keyed, make_member, make_user

IMPORT_URL = "/c/coop-a/members/import/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headers_vi() -> list[str]:
    with translation.override("vi"):
        return [str(c.label) + (" *" if c.required else "") for c in COLUMNS]


KEYS = [c.key for c in COLUMNS]


def xlsx(rows: list[dict], headers: list[str] | None = None, keys: list[str] | None = None) -> bytes:
    """A workbook with the template's headers and one row per dict (keys of COLUMNS)."""
    book = Workbook()
    sheet = book.active
    sheet.append(headers or headers_vi())
    for row in rows:
        sheet.append([row.get(key) for key in (keys or KEYS)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, url: str = IMPORT_URL, name: str = "members.xlsx"):
    return client.post(url, keyed({"file": SimpleUploadedFile(name, content, content_type=XLSX)}))


def row(**values) -> dict:
    data = {
        "full_name": "Thào Mí Dính",
        "gender": "Nữ",
        "ethnicity": "H'Mông",
        "birth_year": 1985,
        "phone": "",
        "commune": "Mèo Vạc",
        "village_name": "Thôn Sủng Lìa",
        "joined_on": dt.date(2022, 3, 1),
        "capital_vnd": 2_000_000,
    }
    data.update(values)
    return data


def text(response) -> str:
    return response.content.decode()


def counts() -> tuple[int, int, int]:
    return Member.unscoped.count(), Village.unscoped.count(), MemberGroup.unscoped.count()


@pytest.fixture
def chair(login, chair_a):
    return login(chair_a)


# --- the template ---------------------------------------------------------------------------


def test_template_is_a_real_workbook_with_headers_example_and_allowed_values(chair, coop_a):
    response = chair.get("/c/coop-a/members/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == headers_vi()
    example = dict(zip(KEYS, rows[1], strict=False))
    assert example["full_name"] == "Vàng A Páo"
    assert example["commune"] == "Xã Mèo Vạc"
    with translation.override("vi"):
        allowed = gettext("Allowed values")
    assert allowed in book.sheetnames
    values = [v for r in book[allowed].iter_rows(values_only=True) for v in r if v]
    assert "Xã Mèo Vạc" in values
    assert "Agribank" in values


def test_template_headers_are_vietnamese(chair, coop_a):
    """The header row is in Vietnamese, the default language, now the catalogue exists; with
    the English cookie it is in English."""
    with translation.override("en"):
        english = [str(c.label) + (" *" if c.required else "") for c in COLUMNS]
    response = chair.get("/c/coop-a/members/import/template.xlsx")
    header = next(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    untranslated = [h for h, e in zip(header, english, strict=True) if h == e]
    assert not untranslated, f"headers still in English: {untranslated}"
    chair.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = chair.get("/c/coop-a/members/import/template.xlsx")
    header = next(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert list(header) == english


def test_the_templates_example_row_is_skipped_but_valid_input(chair, coop_a):
    """The unchanged example row is skipped on import (recognised by its content), and it
    uses only values the importer accepts (commune, bank, dates, labels): once a person
    types a household over it, it imports, without the example's note."""
    template = chair.get("/c/coop-a/members/import/template.xlsx").content
    response = upload(chair, template)
    # A file refused as a whole answers the form with the reason (200), row mistakes 422.
    assert response.status_code == 200
    assert response.context["result"].file_code == "only_example"
    assert response.context["form"].errors["file"]
    with translation.override("vi"):
        only_example = gettext(
            "The file holds only the example row: write your households in it or below it."
        )
    assert only_example in text(response)
    with tenant(coop_a):
        assert Member.objects.count() == 0
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    sheet.cell(row=2, column=KEYS.index("full_name") + 1, value="Vàng Mí Sính")
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(chair, buffer.getvalue())
    assert response.status_code == 302, text(response)
    with tenant(coop_a):
        assert list(Member.objects.values_list("full_name", "phone", "capital_vnd", "bank_bin", "notes")) == [
            ("Vàng Mí Sính", "0912345678", 5_000_000, "970405", "")
        ]


# --- a good import ----------------------------------------------------------------------------


def test_good_file_creates_members_and_groups(chair, chair_a, coop_a):
    content = xlsx(
        [
            row(full_name="Lý Thị Mai", phone="0912 000 111", commune="Mèo Vạc", groups="Tổ ong"),
            row(
                full_name="Sùng A Chứ",
                gender="Nam",
                phone="+84 912 000 222",
                commune="769",
                joined_on="15/03/2021",
                groups="Tổ ong, Tổ chè",
                village_name="thôn sủng lìa",
            ),
            row(full_name="Giàng Thị Dua", phone=84912000333, commune=769, joined_on="01/02/2020"),
        ]
    )
    response = upload(chair, content)
    assert response.status_code == 302, text(response)
    assert response.url == "/c/coop-a/members/"
    with tenant(coop_a):
        members = {m.full_name: m for m in Member.objects.prefetch_related("groups")}
        assert set(members) == {"Lý Thị Mai", "Sùng A Chứ", "Giàng Thị Dua"}
        assert members["Lý Thị Mai"].phone == "0912000111"
        assert members["Sùng A Chứ"].phone == "0912000222"
        assert members["Giàng Thị Dua"].phone == "0912000333"
        assert {m.commune_code for m in members.values()} == {MEO_VAC}
        assert members["Lý Thị Mai"].joined_on == dt.date(2022, 3, 1)
        assert members["Sùng A Chứ"].joined_on == dt.date(2021, 3, 15)
        assert members["Giàng Thị Dua"].joined_on == dt.date(2020, 2, 1)
        assert members["Lý Thị Mai"].gender == "female"
        assert members["Sùng A Chứ"].gender == "male"
        assert members["Lý Thị Mai"].ethnicity == "hmong"
        assert members["Lý Thị Mai"].capital_vnd == 2_000_000
        assert sorted(MemberGroup.objects.values_list("name", flat=True)) == ["Tổ chè", "Tổ ong"]
        assert {g.name for g in members["Sùng A Chứ"].groups.all()} == {"Tổ ong", "Tổ chè"}
        ong = MemberGroup.objects.get(name="Tổ ong")
        assert set(ong.members.values_list("full_name", flat=True)) == {"Lý Thị Mai", "Sùng A Chứ"}
        assert Village.objects.count() == 1  # "thôn sủng lìa" is the same village
    assert not Member.unscoped.filter(cooperative__slug="coop-b").exists()


def test_import_reuses_an_existing_group_whatever_the_spelling(chair, coop_a):
    with tenant(coop_a):
        coop_services.group_create(name="Tổ ong", kind="product")
    response = upload(chair, xlsx([row(groups="to ong")]))
    assert response.status_code == 302, text(response)
    with tenant(coop_a):
        assert list(MemberGroup.objects.values_list("name", flat=True)) == ["Tổ ong"]
        assert MemberGroup.objects.get().members.count() == 1


def test_headers_may_be_in_english(chair, coop_a):
    with translation.override("en"):
        english = [str(c.label) for c in COLUMNS]
    response = upload(chair, xlsx([row()], headers=english))
    assert response.status_code == 302, text(response)
    assert Member.unscoped.count() == 1


# --- a bad import stores nothing ---------------------------------------------------------------


def _big_file(bad: dict[int, dict]) -> bytes:
    """500 member rows (sheet rows 2..501), good except the rows given in ``bad``."""
    rows = []
    for i in range(500):
        number = i + 2
        good = row(
            full_name=f"Thành viên {i:03d}",
            phone=f"097{i:07d}",
            village_name=f"Thôn {i % 7}",
            groups="Tổ mới",
            birth_year=1950 + i % 50,
        )
        good.update(bad.get(number, {}))
        rows.append(good)
    return xlsx(rows)


def test_500_rows_with_3_bad_ones_store_nothing_and_name_each(chair, coop_a, member_a):
    before = counts()
    content = _big_file(
        {
            11: {"phone": "12345"},
            201: {"commune": "Xã Không Có"},
            401: {"full_name": None},
        }
    )
    response = upload(chair, content)
    assert response.status_code == 422
    assert counts() == before
    result = response.context["result"]
    assert [e.row for e in result.errors] == [11, 201, 401]
    page = text(response)
    with translation.override("vi"):
        phone_message = str(PhoneField.default_error_messages["invalid"])
        required = str(gettext("This field is required."))
    reasons = {e.row: " ".join(e.messages) for e in result.errors}
    assert phone_message in reasons[11]
    assert "Xã Không Có" in reasons[201]
    assert required in reasons[401]
    for number in (11, 201, 401):
        assert re.search(rf"<td[^>]*>{number}</td>", page), number
    assert "Xã Không Có" in page


def test_duplicate_phones_within_the_file_store_nothing(chair, coop_a, member_a):
    before = counts()
    content = xlsx(
        [
            row(full_name="Lý Thị Mai", phone="0912 000 111"),
            row(full_name="Lý Thị Hoa", phone="+84912000111"),
            row(full_name="Ma Văn Tú", phone="0912000112"),
        ]
    )
    response = upload(chair, content)
    assert response.status_code == 422
    assert counts() == before
    errors = response.context["result"].errors
    assert [e.row for e in errors] == [3]
    assert "0912000111" in " ".join(errors[0].messages)
    assert "2" in " ".join(errors[0].messages)  # points at the first row with the number


def test_duplicate_of_an_existing_member_stores_nothing(chair, coop_a, member_a):
    before = counts()
    content = xlsx(
        [row(full_name="Lý Thị Mai", phone="0912000111"), row(full_name="Ai Đó", phone="0987.654.321")]
    )
    response = upload(chair, content)
    assert response.status_code == 422
    assert counts() == before
    errors = response.context["result"].errors
    assert [e.row for e in errors] == [3]
    assert "0987654321" in " ".join(errors[0].messages)
    assert "0987654321" in text(response)


def test_the_same_person_twice_in_the_file_is_refused(chair, coop_a):
    content = xlsx([row(full_name="Lý Thị Mai"), row(full_name="Lý  thị mai")])
    response = upload(chair, content)
    assert response.status_code == 422
    assert [e.row for e in response.context["result"].errors] == [3]
    assert Member.unscoped.count() == 0


def test_a_file_that_is_not_xlsx_gets_a_message(chair, coop_a):
    before = counts()
    response = upload(chair, b"Ho ten,So dien thoai\nVang A Pao,0912345678\n")
    assert response.status_code in (200, 422)
    result = response.context["result"]
    assert result.file_error
    assert result.file_error in text(response)
    assert counts() == before


def test_an_empty_upload_is_refused(chair, coop_a):
    response = upload(chair, b"")
    assert response.status_code in (200, 422)
    assert response.context["form"].errors or response.context["result"].file_error
    assert Member.unscoped.count() == 0


def test_a_file_without_the_required_headers_names_them(chair, coop_a):
    headers = headers_vi()
    keep = ["full_name", "phone"]
    content = xlsx(
        [{"full_name": "Lý Thị Mai", "phone": "0912000111"}],
        headers=[headers[KEYS.index(k)] for k in keep],
        keys=keep,
    )
    response = upload(chair, content)
    assert response.status_code in (200, 422)
    message = response.context["result"].file_error
    with translation.override("vi"):
        missing = [str(c.label) for c in COLUMNS if c.key in ("commune", "joined_on")]
        present = str(COLUMNS[KEYS.index("full_name")].label)
    for label in missing:
        assert label in message
    assert present not in message
    assert Member.unscoped.count() == 0


def test_a_file_with_headers_only_gets_a_message(chair, coop_a):
    response = upload(chair, xlsx([]))
    assert response.status_code in (200, 422)
    assert response.context["result"].file_error
    assert Member.unscoped.count() == 0


def test_import_is_refused_to_roles_without_the_permission(login, collector_a, coop_a):
    response = upload(login(collector_a), xlsx([row()]))
    assert response.status_code == 403
    assert Member.unscoped.count() == 0


# --- export and the round trip ------------------------------------------------------------------


def _sheet_rows(content: bytes) -> tuple[list, list[dict]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def test_export_follows_the_search(chair, coop_a, member_a, member_a2, member_b):
    response = chair.get("/c/coop-a/members/export.xlsx", {"q": "nguyen"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    header, rows = _sheet_rows(response.content)
    name = header[0]
    assert [r[name] for r in rows] == ["Nguyễn Văn Đức"]
    everyone = _sheet_rows(chair.get("/c/coop-a/members/export.xlsx").content)[1]
    assert sorted(r[name] for r in everyone) == ["Nguyễn Văn Đức", "Vàng A Páo"]


def _member_facts(coop) -> list[tuple]:
    with tenant(coop):
        return sorted(
            (
                m.full_name,
                m.gender,
                m.ethnicity,
                m.birth_year,
                m.phone,
                m.commune_code,
                m.village.name if m.village else "",
                m.member_type,
                m.joined_on,
                m.capital_vnd,
                m.bank_bin,
                m.bank_account,
                m.notes,
                tuple(sorted(g.name for g in m.groups.all())),
            )
            for m in Member.objects.select_related("village").prefetch_related("groups")
        )


def test_export_then_import_into_a_new_cooperative_gives_the_same_members(
    chair, login, coop_a, member_a, member_a2
):
    make_member(
        coop_a,
        full_name="Lù Thị Sen",
        gender="female",
        ethnicity="dao",
        birth_year=1992,
        phone="0356111222",
        village_name="Thôn Sủng Lìa",
        member_type="associate",
        joined_on=dt.date(2023, 11, 30),
        capital_vnd=12_500_000,
        bank_bin="970405",
        bank_account="8800205123456",
        notes="Hộ nghèo; nuôi 12 đàn ong",
    )
    gone = make_member(coop_a, full_name="Mua A Tủa", birth_year=1960, phone="0912999888", capital_vnd=0)
    with tenant(coop_a):
        group = coop_services.group_create(name="Tổ ong", kind="product")
        coop_services.group_set_members(group=group, member_ids=[member_a.pk, member_a2.pk])
        coop_services.group_create(name="Tổ chè", kind="product")
        coop_services.group_set_members(
            group=MemberGroup.objects.get(name="Tổ chè"), member_ids=[member_a.pk]
        )
        coop_services.member_leave(member=gone, left_on=dt.date(2024, 1, 2), reason="Chuyển đi")

    export = chair.get("/c/coop-a/members/export.xlsx")
    assert export.status_code == 200

    coop_c = Cooperative.objects.create(slug="coop-c", name="HTX Mới (test)", commune_code=CAO_BO)
    chair_c = make_user("0913000101", "Chủ tịch C")
    membership_set(user=chair_c, cooperative=coop_c, role=Role.CHAIR)
    client_c = login(chair_c)
    response = upload(client_c, export.content, url="/c/coop-c/members/import/")
    assert response.status_code == 302, text(response)

    assert _member_facts(coop_c) == _member_facts(coop_a)
    with tenant(coop_c):
        assert Member.objects.count() == 4
        # The status columns come back too: the household that left is still recorded as left.
        assert sorted(Member.objects.values_list("full_name", "status", "left_on", "left_reason")) == sorted(
            [
                ("Lù Thị Sen", "active", None, ""),
                ("Mua A Tủa", "left", dt.date(2024, 1, 2), "Chuyển đi"),
                ("Nguyễn Văn Đức", "active", None, ""),
                ("Vàng A Páo", "active", None, ""),
            ]
        )
    with tenant(coop_a):
        assert Member.objects.count() == 4


def test_channels_and_email_round_trip(coop_a):
    """How each household is reached (and its email) goes out in the export and comes back
    in the import; an unknown way is named on its row and nothing is stored."""
    from hoptac.coops.excel import members_export_xlsx, members_import_xlsx

    with translation.override("vi"):
        zalo_then_sms, reach, email = (
            gettext("Zalo, then SMS"),
            gettext("How to reach them"),
            gettext("Email address"),
        )
    assert zalo_then_sms != "Zalo, then SMS"  # the Vietnamese label, as staff type it
    rows = [
        row(
            full_name="Giàng Thị Sua", phone="0912 000 555", channels="Zalo, rồi SMS", email="sua@example.vn"
        ),
        row(full_name="Lò Văn Páo", channels="zalo only"),
    ]
    with tenant(coop_a):
        result = members_import_xlsx(content=xlsx(rows))
        assert result.ok, result
        sua = Member.objects.get(full_name="Giàng Thị Sua")
        assert (sua.channels, sua.email) == ("zalo,sms", "sua@example.vn")
        assert Member.objects.get(full_name="Lò Văn Páo").channels == "zalo"
        exported = load_workbook(io.BytesIO(members_export_xlsx(Member.objects.order_by("full_name"))))
        header, *lines = list(exported.worksheets[0].iter_rows(values_only=True))
        by_name = {line[0]: dict(zip(header, line, strict=False)) for line in lines}
        sua_row = by_name["Giàng Thị Sua"]
        assert sua_row[reach] == zalo_then_sms and sua_row[email] == "sua@example.vn"
        before = counts()
        bad = members_import_xlsx(content=xlsx([row(full_name="Hộ Khác", channels="bồ câu")]))
    assert not bad.ok and any("bồ câu" in m for m in bad.errors[0].messages)
    assert counts() == before

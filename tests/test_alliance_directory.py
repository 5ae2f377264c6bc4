"""The alliance's directory (issue 15, item 1): the Excel import (good, bad, duplicate and
doubtful-match rows, all or nothing), the review step, the officer of another province."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from hoptac.accounts.services import alliance_officer_set
from hoptac.core.models import AuditEvent
from hoptac.federation.directory import COLUMNS, name_key
from hoptac.federation.models import DirectoryEntry, DirectoryImport, ImportStatus
from tests.conftest import make_user

SAMPLE = Path(__file__).parent / "files" / "alliance-directory.xlsx"
HEADERS = ["Tên HTX", "Loại hình", "Mã số thuế", "Xã/phường", "Ngành nghề", "Điện thoại", "Số thành viên"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def book(*rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, content: bytes, province: int = 8):
    return client.post(
        f"/alliance/import/?province={province}",
        {"file": SimpleUploadedFile("list.xlsx", content)},
    )


def test_name_key_drops_the_kind_and_accents():
    assert name_key("HTX Nông nghiệp Tuấn Dũng") == "nong nghiep tuan dung"
    assert name_key("Hợp tác xã nông nghiệp TUẤN DŨNG") == "nong nghiep tuan dung"
    assert name_key("Tổ hợp tác dệt, thổ cẩm") == "det tho cam"


def test_the_sample_file_imports_every_row(login, officer, coop_a):
    client = login(officer)
    response = upload(client, SAMPLE.read_bytes())
    assert response.status_code == 302, response.content.decode()[:2000]
    entries = DirectoryEntry.objects.filter(province_code=8)
    assert entries.count() == 8
    honey = entries.get(tax_code="5100123402")
    assert (honey.kind, honey.commune_code, honey.sectors, honey.phone) == (
        "htx",
        769,
        ["honey"],
        "0912111002",
    )
    assert (honey.members_count, honey.founded_year) == (45, 2014)
    herbs = entries.get(name="HTX Dược liệu Sủng Máng")  # "Sung Mang", "duoc lieu" typed without accents
    assert (herbs.commune_code, herbs.sectors) == (787, ["herbs"])
    assert entries.get(tax_code="5100123404").kind == "union"
    assert AuditEvent.objects.filter(action="alliance.directory_import", actor=officer).count() == 1
    page = client.get("/alliance/").content.decode()
    assert "HTX Chè Shan Tuyết Lũng Phìn" in page and "Not yet" in page


def test_bad_rows_are_all_named_and_nothing_is_stored(login, officer):
    content = book(
        ["HTX Tốt", "HTX", "5100000001", "Mèo Vạc", "Mật ong", "0912000001", 10],
        ["HTX Xã Lạ", "HTX", "", "Xã Không Có", "", "", ""],
        ["HTX Mã Sai", "HTX", "12345", "Mèo Vạc", "", "", ""],
        ["HTX Không Loại", "", "", "Mèo Vạc", "", "", ""],
        ["HTX Ngành Lạ", "HTX", "", "Mèo Vạc", "Tàu vũ trụ", "", ""],
        ["HTX Số Lạ", "HTX", "", "Mèo Vạc", "", "12345", "nhiều"],
        ["", "HTX", "", "Mèo Vạc", "", "", ""],
    )
    response = upload(login(officer), content)
    assert response.status_code == 422
    page = response.content.decode()
    for text in (
        "Unknown commune “Xã Không Có”",
        "The tax code “12345” is not valid",
        "The kind is missing",
        "Unknown sector “Tàu vũ trụ”",
        "is not a Vietnamese phone number",
        "Members: write a whole number",
        "The name is missing",
    ):
        assert text in page, text
    assert "6 rows have mistakes" in page
    assert not DirectoryEntry.objects.exists()
    assert not DirectoryImport.objects.exists()


def test_duplicate_rows_in_the_file_name_the_first_row(login, officer):
    content = book(
        ["HTX A", "HTX", "5100000001", "Mèo Vạc", "", "", ""],
        ["HTX B", "HTX", "5100000001", "Đồng Văn", "", "", ""],
        ["Hợp tác xã Chè Ngon", "HTX", "", "Mèo Vạc", "", "", ""],
        ["HTX chè ngon", "HTX", "", "meo vac", "", "", ""],
    )
    response = upload(login(officer), content)
    page = response.content.decode()
    assert response.status_code == 422
    assert "The tax code 5100000001 is also on row 2." in page
    assert "The same name and commune are also on row 4." in page
    assert not DirectoryEntry.objects.exists()


def test_a_file_that_is_not_a_workbook_or_lacks_headers_is_refused(login, officer):
    client = login(officer)
    assert "not" in upload(client, b"hello").content.decode()
    response = upload(client, book(["x"], headers=["Something else"]))
    assert response.status_code == 422
    assert "Missing: Name, Kind (HTX, union, THT), Commune / ward" in response.content.decode()
    assert not DirectoryEntry.objects.exists()


def test_rows_match_by_tax_code_or_by_name_and_commune_without_accents(login, officer):
    client = login(officer)
    upload(
        client,
        book(
            ["HTX Mật Ong Bạc Hà", "HTX", "5100000001", "Mèo Vạc", "", "", 10],
            ["HTX Chè Shan", "HTX", "", "Lũng Phìn", "", "", 5],
        ),
    )
    assert DirectoryEntry.objects.count() == 2
    # Renamed (same tax code), and the other one typed without accents and with "Hợp tác xã".
    response = upload(
        client,
        book(
            ["HTX Mật ong Bạc hà Mèo Vạc", "HTX", "5100000001", "Mèo Vạc", "", "", 12],
            ["Hop tac xa che shan", "HTX", "", "xa lung phin", "Chè", "", ""],
        ),
    )
    assert response.status_code == 302
    assert DirectoryEntry.objects.count() == 2
    honey = DirectoryEntry.objects.get(tax_code="5100000001")
    assert (honey.name, honey.members_count) == ("HTX Mật ong Bạc hà Mèo Vạc", 12)
    tea = DirectoryEntry.objects.get(name_key="che shan")
    assert tea.members_count == 5  # an empty cell erases nothing
    assert tea.sectors == ["tea"]


def test_the_same_file_twice_adds_nothing_twice(login, officer):
    client = login(officer)
    upload(client, SAMPLE.read_bytes())
    upload(client, SAMPLE.read_bytes())
    assert DirectoryEntry.objects.count() == 8


def test_a_row_matching_a_cooperative_on_the_platform_is_linked(login, officer, coop_a):
    response = upload(login(officer), book(["Hợp tác xã Tuấn Dũng (test)", "HTX", "", "Mèo Vạc", "", "", ""]))
    assert response.status_code == 302
    entry = DirectoryEntry.objects.get()
    assert entry.cooperative == coop_a and entry.on_platform
    page = login(officer).get("/alliance/?platform=yes").content.decode()
    assert "Uses Hợp Tác" in page


def test_doubtful_matches_wait_for_the_officers_choice(login, officer):
    client = login(officer)
    upload(
        client,
        book(
            ["HTX Chè Shan Tuyết", "HTX", "5100000001", "Lũng Phìn", "", "", 30],
            ["HTX Mật ong Sủng Là", "HTX", "", "Đồng Văn", "", "", 20],
        ),
    )
    first, second = DirectoryEntry.objects.order_by("pk")
    response = upload(
        client,
        book(
            ["HTX Chè Shan Tuyết", "HTX", "", "Mèo Vạc", "", "", 31],  # same name, another commune
            ["HTX Mật ong Sủng Lài", "HTX", "", "Đồng Văn", "", "", 21],  # a close name, same commune
            ["HTX Mới Hoàn Toàn", "HTX", "", "Yên Minh", "", "", 3],  # certain: new
        ),
    )
    assert response.status_code == 302
    staged = DirectoryImport.objects.get(status=ImportStatus.REVIEW)
    assert response["Location"] == f"/alliance/import/{staged.code}/"
    assert DirectoryEntry.objects.count() == 2  # nothing applied yet
    page = client.get(response["Location"]).content.decode()
    assert "The same name in another commune." in page and "A similar name in the same commune." in page
    assert "The same as HTX Chè Shan Tuyết" in page

    # No choice for row 3: refused, nothing changed, still waiting.
    refused = client.post(response["Location"], {"action": "apply", "row-2": "new"})
    assert refused.status_code == 422
    assert "rows 3" in refused.content.decode()
    assert DirectoryEntry.objects.count() == 2
    staged.refresh_from_db()
    assert staged.status == ImportStatus.REVIEW

    done = client.post(response["Location"], {"action": "apply", "row-2": "new", "row-3": str(second.pk)})
    assert done.status_code == 302
    assert DirectoryEntry.objects.count() == 4  # row 2 new, row 3 = second, row 4 new
    second.refresh_from_db()
    assert (second.name, second.members_count) == ("HTX Mật ong Sủng Lài", 21)
    first.refresh_from_db()
    assert first.members_count == 30
    # Applied once only.
    again = client.post(response["Location"], {"action": "apply", "row-2": "new", "row-3": "new"})
    assert again.status_code == 422
    assert DirectoryEntry.objects.count() == 4


def test_a_choice_outside_the_candidates_is_refused(login, officer):
    client = login(officer)
    upload(client, book(["HTX Chè", "HTX", "", "Lũng Phìn", "", "", ""]))
    response = upload(client, book(["HTX Chè", "HTX", "", "Mèo Vạc", "", "", ""]))
    refused = client.post(response["Location"], {"action": "apply", "row-2": "999999"})
    assert refused.status_code == 422
    assert DirectoryEntry.objects.count() == 1


def test_a_staged_import_can_be_discarded(login, officer):
    client = login(officer)
    upload(client, book(["HTX Chè", "HTX", "", "Lũng Phìn", "", "", ""]))
    response = upload(client, book(["HTX Chè", "HTX", "", "Mèo Vạc", "", "", ""]))
    assert client.post(response["Location"], {"action": "discard"}).status_code == 302
    assert DirectoryImport.objects.filter(status=ImportStatus.DISCARDED).count() == 1
    assert DirectoryEntry.objects.count() == 1


def test_the_template_downloads_and_its_example_row_is_skipped(login, officer):
    client = login(officer)
    response = client.get("/alliance/template.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    headers = [cell.value for cell in workbook.active[1]]
    assert headers[0] == "Name *" and len(headers) == len(COLUMNS)
    assert "Xã Mèo Vạc" in [cell.value for cell in workbook["Allowed values"]["B"]]
    # The template as downloaded, with one row added under the example: that row only.
    workbook.active.append(["HTX Thật", "HTX", "", "Yên Minh"])
    out = io.BytesIO()
    workbook.save(out)
    assert upload(client, out.getvalue()).status_code == 302
    assert list(DirectoryEntry.objects.values_list("name", flat=True)) == ["HTX Thật"]


def test_the_officer_of_another_province_sees_nothing_of_this_one(login, officer):
    upload(login(officer), SAMPLE.read_bytes())
    staged_response = upload(
        login(officer), book(["HTX Chè Shan Tuyết Lũng Phìn", "HTX", "", "Mèo Vạc", "", "", ""])
    )
    entry = DirectoryEntry.objects.first()
    hanoi = make_user("0919000202", "Cán bộ Hà Nội")
    alliance_officer_set(user=hanoi, province_code=1)
    client = Client()
    client.force_login(hanoi)
    page = client.get("/alliance/?province=8").content.decode()
    assert "Lũng Phìn" not in page and "Hà Nội" in page
    assert client.get(f"/alliance/entry/{entry.code}/").status_code == 404
    assert client.post(f"/alliance/entry/{entry.code}/start/", {}).status_code == 404
    assert client.get(staged_response["Location"]).status_code == 404
    assert client.post(staged_response["Location"], {"action": "discard"}).status_code == 404
    assert DirectoryImport.objects.filter(status=ImportStatus.REVIEW).count() == 1


def test_people_without_an_alliance_role_get_nothing(client, login, chair_a, officer):
    assert client.get("/alliance/").status_code == 302  # anonymous: sign in
    login(chair_a)
    for url in ("/alliance/", "/alliance/import/", "/alliance/template.xlsx", "/alliance/requests/"):
        assert client.get(url).status_code == 404, url


def test_the_platform_administrator_sees_every_province_and_is_audited(login, officer):
    admin = make_user("0900000009", "Quản trị")
    admin.is_superuser = True
    admin.save()
    client = login(admin)
    assert upload(client, SAMPLE.read_bytes(), province=8).status_code == 302
    assert DirectoryEntry.objects.filter(province_code=8).count() == 8
    assert AuditEvent.objects.filter(action="alliance.directory_import", actor=admin).exists()
    assert "Lũng Phìn" in client.get("/alliance/?province=8").content.decode()


def test_the_list_is_paged_and_filtered_with_constant_queries(login, officer, django_assert_max_num_queries):
    rows = [[f"HTX Số {n}", "HTX", "", "Mèo Vạc" if n % 2 else "Đồng Văn", "", "", n] for n in range(60)]
    client = login(officer)
    upload(client, book(*rows))
    assert DirectoryEntry.objects.count() == 60
    with django_assert_max_num_queries(14):
        page = client.get("/alliance/").content.decode()
    assert "Page 1 of 2" in page
    filtered = client.get("/alliance/?commune=769&q=so").content.decode()
    assert "HTX Số 1<" in filtered.replace("</a>", "<") and "HTX Số 2<" not in filtered.replace("</a>", "<")
    # The filters (the include shared with the member list): the province kept, "More
    # filters" open when one of them is set, "Clear" back to the province's list.
    assert '<input type="hidden" name="province" value="8">' in filtered
    assert '<details class="more" open>' in filtered
    assert '<a class="clear" href="/alliance/?province=8">' in filtered
    searched = client.get("/alliance/?q=so").content.decode()
    assert '<details class="more">' in searched and 'class="clear"' in searched
    assert 'class="clear"' not in page


def test_cooperatives_on_the_platform_are_added_to_the_directory(login, officer, coop_a, coop_b):
    client = login(officer)
    page = client.get("/alliance/").content.decode()
    assert "2 cooperatives of the province use Hợp Tác but are not in the directory." in page
    assert client.post("/alliance/add-platform/?province=8").status_code == 302
    assert client.post("/alliance/add-platform/?province=8").status_code == 302  # adds none the second time
    entries = DirectoryEntry.objects.order_by("name")
    assert [(e.cooperative, e.commune_code, e.on_platform) for e in entries] == [
        (coop_a, coop_a.commune_code, True),
        (coop_b, coop_b.commune_code, True),
    ]
    assert "use Hợp Tác but" not in client.get("/alliance/").content.decode()
    # A later import of the alliance's list matches them by name and commune.
    upload(client, book(["Hợp tác xã Tuấn Dũng (test)", "HTX", "5100000077", "Mèo Vạc", "", "", 40]))
    assert DirectoryEntry.objects.count() == 2
    assert DirectoryEntry.objects.get(cooperative=coop_a).members_count == 40

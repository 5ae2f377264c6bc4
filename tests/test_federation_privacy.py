"""Privacy by role across cooperatives (issue 15, item 4): the provincial officer reads a
cooperative's records without its members' phones, e-mails, bank accounts and notes unless
the cooperative shares them; a platform administrator reads them everywhere; every such
cross-cooperative read is audited (one ``personal.read`` event per request, with its path);
an officer of another province gets nothing. The officer's home page is paged."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from hoptac.accounts.services import alliance_officer_set
from hoptac.api import services as api_services
from hoptac.coops import services as coop_services
from hoptac.coops.models import Cooperative
from hoptac.core.models import AuditEvent
from tests.conftest import make_user

PHONE = "0987654321"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def detailed(member_a):
    """member_a with a bank account and notes holding an ID number."""
    from hoptac.core.tenancy import tenant

    with tenant(member_a.cooperative):
        type(member_a).objects.filter(pk=member_a.pk).update(
            bank_bin="970416", bank_account="257678859", notes="CCCD 001080012345"
        )
    return member_a


def _share(coop, chair):
    coop_services.cooperative_update(cooperative=coop, actor=chair, shares_personal_data=True)


def _reads(user=None):
    events = AuditEvent.objects.filter(action="personal.read")
    return list(events.filter(actor=user) if user else events)


def _api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_services.token_create(user=user, name='t').secret}")


def _texts(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    return " ".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c is not None)


def test_the_officer_reads_no_personal_data_and_nothing_is_audited(login, officer, coop_a, detailed):
    client = login(officer)
    for url in ("/c/coop-a/members/", f"/c/coop-a/members/{detailed.uuid}/"):
        page = client.get(url).content.decode()
        assert detailed.full_name in page
        assert PHONE not in page and "257678859" not in page and "001080012345" not in page
    export = _texts(client.get("/c/coop-a/members/export.xlsx").content)
    assert detailed.full_name in export and PHONE not in export and "257678859" not in export
    assert [i["phone"] for i in _api(officer).get("/api/v1/c/coop-a/members").json()["items"]] == [None]
    assert _reads() == []


def test_a_cooperative_that_shares_shows_the_officer_its_members_details_and_each_read_is_audited(
    login, officer, chair_a, coop_a, detailed
):
    _share(coop_a, chair_a)
    client = login(officer)
    page = client.get(f"/c/coop-a/members/{detailed.uuid}/").content.decode()
    assert "098 765 4321" in page or PHONE in page
    assert "001080012345" in page
    assert PHONE in _texts(client.get("/c/coop-a/members/export.xlsx").content)
    assert [i["phone"] for i in _api(officer).get("/api/v1/c/coop-a/members").json()["items"]] == [PHONE]
    reads = _reads(officer)
    assert [(e.cooperative_id, e.data["reason"]) for e in reads] == [(coop_a.pk, "shared")] * 3
    paths = sorted(e.data["path"] for e in reads)
    assert paths == sorted(
        ["/api/v1/c/coop-a/members", "/c/coop-a/members/export.xlsx", f"/c/coop-a/members/{detailed.uuid}/"]
    )
    # Still read-only: the officer cannot edit a member or open the ledger.
    assert client.get("/c/coop-a/members/new/").status_code == 403
    assert client.get("/c/coop-a/ledger/").status_code in (403, 404)


def test_the_cooperatives_own_staff_are_not_audited_for_reading_their_members(login, chair_a, coop_a, detailed):
    _share(coop_a, chair_a)
    assert PHONE in _texts(login(chair_a).get("/c/coop-a/members/export.xlsx").content)
    assert "001080012345" in login(chair_a).get(f"/c/coop-a/members/{detailed.uuid}/").content.decode()
    assert _reads() == []


def test_the_platform_administrator_reads_everything_and_it_is_audited(login, coop_a, coop_b, detailed, member_b):
    admin = make_user("0900000077", "Quản trị", is_superuser=True)
    client = login(admin)
    page = client.get(f"/c/coop-a/members/{detailed.uuid}/").content.decode()
    assert "001080012345" in page
    assert "Triệu Thị Mây" in client.get("/c/coop-b/members/").content.decode()
    assert client.get("/alliance/overview/").status_code == 200
    reads = _reads(admin)
    assert {(e.cooperative_id, e.data["reason"]) for e in reads} == {(coop_a.pk, "admin"), (coop_b.pk, "admin")}
    # one event per request, however many times the page asked
    assert len(reads) == 2


def test_an_officer_of_another_province_gets_nothing_even_where_details_are_shared(
    login, chair_a, coop_a, detailed
):
    _share(coop_a, chair_a)
    other = make_user("0919000303", "Cán bộ tỉnh khác")
    alliance_officer_set(user=other, province_code=1)
    client = login(other)
    assert client.get("/c/coop-a/members/").status_code == 404
    assert client.get("/c/coop-a/members/export.xlsx").status_code == 404
    assert _api(other).get("/api/v1/c/coop-a/members").status_code == 404
    assert "HTX Tuấn Dũng" not in client.get("/").content.decode()
    assert _reads() == []


def test_the_settings_page_offers_the_choice_to_share(login, chair_a, coop_a):
    page = login(chair_a).get("/c/coop-a/settings/").content.decode()
    assert 'name="shares_personal_data"' in page


def _province(count: int, start: int = 0):
    for index in range(start, start + count):
        Cooperative.objects.create(slug=f"p-{index:03d}", name=f"HTX Số {index:03d}", commune_code=769)


def test_the_officers_home_is_paged_and_searched_with_constant_queries(login, officer, coop_a):
    client = login(officer)
    _province(4)
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    _province(40, start=4)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/").content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert "45 cooperatives you read" in page
    assert "Page 1 of 2" in page and "HTX Số 030" not in page
    assert "/alliance/overview/" in page
    found = client.get("/", {"q": "so 007"}).content.decode()
    assert "HTX Số 007" in found and "HTX Số 008" not in found
    assert "Page 2 of 2" in client.get("/", {"page": 2}).content.decode()

"""The alliance's overview (issue 15, items 3 and 4): figures across the province from the
worker's summaries, alerts, the paged list of cooperatives and the drill-down, the periodic
report in Excel; who may open them; a query count that does not grow with the number of
cooperatives; no member's personal data on any of these pages or in the report."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from defusedxml import ElementTree as ET
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from hoptac.accounts.services import alliance_officer_set
from hoptac.catalog import services as catalog
from hoptac.catalog.models import Product
from hoptac.coops.models import Cooperative
from hoptac.core.tenancy import tenant
from hoptac.federation import selectors
from hoptac.federation.directory import name_key
from hoptac.federation.models import DirectoryEntry
from hoptac.federation.overview_models import BuyingMonth, CoopFigures, CoopMonth
from hoptac.federation.summaries.services import overview_refresh
from hoptac.ledger import services as ledger
from hoptac.offtake import services as offtake
from tests.conftest import CAO_BO, MEO_VAC, make_member, make_user

PRICE = 250_000
HANOI = 1


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "FILE_DIR": str(tmp_path)}


def _honey(coop, name="Mật ong bạc hà"):
    with tenant(coop):
        product = Product.objects.create(cooperative=coop, name=name, code="MAT")
        offtake.price_set(
            product=product, grade=1, price_vnd=PRICE, effective_from=timezone.now() - dt.timedelta(days=400)
        )
    return product


def _buy(coop, member, product, kg, days_ago):
    with tenant(coop):
        return offtake.receipt_record(
            member=member,
            collected_at=timezone.now() - dt.timedelta(days=days_ago),
            lines=[offtake.LineInput(product=product, quantity=Decimal(kg), unit="kg")],
        )


@pytest.fixture
def bought(coop_a, member_a, member_a2):
    """member_a sold 10 kg 50 days ago and was paid 40 days ago (10 days of waiting);
    member_a2 sold 5 kg 45 days ago and is still owed 1.250.000 ₫; an OCOP 4★ certificate
    expires in 20 days."""
    honey = _honey(coop_a)
    _buy(coop_a, member_a, honey, 10, 50)
    _buy(coop_a, member_a2, honey, 5, 45)
    with tenant(coop_a):
        ledger.payout_make(
            member=member_a, amount=10 * PRICE, occurred_at=timezone.now() - dt.timedelta(days=40)
        )
        today = timezone.localdate()
        catalog.certificate_add(
            product=honey,
            kind="ocop",
            stars=4,
            number="OCOP-1",
            issuer="UBND tỉnh",
            issued_on=today - dt.timedelta(days=1000),
            expires_on=today + dt.timedelta(days=20),
        )
    overview_refresh()
    return honey


def test_the_refresh_sums_buying_payments_and_waiting_households(coop_a, coop_b, member_a, member_a2, bought):
    rows = list(BuyingMonth.unscoped.filter(cooperative=coop_a))
    assert sum(r.amount_vnd for r in rows) == 15 * PRICE
    assert sum(r.quantity for r in rows) == Decimal(15)
    assert sum(r.receipts for r in rows) == 2
    months = list(CoopMonth.unscoped.filter(cooperative=coop_a))
    assert sum(m.households_paid for m in months) == 1
    assert sum(m.paid_vnd for m in months) == 10 * PRICE
    assert sum(m.settled_receipts for m in months) == 1
    assert sum(m.wait_days_total for m in months) == 10
    assert sum(m.households_sold for m in months) >= 2
    figures = CoopFigures.unscoped.get(cooperative=coop_a)
    assert (figures.households_waiting, figures.waiting_vnd) == (1, 5 * PRICE)
    assert 44 <= figures.oldest_wait_days <= 46
    assert figures.last_activity_at is not None
    # coop_b has no activity but still gets its row (an idle cooperative is an alert).
    assert CoopFigures.unscoped.get(cooperative=coop_b).households_waiting == 0


def test_a_second_refresh_replaces_the_summaries(coop_a, bought):
    before = BuyingMonth.unscoped.count(), CoopMonth.unscoped.count(), CoopFigures.unscoped.count()
    overview_refresh()
    assert (BuyingMonth.unscoped.count(), CoopMonth.unscoped.count(), CoopFigures.unscoped.count()) == before


def test_the_officer_sees_the_province_with_charts_tables_and_alerts(login, officer, coop_a, coop_b, bought):
    response = login(officer).get("/alliance/overview/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cooperatives of Tuyên Quang" in page
    assert "3,750,000" in page  # bought in 12 months
    assert "2,500,000" in page  # paid
    assert "HTX Tuấn Dũng (test)" in page  # in the waiting and expiring alerts
    assert "1 cooperative has members waiting more than 30 days for payment" in page
    assert "1 certificate expiring or just expired" in page
    assert "HTX Tây Côn Lĩnh (test)" in page  # no activity at all: an idle cooperative
    # every chart is well-formed SVG with a title first
    charts = [chunk.split("</svg>")[0] + "</svg>" for chunk in page.split("<svg")[1:]]
    assert len(charts) >= 4
    for chart in charts:
        tree = ET.fromstring("<svg" + chart)
        assert tree[0].tag.endswith("title") and tree[0].text
    for phone in ("0987654321", "0912345678", "098 765 4321"):
        assert phone not in page


def test_the_filters_narrow_every_figure_and_bad_values_are_refused(login, officer, coop_a, coop_b, bought):
    client = login(officer)
    tea = client.get("/alliance/overview/?sector=tea").content.decode()
    assert "3,750,000" not in tea and "HTX Tây Côn Lĩnh (test)" in tea
    bad = client.get("/alliance/overview/?idle_days=abc&kind=nope")
    assert bad.status_code == 200
    assert "Enter a whole number." in bad.content.decode()


def test_the_cooperatives_are_paged_searched_without_accents_and_drill_down(
    login, officer, coop_a, coop_b, bought
):
    client = login(officer)
    page = client.get("/alliance/overview/cooperatives/?q=tuan dung").content.decode()
    assert "HTX Tuấn Dũng (test)" in page and "HTX Tây Côn Lĩnh (test)" not in page
    detail = client.get("/alliance/overview/cooperatives/coop-a/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "3,750,000" in text and "/c/coop-a/" in text
    assert "0987654321" not in text


def test_the_periodic_report_is_a_workbook_of_figures_without_personal_data(login, officer, coop_a, bought):
    client = login(officer)
    assert client.get("/alliance/overview/report/").status_code == 200
    year = timezone.localdate().year
    response = client.get(f"/alliance/overview/report/?year={year}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Summary",
        "The whole province",
        "Cooperatives",
        "Buying by month",
        "Buying by product",
        "OCOP",
    ]
    cells = [str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "HTX Tuấn Dũng (test)" in cells
    assert not any("0987654321" in c or "0912345678" in c for c in cells)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=4, values_only=True)}
    assert summary["Member households (active)"] == 2
    bad = client.get("/alliance/overview/report/?year=99&quarter=7")
    assert bad.status_code == 400


def test_only_officers_and_platform_admins_open_the_overview(client, login, chair_a, outsider, coop_a):
    assert client.get("/alliance/overview/").status_code == 302
    assert login(chair_a).get("/alliance/overview/").status_code == 403
    assert login(outsider).get("/alliance/overview/cooperatives/").status_code == 403
    admin = make_user("0918000999", "Quản trị", is_superuser=True)
    assert login(admin).get("/alliance/overview/").status_code == 200


def test_an_officer_of_another_province_sees_nothing_of_this_one(login, coop_a, coop_b, bought):
    other = make_user("0919000202", "Cán bộ Hà Nội")
    alliance_officer_set(user=other, province_code=HANOI)
    client = login(other)
    for url in (
        "/alliance/overview/",
        "/alliance/overview/?province=8",
        "/alliance/overview/cooperatives/?q=tuan",
    ):
        page = client.get(url).content.decode()
        assert "HTX Tuấn Dũng (test)" not in page and "3,750,000" not in page
    assert client.get("/alliance/overview/cooperatives/coop-a/").status_code == 404
    content = client.get(f"/alliance/overview/report/?year={timezone.localdate().year}&province=8").content
    cells = [
        c for ws in load_workbook(io.BytesIO(content)) for row in ws.iter_rows(values_only=True) for c in row
    ]
    assert "HTX Tuấn Dũng (test)" not in cells


# --- the whole province, from the alliance's directory -------------------------------------------


def _entry(name: str, *, kind="htx", commune=MEO_VAC, sectors=(), members=None, ocop="", cooperative=None):
    return DirectoryEntry.objects.create(
        province_code=8,
        kind=kind,
        name=name,
        name_key=name_key(name),
        commune_code=commune,
        sectors=list(sectors),
        members_count=members,
        ocop_products=ocop,
        cooperative=cooperative,
        chair_name="Chủ tịch",
        phone="0977000111",
    )


@pytest.fixture
def directory(coop_a, coop_b):
    """coop_a (HTX, honey, Mèo Vạc) is listed, its entry saying otherwise (tea, Cao Bồ, 999
    members): the cooperative's own record counts, once. Two cooperatives are not on the
    platform: a THT of honey in Mèo Vạc declaring 25 members and two OCOP products (one 4★),
    an HTX of tea in Cao Bồ without a member count. coop_b (HTX, tea, Cao Bồ) is on the
    platform without an entry."""
    _entry(
        "HTX Tuấn Dũng", cooperative=coop_a, sectors=["tea"], commune=CAO_BO, members=999, ocop="Chè 5 sao"
    )
    _entry(
        "THT Ong mật Sủng Trà",
        kind="tht",
        sectors=["honey"],
        members=25,
        ocop="Mật ong bạc hà (4 sao);\nRượu ngô",
    )
    _entry("HTX Chè Lũng Phìn", sectors=["tea"], commune=CAO_BO)


def _split(counts) -> dict[str, tuple[int, int]]:
    return {c.key: (c.count, c.not_yet) for c in counts if c.total}


def test_the_overview_counts_the_whole_province_from_the_directory(
    login, officer, coop_a, coop_b, bought, directory
):
    today = timezone.localdate()
    data = selectors.overview(selectors.Scope.last_months(8, today), today=today)
    province = data.province
    assert (province.total, province.on_platform, province.not_yet, province.share) == (4, 2, 2, 50)
    assert (province.listed, province.unlisted) == (1, 1)  # coop_b has no entry, counted all the same
    assert _split(data.by_kind) == {"htx": (2, 1), "tht": (0, 1)}
    assert _split(data.by_sector) == {"honey": (1, 1), "tea": (1, 1)}
    assert _split(data.by_commune) == {str(MEO_VAC): (1, 1), str(CAO_BO): (1, 1)}
    assert (province.declared_members, province.members_unknown) == (25, 1)  # not coop_a's 999
    assert (province.ocop_declared, province.ocop_entries, province.ocop_without_stars) == (2, 1, 1)
    assert _split(data.ocop_by_stars) == {"4": (1, 1)}  # the valid certificate, and one declared
    assert sum(c.count for c in data.by_activity) == 2  # activity: the platform's cooperatives only
    tea = selectors.overview(selectors.Scope.last_months(8, today, sector="tea"), today=today)
    assert (tea.province.on_platform, tea.province.not_yet) == (1, 1)
    # Mèo Vạc: coop_a (its entry says Cao Bồ, still its entry) and the THT.
    meo_vac = selectors.overview(selectors.Scope.last_months(8, today, commune=MEO_VAC), today=today).province
    assert (meo_vac.on_platform, meo_vac.not_yet, meo_vac.listed, meo_vac.unlisted) == (1, 1, 1, 0)
    one = selectors.overview(selectors.Scope.last_months(8, today, cooperative_id=coop_a.pk), today=today)
    assert one.province is None and _split(one.by_kind) == {"htx": (1, 0)}

    client = login(officer)
    page = client.get("/alliance/overview/").content.decode()
    assert "4 cooperatives in the province" in page and "2 use the platform (50%)" in page
    assert "1 cooperative on the platform is missing from the directory" in page
    assert "Members declared" in page and "OCOP products declared" in page
    for phone in ("0987654321", "0912345678"):  # members' phones: never
        assert phone not in page
    report = client.get(f"/alliance/overview/report/?year={today.year}")
    book = load_workbook(io.BytesIO(report.content))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=4, values_only=True)}
    assert summary["Cooperatives in the province (directory and platform)"] == 4
    assert summary["Share of the province on the platform (%)"] == 50
    assert summary["Members declared in the directory (not yet on the platform)"] == 25
    assert summary["OCOP products declared in the directory (not yet on the platform)"] == 2
    whole = [row for row in book["The whole province"].iter_rows(min_row=4, values_only=True) if row[1]]
    assert ("Kind", "Cooperative group (THT)", 0, 1, 1) in whole
    assert ("Sector", "Tea", 1, 1, 2) in whole
    assert ("OCOP products", "Stars not given", None, 1, 1) in whole
    cells = [str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert not any("0987654321" in c or "0912345678" in c for c in cells)


def _coops(count: int, start: int = 0):
    """``count`` more cooperatives of the province, each with a member, a receipt and an
    OCOP certificate."""
    for index in range(start, start + count):
        coop = Cooperative.objects.create(
            slug=f"extra-{index}", name=f"HTX Thêm {index}", commune_code=769, sectors=["tea", "honey"]
        )
        member = make_member(coop, full_name=f"Hộ {index}")
        # Half of them listed in the directory, and as many entries not on the platform.
        if index % 2:
            _entry(f"HTX Thêm {index}", cooperative=coop, sectors=["tea"])
        _entry(f"THT Chưa dùng {index}", kind="tht", sectors=["rice"], members=index, ocop="Gạo 3 sao")
        product = _honey(coop, name=f"Chè {index}")
        _buy(coop, member, product, 2, 3)
        with tenant(coop):
            catalog.certificate_add(
                product=product,
                kind="ocop",
                stars=3,
                number=f"C{index}",
                issuer="UBND",
                issued_on=timezone.localdate() - dt.timedelta(days=100),
            )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_the_number_of_cooperatives(login, officer, coop_a, bought):
    client = login(officer)
    urls = [
        "/alliance/overview/",
        "/alliance/overview/alerts/",
        "/alliance/overview/cooperatives/",
        f"/alliance/overview/report/?year={timezone.localdate().year}",
    ]
    _coops(2)
    overview_refresh()
    few = {url: _queries(client, url) for url in urls}
    _coops(8, start=2)
    overview_refresh()
    many = {url: _queries(client, url) for url in urls}
    assert many == few


def test_the_alerts_page_pages_each_list_on_its_own(login, officer, coop_a, bought):
    """A province has hundreds of cooperatives: each list of the alerts page is paged (50 a
    page) with its own parameter, so paging one list leaves the others where they are."""
    for index in range(55):
        Cooperative.objects.create(slug=f"idle-{index:02d}", name=f"HTX Nghỉ {index:02d}", commune_code=769)
    overview_refresh()
    client = login(officer)

    def idle_rows(query: str) -> int:
        page = client.get(f"/alliance/overview/alerts/{query}").content.decode()
        return page.count("HTX Nghỉ ")

    first, second = idle_rows(""), idle_rows("?idle_page=2")
    assert first == 50 and second == 5
    assert idle_rows("?idle_page=abc") == 50 and idle_rows("?idle_page=99") == 5
    page = client.get("/alliance/overview/alerts/?idle_page=2&waiting_page=1").content.decode()
    assert "HTX Tuấn Dũng (test)" in page  # the waiting list stays on its first page
    assert "idle_page=1" in page and "waiting_page=1" in page  # the previous link keeps both

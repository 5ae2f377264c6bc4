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
from hoptac.federation.overview_models import BuyingMonth, CoopFigures, CoopMonth
from hoptac.federation.summaries.services import overview_refresh
from hoptac.ledger import services as ledger
from hoptac.offtake import services as offtake
from tests.conftest import make_member, make_user

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
        ledger.payout_make(member=member_a, amount=10 * PRICE, occurred_at=timezone.now() - dt.timedelta(days=40))
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


def test_the_cooperatives_are_paged_searched_without_accents_and_drill_down(login, officer, coop_a, coop_b, bought):
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
    assert book.sheetnames == ["Summary", "Cooperatives", "Buying by month", "Buying by product", "OCOP"]
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
    for url in ("/alliance/overview/", "/alliance/overview/?province=8", "/alliance/overview/cooperatives/?q=tuan"):
        page = client.get(url).content.decode()
        assert "HTX Tuấn Dũng (test)" not in page and "3,750,000" not in page
    assert client.get("/alliance/overview/cooperatives/coop-a/").status_code == 404
    content = client.get(f"/alliance/overview/report/?year={timezone.localdate().year}&province=8").content
    cells = [c for ws in load_workbook(io.BytesIO(content)) for row in ws.iter_rows(values_only=True) for c in row]
    assert "HTX Tuấn Dũng (test)" not in cells


def _coops(count: int, start: int = 0):
    """``count`` more cooperatives of the province, each with a member, a receipt and an
    OCOP certificate."""
    for index in range(start, start + count):
        coop = Cooperative.objects.create(
            slug=f"extra-{index}", name=f"HTX Thêm {index}", commune_code=769, sectors=["tea", "honey"]
        )
        member = make_member(coop, full_name=f"Hộ {index}")
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

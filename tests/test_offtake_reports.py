"""Reports of buying from members: the daily collection sheet (page and xlsx), the bảng kê
01/TNDN (xlsx) and the reports page — the right numbers, the right people, and a constant
number of queries."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from hoptac.catalog import services as catalog_services
from hoptac.core.tenancy import tenant
from hoptac.offtake import services
from hoptac.offtake.models import ReceiptLine, ReceiptStatus
from hoptac.offtake.xlsx import PURCHASE_LIST_FIRST_ROW
from tests.conftest import make_member

BASE = "/c/coop-a/buying/reports/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _(text: str) -> str:
    with translation.override("vi"):
        return str(translation.gettext(text))


@pytest.fixture
def day():
    """A day in the past, so that every receipt of the tests can be dated in it."""
    return timezone.localdate() - dt.timedelta(days=2)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def goods(coop_a):
    """Honey (litre, grades 1 and 2), tea (kg), two collection points of coop_a."""
    coop_a.tax_code = "0101234567"
    coop_a.save()
    since = timezone.now() - dt.timedelta(days=60)
    with tenant(coop_a):
        honey = catalog_services.product_create(name="Mật ong bạc hà", code="MAT", base_unit="l")
        tea = catalog_services.product_create(name="Chè búp tươi", code="CHE", base_unit="kg")
        services.price_set(product=honey, grade=1, price_vnd=500_000, effective_from=since)
        services.price_set(product=honey, grade=2, price_vnd=420_000, effective_from=since)
        services.price_set(product=tea, grade=1, price_vnd=25_000, effective_from=since)
        pa_vi = services.point_create(name="Điểm Pả Vi", commune_code=coop_a.commune_code, village="Pả Vi")
        sung_tra = services.point_create(name="Điểm Sủng Trà", commune_code=coop_a.commune_code)
    return {"honey": honey, "tea": tea, "pa_vi": pa_vi, "sung_tra": sung_tra}


def record(coop, member, when, *lines, point=None):
    with tenant(coop):
        return services.receipt_record(
            member=member,
            collected_at=when,
            point=point,
            lines=[
                services.LineInput(
                    product=product,
                    quantity=Decimal(str(qty)),
                    unit=unit,
                    grade=grade,
                    deduction_pct=Decimal(str(deduction)),
                )
                for product, qty, unit, grade, deduction in lines
            ],
        )


@pytest.fixture
def day_receipts(coop_a, accountant_a, member_a, member_a2, goods, day):
    """On ``day`` at Pả Vi: two receipts (three lines) and one voided; elsewhere: one at
    Sủng Trà the same day and one at Pả Vi the day before."""
    honey, tea, pa_vi = goods["honey"], goods["tea"], goods["pa_vi"]
    first = record(
        coop_a,
        member_a,
        at(day, 7, 30),
        (honey, "3.5", "l", 1, 0),  # 1,750,000
        (honey, "2", "l", 2, 0),  # 840,000
        point=pa_vi,
    )
    second = record(coop_a, member_a2, at(day, 9), (tea, "1.5", "yen", 1, 2), point=pa_vi)  # 14.7 kg: 367,500
    voided = record(coop_a, member_a2, at(day, 10), (honey, "10", "l", 1, 0), point=pa_vi)
    with tenant(coop_a):
        services.receipt_void(receipt=voided, reason="Ghi nhầm", actor=accountant_a)
    other_point = record(coop_a, member_a, at(day, 11), (honey, "1", "l", 1, 0), point=goods["sung_tra"])
    other_day = record(
        coop_a, member_a, at(day - dt.timedelta(days=1), 8), (honey, "1", "l", 1, 0), point=pa_vi
    )
    return {"in": [first, second], "voided": voided, "other_point": other_point, "other_day": other_day}


def named(book, name):
    title, ref = next(book.defined_names[name].destinations)
    return book[title][ref.replace("$", "")].value


# --- who may see the reports -----------------------------------------------------------------


def report_urls(day, point) -> list[str]:
    return [
        BASE,
        f"{BASE}daily/?day={day:%Y-%m-%d}&point={point.pk}",
        f"{BASE}daily.xlsx?day={day:%Y-%m-%d}&point={point.pk}",
        f"{BASE}purchase-list.xlsx?start={day:%Y-%m-%d}&end={day:%Y-%m-%d}",
    ]


@pytest.mark.parametrize("role", ["chair_a", "accountant_a", "officer"])
def test_reports_open_for_roles_with_report_view(request, login, role, goods, day_receipts, day):
    client = login(request.getfixturevalue(role))
    for url in report_urls(day, goods["pa_vi"]):
        response = client.get(url)
        if role == "officer" and "purchase-list" in url:
            # The 01/TNDN names sellers with their addresses: not for the provincial officer.
            assert response.status_code == 403, url
            continue
        assert response.status_code == 200, url
        if ".xlsx" in url:
            assert response["Content-Type"] == XLSX
            assert load_workbook(io.BytesIO(response.content)).active.max_row > 5


@pytest.mark.parametrize("role", ["collector_a", "member_user_a"])
def test_reports_are_403_without_report_view(request, login, role, goods, day_receipts, day):
    client = login(request.getfixturevalue(role))
    for url in report_urls(day, goods["pa_vi"]):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Nguyễn Văn Đức" not in response.content.decode("utf-8", errors="replace")


def test_other_cooperatives_chair_gets_404_and_sees_nothing(login, chair_b, goods, day_receipts, day):
    client = login(chair_b)
    for url in report_urls(day, goods["pa_vi"]):
        assert client.get(url).status_code == 404, url
    # coop_b's own sheet does not accept coop_a's collection point.
    response = client.get(f"/c/coop-b/buying/reports/daily/?day={day:%Y-%m-%d}&point={goods['pa_vi'].pk}")
    assert response.status_code == 400
    assert response.context["sheet"] is None
    assert "Điểm Pả Vi" not in response.content.decode()
    response = client.get(
        f"/c/coop-b/buying/reports/purchase-list.xlsx?start={day:%Y-%m-%d}&end={day:%Y-%m-%d}"
    )
    book = load_workbook(io.BytesIO(response.content))
    assert named(book, "purchase_total") == 0


# --- daily collection sheet ---------------------------------------------------------------------


def test_daily_sheet_lists_the_days_confirmed_receipts_with_totals(
    login, accountant_a, goods, day_receipts, day
):
    response = login(accountant_a).get(f"{BASE}daily/?day={day:%Y-%m-%d}&point={goods['pa_vi'].pk}")
    assert response.status_code == 200
    sheet = response.context["sheet"]
    assert [r.pk for r in sheet.receipts] == [r.pk for r in day_receipts["in"]]
    assert sheet.total_vnd == 1_750_000 + 840_000 + 367_500
    totals = {(t["product__name"], t["grade"]): (t["quantity"], t["net"], t["amount"]) for t in sheet.totals}
    assert totals == {
        ("Chè búp tươi", 1): (Decimal("15"), Decimal("14.7"), 367_500),
        ("Mật ong bạc hà", 1): (Decimal("3.5"), Decimal("3.5"), 1_750_000),
        ("Mật ong bạc hà", 2): (Decimal("2"), Decimal("2"), 840_000),
    }
    page = response.content.decode()
    for receipt in day_receipts["in"]:
        assert receipt.code in page
    for key in ("voided", "other_point", "other_day"):
        assert day_receipts[key].code not in page, key
    assert "Pả Vi" in page  # the members' village
    assert "2.957.500" in page  # the grand total, Vietnamese digits
    assert "14,7" in page  # net tea after the 2 % deduction
    assert "@media print" in page and "size:A4" in page


def test_daily_sheet_for_all_points_and_today_by_default(
    login, chair_a, coop_a, member_a, goods, day_receipts, day
):
    client = login(chair_a)
    every_point = client.get(f"{BASE}daily/?day={day:%Y-%m-%d}").context["sheet"]
    assert {r.pk for r in every_point.receipts} == {r.pk for r in day_receipts["in"]} | {
        day_receipts["other_point"].pk
    }
    now = record(coop_a, member_a, timezone.now() - dt.timedelta(seconds=30), (goods["tea"], "2", "kg", 1, 0))
    response = client.get(f"{BASE}daily/")
    assert response.status_code == 200
    assert response.context["sheet"].day == timezone.localdate()
    assert [r.pk for r in response.context["sheet"].receipts] == [now.pk]


@pytest.mark.parametrize("query", ["day=32/13/2026", "day=yesterday", "point=999999", "point=abc"])
def test_daily_sheet_bad_choice_gets_a_form_error(login, chair_a, goods, query):
    response = login(chair_a).get(f"{BASE}daily/?{query}")
    assert response.status_code == 400
    assert response.context["sheet"] is None
    assert response.context["form"].errors
    assert login(chair_a).get(f"{BASE}daily.xlsx?{query}").status_code == 400


def test_daily_sheet_queries_do_not_grow_with_receipts(login, chair_a, coop_a, goods, day):
    def add(count: int, start: int) -> None:
        for index in range(start, start + count):
            member = make_member(coop_a, full_name=f"Hộ {index}", village_name=f"Thôn {index}")
            record(
                coop_a,
                member,
                at(day, 6, index),
                (goods["honey"], "1", "l", 1, 0),
                (goods["tea"], "3", "kg", 1, 0),
                point=goods["pa_vi"],
            )

    client = login(chair_a)
    url = f"{BASE}daily/?day={day:%Y-%m-%d}&point={goods['pa_vi'].pk}"
    add(2, 0)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as two:
        response = client.get(url)
    assert len(response.context["sheet"].receipts) == 2
    add(18, 2)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(url)
    assert len(response.context["sheet"].receipts) == 20
    assert "Thôn 19" in response.content.decode()
    assert len(twenty) == len(two), [q["sql"] for q in twenty.captured_queries]


def test_daily_sheet_xlsx_holds_the_lines_and_totals(login, chair_a, coop_a, goods, day_receipts, day):
    response = login(chair_a).get(f"{BASE}daily.xlsx?day={day:%Y-%m-%d}&point={goods['pa_vi'].pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert f"{day:%Y%m%d}" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet["A1"].value == coop_a.name
    assert named(book, "grand_total") == 2_957_500
    codes = [sheet.cell(row=r, column=2).value for r in range(1, sheet.max_row + 1)]
    assert codes.count(day_receipts["in"][0].code) == 2  # one row per line
    assert codes.count(day_receipts["in"][1].code) == 1
    assert day_receipts["voided"].code not in codes
    amounts = [
        sheet.cell(row=r, column=12).value
        for r in range(1, sheet.max_row + 1)
        if sheet.cell(row=r, column=2).value in {x.code for x in day_receipts["in"]}
    ]
    assert sum(amounts) == 2_957_500
    assert {sheet.cell(row=r, column=10).value for r in range(1, sheet.max_row + 1)} >= {14.7, 3.5, 2}


# --- bảng kê 01/TNDN ------------------------------------------------------------------------------------


def test_purchase_list_xlsx_is_the_01_tndn_form(
    login, accountant_a, coop_a, member_a, goods, day_receipts, day
):
    response = login(accountant_a).get(f"{BASE}purchase-list.xlsx?start={day:%Y-%m-%d}&end={day:%Y-%m-%d}")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    header = " ".join(
        str(cell.value)
        for row in sheet.iter_rows(max_row=PURCHASE_LIST_FIRST_ROW - 1)
        for cell in row
        if cell.value
    )
    for text in (coop_a.name, "0101234567", "Mèo Vạc", f"{day:%d/%m/%Y}", "01/TNDN", "Điểm Pả Vi"):
        assert text in header, text
    with translation.override("vi"):
        assert _("LIST OF GOODS AND SERVICES PURCHASED WITHOUT INVOICES") in header

    with tenant(coop_a):
        expected = list(
            ReceiptLine.objects.filter(
                receipt__status=ReceiptStatus.CONFIRMED,
                receipt__in=[*day_receipts["in"], day_receipts["other_point"]],
            ).order_by("receipt__collected_at", "receipt__number", "id")
        )
    rows = []
    row = PURCHASE_LIST_FIRST_ROW
    while isinstance(sheet.cell(row=row, column=1).value, int):
        rows.append([sheet.cell(row=row, column=col).value for col in range(1, 11)])
        row += 1
    assert [r[0] for r in rows] == list(range(1, len(expected) + 1))  # STT
    assert [r[6] for r in rows] == [float(line.net_quantity) for line in expected]
    assert [r[7] for r in rows] == [line.unit_price_vnd for line in expected]
    assert [r[8] for r in rows] == [line.amount_vnd for line in expected]
    assert all(r[4] is None for r in rows)  # CCCD: not stored, left empty
    first = rows[0]
    assert first[1].date() == day
    assert first[2] == member_a.full_name
    assert "Mèo Vạc" in first[3] and "Tuyên Quang" in first[3]
    assert "Mật ong bạc hà" in first[5]
    assert first[9].startswith(day_receipts["in"][0].code)
    notes = " ".join(r[9] for r in rows)
    assert day_receipts["voided"].code not in notes
    assert day_receipts["other_day"].code not in notes
    total = sum(line.amount_vnd for line in expected)
    assert total == 1_750_000 + 840_000 + 367_500 + 500_000
    assert named(book, "purchase_total") == total
    assert sheet.cell(row=row, column=9).value == total  # the total row follows the lines
    footer = " ".join(str(c.value) for r in sheet.iter_rows(min_row=row) for c in r if c.value)
    with translation.override("vi"):
        assert translation.pgettext("purchase list", "Prepared by") in footer
    assert _("Director") in footer


def test_purchase_list_over_two_days_and_default_month(login, chair_a, goods, day_receipts, day):
    client = login(chair_a)
    start = day - dt.timedelta(days=1)
    book = load_workbook(
        io.BytesIO(client.get(f"{BASE}purchase-list.xlsx?start={start:%Y-%m-%d}&end={day:%Y-%m-%d}").content)
    )
    assert named(book, "purchase_total") == 1_750_000 + 840_000 + 367_500 + 500_000 + 500_000
    response = client.get(f"{BASE}purchase-list.xlsx")
    assert response.status_code == 200
    first = timezone.localdate().replace(day=1)
    assert f"bang-ke-01-tndn-{first:%Y%m%d}-" in response["Content-Disposition"]


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-03-10&end=2026-03-01",
        "start=2026-02-30&end=2026-03-01",
        "start=&end=2026-03-01",
        "start=2024-01-01&end=2026-01-01",
    ],
)
def test_purchase_list_bad_period_gets_a_form_error(login, chair_a, goods, query):
    response = login(chair_a).get(f"{BASE}purchase-list.xlsx?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert response.context["period_form"].errors


def test_reports_page_links_the_reports(login, chair_a, goods, day_receipts):
    response = login(chair_a).get(BASE)
    page = response.content.decode()
    for target in ("reports/daily/", "reports/daily.xlsx", "reports/purchase-list.xlsx"):
        assert target in page, target
    assert 'type="date"' in page
    assert "Điểm Pả Vi" in page  # the collection point choice

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
from hoptac.offtake.purchase_list import FIRST_ROW as PURCHASE_LIST_FIRST_ROW
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
    assert "hoptac/print.css" in page  # print styles from a file


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


def _cells(sheet, first: int, last: int) -> list[str]:
    return [str(c.value) for r in sheet.iter_rows(min_row=first, max_row=last) for c in r if c.value is not None]


def _goods_rows(sheet, width: int) -> list[list]:
    """The rows of goods: from the form's first row while column (1) holds a date."""
    rows, row = [], PURCHASE_LIST_FIRST_ROW
    while isinstance(sheet.cell(row=row, column=1).value, dt.datetime):
        rows.append([sheet.cell(row=row, column=col).value for col in range(1, width + 1)])
        row += 1
    return rows


def early_price(coop, goods) -> None:
    """The honey price from the start of 2026, for receipts dated around the change of form."""
    with tenant(coop):
        services.price_set(product=goods["honey"], grade=1, price_vnd=500_000, effective_from=at(dt.date(2026, 1, 1), 0))


def test_purchase_list_xlsx_is_the_02_tndn_form(
    login, accountant_a, collector_a, coop_a, member_a, goods, day_receipts, day
):
    """Purchases after Circular 20/2026/TT-BTC: form 02/TNDN, column for column."""
    coop_a.phone = "0219388999"
    coop_a.save()
    with tenant(coop_a):  # one receipt was recorded by a collector, the others by nobody
        first = day_receipts["in"][0]
        type(first).objects.filter(pk=first.pk).update(collector=collector_a)
    response = login(accountant_a).get(f"{BASE}purchase-list.xlsx?start={day:%Y-%m-%d}&end={day:%Y-%m-%d}")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert f"bang-ke-02-tndn-{day:%Y%m%d}" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["02-TNDN"]
    sheet = book["02-TNDN"]

    # The header, as the form prints it.
    head = _cells(sheet, 1, PURCHASE_LIST_FIRST_ROW - 4)
    assert "Mẫu số: 02/TNDN" in head
    assert "(Ban hành kèm theo Thông tư số 20/2026/TT-BTC của Bộ trưởng Bộ Tài chính)" in head
    assert "BẢNG KÊ THU MUA HÀNG HÓA, DỊCH VỤ KHÔNG CÓ HÓA ĐƠN" in head
    assert f"(Ngày {day.day:02d} tháng {day.month:02d} năm {day.year})" in head
    assert f"- Tên doanh nghiệp: {coop_a.name}" in head
    assert "- Mã số thuế: 0101234567" in head
    assert f"- Địa chỉ: {coop_a.address}" in head
    assert "- Số điện thoại: 0219388999" in head
    places_line = next(text for text in head if text.startswith("- Địa chỉ nơi tổ chức thu mua: "))
    assert "Pả Vi" in places_line and "Mèo Vạc" in places_line and "Tuyên Quang" in places_line
    assert "Điểm Pả Vi" not in places_line and "Điểm Sủng Trà" not in places_line  # addresses, not names
    assert not any("Người phụ trách thu mua" in text for text in head)  # not on the 02/TNDN

    # Two header rows and the form's own numbers (1)…(10): no STT column.
    group, columns, numbers = (PURCHASE_LIST_FIRST_ROW - 3, PURCHASE_LIST_FIRST_ROW - 2, PURCHASE_LIST_FIRST_ROW - 1)
    assert [sheet.cell(row=numbers, column=c).value for c in range(1, 12)] == [f"({n})" for n in range(1, 11)] + [
        None
    ]
    assert sheet.cell(row=group, column=1).value == "Ngày tháng năm mua hàng"
    assert sheet.cell(row=group, column=2).value == "Người bán"
    assert sheet.cell(row=group, column=6).value == "Hàng hóa, dịch vụ mua vào"
    assert sheet.cell(row=group, column=10).value == "Ghi chú"
    assert [sheet.cell(row=columns, column=c).value for c in range(2, 10)] == [
        "Tên người bán",
        "Địa chỉ",
        "Số căn cước",
        "Số điện thoại (nếu có)",
        "Tên hàng hóa, dịch vụ",
        "Số lượng, trọng lượng",
        "Đơn giá",
        "Tổng giá thanh toán",
    ]

    with tenant(coop_a):
        expected = list(
            ReceiptLine.objects.filter(
                receipt__status=ReceiptStatus.CONFIRMED,
                receipt__in=[*day_receipts["in"], day_receipts["other_point"]],
            ).order_by("receipt__collected_at", "receipt__number", "id")
        )
    rows = _goods_rows(sheet, 10)
    assert len(rows) == len(expected)
    assert [r[0].date() for r in rows] == [day] * len(expected)
    assert [r[6] for r in rows] == [float(line.net_quantity) for line in expected]
    assert [r[7] for r in rows] == [line.unit_price_vnd for line in expected]
    assert [r[8] for r in rows] == [line.amount_vnd for line in expected]
    assert all(r[3] in ("", None) for r in rows)  # Số căn cước: not stored, filled in by hand
    top = rows[0]
    assert top[1] == member_a.full_name
    assert "Mèo Vạc" in top[2] and "Tuyên Quang" in top[2]
    assert top[4] == member_a.phone
    assert "Mật ong bạc hà" in top[5]
    # The collector of each receipt is named on its rows (the first receipt's two lines).
    assert top[9].startswith(first.code) and "Thu mua A" in top[9]
    assert "Thu mua A" in rows[1][9]
    assert all("Thu mua A" not in r[9] for r in rows[2:])
    notes = " ".join(r[9] for r in rows)
    assert day_receipts["voided"].code not in notes
    assert day_receipts["other_day"].code not in notes

    total = sum(line.amount_vnd for line in expected)
    assert total == 1_750_000 + 840_000 + 367_500 + 500_000
    assert named(book, "purchase_total") == total
    footer = _cells(sheet, PURCHASE_LIST_FIRST_ROW + len(rows), sheet.max_row)
    assert "- Tổng giá trị hàng hóa, dịch vụ mua vào:" in footer
    today = timezone.localdate()
    assert f"Ngày {today.day:02d} tháng {today.month:02d} năm {today.year}" in footer
    assert "Người lập bảng kê" in footer and "(Ký, ghi rõ họ tên)" in footer
    assert "Người đại diện hoặc người được ủy quyền của doanh nghiệp" in footer
    assert "(Ký tên, đóng dấu)" in footer
    assert sheet.page_setup.orientation == "landscape"


def test_purchase_list_before_circular_20_is_the_01_tndn_form(
    login, accountant_a, collector_a, coop_a, member_a, goods
):
    """Purchases before 12/03/2026 stay on form 01/TNDN of Circular 78/2014/TT-BTC: nine
    columns (1)…(9), the collector in charge named, the director signs."""
    old_day = dt.date(2026, 2, 20)
    early_price(coop_a, goods)
    receipt = record(coop_a, member_a, at(old_day, 8), (goods["honey"], "2", "l", 1, 0), point=goods["pa_vi"])
    with tenant(coop_a):
        type(receipt).objects.filter(pk=receipt.pk).update(collector=collector_a)
    response = login(accountant_a).get(
        f"{BASE}purchase-list.xlsx?start=2026-02-01&end=2026-02-28&collection_point={goods['pa_vi'].pk}"
    )
    assert response.status_code == 200
    assert "bang-ke-01-tndn-20260201-20260228-diem-" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["01-TNDN"]
    sheet = book["01-TNDN"]
    head = _cells(sheet, 1, PURCHASE_LIST_FIRST_ROW - 4)
    assert "Mẫu số: 01/TNDN" in head
    assert "(Ban hành kèm theo Thông tư số 78/2014/TT-BTC ngày 18/6/2014 của Bộ Tài chính)" in head
    assert "BẢNG KÊ THU MUA HÀNG HOÁ, DỊCH VỤ MUA VÀO KHÔNG CÓ HOÁ ĐƠN" in head
    assert "(Từ ngày 01 tháng 02 năm 2026 đến ngày 28 tháng 02 năm 2026)" in head
    assert f"- Tên doanh nghiệp: {coop_a.name}    Mã số thuế: 0101234567" in head
    assert "- Người phụ trách thu mua: Thu mua A" in head
    places_line = next(text for text in head if text.startswith("- Địa chỉ nơi tổ chức thu mua: "))
    assert places_line.startswith("- Địa chỉ nơi tổ chức thu mua: Pả Vi, ") and "Điểm" not in places_line
    numbers = PURCHASE_LIST_FIRST_ROW - 1
    assert [sheet.cell(row=numbers, column=c).value for c in range(1, 11)] == [f"({n})" for n in range(1, 10)] + [
        None
    ]
    labels = _cells(sheet, PURCHASE_LIST_FIRST_ROW - 3, PURCHASE_LIST_FIRST_ROW - 2)
    for label in ("Ngày tháng năm mua hàng", "Người bán", "Tên người bán", "Địa chỉ", "Số CMT nhân dân",
                  "Hàng hoá mua vào", "Tên mặt hàng", "Số lượng", "Đơn giá", "Tổng giá thanh toán", "Ghi chú"):
        assert label in labels, label
    assert "STT" not in labels and "Số điện thoại (nếu có)" not in labels
    rows = _goods_rows(sheet, 9)
    assert len(rows) == 1
    assert rows[0][0].date() == old_day and rows[0][1] == member_a.full_name and rows[0][7] == 1_000_000
    assert "Thu mua A" in rows[0][8]
    footer = _cells(sheet, PURCHASE_LIST_FIRST_ROW + 1, sheet.max_row)
    assert "- Tổng giá trị hàng hoá mua vào:" in footer
    assert "Người lập bảng kê" in footer and "(Ký, ghi rõ họ tên)" in footer
    assert "Giám đốc doanh nghiệp" in footer and "(Ký, ghi rõ họ tên, đóng dấu)" in footer
    assert named(book, "purchase_total") == 1_000_000


def test_purchase_list_across_the_change_gives_one_sheet_per_form(login, accountant_a, coop_a, member_a, goods):
    early_price(coop_a, goods)
    before = record(coop_a, member_a, at(dt.date(2026, 3, 11), 8), (goods["honey"], "1", "l", 1, 0))
    after = record(coop_a, member_a, at(dt.date(2026, 3, 12), 8), (goods["honey"], "3", "l", 1, 0))
    response = login(accountant_a).get(f"{BASE}purchase-list.xlsx?start=2026-03-01&end=2026-03-31")
    assert response.status_code == 200
    assert "bang-ke-01-02-tndn-20260301-20260331" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["01-TNDN", "02-TNDN"]
    old, new = _goods_rows(book["01-TNDN"], 9), _goods_rows(book["02-TNDN"], 10)
    assert [r[8].split(";")[0] for r in old] == [before.code]
    assert [r[9].split(";")[0] for r in new] == [after.code]
    assert named(book, "purchase_total_01_TNDN") == 500_000
    assert named(book, "purchase_total_02_TNDN") == 1_500_000
    assert "(Từ ngày 01 tháng 03 năm 2026 đến ngày 11 tháng 03 năm 2026)" in _cells(book["01-TNDN"], 1, 6)
    assert "(Từ ngày 12 tháng 03 năm 2026 đến ngày 31 tháng 03 năm 2026)" in _cells(book["02-TNDN"], 1, 6)


def test_purchase_list_writes_user_text_as_text(login, accountant_a, coop_a, goods):
    """A member named like a formula is written as the characters typed, not as a formula."""
    early_price(coop_a, goods)
    evil = make_member(coop_a, full_name='=HYPERLINK("http://evil","x")')
    record(coop_a, evil, at(dt.date(2026, 4, 2), 8), (goods["honey"], "1", "l", 1, 0))
    response = login(accountant_a).get(f"{BASE}purchase-list.xlsx?start=2026-04-01&end=2026-04-30")
    sheet = load_workbook(io.BytesIO(response.content))["02-TNDN"]
    cell = sheet.cell(row=PURCHASE_LIST_FIRST_ROW, column=2)
    assert cell.value == '=HYPERLINK("http://evil","x")' and cell.data_type == "s"


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
    assert f"tndn-{first:%Y%m%d}-" in response["Content-Disposition"]


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
    # Both forms choose a collection point, each its own field (no duplicate id on the page).
    assert page.count('id="f-point"') == 1 and page.count('id="f-collection_point"') == 1

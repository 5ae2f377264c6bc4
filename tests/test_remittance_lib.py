"""Reading carriers' COD remittance reports (hoptac.lib.remittance): real-looking xlsx and
CSV files, money written every way, totals skipped, bad rows listed, bad files refused."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook

from hoptac.lib.remittance import RemittanceError, read_remittance
from tests.fakes.remittance import ghn_csv, ghtk_xlsx

DATA = Path(__file__).parent / "data" / "remittance"

GHTK_LINES = [
    ("S1.A1.17373471", "DH1A2B3C", 350_000, 35_000),
    ("S1.A1.17373472", "DH4D5E6F", 1_250_000, 32_500),
    ("S1.A1.17373473", "DH7G8H9J", 0, 22_000),  # paid by transfer: only the fee
]


def xlsx_of(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_ghtk_xlsx_report():
    report = read_remittance(ghtk_xlsx(GHTK_LINES), "bang-ke-doi-soat.xlsx", "ghtk")
    assert [
        (line.tracking_code, line.order_code, line.cod_vnd, line.fee_vnd) for line in report.lines
    ] == GHTK_LINES
    assert [line.row for line in report.lines] == [6, 7, 8]
    assert report.reference == "DS.2612.0042"
    assert report.paid_on == dt.date(2026, 12, 2)
    assert report.problems == []
    assert report.total_cod_vnd == 1_600_000 and report.total_fee_vnd == 89_500
    assert report.total_paid_vnd == 1_600_000 - 89_500
    assert report.lines[0].paid_vnd == 315_000 and report.lines[0].status == "Đã giao hàng"
    assert report.header_row == 5 and 9 in report.skipped  # the total row
    assert report.carrier == "ghtk" and len(report.checksum) == 64


def test_carrier_guessed_and_fee_parts_added_up():
    report = read_remittance(ghtk_xlsx(GHTK_LINES, fee_parts=True), "report.xlsx")
    assert [line.fee_vnd for line in report.lines] == [35_000, 32_500, 22_000]
    assert report.carrier == "ghtk"  # from the codes' shape


@pytest.mark.parametrize(
    ("encoding", "delimiter", "as_text"),
    [("utf-8-sig", ",", True), ("utf-8", ";", True), ("cp1258", ",", False), ("utf-8", "\t", False)],
)
def test_ghn_csv_report(encoding, delimiter, as_text):
    lines = [("GY5E0001", "DH77", 420_000, 35_000), ("GY5E0002", "DH78", 1_250_000, 40_000)]
    data = ghn_csv(lines, encoding=encoding, delimiter=delimiter, money_as_text=as_text)
    report = read_remittance(data, "doi-soat-ghn.csv", None)
    assert [
        (line.tracking_code, line.order_code, line.cod_vnd, line.fee_vnd) for line in report.lines
    ] == lines
    assert report.paid_on == dt.date(2026, 12, 3)
    assert report.carrier == "ghn"  # "Mã đơn GHN"
    assert report.lines[1].paid_vnd == 1_210_000
    assert report.encoding == ("cp1258" if encoding == "cp1258" else "utf-8")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1.250.000", 1_250_000),
        ("1,250,000", 1_250_000),
        ("1.250.000 đ", 1_250_000),
        ("1.250.000,00", 1_250_000),
        ("1,250,000.00", 1_250_000),
        ("1250000", 1_250_000),
        (1250000, 1_250_000),
        (1250000.0, 1_250_000),
        ("", 0),
        (None, 0),
    ],
)
def test_money_written_every_way(cell, expected):
    data = xlsx_of([["Mã đơn hàng", "Tiền thu hộ", "Phí"], ["S1.A1.1", cell, "22.000"]])
    report = read_remittance(data, "r.xlsx", "ghtk")
    assert report.problems == []
    assert report.lines[0].cod_vnd == expected and report.lines[0].fee_vnd == 22_000


def test_bad_rows_are_problems_and_the_rest_is_read():
    lines = [
        ("S1.A1.1", "DH1", 350_000, 35_000),
        ("S1.A1.2", "DH2", "12,5", 35_000),  # not whole đồng
        ('=HYPERLINK("http://x")', "DH3", 100_000, 1_000),  # a formula, not a code
        ("S1.A1.1", "DH1", 350_000, 35_000),  # twice
        ("S1.A1.5", "DH5", "=E6*2", 1_000),  # a formula in CSV is text, not money
        ("", "", 99_000, 0),  # money without a code
        ("S1.A1.7", "DH7", -5_000, 0),
    ]
    with translation.override("en"):
        report = read_remittance(ghn_csv(lines), "r.csv", "ghtk")
    assert [line.tracking_code for line in report.lines] == ["S1.A1.1"]
    rows = dict(report.problems)
    assert sorted(rows) == [3, 4, 5, 6, 7, 8]
    assert "whole number" in rows[3]
    assert "not a tracking or order code" in rows[4]
    assert "row 2 already" in rows[5]
    assert "whole number" in rows[6]
    assert "no tracking code" in rows[7]
    assert "negative" in rows[8]


def test_one_wrong_amount_is_read_as_written():
    """The report says 320.000 where the order was 350.000: the reader reports what the file
    says (matching against orders lists the difference)."""
    report = read_remittance(ghtk_xlsx([("S1.A1.1", "DH1", 320_000, 35_000)]), "r.xlsx", "ghtk")
    assert report.lines[0].cod_vnd == 320_000


def test_order_code_only_report():
    data = xlsx_of([["Mã đơn shop", "COD", "Tổng cước"], ["DH1", 100_000, 20_000], ["Tổng", 100_000, 20_000]])
    report = read_remittance(data, "r.xlsx", "ghtk")
    assert [(line.tracking_code, line.order_code) for line in report.lines] == [("", "DH1")]
    assert report.skipped == (3,)


def test_english_headers_and_reference_in_the_next_cell():
    data = xlsx_of(
        [
            ["Remittance", "R-2026-12-07"],
            ["Payment date", dt.datetime(2026, 12, 7, 9, 30)],
            ["Tracking code", "Client order code", "COD amount", "Total fee"],
            ["GY5E0001", "DH77", 420_000, 35_000],
        ]
    )
    report = read_remittance(data, "r.xlsx")
    assert report.reference == "R-2026-12-07" and report.paid_on == dt.date(2026, 12, 7)
    assert report.carrier == "ghn"


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "r.csv", "empty"),
        (b"hello,world\n1,2\n", "r.csv", "not_report"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "r.xls", "xls"),
        (b"%PDF-1.4 ...", "r.pdf", "type"),
        (b"PK\x03\x04 not really a zip", "r.xlsx", "xlsx_unreadable"),
        (b"a\0b,c\n", "r.csv", "binary"),
        (b"x" * (10 * 1024 * 1024 + 1), "r.csv", "too_large"),
        ("Mã đơn hàng,Tiền thu hộ\n".encode() + b"S1,1\n" * 10_001, "r.csv", "rows"),
        ("Mã đơn hàng,Tiền thu hộ\n".encode() + b",\n", "r.csv", "empty"),
    ],
)
def test_bad_files_are_refused_with_a_message(data, name, code):
    with pytest.raises(RemittanceError) as caught, translation.override("en"):
        read_remittance(data, name, "ghtk")
    assert caught.value.code == code
    assert str(caught.value) and isinstance(caught.value, ValueError)


def test_huge_xlsx_refused_by_the_limits():
    book = Workbook()
    book.active.append(["Mã đơn hàng", "Tiền thu hộ"])
    book.active.cell(row=20_000, column=1, value="S1.A1.1")
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(RemittanceError) as caught:
        read_remittance(out.getvalue(), "r.xlsx", "ghtk")
    assert caught.value.code == "xlsx_rows"


def test_xlsx_formulas_are_not_evaluated():
    """openpyxl writes a formula without a cached value: the cell reads as empty, never as
    the formula's text or result."""
    data = xlsx_of([["Mã đơn hàng", "Tiền thu hộ", "Phí"], ["S1.A1.1", "=1+1", '=WEBSERVICE("http://x")']])
    report = read_remittance(data, "r.xlsx", "ghtk")
    assert report.lines[0].cod_vnd == 0 and report.lines[0].fee_vnd == 0


def test_committed_samples_read():
    ghtk = read_remittance((DATA / "ghtk-doi-soat.xlsx").read_bytes(), "ghtk-doi-soat.xlsx")
    ghn = read_remittance((DATA / "ghn-doi-soat.csv").read_bytes(), "ghn-doi-soat.csv")
    assert ghtk.carrier == "ghtk" and len(ghtk.lines) == 3 and ghtk.problems == []
    assert ghn.carrier == "ghn" and len(ghn.lines) == 2 and ghn.problems == []

"""The one CSV reader of bank statements and COD remittance reports (``lib/csvrows.py``)."""

from __future__ import annotations

import unicodedata

import pytest
from django.utils import translation

from hoptac.lib import banknotify, remittance, xlsx
from hoptac.lib.csvrows import CsvRefused, read_csv_rows


def test_utf8_with_bom_and_the_commonest_delimiter():
    data = "\ufeffMã đơn;Tiền thu hộ\nS1,2;150.000\n".encode()
    rows, encoding = read_csv_rows(data)
    assert encoding == "utf-8"
    assert rows == [(1, ("Mã đơn", "Tiền thu hộ")), (2, ("S1,2", "150.000"))]


def test_windows_1258_is_read_and_its_combining_tones_composed():
    # Windows-1258 has the base letters (ê, ô) but the tones only as combining marks.
    data = "Tên\tSô\u0301 tiê\u0300n\nLo\u0300 Thi\u0323 Mai\t200000\n".encode("cp1258")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows, encoding = read_csv_rows(data)
    assert encoding == "cp1258"
    assert rows[1] == (2, ("Lò Thị Mai", "200000"))
    assert all(unicodedata.is_normalized("NFC", cell) for _n, row in rows for cell in row)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"a,b\n1,2\n3,4\n", "rows"),
        (b"a,b,c,d\n", "columns"),
        (b"PK\x03\x04\x00\x00binary", "binary"),
    ],
)
def test_limits_and_binary_are_refused_with_a_code(data, code):
    with pytest.raises(CsvRefused) as caught:
        read_csv_rows(data, xlsx.Limits(rows=2, columns=3))
    assert caught.value.code == code


@translation.override("en")
def test_each_reader_names_what_it_expected():
    data = b"abc\x00def"
    with pytest.raises(remittance.RemittanceError) as report:
        remittance.read_remittance(data, "report.csv")
    assert report.value.code == "binary" and "remittance report" in str(report.value)
    with pytest.raises(banknotify.StatementError) as statement:
        banknotify.statement_rows(data, "statement.csv")
    assert statement.value.code == "binary" and "bank statement" in str(statement.value)
    # The limits' messages reach both callers.
    many = b"a\n" * 10_001
    with pytest.raises(remittance.RemittanceError, match="10.000 rows"):
        remittance.read_remittance(many, "report.csv")
    with pytest.raises(banknotify.StatementError, match="10.000 rows"):
        banknotify.statement_rows(many, "statement.csv")

"""Carriers' COD remittance reports as they send them, built in memory: GHTK's xlsx (a title
block with the remittance code and payment day, then one row per parcel, then a total row)
and GHN's CSV (UTF-8 with a BOM, or cp1258 as an old Excel saves it). Each line is
``(tracking code, our order code, cash collected, fee)``; a test can put any cell text in
(a formula, "1.250.000", a wrong amount) since cells are written as given."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata

from openpyxl import Workbook

Line = tuple[object, object, object, object]


def ghtk_xlsx(
    lines: list[Line],
    *,
    reference: str = "DS.2612.0042",
    paid_on: dt.date = dt.date(2026, 12, 2),
    total_row: bool = True,
    fee_parts: bool = False,
) -> bytes:
    """GHTK's "Bảng kê đối soát" workbook. ``fee_parts``: separate delivery and insurance
    fee columns instead of one total fee column (half of each line's fee in each)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Doi soat"
    sheet.append(["GIAO HÀNG TIẾT KIỆM - BẢNG KÊ ĐỐI SOÁT COD"])
    sheet.append(["Mã phiên đối soát:", reference])
    sheet.append([f"Ngày thanh toán: {paid_on:%d/%m/%Y}"])
    sheet.append([])
    if fee_parts:
        sheet.append(
            [
                "STT",
                "Mã đơn hàng",
                "Mã đơn KH",
                "Trạng thái",
                "Tiền thu hộ (COD)",
                "Phí giao hàng",
                "Phí bảo hiểm",
                "Thực nhận",
            ]
        )
    else:
        sheet.append(
            ["STT", "Mã đơn hàng", "Mã đơn KH", "Trạng thái", "Tiền thu hộ (COD)", "Tổng phí", "Thực nhận"]
        )
    total_cod = total_fee = 0
    for number, (tracking, order, cod, fee) in enumerate(lines, start=1):
        net = cod - fee if isinstance(cod, int) and isinstance(fee, int) else None
        if fee_parts:
            half = fee // 2 if isinstance(fee, int) else fee
            rest = fee - half if isinstance(fee, int) else 0
            sheet.append([number, tracking, order, "Đã giao hàng", cod, half, rest, net])
        else:
            sheet.append([number, tracking, order, "Đã giao hàng", cod, fee, net])
        total_cod += cod if isinstance(cod, int) else 0
        total_fee += fee if isinstance(fee, int) else 0
    if total_row:
        filler = [None, None] if fee_parts else [None]
        sheet.append(["Tổng cộng", None, None, None, total_cod, *filler, total_cod - total_fee])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ghn_csv(
    lines: list[Line],
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
    transfer_day: dt.date = dt.date(2026, 12, 3),
    money_as_text: bool = True,
) -> bytes:
    """GHN's "Đối soát COD" export: no title block, a payment-date column per line,
    money written the Vietnamese way ("1.250.000") unless ``money_as_text`` is false."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(
        [
            "Mã đơn GHN",
            "Mã đơn khách hàng",
            "Người nhận",
            "Tiền thu hộ",
            "Tổng phí",
            "Tiền chuyển khoản",
            "Ngày chuyển tiền",
        ]
    )

    def money(value):
        if isinstance(value, int) and money_as_text:
            return f"{value:,}".replace(",", ".")
        return value

    for tracking, order, cod, fee in lines:
        net = cod - fee if isinstance(cod, int) and isinstance(fee, int) else ""
        writer.writerow(
            [
                tracking,
                order,
                "Nguyễn Thị Lan",
                money(cod),
                money(fee),
                money(net),
                f"{transfer_day:%d/%m/%Y}",
            ]
        )
    text = out.getvalue()
    return cp1258(text) if encoding == "cp1258" else text.encode(encoding)


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    """Vietnamese in Windows-1258 as Excel writes it: letters with a tone become the base
    letter (ê, ơ, ư… are in the code page) followed by a combining tone mark."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += (base + "".join(c for c in parts if c in _TONES)).encode("cp1258")
    return bytes(out)

"""The member import refuses crafted workbooks with a message, at once, storing nothing.

The files are built here, small on disk: the zip is written by hand (``package``), and a
part of hundreds of megabytes is one compressed block repeated (``repeated``), so no test
compresses or holds more than a megabyte. ``scripts/bench_import.py`` times the same files.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hoptac.coops.models import Member, MemberGroup, Village
from hoptac.lib import xlsx
from tests.conftest import keyed

IMPORT_URL = "/c/coop-a/members/import/"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


@dataclass(frozen=True)
class Packed:
    """A part already compressed: its CRC, unpacked size and raw deflate bytes."""

    crc: int
    size: int
    data: bytes


def repeated(block: bytes, times: int, *, head: bytes = b"", tail: bytes = b"") -> Packed:
    """``head + block * times + tail`` compressed without ever holding it: after a full
    flush a deflate stream starts afresh, so one compressed ``block`` can be repeated."""
    parts, crc = [], 0
    for piece in (head,):
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        parts.append(packer.compress(piece) + packer.flush(zlib.Z_FULL_FLUSH))
        crc = zlib.crc32(piece, crc)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    for _ in range(times):
        parts.append(one)
        crc = zlib.crc32(block, crc)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts.append(packer.compress(tail) + packer.flush())
    crc = zlib.crc32(tail, crc)
    return Packed(crc, len(head) + len(block) * times + len(tail), b"".join(parts))


def _pack(content: bytes | Packed) -> Packed:
    if isinstance(content, Packed):
        return content
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Packed(zlib.crc32(content), len(content), packer.compress(content) + packer.flush())


def package(parts: dict[str, bytes | Packed]) -> bytes:
    """A zip of ``parts`` (deflated), written by hand so that a part may be pre-compressed."""
    out = io.BytesIO()
    directory = []
    for name, content in parts.items():
        packed = _pack(content)
        raw = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                8,
                0,
                0,
                packed.crc,
                len(packed.data),
                packed.size,
                len(raw),
                0,
            )
        )
        out.write(raw)
        out.write(packed.data)
        directory.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                packed.crc,
                len(packed.data),
                packed.size,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )
    start = out.tell()
    for entry in directory:
        out.write(entry)
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory), out.tell() - start, start, 0
        )
    )
    return out.getvalue()


HEADER_ROW = (
    '<row r="1">'
    '<c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Xã/phường</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Ngày vào HTX</t></is></c>'
    "</row>"
).encode()
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
SHEET_TAIL = b"</sheetData></worksheet>"


def workbook(
    sheet: bytes | Packed,
    *,
    strings: bytes | Packed | None = None,
    workbook_xml: bytes | None = None,
    extra: dict[str, bytes | Packed] | None = None,
) -> bytes:
    """A minimal .xlsx that openpyxl opens: one sheet, optional shared strings."""
    overrides = f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/>'
    relations = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    if strings is not None:
        overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/>'
        relations += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    parts: dict[str, bytes | Packed] = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>"
        ).encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": workbook_xml
        or (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="Thành viên" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
            f"{relations}</Relationships>"
        ).encode(),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if strings is not None:
        parts["xl/sharedStrings.xml"] = strings
    parts.update(extra or {})
    return package(parts)


def sheet(rows: bytes) -> bytes:
    return SHEET_HEAD + HEADER_ROW + rows + SHEET_TAIL


STRINGS_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()

# name -> (the file, the code of the refusal)
CRAFTED = {
    # The probe's 184 KB file: 20 million empty rows (120 MB of XML, packed ~1000 times).
    "20 million empty rows": lambda: workbook(
        repeated(b"<row/>" * 100_000, 200, head=SHEET_HEAD + HEADER_ROW, tail=SHEET_TAIL)
    ),
    "one row numbered 20 million": lambda: workbook(sheet(b'<row r="20000000"/>')),
    "12,000 empty rows in 100 KB": lambda: workbook(sheet(b"<row/>" * 12_000)),
    "a dimension of a million rows": lambda: workbook(
        SHEET_HEAD.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
        + HEADER_ROW
        + SHEET_TAIL
    ),
    # The probe's 145 KB file: one row of 2 million cells.
    "2 million cells in one row": lambda: workbook(
        repeated(
            b"<c/>" * 100_000, 20, head=SHEET_HEAD + HEADER_ROW + b'<row r="2">', tail=b"</row>" + SHEET_TAIL
        )
    ),
    "70 cells in one row": lambda: workbook(sheet(b'<row r="2">' + b"<c/>" * 70 + b"</row>")),
    "a cell in column 16,384": lambda: workbook(sheet(b'<row r="2"><c r="XFD2"><v>1</v></c></row>')),
    "250,000 cells in 5,000 rows": lambda: workbook(
        repeated(b"<row>" + b"<c/>" * 50 + b"</row>", 5_000, head=SHEET_HEAD + HEADER_ROW, tail=SHEET_TAIL)
    ),
    # The probe's 300 MB shared string.
    "a shared string of 300 MB": lambda: workbook(
        sheet(b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'),
        strings=repeated(b"A" * (1 << 20), 300, head=STRINGS_HEAD + b"<si><t>", tail=b"</t></si></sst>"),
    ),
    "a shared string of 40,000 characters": lambda: workbook(
        sheet(b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'),
        strings=STRINGS_HEAD + b"<si><t>" + b"A" * 40_000 + b"</t></si></sst>",
    ),
    "250,000 shared strings": lambda: workbook(
        sheet(b""),
        strings=repeated(
            b"".join(b"<si><t>%d</t></si>" % n for n in range(10_000)), 25, head=STRINGS_HEAD, tail=b"</sst>"
        ),
    ),
    "a part packed 1000 times": lambda: workbook(
        sheet(b""), extra={"xl/comments1.xml": repeated(b" " * (1 << 20), 5, head=b"<a>", tail=b"</a>")}
    ),
    "2,000 parts": lambda: workbook(sheet(b""), extra={f"xl/media/image{i}.png": b"x" for i in range(2_000)}),
    # openpyxl builds an object for each style: 300,000 took it 5 s and 300 MB.
    "60,000 cell styles": lambda: workbook(
        sheet(b""),
        extra={
            "xl/styles.xml": repeated(
                b"".join(b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0"/>' % n for n in range(1_000)),
                60,
                head=f'<?xml version="1.0"?><styleSheet xmlns="{MAIN}"><cellXfs>'.encode(),
                tail=b"</cellXfs></styleSheet>",
            )
        },
    ),
    "500 sheets naming one part": lambda: workbook(
        sheet(b""),
        workbook_xml=(
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            + "".join(f'<sheet name="S{n}" sheetId="{n + 1}" r:id="rId1"/>' for n in range(500))
            + "</sheets></workbook>"
        ).encode(),
    ),
    "XXE: an external entity naming a local file": lambda: workbook(
        sheet(b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'),
        strings=(
            b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + f'<sst xmlns="{MAIN}"><si><t>&xxe;</t></si></sst>'.encode()
        ),
    ),
    "billion laughs": lambda: workbook(
        sheet(b""),
        workbook_xml=(
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(
                f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
                for i in range(1, 10)
            )
            + b"]><workbook><sheets>&lol9;</sheets></workbook>"
        ),
    ),
    "a UTF-16 DOCTYPE": lambda: workbook(
        sheet(b""),
        strings='<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE sst [<!ENTITY a "b">]><sst/>'.encode(
            "utf-16"
        ),
    ),
    "malformed sheet XML": lambda: workbook(SHEET_HEAD + HEADER_ROW + b'<row r="2"><c r="A2"><v>1</v></row>'),
    "not a zip": lambda: b"PK\x03\x04 this is not really a zip file",
    "a damaged deflate stream": lambda: workbook(Packed(0, 1000, b"\xff" * 50)),
}
CODES = {
    "20 million empty rows": "unpacked_size",
    "one row numbered 20 million": "rows",
    "12,000 empty rows in 100 KB": "rows",
    "a dimension of a million rows": "rows",
    "2 million cells in one row": "ratio",  # 8 MB of XML packed 400 times
    "70 cells in one row": "columns",
    "a cell in column 16,384": "columns",
    "250,000 cells in 5,000 rows": "cells",
    "a shared string of 300 MB": "unpacked_size",
    "a shared string of 40,000 characters": "string_length",
    "250,000 shared strings": "strings",
    "a part packed 1000 times": "ratio",
    "2,000 parts": "parts",
    "60,000 cell styles": "elements",
    "500 sheets naming one part": "sheets",
    "XXE: an external entity naming a local file": "doctype",
    "billion laughs": "doctype",
    "a UTF-16 DOCTYPE": "doctype",
    "malformed sheet XML": "malformed",
    "not a zip": "unreadable",
    "a damaged deflate stream": "unreadable",
}


def counts() -> tuple[int, int, int]:
    return Member.unscoped.count(), Village.unscoped.count(), MemberGroup.unscoped.count()


@pytest.mark.parametrize("name", list(CRAFTED))
def test_the_reader_refuses_a_crafted_file_with_its_reason(name):
    content = CRAFTED[name]()
    assert len(content) < 1_000_000  # small on disk, as the probe's files
    with pytest.raises(xlsx.XlsxRefused) as refused:
        list(xlsx.read_rows(content, xlsx.Limits()))
    assert refused.value.code == CODES[name]
    assert refused.value.message


@pytest.mark.parametrize("name", list(CRAFTED))
def test_the_import_page_answers_a_crafted_file_with_a_message_and_stores_nothing(
    name, login, chair_a, member_a
):
    client = login(chair_a)
    before = counts()
    upload = SimpleUploadedFile("members.xlsx", CRAFTED[name](), content_type=xlsx.CONTENT_TYPE)
    response = client.post(IMPORT_URL, keyed({"file": upload}))
    assert response.status_code == 200
    result = response.context["result"]
    assert result.file_code == CODES[name]
    assert response.context["form"].errors["file"] == [result.file_error]
    assert result.file_error in response.content.decode().replace("&#x27;", "'")
    assert counts() == before


def test_a_well_formed_minimal_workbook_passes_the_checks_and_imports(login, chair_a, coop_a):
    """The crafted files fail for their one fault: the same package with a real row imports."""
    rows = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Sùng Thị Mỷ</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>Mèo Vạc</t></is></c>'
        '<c r="C2" t="inlineStr"><is><t>01/03/2022</t></is></c></row>'
    ).encode()
    content = workbook(sheet(rows))
    assert [number for number, _values in xlsx.read_rows(content, xlsx.Limits())] == [1, 2]
    upload = SimpleUploadedFile("members.xlsx", content, content_type=xlsx.CONTENT_TYPE)
    response = login(chair_a).post(IMPORT_URL, keyed({"file": upload}))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Member.unscoped.values_list("full_name", flat=True)) == ["Sùng Thị Mỷ"]


def test_a_template_filled_and_saved_by_libreoffice_passes_the_checks_and_imports(login, chair_a, coop_a):
    """A real office suite's file (LibreOffice Calc 7.4 wrote its cells to row 1,000, its
    own styles and document properties) is within every limit. The file was made from the
    template of coop_a, two households typed under the example row."""
    content = (Path(__file__).parent / "files" / "members-saved-by-libreoffice.xlsx").read_bytes()
    xlsx.check(content, xlsx.Limits())
    upload = SimpleUploadedFile("members.xlsx", content, content_type=xlsx.CONTENT_TYPE)
    response = login(chair_a).post(IMPORT_URL, keyed({"file": upload}))
    assert response.status_code == 302, response.content.decode()[:3000]
    members = dict(Member.unscoped.values_list("full_name", "notes"))
    assert members == {
        "Sùng Mí Chá": '=HYPERLINK("http://x","y")',
        "Giàng Thị Dợ": "+84 nhắn qua trưởng thôn",
    }


def test_empty_rows_count_towards_the_limit_while_reading(settings):
    """The stream counts every row it is given, empty ones too, and stops at the limit."""
    content = workbook(sheet(b'<row r="40"/>'))
    assert len(list(xlsx.read_rows(content, xlsx.Limits(rows=40)))) == 40
    with pytest.raises(xlsx.XlsxRefused) as refused:
        list(xlsx.read_rows(content, xlsx.Limits(rows=39)))
    assert refused.value.code == "rows"


def test_the_row_count_alone_stops_20_million_empty_rows():
    """Without the size and ratio checks, the streaming count still stops the probe's file
    at the row limit (it does not walk 20 million rows)."""
    content = CRAFTED["20 million empty rows"]()
    loose = xlsx.Limits(unpacked_bytes=1 << 40, ratio=1 << 20)
    with pytest.raises(xlsx.XlsxRefused) as refused:
        list(xlsx.read_rows(content, loose))
    assert refused.value.code == "rows"


def test_elements_of_every_part_count_towards_one_limit():
    """Elements that are not cells (merged ranges, links, formats) are counted too."""
    content = workbook(sheet(b'<row r="2">' + b"<c/>" * 10 + b"</row>" + b"<x/>" * 300))
    xlsx.check(content, xlsx.Limits(elements=400))
    with pytest.raises(xlsx.XlsxRefused) as refused:
        xlsx.check(content, xlsx.Limits(elements=300))
    assert refused.value.code == "elements"


def test_more_households_than_the_setting_are_refused(settings, login, chair_a):
    settings.MAX_IMPORT_ROWS = 2
    rows = b"".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>Hộ {n}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>Mèo Vạc</t></is></c>'
        f'<c r="C{n}" t="inlineStr"><is><t>01/03/2022</t></is></c></row>'.encode()
        for n in range(2, 6)
    )
    upload = SimpleUploadedFile("members.xlsx", workbook(sheet(rows)), content_type=xlsx.CONTENT_TYPE)
    response = login(chair_a).post(IMPORT_URL, keyed({"file": upload}))
    assert response.status_code == 200
    assert response.context["result"].file_code == "data_rows"
    assert Member.unscoped.count() == 0


def test_the_shared_table_reader_of_imports():
    """``lib.xlsx.read_table``, the one reading of an import's table (members, the alliance's
    directory): headers folded (accents, case, a trailing *), the first column of a key,
    blank and example rows skipped, the required headers and the row limit named."""
    book = xlsx.workbook()
    sheet = book.active
    for row in (
        ["TÊN *", "Xã", "ten", "Ghi chú"],
        ["HTX Ví dụ", "Mèo Vạc", "x", ""],
        [None, "", "only in a second name column", "only in an unknown column"],
        ["HTX Lũng Phìn", 12.0, "", ""],
        ["HTX Sủng Là", "Đồng Văn", "", ""],
    ):
        sheet.append(row)
    content = xlsx.save(book)
    options = {
        "header_keys": {"ten": "name", "xa": "commune"},
        "required": {"name": "Name", "commune": "Commune"},
        "is_example": lambda values: values.get("name") == "HTX Ví dụ",
    }
    columns, rows, skipped = xlsx.read_table(content, xlsx.Limits(), max_rows=2, **options)
    assert columns == {0: "name", 1: "commune"} and skipped == 1
    assert rows == [
        (4, {"name": "HTX Lũng Phìn", "commune": 12.0}),
        (5, {"name": "HTX Sủng Là", "commune": "Đồng Văn"}),
    ]
    assert xlsx.cell_text(rows[0][1]["commune"]) == "12"
    with pytest.raises(xlsx.XlsxRefused) as too_many:
        xlsx.read_table(content, xlsx.Limits(), max_rows=1, **options)
    assert too_many.value.code == "data_rows"
    with pytest.raises(xlsx.XlsxRefused) as missing:
        xlsx.read_table(content, xlsx.Limits(), max_rows=9, **{**options, "required": {"phone": "Phone"}})
    assert missing.value.code == "headers" and "Phone" in missing.value.message

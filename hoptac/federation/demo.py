"""The demo's directory of the province: the alliance's Excel list imported through the same
check, stage and apply as an officer's upload. It names the demo's five cooperatives (linked
to them by name and commune) and cooperatives and groups that do not use the platform yet,
so the overview shows the whole province. Idempotent: a province with a directory is left as
it is."""

from __future__ import annotations

from hoptac.federation import directory, services
from hoptac.federation.models import DirectoryEntry
from hoptac.lib import xlsx
from hoptac.lib.places import TUYEN_QUANG

HEADERS = (
    "STT",
    "Tên HTX",
    "Loại hình",
    "Mã số thuế",
    "Xã/phường",
    "Ngành nghề",
    "Chủ tịch",
    "Điện thoại",
    "Số thành viên",
    "Năm thành lập",
    "Sản phẩm OCOP",
)

# Names, people and numbers made up for the demo; the communes are real (after the 2025 reform).
ROWS = (
    (
        "HTX Nông lâm nghiệp và Dịch vụ thương mại tổng hợp Po Mỷ",
        "HTX",
        "",
        "Đồng Văn",
        "Chè, Mật ong",
        "",
        "",
        42,
        2017,
        "Mật ong bạc hà (4 sao)",
    ),
    ("HTX Tuấn Dũng", "HTX", "", "Mèo Vạc", "Mật ong", "", "", 35, 2016, "Mật ong bạc hà (3 sao)"),
    (
        "HTX Chè Shan tuyết Tây Côn Lĩnh",
        "HTX",
        "",
        "Cao Bồ",
        "Chè",
        "",
        "",
        28,
        2015,
        "Chè Shan tuyết (4 sao)",
    ),
    ("HTX Chè Shan tuyết Thượng Sơn", "HTX", "", "Thượng Sơn", "Chè", "", "", 20, 2018, ""),
    ("HTX Chè Phìn Hồ", "HTX", "", "Thông Nguyên", "Chè", "", "", 31, 2012, "Chè Phìn Hồ (4 sao)"),
    (
        "HTX Chè Shan tuyết Lũng Phìn",
        "HTX",
        "5100900101",
        "Lũng Phìn",
        "Chè",
        "Sùng Mí Chá",
        "0912900101",
        32,
        2016,
        "Chè Shan tuyết Lũng Phìn (3 sao)",
    ),
    (
        "HTX Mận tam hoa Sà Phìn",
        "HTX",
        "5100900102",
        "Sà Phìn",
        "Cây ăn quả",
        "Vừ Mí Sính",
        "0912900102",
        24,
        2019,
        "",
    ),
    (
        "Tổ hợp tác dệt thổ cẩm Lũng Cú",
        "THT",
        "",
        "Lũng Cú",
        "Thổ cẩm",
        "Vàng Thị Mai",
        "0912900103",
        15,
        2020,
        "",
    ),
    (
        "HTX Gạo Séng Cù Xín Mần",
        "HTX",
        "5100900104",
        "Xín Mần",
        "Lúa gạo",
        "Hoàng Văn Páo",
        "0912900104",
        56,
        2014,
        "Gạo Séng Cù (3 sao)",
    ),
    (
        "HTX Chè Hoàng Su Phì",
        "HTX",
        "5100900105",
        "Hoàng Su Phì",
        "Chè",
        "Lý Văn Chản",
        "0912900105",
        48,
        2011,
        "Chè Shan tuyết (4 sao)",
    ),
    (
        "HTX Cam sành Bắc Mê",
        "HTX",
        "5100900106",
        "Bắc Mê",
        "Cây ăn quả",
        "Ma Văn Thành",
        "0912900106",
        40,
        2015,
        "",
    ),
    (
        "HTX Dược liệu Quản Bạ",
        "HTX",
        "5100900107",
        "Quản Bạ",
        "Dược liệu",
        "Lù Thị Dín",
        "0912900107",
        22,
        2018,
        "Tam thất (3 sao)",
    ),
    (
        "Tổ hợp tác nuôi ong Yên Minh",
        "THT",
        "",
        "Yên Minh",
        "Mật ong",
        "Giàng Mí Chơ",
        "0912900108",
        12,
        2021,
        "",
    ),
    (
        "HTX Bò vàng Tùng Vài",
        "HTX",
        "5100900109",
        "Tùng Vài",
        "Chăn nuôi",
        "Sùng Sính Lừ",
        "0912900109",
        18,
        2017,
        "",
    ),
    (
        "HTX Du lịch cộng đồng Nấm Dẩn",
        "HTX",
        "5100900110",
        "Nấm Dẩn",
        "Du lịch cộng đồng",
        "Hoàng Văn Lâm",
        "0912900110",
        14,
        2021,
        "",
    ),
    ("Tổ hợp tác chè Vị Xuyên", "THT", "", "Vị Xuyên", "Chè", "Nguyễn Thị Hoa", "0912900111", 9, 2022, ""),
    (
        "HTX Hồng không hạt Bạch Đích",
        "HTX",
        "5100900112",
        "Bạch Đích",
        "Cây ăn quả",
        "Ly Mí Sử",
        "0912900112",
        None,
        2019,
        "",
    ),
    (
        "HTX Nông nghiệp Lao Chải",
        "HTX",
        "5100900113",
        "Lao Chải",
        "Lúa gạo, Dược liệu",
        "Phàn Văn Lở",
        "0912900113",
        26,
        2016,
        "",
    ),
)


def _workbook() -> bytes:
    """The list as an alliance's staff would type it, through the one writer (text as text)."""
    book = xlsx.workbook()
    sheet = book.active
    sheet.title = "Danh sách HTX"
    for column, header in enumerate(HEADERS, start=1):
        xlsx.put(sheet, 1, column, header)
    for number, row in enumerate(ROWS, start=1):
        for column, value in enumerate((number, *row), start=1):
            if value not in (None, ""):
                xlsx.put(sheet, number + 1, column, value)
    return xlsx.save(book)


def load_demo(stdout=None) -> dict:
    if DirectoryEntry.objects.filter(province_code=TUYEN_QUANG).exists():
        return {"entries": 0}
    checked = directory.check_file(content=_workbook(), province_code=TUYEN_QUANG)
    if checked.file_error or checked.errors:  # the demo's own file: a bug if it is refused
        raise RuntimeError(f"the demo directory was refused: {checked.file_error or checked.errors}")
    staged = services.directory_import_stage(
        province_code=TUYEN_QUANG, rows=checked.rows, file_name="danh-ba-htx-demo.xlsx", actor=None
    )
    choices = {row["row"]: "new" for row in checked.rows if row["action"] == "doubt"}
    applied = services.directory_import_apply(staged=staged, choices=choices, actor=None)
    services.directory_add_platform(province_code=TUYEN_QUANG, actor=None)
    if stdout is not None:
        stdout.write(f"Directory: {applied.created} entries, {applied.linked} linked to the platform.\n")
    return {"entries": applied.created}

"""Reading an ethnicity typed by a person: the official 54 names, old and common names,
English names, with or without accents, hyphens or apostrophes, in any case.

``"Mèo"``, ``"meo"``, ``"H'Mông"``, ``"Hmong"`` and ``"MÔNG"`` all give ``hmong``. A name
that is not on the list, or one that old usage gives to several peoples (``"Xá"``), is
not guessed: :func:`ethnicity_find` returns ``None`` and the import names the row.
"""

from __future__ import annotations

import re

from django.utils import translation

from hoptac.coops.models import Ethnicity
from hoptac.lib.text import fold

_NOT_LETTERS = re.compile(r"[^a-z0-9]")

# Other names → the official one. Sources: the list of 54 peoples (1979) with the local
# names it groups. A name that two peoples share (Trại, Mun Di, Xá Khao, Ca Tang…) is left out.
ALIASES: dict[str, list[str]] = {
    Ethnicity.HMONG: ["Mèo", "Mông", "Hmông", "H'mong", "Hmong", "Miao", "Mẹo"],
    Ethnicity.DAO: [
        "Mán",
        "Động",
        "Dìu Miền",
        "Kim Mì",
        "Lù Gang",
        "Làn Tẻn",
        "Đại Bản",
        "Tiểu Bản",
        "Cóc Ngáng",
        "Cóc Mùn",
        "Sơn Đầu",
        "Yao",
        "Mien",
        "Dao Đỏ",
        "Dao Tiền",
        "Dao Quần Chẹt",
        "Dao Áo Dài",
        "Dao Thanh Y",
        "Dao Quần Trắng",
        "Dao Lô Gang",
    ],
    Ethnicity.TAY: ["Ngạn", "Phén", "Thù Lao", "Pa Dí", "Tay"],
    Ethnicity.NUNG: [
        "Xuồng",
        "Giang",
        "Nùng An",
        "Phàn Sinh",
        "Nùng Cháo",
        "Nùng Lòi",
        "Quý Rim",
        "Khèn Lài",
        "Nung",
    ],
    Ethnicity.GIAY: ["Nhắng", "Dẩng", "Pầu Thìn Nu Nà", "Cùi Chu", "Giay", "Bouyei Giay"],
    Ethnicity.LOLO: ["Lolo", "Lô-lô"],
    Ethnicity.PUPEO: ["Ka Pèo", "Pen Ti Lô Lô", "Qabiao"],
    Ethnicity.PATHEN: ["Pà Hưng", "Tống", "Pa Then", "Pa Hng"],
    Ethnicity.BOY: ["Chủng Chá", "Trọng Gia", "Tu Dí", "Tu Din", "Bouyei", "Bo Y"],
    Ethnicity.LACHI: ["Cù Tê", "La Quả", "Lachi"],
    Ethnicity.COLAO: ["Cơ Lao", "Tứ Đư", "Ho Ki", "Voa Đề", "Gelao", "Co Lao"],
    Ethnicity.PHULA: ["Bồ Khô Pạ", "Mu Di", "Pạ Xá", "Phó", "Phổ", "Va Xơ", "Phula"],
    Ethnicity.SANCHAY: ["Cao Lan", "Sán Chỉ", "Cao Lan - Sán Chỉ", "Mán Cao Lan", "Hờn Bạn"],
    Ethnicity.KINH: ["Việt", "Người Kinh", "Vietnamese", "Viet"],
    Ethnicity.THAI: ["Tày Thanh", "Man Thanh", "Tày Mường", "Pa Thay", "Thổ Đà Bắc", "Tai"],
    Ethnicity.MUONG: ["Mol", "Mual", "Mọi Bi", "Ao Tá", "Ậu Tá", "Muong"],
    Ethnicity.HOA: ["Hán", "Triều Châu", "Phúc Kiến", "Quảng Đông", "Hải Nam", "Xạ Phạng", "Chinese"],
    Ethnicity.SANDIU: ["Sán Déo", "Trại Đất", "Mán Quần Cộc", "San Diu"],
    Ethnicity.NGAI: ["Xín", "Đản", "Khách Gia", "Hẹ"],
    Ethnicity.HANHI: ["U Ni", "Xá U Ni", "Hà Nhì Già", "Hani"],
    Ethnicity.LAHU: ["Pu Đang", "Khù Xung", "Cò Xung", "Khả Quy", "Lahu"],
    Ethnicity.LU: ["Lừ", "Nhuồn Duôn"],
    Ethnicity.CONG: ["Xắm Khống", "Mấng Nhé", "Xá Xeng"],
    Ethnicity.SILA: ["Cù Dề Xừ", "Khả Pẻ", "Sila"],
    Ethnicity.MANG: ["Mảng Ư", "Xá Lá Vàng"],
    Ethnicity.KHANG: ["Xá Khao", "Xá Súa", "Xá Dón", "Xá Dẩng", "Xá Hốc", "Xá Ái", "Xá Bung", "Quảng Lâm"],
    Ethnicity.KHOMU: ["Xá Cẩu", "Mứn Xen", "Pu Thênh", "Tềnh", "Tày Hay", "Khmu", "Kho Mu"],
    Ethnicity.XINHMUN: ["Puộc", "Pụa", "Xá Puộc"],
    Ethnicity.LAHA: ["Khlá Phlạo"],
    Ethnicity.LAO: ["Lào Bốc", "Lào Nọi", "Lao"],
    Ethnicity.THO: ["Kẹo", "Mọn", "Cuối", "Đan Lai", "Ly Hà", "Tày Pọng"],
    Ethnicity.ODU: ["Tày Hạt"],
    Ethnicity.CHUT: ["Rục", "Sách", "A Rem", "Mã Liềng"],
    Ethnicity.KHMER: ["Khơ Me", "Khơ-me", "Cur", "Cul", "Thổ Khmer"],
    Ethnicity.CHAM: ["Chàm", "Chiêm Thành", "Hroi"],
    Ethnicity.GIARAI: ["Giơ Rai", "Chơ Rai", "Tơ Buăn", "Hơ Bau", "Hdrung", "Jarai"],
    Ethnicity.EDE: ["Ra Đê", "Đê", "Kpạ", "A Đham", "Krung", "Ktul", "Đliê Ruê", "Blô", "Rhade"],
    Ethnicity.BANA: ["Gơ Lar", "Tơ Lô", "Giơ Lâng", "Rơ Ngao", "Krem", "Roh", "Con Kde", "Bahnar"],
    Ethnicity.XODANG: ["Xơ Teng", "Hđang", "Tơ Đra", "Mơ Nâm", "Ha Lăng", "Ca Dong", "Sedang"],
    Ethnicity.COHO: ["Xrê", "Nốp", "Cơ Don", "Chil", "Lát", "Tơ Ring", "Koho"],
    Ethnicity.HRE: ["Chăm Rê", "Chom", "Krẹ Lũy"],
    Ethnicity.MNONG: ["Pnông", "Nông", "Pré", "Bu Đâng", "Đi Pri", "Biat", "Gar", "Rơ Lam", "Chil Mnông"],
    Ethnicity.RAGLAI: ["Ra Clây", "Noang", "La Oang", "Raglai"],
    Ethnicity.XTIENG: ["Xa Điêng", "Stieng"],
    Ethnicity.BRUVANKIEU: ["Bru", "Vân Kiều", "Măng Coong", "Trì", "Khùa"],
    Ethnicity.COTU: ["Ca Tu", "Katu"],
    Ethnicity.GIETRIENG: [
        "Gié Triêng",
        "Đgiéh",
        "Tareb",
        "Giang Rẫy Pin",
        "Triêng",
        "Treng",
        "Ta Riêng",
        "Ve",
        "Veh",
        "La Ve",
    ],
    Ethnicity.MA: ["Châu Mạ", "Mạ Ngăn", "Mạ Xóp", "Mạ Tô", "Mạ Krung"],
    Ethnicity.CO: ["Cor", "Col", "Cùa", "Trầu"],
    Ethnicity.TAOI: ["Tôi Ôi", "Pa Co", "Pa Hy", "Ba Hi", "Ta Oi"],
    Ethnicity.CHORO: ["Dơ Ro", "Châu Ro", "Chơ-ro"],
    Ethnicity.CHURU: ["Chơ Ru", "Chu"],
    Ethnicity.BRAU: ["Brao"],
    Ethnicity.ROMAM: ["Rơ-măm"],
    Ethnicity.OTHER: ["Khác", "Dân tộc khác", "Nước ngoài", "Foreign", "Other"],
}

# Old names that several peoples shared: the row is named with the candidates instead.
AMBIGUOUS: dict[str, list[str]] = {
    "Xá": [Ethnicity.KHANG, Ethnicity.KHOMU, Ethnicity.XINHMUN, Ethnicity.MANG, Ethnicity.CONG],
    "Trại": [Ethnicity.DAO, Ethnicity.SANDIU],
    "Mun Di": [Ethnicity.LOLO, Ethnicity.LU],
}


def ethnicity_key(text: str) -> str:
    """Folded and with every non-letter removed: ``"H'Mông"``, ``"hmong"``, ``"H MONG"`` → ``"hmong"``."""
    return _NOT_LETTERS.sub("", fold(text))


def _build() -> dict[str, str]:
    index: dict[str, str] = {}

    def add(name: str, value: str) -> None:
        key = ethnicity_key(name)
        if not key:
            return
        if index.setdefault(key, value) != value:
            raise ValueError(f"ethnicity name {name!r} points at {index[key]} and {value}")

    # Official names first: they win over nothing, and an alias that equals another
    # people's official name is a mistake in the table above (raised at import).
    for value, label in Ethnicity.choices:
        add(value, value)
        for language in ("vi", "en"):
            with translation.override(language):
                add(str(label), value)
    for value, names in ALIASES.items():
        for name in names:
            add(name, str(value))
    return index


_INDEX: dict[str, str] | None = None


def ethnicity_find(text: str) -> str | None:
    """The stored value of the ethnicity a person typed, or ``None`` when unknown or ambiguous."""
    global _INDEX
    if _INDEX is None:
        _INDEX = _build()
    return _INDEX.get(ethnicity_key(text))


def ethnicity_candidates(text: str) -> list[str]:
    """For an old name several peoples shared (``"Xá"``): their stored values, else ``[]``."""
    key = ethnicity_key(text)
    for name, values in AMBIGUOUS.items():
        if ethnicity_key(name) == key:
            return [str(v) for v in values]
    return []

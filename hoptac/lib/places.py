"""Administrative units after the 2025 reform (province → commune/ward), offline.

Backed by ``vietnam-provinces``. We store integer codes and look names up here.
"""

from __future__ import annotations

from functools import lru_cache

from vietnam_provinces import Province, Ward

from hoptac.lib.text import fold

TUYEN_QUANG = 8  # Hà Giang merged into Tuyên Quang on 1 July 2025.


@lru_cache(maxsize=64)
def province_name(code: int | None) -> str:
    if not code:
        return ""
    try:
        return Province.from_code(code).name
    except (ValueError, KeyError):
        return ""


@lru_cache(maxsize=4096)
def commune(code: int | None):
    if not code:
        return None
    try:
        return Ward.from_code(code)
    except (ValueError, KeyError):
        return None


def commune_name(code: int | None) -> str:
    ward = commune(code)
    return ward.name if ward else ""


def commune_province(code: int | None) -> int | None:
    ward = commune(code)
    return int(ward.province_code) if ward else None


@lru_cache(maxsize=64)
def commune_choices(province_code: int) -> tuple[tuple[int, str], ...]:
    wards = Ward.iter_by_province(province_code)
    return tuple(sorted(((int(w.code), w.name) for w in wards), key=lambda c: fold(c[1])))


@lru_cache(maxsize=1)
def province_choices() -> tuple[tuple[int, str], ...]:
    return tuple(sorted(((int(p.code), p.name) for p in Province.iter_all()), key=lambda c: fold(c[1])))


def find_commune(text: str | int, province_code: int | None = None) -> int | None:
    """Resolve a commune from a code or a name typed by a person.

    ``"Mèo Vạc"``, ``"xa meo vac"``, ``"Xã Mèo Vạc"`` and ``769`` all find the same ward.
    With a province, names are looked up in that province only. Returns ``None`` if no
    commune or more than one matches.
    """
    raw = str(text).strip()
    if raw.isdigit():
        ward = commune(int(raw))
        if ward and (province_code is None or int(ward.province_code) == province_code):
            return int(ward.code)
        return None
    key = fold(raw)
    for prefix in ("xa ", "phuong ", "dac khu "):
        if key.startswith(prefix):
            key = key[len(prefix) :]
            break
    provinces = [province_code] if province_code else [code for code, _ in province_choices()]
    matches = []
    for pcode in provinces:
        for code, name in commune_choices(pcode):
            bare = fold(name)
            for prefix in ("xa ", "phuong ", "dac khu "):
                if bare.startswith(prefix):
                    bare = bare[len(prefix) :]
                    break
            if bare == key:
                matches.append(code)
    return matches[0] if len(matches) == 1 else None


# The northern provinces after the 2025 merger: the regions "Trung du và miền núi phía Bắc"
# and "Đồng bằng sông Hồng" of the General Statistics Office, i.e. the 15 units with a code
# up to 37. Thanh Hóa (38) and further south are "Bắc Trung Bộ", not the north for shipping.
# Listed by name so that a change in the package shows up in tests/test_delivery_lib.py.
_NORTHERN_NAMES = (
    "Hà Nội",
    "Hải Phòng",
    "Tuyên Quang",
    "Lào Cai",
    "Thái Nguyên",
    "Phú Thọ",
    "Bắc Ninh",
    "Hưng Yên",
    "Ninh Bình",
    "Quảng Ninh",
    "Cao Bằng",
    "Lạng Sơn",
    "Lai Châu",
    "Điện Biên",
    "Sơn La",
)


@lru_cache(maxsize=1)
def northern_province_codes() -> frozenset[int]:
    """Codes of the 15 northern provinces and cities (post-2025 units)."""
    by_name = {}
    for province in Province.iter_all():
        name = province.name.removeprefix("Thành phố ").strip()
        by_name[name] = int(province.code)
    return frozenset(by_name[name] for name in _NORTHERN_NAMES)


def is_province(code: int | None) -> bool:
    """Whether ``code`` is a province or city of the post-2025 units."""
    return bool(code) and bool(province_name(code))

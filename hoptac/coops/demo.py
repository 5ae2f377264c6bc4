"""The Hà Giang demo: the cooperatives of the seed article, with realistic households.

Idempotent: running it again changes nothing that is already there. Names are made from
the surnames and given names of the region's peoples with a fixed random seed, so every
machine gets the same demo. Communes are real post-2025 wards of Tuyên Quang (code 8).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from hoptac.accounts.models import User
from hoptac.accounts.services import alliance_officer_set, membership_set, user_create
from hoptac.coops import services
from hoptac.coops.models import Cooperative, CoopKind, GroupKind, Member, MemberGroup
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.lib.places import TUYEN_QUANG
from hoptac.lib.text import fold

DEMO_PASSWORD = "demo1234"  # noqa: S105 - published demo password, README says so

# Wards of Tuyên Quang after 1 July 2025 (vietnam-provinces codes).
DONG_VAN, MEO_VAC, SUNG_MANG, SON_VI = 721, 769, 787, 778
CAO_BO, THUONG_SON, THONG_NGUYEN, HOANG_SU_PHI = 952, 958, 1090, 1021

NAMES = {
    "hmong": (
        ["Vàng", "Giàng", "Sùng", "Lầu", "Mua", "Thào", "Ly", "Hầu", "Lù", "Sình", "Vừ", "Cử"],
        [
            "A Páo",
            "Mí Sính",
            "Seo Chứ",
            "Chúng Sính",
            "Mí Dình",
            "Văn Chơ",
            "A Lử",
            "Mí Chá",
            "Sính Pó",
            "Chẩu Dơ",
            "Mí Lử",
            "Vần Dình",
            "Seo Pó",
            "Mí Già",
        ],
        [
            "Thị Mỷ",
            "Thị Dế",
            "Thị Pà",
            "Thị Chía",
            "Thị Sấu",
            "Thị Súa",
            "Thị Mai",
            "Thị Dua",
            "Thị Xí",
            "Thị Pằng",
        ],
    ),
    "dao": (
        ["Triệu", "Bàn", "Đặng", "Lý", "Phùng", "Chảo", "Trần"],
        [
            "Văn Phin",
            "Tiến Xuân",
            "Văn Tòng",
            "Kim Sơn",
            "Văn Chàn",
            "Quý Vinh",
            "Văn Lìn",
            "Seo Quẩy",
            "Văn Sử",
        ],
        ["Thị Mây", "Thị Hoa", "Thị Nhất", "Mùi Lìn", "Thị Phẩy", "Thị Kiều", "Thị Xuân", "Thị Hương"],
    ),
    "tay": (
        ["Nguyễn", "Hoàng", "Nông", "Ma", "Lương", "Vi", "Hà"],
        ["Văn Tuấn", "Văn Dũng", "Đức Hùng", "Văn Thắng", "Ngọc Sơn", "Văn Hải"],
        ["Thị Lan", "Thị Hằng", "Thị Thu", "Thị Nga", "Thị Huệ"],
    ),
    "lolo": (
        ["Lò", "Sân", "Lù", "Vàng"],
        ["Văn Pó", "Văn Sính", "Mí Pà", "Văn Chớ"],
        ["Thị Chúa", "Thị Xía", "Thị Dỉ"],
    ),
    "nung": (
        ["Hoàng", "Nông", "Lục", "Vương"],
        ["Văn Chung", "Văn Tiến", "Seo Hồ", "Văn Hòa"],
        ["Thị Dân", "Thị Mến", "Thị Thơ"],
    ),
    "giay": (
        ["Sền", "Lù", "Hoàng"],
        ["Văn Pú", "Văn Thành"],
        ["Thị Lìn", "Thị Hoa"],
    ),
}
MOBILE_PREFIXES = [
    "086",
    "096",
    "097",
    "098",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "081",
    "083",
    "084",
    "085",
    "088",
    "091",
    "094",
    "070",
    "076",
    "077",
    "079",
]


@dataclass(frozen=True)
class DemoCoop:
    slug: str
    name: str
    kind: str
    commune: int
    village: str
    sectors: list[str]
    founded: dt.date
    tax_code: str
    phone: str
    description: str
    households: int
    peoples: list[tuple[str, int]]  # ethnicity, weight
    villages: list[tuple[str, int]]  # village name, commune code
    groups: list[tuple[str, str]]  # name, kind


COOPS = [
    DemoCoop(
        slug="po-my",
        name="HTX Nông lâm nghiệp và Dịch vụ thương mại tổng hợp Po Mỷ",
        kind=CoopKind.HTX,
        commune=DONG_VAN,
        village="Thôn Phố Trồ",
        sectors=["trade", "processing", "handicraft"],
        founded=dt.date(2017, 4, 12),
        tax_code="5100456789",
        phone="0219 3856 123",
        description=(
            "Đưa nông đặc sản Hà Giang đi khắp nơi qua sàn thương mại điện tử, livestream và mạng xã hội; "
            "doanh thu khoảng 2 tỷ đồng mỗi năm. Tạo việc làm ổn định cho hàng chục lao động người dân tộc thiểu số."
        ),
        households=36,
        peoples=[("hmong", 6), ("lolo", 2), ("tay", 1)],
        villages=[
            ("Thôn Phố Trồ", DONG_VAN),
            ("Thôn Má Lé", DONG_VAN),
            ("Thôn Sảng Pả", DONG_VAN),
            ("Thôn Lũng Hòa", DONG_VAN),
        ],
        groups=[("Tổ thêu dệt thổ cẩm", GroupKind.PRODUCT), ("Tổ bán hàng trực tuyến", GroupKind.MANUAL)],
    ),
    DemoCoop(
        slug="tuan-dung",
        name="HTX Tuấn Dũng",
        kind=CoopKind.HTX,
        commune=MEO_VAC,
        village="Thôn Pả Vi Hạ",
        sectors=["honey"],
        founded=dt.date(2016, 9, 5),
        tax_code="5100398741",
        phone="0219 3871 456",
        description=(
            "Nuôi ong lấy mật hoa bạc hà ở Mèo Vạc. HTX liên kết hơn 100 hộ nuôi trên 2.200 đàn ong, "
            "bao tiêu toàn bộ mật ong bạc hà của thành viên, điều phối qua nhóm Zalo."
        ),
        households=102,
        peoples=[("hmong", 9), ("lolo", 1), ("giay", 1)],
        villages=[
            ("Thôn Pả Vi Thượng", MEO_VAC),
            ("Thôn Pả Vi Hạ", MEO_VAC),
            ("Thôn Tả Lủng", MEO_VAC),
            ("Thôn Sán Tớ", MEO_VAC),
            ("Thôn Chúng Trải", MEO_VAC),
            ("Thôn Sủng Trà", SUNG_MANG),
            ("Thôn Khâu Vai", SON_VI),
        ],
        groups=[
            ("Tổ nuôi ong Pả Vi", GroupKind.VILLAGE),
            ("Mật ong bạc hà", GroupKind.PRODUCT),
            ("Tổ nuôi ong Sủng Trà", GroupKind.VILLAGE),
        ],
    ),
    DemoCoop(
        slug="tay-con-linh",
        name="HTX Chè Shan tuyết Tây Côn Lĩnh",
        kind=CoopKind.HTX,
        commune=CAO_BO,
        village="Thôn Tham Vè",
        sectors=["tea", "processing"],
        founded=dt.date(2015, 3, 20),
        tax_code="5100341258",
        phone="0219 3825 789",
        description=(
            "Vùng nguyên liệu trên 300 ha, 100% chè Shan tuyết cổ thụ; sản xuất hàng chục tấn chè khô mỗi năm, "
            "bán cho cửa hàng bán lẻ và khách hàng qua mạng xã hội và sàn thương mại điện tử."
        ),
        households=48,
        peoples=[("dao", 8), ("tay", 2)],
        villages=[
            ("Thôn Tham Vè", CAO_BO),
            ("Thôn Khuổi Vài", CAO_BO),
            ("Thôn Lùng Lạn", CAO_BO),
            ("Thôn Cao Bồ", CAO_BO),
        ],
        groups=[("Tổ hái chè Tham Vè", GroupKind.VILLAGE), ("Chè Shan tuyết", GroupKind.PRODUCT)],
    ),
    DemoCoop(
        slug="thuong-son",
        name="HTX Chè Shan tuyết Thượng Sơn",
        kind=CoopKind.HTX,
        commune=THUONG_SON,
        village="Thôn Bản Mán",
        sectors=["tea"],
        founded=dt.date(2018, 6, 1),
        tax_code="5100512347",
        phone="0219 3830 246",
        description="Chè Shan tuyết; bán chủ yếu ở chợ phiên và cửa hàng địa phương, bán hàng trực tuyến còn ít.",
        households=30,
        peoples=[("dao", 5), ("tay", 3), ("nung", 1)],
        villages=[("Thôn Bản Mán", THUONG_SON), ("Thôn Lùng Vài", THUONG_SON), ("Thôn Nặm Ngặt", THUONG_SON)],
        groups=[("Tổ chè Bản Mán", GroupKind.VILLAGE)],
    ),
    DemoCoop(
        slug="phin-ho",
        name="HTX Chè Phìn Hồ",
        kind=CoopKind.HTX,
        commune=THONG_NGUYEN,
        village="Thôn Phìn Hồ",
        sectors=["tea", "processing"],
        founded=dt.date(2016, 11, 15),
        tax_code="5100423691",
        phone="0219 3817 555",
        description=(
            "Chè xanh và hồng trà \u201cBà cụ\u201d đạt OCOP 5 sao, hộp 100 g; 140 ha vùng nguyên liệu hữu cơ "
            "ở Thông Nguyên, Hoàng Su Phì."
        ),
        households=42,
        peoples=[("dao", 6), ("nung", 2), ("tay", 1)],
        villages=[
            ("Thôn Phìn Hồ", THONG_NGUYEN),
            ("Thôn Nậm Khòa", THONG_NGUYEN),
            ("Thôn Tân Hòa", THONG_NGUYEN),
            ("Thôn Cao Sơn", HOANG_SU_PHI),
        ],
        groups=[("Tổ chè hữu cơ Phìn Hồ", GroupKind.PRODUCT)],
    ),
]

# (phone, full name, role, cooperative slug or None)
ACCOUNTS = [
    ("0900000000", "Quản trị nền tảng", "admin", None),
    ("0911000001", "Vàng Mí Dình", Role.CHAIR, "tuan-dung"),
    ("0911000002", "Hoàng Thị Thu", Role.ACCOUNTANT, "tuan-dung"),
    ("0911000003", "Sùng Seo Chứ", Role.COLLECTOR, "tuan-dung"),
    ("0912000001", "Triệu Văn Phin", Role.CHAIR, "tay-con-linh"),
    ("0913000001", "Lò Văn Pó", Role.CHAIR, "po-my"),
    ("0914000001", "Bàn Văn Sử", Role.CHAIR, "thuong-son"),
    ("0915000001", "Lý Seo Quẩy", Role.CHAIR, "phin-ho"),
    ("0919000001", "Nguyễn Thị Lan", "alliance", None),
]


def _pick_weighted(rng: random.Random, options: list[tuple[str, int]]) -> str:
    return rng.choices([o for o, _w in options], weights=[w for _o, w in options])[0]


def _household(rng: random.Random, coop: DemoCoop, used: set[str]):
    people = _pick_weighted(rng, coop.peoples)
    surnames, male, female = NAMES[people]
    while True:
        gender = rng.choice(["male", "male", "female"])
        given = rng.choice(male if gender == "male" else female)
        name = f"{rng.choice(surnames)} {given}"
        year = rng.randint(1962, 2000)
        if f"{name}-{year}" not in used:
            used.add(f"{name}-{year}")
            break
    village, commune = rng.choice(coop.villages)
    phone = None
    if rng.random() < 0.75:
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"
    bank_bin = bank_account = ""
    if rng.random() < 0.45:
        bank_bin, bank_account = "970405", f"{rng.randint(8800, 8899)}{rng.randint(0, 999_999_999):09d}"
    joined = coop.founded + dt.timedelta(days=rng.randint(0, (dt.date(2025, 6, 30) - coop.founded).days))
    return services.MemberInput(
        full_name=name,
        gender=gender,
        ethnicity=people,
        birth_year=year,
        phone=phone,
        commune_code=commune,
        village_name=village,
        member_type="official" if rng.random() < 0.85 else "associate",
        joined_on=joined,
        capital_vnd=rng.randrange(2_000_000, 20_000_001, 500_000),
        bank_bin=bank_bin,
        bank_account=bank_account,
    )


def _cooperative(spec: DemoCoop) -> Cooperative:
    coop, _created = Cooperative.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "kind": spec.kind,
            "province_code": TUYEN_QUANG,
            "commune_code": spec.commune,
            "village": spec.village,
            "sectors": spec.sectors,
            "founded_on": spec.founded,
            "tax_code": spec.tax_code,
            "phone": spec.phone.replace(" ", ""),
            "description": spec.description,
        },
    )
    return coop


def _members(spec: DemoCoop, coop: Cooperative) -> int:
    rng = random.Random(f"hoptac-demo-{spec.slug}")  # noqa: S311 - demo data, not security
    used: set[str] = set()
    created = 0
    with tenant(coop):
        groups = {}
        for name, kind in spec.groups:
            groups[name] = MemberGroup.objects.get_or_create(
                cooperative=coop, name=name, defaults={"kind": kind}
            )[0]
        existing = {(fold(m.full_name), m.birth_year) for m in Member.objects.only("full_name", "birth_year")}
        phones = set(Member.objects.exclude(phone=None).values_list("phone", flat=True))
        for index in range(spec.households):
            data = _household(rng, spec, used)
            if data.phone in phones:
                data.phone = None
            if (fold(data.full_name), data.birth_year) in existing:
                continue
            data.group_ids = [
                g.pk
                for name, g in groups.items()
                if (g.kind == GroupKind.PRODUCT) or fold(name).split()[-1] in fold(data.village_name)
            ]
            member = services.member_create(data=data)
            created += 1
            if data.phone:
                phones.add(data.phone)
            if index % 17 == 16:  # a few households have left, with a reason
                services.member_leave(
                    member=member, left_on=dt.date(2025, 8, 1), reason="Chuyển đi làm ăn xa"
                )
    return created


@transaction.atomic
def load_demo(stdout=None) -> dict[str, int]:
    """Create what is missing of the demo; return how many members each cooperative got."""
    say = stdout.write if stdout else (lambda _text: None)
    counts = {}
    coops = {}
    for spec in COOPS:
        coop = _cooperative(spec)
        coops[spec.slug] = coop
        counts[spec.slug] = _members(spec, coop)
        say(f"{spec.slug}: +{counts[spec.slug]} members")
    for phone, name, role, slug in ACCOUNTS:
        user = User.objects.filter(phone=phone).first()
        if user is None:
            user = user_create(
                phone=phone, password=DEMO_PASSWORD, full_name=name, is_superuser=(role == "admin")
            )
        if role == "alliance":
            alliance_officer_set(user=user, province_code=TUYEN_QUANG)
        elif slug:
            membership_set(user=user, cooperative=coops[slug], role=role)
    return counts

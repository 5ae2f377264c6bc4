"""Demo catalogue: what the demo cooperatives sell, with OCOP and other certificates
(one of them expired, as happens in real life). Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hoptac.catalog.models import Certificate, Product, add_months
from hoptac.coops.models import Cooperative
from hoptac.core.tenancy import tenant

# GTINs with Vietnam's GS1 prefix 893 and a valid check digit (demo numbers).
PRODUCTS = {
    "tuan-dung": [
        {
            "code": "MAT",
            "name": "Mật ong bạc hà",
            "name_en": "Mint-flower honey",
            "base_unit": "l",
            "sale_unit": "hũ",
            "pack_size": Decimal(500),
            "pack_unit": "ml",
            "gtin": "8938605123010",
            "story": "Mật ong từ hoa bạc hà nở trắng sườn núi đá Mèo Vạc mỗi mùa đông. Hơn 100 hộ "
            "người H'Mông nuôi ong nội, quay mật bằng tay, HTX Tuấn Dũng bao tiêu toàn bộ.",
        },
    ],
    "tay-con-linh": [
        {
            "code": "CHEK",
            "name": "Chè Shan tuyết Tây Côn Lĩnh",
            "name_en": "Tây Côn Lĩnh Shan tuyết green tea",
            "base_unit": "kg",
            "sale_unit": "gói",
            "pack_size": Decimal(200),
            "pack_unit": "g",
            "gtin": "8938605123027",
            "story": "Búp chè từ những cây chè Shan tuyết cổ thụ trên dãy Tây Côn Lĩnh, hái tay, sao khô trong ngày.",
        },
    ],
    "phin-ho": [
        {"code": "CHE", "name": "Chè búp tươi", "name_en": "Fresh tea buds", "base_unit": "kg"},
        {
            "code": "HTBC",
            "name": "Hồng trà Bà cụ",
            "name_en": "“Bà cụ” black tea",
            "base_unit": "kg",
            "sale_unit": "hộp",
            "pack_size": Decimal(100),
            "pack_unit": "g",
            "gtin": "8938605123034",
            "story": "Hồng trà lên men tự nhiên từ chè Shan tuyết hữu cơ Phìn Hồ, Thông Nguyên, Hoàng Su Phì.",
        },
    ],
}

# (slug, product code or None for the cooperative, kind, stars, number, issuer, issued)
CERTIFICATES = [
    ("tuan-dung", "MAT", "ocop", 4, "OCOP-HG-2024-0117", "UBND tỉnh Hà Giang", dt.date(2024, 3, 18)),
    ("tuan-dung", "MAT", "gi", None, "CDĐL 00038", "Cục Sở hữu trí tuệ", dt.date(2013, 11, 5)),
    ("tay-con-linh", "CHEK", "ocop", 3, "OCOP-HG-2022-0046", "UBND tỉnh Hà Giang", dt.date(2022, 5, 10)),
    (
        "tay-con-linh",
        None,
        "vietgap",
        None,
        "VietGAP-TT-08-22-0512",
        "Trung tâm Chứng nhận VietGAP",
        dt.date(2024, 9, 1),
    ),
    (
        "phin-ho",
        "HTBC",
        "ocop",
        5,
        "OCOP-BNN-2023-0009",
        "Bộ Nông nghiệp và Phát triển nông thôn",
        dt.date(2023, 12, 20),
    ),
    ("phin-ho", "HTBC", "organic", None, "ORG-VN-2024-117", "Tổ chức chứng nhận hữu cơ", dt.date(2024, 6, 1)),
]


def load_demo(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda _text: None)
    created = 0
    for slug, products in PRODUCTS.items():
        coop = Cooperative.objects.filter(slug=slug).first()
        if coop is None:
            continue
        with tenant(coop):
            for spec in products:
                spec = dict(spec)
                product, _new = Product.objects.get_or_create(
                    cooperative=coop, code=spec.pop("code"), defaults=spec
                )
                for field, value in spec.items():  # fill in what an earlier demo left out
                    if not getattr(product, field):
                        setattr(product, field, value)
                product.save()
    for slug, code, kind, stars, number, issuer, issued in CERTIFICATES:
        coop = Cooperative.objects.filter(slug=slug).first()
        if coop is None:
            continue
        with tenant(coop):
            product = Product.objects.filter(code=code).first() if code else None
            expires = add_months(issued, 36) if kind in ("ocop", "vietgap", "organic") else None
            _cert, new = Certificate.objects.get_or_create(
                cooperative=coop,
                number=number,
                defaults={
                    "product": product,
                    "kind": kind,
                    "stars": stars,
                    "issuer": issuer,
                    "issued_on": issued,
                    "expires_on": expires,
                },
            )
            created += new
    say(f"catalog: +{created} certificates")
    return {"certificates": created}

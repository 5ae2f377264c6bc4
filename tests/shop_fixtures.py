"""Builders for selling tests: an open shop with a listed product and finished lots in stock.

Rows are written directly (tests may; the product's code may not): a product, a finished lot
of ``packs`` packs with its stock-in movement, a listing and delivery rates. Use the
fixtures ``honey_shop_a`` / ``tea_shop_b``, or call :func:`open_shop` and :func:`stocked`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.inventory.models import Lot, LotKind, MovementKind, StockMovement
from hoptac.shop.models import DeliveryMethod, DeliveryRate, Listing, Shop, Zone

BUYER = {
    "name": "Nguyễn Thị Lan",
    "phone": "0388123456",  # no fixture member has this phone
    "province_code": 1,  # Hà Nội
    "street": "12 Hàng Bạc",
}


def hanoi_commune() -> int:
    from hoptac.lib import places

    return places.commune_choices(1)[0][0]


def open_shop(coop, **overrides) -> Shop:
    data = {
        "is_open": True,
        "headline": "Mật ong bạc hà Mèo Vạc",
        "bank_bin": "970436",  # Vietcombank
        "bank_account": "0123456789",
        "account_name": "HTX TUAN DUNG",
        "pickup_address": "Thôn Pả Vi Thượng",
        "post": True,
        "own_delivery": True,
    }
    data.update(overrides)
    with tenant(coop):
        shop = Shop.objects.create(cooperative=coop, **data)
        for method, zone, up_to, fee in (
            (DeliveryMethod.POST, Zone.SAME_PROVINCE, 2000, 20_000),
            (DeliveryMethod.POST, Zone.SAME_PROVINCE, None, 35_000),
            (DeliveryMethod.POST, Zone.NORTH, 2000, 30_000),
            (DeliveryMethod.POST, Zone.NORTH, None, 50_000),
            (DeliveryMethod.POST, Zone.ELSEWHERE, None, 60_000),
            (DeliveryMethod.OWN, Zone.SAME_PROVINCE, None, 15_000),
        ):
            DeliveryRate.objects.create(
                cooperative=coop, method=method, zone=zone, up_to_g=up_to, fee_vnd=fee
            )
    return shop


_codes = iter(range(10_000))


def stocked(
    coop,
    *,
    name="Mật ong bạc hà 500 ml",
    code="MAT",
    packs=10,
    price=250_000,
    weight_g=700,
    best_before: dt.date | None = None,
    lots: int = 1,
) -> Listing:
    """A product with ``lots`` finished lots of ``packs`` packs each, listed at ``price``."""
    with tenant(coop):
        product = Product.objects.filter(cooperative=coop, code=code).first() or Product.objects.create(
            cooperative=coop,
            name=name,
            code=code,
            base_unit="l",
            sale_unit="hũ",
            pack_size=Decimal("0.5"),
            pack_unit="l",
        )
        today = timezone.localdate()
        for i in range(lots):
            lot = Lot.objects.create(
                cooperative=coop,
                code=f"{code}-{next(_codes)}",
                product=product,
                kind=LotKind.FINISHED,
                quantity=Decimal(packs),
                pack_count=packs,
                production_date=today - dt.timedelta(days=30),
                best_before=best_before or today + dt.timedelta(days=300 + i),
            )
            StockMovement.objects.create(
                cooperative=coop, lot=lot, kind=MovementKind.IN, quantity=Decimal(packs), at=timezone.now()
            )
        listing = Listing.objects.filter(product=product).first() or Listing.objects.create(
            cooperative=coop, product=product, price_vnd=price, weight_g=weight_g
        )
    return listing


@pytest.fixture
def honey_shop_a(coop_a):
    open_shop(coop_a)
    return stocked(coop_a)


@pytest.fixture
def tea_shop_b(coop_b):
    open_shop(
        coop_b,
        headline="Chè Shan tuyết",
        bank_bin="970418",
        bank_account="9988776655",
        account_name="HTX TAY CON LINH",
    )
    return stocked(coop_b, name="Chè Shan tuyết 200 g", code="CHE", packs=20, price=180_000, weight_g=300)

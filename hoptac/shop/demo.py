"""Demo shops: each of the five demo cooperatives sells its finished products online, with
a bank account, delivery fees and pickup; a few weeks of orders in every state, and bank
transactions matched, partial, duplicate and unmatched. Idempotent.

Shops, listings and (where a product has none) a finished lot are written directly. Orders,
state changes and payments go through the services (``order_place``, ``order_move``,
``transaction_receive``, ``order_cash_received``) so stock, history and the cash book agree;
only their dates are moved back afterwards. The services queue the buyers' messages, so
orders are made only with the development SMS transport (as notify's demo does).

Po Mỷ has a GHTK account (not quoting at checkout: its token is the demo's) and three
parcels: one packed and given to GHTK, one on the way, one delivered with its cash on
delivery still to come in the carrier's remittance. The parcels are kept by the service
``shipment_create`` uses after the carrier answers, and moved by GHTK-shaped callbacks
through the webhook's service (``callback_receive``), so orders, shipments and their
events agree as they would with the carrier.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hoptac.accounts.models import Membership
from hoptac.catalog.models import Product
from hoptac.catalog.services import photo_add
from hoptac.coops.models import Cooperative
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.inventory.models import Lot, LotKind, MovementKind, StockMovement
from hoptac.lib import places
from hoptac.lib.carriers.base import Created
from hoptac.outbox.transports import transport_for
from hoptac.shop.models import (
    BankTransaction,
    Carrier,
    CarrierAccount,
    Channel,
    DeliveryMethod,
    DeliveryRate,
    Listing,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    PriceTier,
    ShareLink,
    Shipment,
    Shop,
    TxSource,
    Zone,
)
from hoptac.shop.selectors import shipping as shipping_selectors
from hoptac.shop.services.orders import Buyer, Choice, order_move, order_place
from hoptac.shop.services.payments import IncomingLine, order_cash_received, transaction_receive
from hoptac.shop.services.share import share_link_create
from hoptac.shop.services.shipping import AccountData, _shipment_store, callback_receive, carrier_account_save


@dataclass(frozen=True)
class DemoShop:
    slug: str
    headline: str
    story: str
    bank_bin: str
    bank_account: str
    account_name: str
    pickup_address: str
    own_delivery: bool
    free_above: int | None
    # product code -> (price per pack, parcel grams per pack, wholesale tier (packs, price) or None)
    prices: dict[str, tuple[int, int, tuple[int, int] | None]]


SHOPS = [
    DemoShop(
        slug="po-my",
        headline="Đặc sản Hà Giang từ Phố Cáo, Đồng Văn",
        story="Thịt trâu gác bếp và rượu ngô men lá của bà con H'Mông, Lô Lô ở Phố Trồ, Má Lé.",
        bank_bin="970405",  # Agribank
        bank_account="8800201234567",
        account_name="HTX PO MY",
        pickup_address="Thôn Phố Trồ, Đồng Văn",
        own_delivery=False,
        free_above=1_500_000,
        prices={"TTGB": (450_000, 550, (10, 420_000)), "RNML": (120_000, 1100, None)},
    ),
    DemoShop(
        slug="tuan-dung",
        headline="Mật ong bạc hà Mèo Vạc",
        story="Mật ong hoa bạc hà của hơn 100 hộ nuôi ong H'Mông, quay tay, lọc và để lắng tự nhiên.",
        bank_bin="970436",  # Vietcombank
        bank_account="1023456789",
        account_name="HTX TUAN DUNG",
        pickup_address="Thôn Pả Vi Hạ, Mèo Vạc",
        own_delivery=True,
        free_above=2_000_000,
        prices={"MAT": (250_000, 800, (20, 220_000))},
    ),
    DemoShop(
        slug="tay-con-linh",
        headline="Chè Shan tuyết cổ thụ Tây Côn Lĩnh",
        story="Búp chè từ cây chè Shan tuyết cổ thụ, hái tay, sao khô trong ngày.",
        bank_bin="970418",  # BIDV
        bank_account="8610012345",
        account_name="HTX CHE SHAN TUYET TAY CON LINH",
        pickup_address="Thôn Tham Vè, Cao Bồ",
        own_delivery=True,
        free_above=None,
        prices={"CHEK": (180_000, 260, (20, 160_000))},
    ),
    DemoShop(
        slug="thuong-son",
        headline="Chè Shan tuyết Thượng Sơn",
        story="Chè Shan tuyết của bà con Dao, Tày ở Bản Mán, Lùng Vài.",
        bank_bin="970422",  # MB
        bank_account="0219383024",
        account_name="HTX CHE SHAN TUYET THUONG SON",
        pickup_address="Thôn Bản Mán, Thượng Sơn",
        own_delivery=False,
        free_above=None,
        prices={"CHTS": (140_000, 260, None)},
    ),
    DemoShop(
        slug="phin-ho",
        headline="Hồng trà Bà cụ, OCOP 5 sao",
        story="Hồng trà lên men tự nhiên từ chè Shan tuyết hữu cơ Phìn Hồ.",
        bank_bin="970415",  # VietinBank
        bank_account="105001234567",
        account_name="HTX CHE PHIN HO",
        pickup_address="Thôn Phìn Hồ, Thông Nguyên",
        own_delivery=False,
        free_above=1_000_000,
        prices={"HTBC": (220_000, 160, (20, 195_000))},
    ),
]

# Products the catalogue demo does not have, made here so every demo shop sells something.
EXTRA_PRODUCTS = {
    "po-my": [
        {
            "code": "TTGB",
            "name": "Thịt trâu gác bếp",
            "name_en": "Smoked buffalo meat",
            "base_unit": "kg",
            "sale_unit": "gói",
            "pack_size": Decimal(500),
            "pack_unit": "g",
            "story": "Thịt trâu tẩm mắc khén, gác bếp củi 3 tháng theo cách của người H'Mông Đồng Văn.",
        },
        {
            "code": "RNML",
            "name": "Rượu ngô men lá",
            "name_en": "Leaf-yeast corn liquor",
            "base_unit": "l",
            "sale_unit": "chai",
            "pack_size": Decimal(1),
            "pack_unit": "l",
            "story": "Ngô nương ủ men lá rừng, chưng cất bằng nồi đồng ở Phố Trồ.",
        },
    ],
    "thuong-son": [
        {
            "code": "CHTS",
            "name": "Chè Shan tuyết Thượng Sơn",
            "name_en": "Thượng Sơn Shan tuyết tea",
            "base_unit": "kg",
            "sale_unit": "gói",
            "pack_size": Decimal(200),
            "pack_unit": "g",
            "story": "Chè Shan tuyết sao tay của tổ chè Bản Mán.",
        }
    ],
}

RATES = (
    (DeliveryMethod.POST, Zone.SAME_PROVINCE, 2000, 20_000),
    (DeliveryMethod.POST, Zone.SAME_PROVINCE, None, 35_000),
    (DeliveryMethod.POST, Zone.NORTH, 2000, 30_000),
    (DeliveryMethod.POST, Zone.NORTH, None, 50_000),
    (DeliveryMethod.POST, Zone.ELSEWHERE, 2000, 40_000),
    (DeliveryMethod.POST, Zone.ELSEWHERE, None, 65_000),
)
OWN_RATE = (DeliveryMethod.OWN, Zone.SAME_PROVINCE, None, 15_000)

FINISHED_PACKS = 120  # packs in the lot made for a product with none


def _shop(coop, spec: DemoShop) -> int:
    """The shop, its delivery fees, products and listings; 1 if the shop is new."""
    for data in EXTRA_PRODUCTS.get(spec.slug, []):
        data = dict(data)
        Product.objects.get_or_create(cooperative=coop, code=data.pop("code"), defaults=data)
    if Shop.objects.exists():
        return 0
    Shop.objects.create(
        cooperative=coop,
        is_open=True,
        headline=spec.headline,
        story=spec.story,
        bank_bin=spec.bank_bin,
        bank_account=spec.bank_account,
        account_name=spec.account_name,
        pickup_address=spec.pickup_address,
        own_delivery=spec.own_delivery,
        post=True,
        free_delivery_above=spec.free_above,
    )
    for method, zone, up_to, fee in RATES + ((OWN_RATE,) if spec.own_delivery else ()):
        DeliveryRate.objects.create(cooperative=coop, method=method, zone=zone, up_to_g=up_to, fee_vnd=fee)
    today = timezone.localdate()
    for position, (code, (price, grams, tier)) in enumerate(spec.prices.items()):
        product = Product.objects.filter(code=code).first()
        if product is None:
            continue
        if not Lot.objects.filter(product=product, kind=LotKind.FINISHED).exists():
            lot = Lot.objects.create(
                cooperative=coop,
                code=f"{code}-{today:%y%m}-01",
                product=product,
                kind=LotKind.FINISHED,
                quantity=Decimal(FINISHED_PACKS),
                pack_count=FINISHED_PACKS,
                production_date=today - dt.timedelta(days=45),
                best_before=today + dt.timedelta(days=320),
                notes="Lô đóng gói cho cửa hàng trực tuyến",
            )
            StockMovement.objects.create(
                cooperative=coop,
                lot=lot,
                kind=MovementKind.IN,
                quantity=Decimal(FINISHED_PACKS),
                at=timezone.now() - dt.timedelta(days=45),
            )
        listing = Listing.objects.create(
            cooperative=coop, product=product, price_vnd=price, weight_g=grams, position=position
        )
        if not product.photos.exists():
            photo_add(
                product=product,
                upload=SimpleUploadedFile(f"{code.lower()}.jpg", _demo_photo(product), "image/jpeg"),
                alt=f"{product.name} (ảnh minh họa)",
            )
        if tier:
            PriceTier.objects.create(
                cooperative=coop, listing=listing, min_quantity=tier[0], price_vnd=tier[1]
            )
    return 1


# Colours of the illustrated demo photos: honey, tea, rice, plums, herbs, anything else.
_PALETTE = {
    "MAT": ((246, 214, 140), (196, 120, 24)),
    "CHE": ((205, 226, 190), (62, 110, 52)),
    "GAO": ((238, 232, 214), (150, 130, 90)),
    "MAN": ((228, 200, 222), (120, 40, 90)),
}


def _demo_photo(product) -> bytes:
    """An illustrated product photo (a jar or bag with its label on a soft background, with
    the grain of a real photograph so that its JPEG weighs what a photo weighs): the demo
    then shows, and the page budgets measure, images like the ones cooperatives upload."""
    import io
    import random

    from PIL import Image, ImageDraw, ImageFilter

    from hoptac.lib import shareimage

    light, dark = next(
        (c for k, c in _PALETTE.items() if product.code.startswith(k)), ((226, 232, 240), (60, 90, 120))
    )
    rng = random.Random(product.code)
    size = 1200
    image = Image.new("RGB", (size, size), light)
    draw = ImageDraw.Draw(image)
    for y in range(size):  # a soft light from above
        shade = 1 - 0.25 * y / size
        draw.line([(0, y), (size, y)], fill=tuple(int(c * shade) for c in light))
    draw.ellipse((220, 930, 980, 1060), fill=tuple(int(c * 0.6) for c in light))  # shadow
    draw.rounded_rectangle((330, 300, 870, 1000), radius=90, fill=dark)  # jar or bag
    draw.rounded_rectangle((380, 220, 820, 330), radius=30, fill=tuple(int(c * 0.7) for c in dark))  # lid
    draw.rounded_rectangle((380, 520, 820, 800), radius=24, fill=(250, 248, 240))  # label
    face = shareimage.font(44, bold=True)
    words, lines = product.name.split(), [""]
    for word in words:
        trial = f"{lines[-1]} {word}".strip()
        if draw.textlength(trial, font=face) > 400 and lines[-1]:
            lines.append(word)
        else:
            lines[-1] = trial
    for i, line in enumerate(lines[:4]):
        draw.text((600, 560 + i * 56), line, font=face, fill=dark, anchor="mt")
    grain = Image.effect_noise((size, size), 28).convert("RGB")
    image = Image.blend(image, grain, 0.08).filter(ImageFilter.GaussianBlur(0.6))
    for _ in range(40):  # specks of light, as on glass
        x, y = rng.randint(340, 860), rng.randint(320, 980)
        draw = ImageDraw.Draw(image)
        draw.ellipse((x, y, x + 6, y + 6), fill=tuple(min(255, c + 90) for c in dark))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


# --- orders ----------------------------------------------------------------------------------

TUYEN_QUANG = places.TUYEN_QUANG
HANOI = 1


def _buyers() -> list[Buyer]:
    hanoi = places.commune_choices(HANOI)
    home = places.commune_choices(TUYEN_QUANG)
    return [
        Buyer(name="Nguyễn Thị Lan", phone="0987654321", province_code=HANOI, commune_code=hanoi[0][0],
              street="12 Hàng Bạc"),
        Buyer(name="Trần Văn Minh", phone="0912345670", province_code=TUYEN_QUANG, commune_code=home[0][0],
              street="Tổ 5, phường Minh Xuân"),
        Buyer(name="Cửa hàng Đặc sản Vùng cao", phone="0356789123", province_code=HANOI,
              commune_code=hanoi[3][0], street="88 Trần Duy Hưng", company_name="Công ty TNHH Đặc sản Vùng cao",
              tax_code="0109876543", company_address="88 Trần Duy Hưng, Hà Nội"),
        Buyer(name="Lê Thu Hà", phone="0779123456", province_code=HANOI, commune_code=hanoi[1][0],
              street="Ngõ 4 Kim Mã", message_channel="zalo"),
        Buyer(name="Phạm Quốc Bảo", phone="0868111222", province_code=TUYEN_QUANG, commune_code=home[2][0],
              street="Thôn Nà Khương"),
    ]  # fmt: skip


@dataclass(frozen=True)
class DemoOrder:
    days_ago: float
    items: list[tuple[str, str, int]]  # (cooperative slug, product code, packs)
    buyer: int
    delivery: str
    payment: str
    # what happens next: "pay" (bank, exact), "partial", "confirmed", "packed", "shipped",
    # "delivered" (with the cash for COD), "cancelled", "returned"
    steps: tuple[str, ...] = ()


P, OWN, K = DeliveryMethod.POST, DeliveryMethod.OWN, DeliveryMethod.PICKUP
BANK, COD = PaymentMethod.BANK, PaymentMethod.COD

ORDERS = [
    DemoOrder(
        26, [("tuan-dung", "MAT", 2)], 0, P, BANK, ("pay", "confirmed", "packed", "shipped", "delivered")
    ),
    DemoOrder(
        22, [("tay-con-linh", "CHEK", 3)], 1, OWN, COD, ("confirmed", "packed", "shipped", "delivered")
    ),
    DemoOrder(19, [("tuan-dung", "MAT", 1)], 3, P, COD, ("confirmed", "packed", "shipped", "returned")),
    DemoOrder(15, [("phin-ho", "HTBC", 4)], 0, P, BANK, ("cancelled",)),
    DemoOrder(12, [("tuan-dung", "MAT", 24)], 2, P, BANK, ("pay", "confirmed", "packed", "shipped")),
    DemoOrder(9, [("tuan-dung", "MAT", 2), ("tay-con-linh", "CHEK", 2)], 3, P, BANK, ("pay", "confirmed")),
    DemoOrder(6, [("po-my", "TTGB", 2), ("po-my", "RNML", 1)], 0, P, BANK, ("pay", "confirmed", "packed")),
    DemoOrder(4, [("tay-con-linh", "CHEK", 5)], 4, K, COD, ("confirmed",)),
    DemoOrder(1.1, [("thuong-son", "CHTS", 3)], 1, P, BANK, ("partial",)),
    DemoOrder(0.7, [("tuan-dung", "MAT", 3)], 4, OWN, BANK, ("partial",)),
    DemoOrder(1.5, [("phin-ho", "HTBC", 2)], 3, P, BANK, ("pay",)),
    DemoOrder(0.15, [("tuan-dung", "MAT", 1)], 0, P, BANK, ()),
    # Po Mỷ ships with GHTK: parcels made at the carrier, moved by its status callbacks.
    DemoOrder(
        8, [("po-my", "TTGB", 2)], 1, P, COD,
        ("confirmed", "packed", "ghtk", "ghtk:3", "ghtk:4", "ghtk:5"),
    ),
    DemoOrder(5, [("po-my", "RNML", 2)], 3, P, BANK, ("pay", "confirmed", "packed", "ghtk", "ghtk:3", "ghtk:4")),
    DemoOrder(2, [("po-my", "TTGB", 1), ("po-my", "RNML", 1)], 4, P, COD, ("confirmed", "packed", "ghtk")),
]  # fmt: skip

CARRIERS = ("Viettel Post", "VNPost", "GHN")


def _chair(coop):
    row = Membership.objects.filter(cooperative=coop, role=Role.CHAIR).select_related("user").first()
    return row.user if row else None


def _checksum(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _sepay(order, *, amount: int, at: dt.datetime, number: int) -> tuple:
    shop = order.cooperative.shop
    reference = f"FT{at:%y%m%d}{number:05d}"
    line = IncomingLine(
        source=TxSource.SEPAY,
        provider_id=str(900_000 + number),
        at=at,
        amount=amount,
        memo=f"{order.code} {order.buyer_name.upper()} CHUYEN TIEN",
        account_number=shop.bank_account,
        bank="Vietcombank",
        reference=reference,
        checksum=_checksum(shop.bank_account, at.isoformat(), amount, reference),
    )
    return transaction_receive(line=line)


def _play(spec: DemoOrder, coops: dict, buyers: list[Buyer], number: int) -> list[Order]:
    now = timezone.now()
    placed_at = now - dt.timedelta(days=spec.days_ago)
    items, choices = [], {}
    for slug, code, packs in spec.items:
        coop = coops[slug]
        with tenant(coop):
            listing = Listing.objects.get(product__code=code)
        items.append((listing.pk, packs))
        choices[coop.pk] = Choice(delivery=spec.delivery, payment=spec.payment)
    orders = order_place(items=items, buyer=buyers[spec.buyer], choices=choices, now=placed_at)
    for index, order in enumerate(orders):
        coop = order.cooperative
        chair = _chair(coop)
        with tenant(coop):
            Order.objects.filter(pk=order.pk).update(created_at=placed_at)
            at = placed_at
            for step in spec.steps:
                at = min(at + dt.timedelta(hours=5 + 11 * (number % 3)), now - dt.timedelta(minutes=30))
                order.refresh_from_db()
                if step == "pay":
                    _sepay(order, amount=order.owed_vnd, at=at, number=number * 10 + index)
                elif step == "partial":
                    _sepay(
                        order, amount=order.total_vnd // 2 // 1000 * 1000, at=at, number=number * 10 + index
                    )
                elif step == "cancelled":
                    order_move(
                        order=order, to=OrderStatus.CANCELLED, actor=chair, note="Khách đổi ý, gọi điện huỷ"
                    )
                elif step == "returned":
                    order_move(order=order, to=OrderStatus.RETURNED, actor=chair,
                               note="Không liên lạc được người nhận, bưu điện trả về")  # fmt: skip
                elif step == "ghtk":
                    _ghtk_shipment(order, actor=chair, at=at, number=number * 10 + index)
                elif step.startswith("ghtk:"):
                    _ghtk_callback(order, status_id=int(step[5:]), at=at)
                elif step == "shipped":
                    carrier = CARRIERS[number % len(CARRIERS)] if order.delivery_method == P else ""
                    tracking = f"{carrier[:2].upper()}{at:%y%m%d}{number:04d}" if carrier else ""
                    order_move(order=order, to=step, actor=chair, carrier=carrier, tracking_code=tracking)
                elif step == "delivered":
                    order_move(order=order, to=step, actor=chair)
                    order.refresh_from_db()
                    if order.payment_method == COD and order.owed_vnd:
                        order_cash_received(order=order, amount=order.owed_vnd, actor=chair,
                                            note="Tiền thu hộ")  # fmt: skip
                else:
                    order_move(order=order, to=step, actor=chair)
    return orders


def _ghtk_account(coop) -> CarrierAccount:
    """Po Mỷ's GHTK account: not quoting at checkout (its token is the demo's, not GHTK's)."""
    with tenant(coop):
        return carrier_account_save(
            data=AccountData(
                carrier=Carrier.GHTK,
                api_token="demo-ghtk-token",  # noqa: S106 - the demo's, GHTK knows no such token
                shop_id="",
                pick_name="HTX Po Mỷ",
                pick_phone="0912000111",
                pick_province_code=TUYEN_QUANG,
                pick_commune_code=places.find_commune("Đồng Văn", TUYEN_QUANG),
                pick_street="Thôn Phố Trồ",
                quote_at_checkout=False,
            ),
            actor=_chair(coop),
        )


def _ghtk_shipment(order, *, actor, at: dt.datetime, number: int) -> Shipment:
    """The parcel as GHTK's create answers it (its label is the tracking code), kept by the
    same service ``shipment_create`` uses after calling the carrier."""
    account = CarrierAccount.objects.get(carrier=Carrier.GHTK)
    parcel = shipping_selectors.parcel_for(order)
    tracking = f"S2291{number:04d}.HG1.A{number % 9 + 1}.{at:%y%m%d}{number:04d}"
    created = Created(
        tracking_code=tracking, fee_vnd=32_000 + 5_000 * (parcel.weight_g // 1000), label_ref=tracking
    )
    shipment = _shipment_store(order=order, account=account, created=created, parcel=parcel, actor=actor)
    Shipment.objects.filter(pk=shipment.pk).update(created_at=at)
    return shipment


def _ghtk_callback(order, *, status_id: int, at: dt.datetime) -> list[str]:
    """A status callback as GHTK sends it (form-encoded, the account's secret), through the
    webhook's service: it moves the order (picked up, on the way: shipped; delivered)."""
    account = CarrierAccount.objects.get(carrier=Carrier.GHTK)
    shipment = Shipment.objects.get(order=order, is_active=True)
    body = urlencode(
        {
            "label_id": shipment.tracking_code,
            "partner_id": shipment.partner_ref,
            "status_id": status_id,
            "action_time": at.isoformat(),
            "reason_code": "",
            "reason": "",
            "weight": f"{shipment.weight_g / 1000:.1f}",
            "fee": shipment.fee_vnd,
            "pick_money": shipment.cod_vnd,
        }
    ).encode()
    headers = {"X-Hoptac-Token": account.callback_secret, "Content-Type": "application/x-www-form-urlencoded"}
    return callback_receive(carrier=Carrier.GHTK, headers=headers, body=body)


def _channels(coops: dict) -> int:
    """Share links in two groups and a post, with their visits, and where the demo's orders
    came from: some through a link, some from the marketplace (reports by channel)."""
    made = 0
    for slug, links in (
        (
            "tuan-dung",
            (("zalo", "Nhóm Zalo Chợ quê Hà Giang", 137), ("facebook", "Bài Facebook mật ong tháng 11", 58)),
        ),
        ("tay-con-linh", (("zalo", "Nhóm Zalo Trà Shan tuyết Hà Nội", 64),)),
    ):
        coop = coops.get(slug)
        if coop is None:
            continue
        with tenant(coop):
            listing = Listing.objects.order_by("position", "pk").first()
            if listing is None:
                continue
            orders = list(Order.objects.order_by("created_at", "pk"))
            for index, (place, label, visits) in enumerate(links):
                link = share_link_create(listing=listing, place=place, label=label, actor=_chair(coop))
                ShareLink.objects.filter(pk=link.pk).update(visits=visits)
                Order.objects.filter(pk__in=[o.pk for o in orders[index::4]]).update(
                    channel=Channel.SHARE, channel_ref=link.code
                )
                made += 1
            Order.objects.filter(pk__in=[o.pk for o in orders[3::4]]).update(channel=Channel.MARKETPLACE)
    return made


def _odd_transactions(coops: dict) -> int:
    """One duplicate (the statement repeats a SePay line) and one unmatched transfer."""
    coop = coops["tuan-dung"]
    made = 0
    with tenant(coop):
        first = (
            BankTransaction.objects.filter(source=TxSource.SEPAY, order__isnull=False).order_by("at").first()
        )
        if first is not None:
            _tx, new = transaction_receive(
                line=IncomingLine(
                    source=TxSource.STATEMENT,
                    provider_id="",
                    at=first.at,
                    amount=first.amount_vnd,
                    memo=first.memo,
                    account_number=first.account_number,
                    bank=first.bank,
                    reference=first.reference,
                    checksum=first.checksum,
                )
            )
            made += new
        at = timezone.now() - dt.timedelta(days=5, hours=3)
        _tx, new = transaction_receive(
            line=IncomingLine(
                source=TxSource.CASSO,
                provider_id="77001",
                at=at,
                amount=500_000,
                memo="NGUYEN VAN HUNG CHUYEN TIEN MUA MAT ONG",
                account_number=coop.shop.bank_account,
                bank="Vietcombank",
                reference="FT2611770001",
                checksum=_checksum(coop.shop.bank_account, at.isoformat(), 500_000, "FT2611770001"),
            )
        )
        made += new
    return made


def load_demo(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda _text: None)
    coops = {c.slug: c for c in Cooperative.objects.filter(slug__in=[s.slug for s in SHOPS])}
    counts = {"shops": 0, "orders": 0, "transactions": 0}
    for spec in SHOPS:
        coop = coops.get(spec.slug)
        if coop is None:
            continue
        with tenant(coop):
            counts["shops"] += _shop(coop, spec)
    if set(coops) != {s.slug for s in SHOPS}:
        return counts
    # Only once, and never through a real SMS gateway (the services queue buyers' messages).
    if Order.unscoped.exists() or OrderEvent.unscoped.exists():
        return counts
    transport = transport_for("sms")
    if transport is None or not transport.development:
        say("shop orders: skipped (a real SMS gateway is configured; the demo never sends through it)")
        return counts
    coops = {slug: Cooperative.objects.select_related("shop").get(pk=c.pk) for slug, c in coops.items()}
    buyers = _buyers()
    before = BankTransaction.unscoped.count()
    _ghtk_account(coops["po-my"])
    for number, spec in enumerate(ORDERS, start=1):
        counts["orders"] += len(_play(spec, coops, buyers, number))
    _odd_transactions(coops)
    counts["share links"] = _channels(coops)
    counts["transactions"] = BankTransaction.unscoped.count() - before
    say(f"shop: +{counts['shops']} shops, +{counts['orders']} orders, +{counts['transactions']} transactions")
    return counts

"""Demo live sales. Idempotent: a live whose title is already there is not made again.

- HTX Tuấn Dũng: "Live mật ong bạc hà tối thứ Sáu" on Facebook, last Friday evening (at
  least two days ago), ended: three products (M1 the 500 ml jar, M2 the litre bottle, C1 the
  gift box), about sixty comments as viewers write them (orders with and without a phone,
  the same comment twice, questions, greetings), buyers, claims in every state (held,
  waiting, ordered, released, expired), three orders confirmed through the buyers' links,
  one of them paid by bank transfer; and a live planned for next week.
- HTX Po Mỷ: a live on air now (started 25 minutes ago), so the live screen has something
  to show.

Products, lots and listings the shop demo does not have are written directly (as the shop
demo does); lives, comments, claims, confirmations and payments go through the services
(``live_create``, ``live_item_add``, ``live_start``, ``comment_add``, ``claim_release``,
``live_end``, ``buyer_confirm``, ``claims_expire``, ``transaction_receive``) with their
moments moved back, so that stock, holds, orders and the cash book agree. Confirmations
place orders, which queue the buyers' messages: they are made only with the development
SMS transport, as the shop demo's orders are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.catalog.services import photo_add
from hoptac.coops.models import Cooperative
from hoptac.core.tenancy import tenant
from hoptac.inventory.models import Lot, LotKind, MovementKind, StockMovement
from hoptac.lib import places
from hoptac.outbox.transports import transport_for
from hoptac.shop.models import Listing, Order, PaymentMethod, Shop, TxSource
from hoptac.shop.services.orders import Buyer
from hoptac.shop.services.payments import IncomingLine, transaction_receive

from .models import Claim, CommentSource, LiveBuyer, LiveSession, Platform
from .services.claims import buyer_confirm, claim_release, claims_expire, comment_add, live_end, live_start
from .services.sessions import live_create, live_item_add

FRIDAY_LIVE = "Live mật ong bạc hà tối thứ Sáu"
NEXT_LIVE = "Live mật ong bạc hà đón Tết"
PO_MY_LIVE = "Live thịt trâu gác bếp Phố Cáo"

# Products of Tuấn Dũng for the lives, beside the shop's 500 ml jar (MAT):
# (code, name, English name, sale unit, pack size, pack unit, packs in stock, shop price, grams)
EXTRA = [
    ("MAT1L", "Mật ong bạc hà chai 1 lít", "Mint-flower honey, 1 litre", "chai", 1, "l", 40, 460_000, 1600),
    (
        "MATQ",
        "Hộp quà mật ong bạc hà (2 hũ 500 ml)",
        "Mint-flower honey gift box",
        "hộp",
        1,
        "l",
        24,
        520_000,
        1900,
    ),
]


@dataclass(frozen=True)
class Viewer:
    name: str
    phone: str = ""  # written in their comments; "" for one who never gives it


# The viewers of the Friday live, by number in COMMENTS.
VIEWERS = [
    Viewer("Nguyễn Thu Trang", "0912 486 135"),  # 0: confirms during the live, pays by transfer
    Viewer("Phạm Hồng Nhung", "0983 220 417"),
    Viewer("Trần Minh Đức", "0367.558.902"),
    Viewer("Lê Thị Hoa", "0904 771 236"),  # 3: confirms the next morning, not paid yet
    Viewer("Hoàng Văn Nam", "0335 190 664"),
    Viewer("Đỗ Thị Thanh", "0978 305 512"),
    Viewer("Bùi Ngọc Ánh", "0886 412 790"),
    Viewer("Vũ Đức Thắng"),
    Viewer("Đặng Mai Phương", "0799 623 048"),
    Viewer("Ngô Quang Huy", "0326 847 155"),  # 9: changes his mind about the box
    Viewer("Dương Thị Yến", "0918 064 327"),
    Viewer("Lý Văn Phúc"),
    Viewer("Mai Anh Tuấn", "0942 518 603"),
    Viewer("Trịnh Thu Hà", "0387 905 241"),
    Viewer("Phan Thị Lụa", "0965 731 884"),
    Viewer("Cao Văn Sơn", "0707 342 119"),
    Viewer("Hà Thị Mỷ", "0868 275 930"),
    Viewer("Sùng Mí Chứ"),
    Viewer("Shop Mẹ Bắp - Đặc sản vùng cao", "0931 552 860"),  # 18: a reseller, cash on delivery
    Viewer("Đinh Hải Yến", "0973 118 564"),
    Viewer("Tạ Quốc Bảo", "0359 840 227"),
    Viewer("Hứa Thị Ngân", "0889 706 413"),
    Viewer("Lục Văn Khải"),
    Viewer("Kiều Thị Mến", "0962 447 015"),
    Viewer("Đào Minh Châu", "0394 662 781"),
    Viewer("Tống Thị Loan", "0916 205 388"),
    Viewer("Nông Văn Thào", "0986 530 172"),
    Viewer("Vi Thị Hằng", "0345 278 906"),
    Viewer("Chu Văn An", "0825 114 639"),
    Viewer("Lò Thị Xuân"),
]

# (minute of the live, viewer, comment as written): 70 comments
COMMENTS = [
    (1, 17, "Chào HTX, xem từ Mèo Vạc đây 👋"),
    (2, 0, "chốt M1 x2 0912486135"),
    (2, 1, "M1 1 0983220417"),
    (3, 2, "m1 x3 0367.558.902"),
    (3, 16, "Mật ong năm nay có kết tinh không shop?"),
    (4, 3, "chot M2 0904771236"),
    (4, 4, "lấy M1 2 hũ 0335190664"),
    (5, 0, "chốt M1 x2 0912486135"),
    (5, 5, "C1 1 sdt 0978305512"),
    (6, 6, "M2 x2 0886412790"),
    (6, 7, "M1 2"),
    (7, 18, "Shop lấy sỉ M1 x5 0931552860"),
    (7, 8, "m1 1, m2 1 0799623048"),
    (8, 17, "Giá M2 bao nhiêu vậy ạ?"),
    (8, 9, "chốt c1 x1 0326847155"),
    (9, 10, "M1 3 0918064327"),
    (9, 11, "C1 2"),
    (10, 12, "M2 1 0942518603"),
    (10, 3, "chot M2 0904771236"),
    (11, 13, "Có ship ra Hà Nội không ạ?"),
    (11, 13, "M1 x1 0387905241"),
    (12, 14, "lấy 1 M2 nhé 0965731884"),
    (12, 15, "C1 1 0707342119"),
    (13, 7, "M1 2"),
    (14, 16, "Mật ong bạc hà thật không hay pha đường?"),
    (15, 0, "thêm M2 1 nhé 0912486135"),
    (15, 17, "❤️❤️❤️"),
    (16, 1, "C1 x1 0983220417"),
    (17, 6, "chốt m1 1 0886412790"),
    (18, 5, "hết M1 chưa ạ?"),
    (19, 9, "M2 2 0326847155"),
    (20, 4, "ship COD được không shop"),
    (21, 18, "Shop lấy sỉ M1 x5 0931552860"),
    (22, 2, "M1 x3 0367.558.902"),
    (23, 12, "C1 1 nữa nhé 0942518603"),
    (24, 11, "mình ở Thái Nguyên, lấy M2 1"),
    (25, 14, "M1 2 0965731884"),
    (26, 10, "C1 1 0918064327"),
    (27, 16, "Ủng hộ bà con Mèo Vạc, chốt M1 x2 0868275930"),
    (28, 17, "Live rõ nét ghê"),
    (29, 13, "M2 x1 0387905241"),
    (30, 8, "đã chuyển khoản chưa thấy báo ạ"),
    (31, 15, "M1 1 0707342119"),
    (32, 3, "Cho mình xin số tài khoản"),
    (33, 19, "M1 2 0973 118 564"),
    (34, 20, "c1 1 0359 840 227"),
    (35, 19, "M1 2 0973 118 564"),
    (36, 21, "M 1 x2 0889 706 413"),
    (37, 17, "Mùa sau có mật ong hoa cải không?"),
    (38, 20, "thêm M2 1 0359840227"),
    (39, 21, "M2 1 0889706413"),
    (40, 22, "C1 1"),
    (41, 16, "Chúc HTX bán đắt hàng!"),
    (42, 23, "lấy 2 hũ m1 0962 447 015"),
    (43, 9, "mình không lấy hộp quà nữa nhé"),
    (44, 24, "M1 x1 0394 662 781"),
    (45, 24, "M1 có hóa đơn VAT không?"),
    (46, 25, "M2 x2 0916 205 388"),
    (47, 25, "M2 x2 0916 205 388"),
    (48, 17, "Cảm ơn HTX 🙏"),
    (49, 26, "c1 x1 0986 530 172"),
    (50, 27, "M1 1 0345 278 906"),
    (51, 14, "Hũ 500ml hay 1 lít vậy shop?"),
    (52, 28, "M2 1 0825 114 639"),
    (53, 28, "ok chốt nhé"),
    (54, 27, "C1 1 0345278906"),
    (55, 29, "M1 1"),
    (56, 16, "Lần sau live chè nữa nha"),
    (57, 0, "shop ơi gửi link cho mình với"),
    (58, 4, "M2 1 0335190664"),
]

PO_MY_VIEWERS = [
    Viewer("Giàng Thị Dung", "0971 223 845"),
    Viewer("Nguyễn Văn Hải", "0388 410 256"),
    Viewer("Lưu Thị Mơ"),
    Viewer("Phạm Tiến Dũng", "0903 665 172"),
    Viewer("Trần Thị Bích"),
    Viewer("Hoàng Anh Vũ", "0356 781 204"),
    Viewer("Vương Thị Lan", "0819 402 733"),
    Viewer("Sầm Văn Tú", "0932 148 560"),
    Viewer("Đỗ Mạnh Cường", "0868 993 015"),
    Viewer("Ma Thị Duyên", "0394 285 617"),
]
PO_MY_COMMENTS = [
    (2, 0, "chốt T1 x2 0971223845"),
    (3, 1, "T1 1 0388410256"),
    (4, 2, "Thịt trâu có cay không shop?"),
    (5, 3, "R1 x2 0903665172"),
    (6, 4, "T1 2"),
    (8, 5, "lấy T1 3 0356781204"),
    (9, 1, "T1 1 0388410256"),
    (11, 6, "t1 x1, r1 x1 0819402733"),
    (12, 2, "Rượu ngô bao nhiêu độ ạ?"),
    (14, 7, "R1 1 0932148560"),
    (16, 8, "chốt T1 x2 0868993015"),
    (18, 4, "0975 662 310 nhé shop"),
    (20, 9, "T1 5 0394285617"),
    (23, 5, "R1 1 0356781204"),
]


def _last_friday_evening(now: dt.datetime) -> dt.datetime:
    """20:00 of the latest Friday at least two days ago (its held claims have expired)."""
    today = timezone.localdate(now)
    back = (today.weekday() - 4) % 7
    if back < 2:
        back += 7
    day = today - dt.timedelta(days=back)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(20, 0)))


def _products(coop) -> int:
    """Tuấn Dũng's litre bottle and gift box: product, a finished lot, a listing. 1 each made."""
    from hoptac.shop.demo import _demo_photo  # the demo's illustrated product photos

    made = 0
    today = timezone.localdate()
    for code, name, name_en, unit, size, size_unit, packs, price, grams in EXTRA:
        product, new = Product.objects.get_or_create(
            cooperative=coop,
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "base_unit": "l",
                "sale_unit": unit,
                "pack_size": Decimal(size),
                "pack_unit": size_unit,
                "story": "Mật ong hoa bạc hà Mèo Vạc, đóng chai và hộp quà cho các phiên live.",
            },
        )
        if not Lot.objects.filter(product=product, kind=LotKind.FINISHED).exists():
            lot = Lot.objects.create(
                cooperative=coop,
                code=f"{code}-{today:%y%m}-01",
                product=product,
                kind=LotKind.FINISHED,
                quantity=Decimal(packs),
                pack_count=packs,
                production_date=today - dt.timedelta(days=40),
                best_before=today + dt.timedelta(days=320),
                notes="Lô đóng gói cho bán hàng livestream",
            )
            StockMovement.objects.create(
                cooperative=coop,
                lot=lot,
                kind=MovementKind.IN,
                quantity=Decimal(packs),
                at=timezone.now() - dt.timedelta(days=40),
            )
        if not Listing.objects.filter(product=product).exists():
            position = Listing.objects.count()
            Listing.objects.create(
                cooperative=coop, product=product, price_vnd=price, weight_g=grams, position=position
            )
            if not product.photos.exists():
                photo_add(
                    product=product,
                    upload=SimpleUploadedFile(f"{code.lower()}.jpg", _demo_photo(product), "image/jpeg"),
                    alt=f"{product.name} (ảnh minh họa)",
                )
            made += new
    return made


def _plan(*, title, platform, starts_at, items, hold_minutes=120) -> LiveSession:
    session = live_create(title=title, platform=platform, starts_at=starts_at, hold_minutes=hold_minutes)
    for code, product_code, price, quantity in items:
        listing = Listing.objects.get(product__code=product_code)
        live_item_add(session=session, listing=listing, quantity=quantity, code=code, price_vnd=price)
    return session


def _author_id(name: str) -> str:
    return "fb_" + str(int(hashlib.sha256(name.encode()).hexdigest()[:12], 16))[:15]


def _say(session, viewers, comments, *, start: dt.datetime, source: str, ids: bool) -> int:
    """``comments``: (number, (minute, viewer, text)); the number makes the external id."""
    for number, (minute, who, text) in comments:
        at = start + dt.timedelta(minutes=minute, seconds=7 * number % 60)
        viewer = viewers[who]
        comment_add(
            session=session,
            text=text,
            author_name=viewer.name,
            author_id=_author_id(viewer.name) if ids else "",
            source=source,
            external_id=f"{session.code}_{number}" if ids else "",
            at=at,
            now=at,
        )
    return len(comments)


def _address(viewer: Viewer, *, street: str, province: int) -> Buyer:
    commune = places.commune_choices(province)[0][0]
    return Buyer(
        name=viewer.name, phone=viewer.phone, province_code=province, commune_code=commune, street=street
    )


def _confirm(session, viewer: Viewer, *, at, payment, street, province) -> Order:
    buyer = LiveBuyer.objects.get(session=session, name=viewer.name)
    LiveBuyer.objects.filter(pk=buyer.pk).update(link_sent_at=at - dt.timedelta(minutes=3))
    order = buyer_confirm(
        buyer=buyer,
        details=_address(viewer, street=street, province=province),
        delivery="post",
        payment=payment,
        now=at,
    )
    Order.objects.filter(pk=order.pk).update(created_at=at)
    return order


def _pay(order: Order, *, at: dt.datetime) -> None:
    """The buyer's transfer, as the bank's notice (SePay) reports it."""
    shop = Shop.objects.get()
    reference = f"FT{at:%y%m%d}{order.pk:05d}"
    transaction_receive(
        line=IncomingLine(
            source=TxSource.SEPAY,
            provider_id=f"live-{order.code}",
            at=at,
            amount=order.owed_vnd,
            memo=f"{order.code} {order.buyer_name.upper()} CHUYEN KHOAN",
            account_number=shop.bank_account,
            bank="Vietcombank",
            reference=reference,
            checksum=hashlib.sha256(f"{shop.bank_account}|{at.isoformat()}|{reference}".encode()).hexdigest(),
        )
    )


def _friday(coop, now: dt.datetime) -> dict[str, int]:
    start = _last_friday_evening(now)
    session = _plan(
        title=FRIDAY_LIVE,
        platform=Platform.FACEBOOK,
        starts_at=start,
        hold_minutes=24 * 60,
        items=[("M1", "MAT", 220_000, 15), ("M2", "MAT1L", 420_000, 8), ("C1", "MATQ", 460_000, 5)],
    )
    session = live_start(session=session, now=start)
    # The first 36 minutes of comments; then the first buyer confirms through her link.
    numbered = list(enumerate(COMMENTS, start=1))
    early = [(n, c) for n, c in numbered if c[0] <= 36]
    said = _say(session, VIEWERS, early, start=start, source=CommentSource.FACEBOOK, ids=True)
    first = _confirm(
        session,
        VIEWERS[0],
        at=start + dt.timedelta(minutes=37),
        payment=PaymentMethod.BANK,
        street="Số 18 ngõ 52 Tô Ngọc Vân",
        province=1,
    )
    _pay(first, at=start + dt.timedelta(minutes=52))
    middle = [(n, c) for n, c in numbered if 36 < c[0] <= 44]
    said += _say(session, VIEWERS, middle, start=start, source=CommentSource.FACEBOOK, ids=True)
    # Ngô Quang Huy wrote that he no longer wants the gift box: staff let his claim go.
    huy = LiveBuyer.objects.get(session=session, name=VIEWERS[9].name)
    box = Claim.objects.filter(buyer=huy, item__code="C1").first()
    if box is not None:
        claim_release(
            claim=box, note="Khách nhắn không lấy hộp quà nữa", now=start + dt.timedelta(minutes=45)
        )
    late = [(n, c) for n, c in numbered if c[0] > 44]
    said += _say(session, VIEWERS, late, start=start, source=CommentSource.FACEBOOK, ids=True)
    live_end(session=session, now=start + dt.timedelta(minutes=60))
    orders = [first]
    orders.append(
        _confirm(
            session,
            VIEWERS[18],
            at=start + dt.timedelta(minutes=95),
            payment=PaymentMethod.COD,
            street="Số 7 đường Nguyễn Trãi, phường Minh Xuân",
            province=places.TUYEN_QUANG,
        )
    )
    orders.append(
        _confirm(
            session,
            VIEWERS[3],
            at=start + dt.timedelta(hours=13),
            payment=PaymentMethod.BANK,
            street="Tổ 12, phường Quang Trung",
            province=places.TUYEN_QUANG,
        )
    )
    # The rest were not confirmed within a day: they expired and the waiting list moved up.
    claims_expire(now=now - dt.timedelta(hours=2))
    return {"lives": 1, "comments": said, "orders": len(orders)}


def _next_week(now: dt.datetime) -> int:
    day = timezone.localdate(now) + dt.timedelta(days=7)
    _plan(
        title=NEXT_LIVE,
        platform=Platform.FACEBOOK,
        starts_at=timezone.make_aware(dt.datetime.combine(day, dt.time(20, 0))),
        hold_minutes=24 * 60,
        items=[("M1", "MAT", 215_000, 20), ("C1", "MATQ", 450_000, 8)],
    )
    return 1


def _po_my_on_air(now: dt.datetime) -> dict[str, int]:
    start = now - dt.timedelta(minutes=25)
    session = _plan(
        title=PO_MY_LIVE,
        platform=Platform.TIKTOK,
        starts_at=start,
        items=[("T1", "TTGB", 420_000, 12), ("R1", "RNML", 110_000, 10)],
    )
    session = live_start(session=session, now=start)
    # TikTok has no comment API: staff paste the comments as they come.
    numbered = list(enumerate(PO_MY_COMMENTS, start=1))
    said = _say(session, PO_MY_VIEWERS, numbered, start=start, source=CommentSource.PASTE, ids=False)
    return {"lives": 1, "comments": said, "orders": 0}


def load_demo(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda _text: None)
    counts = {"products": 0, "lives": 0, "comments": 0, "orders": 0}
    coops = {c.slug: c for c in Cooperative.objects.filter(slug__in=["tuan-dung", "po-my"])}
    if (
        set(coops) != {"tuan-dung", "po-my"}
        or Shop.unscoped.filter(cooperative__in=coops.values()).count() < 2
    ):
        return counts  # the shop demo comes first
    transport = transport_for("sms")
    if transport is None or not transport.development:
        say("live sales: skipped (a real SMS gateway is configured; the demo never sends through it)")
        return counts
    now = timezone.now()
    with tenant(coops["tuan-dung"]):
        counts["products"] += _products(coops["tuan-dung"])
        if not LiveSession.objects.filter(title=FRIDAY_LIVE).exists():
            made = _friday(coops["tuan-dung"], now)
            for key in ("lives", "comments", "orders"):
                counts[key] += made[key]
        if not LiveSession.objects.filter(title=NEXT_LIVE).exists():
            counts["lives"] += _next_week(now)
    with tenant(coops["po-my"]):
        if not LiveSession.objects.filter(title=PO_MY_LIVE).exists():
            made = _po_my_on_air(now)
            for key in ("lives", "comments"):
                counts[key] += made[key]
    say(f"live: +{counts['lives']} lives, +{counts['comments']} comments, +{counts['orders']} orders")
    return counts

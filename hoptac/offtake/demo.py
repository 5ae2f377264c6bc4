"""Demo of buying from members: a bạc hà honey season at HTX Tuấn Dũng (agreements,
receipts from most households, advances, bee-box loans, payouts, one voided receipt) and
a Shan tuyết tea season at HTX Tây Côn Lĩnh. Loaded only where the cooperative has no
receipts yet, so running it again changes nothing. Dates are counted back from today so
that nothing is in the future."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from hoptac.accounts.models import User
from hoptac.catalog.models import Product
from hoptac.coops.models import Cooperative, Member, MemberStatus
from hoptac.core.tenancy import tenant
from hoptac.ledger import services as ledger
from hoptac.ledger.selectors import member_balance
from hoptac.offtake import services
from hoptac.offtake.models import CollectionPoint, Receipt


def _at(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _product(coop, *, code, name, name_en, base_unit) -> Product:
    return Product.objects.get_or_create(
        cooperative=coop, code=code, defaults={"name": name, "name_en": name_en, "base_unit": base_unit}
    )[0]


def _points(coop, names_villages) -> list[CollectionPoint]:
    return [
        CollectionPoint.objects.get_or_create(
            cooperative=coop, name=name, defaults={"village": village, "commune_code": commune}
        )[0]
        for name, village, commune in names_villages
    ]


# (grade, price per litre, in force from N days ago, note)
HONEY_PRICES = [
    (1, 480_000, 400, "Vụ 2025–2026"),
    (2, 400_000, 400, ""),
    (1, 500_000, 58, "Giá đầu vụ 2026–2027"),
    (2, 420_000, 58, ""),
    (1, 520_000, 20, "Tăng giá do mật đặc, ít mưa"),
]


def _honey(coop: Cooperative, rng: random.Random) -> int:
    chair = User.objects.filter(phone="0911000001").first()
    accountant = User.objects.filter(phone="0911000002").first()
    collector = User.objects.filter(phone="0911000003").first()
    honey = _product(coop, code="MAT", name="Mật ong bạc hà", name_en="Mint-flower honey", base_unit="l")
    # Price history: last season, then this season's list, raised in the middle of it.
    for grade, price, days_ago, note in HONEY_PRICES:
        services.price_set(
            notify=False,
            product=honey,
            grade=grade,
            price_vnd=price,
            effective_from=_at(days_ago, 6),
            actor=chair,
            note=note,
        )
    start = timezone.localdate() - dt.timedelta(days=57)
    season = services.season_create(
        product=honey,
        name=f"Mật ong {start.year}–{start.year + 1}",
        starts_on=start,
        ends_on=start + dt.timedelta(days=150),
        actor=chair,
    )
    points = _points(
        coop, [("Điểm thu mua Pả Vi", "Thôn Pả Vi Hạ", 769), ("Điểm thu mua Sủng Trà", "Thôn Sủng Trà", 787)]
    )
    members = list(Member.objects.filter(status=MemberStatus.ACTIVE).order_by("id"))
    count = 0
    for index, member in enumerate(members):
        if index % 5 != 4:  # most households sign the bao tiêu agreement
            services.agreement_create(
                member=member,
                season=season,
                committed_quantity=Decimal(rng.randrange(20, 90, 5)),
                committed_unit="l",
                price_rule="list",
                floor_price_vnd=450_000,
                advance_vnd=rng.choice([0, 0, 1_000_000, 2_000_000, 3_000_000]),
                signed_on=start + dt.timedelta(days=rng.randint(0, 5)),
                actor=accountant,
            )
        if index % 4 == 0:  # bee boxes lent before the season
            boxes = rng.randint(2, 6)
            ledger.input_loan_give(
                member=member,
                item="Thùng ong",
                quantity=Decimal(boxes),
                unit="thùng",
                value=boxes * 350_000,
                occurred_at=_at(55, 9),
                actor=accountant,
            )
        if index % 9 == 8:  # a few households have not delivered yet
            continue
        point = points[1] if member.commune_code == 787 else points[0]
        for _n in range(rng.randint(1, 4)):
            days_ago = rng.randint(1, 50)
            services.receipt_record(
                notify=False,
                member=member,
                collected_at=_at(days_ago, rng.randint(7, 16), rng.choice([0, 15, 30, 45])),
                point=point,
                collector=collector,
                actor=collector,
                lines=[
                    services.LineInput(
                        product=honey,
                        quantity=Decimal(rng.randrange(30, 260, 5)) / 10,
                        unit="l",
                        grade=1 if rng.random() < 0.8 else 2,
                        deduction_pct=Decimal(rng.choice([0, 0, 0, 1, 2, 3])),
                    )
                ],
            )
            count += 1
    # Payouts: the first households are paid, loans netted. Bank transfers go in two steps:
    # prepared, then confirmed with the bank's reference; the last one is left prepared.
    prepared = []
    for member in members[:12]:
        balance = member_balance(member)
        deduct = min(balance.receivable, balance.payable)
        amount = (balance.payable - deduct) // 2
        if member.bank_account and amount > 0:
            prepared.append(
                ledger.payout_prepare(member=member, amount=amount, deduct=deduct, actor=accountant)
            )
        elif amount > 0 or deduct > 0:
            ledger.payout_make(
                member=member,
                amount=amount,
                deduct=deduct,
                method="cash",
                occurred_at=_at(3, 10),
                actor=accountant,
            )
    for number, payout in enumerate(prepared[:-1], start=1):
        ledger.payout_confirm(
            payout=payout, reference=f"FT{number:010d}", transferred_on=timezone.localdate(), actor=accountant
        )
    # One receipt recorded for the wrong household, voided with a reason.
    wrong = Receipt.objects.order_by("-collected_at").first()
    if wrong is not None:
        services.receipt_void(
            notify=False, receipt=wrong, reason="Ghi nhầm hộ bán, đã lập phiếu mới", actor=accountant
        )
    return count


def _tea(coop: Cooperative, rng: random.Random) -> int:
    chair = User.objects.filter(phone="0912000001").first()
    tea = _product(
        coop, code="CHE", name="Chè Shan tuyết búp tươi", name_en="Fresh Shan tuyết tea buds", base_unit="kg"
    )
    services.price_set(
        notify=False, product=tea, grade=1, price_vnd=25_000, effective_from=_at(120, 5), actor=chair
    )
    services.price_set(
        notify=False, product=tea, grade=2, price_vnd=20_000, effective_from=_at(120, 5), actor=chair
    )
    services.price_set(
        notify=False,
        product=tea,
        grade=1,
        price_vnd=28_000,
        effective_from=_at(30, 5),
        actor=chair,
        note="Chè thu búp đẹp",
    )
    start = timezone.localdate() - dt.timedelta(days=118)
    services.season_create(
        product=tea,
        name=f"Chè Shan tuyết vụ thu {start.year}",
        starts_on=start,
        ends_on=start + dt.timedelta(days=130),
        actor=chair,
    )
    points = _points(
        coop,
        [("Điểm thu mua Tham Vè", "Thôn Tham Vè", 952), ("Điểm thu mua Khuổi Vài", "Thôn Khuổi Vài", 952)],
    )
    members = list(Member.objects.filter(status=MemberStatus.ACTIVE).order_by("id"))
    count = 0
    for days_ago in range(40, 0, -3):  # buying days every third day
        for member in rng.sample(members, k=min(len(members), rng.randint(10, 18))):
            services.receipt_record(
                notify=False,
                member=member,
                collected_at=_at(days_ago, rng.randint(6, 11), rng.choice([0, 20, 40])),
                point=rng.choice(points),
                collector=chair,
                actor=chair,
                lines=[
                    services.LineInput(
                        product=tea,
                        quantity=Decimal(rng.randrange(80, 450, 5)) / 10,
                        unit="kg",
                        grade=1 if rng.random() < 0.7 else 2,
                        deduction_pct=Decimal(rng.choice([0, 0, 2, 5])),
                    )
                ],
            )
            count += 1
    return count


def load_demo(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda _text: None)
    counts = {}
    for slug, loader in (("tuan-dung", _honey), ("tay-con-linh", _tea)):
        coop = Cooperative.objects.filter(slug=slug).first()
        if coop is None:
            continue
        with tenant(coop):
            if Receipt.objects.exists():
                counts[slug] = 0
                continue
            counts[slug] = loader(coop, random.Random(f"hoptac-offtake-{slug}"))  # noqa: S311
        say(f"{slug}: +{counts[slug]} purchase receipts")
    return counts

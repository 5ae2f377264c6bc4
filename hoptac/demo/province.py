"""A whole province for measuring: hundreds of cooperatives, tens of thousands of member
households and up to a million purchase receipts, written with bulk inserts.

What it writes is *valid* the way the services would have written it, so that every page
and export can be measured on it (``scripts/bench_province.py``) and
:func:`province_check` can prove it:

- cooperatives (HTX, THT, unions) of the province, each with a chair account, products with
  a price list, a season, a collection point, member households (70 % with a phone);
- offtake agreements numbered 1, 2, 3… per cooperative;
- purchase receipts numbered 1, 2, 3… per cooperative in the order of their time, each
  with its line, its history row, its ledger entry (the purchase) and, for households with a
  phone, its SMS in the outbox (already sent); the counters stand at the last number;
- cash payouts (numbered ``CHI…``) paying what was bought more than 45 days ago for most
  households, so that balances, statements and "waiting for payment" have something true;
- raw lots made of older receipt lines (each line in one lot at most), with their stock-in
  movement.

One cooperative (the first) is big, like the trial's: about 6 % of the households and of
the receipts. The rest are spread unevenly (a log-normal draw, same ``seed`` same province).

Rows are written by ``bulk_create`` in batches; a province is one call and is not
idempotent: it refuses to run when its slug prefix is already used.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from hoptac.accounts.models import Membership, User
from hoptac.catalog.models import Product
from hoptac.coops.models import Cooperative, CoopKind, Member, Village
from hoptac.core.models import Counter
from hoptac.core.roles import Role
from hoptac.inventory.models import Lot, LotKind, LotSource, MovementKind, StockMovement
from hoptac.ledger.models import Entry, EntryKind, PayoutMethod
from hoptac.lib import places, units
from hoptac.lib.text import fold
from hoptac.offtake.models import (
    Agreement,
    CollectionPoint,
    Price,
    PriceRule,
    Receipt,
    ReceiptEvent,
    ReceiptLine,
    Season,
)
from hoptac.outbox.models import Channel, Kind, Message, Status

BATCH = 5000
BIG_SHARE = 0.0625  # the first cooperative's share of households and receipts
LOT_SIZE = 40  # receipt lines per raw lot
PASSWORD = "province-2026"  # noqa: S105 -- every generated chair account; a benchmark fixture only

PRODUCTS = [
    # code, name, base unit, grade-1 price per base unit (VND), typical kg/l per delivery
    ("CHE", "Chè Shan tuyết búp tươi", "kg", 30_000, 40),
    ("MAT", "Mật ong bạc hà", "l", 450_000, 6),
    ("CAM", "Cam sành", "kg", 18_000, 120),
    ("THAO", "Thảo quả khô", "kg", 220_000, 15),
    ("GUNG", "Gừng", "kg", 14_000, 90),
    ("NAM", "Nấm hương khô", "kg", 380_000, 4),
]
SURNAMES = ["Vàng", "Giàng", "Sùng", "Lò", "Hoàng", "Nông", "Lục", "Thào", "Ma", "Nguyễn", "Lý", "Mùa"]
MIDDLE = ["A", "Thị", "Văn", "Seo", "Mí", "Chúng", "Đức"]
GIVEN = ["Páo", "Chứ", "Dính", "Mỷ", "Sính", "Lử", "Hoa", "Thanh", "Dương", "Pà", "Súa", "Tủa", "Lan", "Sơn"]
ETHNICITIES = ["hmong", "tay", "dao", "nung", "kinh", "giay", "lolo"]
KINDS = [CoopKind.HTX] * 8 + [CoopKind.THT] * 2


@dataclass(frozen=True)
class Size:
    cooperatives: int = 800
    households: int = 80_000
    receipts: int = 1_000_000

    def __post_init__(self):
        if self.cooperatives < 1 or self.households < self.cooperatives * 2 or self.receipts < 0:
            raise ValueError("a province needs at least one cooperative and two households per cooperative")


def _shares(n: int, total: int, rng: random.Random, *, floor: int) -> list[int]:
    """``total`` split over ``n`` cooperatives: the first gets BIG_SHARE, the others a
    log-normal share, each at least ``floor``."""
    if n == 1:
        return [total]
    big = max(floor, int(total * BIG_SHARE))
    weights = [rng.lognormvariate(0, 0.9) for _ in range(n - 1)]
    rest = total - big - floor * (n - 1)
    if rest < 0:
        big, rest = floor, total - floor * n
    scale = rest / sum(weights)
    shares = [big] + [floor + int(w * scale) for w in weights]
    shares[1] += total - sum(shares)  # what rounding left
    return shares


_CONVERTED = {"DateTimeField", "DateField", "DecimalField", "UUIDField", "JSONField"}


class _Rows:
    """Plain INSERTs of one model's rows given as dicts, with ids given here (the next ones
    after the table's largest): a million model instances through ``bulk_create`` take
    minutes of Python, tuples through ``executemany`` seconds. Fields not given take their
    default, ``auto_now_add`` ones the time of the run. Sequences are set right at the end
    (:func:`_reset_sequences`)."""

    def __init__(self, model, now):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.now = now
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        # Table and column names from the model, quoted; the values are parameters.
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        top = model._base_manager.aggregate(top=Max("pk"))["top"] or 0
        self.next_id = top + 1
        self.pending: list[tuple] = []

    def add(self, **values) -> int:
        pk = self.next_id
        self.next_id += 1
        values["id"] = pk
        row = []
        for field in self.fields:
            if field.attname in values:
                value = values[field.attname]
            elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
                value = self.now
            else:
                value = field.get_default()
            if value is not None and field.get_internal_type() in _CONVERTED:
                value = field.get_db_prep_save(value, connection)
            row.append(value)
        self.pending.append(tuple(row))
        if len(self.pending) >= BATCH:
            self.flush()
        return pk

    def flush(self) -> None:
        if self.pending:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.pending)
            self.pending = []


def _reset_sequences(models) -> None:
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _phone(prefix: str, number: int) -> str:
    return f"{prefix}{number % 10 ** (10 - len(prefix)):0{10 - len(prefix)}d}"


def province_generate(
    *, size: Size = Size(), seed: int = 15, prefix: str = "tinh", stdout=None
) -> dict[str, int]:
    """Write a province of ``size``; returns how many rows of each kind were written."""
    rng = random.Random(seed)
    if Cooperative.objects.filter(slug__startswith=f"{prefix}-").exists():
        raise ValidationError(f"Cooperatives “{prefix}-…” exist already: give another --prefix.")
    started = time.monotonic()
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate(now)
    province = places.TUYEN_QUANG
    communes = [code for code, _name in places.commune_choices(province)]
    counts: dict[str, int] = defaultdict(int)
    password = make_password(PASSWORD)
    households = _shares(size.cooperatives, size.households, rng, floor=2)
    receipts = (
        _shares(size.cooperatives, size.receipts, rng, floor=0) if size.receipts else [0] * size.cooperatives
    )

    with transaction.atomic():
        coops = Cooperative.objects.bulk_create(
            [
                Cooperative(
                    kind=rng.choice(KINDS),
                    name=f"HTX Tỉnh {i + 1:04d} {rng.choice(GIVEN)}",
                    slug=f"{prefix}-{i + 1:04d}",
                    province_code=province,
                    commune_code=rng.choice(communes),
                    sectors=[rng.choice(["tea", "honey", "fruit", "herbs", "livestock"])],
                    founded_on=dt.date(rng.randint(2008, 2024), rng.randint(1, 12), 1),
                    phone=_phone("024", i),
                )
                for i in range(size.cooperatives)
            ],
            batch_size=BATCH,
        )
        counts["cooperatives"] = len(coops)
        taken = set(User.objects.filter(phone__startswith="039").values_list("phone", flat=True))
        free = (p for p in (_phone("039", 1_000_000 + n) for n in range(10**7)) if p not in taken)
        chairs = User.objects.bulk_create(
            [User(phone=next(free), full_name=f"Chủ tịch {coop.slug}", password=password) for coop in coops],
            batch_size=BATCH,
        )
        Membership.objects.bulk_create(
            [
                Membership(user=user, cooperative=coop, role=Role.CHAIR)
                for user, coop in zip(chairs, coops, strict=True)
            ],
            batch_size=BATCH,
        )
        counts["users"] = len(chairs)
        rows = SimpleNamespace(
            receipts=_Rows(Receipt, now),
            lines=_Rows(ReceiptLine, now),
            events=_Rows(ReceiptEvent, now),
            entries=_Rows(Entry, now),
            messages=_Rows(Message, now),
            sources=_Rows(LotSource, now),
        )
        _say(stdout, f"{len(coops)} cooperatives and their chairs ({time.monotonic() - started:.0f} s)\n")

        for index, coop in enumerate(coops):
            written = _cooperative(
                coop,
                households=households[index],
                receipts=receipts[index],
                rng=rng,
                now=now,
                today=today,
                chair=chairs[index],
                rows=rows,
            )
            if index % 20 == 19 or index == len(coops) - 1:
                for table in vars(rows).values():
                    table.flush()
            for key, value in written.items():
                counts[key] += value
            if stdout is not None and (index % 50 == 0 or index == len(coops) - 1):
                _say(
                    stdout,
                    f"{index + 1}/{len(coops)} cooperatives, {counts['receipts']} receipts "
                    f"({time.monotonic() - started:.0f} s)\n",
                )
        # Rows of these tables were given their ids here: their sequences catch up.
        _reset_sequences([Receipt, ReceiptLine, ReceiptEvent, Entry, Message, LotSource])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    counts["seconds"] = round(time.monotonic() - started)
    return dict(counts)


def _cooperative(coop, *, households: int, receipts: int, rng, now, today, chair, rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    commune = coop.commune_code
    chosen = rng.sample(PRODUCTS, k=rng.choice([1, 1, 2]))
    products = Product.unscoped.bulk_create(
        [
            Product(cooperative=coop, name=name, code=code, base_unit=unit)
            for code, name, unit, _price, _typical in chosen
        ]
    )
    typical = {p.pk: spec[4] for p, spec in zip(products, chosen, strict=True)}
    price_of = {p.pk: spec[3] for p, spec in zip(products, chosen, strict=True)}
    season_start = today - dt.timedelta(days=365)
    Price.unscoped.bulk_create(
        [
            Price(
                cooperative=coop,
                product=p,
                grade=1,
                price_vnd=price_of[p.pk],
                effective_from=now - dt.timedelta(days=400),
                note="",
            )
            for p in products
        ]
    )
    seasons = Season.unscoped.bulk_create(
        [
            Season(
                cooperative=coop,
                product=p,
                name=f"{p.name} {season_start.year}–{today.year}",
                starts_on=season_start,
                ends_on=today + dt.timedelta(days=60),
            )
            for p in products
        ]
    )
    point = CollectionPoint.unscoped.create(
        cooperative=coop, name="Điểm thu mua trung tâm", commune_code=commune
    )
    villages = Village.unscoped.bulk_create(
        [Village(cooperative=coop, name=f"Thôn {n}", commune_code=commune) for n in range(1, 6)]
    )

    members = []
    for i in range(households):
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        phone = _phone("09", coop.pk * 100_000 + i) if rng.random() < 0.7 else None
        village = rng.choice(villages)
        members.append(
            Member(
                cooperative=coop,
                full_name=name,
                gender=rng.choice(["male", "female"]),
                ethnicity=rng.choice(ETHNICITIES),
                birth_year=rng.randint(1950, 2000),
                phone=phone,
                village=village,
                commune_code=commune,
                joined_on=today - dt.timedelta(days=rng.randint(400, 4000)),
                capital_vnd=rng.choice([0, 1_000_000, 2_000_000, 5_000_000]),
                search_text=" " + fold(" ".join(filter(None, [name, phone or "", village.name])))[:399],
            )
        )
    members = Member.unscoped.bulk_create(members, batch_size=BATCH)
    counts["members"] = len(members)

    # Agreements: a third of the households, for the first season.
    agreed = members[: max(1, len(members) // 3)]
    signed = Agreement.unscoped.bulk_create(
        [
            Agreement(
                cooperative=coop,
                number=n,
                member=m,
                season=seasons[0],
                committed_quantity=Decimal(typical[products[0].pk] * 10),
                committed_unit=products[0].base_unit,
                committed_base=Decimal(typical[products[0].pk] * 10),
                price_rule=PriceRule.LIST,
                floor_price_vnd=price_of[products[0].pk] * 9 // 10,
                signed_on=season_start,
            )
            for n, m in enumerate(agreed, start=1)
        ],
        batch_size=BATCH,
    )
    counts["agreements"] = len(agreed)
    # A delivery of the season's product by a household under agreement is under it.
    agreement_of = {a.member_id: a.pk for a in signed}
    Counter.objects.bulk_create([Counter(cooperative=coop, key="agreement", value=len(agreed))])

    # Receipts, in the order of their time so that numbers follow it.
    span = int((now - dt.datetime.combine(season_start, dt.time(7), tzinfo=now.tzinfo)).total_seconds())
    moments = sorted(now - dt.timedelta(seconds=rng.randint(3600, span)) for _ in range(receipts))
    paid_until = now - dt.timedelta(days=45)
    bought_before: dict[int, int] = defaultdict(int)  # member id -> value bought before paid_until
    last_before: dict[int, dt.datetime] = {}
    lot_lines: dict[int, list] = defaultdict(list)  # product id -> [(line id, net, time)] for lots
    head = coop.name[:20]
    for number, at in enumerate(moments, start=1):
        member = rng.choice(members)
        product = rng.choice(products)
        quantity = Decimal(max(1, int(rng.gauss(typical[product.pk], typical[product.pk] / 3))))
        deduction = Decimal(rng.choice([0, 0, 0, 1, 2]))
        net = units.net_quantity(quantity, deduction)
        price = price_of[product.pk]
        amount = units.line_amount(net, price)
        code = f"PTM-{number:06d}"
        receipt_id = rows.receipts.add(
            cooperative_id=coop.pk,
            uuid=uuid.uuid4(),
            number=number,
            member_id=member.pk,
            collected_at=at,
            point_id=point.pk,
            collector_id=chair.pk,
            agreement_id=agreement_of.get(member.pk) if product.pk == products[0].pk else None,
            status="confirmed",
            total_vnd=amount,
        )
        line_id = rows.lines.add(
            cooperative_id=coop.pk,
            receipt_id=receipt_id,
            product_id=product.pk,
            grade=1,
            quantity=quantity,
            unit=product.base_unit,
            base_quantity=quantity,
            deduction_pct=deduction,
            net_quantity=net,
            unit_price_vnd=price,
            list_price_vnd=price,
            amount_vnd=amount,
        )
        rows.events.add(
            cooperative_id=coop.pk,
            receipt_id=receipt_id,
            action="record",
            to_status="confirmed",
            actor_id=chair.pk,
        )
        rows.entries.add(
            cooperative_id=coop.pk,
            uuid=uuid.uuid4(),
            member_id=member.pk,
            kind=EntryKind.PURCHASE,
            occurred_at=at,
            payable_delta=amount,
            memo=f"Phiếu thu mua {code}",
            source_type="receipt",
            source_id=str(receipt_id),
            created_by_id=chair.pk,
        )
        if member.phone:
            text = f"{head}: phieu {code} {at:%d/%m}: {amount}d."
            rows.messages.add(
                cooperative_id=coop.pk,
                uuid=uuid.uuid4(),
                request_id=uuid.uuid4().hex,
                kind=Kind.RECEIPT,
                source_type="receipt",
                source_id=str(receipt_id),
                member_id=member.pk,
                to_name=member.full_name,
                to_phone=member.phone,
                channel=Channel.SMS,
                text=text,
                body=text,
                segments=1,
                cost_vnd=800,
                status=Status.SENT,
                attempts=1,
                next_attempt_at=at,
                sent_at=at,
                provider="fake",
            )
        if at < paid_until:
            bought_before[member.pk] += amount
            last_before[member.pk] = at
            lot_lines[product.pk].append((line_id, net, at))
    counts["receipts"] = receipts
    Counter.objects.bulk_create([Counter(cooperative=coop, key="receipt", value=receipts)])

    # Cash payouts: most households were paid, a week or two later, what they sold before
    # the last 45 days; the others are still waiting.
    paid = sorted(m for m in bought_before if rng.random() < 0.85)
    for n, member_id in enumerate(paid, start=1):
        rows.entries.add(
            cooperative_id=coop.pk,
            uuid=uuid.uuid4(),
            member_id=member_id,
            kind=EntryKind.PAYOUT,
            occurred_at=min(last_before[member_id] + dt.timedelta(days=rng.randint(3, 20)), paid_until),
            payable_delta=-bought_before[member_id],
            memo="Chi trả tiền mặt",
            payout_method=PayoutMethod.CASH,
            code=f"CHI{n:06d}",
            created_by_id=chair.pk,
        )
    Counter.objects.bulk_create([Counter(cooperative=coop, key="payout", value=len(paid))])
    counts["payouts"] = len(paid)

    # Raw lots of LOT_SIZE older lines each, with their stock-in movement.
    lots, groups = [], []
    for product in products:
        pending = lot_lines.get(product.pk, [])
        for start in range(0, len(pending) - LOT_SIZE + 1, LOT_SIZE):
            group = pending[start : start + LOT_SIZE]
            days = [timezone.localdate(at) for _line, _net, at in group]
            lots.append(
                Lot(
                    cooperative=coop,
                    code=f"{product.code}-{max(days):%y%m%d}-{len(lots) + 1:04d}",
                    product=product,
                    kind=LotKind.RAW,
                    quantity=sum((net for _line, net, _at in group), Decimal(0)),
                    harvest_from=min(days),
                    harvest_to=max(days),
                    created_by=chair,
                )
            )
            groups.append(group)
    Lot.unscoped.bulk_create(lots, batch_size=BATCH)
    for lot, group in zip(lots, groups, strict=True):
        for line_id, net, _at in group:
            rows.sources.add(cooperative_id=coop.pk, lot_id=lot.pk, receipt_line_id=line_id, quantity=net)
    StockMovement.unscoped.bulk_create(
        [
            StockMovement(
                cooperative=coop,
                lot=lot,
                kind=MovementKind.IN,
                quantity=lot.quantity,
                reason="Mua của thành viên",
                at=max(at for _line, _net, at in group),
                created_by=chair,
            )
            for lot, group in zip(lots, groups, strict=True)
        ],
        batch_size=BATCH,
    )
    counts["lots"] = len(lots)
    return counts


def province_check(*, prefix: str = "tinh") -> list[str]:
    """What is wrong with a generated province (empty: nothing). Reads across cooperatives
    on purpose (``unscoped``): it is a platform command, not a page."""
    problems = []
    coops = list(Cooperative.objects.filter(slug__startswith=f"{prefix}-").order_by("pk"))
    ids = [c.pk for c in coops]
    numbers = {
        row["cooperative"]: row
        for row in Receipt.unscoped.filter(cooperative__in=ids)
        .values("cooperative")
        .annotate(n=Count("id"), top=Max("number"), total=Sum("total_vnd"))
    }
    counters = {c.cooperative_id: c.value for c in Counter.objects.filter(cooperative__in=ids, key="receipt")}
    bought = {
        row["cooperative"]: row["total"]
        for row in Entry.unscoped.filter(cooperative__in=ids, kind=EntryKind.PURCHASE)
        .values("cooperative")
        .annotate(total=Sum("payable_delta"))
    }
    for coop in coops:
        row = numbers.get(coop.pk, {"n": 0, "top": 0, "total": 0})
        if (row["top"] or 0) != row["n"] or counters.get(coop.pk, 0) != row["n"]:
            problems.append(
                f"{coop.slug}: receipt numbers are not 1…{row['n']} (counter {counters.get(coop.pk)})"
            )
        if (bought.get(coop.pk) or 0) != (row["total"] or 0):
            problems.append(f"{coop.slug}: ledger purchases {bought.get(coop.pk)} ≠ receipts {row['total']}")
    lines = ReceiptLine.unscoped.filter(cooperative__in=ids)
    if lines.count() != Receipt.unscoped.filter(cooperative__in=ids).count():
        problems.append("a receipt without its line")
    entries = Entry.unscoped.filter(cooperative__in=ids, kind=EntryKind.PURCHASE, source_type="receipt")
    if entries.values("source_id").distinct().count() != entries.count():
        problems.append("a receipt with two purchase entries")
    if entries.count() != lines.count():
        problems.append("a receipt without its purchase entry")
    negative = (
        Entry.unscoped.filter(cooperative__in=ids)
        .values("member")
        .annotate(payable=Sum("payable_delta"))
        .filter(payable__lt=0)
        .count()
    )
    if negative:
        problems.append(f"{negative} households were paid more than they sold")
    for lot in (
        Lot.unscoped.filter(cooperative__in=ids)
        .annotate(held=Sum("sources__quantity"))
        .iterator(chunk_size=2000)
    ):
        if lot.held != lot.quantity:
            problems.append(f"lot {lot.code} holds {lot.held}, says {lot.quantity}")
            break
    with_phone = Receipt.unscoped.filter(cooperative__in=ids, member__phone__isnull=False).count()
    sent = Message.unscoped.filter(cooperative__in=ids, kind=Kind.RECEIPT).count()
    if with_phone != sent:
        problems.append(f"{with_phone} receipts to households with a phone, {sent} SMS")
    return problems


def size_from_scale(scale: float) -> Size:
    """``--scale 0.01`` is a hundredth of the full province (8 cooperatives…)."""
    full = Size()
    return Size(
        cooperatives=max(1, math.ceil(full.cooperatives * scale)),
        households=max(2, math.ceil(full.households * scale)),
        receipts=math.ceil(full.receipts * scale),
    )


def bench_paths(coop) -> list[tuple[str, str]]:
    """The pages a benchmark opens in ``coop`` (its chair signed in), with names: the lists,
    the season page (both tables), the agreement list, the statement of the household with
    the most entries (a year), its ledger page, a receipt, a lot and its public trace page."""
    base = f"/c/{coop.slug}"
    season = Season.unscoped.filter(cooperative=coop).order_by("pk").first()
    busiest = (
        Entry.unscoped.filter(cooperative=coop)
        .values("member")
        .annotate(n=Count("id"))
        .order_by("-n", "member")
        .first()
    )
    member = (
        Member.unscoped.get(pk=busiest["member"])
        if busiest
        else Member.unscoped.filter(cooperative=coop).first()
    )
    receipt = Receipt.unscoped.filter(cooperative=coop).order_by("-number").first()
    lot = Lot.unscoped.filter(cooperative=coop).order_by("pk").first()
    today = timezone.localdate()
    year = f"?start={today - dt.timedelta(days=365):%Y-%m-%d}&end={today:%Y-%m-%d}"
    paths = [
        ("dashboard", f"{base}/"),
        ("member list", f"{base}/members/"),
        ("member search", f"{base}/members/?q=thon"),
        ("member page", f"{base}/members/{member.uuid}/"),
        ("receipt list", f"{base}/buying/receipts/"),
        ("receipt form", f"{base}/buying/receipts/new/"),
        ("agreement list", f"{base}/buying/agreements/"),
        ("season list", f"{base}/buying/seasons/"),
        ("ledger page", f"{base}/ledger/members/{member.uuid}/"),
        ("statement (a year)", f"{base}/ledger/members/{member.uuid}/statement/{year}"),
        ("statement, page 2", f"{base}/ledger/members/{member.uuid}/statement/{year}&page=2"),
        ("owed list", f"{base}/ledger/owed/"),
        ("lot list", f"{base}/inventory/lots/"),
        ("stock", f"{base}/inventory/stock/"),
    ]
    if season is not None:
        paths += [
            ("season page", f"{base}/buying/seasons/{season.pk}/"),
            ("season summary page", f"{base}/buying/seasons/{season.pk}/?show=summary"),
        ]
    if receipt is not None:
        paths.append(("receipt page", f"{base}/buying/receipts/{receipt.uuid}/"))
    if lot is not None:
        paths += [
            ("lot page", f"{base}/inventory/lots/{lot.uuid}/"),
            ("trace page (public)", f"/t/{lot.public_code}"),
        ]
    return paths

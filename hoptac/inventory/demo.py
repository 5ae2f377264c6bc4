"""Demo lots: Tuấn Dũng honey made from 40 households' receipts; Tây Côn Lĩnh and Phìn Hồ
tea with processing steps (withering, rolling, drying…). Loaded only where a cooperative
has no lots yet. Some households agreed to have their names on trace pages."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.coops.models import Cooperative, Member, MemberStatus
from hoptac.core.tenancy import tenant
from hoptac.inventory import services
from hoptac.inventory.models import Lot
from hoptac.offtake import services as offtake
from hoptac.offtake.models import ReceiptLine, ReceiptStatus


def _lines_of(product, *, members: int | None = None, since: dt.date | None = None) -> list[int]:
    lines = (
        ReceiptLine.objects.filter(
            product=product, receipt__status=ReceiptStatus.CONFIRMED, lot_source__isnull=True
        )
        .select_related("receipt")
        .order_by("receipt__collected_at", "id")
    )
    if since is not None:
        lines = lines.filter(receipt__collected_at__date__gte=since)
    chosen, seen = [], set()
    for line in lines:
        member_id = line.receipt.member_id
        if members is not None and member_id not in seen and len(seen) >= members:
            continue
        seen.add(member_id)
        chosen.append(line.pk)
    return chosen


def _consent(count: int) -> None:
    ids = list(
        Member.objects.filter(status=MemberStatus.ACTIVE).order_by("id").values_list("id", flat=True)[:count]
    )
    Member.objects.filter(pk__in=ids).update(trace_consent=True)


def _honey(coop) -> int:
    honey = Product.objects.get(code="MAT")
    _consent(15)
    raw = services.raw_lot_create(
        product=honey, receipt_line_ids=_lines_of(honey, members=40), notes="Mật vụ đông, 40 hộ"
    )
    done = raw.harvest_to
    services.step_add(
        lot=raw,
        kind="filtering",
        done_on=done,
        operator_name="Sùng Seo Chứ",
        quantity_in=raw.quantity,
        quantity_out=raw.quantity - Decimal("4.5"),
        description="Lọc qua lưới inox 2 lớp",
    )
    services.step_add(
        lot=raw,
        kind="other",
        done_on=done,
        operator_name="Sùng Seo Chứ",
        quantity_in=raw.quantity - Decimal("4.5"),
        quantity_out=raw.quantity - Decimal("6"),
        description="Để lắng 7 ngày, hạ thủy phần dưới 20%",
    )
    packed = min(done + dt.timedelta(days=1), timezone.localdate())
    used = min(Decimal(300), raw.quantity - Decimal(6))
    services.finished_lot_create(
        product=honey,
        inputs=[(raw, used)],
        pack_count=int(used * 2),
        production_date=packed,
        best_before=packed + dt.timedelta(days=730),
    )
    return 2


def _tea(coop, *, fresh_code: str, finished_code: str, operator: str, steps) -> int:
    fresh = Product.objects.get(code=fresh_code)
    finished = Product.objects.get(code=finished_code)
    raw = services.raw_lot_create(
        product=fresh,
        receipt_line_ids=_lines_of(fresh, since=timezone.localdate() - dt.timedelta(days=20)),
        notes="Búp tươi hái trong 3 tuần",
    )
    day = raw.harvest_to
    quantity = raw.quantity
    for kind, ratio, note in steps:
        out = (quantity * Decimal(ratio)).quantize(Decimal("0.001"))
        services.step_add(
            lot=raw,
            kind=kind,
            done_on=day,
            operator_name=operator,
            quantity_in=quantity,
            quantity_out=out,
            description=note,
        )
        quantity = out
    packs = int(quantity * 1000 / (finished.pack_size or Decimal(100)))
    services.finished_lot_create(
        product=finished,
        inputs=[(raw, raw.quantity)],
        pack_count=max(packs, 1),
        production_date=day,
        best_before=day + dt.timedelta(days=540),
    )
    return 2


def _phin_ho_receipts(coop) -> None:
    """Phìn Hồ buys fresh buds too: a short season of receipts for its tea lots."""
    fresh = Product.objects.get(code="CHE")
    if fresh.prices.exists():
        return
    rng = random.Random("hoptac-inventory-phin-ho")  # noqa: S311
    offtake.price_set(
        notify=False,
        product=fresh,
        grade=1,
        price_vnd=32_000,
        effective_from=timezone.now() - dt.timedelta(days=60),
    )
    members = list(Member.objects.filter(status=MemberStatus.ACTIVE).order_by("id"))
    for days_ago in range(18, 0, -3):
        for member in rng.sample(members, k=min(12, len(members))):
            when = timezone.now() - dt.timedelta(days=days_ago, hours=rng.randint(1, 5))
            offtake.receipt_record(
                notify=False,
                member=member,
                collected_at=when,
                lines=[
                    offtake.LineInput(
                        product=fresh, quantity=Decimal(rng.randrange(60, 300, 5)) / 10, unit="kg"
                    )
                ],
            )


TEA_STEPS = [
    ("withering", "0.85", "Héo nắng nhẹ rồi héo mát"),
    ("rolling", "0.98", "Vò tay"),
    ("drying", "0.30", "Sao khô bằng chảo gang"),
    ("sorting", "0.97", "Sàng, loại cẫng"),
]
BLACK_TEA_STEPS = [
    ("withering", "0.70", "Héo 14 giờ"),
    ("rolling", "0.98", "Vò"),
    ("other", "0.97", "Lên men tự nhiên 4 giờ"),
    ("drying", "0.33", "Sấy khô"),
]


def load_demo(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda _text: None)
    counts = {}
    plans = {
        "tuan-dung": _honey,
        "tay-con-linh": lambda coop: _tea(
            coop, fresh_code="CHE", finished_code="CHEK", operator="Triệu Văn Phin", steps=TEA_STEPS
        ),
        "phin-ho": lambda coop: (
            _phin_ho_receipts(coop),
            _tea(coop, fresh_code="CHE", finished_code="HTBC", operator="Lý Seo Quẩy", steps=BLACK_TEA_STEPS),
        )[1],
    }
    for slug, plan in plans.items():
        coop = Cooperative.objects.filter(slug=slug).first()
        if coop is None:
            continue
        with tenant(coop):
            if Lot.objects.exists():
                counts[slug] = 0
                continue
            counts[slug] = plan(coop)
        say(f"{slug}: +{counts[slug]} lots")
    return counts

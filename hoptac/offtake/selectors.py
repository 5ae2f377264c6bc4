"""Reads for buying from members: prices in force, agreements and how full they are,
receipts, and the reports (daily collection sheet, season summary, purchase list)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.lib import bounds
from hoptac.offtake.models import Agreement, Grade, Price, Receipt, ReceiptLine, ReceiptStatus, Season


def price_in_force(*, product, grade: int, at: dt.datetime | None = None) -> Price | None:
    at = at or timezone.now()
    return (
        Price.objects.filter(product=product, grade=grade, effective_from__lte=at)
        .order_by("-effective_from", "-id")
        .first()
    )


def prices_in_force(at: dt.datetime | None = None) -> list[Price]:
    """The current price of each product and grade of the cooperative (one query)."""
    at = at or timezone.now()
    rows = (
        Price.objects.filter(effective_from__lte=at)
        .select_related("product")
        .order_by("product__name", "grade", "-effective_from", "-id")
    )
    current: dict[tuple[int, int], Price] = {}
    for price in rows:
        current.setdefault((price.product_id, price.grade), price)
    return list(current.values())


def price_history(product=None) -> QuerySet[Price]:
    qs = Price.objects.select_related("product", "created_by").order_by("-effective_from", "-id")
    return qs.filter(product=product) if product is not None else qs


def agreement_for(*, member, product, on: dt.date) -> Agreement | None:
    """The member's agreement whose season, for this product, covers ``on``."""
    return (
        Agreement.objects.filter(
            member=member, season__product=product, season__starts_on__lte=on, season__ends_on__gte=on
        )
        .select_related("season")
        .first()
    )


@dataclass(frozen=True)
class Terms:
    """What the lines of one member's receipt at one moment are priced with, per product:
    the list price in force of each grade (``price_in_force``) and the member's agreement
    whose season covers the day (``agreement_for``; only the fields pricing needs are
    loaded, the others on use). ``receipt_check`` uses them for that member and moment."""

    member_id: int
    at: dt.datetime
    prices: dict  # (product id, grade) -> price in VND, or None
    agreements: dict  # product id -> Agreement or None


def products_with_terms(*, member, at: dt.datetime, ids=None) -> tuple[list, Terms]:
    """The active products by name (as the receipt form lists them), or the products
    ``ids`` (any state, as the field app names them), each read with its terms for
    ``member`` at ``at`` in the SAME statement: a receipt's prices cost no query per line."""
    on = timezone.localdate(at)
    agreements = Agreement.objects.filter(
        member=member, season__product=OuterRef("pk"), season__starts_on__lte=on, season__ends_on__gte=on
    )
    fields = {"pk": "agreement_id", "price_rule": "agreement_rule"}
    fields |= {"fixed_price_vnd": "agreement_fixed", "floor_price_vnd": "agreement_floor"}
    annotations = {alias: Subquery(agreements.values(name)[:1]) for name, alias in fields.items()}
    for grade in Grade.values:
        prices = Price.objects.filter(product=OuterRef("pk"), grade=grade, effective_from__lte=at)
        annotations[f"price_{grade}"] = Subquery(
            prices.order_by("-effective_from", "-id").values("price_vnd")[:1]
        )
    found = (
        Product.objects.filter(is_active=True) if ids is None else Product.objects.filter(pk__in=list(ids))
    )
    products = list(found.annotate(**annotations).order_by("name", "pk"))
    terms = Terms(member_id=member.pk, at=at, prices={}, agreements={})
    for product in products:
        for grade in Grade.values:
            terms.prices[(product.pk, grade)] = getattr(product, f"price_{grade}")
        agreement = None
        if product.agreement_id is not None:
            agreement = Agreement.from_db(
                product._state.db,
                ["id", "cooperative_id", "member_id", "price_rule", "fixed_price_vnd", "floor_price_vnd"],
                [
                    product.agreement_id,
                    product.cooperative_id,
                    member.pk,
                    product.agreement_rule,
                    product.agreement_fixed,
                    product.agreement_floor,
                ],
            )
        terms.agreements[product.pk] = agreement
    return products, terms


@dataclass(frozen=True)
class Fulfilment:
    agreement: Agreement
    delivered_base: Decimal
    amount_vnd: int

    @property
    def percent(self) -> int:
        if not self.agreement.committed_base:
            return 0
        return int((self.delivered_base * 100 / self.agreement.committed_base).to_integral_value())


def agreement_queryset(season: Season | None = None, member=None) -> QuerySet[Agreement]:
    """Agreements by member name, for paging in the database (:func:`fulfilment_of` a page)."""
    agreements = Agreement.objects.select_related("member", "season", "season__product").order_by(
        "member__full_name", "pk"
    )
    if season is not None:
        agreements = agreements.filter(season=season)
    if member is not None:
        agreements = agreements.filter(member=member)
    return agreements


def fulfilment_of(agreements) -> list[Fulfilment]:
    """Each of ``agreements`` (a page) with what was delivered under it, one query."""
    agreements = list(agreements)
    delivered = (
        {
            row["receipt__agreement_id"]: row
            for row in ReceiptLine.objects.filter(
                receipt__agreement__in=[a.pk for a in agreements], receipt__status=ReceiptStatus.CONFIRMED
            )
            .filter(product_id=F("receipt__agreement__season__product_id"))
            .values("receipt__agreement_id")
            .annotate(qty=Sum("net_quantity"), amount=Sum("amount_vnd"))
        }
        if agreements
        else {}
    )
    return [
        Fulfilment(
            agreement=a,
            delivered_base=(delivered.get(a.pk) or {}).get("qty") or Decimal(0),
            amount_vnd=(delivered.get(a.pk) or {}).get("amount") or 0,
        )
        for a in agreements
    ]


def agreements_with_fulfilment(season: Season | None = None, member=None) -> list[Fulfilment]:
    """Each agreement with what was delivered under it (confirmed receipts), two queries.
    A whole set: pages use :func:`agreement_queryset` and :func:`fulfilment_of` a page."""
    return fulfilment_of(agreement_queryset(season=season, member=member))


def season_agreement_totals(season: Season) -> tuple[int, Decimal, Decimal]:
    """(agreements, committed, delivered under them) of a season, summed in the database."""
    totals = Agreement.objects.filter(season=season).aggregate(n=Count("id"), committed=Sum("committed_base"))
    delivered = ReceiptLine.objects.filter(
        receipt__agreement__season=season,
        receipt__status=ReceiptStatus.CONFIRMED,
        product_id=season.product_id,
    ).aggregate(qty=Sum("net_quantity"))["qty"] or Decimal(0)
    return totals["n"], totals["committed"] or Decimal(0), delivered


def receipt_list(
    *, day: dt.date | None = None, point=None, member=None, status: str = ""
) -> QuerySet[Receipt]:
    qs = Receipt.objects.select_related("member", "point", "collector").order_by("-collected_at", "-number")
    if day is not None:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        qs = qs.filter(collected_at__gte=start, collected_at__lt=start + dt.timedelta(days=1))
    if point is not None:
        qs = qs.filter(point=point)
    if member is not None:
        qs = qs.filter(member=member)
    if status:
        qs = qs.filter(status=status)
    return qs


def receipt_get(receipt_uuid) -> Receipt:
    return (
        Receipt.objects.select_related("member", "member__village", "point", "collector", "agreement")
        .prefetch_related("lines__product", "events__actor")
        .get(uuid=receipt_uuid)
    )


def receipt_lots(receipt: Receipt) -> list[str]:
    """The codes of the lots that hold some of this receipt's lines now (a line taken out
    of its lot does not count).

    ``inventory`` sits above ``offtake`` and owns lots; this read follows its reverse
    relation by name (``lot_source``), so ``offtake`` never imports ``inventory`` and the
    rule "a receipt in a lot cannot be voided" has one source of truth: the lot's own rows.
    """
    return sorted(
        set(
            ReceiptLine.objects.filter(
                receipt=receipt, lot_source__isnull=False, lot_source__removed_at__isnull=True
            ).values_list("lot_source__lot__code", flat=True)
        )
    )


@dataclass(frozen=True)
class DailySheet:
    day: dt.date
    point: object
    receipts: list[Receipt]
    totals: list[dict]  # per product and grade: base quantity, net quantity, amount

    @property
    def total_vnd(self) -> int:
        return sum(r.total_vnd for r in self.receipts)


def daily_sheet(*, day: dt.date, point=None) -> DailySheet:
    """Bảng kê thu mua trong ngày per collection point: confirmed receipts and totals."""
    receipts = list(
        receipt_list(day=day, point=point, status=ReceiptStatus.CONFIRMED)
        .prefetch_related("lines__product")
        .order_by("number")
    )
    totals = (
        (
            ReceiptLine.objects.filter(receipt__in=[r.pk for r in receipts])
            .values("product__name", "product__base_unit", "grade")
            .annotate(
                quantity=Sum("base_quantity"),
                net=Sum("net_quantity"),
                amount=Sum("amount_vnd"),
                lines=Count("id"),
            )
            .order_by("product__name", "grade")
        )
        if receipts
        else []
    )
    return DailySheet(day=day, point=point, receipts=receipts, totals=list(totals))


@dataclass(frozen=True)
class SeasonRow:
    member: object
    quantity: Decimal
    amount_vnd: int
    receipts: int
    committed: Decimal | None

    @property
    def percent(self) -> int | None:
        if not self.committed:
            return None
        return int((self.quantity * 100 / self.committed).to_integral_value())


def season_summary(season: Season) -> list[SeasonRow]:
    """Per member: quantity bought (net, base unit), amount, receipts, agreement fulfilment %."""
    # Clamped: a season stored with an absurd date before lib.bounds still has its pages.
    first, last = bounds.clamp_date(season.starts_on), bounds.clamp_date(season.ends_on)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    rows = (
        ReceiptLine.objects.filter(
            product=season.product,
            receipt__status=ReceiptStatus.CONFIRMED,
            receipt__collected_at__gte=start,
            receipt__collected_at__lt=end,
        )
        .values("receipt__member_id")
        .annotate(qty=Sum("net_quantity"), amount=Sum("amount_vnd"), receipts=Count("receipt", distinct=True))
    )
    by_member = {row["receipt__member_id"]: row for row in rows}
    commitments = dict(Agreement.objects.filter(season=season).values_list("member_id", "committed_base"))
    from hoptac.coops.models import Member

    members = Member.objects.filter(pk__in=set(by_member) | set(commitments)).select_related("village")
    result = [
        SeasonRow(
            member=m,
            quantity=(by_member.get(m.pk) or {}).get("qty") or Decimal(0),
            amount_vnd=(by_member.get(m.pk) or {}).get("amount") or 0,
            receipts=(by_member.get(m.pk) or {}).get("receipts") or 0,
            committed=commitments.get(m.pk),
        )
        for m in members
    ]
    return sorted(result, key=lambda r: r.member.full_name)


def _season_lines(season: Season) -> QuerySet[ReceiptLine]:
    first, last = bounds.clamp_date(season.starts_on), bounds.clamp_date(season.ends_on)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    return ReceiptLine.objects.filter(
        product=season.product,
        receipt__status=ReceiptStatus.CONFIRMED,
        receipt__collected_at__gte=start,
        receipt__collected_at__lt=end,
    )


def season_members(season: Season):
    """The members of :func:`season_summary` (who sold in the season or hold its agreement)
    by name, as a queryset to page in the database."""
    from django.db.models import Q

    from hoptac.coops.models import Member

    sold = _season_lines(season).values("receipt__member_id")
    return (
        Member.objects.filter(
            Q(pk__in=sold) | Q(pk__in=Agreement.objects.filter(season=season).values("member_id"))
        )
        .select_related("village")
        .order_by("full_name", "id")
    )


def season_rows(season: Season, members) -> list[SeasonRow]:
    """:func:`season_summary`'s rows of ``members`` only (a page): two queries."""
    members = list(members)
    ids = [m.pk for m in members]
    by_member = {
        row["receipt__member_id"]: row
        for row in _season_lines(season)
        .filter(receipt__member_id__in=ids)
        .values("receipt__member_id")
        .annotate(qty=Sum("net_quantity"), amount=Sum("amount_vnd"), receipts=Count("receipt", distinct=True))
    }
    commitments = dict(
        Agreement.objects.filter(season=season, member_id__in=ids).values_list("member_id", "committed_base")
    )
    return [
        SeasonRow(
            member=m,
            quantity=(by_member.get(m.pk) or {}).get("qty") or Decimal(0),
            amount_vnd=(by_member.get(m.pk) or {}).get("amount") or 0,
            receipts=(by_member.get(m.pk) or {}).get("receipts") or 0,
            committed=commitments.get(m.pk),
        )
        for m in members
    ]


def season_totals(season: Season) -> dict:
    """What the season bought in all: quantity (net, base unit), amount, receipts."""
    totals = _season_lines(season).aggregate(
        quantity=Sum("net_quantity"), amount=Sum("amount_vnd"), receipts=Count("receipt", distinct=True)
    )
    return {
        "quantity": totals["quantity"] or Decimal(0),
        "amount": totals["amount"] or 0,
        "receipts": totals["receipts"] or 0,
    }


def season_summary_size(season: Season) -> int:
    """How many rows :func:`season_summary` has (members who sold or committed), in two
    queries of ids: the xlsx goes to the worker beyond a size."""
    sold = _season_lines(season).values_list("receipt__member_id", flat=True)
    committed = Agreement.objects.filter(season=season).values_list("member_id", flat=True)
    return len(set(sold.distinct()) | set(committed))


def purchase_list(*, start: dt.date, end: dt.date, point=None) -> QuerySet[ReceiptLine]:
    """Lines for the bảng kê 01/TNDN (02/TNDN): produce bought from households without
    invoices, in time order, with the seller, the collection point and the collector."""
    start_at = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    end_at = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    lines = ReceiptLine.objects.filter(
        receipt__status=ReceiptStatus.CONFIRMED,
        receipt__collected_at__gte=start_at,
        receipt__collected_at__lt=end_at,
    )
    if point is not None:
        lines = lines.filter(receipt__point=point)
    return lines.select_related(
        "receipt",
        "receipt__member",
        "receipt__member__village",
        "receipt__point",
        "receipt__collector",
        "product",
    ).order_by("receipt__collected_at", "receipt__number", "id")


# --- setup pages and reports ------------------------------------------------------------------


def season_list() -> QuerySet[Season]:
    """Seasons, newest first, with their product and number of agreements (one query)."""
    return (
        Season.objects.select_related("product")
        .annotate(agreement_count=Count("agreements"))
        .order_by("-starts_on", "name", "id")
    )


def season_get(season_id: int) -> Season:
    return Season.objects.select_related("product").get(pk=season_id)


def point_list():
    from hoptac.offtake.models import CollectionPoint

    return CollectionPoint.objects.order_by("-is_active", "name")


def agreement_get(agreement_uuid) -> Agreement:
    return Agreement.objects.select_related("member", "member__village", "season", "season__product").get(
        uuid=agreement_uuid
    )


def agreement_receipts(agreement: Agreement) -> QuerySet[Receipt]:
    """The receipts recorded under an agreement, voided ones included, newest first."""
    return (
        Receipt.objects.filter(agreement=agreement)
        .select_related("point", "collector")
        .prefetch_related("lines__product")
        .order_by("-collected_at", "-number")
    )


def daily_sheet_printable(*, day: dt.date, point=None) -> DailySheet:
    """:func:`daily_sheet` with each member's village loaded as well (one more query), for
    the printed sheet and its workbook, which show the village on every receipt; each total
    also carries the grade's label."""
    from django.db.models import prefetch_related_objects

    from hoptac.offtake.models import Grade

    sheet = daily_sheet(day=day, point=point)
    prefetch_related_objects([receipt.member for receipt in sheet.receipts], "village")
    for total in sheet.totals:
        total["grade_label"] = Grade(total["grade"]).label
    return sheet


# --- the overview page's cards (offtake/dashboard.py) -------------------------------------------

OVERVIEW_WEEKS = 12  # the weekly chart shows at most this many weeks


@dataclass(frozen=True)
class ProductBuying:
    product_id: int
    name: str
    unit: str
    quantity: Decimal
    amount_vnd: int
    households: int
    committed: Decimal  # agreements' committed quantity in the base unit (0: none)

    @property
    def percent(self) -> int | None:
        if not self.committed:
            return None
        return int((self.quantity * 100 / self.committed).to_integral_value())


@dataclass(frozen=True)
class SeasonOverview:
    seasons: list[Season]
    current: bool  # False: no season covers today, these are the last ones that ended
    products: list[ProductBuying]
    amount_vnd: int
    households: int
    weeks: list[tuple[dt.date, int]]  # (Monday, amount bought that week)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def season_overview(*, today: dt.date | None = None) -> SeasonOverview:
    """This season's buying for the chair's overview: per product the volume (net, in the
    product's unit), value, households and the agreements' committed quantity; value by
    week. "This season" is every season that covers today, or else the last one that
    ended. Five queries whatever the number of receipts, members and agreements."""
    from django.db.models import Q

    from hoptac.core.dbfunctions import LocalWeek, week_monday

    today = today or timezone.localdate()
    seasons = list(
        Season.objects.filter(starts_on__lte=today, ends_on__gte=today)
        .select_related("product")
        .order_by("id")
    )
    current = bool(seasons)
    if not seasons:
        last = (
            Season.objects.filter(starts_on__lte=today)
            .select_related("product")
            .order_by("-ends_on", "-id")
            .first()
        )
        seasons = [last] if last is not None else []
    if not seasons:
        return SeasonOverview([], False, [], 0, 0, [])
    where = Q()
    first = None
    for season in seasons:
        start = bounds.clamp_date(season.starts_on)
        end = bounds.clamp_date(season.ends_on)
        first = start if first is None else min(first, start)
        where |= Q(
            product_id=season.product_id,
            receipt__collected_at__gte=_day_start(start),
            receipt__collected_at__lt=_day_start(end + dt.timedelta(days=1)),
        )
    lines = ReceiptLine.objects.filter(where, receipt__status=ReceiptStatus.CONFIRMED)
    per_product = {
        row["product_id"]: row
        for row in lines.values("product_id").annotate(
            qty=Sum("net_quantity"),
            amount=Sum("amount_vnd"),
            households=Count("receipt__member", distinct=True),
        )
    }
    households = lines.aggregate(n=Count("receipt__member", distinct=True))["n"] or 0
    committed = dict(
        Agreement.objects.filter(season__in=seasons)
        .values("season__product_id")
        .annotate(total=Sum("committed_base"))
        .values_list("season__product_id", "total")
    )
    last_day = min(today, max(bounds.clamp_date(s.ends_on) for s in seasons))
    monday = last_day - dt.timedelta(days=last_day.weekday())
    start_monday = first - dt.timedelta(days=first.weekday())
    # Only the weeks the chart shows are summed.
    shown_from = max(start_monday, monday - dt.timedelta(weeks=OVERVIEW_WEEKS - 1))
    by_week = {
        week_monday(row["week"]): row["amount"] or 0
        for row in lines.filter(receipt__collected_at__gte=_day_start(shown_from))
        .annotate(week=LocalWeek("receipt__collected_at"))
        .values("week")
        .annotate(amount=Sum("amount_vnd"))
        .order_by("week")
    }
    weeks = []
    while monday >= start_monday and len(weeks) < OVERVIEW_WEEKS:
        weeks.append((monday, int(by_week.get(monday, 0))))
        monday -= dt.timedelta(days=7)
    weeks.reverse()
    products = []
    seen = set()
    for season in seasons:
        product = season.product
        if product.pk in seen:
            continue
        seen.add(product.pk)
        row = per_product.get(product.pk) or {}
        products.append(
            ProductBuying(
                product_id=product.pk,
                name=product.name,
                unit=product.unit_label,
                quantity=row.get("qty") or Decimal(0),
                amount_vnd=row.get("amount") or 0,
                households=row.get("households") or 0,
                committed=committed.get(product.pk) or Decimal(0),
            )
        )
    products.sort(key=lambda p: p.name)
    return SeasonOverview(
        seasons=seasons,
        current=current,
        products=products,
        amount_vnd=sum(p.amount_vnd for p in products),
        households=households,
        weeks=weeks,
    )


@dataclass(frozen=True)
class CollectorDay:
    day: dt.date
    receipts: int


@dataclass(frozen=True)
class CollectorOverview:
    receipts_today: int
    receipts_week: int
    days: list[CollectorDay]  # Monday to today
    products: list[dict]  # name, unit, today, week (net quantity in the product's unit)


def collector_overview(*, user, today: dt.date | None = None) -> CollectorOverview:
    """What ``user`` bought today and this week (Monday to today), confirmed receipts only:
    receipts per day and quantity per product, no money. Two queries."""
    from django.db.models import Q
    from django.db.models.functions import TruncDate

    today = today or timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    start, tomorrow = _day_start(monday), _day_start(today + dt.timedelta(days=1))
    today_start = _day_start(today)
    receipts = Receipt.objects.filter(
        collector=user, status=ReceiptStatus.CONFIRMED, collected_at__gte=start, collected_at__lt=tomorrow
    )
    per_day = {
        row["day"]: row["n"]
        for row in receipts.annotate(day=TruncDate("collected_at")).values("day").annotate(n=Count("id"))
    }
    days = [
        CollectorDay(
            day=monday + dt.timedelta(days=i), receipts=per_day.get(monday + dt.timedelta(days=i), 0)
        )
        for i in range((today - monday).days + 1)
    ]
    rows = (
        ReceiptLine.objects.filter(
            receipt__collector=user,
            receipt__status=ReceiptStatus.CONFIRMED,
            receipt__collected_at__gte=start,
            receipt__collected_at__lt=tomorrow,
        )
        .values("product__name", "product__base_unit")
        .annotate(
            week=Sum("net_quantity"),
            today=Sum("net_quantity", filter=Q(receipt__collected_at__gte=today_start)),
        )
        .order_by("product__name")
    )
    products = [
        {
            "name": row["product__name"],
            "unit": "kg" if row["product__base_unit"] == "kg" else _litre(),
            "today": row["today"] or Decimal(0),
            "week": row["week"] or Decimal(0),
        }
        for row in rows
    ]
    return CollectorOverview(
        receipts_today=per_day.get(today, 0),
        receipts_week=sum(per_day.values()),
        days=days,
        products=products,
    )


def _litre() -> str:
    from django.utils.translation import gettext

    return gettext("litre")


def member_recent_receipts(member, *, limit: int = 5) -> list[Receipt]:
    """The newest confirmed receipts of ``member`` with their lines' products (two queries)."""
    return list(
        Receipt.objects.filter(member=member, status=ReceiptStatus.CONFIRMED)
        .prefetch_related("lines__product")
        .order_by("-collected_at", "-number")[:limit]
    )

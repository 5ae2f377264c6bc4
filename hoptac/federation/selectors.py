"""Reads of the alliance's overview: across every cooperative of a province.

These are the federation's explicit cross-cooperative reads (``unscoped``, filtered by the
province and the filters of a :class:`Scope`). Every figure is a GROUP BY in the database,
never a query per cooperative: the number of queries of a page is the same for five
cooperatives or eight hundred (``tests/test_federation_overview.py`` counts them). Buying,
payments, activity and waiting members come from the summaries the worker keeps
(``overview_models``, refreshed hourly); members, certificates and orders are read live.

No member's phone, bank account, e-mail or notes is read here: only counts and sums.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from hoptac.accounts.selectors import alliance_provinces
from hoptac.catalog.models import Certificate, CertificateKind
from hoptac.coops.models import Cooperative, CoopKind, Gender, Member, MemberStatus, MemberType, Sector
from hoptac.federation.models import DirectoryEntry
from hoptac.federation.overview_models import BuyingMonth, CoopFigures, CoopMonth
from hoptac.lib import places
from hoptac.lib.text import fold
from hoptac.shop.models import Order, OrderStatus

MONTHS = 12  # the overview's period: the last twelve months, this one included
EXPIRING_DAYS = 60  # a certificate expiring within this many days is an alert
IDLE_DAYS_DEFAULT = 90
ACTIVITY_BANDS = (30, 90, 180)  # "active within 30 days", "31–90", "91–180", "more", "never"


# --- who and where -----------------------------------------------------------------------------


def provinces_for(user) -> list[int]:
    """The provinces whose overview ``user`` may read: an officer's own; every province
    with a cooperative for a platform administrator."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        codes = set(Cooperative.objects.values_list("province_code", flat=True).distinct())
        return sorted(codes | set(alliance_provinces(user))) or [places.TUYEN_QUANG]
    return sorted(set(alliance_provinces(user)))


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], first_of_month(start)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass(frozen=True)
class Scope:
    """Which cooperatives and which months: a province, optional filters, a period of whole
    months (``start`` and ``end`` are first days of months, both included)."""

    province_code: int
    start: dt.date
    end: dt.date
    kind: str = ""
    sector: str = ""
    commune: int | None = None
    cooperative_id: int | None = None  # the drill-down to one cooperative

    @classmethod
    def last_months(cls, province_code: int, today: dt.date, **filters) -> Scope:
        end = first_of_month(today)
        return cls(province_code=province_code, start=add_months(end, 1 - MONTHS), end=end, **filters)

    @property
    def end_exclusive(self) -> dt.date:
        return add_months(self.end, 1)

    @property
    def months(self) -> list[dt.date]:
        return month_range(self.start, self.end)


@dataclass(frozen=True)
class CoopRow:
    id: int
    slug: str
    name: str
    kind: str
    sectors: tuple[str, ...]
    commune_code: int
    tax_code: str = ""

    @property
    def kind_label(self) -> str:
        return str(CoopKind(self.kind).label) if self.kind in CoopKind.values else self.kind

    @property
    def commune_name(self) -> str:
        return places.commune_name(self.commune_code)


def cooperatives(scope: Scope) -> list[CoopRow]:
    """The active cooperatives of the scope, by name: one query (sectors, a JSON list that
    SQLite cannot filter, are matched here on the few hundred rows)."""
    qs = Cooperative.objects.filter(is_active=True, province_code=scope.province_code)
    if scope.kind:
        qs = qs.filter(kind=scope.kind)
    if scope.commune:
        qs = qs.filter(commune_code=scope.commune)
    if scope.cooperative_id:
        qs = qs.filter(pk=scope.cooperative_id)
    rows = [
        CoopRow(r[0], r[1], r[2], r[3], tuple(r[4] or ()), r[5], r[6])
        for r in qs.order_by("name", "pk").values_list(
            "pk", "slug", "name", "kind", "sectors", "commune_code", "tax_code"
        )
    ]
    if scope.sector:
        rows = [r for r in rows if scope.sector in r.sectors]
    return rows


# --- the overview ------------------------------------------------------------------------------


@dataclass
class Count_:
    """A row of a breakdown: ``count`` cooperatives on the platform; ``not_yet`` the
    directory's entries of the same kind, sector or commune not (yet) on the platform."""

    key: str
    label: str
    count: int
    value: int = 0
    not_yet: int = 0

    @property
    def total(self) -> int:
        return self.count + self.not_yet


@dataclass
class MonthRow:
    month: dt.date
    amount_vnd: int = 0
    receipts: int = 0
    households_sold: int = 0
    households_paid: int = 0
    paid_vnd: int = 0
    settled: int = 0
    wait_days: int = 0
    orders: int = 0
    sales_vnd: int = 0

    @property
    def average_wait(self) -> Decimal | None:
        return (Decimal(self.wait_days) / self.settled).quantize(Decimal("0.1")) if self.settled else None


@dataclass
class ProductRow:
    name: str
    unit: str
    quantity: Decimal
    amount_vnd: int
    receipts: int


@dataclass
class Members:
    active: int = 0
    official: int = 0
    women: int = 0
    minority: int = 0
    capital_vnd: int = 0
    left: int = 0

    def share(self, value: int) -> int | None:
        return round(value * 100 / self.active) if self.active else None

    @property
    def women_pct(self):
        return self.share(self.women)

    @property
    def minority_pct(self):
        return self.share(self.minority)


@dataclass
class CertificateRow:
    cooperative: str
    slug: str
    product: str
    stars: int | None
    kind_label: str
    expires_on: dt.date | None


@dataclass
class Overview:
    scope: Scope
    coops: list[CoopRow]
    by_kind: list[Count_]
    by_sector: list[Count_]
    by_commune: list[Count_]
    by_activity: list[Count_]
    members: Members
    months: list[MonthRow]
    products: list[ProductRow]
    ocop_by_stars: list[Count_]
    expiring: list[CertificateRow]
    refreshed_at: dt.datetime | None
    waiting_households: int = 0
    waiting_vnd: int = 0
    waiting_coops: int = 0
    idle: list = field(default_factory=list)
    province: Province | None = None  # the directory's side; None for one cooperative

    @property
    def total_buying_vnd(self) -> int:
        return sum(m.amount_vnd for m in self.months)

    @property
    def total_receipts(self) -> int:
        return sum(m.receipts for m in self.months)

    @property
    def total_paid_vnd(self) -> int:
        return sum(m.paid_vnd for m in self.months)

    @property
    def total_sales_vnd(self) -> int:
        return sum(m.sales_vnd for m in self.months)

    @property
    def total_orders(self) -> int:
        return sum(m.orders for m in self.months)

    @property
    def average_wait(self) -> Decimal | None:
        settled = sum(m.settled for m in self.months)
        days = sum(m.wait_days for m in self.months)
        return (Decimal(days) / settled).quantize(Decimal("0.1")) if settled else None

    @property
    def households_sold_peak(self) -> int:
        return max((m.households_sold for m in self.months), default=0)

    @property
    def households_paid_peak(self) -> int:
        return max((m.households_paid for m in self.months), default=0)

    @property
    def ocop_products(self) -> int:
        return sum(c.count for c in self.ocop_by_stars)


@dataclass
class Province:
    """The whole province from the alliance's directory (``federation.DirectoryEntry``): the
    cooperatives on the platform (``on_platform``, whether or not they have an entry) and the
    entries not linked to an active cooperative (``not_yet``). An entry linked to a
    cooperative is that cooperative, counted once, with the cooperative's own kind, sectors
    and commune. Members and OCOP products of those not yet on the platform are what the
    directory declares: no member of theirs is known to the platform."""

    on_platform: int = 0
    not_yet: int = 0
    listed: int = 0  # cooperatives on the platform that have a directory entry
    entries: int = 0  # the directory's entries in the scope, linked or not
    declared_members: int = 0  # the directory's member counts, of those not yet on the platform
    members_unknown: int = 0  # entries not yet on the platform without a member count
    ocop_declared: int = 0  # OCOP products named in the directory, of those not yet on the platform
    ocop_entries: int = 0  # entries naming at least one
    ocop_stars: dict[int | None, int] = field(default_factory=dict)  # None: stars not written

    @property
    def ocop_without_stars(self) -> int:
        return self.ocop_stars.get(None, 0)

    @property
    def total(self) -> int:
        return self.on_platform + self.not_yet

    @property
    def unlisted(self) -> int:
        return self.on_platform - self.listed

    @property
    def share(self) -> int | None:
        """The province's cooperatives on the platform, in whole per cent."""
        return round(self.on_platform * 100 / self.total) if self.total else None


@dataclass(frozen=True)
class _Unlisted:
    """A directory entry not (yet) on the platform, as the overview counts it."""

    kind: str
    sectors: tuple[str, ...]
    commune_code: int
    members: int | None
    ocop: str


_OCOP_SPLIT = re.compile(r"[\n;,]+")
_STARS = re.compile(r"([1-5])\s*(?:sao|★|\*|stars?)", re.IGNORECASE)


def ocop_declared(text: str) -> list[int | None]:
    """The OCOP products a directory entry names (one per line, or separated by ``;`` or
    ``,``), each with its stars when written ("Mật ong bạc hà (4 sao)", "Chè 3★")."""
    stars = []
    for part in _OCOP_SPLIT.split(text or ""):
        if part.strip(" .-–—()"):
            found = _STARS.search(part)
            stars.append(int(found.group(1)) if found else None)
    return stars


def _directory(scope: Scope, ids: set[int]) -> tuple[list[_Unlisted], int, int]:
    """The scope's directory entries not on the platform, how many entries the scope has,
    and how many of the scope's cooperatives have one: one query (sectors, a JSON list,
    matched here as for the cooperatives)."""
    qs = DirectoryEntry.objects.filter(province_code=scope.province_code)
    linked = Q(cooperative__is_active=True)  # kept whatever the entry says: the cooperative counts
    if scope.kind:
        qs = qs.filter(linked | Q(kind=scope.kind))
    if scope.commune:
        qs = qs.filter(linked | Q(commune_code=scope.commune))
    unlisted, entries, listed = [], 0, 0
    for kind, sectors, commune, members, ocop, coop_id, active in qs.order_by().values_list(
        "kind",
        "sectors",
        "commune_code",
        "members_count",
        "ocop_products",
        "cooperative_id",
        "cooperative__is_active",
    ):
        if coop_id is not None and active:
            # The cooperative is counted from its own record (and only if it is in the scope).
            if coop_id in ids:
                entries, listed = entries + 1, listed + 1
            continue
        if scope.sector and scope.sector not in (sectors or ()):
            continue
        entries += 1
        unlisted.append(_Unlisted(kind, tuple(sectors or ()), commune, members, ocop))
    return unlisted, entries, listed


def _province(coops: list[CoopRow], unlisted: list[_Unlisted], entries: int, listed: int) -> Province:
    declared = [stars for u in unlisted for stars in ocop_declared(u.ocop)]
    return Province(
        on_platform=len(coops),
        not_yet=len(unlisted),
        listed=listed,
        entries=entries,
        declared_members=sum(u.members or 0 for u in unlisted),
        members_unknown=sum(1 for u in unlisted if u.members is None),
        ocop_declared=len(declared),
        ocop_entries=sum(1 for u in unlisted if ocop_declared(u.ocop)),
        ocop_stars={s: declared.count(s) for s in (5, 4, 3, 2, 1, None)},
    )


def _members(ids: list[int]) -> Members:
    active = Q(status=MemberStatus.ACTIVE)
    row = Member.unscoped.filter(cooperative_id__in=ids).aggregate(
        active=Count("id", filter=active),
        left=Count("id", filter=Q(status=MemberStatus.LEFT)),
        official=Count("id", filter=active & Q(member_type=MemberType.OFFICIAL)),
        women=Count("id", filter=active & Q(gender=Gender.FEMALE)),
        minority=Count("id", filter=active & ~Q(ethnicity__in=["kinh", ""])),
        capital=Sum("capital_vnd", filter=active),
    )
    return Members(
        active=row["active"] or 0,
        official=row["official"] or 0,
        women=row["women"] or 0,
        minority=row["minority"] or 0,
        capital_vnd=row["capital"] or 0,
        left=row["left"] or 0,
    )


def _months(scope: Scope, ids: list[int]) -> list[MonthRow]:
    rows = {m: MonthRow(month=m) for m in scope.months}
    period = {"cooperative_id__in": ids, "month__gte": scope.start, "month__lte": scope.end}
    for r in (
        BuyingMonth.unscoped.filter(**period)
        .values("month")
        .annotate(amount=Sum("amount_vnd"), receipts=Sum("receipts"))
        .order_by()
    ):
        if r["month"] in rows:
            rows[r["month"]].amount_vnd = r["amount"] or 0
            rows[r["month"]].receipts = r["receipts"] or 0
    for r in (
        CoopMonth.unscoped.filter(**period)
        .values("month")
        .annotate(
            sold=Sum("households_sold"),
            paid=Sum("households_paid"),
            paid_vnd=Sum("paid_vnd"),
            settled=Sum("settled_receipts"),
            days=Sum("wait_days_total"),
        )
        .order_by()
    ):
        if r["month"] in rows:
            row = rows[r["month"]]
            row.households_sold, row.households_paid = r["sold"] or 0, r["paid"] or 0
            row.paid_vnd, row.settled, row.wait_days = r["paid_vnd"] or 0, r["settled"] or 0, r["days"] or 0
    # Sales are few enough to be read live: orders placed, not cancelled.
    sales = (
        Order.unscoped.filter(
            cooperative_id__in=ids,
            created_at__date__gte=scope.start,
            created_at__date__lt=scope.end_exclusive,
        )
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(orders=Count("id"), total=Sum("total_vnd"))
        .order_by()
    )
    for r in sales:
        month = r["month"].date().replace(day=1) if isinstance(r["month"], dt.datetime) else r["month"]
        if month in rows:
            rows[month].orders = r["orders"]
            rows[month].sales_vnd = r["total"] or 0
    return [rows[m] for m in scope.months]


def _products(scope: Scope, ids: list[int]) -> list[ProductRow]:
    rows = (
        BuyingMonth.unscoped.filter(cooperative_id__in=ids, month__gte=scope.start, month__lte=scope.end)
        .values("product_name", "unit")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount_vnd"), receipts=Sum("receipts"))
        .order_by("-amount", "product_name")
    )
    return [
        ProductRow(
            r["product_name"], r["unit"], r["quantity"] or Decimal(0), r["amount"] or 0, r["receipts"] or 0
        )
        for r in rows
    ]


def _certificates(ids: list[int], today: dt.date) -> tuple[list[Count_], list[CertificateRow]]:
    valid = Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    stars = dict(
        Certificate.unscoped.filter(valid, cooperative_id__in=ids, kind=CertificateKind.OCOP)
        .values_list("stars")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_stars = [Count_(str(s), "★" * s, stars.get(s, 0)) for s in (5, 4, 3, 2, 1)]
    expiring = (
        Certificate.unscoped.filter(
            cooperative_id__in=ids,
            expires_on__gte=today - dt.timedelta(days=EXPIRING_DAYS),
            expires_on__lte=today + dt.timedelta(days=EXPIRING_DAYS),
        )
        .select_related("cooperative", "product")
        .order_by("expires_on", "pk")
    )
    return by_stars, [
        CertificateRow(
            c.cooperative.name,
            c.cooperative.slug,
            c.product.name if c.product_id else "",
            c.stars,
            c.get_kind_display(),
            c.expires_on,
        )
        for c in expiring
    ]


def _figures(ids: list[int]) -> dict[int, CoopFigures]:
    return {f.cooperative_id: f for f in CoopFigures.unscoped.filter(cooperative_id__in=ids)}


def _activity_band(last: dt.datetime | None, today: dt.date) -> str:
    if last is None:
        return "never"
    days = (today - last.date()).days
    for limit in ACTIVITY_BANDS:
        if days <= limit:
            return str(limit)
    return "more"


def activity_labels() -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {
        "30": _("active in the last 30 days"),
        "90": _("last active 31–90 days ago"),
        "180": _("last active 91–180 days ago"),
        "more": _("no activity for more than 180 days"),
        "never": _("no activity yet"),
    }


def _counts(values, labels: dict[str, str], *, keep_order: bool = False, not_yet=()) -> list[Count_]:
    """``values`` counted (on the platform), beside ``not_yet`` (the directory's others),
    in the order of ``labels`` or the largest total first."""
    counts: dict[str, int] = {}
    others: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    for value in not_yet:
        others[value] = others.get(value, 0) + 1
    seen = set(counts) | set(others)

    def total(k):
        return counts.get(k, 0) + others.get(k, 0)

    keys = list(labels) if keep_order else sorted(seen, key=lambda k: (-total(k), labels.get(k, k)))
    return [
        Count_(k, labels.get(k, k), counts.get(k, 0), not_yet=others.get(k, 0))
        for k in keys
        if keep_order or total(k)
    ]


@dataclass(frozen=True)
class IdleCoop:
    coop: CoopRow
    last_activity_at: dt.datetime | None
    days: int | None


@dataclass(frozen=True)
class WaitingCoop:
    coop: CoopRow
    households: int
    amount_vnd: int
    oldest_days: int


def overview(scope: Scope, *, today: dt.date, idle_days: int = IDLE_DAYS_DEFAULT) -> Overview:
    """Every figure of the overview for ``scope``, in a fixed number of grouped queries
    (ten), whatever the number of cooperatives and directory entries. The province's
    scope also counts the directory's cooperatives not yet on the platform (one query);
    one cooperative's does not read the directory."""
    coops = cooperatives(scope)
    ids = [c.id for c in coops]
    figures = _figures(ids)
    by_stars, expiring = _certificates(ids, today)
    unlisted, entries, listed = ([], 0, 0) if scope.cooperative_id else _directory(scope, set(ids))
    kinds = {str(k): str(label) for k, label in CoopKind.choices}
    sectors = {str(k): str(label) for k, label in Sector.choices}
    communes: dict[str, str] = {}
    for code in [c.commune_code for c in coops] + [u.commune_code for u in unlisted]:
        if str(code) not in communes:
            communes[str(code)] = places.commune_name(code)
    bands = [
        _activity_band(figures[c.id].last_activity_at if c.id in figures else None, today) for c in coops
    ]
    result = Overview(
        scope=scope,
        coops=coops,
        by_kind=_counts([c.kind for c in coops], kinds, keep_order=True, not_yet=[u.kind for u in unlisted]),
        by_sector=_counts(
            [s for c in coops for s in c.sectors], sectors, not_yet=[s for u in unlisted for s in u.sectors]
        ),
        by_commune=_counts(
            [str(c.commune_code) for c in coops], communes, not_yet=[str(u.commune_code) for u in unlisted]
        ),
        by_activity=_counts(bands, activity_labels(), keep_order=True),
        members=_members(ids),
        months=_months(scope, ids),
        products=_products(scope, ids),
        ocop_by_stars=by_stars,
        expiring=expiring,
        refreshed_at=min((f.refreshed_at for f in figures.values()), default=None),
        province=None if scope.cooperative_id else _province(coops, unlisted, entries, listed),
    )
    if result.province is not None:  # beside the valid certificates: what the directory declares
        for row in result.ocop_by_stars:
            row.not_yet = result.province.ocop_stars.get(int(row.key), 0)
    waiting = [c for c in coops if c.id in figures and figures[c.id].households_waiting]
    result.waiting_coops = len(waiting)
    result.waiting_households = sum(figures[c.id].households_waiting for c in waiting)
    result.waiting_vnd = sum(figures[c.id].waiting_vnd for c in waiting)
    result.idle = idle_coops(coops, figures, today=today, idle_days=idle_days)
    return result


def idle_coops(coops, figures, *, today: dt.date, idle_days: int) -> list[IdleCoop]:
    """Cooperatives with no activity for ``idle_days`` days or more (none at all first)."""
    result = []
    for c in coops:
        last = figures[c.id].last_activity_at if c.id in figures else None
        days = (today - last.date()).days if last else None
        if last is None or days >= idle_days:
            result.append(IdleCoop(c, last, days))
    return sorted(result, key=lambda i: (i.days is not None, -(i.days or 0), i.coop.name))


def waiting_coops(scope: Scope) -> list[WaitingCoop]:
    """Cooperatives whose members wait more than 30 days for their money, longest first."""
    coops = {c.id: c for c in cooperatives(scope)}
    rows = CoopFigures.unscoped.filter(cooperative_id__in=list(coops), households_waiting__gt=0)
    return sorted(
        (
            WaitingCoop(coops[f.cooperative_id], f.households_waiting, f.waiting_vnd, f.oldest_wait_days)
            for f in rows
        ),
        key=lambda w: (-w.oldest_days, w.coop.name),
    )


# --- the list of cooperatives, paged -----------------------------------------------------------


@dataclass(frozen=True)
class CoopListRow:
    coop: CoopRow
    members: int
    buying_vnd: int
    last_activity_at: dt.datetime | None
    households_waiting: int
    ocop: int


PAGE_SIZE = 25


def coop_page(scope: Scope, *, query: str = "", page: int | str = 1):
    """One page of the scope's cooperatives with their figures: the names are filtered
    here (accent-insensitive), then four grouped queries for the page's rows only."""
    coops = cooperatives(scope)
    words = fold(query).split()
    if words:
        coops = [c for c in coops if all(w in fold(f"{c.name} {c.tax_code} {c.commune_name}") for w in words)]
    paginator = Paginator(coops, PAGE_SIZE)
    page_obj = paginator.get_page(page)
    page_obj.object_list = with_figures(scope, list(page_obj.object_list))
    return page_obj


def with_figures(scope: Scope, coops: list[CoopRow]) -> list[CoopListRow]:
    """``coops`` with their members, buying in the period, OCOP certificates, last activity
    and waiting households: four grouped queries whatever their number."""
    ids = [c.id for c in coops]
    members = dict(
        Member.unscoped.filter(cooperative_id__in=ids, status=MemberStatus.ACTIVE)
        .values_list("cooperative_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    buying = dict(
        BuyingMonth.unscoped.filter(cooperative_id__in=ids, month__gte=scope.start, month__lte=scope.end)
        .values_list("cooperative_id")
        .annotate(total=Sum("amount_vnd"))
        .order_by()
    )
    ocop = dict(
        Certificate.unscoped.filter(cooperative_id__in=ids, kind=CertificateKind.OCOP)
        .values_list("cooperative_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    figures = _figures(ids)
    return [
        CoopListRow(
            coop=c,
            members=members.get(c.id, 0),
            buying_vnd=buying.get(c.id, 0) or 0,
            last_activity_at=figures[c.id].last_activity_at if c.id in figures else None,
            households_waiting=figures[c.id].households_waiting if c.id in figures else 0,
            ocop=ocop.get(c.id, 0),
        )
        for c in coops
    ]


def cooperative_in(province_codes: list[int], slug: str) -> Cooperative | None:
    """The active cooperative ``slug`` if it is in one of ``province_codes``."""
    return Cooperative.objects.filter(slug=slug, is_active=True, province_code__in=province_codes).first()

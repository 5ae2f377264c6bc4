"""Reading a cooperative's live sales for its staff: the list with figures, a live's plan,
the live screen's counts and latest claims, the buyers and their links, and the report
after the live (per product, for the live, and across lives).

Figures of a live (``report``):

* comments — captured comments, repeats not counted;
* claims — claims made (every state), and their packs;
* buyers — buyers with at least one claim;
* orders — buyers who confirmed (``LiveBuyer.order``); paid — of those orders, paid in full;
* revenue — the goods of those orders (``Order.subtotal_vnd``), cancelled and returned
  orders left out; per product, the ordered packs at the live price;
* conversion — buyers who ordered / buyers with claims.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from hoptac.inventory.selectors import available_by_product
from hoptac.lib.livecomments import mask_phones
from hoptac.shop.models import Listing, OrderStatus, PaymentState

from ..models import TAKING, Claim, ClaimState, LiveBuyer, LiveComment, LiveItem, LiveSession, LiveStatus

LATEST = 30  # claims on the live screen
PAID = (PaymentState.PAID, PaymentState.OVERPAID)
NOT_SOLD = (OrderStatus.CANCELLED, OrderStatus.RETURNED)


def session_by_code(code: str) -> LiveSession | None:
    return LiveSession.objects.filter(code=(code or "")[:8]).first()


def item_of(session: LiveSession, item_id: int) -> LiveItem | None:
    return LiveItem.objects.filter(session=session, pk=item_id).select_related("listing__product").first()


def claim_of(session: LiveSession, claim_id: int) -> Claim | None:
    return Claim.objects.filter(session=session, pk=claim_id).select_related("item", "buyer").first()


# --- the list ---------------------------------------------------------------------------------


@dataclass
class SessionRow:
    session: LiveSession
    items: int = 0
    comments: int = 0
    claims: int = 0
    buyers: int = 0
    orders: int = 0
    revenue: int = 0


def session_list() -> dict[str, list[SessionRow]]:
    """The cooperative's lives by status (on air first), each with its figures."""
    sessions = list(LiveSession.objects.order_by("-starts_at", "-id")[:200])
    ids = [s.pk for s in sessions]
    rows = {s.pk: SessionRow(session=s) for s in sessions}
    for name, qs in (
        ("items", LiveItem.objects.filter(session_id__in=ids)),
        ("comments", LiveComment.objects.filter(session_id__in=ids, duplicate_of__isnull=True)),
        ("claims", Claim.objects.filter(session_id__in=ids)),
        ("buyers", LiveBuyer.objects.filter(session_id__in=ids, claims__isnull=False).distinct()),
        ("orders", LiveBuyer.objects.filter(session_id__in=ids, order__isnull=False)),
    ):
        for row in qs.values("session_id").annotate(n=Count("pk", distinct=True)):
            setattr(rows[row["session_id"]], name, row["n"])
    for row in (
        LiveBuyer.objects.filter(session_id__in=ids, order__isnull=False)
        .exclude(order__status__in=NOT_SOLD)
        .values("session_id")
        .annotate(n=Sum("order__subtotal_vnd"))
    ):
        rows[row["session_id"]].revenue = int(row["n"] or 0)
    result: dict[str, list[SessionRow]] = {LiveStatus.LIVE: [], LiveStatus.PLANNED: [], LiveStatus.ENDED: []}
    for s in sessions:
        result[s.status].append(rows[s.pk])
    result[LiveStatus.PLANNED].sort(key=lambda r: r.session.starts_at)
    return result


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class PlanRow:
    item: LiveItem
    in_stock: int


def plan(session: LiveSession) -> list[PlanRow]:
    items = list(session.items.select_related("listing__product"))
    free = available_by_product([i.listing.product_id for i in items])
    return [PlanRow(item=i, in_stock=int(free.get(i.listing.product_id, 0))) for i in items]


def listings_to_add(session: LiveSession) -> list[tuple[Listing, int]]:
    """The shop's listed products not yet in the live, with the packs free to set aside."""
    listings = list(
        Listing.objects.filter(is_listed=True)
        .exclude(pk__in=session.items.values("listing_id"))
        .select_related("product")
        .order_by("product__name")
    )
    free = available_by_product([listing.product_id for listing in listings])
    return [(listing, int(free.get(listing.product_id, 0))) for listing in listings]


# --- the live screen -------------------------------------------------------------------------------


@dataclass
class ScreenItem:
    item: LiveItem
    name: str
    claimed: int  # packs held or ordered
    left: int
    waiting: int  # packs on the waiting list


@dataclass
class ScreenClaim:
    pk: int
    buyer: str
    phone: str  # masked
    code: str
    quantity: int
    state: str
    state_label: str
    needs_look: bool
    at: object


@dataclass
class Screen:
    session: LiveSession
    items: list[ScreenItem]
    latest: list[ScreenClaim]
    needs_look: int
    comments: int
    buyers: int


def _claimed_by_item(session: LiveSession) -> dict[int, dict[str, int]]:
    per: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in Claim.objects.filter(session=session).values("item_id", "state").annotate(n=Sum("quantity")):
        per[row["item_id"]][row["state"]] = int(row["n"] or 0)
    return per


def screen(session: LiveSession) -> Screen:
    per = _claimed_by_item(session)
    items = []
    for item in session.items.select_related("listing__product"):
        states = per.get(item.pk, {})
        claimed = sum(states.get(s, 0) for s in TAKING)
        items.append(
            ScreenItem(
                item=item,
                name=item.listing.product.name,
                claimed=claimed,
                left=max(item.quantity - claimed, 0),
                waiting=states.get(ClaimState.WAITING, 0),
            )
        )
    labels = dict(ClaimState.choices)
    latest = [
        ScreenClaim(
            pk=c.pk,
            buyer=mask_phones(c.buyer.name),
            phone=mask_phones(c.buyer.phone) if c.buyer.phone else "",
            code=c.item.code,
            quantity=c.quantity,
            state=c.state,
            state_label=str(labels.get(c.state, c.state)),
            needs_look=c.needs_look,
            at=c.created_at,
        )
        for c in Claim.objects.filter(session=session)
        .select_related("item", "buyer")
        .order_by("-id")[:LATEST]
    ]
    return Screen(
        session=session,
        items=items,
        latest=latest,
        needs_look=LiveComment.objects.filter(
            session=session, needs_look=True, duplicate_of__isnull=True
        ).count(),
        comments=LiveComment.objects.filter(session=session, duplicate_of__isnull=True).count(),
        buyers=LiveBuyer.objects.filter(session=session, claims__isnull=False).distinct().count(),
    )


# --- claims, comments, buyers ---------------------------------------------------------------------


def open_claims(session: LiveSession):
    """Held and waiting claims, needing a look first, then in arrival order."""
    return (
        Claim.objects.filter(session=session, state__in=(ClaimState.HELD, ClaimState.WAITING))
        .select_related("item", "buyer", "comment")
        .order_by("-needs_look", "id")
    )


def comments_to_look_at(session: LiveSession, *, limit: int = 100):
    """Comments the parser was unsure of: no phone, unclear quantity or code, too late."""
    return LiveComment.objects.filter(session=session, needs_look=True, duplicate_of__isnull=True).order_by(
        "-at", "-id"
    )[:limit]


def latest_comments(session: LiveSession, *, limit: int = 50):
    return LiveComment.objects.filter(session=session).order_by("-at", "-id")[:limit]


def look_reasons() -> dict[str, str]:
    """Why a comment needs a look (``LiveComment.look_reason`` holds the keys, comma-separated)."""
    return {
        "phone": _("no phone"),
        "quantity": _("unclear quantity"),
        "code": _("unclear code"),
        "unsure": _("guessed"),
        "late": _("after the live or the order"),
    }


def reasons_text(comment: LiveComment) -> str:
    labels = look_reasons()
    return ", ".join(str(labels.get(key, key)) for key in comment.look_reason.split(",") if key)


@dataclass
class BuyerRow:
    buyer: LiveBuyer
    held: int = 0
    waiting: int = 0
    ordered: int = 0
    amount: int = 0  # held and ordered packs at the live prices
    claims: list = field(default_factory=list)


def buyers(session: LiveSession) -> list[BuyerRow]:
    rows: dict[int, BuyerRow] = {}
    for b in LiveBuyer.objects.filter(session=session).select_related("order").order_by("id"):
        rows[b.pk] = BuyerRow(buyer=b)
    for c in Claim.objects.filter(session=session).select_related("item").order_by("id"):
        row = rows.get(c.buyer_id)
        if row is None:
            continue
        row.claims.append(c)
        if c.state == ClaimState.HELD:
            row.held += c.quantity
        elif c.state == ClaimState.WAITING:
            row.waiting += c.quantity
        elif c.state == ClaimState.ORDERED:
            row.ordered += c.quantity
        if c.state in TAKING:
            row.amount += c.quantity * c.item.price_vnd
    return [r for r in rows.values() if r.claims]


# --- after the live -----------------------------------------------------------------------------------


@dataclass
class Figures:
    comments: int = 0
    duplicates: int = 0
    claims: int = 0
    packs_claimed: int = 0
    packs_ordered: int = 0
    buyers: int = 0
    orders: int = 0
    paid: int = 0
    revenue: int = 0
    expired: int = 0
    released: int = 0

    @property
    def conversion(self) -> float | None:
        """Buyers who ordered / buyers with claims (None without buyers)."""
        return self.orders / self.buyers if self.buyers else None


@dataclass
class ProductFigures(Figures):
    item: LiveItem | None = None
    name: str = ""


@dataclass
class Report:
    session: LiveSession
    total: Figures
    products: list[ProductFigures]


def report(session: LiveSession) -> Report:
    total = Figures()
    qs = LiveComment.objects.filter(session=session)
    total.comments = qs.filter(duplicate_of__isnull=True).count()
    total.duplicates = qs.filter(duplicate_of__isnull=False).count()
    items = list(session.items.select_related("listing__product"))
    products = {i.pk: ProductFigures(item=i, name=i.listing.product.name) for i in items}
    buyers_per_item: dict[int, set[int]] = defaultdict(set)
    ordered_per_item: dict[int, set[int]] = defaultdict(set)
    orders = {
        b.pk: b.order
        for b in LiveBuyer.objects.filter(session=session, order__isnull=False).select_related("order")
    }
    paid_buyers = {pk for pk, order in orders.items() if order.payment_state in PAID}
    for c in Claim.objects.filter(session=session).only("item_id", "buyer_id", "quantity", "state"):
        p = products.get(c.item_id)
        if p is None:
            continue
        for f in (p, total):
            f.claims += 1
            f.packs_claimed += c.quantity
            if c.state == ClaimState.EXPIRED:
                f.expired += 1
            elif c.state == ClaimState.RELEASED:
                f.released += 1
        buyers_per_item[c.item_id].add(c.buyer_id)
        if c.state == ClaimState.ORDERED:
            p.packs_ordered += c.quantity
            total.packs_ordered += c.quantity
            ordered_per_item[c.item_id].add(c.buyer_id)
    for item_id, p in products.items():
        p.buyers = len(buyers_per_item[item_id])
        p.orders = len(ordered_per_item[item_id])
        p.paid = len(ordered_per_item[item_id] & paid_buyers)
        sold = {
            pk for pk in ordered_per_item[item_id] if orders.get(pk) and orders[pk].status not in NOT_SOLD
        }
        if sold:
            p.revenue = p.item.price_vnd * int(
                Claim.objects.filter(item_id=item_id, state=ClaimState.ORDERED, buyer_id__in=sold).aggregate(
                    n=Sum("quantity")
                )["n"]
                or 0
            )
    total.buyers = len(set().union(*buyers_per_item.values())) if buyers_per_item else 0
    total.orders = len(orders)
    total.paid = len(paid_buyers)
    total.revenue = sum(o.subtotal_vnd for o in orders.values() if o.status not in NOT_SOLD)
    return Report(session=session, total=total, products=list(products.values()))


def reports_across(*, limit: int = 24) -> list[Report]:
    """The last lives that went on air, newest first, with their figures."""
    sessions = LiveSession.objects.exclude(status=LiveStatus.PLANNED).order_by("-starts_at", "-id")[:limit]
    return [report(s) for s in sessions]


def report_size(session: LiveSession) -> int:
    """The rows of the report's two long sheets, claims and comments (two COUNTs): the xlsx
    goes to the worker beyond a size."""
    return LiveComment.objects.filter(session=session).count() + Claim.objects.filter(session=session).count()


def comments_for_export(session: LiveSession):
    return (
        LiveComment.objects.filter(session=session)
        .select_related("buyer")
        .order_by("at", "id")
        .annotate(claims_n=Count("claims", filter=Q(claims__isnull=False)))
    )

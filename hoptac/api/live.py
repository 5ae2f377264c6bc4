"""Selling in livestreams through the API: a cooperative's live sales with their products
and counts, going on air and off, comments sent by a script or a comment reader (one or a
batch of up to 500) turned into claims, the claims and the buyers with their links.

Every route needs ``live.run`` (chair, accountant, sales), as the live screen does. The
buyers of a live are not members: whoever runs the live sees their phone numbers, that is
the point (they call them, they send them their links). ``?masked=true`` hides phones
(all but the last three digits, in names and comment text too) and the buyers' links, for a
screen shown to the public, e.g. on the stream itself.

Comments are idempotent by ``external_id`` (the platform's comment id): sent again, the
comment is not stored twice and the answer gives the claims it made the first time.
Without one, the same author with the same words (case, accents and spacing aside) is one
comment that claims nothing more: ``comment_add`` decides. A batch is all or nothing: when a
comment is refused, nothing of the batch is stored and the answer names the refused ones.

No ``from __future__ import annotations``: ninja reads the handlers' annotations.
"""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from hoptac.api.access import coop_route
from hoptac.api.common import ERRORS, MAX_PAGE, Status, local, paginate
from hoptac.api.idempotency import create_once
from hoptac.api.schemas import DbId, Moment, PageMeta, canonical_sha256, text
from hoptac.core.roles import Perm
from hoptac.core.sites import public_base
from hoptac.lib.livecomments import mask_phones
from hoptac.live.models import (
    TAKING,
    Claim,
    ClaimState,
    CommentSource,
    LiveBuyer,
    LiveComment,
    LiveItem,
    LiveSession,
    LiveStatus,
    Platform,
)
from hoptac.live.services import claims as live_claims
from hoptac.live.services import sessions as live_sessions

router = Router(tags=["live"])

MAX_BATCH = 500  # comments in one request
# Module-level names: ``text`` is also a field of LiveCommentIn.
CommentText, Name, PlatformId, ExternalId = text(1000), text(120), text(60), text(80)
LiveTitle = text(120)
CREATE = "live.create"

# --- schemas ------------------------------------------------------------------------------


class LiveItemOut(Schema):
    id: int
    code: str = Field(description="The code buyers write in comments, e.g. M1.")
    listing: int = Field(description="The shop listing it is sold as.")
    product_name: str
    price_vnd: int = Field(description="The live price of one pack, whole đồng.")
    quantity: int = Field(description="Packs set aside for the live.")
    held: int = Field(description="Packs of held claims (kept for buyers who have not confirmed yet).")
    ordered: int = Field(description="Packs of claims confirmed into orders.")
    waiting: int = Field(description="Packs of claims on the waiting list.")
    left: int = Field(description="Packs nobody holds yet: quantity − held − ordered.")
    claims: int = Field(description="Claims of this product, in every state.")


class LiveClaimCountsOut(Schema):
    held: int
    waiting: int
    ordered: int
    released: int
    expired: int


class LiveCountsOut(Schema):
    comments: int
    order_comments: int = Field(description="Comments read as orders.")
    duplicates: int = Field(description="Comments repeating an earlier one: kept, claiming nothing.")
    needs_look: int = Field(description="Comments staff should look at (no phone, unclear, after the live).")
    buyers: int
    buyers_ordered: int = Field(description="Buyers who confirmed their order.")
    claims: LiveClaimCountsOut
    held_vnd: int = Field(description="Worth of the held claims at live prices.")
    ordered_vnd: int = Field(description="Worth of the claims confirmed into orders, at live prices.")


class LiveOut(Schema):
    code: str = Field(description="The live's code: its id in the API.")
    title: str
    platform: Platform
    status: LiveStatus
    starts_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    hold_minutes: int = Field(description="Minutes a buyer has to confirm a held claim.")
    created_at: dt.datetime
    items: list[LiveItemOut]
    counts: LiveCountsOut


class LivePage(PageMeta):
    items: list[LiveOut]


class LiveItemIn(Schema):
    listing: DbId = Field(
        description="A listed product of the cooperative's shop (its id, as in the catalogue)."
    )
    code: Annotated[str, Field(max_length=10)] = Field(
        default="",
        description="What buyers write, e.g. M1: 1 to 3 letters then 1 to 3 digits; suggested if empty.",
    )
    price_vnd: int | None = Field(
        default=None,
        ge=1000,
        le=100_000_000,
        description="The live price of one pack; the shop's price if left out.",
    )
    quantity: int = Field(
        ge=1, le=100_000, description="Packs set aside for the live (at most what is in stock)."
    )


class LiveIn(Schema):
    client_key: UUID = Field(
        description="Made by the client, one per live: a retry with the same key and body returns the "
        "first answer (200); another body under the same key is refused (422)."
    )
    title: LiveTitle = Field(min_length=1, description="For staff, e.g. 'Live mật ong tối thứ Sáu'.")
    platform: Platform
    starts_at: Moment
    hold_minutes: int = Field(
        default=120, ge=10, le=7 * 24 * 60, description="Minutes buyers have to confirm."
    )
    items: list[LiveItemIn] = Field(min_length=1, max_length=live_sessions.MAX_ITEMS)

    def canonical_hash(self) -> str:
        data = self.model_dump(mode="json")
        data["starts_at"] = self.starts_at.astimezone(dt.UTC).isoformat()
        data["title"] = " ".join(self.title.split())
        return canonical_sha256(data)


class LiveBuyerRef(Schema):
    id: int
    name: str
    phone: str = Field(
        description="0XXXXXXXXX, masked but its last 3 digits with ?masked=true; may be empty."
    )


class LiveCommentRef(Schema):
    id: int
    author_name: str
    text: str
    at: dt.datetime


class LiveClaimOut(Schema):
    id: int
    live: str = Field(description="The live's code.")
    item: str = Field(description="The product's code in the live.")
    quantity: int
    amount_vnd: int = Field(description="quantity × the live price.")
    state: ClaimState
    waiting_place: int | None = Field(
        description="Place on the product's waiting list (1 is next), if waiting."
    )
    needs_look: bool
    buyer: LiveBuyerRef
    comment: LiveCommentRef | None = Field(
        description="The comment it came from; none for a claim typed by staff."
    )
    created_at: dt.datetime
    held_at: dt.datetime | None
    expires_at: dt.datetime | None = Field(description="A held claim not confirmed by then expires.")
    closed_at: dt.datetime | None
    note: str


class LiveClaimPage(PageMeta):
    items: list[LiveClaimOut]


class LiveCommentIn(Schema):
    text: CommentText = Field(
        min_length=1, description="The comment as written, e.g. 'chốt M1 x2 0912345678'."
    )
    author_name: Name = Field(default="", description="The name shown on the platform.")
    author_id: PlatformId = Field(default="", description="The author's id on the platform, if known.")
    external_id: ExternalId = Field(
        default="", description="The platform's id of the comment: the same id again is not stored twice."
    )
    at: Moment | None = Field(default=None, description="When it was written; now if left out.")


class LiveCommentsIn(Schema):
    comments: list[LiveCommentIn] = Field(
        min_length=1, max_length=MAX_BATCH, description="1 to 500 comments, in order."
    )


class LiveClaimBrief(Schema):
    id: int
    item: str
    quantity: int
    state: ClaimState


class LiveBuyerBrief(LiveBuyerRef):
    link: str | None = Field(description="The buyer's own page (/mua/…/) to confirm and pay.")


class LiveCommentResultOut(Schema):
    index: int = Field(description="Position of the comment in the request, from 0.")
    comment_id: int
    external_id: str
    result: Literal["new", "seen", "duplicate"] = Field(
        description="new: stored now; seen: its external_id was stored before (the first time's "
        "claims are shown, nothing was stored); duplicate: the same author and words as an "
        "earlier comment: stored, claims nothing."
    )
    is_order: bool
    needs_look: bool
    look_reasons: list[str] = Field(description="phone, quantity, code, unsure, late…")
    buyer: LiveBuyerBrief | None
    claims: list[LiveClaimBrief]


class LiveCommentsOut(Schema):
    live: str
    new: int
    seen: int
    duplicates: int
    claims: int = Field(description="Claims made by this request.")
    comments: list[LiveCommentResultOut]


class LiveReleaseIn(Schema):
    note: text(200) = Field(default="", description="Why, e.g. 'khách báo hủy'.")


class LiveBuyerOut(Schema):
    id: int
    name: str
    phone: str
    platform_id: str
    state: LiveBuyer.State
    link: str | None = Field(description="The buyer's own page (/mua/…/); none with ?masked=true.")
    link_sent_at: dt.datetime | None
    order_code: str | None = Field(description="The order made when the buyer confirmed.")
    held: int = Field(description="Packs held for the buyer.")
    waiting: int = Field(description="Packs on the waiting list.")
    ordered: int = Field(description="Packs confirmed into the order.")
    held_vnd: int = Field(description="Worth of the held packs at live prices.")
    created_at: dt.datetime


class LiveBuyerPage(PageMeta):
    items: list[LiveBuyerOut]


# --- reading -----------------------------------------------------------------------------


def _live_or_404(live_code: str) -> LiveSession:
    session = LiveSession.objects.filter(code=(live_code or "").strip().upper()[:8]).first()
    if session is None:
        raise Http404
    return session


def _lives_out(sessions: list[LiveSession]) -> list[dict]:
    """The lives with their items and counts: five queries, whatever the number of lives."""
    ids = [s.pk for s in sessions]
    items: dict[int, list[LiveItem]] = {}
    for item in LiveItem.objects.filter(session_id__in=ids).select_related("listing__product"):
        items.setdefault(item.session_id, []).append(item)
    per_item: dict[tuple[int, str], dict] = {}
    per_session: dict[tuple[int, str], int] = {}
    rows = Claim.objects.filter(session_id__in=ids).values("session_id", "item_id", "state")
    for row in rows.annotate(
        n=Count("id"), packs=Sum("quantity"), worth=Sum(F("quantity") * F("item__price_vnd"))
    ):
        per_item[(row["item_id"], row["state"])] = row
        key = (row["session_id"], row["state"])
        per_session[key] = per_session.get(key, 0) + row["n"]
        worth_key = (row["session_id"], f"{row['state']}_vnd")
        per_session[worth_key] = per_session.get(worth_key, 0) + int(row["worth"] or 0)
    comments = {
        row["session_id"]: row
        for row in LiveComment.objects.filter(session_id__in=ids)
        .values("session_id")
        .annotate(
            total=Count("id"),
            orders=Count("id", filter=Q(is_order=True)),
            duplicates=Count("id", filter=Q(duplicate_of__isnull=False)),
            look=Count("id", filter=Q(needs_look=True)),
        )
    }
    buyers = {
        row["session_id"]: row
        for row in LiveBuyer.objects.filter(session_id__in=ids)
        .values("session_id")
        .annotate(total=Count("id"), ordered=Count("id", filter=Q(state=LiveBuyer.State.ORDERED)))
    }

    def packs(item, state) -> int:
        return int((per_item.get((item.pk, state)) or {}).get("packs") or 0)

    def item_out(item) -> dict:
        held, ordered = packs(item, ClaimState.HELD), packs(item, ClaimState.ORDERED)
        return {
            "id": item.pk,
            "code": item.code,
            "listing": item.listing_id,
            "product_name": item.listing.product.name,
            "price_vnd": item.price_vnd,
            "quantity": item.quantity,
            "held": held,
            "ordered": ordered,
            "waiting": packs(item, ClaimState.WAITING),
            "left": max(0, item.quantity - held - ordered),
            "claims": sum(int((per_item.get((item.pk, s)) or {}).get("n") or 0) for s in ClaimState.values),
        }

    answers = []
    for session in sessions:
        said = comments.get(session.pk) or {}
        who = buyers.get(session.pk) or {}
        answers.append(
            {
                "code": session.code,
                "title": session.title,
                "platform": session.platform,
                "status": session.status,
                "starts_at": local(session.starts_at),
                "started_at": local(session.started_at),
                "ended_at": local(session.ended_at),
                "hold_minutes": session.hold_minutes,
                "created_at": local(session.created_at),
                "items": [item_out(item) for item in items.get(session.pk, [])],
                "counts": {
                    "comments": said.get("total", 0),
                    "order_comments": said.get("orders", 0),
                    "duplicates": said.get("duplicates", 0),
                    "needs_look": said.get("look", 0),
                    "buyers": who.get("total", 0),
                    "buyers_ordered": who.get("ordered", 0),
                    "claims": {s: per_session.get((session.pk, s), 0) for s in ClaimState.values},
                    "held_vnd": per_session.get((session.pk, "held_vnd"), 0),
                    "ordered_vnd": per_session.get((session.pk, "ordered_vnd"), 0),
                },
            }
        )
    return answers


def _live_out(session: LiveSession) -> dict:
    return _lives_out([LiveSession.objects.get(pk=session.pk)])[0]


def _phone(phone: str, masked: bool) -> str:
    return mask_phones(phone) if masked and phone else phone


def _words(value: str, masked: bool) -> str:
    return mask_phones(value) if masked else value


def buyer_link(request, buyer: LiveBuyer) -> str:
    """The buyer's own page, where they confirm their claims, give an address and pay."""
    return f"{public_base(request)}/mua/{buyer.token}/"


def _claims_out(claims: list[Claim], *, masked: bool) -> list[dict]:
    """Claims with their buyer, comment and place on the waiting list: two queries more."""
    waiting_items = {c.item_id for c in claims if c.state == ClaimState.WAITING}
    places: dict[int, int] = {}
    counters: dict[int, int] = {}
    if waiting_items:
        queue = Claim.objects.filter(item_id__in=waiting_items, state=ClaimState.WAITING).order_by("id")
        for claim_id, item_id in queue.values_list("id", "item_id"):
            counters[item_id] = counters.get(item_id, 0) + 1
            places[claim_id] = counters[item_id]
    answers = []
    for claim in claims:
        comment = claim.comment
        answers.append(
            {
                "id": claim.pk,
                "live": claim.session.code,
                "item": claim.item.code,
                "quantity": claim.quantity,
                "amount_vnd": claim.quantity * claim.item.price_vnd,
                "state": claim.state,
                "waiting_place": places.get(claim.pk),
                "needs_look": claim.needs_look,
                "buyer": {
                    "id": claim.buyer_id,
                    "name": _words(claim.buyer.name, masked),
                    "phone": _phone(claim.buyer.phone, masked),
                },
                "comment": {
                    "id": comment.pk,
                    "author_name": _words(comment.author_name, masked),
                    "text": _words(comment.text, masked),
                    "at": local(comment.at),
                }
                if comment is not None
                else None,
                "created_at": local(claim.created_at),
                "held_at": local(claim.held_at),
                "expires_at": local(claim.expires_at),
                "closed_at": local(claim.closed_at),
                "note": claim.note,
            }
        )
    return answers


def _claims():
    return Claim.objects.select_related("session", "item", "buyer", "comment")


# --- routes: lives --------------------------------------------------------------------------


Masked = Annotated[
    bool,
    Query(
        description="Hide phone numbers (all but the last 3 digits) and buyers' links, for a public screen."
    ),
]


@router.get("/c/{slug}/lives", response={200: LivePage, **ERRORS}, summary="Live sales")
@coop_route(Perm.LIVE_RUN)
def live_list(
    request,
    slug: str,
    status: LiveStatus | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """The cooperative's live sales, latest first, 50 a page, each with its products and
    counts (comments, buyers, claims in each state, packs held, ordered and left)."""
    sessions = LiveSession.objects.all()
    if status:
        sessions = sessions.filter(status=status)
    meta, rows = paginate(sessions, page)
    return {**meta, "items": _lives_out(rows)}


@router.get("/c/{slug}/lives/{live_code}", response={200: LiveOut, **ERRORS}, summary="One live sale")
@coop_route(Perm.LIVE_RUN)
def live_get(request, slug: str, live_code: str):
    """A live sale with its products and counts."""
    return _live_out(_live_or_404(live_code))


class _ItemsRefused(Exception):
    def __init__(self, problems: list[dict]):
        super().__init__("items refused")
        self.problems = problems


@router.post(
    "/c/{slug}/lives",
    response={200: LiveOut, 201: LiveOut, **ERRORS},
    summary="Plan a live sale with its products (idempotent)",
)
@coop_route(Perm.LIVE_RUN)
def live_create(request, slug: str, payload: LiveIn):
    """Plan a live: title, platform, time, minutes to confirm, and its products, each a
    listed product of the shop with its code, live price and packs set aside (at most what
    is in stock now; going on air checks again). 201 with the live; the same ``client_key``
    with the same body returns the first answer with 200; another body under the key is
    refused with 422. All or nothing: if a product is refused, nothing is stored and the
    422 answer lists each refused product by ``index`` with its messages."""

    def create() -> dict:
        session = live_sessions.live_create(
            title=payload.title,
            platform=payload.platform.value,
            starts_at=payload.starts_at,
            hold_minutes=payload.hold_minutes,
            actor=request.user,
        )
        problems = []
        for index, item in enumerate(payload.items):
            try:
                live_sessions.live_item_add(
                    session=session,
                    listing=item.listing,
                    quantity=item.quantity,
                    code=item.code,
                    price_vnd=item.price_vnd,
                    actor=request.user,
                )
            except ValidationError as exc:
                problems.append({"index": index, "listing": item.listing, "messages": exc.messages})
        if problems:
            raise _ItemsRefused(problems)  # rolls the live back with the key's record
        return LiveOut.model_validate(_live_out(session)).model_dump(mode="json")

    try:
        return create_once(
            request,
            key=payload.client_key,
            operation=CREATE,
            body_hash=payload.canonical_hash(),
            create=create,
            refused=_(
                "This client_key was already used with different contents: nothing was saved. "
                "Make a new key for a new live."
            ),
        )
    except _ItemsRefused as refused:
        return Status(422, {"detail": refused.problems})


@router.post("/c/{slug}/lives/{live_code}/start", response={200: LiveOut, **ERRORS}, summary="Go on air")
@coop_route(Perm.LIVE_RUN)
def live_start(request, slug: str, live_code: str):
    """Go on air: each product's packs are set aside in the warehouse (all or nothing: 422
    with the product short of stock). A live already on air is answered as it is (a retry
    changes nothing); an ended live cannot start again (422)."""
    session = _live_or_404(live_code)
    if session.status != LiveStatus.LIVE:
        session = live_claims.live_start(session=session, actor=request.user)
    return _live_out(session)


@router.post("/c/{slug}/lives/{live_code}/end", response={200: LiveOut, **ERRORS}, summary="Go off air")
@coop_route(Perm.LIVE_RUN)
def live_end(request, slug: str, live_code: str):
    """Off air: the packs nobody holds go back to the shop; held claims keep theirs until
    confirmed or expired. An ended live is answered as it is; a planned one is refused (422)."""
    session = _live_or_404(live_code)
    if session.status != LiveStatus.ENDED:
        session = live_claims.live_end(session=session, actor=request.user)
    return _live_out(session)


# --- routes: comments -----------------------------------------------------------------------


def _brief(claim: Claim, codes: dict[int, str]) -> dict:
    return {"id": claim.pk, "item": codes[claim.item_id], "quantity": claim.quantity, "state": claim.state}


@router.post(
    "/c/{slug}/lives/{live_code}/comments",
    response={200: LiveCommentsOut, **ERRORS},
    summary="Send comments (1 to 500; idempotent by external_id)",
)
@coop_route(Perm.LIVE_RUN)
def live_comments_add(request, slug: str, live_code: str, payload: LiveCommentsIn):
    """Read comments into claims, in the order given, first come first served. Each result
    says whether the comment is new, already seen (its ``external_id`` was sent before:
    nothing stored, the first time's claims shown) or a duplicate of an earlier comment
    (same author and words: stored, claims nothing), what it claimed and the buyer with
    their link. All or nothing: if a comment is refused (e.g. more than 1,000 packs, or
    blank), nothing is stored and the 422 answer lists each refused comment by ``index``
    with its messages. A planned live takes no comments (422); after the live, comments are
    kept for staff to look at and claim nothing."""
    session = _live_or_404(live_code)
    codes = dict(LiveItem.objects.filter(session=session).values_list("pk", "code"))
    wanted_ids = [c.external_id for c in payload.comments if c.external_id]
    known = set(
        LiveComment.objects.filter(session=session, external_id__in=wanted_ids).values_list(
            "external_id", flat=True
        )
    )
    results, refused = [], []
    with transaction.atomic():
        for index, sent in enumerate(payload.comments):
            seen = bool(sent.external_id) and sent.external_id in known
            try:
                made = live_claims.comment_add(
                    session=session,
                    text=sent.text,
                    author_name=sent.author_name,
                    author_id=sent.author_id,
                    source=CommentSource.API,
                    external_id=sent.external_id,
                    at=sent.at,
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) == "planned":
                    raise  # the whole live refuses comments: one message, not one per comment
                refused.append({"index": index, "external_id": sent.external_id, "messages": exc.messages})
                continue
            if sent.external_id:
                known.add(sent.external_id)
            results.append((index, sent, made, seen))
        if refused:
            transaction.set_rollback(True)
    if refused:
        return Status(422, {"detail": refused})
    earlier_claims: dict[int, list[Claim]] = {}
    seen_ids = [made.comment.pk for _i, _s, made, seen in results if seen]
    for claim in Claim.objects.filter(comment_id__in=seen_ids).order_by("id"):
        earlier_claims.setdefault(claim.comment_id, []).append(claim)
    buyer_ids = {made.comment.buyer_id for _i, _s, made, _seen in results if made.comment.buyer_id}
    buyers = LiveBuyer.objects.in_bulk(list(buyer_ids))
    answers = []
    counts = {"new": 0, "seen": 0, "duplicates": 0, "claims": 0}
    for index, _sent, made, seen in results:
        comment = made.comment
        result = "seen" if seen else ("duplicate" if made.duplicate else "new")
        counts["duplicates" if result == "duplicate" else result] += 1
        counts["claims"] += len(made.claims)
        claims = earlier_claims.get(comment.pk, []) if seen else made.claims
        buyer = buyers.get(comment.buyer_id)
        answers.append(
            {
                "index": index,
                "comment_id": comment.pk,
                "external_id": comment.external_id,
                "result": result,
                "is_order": comment.is_order,
                "needs_look": comment.needs_look,
                "look_reasons": [r for r in comment.look_reason.split(",") if r],
                "buyer": {
                    "id": buyer.pk,
                    "name": buyer.name,
                    "phone": buyer.phone,
                    "link": buyer_link(request, buyer),
                }
                if buyer is not None
                else None,
                "claims": [_brief(claim, codes) for claim in claims],
            }
        )
    return {"live": session.code, **counts, "comments": answers}


# --- routes: claims and buyers ----------------------------------------------------------------


@router.get(
    "/c/{slug}/lives/{live_code}/claims", response={200: LiveClaimPage, **ERRORS}, summary="Claims of a live"
)
@coop_route(Perm.LIVE_RUN)
def live_claim_list(
    request,
    slug: str,
    live_code: str,
    state: ClaimState | None = None,
    item: Annotated[str, Query(max_length=6, pattern=r"^[A-Za-z0-9 ]*$", description="Only this product's code, e.g. M1.")] = "",
    needs_look: bool | None = None,
    buyer: Annotated[DbId | None, Query(description="Only this buyer's claims (id).")] = None,
    masked: Masked = False,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """The claims in their order of arrival (first come, first served), 50 a page, each
    with its buyer (phone shown: buyers are not members, and whoever runs the live calls
    them), the comment it came from and its place on the waiting list."""
    session = _live_or_404(live_code)
    claims = _claims().filter(session=session)
    if state:
        claims = claims.filter(state=state)
    if item.strip():
        claims = claims.filter(item__code__iexact=item.strip())
    if needs_look is not None:
        claims = claims.filter(needs_look=needs_look)
    if buyer is not None:
        claims = claims.filter(buyer_id=buyer)
    meta, rows = paginate(claims.order_by("id"), page)
    return {**meta, "items": _claims_out(rows, masked=masked)}


@router.post(
    "/c/{slug}/claims/{claim_id}/release", response={200: LiveClaimOut, **ERRORS}, summary="Release a claim"
)
@coop_route(Perm.LIVE_RUN)
def live_claim_release(request, slug: str, claim_id: DbId, payload: LiveReleaseIn):
    """Let a held or waiting claim go (the buyer changed their mind, a mistake): its packs
    go to the next on the waiting list. A claim already released is answered as it is; an
    ordered or expired one is refused (422)."""
    claim = _claims().filter(pk=claim_id).first()
    if claim is None:
        raise Http404
    if claim.state != ClaimState.RELEASED:
        live_claims.claim_release(claim=claim, note=payload.note, actor=request.user)
    return _claims_out([_claims().get(pk=claim_id)], masked=False)[0]


@router.get(
    "/c/{slug}/lives/{live_code}/buyers", response={200: LiveBuyerPage, **ERRORS}, summary="Buyers of a live"
)
@coop_route(Perm.LIVE_RUN)
def live_buyer_list(
    request,
    slug: str,
    live_code: str,
    state: LiveBuyer.State | None = None,
    masked: Masked = False,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """The live's buyers in order of their first comment, 50 a page: their phone, their
    own page's link (to send by SMS, Zalo or a private reply), what is held, waiting and
    ordered for them, and their order once they confirmed."""
    session = _live_or_404(live_code)
    buyers = LiveBuyer.objects.filter(session=session).select_related("order").order_by("id")
    if state:
        buyers = buyers.filter(state=state)
    meta, rows = paginate(buyers, page)
    totals: dict[tuple[int, str], dict] = {}
    sums = (
        Claim.objects.filter(buyer_id__in=[b.pk for b in rows], state__in=(*TAKING, ClaimState.WAITING))
        .values("buyer_id", "state")
        .annotate(packs=Sum("quantity"), worth=Sum(F("quantity") * F("item__price_vnd")))
    )
    for row in sums:
        totals[(row["buyer_id"], row["state"])] = row

    def packs(buyer, state, field="packs") -> int:
        return int((totals.get((buyer.pk, state)) or {}).get(field) or 0)

    return {
        **meta,
        "items": [
            {
                "id": b.pk,
                "name": _words(b.name, masked),
                "phone": _phone(b.phone, masked),
                "platform_id": "" if masked else b.platform_id,
                "state": b.state,
                "link": None if masked else buyer_link(request, b),
                "link_sent_at": local(b.link_sent_at),
                "order_code": b.order.code if b.order_id else None,
                "held": packs(b, ClaimState.HELD),
                "waiting": packs(b, ClaimState.WAITING),
                "ordered": packs(b, ClaimState.ORDERED),
                "held_vnd": packs(b, ClaimState.HELD, "worth"),
                "created_at": local(b.created_at),
            }
            for b in rows
        ],
    }

"""Messages: the outbox (list, one message with its attempts), send one message
(idempotent), and the offers to sell that members text in (list, answer by SMS).

Messages are written by ``outbox.services.queue`` in the request's transaction and sent
by the worker after commit, as from the web pages. A message from the API is of kind
``other`` with ``source_type="api"`` and its ``client_key`` as ``source_id``.

No ``from __future__ import annotations`` in router modules: ninja reads the handlers'
annotations through the gate's wrapper, whose module does not know these names.
"""

from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router

from hoptac.api.access import coop_route
from hoptac.api.common import ERRORS, MAX_PAGE, local, paginate
from hoptac.api.idempotency import create_once
from hoptac.api.schemas import (
    DbId,
    MessageChannel,
    MessageDetailOut,
    MessageIn,
    MessageKind,
    MessagePage,
    MessageStatus,
    Moment,
    OfferAnswerIn,
    OfferAnswerOut,
    OfferPage,
    OfferState,
)
from hoptac.coops import selectors as coop_selectors
from hoptac.coops.models import Member
from hoptac.core.roles import Perm
from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.notify import commands
from hoptac.notify import selectors as notify_selectors
from hoptac.notify import services as notify_services
from hoptac.notify.models import SellOffer
from hoptac.notify.password_reset import SOURCE as RESET_SOURCE
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Kind, Message
from hoptac.outbox.models import Status as MessageState

router = Router(tags=["messages"])

SEND = "message.send"
SOURCE = "api"
HIDDEN = "******"


# --- answers ------------------------------------------------------------------------------------


def _with_links(messages):
    """Messages with the uuids of their member and linked channels, in the same query."""
    return messages.annotate(
        member_uuid=F("member__uuid"),
        previous_uuid=F("previous__uuid"),
        fallback_uuid=F("fallback__uuid"),
    )


def message_out(message: Message) -> dict:
    """A message of :func:`_with_links`."""
    return {
        "id": message.uuid,
        "kind": message.kind,
        "channel": message.channel,
        "status": message.status,
        "member_id": message.member_uuid,
        "to_name": message.to_name,
        "to_phone": message.to_phone,
        "to_email": message.to_email,
        "subject": message.subject,
        # A password reset code is for its recipient only (notify/password_reset.py).
        "text": HIDDEN if message.source_type == RESET_SOURCE else message.text,
        "body": HIDDEN if message.source_type == RESET_SOURCE else message.body,
        "segments": message.segments,
        "cost_vnd": message.cost_vnd,
        "attempts": message.attempts,
        "error_code": message.error_code,
        "error": message.error,
        "created_at": local(message.created_at),
        "sent_at": local(message.sent_at),
        "delivered_at": local(message.delivered_at),
        "previous_id": message.previous_uuid,
        "fallback_id": message.fallback_uuid,
    }


def message_detail(message: Message) -> dict:
    return {
        **message_out(message),
        "attempt_log": [
            {
                "at": local(attempt.at),
                "outcome": attempt.outcome,
                "code": attempt.code,
                "detail": attempt.detail,
            }
            for attempt in notify_selectors.message_attempts(message)
        ],
    }


def _message_or_404(message_id: UUID) -> Message:
    # Through the scoped manager: another cooperative's message is not found.
    message = _with_links(Message.objects.filter(uuid=message_id)).first()
    if message is None:
        raise Http404
    return message


def offer_out(offer: SellOffer) -> dict:
    return {
        "id": offer.pk,
        "member_id": offer.member.uuid,
        "member_name": offer.member.full_name,
        "product_id": offer.product_id,
        "product_text": offer.product_text,
        "quantity": str(offer.quantity) if offer.quantity is not None else None,
        "unit": offer.unit,
        "raw_text": offer.raw_text,
        "status": offer.status,
        "answer": offer.answer,
        "created_at": local(offer.created_at),
        "answered_at": local(offer.answered_at),
    }


def _offer_or_404(offer_id: int) -> SellOffer:
    try:
        return commands.offer_get(offer_id)
    except SellOffer.DoesNotExist:
        raise Http404 from None


def _member_or_422(member_id: UUID) -> Member:
    try:
        return coop_selectors.member_get(member_id)
    except Member.DoesNotExist:
        raise ValidationError(_("Unknown member."), code="member") from None


# --- the outbox ---------------------------------------------------------------------------------


@router.get("/c/{slug}/messages", response={200: MessagePage, **ERRORS}, summary="Messages (the outbox)")
@coop_route(Perm.MESSAGE_VIEW)
def message_list(
    request,
    slug: str,
    status: MessageStatus | None = None,
    channel: MessageChannel | None = None,
    kind: MessageKind | None = None,
    member_id: Annotated[UUID | None, Query(description="Only messages to this member (uuid).")] = None,
    since: Annotated[
        Moment | None, Query(description="Only messages written at or after this moment.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """The cooperative's messages, newest first, 50 a page: one row per recipient and
    channel (a fallback to another channel is a row of its own, linked by ``previous_id``
    and ``fallback_id``)."""
    messages = notify_selectors.outbox_list(
        notify_selectors.OutboxFilters(status=status or "", channel=channel or "", kind=kind or "")
    )
    if member_id is not None:
        messages = messages.filter(member=_member_or_422(member_id))
    if since is not None:
        messages = messages.filter(created_at__gte=since)
    meta, items = paginate(_with_links(messages), page)
    return {**meta, "items": [message_out(message) for message in items]}


@router.get(
    "/c/{slug}/messages/{message_id}", response={200: MessageDetailOut, **ERRORS}, summary="One message"
)
@coop_route(Perm.MESSAGE_VIEW)
def message_get(request, slug: str, message_id: UUID):
    """A message with each try to hand it to its gateway and each delivery report."""
    return message_detail(_message_or_404(message_id))


def _queue(request, payload: MessageIn) -> Message:
    """Check the recipient and write the message (in the caller's transaction)."""
    phone = (payload.phone or "").strip()
    email = (payload.email or "").strip()
    if [payload.member_id is not None, bool(phone), bool(email)].count(True) != 1:
        raise ValidationError(_("Give exactly one recipient: member_id, phone or email."), code="recipient")
    member = _member_or_422(payload.member_id) if payload.member_id is not None else None
    if phone:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone:
            raise ValidationError(
                _(
                    "This is not a Vietnamese phone number. Write 10 digits starting with 0, e.g. 0912 345 678."
                ),
                code="phone",
            ) from None
    if email:
        validate_email(email)  # Django's message, in the caller's language
    message = outbox.queue(
        kind=Kind.OTHER,
        text=payload.text,
        member=member,
        name=" ".join(payload.name.split()),
        phone=phone,
        email=email,
        channels=list(payload.channels or []) or None,
        subject=" ".join(payload.subject.split()),
        unaccented=payload.unaccented,
        source_type=SOURCE,
        source_id=str(payload.client_key),
        actor=request.user,
    )
    if message.status == MessageState.SKIPPED and message.error_code == "no_channel":
        # The channels asked for cannot reach this recipient: refused, nothing kept.
        raise ValidationError(message.error, code="no_channel")
    return message


@router.post(
    "/c/{slug}/messages",
    response={200: MessageDetailOut, 201: MessageDetailOut, **ERRORS},
    summary="Send a message (idempotent)",
)
@coop_route(Perm.MESSAGE_SEND)
def message_create(request, slug: str, payload: MessageIn):
    """Write one message to a member (their channels apply unless ``channels`` is given), a
    phone number or an email address; the worker sends it after commit. 201 the first time;
    a retry with the same ``client_key`` and the same body returns the first answer with
    200; the same key with another body is refused with 422 and stores nothing."""

    def create() -> dict:
        message = _queue(request, payload)
        answer = MessageDetailOut.model_validate(message_detail(_message_or_404(message.uuid)))
        return answer.model_dump(mode="json")

    return create_once(
        request,
        key=payload.client_key,
        operation=SEND,
        body_hash=payload.canonical_hash(),
        create=create,
        refused=_(
            "This client_key was already used with different contents: nothing was sent. "
            "Make a new key for a new message."
        ),
    )


# --- offers to sell -----------------------------------------------------------------------------


@router.get("/c/{slug}/offers", response={200: OfferPage, **ERRORS}, summary="Offers to sell")
@coop_route(Perm.MESSAGE_VIEW)
def offer_list(
    request,
    slug: str,
    status: OfferState | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
):
    """Offers to sell that members texted in (``BAN mat ong 20``), open ones first, then
    newest first, 50 a page."""
    meta, items = paginate(commands.offer_list(status=status or ""), page)
    return {**meta, "items": [offer_out(offer) for offer in items]}


@router.post(
    "/c/{slug}/offers/{offer_id}/answer",
    response={200: OfferAnswerOut, **ERRORS},
    summary="Answer an offer to sell",
)
@coop_route(Perm.MESSAGE_SEND)
def offer_answer(request, slug: str, offer_id: DbId, payload: OfferAnswerIn):
    """Answer an open offer by SMS to the member; the offer becomes ``answered``. An offer
    already answered or closed is refused with 422 and nothing is sent."""
    offer = _offer_or_404(offer_id)
    message = notify_services.offer_answer(
        offer=offer, text=payload.text, unaccented=payload.unaccented, actor=request.user
    )
    return {
        "offer": offer_out(_offer_or_404(offer_id)),
        "message": message_out(_message_or_404(message.uuid)),
    }

"""Request and response shapes of the API (pydantic, through ninja's ``Schema``).

Money is whole đồng (integers); quantities and percentages are decimal strings ("12.5");
date-times are ISO 8601 with their offset (answers are in the cooperative's time zone,
``+07:00``). Free text refuses NUL characters and has the length of its database column,
so no input can reach the database in a shape it would reject.
"""

import contextlib
import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from hoptac.lib.phone import InvalidPhone, normalize_phone
from hoptac.lib.units import Unit
from hoptac.offtake.services import MAX_LINES, MAX_PRICE_VND

MAX_ID = 2**63 - 1
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


def _json_number(value):
    """Money must be a JSON number (4 or 4.0), not a string or true/false."""
    if isinstance(value, bool | str):
        raise ValueError("must be a whole number of đồng, written as a number")
    return value


def _sane_moment(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # the cooperative's time zone
    if not EARLIEST <= value < LATEST:
        raise ValueError("the date must be between 2000 and 2099")
    return value


def text(max_length: int):
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_no_nul)]


DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
Moment = Annotated[dt.datetime, AfterValidator(_sane_moment)]
Quantity = Annotated[
    str,
    StringConstraints(pattern=r"^-?[0-9]{1,9}([.,][0-9]{1,3})?$"),
    Field(
        description='A decimal string, e.g. "12.5" (comma accepted); at most 3 decimals.', examples=["12.5"]
    ),
]
Percent = Annotated[
    str,
    StringConstraints(pattern=r"^-?[0-9]{1,3}([.,][0-9]{1,2})?$"),
    Field(description='A decimal string, e.g. "2.5"; from 0 to 50.', examples=["0"]),
]
# The bound before the validator: pydantic then applies it to the integer itself, and the
# schema says ``maximum``. After a BeforeValidator it was kept as an unknown ``le`` keyword
# (so clients saw no maximum, and Redocly's lint refused the schema).
PriceVnd = Annotated[
    int, Field(le=MAX_PRICE_VND, description="Whole đồng per kg or litre."), BeforeValidator(_json_number)
]
Grade = Annotated[int, Field(ge=1, le=3, description="1, 2 or 3 (loại 1/2/3).")]


def decimal_of(text_value: str) -> Decimal:
    """The Decimal of a string that passed ``Quantity`` or ``Percent``."""
    return Decimal(text_value.replace(",", "."))


# --- errors and pages ---------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str | list[Any] = Field(
        description="A message, or a list: messages of the cooperative's rules (in the caller's "
        "language), or ninja's descriptions of a request that does not fit the schema."
    )


class PageMeta(Schema):
    count: int = Field(description="Items in all pages.")
    page: int
    page_size: int
    pages: int


# --- prices -------------------------------------------------------------------------------


class PriceOut(Schema):
    id: int
    product_id: int
    product_name: str
    unit: str = Field(description="The product's base unit: kg or l; the price is per this unit.")
    grade: int
    price_vnd: int
    effective_from: dt.datetime
    note: str


class PricePage(PageMeta):
    items: list[PriceOut]


class PriceIn(Schema):
    client_key: UUID = Field(
        description="Made by the client, one per new price: a retry with the same key and body "
        "returns the first answer (200); another body under the same key is refused (422)."
    )
    product_id: DbId
    grade: Grade = 1
    price_vnd: PriceVnd
    effective_from: Moment | None = Field(None, description="Default: now.")
    note: text(200) = ""

    def canonical_hash(self) -> str:
        """SHA-256 of the body in one canonical form (a moment in +07:00 or in UTC, a field
        left out or sent with its default hash the same)."""
        data = self.model_dump(mode="json")
        if self.effective_from is not None:
            data["effective_from"] = self.effective_from.astimezone(dt.UTC).isoformat()
        data["note"] = self.note.strip()
        return canonical_sha256(data)


# --- receipts -----------------------------------------------------------------------------


class MemberRef(Schema):
    uuid: UUID
    full_name: str


class PointRef(Schema):
    id: int
    name: str


class LineOut(Schema):
    product_id: int
    product_name: str
    grade: int
    quantity: str
    unit: str
    base_quantity: str
    base_unit: str
    deduction_pct: str
    net_quantity: str
    unit_price_vnd: int
    list_price_vnd: int | None
    price_override_reason: str
    amount_vnd: int


class ReceiptSummaryOut(Schema):
    uuid: UUID
    code: str
    number: int
    member: MemberRef
    collected_at: dt.datetime
    point: PointRef | None
    collector: str | None
    status: Literal["confirmed", "voided"]
    total_vnd: int
    note: str
    void_reason: str
    client_key: UUID | None
    created_at: dt.datetime


class ReceiptOut(ReceiptSummaryOut):
    lines: list[LineOut]


class ReceiptPage(PageMeta):
    items: list[ReceiptSummaryOut]


class LineIn(Schema):
    product_id: DbId
    grade: Grade = 1
    quantity: Quantity
    unit: Unit
    deduction_pct: Percent = "0"
    unit_price_vnd: PriceVnd | None = Field(
        None, description="Leave out to take the price in force; another price needs price.override."
    )
    override_reason: text(200) = ""


class ReceiptIn(Schema):
    client_key: UUID = Field(
        description="Made by the client, one per receipt: a retry with the same key and body "
        "returns the first answer (200); another body under the same key is refused (422)."
    )
    member_id: UUID
    collected_at: Moment
    point_id: DbId | None = None
    note: text(300) = ""
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)

    def canonical_hash(self) -> str:
        """SHA-256 of the body in one canonical form: the same receipt typed twice
        ("4" or "4.0", a time in +07:00 or in UTC, a field left out or sent with its
        default) hashes the same."""
        data = self.model_dump(mode="json")
        data["collected_at"] = self.collected_at.astimezone(dt.UTC).isoformat()
        for raw, line in zip(self.lines, data["lines"], strict=True):
            line["quantity"] = _canonical_decimal(raw.quantity)
            line["deduction_pct"] = _canonical_decimal(raw.deduction_pct)
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(blob.encode("ascii")).hexdigest()


def canonical_sha256(data: dict) -> str:
    """SHA-256 of a JSON body with sorted keys and no spaces: the hash of an idempotent write."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def _canonical_decimal(value: str) -> str:
    number = decimal_of(value)
    return format(number.normalize(), "f") if number else "0"


class VoidIn(Schema):
    reason: text(200) = Field(description="Why the receipt is voided; kept with the receipt.")


# --- members and the ledger -------------------------------------------------------------------


class MemberOut(Schema):
    uuid: UUID
    full_name: str
    village: str | None
    phone: str | None
    status: str


class MemberPage(PageMeta):
    items: list[MemberOut]


class BalanceOut(Schema):
    member_id: UUID
    payable: int = Field(description="What the cooperative owes the member.")
    receivable: int = Field(description="What the member owes the cooperative (advances, loans).")
    net: int = Field(description="payable − receivable: positive, the cooperative owes the member.")


class BalanceParts(Schema):
    payable: int
    receivable: int
    net: int


class StatementLineOut(Schema):
    date: dt.datetime
    kind: str
    kind_label: str
    description: str
    net: int
    balance_after: int
    code: str


class StatementOut(Schema):
    member_id: UUID
    start: dt.date
    end: dt.date
    opening: BalanceParts
    lines: list[StatementLineOut]
    closing: BalanceParts


# --- messages (the outbox) and offers to sell ---------------------------------------------------

# The values of hoptac.outbox.models (Kind, Channel, Status, Attempt.Outcome) and
# hoptac.notify.models.OfferStatus, spelt out for the schema; a test keeps them equal.
MessageKind = Literal["announcement", "receipt", "price", "order", "reply", "other"]
MessageChannel = Literal["sms", "zalo", "email", "app"]
MessageStatus = Literal[
    "queued", "sending", "sent", "delivered", "failed", "held", "doubt", "cancelled", "skipped"
]
AttemptOutcome = Literal["sent", "duplicate", "transient", "permanent", "unknown", "delivered", "undelivered"]
OfferState = Literal["open", "answered", "closed"]

# A message's text may be 2,000 characters (hoptac.outbox.services); the body takes more, so
# that a longer text gets the service's own message, in the caller's language.
MESSAGE_TEXT_INPUT = 4000
# Named here: inside a schema with a field called ``text`` the helper is out of reach.
MessageText = text(MESSAGE_TEXT_INPUT)
AnswerText = text(2000)
PhoneText = text(40)
EmailText = text(254)
NameText = text(120)
SubjectText = text(200)


class MessageOut(Schema):
    id: UUID = Field(description="The message's uuid: the request id given to the gateway.")
    kind: MessageKind
    channel: MessageChannel
    status: MessageStatus
    member_id: UUID | None = Field(description="The member it is for, or null for a phone or email.")
    to_name: str
    to_phone: str
    to_email: str
    subject: str
    text: str = Field(description="The text as written.")
    body: str = Field(description="What goes out on the channel: without accents for an SMS if asked.")
    segments: int = Field(description="SMS segments (0 for other channels).")
    cost_vnd: int
    attempts: int = Field(description="How many times the gateway was tried.")
    error_code: str
    error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    previous_id: UUID | None = Field(description="The message on the channel tried before this one.")
    fallback_id: UUID | None = Field(description="The message on the next channel, once this one failed.")


class AttemptOut(Schema):
    at: dt.datetime
    outcome: AttemptOutcome
    code: str
    detail: str


class MessageDetailOut(MessageOut):
    attempt_log: list[AttemptOut] = Field(description="Each try and delivery report, oldest first.")


class MessagePage(PageMeta):
    items: list[MessageOut]


class MessageIn(Schema):
    client_key: UUID = Field(
        description="Made by the client, one per message: a retry with the same key and body "
        "returns the first answer (200); another body under the same key is refused (422)."
    )
    text: MessageText = Field(description="The message: 1 to 2,000 characters.")
    member_id: UUID | None = Field(None, description="A member: their phone, email and channels.")
    phone: PhoneText | None = Field(None, description="Or a Vietnamese phone number.")
    email: EmailText | None = Field(None, description="Or an email address.")
    name: NameText = Field("", description="The name of a phone or email recipient.")
    channels: list[MessageChannel] | None = Field(
        None,
        max_length=4,
        description="Channels to try, in order (the next ones are fallbacks). Default: the member's "
        "own channels; sms for a phone, email for an email address.",
    )
    unaccented: bool = Field(True, description="An SMS without accents: about half the cost.")
    subject: SubjectText = Field("", description="The subject of an email.")

    def canonical_hash(self) -> str:
        """SHA-256 of the body in one canonical form: a field left out, null or sent with its
        default, a phone number spelt another way, spaces around the text hash the same."""
        data = self.model_dump(mode="json")
        data["text"] = self.text.strip()
        data["phone"] = (self.phone or "").strip()
        if data["phone"]:
            with contextlib.suppress(InvalidPhone):
                data["phone"] = normalize_phone(data["phone"])
        data["email"] = (self.email or "").strip()
        data["name"] = " ".join(self.name.split())
        data["subject"] = " ".join(self.subject.split())
        data["channels"] = data["channels"] or None
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(blob.encode("ascii")).hexdigest()


class OfferOut(Schema):
    id: int
    member_id: UUID
    member_name: str
    product_id: int | None = Field(description="The product read from the text, if it could be.")
    product_text: str = Field(description="The product as texted.")
    quantity: str | None = Field(description="A decimal string, or null if the text gave none.")
    unit: str = Field(description='The unit texted ("kg", "yen", "l"…), or "".')
    raw_text: str = Field(description="The SMS as received.")
    status: OfferState
    answer: str
    created_at: dt.datetime
    answered_at: dt.datetime | None


class OfferPage(PageMeta):
    items: list[OfferOut]


class OfferAnswerIn(Schema):
    text: AnswerText = Field(description="The answer, sent by SMS to the member: at most 300 characters.")
    unaccented: bool = Field(True, description="An SMS without accents: about half the cost.")


class OfferAnswerOut(Schema):
    offer: OfferOut
    message: MessageOut = Field(description="The SMS written to the member.")

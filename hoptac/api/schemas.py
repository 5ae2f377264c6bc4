"""Request and response shapes of the API (pydantic, through ninja's ``Schema``).

Money is whole đồng (integers); quantities and percentages are decimal strings ("12.5");
date-times are ISO 8601 with their offset (answers are in the cooperative's time zone,
``+07:00``). Free text refuses NUL characters and has the length of its database column,
so no input can reach the database in a shape it would reject.
"""

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

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
PriceVnd = Annotated[
    int, BeforeValidator(_json_number), Field(le=MAX_PRICE_VND, description="Whole đồng per kg or litre.")
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
    product_id: DbId
    grade: Grade = 1
    price_vnd: PriceVnd
    effective_from: Moment | None = Field(None, description="Default: now.")
    note: text(200) = ""


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

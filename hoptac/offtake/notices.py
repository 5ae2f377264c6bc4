"""Messages the buying side sends to members, through the outbox, in the transaction of
their cause: the purchase receipt (and its voiding) and buying-price changes."""

from __future__ import annotations

from django.utils import timezone

from hoptac.core.tenancy import require_cooperative
from hoptac.ledger.selectors import member_balance
from hoptac.lib.money import group_digits
from hoptac.lib.text import unaccent
from hoptac.lib.units import base_unit_word
from hoptac.offtake.models import Agreement, Price
from hoptac.offtake.sms import receipt_sms_text
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Kind


def receipt_text(receipt) -> str:
    """The receipt as one unaccented SMS, with the member's balance as it is now."""
    balance = member_balance(receipt.member).net
    return receipt_sms_text(receipt, coop_name=require_cooperative().name, balance_net=balance)


def send_receipt(receipt, *, actor=None) -> None:
    """Queue the receipt (or its voiding) to the member, if the cooperative sends receipts
    and the member has a way to be reached."""
    coop = require_cooperative()
    if not outbox.messaging_settings(coop).send_receipts:
        return
    member = receipt.member
    if not (member.phone or member.email):
        return
    outbox.queue(
        kind=Kind.RECEIPT,
        text=receipt_text(receipt),
        member=member,
        channels=[c for c in member.channel_list if c != "zalo"] or ["sms"],
        source_type="receipt",
        source_id=receipt.pk,
        actor=actor,
    )


def price_text(price: Price, previous: Price | None) -> str:
    coop = require_cooperative()
    product = price.product
    unit = base_unit_word(product.base_unit)  # the product's own unit: "lit" for honey
    when = timezone.localtime(price.effective_from).strftime("%d/%m %H:%M")
    before = f" (truoc {group_digits(previous.price_vnd)}d)" if previous else ""
    text = (
        f"{coop.name}: gia thu mua {product.name} loai {price.grade} tu {when}: "
        f"{group_digits(price.price_vnd)}d/{unit}{before}"
    )
    return unaccent(text)


def send_price_change(price: Price, previous: Price | None, *, actor=None) -> int:
    """Tell members holding an agreement for this product in a current season."""
    coop = require_cooperative()
    if not outbox.messaging_settings(coop).send_price_changes:
        return 0
    today = timezone.localdate()
    members = {
        a.member_id: a.member
        for a in Agreement.objects.filter(
            season__product=price.product,
            season__starts_on__lte=today,
            season__ends_on__gte=today,
            member__status="active",
        ).select_related("member")
    }
    if not members:
        return 0
    accounts = outbox.accounts_for(members.values())
    text = price_text(price, previous)
    return outbox.queue_many(
        (
            (outbox.Recipient.for_member(m, user=accounts.get(m.pk)), text)
            for m in sorted(members.values(), key=lambda m: m.pk)
        ),
        kind=Kind.PRICE,
        source_type="price",
        source_id=price.pk,
        actor=actor,
    )

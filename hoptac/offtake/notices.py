"""Messages the buying side sends to members, through the outbox, in the transaction of
their cause: the purchase receipt (and its voiding) and buying-price changes."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import pgettext

from hoptac.core.tenancy import require_cooperative
from hoptac.ledger.selectors import Balance, member_balance
from hoptac.lib.sms import one_sms, sms_grade, sms_language, sms_length, sms_price
from hoptac.offtake.models import Agreement, Price
from hoptac.offtake.sms import SMS_LIMIT, product_name, receipt_sms_text
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Kind


def receipt_text(receipt, *, language: str | None = None, balance: Balance | None = None) -> str:
    """The receipt as one unaccented SMS in the member's language, with the member's
    balance as it is now (in words: who owes whom): ``balance`` when the caller has it
    (``receipt_record``: read under the member's lock with the purchase), else read."""
    if balance is None:
        balance = member_balance(receipt.member)
    return receipt_sms_text(
        receipt, coop_name=require_cooperative().name, balance_net=balance.net, language=language
    )


def send_receipt(receipt, *, actor=None, balance: Balance | None = None) -> None:
    """Queue the receipt (or its voiding) to the member, if the cooperative sends receipts
    and the member has a way to be reached. ``balance``: the member's balance now, when the
    caller has it."""
    coop = require_cooperative()
    rules = outbox.messaging_settings(coop)
    if not rules.send_receipts:
        return
    member = receipt.member
    if not (member.phone or member.email):
        return
    # The household's account is looked up once (or was read with the member): it gives
    # the SMS language and the in-app channel (tests/test_receipt_queries.py counts).
    account = outbox.account_for(member)
    outbox.queue(
        kind=Kind.RECEIPT,
        text=receipt_text(receipt, language=sms_language(account), balance=balance),
        member=member,
        user=account,
        channels=[c for c in member.channel_list if c != "zalo"] or ["sms"],
        source_type="receipt",
        source_id=receipt.pk,
        actor=actor,
        account_known=True,
        rules=rules,
    )


def price_text(price: Price, previous: Price | None, *, language: str = "vi") -> str:
    """``HTX Tuan Dung: gia thu mua Mat ong bac ha loai 1 tu 27/11 08:15: 520.000d/lit
    (truoc day 500.000d/lit)``: the price per the product's own unit, one SMS; a long
    product name is cut to its first words until it fits."""
    coop = require_cooperative()
    product = price.product
    with translation.override(language):
        values = {
            "coop": coop.name,
            "grade": sms_grade(price.grade),
            "when": timezone.localtime(price.effective_from).strftime("%d/%m %H:%M"),
            "price": sms_price(price.price_vnd, product.base_unit),
        }
        if previous is not None:
            template = pgettext(
                "sms",
                "%(coop)s: buying price of %(product)s %(grade)s from %(when)s: %(price)s (was %(previous)s).",
            )
            values["previous"] = sms_price(previous.price_vnd, product.base_unit)
        else:
            template = pgettext(
                "sms", "%(coop)s: buying price of %(product)s %(grade)s from %(when)s: %(price)s."
            )
        words = product_name(product).split()
        text = ""
        for coop_name in (coop.name, coop.name[:20]):
            for keep in range(len(words), 0, -1):
                text = one_sms(template % {**values, "coop": coop_name, "product": " ".join(words[:keep])})
                if sms_length(text).units <= SMS_LIMIT:
                    return text
        return text[:SMS_LIMIT]


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
    texts = {}

    def text_for(member) -> str:
        language = sms_language(accounts.get(member.pk))
        if language not in texts:
            texts[language] = price_text(price, previous, language=language)
        return texts[language]

    return outbox.queue_many(
        (
            (outbox.Recipient.for_member(m, user=accounts.get(m.pk)), text_for(m))
            for m in sorted(members.values(), key=lambda m: m.pk)
        ),
        kind=Kind.PRICE,
        source_type="price",
        source_id=price.pk,
        actor=actor,
    )

"""What the buyer is told, and when: the order placed (with the transfer details for a bank
transfer), a reminder, part or all of the payment received, shipped (with the tracking
code), delivered, cancelled. Each is one outbox row in the transaction of its cause, by the
channel the buyer chose; SMS texts are short and in the catalogue's "sms" context.
"""

from __future__ import annotations

from django.utils.translation import pgettext

from hoptac.core.sites import public_base
from hoptac.lib.banks import bank_short_name
from hoptac.lib.sms import sms_money
from hoptac.outbox.models import Kind
from hoptac.outbox.services import queue


def order_page_hint() -> str:
    return f"{public_base()}/don/"


def transfer_details(order) -> str:
    shop = order.cooperative.shop
    return pgettext("sms", "Transfer %(amount)s to %(bank)s %(account)s (%(holder)s), memo %(code)s.") % {
        "amount": sms_money(order.total_vnd - order.paid_vnd),
        "bank": bank_short_name(shop.bank_bin),
        "account": shop.bank_account,
        "holder": shop.account_name or order.cooperative.name,
        "code": order.code,
    }


def order_text(order, event: str) -> str:
    coop = order.cooperative.name
    values = {
        "coop": coop,
        "code": order.code,
        "total": sms_money(order.total_vnd),
        "owed": sms_money(max(order.total_vnd - order.paid_vnd, 0)),
        "page": order_page_hint(),
    }
    if event == "placed":
        text = pgettext("sms", "%(coop)s: order %(code)s received, total %(total)s.") % values
        if order.payment_method == "bank":
            text += " " + transfer_details(order)
        else:
            text += " " + pgettext("sms", "Pay on delivery.")
        return text + " " + pgettext("sms", "See your order: %(page)s") % values
    if event == "reminder":
        return (
            pgettext("sms", "%(coop)s: order %(code)s is waiting for your transfer.") % values
            + " "
            + transfer_details(order)
        )
    if event == "partial":
        return (
            pgettext(
                "sms",
                "%(coop)s: we received part of the payment for order %(code)s; %(owed)s is still missing.",
            )
            % values
            + " "
            + transfer_details(order)
        )
    if event == "paid":
        return pgettext("sms", "%(coop)s: payment for order %(code)s received, thank you.") % values
    if event == "shipped":
        text = pgettext("sms", "%(coop)s: order %(code)s is on its way.") % values
        if order.tracking_code:
            text += " " + pgettext("sms", "%(carrier)s tracking code %(tracking)s.") % {
                "carrier": order.carrier or "",
                "tracking": order.tracking_code,
            }
        return text
    if event == "delivered":
        return pgettext("sms", "%(coop)s: order %(code)s delivered. Thank you for buying from us.") % values
    if event == "cancelled":
        return pgettext("sms", "%(coop)s: order %(code)s is cancelled.") % values
    raise ValueError(event)


def order_message(order, event: str):
    """Queue the buyer's message for ``event`` (inside the caller's transaction)."""
    channels = [order.message_channel] if order.message_channel else ["sms"]
    if "sms" not in channels:
        channels.append("sms")
    return queue(
        kind=Kind.ORDER,
        text=order_text(order, event),
        name=order.buyer_name,
        phone=order.buyer_phone,
        email=order.buyer_email,
        channels=channels,
        subject=pgettext("sms", "Order %(code)s") % {"code": order.code},
        source_type="order",
        source_id=str(order.pk),
    )

"""Roles in a cooperative and what each may do: the one table of permissions.

A view asks ``has_perm(role, Perm.MEMBER_EDIT)``; nothing else in the code decides by
role name. Add a permission here, give it to roles here, and the views follow.

Personal data of members (``Perm.MEMBER_PERSONAL``) is what identifies or reaches a person
rather than what the cooperative does with them: the fields of
:data:`PERSONAL_MEMBER_FIELDS` — phone number, email, bank and bank account number, and the
free-text notes (which may hold an ID card number or an exact birth date) — and the
documents made of them (the 01/TNDN purchase list with sellers' addresses and identity
numbers, payout slips, statements, the messages). Name, gender, ethnicity, year of birth,
village, membership dates, capital and purchases are not personal in this sense: the
provincial alliance officer reads them for the province's statistics. A role without
``MEMBER_PERSONAL`` gets pages and exports without those fields, or no access at all;
``tests/test_tenancy.py`` walks every page and download as each such role (read from this
table) and fails when a member's phone, bank account or notes appear.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CHAIR = "chair", _("Chair / director")
    ACCOUNTANT = "accountant", _("Accountant")
    COLLECTOR = "collector", _("Collector")
    SALES = "sales", _("Sales")
    MEMBER = "member", _("Member")
    # Not held in a cooperative: a provincial alliance officer reads every cooperative
    # of their province, and a platform administrator reads everything.
    ALLIANCE = "alliance", _("Provincial alliance officer")


class Perm(StrEnum):
    COOP_VIEW = "coop.view"
    COOP_EDIT = "coop.edit"
    STAFF_MANAGE = "staff.manage"
    MEMBER_VIEW = "member.view"
    MEMBER_PERSONAL = "member.personal"  # phones, email, bank accounts, notes: see the docstring
    MEMBER_EDIT = "member.edit"
    MEMBER_LEAVE = "member.leave"
    MEMBER_IMPORT = "member.import"
    MEMBER_EXPORT = "member.export"
    MEMBER_CAPITAL = "member.capital"
    GROUP_EDIT = "group.edit"
    # Catalog: products, photos, certificates (reading needs coop.view)
    CATALOG_EDIT = "catalog.edit"
    # Buying from members and the member ledger
    OFFTAKE_VIEW = "offtake.view"
    SEASON_EDIT = "season.edit"
    PRICE_SET = "price.set"
    PRICE_OVERRIDE = "price.override"
    RECEIPT_RECORD = "receipt.record"
    RECEIPT_VOID = "receipt.void"
    LEDGER_VIEW = "ledger.view"
    LEDGER_WRITE = "ledger.write"  # advances, input loans, payouts, adjustments, reversals
    OWN_STATEMENT = "ledger.own"
    REPORT_VIEW = "report.view"
    # Lots and stock
    STOCK_VIEW = "stock.view"
    STOCK_EDIT = "stock.edit"  # raw and finished lots, processing steps, losses, adjustments
    STOCK_SELL = "stock.sell"  # stock out by sale
    # Messages: the outbox, announcements, SMS commands and offers to sell
    MESSAGE_VIEW = "message.view"
    MESSAGE_SEND = "message.send"  # announcements, answers to offers, resend/cancel
    OWN_NOTICES = "notice.own"  # a member's own notice board
    # Selling: the shop's settings (open, bank account, delivery rules, payment keys), the
    # products on sale and their prices, orders (buyers' names, phones and addresses are in
    # them), and the money: bank transactions, the resolution queue, the cash/bank book.
    SHOP_EDIT = "shop.edit"
    LISTING_EDIT = "listing.edit"
    ORDER_VIEW = "order.view"
    ORDER_MANAGE = "order.manage"
    PAYMENT_MANAGE = "payment.manage"
    LIVE_RUN = "live.run"


# Member fields that only a role with Perm.MEMBER_PERSONAL reads (pages, exports, the API).
PERSONAL_MEMBER_FIELDS = ("phone", "email", "bank_bin", "bank_account", "notes")

_READ = {Perm.COOP_VIEW, Perm.MEMBER_VIEW}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.CHAIR: frozenset(Perm),
    Role.ACCOUNTANT: frozenset(
        _READ
        | {
            Perm.MEMBER_PERSONAL,
            Perm.MEMBER_EDIT,
            Perm.MEMBER_LEAVE,
            Perm.MEMBER_IMPORT,
            Perm.MEMBER_EXPORT,
            Perm.MEMBER_CAPITAL,
            Perm.GROUP_EDIT,
            Perm.CATALOG_EDIT,
            Perm.OFFTAKE_VIEW,
            Perm.SEASON_EDIT,
            Perm.PRICE_SET,
            Perm.PRICE_OVERRIDE,
            Perm.RECEIPT_RECORD,
            Perm.RECEIPT_VOID,
            Perm.LEDGER_VIEW,
            Perm.LEDGER_WRITE,
            Perm.REPORT_VIEW,
            Perm.STOCK_VIEW,
            Perm.STOCK_EDIT,
            Perm.STOCK_SELL,
            Perm.MESSAGE_VIEW,
            Perm.MESSAGE_SEND,
            Perm.LISTING_EDIT,
            Perm.ORDER_VIEW,
            Perm.ORDER_MANAGE,
            Perm.PAYMENT_MANAGE,
            Perm.LIVE_RUN,
        }
    ),
    Role.COLLECTOR: frozenset(
        _READ
        | {Perm.MEMBER_PERSONAL, Perm.OFFTAKE_VIEW, Perm.RECEIPT_RECORD, Perm.STOCK_VIEW, Perm.MESSAGE_VIEW}
    ),
    Role.SALES: frozenset(
        _READ
        | {
            Perm.CATALOG_EDIT,
            Perm.STOCK_VIEW,
            Perm.STOCK_SELL,
            Perm.LISTING_EDIT,
            Perm.ORDER_VIEW,
            Perm.ORDER_MANAGE,
            Perm.LIVE_RUN,
        }
    ),
    Role.MEMBER: frozenset({Perm.COOP_VIEW, Perm.OWN_STATEMENT, Perm.OWN_NOTICES}),
    # Reads every cooperative of the province, without members' personal data: the member
    # export without its personal columns, no ledger, no messages, no 01/TNDN list.
    Role.ALLIANCE: frozenset(
        _READ | {Perm.MEMBER_EXPORT, Perm.OFFTAKE_VIEW, Perm.REPORT_VIEW, Perm.STOCK_VIEW}
    ),
}

STAFF_ROLES = (Role.CHAIR, Role.ACCOUNTANT, Role.COLLECTOR, Role.SALES, Role.MEMBER)


def has_perm(role: str | None, perm: Perm) -> bool:
    return role is not None and perm in ROLE_PERMISSIONS.get(role, frozenset())


def perms_for(role: str | None) -> frozenset[Perm]:
    return ROLE_PERMISSIONS.get(role, frozenset()) if role else frozenset()

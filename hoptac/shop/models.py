"""Selling: each cooperative's shop, its listings, orders (one per cooperative per checkout),
the bank transactions that pay them, and the append-only cash/bank book.

Money is integer đồng. Quantities of an order are whole packs. Stock is held for an order
line by inventory's ``StockReservation`` rows from the moment the order is placed.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned, ScopedManager, ScopedQuerySet


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("Pick up at the cooperative")
    OWN = "own", _("Delivered by the cooperative")
    POST = "post", _("By post or carrier")


class Zone(models.TextChoices):
    ANY = "", _("Anywhere")
    SAME_PROVINCE = "same_province", _("Same province")
    NORTH = "north", _("Northern provinces")
    ELSEWHERE = "elsewhere", _("Elsewhere in Vietnam")


class Shop(CoopOwned):
    """A cooperative's shop settings: one row per cooperative, made when the chair opens it."""

    # One shop per cooperative, reachable from it (``coop.shop``) for the marketplace's joins.
    cooperative = models.OneToOneField("coops.Cooperative", on_delete=models.PROTECT, related_name="shop")
    is_open = models.BooleanField(_("shop open"), default=False)
    headline = models.CharField(_("headline"), max_length=160, blank=True)
    story = models.TextField(_("our story"), blank=True, max_length=4000)
    bank_bin = models.CharField(_("bank"), max_length=8, blank=True)
    bank_account = models.CharField(_("bank account number"), max_length=19, blank=True)
    account_name = models.CharField(_("account holder"), max_length=80, blank=True)
    bank_transfer = models.BooleanField(_("accept bank transfer"), default=True)
    cash_on_delivery = models.BooleanField(_("accept cash on delivery"), default=True)
    pickup = models.BooleanField(_("buyers may pick up"), default=True)
    pickup_address = models.CharField(_("pickup address"), max_length=300, blank=True)
    own_delivery = models.BooleanField(_("we deliver ourselves"), default=False)
    post = models.BooleanField(_("we send by post or carrier"), default=True)
    free_delivery_above = models.BigIntegerField(
        _("free delivery from (VND)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    pay_within_hours = models.PositiveSmallIntegerField(
        _("bank transfer expected within (hours)"),
        default=48,
        validators=[MinValueValidator(2), MaxValueValidator(24 * 14)],
    )
    remind_after_hours = models.PositiveSmallIntegerField(
        _("remind unpaid orders after (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 13)],
    )
    few_left_at = models.PositiveSmallIntegerField(_("'few left' from (packs)"), default=5)
    # Bank notifications (SePay, Casso): the keys the services present when they call us.
    sepay_api_key = models.CharField(_("SePay API key"), max_length=100, blank=True)
    casso_secret = models.CharField(_("Casso webhook secret"), max_length=100, blank=True)
    statement_mapping = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")

    def __str__(self) -> str:
        return f"shop:{self.cooperative_id}"

    @property
    def can_take_transfers(self) -> bool:
        return bool(self.bank_transfer and self.bank_bin and self.bank_account)


class DeliveryRate(CoopOwned):
    """One line of a cooperative's delivery fees: for a method and a zone, parcels up to
    ``up_to_g`` grams (or any weight) cost ``fee_vnd``. A flat fee is one line with any
    zone and no weight limit."""

    method = models.CharField(_("delivery"), max_length=8, choices=DeliveryMethod.choices)
    zone = models.CharField(_("zone"), max_length=16, choices=Zone.choices, blank=True)
    up_to_g = models.PositiveIntegerField(_("up to (grams)"), null=True, blank=True)
    fee_vnd = models.PositiveIntegerField(_("fee (VND)"), validators=[MaxValueValidator(5_000_000)])

    class Meta:
        ordering = ["method", "zone", "up_to_g"]
        verbose_name = _("delivery fee")
        verbose_name_plural = _("delivery fees")

    def __str__(self) -> str:
        return f"{self.method}/{self.zone or '*'}/{self.up_to_g or '∞'}: {self.fee_vnd}"


def new_short_code() -> str:
    import secrets

    from hoptac.inventory.models import PUBLIC_ALPHABET

    return "".join(secrets.choice(PUBLIC_ALPHABET) for _ in range(6))


class Listing(CoopOwned):
    """A product on sale in the shop: its price per pack, weight for delivery, and a short
    code for links in captions (``/p/<short_code>``)."""

    product = models.OneToOneField("catalog.Product", on_delete=models.PROTECT, related_name="listing")
    price_vnd = models.PositiveIntegerField(
        _("price per pack (VND)"), validators=[MinValueValidator(1000), MaxValueValidator(100_000_000)]
    )
    weight_g = models.PositiveIntegerField(
        _("parcel weight per pack (grams)"), validators=[MinValueValidator(1), MaxValueValidator(50_000)]
    )
    is_listed = models.BooleanField(_("on sale"), default=True)
    short_code = models.CharField(max_length=8, unique=True, default=new_short_code, editable=False)
    max_per_order = models.PositiveIntegerField(_("at most per order"), default=200)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")

    def __str__(self) -> str:
        return f"listing:{self.product_id}"


class PriceTier(CoopOwned):
    """A lower price per pack from a quantity on (wholesale buyers, e.g. shops taking ≥ 20)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="tiers")
    min_quantity = models.PositiveIntegerField(_("from (packs)"), validators=[MinValueValidator(2)])
    price_vnd = models.PositiveIntegerField(_("price per pack (VND)"), validators=[MinValueValidator(1000)])

    class Meta:
        ordering = ["min_quantity"]
        verbose_name = _("quantity price")
        verbose_name_plural = _("quantity prices")
        constraints = [
            models.UniqueConstraint(fields=["listing", "min_quantity"], name="tier_unique_quantity")
        ]


class OrderStatus(models.TextChoices):
    NEW = "new", _("New")
    CONFIRMED = "confirmed", _("Confirmed")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


# The moves an order may make; everything else is refused (services.orders.order_move).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.NEW: (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    OrderStatus.CONFIRMED: (OrderStatus.PACKED, OrderStatus.CANCELLED),
    OrderStatus.PACKED: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED, OrderStatus.RETURNED),
    OrderStatus.DELIVERED: (OrderStatus.RETURNED,),
    OrderStatus.CANCELLED: (),
    OrderStatus.RETURNED: (),
}
OPEN_STATUSES = (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.PACKED)


class PaymentMethod(models.TextChoices):
    BANK = "bank", _("Bank transfer (VietQR)")
    COD = "cod", _("Cash on delivery")


class PaymentState(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PARTIAL = "partial", _("Part paid")
    PAID = "paid", _("Paid")
    OVERPAID = "overpaid", _("Overpaid")


class Channel(models.TextChoices):
    SHOP = "shop", _("Shop")
    MARKETPLACE = "marketplace", _("Marketplace")
    WHOLESALE = "wholesale", _("Wholesale")
    API = "api", _("API")
    STAFF = "staff", _("Entered by staff")
    LIVE = "live", _("Livestream")
    SHARE = "share", _("Share link")


class Order(CoopOwned):
    """One cooperative's part of a buyer's checkout."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Short, unambiguous, with a check character; first in the bank transfer memo.
    code = models.CharField(_("order code"), max_length=12, unique=True, editable=False)
    # The orders of one checkout (a cart with several cooperatives' products) share it.
    checkout = models.UUIDField(db_index=True, editable=False)
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.NEW, db_index=True
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.SHOP)
    channel_ref = models.CharField(_("channel detail"), max_length=60, blank=True)
    buyer_name = models.CharField(_("name"), max_length=120)
    buyer_phone = models.CharField(_("phone"), max_length=11, db_index=True)
    buyer_email = models.EmailField(_("email"), blank=True)
    message_channel = models.CharField(_("send messages by"), max_length=8, default="sms")
    province_code = models.PositiveIntegerField(_("province"), null=True, blank=True)
    commune_code = models.PositiveIntegerField(_("commune / ward"), null=True, blank=True)
    street = models.CharField(_("house number, street, village"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    delivery_method = models.CharField(_("delivery"), max_length=8, choices=DeliveryMethod.choices)
    weight_g = models.PositiveIntegerField(default=0)
    subtotal_vnd = models.BigIntegerField(_("goods"))
    delivery_fee_vnd = models.BigIntegerField(_("delivery fee"), default=0)
    total_vnd = models.BigIntegerField(_("total"))
    payment_method = models.CharField(_("payment"), max_length=4, choices=PaymentMethod.choices)
    payment_state = models.CharField(
        _("payment state"),
        max_length=8,
        choices=PaymentState.choices,
        default=PaymentState.UNPAID,
        db_index=True,
    )
    paid_vnd = models.BigIntegerField(_("paid"), default=0)
    pay_by = models.DateTimeField(_("pay by"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # A business buyer asking for a VAT invoice.
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True)
    company_address = models.CharField(_("company address"), max_length=300, blank=True)
    einvoice_number = models.CharField(_("e-invoice number"), max_length=40, blank=True)
    einvoice_provider = models.CharField(_("e-invoice provider"), max_length=40, blank=True)
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    tracking_code = models.CharField(_("tracking code"), max_length=40, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("placed"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "client_key"],
                condition=~Q(client_key=""),
                name="order_client_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(total_vnd=models.F("subtotal_vnd") + models.F("delivery_fee_vnd")),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(condition=Q(paid_vnd__gte=0), name="order_paid_not_negative"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def owed_vnd(self) -> int:
        return max(self.total_vnd - self.paid_vnd, 0)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def needs_address(self) -> bool:
        return self.delivery_method != DeliveryMethod.PICKUP


class OrderLine(CoopOwned):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(_("packs"), validators=[MinValueValidator(1)])
    unit_price_vnd = models.PositiveIntegerField(_("price per pack"))
    line_total_vnd = models.BigIntegerField(_("amount"))
    weight_g = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(line_total_vnd=models.F("quantity") * models.F("unit_price_vnd")),
                name="order_line_adds_up",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class AppendOnly(Exception):
    pass


class _AppendOnlyQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise AppendOnly("This book is append-only.")

    def delete(self):
        raise AppendOnly("This book is append-only.")


class _AppendOnly(CoopOwned):
    objects = ScopedManager.from_queryset(_AppendOnlyQuerySet)()
    unscoped = models.Manager.from_queryset(_AppendOnlyQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("This book is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("This book is append-only.")


class OrderEvent(_AppendOnly):
    """The history of an order: every change of status or payment, who, when, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    what = models.CharField(max_length=24)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_buyer = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class TxSource(models.TextChoices):
    SEPAY = "sepay", "SePay"
    CASSO = "casso", "Casso"
    STATEMENT = "statement", _("Bank statement")
    MANUAL = "manual", _("Entered by staff")


class TxState(models.TextChoices):
    MATCHED = "matched", _("Matched")
    PARTIAL = "partial", _("Partial payment")
    OVERPAID = "overpaid", _("Overpaid")
    DUPLICATE = "duplicate", _("Duplicate")
    UNMATCHED = "unmatched", _("Unmatched")
    RESOLVED = "resolved", _("Resolved by staff")
    IGNORED = "ignored", _("Not an order payment")


NEEDS_LOOK = (TxState.UNMATCHED, TxState.OVERPAID)


class BankTransaction(CoopOwned):
    """Money that came into the cooperative's account, however we learnt of it. Every one
    is kept, matched or not."""

    source = models.CharField(_("source"), max_length=10, choices=TxSource.choices)
    provider_id = models.CharField(max_length=64, blank=True)
    checksum = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(_("time"))
    amount_vnd = models.BigIntegerField(_("amount"))
    memo = models.CharField(_("transfer memo"), max_length=500, blank=True)
    account_number = models.CharField(max_length=40, blank=True)
    bank = models.CharField(max_length=60, blank=True)
    reference = models.CharField(max_length=80, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=TxState.choices, db_index=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("bank transaction")
        verbose_name_plural = _("bank transactions")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "source", "provider_id"],
                condition=~Q(provider_id=""),
                name="bank_tx_provider_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.provider_id or self.checksum[:8]} {self.amount_vnd}"


class CashKind(models.TextChoices):
    ORDER_PAYMENT = "payment", _("Order payment")
    COD = "cod", _("Cash on delivery")
    REFUND = "refund", _("Refund")
    REVERSAL = "reversal", _("Reversal")


class CashEntry(_AppendOnly):
    """The cash and bank book: every đồng the shop receives or gives back, numbered without
    gaps, never changed. A mistake is corrected by a reversing entry."""

    number = models.PositiveIntegerField(_("number"))
    at = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=8, choices=CashKind.choices)
    account = models.CharField(
        _("account"), max_length=4, choices=[("bank", _("Bank")), ("cash", _("Cash"))], default="bank"
    )
    amount_vnd = models.BigIntegerField(_("amount"))
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="cash_entries"
    )
    transaction = models.ForeignKey(
        BankTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="cash_entries"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("cash book entry")
        verbose_name_plural = _("cash book")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "number"], name="cash_entry_number_unique"),
            models.CheckConstraint(condition=~Q(amount_vnd=0), name="cash_entry_not_zero"),
        ]


# ---------------------------------------------------------------------------------------
# Share links: a product (or one lot of it) shared in a group or a post, with the channel
# it was shared in, so the orders it brings say where they came from.


class SharePlace(models.TextChoices):
    ZALO = "zalo", "Zalo"
    FACEBOOK = "facebook", "Facebook"
    TIKTOK = "tiktok", "TikTok"
    YOUTUBE = "youtube", "YouTube"
    SMS = "sms", "SMS"
    PRINT = "print", _("Printed (poster, leaflet)")
    OTHER = "other", _("Other")


def new_share_code() -> str:
    return "S" + new_short_code()[:5]


class ShareLink(CoopOwned):
    """``/l/<code>``: leads to a product's page and marks the visit's orders with this
    link (order.channel = share, order.channel_ref = code)."""

    code = models.CharField(max_length=8, unique=True, default=new_share_code, editable=False)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="share_links")
    lot = models.ForeignKey("inventory.Lot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    place = models.CharField(_("shared in"), max_length=10, choices=SharePlace.choices, default=SharePlace.ZALO)
    label = models.CharField(_("name of the group or post"), max_length=80, blank=True)
    visits = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("share link")
        verbose_name_plural = _("share links")

    def __str__(self) -> str:
        return self.code


# ---------------------------------------------------------------------------------------
# Delivery by carrier (GHN, GHTK…) and cash-on-delivery remittances.


class Carrier(models.TextChoices):
    GHTK = "ghtk", "Giao Hàng Tiết Kiệm"
    GHN = "ghn", "Giao Hàng Nhanh"
    VNPOST = "vnpost", "VNPost"
    VIETTEL = "viettel", "Viettel Post"
    OTHER = "other", _("Other carrier")


# Carriers we talk to through their API; the others get a tracking code typed by staff.
API_CARRIERS = (Carrier.GHTK, Carrier.GHN)


class CarrierAccount(CoopOwned):
    """A cooperative's account with a carrier's API: credentials, where parcels are picked
    up, and the secret the carrier presents when it calls back."""

    carrier = models.CharField(_("carrier"), max_length=10, choices=Carrier.choices)
    is_active = models.BooleanField(_("in use"), default=True)
    api_token = models.CharField(_("API token"), max_length=200)
    shop_id = models.CharField(_("shop id at the carrier"), max_length=40, blank=True)
    # Where the carrier picks parcels up (the cooperative's warehouse).
    pick_name = models.CharField(_("sender name"), max_length=120)
    pick_phone = models.CharField(_("sender phone"), max_length=11)
    pick_province_code = models.PositiveIntegerField(_("province"))
    pick_commune_code = models.PositiveIntegerField(_("commune / ward"))
    pick_street = models.CharField(_("house number, street, village"), max_length=200)
    # The carrier's own code for the pickup district/ward where its API wants one (GHN).
    pick_district_ref = models.CharField(max_length=20, blank=True)
    pick_ward_ref = models.CharField(max_length=20, blank=True)
    # Presented by the carrier on status callbacks (header or signature key).
    callback_secret = models.CharField(max_length=64)
    quote_at_checkout = models.BooleanField(_("quote the delivery fee at checkout"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["carrier"]
        verbose_name = _("carrier account")
        verbose_name_plural = _("carrier accounts")
        constraints = [models.UniqueConstraint(fields=["cooperative", "carrier"], name="carrier_account_unique")]

    def __str__(self) -> str:
        return f"{self.carrier}:{self.cooperative_id}"


class ShipmentStatus(models.TextChoices):
    CREATED = "created", _("Created at the carrier")
    PICKED = "picked", _("Picked up")
    IN_TRANSIT = "transit", _("On the way")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Delivery failed")
    RETURNING = "returning", _("Returning")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")


class Shipment(CoopOwned):
    """A parcel of an order at a carrier. The carrier's callbacks move it; its status moves
    the order (shipped, delivered, returned) through ``order_move``."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=10, choices=Carrier.choices)
    tracking_code = models.CharField(_("tracking code"), max_length=40)
    partner_ref = models.CharField(max_length=40, blank=True)  # our id as sent to the carrier
    status = models.CharField(
        _("status"), max_length=10, choices=ShipmentStatus.choices, default=ShipmentStatus.CREATED
    )
    carrier_status = models.CharField(max_length=40, blank=True)  # the carrier's own word
    # The carrier's time of the newest status applied: older callbacks change nothing.
    status_at = models.DateTimeField(null=True, blank=True)
    fee_vnd = models.BigIntegerField(_("carrier fee"), default=0)
    cod_vnd = models.BigIntegerField(_("cash to collect"), default=0)
    weight_g = models.PositiveIntegerField(default=0)
    label_ref = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)  # false once cancelled and replaced
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_code"], name="shipment_tracking_unique"),
            models.UniqueConstraint(
                fields=["order"], condition=Q(is_active=True), name="shipment_one_active_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier}:{self.tracking_code}"


class ShipmentEvent(_AppendOnly):
    """Every status callback as received, kept once (``dedupe_key``), applied or not."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    dedupe_key = models.CharField(max_length=64)
    carrier_status = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=ShipmentStatus.choices, blank=True)
    at = models.DateTimeField()
    applied = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "dedupe_key"], name="shipment_event_once")
        ]


class Remittance(CoopOwned):
    """One cash-on-delivery remittance report from a carrier (đối soát COD), imported."""

    carrier = models.CharField(_("carrier"), max_length=10, choices=Carrier.choices)
    reference = models.CharField(_("remittance reference"), max_length=60, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    checksum = models.CharField(max_length=64)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    total_cod_vnd = models.BigIntegerField(default=0)
    total_fee_vnd = models.BigIntegerField(default=0)
    total_paid_vnd = models.BigIntegerField(default=0)
    lines_count = models.PositiveIntegerField(default=0)
    problems_count = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("COD remittance")
        verbose_name_plural = _("COD remittances")
        constraints = [models.UniqueConstraint(fields=["cooperative", "checksum"], name="remittance_once")]


class RemittanceState(models.TextChoices):
    MATCHED = "matched", _("Matches the order")
    AMOUNT = "amount", _("Amount differs")
    UNKNOWN = "unknown", _("No such order")
    NOT_COD = "not_cod", _("Order is not cash on delivery")
    TWICE = "twice", _("Already remitted")
    RESOLVED = "resolved", _("Resolved by staff")


class RemittanceLine(CoopOwned):
    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField()
    tracking_code = models.CharField(max_length=40, blank=True)
    order_code = models.CharField(max_length=20, blank=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="remittances")
    cod_vnd = models.BigIntegerField(default=0)
    fee_vnd = models.BigIntegerField(default=0)
    expected_cod_vnd = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=RemittanceState.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["remittance", "row"]

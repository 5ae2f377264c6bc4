"""Selling in livestreams and social posts: a live sale (its products, each with a short
code, a live price and a quantity set aside), the comments captured from it, the buyers
they come from and their claims on the set-aside quantity.

A claim is *held* (it has packs of the live quantity), *waiting* (the quantity is all
claimed: it waits its turn), *ordered* (the buyer confirmed: the packs moved to a shop
order), *released* (staff or the buyer let it go) or *expired* (not confirmed in time).
For every item: held + ordered ≤ quantity, always (tests/test_live_claims.py).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_live_code() -> str:
    return "L" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))


def new_buyer_token() -> str:
    return secrets.token_urlsafe(12)


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    TIKTOK = "tiktok", "TikTok"
    ZALO = "zalo", "Zalo"
    YOUTUBE = "youtube", "YouTube"
    OTHER = "other", _("Other")


class LiveStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    LIVE = "live", _("On air")
    ENDED = "ended", _("Ended")


class FacebookPage(CoopOwned):
    """A Facebook page of the cooperative whose live videos' comments we may read (Graph
    API, a page access token) and answer with one private reply each."""

    page_id = models.CharField(_("page id"), max_length=40)
    name = models.CharField(_("page name"), max_length=120)
    access_token = models.CharField(_("page access token"), max_length=400)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Facebook page")
        verbose_name_plural = _("Facebook pages")
        constraints = [models.UniqueConstraint(fields=["cooperative", "page_id"], name="fb_page_unique")]

    def __str__(self) -> str:
        return self.name


class LiveSession(CoopOwned):
    code = models.CharField(max_length=8, unique=True, default=new_live_code, editable=False)
    title = models.CharField(_("title"), max_length=120)
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    starts_at = models.DateTimeField(_("starts at"))
    status = models.CharField(_("status"), max_length=8, choices=LiveStatus.choices, default=LiveStatus.PLANNED)
    hold_minutes = models.PositiveIntegerField(
        _("buyers confirm within (minutes)"),
        default=120,
        validators=[MinValueValidator(10), MaxValueValidator(7 * 24 * 60)],
    )
    # Facebook: the page and the live video whose comments are read, and where we stopped.
    facebook_page = models.ForeignKey(
        FacebookPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="lives"
    )
    video_id = models.CharField(_("live video id"), max_length=40, blank=True)
    comments_cursor = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("live sale")
        verbose_name_plural = _("live sales")

    def __str__(self) -> str:
        return self.title


class LiveItem(CoopOwned):
    """A product in a live: its code in comments (``M1``), live price and set-aside packs."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="items")
    listing = models.ForeignKey("shop.Listing", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=6)
    price_vnd = models.PositiveIntegerField(
        _("live price per pack (VND)"), validators=[MinValueValidator(1000), MaxValueValidator(100_000_000)]
    )
    quantity = models.PositiveIntegerField(
        _("packs set aside"), validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("live product")
        verbose_name_plural = _("live products")
        constraints = [
            models.UniqueConstraint(fields=["session", "code"], name="live_item_code_unique"),
            models.UniqueConstraint(fields=["session", "listing"], name="live_item_listing_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class CommentSource(models.TextChoices):
    PASTE = "paste", _("Pasted")
    CSV = "csv", _("Comment file")
    FACEBOOK = "facebook", "Facebook"
    TYPED = "typed", _("Typed by staff")
    API = "api", _("API")


class LiveBuyer(CoopOwned):
    """One buyer in one live: the same phone, or else the same name on the platform. Their
    claims become one order when they confirm through their link."""

    class State(models.TextChoices):
        OPEN = "open", _("Not confirmed yet")
        ORDERED = "ordered", _("Ordered")
        LAPSED = "lapsed", _("Nothing left to confirm")

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="buyers")
    key = models.CharField(max_length=140)
    name = models.CharField(_("name"), max_length=120)
    platform_id = models.CharField(max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=11, blank=True)
    token = models.CharField(max_length=24, unique=True, default=new_buyer_token, editable=False)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    order = models.ForeignKey("shop.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    link_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("live buyer")
        verbose_name_plural = _("live buyers")
        constraints = [models.UniqueConstraint(fields=["session", "key"], name="live_buyer_unique")]

    def __str__(self) -> str:
        return self.name


class LiveComment(CoopOwned):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="comments")
    source = models.CharField(max_length=10, choices=CommentSource.choices)
    external_id = models.CharField(max_length=80, blank=True)
    author_name = models.CharField(_("name"), max_length=120, blank=True)
    author_id = models.CharField(max_length=60, blank=True)
    text = models.CharField(_("comment"), max_length=1000)
    # Folded author and text: the same comment pasted twice (or sent twice) is one claim.
    fingerprint = models.CharField(max_length=64)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    buyer = models.ForeignKey(LiveBuyer, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments")
    phone = models.CharField(max_length=11, blank=True)
    is_order = models.BooleanField(default=False)
    needs_look = models.BooleanField(default=False)
    look_reason = models.CharField(max_length=20, blank=True)
    parsed = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("live comment")
        verbose_name_plural = _("live comments")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "external_id"], condition=~Q(external_id=""), name="live_comment_external_once"
            )
        ]
        indexes = [models.Index(fields=["session", "fingerprint"], name="live_comment_fp")]


class ClaimState(models.TextChoices):
    HELD = "held", _("Held")
    WAITING = "waiting", _("Waiting list")
    ORDERED = "ordered", _("Ordered")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired")


# States whose packs count against the live quantity.
TAKING = (ClaimState.HELD, ClaimState.ORDERED)


class Claim(CoopOwned):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="claims")
    item = models.ForeignKey(LiveItem, on_delete=models.CASCADE, related_name="claims")
    buyer = models.ForeignKey(LiveBuyer, on_delete=models.CASCADE, related_name="claims")
    comment = models.ForeignKey(LiveComment, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims")
    quantity = models.PositiveIntegerField(_("packs"), validators=[MinValueValidator(1)])
    state = models.CharField(_("state"), max_length=8, choices=ClaimState.choices)
    needs_look = models.BooleanField(default=False)
    held_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        # Arrival order is id order: first come, first served; the waiting list too.
        ordering = ["id"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [models.Index(fields=["item", "state"], name="claim_item_state")]

    def __str__(self) -> str:
        return f"{self.item_id}x{self.quantity} {self.state}"

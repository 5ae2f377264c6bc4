from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hoptac.core.media import private_storage
from hoptac.core.tenancy import CoopOwned
from hoptac.lib import gtin as gtin_lib
from hoptac.lib.units import BaseUnit


class OcopGroup(models.TextChoices):
    """The six OCOP product groups (Decision 148/QĐ-TTg)."""

    FOOD = "food", _("Food")
    DRINKS = "drinks", _("Drinks")
    HERBS = "herbs", _("Medicinal herbs")
    HANDICRAFT = "handicraft", _("Handicrafts")
    ORNAMENTAL = "ornamental", _("Ornamental plants")
    TOURISM = "tourism", _("Community and eco-tourism services")


def validate_gtin(value: str) -> None:
    if value and not gtin_lib.is_valid(value):
        raise ValidationError(_("This is not a valid GTIN: check the digits and the last (check) digit."))


class Product(CoopOwned):
    """A product the cooperative buys from members or sells (mật ong bạc hà, chè búp tươi…)."""

    name = models.CharField(_("name"), max_length=160)
    name_en = models.CharField(_("name in English"), max_length=160, blank=True)
    code = models.CharField(
        _("short code"),
        max_length=6,
        validators=[RegexValidator(r"^[A-Z0-9]{2,6}$", _("2 to 6 capital letters or digits, e.g. MAT."))],
        help_text=_("Used in receipt and lot codes, e.g. MAT for honey."),
    )
    base_unit = models.CharField(
        _("base unit"),
        max_length=2,
        choices=[(BaseUnit.KG, "kg"), (BaseUnit.LITRE, _("litre"))],
        default="kg",
    )
    ocop_group = models.CharField(
        _("OCOP group"), max_length=12, choices=OcopGroup.choices, default=OcopGroup.FOOD
    )
    sale_unit = models.CharField(_("sale unit"), max_length=40, blank=True, help_text=_("e.g. jar, box, bag"))
    pack_size = models.DecimalField(
        _("pack size"),
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    pack_unit = models.CharField(
        _("pack unit"), max_length=3, blank=True, choices=[("g", "g"), ("kg", "kg"), ("ml", "ml"), ("l", "l")]
    )
    gtin = models.CharField(
        _("GTIN (barcode)"),
        max_length=14,
        blank=True,
        validators=[validate_gtin],
        help_text=_("8, 12, 13 or 14 digits with a valid check digit; optional."),
    )
    description = models.TextField(_("description"), blank=True)
    story = models.TextField(_("product story"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "code"], name="product_code_unique"),
            # A GTIN names one trade item in the world, so it is unique across the platform.
            models.UniqueConstraint(fields=["gtin"], condition=~Q(gtin=""), name="product_gtin_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_label(self) -> str:
        from django.utils.translation import gettext

        return "kg" if self.base_unit == BaseUnit.KG else gettext("litre")


class ProductPhoto(CoopOwned):
    """A photo of a product, stored with small variants made on upload (catalog.photos)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    original = models.ImageField(upload_to="products/original/")
    medium = models.ImageField(upload_to="products/800/", blank=True)
    small = models.ImageField(upload_to="products/320/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt = models.CharField(_("description of the photo"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("product photo")
        verbose_name_plural = _("product photos")

    def __str__(self) -> str:
        return self.alt or f"{self.product_id}#{self.pk}"


class CertificateKind(models.TextChoices):
    OCOP = "ocop", _("OCOP")
    VIETGAP = "vietgap", _("VietGAP")
    ORGANIC = "organic", _("Organic")
    GI = "gi", _("Geographical indication")
    HACCP = "haccp", _("HACCP")
    OTHER = "other", _("Other")


OCOP_VALIDITY_MONTHS = 36


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


class Certificate(CoopOwned):
    """A certificate of a product (or of the cooperative when no product is set):
    OCOP stars, VietGAP, organic, geographical indication, HACCP… with its validity."""

    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="certificates"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=CertificateKind.choices)
    stars = models.PositiveSmallIntegerField(
        _("OCOP stars"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    number = models.CharField(_("certificate number"), max_length=60, blank=True)
    issuer = models.CharField(_("issued by"), max_length=200)
    issued_on = models.DateField(_("issue date"))
    expires_on = models.DateField(_("expiry date"), null=True, blank=True)
    # A scan may show people's names, ID numbers and signatures: a private file, served only by
    # catalog.views.certificate_document to the cooperative's people (hoptac.core.media).
    document = models.FileField(_("document"), upload_to="certificates/", storage=private_storage, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("issued_on")),
                name="certificate_dates_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(kind="ocop") | Q(stars__gte=1, stars__lte=5), name="ocop_has_stars"
            ),
        ]

    def __str__(self) -> str:
        if self.kind == CertificateKind.OCOP:
            return f"OCOP {self.stars}★"
        return self.get_kind_display()

    def is_valid_on(self, day: dt.date) -> bool:
        return self.issued_on <= day and (self.expires_on is None or day <= self.expires_on)

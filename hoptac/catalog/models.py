from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hoptac.core.tenancy import CoopOwned
from hoptac.lib.units import BaseUnit


class OcopGroup(models.TextChoices):
    """The six OCOP product groups (Decision 148/QĐ-TTg)."""

    FOOD = "food", _("Food")
    DRINKS = "drinks", _("Drinks")
    HERBS = "herbs", _("Medicinal herbs")
    HANDICRAFT = "handicraft", _("Handicrafts")
    ORNAMENTAL = "ornamental", _("Ornamental plants")
    TOURISM = "tourism", _("Community and eco-tourism services")


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
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [models.UniqueConstraint(fields=["cooperative", "code"], name="product_code_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_label(self) -> str:
        from django.utils.translation import gettext

        return "kg" if self.base_unit == BaseUnit.KG else gettext("litre")

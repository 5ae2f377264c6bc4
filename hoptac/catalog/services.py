"""Writes for the catalog: the products a cooperative buys from members or sells."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hoptac.catalog.models import OcopGroup, Product
from hoptac.core.audit import audit_record
from hoptac.core.tenancy import require_cooperative
from hoptac.lib.units import BaseUnit

CODE_RE = re.compile(r"^[A-Z0-9]{2,6}$")
NAME_MAX = 160


@transaction.atomic
def product_create(
    *,
    name: str,
    code: str,
    base_unit: str = BaseUnit.KG,
    name_en: str = "",
    ocop_group: str = OcopGroup.FOOD,
    description: str = "",
    actor=None,
) -> Product:
    """A product of the current cooperative. The short code is unique in the cooperative."""
    coop = require_cooperative()
    name = " ".join((name or "").split())
    code = (code or "").strip().upper()
    if not name or len(name) > NAME_MAX:
        raise ValidationError(_("Give the product's name, at most 160 characters."), code="name")
    if not CODE_RE.match(code):
        raise ValidationError(_("2 to 6 capital letters or digits, e.g. MAT."), code="code")
    if base_unit not in {unit.value for unit in BaseUnit}:
        raise ValidationError(_("Unknown unit."), code="base_unit")
    if ocop_group not in OcopGroup.values:
        raise ValidationError(_("Unknown OCOP group."), code="ocop_group")
    duplicate = ValidationError(
        _("A product with the code %(code)s already exists.") % {"code": code}, code="duplicate"
    )
    if Product.objects.filter(code=code).exists():
        raise duplicate
    try:
        with transaction.atomic():
            product = Product.objects.create(
                cooperative=coop,
                name=name,
                name_en=" ".join((name_en or "").split())[:NAME_MAX],
                code=code,
                base_unit=base_unit,
                ocop_group=ocop_group,
                description=(description or "").strip(),
            )
    except IntegrityError:
        # The same code saved by someone else a moment ago.
        raise duplicate from None
    audit_record(
        action="product.create", actor=actor, cooperative=coop, obj=product, data={"code": product.code}
    )
    return product

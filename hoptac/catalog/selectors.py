"""Reads of the catalog."""

from __future__ import annotations

from django.db.models import QuerySet

from hoptac.catalog.models import Product


def product_list(*, active_only: bool = False) -> QuerySet[Product]:
    """The current cooperative's products by name."""
    qs = Product.objects.order_by("name", "id")
    return qs.filter(is_active=True) if active_only else qs

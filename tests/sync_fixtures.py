"""Builders for the field app's sync tests: a product with prices, a device, records."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.offtake import services as offtake
from hoptac.sync import services


@pytest.fixture
def tea_a(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Chè búp tươi", code="CHE", base_unit="kg")
        offtake.price_set(
            product=product, grade=1, price_vnd=20_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
    return product


def new_device(coop, user, name="Điện thoại của Páo"):
    with tenant(coop):
        return services.device_register(user=user, name=name)


@pytest.fixture
def device_a(coop_a, collector_a):
    return new_device(coop_a, collector_a)


def local_now(minutes: int = 0) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(minutes=minutes)).isoformat()


def receipt_rec(member, product, *, price=20_000, qty="10", no="A7-0001", key=None, at=None, point=None):
    return {
        "key": str(key or uuid.uuid4()),
        "kind": "receipt",
        "no": no,
        "at": at or local_now(-5),
        "body": {
            "member": str(member if isinstance(member, (str, uuid.UUID)) else member.uuid),
            "point": point,
            "lines": [
                {"product": product.pk, "grade": 1, "qty": qty, "unit": "kg", "ded": "0", "price": price}
            ],
            "total": 0,
            "note": "",
        },
    }


def advance_rec(member, amount, *, no="A7-0002", key=None):
    return {
        "key": str(key or uuid.uuid4()),
        "kind": "advance",
        "no": no,
        "at": local_now(-5),
        "body": {
            "member": str(member if isinstance(member, (str, uuid.UUID)) else member.uuid),
            "amount": amount,
            "memo": "",
        },
    }


def household_rec(name="Giàng Thị Mỷ", phone="", *, commune, no="A7-0003", key=None):
    return {
        "key": str(key or uuid.uuid4()),
        "kind": "household",
        "no": no,
        "at": local_now(-5),
        "body": {
            "name": name,
            "phone": phone,
            "village": "Pả Vi",
            "commune": commune,
            "gender": "female",
            "ethnicity": "hmong",
            "birth_year": 1980,
        },
    }

"""The base fixtures: two cooperatives with actors in each (the "alice/bob/charlie" of
Healthchecks). Every view test can check that the other cooperative gets nothing.

- ``coop_a`` (HTX Tuấn Dũng-like, Mèo Vạc) with ``chair_a``, ``accountant_a``,
  ``collector_a``, ``member_user_a`` and members ``member_a`` / ``member_a2``;
- ``coop_b`` (Tây Côn Lĩnh-like, Cao Bồ) with ``chair_b`` and ``member_b``;
- ``officer`` of the Tuyên Quang provincial alliance, ``outsider`` with no role.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid

import pytest

from hoptac.accounts.services import alliance_officer_set, membership_set, user_create
from hoptac.coops import services as coop_services
from hoptac.coops.models import Cooperative
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant

PASSWORD = "s3cret-pass-123"

MEO_VAC, CAO_BO = 769, 952


@pytest.fixture(autouse=True)
def _english_off(settings, tmp_path):
    """Tests run in Vietnamese (the default) with their own media directories, and a fast
    password hasher: the production hasher (PBKDF2, a million rounds) is there to be slow,
    and every fixture user would pay for it. ``test_settings.py`` checks the real default."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Public pages are rendered each time in tests that write rows directly between two
    # visits; the page cache itself is tested, switched on, in tests/test_pagecache.py.
    settings.PAGE_CACHE_SECONDS = 0
    from django.core.cache import cache

    cache.clear()


def keyed(data: dict | None = None, **more) -> dict:
    """The body of a create form as a browser sends it: ``data`` with a new one-time key."""
    return {**(data or {}), **more, "form_key": str(uuid.uuid4())}


_BASE = re.compile(r'name="form_base" value="([^"]+)"')


def opened(client, url: str, data: dict | None = None, **more) -> dict:
    """The body of an edit form opened now at ``url``: ``data`` with the record's values
    as they are now (the hidden ``form_base``), as a browser sends it after opening the page."""
    page = client.get(url).content.decode()
    found = _BASE.search(page)
    assert found, f"{url} shows no edit form with a form_base"
    return {**(data or {}), **more, "form_base": found.group(1).replace("&quot;", '"').replace("&amp;", "&")}


def make_user(phone: str, name: str = "", **kwargs):
    return user_create(phone=phone, password=PASSWORD, full_name=name or phone, **kwargs)


def make_member(coop, **overrides):
    data = {
        "full_name": "Vàng A Páo",
        "commune_code": coop.commune_code,
        "joined_on": dt.date(2020, 1, 15),
        "village_name": "Thôn Pả Vi Thượng",
        "gender": "male",
        "ethnicity": "hmong",
        "birth_year": 1980,
        "phone": None,
        "capital_vnd": 5_000_000,
    }
    data.update(overrides)
    with tenant(coop):
        return coop_services.member_create(data=coop_services.MemberInput(**data))


@pytest.fixture
def coop_a(db):
    return Cooperative.objects.create(
        slug="coop-a", name="HTX Tuấn Dũng (test)", commune_code=MEO_VAC, sectors=["honey"]
    )


@pytest.fixture
def coop_b(db):
    return Cooperative.objects.create(
        slug="coop-b", name="HTX Tây Côn Lĩnh (test)", commune_code=CAO_BO, sectors=["tea"]
    )


@pytest.fixture
def chair_a(coop_a):
    user = make_user("0911000101", "Chủ tịch A")
    membership_set(user=user, cooperative=coop_a, role=Role.CHAIR)
    return user


@pytest.fixture
def accountant_a(coop_a):
    user = make_user("0911000102", "Kế toán A")
    membership_set(user=user, cooperative=coop_a, role=Role.ACCOUNTANT)
    return user


@pytest.fixture
def collector_a(coop_a):
    user = make_user("0911000103", "Thu mua A")
    membership_set(user=user, cooperative=coop_a, role=Role.COLLECTOR)
    return user


@pytest.fixture
def member_user_a(coop_a):
    user = make_user("0911000104", "Thành viên A")
    membership_set(user=user, cooperative=coop_a, role=Role.MEMBER)
    return user


@pytest.fixture
def chair_b(coop_b):
    user = make_user("0912000101", "Chủ tịch B")
    membership_set(user=user, cooperative=coop_b, role=Role.CHAIR)
    return user


@pytest.fixture
def officer(db):
    user = make_user("0919000101", "Cán bộ Liên minh")
    alliance_officer_set(user=user, province_code=8)
    return user


@pytest.fixture
def outsider(db):
    return make_user("0918000101", "Người ngoài")


@pytest.fixture
def member_a(coop_a):
    return make_member(coop_a, full_name="Nguyễn Văn Đức", phone="0987654321", ethnicity="tay")


@pytest.fixture
def member_a2(coop_a):
    return make_member(coop_a, full_name="Vàng A Páo", birth_year=1975, phone="0912345678")


@pytest.fixture
def member_b(coop_b):
    return make_member(
        coop_b,
        full_name="Triệu Thị Mây",
        gender="female",
        ethnicity="dao",
        village_name="Thôn Tham Vè",
        phone="0977111222",
    )


@pytest.fixture
def login(client):
    """``login(user)`` signs the test client in as ``user``."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


# Playwright's sync API runs an event loop in the test thread; the live server and the
# ORM calls of the test itself are synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Selling: an open shop with stock in coop_a (honey) and coop_b (tea); builders in shop_fixtures.
# Live selling: a live on air in coop_a (M1, C2); builders in live_fixtures.
from tests.live_fixtures import live_a  # noqa: E402, F401
from tests.shop_fixtures import honey_shop_a, tea_shop_b  # noqa: E402, F401

# The field app's sync: a device of collector_a and a product with a price (tests/sync_fixtures.py).
from tests.sync_fixtures import device_a, tea_a  # noqa: E402, F401

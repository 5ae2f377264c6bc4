"""The Hà Giang demo: what ``load_demo()`` creates, that it is idempotent, and its accounts.

Each test loads the whole demo (about 250 households) into the test database, so this
module is slower than most: it has few tests, each checking several things.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from hoptac.accounts.models import AllianceOfficer, Membership, User
from hoptac.coops.demo import DEMO_PASSWORD, load_demo
from hoptac.coops.models import Cooperative, Member, MemberGroup, MemberStatus
from hoptac.core.roles import Role
from hoptac.lib.places import TUYEN_QUANG, commune_province

SLUGS = {"po-my", "tuan-dung", "tay-con-linh", "thuong-son", "phin-ho"}


@pytest.fixture
def demo(db, settings):
    # The real hasher is covered by test_accounts; here it would only add seconds per account.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return load_demo()


def snapshot() -> dict[str, int]:
    return {
        "cooperatives": Cooperative.objects.count(),
        "members": Member.unscoped.count(),
        "left": Member.unscoped.filter(status=MemberStatus.LEFT).count(),
        "groups": MemberGroup.unscoped.count(),
        "group_links": Member.groups.through.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "officers": AllianceOfficer.objects.count(),
    }


def test_demo_creates_the_cooperatives_and_their_households(demo):
    assert set(demo) == SLUGS
    assert set(Cooperative.objects.values_list("slug", flat=True)) == SLUGS
    for slug, created in demo.items():
        coop = Cooperative.objects.get(slug=slug)
        households = Member.unscoped.filter(cooperative=coop)
        assert created > 0
        assert households.count() == created
        assert coop.province_code == TUYEN_QUANG
        assert MemberGroup.unscoped.filter(cooperative=coop).exists()
        phones = list(households.exclude(phone=None).values_list("phone", flat=True))
        assert phones
        assert len(phones) == len(set(phones))

    tuan_dung = Member.unscoped.filter(cooperative__slug="tuan-dung")
    active = tuan_dung.filter(status=MemberStatus.ACTIVE).count()
    left = tuan_dung.filter(status=MemberStatus.LEFT).count()
    assert active + left >= 95
    assert active + left == tuan_dung.count()
    assert left > 0  # a few households have left, with a date and a reason
    assert not tuan_dung.filter(status=MemberStatus.LEFT, left_on=None).exists()
    assert not tuan_dung.filter(status=MemberStatus.LEFT, left_reason="").exists()


def test_every_commune_is_a_real_ward_of_tuyen_quang(demo):
    codes = set(Member.unscoped.values_list("commune_code", flat=True))
    codes |= set(Cooperative.objects.values_list("commune_code", flat=True))
    assert len(codes) > 1
    assert {code: commune_province(code) for code in codes} == dict.fromkeys(codes, TUYEN_QUANG)


def test_running_the_demo_twice_creates_nothing(demo):
    before = snapshot()
    assert before["members"] == sum(demo.values())
    again = load_demo()
    assert again == dict.fromkeys(SLUGS, 0)
    assert snapshot() == before


def sign_in(phone: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"identifier": phone, "password": DEMO_PASSWORD})
    assert response.status_code == 302, phone
    assert int(client.session[SESSION_KEY]) == User.objects.get(phone=phone).pk
    return client


@pytest.mark.parametrize(
    ("phone", "slug", "role"),
    [
        ("0911000001", "tuan-dung", Role.CHAIR),
        ("0911000002", "tuan-dung", Role.ACCOUNTANT),
        ("0911000003", "tuan-dung", Role.COLLECTOR),
        ("0912000001", "tay-con-linh", Role.CHAIR),
    ],
)
def test_demo_staff_sign_in_with_their_role(demo, phone, slug, role):
    user = User.objects.get(phone=phone)
    membership = Membership.objects.get(user=user)
    assert (membership.cooperative.slug, membership.role) == (slug, role)
    assert user.password != DEMO_PASSWORD

    client = sign_in(phone)
    assert client.get(f"/c/{slug}/members/").status_code == 200
    # No role in another cooperative: its pages do not exist for this account.
    assert client.get("/c/phin-ho/members/").status_code == 404


def test_demo_admin_is_a_superuser_and_signs_in(demo):
    admin = User.objects.get(phone="0900000000")
    assert admin.is_superuser
    assert admin.is_staff
    client = sign_in("0900000000")
    assert client.get("/admin/").status_code == 200


def test_demo_alliance_officer_reads_but_cannot_write(demo):
    officer = User.objects.get(phone="0919000001")
    provinces = list(AllianceOfficer.objects.filter(user=officer).values_list("province_code", flat=True))
    assert provinces == [TUYEN_QUANG]
    assert not Membership.objects.filter(user=officer).exists()

    client = sign_in("0919000001")
    assert client.get("/c/phin-ho/members/").status_code == 200
    assert client.get("/c/phin-ho/members/new/").status_code == 403
    response = client.post("/c/phin-ho/members/new/", {"full_name": "Lý Seo Quẩy"})
    assert response.status_code == 403
    assert Member.unscoped.filter(cooperative__slug="phin-ho").count() == demo["phin-ho"]

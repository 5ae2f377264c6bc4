"""The menus (hoptac/core/navigation.py): each role's tabs are its main tasks, every tab and
every side-menu section opens (200) for that role, and the pages draw what the table says."""

from __future__ import annotations

import re

import pytest

from hoptac.accounts.services import membership_set
from hoptac.core.navigation import SECTIONS, TABS, current_section, menus_for, sections_for, tabs_for
from hoptac.core.roles import Role, has_perm
from tests.conftest import make_user

EXPECTED_TABS = {
    Role.COLLECTOR: ["receipt_new", "receipts", "members", "messages"],
    Role.CHAIR: ["overview", "receipts", "members", "payables"],
    Role.ACCOUNTANT: ["overview", "payables", "receipts", "members"],
    Role.SALES: ["overview", "selling", "live", "stock"],
    Role.MEMBER: ["overview", "my_account", "notices"],
    Role.ALLIANCE: ["overview", "members", "receipts", "stock"],
}


def test_every_role_has_four_or_five_tabs_it_may_open():
    assert set(TABS) == set(Role.values)
    for role, keys in EXPECTED_TABS.items():
        tabs = tabs_for(role)
        assert [s.key for s in tabs] == keys, role
        # With "More", four or five tabs; none the role is not allowed to open.
        assert 3 <= len(tabs) <= 4
        assert all(has_perm(role, s.perm) for s in tabs)


def test_side_menu_is_every_section_the_role_may_open():
    chair = [s.key for s in sections_for(Role.CHAIR)]
    # Everything but a member's own account and notice board (the chair reads the ledger and messages).
    assert chair == [s.key for s in SECTIONS if s.key not in ("my_account", "notices")]
    member = [s.key for s in sections_for(Role.MEMBER)]
    assert "payables" not in member and "members" not in member and "my_account" in member
    assert sections_for(None) == ()


def test_current_section_prefers_the_exact_page():
    assert current_section("offtake:receipt_create", SECTIONS) == "receipt_new"
    assert current_section("offtake:receipt_list", SECTIONS) == "receipts"
    assert current_section("offtake:price_list", SECTIONS) == "receipts"
    assert current_section("ledger:me", SECTIONS) == "my_account"
    assert current_section("ledger:owed", SECTIONS) == "payables"
    assert current_section("notify:notices", SECTIONS) == "notices"
    assert current_section("notify:outbox", SECTIONS) == "messages"
    assert current_section("coops:member_detail", SECTIONS) == "members"
    assert current_section("nothing:here", SECTIONS) is None


@pytest.fixture
def sales_a(coop_a):
    user = make_user("0911000105", "Bán hàng A")
    membership_set(user=user, cooperative=coop_a, role=Role.SALES)
    return user


@pytest.mark.parametrize("who", ["chair_a", "accountant_a", "collector_a", "member_user_a", "sales_a"])
def test_every_tab_and_section_opens_for_its_role(request, client, coop_a, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    role = _role_of(user, coop_a)
    menus = menus_for(role=role, slug=coop_a.slug)
    assert [link.key for link in menus.tabs] == EXPECTED_TABS[role]
    for link in menus.side:
        response = client.get(link.url)
        assert response.status_code == 200, (role, link.key, link.url, response.status_code)


def _role_of(user, coop):
    from hoptac.accounts.selectors import membership_for

    return membership_for(user=user, cooperative_id=coop.pk).role


def test_alliance_officer_tabs_open(client, coop_a, coop_b, officer):
    client.force_login(officer)
    opened = 0
    for coop in (coop_a, coop_b):
        if client.get(f"/c/{coop.slug}/").status_code != 200:
            continue
        for link in menus_for(role=Role.ALLIANCE, slug=coop.slug).side:
            assert client.get(link.url).status_code == 200, link.url
            opened += 1
    assert opened >= 4


def _nav(html: str, cls: str) -> str:
    found = re.search(rf'<nav[^>]*class="{cls}"[^>]*>(.*?)</nav>', html, re.S)
    assert found, cls
    return found.group(1)


def test_collector_page_draws_tab_bar_and_side_menu(login, coop_a, collector_a):
    page = login(collector_a).get(f"/c/{coop_a.slug}/buying/receipts/new/").content.decode()
    tabs = _nav(page, "tabbar")
    hrefs = re.findall(r"<a href=\"([^\"]+)\"", tabs)
    assert hrefs == [
        f"/c/{coop_a.slug}/buying/receipts/new/",
        f"/c/{coop_a.slug}/buying/receipts/",
        f"/c/{coop_a.slug}/members/",
        f"/c/{coop_a.slug}/messages/",
        "#menu",
    ]
    # The page's own tab is marked, once.
    assert tabs.count('aria-current="page"') == 1
    assert re.search(r'href="/c/coop-a/buying/receipts/new/" aria-current="page"', tabs)
    side = _nav(page, "side")
    assert f'href="/c/{coop_a.slug}/ledger/owed/"' not in side  # not the collector's
    assert 'action="/accounts/logout/"' in side
    assert 'id="menu"' in page
    # One app bar row: the cooperative and who is signed in.
    assert coop_a.name in page and "Thu mua A" in page


def test_member_sees_no_staff_sections(login, coop_a, member_user_a):
    page = login(member_user_a).get(f"/c/{coop_a.slug}/").content.decode()
    side = _nav(page, "side")
    assert f"/c/{coop_a.slug}/ledger/me/" in side and f"/c/{coop_a.slug}/messages/notices/" in side
    for hidden in ("/members/", "/ledger/owed/", "/inventory/", "/buying/"):
        assert f"/c/{coop_a.slug}{hidden}" not in page


def test_pages_outside_a_cooperative_have_no_menus(login, chair_a):
    page = login(chair_a).get("/switch/").content.decode()
    assert 'class="tabbar"' not in page and 'id="menu"' not in page
    assert 'action="/accounts/logout/"' in page

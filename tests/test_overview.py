"""The overview page (issue 11, deliverable 4): cards with a figure and a server-drawn SVG
chart, contributed by the apps that own the figures (core.dashboard); each role sees the
cards of the pages it may open; the member household's own page; a fixed number of queries
whatever the amount of data; the SVG is well-formed and titled."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from defusedxml import ElementTree as ET
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from hoptac.accounts.services import membership_set
from hoptac.catalog.models import Product
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.ledger import services as ledger
from hoptac.ledger.selectors import coop_balances
from hoptac.lib import svgchart
from hoptac.offtake import selectors as offtake_selectors
from hoptac.offtake import services as offtake
from tests.conftest import make_member, make_user

SVG = "{http://www.w3.org/2000/svg}"
PRICE = 250_000  # đồng per kg


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "FILE_DIR": str(tmp_path)}


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT")
        offtake.price_set(
            product=product, grade=1, price_vnd=PRICE, effective_from=timezone.now() - dt.timedelta(days=400)
        )
    return product


@pytest.fixture
def season(coop_a, honey):
    today = timezone.localdate()
    with tenant(coop_a):
        return offtake.season_create(
            product=honey,
            name="Vụ mật 2026",
            starts_on=today - dt.timedelta(days=40),
            ends_on=today + dt.timedelta(days=30),
        )


def buy(coop, member, product, kg, *, collector=None, when=None):
    with tenant(coop):
        return offtake.receipt_record(
            member=member,
            collected_at=when or timezone.now() - dt.timedelta(minutes=5),
            lines=[offtake.LineInput(product=product, quantity=Decimal(kg), unit="kg")],
            collector=collector,
        )


@pytest.fixture
def known(coop_a, honey, season, member_a, member_a2, collector_a):
    """Two receipts (10 kg from member_a, 5 kg from member_a2, by the collector), an
    agreement of 100 kg with member_a, an advance of 2.000.000 ₫ to member_a2."""
    with tenant(coop_a):
        offtake.agreement_create(
            member=member_a,
            season=season,
            committed_quantity=Decimal(100),
            committed_unit="kg",
            price_rule="list",
            signed_on=season.starts_on,
        )
    buy(coop_a, member_a, honey, 10, collector=collector_a)
    buy(coop_a, member_a2, honey, 5, collector=collector_a)
    with tenant(coop_a):
        ledger.advance_give(member=member_a2, amount=2_000_000)
    return {"honey": honey, "season": season}


def cards(response) -> dict:
    assert response.status_code == 200
    return {c.key: c for c in [*response.context["cards"], *response.context["member_cards"]]}


# --- figures ---------------------------------------------------------------------------------


def test_season_and_balance_figures_against_a_known_data_set(coop_a, known):
    with tenant(coop_a):
        overview = offtake_selectors.season_overview()
        balances = coop_balances()
    assert overview.current and [s.name for s in overview.seasons] == ["Vụ mật 2026"]
    assert overview.amount_vnd == 15 * PRICE
    assert overview.households == 2
    (row,) = overview.products
    assert (row.quantity, row.amount_vnd, row.households, row.committed) == (
        Decimal(15),
        15 * PRICE,
        2,
        Decimal(100),
    )
    assert row.percent == 15
    assert sum(amount for _, amount in overview.weeks) == 15 * PRICE
    # member_a is owed 2.500.000; member_a2 was bought 1.250.000 and advanced 2.000.000.
    assert (balances.owed_to_members, balances.members_owed_to) == (10 * PRICE, 1)
    assert (balances.owed_by_members, balances.members_owing) == (2_000_000 - 5 * PRICE, 1)


def test_chair_sees_every_card_with_its_figures_and_links(login, chair_a, known):
    found = cards(login(chair_a).get("/c/coop-a/"))
    assert {"buying", "balances", "stock", "messages", "certificates"} <= set(found)
    assert "my_buying" not in found and "member_balance" not in found
    with translation.override("vi"):
        from hoptac.core.dashboard import vnd

        assert found["buying"].number == vnd(15 * PRICE)
        assert found["balances"].number == vnd(10 * PRICE)
        assert found["balances"].lines[1].value == vnd(750_000)
    assert found["buying"].url == "/c/coop-a/buying/seasons/"
    assert found["balances"].url == "/c/coop-a/ledger/owed/"
    assert found["stock"].url == "/c/coop-a/inventory/stock/"
    assert found["certificates"].url == "/c/coop-a/catalog/"
    assert "15%" in found["buying"].lines[0].value


def test_a_voided_receipt_does_not_count(login, chair_a, coop_a, known, member_a):
    receipt = buy(coop_a, member_a, known["honey"], 40)
    with tenant(coop_a):
        offtake.receipt_void(receipt=receipt, reason="Ghi nhầm")
        assert offtake_selectors.season_overview().amount_vnd == 15 * PRICE


def test_no_season_yet_says_so(login, chair_a, honey):
    found = cards(login(chair_a).get("/c/coop-a/"))
    assert found["buying"].number == "—" and found["buying"].url == "/c/coop-a/buying/seasons/"


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.ACCOUNTANT, {"buying", "balances", "stock", "messages", "certificates"}, {"my_buying"}),
        (Role.COLLECTOR, {"my_buying", "stock", "messages"}, {"buying", "balances", "certificates"}),
        (Role.SALES, {"stock", "certificates"}, {"buying", "balances", "messages", "my_buying"}),
        (
            Role.MEMBER,
            {"member_balance", "member_prices", "member_notices"},
            {"buying", "balances", "stock", "messages", "certificates", "my_buying"},
        ),
    ],
)
def test_cards_only_for_roles_that_may_open_their_page(login, coop_a, known, role, shown, hidden):
    user = make_user("0911000777", "Người thử")
    membership_set(user=user, cooperative=coop_a, role=role)
    response = login(user).get("/c/coop-a/")
    found = cards(response)
    assert shown <= set(found)
    assert not (hidden & set(found))
    page = response.content.decode()
    if "balances" in hidden:
        assert "/c/coop-a/ledger/owed/" not in page
    # Every card's page opens for this role.
    for card in found.values():
        if card.url:
            assert login(user).get(card.url).status_code == 200, card.url


def test_alliance_officer_sees_buying_and_stock_but_no_money_owed(login, officer, coop_a, known):
    coop_a.province_code = 8
    coop_a.save(update_fields=["province_code"])
    found = cards(login(officer).get("/c/coop-a/"))
    assert {"buying", "stock"} <= set(found)
    assert not ({"balances", "messages", "certificates"} & set(found))


def test_collector_sees_own_buying_today_and_this_week_without_money(
    login, coop_a, collector_a, known, member_a
):
    other = make_user("0911000778", "Thu mua khác")
    membership_set(user=other, cooperative=coop_a, role=Role.COLLECTOR)
    buy(coop_a, member_a, known["honey"], 7, collector=other)  # not theirs
    found = cards(login(collector_a).get("/c/coop-a/"))
    card = found["my_buying"]
    assert card.number == "2"
    assert "15" in card.lines[0].value and "7" not in card.lines[0].value
    page = login(collector_a).get("/c/coop-a/").content.decode()
    assert "₫" not in page.split('id="card-my_buying"')[1].split("</article>")[0]


# --- queries do not grow with the data ------------------------------------------------------------


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/c/coop-a/").status_code == 200
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_data(login, chair_a, coop_a, known, django_assert_max_num_queries):
    client = login(chair_a)
    few = _dashboard_queries(client)
    honey = known["honey"]
    for i in range(12):
        member = make_member(coop_a, full_name=f"Hộ thử {i}", phone=f"09770001{i:02d}")
        buy(coop_a, member, honey, 3 + i, when=timezone.now() - dt.timedelta(days=i * 3, minutes=5))
        with tenant(coop_a):
            ledger.advance_give(member=member, amount=1_000_000 * (1 + i % 3))
    with django_assert_max_num_queries(few):
        assert client.get("/c/coop-a/").status_code == 200
    with tenant(coop_a):
        assert offtake_selectors.season_overview().households == 14  # the page read the new data
    assert few < 40, few


# --- the charts ---------------------------------------------------------------------------------


def test_bar_chart_is_well_formed_titled_and_escaped():
    markup = svgchart.bars(
        [('Tuần <1> & "x"', 3, "3 kg"), ("Tuần 2", 0, "0 kg"), ("Tuần 3", 6, "6 kg")], title="Mua <theo> tuần"
    )
    root = ET.fromstring(markup)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root[0].tag == f"{SVG}title" and root[0].text == "Mua <theo> tuần"
    rects = root.findall(f"{SVG}rect")
    assert len(rects) == 3
    assert rects[0].find(f"{SVG}title").text == 'Tuần <1> & "x": 3 kg'
    heights = [float(r.get("height")) for r in rects]
    assert heights[1] == 0 and heights[2] > heights[0] > 0
    assert "style=" not in markup


def test_progress_chart_caps_at_full_and_handles_no_total():
    full = ET.fromstring(svgchart.progress(150, 100, title="t", width=200))
    assert "over" in full.get("class")
    assert float(full.findall(f"{SVG}rect")[1].get("width")) == 200
    empty = ET.fromstring(svgchart.progress(5, 0, title="t"))
    assert len(empty.findall(f"{SVG}rect")) == 1
    assert svgchart.bars([], title="x").startswith("<svg")
    ET.fromstring(svgchart.bars([], title="x"))


def test_every_chart_on_the_page_parses(login, chair_a, known):
    page = login(chair_a).get("/c/coop-a/").content.decode()
    # The charts (role="img"), not the menu's icons (a <use> of the sprite, aria-hidden).
    charts = [m for m in re.findall(r"<svg .*?</svg>", page, flags=re.S) if 'role="img"' in m.split(">", 1)[0]]
    assert len(charts) >= 4
    for markup in charts:
        root = ET.fromstring(markup)
        assert root[0].tag == f"{SVG}title" and root[0].text
    assert re.search(r'<link rel="stylesheet" href="/static/hoptac/overview[.0-9a-f]*\.css">', page)


# --- the member household's own page -----------------------------------------------------------


def test_member_page_shows_only_its_own_household(login, coop_a, known, member_a, member_a2):
    user = make_user("0911000199", "Hộ Đức")
    membership_set(user=user, cooperative=coop_a, role=Role.MEMBER, member=member_a)
    response = login(user).get("/c/coop-a/")
    found = cards(response)
    assert set(found) == {"member_balance", "member_receipts", "member_prices", "member_notices"}
    assert found["member_balance"].tone == "good"  # the cooperative owes this household
    from hoptac.ledger.dashboard import balance_words

    with translation.override("vi"):
        assert found["member_balance"].text == balance_words(10 * PRICE)
    assert len(found["member_receipts"].lines) == 1
    assert found["member_receipts"].url == "/c/coop-a/ledger/me/"
    assert len(found["member_prices"].lines) == 1
    page = response.content.decode()
    assert member_a2.full_name not in page
    with translation.override("vi"):
        from hoptac.core.dashboard import vnd

        assert vnd(5 * PRICE) not in page  # the other household's receipt


def test_member_who_owes_reads_so(login, coop_a, known, member_a2):
    user = make_user("0911000198", "Hộ Páo")
    membership_set(user=user, cooperative=coop_a, role=Role.MEMBER, member=member_a2)
    found = cards(login(user).get("/c/coop-a/"))
    from hoptac.ledger.dashboard import balance_words

    with translation.override("vi"):
        assert found["member_balance"].text == balance_words(-750_000)
        assert found["member_balance"].text != balance_words(750_000)
    assert found["member_balance"].tone == "warn"


def test_member_account_without_a_household_is_told_so(login, coop_a, member_user_a, known):
    found = cards(login(member_user_a).get("/c/coop-a/"))
    assert found["member_balance"].number == "—"
    assert "member_receipts" not in found
    assert found["member_notices"].lines == ()


def test_balance_words_say_who_owes_whom():
    from hoptac.ledger.dashboard import balance_words

    with translation.override("en"):
        assert balance_words(1_000) == "The cooperative still owes your household 1,000\u00a0₫."
        assert balance_words(-1_000) == "Your household still owes the cooperative 1,000\u00a0₫."
        assert "settled" in balance_words(0)


def test_stock_chart_compares_only_quantities_of_one_unit(login, chair_a, coop_a, known):
    """Raw honey in litres and finished jars in packs are listed, but one chart never puts
    packs beside kilograms."""
    from hoptac.inventory import services as inventory
    from hoptac.offtake.models import ReceiptLine

    with tenant(coop_a):
        line_ids = list(ReceiptLine.objects.values_list("pk", flat=True))
        inventory.raw_lot_create(product=known["honey"], receipt_line_ids=line_ids)
    card = cards(login(chair_a).get("/c/coop-a/"))["stock"]
    assert card.number == "1" and len(card.lines) == 1
    root = ET.fromstring(str(card.chart))
    assert len(root.findall(f"{SVG}rect")) == 1
    assert "kg" in root[0].text

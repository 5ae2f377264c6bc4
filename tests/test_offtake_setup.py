"""Setting up buying from members through the pages: products, seasons, collection points,
the price list and offtake agreements — who may do what, what bad input gets, and that
another cooperative sees nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from hoptac.catalog import selectors as catalog_selectors
from hoptac.catalog import services as catalog_services
from hoptac.catalog.models import Product
from hoptac.coops import services as coop_services
from hoptac.core.models import AuditEvent
from hoptac.core.tenancy import tenant
from hoptac.ledger.models import Entry, EntryKind
from hoptac.offtake import services
from hoptac.offtake.models import Agreement, CollectionPoint, Price, Season
from tests.conftest import keyed, make_member

BASE = "/c/coop-a/buying/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _(text: str) -> str:
    """A message as the pages show it: in Vietnamese, the default language."""
    with translation.override("vi"):
        return str(translation.gettext(text))


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = catalog_services.product_create(
            name="Mật ong bạc hà", name_en="Mint-flower honey", code="MAT", base_unit="l"
        )
        services.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=10)
        )
    return product


@pytest.fixture
def tea(coop_a):
    with tenant(coop_a):
        product = catalog_services.product_create(name="Chè búp tươi", code="CHE", base_unit="kg")
        services.price_set(
            product=product, grade=1, price_vnd=25_000, effective_from=timezone.now() - dt.timedelta(days=10)
        )
    return product


@pytest.fixture
def season(coop_a, honey):
    today = timezone.localdate()
    with tenant(coop_a):
        return services.season_create(
            product=honey,
            name="Mật ong 2026–2027",
            starts_on=today - dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=60),
        )


@pytest.fixture
def point(coop_a):
    with tenant(coop_a):
        return services.point_create(name="Điểm Pả Vi", commune_code=coop_a.commune_code, village="Pả Vi")


@pytest.fixture
def agreement(coop_a, season, member_a):
    with tenant(coop_a):
        return services.agreement_create(
            member=member_a,
            season=season,
            committed_quantity=Decimal(50),
            committed_unit="l",
            price_rule="list",
            floor_price_vnd=450_000,
            signed_on=timezone.localdate(),
        )


def record(coop, member, product, quantity, *, point=None, at=None, unit="l"):
    with tenant(coop):
        return services.receipt_record(
            member=member,
            collected_at=at or timezone.now() - dt.timedelta(minutes=5),
            point=point,
            lines=[services.LineInput(product=product, quantity=Decimal(quantity), unit=unit)],
        )


def counts(coop) -> dict[str, int]:
    with tenant(coop):
        return {
            "products": Product.objects.count(),
            "seasons": Season.objects.count(),
            "points": CollectionPoint.objects.count(),
            "prices": Price.objects.count(),
            "agreements": Agreement.objects.count(),
            "entries": Entry.objects.count(),
        }


def page_urls(season, agreement) -> dict[str, str]:
    """Each setup page and a text of coop_a it must show."""
    return {
        f"{BASE}products/": "MAT",
        f"{BASE}seasons/": season.name,
        f"{BASE}seasons/{season.pk}/": season.name,
        f"{BASE}points/": "Điểm Pả Vi",
        f"{BASE}prices/": "Mật ong bạc hà",
        f"{BASE}agreements/": agreement.member.full_name,
        f"{BASE}agreements/?season={season.pk}": agreement.member.full_name,
        f"{BASE}agreements/{agreement.uuid}/": agreement.member.full_name,
    }


def form_errors(response) -> list[str]:
    form = response.context["form"]
    return [str(message) for messages in form.errors.values() for message in messages]


# --- who may open and post ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["chair_a", "accountant_a", "collector_a"])
def test_setup_pages_open_for_staff_who_may_view_buying(request, login, role, season, agreement, point):
    client = login(request.getfixturevalue(role))
    for url, text in page_urls(season, agreement).items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_member_account_without_offtake_view_gets_403(login, member_user_a, season, agreement):
    client = login(member_user_a)
    for url in [
        *page_urls(season, agreement),
        f"{BASE}agreements/new/",
        f"{BASE}seasons/{season.pk}/summary.xlsx",
    ]:
        assert client.get(url).status_code == 403, url


def test_collector_sees_the_lists_but_cannot_change_them(login, collector_a, coop_a, honey, season, member_a):
    client = login(collector_a)
    before = counts(coop_a)
    today = timezone.localdate()
    posts = {
        "products/": {"name": "Chè", "code": "CHE", "base_unit": "kg", "ocop_group": "drinks"},
        "seasons/": {"product": honey.pk, "name": "X", "starts_on": today, "ends_on": today},
        "points/": {"name": "Điểm mới", "commune_code": coop_a.commune_code},
        "prices/": {
            "product": honey.pk,
            "grade": 1,
            "price_vnd": "600.000",
            "effective_from": today.strftime("%Y-%m-%dT08:00"),
        },
        "agreements/new/": {
            "member": member_a.pk,
            "season": season.pk,
            "committed_quantity": "10",
            "committed_unit": "l",
            "price_rule": "list",
            "signed_on": today,
        },
    }
    for path, data in posts.items():
        assert client.post(BASE + path, keyed(data)).status_code == 403, path
    assert client.get(f"{BASE}agreements/new/").status_code == 403
    assert client.get(f"{BASE}seasons/{season.pk}/summary.xlsx").status_code == 403
    assert counts(coop_a) == before
    # The lists do not offer the forms either.
    page = client.get(f"{BASE}prices/").content.decode()
    assert 'name="price_vnd"' not in page


def test_collector_does_not_see_the_season_summary_amounts(
    login, collector_a, coop_a, season, agreement, member_a
):
    record(coop_a, member_a, season.product, 3)
    response = login(collector_a).get(f"{BASE}seasons/{season.pk}/")
    assert response.status_code == 200
    assert response.context["totals"] is None and response.context["show"] == "agreements"
    assert "summary.xlsx" not in response.content.decode()
    # Asking for the summary table shows the agreements instead.
    assert login(collector_a).get(f"{BASE}seasons/{season.pk}/?show=summary").context["show"] == "agreements"


# --- products ----------------------------------------------------------------------------------------


def test_accountant_adds_a_product(login, accountant_a, coop_a):
    client = login(accountant_a)
    response = client.post(
        f"{BASE}products/",
        keyed(
            {
                "name": "  Chè  Shan tuyết ",
                "name_en": "Shan tuyet tea",
                "code": "che1",
                "base_unit": "kg",
                "ocop_group": "drinks",
            }
        ),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        product = Product.objects.get()
        assert list(catalog_selectors.product_list()) == [product]
    assert (product.name, product.code, product.base_unit, product.ocop_group) == (
        "Chè Shan tuyết",
        "CHE1",
        "kg",
        "drinks",
    )
    event = AuditEvent.objects.get(action="product.create")
    assert event.actor == accountant_a and event.object_id == str(product.pk)
    assert "Chè Shan tuyết" in client.get(response.url).content.decode()


def test_duplicate_product_code_is_refused_and_nothing_stored(login, chair_a, coop_a, honey):
    before = counts(coop_a)
    response = login(chair_a).post(
        f"{BASE}products/",
        keyed({"name": "Mật ong khác", "code": "mat", "base_unit": "l", "ocop_group": "food"}),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors["code"]
    assert errors == [_("A product with the code %(code)s already exists.") % {"code": "MAT"}]
    assert counts(coop_a) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "Chè", "code": "C", "base_unit": "kg", "ocop_group": "food"}, "code"),
        ({"name": "Chè", "code": "CH-E", "base_unit": "kg", "ocop_group": "food"}, "code"),
        ({"name": "", "code": "CHE", "base_unit": "kg", "ocop_group": "food"}, "name"),
        ({"name": "Chè", "code": "CHE", "base_unit": "bao", "ocop_group": "food"}, "base_unit"),
    ],
)
def test_bad_product_is_refused(login, chair_a, coop_a, data, field):
    response = login(chair_a).post(f"{BASE}products/", keyed(data))
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert counts(coop_a)["products"] == 0


def test_product_codes_are_unique_per_cooperative_only(coop_a, coop_b, honey):
    with tenant(coop_b):
        other = catalog_services.product_create(name="Mật ong", code="MAT", base_unit="l")
    assert other.cooperative == coop_b
    with tenant(coop_a), pytest.raises(ValidationError) as caught:
        catalog_services.product_create(name="Mật ong 2", code=" mat ", base_unit="l")
    assert caught.value.error_list[0].code == "duplicate"


# --- seasons ----------------------------------------------------------------------------------------------


def test_season_is_created_and_opens(login, chair_a, coop_a, honey):
    client = login(chair_a)
    response = client.post(
        f"{BASE}seasons/",
        keyed(
            {"product": honey.pk, "name": "Mật ong 2027", "starts_on": "2026-10-01", "ends_on": "2027-02-28"}
        ),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        season = Season.objects.get()
    assert response.url == f"{BASE}seasons/{season.pk}/"
    assert (season.starts_on, season.ends_on, season.product_id) == (
        dt.date(2026, 10, 1),
        dt.date(2027, 2, 28),
        honey.pk,
    )
    assert "Mật ong 2027" in client.get(f"{BASE}seasons/").content.decode()


def test_season_ending_before_it_starts_is_refused(login, chair_a, coop_a, honey):
    response = login(chair_a).post(
        f"{BASE}seasons/",
        keyed({"product": honey.pk, "name": "Ngược", "starts_on": "2027-02-28", "ends_on": "2026-10-01"}),
    )
    assert response.status_code == 422
    assert response.context["form"].errors["ends_on"] == [_("The season cannot end before it starts.")]
    assert counts(coop_a)["seasons"] == 0


def test_season_needs_a_product_of_this_cooperative(login, chair_a, coop_a, coop_b):
    with tenant(coop_b):
        foreign = catalog_services.product_create(name="Chè", code="CHE", base_unit="kg")
    response = login(chair_a).post(
        f"{BASE}seasons/",
        keyed({"product": foreign.pk, "name": "X", "starts_on": "2026-01-01", "ends_on": "2026-02-01"}),
    )
    assert response.status_code == 422
    assert response.context["form"].errors["product"]
    assert counts(coop_a)["seasons"] == 0


# --- collection points ---------------------------------------------------------------------------------------


def test_collection_point_is_added_with_its_commune(login, accountant_a, coop_a):
    client = login(accountant_a)
    response = client.post(
        f"{BASE}points/",
        keyed({"name": " Điểm  Sủng Trà ", "commune_code": coop_a.commune_code, "village": "Sủng Trà"}),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        point = CollectionPoint.objects.get()
    assert (point.name, point.village, point.commune_code) == (
        "Điểm Sủng Trà",
        "Sủng Trà",
        coop_a.commune_code,
    )
    page = client.get(f"{BASE}points/").content.decode()
    assert "Điểm Sủng Trà" in page and "Mèo Vạc" in page


def test_collection_point_duplicate_or_foreign_commune_is_refused(login, accountant_a, coop_a, point):
    client = login(accountant_a)
    response = client.post(
        f"{BASE}points/", keyed({"name": "điểm pả vi", "commune_code": coop_a.commune_code})
    )
    assert response.status_code == 422
    assert response.context["form"].errors["name"] == [_("A collection point with this name already exists.")]
    response = client.post(
        f"{BASE}points/", keyed({"name": "Điểm Hà Nội", "commune_code": 4})
    )  # a ward of Hà Nội
    assert response.status_code == 422
    assert response.context["form"].errors["commune_code"]
    assert counts(coop_a)["points"] == 1


# --- price list ------------------------------------------------------------------------------------------------


def test_price_is_set_from_vietnamese_digits(login, chair_a, coop_a, honey):
    client = login(chair_a)
    page = client.get(f"{BASE}prices/").content.decode()
    # The moment defaults to now, in the format of a datetime-local input.
    assert f'value="{timezone.localdate():%Y-%m-%d}T' in page
    response = client.post(
        f"{BASE}prices/",
        keyed(
            {
                "product": honey.pk,
                "grade": 2,
                "price_vnd": "420.000",
                "effective_from": "2026-01-05T06:30",
                "note": "Loại 2",
            }
        ),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        price = Price.objects.get(grade=2)
    assert price.price_vnd == 420_000
    assert timezone.localtime(price.effective_from).replace(tzinfo=None) == dt.datetime(2026, 1, 5, 6, 30)
    assert price.created_by == chair_a


def test_new_price_is_in_force_and_old_one_in_history(login, chair_a, coop_a, honey):
    client = login(chair_a)
    now = timezone.localtime() - dt.timedelta(minutes=1)
    response = client.post(
        f"{BASE}prices/",
        keyed(
            {
                "product": honey.pk,
                "grade": 1,
                "price_vnd": "520.000",
                "effective_from": now.strftime("%Y-%m-%dT%H:%M"),
            }
        ),
    )
    assert response.status_code == 302
    response = client.get(f"{BASE}prices/")
    current = {(p.product_id, p.grade): p.price_vnd for p in response.context["current"]}
    assert current == {(honey.pk, 1): 520_000}
    history = [p.price_vnd for p in response.context["page"].object_list]
    assert history == [520_000, 500_000]


@pytest.mark.parametrize("raw", ["0", "-5.000", "abc", "500.000,5", "", "1.000.000.000"])
def test_bad_price_is_refused_and_nothing_stored(login, accountant_a, coop_a, honey, raw):
    before = counts(coop_a)
    response = login(accountant_a).post(
        f"{BASE}prices/",
        keyed({"product": honey.pk, "grade": 1, "price_vnd": raw, "effective_from": "2026-01-05T06:30"}),
    )
    assert response.status_code == 422
    assert response.context["form"].errors["price_vnd"]
    assert counts(coop_a) == before


def test_zero_price_message_is_clear(login, accountant_a, honey):
    response = login(accountant_a).post(
        f"{BASE}prices/",
        keyed({"product": honey.pk, "grade": 1, "price_vnd": "0", "effective_from": "2026-01-05T06:30"}),
    )
    assert response.context["form"].errors["price_vnd"] == [_("The price must be more than 0 đồng.")]


def test_price_history_is_paginated_by_50(login, chair_a, coop_a, honey, tea):
    start = timezone.now() - dt.timedelta(days=100)
    with tenant(coop_a):
        for day in range(54):
            services.price_set(
                product=tea, grade=1, price_vnd=20_000 + day, effective_from=start + dt.timedelta(days=day)
            )
    client = login(chair_a)
    first = client.get(f"{BASE}prices/")
    assert first.context["page"].paginator.count == 56  # 54 + the two fixtures' prices
    assert len(first.context["page"].object_list) == 50
    assert len(client.get(f"{BASE}prices/?page=2").context["page"].object_list) == 6
    only_honey = client.get(f"{BASE}prices/?product={honey.pk}").context["page"]
    assert [p.product_id for p in only_honey.object_list] == [honey.pk]


# --- agreements ---------------------------------------------------------------------------------------------------


def agreement_data(member, season, **overrides) -> dict:
    data = {
        "member": member.pk,
        "season": season.pk,
        "committed_quantity": "12,5",
        "committed_unit": "l",
        "price_rule": "list",
        "floor_price_vnd": "450.000",
        "advance_vnd": "",
        "signed_on": timezone.localdate().isoformat(),
        "note": "",
    }
    data.update(overrides)
    return data


def test_agreement_is_created_with_its_advance(login, accountant_a, coop_a, season, member_a):
    client = login(accountant_a)
    page = client.get(f"{BASE}agreements/new/?season={season.pk}").content.decode()
    for unit in ("kg", "lạng", "yến", "tạ", "tấn", "lít"):
        assert f">{unit}</option>" in page
    response = client.post(
        f"{BASE}agreements/new/", keyed(agreement_data(member_a, season, advance_vnd="2.000.000"))
    )
    assert response.status_code == 302
    with tenant(coop_a):
        agreement = Agreement.objects.get()
        advance = Entry.objects.get(kind=EntryKind.ADVANCE)
    assert response.url == f"{BASE}agreements/{agreement.uuid}/"
    assert agreement.committed_quantity == Decimal("12.5")
    assert agreement.committed_base == Decimal("12.5")
    assert agreement.floor_price_vnd == 450_000 and agreement.fixed_price_vnd is None
    assert agreement.advance_vnd == 2_000_000
    assert advance.member_id == member_a.pk
    assert client.get(response.url).status_code == 200


def test_agreement_in_tan_for_a_kg_product_is_converted(login, chair_a, coop_a, tea, member_a):
    with tenant(coop_a):
        tea_season = services.season_create(
            product=tea, name="Chè xuân", starts_on=timezone.localdate(), ends_on=timezone.localdate()
        )
    response = login(chair_a).post(
        f"{BASE}agreements/new/",
        keyed(
            agreement_data(
                member_a,
                tea_season,
                committed_quantity="1,5",
                committed_unit="tan",
                price_rule="fixed",
                fixed_price_vnd="30.000",
            )
        ),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        agreement = Agreement.objects.get()
    assert agreement.committed_base == Decimal("1500")
    assert (agreement.price_rule, agreement.fixed_price_vnd, agreement.floor_price_vnd) == (
        "fixed",
        30_000,
        None,
    )


@pytest.fixture
def member_left(coop_a):
    member = make_member(coop_a, full_name="Lù Thị Mai", phone="0966000111")
    with tenant(coop_a):
        coop_services.member_leave(member=member, left_on=timezone.localdate(), reason="Chuyển đi")
    return member


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"member": "left"}, "member", None),
        ({"committed_unit": "bao"}, "committed_unit", "Unknown unit."),
        ({"committed_unit": "kg"}, "committed_unit", "This unit does not fit the product."),
        ({"committed_quantity": "0"}, "committed_quantity", "The quantity must be more than 0."),
        ({"committed_quantity": "-3"}, "committed_quantity", "The quantity must be more than 0."),
        ({"committed_quantity": "mười"}, "committed_quantity", None),
        ({"price_rule": "fixed"}, "fixed_price_vnd", "A fixed-price agreement needs its price."),
        ({"price_rule": "whim"}, "price_rule", "Unknown price rule."),
        ({"signed_on": "2099-01-01"}, "signed_on", "The date cannot be in the future."),
        ({"advance_vnd": "-1"}, "advance_vnd", "The amount cannot be negative."),
    ],
)
def test_bad_agreement_is_refused_and_nothing_stored(
    login, chair_a, coop_a, season, member_a, member_left, overrides, field, message
):
    if overrides.get("member") == "left":
        overrides = {"member": member_left.pk, "advance_vnd": "1.000.000"}
        message = _("%(name)s has left the cooperative.") % {"name": member_left.full_name}
    before = counts(coop_a)
    data = agreement_data(member_a, season)
    data.update(overrides)
    response = login(chair_a).post(f"{BASE}agreements/new/", keyed(data))
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors[field], errors
    if message:
        assert _(message) in errors[field]
    assert counts(coop_a) == before


def test_second_agreement_for_the_same_season_is_refused(login, chair_a, coop_a, season, agreement, member_a):
    before = counts(coop_a)
    response = login(chair_a).post(f"{BASE}agreements/new/", keyed(agreement_data(member_a, season)))
    assert response.status_code == 422
    assert _("This member already has an agreement for this season.") in form_errors(response)
    assert counts(coop_a) == before


def test_left_members_are_not_offered(login, chair_a, season, member_a, member_left):
    page = login(chair_a).get(f"{BASE}agreements/new/").content.decode()
    assert member_a.full_name in page
    assert member_left.full_name not in page


def test_agreement_list_shows_delivered_against_committed(
    login, chair_a, coop_a, honey, season, agreement, member_a, member_a2
):
    record(coop_a, member_a, honey, 20)
    record(coop_a, member_a, honey, Decimal("2.5"))
    other_season = None
    with tenant(coop_a):
        other_season = services.season_create(
            product=honey,
            name="Mật ong vụ trước",
            starts_on=timezone.localdate() - dt.timedelta(days=400),
            ends_on=timezone.localdate() - dt.timedelta(days=300),
        )
        services.agreement_create(
            member=member_a2,
            season=other_season,
            committed_quantity=Decimal(10),
            committed_unit="l",
            price_rule="list",
            signed_on=timezone.localdate() - dt.timedelta(days=400),
        )
    client = login(chair_a)
    rows = client.get(f"{BASE}agreements/?season={season.pk}").context["page"].object_list
    assert [(f.agreement.member_id, f.delivered_base, f.percent) for f in rows] == [
        (member_a.pk, Decimal("22.5"), 45)
    ]
    page = client.get(f"{BASE}agreements/?season={season.pk}").content.decode()
    assert 'value="45"' in page and "22,5 / 50" in page
    everything = client.get(f"{BASE}agreements/").context["page"].object_list
    assert {f.agreement.season_id for f in everything} == {season.pk, other_season.pk}


def test_agreement_list_queries_do_not_grow(login, chair_a, coop_a, season, agreement):
    client = login(chair_a)
    client.get(f"{BASE}agreements/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{BASE}agreements/")
    for index in range(8):
        member = make_member(coop_a, full_name=f"Hộ {index}", village_name=f"Thôn {index}")
        with tenant(coop_a):
            services.agreement_create(
                member=member,
                season=season,
                committed_quantity=Decimal(5),
                committed_unit="l",
                price_rule="list",
                signed_on=timezone.localdate(),
            )
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{BASE}agreements/")
    assert len(response.context["page"].object_list) == 9
    assert len(many) == len(few)


def test_agreement_detail_lists_its_receipts(
    login, chair_a, accountant_a, coop_a, honey, season, agreement, member_a, point
):
    kept = record(coop_a, member_a, honey, 4, point=point)
    voided = record(coop_a, member_a, honey, 6)
    with tenant(coop_a):
        services.receipt_void(receipt=voided, reason="Ghi nhầm", actor=accountant_a)
    response = login(chair_a).get(f"{BASE}agreements/{agreement.uuid}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert kept.code in page and voided.code in page and "Điểm Pả Vi" in page
    assert response.context["fulfilment"].delivered_base == Decimal(4)  # the voided one does not count
    assert response.context["fulfilment"].percent == 8


def test_season_page_shows_fulfilment_and_summary_and_xlsx(
    login, chair_a, coop_a, honey, season, agreement, member_a, member_a2
):
    record(coop_a, member_a, honey, 30)
    record(coop_a, member_a2, honey, Decimal("7.25"))  # no agreement
    client = login(chair_a)
    response = client.get(f"{BASE}seasons/{season.pk}/")
    assert response.status_code == 200
    assert [(f.agreement.member_id, f.percent) for f in response.context["page"].object_list] == [
        (member_a.pk, 60)
    ]
    assert response.context["percent_total"] == 60
    assert response.context["totals"] == {"quantity": Decimal("37.25"), "amount": 18_625_000, "receipts": 2}
    response = client.get(f"{BASE}seasons/{season.pk}/?show=summary")
    summary = {
        row.member.pk: (row.quantity, row.amount_vnd, row.percent)
        for row in response.context["page"].object_list
    }
    assert summary == {
        member_a.pk: (Decimal(30), 15_000_000, 60),
        member_a2.pk: (Decimal("7.25"), 3_625_000, None),
    }
    assert "18.625.000" in response.content.decode()

    download = client.get(f"{BASE}seasons/{season.pk}/summary.xlsx")
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(download.content))
    sheet = book.active
    assert sheet["A1"].value == coop_a.name

    def named(name):
        title, ref = next(book.defined_names[name].destinations)
        return book[title][ref.replace("$", "")].value

    assert named("total_amount") == 18_625_000
    assert Decimal(str(named("total_quantity"))) == Decimal("37.25")
    names = [sheet.cell(row=r, column=2).value for r in range(1, sheet.max_row + 1)]
    assert member_a.full_name in names and member_a2.full_name in names


# --- other cooperatives -----------------------------------------------------------------------------------------------


def test_other_cooperatives_chair_gets_404(login, chair_b, coop_b, season, agreement):
    client = login(chair_b)
    urls = [
        f"seasons/{season.pk}/",
        f"seasons/{season.pk}/summary.xlsx",
        f"agreements/{agreement.uuid}/",
    ]
    for url in urls:
        assert client.get(f"{BASE}{url}").status_code == 404, url
        # Under their own cooperative's address, coop_a's objects are not there either.
        assert client.get(f"/c/coop-b/buying/{url}").status_code == 404, url
    page = client.get(f"/c/coop-b/buying/agreements/?season={season.pk}")
    assert page.status_code == 200
    assert list(page.context["page"].object_list) == []
    assert season.name not in page.content.decode()

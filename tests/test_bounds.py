"""Bounds: money, quantities and dates have documented limits (``hoptac/lib/bounds.py``),
checked by forms, services and the API alike; absurd query parameters never answer 500."""

from __future__ import annotations

import datetime as dt
import inspect
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.core.tenancy import tenant
from hoptac.ledger import services as ledger
from hoptac.ledger.models import Entry
from hoptac.lib import bounds
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Season
from tests.conftest import keyed, make_member
from tests.test_tenancy import (  # noqa: F401  (fixtures)
    buying_a,
    catalog_a,
    coop_routes,
    coop_urls,
    export_a,
    field_a,
    group_a,
    invitation_a,
    live_staff_a,
    messages_a,
    money_a,
    offers_a,
    run_a,
    share_a,
    shipping_a,
    shop_a,
    staff_a,
    url_objects,
)

ABSURD = ["0001-01-01", "9999-12-31", "-1", str(10**30), "abc"]
QUERY_NAMES = [
    "day", "from", "to", "start", "end", "date_from", "date_to", "page", "season", "product",
    "point", "status", "member", "lines", "q", "kind", "channel", "village", "group", "gender",
    "member_type", "template", "suggestion", "all", "paper", "width", "height", "year", "month",
    "command", "lang",
]  # fmt: skip


# Each of these alone, so that another garbled parameter cannot hide a failure.
ONE_BY_ONE_NAMES = [
    "day",
    "from",
    "to",
    "start",
    "end",
    "date_from",
    "date_to",
    "page",
    "point",
    "season",
    "product",
]
ONE_BY_ONE_VALUES = {"0001-01-01"}


def _source(route) -> str:
    callback = route.pattern.callback
    while hasattr(callback, "__wrapped__"):
        callback = callback.__wrapped__
    module = inspect.getmodule(callback)
    return inspect.getsource(module) if module is not None else ""


def _names_read(route) -> list[str]:
    """The parameters the view's module (or its forms) may read, for the one-by-one walk."""
    source = _source(route)
    if "Form(request.GET" in source or "_form(request)" in source:
        return ONE_BY_ONE_NAMES
    return [name for name in ONE_BY_ONE_NAMES if f'"{name}"' in source]


def _reads_query(route) -> bool:
    """Whether the view's module reads the query string (the others are not walked)."""
    return "GET" in _source(route)


def _get_routes(objects, slug):
    yield from ((r, u) for r, u in coop_urls(slug, objects) if _reads_query(r))


@pytest.mark.django_db
def test_absurd_query_parameters_never_answer_500(client, chair_a, url_objects):  # noqa: F811
    """Every cooperative page, read with every known query parameter set to an absurd value
    (all at once, then one at a time), answers something other than a server error."""
    client.force_login(chair_a)
    client.raise_request_exception = True
    failures = []
    for route, url in _get_routes(url_objects, "coop-a"):
        if client.get(url).status_code == 405:  # POST only: nothing read from the query string
            continue
        for value in ABSURD:
            queries = [dict.fromkeys(QUERY_NAMES, value)]
            if value in ONE_BY_ONE_VALUES:
                queries += [{name: value} for name in _names_read(route)]
            for query in queries:
                try:
                    response = client.get(url, query)
                except Exception as exc:  # noqa: BLE001 - collected, reported below
                    failures.append(f"{url}?{query if len(query) == 1 else value}: {exc!r}")
                    break
                if response.status_code >= 500:
                    failures.append(f"{url}?{query}: {response.status_code}")
                    break
    assert not failures, "\n".join(failures)


# --- money, quantities and dates refused by the services --------------------------------


def test_an_absurd_advance_is_refused_by_the_service(coop_a, member_a):
    with tenant(coop_a), pytest.raises(ValidationError) as error:
        ledger.advance_give(member=member_a, amount=999_999_999_999_999)
    assert error.value.code == "too_large"
    assert "2.000.000.000" in error.value.messages[0]
    assert not Entry.unscoped.filter(member=member_a).exists()


def test_an_absurd_capital_is_refused_by_the_service(coop_a):
    with pytest.raises(ValidationError) as error:
        make_member(coop_a, full_name="Lò Văn Tỷ", capital_vnd=99_999_999_999_999)
    assert error.value.code == "too_large"


def test_a_season_of_year_one_is_refused(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong", code="MAT", base_unit="l")
        with pytest.raises(ValidationError) as error:
            offtake.season_create(
                product=product, name="Năm 1", starts_on=dt.date(1, 1, 1), ends_on=dt.date(1, 12, 31)
            )
        assert error.value.code == "date_out_of_range"
        assert not Season.unscoped.exists()
        with pytest.raises(ValidationError):
            offtake.season_create(
                product=product, name="Xa", starts_on=timezone.localdate(), ends_on=dt.date(9999, 12, 31)
            )


def test_a_receipt_line_of_a_thousand_tonnes_is_refused(coop_a, member_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Chè", code="CHE", base_unit="kg")
        offtake.price_set(
            product=product, grade=1, price_vnd=50_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
        with pytest.raises(ValidationError) as error:
            offtake.receipt_record(
                member=member_a,
                collected_at=timezone.now(),
                lines=[offtake.LineInput(product=product, quantity=Decimal(1000), unit="tan")],
            )
    assert error.value.code == "quantity"


def test_bounds_are_within_what_the_columns_hold():
    big_integer = 2**63 - 1
    assert all(bound.high < big_integer for bound in bounds.MONEY.values())
    # DecimalField(12, 3) of a receipt line's typed quantity holds 999.999.999,999.
    assert all(bound.high < Decimal("999999999.999") for bound in bounds.QUANTITY.values())
    assert bounds.date_range("any")[1] < dt.date.max - dt.timedelta(days=366)


# --- large amounts need a second confirmation ---------------------------------------------


def test_a_large_advance_comes_back_with_the_amount_in_words_and_a_checkbox(
    login, coop_a, accountant_a, member_a
):
    client = login(accountant_a)
    url = f"/c/{coop_a.slug}/ledger/members/{member_a.uuid}/advance/"
    data = keyed(amount="60.000.000", day=timezone.localdate().isoformat(), memo="")
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "60.000.000" in page and "sáu mươi triệu đồng" in page
    assert 'name="confirm_large"' in page
    assert not Entry.unscoped.filter(member=member_a).exists()
    response = client.post(url, {**data, "confirm_large": "on"})
    assert response.status_code == 200  # issue 11: "Check before saving", in words again
    assert "sáu mươi triệu đồng" in response.content.decode()
    assert not Entry.unscoped.filter(member=member_a).exists()
    response = client.post(url, {**data, "confirm_large": "on", "confirm": "1"})
    assert response.status_code == 302
    assert Entry.unscoped.get(member=member_a).receivable_delta == 60_000_000


def test_a_small_advance_needs_no_confirmation(login, coop_a, accountant_a, member_a):
    client = login(accountant_a)
    url = f"/c/{coop_a.slug}/ledger/members/{member_a.uuid}/advance/"
    data = keyed(amount="600.000", day=timezone.localdate().isoformat())
    response = client.post(url, data)
    assert response.status_code == 200  # "Check before saving", with no checkbox to tick
    assert 'name="confirm_large"' not in response.content.decode()
    assert "sáu trăm nghìn đồng" in response.content.decode()
    response = client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302
    assert Entry.unscoped.get(member=member_a).receivable_delta == 600_000


def test_an_absurd_advance_is_refused_by_the_form(login, coop_a, accountant_a, member_a):
    client = login(accountant_a)
    url = f"/c/{coop_a.slug}/ledger/members/{member_a.uuid}/advance/"
    response = client.post(
        url, keyed(amount="999.999.999.999.999", day=timezone.localdate().isoformat(), confirm_large="on")
    )
    assert response.status_code == 200
    assert "2.000.000.000" in response.content.decode()
    assert not Entry.unscoped.filter(member=member_a).exists()


def test_a_season_stored_with_year_one_before_the_bounds_still_has_its_pages(login, coop_a, chair_a):
    """Seasons dated year 1 were accepted once; their pages and summary answered 500 for good."""
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong", code="MAT", base_unit="l")
        season = Season.objects.create(
            cooperative=coop_a,
            product=product,
            name="Năm 1",
            starts_on=dt.date(1, 1, 1),
            ends_on=dt.date(1, 12, 31),
        )
    client = login(chair_a)
    base = f"/c/{coop_a.slug}/buying/seasons/{season.pk}/"
    assert client.get(base).status_code == 200
    assert client.get(base + "summary.xlsx").status_code == 200
    assert client.get(f"/c/{coop_a.slug}/buying/seasons/").status_code == 200

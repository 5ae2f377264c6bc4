"""Pages cost the same number of queries in a cooperative of 10 households as in one of
40 with ten times the receipts (issue 15: "query counts constant in the data size"), and
a long statement is paged with balances that carry over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hoptac.accounts.models import Membership
from hoptac.coops.models import Cooperative
from hoptac.core.tenancy import tenant
from hoptac.demo.province import Size, bench_paths, province_generate
from hoptac.ledger import selectors
from hoptac.ledger.models import Entry


def _costs(client, coop) -> dict[str, tuple[int, int]]:
    chair = Membership.objects.filter(cooperative=coop).first().user
    client.force_login(chair)
    costs = {}
    for name, path in bench_paths(coop):
        client.get(path)  # warm: sessions, caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        costs[name] = (len(queries), len(response.content))
    return costs


@pytest.mark.django_db(transaction=True)
def test_query_counts_do_not_grow_with_the_data(client, settings):
    settings.LANGUAGE_CODE = "en"
    province_generate(size=Size(cooperatives=1, households=10, receipts=60), prefix="small", seed=1)
    province_generate(size=Size(cooperatives=1, households=40, receipts=600), prefix="big", seed=1)
    small = _costs(client, Cooperative.objects.get(slug="small-0001"))
    big = _costs(client, Cooperative.objects.get(slug="big-0001"))
    grown = {name: (small[name][0], big[name][0]) for name in small if big[name][0] > small[name][0]}
    assert not grown, f"queries grow with the data (small, big): {grown}"
    # Pages that show a set are paged or summarised: the HTML does not grow tenfold.
    heavy = {n: (small[n][1], big[n][1]) for n in small if big[n][1] > 3 * small[n][1] + 20_000}
    assert not heavy, f"pages that grow with the data (bytes): {heavy}"


@pytest.mark.django_db(transaction=True)
def test_a_long_statement_is_paged_with_balances_carried_over():
    province_generate(size=Size(cooperatives=1, households=2, receipts=80), prefix="st", seed=2)
    coop = Cooperative.objects.get(slug="st-0001")
    with tenant(coop):
        member = Entry.objects.order_by("member").values_list("member", flat=True).first()
        from hoptac.coops.models import Member

        member = Member.objects.get(pk=member)
        start = timezone.now() - dt.timedelta(days=400)
        end = timezone.now() + dt.timedelta(days=1)
        whole = selectors.statement(member, start=start, end=end)
        assert len(whole.lines) > 12
        first, page1 = selectors.statement_page(member, start=start, end=end, number=1, per_page=5)
        second, page2 = selectors.statement_page(member, start=start, end=end, number=2, per_page=5)
        last, page_n = selectors.statement_page(member, start=start, end=end, number=99, per_page=5)
    assert page1.paginator.count == len(whole.lines) and page_n.number == page1.paginator.num_pages
    assert [line.balance_after for line in first.lines] == [line.balance_after for line in whole.lines[:5]]
    assert second.carried == first.lines[-1].balance_after
    assert [line.balance_after for line in second.lines] == [line.balance_after for line in whole.lines[5:10]]
    assert last.lines[-1].balance_after == whole.closing.net == last.closing.net
    assert (last.total_in, last.total_out) == (whole.total_in, whole.total_out)
    assert first.opening == whole.opening

"""Bounds: money, quantities and dates have documented limits (``hoptac/lib/bounds.py``),
checked by forms, services and the API alike; absurd query parameters never answer 500."""

from __future__ import annotations

import inspect

import pytest

from tests.test_tenancy import (  # noqa: F401  (fixtures)
    buying_a,
    catalog_a,
    coop_routes,
    coop_urls,
    group_a,
    messages_a,
    offers_a,
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
ONE_BY_ONE_NAMES = ["day", "from", "to", "start", "end", "date_from", "date_to", "page", "point", "season", "product"]
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

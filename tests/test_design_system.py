"""The design system: the living page, the icon sprite, the colour tokens' contrast, and
tables that turn into cards on a phone (every number cell says what it is)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hoptac.core.navigation import SECTIONS

ROOT = Path(__file__).resolve().parent.parent / "hoptac"
CSS = (ROOT / "static/hoptac/app.css").read_text()
SPRITE = (ROOT / "static/hoptac/icons.svg").read_text()
# Print pages keep their own layout (print CSS files); everything else is a screen page.
PRINT_TEMPLATES = {"ledger/statement.html", "ledger/run.html", "offtake/daily_sheet.html", "offtake/receipt_print.html"}


def test_components_page_shows_every_component(login, chair_a):
    page = login(chair_a).get("/ui/")
    assert page.status_code == 200
    html = page.content.decode()
    for anchor in ("tokens", "buttons", "fields", "badges", "lists", "tables", "empty", "confirm", "nav", "icons"):
        assert f'id="{anchor}"' in html, anchor
    for tone in ("ok", "info", "warn", "danger", "neutral"):
        assert f"badge badge-{tone}" in html
    for tone in ("ok", "info", "warn", "danger"):
        assert f"toast toast-{tone}" in html
    assert html.count('class="toast ') == 4 and 'role="status"' in html
    assert 'class="with-unit"' in html and 'class="unit" aria-hidden="true">₫<' in html
    assert 'class="pager"' in html and "<tfoot>" in html
    # The confirmation is a step with a form, not a JavaScript dialog or handler.
    assert re.search(r'<div class="confirm card"[^>]*>.*?<form method="post".*?<button class="danger">', html, re.S)
    assert "onclick" not in html


def test_components_page_needs_a_sign_in(client, db):
    response = client.get("/ui/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _icons_used() -> set[str]:
    used = {section.icon for section in SECTIONS} | {"menu", "x", "arrow-left-right", "log-out"}
    for path in ROOT.rglob("*.html"):
        used |= set(re.findall(r'\{% icon "([a-z0-9-]+)"', path.read_text()))
    return used


def test_every_icon_used_is_in_the_sprite_and_only_those_are_shipped():
    shipped = set(re.findall(r'<symbol id="([a-z0-9-]+)"', SPRITE))
    assert _icons_used() <= shipped, _icons_used() - shipped
    assert len(shipped) <= 40  # a subset, not the library
    assert (ROOT / "static/hoptac/icons-LICENSE.txt").read_text().startswith("ISC License")


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _token(name: str) -> str:
    found = re.search(rf"--{name}:(#[0-9a-fA-F]{{6}})", CSS)
    assert found, name
    return found.group(1)


@pytest.mark.parametrize(
    "fg,bg",
    [
        *[(f"c-{t}-fg", f"c-{t}-bg") for t in ("ok", "info", "warn", "danger", "neutral")],
        *[(f"c-{t}-fg", "c-surface") for t in ("ok", "info", "warn", "danger", "neutral")],
        ("c-ink", "c-bg"),
        ("c-muted", "c-bg"),
        ("c-muted", "c-surface"),
        ("c-link", "c-surface"),
        ("c-link", "c-bg"),
        ("c-on-accent", "c-accent"),
        ("c-accent", "c-surface"),
        ("c-accent-strong", "c-accent-soft"),
        ("c-accent", "c-accent-soft"),
    ],
)
def test_token_pairs_meet_aa_contrast(fg, bg):
    assert contrast(_token(fg), _token(bg)) >= 4.5, (fg, bg)


def _screen_list_tables():
    for path in ROOT.rglob("templates/**/*.html"):
        name = "/".join(path.parts[-2:])
        if name in PRINT_TEMPLATES:
            continue
        for table in re.findall(r'<table class="list[^"]*">(.*?)</table>', path.read_text(), re.S):
            yield name, table


def test_every_number_in_a_list_table_says_what_it_is_on_a_phone():
    """A row becomes a card below 768 px; a number cell without data-label would be a bare number."""
    tables = list(_screen_list_tables())
    assert len(tables) >= 25
    bare = []
    for name, table in tables:
        body = table.split("</thead>", 1)[-1]
        for cell in re.findall(r"<td[^>]*>", body):
            if re.search(r'class="[^"]*\bnum\b', cell) and "data-label" not in cell:
                bare.append((name, cell))
    assert bare == []


def test_tables_stack_as_cards_on_a_phone_and_stick_on_a_computer():
    phone = CSS[CSS.index("/* 5. Tables") :]
    assert ".list td[data-label]::before{content:attr(data-label)" in phone
    assert "position:sticky;top:var(--appbar-h)" in phone
    assert ".list tfoot" in phone


def test_removing_a_role_takes_two_taps_and_still_works(login, chair_a, collector_a, coop_a):
    """The destructive buttons of the staff list sit behind a question (no JavaScript confirm())."""
    client = login(chair_a)
    html = client.get(f"/c/{coop_a.slug}/staff/").content.decode()
    step = re.search(r'<details class="confirm-step">\s*<summary[^>]*>([^<]+)</summary>\s*<form method="post" action="([^"]+)"', html)
    assert step, "no confirmation step on the staff list"
    response = client.post(step.group(2))
    assert response.status_code == 302
    assert client.get(f"/c/{coop_a.slug}/staff/").content.decode().count('class="confirm-step"') < html.count(
        'class="confirm-step"'
    )


def test_an_empty_list_says_what_to_do_first(login, chair_a, collector_a, coop_a):
    members = login(chair_a).get(f"/c/{coop_a.slug}/members/").content.decode()
    assert re.search(r'<div class="empty">.*?href="/c/coop-a/members/new/"', members, re.S)
    receipts = login(collector_a).get(f"/c/{coop_a.slug}/buying/receipts/").content.decode()
    assert re.search(r'<div class="empty">.*?href="/c/coop-a/buying/receipts/new/"', receipts, re.S)

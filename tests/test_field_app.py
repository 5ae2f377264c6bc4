"""The field app's shell, manifest and service worker (hoptac/sync/views_field.py), and the
phone's arithmetic (static/hoptac/field/money.js) checked against the server's."""

from __future__ import annotations

import json
import random
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders

from hoptac.lib import units
from hoptac.lib.money import parse_vnd
from hoptac.sync import views_field
from tests.headers import header_problems, inline_problems
from tests.test_browser import chromium  # noqa: F401 (fixture)

SHELL = "/c/coop-a/field/"


def config_of(response) -> dict:
    found = re.search(
        r'<script id="field-config" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert found, "the shell carries its configuration as a JSON block"
    return json.loads(found.group(1))


def test_the_shell_opens_for_a_collector_with_its_strings_and_settings(login, collector_a, settings):
    settings.LANGUAGE_CODE = "en"
    response = login(collector_a).get(SHELL)
    assert response.status_code == 200
    assert not header_problems(response) and not inline_problems(response)
    body = response.content.decode()
    assert (
        '<link rel="manifest" href="/c/coop-a/field/manifest.webmanifest" crossorigin="use-credentials">'
        in body
    )
    assert re.search(r'<meta name="csrf-token" content="[^"]{20,}">', body)
    assert '<script type="module" src="/static/hoptac/field/app.js"></script>' in body
    config = config_of(response)
    assert config["slug"] == "coop-a" and config["urls"]["sw"] == "/c/coop-a/field/sw.js"
    assert config["strings"]["sendNow"] == "Send now"
    assert config["units"]["ta"] == "tạ"
    assert config["places"]["commune"] == config["places"]["communes"][0][0]
    # Every placeholder the app fills in is written {name}, never %(name)s.
    assert not [k for k, v in config["strings"].items() if "%(" in v]


def test_the_shell_speaks_the_users_language(login, collector_a, settings):
    settings.LANGUAGE_CODE = "vi"
    config = config_of(login(collector_a).get(SHELL))
    assert config["lang"] == "vi" and config["strings"]["save"] == "Lưu"


def test_only_those_who_record_receipts_open_the_field_app(client, login, member_user_a, chair_b):
    assert client.get(SHELL).status_code == 302  # anonymous: sign in first
    assert login(member_user_a).get(SHELL).status_code == 403
    for path in (SHELL, SHELL + "manifest.webmanifest", SHELL + "sw.js"):
        assert login(chair_b).get(path).status_code == 404


def test_the_manifest_makes_an_installable_app_scoped_to_the_field_path(login, collector_a):
    response = login(collector_a).get(SHELL + "manifest.webmanifest")
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["start_url"] == manifest["scope"] == SHELL
    assert manifest["display"] == "standalone" and manifest["theme_color"]
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix(django_settings.STATIC_URL))
        assert path, icon["src"]
        width = int(icon["sizes"].split("x")[0])
        assert Path(path).read_bytes()[16:24] == width.to_bytes(4, "big") * 2  # PNG header


def test_the_service_worker_precaches_the_app_and_never_the_api(login, collector_a):
    response = login(collector_a).get(SHELL + "sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == SHELL
    text = response.content.decode()
    config = json.loads(re.match(r"const CONFIG = (.*?);\n", text).group(1))
    assert config["version"] == views_field.assets_version() and len(config["version"]) == 16
    assert config["shell"] == SHELL
    names = {url.removeprefix(django_settings.STATIC_URL) for url in config["assets"]}
    assert {
        "hoptac/field/app.js",
        "hoptac/field/store.js",
        "hoptac/field/sync.js",
        "hoptac/field/field.css",
    } <= names
    # Every module the app imports is precached (or it would not open offline).
    app = Path(finders.find("hoptac/field/app.js")).read_text()
    imported = set(re.findall(r'from "\./([\w.]+)"', app))
    assert imported and {f"hoptac/field/{name}" for name in imported} <= names
    assert 'url.pathname.startsWith("/api/")) return;' in text


def test_the_version_follows_the_files(tmp_path, settings):
    """A changed file makes a new version (so phones replace the whole app at once)."""
    before = views_field._compute_version()
    field = tmp_path / "hoptac" / "field"
    field.mkdir(parents=True)
    for name in views_field.ASSETS:
        source = finders.find(name)
        if source:
            shutil.copy(source, tmp_path / name)
    settings.STATICFILES_DIRS = [tmp_path]
    finders.get_finder.cache_clear()
    try:
        assert views_field._compute_version() == before
        (field / "field.css").write_text((field / "field.css").read_text() + "\n/* changed */")
        assert views_field._compute_version() != before
    finally:
        finders.get_finder.cache_clear()


# --- the phone's arithmetic, the server's way ---------------------------------------------

MONEY_JS = Path(finders.find("hoptac/field/money.js") or "missing")

CHECK_SCRIPT = """async (cases) => {
  const m = await import("/money.js");
  return cases.map((c) => {
    if (c.t === "q") return m.parseQuantity(c.raw);
    if (c.t === "v") return m.parseVnd(c.raw);
    const r = m.priceLine(c);
    return r.error ? "E:" + r.error : [r.base, r.net, r.amount];
  });
}"""


def _in_chromium(browser, cases: list) -> list:
    """money.js run as the phone runs it (an ES module in the system Chromium)."""
    context = browser.new_context()
    source = MONEY_JS.read_text()

    def serve(route):
        if route.request.url.endswith("/money.js"):
            route.fulfill(body=source, content_type="text/javascript")
        else:
            route.fulfill(body="<!doctype html><title>money</title>", content_type="text/html")

    try:
        page = context.new_page()
        page.route("http://phone.test/**", serve)
        page.goto("http://phone.test/")
        return page.evaluate(CHECK_SCRIPT, cases)
    finally:
        context.close()


def _expected(case):
    if case["t"] == "q":
        try:
            return units.qty_text(units.parse_quantity(case["raw"]))
        except units.QuantityError:
            return None
    if case["t"] == "v":
        try:
            return parse_vnd(case["raw"])
        except ValueError:
            return None
    qty, ded = Decimal(case["qty"]), Decimal(case["ded"])
    try:
        base = units.to_base(qty, case["unit"], case["baseUnit"], kg_per_ta=case["kgPerTa"])
    except units.UnitError:
        return "E:unit"
    net = units.net_quantity(base, ded)
    return [units.qty_text(base), units.qty_text(net), units.line_amount(net, case["price"])]


@pytest.mark.browser
def test_the_phone_reads_numbers_and_rounds_amounts_as_the_server_does(chromium):  # noqa: F811
    rng = random.Random(14)
    cases = [
        {"t": "q", "raw": raw}
        for raw in (
            "12,5",
            "1.250",
            "12.5",
            "1.25",
            "0.250",
            "1.250,5",
            "1.250.000",
            "1,250.5",
            "1.2.3",
            "12,5,0",
            "abc",
            "",
            "007",
            "12,",
        )
    ]
    cases += [
        {"t": "v", "raw": raw} for raw in ("1.250.000", "1,250,000 đ", "500000", "5.00", "abc", "", "1.000đ")
    ]
    for _ in range(1500):
        qty = Decimal(rng.randint(1, 999_999)) / Decimal(10 ** rng.randint(0, 3))
        ded = Decimal(rng.randint(0, 50_000)) / Decimal(1000) if rng.random() < 0.7 else Decimal(0)
        cases.append(
            {
                "t": "l",
                "qty": units.qty_text(qty),
                "ded": units.qty_text(ded),
                "unit": rng.choice(["kg", "lang", "yen", "ta", "tan", "l"]),
                "baseUnit": rng.choice(["kg", "l"]),
                "price": rng.randint(1, 2_000_000),
                "kgPerTa": rng.choice([100, 60]),
            }
        )
    got = _in_chromium(chromium, cases)
    wrong = [(c, _expected(c), g) for c, g in zip(cases, got, strict=True) if _expected(c) != g]
    assert not wrong, wrong[:5]
    assert got[0] == "12.5" and got[1] == "1250"

"""Every spreadsheet export writes user text as text and prints on A4 (rule 11).

The walk discovers the exports from the URL configuration (every route under
``/c/<slug>/`` that ends in ``.xlsx``), so an export added later is covered without touching
this file, unless it takes a new parameter: then the walk fails and says which one to add.
Each export is fetched with hostile text in every user-text field (cooperative name and
address, member name, village, notes, reason for leaving, group, product, collection point,
season, memo) and the sheet XML is read: no formula holds user text, no cell is an error,
the hostile text is there as text, and every sheet has its print setup.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.utils import timezone

import hoptac
from hoptac.coops import services as coop_services
from hoptac.coops.models import Cooperative, Member
from hoptac.core.tenancy import tenant
from hoptac.lib import xlsx
from tests.conftest import make_member
from tests.test_tenancy import build_url, coop_routes

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
MARK = "EVIL"
# Each begins with a character a spreadsheet reads as the start of a formula (or a
# control character that Excel drops before one), and carries the marker.
HOSTILE = {
    "coop_name": f'=HYPERLINK("http://evil.example/c","{MARK}-coop")',
    "coop_address": f"+1+{MARK}-address",
    "full_name": f'=HYPERLINK("http://evil.example/x","{MARK}-name")',
    "village": f"-2+{MARK}-village",
    "notes": f"@SUM({MARK}-notes)",
    "left_reason": f"\t=1+{MARK}-reason",
    "left_name": f"\r=1+{MARK}-left",
    "group": f"={MARK}-group()",
    "product": f"={MARK}-product()",
    "point": f'=HYPERLINK("http://evil.example/p","{MARK}-point")',
    "season": f"={MARK}-season()",
    "memo": f'=HYPERLINK("http://evil.example/m","{MARK}-memo")',
}
# Route names whose view needs a query string to answer a file.
QUERIES = {
    "offtake:daily_sheet_xlsx": lambda today: f"?day={today:%Y-%m-%d}",
    "offtake:purchase_list_xlsx": lambda today: (
        f"?start={today.replace(day=1):%Y-%m-%d}&end={today:%Y-%m-%d}"
    ),
}
# At least these exports exist (the walk finds them, and any new one).
KNOWN = {
    "coops:member_template",
    "coops:member_export",
    "ledger:statement_xlsx",
    "ledger:run_xlsx",
    "offtake:daily_sheet_xlsx",
    "offtake:season_summary_xlsx",
    "offtake:purchase_list_xlsx",
}


def export_routes():
    return [route for route in coop_routes() if route.route.endswith(".xlsx")]


@pytest.fixture
def hostile(coop_a, chair_a, accountant_a):
    """coop_a with hostile text in every field an export shows; returns the URL parameters."""
    from hoptac.catalog.models import Product
    from hoptac.ledger import services as ledger
    from hoptac.offtake import services as offtake
    from hoptac.shop.services.orders import Buyer, Choice, order_place
    from hoptac.shop.services.payments import IncomingLine, transaction_receive, transaction_resolve
    from tests.shop_fixtures import open_shop, stocked

    Cooperative.objects.filter(pk=coop_a.pk).update(name=HOSTILE["coop_name"], street=HOSTILE["coop_address"])
    coop = Cooperative.objects.get(pk=coop_a.pk)
    member = make_member(
        coop,
        full_name=HOSTILE["full_name"],
        village_name=HOSTILE["village"],
        notes=HOSTILE["notes"],
        bank_bin="970405",
        bank_account="7300205123456",
    )
    left = make_member(coop, full_name=HOSTILE["left_name"], birth_year=1970, phone="0912000999")
    today = timezone.localdate()
    with tenant(coop):
        coop_services.member_leave(member=left, left_on=today, reason=HOSTILE["left_reason"])
        group = coop_services.group_create(name=HOSTILE["group"], kind="product")
        coop_services.group_set_members(group=group, member_ids=[member.pk])
        product = Product.objects.create(cooperative=coop, name=HOSTILE["product"], code="EVL", base_unit="l")
        offtake.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
        season = offtake.season_create(
            product=product,
            name=HOSTILE["season"],
            starts_on=today - dt.timedelta(days=5),
            ends_on=today + dt.timedelta(days=90),
        )
        point = offtake.point_create(name=HOSTILE["point"], commune_code=coop.commune_code)
        offtake.receipt_record(
            member=member,
            collected_at=timezone.now(),
            point=point,
            lines=[offtake.LineInput(product=product, quantity=Decimal(4), unit="l")],
        )
        ledger.advance_give(member=member, amount=50_000, memo=HOSTILE["memo"], actor=accountant_a)
        banked = Member.objects.get(pk=member.pk)
        run = ledger.payout_run_create(items=[ledger.RunItem(member=banked)], actor=accountant_a).run
        # The cash book: staff settle a transfer by hand with a hostile note.
        open_shop(coop)
        listing = stocked(coop, code="EVS")
        (order,) = order_place(
            items=[(listing.pk, 1)],
            buyer=Buyer(name="Lê Thị Thu", phone="0355111222"),
            choices={coop.pk: Choice(delivery="pickup", payment="bank")},
        )
        tx, _created = transaction_receive(
            line=IncomingLine(source="manual", provider_id="", at=timezone.now(), amount=order.total_vnd, memo="ck")
        )
        transaction_resolve(tx=tx, actor=accountant_a, order=order, note=HOSTILE["memo"])
    # A live sale whose buyer named themselves and commented with formulas.
    from hoptac.live.services.claims import comment_add
    from tests.live_fixtures import on_air

    live = on_air(coop, items=(("M1", 20, 10, 200_000),))
    with tenant(coop):
        comment_add(session=live, author_name=HOSTILE["full_name"], text=f"M1 x2 0355111444 {HOSTILE['memo']}")
    return {"member_id": member.uuid, "number": run.number, "season_id": season.pk, "live_code": live.code}


def sheets(content: bytes) -> dict[str, ElementTree.Element]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: ElementTree.fromstring(archive.read(name))  # noqa: S314 - our own export
            for name in archive.namelist()
            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)
        }


def texts(content: bytes) -> str:
    """Every string of the workbook (inline strings and the shared strings table)."""
    found = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml":
                root = ElementTree.fromstring(archive.read(name))  # noqa: S314 - our own export
                found += [t.text or "" for t in root.iter(f"{{{NS['m']}}}t")]
    return "\n".join(found)


def test_the_walk_finds_every_known_export():
    names = {route.name for route in export_routes()}
    assert names >= KNOWN, f"exports not found: {KNOWN - names}"


def fetch(client, route, objects) -> bytes:
    """The file of one export, its parameters naming the hostile objects."""
    kwargs = {"coop_slug": "coop-a"}
    for name in route.object_params:
        if name not in objects:
            pytest.fail(
                f"The export {route.route!r} ({route.name}) takes the parameter {name!r}: add it to "
                "the hostile fixture in tests/test_xlsx_exports.py, naming an object with hostile text."
            )
        kwargs[name] = objects[name]
    today = timezone.localdate()
    url = build_url(route, kwargs) + QUERIES.get(route.name, lambda _today: "")(today)
    response = client.get(url)
    assert response.status_code == 200, (route.name, response.status_code)
    assert response["Content-Type"] == xlsx.CONTENT_TYPE, route.name
    return response.content


@pytest.mark.parametrize("route", export_routes(), ids=lambda route: route.name)
def test_no_export_writes_user_text_as_a_formula(route, login, chair_a, hostile):
    content = fetch(login(chair_a), route, hostile)
    found = sheets(content)
    assert found, route.name
    for part, root in found.items():
        formulas = [f.text or "" for f in root.iter(f"{{{NS['m']}}}f")]
        assert not [f for f in formulas if MARK in f or "HYPERLINK" in f], (part, formulas)
        errors = [c.get("r") for c in root.iter(f"{{{NS['m']}}}c") if c.get("t") == "e"]
        assert not errors, (part, errors)
    strings = texts(content)
    assert MARK in strings, f"{route.name} shows none of the hostile text: is the fixture complete?"
    # The text is the characters typed, without an apostrophe or any other change.
    assert not re.search(rf"'[=+\-@][^\n]*{MARK}", strings)


@pytest.mark.parametrize("route", export_routes(), ids=lambda route: route.name)
def test_every_sheet_of_every_export_prints_on_a4_one_page_wide_with_page_numbers(
    route, login, chair_a, hostile
):
    content = fetch(login(chair_a), route, hostile)
    for part, root in sheets(content).items():
        setup = root.find("m:pageSetup", NS)
        assert setup is not None and setup.get("paperSize") == "9", part
        assert setup.get("orientation") in ("portrait", "landscape"), part
        assert setup.get("fitToWidth") == "1" and setup.get("fitToHeight") == "0", part
        fit = root.find("m:sheetPr/m:pageSetUpPr", NS)
        assert fit is not None and fit.get("fitToPage") == "1", part
        footer = root.find("m:headerFooter/m:oddFooter", NS)
        assert footer is not None and "&P" in footer.text and "&N" in footer.text, part
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "_xlnm.Print_Titles" in archive.read("xl/workbook.xml").decode()  # header rows repeat


def test_the_member_export_shows_each_hostile_value_as_typed_and_prints_landscape(login, chair_a, hostile):
    content = login(chair_a).get("/c/coop-a/members/export.xlsx").content
    strings = texts(content)
    for key in ("full_name", "village", "left_reason", "group"):
        assert HOSTILE[key].strip() in strings, key
    assert HOSTILE["notes"] in strings
    root = next(iter(sheets(content).values()))
    assert root.find("m:pageSetup", NS).get("orientation") == "landscape"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        book = archive.read("xl/workbook.xml").decode()
    assert "_xlnm.Print_Titles" in book  # the header row on every page


def test_the_statement_memo_and_the_daily_sheet_names_stay_text(login, chair_a, hostile):
    client = login(chair_a)
    statement = client.get(f"/c/coop-a/ledger/members/{hostile['member_id']}/statement.xlsx").content
    assert HOSTILE["memo"] in texts(statement)
    today = timezone.localdate()
    daily = client.get(f"/c/coop-a/buying/reports/daily.xlsx?day={today:%Y-%m-%d}").content
    strings = texts(daily)
    for key in ("full_name", "village", "product"):
        assert HOSTILE[key] in strings, key


def test_a_control_character_in_a_note_does_not_break_the_export(login, chair_a, coop_a):
    """XML cannot hold most control characters: openpyxl refused the whole file (a 500)."""
    make_member(coop_a, full_name="Vàng Thị Chu", notes="Gọi trước\x07\x1b khi đến")
    response = login(chair_a).get("/c/coop-a/members/export.xlsx")
    assert response.status_code == 200
    assert "Gọi trước khi đến" in texts(response.content)


def test_only_the_one_writer_and_reader_make_or_open_workbooks():
    """Rule 11: a module that made its own ``Workbook()`` could save a formula the writer
    never saw; one that called ``load_workbook`` would read without the limits."""
    package = Path(hoptac.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).as_posix() != "lib/xlsx.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\bWorkbook\(|\bload_workbook\b|\.save\(buffer\)", line)
    ]
    assert not offenders, f"use hoptac.lib.xlsx (workbook, save, read_rows) instead: {offenders}"


# --- the writer itself ---------------------------------------------------------------------------


def _cell_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize(
    "value",
    ["=1+1", '=HYPERLINK("http://evil","x")', "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "#N/A", "#REF!"],
)
def test_put_writes_any_text_as_an_inline_string(value):
    book = xlsx.workbook()
    xlsx.put(book.active, 1, 1, value)
    xml = _cell_xml(xlsx.save(book))
    assert "<f>" not in xml and 't="e"' not in xml
    assert 't="inlineStr"' in xml


def test_save_turns_a_formula_written_past_the_writer_into_text_but_keeps_ours():
    book = xlsx.workbook()
    sheet = book.active
    sheet["A1"] = '=HYPERLINK("http://evil","x")'  # openpyxl makes this a formula
    sheet["A2"] = 5
    sheet["A3"] = dt.date(2026, 1, 2)
    xlsx.formula(sheet, 4, 1, "SUM(A2:A2)")
    content = xlsx.save(book)
    xml = _cell_xml(content)
    assert xml.count("<f>") == 1 and "<f>SUM(A2:A2)</f>" in xml
    assert "HYPERLINK" in xml and "<f>HYPERLINK" not in xml
    from openpyxl import load_workbook

    again = load_workbook(io.BytesIO(content)).active
    assert again["A2"].value == 5 and again["A2"].data_type == "n"
    assert again["A3"].value.date() == dt.date(2026, 1, 2)


def test_page_setup_escapes_the_ampersand_of_a_title():
    book = xlsx.workbook()
    xlsx.page_setup(book.active, landscape=False, title="HTX A&B &P", repeat_rows=(1, 1))
    xml = _cell_xml(xlsx.save(book))
    assert "A&amp;&amp;B &amp;&amp;P" in xml

"""The public trace page, the GS1 Digital Link resolver, QR label sheets and the export.

Lots are made through the services, as the cooperative makes them: price list, purchase
receipts from households, a raw lot, processing steps, a finished lot.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hoptac.catalog.models import Certificate, Product
from hoptac.coops.models import Member
from hoptac.core.tenancy import tenant
from hoptac.inventory import services as inventory
from hoptac.offtake import services as offtake
from hoptac.offtake.models import ReceiptLine
from tests.conftest import make_member

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "hoptac/trace/schema/trace-export.schema.json").read_text()
)
GTIN = "8930000000019"  # a valid GTIN-13 (check digit 9)
OTHER_GTIN = "8930000000026"
RAW_GTIN = "8930000000033"
TODAY = timezone.localdate()


def _villages(n: int) -> list[str]:
    return ["Thôn Pả Vi Thượng", "Thôn Sủng Pờ", "Thôn Tà Làng"][: max(1, min(3, n))]


def build_lot(coop, *, code: str, households: int, consenting: int = 1, steps: int = 2, gtin: str = ""):
    """A finished lot of product ``code`` from ``households`` receipts (one per household,
    villages taken in turn, the first ``consenting`` named), with ``steps`` processing steps."""
    members = [
        make_member(
            coop,
            full_name=f"Hộ {code} số {i:02d}",
            village_name=_villages(3)[i % 3],
            phone=None,
        )
        for i in range(households)
    ]
    with tenant(coop):
        Member.objects.filter(pk__in=[m.pk for m in members[:consenting]]).update(trace_consent=True)
        raw_product = Product.objects.create(cooperative=coop, name=f"{code} thô", code=f"{code}R")
        product = Product.objects.create(
            cooperative=coop,
            name="Mật ong bạc hà Mèo Vạc",
            name_en="Mèo Vạc mint honey",
            code=code,
            gtin=gtin,
            sale_unit="hũ",
        )
        offtake.price_set(
            product=raw_product,
            grade=1,
            price_vnd=250_000,
            effective_from=timezone.now() - dt.timedelta(days=60),
        )
        start = timezone.now() - dt.timedelta(days=30)
        for i, member in enumerate(members):
            offtake.receipt_record(
                member=member,
                collected_at=start + dt.timedelta(days=i % 10, hours=1),
                lines=[offtake.LineInput(product=raw_product, quantity=Decimal("12.5"), unit="kg")],
            )
        line_ids = list(ReceiptLine.objects.filter(product=raw_product).values_list("pk", flat=True))
        raw = inventory.raw_lot_create(product=raw_product, receipt_line_ids=line_ids)
        quantity = raw.quantity
        kinds = ["filtering", "other", "drying", "sorting"]
        for i in range(steps):
            out = quantity - Decimal(1)
            inventory.step_add(
                lot=raw,
                kind=kinds[i % len(kinds)],
                done_on=raw.harvest_to,
                operator_name="Sùng Seo Chứ",
                quantity_in=quantity,
                quantity_out=out,
                description=f"Bước {i + 1}",
            )
            quantity = out
        lot = inventory.finished_lot_create(
            product=product,
            inputs=[(raw, Decimal(20))],
            pack_count=40,
            production_date=TODAY - dt.timedelta(days=2),
            best_before=TODAY + dt.timedelta(days=700),
        )
    return lot


@pytest.fixture
def honey_lot(coop_a):
    coop_a.phone = "0912345678"
    coop_a.save()
    lot = build_lot(coop_a, code="MAT", households=6, consenting=2, steps=2, gtin=GTIN)
    with tenant(coop_a):
        Certificate.objects.create(
            cooperative=coop_a,
            product=lot.product,
            kind="ocop",
            stars=4,
            number="OCOP-2025-17",
            issuer="UBND tỉnh Tuyên Quang",
            issued_on=TODAY - dt.timedelta(days=300),
            expires_on=TODAY + dt.timedelta(days=700),
        )
        Certificate.objects.create(
            cooperative=coop_a,
            product=None,
            kind="vietgap",
            number="VG-2019-3",
            issuer="Trung tâm chứng nhận",
            issued_on=dt.date(2019, 1, 10),
            expires_on=dt.date(2022, 1, 9),
        )
    return lot


def _raw_of(lot):
    from hoptac.inventory.models import LotInput

    return LotInput.unscoped.select_related("source__product").get(lot=lot).source


def _gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6))


# --- the public page ------------------------------------------------------------------------


def test_trace_page_shows_origin_steps_and_certificates(client, honey_lot):
    response = client.get(f"/t/{honey_lot.public_code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mật ong bạc hà Mèo Vạc" in html and "Mèo Vạc mint honey" in html
    assert honey_lot.code in html
    assert "HTX Tuấn Dũng (test)" in html
    assert 'href="tel:+84912345678"' in html
    assert "https://zalo.me/0912345678" in html
    # 6 households, only the 2 who consented are named
    assert "Làm từ sản phẩm của 6 hộ thành viên" in html
    assert "Hộ MAT số 00" in html and "Hộ MAT số 01" in html
    for i in range(2, 6):
        assert f"Hộ MAT số {i:02d}" not in html
    for village in _villages(3):
        assert village in html
    assert "Mèo Vạc" in html  # the commune of origin
    harvest_from = honey_lot.harvest_from.strftime("%d/%m/%Y")
    harvest_to = honey_lot.harvest_to.strftime("%d/%m/%Y")
    assert harvest_from in html and harvest_to in html
    assert "Bước 1" in html and "Bước 2" in html
    assert honey_lot.production_date.strftime("%d/%m/%Y") in html
    assert honey_lot.best_before.strftime("%d/%m/%Y") in html
    # the valid OCOP certificate and the cooperative's expired VietGAP
    assert "OCOP 4★" in html
    assert "VietGAP" in html
    assert 'class="bad"' in html and "09/01/2022" in html
    assert response["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    assert "<script" not in html.lower()
    assert 'rel="stylesheet"' not in html  # all the CSS is inline


def test_trace_page_in_english_by_query_or_cookie(client, honey_lot, settings):
    response = client.get(f"/t/{honey_lot.public_code}?lang=en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert response["Content-Language"] == "en"
    assert "Best before" in html and "Made from the harvest of 6 member households" in html
    vi = client.get(f"/t/{honey_lot.public_code}").content.decode()
    assert '<html lang="vi">' in vi and "Made from the harvest" not in vi
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Best before" in client.get(f"/t/{honey_lot.public_code}").content.decode()
    # the page never touches the session
    assert "sessionid" not in client.get(f"/t/{honey_lot.public_code}?lang=en").cookies


def test_trace_page_fits_one_round_trip(client, honey_lot):
    response = client.get(f"/t/{honey_lot.public_code}")
    size = _gz(response.content)
    assert size <= 14 * 1024, f"{size} bytes compressed"
    style = response.content.decode().split("<style>")[1].split("</style>")[0]
    assert len(style.encode()) < 2048


def test_gs1_digital_link_resolves_and_bad_gtin_is_404(client, honey_lot):
    response = client.get(f"/01/0{GTIN}/10/{honey_lot.public_code}")
    assert response.status_code == 200
    assert honey_lot.code in response.content.decode()
    # a GTIN-13 in its own form works too
    assert client.get(f"/01/{GTIN}/10/{honey_lot.public_code}").status_code == 200
    bad = client.get(f"/01/08930000000018/10/{honey_lot.public_code}")  # wrong check digit
    assert bad.status_code == 404
    assert client.get(f"/01/0{GTIN}/10/TD-MAT-0000-999").status_code == 404
    # the public code of the lot under another (valid) GTIN is not this lot
    assert client.get(f"/01/{OTHER_GTIN}/10/{honey_lot.public_code}").status_code == 404


def test_sequential_lot_codes_are_not_resolvable_via_gs1(client, honey_lot, coop_a):
    """Finding: /01/<GTIN>/10/TD-MAT-2611-001, -002… listed every lot. The lot code is
    sequential; the Digital Link now carries the random public code, and the internal code
    answers the very page an unknown code answers."""
    with tenant(coop_a):
        second = inventory.finished_lot_create(
            product=honey_lot.product,
            inputs=[(_raw_of(honey_lot), Decimal(5))],
            pack_count=10,
            production_date=honey_lot.production_date,
            best_before=TODAY + dt.timedelta(days=700),
        )
    assert honey_lot.code.endswith("-001") and second.code.endswith("-002")
    unknown = client.get(f"/01/0{GTIN}/10/{honey_lot.code[:-3]}999")
    assert unknown.status_code == 404
    for lot in (honey_lot, second):
        guessed = client.get(f"/01/0{GTIN}/10/{lot.code}")
        assert guessed.status_code == 404
        assert guessed.content == unknown.content  # nothing tells a real lot code from a made-up one
        assert lot.code not in guessed.content.decode()
        # lower case, percent-encoded: still refused
        assert client.get(f"/01/{GTIN}/10/{lot.code.lower()}").status_code == 404
        assert client.get(f"/01/{GTIN}/10/{lot.code.replace('-', '%2D')}").status_code == 404
        # the key in the QR resolves
        found = client.get(f"/01/0{GTIN}/10/{lot.public_code}")
        assert found.status_code == 200 and lot.code in found.content.decode()


def test_new_public_codes_have_60_random_bits(honey_lot):
    from hoptac.inventory.models import PUBLIC_ALPHABET, new_public_code

    codes = {new_public_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 12 and set(code) <= set(PUBLIC_ALPHABET) for code in codes)
    assert len(PUBLIC_ALPHABET) == 32  # 12 × 5 bits
    assert len(honey_lot.public_code) == 12
    # GS1 AI 10 holds at most 20 characters
    assert len(honey_lot.public_code) <= 20


def test_old_labels_resolve_until_best_before_for_flagged_lots_only(client, honey_lot, coop_a):
    """A jar labelled before the change carries /01/<GTIN>/10/<lot code>: it keeps working for
    the lots that existed then (flagged by the migration), until the lot's best-before date."""
    from hoptac.inventory.models import Lot

    old_path = f"/01/0{GTIN}/10/{honey_lot.code}"
    assert client.get(old_path).status_code == 404  # a new lot: never by its code
    Lot.unscoped.filter(pk=honey_lot.pk).update(legacy_gs1_path=True)
    response = client.get(old_path)
    assert response.status_code == 200 and honey_lot.code in response.content.decode()
    assert client.get(f"/01/{OTHER_GTIN}/10/{honey_lot.code}").status_code == 404
    Lot.unscoped.filter(pk=honey_lot.pk).update(best_before=TODAY - dt.timedelta(days=1))
    assert client.get(old_path).status_code == 404
    # the QR of a reprint carries the public code, which still works
    assert client.get(f"/01/0{GTIN}/10/{honey_lot.public_code}").status_code == 200
    assert client.get(f"/t/{honey_lot.public_code}").status_code == 200


def test_migration_flags_the_lots_that_may_carry_an_old_label(honey_lot, coop_a):
    import importlib

    from django.apps import apps

    from hoptac.inventory.models import Lot

    migration = importlib.import_module("hoptac.inventory.migrations.0004_lot_legacy_gs1_path")
    raw = _raw_of(honey_lot)  # its product has no GTIN
    no_gtin = build_lot(coop_a, code="CHE", households=2, steps=0)
    migration.flag_printed_lots(apps, None)
    flagged = set(Lot.unscoped.filter(legacy_gs1_path=True).values_list("pk", flat=True))
    assert flagged == {honey_lot.pk}
    assert raw.pk not in flagged and no_gtin.pk not in flagged


# --- raw lots carry no consumer GTIN ----------------------------------------------------------


@pytest.fixture
def gtin_raw_lot(honey_lot, coop_a):
    """The raw lot of the honey lot, its product given a GTIN as the demo's honey has (one
    product record for the bulk honey and the jar)."""
    raw = _raw_of(honey_lot)
    with tenant(coop_a):
        Product.objects.filter(pk=raw.product_id).update(gtin=RAW_GTIN)
        raw.refresh_from_db()
        raw.product.refresh_from_db()
    return raw


def test_raw_lot_carries_no_gtin_in_qr_export_or_resolver(client, login, chair_a, gtin_raw_lot, honey_lot):
    """Finding: raw bulk lots carried the consumer product's GTIN (GS1: a GTIN names the
    trade item a shopper buys, not a drum of bulk honey)."""
    raw = gtin_raw_lot
    staff = login(chair_a)
    data = staff.get(f"/c/coop-a/trace/lots/{raw.uuid}/export.json").json()
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    assert data["lot"]["kind"] == "raw"
    assert data["product"]["gtin"] is None
    assert data["lot"]["trace_path"] == f"/t/{raw.public_code}"
    assert data["lot"]["trace_url"].endswith(f"/t/{raw.public_code}")
    assert RAW_GTIN not in json.dumps(data) and f"0{RAW_GTIN}" not in json.dumps(data)
    labels = staff.get(f"/c/coop-a/trace/lots/{raw.uuid}/labels/").content.decode()
    assert f"/t/{raw.public_code}" in labels and "/01/" not in labels
    # neither its public code nor its lot code resolves under the GTIN
    assert client.get(f"/01/0{RAW_GTIN}/10/{raw.public_code}").status_code == 404
    assert client.get(f"/01/0{RAW_GTIN}/10/{raw.code}").status_code == 404
    assert client.get(f"/t/{raw.public_code}").status_code == 200
    # the finished lot keeps its product's GTIN
    finished = staff.get(f"/c/coop-a/trace/lots/{honey_lot.uuid}/export.json").json()
    assert finished["product"]["gtin"] == f"0{GTIN}"
    assert finished["lot"]["trace_path"] == f"/01/0{GTIN}/10/{honey_lot.public_code}"


def test_unknown_code_is_a_light_404(client, db):
    response = client.get("/t/ZZZZ2222")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<script" not in html.lower()
    assert len(response.content) < 4096
    assert client.get("/t/%3Cb%3E").status_code == 404


def test_queries_do_not_grow_with_receipts_and_steps(client, coop_a):
    small = build_lot(coop_a, code="AAA", households=2, steps=1)
    large = build_lot(coop_a, code="BBB", households=40, consenting=10, steps=4)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/t/{small.public_code}").status_code == 200
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/t/{large.public_code}")
    assert response.status_code == 200
    assert "40" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries) <= 8


def test_healthz(client, db):
    assert client.get("/healthz").content == b"ok"


# --- export and access -----------------------------------------------------------------------


def test_export_validates_against_the_schema(login, honey_lot, chair_a):
    client = login(chair_a)
    response = client.get(f"/c/coop-a/trace/lots/{honey_lot.uuid}/export.json")
    assert response.status_code == 200
    data = response.json()
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    assert data["version"] == "1.0"
    assert data["lot"]["code"] == honey_lot.code
    assert data["origin"]["households"] == 6
    assert data["origin"]["named_households"] == ["Hộ MAT số 00", "Hộ MAT số 01"]
    assert data["lot"]["production_date"] == honey_lot.production_date.isoformat()
    assert data["origin"]["quantity"] == "75"
    assert {c["status"] for c in data["certificates"]} == {"valid", "expired"}
    assert data["lot"]["trace_url"].endswith(f"/01/0{GTIN}/10/{honey_lot.public_code}")
    # the page says what the export says
    page = client.get(f"/t/{honey_lot.public_code}").content.decode()
    assert all(v in page for v in data["origin"]["villages"])
    # a broken export is refused by the schema
    data["origin"]["quantity"] = 75
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


@pytest.mark.parametrize("suffix", ["labels/", "export.json"])
def test_other_cooperative_gets_404(login, honey_lot, chair_b, suffix):
    client = login(chair_b)
    assert client.get(f"/c/coop-a/trace/lots/{honey_lot.uuid}/{suffix}").status_code == 404
    # nor through its own cooperative's address
    assert client.get(f"/c/coop-b/trace/lots/{honey_lot.uuid}/{suffix}").status_code == 404


def test_labels_need_sign_in(client, honey_lot):
    response = client.get(f"/c/coop-a/trace/lots/{honey_lot.uuid}/labels/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_label_sheet_defaults_and_validation(login, honey_lot, chair_a):
    client = login(chair_a)
    url = f"/c/coop-a/trace/lots/{honey_lot.uuid}/labels/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="label"') == 21
    assert "hoptac/labels.css" in html and "<style" not in html  # styles from files only
    css = client.get(url, {"as": "css"})  # the sheet's own sizes, linked by the page
    assert css["Content-Type"].startswith("text/css")
    assert "@page{size:A4 portrait;margin:7mm}" in css.content.decode()
    assert "grid-template-columns:repeat(3,63.5mm)" in css.content.decode()
    assert "<svg" in html and honey_lot.code in html
    assert honey_lot.best_before.strftime("%d/%m/%Y") in html
    small = client.get(url, {"width": "50", "height": "30", "columns": "2", "rows": "3"})
    assert small.content.decode().count('class="label"') == 6
    too_wide = client.get(url, {"width": "80", "columns": "3"})
    assert too_wide.status_code == 400
    assert "210 mm" in too_wide.content.decode()
    assert 'class="label"' not in too_wide.content.decode()
    assert client.get(url, {"rows": "abc"}).status_code == 400


def test_public_url_setting_is_used_in_labels(login, honey_lot, chair_a, settings):
    settings.PUBLIC_URL = "https://hoptac.example/"
    html = login(chair_a).get(f"/c/coop-a/trace/lots/{honey_lot.uuid}/labels/").content.decode()
    assert f'href="https://hoptac.example/01/0{GTIN}/10/{honey_lot.public_code}"' in html


# --- the printed QR, decoded from a real screenshot --------------------------------------------

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def _screenshot_qr_texts(url: str, session_cookie: str, host: str, png: Path, selector: str) -> list[str]:
    import zxingcpp
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(device_scale_factor=2, locale="vi-VN")
            context.add_cookies([{"name": "sessionid", "value": session_cookie, "url": host}])
            page = context.new_page()
            page.goto(url)
            page.locator(selector).first.screenshot(path=str(png))
        finally:
            browser.close()
    return [result.text for result in zxingcpp.read_barcodes(Image.open(png))]


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["public-code", "gs1-digital-link", "raw-lot"])
def test_label_qr_decodes_to_the_trace_page(client, live_server, coop_a, chair_a, tmp_path, kind):
    """The printed QR carries the unguessable public code (never the sequential lot code) and
    resolves; a raw lot's QR carries no GTIN even when its product has one."""
    assert os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}"
    gtin = "" if kind == "public-code" else GTIN
    lot = build_lot(coop_a, code="QRT", households=3, gtin=gtin)
    if kind == "raw-lot":
        lot = _raw_of(lot)
        with tenant(coop_a):
            Product.objects.filter(pk=lot.product_id).update(gtin=RAW_GTIN)
    client.force_login(chair_a)
    session = client.cookies["sessionid"].value
    png = tmp_path / "label.png"
    texts = _screenshot_qr_texts(
        f"{live_server.url}/c/coop-a/trace/lots/{lot.uuid}/labels/", session, live_server.url, png, ".label"
    )
    assert png.stat().st_size > 0
    expected = (
        f"{live_server.url}/01/0{gtin}/10/{lot.public_code}"
        if kind == "gs1-digital-link"
        else f"{live_server.url}/t/{lot.public_code}"
    )
    assert texts == [expected]
    assert lot.code not in texts[0] and RAW_GTIN not in texts[0]
    client.logout()
    response = client.get(urlparse(texts[0]).path)
    assert response.status_code == 200
    assert lot.code in response.content.decode()


def test_trace_origin_agrees_with_the_inventory_selector(honey_lot, coop_a):
    from hoptac.inventory.selectors import lot_origin
    from hoptac.trace.selectors import trace_data

    data = trace_data(honey_lot)
    with tenant(coop_a):
        origin = lot_origin(honey_lot)
    assert data["origin"]["households"] == origin.households == 6
    assert data["origin"]["named_households"] == origin.named_households
    assert data["origin"]["villages"] == origin.villages
    assert [c["code"] for c in data["origin"]["communes"]] == origin.commune_codes
    assert data["origin"]["quantity"] == str(origin.quantity.normalize())


def test_landline_gets_a_call_link_but_no_zalo(client, honey_lot, coop_a):
    coop_a.phone = "02193871456"
    coop_a.save()
    html = client.get(f"/t/{honey_lot.public_code}").content.decode()
    assert 'href="tel:+842193871456"' in html
    assert "zalo.me" not in html


def test_schema_is_served(client, db):
    response = client.get("/schema/trace-export.schema.json")
    assert response.status_code == 200
    assert response.json()["$id"] == SCHEMA["$id"]

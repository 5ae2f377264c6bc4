"""Printed documents, printed: each page is printed to PDF by the system Chromium (the page's
own CSS page size, as a person's "Print" gives it) and the PDF is read back with pypdf for
its paper size, its number of pages and its text.

- the purchase receipt on an 80 mm roll (and on A5 when asked),
- a short member statement on one A4 page (it printed a blank second page),
- the money slips (cash payout, bank transfer, payout run) on one A4 page each, with the
  cooperative's header (name, address, tax code) and the signatures,
- the daily collection sheet and the label sheet on A4.

One browser for the module (launching Chromium is the slow part); pages are opened signed
in with a session cookie made by the test client, in Vietnamese like everyone; texts are looked up
through the catalogue (``vi``) so that the tests follow the translations.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Browser, sync_playwright
from pypdf import PdfReader

from hoptac.core.tenancy import tenant
from hoptac.ledger import services as ledger
from hoptac.ledger.models import PayoutMethod
from hoptac.offtake import services as offtake
from tests.conftest import make_member

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
MM = 72 / 25.4  # PDF points per millimetre
A4 = (210, 297)
A5 = (148, 210)
AGRIBANK = "970405"

# Every template of a printed document: no <style> block, no style="" attribute (the
# Content-Security-Policy allows styles from files only).
TEMPLATES = Path(__file__).resolve().parent.parent / "hoptac"
PRINT_TEMPLATES = [
    "ledger/templates/ledger/statement.html",
    "ledger/templates/ledger/payout_done.html",
    "ledger/templates/ledger/_signatures.html",
    "ledger/templates/ledger/bank_payout.html",
    "ledger/templates/ledger/run.html",
    "offtake/templates/offtake/receipt_print.html",
    "offtake/templates/offtake/daily_sheet.html",
    "trace/templates/trace/labels.html",
]


@pytest.fixture(scope="module")
def chromium() -> Browser:
    assert os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}: install it or set HOPTAC_CHROMIUM"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def print_pdf(chromium, live_server, client):
    """``print_pdf(user, path)``: the page at ``path`` printed to PDF by ``user``."""
    contexts = []

    def _print(user, path: str) -> PdfReader:
        client.force_login(user)
        context = chromium.new_context(locale="vi-VN")
        contexts.append(context)
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        page.emulate_media(media="print")
        return PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=False)))

    yield _print
    for context in contexts:
        context.close()


def vi(text: str) -> str:
    """What the page shows for the code's string ``text`` (the interface is Vietnamese)."""
    with translation.override("vi"):
        return str(translation.gettext(text))


def size_mm(pdf: PdfReader, page: int = 0) -> tuple[float, float]:
    box = pdf.pages[page].mediabox
    return float(box.width) / MM, float(box.height) / MM


def assert_paper(pdf: PdfReader, paper: tuple[int, int]) -> None:
    width, height = size_mm(pdf)
    assert abs(width - paper[0]) <= 1 and abs(height - paper[1]) <= 1, (width, height)


def text_of(pdf: PdfReader) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)


@pytest.fixture
def header_coop(coop_a):
    """coop_a with everything its header prints: address, tax code, phone."""
    coop_a.tax_code = "0101234567"
    coop_a.phone = "0219388999"
    coop_a.street = "Tổ 1"
    coop_a.save()
    return coop_a


def assert_coop_header(text: str, coop) -> None:
    assert coop.name in text
    assert coop.tax_code in text
    assert coop.commune_name in text  # the address


# --- the templates ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRINT_TEMPLATES)
def test_print_templates_have_no_inline_style(name):
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    assert "<style" not in source
    assert not re.search(r"\sstyle=", source)
    assert "onclick" not in source


# --- the 80 mm receipt ---------------------------------------------------------------------------


@pytest.fixture
def receipt(header_coop, collector_a, member_a):
    since = timezone.now() - dt.timedelta(days=10)
    with tenant(header_coop):
        from hoptac.catalog import services as catalog

        honey = catalog.product_create(name="Mật ong bạc hà", code="MAT", base_unit="l")
        offtake.price_set(product=honey, grade=1, price_vnd=500_000, effective_from=since)
        return offtake.receipt_record(
            member=member_a,
            collected_at=timezone.now() - dt.timedelta(hours=1),
            collector=collector_a,
            lines=[offtake.LineInput(product=honey, quantity=Decimal("3.5"), unit="l", grade=1)],
        )


def test_receipt_prints_on_an_80_mm_roll(print_pdf, receipt, collector_a):
    """It printed on US Letter: ``@page{size:80mm auto}`` is invalid CSS, so the browser
    used its default paper."""
    pdf = print_pdf(collector_a, f"/c/coop-a/buying/receipts/{receipt.uuid}/print/")
    width, height = size_mm(pdf)
    assert abs(width - 80) <= 1, width
    assert 100 <= height <= 300, height
    assert len(pdf.pages) == 1
    text = text_of(pdf)
    assert receipt.code in text and "1.750.000" in text


def test_receipt_prints_on_a5_when_asked(print_pdf, receipt, collector_a):
    pdf = print_pdf(collector_a, f"/c/coop-a/buying/receipts/{receipt.uuid}/print/?paper=a5")
    assert_paper(pdf, A5)
    assert len(pdf.pages) == 1


# --- the statement ------------------------------------------------------------------------------


def test_short_statement_is_one_a4_page(print_pdf, header_coop, accountant_a, member_a):
    """A statement of three lines printed a blank second page."""
    with tenant(header_coop):
        ledger.adjustment_record(member=member_a, payable_delta=1_000_000, reason="Số dư đầu kỳ")
        ledger.advance_give(member=member_a, amount=200_000, memo="Tạm ứng phân bón")
        ledger.payout_make(member=member_a, amount=300_000, method=PayoutMethod.CASH, memo="Chi tiền mặt")
    pdf = print_pdf(accountant_a, f"/c/coop-a/ledger/members/{member_a.uuid}/statement/")
    assert_paper(pdf, A4)
    assert len(pdf.pages) == 1
    text = text_of(pdf)
    assert_coop_header(text, header_coop)
    assert member_a.full_name in text and "Tạm ứng phân bón" in text
    for role in ("Chief accountant", "Member"):
        assert vi(role) in text, role
    # the statement's maker signs as "Người lập biểu", the slips' as "Người lập phiếu"
    with translation.override("vi"):
        assert translation.pgettext("statement", "Prepared by") in text


# --- the money slips ----------------------------------------------------------------------------


def test_cash_payout_slip_is_one_page_with_header_and_signatures(
    print_pdf, header_coop, accountant_a, member_a
):
    with tenant(header_coop):
        ledger.adjustment_record(member=member_a, payable_delta=800_000, reason="Số dư đầu kỳ")
        result = ledger.payout_make(member=member_a, amount=500_000, method=PayoutMethod.CASH, memo="Chi")
    pdf = print_pdf(accountant_a, f"/c/coop-a/ledger/payouts/{result.code}/")
    assert_paper(pdf, A4)
    assert len(pdf.pages) == 1
    text = text_of(pdf)
    assert_coop_header(text, header_coop)
    assert vi("PAYOUT SLIP") in text and "500.000" in text
    for role in ("Director", "Chief accountant", "Cashier", "Prepared by", "Recipient"):
        assert vi(role) in text, role


@pytest.fixture
def banked(header_coop):
    member = make_member(
        header_coop, full_name="Sùng Thị Mỷ", bank_bin=AGRIBANK, bank_account="0073002051234"
    )
    with tenant(header_coop):
        ledger.adjustment_record(member=member, payable_delta=2_000_000, reason="Số dư đầu kỳ")
    return member


def test_bank_transfer_slip_has_the_header_and_signatures(print_pdf, header_coop, accountant_a, banked):
    """The bank-transfer slip had neither the cooperative's header nor signatures."""
    with tenant(header_coop):
        payout = ledger.payout_prepare(member=banked, amount=1_500_000, actor=accountant_a)
    pdf = print_pdf(accountant_a, f"/c/coop-a/ledger/payouts/{payout.code}/")
    assert_paper(pdf, A4)
    assert len(pdf.pages) == 1
    text = text_of(pdf)
    assert_coop_header(text, header_coop)
    assert vi("BANK TRANSFER SLIP") in text and payout.code in text and "1.500.000" in text
    assert "0073002051234" in text and banked.full_name in text
    for role in ("Prepared by", "Chief accountant", "Director"):
        assert vi(role) in text, role
    # What is only for the screen is not printed: the confirm and cancel forms, the history.
    assert vi("Confirm the transfer") not in text and vi("History") not in text


def test_payout_run_prints_on_one_page_with_header_and_signatures(
    print_pdf, header_coop, accountant_a, banked
):
    other = make_member(header_coop, full_name="Giàng A Sử", bank_bin=AGRIBANK, bank_account="0073002059999")
    with tenant(header_coop):
        ledger.adjustment_record(member=other, payable_delta=700_000, reason="Số dư đầu kỳ")
        result = ledger.payout_run_create(
            items=[ledger.RunItem(member=banked), ledger.RunItem(member=other)], actor=accountant_a
        )
    pdf = print_pdf(accountant_a, f"/c/coop-a/ledger/runs/{result.run.number}/")
    assert_paper(pdf, A4)
    assert len(pdf.pages) == 1
    text = text_of(pdf)
    assert_coop_header(text, header_coop)
    assert result.run.code in text and banked.full_name in text and other.full_name in text
    for role in ("Prepared by", "Chief accountant", "Director"):
        assert vi(role) in text, role


# --- the daily sheet and the labels ----------------------------------------------------------------


def test_daily_sheet_prints_on_one_a4_page(print_pdf, receipt, accountant_a):
    day = timezone.localdate(receipt.collected_at)
    pdf = print_pdf(accountant_a, f"/c/coop-a/buying/reports/daily/?day={day:%Y-%m-%d}")
    assert_paper(pdf, A4)
    assert len(pdf.pages) == 1
    text = text_of(pdf)
    assert receipt.member.full_name in text and "1.750.000" in text
    for role in ("Collector", "Accountant", "Director"):
        assert vi(role) in text, role


def test_label_sheet_prints_on_one_a4_page(print_pdf, header_coop, chair_a):
    from tests.test_trace import build_lot

    lot = build_lot(header_coop, code="PRN", households=2)
    pdf = print_pdf(chair_a, f"/c/coop-a/trace/lots/{lot.uuid}/labels/")
    assert_paper(pdf, A4)
    assert len(pdf.pages) == 1
    assert text_of(pdf).count(lot.code) == 21  # 3 columns × 7 rows

"""The alliance in a real browser (issue 15's quality bar): the officer imports the
directory, invites a chair; the chair opens the link of the SMS (read from the outbox, as
the gateway would send it), sets a password and sees an empty cooperative ready to use.
And the alliance's pages pass the interface crawl's checks (overflow, tap targets, axe)
at 360 px and 1280 px."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from hoptac.coops.models import Cooperative
from hoptac.federation.models import DirectoryEntry, JoinRequest
from hoptac.outbox.models import Message
from tests.conftest import PASSWORD
from tests.test_browser import _context, chromium  # noqa: F401 (fixture)
from tests.test_ui_crawl import AXE_SOURCE, VIEWPORTS, check_page, storage_state

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).parent / "files" / "alliance-directory.xlsx"
LINK = re.compile(r"https?://\S+(/invitation/[\w-]+/)")


def test_officer_imports_invites_and_the_chair_signs_in_from_the_sms(chromium, live_server, officer):  # noqa: F811
    context = _context(chromium)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("main input[name=identifier]").fill("0919 000 101")
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.goto(f"{live_server.url}/alliance/import/")
    page.locator("input[name=file]").set_input_files(str(SAMPLE))
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/alliance/\?province=8$"))
    assert DirectoryEntry.objects.count() == 8
    page.locator("main table a", has_text="HTX Mật ong bạc hà Mèo Vạc").click()
    # The chair's name and phone come from the directory; the short address is suggested.
    expect(page.locator("input[name=chair_name]")).to_have_value("Vàng Mí Lử")
    expect(page.locator("input[name=slug]")).to_have_value("mat-ong-bac-ha-meo-vac")
    page.locator("form[action$='/start/'] button[type=submit]").click()
    expect(page.locator("main .badge-ok")).to_be_visible()
    context.close()

    message = Message.unscoped.get(source_type="invitation", to_phone="0912111002")
    link = LINK.search(message.text).group(1)
    chair_context = _context(chromium)
    chair = chair_context.new_page()
    chair.goto(live_server.url + link)
    chair.locator("input[name=password1]").fill("mat-ong-2025!")
    chair.locator("input[name=password2]").fill("mat-ong-2025!")
    chair.locator("main form button[name=action][value=create]").click()
    expect(chair).to_have_url(re.compile(r"/c/mat-ong-bac-ha-meo-vac/$"))
    expect(chair.locator(".appbar-coop")).to_contain_text("HTX Mật ong bạc hà Mèo Vạc")
    # Empty and ready: the member list opens, with the first-member action.
    chair.goto(f"{live_server.url}/c/mat-ong-bac-ha-meo-vac/members/")
    expect(chair.locator("main a[href$='/members/new/']").first).to_be_visible()
    chair_context.close()
    coop = Cooperative.objects.get(slug="mat-ong-bac-ha-meo-vac")
    assert coop.staff_memberships.get().user.phone == "0912111002"


def test_the_alliance_pages_fit_a_phone_and_a_desktop(chromium, live_server, officer, coop_a):  # noqa: F811
    client = Client()
    client.force_login(officer)
    client.post("/alliance/import/", {"file": SAMPLE.open("rb")})
    staged = client.post(
        "/alliance/import/",
        {"file": _one_row_file("HTX Chè Shan Tuyết Lũng Phìn", "Mèo Vạc")},
    )
    entry = DirectoryEntry.objects.get(tax_code="5100123401")
    Client().post(
        "/join/",
        {
            "name": "HTX Chè Cổ Thụ",
            "kind": "htx",
            "province": "8",
            "commune": "Cao Bồ",
            "chair_name": "Triệu Văn Sơn",
            "phone": "0913222333",
        },
    )
    join_request = JoinRequest.objects.get()
    officer_pages = [
        "/alliance/",
        "/alliance/import/",
        staged["Location"],
        f"/alliance/entry/{entry.code}/",
        "/alliance/requests/",
        f"/alliance/requests/{join_request.code}/",
    ]
    public_pages = ["/join/", f"/join/{join_request.code}/"]
    failures = []
    for viewport, options in VIEWPORTS.items():
        for role, pages, state in (
            ("officer", officer_pages, storage_state(client, live_server.url)),
            ("public", public_pages, None),
        ):
            # As in the crawl: the strict CSP would refuse the injected axe script.
            context = _context(chromium, storage_state=state, bypass_csp=True, **options)
            page = context.new_page()
            for url in pages:
                response = page.goto(live_server.url + url, wait_until="load")
                assert response.status == 200, (url, response.status)
                page.add_script_tag(content=AXE_SOURCE)
                failures += check_page(page, viewport, role, url)
            context.close()
    assert not failures, "\n".join(
        f"[{f['viewport']}] {f['page']} {f['rule']}: {f['element']} {f['detail']}" for f in failures
    )


def _one_row_file(name: str, commune: str):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Tên HTX", "Loại hình", "Xã/phường"])
    book.active.append([name, "HTX", commune])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("one.xlsx", out.getvalue())

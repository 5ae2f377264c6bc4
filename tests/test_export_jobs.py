"""Large exports through the worker (docs/architecture.md, "Large exports in the worker").

With ``EXPORTS["INLINE_ROWS"]`` at 0 every export of a whole set is a job: the GET offers
it, the POST asks for it, the worker (here called directly: ``HOPTAC_WORKER=off``) writes
it, the page then links to a private file for the asker only. Checked for each kind: the
file is right and its user text is text; another cooperative, another person of the same
cooperative and a role that lost the permission get nothing; an expired file is gone."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from hoptac.accounts.services import membership_set
from hoptac.core import exports
from hoptac.core.models import ExportJob, ExportState
from hoptac.core.roles import Role
from hoptac.core.services import export_job_run, export_jobs_sweep
from hoptac.core.tenancy import tenant
from hoptac.lib import xlsx
from tests.conftest import make_member
from tests.test_xlsx_exports import NS, sheets, texts

EVIL = '=HYPERLINK("http://evil.example/x","EVIL-name")'


@pytest.fixture(autouse=True)
def _every_export_is_a_job(settings):
    settings.EXPORTS = {**settings.EXPORTS, "INLINE_ROWS": 0}
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off"}
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def bought(coop_a, accountant_a):
    """A member with a hostile name who sold once in a season and had an advance."""
    from hoptac.catalog.models import Product
    from hoptac.ledger import services as ledger
    from hoptac.offtake import services as offtake

    member = make_member(coop_a, full_name=EVIL, phone="0912000777")
    today = timezone.localdate()
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Chè Shan tuyết", code="CHE", base_unit="kg")
        offtake.price_set(product=product, grade=1, price_vnd=50_000, effective_from=timezone.now() - dt.timedelta(days=1))
        season = offtake.season_create(
            product=product, name="Vụ xuân", starts_on=today - dt.timedelta(days=5), ends_on=today + dt.timedelta(days=30)
        )
        offtake.receipt_record(
            member=member,
            collected_at=timezone.now(),
            lines=[offtake.LineInput(product=product, quantity=Decimal(4), unit="kg")],
        )
        ledger.advance_give(member=member, amount=50_000, memo="Tạm ứng phân bón", actor=accountant_a)
    month = f"?start={today.replace(day=1):%Y-%m-%d}&end={today:%Y-%m-%d}"
    return {
        "members": "/c/coop-a/members/export.xlsx",
        "purchase_list": f"/c/coop-a/buying/reports/purchase-list.xlsx{month}",
        "season_summary": f"/c/coop-a/buying/seasons/{season.pk}/summary.xlsx",
        "statement": f"/c/coop-a/ledger/members/{member.uuid}/statement.xlsx{month}",
    }


def ask(client, url: str) -> ExportJob:
    offer = client.get(url)
    assert offer.status_code == 200 and offer["Content-Type"].startswith("text/html"), url
    assert "Prepare the file" in offer.content.decode()
    response = client.post(url)
    assert response.status_code == 302, (url, response.status_code)
    job = ExportJob.unscoped.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert response["Location"] == f"/c/coop-a/exports/{job.pk}/"
    return job


@pytest.mark.parametrize("kind", ["members", "purchase_list", "season_summary", "statement"])
def test_each_large_export_goes_through_the_worker_to_a_private_file(kind, login, chair_a, bought):
    client = login(chair_a)
    job = ask(client, bought[kind])
    assert job.kind == kind and job.state == ExportState.QUEUED and job.requested_by == chair_a
    page = client.get(f"/c/coop-a/exports/{job.pk}/").content.decode()
    assert "Waiting for the worker" in page and 'http-equiv="refresh"' in page and "<progress" in page
    assert client.get(f"/c/coop-a/exports/{job.pk}/?status=json").json()["state"] == "queued"
    assert client.get(f"/c/coop-a/exports/{job.pk}/file").status_code == 404  # not written yet

    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ExportState.DONE and job.rows_done == job.rows_total >= 1, (job.rows_done, job.rows_total)
    assert Path(job.file_name).parts[0] == exports.FOLDER
    page = client.get(f"/c/coop-a/exports/{job.pk}/").content.decode()
    assert "Download the file" in page and 'http-equiv="refresh"' not in page
    response = client.get(f"/c/coop-a/exports/{job.pk}/file")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert job.download_name in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert "EVIL-name" in texts(content), kind
    for part, root in sheets(content).items():
        formulas = [f.text or "" for f in root.iter(f"{{{NS['m']}}}f")]
        assert not [f for f in formulas if "EVIL" in f], (part, formulas)
        assert root.find("m:pageSetup", NS).get("paperSize") == "9", part
    # Asking again for the same export (a double click, the back button) gives the same job.
    assert client.post(bought[kind])["Location"] == f"/c/coop-a/exports/{job.pk}/"


def test_a_small_export_is_still_answered_at_once(settings, login, chair_a, bought):
    settings.EXPORTS = {**settings.EXPORTS, "INLINE_ROWS": 2000}
    response = login(chair_a).get(bought["members"])
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    assert "EVIL-name" in texts(response.content)
    assert not ExportJob.unscoped.exists()


def test_only_the_asker_of_this_cooperative_gets_the_job(client, login, chair_a, accountant_a, chair_b, officer, bought):
    job = ask(login(chair_a), bought["members"])
    export_job_run(job_id=job.pk)
    for other in (accountant_a, officer):  # same cooperative, another person
        other_client = login(other)
        assert other_client.get(f"/c/coop-a/exports/{job.pk}/").status_code == 404
        assert other_client.get(f"/c/coop-a/exports/{job.pk}/file").status_code == 404
    # Another cooperative: through its own address, or through this one's.
    other_coop = login(chair_b)
    assert other_coop.get(f"/c/coop-b/exports/{job.pk}/file").status_code == 404
    assert other_coop.get(f"/c/coop-a/exports/{job.pk}/file").status_code == 404
    client.logout()
    assert client.get(f"/c/coop-a/exports/{job.pk}/file").status_code == 302  # to sign in


def test_a_role_without_the_permission_is_refused(login, accountant_a, collector_a, coop_a, bought):
    # The collector may not ask for the purchase list (it names sellers with addresses)…
    assert login(collector_a).post(bought["purchase_list"]).status_code == 403
    # …and an accountant whose role changed since asking may not download the statement.
    client = login(accountant_a)
    job = ask(client, bought["statement"])
    export_job_run(job_id=job.pk)
    assert client.get(f"/c/coop-a/exports/{job.pk}/file").status_code == 200
    membership_set(user=accountant_a, cooperative=coop_a, role=Role.COLLECTOR)
    assert client.get(f"/c/coop-a/exports/{job.pk}/file").status_code == 403


def test_the_officer_export_has_no_personal_columns_and_needs_no_personal_permission(login, officer, bought):
    client = login(officer)
    job = ask(client, bought["members"])
    assert job.perms == ["member.export"] and job.params["personal"] is False
    export_job_run(job_id=job.pk)
    content = b"".join(client.get(f"/c/coop-a/exports/{job.pk}/file").streaming_content)
    assert "0912000777" not in texts(content)


def test_an_expired_file_is_deleted_and_the_page_says_so(login, chair_a, bought, settings):
    client = login(chair_a)
    job = ask(client, bought["season_summary"])
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    path = Path(settings.PRIVATE_MEDIA_ROOT) / job.file_name
    assert path.is_file()
    assert export_jobs_sweep(now=job.expires_at - dt.timedelta(minutes=1))["expired"] == 0
    assert export_jobs_sweep(now=job.expires_at + dt.timedelta(minutes=1))["expired"] == 1
    job.refresh_from_db()
    assert job.state == ExportState.EXPIRED and not path.exists()
    assert client.get(f"/c/coop-a/exports/{job.pk}/file").status_code == 404
    assert "deleted after its time" in client.get(f"/c/coop-a/exports/{job.pk}/").content.decode()
    # A month later the job itself is forgotten.
    assert export_jobs_sweep(now=timezone.now() + dt.timedelta(days=exports.PURGE_DAYS + 1))["purged"] == 1


def test_a_failing_writer_leaves_a_failed_job_and_no_file(login, chair_a, coop_a, settings):
    def broken(params, *, target, progress=None):
        target.write(b"half a file")
        raise RuntimeError("disk full")

    exports.register("broken", label="Broken", write=broken)
    try:
        from hoptac.core.services import export_job_request

        with tenant(coop_a):
            job = export_job_request(
                kind="broken", params={}, perms=[], download_name="x.xlsx", rows_total=1, actor=chair_a
            )
        export_job_run(job_id=job.pk)
        assert export_job_run(job_id=job.pk) is None  # claimed once only
    finally:
        exports._KINDS.pop("broken")
    job.refresh_from_db()
    assert job.state == ExportState.FAILED and not job.file_name
    assert not list((Path(settings.PRIVATE_MEDIA_ROOT) / exports.FOLDER).rglob("*"))[1:]  # no file left
    assert "could not be written" in login(chair_a).get(f"/c/coop-a/exports/{job.pk}/").content.decode()


# --- the streaming writer ------------------------------------------------------------------------


def test_the_streaming_writer_keeps_text_as_text_and_shares_styles():
    book = xlsx.stream_workbook()
    sheet = book.sheet("Rows")
    xlsx.header_row(sheet, 1, [("Name", 20), ("Amount", 12)])
    for row in range(2, 502):
        xlsx.text(sheet, row, 1, EVIL)
        xlsx.put(sheet, row, 2, row, number_format=xlsx.MONEY)
    xlsx.formula(sheet, 502, 2, "SUM(B2:B501)")
    xlsx.page_setup(sheet, landscape=True, title="T", repeat_rows=(1, 1))
    content = xlsx.save(book)
    xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert xml.count("<f>") == 1 and "<f>SUM(B2:B501)</f>" in xml
    assert xml.count('t="inlineStr"') == 502
    styles = zipfile.ZipFile(io.BytesIO(content)).read("xl/styles.xml").decode()
    assert styles.count('<cellStyle name="hoptac-') == 3  # header, text, money: one each
    with pytest.raises(ValueError):
        sheet.cell(row=2, column=1)  # written out already: rows go in order


def test_a_row_far_behind_cannot_be_changed_once_written():
    book = xlsx.stream_workbook()
    sheet = book.sheet("Rows")
    for row in range(1, sheet.WINDOW + 5):
        xlsx.put(sheet, row, 1, row)
    with pytest.raises(ValueError):
        xlsx.put(sheet, 1, 2, "late")
    assert zipfile.ZipFile(io.BytesIO(xlsx.save(book))).read("xl/worksheets/sheet1.xml").count(b"<row ") == (
        sheet.WINDOW + 4
    )

"""Backup and restore (issue 9, item 10): one archive that restores to the same data, taken
while others write; tampered or truncated archives and non-empty targets are refused; the
worker's daily backup with the chair's retention; the dashboard warning.

On the PostgreSQL half of CI the same tests go through pg_dump / pg_restore into a fresh
database."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.coops.models import Cooperative
from hoptac.core import backup
from hoptac.core.tenancy import tenant
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Receipt, ReceiptLine
from tests.conftest import make_member, opened

POSTGRES = connection.vendor == "postgresql"


# --- helpers --------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_target(tmp_path: Path):
    """An empty restore target: a data directory, and on PostgreSQL a new empty database
    (dropped afterwards)."""
    data_dir = tmp_path / f"restored-{uuid.uuid4().hex[:6]}"
    if not POSTGRES:
        yield data_dir, {"ENGINE": "django.db.backends.sqlite3", "NAME": str(data_dir / "hoptac.sqlite3")}
        return
    config = dict(connection.settings_dict)
    name = f"{config['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield data_dir, {**config, "NAME": name}
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _restored_receipts(database: dict) -> tuple[set[int], dict[int, int]]:
    """Receipt ids, and lines per receipt, in a restored database."""
    with backup.database_alias(database) as alias:
        ids = set(Receipt.unscoped.using(alias).values_list("id", flat=True))
        lines: dict[int, int] = {}
        for receipt_id in ReceiptLine.unscoped.using(alias).values_list("receipt_id", flat=True):
            lines[receipt_id] = lines.get(receipt_id, 0) + 1
        if not POSTGRES:
            with connections[alias].cursor() as cursor:
                cursor.execute("PRAGMA integrity_check")
                assert cursor.fetchone()[0] == "ok"
    return ids, lines


@pytest.fixture
def tea(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Chè búp tươi", code="CHE", base_unit="kg")
        offtake.price_set(
            product=product, grade=1, price_vnd=25_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
    return product


def _line(tea, kg="2.5"):
    return offtake.LineInput(product=tea, quantity=Decimal(kg), unit="kg", grade=1)


# --- (a) a backup while four threads write receipts ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_backup_while_four_threads_write_receipts_restores_what_was_acknowledged(coop_a, tea, tmp_path):
    member = make_member(coop_a, full_name="Thào Mí Dính", phone=None)
    acked: list[int] = []  # receipts whose receipt_record returned (committed)
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer():
        try:
            with tenant(coop_a):
                while not stop.is_set():
                    receipt = offtake.receipt_record(
                        member=member,
                        collected_at=timezone.now(),
                        lines=[_line(tea), _line(tea, "1")],
                        notify=False,
                    )
                    with lock:
                        acked.append(receipt.pk)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        deadline = timezone.now() + dt.timedelta(seconds=60)
        while len(acked) < 12 and timezone.now() < deadline and not errors:
            stop.wait(0.05)
        with lock:
            before = set(acked)
        result = backup.backup_create(output_dir=tmp_path / "out")
        with lock:
            during = len(acked)
        # Let the writers go on after the backup, so some receipts are certainly not in it.
        while len(acked) < during + 4 and timezone.now() < deadline and not errors:
            stop.wait(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    assert len(before) >= 12
    committed = set(Receipt.unscoped.values_list("id", flat=True))
    assert committed == set(acked)

    with fresh_target(tmp_path) as (data_dir, database):
        backup.archive_restore(archive=result.path, data_dir=data_dir, database=database)
        restored, lines = _restored_receipts(database)
    assert before <= restored, "a receipt acknowledged before the backup began is missing"
    assert restored <= committed
    assert restored != committed, "the writers wrote nothing after the backup: the test proves little"
    assert all(lines.get(pk) == 2 for pk in restored), "a receipt without its two lines: half-written"
    assert result.manifest["rows"]["offtake.receipt"] == len(restored)


# --- (b) backup -> restore -> backup gives the same data checksum -----------------------------


@pytest.mark.django_db(transaction=True)
def test_backup_restore_backup_gives_the_same_data_checksum(coop_a, coop_b, member_a, tea, tmp_path):
    with tenant(coop_a):
        offtake.receipt_record(member=member_a, collected_at=timezone.now(), lines=[_line(tea, "12.5")])
    media = Path(settings.MEDIA_ROOT)
    (media / "coops" / "logos").mkdir(parents=True, exist_ok=True)
    (media / "coops" / "logos" / "logo.png").write_bytes(b"\x89PNG fake logo")
    private = Path(settings.PRIVATE_MEDIA_ROOT) / "certificates"
    private.mkdir(parents=True, exist_ok=True)
    (private / "scan.pdf").write_bytes(b"%PDF-1.4 private scan")
    first = backup.backup_create(output_dir=tmp_path / "one")

    assert oct(first.path.stat().st_mode & 0o777) == "0o600"
    manifest = first.manifest
    assert manifest["version"] == backup.app_version()
    assert manifest["database"]["vendor"] == connection.vendor
    with tarfile.open(first.path) as archive:
        names = archive.getnames()
        assert names[0] == "manifest.json"
        assert set(names[1:]) == set(manifest["files"])
        assert archive.extractfile("secret_key").read().decode() == settings.SECRET_KEY
    assert "media/coops/logos/logo.png" in manifest["files"]
    assert "private/certificates/scan.pdf" in manifest["files"]  # the private uploads too
    assert manifest["rows"]["coops.cooperative"] == 2
    assert manifest["data_checksum"] == backup.data_checksum()[0]

    with fresh_target(tmp_path) as (data_dir, database):
        restored = backup.archive_restore(archive=first.path, data_dir=data_dir, database=database)
        assert restored["data_checksum"] == first.data_checksum
        assert (data_dir / "media" / "coops" / "logos" / "logo.png").read_bytes() == b"\x89PNG fake logo"
        assert (data_dir / "private" / "certificates" / "scan.pdf").read_bytes() == b"%PDF-1.4 private scan"
        assert (data_dir / "secret_key").read_text() == settings.SECRET_KEY
        assert oct((data_dir / "secret_key").stat().st_mode & 0o777) == "0o600"
        with backup.database_alias(database) as alias:
            second = backup.backup_create(
                output_dir=tmp_path / "two",
                using=alias,
                media_root=data_dir / "media",
                private_root=data_dir / "private",
                data_dir=data_dir,
            )
    assert second.data_checksum == first.data_checksum
    assert second.manifest["rows"] == first.manifest["rows"]
    for name in ("media/coops/logos/logo.png", "private/certificates/scan.pdf", "secret_key"):
        assert second.manifest["files"][name]["sha256"] == first.manifest["files"][name]["sha256"]
    # A change in one row changes the data checksum.
    Cooperative.objects.filter(pk=coop_b.pk).update(name="HTX khác")
    assert backup.data_checksum()[0] != first.data_checksum


# --- (c) refused: tampered, truncated, not ours, non-empty target -----------------------------


def _rewrite(path: Path, target: Path, change) -> Path:
    """Copy an archive member by member through ``change(name, data) -> data | None``."""
    with tarfile.open(path) as source, tarfile.open(target, "w:gz") as out:
        for info in source.getmembers():
            data = change(info.name, source.extractfile(info).read())
            if data is None:
                continue
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


@pytest.mark.django_db(transaction=True)
def test_a_tampered_or_truncated_archive_is_refused_and_nothing_is_written(coop_a, member_a, tmp_path):
    good = backup.backup_create(output_dir=tmp_path / "out").path
    database_member = backup.PG_MEMBER if POSTGRES else backup.SQLITE_MEMBER

    def flip(name, data):
        if name == database_member:
            return data[:-10] + bytes(b ^ 0xFF for b in data[-10:])
        return data

    cases = {
        "changed": (_rewrite(good, tmp_path / "changed.tar.gz", flip), "checksum"),
        "missing": (
            _rewrite(good, tmp_path / "missing.tar.gz", lambda n, d: None if n.startswith("secret") else d),
            "incomplete",
        ),
        "manifest edited": (
            _rewrite(
                good,
                tmp_path / "edited.tar.gz",
                lambda n, d: d.replace(b'"format": 1', b'"format": 9') if n == "manifest.json" else d,
            ),
            "format",
        ),
    }
    # An extra member not in the manifest.
    extra = tmp_path / "extra.tar.gz"
    with tarfile.open(good) as source, tarfile.open(extra, "w:gz") as out:
        for info in source.getmembers():
            out.addfile(info, source.extractfile(info))
        info = tarfile.TarInfo("media/evil.sh")
        info.size = 4
        out.addfile(info, io.BytesIO(b"boom"))
    cases["extra"] = (extra, "does not list")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    cases["truncated"] = (truncated, "damaged or truncated")
    not_gzip = tmp_path / "notes.tar.gz"
    not_gzip.write_bytes(b"hello")
    cases["not an archive"] = (not_gzip, "damaged or truncated")
    plain = tmp_path / "plain.tar.gz"
    with tarfile.open(plain, "w:gz") as out:
        info = tarfile.TarInfo("hello.txt")
        info.size = 2
        out.addfile(info, io.BytesIO(b"hi"))
    cases["not ours"] = (plain, "not a Hợp Tác backup")

    for label, (archive, words) in cases.items():
        with fresh_target(tmp_path) as (data_dir, database):
            with pytest.raises(backup.RestoreError) as refused:
                backup.archive_restore(archive=archive, data_dir=data_dir, database=database)
            assert words in str(refused.value), (label, str(refused.value))
            assert not (data_dir / "hoptac.sqlite3").exists(), label
            assert not (data_dir / "secret_key").exists(), label
            if POSTGRES:
                assert backup.target_problems(data_dir=data_dir, database=database) == []
    gzip.decompress(good.read_bytes())  # the original is untouched and whole
    assert backup.archive_verify(good)["data_checksum"] == backup.data_checksum()[0]


@pytest.mark.django_db(transaction=True)
def test_restore_into_a_non_empty_target_is_refused(coop_a, tmp_path):
    archive = backup.backup_create(output_dir=tmp_path / "out").path
    with fresh_target(tmp_path) as (data_dir, database):
        backup.archive_restore(archive=archive, data_dir=data_dir, database=database)
        secret = (data_dir / "secret_key").read_bytes()
        with pytest.raises(backup.RestoreError, match="not empty"):
            backup.archive_restore(archive=archive, data_dir=data_dir, database=database)
        assert (data_dir / "secret_key").read_bytes() == secret
    # Media already present is enough to refuse.
    other = tmp_path / "other"
    (other / "media").mkdir(parents=True)
    (other / "media" / "photo.jpg").write_bytes(b"jpg")
    with (
        fresh_target(tmp_path) as (_data_dir, database),
        pytest.raises(backup.RestoreError, match="media folder is not empty"),
    ):
        backup.archive_restore(archive=archive, data_dir=other, database=database)
    # A backup of one database vendor is not restored into the other.
    wrong = (
        {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "x" / "hoptac.sqlite3")}
        if POSTGRES
        else {**connection.settings_dict, "ENGINE": "django.db.backends.postgresql"}
    )
    with pytest.raises(backup.RestoreError, match="HOPTAC_DATABASE_URL"):
        backup.archive_restore(archive=archive, data_dir=tmp_path / "x", database=wrong)


@pytest.mark.django_db(transaction=True)
def test_the_commands_back_up_and_restore_and_check_the_data(coop_a, member_a, tmp_path, capsys, backup_dir):
    """``hoptac backup`` in this process, ``hoptac restore`` as the command a person types,
    into an empty data directory (and, on PostgreSQL, an empty database)."""
    from hoptac import cli

    cli.main(["backup", "--output", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert "0600" in printed
    (archive,) = (tmp_path / "out").glob("hoptac-backup-*.tar.gz")
    with fresh_target(tmp_path) as (target, database):
        env = {k: v for k, v in os.environ.items() if k not in ("HOPTAC_DATABASE_URL", "HOPTAC_SECRET_KEY")}
        env["HOPTAC_DATA_DIR"] = str(target)
        if POSTGRES:
            host = database.get("HOST") or "127.0.0.1"
            port = database.get("PORT") or 5432
            env["HOPTAC_DATABASE_URL"] = f"postgres://{database['USER']}@{host}:{port}/{database['NAME']}"
        command = [sys.executable, "-m", "hoptac.cli", "restore", str(archive), "--data-dir", str(target)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
        assert done.returncode == 0, done.stderr
        assert "data checksum verified" in done.stdout
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
        assert again.returncode != 0
        assert "not empty" in again.stderr
    assert backup.status_read()["ok"]["path"] == str(archive)


# --- the daily backup, the retention, the dashboard ------------------------------------------


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.BACKUP = {"DIR": tmp_path / "usb", "DAILY": True}
    return tmp_path / "usb"


@pytest.mark.django_db(transaction=True)
def test_daily_backup_keeps_the_chairs_number_and_records_failures(coop_a, coop_b, backup_dir, monkeypatch):
    from hoptac.outbox.tasks import backup_task

    Cooperative.objects.filter(pk=coop_a.pk).update(backup_keep=2)
    Cooperative.objects.filter(pk=coop_b.pk).update(backup_keep=1)
    (backup_dir).mkdir()
    (backup_dir / "notes.txt").write_text("not ours")
    first = backup_task.call_local()
    assert first and Path(first).exists()
    assert backup_task.call_local() == "", "a second backup within the day"
    made = [first]
    for _ in range(2):
        made.append(str(backup.backup_daily(keep=2, force=True).path))
    left = sorted(p.name for p in backup_dir.iterdir())
    assert left == sorted([Path(made[-2]).name, Path(made[-1]).name, "notes.txt"])
    health = backup.backup_health()
    assert (health.state, health.path, health.folder) == ("ok", made[-1], str(backup_dir))
    # The disk is gone: the failure is recorded, nothing raised.
    monkeypatch.setitem(settings.BACKUP, "DIR", backup_dir / "notes.txt" / "sub")
    assert backup.backup_daily(keep=2, force=True) is None
    health = backup.backup_health()
    assert health.state == "failed" and health.warn and health.error
    assert health.last_at is not None  # the last good one is still shown
    # Switched off: nothing is made.
    monkeypatch.setitem(settings.BACKUP, "DAILY", False)
    assert backup_task.call_local() == ""


def test_backup_health_states(backup_dir, settings):
    assert backup.backup_health().state == "never"
    now = timezone.now()
    status = Path(settings.DATA_DIR) / backup.STATUS_FILE
    status.write_text(
        json.dumps({"ok": {"at": (now - dt.timedelta(days=3)).isoformat(), "folder": "/media/usb"}})
    )
    health = backup.backup_health()
    assert (health.state, health.folder) == ("old", "/media/usb")
    status.write_text(json.dumps({"ok": {"at": (now - dt.timedelta(hours=30)).isoformat(), "folder": "/x"}}))
    assert backup.backup_health().state == "ok"


def test_chair_sees_the_backup_state_on_the_dashboard_and_others_do_not(
    login, coop_a, chair_a, collector_a, backup_dir, settings
):
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("vi"):
        never = gettext("No backup has been made yet.")
    page = login(chair_a).get("/c/coop-a/").content.decode()
    assert 'id="backup-status"' in page and never in page
    assert str(backup_dir) in page
    status = Path(settings.DATA_DIR) / backup.STATUS_FILE
    status.write_text(
        json.dumps(
            {"ok": {"at": timezone.now().isoformat(), "folder": "/media/usb-htx", "path": "/media/usb-htx/a"}}
        )
    )
    page = login(chair_a).get("/c/coop-a/").content.decode()
    assert "/media/usb-htx" in page and never not in page
    assert 'class="card" aria-labelledby="backup-title"' in page
    page = login(collector_a).get("/c/coop-a/").content.decode()
    assert 'id="backup-status"' not in page


def test_chair_sets_the_retention_on_the_settings_page(login, coop_a, chair_a):
    client = login(chair_a)
    form = client.get("/c/coop-a/settings/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
    data["sectors"] = form.initial.get("sectors") or []
    data["backup_keep"] = 30
    data = opened(client, "/c/coop-a/settings/", data)
    response = client.post("/c/coop-a/settings/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    coop_a.refresh_from_db()
    assert coop_a.backup_keep == 30
    data = opened(client, "/c/coop-a/settings/", {**data, "backup_keep": 0})
    response = client.post("/c/coop-a/settings/", data)
    assert response.status_code == 200
    coop_a.refresh_from_db()
    assert coop_a.backup_keep == 30

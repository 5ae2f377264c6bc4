"""Backup and restore: one archive holds everything a cooperative needs to start again.

``hoptac backup`` writes ``hoptac-backup-<UTC time>.tar.gz`` (mode 0600: it holds the
secret key and every member's data) with:

- ``manifest.json``: format, app version, database vendor, times, the sha256 and size of
  every other member, row counts and a **data checksum** computed from the rows themselves
  (so backup → restore → backup gives the same data checksum even though the database
  file's bytes differ);
- ``database/hoptac.sqlite3``: an online, consistent copy made through SQLite's backup API
  (one step, under one read transaction: writers are not stopped), or
  ``database/hoptac.pgdump``: ``pg_dump --format=custom`` run on a snapshot exported from a
  REPEATABLE READ transaction, the same snapshot the data checksum is computed from;
- ``media/…``: the public uploads (logos, product photos);
- ``private/…``: the private uploads (certificate scans: ``hoptac.core.media``);
- ``secret_key``: the key that signs sessions and tokens.

``hoptac restore`` reads the whole archive twice: first to check the manifest and every
checksum (a truncated, damaged or edited archive is refused before anything is written),
then to restore into an EMPTY target (no database file and no uploads in the data
directory, or a PostgreSQL database with no tables).

This module sits in ``core``: it walks ``django.apps`` for the data checksum and imports no
higher app. Nothing here knows about cooperatives; the daily schedule lives in the worker
(``hoptac.outbox.tasks``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.utils import load_backend
from django.utils import timezone

log = logging.getLogger(__name__)

FORMAT = 1
PREFIX = "hoptac-backup-"
SUFFIX = ".tar.gz"
ARCHIVE_NAME = re.compile(r"^hoptac-backup-(\d{8}-\d{6})Z(?:-(\d+))?\.tar\.gz$")
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/hoptac.sqlite3"
PG_MEMBER = "database/hoptac.pgdump"
SECRET_MEMBER = "secret_key"  # noqa: S105 - the name of a member of the archive, not a key
MEDIA_DIR = "media"  # the public uploads (MEDIA_ROOT = DATA_DIR/media)
PRIVATE_DIR = "private"  # the private uploads (PRIVATE_MEDIA_ROOT = DATA_DIR/private)
STATUS_FILE = "backup-status.json"
# A daily backup is due when the last good one is older than this (the PC may be off at night,
# so the worker checks every hour rather than at a fixed time).
DAILY_INTERVAL = dt.timedelta(hours=20)
# The chair is warned when the last good backup is older than this.
WARN_AFTER = dt.timedelta(days=2)
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup could not be made; the message says why (no half-written archive is left)."""


class RestoreError(Exception):
    """An archive was refused or could not be restored; the message says why."""


@dataclasses.dataclass(frozen=True)
class BackupResult:
    path: Path
    started_at: dt.datetime
    manifest: dict

    @property
    def data_checksum(self) -> str:
        return self.manifest["data_checksum"]


# --- the data checksum -----------------------------------------------------------------


def _canonical(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return value.isoformat() if not isinstance(value, dt.timedelta) else str(value.total_seconds())
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return str(value)


def _models():
    for model in sorted(apps.get_models(include_auto_created=True), key=lambda m: m._meta.label_lower):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        yield model


def data_checksum(using: str = "default") -> tuple[str, dict[str, int]]:
    """A sha256 of every row of every model, read through the ORM (so values have the same
    types on every database) in primary-key order, with the row counts per model.

    It depends on the rows only: the same data in two database files, or in SQLite and
    PostgreSQL, gives the same checksum."""
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    for model in _models():
        fields = [f.attname for f in model._meta.concrete_fields]
        digest.update(f"\x1e{model._meta.label_lower}\x1f{','.join(fields)}\n".encode())
        rows = model._base_manager.using(using).order_by("pk").values_list(*fields)
        count = 0
        for row in rows.iterator(chunk_size=2000):
            digest.update(json.dumps(_canonical(list(row)), ensure_ascii=False, sort_keys=True).encode())
            digest.update(b"\n")
            count += 1
        counts[model._meta.label_lower] = count
    return "sha256:" + digest.hexdigest(), counts


@contextlib.contextmanager
def database_alias(config: dict) -> Iterator[str]:
    """A temporary Django connection to another database (a SQLite copy, a restored
    PostgreSQL database), for reading it through the ORM; closed and forgotten afterwards."""
    alias = f"hoptac_backup_{uuid.uuid4().hex[:8]}"
    base = dict(connections.settings["default"])
    merged = {
        **base,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "OPTIONS": {},
        **config,
        "TEST": {},
        "CONN_MAX_AGE": 0,
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
    }
    if merged["ENGINE"].endswith("sqlite3"):
        merged["OPTIONS"] = {"timeout": 20}
    # The wrapper is registered for this thread only and not in the settings: a passing
    # connection, not a database of the project (tests then allow it like a thread's own).
    wrapper = load_backend(merged["ENGINE"]).DatabaseWrapper(merged, alias)
    setattr(connections._connections, alias, wrapper)
    try:
        yield alias
    finally:
        with contextlib.suppress(Exception):
            wrapper.close()
        with contextlib.suppress(AttributeError):
            delattr(connections._connections, alias)


def sqlite_file_checksum(path: Path) -> tuple[str, dict[str, int]]:
    with database_alias({"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}) as alias:
        return data_checksum(alias)


# --- small helpers ---------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def app_version() -> str:
    try:
        return metadata.version("hoptac")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "unknown"


def _vendor(config: dict) -> str:
    engine = config["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {engine}.")


def _pg_env(config: dict) -> dict[str, str]:
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return env


def _pg_args(config: dict) -> list[str]:
    args = []
    if config.get("HOST"):
        args += ["--host", str(config["HOST"])]
    if config.get("PORT"):
        args += ["--port", str(config["PORT"])]
    if config.get("USER"):
        args += ["--username", str(config["USER"])]
    return args


def pg_tool(name: str, server_major: int | None = None) -> str:
    """``pg_dump`` or ``pg_restore`` of the server's major version when installed
    (Debian keeps one per version under /usr/lib/postgresql/<major>/bin), else the one on
    PATH; ``HOPTAC_PG_BIN`` names a folder to use instead."""
    candidates = []
    if os.environ.get("HOPTAC_PG_BIN"):
        candidates.append(Path(os.environ["HOPTAC_PG_BIN"]) / name)
    if server_major:
        candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin/{name}"))
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client of the server's version.")
    return found


def _tool_major(tool: str) -> int:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603 - an argument list, no shell
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else 0


def _unique_name(directory: Path, when: dt.datetime) -> Path:
    stamp = when.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%SZ")
    path = directory / f"{PREFIX}{stamp}{SUFFIX}"
    number = 1
    while path.exists():
        path = directory / f"{PREFIX}{stamp}-{number}{SUFFIX}"
        number += 1
    return path


# --- backup ----------------------------------------------------------------------------


def _copy_sqlite(source: Path, target: Path) -> None:
    """An online copy through SQLite's backup API: all pages in one step, under one read
    transaction, so the copy is one consistent moment even while others write (WAL)."""
    if not source.exists():
        raise BackupError(f"The database file {source} does not exist.")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=-1)
        # The copy stands alone: no -wal file beside it.
        dst.execute("PRAGMA journal_mode=DELETE").fetchall()
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"The copy of the database failed its integrity check: {result}")
    finally:
        dst.close()
        src.close()


def _dump_postgresql(using: str, target: Path) -> tuple[str, dict[str, int], str]:
    """pg_dump of a snapshot shared with this connection's REPEATABLE READ transaction, so
    the dump and the data checksum see the same moment. Returns checksum, counts, version."""
    connection = connections[using]
    config = connection.settings_dict
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version_num')::int")
            snapshot, version_num = cursor.fetchone()
        major = version_num // 10000
        tool = pg_tool("pg_dump", major)
        if _tool_major(tool) < major:
            raise BackupError(
                f"{tool} is older than the PostgreSQL server ({major}): install pg_dump {major} "
                "or set HOPTAC_PG_BIN."
            )
        command = [
            tool,
            *_pg_args(config),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--snapshot={snapshot}",
            f"--file={target}",
            str(config["NAME"]),
        ]
        done = subprocess.run(command, env=_pg_env(config), capture_output=True, text=True)  # noqa: S603 - an argument list, no shell
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        checksum, counts = data_checksum(using)
    return checksum, counts, str(major)


def _secret(data_dir: Path) -> tuple[str, str]:
    if os.environ.get("HOPTAC_SECRET_KEY"):
        return settings.SECRET_KEY, "environment"
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip(), "file"
    return settings.SECRET_KEY, "settings"


def backup_create(
    *,
    output_dir: Path | str,
    using: str = "default",
    media_root: Path | str | None = None,
    data_dir: Path | str | None = None,
    private_root: Path | str | None = None,
) -> BackupResult:
    """Write one archive of the database ``using``, the media and the secret key into
    ``output_dir``; the archive appears under its final name only once complete (mode 0600)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    private_root = Path(private_root if private_root is not None else settings.PRIVATE_MEDIA_ROOT)
    data_dir = Path(data_dir if data_dir is not None else settings.DATA_DIR)
    config = connections[using].settings_dict
    vendor = _vendor(config)
    started_at = timezone.now()
    work = Path(tempfile.mkdtemp(prefix=".hoptac-backup-", dir=output_dir))
    try:
        files: dict[str, Path] = {}
        database: dict[str, object] = {"vendor": vendor}
        if vendor == "sqlite":
            copy = work / "hoptac.sqlite3"
            _copy_sqlite(Path(config["NAME"]), copy)
            checksum, counts = sqlite_file_checksum(copy)
            database.update(member=SQLITE_MEMBER, sqlite_version=sqlite3.sqlite_version)
            files[SQLITE_MEMBER] = copy
        else:
            dump = work / "hoptac.pgdump"
            checksum, counts, major = _dump_postgresql(using, dump)
            database.update(member=PG_MEMBER, server_major=major)
            files[PG_MEMBER] = dump
        for folder, root in ((MEDIA_DIR, media_root), (PRIVATE_DIR, private_root)):
            if root.is_dir():
                for path in sorted(root.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        relative = path.relative_to(root).as_posix()
                        target = work / folder / relative
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(path, target)
                        files[f"{folder}/{relative}"] = target
        secret, secret_source = _secret(data_dir)
        secret_path = work / "secret_key"
        secret_path.write_text(secret)
        files[SECRET_MEMBER] = secret_path
        manifest = {
            "format": FORMAT,
            "app": "hoptac",
            "version": app_version(),
            "created_at": timezone.now().astimezone(dt.UTC).isoformat(),
            "started_at": started_at.astimezone(dt.UTC).isoformat(),
            "database": database,
            "secret_key_source": secret_source,
            "data_checksum": checksum,
            "rows": counts,
            "files": {
                name: {"sha256": _sha256_file(path), "size": path.stat().st_size}
                for name, path in sorted(files.items())
            },
        }
        final = _unique_name(output_dir, started_at)
        partial = work / "archive.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
                body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(body), 0o600, int(started_at.timestamp())
                archive.addfile(info, io.BytesIO(body))
                for name, path in sorted(files.items()):
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.mtime = path.stat().st_size, 0o600, int(started_at.timestamp())
                    with open(path, "rb") as handle:
                        archive.addfile(info, handle)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, final)
        os.chmod(final, 0o600)
    except BackupError:
        raise
    except (OSError, sqlite3.Error, subprocess.SubprocessError) as error:
        raise BackupError(f"The backup could not be written: {error}") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BackupResult(path=final, started_at=started_at, manifest=manifest)


# --- restore ---------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def _read_manifest(archive: tarfile.TarFile) -> dict:
    first = archive.next()
    if first is None or first.name != MANIFEST or not first.isfile() or first.size > 50 * 1024 * 1024:
        raise RestoreError("This is not a Hợp Tác backup: it does not start with manifest.json.")
    try:
        manifest = json.loads(archive.extractfile(first).read())
    except ValueError as error:
        raise RestoreError(
            "The manifest of this backup is not valid JSON: the archive is damaged."
        ) from error
    if not isinstance(manifest, dict) or manifest.get("app") != "hoptac":
        raise RestoreError("This is not a Hợp Tác backup (the manifest does not say so).")
    if manifest.get("format") != FORMAT:
        raise RestoreError(
            f"This backup has format {manifest.get('format')}; this version reads format {FORMAT}."
        )
    files = manifest.get("files")
    database = manifest.get("database") or {}
    if (
        not isinstance(files, dict)
        or database.get("member") not in files
        or SECRET_MEMBER not in files
        or not all(_safe_name(name) for name in files)
    ):
        raise RestoreError("The manifest of this backup is incomplete or names unsafe paths: refused.")
    return manifest


def _walk(path: Path, on_member) -> dict:
    """Read the archive from start to end, checking every member against the manifest;
    ``on_member(name, chunks)`` receives each member's content while it is hashed."""
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            manifest = _read_manifest(archive)
            expected = manifest["files"]
            seen: set[str] = set()
            while (info := archive.next()) is not None:
                name = info.name
                if name not in expected or name in seen or not info.isfile():
                    raise RestoreError(
                        f"The archive holds “{name}”, which its manifest does not list: refused."
                    )
                seen.add(name)
                digest = hashlib.sha256()
                handle = archive.extractfile(info)

                def chunks(handle=handle, digest=digest):
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        yield chunk

                size = on_member(name, chunks())
                if size is None:
                    size = sum(len(chunk) for chunk in chunks())
                if digest.hexdigest() != expected[name]["sha256"] or size != expected[name]["size"]:
                    raise RestoreError(
                        f"“{name}” does not match its checksum: the archive was changed or damaged."
                    )
            missing = sorted(set(expected) - seen)
            if missing:
                raise RestoreError(
                    f"The archive is incomplete (truncated?): {', '.join(missing[:5])} missing."
                )
    except FileNotFoundError as error:
        raise RestoreError(f"No such archive: {path}") from error
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise RestoreError(f"The archive is damaged or truncated and cannot be read ({error}).") from error
    return manifest


def archive_verify(path: Path | str) -> dict:
    """Check the manifest and every member's sha256 and size; return the manifest."""
    return _walk(Path(path), lambda name, chunks: None)


def target_problems(*, data_dir: Path, database: dict) -> list[str]:
    """Why a target is not empty (a restore never overwrites): empty list if it is."""
    problems = []
    vendor = _vendor(database)
    if vendor == "sqlite":
        db_path = Path(database["NAME"])
        if db_path.exists() and db_path.stat().st_size > 0:
            problems.append(f"a database already exists: {db_path}")
    else:
        tables = _pg_table_count(database)
        if tables:
            problems.append(f"the PostgreSQL database {database['NAME']} already has {tables} tables")
    for folder in (MEDIA_DIR, PRIVATE_DIR):
        uploads = data_dir / folder
        if uploads.is_dir() and any(p.is_file() for p in uploads.rglob("*")):
            problems.append(f"the {folder} folder is not empty: {uploads}")
    return problems


def _psql_query(database: dict, sql: str) -> str:
    tool = pg_tool("psql")
    command = [tool, *_pg_args(database), "--no-psqlrc", "-At", "-d", str(database["NAME"]), "-c", sql]
    done = subprocess.run(command, env=_pg_env(database), capture_output=True, text=True)  # noqa: S603 - an argument list, no shell
    if done.returncode != 0:
        raise RestoreError(
            f"Cannot reach the PostgreSQL database {database['NAME']}: {done.stderr.strip()[:300]}"
        )
    return done.stdout.strip()


def _pg_table_count(database: dict) -> int:
    out = _psql_query(
        database,
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    return int(out or 0)


def archive_restore(*, archive: Path | str, data_dir: Path | str, database: dict) -> dict:
    """Check ``archive`` completely, refuse a non-empty target, then restore the database
    (to ``database``, a Django DATABASES entry), the media and the secret key into
    ``data_dir``. Returns the manifest. On any error nothing is left half-restored in the
    data directory (a failed ``pg_restore`` runs in one transaction)."""
    archive = Path(archive)
    data_dir = Path(data_dir)
    manifest = archive_verify(archive)
    vendor = _vendor(database)
    if manifest["database"]["vendor"] != vendor:
        raise RestoreError(
            f"This backup holds a {manifest['database']['vendor']} database; the target is {vendor}: "
            "set HOPTAC_DATABASE_URL to match."
        )
    problems = target_problems(data_dir=data_dir, database=database)
    if problems:
        raise RestoreError("The target is not empty, nothing was restored: " + "; ".join(problems) + ".")
    data_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".hoptac-restore-", dir=data_dir))
    try:

        def extract(name: str, chunks) -> int:
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    size += len(chunk)
            return size

        # Second pass: the archive could change between the passes; checked again.
        _walk(archive, extract)
        member = work / manifest["database"]["member"]
        if vendor == "sqlite":
            connection = sqlite3.connect(member)
            try:
                result = connection.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                connection.close()
            if result != "ok":
                raise RestoreError(f"The database in the archive failed its integrity check: {result}")
            db_path = Path(database["NAME"])
            db_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(member, db_path)
        else:
            tool = pg_tool("pg_restore", int(manifest["database"].get("server_major") or 0) or None)
            command = [
                tool,
                *_pg_args(database),
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={database['NAME']}",
                str(member),
            ]
            done = subprocess.run(command, env=_pg_env(database), capture_output=True, text=True)  # noqa: S603 - an argument list, no shell
            if done.returncode != 0:
                raise RestoreError(f"pg_restore failed, nothing was restored: {done.stderr.strip()[:500]}")
        for folder in (MEDIA_DIR, PRIVATE_DIR):
            source = work / folder
            if source.is_dir():
                for path in sorted(source.rglob("*")):
                    if path.is_file():
                        target = data_dir / folder / path.relative_to(source)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.move(path, target)
        secret_target = data_dir / "secret_key"
        secret_target.unlink(missing_ok=True)
        shutil.move(work / SECRET_MEMBER, secret_target)
        os.chmod(secret_target, 0o600)
    except OSError as error:
        raise RestoreError(f"The restore could not be written: {error}") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


# --- the daily backup and its status ---------------------------------------------------


def backup_dir() -> Path:
    return Path(settings.BACKUP["DIR"])


def _status_path() -> Path:
    return Path(settings.DATA_DIR) / STATUS_FILE


def status_read() -> dict:
    """What the last backups did: ``{"ok": {...}, "error": {...}}`` (either may be missing)."""
    try:
        data = json.loads(_status_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _status_write(**changes) -> None:
    data = {**status_read(), **changes}
    path = _status_path()
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    os.replace(partial, path)


def backup_record(*, result: BackupResult | None = None, error: str = "") -> None:
    now = timezone.now().astimezone(dt.UTC).isoformat()
    if result is not None:
        _status_write(
            ok={
                "at": now,
                "path": str(result.path),
                "folder": str(result.path.parent),
                "size": result.path.stat().st_size,
                "data_checksum": result.data_checksum,
            }
        )
    else:
        _status_write(error={"at": now, "message": error[:500]})


def backups_prune(*, directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives in ``directory`` (only files named like
    ours; anything else in the folder is left alone). Returns what was deleted."""
    keep = max(1, int(keep))
    archives = []
    for path in directory.iterdir():
        match = ARCHIVE_NAME.match(path.name)
        if match and path.is_file():
            archives.append(((match.group(1), int(match.group(2) or 0)), path))
    archives = [path for _key, path in sorted(archives)]
    doomed = archives[:-keep]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def backup_daily(*, keep: int, directory: Path | None = None, force: bool = False) -> BackupResult | None:
    """The worker's hourly check: make a backup when the last good one is older than
    :data:`DAILY_INTERVAL`, then keep the newest ``keep``. Failures are recorded (the chair
    sees them on the dashboard) and logged, never raised."""
    directory = Path(directory or backup_dir())
    if not force:
        last = _parse_time(status_read().get("ok", {}).get("at"))
        if last is not None and timezone.now() - last < DAILY_INTERVAL:
            return None
    try:
        result = backup_create(output_dir=directory)
        backups_prune(directory=directory, keep=keep)
    except (BackupError, OSError) as error:
        log.error("Daily backup to %s failed: %s", directory, error)
        backup_record(error=str(error))
        return None
    backup_record(result=result)
    log.info("Daily backup written: %s", result.path)
    return result


def _parse_time(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@dataclasses.dataclass(frozen=True)
class BackupHealth:
    state: str  # ok, old, never, failed
    last_at: dt.datetime | None
    path: str
    folder: str
    error: str
    error_at: dt.datetime | None

    @property
    def warn(self) -> bool:
        return self.state != "ok"


def backup_health(now: dt.datetime | None = None) -> BackupHealth:
    """For the chair's dashboard: when the last good backup was made and where, and whether
    to warn (never made, older than :data:`WARN_AFTER`, or the last attempt failed)."""
    now = now or timezone.now()
    status = status_read()
    ok = status.get("ok") or {}
    error = status.get("error") or {}
    last_at = _parse_time(ok.get("at"))
    error_at = _parse_time(error.get("at"))
    if error_at is not None and (last_at is None or error_at > last_at):
        state = "failed"
    elif last_at is None:
        state = "never"
    elif now - last_at > WARN_AFTER:
        state = "old"
    else:
        state = "ok"
    return BackupHealth(
        state=state,
        last_at=last_at,
        path=ok.get("path", ""),
        folder=ok.get("folder", "") or str(backup_dir()),
        error=error.get("message", "") if state == "failed" else "",
        error_at=error_at,
    )

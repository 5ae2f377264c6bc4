"""Settings come from the environment only; each case starts a fresh Python process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Prints what the tests look at, as JSON, after a real start of Django.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
db = settings.DATABASES["default"]
out = {
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "DATA_DIR": str(settings.DATA_DIR),
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST", ""),
    "OPTIONS": db.get("OPTIONS", {}),
    "HASHER": settings.PASSWORD_HASHERS[0],
}
if db["ENGINE"] == "django.db.backends.sqlite3":
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        out["journal_mode"] = cursor.fetchone()[0]
        cursor.execute("PRAGMA foreign_keys")
        out["foreign_keys"] = cursor.fetchone()[0]
    out["transaction_mode"] = connection.transaction_mode
print(json.dumps(out))
"""


def clean_env(data_dir: Path, **hoptac) -> dict[str, str]:
    """The parent's environment without HOPTAC_* or DJANGO_* variables, plus the given ones."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HOPTAC_", "DJANGO_"))}
    env["DJANGO_SETTINGS_MODULE"] = "hoptac.settings"
    env["HOPTAC_DATA_DIR"] = str(data_dir)
    env.update({f"HOPTAC_{key}": value for key, value in hoptac.items()})
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def probe(data_dir: Path, **hoptac) -> dict:
    result = run(["-c", PROBE], clean_env(data_dir, **hoptac))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_check_passes_with_https_and_a_secret_key(tmp_path):
    env = clean_env(tmp_path / "data", HTTPS="1", SECRET_KEY="k" * 20 + "-Zq8vR2xT7mN4pL9sW3yB6hJ1cF5dG0eK")
    assert "HOPTAC_DEBUG" not in env
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # The key came from the environment: none was written to the data directory.
    assert not (tmp_path / "data" / "secret_key").exists()


def test_deploy_check_fails_without_https(tmp_path):
    env = clean_env(tmp_path / "data", SECRET_KEY="k" * 20 + "-Zq8vR2xT7mN4pL9sW3yB6hJ1cF5dG0eK")
    result = run(["-m", "django", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout  # SECURE_SSL_REDIRECT


def test_default_start_generates_a_key_once_and_uses_sqlite_wal(tmp_path):
    data_dir = tmp_path / "data"
    first = probe(data_dir)

    assert first["DEBUG"] is False
    assert Path(first["DATA_DIR"]) == data_dir.resolve()
    # The tests' fixture swaps in a fast hasher; a real start keeps Django's slow one.
    assert first["HASHER"] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"

    key_file = data_dir / "secret_key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first["SECRET_KEY"]) >= 50

    assert first["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(first["NAME"]) == (data_dir / "hoptac.sqlite3").resolve()
    assert (data_dir / "hoptac.sqlite3").exists()
    assert first["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert first["OPTIONS"]["timeout"] > 0
    assert first["transaction_mode"] == "IMMEDIATE"
    assert first["journal_mode"] == "wal"
    assert first["foreign_keys"] == 1

    second = probe(data_dir)
    assert second["SECRET_KEY"] == first["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    other = probe(tmp_path / "other")
    assert other["SECRET_KEY"] != first["SECRET_KEY"]


def test_debug_flag_and_database_url(tmp_path):
    settings = probe(
        tmp_path / "data",
        DEBUG="1",
        SECRET_KEY="x" * 60,
        DATABASE_URL="postgres://hoptac:pw@db.example.internal:5432/hoptac_prod",
    )
    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"] == "x" * 60
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["NAME"] == "hoptac_prod"
    assert settings["HOST"] == "db.example.internal"
    # SQLite-only options are not passed to PostgreSQL.
    assert "transaction_mode" not in settings["OPTIONS"]
    assert not (tmp_path / "data" / "secret_key").exists()
    assert not (tmp_path / "data" / "hoptac.sqlite3").exists()

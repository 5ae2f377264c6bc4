"""The ``hoptac`` command: ``run``, ``demo``, ``worker``, ``backup``, ``restore``, ``manage …``."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

DEMO_LOGINS = [
    ("0900000000", "Platform administrator / Quản trị nền tảng"),
    ("0911000001", "Chair of HTX Tuấn Dũng / Chủ tịch HTX Tuấn Dũng"),
    ("0911000002", "Accountant of Tuấn Dũng / Kế toán"),
    ("0911000003", "Collector of Tuấn Dũng / Cán bộ thu mua"),
    ("0911000004", "A member household's own account, Tuấn Dũng / Tài khoản hộ thành viên"),
    ("0912000001", "Chair of HTX Tây Côn Lĩnh / Chủ tịch HTX Tây Côn Lĩnh"),
    ("0913000001", "Chair of HTX Po Mỷ"),
    ("0914000001", "Chair of HTX Thượng Sơn"),
    ("0915000001", "Chair of HTX Phìn Hồ"),
    ("0919000001", "Provincial alliance officer / Cán bộ Liên minh HTX tỉnh"),
]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
    import django

    django.setup()


def _prepare(*, demo: bool) -> None:
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]:
        call_command("collectstatic", interactive=False, verbosity=0)
    if demo:
        from hoptac.coops.models import Cooperative

        if not Cooperative.objects.exists():
            print("Loading the Hà Giang demo data…", flush=True)
            call_command("demo", verbosity=0)


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, object]:
    """gunicorn's settings for ``hoptac run``."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
        "timeout": 60,
        "accesslog": "-",
        # Webhook secrets in addresses (/hooks/…/<secret>/) are written as *** (core/accesslog.py).
        "logger_class": "hoptac.core.accesslog.RedactingLogger",
    }


def _serve(host: str, port: int, workers: int) -> None:
    from hoptac.wsgi import application

    if sys.platform == "win32":  # pragma: no cover - gunicorn does not run on Windows
        from waitress import serve

        serve(application, host=host, port=port, threads=max(4, workers * 2))
        return
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for name, value in gunicorn_options(host, port, workers).items():
                self.cfg.set(name, value)

        def load(self):
            return application

    Server().run()


def _start_worker():
    """The embedded shape: one worker process beside the web server, stopped with it."""
    from django.conf import settings

    if settings.OUTBOX["WORKER"] != "auto":
        return None
    return subprocess.Popen([sys.executable, "-m", "hoptac.cli", "worker"])


def cmd_run(args) -> None:
    if args.demo:
        # A demo installation: the published demo accounts are expected (coops/checks.py).
        os.environ["HOPTAC_DEMO"] = "1"
    _setup()
    _prepare(demo=args.demo)
    if not args.demo:
        _warn_demo_accounts()
    worker = _start_worker()
    url = f"http://{args.host}:{args.port}"
    print(f"\nHợp Tác is running at {url}\n")
    if args.demo:
        print("Demo logins (password demo1234 — for the demo only, never in production):")
        for phone, who in DEMO_LOGINS:
            print(f"  {phone}  {who}")
        print()
    sys.stdout.flush()
    try:
        _serve(args.host, args.port, args.workers)
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()


def _warn_demo_accounts() -> None:
    from hoptac.coops.checks import check_demo_accounts

    for problem in check_demo_accounts():
        print(f"WARNING: {problem.msg}\n  {problem.hint}", file=sys.stderr, flush=True)


def cmd_check(args) -> None:
    """Django's deployment checks (``check --deploy``), the demo accounts included: exits
    non-zero on an error."""
    _setup()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", deploy=True, fail_level=args.fail_level)
    except SystemCheckError as error:
        sys.exit(str(error))


def cmd_worker(args) -> None:
    """Send queued messages (and run periodic jobs) until stopped: Huey's consumer."""
    _setup()
    from django.core.management import call_command

    if args.migrate:
        call_command("migrate", interactive=False, verbosity=0)
    options = {}
    if args.threads:
        options["workers"] = args.threads
    call_command("run_huey", **options)


def cmd_demo(args) -> None:
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("demo")


def cmd_backup(args) -> None:
    """Write one archive (database, uploaded files, secret key, manifest) and say where."""
    _setup()
    from django.conf import settings

    from hoptac.core import backup

    output = Path(args.output) if args.output else Path(settings.BACKUP["DIR"])
    try:
        result = backup.backup_create(output_dir=output)
    except backup.BackupError as error:
        backup.backup_record(error=str(error))
        sys.exit(f"Backup failed: {error}")
    backup.backup_record(result=result)
    size = result.path.stat().st_size
    print(f"Backup written: {result.path} ({size:,} bytes)")
    print(f"Data checksum: {result.data_checksum}")
    print(
        "This file holds the secret key and every member's data: it is readable by you only "
        "(mode 0600). Keep it as safe as the office PC itself."
    )


def _restore_target(data_dir: Path) -> dict:
    """The database to restore into: HOPTAC_DATABASE_URL when set, else the SQLite file of
    the data directory (as hoptac/settings.py would choose). Read without starting Django,
    so that nothing (not even a new secret key) is written before the restore."""
    import dj_database_url

    url = os.environ.get("HOPTAC_DATABASE_URL") or f"sqlite:///{data_dir / 'hoptac.sqlite3'}"
    return dj_database_url.parse(url)


def cmd_restore(args) -> None:
    """Check an archive completely, then restore it into an empty data directory/database."""
    from hoptac.core import backup

    data_dir = Path(args.data_dir or os.environ.get("HOPTAC_DATA_DIR") or Path.cwd() / "var").resolve()
    database = _restore_target(data_dir)
    try:
        manifest = backup.archive_restore(archive=args.archive, data_dir=data_dir, database=database)
    except (backup.RestoreError, backup.BackupError) as error:
        sys.exit(f"Restore refused: {error}")
    print(f"Checked and restored {args.archive}")
    print(
        f"  made {manifest['created_at']} by Hợp Tác {manifest['version']} ({manifest['database']['vendor']})"
    )
    print(f"  into {data_dir}")
    os.environ["HOPTAC_DATA_DIR"] = str(data_dir)
    _setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print(
            "The backup was made by an older version: `hoptac run` will update the database. "
            "(Its data checksum was not re-computed.)"
        )
        return
    checksum, _counts = backup.data_checksum()
    if checksum != manifest["data_checksum"]:
        sys.exit(f"The restored data does not match the backup's data checksum ({checksum}): do not use it.")
    print(f"  data checksum verified: {checksum}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "manage":
        _setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["hoptac manage", *argv[1:]])
        return
    parser = argparse.ArgumentParser(prog="hoptac", description="Hợp Tác — platform for cooperatives")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="migrate, collect static files and serve (with --demo: load the demo first)"
    )
    run.add_argument("--host", default=os.environ.get("HOPTAC_HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("HOPTAC_PORT", "8000")))
    run.add_argument("--workers", type=int, default=int(os.environ.get("HOPTAC_WORKERS", "2")))
    run.add_argument(
        "--demo",
        action="store_true",
        help="load the Hà Giang demo data when the database is empty (never in production)",
    )
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="load the Hà Giang demo data (idempotent)")
    demo.set_defaults(func=cmd_demo)
    worker = sub.add_parser("worker", help="send queued messages (SMS, Zalo, email) until stopped")
    worker.add_argument("--threads", type=int, default=0, help="worker threads (default 2)")
    worker.add_argument("--migrate", action="store_true", help="apply database migrations first")
    worker.set_defaults(func=cmd_worker)
    backup = sub.add_parser(
        "backup", help="write one archive of the database, uploaded files and secret key (mode 0600)"
    )
    backup.add_argument(
        "--output", default="", help="folder for the archive (default HOPTAC_BACKUP_DIR or DATA_DIR/backups)"
    )
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="check an archive and restore it into an empty data directory")
    restore.add_argument("archive", help="the hoptac-backup-….tar.gz file")
    restore.add_argument(
        "--data-dir", default="", help="target data directory (default HOPTAC_DATA_DIR or ./var)"
    )
    restore.set_defaults(func=cmd_restore)
    check = sub.add_parser("check", help="run the deployment checks (demo accounts included); non-zero on error")
    check.add_argument("--fail-level", default="ERROR", choices=["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"])
    check.set_defaults(func=cmd_check)
    sub.add_parser("manage", help="run a Django management command: hoptac manage <command>")
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()

"""The ``hoptac`` command: ``run``, ``demo``, ``manage …``."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

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


def _serve(host: str, port: int, workers: int) -> None:
    from hoptac.wsgi import application

    if sys.platform == "win32":  # pragma: no cover - gunicorn does not run on Windows
        from waitress import serve

        serve(application, host=host, port=port, threads=max(4, workers * 2))
        return
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 60)
            self.cfg.set("accesslog", "-")

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
    _setup()
    _prepare(demo=args.demo)
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
    sub.add_parser("manage", help="run a Django management command: hoptac manage <command>")
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()

"""Requests per second of the public pages that many people open at once (a QR scanned at
a fair, a link shared in a big Zalo group) beside ``/healthz``, the smallest Django view,
served by the real server (gunicorn through ``hoptac run --demo``) in the same run.
Issue 15's target: each page at ≥ 50 % of ``/healthz``'s requests per second.

    .venv/bin/python scripts/bench_public_cache.py                # embedded: local cache
    .venv/bin/python scripts/bench_public_cache.py --redis        # provincial: cache in Redis
    .venv/bin/python scripts/bench_public_cache.py --no-cache     # the pages rendered each time

It starts the server on a free loopback port with a fresh data directory and the demo
(SQLite), and with ``--redis`` a private ``redis-server`` on another free port; it stops
both at the end. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_trace import MAX_SECONDS, MAX_THREADS, free_port, get, rps, start_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def public_paths(data_dir: Path) -> list[tuple[str, str]]:
    """(name, path) of a trace page, a product page, a shop and the marketplace of the demo."""
    os.environ["HOPTAC_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from hoptac.inventory.models import Lot
    from hoptac.shop.models import Listing

    paths = []
    lot = Lot.unscoped.filter(kind="finished").order_by("id").first()
    if lot is not None:
        paths.append(("trace page", f"/t/{lot.public_code}"))
    listing = Listing.unscoped.select_related("cooperative").order_by("id").first()
    if listing is not None:
        paths.append(("product page", f"/s/{listing.cooperative.slug}/{listing.short_code}/"))
        paths.append(("shop page", f"/s/{listing.cooperative.slug}/"))
    paths.append(("marketplace", "/cho/"))
    return paths


def start_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    redis = shutil.which("redis-server")
    if redis is None:
        raise SystemExit("redis-server is not installed")
    process = subprocess.Popen(  # noqa: S603 - a fixed local binary, loopback only
        [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", action="store_true", help="the cache (and worker queue) in Redis")
    parser.add_argument("--no-cache", action="store_true", help="HOPTAC_PAGE_CACHE_SECONDS=0")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput run")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients")
    args = parser.parse_args()
    seconds = max(0.5, min(args.seconds, MAX_SECONDS))
    threads = max(1, min(args.threads, MAX_THREADS))
    server = redis = None
    tmp = Path(tempfile.mkdtemp(prefix="hoptac-bench-cache-"))
    try:
        os.environ.pop("HOPTAC_DATABASE_URL", None)
        if args.redis:
            redis, url = start_redis()
            os.environ["HOPTAC_REDIS_URL"] = url
        if args.no_cache:
            os.environ["HOPTAC_PAGE_CACHE_SECONDS"] = "0"
        shape = "Redis" if args.redis else "local memory"
        print(f"Starting `hoptac run --demo` (cache: {'off' if args.no_cache else shape}) …", flush=True)
        server, base, _log = start_server(tmp)
        paths = public_paths(tmp)
        for _name, path in paths:
            get(base + path)
        get(base + "/healthz")
        print(
            f"\n{threads} keep-alive clients, {seconds:g} s each, loopback, {os.environ.get('HOPTAC_WORKERS', '2')} workers"
        )
        health, errors = rps(base + "/healthz", seconds, threads)
        print(f"  {'/healthz':<16} {health:8.1f} req/s  errors {errors}")
        for name, path in paths:
            rate, errors = rps(base + path, seconds, threads)
            share = f"{100 * rate / health:5.0f} % of /healthz" if health else ""
            print(f"  {name:<16} {rate:8.1f} req/s  errors {errors}  {share}   {path}")
    finally:
        for process in (server, redis):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

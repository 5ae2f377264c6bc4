"""Requests per second of the public pages that many people open at once (a QR scanned at
a fair, a link shared in a big Zalo group) beside ``/healthz``, the smallest Django view,
served by the real server (gunicorn through ``hoptac run --demo``) in the same run.
Issue 15's target: each page at ≥ 50 % of ``/healthz``'s requests per second.

    .venv/bin/python scripts/bench_public_cache.py                # embedded: local cache
    .venv/bin/python scripts/bench_public_cache.py --redis        # provincial: cache in Redis
    .venv/bin/python scripts/bench_public_cache.py --no-cache     # the pages rendered each time

It starts the server on a free loopback port with a fresh data directory and the demo
(SQLite), and with ``--redis`` a private ``redis-server`` on another free port; it stops
both at the end. Each page is first rendered patiently and asked by every client (so that
each worker process holds it), then ``--rounds`` rounds measure every page, each just after
``/healthz``; it prints each round, the medians, each page's share of the ``/healthz`` run
beside it, and the load average. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_trace import MAX_SECONDS, MAX_THREADS, free_port, get, rps, start_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WARM_ATTEMPTS, WARM_TIMEOUT = 5, 180.0


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


def warm(base: str, paths: list[tuple[str, str]], threads: int) -> None:
    """Render every page once, patiently (a cold page of a loaded machine may take long),
    then ask each as many times as there are clients at once, so that every worker process
    holds it (the local cache is per process)."""
    for name, path in [*paths, ("/healthz", "/healthz")]:
        for attempt in range(1, WARM_ATTEMPTS + 1):
            try:
                status = get(base + path, timeout=WARM_TIMEOUT)[0]
            except OSError as error:  # a timeout or a reset under load: try again
                print(f"  warming {name}: {error} (attempt {attempt})", flush=True)
                continue
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            break
        else:
            raise SystemExit(f"{path} did not answer in {WARM_ATTEMPTS} attempts")
        rps(base + path, 1.0, threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", action="store_true", help="the cache (and worker queue) in Redis")
    parser.add_argument("--no-cache", action="store_true", help="HOPTAC_PAGE_CACHE_SECONDS=0")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput run")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of every page (medians printed)")
    args = parser.parse_args()
    seconds = max(0.5, min(args.seconds, MAX_SECONDS))
    threads = max(1, min(args.threads, MAX_THREADS))
    rounds = max(1, min(args.rounds, 20))
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
        warm(base, paths, threads)
        workers = os.environ.get("HOPTAC_WORKERS", "2")
        print(
            f"\n{threads} keep-alive clients, {seconds:g} s each, loopback, {workers} workers, {rounds} rounds"
        )
        print(f"load average before: {load()}")
        names = ["/healthz", *(name for name, _path in paths)]
        rates: dict[str, list[float]] = {name: [] for name in names}
        shares: dict[str, list[float]] = {name: [] for name in names}
        for round_ in range(1, rounds + 1):
            line = []
            for name, path in paths:
                # /healthz just before each page: on a shared machine the load changes
                # within seconds, so each page is compared with its own neighbour.
                health, health_errors = rps(base + "/healthz", seconds, threads)
                rate, errors = rps(base + path, seconds, threads)
                rates["/healthz"].append(health)
                rates[name].append(rate)
                shares[name].append(100 * rate / health if health else 0.0)
                errors += health_errors
                line.append(f"{name} {rate:.0f}/{health:.0f}" + (f" ({errors} errors)" if errors else ""))
            print(f"  round {round_} (page/healthz): " + "; ".join(line), flush=True)
        print(f"load average after: {load()}")
        print(f"\nMedians of {rounds} rounds (share: of the /healthz measured just before):")
        print(f"  {'/healthz':<16} {statistics.median(rates['/healthz']):8.1f} req/s")
        for name, path in paths:
            rate, share = statistics.median(rates[name]), statistics.median(shares[name])
            print(f"  {name:<16} {rate:8.1f} req/s  {share:5.0f} % of /healthz   {path}")
    finally:
        for process in (server, redis):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()

"""Benchmark of the public trace page against the budget of ARCHITECTURE.md ("Pages for
weak networks"): for each demo lot, the first HTML response raw and gzip-compressed, the
whole cold load (HTML + same-origin assets it references, without the optional photo),
and requests per second of the trace page beside a minimal Django view (``/healthz``)
served the same way in the same run.

    .venv/bin/python scripts/bench_trace.py                 # starts `hoptac run --demo`
    .venv/bin/python scripts/bench_trace.py http://127.0.0.1:8000 --data-dir var

Without a URL it starts the real server (gunicorn through ``hoptac run --demo``) on a free
loopback port with a fresh data directory and the demo loaded (SQLite), and stops it at
the end. With a URL, ``--data-dir`` (or HOPTAC_DATA_DIR / HOPTAC_DATABASE_URL) names the
server's data so that the lots can be found, or ``--code`` gives public codes directly.
It prints figures; it asserts nothing. Requests go to loopback or the given URL only.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

ROOT = Path(__file__).resolve().parent.parent
BUDGET_FIRST, BUDGET_COLD = 14 * 1024, 50 * 1024
MAX_SECONDS, MAX_THREADS = 30.0, 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, *, gzip_ok: bool = True, timeout: float = 30.0) -> tuple[int, dict, bytes]:
    """(status, headers, body as sent on the wire)."""
    if urlparse(url).scheme not in ("http", "https"):
        raise ValueError(url)
    headers = {"Accept-Encoding": "gzip" if gzip_ok else "identity"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s) only, checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback or given URL
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "HOPTAC_DATABASE_URL"}
    env.update(HOPTAC_DATA_DIR=str(data_dir), HOPTAC_WORKERS=env.get("HOPTAC_WORKERS", "2"))
    log_path = data_dir / "server.log"
    hoptac = Path(sys.executable).with_name("hoptac")
    command = [str(hoptac), "run", "--demo", "--host", "127.0.0.1", "--port", str(port)]
    log = log_path.open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # migrating and loading the demo takes a while
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped; see {log_path}")
        try:
            if get(base + "/healthz")[0] == 200:
                return process, base, log_path
        except OSError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"the server did not answer in time; see {log_path}")


def demo_lots(data_dir: Path | None) -> list[tuple[str, str, str]]:
    """(product, lot code, public code) of the finished lots, read through Django."""
    if data_dir is not None:
        os.environ["HOPTAC_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from hoptac.inventory.models import Lot

    lots = Lot.unscoped.select_related("product").order_by("cooperative_id", "kind", "id")
    return [(lot.product.name, lot.code, lot.public_code) for lot in lots if lot.kind == "finished"]


class Assets(HTMLParser):
    """Same-origin assets a browser would fetch on a cold load (not <img>: the photo is
    optional and lazy)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (
            tag == "link"
            and attrs.get("href")
            and set((attrs.get("rel") or "").split())
            & {
                "stylesheet",
                "icon",
                "preload",
                "manifest",
            }
        ):
            self.urls.append(attrs["href"])
        elif tag in ("script", "iframe", "embed") and attrs.get("src"):
            self.urls.append(attrs["src"])
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)

    def handle_endtag(self, tag):
        self._in_style = False


def cold_load(url: str, body: bytes) -> tuple[int, int, list[str]]:
    """(bytes on the wire for HTML + assets, number of requests, asset URLs)."""
    html = gzip.decompress(body).decode() if body[:2] == b"\x1f\x8b" else body.decode()
    parser = Assets()
    parser.feed(html)
    for css in parser.styles:
        parser.urls += re.findall(r"url\(['\"]?([^'\")]+)", css)
    origin = urlparse(url).netloc
    same = [urljoin(url, u) for u in parser.urls if urlparse(urljoin(url, u)).netloc == origin]
    total = len(body)
    for asset in same:
        total += len(get(asset)[2])
    favicon = get(urljoin(url, "/favicon.ico"))  # every browser asks for it
    total += len(favicon[2]) if favicon[0] == 200 else 0
    return total, 1 + len(same), same


def rps(url: str, seconds: float, threads: int) -> tuple[float, int]:
    """Requests per second with ``threads`` keep-alive clients for ``seconds``."""
    target = urlparse(url)
    path = target.path + (f"?{target.query}" if target.query else "")
    stop = time.monotonic() + seconds
    counts, errors = [0] * threads, [0] * threads

    def loop(index: int) -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        while time.monotonic() < stop:
            try:
                connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        connection.close()

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.monotonic() - started), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="an existing server (default: start one with the demo)")
    parser.add_argument("--data-dir", type=Path, help="the data directory of the server at URL")
    parser.add_argument("--code", action="append", default=[], help="a public code to measure (repeatable)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput run")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients")
    parser.add_argument("--keep", action="store_true", help="keep the fresh data directory")
    args = parser.parse_args()
    seconds = max(0.5, min(args.seconds, MAX_SECONDS))
    threads = max(1, min(args.threads, MAX_THREADS))

    process = tmp = None
    try:
        if args.url:
            base = args.url.rstrip("/")
            lots = [("", "", code) for code in args.code] or demo_lots(args.data_dir)
        else:
            tmp = Path(tempfile.mkdtemp(prefix="hoptac-bench-trace-"))
            os.environ.pop("HOPTAC_DATABASE_URL", None)
            print(f"Starting `hoptac run --demo` with HOPTAC_DATA_DIR={tmp} …", flush=True)
            started = time.monotonic()
            process, base, _log = start_server(tmp)
            print(f"Server ready at {base} in {time.monotonic() - started:.0f} s\n", flush=True)
            lots = [("", "", code) for code in args.code] or demo_lots(tmp)
        if not lots:
            raise SystemExit("no finished lots found: load the demo or give --code")

        print(f"Budget: first HTML ≤ {BUDGET_FIRST} B compressed, cold load ≤ {BUDGET_COLD} B\n")
        header = f"{'lot':<22} {'product':<34} {'raw B':>7} {'gzip B':>7} {'cold B':>7} {'req':>4}"
        print(header)
        print("-" * len(header))
        for product, code, public in lots:
            url = f"{base}/t/{public}"
            status, headers, raw = get(url, gzip_ok=False)
            status_gz, headers_gz, body = get(url)
            encoding = headers_gz.get("Content-Encoding", "identity")
            cold, requests, assets = cold_load(url, body)
            print(
                f"{code or public:<22} {product[:34]:<34} {len(raw):>7} {len(body):>7} {cold:>7} {requests:>4}"
                + ("" if status == status_gz == 200 else f"  (HTTP {status})")
                + ("" if encoding == "gzip" else f"  (Content-Encoding: {encoding})")
            )
            for asset in assets:
                print(f"    asset {asset}")

        first = f"{base}/t/{lots[0][2]}"
        print(f"\nThroughput, {threads} keep-alive clients, {seconds:g} s each (loopback):")
        get(first), get(base + "/healthz")  # warm both
        page_rps, page_errors = rps(first, seconds, threads)
        health_rps, health_errors = rps(base + "/healthz", seconds, threads)
        print(f"  /t/{lots[0][2]:<12} {page_rps:8.1f} req/s   errors {page_errors}")
        print(f"  /healthz{'':<11} {health_rps:8.1f} req/s   errors {health_errors}")
        if health_rps:
            print(f"  trace page / minimal view: {page_rps / health_rps:.2f}")
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"\nData kept in {tmp}")


if __name__ == "__main__":
    main()

"""Run the Nu HTML checker (vnu.jar) on the main pages of the demo, signed in as its chair.

    .venv/bin/python scripts/check_html.py                  # starts `hoptac run --demo`
    .venv/bin/python scripts/check_html.py --max-pages 120 --keep pages/
    .venv/bin/python scripts/check_html.py http://127.0.0.1:8000   # a running demo

Needs Java and vnu.jar: ``npm install vnu-jar`` (here, or ``-g``), or ``HOPTAC_VNU_JAR``
pointing at the jar. Without a URL it starts the real server (gunicorn, ``hoptac run --demo
--workers 1``) on a free loopback port with a temporary data directory and the demo loaded,
and stops it at the end.

It signs in as the demo chair (0911000001 / demo1234), then walks the cooperative's pages
from the dashboard by their links (same origin, GET, one page per address shape: the first
member, lot, receipt… stands for the others), adds the sign-in page and a public trace page,
and checks every page in one run of the checker. It prints the errors (and, with
``--warnings``, the warnings) page by page and exits 1 when there is an error. It is not
part of the test suite because it needs Java.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAIR_PHONE, DEMO_PASSWORD, DEMO_SLUG = "0911000001", "demo1234", "tuan-dung"
SKIP = re.compile(r"(\.xlsx|\.json|\.csv|\.pdf|/logout/|/i18n/|/admin/|/media/|/static/)")
SHAPES = (
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"/\d+(?=/|$)"), "/<int>"),
    (re.compile(r"/payouts/[^/]+/"), "/payouts/<code>/"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_vnu() -> Path:
    candidates = [os.environ.get("HOPTAC_VNU_JAR", "")]
    for base in (ROOT / ".vnu" / "node_modules", ROOT / "node_modules"):
        candidates.append(str(base / "vnu-jar" / "build" / "dist" / "vnu.jar"))
    npm = shutil.which("npm")
    if npm:
        found = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False)  # noqa: S603
        root = found.stdout.strip()
        if root:
            candidates.append(str(Path(root) / "vnu-jar" / "build" / "dist" / "vnu.jar"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    sys.exit("vnu.jar not found: `npm install vnu-jar` (or -g), or set HOPTAC_VNU_JAR.")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "input" and attributes.get("name"):
            self.inputs.setdefault(attributes["name"], attributes.get("value") or "")


class Browser:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, content type, body) of GET ``path`` (redirects followed)."""
        url = urllib.parse.urljoin(self.base + "/", path)
        if not url.startswith(self.base):
            raise ValueError(url)
        try:
            with self.opener.open(url, timeout=60) as response:  # noqa: S310 - loopback or the given URL
                return response.status, response.headers.get("Content-Type", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode(errors="replace")

    def sign_in(self) -> None:
        status, _type, page = self.get("/accounts/login/")
        parser = Links()
        parser.feed(page)
        data = {**parser.inputs, "identifier": CHAIR_PHONE, "password": DEMO_PASSWORD}
        request = urllib.request.Request(  # noqa: S310
            self.base + "/accounts/login/",
            data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": self.base + "/accounts/login/"},
        )
        with self.opener.open(request, timeout=60) as response:  # noqa: S310
            final = response.geturl()
        if "/accounts/login/" in final:
            sys.exit("Could not sign in as the demo chair: is this the demo?")


def shape(path: str) -> str:
    for pattern, placeholder in SHAPES:
        path = pattern.sub(placeholder, path)
    return path


def crawl(browser: Browser, start: str, limit: int) -> dict[str, str]:
    """Address -> HTML of up to ``limit`` pages reached by links from ``start``."""
    pages: dict[str, str] = {}
    seen_shapes: set[str] = set()
    queue = [start]
    trace_page = ""
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if shape(path) in seen_shapes:
            continue
        seen_shapes.add(shape(path))
        status, content_type, body = browser.get(path)
        if status != 200 or "text/html" not in content_type:
            continue
        pages[path] = body
        parser = Links()
        parser.feed(body)
        for href in parser.links:
            parsed = urllib.parse.urlparse(urllib.parse.urljoin(path, href))
            if parsed.netloc and parsed.netloc != urllib.parse.urlparse(browser.base).netloc:
                continue
            link = parsed.path
            if re.match(r"^/(t/|01/)", link) and not trace_page:
                trace_page = link
            if (
                link.startswith(f"/c/{DEMO_SLUG}/")
                and not SKIP.search(link)
                and shape(link) not in seen_shapes
            ):
                queue.append(link)
    if trace_page:
        status, _type, body = browser.get(trace_page)
        if status == 200:
            pages[trace_page] = body
    return pages


def start_server(port: int, data_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HOPTAC_DATA_DIR": str(data_dir),
        "HOPTAC_WORKER": "off",
        "HOPTAC_STATIC_MANIFEST": "1",
    }
    env.pop("HOPTAC_DATABASE_URL", None)
    command = [sys.executable, "-m", "hoptac.cli", "run", "--demo", "--port", str(port), "--workers", "1"]
    server = subprocess.Popen(  # noqa: S603 - our own command
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("The demo server stopped while starting.")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                return server
        except OSError:
            time.sleep(1)
    server.terminate()
    sys.exit("The demo server did not answer within 5 minutes.")


@contextlib.contextmanager
def demo(url: str, *, prefix: str):
    """``(base URL, a scratch folder)`` of the demo at ``url``, or of one started here on a free
    port (stopped, and its data removed, at the end)."""
    server = None
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if url:
            base = url.rstrip("/")
        else:
            port = free_port()
            print(f"Starting the demo on port {port} (data in {data_dir})…", flush=True)
            server = start_server(port, data_dir)
            base = f"http://127.0.0.1:{port}"
        yield base, data_dir
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


def check(vnu: Path, folder: Path, show_warnings: bool) -> list[dict]:
    command = ["java", "-jar", str(vnu), "--format", "json", "--exit-zero-always"]
    if not show_warnings:
        command.append("--errors-only")
    command += sorted(str(path) for path in folder.glob("*.html"))
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    return json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="", help="a running demo (default: start one)")
    parser.add_argument("--max-pages", type=int, default=80)
    parser.add_argument("--warnings", action="store_true", help="show warnings too")
    parser.add_argument("--keep", default="", help="a folder to keep the fetched pages in")
    args = parser.parse_args()
    vnu = find_vnu()
    with demo(args.url, prefix="hoptac-vnu-") as (base, data_dir):
        anonymous = Browser(base)
        pages = {}
        _status, _type, pages["/accounts/login/"] = anonymous.get("/accounts/login/")
        browser = Browser(base)
        browser.sign_in()
        pages.update(crawl(browser, f"/c/{DEMO_SLUG}/", args.max_pages))
        folder = Path(args.keep) if args.keep else data_dir / "pages"
        folder.mkdir(parents=True, exist_ok=True)
        names = {}
        for number, (path, body) in enumerate(pages.items()):
            name = f"{number:03d}.html"
            (folder / name).write_text(body, encoding="utf-8")
            names[name] = path
        messages = check(vnu, folder, args.warnings)
    by_page: dict[str, list[dict]] = {}
    for message in messages:
        name = Path(urllib.parse.urlparse(message.get("url", "")).path).name
        by_page.setdefault(names.get(name, name), []).append(message)
    errors = 0
    for path in names.values():
        found = by_page.get(path, [])
        page_errors = [m for m in found if m.get("type") == "error"]
        errors += len(page_errors)
        print(f"{len(page_errors):3d} errors  {path}")
        for message in found:
            kind = message.get("subType") or message.get("type")
            print(f"      {kind} line {message.get('lastLine', '?')}: {message.get('message', '')}")
            extract = (message.get("extract") or "").strip().replace("\n", " ")
            if extract:
                print(f"        {extract[:160]}")
    print(f"\n{len(names)} pages checked, {errors} errors.")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

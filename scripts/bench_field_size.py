"""The field app's first load, in bytes: every file its service worker precaches (the shell
page, the manifest, the JavaScript modules, the stylesheet, the icons) plus the service
worker itself, raw and gzip-compressed, and the total against the budget of issue 14
(≤ 100 KB compressed, no CDN).

    .venv/bin/python scripts/bench_field_size.py
        reads the files as the service worker lists them and renders the shell page in
        Vietnamese (the longer language) with no database;
    .venv/bin/python scripts/bench_field_size.py --base http://127.0.0.1:8000 \\
            --slug tuan-dung --login 0911000003 --password demo1234
        signs in to a running server (e.g. ``hoptac run --demo``) and downloads exactly
        what the phone downloads.

Exit status 1 when the total is over the budget. Compression is gzip level 9, as
WhiteNoise stores its .gz files (brotli would be smaller).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HOPTAC_DATA_DIR", tempfile.mkdtemp(prefix="hoptac-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")

BUDGET = 100 * 1024


def local_files() -> list[tuple[str, bytes]]:
    """(name, bytes) of what the phone downloads, without a server or a database."""
    import django

    django.setup()
    from django.contrib.staticfiles import finders
    from django.template.loader import get_template, render_to_string
    from django.utils import translation

    from hoptac.lib.units import UNIT_LABELS
    from hoptac.sync import views_field

    slug = "tuan-dung"
    with translation.override("vi"):
        urls = {
            "shell": f"/c/{slug}/field/",
            "manifest": f"/c/{slug}/field/manifest.webmanifest",
            "sw": f"/c/{slug}/field/sw.js",
            "login": "/accounts/login/",
            "static": "/static/",
        }
        config = {
            "slug": slug,
            "coop": "HTX Nông nghiệp Tuấn Dũng",
            "user": "Sùng Seo Chứ",
            "userId": 1,
            "lang": "vi",
            "urls": urls,
            "version": views_field.assets_version(),
            "units": {str(k): str(v) for k, v in UNIT_LABELS.items()},
            "places": {
                "commune": 2788,
                "communes": [[2788, "Xã Mèo Vạc"]] * 3,
                "villages": [["Pả Vi Hạ", 2788]] * 20,
            },
            "strings": views_field.ui_strings(),
        }
        shell = render_to_string(
            "sync/field.html",
            {
                "config": config,
                "urls": urls,
                "static_field": "/static/hoptac/field/",
                "theme_colour": views_field.THEME_COLOUR,
                "csrf": "x" * 64,
            },
        )
        manifest = json.dumps(
            {
                "name": config["coop"],
                "icons": [{}, {}, {}],
                "start_url": urls["shell"],
                "scope": urls["shell"],
                "display": "standalone",
            },
            ensure_ascii=False,
        )
        worker = "const CONFIG = " + json.dumps({"assets": views_field.asset_urls()}) + ";\n"
        worker += get_template("sync/field-sw.js").template.source
    files = [
        ("shell (field/)", shell.encode()),
        ("manifest.webmanifest", manifest.encode()),
        ("sw.js", worker.encode()),
    ]
    for name in views_field.ASSETS:
        path = finders.find(name)
        if path:
            files.append((name.removeprefix("hoptac/field/"), Path(path).read_bytes()))
    return files


def remote_files(base: str, slug: str, login: str, password: str) -> list[tuple[str, bytes]]:
    """(name, bytes) as a signed-in phone downloads them from a running server."""
    import httpx

    with httpx.Client(base_url=base, follow_redirects=True, timeout=30) as http:
        page = http.get("/accounts/login/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        http.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "identifier": login, "password": password},
            headers={"Referer": base + "/accounts/login/"},
        )
        shell = http.get(f"/c/{slug}/field/")
        if shell.status_code != 200 or "field-config" not in shell.text:
            raise SystemExit(f"could not open the field app: {shell.status_code} {shell.url}")
        worker = http.get(f"/c/{slug}/field/sw.js").text
        config = json.loads(re.match(r"const CONFIG = (.*?);\n", worker).group(1))
        files = [("shell (field/)", shell.content), ("sw.js", worker.encode())]
        for url in [config["manifest"], *config["assets"]]:
            response = http.get(url)
            response.raise_for_status()
            if "://" in url and not url.startswith(base):
                raise SystemExit(f"{url}: not from the server (no CDN)")
            files.append((url.rsplit("/", 1)[-1], response.content))
        return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base")
    parser.add_argument("--slug", default="tuan-dung")
    parser.add_argument("--login", default="0911000003")
    parser.add_argument("--password", default="demo1234")
    args = parser.parse_args()
    files = remote_files(args.base, args.slug, args.login, args.password) if args.base else local_files()
    raw_total = gz_total = 0
    print(f"{'file':<24}{'raw':>10}{'gzip':>10}")
    for name, content in files:
        packed = len(gzip.compress(content, compresslevel=9, mtime=0))
        raw_total += len(content)
        gz_total += packed
        print(f"{name:<24}{len(content):>10,}{packed:>10,}")
    print(f"{'total':<24}{raw_total:>10,}{gz_total:>10,}")
    verdict = "within" if gz_total <= BUDGET else "OVER"
    print(f"first load: {gz_total / 1024:.1f} KB compressed, {verdict} the budget of {BUDGET // 1024} KB")
    return 0 if gz_total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())

"""Lighthouse on four pages of the demo, as a phone sees them (issue 11's quality bar).

    .venv/bin/python scripts/lighthouse.py                       # starts `hoptac run --demo`
    .venv/bin/python scripts/lighthouse.py http://127.0.0.1:8000 # a running demo
    .venv/bin/python scripts/lighthouse.py --keep /tmp/lh        # keep the JSON reports

Runs Lighthouse's mobile audit (its defaults: a phone screen, simulated slow 4G and a 4×
slower CPU) on the dashboard, the member list, the receipt form and a public trace page of
the demo cooperative (tuan-dung), signed in as the demo chair (the session cookie is passed
with ``--extra-headers``; the trace page is opened without it, as the public opens it).
Prints per page the performance and accessibility scores and the bytes transferred on a
cold load (Lighthouse empties the cache first), and checks them against the bar:
performance ≥ 95, accessibility 100, a staff page ≤ 60 KB transferred. Exits 1 when a page
misses it.

Needs Node and Lighthouse: ``npm install -g lighthouse`` (or ``--prefix /tmp/lh``, then set
``HOPTAC_LIGHTHOUSE=/tmp/lh/node_modules/.bin/lighthouse``), and Chromium (``CHROME_PATH``,
default /usr/bin/chromium). Without a URL it starts the demo like ``scripts/check_html.py``
(gunicorn, one worker, a temporary data directory) and stops it at the end. Not part of the
test suite: it takes a minute per page.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_html import DEMO_SLUG, Browser, demo  # noqa: E402

CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update"
)
PERFORMANCE_MIN, ACCESSIBILITY_MIN, STAFF_BUDGET_KB = 95, 100, 60


def find_lighthouse() -> list[str]:
    candidates = [os.environ.get("HOPTAC_LIGHTHOUSE", ""), shutil.which("lighthouse") or ""]
    candidates.append("/tmp/lh/node_modules/.bin/lighthouse")  # noqa: S108 - a documented place
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return [candidate]
    sys.exit("Lighthouse not found: `npm install -g lighthouse`, or set HOPTAC_LIGHTHOUSE.")


def trace_path(browser: Browser) -> str:
    """A public trace page of the demo: the first /t/<code> link of a lot's page."""
    _status, _type, lots = browser.get(f"/c/{DEMO_SLUG}/inventory/lots/")
    for lot in dict.fromkeys(re.findall(rf'href="(/c/{DEMO_SLUG}/inventory/lots/[0-9a-f-]{{36}}/)"', lots)):
        _status, _type, page = browser.get(lot)
        found = re.search(r'href="(?:https?://[^/"]+)?(/t/[^"]+)"', page)
        if found:
            return found.group(1)
    sys.exit("No trace page found among the demo's lots.")


def audit(lighthouse: list[str], url: str, cookie: str, keep: Path | None) -> dict:
    command = [
        *lighthouse,
        url,
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        "--only-categories=performance,accessibility",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0 or not result.stdout.strip():
        sys.exit(f"Lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9]+", "-", url.split("//", 1)[1].lower()).strip("-")
        (keep / f"{name}.json").write_text(result.stdout, encoding="utf-8")
    return report


def figures(report: dict) -> dict:
    categories, audits = report["categories"], report["audits"]
    failing = [
        audit_id
        for audit_id, found in audits.items()
        if found.get("score") is not None
        and found["score"] < 1
        and any(ref["id"] == audit_id for ref in categories["accessibility"]["auditRefs"])
        and found.get("scoreDisplayMode") == "binary"
    ]
    return {
        "performance": round((categories["performance"]["score"] or 0) * 100),
        "accessibility": round((categories["accessibility"]["score"] or 0) * 100),
        "kb": audits["total-byte-weight"]["numericValue"] / 1024,
        "requests": len(audits.get("network-requests", {}).get("details", {}).get("items", [])),
        "lcp": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt": audits["total-blocking-time"]["numericValue"],
        "a11y_failing": failing,
        "final_url": report.get("finalDisplayedUrl") or report.get("finalUrl", ""),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="", help="a running demo (default: start one)")
    parser.add_argument("--keep", default="", help="a folder to keep Lighthouse's JSON reports in")
    args = parser.parse_args()
    lighthouse = find_lighthouse()
    problems: list[str] = []
    with demo(args.url, prefix="hoptac-lh-") as (base, data_dir):
        browser = Browser(base)
        browser.sign_in()
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.jar if c.name == "sessionid")
        pages = [
            ("dashboard", f"/c/{DEMO_SLUG}/", True),
            ("member list", f"/c/{DEMO_SLUG}/members/", True),
            ("receipt form", f"/c/{DEMO_SLUG}/buying/receipts/new/", True),
            ("trace page", trace_path(browser), False),
        ]
        print(
            f"{'page':14} {'perf':>4} {'a11y':>4} {'KB cold':>8} {'req':>4} {'LCP s':>6} {'TBT ms':>6}  address"
        )
        for label, path, staff in pages:
            found = figures(
                audit(
                    lighthouse, base + path, cookie if staff else "", Path(args.keep) if args.keep else None
                )
            )
            if staff and "/accounts/login/" in found["final_url"]:
                sys.exit(f"{path} went to the sign-in page: the session cookie was not accepted.")
            print(
                f"{label:14} {found['performance']:4d} {found['accessibility']:4d} {found['kb']:8.1f} "
                f"{found['requests']:4d} {found['lcp']:6.2f} {found['tbt']:6.0f}  {path}",
                flush=True,
            )
            if found["a11y_failing"]:
                print(f"{'':14} accessibility audits failing: {', '.join(found['a11y_failing'])}")
            if found["performance"] < PERFORMANCE_MIN:
                problems.append(f"{label}: performance {found['performance']} < {PERFORMANCE_MIN}")
            if found["accessibility"] < ACCESSIBILITY_MIN:
                problems.append(f"{label}: accessibility {found['accessibility']} < {ACCESSIBILITY_MIN}")
            if staff:
                verdict = "within" if found["kb"] <= STAFF_BUDGET_KB else "OVER"
                print(
                    f"{'':14} cold transfer {found['kb']:.1f} KB: {verdict} the {STAFF_BUDGET_KB} KB budget"
                )
                if found["kb"] > STAFF_BUDGET_KB:
                    problems.append(f"{label}: {found['kb']:.1f} KB > {STAFF_BUDGET_KB} KB")
    print("\n" + ("\n".join(problems) if problems else "Every page meets the bar."))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the live comment parser (``hoptac/lib/livecomments.py``) on its corpus
(``tests/data/live_comments.json``, issue 13: precision and recall both at least 0.95).

Prints precision, recall and F1 of the (code, quantity) claims, overall and per kind of
comment (with and without diacritics, several products, questions and other comments that
are not orders, typos a human would look at twice), the accuracy of the phone numbers
found, how often ``needs_look`` agrees with the corpus's ``unsure``, and the time per
comment (mean, median, p95, µs) over the corpus repeated to about 20 000 comments. It asserts
nothing.

    .venv/bin/python scripts/bench_live_parser.py
    .venv/bin/python scripts/bench_live_parser.py --repeat 100000 --misses
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hoptac.lib.livecomments import parse  # noqa: E402  (pure: no Django needed)
from hoptac.lib.text import unaccent  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "live_comments.json"


def _kinds(entry: dict) -> list[str]:
    kinds = ["all"]
    kinds.append("without diacritics" if unaccent(entry["text"]) == entry["text"] else "with diacritics")
    if len(entry["expect"]) >= 2:
        kinds.append("several products")
    if not entry["expect"]:
        kinds.append("not an order (questions, reviews, talk)")
    if entry.get("unsure"):
        kinds.append("a human looks twice")
    if entry["phone"]:
        kinds.append("with a phone number")
    return kinds


def _score(entries: list[dict]) -> dict:
    counts: dict[str, list[int]] = {}
    misses = []
    phones = looks = 0
    for entry in entries:
        parsed = parse(entry["text"], entry["codes"])
        got = {w.code: w.quantity for w in parsed.wanted} if parsed.is_order else {}
        expected = dict(entry["expect"])
        hits = sum(1 for code, qty in got.items() if expected.get(code) == qty)
        for kind in _kinds(entry):
            row = counts.setdefault(kind, [0, 0, 0, 0])  # comments, true pos, false pos, false neg
            row[0] += 1
            row[1] += hits
            row[2] += len(got) - hits
            row[3] += len(expected) - hits
        phones += parsed.phone == entry["phone"]
        looks += parsed.needs_look == bool(entry.get("unsure"))
        if got != expected or parsed.phone != entry["phone"]:
            misses.append((entry["text"], expected, got, entry["phone"], parsed.phone))
    return {"counts": counts, "phones": phones, "looks": looks, "misses": misses}


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=20_000, help="comments parsed for the timing")
    ap.add_argument("--misses", action="store_true", help="print the comments read wrong")
    args = ap.parse_args()

    entries = json.loads(CORPUS.read_text(encoding="utf-8"))
    score = _score(entries)
    print(f"corpus: {len(entries)} comments, {len({tuple(e['codes']) for e in entries})} code sets")
    print(f"{'kind':42} {'comments':>8} {'precision':>9} {'recall':>7} {'F1':>6}")
    for kind, (n, tp, fp, fn) in score["counts"].items():
        if kind.startswith("not an order"):
            continue  # nothing to find there: precision and recall say nothing; see below
        precision, recall, f1 = _prf(tp, fp, fn)
        print(f"{kind:42} {n:8d} {precision:9.3f} {recall:7.3f} {f1:6.3f}")
    quiet = score["counts"].get("not an order (questions, reviews, talk)", [0, 0, 0, 0])
    print(f"not orders (questions, reviews, talk): {quiet[0]} comments, {quiet[2]} claims read in them wrongly")
    print(f"phone numbers right: {score['phones'] / len(entries):.3f}")
    print(f"needs_look agrees with the corpus's 'unsure': {score['looks'] / len(entries):.3f}")
    if args.misses:
        for text, expected, got, phone, got_phone in score["misses"]:
            print(f"  miss: {text!r} expected {expected} {phone!r}, read {got} {got_phone!r}")

    # Timing: the corpus repeated, each comment parsed once per round, code sets cached as
    # they are during a live.
    rounds = max(1, args.repeat // len(entries))
    times = []
    clock = time.perf_counter_ns
    for _round in range(rounds):
        for entry in entries:
            text, codes = entry["text"], entry["codes"]
            start = clock()
            parse(text, codes)
            times.append(clock() - start)
    times.sort()
    mean = statistics.fmean(times) / 1000
    median = times[len(times) // 2] / 1000
    p95 = times[int(len(times) * 0.95)] / 1000
    worst = times[-1] / 1000
    print(
        f"time per comment over {len(times)} comments: mean {mean:.0f} µs, median {median:.0f} µs, p95 {p95:.0f} µs, max {worst:.0f} µs"
    )


if __name__ == "__main__":
    main()

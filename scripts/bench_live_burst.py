"""Benchmark of a busy livestream: 2,000 comments arriving in one minute, each read and turned
into claims (``live.services.claims.comment_add``) by worker threads, as the capture would.

    .venv/bin/python scripts/bench_live_burst.py                       # SQLite
    HOPTAC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python scripts/bench_live_burst.py                   # PostgreSQL
    .venv/bin/python scripts/bench_live_burst.py --comments 2000 --seconds 60 --threads 4

Comments arrive on a fixed schedule (``--comments`` spread evenly over ``--seconds``); the
latency of a comment is from its arrival to the end of its transaction, so time spent
queueing behind other comments counts. The mix: orders of 5 products by 400 buyers (with
and without diacritics, phones in several writings), 10 % repeated comments, 20 %
questions and chatter; two products have small live quantities so the waiting list works.
Runs on a fresh database of its own (a file for SQLite; a test database on PostgreSQL,
dropped afterwards). Prints figures and checks the claims rule at the end (held + ordered
never above an item's quantity); it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HOPTAC_DATA_DIR", tempfile.mkdtemp(prefix="hoptac-bench-live-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
os.environ.setdefault("HOPTAC_STATIC_MANIFEST", "0")

FIRST = ["Lò Thị", "Vàng Seo", "Giàng A", "Sùng Thị", "Nguyễn Thị", "Trần Văn", "Hoàng Thị", "Triệu Tài"]
LAST = ["Mai", "Pao", "Lử", "Dợ", "Lan", "Hùng", "Thu", "Vần", "Hoa", "Chứ", "Sính", "Dính"]
ORDER_SHAPES = [
    "chốt {code} x{n} {phone}",
    "chot {code_l} {n} {phone}",
    "{code} {n}",
    "lấy {n} hũ {code_l} nhé",
    "{code}+{code2} sdt {phone}",
    "cho e {n} {code} ạ {phone}",
    "{code_l} x{n}",
]
CHATTER = [
    "Mật ong này có thật không shop?",
    "ship Hà Nội bao lâu ạ",
    "{code} còn không?",
    "đẹp quá 😍😍",
    "chào shop",
    "giá {code} bao nhiêu vậy",
    "hôm qua nhận hàng rồi, ngon lắm",
]


def _phone(rng: random.Random) -> str:
    digits = "09" + "".join(rng.choice("0123456789") for _ in range(8))
    shape = rng.randrange(3)
    if shape == 0:
        return digits
    if shape == 1:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def comments(count: int, codes: list[str], seed: int = 13) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    buyers = [(f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}", _phone(rng)) for i in range(400)]
    out: list[tuple[str, str]] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.10 and out:
            out.append(rng.choice(out))
            continue
        name, phone = rng.choice(buyers)
        code, code2 = rng.sample(codes, 2)
        if roll < 0.30:
            text = rng.choice(CHATTER).format(code=code)
        else:
            text = rng.choice(ORDER_SHAPES).format(
                code=code, code_l=code.lower(), code2=code2, n=rng.randint(1, 3), phone=phone
            )
        out.append((name, text))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    import django
    from django.conf import settings

    if "HOPTAC_DATABASE_URL" not in os.environ:
        # A file, not the in-memory test database: the worker threads share it.
        settings.DATABASES["default"]["TEST"] = {"NAME": str(Path(os.environ["HOPTAC_DATA_DIR"]) / "bench.sqlite3")}
    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        run(args)
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")


def run(args) -> None:
    from django.db import connection
    from django.db.models import Sum

    from hoptac.coops.models import Cooperative
    from hoptac.core.tenancy import tenant
    from hoptac.live.models import Claim, LiveComment, LiveItem, LiveSession
    from hoptac.live.services.claims import comment_add
    from tests.live_fixtures import on_air

    coop = Cooperative.objects.create(slug="bench-live", name="HTX Bench Live", commune_code=769)
    items = (
        ("M1", 3000, 2000, 200_000),
        ("M2", 3000, 2000, 180_000),
        ("C1", 3000, 2000, 150_000),
        ("T1", 100, 40, 90_000),  # small: the waiting list fills
        ("G1", 100, 25, 60_000),
    )
    session = on_air(coop, items=items)
    codes = [code for code, *_rest in items]
    batch = comments(args.comments, codes)
    interval = args.seconds / max(len(batch), 1)
    latencies: list[float] = [0.0] * len(batch)
    service: list[float] = [0.0] * len(batch)
    errors: list[str] = []
    cursor = iter(range(len(batch)))
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def worker() -> None:
        try:
            with tenant(coop):
                live = LiveSession.objects.get(pk=session.pk)
                while True:
                    with lock:
                        index = next(cursor, None)
                    if index is None:
                        return
                    arrival = start + index * interval
                    wait = arrival - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                    name, text = batch[index]
                    began = time.perf_counter()
                    try:
                        comment_add(session=live, author_name=name, text=text)
                    except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
                        errors.append(f"{type(exc).__name__}: {exc}")
                    done = time.perf_counter()
                    service[index] = done - began
                    latencies[index] = done - max(arrival, start)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    with tenant(coop):
        over = []
        for item in LiveItem.objects.filter(session=session):
            taken = Claim.objects.filter(item=item, state__in=("held", "ordered")).aggregate(n=Sum("quantity"))["n"]
            if (taken or 0) > item.quantity:
                over.append(item.code)
        print(f"comments: {len(batch)} over {args.seconds:.0f} s, {args.threads} threads, wall {wall:.1f} s")
        print(
            f"kept: {LiveComment.objects.count()} comments, "
            f"{LiveComment.objects.filter(duplicate_of__isnull=False).count()} repeats, "
            f"{Claim.objects.count()} claims "
            f"({Claim.objects.filter(state='held').count()} held, "
            f"{Claim.objects.filter(state='waiting').count()} waiting)"
        )
        print(
            "latency from arrival (s): "
            f"p50 {pct(latencies, 50):.3f}  p95 {pct(latencies, 95):.3f}  p99 {pct(latencies, 99):.3f}  "
            f"max {max(latencies):.3f}"
        )
        print(
            "service time (ms): "
            f"mean {statistics.mean(service) * 1000:.1f}  p95 {pct(service, 95) * 1000:.1f}  "
            f"max {max(service) * 1000:.1f}"
        )
        print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
        print(f"items over their live quantity: {over or 'none'}")


if __name__ == "__main__":
    main()

"""Benchmark of the member import's reader (``hoptac.lib.xlsx.read_rows``): prints how long
each crafted workbook of ``tests/test_import_limits.py`` takes to be refused, with the
Python memory it needed at most, then the same for a real list of 5,000 households.

    .venv/bin/python scripts/bench_import.py

The probe's files took minutes and gigabytes before the reader had limits (20 million empty
rows: 9 minutes, 1.9 GB; one row of 2 million cells: 69 s, 1.4 GB). It needs no database
and asserts nothing about speed: the tests check what is refused, this prints how fast.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HOPTAC_DATA_DIR", tempfile.mkdtemp(prefix="hoptac-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")


def measure(content: bytes, limits) -> tuple[str, int, float, int]:
    """(outcome, rows read, seconds, peak bytes of Python memory). Timed on a first run and
    measured on a second one: tracing memory slows Python down several times."""
    from hoptac.lib import xlsx

    def run() -> tuple[str, int]:
        rows = 0
        try:
            for _row in xlsx.read_rows(content, limits):
                rows += 1
        except xlsx.XlsxRefused as refused:
            return f"refused: {refused.code}", rows
        return "read", rows

    started = time.perf_counter()
    outcome, rows = run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return outcome, rows, seconds, peak


def households(count: int) -> bytes:
    """A list of ``count`` households in the template's columns, as Excel would save it."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Họ và tên *", "Giới tính", "Năm sinh", "Số điện thoại", "Xã/phường *", "Ngày vào HTX *"])
    for number in range(count):
        sheet.append(
            [
                f"Vàng A Páo {number}",
                "Nam",
                1960 + number % 40,
                f"09{number:08d}",
                "Mèo Vạc",
                dt.date(2022, 3, 1),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    import django

    django.setup()
    from django.utils import translation

    from hoptac.lib import xlsx
    from tests.test_import_limits import CRAFTED

    translation.activate("en")
    limits = xlsx.Limits()
    print(f"{'file':46} {'size':>9} {'outcome':>26} {'rows':>6} {'time':>9} {'memory':>9}")
    files = [(name, make()) for name, make in CRAFTED.items()]
    files.append(("5,000 households (a real list)", households(5_000)))
    for name, content in files:
        outcome, rows, seconds, peak = measure(content, limits)
        print(
            f"{name[:46]:46} {len(content) / 1024:>7.0f}KB {outcome:>26} {rows:>6} "
            f"{seconds * 1000:>7.1f}ms {peak / 1024 / 1024:>7.1f}MB"
        )
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmost memory the whole process held: {maxrss:.0f} MB")


if __name__ == "__main__":
    main()

"""False positives and speed of ``hoptac.lib.ordercode.find_codes`` on memos without a code.

    .venv/bin/python scripts/bench_ordercode.py            # 100 000 memos of each kind
    .venv/bin/python scripts/bench_ordercode.py -n 20000 --seed 7

Three kinds of random memo, none built around an order code:

- ``random``: 10 to 60 characters drawn from upper and lower case letters, digits, spaces,
  dots and dashes (what a bank memo is made of);
- ``words``: 2 to 8 words of typical memos (names, "chuyen khoan", account and
  reference numbers), with "DH" as a word now and then;
- ``after DH``: a bare "DH" followed by random alphabet-only text, the worst case: every
  memo has a prefix followed by 7 readable characters, so about 1 in 32 passes the check.

For each it prints how many memos gave a code (a false positive: no order code was put
there) and the time per memo. It asserts nothing. Callers keep only found codes that are
open orders, so a false positive costs a lookup, not a wrong payment.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hoptac.lib.ordercode import ALPHABET, find_codes  # noqa: E402

WORDS = [
    "CK", "chuyen khoan", "thanh toan", "tien hang", "don hang", "mat ong", "che",
    "NGUYEN VAN A", "TRAN THI BINH", "LE VAN CUONG", "HOANG THI DUNG", "MBVCB", "IBFT",
    "FT24123", "REF", "tu", "cho", "HTX", "Ha Giang", "Do Huu", "DH",
]  # fmt: skip


def memo_random(rng: random.Random) -> str:
    chars = string.ascii_letters + string.digits + " .-"
    return "".join(rng.choice(chars) for _ in range(rng.randint(10, 60)))


def memo_words(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(2, 8))]
    if rng.random() < 0.5:
        words.append(str(rng.randint(10**8, 10**12)))
    rng.shuffle(words)
    return " ".join(words)


def memo_after_prefix(rng: random.Random) -> str:
    return "DH " + "".join(rng.choice(ALPHABET) for _ in range(7))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=100_000, help="memos of each kind (default 100000)")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"{'kind':<10} {'memos':>8} {'with a code':>12} {'rate':>9} {'µs/memo':>8}")
    for name, make in (("random", memo_random), ("words", memo_words), ("after DH", memo_after_prefix)):
        memos = [make(rng) for _ in range(args.n)]
        start = time.perf_counter()
        hits = sum(1 for memo in memos if find_codes(memo))
        elapsed = time.perf_counter() - start
        print(f"{name:<10} {args.n:>8} {hits:>12} {hits / args.n:>9.5f} {elapsed / args.n * 1e6:>8.1f}")


if __name__ == "__main__":
    main()

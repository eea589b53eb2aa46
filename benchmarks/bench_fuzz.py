"""Fuzz collect's reader with seeded mutants of filled forms of every kind (issue 13): 10,000 by default.

Builds the city sample, generates its forms, fills two of every kind as a simulated clerk would, then reads
`--count` mutants (XML byte flips, truncated or deleted members, cell-type swaps, out-of-range shared-string
indexes, huge row and column numbers, duplicate cells, namespace prefixes, entity-encoded names, formulas) with
`read_all`, as collect does, in batches. Each mutant must be accepted with the original's values or flagged
(rejected, or 待更正 with an error); it prints accepted / flagged / crashed / wrong / unhandled errors, the time
and the peak memory, and exits 0 (a failed target shows as FAIL in the report).

    .venv/bin/python benchmarks/bench_fuzz.py                    # 10,000 mutants, about 25 s on 2 cores
    .venv/bin/python benchmarks/bench_fuzz.py --count 1000 --seed 7
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout
sys.path.insert(0, str(HERE.parent / "tests"))  # the mutation engine, shared with the fuzz test

from mutants import fuzz  # noqa: E402
from xlplugin.forms.read import FormFile, read_meta  # noqa: E402
from xlplugin.generate import generate  # noqa: E402
from xlplugin.init import init as write_sample  # noqa: E402
from xlplugin.officebook import FileOfficeBook  # noqa: E402
from xlplugin.scheme import load_scheme  # noqa: E402
from xlplugin.simulate import fill  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=20270115)
    ap.add_argument("--workers", type=int, default=None, help="reader processes (default: read_all's choice)")
    ap.add_argument("--batch", type=int, default=1000, help="mutants written and read at a time")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        book = FileOfficeBook(write_sample(root / "考评台账.xlsx", "city"))
        scheme = load_scheme(book)
        by_kind: dict[str, list[Path]] = {}
        for p in sorted(generate(book).paths):
            by_kind.setdefault(p.parent.name, []).append(p)
        forms = [fill(p, root / "filled" / p.name, scheme, random.Random(n))
                 for n, p in enumerate(src for group in by_kind.values() for src in group[:2])]
        kinds = sorted({read_meta(FormFile(p)).kind for p in forms})
        print(f"bases: {len(forms)} filled forms of kinds {', '.join(kinds)} (set up in {time.perf_counter() - started:.1f} s)")
        figures = fuzz(scheme, scheme.period(), forms, args.count, args.seed, root / "mutants", args.workers, args.batch)
    print(f"seed {args.seed}: {figures.line()}")
    for line in (figures.crashed + figures.wrong + figures.unhandled)[:20]:
        print("  ", line)
    ok = not (figures.crashed or figures.wrong or figures.unhandled) and figures.peak_mb < 1024
    print(("PASS" if ok else "FAIL") + ": every mutant accepted with the original's values or flagged, "
          "0 unhandled errors, peak memory under 1 GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

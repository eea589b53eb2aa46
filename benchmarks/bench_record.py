"""Benchmark: storing a province-wide period's marks into the year's record, against writing them as CSV.

Builds the marks of N units (default 1,000) × ~490 marks each (self score, actual value, explanation, evidence
per indicator; evaluator score and reason; about what a 120-indicator form gives), as collect hands them over
(one `Marks` per file), then, in the same run and interleaved:
  - stores them into a new record (`Record.add_receipt` per file, one transaction, committed), as collect does;
  - writes the same rows as one CSV with pandas (the baseline: the cheapest durable format a person can open).
Target: storing ≤ 2 s on this 2-core machine. Prints wall and CPU per round and the ratio record / CSV.

Run:  .venv/bin/python benchmarks/bench_record.py [--units 1000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import pandas as pd  # noqa: E402

from xlplugin.marks import Marks  # noqa: E402
from xlplugin.record import Record  # noqa: E402

TARGET_SECONDS = 2.0
ITEMS_SELF = ("实际完成值", "自评得分", "情况说明", "佐证材料")


def build(units: int, indicators: int, seed: int = 1) -> list[Marks]:
    rng = random.Random(seed)
    files = []
    for u in range(units):
        code = f"U{u:04d}"
        m = Marks("年终", code, f"2026年终_{code}_单位{u}_绩效考评表.xlsx")
        for i in range(indicators):
            ind, row = f"I{i:03d}", 7 + i
            m.add(code, "自评", ind, "实际完成值", round(rng.uniform(50, 120), 2), "指标考评表", f"J{row}")
            m.add(code, "自评", ind, "自评得分", round(rng.uniform(0, 5), 2), "指标考评表", f"L{row}")
            m.add(code, "自评", ind, "情况说明", "按期完成年度目标任务，成效明显。", "指标考评表", f"M{row}")
            m.add(code, "自评", ind, "佐证材料", f"佐证材料{i}号", "指标考评表", f"N{row}")
        m.add(code, "自评", "", "总体情况", "本年度……" * 50, "自评报告", "B5")
        files.append(m)
    return files


def as_rows(files: list[Marks]) -> pd.DataFrame:
    cols = {k: [] for k in ("unit", "period", "source", "indicator", "rater", "item", "value", "file", "sheet", "cell")}
    for m in files:
        n = len(m)
        cols["unit"] += m.unit
        cols["period"] += [m.period] * n
        cols["source"] += m.source
        cols["indicator"] += m.indicator
        cols["rater"] += [m.rater] * n
        cols["item"] += m.item
        cols["value"] += m.value
        cols["file"] += [m.file] * n
        cols["sheet"] += m.sheet
        cols["cell"] += m.cell
    return pd.DataFrame(cols)


def store(files: list[Marks], folder: Path) -> tuple[float, float]:
    path = folder / "考评数据.sqlite"
    for f in folder.glob("考评数据.sqlite*"):
        f.unlink()
    c0, t0 = time.process_time(), time.perf_counter()
    with Record(path, "bench", 2026) as record:
        with record.transaction("collect", "年终"):
            received = datetime(2027, 1, 10, 9, 0)
            for m in files:
                record.add_receipt("年终", m.file, m.file, received, "unit", m.rater, "已收到", 0, m, [])
    return time.perf_counter() - t0, time.process_time() - c0


def csv(frame: pd.DataFrame, folder: Path) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    frame.to_csv(folder / "marks.csv", index=False, encoding="utf-8-sig")
    return time.perf_counter() - t0, time.process_time() - c0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--indicators", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    files = build(args.units, args.indicators)
    rows = sum(len(m) for m in files)
    frame = as_rows(files)
    print(f"{args.units} units, {rows:,} marks ({rows / args.units:.0f} per form)")
    best_record = best_csv = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for r in range(args.rounds):
            wall_r, cpu_r = store(files, folder)
            wall_c, cpu_c = csv(frame, folder)
            best_record, best_csv = min(best_record, wall_r), min(best_csv, wall_c)
            size = (folder / "考评数据.sqlite").stat().st_size / 1e6
            print(f"round {r + 1}: record {wall_r:.2f} s wall, {cpu_r:.2f} s CPU ({size:.0f} MB); "
                  f"CSV {wall_c:.2f} s wall, {cpu_c:.2f} s CPU; record / CSV = {wall_r / wall_c:.2f}x")
    verdict = "PASS" if best_record <= TARGET_SECONDS else "FAIL"
    print(f"Best: record {best_record:.2f} s, CSV {best_csv:.2f} s (ratio {best_record / best_csv:.2f}x). "
          f"Target: storing ≤ {TARGET_SECONDS:g} s → {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: how many round trips to Excel the score write-back makes (xlwings actions), for 200 units.

In Excel every xlwings call is a round trip (DESIGN.md, principle 7). xlwings' remote engine records each call
that changes the workbook as one action, so the number of actions is the number of round trips a write makes.
This builds the result sheets of a 200-unit cycle (the synthetic scheme and marks of bench_score.py: 3
categories, 120 indicators per unit, so 指标得分 has 24,000 rows) and writes them through
`xlplugin.xlbook.XlwingsOfficeBook.write_sheets`, exactly as `score` does from the ribbon:
  1. into a workbook that does not have the result sheets yet (the first 计算排名: sheets are added);
  2. into one that has them, with the chart on 等次分布 (every later 计算排名: sheets are rewritten in place).
Target: at most 40 actions for each. The count depends on the number of sheets (categories), not on rows,
except that xlwings itself splits a write of more than 100,000 cells into 100,000-cell calls (its engines'
default `max_cells_per_write`, which keeps each request within Office.js' payload limits): 指标得分 of 200
units x 120 indicators (264,000 cells) is written in 3 calls.

Run:  .venv/bin/python benchmarks/bench_excel.py [--units 200] [--indicators 120]
It always exits 0 (it is a report). Every figure printed is a measurement of this run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout
sys.path.insert(0, str(HERE))  # bench_score, for its synthetic scheme and marks

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings' remote engine: PolyForm Noncommercial

import xlwings as xw  # noqa: E402

from bench_score import build  # noqa: E402
from xlplugin import ledger
from xlplugin.xlbook import XlwingsOfficeBook  # noqa: E402
from xlplugin.officebook import ChartSpec  # noqa: E402
from xlplugin.score import result_sheets  # noqa: E402
from xlplugin.scoring import score  # noqa: E402

TARGET = 40
CHARTS = {ledger.DISTRIBUTION.name: ChartSpec("各类别等次分布", "单位数", skip=("合计",))}  # as score.score passes


def sheet(name: str, values: list[list], charts: int = 0) -> dict:
    return {"name": name, "values": values, "pictures": [], "shapes": [], "tables": [], "notes": [],
            "charts": [{"name": f"Chart {i + 1}", "chart_type": "ColumnClustered", "left": 0, "top": 0,
                        "width": 480, "height": 260} for i in range(charts)]}


def book(sheets: list[dict]) -> xw.Book:
    return xw.Book(json={"client": "Office.js", "version": xw.__version__,
                         "book": {"name": "/tmp/考评台账.xlsx", "active_sheet_index": 0, "selection": "A1"},
                         "names": [], "sheets": sheets})


def count(target: xw.Book, sheets: dict) -> tuple[int, Counter, float]:
    t0 = time.perf_counter()
    XlwingsOfficeBook(target).write_sheets(sheets, CHARTS)
    seconds = time.perf_counter() - t0
    actions = target.json()["actions"]
    return len(actions), Counter(a["func"] for a in actions), seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=200)
    ap.add_argument("--indicators", type=int, default=120)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)

    scheme, inputs, _ = build(args.units, args.indicators, min(40, args.indicators - 1), 1, args.seed)
    sheets = result_sheets(scheme, score(scheme, inputs))
    rows = sum(len(f) for f in sheets.values())
    print(f"结果工作表 {len(sheets)} 张（{len(scheme.categories)} 个类别），共 {rows:,} 行；{args.units} 个单位 × "
          f"{args.indicators} 项指标")

    office = [sheet(n, [["项目", "值"]]) for n in ("设置", "单位", "指标", "考评方案", "汇总数据")]
    first = book(office)
    n1, by1, s1 = count(first, sheets)
    again = book(office + [sheet(n, [list(f.columns)], charts=1 if n == ledger.DISTRIBUTION.name else 0) for n, f in sheets.items()])
    n2, by2, s2 = count(again, sheets)

    for label, n, by, s in (("首次写回（新增工作表）", n1, by1, s1), ("再次写回（原地改写）", n2, by2, s2)):
        verdict = "达标" if n <= TARGET else "超出目标"
        print(f"{label}：{n} 次 xlwings 调用（目标 ≤ {TARGET}，{verdict}）；Python 端用时 {s:.2f} 秒")
        print("    " + "，".join(f"{k} {v}" for k, v in sorted(by.items(), key=lambda kv: -kv[1])))
    import math

    budget = 100_000  # xlwings' DEFAULT_MAX_CELLS_PER_WRITE
    expected = sum(math.ceil((len(f) + 1) * len(f.columns) / budget) for f in sheets.values())
    print(f"写入数据：setValues {by1['setValues']} 次 / {len(sheets)} 张表（每张表一次；超过 10 万个单元格的表由 xlwings "
          f"按 10 万个单元格分块，应为 {expected} 次）")
    return 0


if __name__ == "__main__":
    sys.exit(main())

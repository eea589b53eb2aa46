"""Benchmark: scoring a large evaluation cycle with the pure core (xlplugin.scoring.score).

Builds, in memory, the synthetic scheme of bench_generate.py (default 1,000 units in 3 categories, 120
indicators per unit) adapted to carry every source DOMAIN.md names:
  - of each unit's 120 indicators, 40 are its own key targets (重点, scope = the unit's code, scored by the
    evaluation group of its category) and 80 are common targets (共性, scope 全部, scored by the functional
    departments), so the scheme holds 80 + 40 x units indicators;
  - components as in 松原 (seed 002): 基础工作 3% and 跟踪评估 6% (scored by the office), 自我评估 1%,
    共性目标 9%, 民主评估 15% (4 rater groups), 重点目标 36%, 领导加权评估 30% (市长 15 over every unit,
    6 副市长 10 and 10 副秘书长 5 over a share each; rank → points table for 1,000 places);
and, as the `Inputs` frames `inputs.read_inputs` would pass (object columns, Excel row numbers as index),
the collected marks of every source: per unit and indicator the self-evaluation (实际完成值, 自评得分, 情况说明,
佐证材料) and the evaluator's 考评得分, 扣分原因 where points were lost and 弄虚作假 where the evaluator ticked
it (a few 是); per unit the self-report fields and bonus claims, 4 rater grades with some comments, 3 leader
ranks with some comments; the office's two direct scores; approved bonus claims; a few vetoes.

Measured (2 and 3: the best of --repeat runs, after one warm-up run):
  1. `Scheme.indicators_for` over every unit of the new scheme (the scheme's per-unit index, a cached
     property: `score` pays it once when the scheme is new, as it is in `xlplugin score`; measured once);
  2. `xlplugin.scoring.score(scheme, inputs)` on a scheme whose index is built — the pure core;
  3. `xlplugin.score.result_sheets(scheme, results)` — the Chinese result sheets, without writing them.
Target: score() under 2 s for 1,000 units x 120 indicators on a 2-core machine.

Run:  .venv/bin/python benchmarks/bench_score.py [--units 1000] [--indicators 120] [--key 40]
                                                 [--periods 1|2] [--repeat 3] [--profile]
      (smoke run: --units 100, a few seconds)
It always exits 0 (it is a report). Every figure printed is a measurement of this run.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout
sys.path.insert(0, str(HERE))  # bench_generate, for its synthetic scheme

import pandas as pd  # noqa: E402

from bench_generate import CATEGORIES, build_scheme  # noqa: E402
from xlplugin.score import result_sheets  # noqa: E402
from xlplugin.scheme import Component, Evaluator, Leader, Period, RaterGroup, Scheme  # noqa: E402
from xlplugin.scoring import Inputs, score  # noqa: E402

TARGET_SECONDS = 2.0
TARGET_UNITS, TARGET_INDICATORS = 1000, 120
MARK_COLUMNS = ["unit", "period", "source", "indicator", "rater", "item", "value"]
GROUPS = ("第一评估组", "第二评估组", "第三评估组")  # one evaluation group per category (DOMAIN.md)
RATER_GROUPS = (("P01", "人大代表评议组"), ("P02", "政协委员评议组"), ("P03", "服务对象评议组"), ("P04", "机关干部评议组"))
REASONS = ("台账资料不完整", "个别事项未按期完成", "数据报送不及时", "整改不到位", "被上级通报批评一次",
           "完成值低于目标值", "佐证材料不足")
EXPLANATIONS = ("全年按计划推进，完成目标任务", "主要指标好于预期", "个别事项进度略有滞后", "超额完成任务")
EVIDENCE = ("年度工作台账", "统计年报", "督查通报", "会议纪要", "整改报告", "系统导出记录")
COMMENTS = ("服务态度好，办事效率高", "窗口服务有待加强", "工作扎实，成效明显", "政务公开需进一步规范")
REPORT_ITEMS = ("总体情况", "自评等次", "自评理由", "签字日期")


def build(n_units: int, n_indicators: int, n_key: int, n_periods: int, seed: int) -> tuple[Scheme, Inputs, float]:
    """The scheme, the inputs, and the time the scheme took to build its per-unit indicator lists."""
    rng = random.Random(seed)
    base = build_scheme(n_units, n_indicators, seed=seed)
    units = base.units
    if not 0 <= n_key < n_indicators:
        raise SystemExit("--key must be between 0 and --indicators - 1")
    # key targets: the first n_key indicators become each unit's own (same points, so each unit still has 100)
    templates, common = base.indicators[:n_key], base.indicators[n_key:]
    key = [replace(t, code=f"{u.code}-K{k + 1:02d}", scope=(u.code,), kind="重点",
                   evaluator=GROUPS[CATEGORIES.index(u.category)], row=0)
           for u in units for k, t in enumerate(templates)]
    indicators = tuple(replace(i, row=n + 2) for n, i in enumerate([*common, *key]))
    evaluators = base.evaluators + tuple(Evaluator(f"Z{n}", g, None, None, 20 + n) for n, g in enumerate(GROUPS))
    components = (
        Component("基础工作评估", 3, "绩效办", "", "直接评分", "", 2),
        Component("跟踪评估", 6, "绩效办", "", "直接评分", "", 3),
        Component("自我评估", 1, "自评", "全部", "得分率", "", 4),
        Component("共性工作目标评估", 9, "考评部门", "共性", "得分率", "", 5),
        Component("民主评估", 15, "评议", "", "评议平均", "", 6),
        Component("重点工作目标评估", 36, "考评部门", "重点", "得分率", "", 7),
        Component("市政府领导加权评估", 30, "领导", "", "领导排名", "", 8),
    )
    periods = ((Period("过程", "过程", 20, "2026-07-25", 2), Period("年终", "年终", 80, "2027-01-15", 3))
               if n_periods == 2 else (Period("年终", "年终", 100, "2027-01-15", 2),))
    codes = [u.code for u in units]
    leaders = [Leader("L01", "张市长", "市长", "市长", 15, ("全部",), None, 2)]
    for k in range(6):
        leaders.append(Leader(f"L{k + 2:02d}", f"副市长{k + 1}", "副市长", "副市长", 10, tuple(codes[k::6]), None, k + 3))
    for k in range(10):
        leaders.append(Leader(f"L{k + 8:02d}", f"副秘书长{k + 1}", "副秘书长", "副秘书长", 5, tuple(codes[k::10]), None,
                              k + 9))
    rank_points = {r: round(100 - 40 * (r - 1) / max(n_units - 1, 1), 2) for r in range(1, n_units + 1)}
    rater_groups = tuple(RaterGroup(c, n, None, None, ("全部",), k + 2) for k, (c, n) in enumerate(RATER_GROUPS))
    scheme = replace(base, indicators=indicators, evaluators=evaluators, components=components, periods=periods,
                     leaders=tuple(leaders), rank_points=rank_points, rater_groups=rater_groups)
    t0 = time.perf_counter()
    for u in units:  # Scheme._indicators_by_unit, a cached_property: paid once per (freshly loaded) Scheme
        scheme.indicators_for(u)
    t_index = time.perf_counter() - t0

    quality = {u.code: min(0.99, max(0.3, rng.gauss(0.85, 0.08))) for u in units}  # a unit's latent quality
    rows: list[tuple] = []
    add = rows.append
    grades = list(scheme.rater_grades)
    kinds = [b.name for b in scheme.bonus_kinds]
    for p in periods:
        for u in units:
            q = quality[u.code]
            for ind in scheme.indicators_for(u):
                share = min(1.0, max(0.0, rng.gauss(q, 0.1)))
                self_score = round(min(ind.max, ind.max * (share + 0.05)) * 4) / 4
                add((u.code, p.name, "自评", ind.code, u.code, "实际完成值",
                     round(rng.uniform(60, 120), 1) if rng.random() < 0.7 else "按期完成"))
                add((u.code, p.name, "自评", ind.code, u.code, "自评得分", self_score))
                add((u.code, p.name, "自评", ind.code, u.code, "情况说明", rng.choice(EXPLANATIONS)))
                add((u.code, p.name, "自评", ind.code, u.code, "佐证材料", rng.choice(EVIDENCE)))
                if rng.random() < 0.98:  # a few left unscored by the evaluator: the self score is used
                    ev = round(ind.max * share * 4) / 4
                    add((u.code, p.name, "考评部门", ind.code, ind.evaluator, "考评得分", ev))
                    if ev < ind.max:
                        add((u.code, p.name, "考评部门", ind.code, ind.evaluator, "扣分原因", rng.choice(REASONS)))
                r = rng.random()
                if r < 0.001:
                    add((u.code, p.name, "考评部门", ind.code, ind.evaluator, "弄虚作假", "是"))
                elif r < 0.2:
                    add((u.code, p.name, "考评部门", ind.code, ind.evaluator, "弄虚作假", "否"))
            for item in REPORT_ITEMS:
                add((u.code, p.name, "自评", None, u.code, item, "2027-01-10" if item == "签字日期" else "良好"))
            if rng.random() < 0.25:
                for n in range(rng.randint(1, 3)):
                    claim = f"加分{n + 1}"
                    add((u.code, p.name, "自评", claim, u.code, "加分类型", rng.choice(kinds)))
                    add((u.code, p.name, "自评", claim, u.code, "事项名称", "经验做法被省政府转发"))
                    add((u.code, p.name, "自评", claim, u.code, "申报分值", rng.choice([0.5, 1.0])))
                    add((u.code, p.name, "自评", claim, u.code, "佐证材料", "省政府办公厅转发文件"))
            for code, _ in RATER_GROUPS:
                w = [q, 1 - q * 0.8, 0.05]
                add((u.code, p.name, "评议", None, code, "评议等次", rng.choices(grades, weights=w)[0]))
                if rng.random() < 0.3:
                    add((u.code, p.name, "评议", None, code, "意见建议", rng.choice(COMMENTS)))
        for leader in leaders:
            overseen = scheme.units_overseen_by(leader)
            ordered = sorted(overseen, key=lambda x: -(quality[x.code] + rng.gauss(0, 0.05)))
            for rank, u in enumerate(ordered, start=1):
                add((u.code, p.name, "领导", None, leader.code, "名次", rank))
                if rng.random() < 0.2:
                    add((u.code, p.name, "领导", None, leader.code, "评语", rng.choice(COMMENTS)))
    marks = pd.DataFrame(rows, columns=MARK_COLUMNS, dtype=object, index=pd.RangeIndex(2, len(rows) + 2, name="行"))
    office = pd.DataFrame(
        [(u.code, p.name, c.name, round(min(100, quality[u.code] * 100 + rng.gauss(0, 5)), 1))
         for p in periods for u in units for c in components if c.method == "直接评分"],
        columns=["unit", "period", "component", "score"], dtype=object)
    bonus_rows = []
    for u in units:
        if rng.random() < 0.25:
            for _ in range(rng.randint(1, 3)):
                bonus_rows.append((u.code, rng.choice(kinds), rng.choice([0.5, 1.0, 1.5, None])))
    bonus = pd.DataFrame(bonus_rows, columns=["unit", "kind", "points"], dtype=object)
    vetoes = frozenset(rng.sample(codes, min(5, len(codes))))
    return scheme, Inputs(marks=marks, office=office, bonus=bonus, vetoes=vetoes), t_index


def best_of(n: int, fn, *args):
    times, out = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return out, min(times), times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=TARGET_UNITS)
    ap.add_argument("--indicators", type=int, default=TARGET_INDICATORS)
    ap.add_argument("--key", type=int, default=40, help="of each unit's indicators, how many are its own key targets")
    ap.add_argument("--periods", type=int, choices=(1, 2), default=1, help="1: 年终 only; 2: 过程 20%% + 年终 80%%")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--profile", action="store_true", help="also cProfile one score() run")
    args = ap.parse_args(argv)

    print(f"Python {platform.python_version()}, pandas {pd.__version__}, {os.cpu_count()} CPUs "
          f"({len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'} usable)")
    t0 = time.perf_counter()
    scheme, inputs, t_index = build(args.units, args.indicators, args.key, args.periods, args.seed)
    t_build = time.perf_counter() - t0 - t_index
    n_pairs = sum(len(scheme.indicators_for(u)) for u in scheme.units)
    m = inputs.marks
    print(f"Synthetic cycle: {len(scheme.units)} units, {args.indicators} indicators each ({args.key} key + "
          f"{args.indicators - args.key} common; {len(scheme.indicators)} in the scheme), {len(scheme.periods)} "
          f"period(s), {len(scheme.components)} components; built in {t_build:.1f} s (not timed below)")
    print(f"Marks: {len(m):,} rows — " + ", ".join(f"{k} {v:,}" for k, v in m["source"].value_counts().items())
          + f"; office scores {len(inputs.office):,}; bonus claims {len(inputs.bonus):,}; vetoes {len(inputs.vetoes)}; "
          f"(unit, indicator) pairs per period {n_pairs:,}")

    # 2. the pure core, warm-up once, then best of N
    score(scheme, inputs)
    results, t_score, all_score = best_of(args.repeat, score, scheme, inputs)
    # 3. the result sheets
    result_sheets(scheme, results)
    sheets, t_sheets, all_sheets = best_of(args.repeat, result_sheets, scheme, results)

    u = results.units
    print()
    print(f"Scheme.indicators_for over every unit, new scheme (one-off per Scheme, not part of score() below): "
          f"{t_index:.2f} s")
    print(f"xlplugin.scoring.score: {t_score:.3f} s (best of {args.repeat}: "
          + ", ".join(f"{t:.3f}" for t in all_score) + ")")
    print(f"xlplugin.score.result_sheets: {t_sheets:.3f} s (best of {args.repeat}: "
          + ", ".join(f"{t:.3f}" for t in all_sheets) + f"); sheets: {len(sheets)}, "
          f"{sum(len(s) for s in sheets.values()):,} rows")
    print(f"score on a fresh scheme (index + core): {t_index + t_score:.2f} s")
    print(f"Results: {len(results.indicators):,} indicator rows, {len(results.components):,} component rows; "
          f"final {u['final'].min():.2f}–{u['final'].max():.2f}; grades "
          + ", ".join(f"{k} {v}" for k, v in u["grade"].value_counts().items())
          + f"; top: {u.iloc[0]['unit']} {u.iloc[0]['final']:.2f}")
    full = args.units == TARGET_UNITS and args.indicators == TARGET_INDICATORS
    verdict = "PASS" if t_score < TARGET_SECONDS else "FAIL"
    if full:
        print(f"Target: score() < {TARGET_SECONDS:g} s for {TARGET_UNITS} units x {TARGET_INDICATORS} indicators on a "
              f"2-core machine → {t_score:.3f} s: {verdict}")
    else:
        print(f"Target: score() < {TARGET_SECONDS:g} s at {TARGET_UNITS} x {TARGET_INDICATORS}; this run was "
              f"{args.units} x {args.indicators} ({t_score:.3f} s, {verdict} at this size only; run with the defaults "
              f"for the real verdict)")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        score(scheme, inputs)
        profiler.disable()
        for order, top in (("tottime", 20), ("cumulative", 30)):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
            print(f"\ncProfile of one score() run, top {top} by {order} (profiler overhead inflates the times):")
            print(out.getvalue().strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())

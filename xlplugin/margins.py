"""等次余量: how close each call is — the margin to the grade boundaries, the gap to the neighbours in rank, and
whether one evaluator alone could have changed the grade (复核提示).

Pure: from the scheme and the core's units frame (final, grade_by_score, rank). A unit's largest single
influence is the most points one indicator's score could move its total: for every indicator it is evaluated
on, its 分值 over the 分值 of all the unit's indicators the component aggregates, times the component's weight
share of the base, summed over the 得分率 components (scored by the evaluating departments, not 自评) the
indicator feeds; the largest over the unit's indicators. Where the margin to a boundary is smaller than that,
the office checks the unit first.
"""
from __future__ import annotations

import pandas as pd

from .scheme import Scheme

#: the columns 总排名 gains, in order
ABOVE, BELOW, GAP_UP, GAP_DOWN, INFLUENCE, FLAG = ("距上一等次", "距下一等次", "与前一名差", "与后一名差", "单项最大影响",
                                                 "复核提示")
COLUMNS = (ABOVE, BELOW, GAP_UP, GAP_DOWN, INFLUENCE, FLAG)
CLOSE = "临界"


def influence(scheme: Scheme) -> dict[str, float]:
    """Per unit, the most points one indicator's score could move its total."""
    base = scheme.settings.base
    comps = [c for c in scheme.components if c.method == "得分率" and c.source != "自评"]
    out: dict[str, float] = {}
    for unit in scheme.units:
        inds = scheme.indicators_for(unit)
        best = 0.0
        totals = {c.name: sum(i.max for i in inds if c.indicator_kind in ("全部", "", i.kind)) for c in comps}
        for i in inds:
            moved = sum(i.max / totals[c.name] * c.weight / 100 * base for c in comps
                        if c.indicator_kind in ("全部", "", i.kind) and totals[c.name] > 0)
            best = max(best, moved)
        out[unit.code] = best
    return out


def margins(scheme: Scheme, units: pd.DataFrame) -> pd.DataFrame:
    """One row per row of `units` (same index): the margins, the gaps, the influence and the flag."""
    D = scheme.settings.decimals
    lower = {g.name: g.lower for g in scheme.grades}
    order = [g.name for g in scheme.grades]  # best first
    final = units["final"].astype(float)

    def above(row) -> float | None:
        n = order.index(row.grade_by_score)
        return round(lower[order[n - 1]] - row.final, D) if n > 0 else None

    def below(row) -> float | None:
        n = order.index(row.grade_by_score)
        return round(row.final - lower[row.grade_by_score], D) if n < len(order) - 1 else None

    ranked = final.sort_values(ascending=False)
    up = (ranked.shift(1) - ranked).reindex(final.index)
    down = (ranked - ranked.shift(-1)).reindex(final.index)
    reach = units["unit"].map(influence(scheme)).astype(float)
    out = pd.DataFrame({ABOVE: [above(r) for r in units.itertuples()], BELOW: [below(r) for r in units.itertuples()],
                        GAP_UP: up.round(D), GAP_DOWN: down.round(D), INFLUENCE: reach.round(D)}, index=units.index)
    closest = out[[ABOVE, BELOW]].astype(float).min(axis=1)
    out[FLAG] = [CLOSE if pd.notna(m) and m < r - 1e-9 else None for m, r in zip(closest, reach)]
    return out


def close_calls(ranking: pd.DataFrame, decimals: int = 2) -> list[tuple[str, str]]:
    """The flagged units of a 总排名 view, closest first: (the unit, one sentence) each (for 概览)."""
    if FLAG not in ranking.columns:
        return []
    flagged = ranking[ranking[FLAG] == CLOSE]
    closest = flagged[[ABOVE, BELOW]].astype(float).min(axis=1)
    lines = []
    for _, r in flagged.loc[closest.sort_values().index].iterrows():
        side = (f"距上一等次 {r[ABOVE]:.{decimals}f} 分" if pd.notna(r[ABOVE]) and
                (pd.isna(r[BELOW]) or float(r[ABOVE]) <= float(r[BELOW])) else f"距下一等次 {r[BELOW]:.{decimals}f} 分")
        lines.append((f"{r['单位名称']}（{r['单位代码']}）", f"总分 {r['总分']:.{decimals}f}，{r['等次']}，{side}，"
                     f"小于单项指标最大影响 {r[INFLUENCE]:.{decimals}f} 分，请优先复核"))
    return lines

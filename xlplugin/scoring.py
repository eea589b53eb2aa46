"""The scoring core: a pure function of (scheme, inputs) → results, pandas only, no I/O.

Every number is traceable: an indicator score comes from one mark (clamped, forfeited when falsified),
a component is an aggregate of indicator scores or of grades/ranks, the total is the weighted sum of the
components on the scheme's base, then bonus, grade, veto, ranks and the staff quota follow the office's
tables. DOMAIN.md's rules, configured by the office workbook, nothing baked in.

An upheld appeal (申诉, 复核结论 调整) is an input like any other: `Inputs.appeals` names a unit, a period and a
target (an indicator code or a component name) and the score the review decided, which replaces that indicator's
score (clamped to 0..分值) or that component's 0-100 score; `Results.adjustments` reports each one applied with
its score before and after.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .scheme import LEADER_GRADE, LEADER_RANK, Period, Scheme
from .values import round_series

FALLBACK_SELF = "采用自评得分"  # what an indicator scores when its evaluating department gave no score
FALLBACK_ZERO = "记零分"
# the marks scoring reads (source, item); everything else in 汇总数据 (explanations, evidence, comments) is not scored
ITEM_SELF, ITEM_EVALUATOR, ITEM_REASON, ITEM_FALSIFIED = "自评得分", "考评得分", "扣分原因", "弄虚作假"
ITEM_RATER, ITEM_RANK, ITEM_LEADER_GRADE = "评议等次", "名次", "等次"
SCORED_ITEMS = (ITEM_SELF, ITEM_EVALUATOR, ITEM_REASON, ITEM_FALSIFIED, ITEM_RATER, ITEM_RANK, ITEM_LEADER_GRADE)


@dataclass
class Inputs:
    """What scoring needs besides the scheme, as tidy frames.

    marks:  unit, period, source, indicator, rater, item, value   (the collected 汇总数据)
    office: unit, period, component, score                        (0-100, components scored by the office)
    bonus:  unit, kind, points                                    (approved bonus points per claim)
    vetoes: unit codes whose grade is lowered one level (一票否决)
    veto_reasons: unit code → the veto's 事由, told to the unit in its feedback
    appeals: unit, period, target, score                          (upheld appeals: the score the review decided for an
                                                                   indicator code or a component name)
    """

    marks: pd.DataFrame
    office: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["unit", "period", "component", "score"]))
    bonus: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["unit", "kind", "points"]))
    vetoes: frozenset[str] = frozenset()
    appeals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(APPEAL_FIELDS)))
    veto_reasons: dict[str, str] = field(default_factory=dict)


APPEAL_FIELDS = ("unit", "period", "target", "score")
ADJUSTMENT_FIELDS = ("unit", "period", "target", "level", "before", "after")
INDICATOR, COMPONENT = "indicator", "component"  # what an adjustment replaced (its `level`)


@dataclass
class Results:
    #: unit, period, indicator, kind, max, self_score, evaluator_score, reason, falsified, score, lost, self_counted
    #: (the self score the self-evaluation counts: 0 when falsified), unverified (the score is the unit's own self
    #: score, no evaluating department scored it: 未核实)
    indicators: pd.DataFrame
    components: pd.DataFrame  # unit, period, component, weight, score (0-100), points (on the base)
    units: pd.DataFrame  # one row per unit: totals, bonus, final, grade, veto (and its reason), ranks, quota
    periods: tuple[str, ...] = ()  # the periods held and scored, in the scheme's order
    interim: bool = False  # scored before the year's last period: an interim result (阶段性结果)
    #: the upheld appeals applied: unit, period, target, level (indicator/component), before, after
    adjustments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ADJUSTMENT_FIELDS)))


def _clamp(values: pd.Series, upper: pd.Series) -> pd.Series:
    return values.clip(lower=0).where(values.isna() | (values <= upper), upper)


def _numeric(frame: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(frame["value"], errors="coerce")


def _keys(frame: pd.DataFrame, unit_pos: dict[str, int], ind_pos: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """One int64 key per (unit, indicator) row of a marks frame, and which rows name a known pair."""
    key = (frame["unit"].map(unit_pos) * len(ind_pos) + frame["indicator"].map(ind_pos)).to_numpy(dtype=float)
    known = ~np.isnan(key)
    return key[known].astype(np.int64), known


def indicator_scores(scheme: Scheme, marks: pd.DataFrame, period: str, fallback: str = FALLBACK_SELF) -> pd.DataFrame:
    """Every (unit, indicator) pair of a period with its self score, evaluator score and final score."""
    # (unit, indicator) pairs are matched on one integer key (unit position x indicators + indicator position):
    # merging or looking up on the two text columns was most of the time on a large cycle
    unit_pos = {u.code: n for n, u in enumerate(scheme.units)}
    ind_pos = {i.code: n for n, i in enumerate(scheme.indicators)}
    n_ind = len(ind_pos)
    rows = [(u.code, i.code, i.kind, i.max, unit_pos[u.code] * n_ind + ind_pos[i.code])
            for u in scheme.units for i in scheme.indicators_for(u)]
    pairs = pd.DataFrame(rows, columns=["unit", "indicator", "kind", "max", "key"])
    key = pairs.pop("key")
    m = marks[marks["period"] == period]
    evaluator = m[m["source"] == "考评部门"]

    def last(frame: pd.DataFrame, values: pd.Series) -> pd.Series:
        """Per pair, the last non-empty value its marks give (as groupby(...).last()), aligned on pairs."""
        k, known = _keys(frame, unit_pos, ind_pos)
        return key.map(values[known].groupby(k).last())

    own = m[(m["source"] == "自评") & (m["item"] == ITEM_SELF)]
    pairs["self_score"] = last(own, _numeric(own))
    given = evaluator[evaluator["item"] == ITEM_EVALUATOR]
    pairs["evaluator_score"] = last(given, _numeric(given))
    reasons = evaluator[evaluator["item"] == ITEM_REASON]
    pairs["reason"] = last(reasons, reasons["value"]).astype(object)
    flags = evaluator[evaluator["item"] == ITEM_FALSIFIED]
    fal = flags[flags["value"] == "是"]
    pairs["falsified"] = key.isin(_keys(fal, unit_pos, ind_pos)[0])
    base = pairs["evaluator_score"]
    if fallback == FALLBACK_SELF:
        base = base.fillna(pairs["self_score"])
    score = _clamp(base, pairs["max"]).fillna(0.0)
    pairs["score"] = score.where(~pairs["falsified"], 0.0)
    pairs["self_score"] = _clamp(pairs["self_score"], pairs["max"])
    pairs["lost"] = pairs["max"] - pairs["score"]
    # 发现弄虚作假的，扣除该项指标全部得分: a falsified indicator is forfeited everywhere it feeds, the
    # self-evaluation component included (self_score keeps what the unit claimed)
    pairs["self_counted"] = pairs["self_score"].where(~pairs["falsified"], 0.0)
    # the score stands on the unit's own word: no evaluating department scored it (未核实)
    pairs["unverified"] = (fallback == FALLBACK_SELF) & pairs["evaluator_score"].isna() & \
        pairs["self_score"].notna() & ~pairs["falsified"]
    pairs.insert(1, "period", period)
    return pairs


def _rate(ind: pd.DataFrame, kind: str, column: str) -> pd.Series:
    sel = ind if kind in ("全部", "") else ind[ind["kind"] == kind]
    sums = sel.assign(v=sel[column].fillna(0.0)).groupby("unit")[["v", "max"]].sum()
    return (sums["v"] / sums["max"] * 100).where(sums["max"] > 0, 0.0)


def component_scores(scheme: Scheme, inputs: Inputs, period: str, ind: pd.DataFrame) -> pd.DataFrame:
    """unit × component on 0-100, as each component's 计分方式 says."""
    m = inputs.marks[inputs.marks["period"] == period]
    units = pd.Index([u.code for u in scheme.units], name="unit")
    leader_weight = {l.code: l.weight for l in scheme.leaders}
    rank_points = scheme.rank_points
    lowest = min(rank_points.values()) if rank_points else 0.0
    rows = []
    for comp in scheme.components:
        if comp.method == "得分率":
            column = "self_counted" if comp.source == "自评" else "score"
            values = _rate(ind, comp.indicator_kind, column)
        elif comp.method == "评议平均":
            sel = m[(m["source"] == "评议") & (m["item"] == ITEM_RATER)]
            values = sel.assign(p=sel["value"].map(scheme.rater_grades)).groupby("unit")["p"].mean()
        elif comp.method in (LEADER_RANK, LEADER_GRADE):
            if comp.method == LEADER_RANK:  # a place 1..n, worth 排名分值's points
                sel = m[(m["source"] == "领导") & (m["item"] == ITEM_RANK)]
                pts = _numeric(sel).map(lambda r: rank_points.get(int(r), lowest) if pd.notna(r) else np.nan)
            else:  # a grade, worth 定等分值's points (a grade not in the table scores nothing: collect refuses it)
                sel = m[(m["source"] == "领导") & (m["item"] == ITEM_LEADER_GRADE)]
                pts = sel["value"].astype(object).map(scheme.leader_grades).astype(float)
            # each leader's points weighted by the leader's weight, over the leaders who marked the unit
            w = sel["rater"].map(leader_weight).fillna(0.0)
            frame = pd.DataFrame({"unit": sel["unit"], "wp": pts * w, "w": w.where(pts.notna(), 0.0)})
            g = frame.groupby("unit")[["wp", "w"]].sum()
            values = (g["wp"] / g["w"]).where(g["w"] > 0)
        else:  # 直接评分: the office's own 0-100 score
            o = inputs.office
            sel = o[(o["period"] == period) & (o["component"] == comp.name)]
            values = pd.to_numeric(sel["score"], errors="coerce").groupby(sel["unit"]).last()
        values = values.reindex(units).clip(0, 100)
        rows.append(pd.DataFrame({"unit": units, "period": period, "component": comp.name, "weight": comp.weight,
                                  "score": values.fillna(0.0).to_numpy(), "has_data": values.notna().to_numpy()}))
    out = pd.concat(rows, ignore_index=True)
    out["points"] = out["score"] * out["weight"] / 100 * scheme.settings.base / 100
    return out


def grade_of(total: float, scheme: Scheme) -> int:
    """Index of the grade a total reaches (0 = best); the lowest grade catches everything below."""
    for n, g in enumerate(scheme.grades):
        if total >= g.lower - 1e-9:
            return n
    return len(scheme.grades) - 1


def _appeals_on(appeals: pd.DataFrame, targets: pd.Series, period: str) -> pd.DataFrame:
    """The upheld appeals of `period` whose target is among `targets`, with a numeric score."""
    a = appeals[(appeals["period"] == period) & appeals["target"].isin(targets)]
    return a.assign(score=pd.to_numeric(a["score"], errors="coerce")).dropna(subset=["score"])


def _adjust(frame: pd.DataFrame, key: str, appeals: pd.DataFrame, period: str, level: str, upper: pd.Series
            ) -> list[tuple]:
    """Replace frame's `score` where an upheld appeal of `period` names the row's (unit, key); clamp to 0..upper.
    Changes `frame` in place; returns the adjustments (unit, period, target, level, before, after)."""
    a = _appeals_on(appeals, frame[key], period)
    if a.empty:
        return []
    rows = pd.MultiIndex.from_frame(frame[["unit", key]]).get_indexer(pd.MultiIndex.from_frame(a[["unit", "target"]]))
    out = []
    for pos, value in zip(rows, a["score"]):
        if pos < 0:
            continue
        label = frame.index[pos]
        before = float(frame.at[label, "score"])
        after = float(min(max(value, 0.0), upper.at[label]))
        frame.at[label, "score"] = after
        if "has_data" in frame.columns:  # a component the review scored counts as scored
            frame.at[label, "has_data"] = True
        out.append((frame.at[label, "unit"], period, frame.at[label, key], level, before, after))
    return out


def _scored_marks(marks: pd.DataFrame) -> pd.DataFrame:
    """Only the marks scoring reads, with period/source/item as categoricals: every later filter on them is a
    comparison of small integer codes instead of a Python string comparison per row (most of the time on a
    large cycle was spent there)."""
    kept = marks[marks["item"].isin(SCORED_ITEMS)]
    return kept.astype({c: "category" for c in ("period", "source", "item")})


def _mean_across_periods(scheme: Scheme, components: pd.DataFrame) -> pd.DataFrame:
    """Tracking components (跨期计算 = 各期平均) count with the mean of every period they were scored in."""
    tracking = [c.name for c in scheme.components if c.across == "各期平均"]
    if not tracking:
        return components
    sel = components["component"].isin(tracking)
    scored = components[sel & components["has_data"]]
    mean = scored.groupby(["unit", "component"])["score"].mean()
    key = pd.MultiIndex.from_frame(components.loc[sel, ["unit", "component"]])
    values = pd.Series(mean.reindex(key).to_numpy(), index=components.index[sel])
    components.loc[sel, "has_data"] = values.notna().to_numpy()
    components.loc[sel, "score"] = values.fillna(0.0).to_numpy()
    components["points"] = components["score"] * components["weight"] / 100 * scheme.settings.base / 100
    return components


def _shares(items: Sequence, weight) -> list[float]:
    """Each item's share of the sum of weights; equal shares where the weights are all 0."""
    total = sum(weight(i) for i in items)
    return [weight(i) / total if total else 1 / len(items) for i in items]


def period_weights(periods: Sequence[Period], every: Sequence[Period] | None = None) -> dict[str, float]:
    """Each held period's share of the annual total, as 考评期 says (seed 001: 年度总分 = 过程 × 20% + 年终 × 80%).

    Periods fall into stages (阶段: 过程, 年终); a stage weighs the sum of its periods' weights in `every` period
    of the scheme (default: the held ones), and its score is the weight-averaged mean of its periods held so far.
    So a process period not yet held never shifts weight to 年终: with 半年 10 / 第三季度 10 / 年终 80 and no
    第三季度, 半年 counts 20 %. Stages with no period held yet do not count (an interim result is renormalised over
    the stages held)."""
    every = list(every) if every is not None else list(periods)
    held = {p.name for p in periods}
    stages = list(dict.fromkeys(p.stage for p in periods))
    stage_weight = {st: sum(p.weight for p in every if p.stage == st) for st in stages}
    out: dict[str, float] = {}
    for stage, share in zip(stages, _shares(stages, stage_weight.get)):
        members = [p for p in every if p.stage == stage and p.name in held]
        for p, inner in zip(members, _shares(members, lambda q: q.weight)):
            out[p.name] = share * inner
    return out


def is_interim(scheme: Scheme, periods: Sequence[Period]) -> bool:
    """Scored before the last period of the year was held: an interim result (阶段性结果)."""
    return scheme.periods[-1].name not in {p.name for p in periods}


def score(scheme: Scheme, inputs: Inputs) -> Results:
    s = scheme.settings
    # a period is held once marks or office scores exist for it; empty 绩效办评分 rows do not make it held
    office = inputs.office[pd.to_numeric(inputs.office["score"], errors="coerce").notna()]
    started = set(inputs.marks["period"].dropna().unique()) | set(office["period"].dropna().unique())
    periods = [p for p in scheme.periods if p.name in started] or [scheme.period()]
    marks = _scored_marks(inputs.marks)
    inputs = replace(inputs, marks=marks)
    inds, comps, adjusted = [], [], []
    for p in periods:
        ind = indicator_scores(scheme, marks, p.name, s.missing_score)
        changed = _adjust(ind, "indicator", inputs.appeals, p.name, INDICATOR, ind["max"])
        decided = {(a[0], a[2]) for a in changed}
        reviewed = pd.Series([k in decided for k in zip(ind["unit"], ind["indicator"])], index=ind.index, dtype=bool)
        ind["unverified"] &= ~reviewed  # a score the review decided is verified
        adjusted += changed
        ind["lost"] = ind["max"] - ind["score"]
        inds.append(ind)
        comp = component_scores(scheme, inputs, p.name, ind)
        changed = _adjust(comp, "component", inputs.appeals, p.name, COMPONENT, pd.Series(100.0, index=comp.index))
        if changed:
            comp["points"] = comp["score"] * comp["weight"] / 100 * s.base / 100
        adjusted += changed
        comps.append(comp)
    indicators = pd.concat(inds, ignore_index=True)
    components = _mean_across_periods(scheme, pd.concat(comps, ignore_index=True))

    per_period = components.groupby(["unit", "period"])["points"].sum().unstack("period")
    weights = pd.Series(period_weights(periods, scheme.periods))
    total = (per_period[weights.index] * weights).sum(axis=1)

    b = inputs.bonus.copy()
    caps = {k.name: k.cap for k in scheme.bonus_kinds}
    b["points"] = pd.to_numeric(b["points"], errors="coerce").fillna(0.0).clip(lower=0)
    b["points"] = [min(p, caps.get(k, 0.0)) for k, p in zip(b["kind"], b["points"])]
    bonus = b.groupby("unit")["points"].sum().clip(upper=s.bonus_cap) if len(b) else pd.Series(dtype=float)

    units = pd.DataFrame({
        "unit": [u.code for u in scheme.units],
        "name": [u.name for u in scheme.units],
        "category": [u.category for u in scheme.units],
        "staff": [u.staff for u in scheme.units],
    })
    for p in periods:
        units[f"total:{p.name}"] = units["unit"].map(per_period[p.name]).fillna(0.0).to_numpy()
    units["total"] = units["unit"].map(total).fillna(0.0)
    units["bonus"] = units["unit"].map(bonus).fillna(0.0)
    final = units["total"] + units["bonus"]
    if s.total_cap is not None:
        final = final.clip(upper=s.total_cap)
    # the published score is the ranking basis: equal shown, equal rank (rounded half up, as Excel shows it)
    units["final"] = round_series(final, s.decimals)
    by_score = [grade_of(t, scheme) for t in units["final"]]
    lowest = len(scheme.grades) - 1
    units["veto"] = units["unit"].isin(inputs.vetoes)
    units["veto_reason"] = [inputs.veto_reasons.get(c) if v else None for c, v in zip(units["unit"], units["veto"])]
    grade_index = [min(g + 1, lowest) if v else g for g, v in zip(by_score, units["veto"])]
    units["grade_by_score"] = [scheme.grades[g].name for g in by_score]
    units["grade"] = [scheme.grades[g].name for g in grade_index]
    units["rank"] = units["final"].rank(method="min", ascending=False).astype(int)
    units["category_rank"] = units.groupby("category")["final"].rank(method="min", ascending=False).astype(int)
    quota = {g.name: g.quota for g in scheme.grades}
    units["quota_pct"] = units["grade"].map(quota)
    units["quota_staff"] = [int(math.floor(st * q / 100 + 1e-9)) if st is not None and not pd.isna(st) else None
                            for st, q in zip(units["staff"], units["quota_pct"])]
    return Results(indicators, components, units.sort_values(["rank", "unit"]).reset_index(drop=True),
                   tuple(p.name for p in periods), is_interim(scheme, periods),
                   pd.DataFrame(adjusted, columns=list(ADJUSTMENT_FIELDS)))

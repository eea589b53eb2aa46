"""feedback.analysis: the numbers and words a unit's feedback is made of, from the scoring core's frames (pure).

`analyse(scheme, results)` derives, for every unit at once, what a feedback needs: component scores against the
category's average and best, score rates per dimension (考评维度: Σ score / Σ max of its indicators) and per
level (考评层面), the indicators that lost points with the evaluator's reason, and the strongest and weakest
components relative to the category average. `unit_feedback` slices it for one unit; `narrative` renders the
text from templates/feedback/narrative.txt.j2 (which the office may edit); `feedback_sheet` builds the office's
反馈 sheet (one block of rows per unit), which `score` writes. No file is written here; the unit's workbook is
xlplugin.feedback.report's.

With a review (xlplugin.review), the narrative and the 反馈 sheet also state the outcome of each of the unit's
appeals (maintained or adjusted, from what to what, and the effect on total, grade and rank) and its trend against
last year's result.

Where several periods were scored, a component's score is the period-weighted mean (the weights scoring used,
`scoring.period_weights`), so the components' points still add up to the total; lost points are per period.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace

import pandas as pd

from .. import ledger
from ..review import Review, effect, outcome, trend
from ..scheme import Period, Scheme, Unit
from ..scoring import FALLBACK_ZERO, INDICATOR, Results, period_weights
from ..templating import render_lines

TEMPLATE = "feedback/narrative.txt.j2"

DIMENSION, LEVEL, COMPONENT = "维度", "层面", "组成部分"
TOP_LOST = 5  # lost indicators named in the narrative and on the report's first page
MAX_LISTED = 3  # strengths / weaknesses named in the narrative
EPS = 0.005  # differences below this show as 0.00 and count as none
SELF = "自评"  # the source of the self-evaluation component, never named a strength


@dataclass
class Analysis:
    """Feedback numbers for every unit; one row per unit × item in each frame."""

    scheme: Scheme
    units: pd.DataFrame  # results.units indexed by unit code, + category_size, category_average
    components: pd.DataFrame  # unit, component, source, weight, score, points, average, best, diff, order
    dimensions: pd.DataFrame  # unit, level (维度/层面), dimension, name, count, max, score, rate, average, best, order
    lost: pd.DataFrame  # unit, period, indicator, name, dimension, level, evaluator, max, score, lost, reason,
    #                     falsified
    periods: list[str]  # the periods scored, in the scheme's order
    focus: str  # the period the narrative and the report's lost points speak of (the feedback's, else the last)
    review: Review | None = None  # the appeals and last year's results, where there are any
    stats: dict = field(default_factory=dict)  # unit → its 实际完成值 that differ from 统计数据 (xlplugin.stats)

    @cached_property
    def indicator_names(self) -> dict[str, str]:
        return {i.code: i.name for i in self.scheme.indicators}

    @cached_property
    def by_unit(self) -> dict[str, dict[str, list[SimpleNamespace]]]:
        """Each frame's rows as plain records, bucketed by unit once (pandas row access per unit is slow)."""
        out: dict[str, dict[str, list[SimpleNamespace]]] = {code: {"components": [], "dimensions": [], "lost": []}
                                                            for code in self.units.index}
        frames = {"components": self.components.sort_values("order"),
                  "dimensions": self.dimensions.sort_values("order"), "lost": self.lost}
        for key, frame in frames.items():
            for rec in frame.to_dict("records"):
                out[rec["unit"]][key].append(SimpleNamespace(**rec))
        return out

    @cached_property
    def unit_rows(self) -> dict[str, dict]:
        return self.units.to_dict("index")


def analyse(scheme: Scheme, results: Results, focus: str | None = None, review: Review | None = None,
            differences: dict | None = None) -> Analysis:
    units = results.units.set_index("unit")
    category = units["category"]
    units = units.assign(category_size=category.map(category.value_counts()),
                         category_average=category.map(units.groupby("category")["final"].mean()))
    periods = [p for p in dict.fromkeys(results.components["period"])]
    pw = period_weights([p for p in scheme.periods if p.name in periods], scheme.periods)

    # components: the period-weighted score; its points add up to the unit's total
    c = results.components.assign(w=lambda f: f["period"].map(pw))
    c = c.assign(ws=c["score"] * c["w"], wp=c["points"] * c["w"])
    comp = c.groupby(["unit", "component"], sort=False).agg(weight=("weight", "first"), score=("ws", "sum"),
                                                              points=("wp", "sum")).reset_index()
    comp["category"] = comp["unit"].map(category)
    stats = comp.groupby(["category", "component"])["score"].agg(average="mean", best="max").reset_index()
    comp = comp.merge(stats, on=["category", "component"], how="left")
    comp["diff"] = comp["score"] - comp["average"]
    order = {x.name: n for n, x in enumerate(scheme.components)}
    comp["order"] = comp["component"].map(order)
    comp["source"] = comp["component"].map({x.name: x.source for x in scheme.components})

    # dimensions and levels: Σ score / Σ max of their indicators, period-weighted
    meta = pd.DataFrame([(i.code, i.name, i.dimension, i.level, i.evaluator) for i in scheme.indicators],
                        columns=["indicator", "name", "dimension", "level", "evaluator"])
    ind = results.indicators.merge(meta, on="indicator", how="left")
    ind["w"] = ind["period"].map(pw)
    ind = ind.assign(ws=ind["score"] * ind["w"], wm=ind["max"] * ind["w"])
    tree_order = {k: n for n, k in enumerate(dict.fromkeys((i.dimension, i.level) for i in scheme.indicators))}
    dim_order = {k: n for n, k in enumerate(dict.fromkeys(i.dimension for i in scheme.indicators))}
    frames = []
    for level, keys in ((DIMENSION, ["dimension"]), (LEVEL, ["dimension", "level"])):
        g = ind.groupby(["unit", *keys], sort=False).agg(count=("indicator", "nunique"), max=("wm", "sum"),
                                                        score=("ws", "sum")).reset_index()
        g["name"] = g[keys[-1]]
        g["level"] = level
        g["order"] = [(dim_order[d], -1 if level == DIMENSION else tree_order[(d, n)])
                      for d, n in zip(g["dimension"], g["name"])]
        frames.append(g[["unit", "level", "dimension", "name", "count", "max", "score", "order"]])
    dims = pd.concat(frames, ignore_index=True)
    dims["rate"] = (dims["score"] / dims["max"] * 100).where(dims["max"] > 0)
    dims["category"] = dims["unit"].map(category)
    keys = ["category", "level", "dimension", "name"]
    stats = dims.groupby(keys)["rate"].agg(average="mean", best="max").reset_index()
    dims = dims.merge(stats, on=keys, how="left")

    # lost points, with the reason the unit is given
    lost = ind[ind["lost"] > 1e-9].copy()
    lost["reason"] = [_reason(r, e, own, f, scheme.settings.missing_score) for r, e, own, f
                      in zip(lost["reason"], lost["evaluator_score"], lost["self_score"], lost["falsified"])]
    lost["period_order"] = lost["period"].map({p: n for n, p in enumerate(periods)})
    lost = lost.sort_values(["unit", "period_order", "lost", "indicator"], ascending=[True, True, False, True])
    lost = lost[["unit", "period", "indicator", "name", "dimension", "level", "evaluator", "max", "score", "lost",
                 "reason", "falsified"]].reset_index(drop=True)
    focus = focus if focus in periods else periods[-1]
    # a unit that returned no form for the period has no self score at all: it is told so, not compared
    own = results.indicators[(results.indicators["period"] == focus) & results.indicators["self_score"].notna()]
    units["submitted"] = units.index.isin(set(own["unit"]))
    return Analysis(scheme, units, comp, dims, lost, periods, focus, review, differences or {})


def _reason(reason, evaluator_score, self_score, falsified: bool, missing_rule: str) -> str:
    text = reason.strip() if isinstance(reason, str) and reason.strip() else ""
    if falsified:
        return "经核查存在弄虚作假，本项不得分" + (f"；{text}" if text else "")
    if text:
        return text
    if evaluator_score is None or pd.isna(evaluator_score):
        if missing_rule == FALLBACK_ZERO:
            return "考评部门未评分，按规定记零分"
        return "考评部门未评分，也无自评得分" if self_score is None or pd.isna(self_score) else "考评部门未评分，按自评得分计"
    return "考评部门未填写扣分原因"


Rows = list[SimpleNamespace]


@dataclass
class UnitFeedback:
    """One unit's slice of the analysis, in display order; rows are records with the frames' columns."""

    unit: Unit
    row: dict  # the unit's row of Analysis.units
    components: Rows
    dimensions: Rows  # dimension rows, each followed by its levels
    compare: Rows  # what the bar chart and the strengths/weaknesses compare: name, source, weight, score, average,
    compare_kind: str  # best, diff; components, or dimensions (levels) where the scheme has fewer than two components
    radar: Rows  # what the radar chart shows: name, rate, average; one level finer than `compare` where possible
    radar_kind: str
    lost: Rows  # every period's lost points, most first within a period
    focus: str  # the period `focus_lost` is about
    multi_period: bool

    @property
    def ordered_by_diff(self) -> Rows:
        return sorted(self.compare, key=lambda c: (-c.diff, -c.weight))

    @property
    def focus_lost(self) -> Rows:
        return [i for i in self.lost if i.period == self.focus]

    @property
    def lost_total(self) -> float:
        return sum(i.lost for i in self.lost)


def _rates(dims: Rows, level: str) -> Rows:
    return [SimpleNamespace(name=d.name, source="考评部门", weight=d.max, score=d.rate, rate=d.rate, average=d.average,
                            best=d.best, diff=d.rate - d.average)
            for d in dims if d.level == level and not is_missing(d.rate)]


def unit_feedback(a: Analysis, code: str) -> UnitFeedback:
    parts = a.by_unit[code]
    comps, dims = parts["components"], parts["dimensions"]
    by_component = [SimpleNamespace(name=c.component, source=c.source, weight=c.weight, score=c.score, rate=c.score,
                                    average=c.average, best=c.best, diff=c.diff) for c in comps]
    rows = {COMPONENT: by_component, DIMENSION: _rates(dims, DIMENSION), LEVEL: _rates(dims, LEVEL)}
    # compare components where there are two or more, else dimensions, else levels; the radar needs three axes:
    # components are shown by dimension (or level), dimensions by level (city: components and levels;
    # province, with a single component: dimensions and levels)
    compare_kind = next((k for k in (COMPONENT, DIMENSION, LEVEL) if len(rows[k]) >= 2), COMPONENT)
    order = {COMPONENT: (DIMENSION, LEVEL, COMPONENT), DIMENSION: (LEVEL, DIMENSION), LEVEL: (LEVEL,)}[compare_kind]
    radar_kind = next((k for k in order if len(rows[k]) >= 3), compare_kind)
    compare, radar = rows[compare_kind], rows[radar_kind] if len(rows[radar_kind]) >= 3 else []
    return UnitFeedback(a.scheme.unit_by_code[code], a.unit_rows[code], comps, dims, compare, compare_kind, radar,
                        radar_kind, parts["lost"], a.focus, len(a.periods) > 1)


def two_places(x: float) -> str:
    """A score as the feedback shows it: 93.31."""
    return f"{x:.2f}"


def appeal_lines(a: Analysis, code: str) -> tuple[list[dict], dict | None]:
    """The unit's appeals as the narrative tells them (target, claim, decision, score before/after, reason) and
    the effect of the upheld ones on its total, grade and rank (None where nothing changed)."""
    rv = a.review
    if rv is None:
        return [], None
    out = []
    for ap in (x for x in rv.appeals if x.unit == code):
        o = outcome(rv, ap)
        shown = points_text if ap.level == INDICATOR else two_places
        out.append({"period": ap.period, "target": ap.target_name if ap.level == INDICATOR else ap.target,
                    "code": ap.target if ap.level == INDICATOR else "", "kind": "指标" if ap.level == INDICATOR
                    else "组成部分", "claim": ap.claim.rstrip("。；;. "), "status": o["status"], "applied": o["applied"],
                    "before": shown(o["before"]) if o["before"] is not None else "",
                    "after": shown(o["after"]) if o["after"] is not None else "",
                    "why": ap.why.rstrip("。；;. "), "who": ap.who})
    e = effect(rv, code) if out else None
    if e is not None:
        e = {**e, "total_before": two_places(e["total_before"]), "total_after": two_places(e["total_after"])}
    return out, e


def trend_line(a: Analysis, code: str) -> dict | None:
    """The unit's result against last year's, formatted (None without a last year)."""
    t = trend(a.review, code) if a.review is not None else None
    if t is None:
        return None
    return {**t, "last_total": two_places(t["last_total"]), "total": two_places(t["total"]),
            "change_text": two_places(abs(t["change"])), "direction": _direction(t["change"]),
            "rank_text": abs(t["rank_change"])}


def _direction(change: float) -> str:
    return "提高" if change >= EPS else ("下降" if change <= -EPS else "持平")


def narrative_context(a: Analysis, fb: UnitFeedback, period: Period) -> dict:
    s = a.scheme.settings
    r = fb.row
    grades = [g.name for g in a.scheme.grades]
    by_score = grades.index(r["grade_by_score"])
    next_grade = grades[by_score - 1] if by_score > 0 else None
    gap = a.scheme.grades[by_score - 1].lower - r["final"] if next_grade else 0.0

    rate = fb.compare_kind != COMPONENT  # dimensions and levels compare score rates (%), components scores

    def item(c) -> dict:
        pct = "%" if rate else ""
        return {"name": c.name, "source": c.source, "measure": "得分率" if rate else "得分",
                "score": two_places(c.score) + pct, "average": two_places(c.average) + pct,
                "best": two_places(c.best) + pct, "diff": two_places(abs(c.diff)) + ("个百分点" if rate else "分"),
                "is_best": c.score >= c.best - 1e-9}

    ordered = fb.ordered_by_diff
    submitted = bool(r.get("submitted", True))
    # the unit's own self-evaluation is no strength to praise; a unit that submitted nothing is told that
    # instead of being compared with the category's average
    strengths = [item(c) for c in ordered if c.diff >= EPS and c.source != SELF][:MAX_LISTED]
    weaknesses = [item(c) for c in ordered[::-1] if c.diff <= -EPS][:MAX_LISTED] if submitted else []
    lost = fb.focus_lost
    appeals, appeal_effect = appeal_lines(a, fb.unit.code)
    return {
        "unit": fb.unit, "s": s, "period": period.name, "scheme": a.scheme,
        "total": two_places(r["final"]), "score": two_places(r["total"]), "bonus": two_places(r["bonus"]),
        "grade": r["grade"], "grade_by_score": r["grade_by_score"], "veto": bool(r["veto"]),
        "veto_reason": _text(r.get("veto_reason")), "submitted": submitted,
        "rank": int(r["rank"]), "units_total": len(a.units), "category_rank": int(r["category_rank"]),
        "category_size": int(r["category_size"]), "category_average": two_places(r["category_average"]),
        "versus": _versus(r["final"] - r["category_average"]),
        "next_grade": next_grade, "gap": two_places(gap),
        "compared": {COMPONENT: "组成部分", DIMENSION: "考评维度", LEVEL: "考评层面"}[fb.compare_kind],
        "strengths": strengths, "weaknesses": weaknesses,
        "top_lost": [{"code": i.indicator, "name": i.name, "max": points_text(i.max), "score": points_text(i.score),
                      "lost": points_text(i.lost), "reason": i.reason.rstrip("。；;. "), "evaluator": i.evaluator}
                     for i in lost[:TOP_LOST]],
        "lost_period": fb.focus if fb.multi_period else "",
        "lost_count": len(lost), "lost_total": points_text(sum(i.lost for i in lost)),
        "falsified": list(dict.fromkeys(i.name for i in lost if i.falsified)),
        "stats_diffs": [{**d, "name": a.indicator_names.get(d["indicator"], d["indicator"]),
                         "reported": f"{d['reported']:g}", "bureau": f"{d['bureau']:g}"}
                        for d in a.stats.get(fb.unit.code, [])],
        "appeals": appeals, "appeal_effect": appeal_effect, "trend": trend_line(a, fb.unit.code),
    }


def _text(v) -> str:
    """A cell's text, '' for nothing."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()


def _versus(diff: float) -> str:
    return "高于" if diff >= EPS else ("低于" if diff <= -EPS else "持平于")


def points_text(x: float) -> str:
    """A number of points as people write it: 4, 2.5, 0.25."""
    return f"{round(float(x), 4):g}"


def narrative(a: Analysis, fb: UnitFeedback, period: Period) -> list[str]:
    """The narrative's lines (rendered from the office-editable template), blank runs collapsed."""
    lines = render_lines(TEMPLATE, **narrative_context(a, fb, period))
    out: list[str] = []
    for line in lines:
        if line.strip() or (out and out[-1]):
            out.append(line if line.strip() else "")
    while out and not out[-1]:
        out.pop()
    return out


# ===================================================================================== the 反馈 sheet


def feedback_sheet(scheme: Scheme, results: Results, analysis: Analysis | None = None,
                   review: Review | None = None) -> pd.DataFrame:
    """The office's overview: a block of rows per unit (in ranking order), readable when filtered by unit."""
    a = analysis or analyse(scheme, results, review=review)
    n_units = len(a.units)
    rows = []
    for code in a.units.sort_values(["rank"]).index:
        fb = unit_feedback(a, code)
        r = fb.row

        def add(item: str, text: str, value=None) -> None:
            rows.append([code, r["name"], r["category"], item, text, value])

        add("总排名", f"第 {r['rank']} 名（共 {n_units} 个单位）", int(r["rank"]))
        add("类别排名", f"{r['category']}第 {r['category_rank']} 名（共 {r['category_size']} 个单位）",
            int(r["category_rank"]))
        why = _text(r.get("veto_reason"))
        veto = f"；一票否决（{why}），由“{r['grade_by_score']}”降为“{r['grade']}”" if r["veto"] and why else (
            f"；一票否决，由“{r['grade_by_score']}”降为“{r['grade']}”" if r["veto"] else "")
        add("等次", f"{r['grade']}{veto}")
        if not r.get("submitted", True):
            add("报送情况", f"{a.focus}未报送考评表（无自评得分）")
        add("总分", f"{two_places(r['final'])}（考评得分 {two_places(r['total'])}，加分 {two_places(r['bonus'])}；同类平均 "
                   f"{two_places(r['category_average'])}）", round(float(r["final"]), 4))
        t = trend_line(a, code)
        if t is not None:
            add("上年对比", f"上年总分 {t['last_total']}（{t['last_grade']}，第 {t['last_rank']} 名），本年 {t['total']}"
                        f"（{t['grade']}，第 {t['rank']} 名）；总分{_change(t)}，名次{_rank_change(t)}", t["change"])
        appeals, e = appeal_lines(a, code)
        for ap in appeals:
            add("申诉复核", f"{ap['period']}·{ap['kind']}“{ap['target']}”：{_outcome_text(ap)}")
        if e is not None:
            add("复核影响", f"总分 {e['total_before']}→{e['total_after']}，等次 {e['grade_before']}→{e['grade_after']}，"
                        f"排名 第 {e['rank_before']} 名→第 {e['rank_after']} 名")
        ordered = fb.ordered_by_diff
        praised = [c for c in ordered if c.source != SELF]  # the self-evaluation is not a strength
        if len(ordered) >= 2 and praised:
            for item, c in (("最强项目", praised[0]), ("最弱项目", ordered[-1])):
                pct = "%" if fb.compare_kind != COMPONENT else ""
                side = f"{_versus(c.diff)}同类平均" + (f" {two_places(abs(c.diff))}" if abs(c.diff) >= EPS else "")
                add(item, f"{c.name}：{two_places(c.score)}{pct}，{side}"
                          f"（平均 {two_places(c.average)}{pct}，最高 {two_places(c.best)}{pct}）", round(float(c.diff), 4))
        if fb.lost:
            what = "项次" if fb.multi_period else "项指标"
            add("失分合计", f"{len(fb.lost)} {what}失分，合计 {points_text(fb.lost_total)} 分", round(fb.lost_total, 4))
        else:
            add("失分合计", "各项指标均得满分", 0.0)
        multi = len(a.periods) > 1
        for i in fb.lost:
            where = f"{i.period}·" if multi else ""
            add("失分", f"{where}{i.indicator} {i.name}：得 {points_text(i.score)} / {points_text(i.max)}，"
                       f"失 {points_text(i.lost)} 分。原因：{i.reason}（{i.evaluator}）", round(float(i.lost), 4))
    return pd.DataFrame(rows, columns=list(ledger.FEEDBACK.columns))


def _change(t: dict) -> str:
    return "与上年持平" if t["direction"] == "持平" else f"{t['direction']} {t['change_text']} 分"


def _rank_change(t: dict) -> str:
    n = t["rank_change"]
    return "不变" if n == 0 else (f"上升 {n} 位" if n > 0 else f"下降 {-n} 位")


def _outcome_text(ap: dict) -> str:
    why = f"（{ap['why']}）" if ap["why"] else ""
    if ap["status"] == ledger.UPHELD and ap["applied"]:
        return f"经复核调整，得分由 {ap['before']} 调整为 {ap['after']}{why}"
    if ap["status"] == ledger.UPHELD:
        return f"经复核调整为 {ap['after']}，该考评期计分时计入{why}"
    if ap["status"] == ledger.MAINTAINED:
        return f"经复核维持原评估结果{why}"
    return "正在复核"


def is_missing(v) -> bool:
    """No number: None or NaN (a rate with no indicator behind it)."""
    return v is None or (isinstance(v, float) and math.isnan(v))

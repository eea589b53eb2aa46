"""review: appeals (申诉) and their review (复核), and the year before: what changed on review and since last year.

Pure, like the scoring core it calls. `parse_appeals` turns the office's 申诉 sheet into `Appeal`s and lists every
row it cannot use (unknown unit, period, indicator or component; 调整 without a score or with one out of range;
received after 设置's 申诉截止日期); `review` scores the cycle with the upheld appeals and, where one applies, once
more without them, so every effect is known: `Review` holds both results and last year's (from the record). From
it come the 复核记录 sheet, the 复核 and 上年 columns of 总排名, and what each unit's feedback says about its
appeals and its trend.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property

import pandas as pd

from . import ledger, scoring
from .scheme import Problem, Scheme
from .scoring import COMPONENT, INDICATOR, Inputs, Results
from .values import NotANumber, cell_text, parse_date, parse_number

PENDING = "待复核"  # an appeal with no 复核结论 yet
#: how 总排名's 复核 column marks a unit
MARK_UPHELD, MARK_MAINTAINED, MARK_PENDING, MARK_MOVED = "申诉调整", "申诉维持", "申诉待复核", "名次因复核变动"


@dataclass(frozen=True)
class Appeal:
    """One row of 申诉, checked."""

    row: int  # the Excel row
    unit: str
    name: str  # the unit's name
    period: str
    target: str  # an indicator code or a component name, as typed
    target_name: str  # the indicator's name, or the component
    level: str  # scoring.INDICATOR or scoring.COMPONENT
    claim: str
    received: date | None
    decision: str  # ledger.UPHELD, ledger.MAINTAINED or "" (not decided yet)
    score: float | None  # 调整后得分
    why: str
    who: str
    decided: date | None

    @property
    def upheld(self) -> bool:
        return self.decision == ledger.UPHELD


def parse_appeals(frame: pd.DataFrame, scheme: Scheme) -> tuple[list[Appeal], list[Problem]]:
    """The appeals of the 申诉 sheet (its index is the Excel row) and the problems of the rows that cannot be used."""
    problems: list[Problem] = []
    units = scheme.unit_by_code
    periods = [p.name for p in scheme.periods]
    components = {c.name for c in scheme.components}
    deadline, problem = _date(scheme.settings.appeal_deadline)
    if problem:
        problems.append(Problem(ledger.SETTINGS.name, None, f"申诉截止日期“{scheme.settings.appeal_deadline}”不是日期"
                                                            "（应写成 2027-02-15 这样）。"))
    appeals, upheld_at = [], {}
    for row, rec in frame.iterrows():
        text = {c: cell_text(rec.get(c)) for c in ledger.APPEALS.columns}
        if not any(text.values()):
            continue
        wrong: list[str] = []
        code, period, target, decision = text["单位代码"], text["考评期"], text["指标或组成部分"], text["复核结论"]
        unit = units.get(code)
        if not code:
            wrong.append("没有填写单位代码。")
        elif unit is None:
            wrong.append(f"单位代码“{code}”不在“{ledger.UNITS.name}”表中。")
        if not period and len(periods) == 1:
            period = periods[0]
        elif not period:
            wrong.append(f"没有填写考评期（可选：{'、'.join(periods)}）。")
        elif period not in periods:
            wrong.append(f"考评期“{period}”不在“{ledger.PERIODS.name}”表中（可选：{'、'.join(periods)}）。")
        indicator = next((i for i in scheme.indicators_for(unit) if i.code == target), None) if unit else None
        level, upper, target_name = INDICATOR, None, target
        if indicator is not None:
            upper, target_name = indicator.max, indicator.name
        elif target in components:
            level, upper = COMPONENT, 100.0
        elif not target:
            wrong.append("没有填写申诉的指标代码或组成部分。")
        elif unit is not None and any(i.code == target for i in scheme.indicators):
            wrong.append(f"指标“{target}”不适用于单位“{unit.name}”。")
        else:
            wrong.append(f"“{target}”既不是指标代码，也不是“{ledger.COMPONENTS.name}”中的组成部分。")
        if decision not in ("", ledger.UPHELD, ledger.MAINTAINED):
            wrong.append(f"复核结论“{decision}”无效，应为“{ledger.MAINTAINED}”或“{ledger.UPHELD}”（尚未复核的留空）。")
        try:
            score, _ = parse_number(rec.get("调整后得分") if text["调整后得分"] else None)
        except NotANumber:
            score = None
            wrong.append(f"调整后得分“{text['调整后得分']}”不是数字。")
        if decision == ledger.UPHELD and score is None and text["调整后得分"] == "":
            wrong.append(f"复核结论为“{ledger.UPHELD}”，但没有填写调整后得分。")
        elif decision != ledger.UPHELD and score is not None:
            wrong.append(f"复核结论不是“{ledger.UPHELD}”，却填写了调整后得分（维持原结果或尚未复核的请留空）。")
        elif score is not None and upper is not None and not 0 <= score <= upper:
            what = f"指标“{target}”的分值" if level == INDICATOR else "组成部分得分（百分制）"
            wrong.append(f"调整后得分 {score:g} 超出范围：应在 0 至 {upper:g} 之间（{what}）。")
        received, bad = _date(rec.get("收到日期"))
        if bad:
            wrong.append(f"收到日期“{text['收到日期']}”不是日期。")
        elif deadline and received is None:
            wrong.append("没有填写收到日期（设置了申诉截止日期，须据此判断是否逾期）。")
        elif deadline and received > deadline:
            wrong.append(f"收到日期 {received:%Y-%m-%d} 晚于申诉截止日期 {deadline:%Y-%m-%d}，逾期申诉不予受理"
                         "（请删除此行，或在备注中另行记录）。")
        decided, bad = _date(rec.get("复核日期"))
        if bad:
            wrong.append(f"复核日期“{text['复核日期']}”不是日期。")
        key = (code, period, target)
        if decision == ledger.UPHELD and key in upheld_at:
            wrong.append(f"与第 {upheld_at[key]} 行是同一单位、考评期和指标的调整，只能保留一行。")
        if wrong:
            problems += [Problem(ledger.APPEALS.name, int(row), w) for w in wrong]
            continue
        if decision == ledger.UPHELD:
            upheld_at[key] = int(row)
        appeals.append(Appeal(int(row), code, unit.name, period, target, target_name, level, text["申诉理由"],
                              received, decision, score, text["复核理由"], text["复核人"], decided))
    return appeals, problems


def _date(value) -> tuple[date | None, bool]:
    """(date, was_unreadable): an empty cell is (None, False)."""
    if cell_text(value) == "":
        return None, False
    try:
        return parse_date(value), False
    except ValueError:
        return None, True


def appeals_frame(appeals: list[Appeal]) -> pd.DataFrame:
    """The upheld appeals as the scoring core reads them (Inputs.appeals)."""
    rows = [(a.unit, a.period, a.target, a.score) for a in appeals if a.upheld]
    return pd.DataFrame(rows, columns=list(scoring.APPEAL_FIELDS))


# ===================================================================================== the review


@dataclass
class Review:
    """A cycle's result with its appeals applied (`after`), as if none had been upheld (`before`; the same object
    when none applies), and last year's results (`previous`, indexed by unit code; None without a last year)."""

    after: Results
    before: Results
    appeals: list[Appeal] = field(default_factory=list)
    previous: pd.DataFrame | None = None
    decimals: int = 2

    @cached_property
    def _rows(self) -> dict[int, dict[str, dict]]:
        """Each result's unit rows by code, once (a lookup per unit and call would be quadratic)."""
        return {id(r): r.units.set_index("unit", drop=False).to_dict("index") for r in (self.after, self.before)}

    def unit(self, results: Results, code: str) -> dict | None:
        """A unit's row of `results` (self.after or self.before), or None."""
        return self._rows[id(results)].get(code)

    def adjustment(self, a: Appeal) -> dict | None:
        """The adjustment the core applied for an appeal (None: not upheld, or its period not scored yet)."""
        adj = self.after.adjustments
        hit = adj[(adj["unit"] == a.unit) & (adj["period"] == a.period) & (adj["target"] == a.target)]
        return hit.iloc[-1].to_dict() if a.upheld and len(hit) else None

    @property
    def adjusted_units(self) -> set[str]:
        return set(self.after.adjustments["unit"])

    def current_score(self, a: Appeal) -> float | None:
        """The appealed indicator's or component's score in this result (None if its period is not scored)."""
        if a.level == INDICATOR:
            f = self.after.indicators
            hit = f[(f["unit"] == a.unit) & (f["period"] == a.period) & (f["indicator"] == a.target)]
        else:
            f = self.after.components
            hit = f[(f["unit"] == a.unit) & (f["period"] == a.period) & (f["component"] == a.target)]
        return float(hit["score"].iloc[0]) if len(hit) else None

    def fmt(self, x: float) -> str:
        return f"{x:.{self.decimals}f}"


def review(scheme: Scheme, inputs: Inputs, appeals: list[Appeal], previous: pd.DataFrame | None = None) -> Review:
    """Score with the upheld appeals and, where one applies, without them."""
    after = scoring.score(scheme, replace(inputs, appeals=appeals_frame(appeals)))
    before = after
    if len(after.adjustments):
        before = scoring.score(scheme, replace(inputs, appeals=appeals_frame([])))
    if previous is not None:
        previous = previous.set_index("unit")
    return Review(after, before, list(appeals), previous, scheme.settings.decimals)


def effect(rv: Review, code: str) -> dict | None:
    """How the review changed a unit's result: total, grade and rank before and after (None if unchanged)."""
    b, a = rv.unit(rv.before, code), rv.unit(rv.after, code)
    if b is None or a is None:
        return None
    out = {"total_before": b["final"], "total_after": a["final"], "grade_before": b["grade"], "grade_after": a["grade"],
           "rank_before": int(b["rank"]), "rank_after": int(a["rank"])}
    changed = (abs(out["total_before"] - out["total_after"]) > 1e-9 or out["grade_before"] != out["grade_after"]
               or out["rank_before"] != out["rank_after"])
    return out if changed else None


def effect_text(rv: Review, e: dict | None) -> str:
    """'总分 88.50→90.20，等次 良好→优秀，排名 第 5 名→第 3 名' (only what changed)."""
    if e is None:
        return "总分、等次和排名不变"
    parts = [f"总分 {rv.fmt(e['total_before'])}→{rv.fmt(e['total_after'])}"]
    if e["grade_before"] != e["grade_after"]:
        parts.append(f"等次 {e['grade_before']}→{e['grade_after']}")
    if e["rank_before"] != e["rank_after"]:
        parts.append(f"排名 第 {e['rank_before']} 名→第 {e['rank_after']} 名")
    return "，".join(parts)


def outcome(rv: Review, a: Appeal) -> dict:
    """One appeal's outcome: decision as shown, the target's score before and after, and whether it counted."""
    adj = rv.adjustment(a)
    if adj is not None:
        return {"status": ledger.UPHELD, "before": adj["before"], "after": adj["after"], "applied": True}
    current = rv.current_score(a)
    status = a.decision or PENDING
    return {"status": status, "before": current, "after": a.score if a.upheld else None, "applied": False}


def review_sheet(rv: Review) -> pd.DataFrame:
    """复核记录: every appeal, its decision and its effect on the unit's total, grade and rank."""
    rows = []
    for a in rv.appeals:
        o = outcome(rv, a)
        b, f = rv.unit(rv.before, a.unit), rv.unit(rv.after, a.unit)
        if o["applied"]:
            impact = effect_text(rv, effect(rv, a.unit))
        elif a.upheld:
            impact = "该考评期尚未计分，调整将在计分时计入"
        elif a.decision == ledger.MAINTAINED:
            impact = "维持原评估结果"
        else:
            impact = "尚未复核，暂按原结果计分"
        rows.append([a.unit, a.name, a.period, a.target, a.target_name, a.claim or None, a.received,
                     a.decision or PENDING, _round(o["before"]), _round(o["after"]), a.why or None, a.who or None,
                     a.decided, b["final"] if b else None, f["final"] if f else None, b["grade"] if b else None,
                     f["grade"] if f else None, int(b["rank"]) if b else None, int(f["rank"]) if f else None, impact])
    return pd.DataFrame(rows, columns=list(ledger.REVIEW.columns))


def _round(x) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), 4)


def review_marks(rv: Review) -> pd.Series:
    """总排名's 复核 column, by unit code: which units' results changed on review, and which appealed."""
    marks: dict[str, str] = {}
    for a in rv.appeals:
        mark = MARK_UPHELD if a.upheld else (MARK_MAINTAINED if a.decision == ledger.MAINTAINED else MARK_PENDING)
        if marks.get(a.unit) != MARK_UPHELD:
            marks[a.unit] = mark
    for code in rv.adjusted_units:
        marks[code] = f"{MARK_UPHELD}：{effect_text(rv, effect(rv, code))}"
    before = rv.before.units.set_index("unit")["rank"]
    for code, rank in rv.after.units.set_index("unit")["rank"].items():
        if code not in marks and before.get(code) != rank:
            marks[code] = f"{MARK_MOVED}（原第 {int(before[code])} 名）"
    return pd.Series(marks, dtype=object)


# ===================================================================================== last year


def trend(rv: Review, code: str) -> dict | None:
    """A unit's result against last year's: totals, grades, ranks and the changes (None without a last year)."""
    if rv.previous is None or code not in rv.previous.index:
        return None
    last, now = rv.previous.loc[code], rv.unit(rv.after, code)
    if now is None:
        return None
    return {"last_total": float(last["final"]), "last_grade": last["grade"], "last_rank": int(last["rank"]),
            "total": float(now["final"]), "grade": now["grade"], "rank": int(now["rank"]),
            "change": round(float(now["final"]) - float(last["final"]), rv.decimals),
            "rank_change": int(last["rank"]) - int(now["rank"])}


def history_columns(rv: Review, units: pd.Series) -> dict[str, pd.Series]:
    """总排名's 上年总分, 上年等次, 上年排名, 变化 (this year's total − last year's) and 名次升降 (+ = up), for the
    unit codes `units` (empty without a last year)."""
    if rv.previous is None:
        return {}
    p = rv.previous
    last_total = units.map(p["final"]).astype(float)
    last_rank = units.map(p["rank"])
    now = rv.after.units.set_index("unit")
    change = (units.map(now["final"]) - last_total).round(rv.decimals)
    moved = last_rank - units.map(now["rank"])
    return {"上年总分": last_total, "上年等次": units.map(p["grade"]), "上年排名": last_rank.astype("Int64"),
            "变化": change, "名次升降": moved.astype("Int64")}

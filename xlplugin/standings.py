"""standings: each unit's scores so far, without the leaders' own part — what the leader form shows beside the ranks.

Seed 002 has the evaluation groups' scores "提供给市政府领导" before the leaders rank. So when leader forms are
generated after something was collected, each unit's row carries what the other components of the scheme give it
so far in the form's period: their points on the scheme's base grouped by 来源 (考评部门, 评议, 绩效办, 自评), the
total of those, and which of them are still incomplete (未收齐), as of the moment the forms were generated.

The figures come from the scoring core (xlplugin.scoring) on the record's current marks and the office's inputs,
exactly as `score` reads them, and nothing is written. Not from a stored score run: a run keeps only each unit's
total (the leaders' component and bonus included), not its components, and it may be older than what was collected
since; scoring again is cheap and says what `score` would say now.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from . import ledger, scoring
from .inputs import read_appeals, read_inputs
from .officebook import OfficeBook
from .record import Record, record_path
from .scheme import ALL, Period, Scheme, SchemeError
from .values import round_half_up

LEADER = "领导"  # the source of the leaders' own components: left out of what they are shown
#: the sources whose components the leader form shows, in its column order
SOURCES = ("考评部门", "评议", "绩效办", "自评")


@dataclass(frozen=True)
class Standing:
    """One unit's scores so far: points per source (a source with nothing in yet left out), their total, and what
    is still missing ("" when nothing is)."""

    points: dict[str, float]
    total: float
    missing: str = ""


@dataclass
class Standings:
    """The scores so far of every unit in one period, as of `asof`; `units` is empty before anything was collected."""

    period: str
    asof: datetime
    maxima: dict[str, float]  # source → the most points its components give (on the scheme's base)
    units: dict[str, Standing] = field(default_factory=dict)
    #: what an indicator an evaluating department has not scored counts meanwhile (设置's 缺少考评得分时)
    fallback: str = scoring.FALLBACK_SELF

    @property
    def total_max(self) -> float:
        return sum(self.maxima.values())

    @property
    def collected(self) -> bool:
        return bool(self.units)


def shown_components(scheme: Scheme) -> list:
    """The components the leaders are shown: every one but their own."""
    return [c for c in scheme.components if c.source != LEADER]


def maxima(scheme: Scheme) -> dict[str, float]:
    """Per source (in SOURCES order, only those the scheme has): the points its components give at most."""
    out: dict[str, float] = {}
    for source in SOURCES:
        weights = [c.weight for c in shown_components(scheme) if c.source == source]
        if weights:
            out[source] = sum(weights) * scheme.settings.base / 100
    return out


def standings(book: OfficeBook, scheme: Scheme, period: Period) -> Standings:
    """Every unit's scores so far in `period`, from the year's record and the office's inputs (read only)."""
    out = Standings(period.name, datetime.now().replace(microsecond=0), maxima(scheme),
                    fallback=scheme.settings.missing_score)
    if not record_path(book, scheme).exists():
        return out
    with Record.for_book(book, scheme) as record:
        marks = record.current_marks(items=scoring.SCORED_ITEMS, provenance=False)
    try:
        appeals = read_appeals(book, scheme)
    except SchemeError:  # a 申诉 row that cannot be used refuses `score`; the forms go out without appeals
        appeals = []
    inputs = read_inputs(book, scheme, marks, appeals)
    if not _held(inputs, period.name):
        return out
    results = scoring.score(scheme, inputs)
    out.units = _standings(scheme, inputs, results, period.name)
    return out


def _held(inputs: scoring.Inputs, period: str) -> bool:
    """Whether anything but the leaders' own marks was collected for `period`, or the office scored it."""
    m = inputs.marks
    own = m[(m["period"] == period) & (m["source"] != LEADER) & m["value"].notna()]
    o = inputs.office
    scored = pd.to_numeric(o[o["period"] == period]["score"], errors="coerce").notna()
    return len(own) > 0 or bool(scored.any())


def _standings(scheme: Scheme, inputs: scoring.Inputs, results: scoring.Results, period: str) -> dict[str, Standing]:
    comps = results.components[results.components["period"] == period]
    ind = results.indicators[results.indicators["period"] == period]
    m = inputs.marks
    rated = m[(m["period"] == period) & (m["source"] == "评议") & (m["item"] == scoring.ITEM_RATER) & m["value"].notna()]
    got_groups = set(zip(rated["unit"], rated["rater"]))
    points = comps.groupby(["unit", "component"])["points"].sum()
    has_data = comps.set_index(["unit", "component"])["has_data"]
    by_unit = {unit: part for unit, part in ind.groupby("unit")}
    empty = ind.iloc[0:0]
    parts = shown_components(scheme)
    decimals = 2
    out = {}
    for unit in scheme.units:
        mine = by_unit.get(unit.code, empty)
        per_source: dict[str, float] = {}
        gaps: dict[str, list[int]] = {}  # source → [missing, expected]
        for c in parts:
            if c.source not in SOURCES:
                continue
            per_source[c.source] = per_source.get(c.source, 0.0) + float(points.get((unit.code, c.name), 0.0))
            gap = gaps.setdefault(c.source, [0, 0])
            if c.method == "得分率":
                sel = mine if c.indicator_kind in (ALL, "") else mine[mine["kind"] == c.indicator_kind]
                column = "self_score" if c.source == "自评" else "evaluator_score"
                gap[0] += int(sel[column].isna().sum())
                gap[1] += len(sel)
            elif c.method == "评议平均":
                groups = [g.code for g in scheme.rater_groups if g.rates(unit)]
                gap[0] += sum((unit.code, g) not in got_groups for g in groups)
                gap[1] += len(groups)
            else:  # 直接评分 and any other way: scored or not
                gap[0] += 0 if bool(has_data.get((unit.code, c.name), False)) else 1
                gap[1] += 1
        total = round_half_up(sum(per_source.values()), decimals)
        # a source with nothing in yet shows blank, not 0.00 (which would read as scored zero); one whose points stand
        # in for what is missing (an evaluating department's score by the unit's own, 设置's 缺少考评得分时) shows them
        shown = {s: round_half_up(v, decimals) for s, v in per_source.items()
                 if gaps[s][0] < gaps[s][1] or not gaps[s][1] or v}
        missing = "、".join(_gap_text(s, n, of) for s, (n, of) in gaps.items() if n)
        out[unit.code] = Standing(shown, total, missing)
    return out


def _gap_text(source: str, missing: int, expected: int) -> str:
    """What is still missing of one source, in a few words (the leader form's 数据情况: 未收齐：自评表、评议 1 组)."""
    every = missing == expected
    if source == "自评":
        return "自评表" if every else f"自评 {missing} 项"
    if source == "考评部门":  # scored meanwhile as 设置's 缺少考评得分时 says (the form's note says how)
        return f"考评部门 {missing} 项"
    if source == "评议":
        return "评议表" if every else f"评议 {missing} 组"
    office = ledger.OFFICE_SCORES.name  # the sheet the office enters them in
    return office if every else f"{office} {missing} 项"

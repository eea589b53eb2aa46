"""feedback: what each evaluated unit is told about its result, and the office's 反馈 overview.

`analyse(scheme, results)` derives, for every unit at once, the numbers a feedback needs from the scoring
core's frames: component scores against the category's average and best, score rates per dimension (考评维度:
Σ score / Σ max of its indicators) and per level (考评层面), the indicators that lost points with the
evaluator's reason, and the strongest and weakest components relative to the category average.

From it come `feedback_sheet` (the 反馈 sheet of the office workbook, one block of rows per unit) and
`write_feedback` (one read-only, print-ready workbook per unit, written with XlsxWriter, with a bar chart, a
radar chart and a narrative rendered from templates/feedback/narrative.txt.j2, which the office may edit).

Where several periods were scored, a component's score is the period-weighted mean (the weights scoring
used), so the components' points still add up to the total; the lost points are listed per period.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import pandas as pd
import xlsxwriter

from . import ledger
from .forms.meta import protection_password
from .forms.write import BORDER, FONT, TITLE_FONT, _Sheet, close_atomically
from .officebook import OfficeBook
from .paths import safe_filename
from .scheme import Period, Scheme, Unit
from .scoring import FALLBACK_ZERO, Results
from .templating import render_lines

FILE_LABEL = "绩效反馈"
TEMPLATE = "feedback/narrative.txt.j2"
REPORT_SHEET, LOST_SHEET, DATA_SHEET = "绩效反馈", "失分明细", "图表数据"

DIMENSION, LEVEL, COMPONENT = "维度", "层面", "组成部分"
TOP_LOST = 5  # lost indicators named in the narrative and on the report's first page
MAX_LISTED = 3  # strengths / weaknesses named in the narrative
EPS = 0.005  # differences below this show as 0.00 and count as none

# chart series colours: the unit, its category's average, its category's best
UNIT_COLOR, AVERAGE_COLOR, BEST_COLOR = "#2F5597", "#A5A5A5", "#F4B183"
GRADE_COLORS = ["#548235", "#2F5597", "#BF8F00", "#C00000"]  # best grade first; the last one for the lowest

Progress = Callable[[int, int], None]


# ============================================================================================== analysis


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


def period_weights(scheme: Scheme, scored: list[str]) -> dict[str, float]:
    """The weights scoring gave the periods it scored, renormalised to 1 (as scoring.score does)."""
    w = {p.name: p.weight for p in scheme.periods if p.name in scored}
    total = sum(w.values())
    if not w:
        return {p: 1 / len(scored) for p in scored}
    return {k: (v / total if total else 1 / len(w)) for k, v in w.items()}


def analyse(scheme: Scheme, results: Results, focus: str | None = None) -> Analysis:
    units = results.units.set_index("unit")
    category = units["category"]
    units = units.assign(category_size=category.map(category.value_counts()),
                         category_average=category.map(units.groupby("category")["final"].mean()))
    periods = [p for p in dict.fromkeys(results.components["period"])]
    pw = period_weights(scheme, periods)

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
    return Analysis(scheme, units, comp, dims, lost, periods, focus if focus in periods else periods[-1])


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
            for d in dims if d.level == level and not _missing(d.rate)]


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


def _f(x: float) -> str:
    return f"{x:.2f}"


def narrative_context(a: Analysis, fb: UnitFeedback, period: Period) -> dict:
    s = a.scheme.settings
    r = fb.row
    grades = [g.name for g in a.scheme.grades]
    by_score = grades.index(r["grade_by_score"])
    next_grade = grades[by_score - 1] if by_score > 0 else None
    gap = a.scheme.grades[by_score - 1].lower - r["final"] if next_grade else 0.0

    rate = fb.compare_kind != COMPONENT  # dimensions and levels compare score rates (%), components scores

    def item(c) -> dict:
        return {"name": c.name, "source": c.source, "measure": "得分率" if rate else "得分",
                "score": _f(c.score) + ("%" if rate else ""), "average": _f(c.average) + ("%" if rate else ""),
                "best": _f(c.best) + ("%" if rate else ""), "diff": _f(abs(c.diff)) + ("个百分点" if rate else "分"),
                "is_best": c.score >= c.best - 1e-9}

    ordered = fb.ordered_by_diff
    strengths = [item(c) for c in ordered if c.diff >= EPS][:MAX_LISTED]
    weaknesses = [item(c) for c in ordered[::-1] if c.diff <= -EPS][:MAX_LISTED]
    lost = fb.focus_lost
    return {
        "unit": fb.unit, "s": s, "period": period.name, "scheme": a.scheme,
        "total": _f(r["final"]), "score": _f(r["total"]), "bonus": _f(r["bonus"]),
        "grade": r["grade"], "grade_by_score": r["grade_by_score"], "veto": bool(r["veto"]),
        "rank": int(r["rank"]), "units_total": len(a.units), "category_rank": int(r["category_rank"]),
        "category_size": int(r["category_size"]), "category_average": _f(r["category_average"]),
        "versus": _versus(r["final"] - r["category_average"]),
        "next_grade": next_grade, "gap": _f(gap),
        "compared": {COMPONENT: "组成部分", DIMENSION: "考评维度", LEVEL: "考评层面"}[fb.compare_kind],
        "strengths": strengths, "weaknesses": weaknesses,
        "top_lost": [{"code": i.indicator, "name": i.name, "max": _g(i.max), "score": _g(i.score), "lost": _g(i.lost),
                      "reason": i.reason.rstrip("。；;. "), "evaluator": i.evaluator} for i in lost[:TOP_LOST]],
        "lost_period": fb.focus if fb.multi_period else "",
        "lost_count": len(lost), "lost_total": _g(sum(i.lost for i in lost)),
        "falsified": list(dict.fromkeys(i.name for i in lost if i.falsified)),
    }


def _versus(diff: float) -> str:
    return "高于" if diff >= EPS else ("低于" if diff <= -EPS else "持平于")


def _g(x: float) -> str:
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


def feedback_sheet(scheme: Scheme, results: Results, analysis: Analysis | None = None) -> pd.DataFrame:
    """The office's overview: a block of rows per unit (in ranking order), readable when filtered by unit."""
    a = analysis or analyse(scheme, results)
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
        veto = f"；一票否决，由“{r['grade_by_score']}”降为“{r['grade']}”" if r["veto"] else ""
        add("等次", f"{r['grade']}{veto}")
        add("总分", f"{_f(r['final'])}（考评得分 {_f(r['total'])}，加分 {_f(r['bonus'])}；同类平均 "
                   f"{_f(r['category_average'])}）", round(float(r["final"]), 4))
        ordered = fb.ordered_by_diff
        if len(ordered) >= 2:
            for item, c in (("最强项目", ordered[0]), ("最弱项目", ordered[-1])):
                pct = "%" if fb.compare_kind != COMPONENT else ""
                side = f"{_versus(c.diff)}同类平均" + (f" {_f(abs(c.diff))}" if abs(c.diff) >= EPS else "")
                add(item, f"{c.name}：{_f(c.score)}{pct}，{side}"
                          f"（平均 {_f(c.average)}{pct}，最高 {_f(c.best)}{pct}）", round(float(c.diff), 4))
        if fb.lost:
            what = "项次" if fb.multi_period else "项指标"
            add("失分合计", f"{len(fb.lost)} {what}失分，合计 {_g(fb.lost_total)} 分", round(fb.lost_total, 4))
        else:
            add("失分合计", "各项指标均得满分", 0.0)
        multi = len(a.periods) > 1
        for i in fb.lost:
            where = f"{i.period}·" if multi else ""
            add("失分", f"{where}{i.indicator} {i.name}：得 {_g(i.score)} / {_g(i.max)}，失 {_g(i.lost)} 分。"
                       f"原因：{i.reason}（{i.evaluator}）", round(float(i.lost), 4))
    return pd.DataFrame(rows, columns=list(ledger.FEEDBACK.columns))


# ========================================================================== the unit's feedback workbook


def file_name(scheme: Scheme, period: Period, unit: Unit) -> str:
    return safe_filename(f"{scheme.settings.year}{period.name}_{unit.code}_{unit.name}_{FILE_LABEL}") + ".xlsx"


# The workbook's default font is Arial 10: its digit is 7 px wide, as Calibri 11's, so XlsxWriter's pixel model
# (charts, column widths) holds in Excel, and LibreOffice has it metric for metric (Liberation Sans). With
# Calibri, which LibreOffice replaces by a wider font, the page shrank to ~77 % there and text wrapped
# differently from Excel; now a CJK character takes the same share of a column in both.
DEFAULT_FONT = {"font_name": "Arial", "font_size": 10}
DIGIT_PX, PADDING_PX = 7, 5
# Report sheet: A holds names, B..G numbers; 697 px = 523 pt, the width of portrait A4 inside 0.45" margins.
REPORT_WIDTHS = [26, 11.4, 11.4, 11.4, 11.4, 11.4, 11.4]
LOST_WIDTHS = [5, 8, 22, 30, 6.5, 6.5, 6.5, 38, 16]  # landscape A4 (a period column adds 7)
SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 0.45, 0.6, 0.7  # inches
PAGE_HEIGHT = 842 - (TOP_MARGIN + BOTTOM_MARGIN) * 72 - 6  # points a portrait A4 page holds, with some slack
CHART_ROW = 15  # points: the rows under a chart get this height, so its anchors mean the same everywhere
PROTECT = {"select_locked_cells": True, "select_unlocked_cells": True}
HEADINGS = tuple(f"{n}、" for n in "一二三四五六七八九十")


def _px(width: float) -> int:
    """A column's width in pixels, as XlsxWriter (and Excel, for a 7-px digit) computes it."""
    return int(width * DIGIT_PX + 0.5) + PADDING_PX if width >= 1 else int(width * (DIGIT_PX + PADDING_PX) + 0.5)


def text_lines(text: str, width: float, font_size: float) -> int:
    """Lines a text wraps to in `width` column units: a CJK character is one em (font_size pt = 4/3 px per pt),
    other characters about half that, a column unit is 7 px less the cell's margins."""
    em = font_size * 4 / 3 / DIGIT_PX  # column units per CJK character
    usable = max(width - 1.2, 1.0)
    lines = 0
    for part in str(text).split("\n"):
        w = sum(em if ord(ch) > 0x2E80 else em * 0.55 for ch in part)
        lines += max(1, math.ceil(w / usable))
    return lines


def text_height(texts: list[tuple[object, float]], font_size: float = 10, minimum: int = 1, pad: float = 6) -> float:
    """Points a row needs to show each (text, column width) in full (no application fits generated rows)."""
    lines = max([minimum] + [text_lines(t, w, font_size) for t, w in texts if t is not None and t != ""])
    return round(lines * font_size * 1.4 + pad, 1)


class _Report:
    """One unit's feedback workbook being written."""

    def __init__(self, path: Path, a: Analysis, fb: UnitFeedback, period: Period):
        self.path, self.a, self.fb, self.period = path, a, fb, period
        s = a.scheme.settings
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                                  "strings_to_numbers": False, "in_memory": True,
                                                  "default_format_properties": dict(DEFAULT_FONT),
                                                  "default_row_height": 17})  # Arial 10's row: 12.75 pt
        self.title = f"{s.year}年度{'' if period.name == '年终' else period.name}绩效考评结果反馈"
        self.wb.set_properties({"title": f"{fb.unit.name} {self.title}", "author": s.office, "company": s.office,
                                "comments": "由 xlplugin 生成；考评结果以绩效办公布的为准。"})
        self.wb.read_only_recommended()
        self.password = protection_password(s.key)
        self.heights: dict[int, float] = {}  # report rows' heights, for the page breaks
        self.blocks: list[tuple[int, int]] = []  # [first, last) rows to keep on one page
        f = self.wb.add_format
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        cell = {**base, "border": 1, "border_color": BORDER}
        card = {**base, "left": 1, "right": 1, "border_color": BORDER, "align": "center"}
        big = {**card, "font_name": TITLE_FONT, "font_size": 20, "bold": True, "font_color": "#1F3864"}
        grades = [g.name for g in a.scheme.grades]
        n = grades.index(fb.row["grade"]) if fb.row["grade"] in grades else 0
        grade_color = GRADE_COLORS[-1] if n == len(grades) - 1 and n else GRADE_COLORS[min(n, len(GRADE_COLORS) - 2)]
        self.fmt = {
            "title": f({"font_name": TITLE_FONT, "font_size": 18, "bold": True, "align": "center", "valign": "vcenter",
                        "font_color": "#1F3864"}),
            "subtitle": f({**base, "align": "center", "font_color": "#404040"}),
            "section": f({"font_name": TITLE_FONT, "font_size": 12, "bold": True, "valign": "vcenter",
                          "font_color": "#1F3864", "bottom": 2, "bottom_color": "#1F3864"}),
            "card_label": f({**card, "bold": True, "bg_color": "#DDEBF7", "font_color": "#1F3864", "top": 1}),
            "card_value": f({**big, "num_format": "0.00"}),
            "card_rank": f({**big, "num_format": '"第 "0" 名"'}),
            "card_grade": f({**big, "font_color": grade_color}),
            "card_note": f({**card, "font_size": 9, "font_color": "#595959", "bottom": 1, "text_wrap": True}),
            "heading": f({**cell, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#D9E1F2"}),
            "name": f({**cell, "text_wrap": True, "indent": 1}),
            "name_bold": f({**cell, "text_wrap": True, "bold": True, "bg_color": "#F2F2F2", "indent": 1}),
            "name_indent": f({**cell, "text_wrap": True, "indent": 2}),
            "text": f({**cell, "text_wrap": True, "indent": 1}),
            "center": f({**cell, "align": "center"}),
            "num": f({**cell, "align": "center", "num_format": "0.00"}),
            "num_bold": f({**cell, "align": "center", "num_format": "0.00", "bold": True, "bg_color": "#F2F2F2"}),
            "pts": f({**cell, "align": "center", "num_format": "0.##;-0.##;0"}),
            "pts_bold": f({**cell, "align": "center", "num_format": "0.##;-0.##;0", "bold": True,
                           "bg_color": "#F2F2F2"}),
            "pts_lost": f({**cell, "align": "center", "num_format": "0.##", "font_color": "#C00000", "bold": True}),
            "int": f({**cell, "align": "center", "num_format": "0"}),
            "int_bold": f({**cell, "align": "center", "num_format": "0", "bold": True, "bg_color": "#F2F2F2"}),
            "diff": f({**cell, "align": "center", "num_format": "+0.00;-0.00;0.00"}),
            "blank_bold": f({**cell, "bg_color": "#F2F2F2"}),
            "para": f({**base, "font_size": 11, "text_wrap": True, "valign": "top"}),
            "para_head": f({**base, "font_name": TITLE_FONT, "font_size": 11, "bold": True}),
            "note": f({**base, "font_size": 9, "font_color": "#595959", "text_wrap": True, "valign": "top"}),
            "up": f({"font_color": "#38761D"}),  # conditional: above the category average
            "down": f({"font_color": "#C00000"}),
        }

    # ------------------------------------------------------------------------------------- sheet set-up

    def sheet(self, name: str, landscape: bool = False):
        ws = self.wb.add_worksheet(name, worksheet_class=_Sheet)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=TOP_MARGIN, bottom=BOTTOM_MARGIN)
        ws.center_horizontally()
        ws.fit_to_pages(1, 0)
        ws.hide_gridlines(2)
        s = self.a.scheme.settings
        ws.set_footer(f"&L{_escape(self.fb.unit.name)}&C第 &P 页，共 &N 页&R{_escape(s.office)}", {"margin": 0.3})
        ws.protect(self.password, PROTECT)
        return ws

    def height(self, ws, row: int, points: float) -> None:
        ws.set_row(row, points)
        self.heights[row] = points

    # ------------------------------------------------------------------------------------------ writing

    def write(self) -> Path:
        report = self.sheet(REPORT_SHEET)
        lost = self.sheet(LOST_SHEET, landscape=True)
        self.data = self.wb.add_worksheet(DATA_SHEET)  # the charts' data, hidden (last: a first sheet must show)
        self.report(report)
        self.lost_sheet(lost)
        self.data.protect(self.password, {})
        self.data.hide()
        report.activate()
        return self._save()

    def report(self, ws) -> None:
        for i, w in enumerate(REPORT_WIDTHS):
            ws.set_column(i, i, w)
        row = self.header(ws)
        row = self.narrative(ws, row)
        row = self.components(ws, row)
        row = self.dimensions(ws, row)
        row = self.top_lost(ws, row)
        ws.print_area(0, 0, row - 1, len(REPORT_WIDTHS) - 1)
        ws.set_h_pagebreaks(self.page_breaks())

    def page_breaks(self) -> list[int]:
        """Start a new page before a block that would not fit on the current one (a block taller than a page
        simply flows on)."""
        breaks, used = [], 0.0
        for first, last in self.blocks:
            h = sum(self.heights.get(r, 12.75) for r in range(first, last))
            if used and used + h > PAGE_HEIGHT:
                breaks.append(first)
                used = 0.0
            used = (used + h) % PAGE_HEIGHT if h > PAGE_HEIGHT else used + h
        return breaks

    def header(self, ws) -> int:
        """Title, the unit, and four cards: total, grade, rank overall and within the category."""
        a, fb, r = self.a, self.fb, self.fb.row
        last = len(REPORT_WIDTHS) - 1
        self._merge(ws, 0, 0, 0, last, self.title, "title")
        self.height(ws, 0, 36)
        period = f"　　考评期：{self.period.name}" if self.period.name != "年终" or len(a.periods) > 1 else ""
        self._merge(ws, 1, 0, 1, last, f"被考评单位：{fb.unit.name}（{fb.unit.code}）　　类别：{fb.unit.category}"
                                       f"{period}　　反馈日期：{date.today():%Y年%m月%d日}", "subtitle")
        self.height(ws, 1, 20)
        self.height(ws, 2, 8)
        top = 3
        cards = [(0, 0), (1, 2), (3, 4), (5, 6)]
        bonus = f"，加分 {_f(r['bonus'])}" if r["bonus"] else ""
        grade_note = (f"一票否决，由“{r['grade_by_score']}”降为“{r['grade']}”" if r["veto"]
                      else _grade_rule(a.scheme, r["grade"]))
        notes = [f"考评得分 {_f(r['total'])}{bonus}", grade_note, f"共 {len(a.units)} 个被考评单位",
                 f"{fb.unit.category}共 {int(r['category_size'])} 个单位"]
        for (c0, c1), label in zip(cards, ["总分", "等次", "总排名", "类别排名"]):
            self._merge(ws, top, c0, top, c1, label, "card_label")
        self._merge_number(ws, top + 1, 0, 0, round(float(r["final"]), 4), "card_value")
        self._merge(ws, top + 1, 1, top + 1, 2, str(r["grade"]), "card_grade")
        self._merge_number(ws, top + 1, 3, 4, int(r["rank"]), "card_rank")
        self._merge_number(ws, top + 1, 5, 6, int(r["category_rank"]), "card_rank")
        for (c0, c1), note in zip(cards, notes):
            self._merge(ws, top + 2, c0, top + 2, c1, note, "card_note")
        self.height(ws, top, 20)
        self.height(ws, top + 1, 36)
        self.height(ws, top + 2, text_height([(n, sum(REPORT_WIDTHS[c0:c1 + 1])) for (c0, c1), n in zip(cards, notes)],
                                             font_size=9))
        self.height(ws, top + 3, 10)
        self.blocks.append((0, top + 4))
        return top + 4

    def section(self, ws, row: int, title: str) -> int:
        self._merge(ws, row, 0, row, len(REPORT_WIDTHS) - 1, title, "section")
        self.height(ws, row, 26)
        return row + 1

    def note(self, ws, row: int, text: str) -> int:
        self._merge(ws, row, 0, row, len(REPORT_WIDTHS) - 1, text, "note")
        self.height(ws, row, text_height([(text, sum(REPORT_WIDTHS))], font_size=9, pad=4))
        return row + 1

    def narrative(self, ws, row: int) -> int:
        """The text rendered from the template: a heading line stays with the paragraph after it."""
        start = row
        row = self.section(ws, row, "综合评价")
        width, last = sum(REPORT_WIDTHS), len(REPORT_WIDTHS) - 1
        block = start
        for line in narrative(self.a, self.fb, self.period):
            if not line:
                self.height(ws, row, 6)
                row += 1
                continue
            head = line.lstrip().startswith(HEADINGS)
            if head:
                self.blocks.append((block, row))
                block = row
            self._merge(ws, row, 0, row, last, line, "para_head" if head else "para")
            self.height(ws, row, 22 if head else text_height([(line, width)], font_size=11, pad=5))
            row += 1
            if not head:
                self.blocks.append((block, row))
                block = row
        self.height(ws, row, 12)
        self.blocks.append((block, row + 1))
        return row + 1

    def heading_row(self, ws, row: int, heads: list[str]) -> int:
        """A table's header row; returns the row below it."""
        for i, h in enumerate(heads):
            ws.write_string(row, i, h, self.fmt["heading"])
        self.height(ws, row, 22)
        return row + 1

    def components(self, ws, row: int) -> int:
        """Each component's 0-100 score against the category's average and best, its points, and a bar chart."""
        fb, s = self.fb, self.a.scheme.settings
        start = row
        row = self.section(ws, row, "各组成部分得分")
        row = self.heading_row(ws, row, ["组成部分", "权重(%)", "本单位得分", "同类平均", "同类最高", "与平均相差", "折合分数"])
        first = row
        for c in fb.components:
            ws.write_string(row, 0, c.component, self.fmt["name"])
            ws.write_number(row, 1, c.weight, self.fmt["pts"])
            for i, v in enumerate((c.score, c.average, c.best), start=2):
                ws.write_number(row, i, round(v, 4), self.fmt["num"])
            ws.write_number(row, 5, round(c.diff, 4), self.fmt["diff"])
            ws.write_number(row, 6, round(c.points, 4), self.fmt["num"])
            self.height(ws, row, text_height([(c.component, REPORT_WIDTHS[0])], pad=7))
            row += 1
        if row > first:
            for criteria, fmt in (("greater than", "up"), ("less than", "down")):
                ws.conditional_format(first, 5, row - 1, 5, {"type": "cell", "criteria": criteria,
                                                             "value": EPS if fmt == "up" else -EPS,
                                                             "format": self.fmt[fmt]})
        ws.write_string(row, 0, "考评得分（加权合计）", self.fmt["name_bold"])
        ws.write_number(row, 1, round(sum(c.weight for c in fb.components), 4), self.fmt["pts_bold"])
        for i in range(2, 6):
            ws.write_blank(row, i, None, self.fmt["blank_bold"])
        ws.write_number(row, 6, round(float(fb.row["total"]), 4), self.fmt["num_bold"])
        self.height(ws, row, 20)
        row += 1
        cap = s.total_cap if s.total_cap is not None and not math.isnan(s.total_cap) else None
        text = (f"注：各组成部分得分为百分制；折合分数 = 得分 × 权重 ÷ 100 × 基本分 {s.base:g} ÷ 100，合计即考评得分；"
                f"总分 = 考评得分 + 加分{f'（不超过 {cap:g} 分）' if cap else ''}。")
        if len(self.a.periods) > 1:
            text += f"得分为各考评期（{'、'.join(self.a.periods)}）按权重的加权值。"
        row = self.note(ws, row, text)
        self.height(ws, row, 10)
        row += 1
        if self.fb.compare_kind == COMPONENT:
            row = self.bar_chart(ws, row)
        self.blocks.append((start, row))
        return row

    def dimensions(self, ws, row: int) -> int:
        """Score rates per dimension, with its levels beneath, and the radar chart."""
        fb = self.fb
        start = row
        row = self.section(ws, row, "各考评维度得分率")
        row = self.heading_row(ws, row, ["考评维度 / 层面", "指标项数", "分值", "得分", "得分率(%)", "同类平均(%)", "同类最高(%)"])
        for d in fb.dimensions:
            bold = d.level == DIMENSION
            ws.write_string(row, 0, d.name, self.fmt["name_bold" if bold else "name_indent"])
            ws.write_number(row, 1, d.count, self.fmt["int_bold" if bold else "int"])
            for i, v in enumerate((d.max, d.score, d.rate, d.average, d.best), start=2):
                fmt = self.fmt[("pts" if i < 4 else "num") + ("_bold" if bold else "")]
                if _missing(v):
                    ws.write_blank(row, i, None, fmt)
                else:
                    ws.write_number(row, i, round(v, 4), fmt)
            self.height(ws, row, text_height([(d.name, REPORT_WIDTHS[0] - 2)], pad=7))
            row += 1
        row = self.note(ws, row, "注：得分率 = 该维度（层面）各项指标得分之和 ÷ 分值之和 × 100；"
                                 "同类平均、同类最高按同类单位的得分率计算。")
        self.height(ws, row, 10)
        row += 1
        self.blocks.append((start, row))
        if self.fb.compare_kind != COMPONENT:
            start = row
            row = self.bar_chart(ws, row)
            self.blocks.append((start, row))
        start = row
        row = self.radar_chart(ws, row)
        self.blocks.append((start, row))
        return row

    def top_lost(self, ws, row: int) -> int:
        """The indicators that lost most (in the feedback's period), the full list on the next sheet."""
        fb, last = self.fb, len(REPORT_WIDTHS) - 1
        lost = fb.focus_lost
        start = row
        row = self.section(ws, row, f"主要失分指标（{fb.focus}）" if fb.multi_period else "主要失分指标")
        if lost:
            spans = [(0, 0), (1, 1), (2, 2), (3, 3), (4, last)]
            for (c0, c1), h in zip(spans, ["指标", "分值", "得分", "失分", "扣分原因（考评部门）"]):
                self._merge(ws, row, c0, row, c1, h, "heading")
            self.height(ws, row, 22)
            row += 1
            reason_width = sum(REPORT_WIDTHS[4:])
            for i in lost[:TOP_LOST]:
                reason = f"{i.reason}（{i.evaluator}）"
                ws.write_string(row, 0, i.name, self.fmt["name"])
                ws.write_number(row, 1, i.max, self.fmt["pts"])
                ws.write_number(row, 2, round(i.score, 4), self.fmt["pts"])
                ws.write_number(row, 3, round(i.lost, 4), self.fmt["pts_lost"])
                self._merge(ws, row, 4, row, last, reason, "text")
                self.height(ws, row, text_height([(i.name, REPORT_WIDTHS[0]), (reason, reason_width)], pad=7))
                row += 1
            more = f"共 {len(lost)} 项指标失分，合计 {_g(sum(i.lost for i in lost))} 分；"
        else:
            more = "各项指标均得满分；"
        more += f"{'各考评期的' if fb.multi_period else ''}逐项明细见“{LOST_SHEET}”工作表。" if fb.lost else ""
        row = self.note(ws, row, more.rstrip("；") + ("" if fb.lost else "。"))
        self.blocks.append((start, row))
        return row

    def _chart_rows(self, ws, row: int, height_px: int) -> int:
        rows = math.ceil(height_px * 0.75 / CHART_ROW)
        for r in range(row, row + rows):
            self.height(ws, r, CHART_ROW)
        self.height(ws, row + rows, 10)
        return row + rows + 1

    def bar_chart(self, ws, row: int) -> int:
        """Horizontal bars, one group per component (or dimension): the unit, its category's average and best."""
        items, kind = self.fb.compare, self.fb.compare_kind
        n = len(items)
        if not n:
            return row
        d = self.data
        d.write_row(0, 0, [kind, "本单位", "同类平均", "同类最高"])
        for k, c in enumerate(items[::-1], start=1):  # a bar chart draws its first category at the bottom
            d.write_string(k, 0, c.name)
            d.write_row(k, 1, [round(c.score, 2), round(c.average, 2), round(c.best, 2)])
        chart = self.wb.add_chart({"type": "bar"})
        for col, color in ((3, BEST_COLOR), (2, AVERAGE_COLOR), (1, UNIT_COLOR)):
            series = {"name": [DATA_SHEET, 0, col], "categories": [DATA_SHEET, 1, 0, n, 0],
                      "values": [DATA_SHEET, 1, col, n, col], "fill": {"color": color}, "border": {"none": True},
                      "gap": 70}
            if col == 1:
                series["data_labels"] = {"value": True, "num_format": "0.0",
                                         "font": {"name": FONT, "size": 8, "color": UNIT_COLOR, "bold": True}}
            chart.add_series(series)
        title = "各组成部分得分对比" if kind == COMPONENT else f"各考评{kind}得分率对比"
        chart.set_title({"name": title, "name_font": {"name": TITLE_FONT, "size": 11, "bold": True}})
        chart.set_x_axis({"min": 0, "max": 100, "major_unit": 20, "num_font": {"name": FONT, "size": 9},
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                          "line": {"none": True}})
        chart.set_y_axis({"num_font": {"name": FONT, "size": 9}, "line": {"color": "#BFBFBF"}})
        chart.set_legend({"position": "top", "font": {"name": FONT, "size": 9}})
        chart.set_chartarea({"border": {"none": True}})
        width = sum(_px(w) for w in REPORT_WIDTHS)
        height = 80 + n * 34
        chart.set_size({"width": width, "height": height})
        ws.insert_chart(row, 0, chart, {"x_offset": 0, "y_offset": 0, "object_position": 1})
        return self._chart_rows(ws, row, height)

    def radar_chart(self, ws, row: int) -> int:
        """Score rates per dimension (or level, where there are fewer than three): the unit against its
        category's average."""
        radar = self.fb.radar
        n = len(radar)
        if n < 3:
            return row
        d = self.data
        c0 = 6
        d.write_row(0, c0, [self.fb.radar_kind, "本单位", "同类平均"])
        for k, x in enumerate(radar, start=1):
            d.write_string(k, c0, x.name)
            for j, v in enumerate((x.rate, x.average), start=1):
                if _missing(v):
                    d.write_blank(k, c0 + j, None)
                else:
                    d.write_number(k, c0 + j, round(v, 2))
        chart = self.wb.add_chart({"type": "radar", "subtype": "marker"})
        for col, color, dash, width in ((2, AVERAGE_COLOR, "dash", 1.75), (1, UNIT_COLOR, "solid", 2.5)):
            chart.add_series({
                "name": [DATA_SHEET, 0, c0 + col], "categories": [DATA_SHEET, 1, c0, n, c0],
                "values": [DATA_SHEET, 1, c0 + col, n, c0 + col],
                "line": {"color": color, "width": width, "dash_type": dash},
                "marker": {"type": "circle", "size": 5, "fill": {"color": color}, "border": {"color": color}},
            })
        rates = [v for x in radar for v in (x.rate, x.average) if not _missing(v)]
        low = max(0, math.floor(min(rates, default=0) / 10) * 10 - 10)
        what = {DIMENSION: "各考评维度", LEVEL: "各考评层面", COMPONENT: "各组成部分"}[self.fb.radar_kind]
        chart.set_title({"name": f"{what}得分率对比", "name_font": {"name": TITLE_FONT, "size": 11, "bold": True}})
        chart.set_y_axis({"min": low, "max": 100, "major_unit": 10 if 100 - low <= 50 else 20,
                          "num_font": {"name": FONT, "size": 8, "color": "#7F7F7F"},
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_x_axis({"num_font": {"name": FONT, "size": 9}})
        chart.set_legend({"position": "top", "font": {"name": FONT, "size": 9}})
        chart.set_chartarea({"border": {"none": True}})
        width = sum(_px(w) for w in REPORT_WIDTHS)
        height = 320
        chart.set_size({"width": width, "height": height})
        ws.insert_chart(row, 0, chart, {"x_offset": 0, "y_offset": 0, "object_position": 1})
        return self._chart_rows(ws, row, height)

    def lost_sheet(self, ws) -> None:
        """Every indicator that lost points, most first, with the evaluator's reason (landscape, header repeated)."""
        a, fb = self.a, self.fb
        multi = len(a.periods) > 1
        widths = list(LOST_WIDTHS)
        heads = ["序号", "指标代码", "指标名称", "考评维度 / 层面", "分值", "得分", "失分", "扣分原因", "考评部门"]
        if multi:
            heads.insert(1, "考评期")
            widths.insert(1, 7)
        last = len(heads) - 1
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        self._merge(ws, 0, 0, 0, last, f"{fb.unit.name} · {self.title.replace('结果反馈', '')}失分明细", "title")
        ws.set_row(0, 34)
        sub = (f"共 {len(fb.lost)} {'项次' if multi else '项指标'}失分，合计失分 {_g(fb.lost_total)} 分，"
               f"{'各考评期内' if multi else ''}按失分从多到少排列。"
               if fb.lost else "各项指标均得满分，无失分。")
        self._merge(ws, 1, 0, 1, last, sub, "subtitle")
        ws.set_row(1, 20)
        h = 3
        for i, head in enumerate(heads):
            ws.write_string(h, i, head, self.fmt["heading"])
        ws.set_row(h, 24)
        ws.repeat_rows(h)
        ws.freeze_panes(h + 1, 0)
        for n, i in enumerate(fb.lost, start=1):
            r = h + n
            values = [n, *([i.period] if multi else []), i.indicator, i.name, f"{i.dimension} / {i.level}",
                      i.max, round(i.score, 4), round(i.lost, 4), i.reason, i.evaluator]
            for col, v in enumerate(values):
                if isinstance(v, (int, float)):
                    fmt = "pts_lost" if heads[col] == "失分" else ("int" if heads[col] == "序号" else "pts")
                    ws.write_number(r, col, v, self.fmt[fmt])
                else:
                    ws.write_string(r, col, str(v), self.fmt["center" if heads[col] in ("考评期", "指标代码") else "text"])
            ws.set_row(r, text_height(list(zip(values, widths)), pad=7))
        if fb.lost:
            r = h + len(fb.lost) + 1
            span = heads.index("分值") - 1
            self._merge(ws, r, 0, r, span, "合计", "name_bold")
            ws.write_number(r, span + 1, round(sum(i.max for i in fb.lost), 4), self.fmt["pts_bold"])
            ws.write_number(r, span + 2, round(sum(i.score for i in fb.lost), 4), self.fmt["pts_bold"])
            ws.write_number(r, span + 3, round(fb.lost_total, 4), self.fmt["pts_bold"])
            for col in range(span + 4, last + 1):
                ws.write_blank(r, col, None, self.fmt["blank_bold"])
            ws.set_row(r, 20)

    # ----------------------------------------------------------------------------------------- helpers

    def _merge(self, ws, r0: int, c0: int, r1: int, c1: int, text: str, fmt: str) -> None:
        if (r0, c0) == (r1, c1):
            ws.write_string(r0, c0, text, self.fmt[fmt])
        else:
            ws.merge_range(r0, c0, r1, c1, "", self.fmt[fmt])
            ws.write_string(r0, c0, text, self.fmt[fmt])  # as a string, whatever it starts with

    def _merge_number(self, ws, row: int, c0: int, c1: int, value: float, fmt: str) -> None:
        if c0 != c1:
            ws.merge_range(row, c0, row, c1, "", self.fmt[fmt])
        ws.write_number(row, c0, value, self.fmt[fmt])

    def _save(self) -> Path:
        return close_atomically(self.wb, self.path)


def _grade_rule(scheme: Scheme, grade: str) -> str:
    grades = list(scheme.grades)
    for n, g in enumerate(grades):
        if g.name == grade:
            if n == len(grades) - 1:
                return f"{grades[n - 1].lower:g} 分以下" if n else ""
            upper = f"，{grades[n - 1].lower:g} 分以下" if n else ""
            return f"{g.lower:g} 分及以上{upper}"
    return ""


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _escape(text: str) -> str:
    return text.replace("&", "&&")


def write_unit_feedback(a: Analysis, code: str, period: Period, folder: Path) -> Path:
    fb = unit_feedback(a, code)
    return _Report(Path(folder) / file_name(a.scheme, period, fb.unit), a, fb, period).write()


def write_feedback(book: OfficeBook, scheme: Scheme, results: Results, folder: Path | None = None,
                   period: str | None = None, progress: Progress | None = None) -> list[Path]:
    """One feedback workbook per unit in `folder` (default <output folder>/<year><period>/反馈); their paths."""
    p = scheme.period(period)
    folder = Path(folder) if folder is not None else ledger.feedback_folder(book, scheme, p)
    a = analyse(scheme, results)
    codes = list(a.units.sort_values("rank").index)
    paths = []
    for code in codes:
        paths.append(write_unit_feedback(a, code, p, folder))
        if progress:
            progress(len(paths), len(codes))
    return paths


@dataclass
class FeedbackResult:
    folder: Path
    paths: list[Path]

    def summary(self) -> str:
        return f"已为 {len(self.paths)} 个被考评单位生成绩效反馈表，位于：{self.folder}"


def run_feedback(book: OfficeBook, period: str | None = None, progress: Progress | None = None) -> FeedbackResult:
    """Score from the office workbook as `score` does (without writing it) and write every unit's feedback."""
    from .results import read_inputs
    from .scheme import load_scheme
    from .scoring import score

    scheme = load_scheme(book)
    results = score(scheme, read_inputs(book, scheme))
    p = scheme.period(period)
    folder = ledger.feedback_folder(book, scheme, p)
    return FeedbackResult(folder, write_feedback(book, scheme, results, folder, p.name, progress))

"""score: read what scoring needs from the office workbook, run the pure core, write the result sheets.

Inputs besides the collected marks (汇总数据) are the office's own sheets, which `init` creates empty and the
office fills: 绩效办评分 (components scored directly by the office), 加分审定 (approved bonus points; `collect`
lists every claim there and keeps what the office already entered) and 一票否决 (units whose grade drops).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import ledger
from .feedback import feedback_sheet
from .officebook import ChartSpec, OfficeBook
from .scheme import Scheme, load_scheme
from .scoring import Inputs, Results, score

MARK_NAMES = {"单位代码": "unit", "考评期": "period", "来源": "source", "指标代码": "indicator", "评价者": "rater",
              "项目": "item", "值": "value"}


def _sheet(book: OfficeBook, name: str, columns: list[str]) -> pd.DataFrame:
    if name not in book.sheet_names():
        return pd.DataFrame(columns=columns)
    frame = book.read_sheet(name)
    for c in columns:
        if c not in frame.columns:
            frame[c] = None
    return frame


def read_inputs(book: OfficeBook, scheme: Scheme) -> Inputs:
    marks = _sheet(book, ledger.MARKS.name, list(MARK_NAMES)).rename(columns=MARK_NAMES)
    office = _sheet(book, ledger.OFFICE_SCORES.name, ["单位代码", "考评期"])
    direct = [c.name for c in scheme.components if c.method == "直接评分" and c.name in office.columns]
    office_long = office.melt(id_vars=["单位代码", "考评期"], value_vars=direct, var_name="component", value_name="score") \
        .rename(columns={"单位代码": "unit", "考评期": "period"}) if direct else None
    bonus = _sheet(book, ledger.BONUS.name, list(ledger.BONUS.columns))
    bonus = pd.DataFrame({"unit": bonus["单位代码"], "kind": bonus["加分类型"], "points": bonus["核定分值"]})
    veto = _sheet(book, ledger.VETO.name, list(ledger.VETO.columns))
    inputs = Inputs(marks=marks[list(MARK_NAMES.values())], bonus=bonus.dropna(subset=["unit"]),
                    vetoes=frozenset(str(u) for u in veto["单位代码"].dropna()))
    if office_long is not None:
        inputs.office = office_long
    return inputs


def bonus_claims(scheme: Scheme, marks: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """The 加分审定 sheet after a collect: every claim found, keeping the office's 核定分值 and 审定意见."""
    m = marks[(marks["来源"] == "自评") & marks["指标代码"].astype(str).str.startswith("加分")]
    names = {u.code: u.name for u in scheme.units}
    rows = []
    for (unit, claim), g in m.groupby(["单位代码", "指标代码"], sort=True):
        items = dict(zip(g["项目"], g["值"]))
        rows.append([unit, names.get(unit), claim, items.get("加分类型"), items.get("事项名称"), items.get("申报分值"),
                     items.get("佐证材料"), None, None])
    out = pd.DataFrame(rows, columns=list(ledger.BONUS.columns))
    if previous is not None and len(previous):
        kept = previous.set_index(["单位代码", "申报项"])[["核定分值", "审定意见"]]
        key = list(zip(out["单位代码"], out["申报项"]))
        out["核定分值"] = [kept["核定分值"].get(k) if k in kept.index else None for k in key]
        out["审定意见"] = [kept["审定意见"].get(k) if k in kept.index else None for k in key]
    return out


@dataclass
class ScoreResult:
    results: Results
    sheets: dict[str, pd.DataFrame]

    def top(self, n: int = 10) -> pd.DataFrame:
        return self.sheets[ledger.RANKING.name].head(n)


def result_sheets(scheme: Scheme, r: Results) -> dict[str, pd.DataFrame]:
    """The Chinese result sheets, from the core's frames."""
    u = r.units
    periods = [c.split(":", 1)[1] for c in u.columns if c.startswith("total:")]
    ranking = pd.DataFrame({
        "总排名": u["rank"], "类别排名": u["category_rank"], "单位代码": u["unit"], "单位名称": u["name"],
        "类别": u["category"],
        **({f"{p}得分": u[f"total:{p}"].round(2) for p in periods} if len(periods) > 1 else {}),
        "考评得分": u["total"].round(2), "加分": u["bonus"].round(2), "总分": u["final"].round(2),
        "按分数等次": u["grade_by_score"], "一票否决": u["veto"].map({True: "是", False: None}), "等次": u["grade"],
        "优秀比例(%)": u["quota_pct"], "在编人数": u["staff"], "可评优秀人数": u["quota_staff"],
    })
    sheets = {ledger.RANKING.name: ranking}
    for category in scheme.categories:
        part = ranking[ranking["类别"] == category].sort_values(["类别排名", "单位代码"])
        sheets[f"{ledger.CATEGORY_PREFIX}{category}"[:31]] = part.drop(columns=["总排名"])

    c = r.components
    # several periods: each component as the period-weighted mean, so the columns add up to 加权合计
    weights = {p.name: p.weight for p in scheme.periods if p.name in set(c["period"])}
    share = c["period"].map(weights) / sum(weights.values())
    detail = c.assign(score=c["score"] * share).pivot_table(index="unit", columns="component", values="score",
                                                            aggfunc="sum", sort=False)
    order = [comp.name for comp in scheme.components]
    detail = detail[order].round(2)
    detail.columns = [f"{name}（{w:g}%）" for name, w in zip(order, [comp.weight for comp in scheme.components])]
    totals = u.set_index("unit")
    detail.insert(0, "单位名称", totals["name"])
    detail["加权合计"] = totals["total"].round(2)
    detail["加分"] = totals["bonus"].round(2)
    detail["总分"] = totals["final"].round(2)
    sheets[ledger.DETAIL.name] = detail.reset_index().rename(columns={"unit": "单位代码"}).sort_values("单位代码")

    i = r.indicators
    sheets[ledger.INDICATOR_SCORES.name] = pd.DataFrame({
        "单位代码": i["unit"], "考评期": i["period"], "指标代码": i["indicator"], "类型": i["kind"], "分值": i["max"],
        "自评得分": i["self_score"], "考评得分": i["evaluator_score"], "弄虚作假": i["falsified"].map({True: "是", False: None}),
        "得分": i["score"].round(4), "失分": i["lost"].round(4), "扣分原因": i["reason"],
    })
    dist = u.pivot_table(index="grade", columns="category", values="unit", aggfunc="count", fill_value=0)
    dist = dist.reindex(index=[g.name for g in scheme.grades], columns=scheme.categories, fill_value=0)
    dist["合计"] = dist.sum(axis=1)
    sheets[ledger.DISTRIBUTION.name] = dist.reset_index().rename(columns={"grade": "等次"})
    sheets[ledger.FEEDBACK.name] = feedback_sheet(scheme, r)
    return sheets


def run_score(book: OfficeBook, write: bool = True) -> ScoreResult:
    scheme = load_scheme(book)
    inputs = read_inputs(book, scheme)
    results = score(scheme, inputs)
    sheets = result_sheets(scheme, results)
    if write:
        book.write_sheets(sheets, charts={ledger.DISTRIBUTION.name: ChartSpec("各类别等次分布", "单位数", skip=("合计",))})
    return ScoreResult(results, sheets)

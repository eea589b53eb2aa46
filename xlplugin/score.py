"""score (verb): read the office workbook's inputs, run the pure scoring core, write the result sheets.

`score(book)` loads the scheme, reads the marks and the office's own inputs (xlplugin.inputs), scores them with
the pure core (xlplugin.scoring, imported as a module: its `score` is the core, this module's is the verb) and
writes the Chinese result sheets into the office workbook: 总排名, one 排名-<类别> per category, 得分明细,
指标得分, 等次分布 (with a chart), 复核记录 and 反馈 (built by xlplugin.feedback.analysis). It returns a `ScoreResult`
whose `summary()` and `top_lines()` the doors print.

Upheld appeals (申诉) are applied by the core; xlplugin.review scores once more without them so 复核记录 and
总排名's 复核 column can say what each changed, and every adjustment is kept in the record with its before and
after. When the record holds last year's results of the same office, 总排名 shows them beside this year's.
"""
from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass, fields, replace

import pandas as pd

from . import ledger
from .feedback.analysis import feedback_sheet
from .generate import prefill_due
from .decisions import office_decisions, sync_decisions
from .inputs import MARK_FIELDS, previous_results, read_appeals, read_inputs, require_marks
from .ledger import Progress, announce
from .looks import sheet_looks
from .margins import COLUMNS as MARGIN_COLUMNS, margins
from .officebook import ChartSpec, OfficeBook
from .overview import overview, read_view
from .record import Record, record_path
from .review import Appeal, Review, history_columns, review, review_marks, review_sheet
from .scheme import Scheme, load_scheme
from .scoring import SCORED_ITEMS, Inputs, Results, period_weights
from .values import round_series, storable

#: the sheets score writes, as the doors name them
WRITTEN = "、".join((ledger.OVERVIEW.name, ledger.RANKING.name, "分类排名", ledger.DETAIL.name, ledger.INDICATOR_SCORES.name,
                    ledger.DISTRIBUTION.name, f"{ledger.REVIEW.name}（有申诉时）", ledger.FEEDBACK.name))
#: how one line of the ranking reads: aligned in the terminal, in columns in the demo, numbered in an alert
TOP_LINE = {
    "inline": "{rank:>3}  {name}（{category}）  {total:.2f}  {grade}",
    "columns": "{rank:>3}  {name:<10}{category:<12}{total:>7.2f}  {grade}",
    "numbered": "{rank}. {name}（{category}） {total:.2f} {grade}",
}


@dataclass
class ScoreResult:
    """What `score` computed: the core's frames and the result sheets (written unless write=False)."""

    results: Results
    sheets: dict[str, pd.DataFrame]
    review: Review | None = None

    @property
    def ranking(self) -> pd.DataFrame:
        """The 总排名 sheet: every unit, best first."""
        return self.sheets[ledger.RANKING.name]

    def top(self, n: int = 10) -> pd.DataFrame:
        return self.ranking.head(n)

    def summary(self) -> str:
        return f"已计算 {len(self.ranking)} 个单位的得分、等次和排名，{result_label(self.results)}"

    def top_lines(self, n: int = 10, layout: str = "inline") -> list[str]:
        """The first `n` of the ranking, one line each: rank, unit, category, total, grade (see TOP_LINE)."""
        return [TOP_LINE[layout].format(rank=int(r.总排名), name=r.单位名称, category=r.类别, total=r.总分, grade=r.等次)
                for r in self.top(n).itertuples(index=False)]


def result_sheets(scheme: Scheme, r: Results, rv: Review | None = None) -> dict[str, pd.DataFrame]:
    """The Chinese result sheets, from the core's frames (and, with a review, its appeals and last year's)."""
    rv = rv or Review(r, r, decimals=scheme.settings.decimals)
    u = r.units
    D = scheme.settings.decimals  # published scores: rounded half up to 设置's 小数位数
    periods = [c.split(":", 1)[1] for c in u.columns if c.startswith("total:")]
    close = margins(scheme, u)
    ranking = pd.DataFrame({
        "总排名": u["rank"], "类别排名": u["category_rank"], "单位代码": u["unit"], "单位名称": u["name"],
        "类别": u["category"],
        **({f"{p}得分": round_series(u[f"total:{p}"], D) for p in periods} if len(periods) > 1 else {}),
        "考评得分": round_series(u["total"], D), "加分": round_series(u["bonus"], D), "总分": round_series(u["final"], D),
        "按分数等次": u["grade_by_score"], "一票否决": u["veto"].map({True: "是", False: None}), "等次": u["grade"],
        **{c: close[c] for c in MARGIN_COLUMNS},
        **history_columns(rv, u["unit"]),
        **({"复核": u["unit"].map(review_marks(rv))} if rv.appeals else {}),
        "优秀比例(%)": u["quota_pct"], "在编人数": u["staff"], "可评优秀人数": u["quota_staff"],
        "结果": result_label(r),
    })
    sheets = {ledger.RANKING.name: ranking}
    for category in scheme.categories:
        part = ranking[ranking["类别"] == category].sort_values(["类别排名", "单位代码"])
        sheets[ledger.category_sheet(category)] = part.drop(columns=["总排名"])

    c = r.components
    # several periods: each component as the period-weighted mean, so the columns add up to 加权合计
    scored = set(c["period"])
    share = c["period"].map(period_weights([p for p in scheme.periods if p.name in scored], scheme.periods))
    detail = c.assign(score=c["score"] * share).pivot_table(index="unit", columns="component", values="score",
                                                            aggfunc="sum", sort=False)
    order = [comp.name for comp in scheme.components]
    detail = detail[order].apply(round_series, decimals=D)
    detail.columns = [f"{name}（{w:g}%）" for name, w in zip(order, [comp.weight for comp in scheme.components])]
    totals = u.set_index("unit")
    detail.insert(0, "单位名称", totals["name"])
    detail["加权合计"] = round_series(totals["total"], D)
    detail["加分"] = round_series(totals["bonus"], D)
    detail["总分"] = round_series(totals["final"], D)
    detail[f"{ledger.UNVERIFIED}指标数"] = unverified_counts(r).reindex(detail.index, fill_value=0)
    detail["结果"] = result_label(r)
    sheets[ledger.DETAIL.name] = detail.reset_index().rename(columns={"unit": "单位代码"}).sort_values("单位代码")

    i = r.indicators
    sheets[ledger.INDICATOR_SCORES.name] = pd.DataFrame({
        "单位代码": i["unit"], "考评期": i["period"], "指标代码": i["indicator"], "类型": i["kind"], "分值": i["max"],
        "自评得分": i["self_score"], "考评得分": i["evaluator_score"], "弄虚作假": i["falsified"].map({True: "是", False: None}),
        "得分": i["score"].round(4), "失分": i["lost"].round(4), "扣分原因": i["reason"],
        "核实": i["unverified"].map({True: ledger.UNVERIFIED, False: None}),
    })
    dist = u.pivot_table(index="grade", columns="category", values="unit", aggfunc="count", fill_value=0)
    dist = dist.reindex(index=[g.name for g in scheme.grades], columns=scheme.categories, fill_value=0)
    dist["合计"] = dist.sum(axis=1)
    sheets[ledger.DISTRIBUTION.name] = dist.reset_index().rename(columns={"grade": "等次"})
    sheets[ledger.REVIEW.name] = review_sheet(rv)
    sheets[ledger.FEEDBACK.name] = feedback_sheet(scheme, r, review=rv)
    return sheets


def unverified_counts(r: Results) -> pd.Series:
    """Per unit, how many scores were used unverified (未核实: its self score, no evaluating department scored it)."""
    return r.indicators[r.indicators["unverified"]].groupby("unit").size()


def unverified_table(scheme: Scheme, r: Results) -> pd.DataFrame:
    """Per evaluating department with unverified scores: its name, how many, and which units (for 概览)."""
    i = r.indicators[r.indicators["unverified"]]
    who = {ind.code: ind.evaluator for ind in scheme.indicators}
    names = {u.code: u.name for u in scheme.units}
    rows = [(dept, len(part), "、".join(names.get(u, u) for u in dict.fromkeys(part["unit"])))
            for dept, part in i.assign(evaluator=i["indicator"].map(who)).groupby("evaluator", sort=False)]
    return pd.DataFrame(rows, columns=["evaluator", "scores", "units"])


def result_label(results: Results) -> str:
    """How a result is labelled everywhere it appears: 年度结果, or 阶段性结果 with the periods it covers."""
    return f"阶段性结果（{'、'.join(results.periods)}）" if results.interim else "年度结果"


def fingerprint(scheme: Scheme) -> str:
    """A scheme's identity for the record: everything that scores, not the signing key."""
    parts = [repr(replace(scheme.settings, key=""))]
    parts += [repr(getattr(scheme, f.name)) for f in fields(scheme) if f.name != "settings"]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _inputs_used(inputs: Inputs, appeals: list[Appeal]) -> dict:
    """The office's own inputs as this run used them (the marks are in the record already)."""
    def rows(frame: pd.DataFrame) -> list[dict]:
        return [{k: storable(v) for k, v in r.items()} for r in frame.to_dict("records")]

    return {"office": rows(inputs.office), "bonus": rows(inputs.bonus), "vetoes": sorted(inputs.vetoes),
            "appeals": [{k: storable(v) for k, v in vars(a).items()} for a in appeals]}


def _keep_adjustments(record: Record, score_run: int, rv: Review) -> None:
    """Every upheld appeal the run applied, with its before and after and the review's reason, reviewer and date."""
    for a in rv.appeals:
        adj = rv.adjustment(a)
        if adj is not None:
            record.add_adjustment(score_run, a.unit, a.period, a.target, adj["before"], adj["after"], a.why, a.who,
                                  a.decided.isoformat() if a.decided else "")


def score(book: OfficeBook, write: bool = True, progress: Progress | None = None) -> ScoreResult:
    """Score every period held so far from the year's record and the office's inputs; unless `write` is false,
    keep the run in the record and write the result sheets into the office workbook (one transaction)."""
    if write:
        book.ensure_writable()
    announce(progress, "读取考评台账")
    scheme = load_scheme(book)
    appeals = read_appeals(book, scheme)  # a row that cannot be used refuses the run before anything is written
    if not record_path(book, scheme).exists():
        require_marks(read_inputs(book, scheme, pd.DataFrame(columns=MARK_FIELDS), appeals))
    with Record.for_book(book, scheme) as record:
        with record.transaction("score") if write else nullcontext():
            if write:
                sync_decisions(record, office_decisions(book))
            announce(progress, "读取全年数据")
            inputs = read_inputs(book, scheme, record.current_marks(items=SCORED_ITEMS, provenance=False), appeals)
            require_marks(inputs)
            announce(progress, "计分、定等次和排名")
            rv = review(scheme, inputs, appeals, previous_results(book, scheme, record))
            results = rv.after
            sheets = result_sheets(scheme, results, rv)
            if not appeals and ledger.REVIEW.name not in book.sheet_names():
                del sheets[ledger.REVIEW.name]  # nobody appealed: no empty sheet (an old one is emptied instead)
            if write:
                run = record.add_score_run(fingerprint(scheme), list(results.periods), results.interim,
                                           _inputs_used(inputs, appeals), results.units)
                _keep_adjustments(record, run, rv)
                status = read_view(book, ledger.STATUS.name)
                current = scheme.period()
                prefill = prefill_due(book, scheme, current, status, record.first_recorded(current.name, "unit"))
                sheets = {ledger.OVERVIEW.name: overview(scheme, status, sheets[ledger.RANKING.name],
                                                         unverified_table(scheme, results), prefill), **sheets}
                announce(progress, "写入考评数据文件和考评台账")
                book.write_sheets(sheets, charts={ledger.DISTRIBUTION.name: ChartSpec("各类别等次分布", "单位数",
                                                                                       skip=("合计",))},
                                  looks=sheet_looks(scheme, sheets, result_label(results)))
    return ScoreResult(results, sheets, rv)

"""The evaluating department's form: every unit × every indicator it is responsible for, to score."""
from __future__ import annotations

from pathlib import Path

from ..issues import WARNING
from ..scheme import Period, Scheme
from .inputs import Reading
from .spec import GROUP, INPUT, SUBTOTAL, BodyRow, Column, Field, Grid, FormSpec, Recipient
from .write import list_validation, open_table_form, score_validation

SOURCE = "考评部门"  # the marks' source, and the components' 来源 that makes departments receive a form

SHEET = "评分表"
FALSIFIED = ("否", "是")
SCORES = Grid(
    sheet=SHEET,
    header_row=4,
    row_key=("unit", "code"),
    columns=(
        Column("unit", "单位代码", 9),
        Column("unit_name", "单位名称", 14, wrap=True),
        Column("code", "指标代码", 9),
        Column("name", "指标名称", 20, wrap=True),
        Column("max", "分值", 6, numeric=True),
        Column("target", "目标值", 9),
        Column("rule", "评分说明", 26, wrap=True),
        # the unit's own report, filled in once collected (locked, signed like every definition)
        Column("actual", "单位填报完成值", 10, wrap=True),
        Column("bureau", "统计部门数据", 12, wrap=True),  # the statistics bureau's figure (统计数据), beside the unit's
        Column("self_score", "单位自评得分", 8, numeric=True),
        Column("explanation", "单位情况说明", 22, wrap=True),
        Column("score", "考评得分", 9, role=INPUT, numeric=True, required=True),
        Column("reason", "扣分原因", 22, role=INPUT, wrap=True),
        Column("falsified", "弄虚作假", 9, role=INPUT),
    ),
)
# the signature fields (each with its label to the left) stand over columns every layout shows: a form grouped by
# indicator hides the indicator's own columns (PER_INDICATOR, C, D, F, G)
SCORER = Field("scorer", "评分人", SHEET, 2, 1, required=True)
HEAD = Field("head", "负责人", SHEET, 2, 10, required=True)
DATE = Field("date", "日期", SHEET, 2, 12, required=True, kind="date")

SPEC = FormSpec(kind="evaluator", label="考评部门评分表", folder="考评部门", grids=(SCORES,),
                fields=(SCORER, HEAD, DATE))


def recipients(scheme: Scheme) -> list[Recipient]:
    """The departments with indicators to score, where a component is scored by them (else none)."""
    if not scheme.uses(SOURCE):
        return []
    return [Recipient("evaluator", e.code, e.name, e.email, e.contact) for e in scheme.evaluators
            if scheme.assignments_of(e)]


def row_id(unit_code: str, indicator_code: str) -> str:
    return f"{unit_code}|{indicator_code}"


# (unit code, indicator code) → {"actual", "self_score", "explanation"}, from the collected marks, and "bureau"
# (the statistics bureau's figure and its source, from 统计数据)
SelfReports = dict[tuple[str, str], dict]


def _row(unit, ind, reports: SelfReports | None) -> BodyRow:
    return BodyRow(row_id(unit.code, ind.code), max=ind.max, values={
        "unit": unit.code, "unit_name": unit.name, "code": ind.code, "name": ind.name, "max": ind.max,
        "target": ind.target, "rule": ind.rule, **((reports or {}).get((unit.code, ind.code)) or {}),
    })


#: the columns a form grouped by indicator leaves out of its unit rows: its heading row says them once
PER_INDICATOR = frozenset(("code", "name", "target", "rule"))
PER_UNIT = frozenset(("unit", "unit_name"))  # said by the unit's heading row in the layout by unit


def by_indicator(scheme: Scheme, evaluator_name: str) -> bool:
    """Whether the form is grouped by indicator: a department scoring few indicators across many units (common
    targets), rather than an evaluation group scoring every key target of its units."""
    evaluator = next(e for e in scheme.evaluators if e.name == evaluator_name)
    pairs = scheme.assignments_of(evaluator)
    return len({ind.code for _, ind in pairs}) < len({u.code for u, _ in pairs})


def heading(ind, units: int) -> str:
    """An indicator's heading row: code, name, points, target and how many units, then its rule on a line of its own."""
    target = f"，目标值：{ind.target:g}" if isinstance(ind.target, (int, float)) else (f"，目标值：{ind.target}" if ind.target else "")
    title = f"{ind.code}　{ind.name}（{ind.max:g} 分{target}，{units} 个单位）"
    return f"{title}\n评分说明：{ind.rule}" if ind.rule else title


def score_rows(scheme: Scheme, evaluator_name: str, reports: SelfReports | None = None) -> list[BodyRow]:
    """Grouped by indicator (see `by_indicator`): a heading per indicator with its rule, then one row per unit,
    without the indicator's own columns; else by unit with a subtotal each."""
    evaluator = next(e for e in scheme.evaluators if e.name == evaluator_name)
    pairs = scheme.assignments_of(evaluator)
    indicators = list(dict.fromkeys(ind for _, ind in pairs))
    if by_indicator(scheme, evaluator_name):
        rows = []
        for ind in indicators:
            members = [u for u, i in pairs if i == ind]
            rows.append(BodyRow(f"{GROUP}{ind.code}", label=heading(ind, len(members))))
            for u in members:
                row = _row(u, ind, reports)
                row.values = {k: v for k, v in row.values.items() if k not in PER_INDICATOR - {"code"}}
                rows.append(row)
        return rows
    rows: list[BodyRow] = []
    current = None
    for unit, ind in pairs:
        if unit.code != current:
            if current is not None:
                rows.append(BodyRow(f"{SUBTOTAL}{current}", label="小计"))
            rows.append(BodyRow(f"{GROUP}{unit.code}", label=f"{unit.code}　{unit.name}（{unit.category}）"))
            current = unit.code
        rows.append(_row(unit, ind, reports))
    if current is not None:
        rows.append(BodyRow(f"{SUBTOTAL}{current}", label="小计"))
    return rows


def write(scheme: Scheme, period: Period, recipient: Recipient, path: Path, reports: SelfReports | None = None) -> Path:
    width = len(SCORES.columns)
    w, ws = open_table_form(SPEC, scheme, period, recipient, path, SHEET, width, "绩效考评评分表")
    w.label(ws, 3, 0, "说明：黄色单元格由考评部门填写；考评得分须在 0 至该项分值之间，有扣分的须写明扣分原因；"
                      "核实发现弄虚作假的，“弄虚作假”选“是”，该项不得分。", width - 1, fmt="note")
    rows = score_rows(scheme, recipient.name, reports)
    # the heading rows say what the rows under them share (an indicator, or a unit): its own columns are hidden;
    # the first four columns stay in view and repeat on every page across, so each row says unit and indicator
    hidden = set(PER_INDICATOR) if by_indicator(scheme, recipient.name) else set(PER_UNIT)
    if not any(r.values.get("bureau") for r in rows):
        hidden.add("bureau")  # no statistics bureau figure for any of these rows
    w.grid(SCORES, rows, freeze_cols=4, hidden=frozenset(hidden), validations={
        "score": score_validation("考评得分"),
        "falsified": list_validation("弄虚作假", list(FALSIFIED), "核实发现弄虚作假选“是”，否则选“否”或不填。"),
    })
    return w.close()


def expected(scheme: Scheme, code: str) -> dict[str, list[BodyRow]]:
    evaluator = next(e for e in scheme.evaluators if e.code == code)
    return {SHEET: score_rows(scheme, evaluator.name)}


def read_marks(rd: Reading) -> None:
    t = rd.table(SCORES, ("unit", "unit_name", "code", "name", "max", "score", "reason", "falsified"))
    c = t.columns
    scores = rd.numbers(t, "score", "考评得分", required=True, maxima=c["max"], minimum=0.0)
    reasons = rd.texts(t, "reason", "扣分原因")
    falsified = rd.choices(t, "falsified", "弄虚作假", list(FALSIFIED), required=False)
    names = {ind.code: ind.name for ind in rd.scheme.indicators}  # a form grouped by indicator names it in the heading
    for k, row in enumerate(t.rows):
        score, top = scores[k], c["max"][k]
        if score is not None and score < top and reasons[k] is None and falsified[k] != "是":
            name = c["name"][k] or names.get(c["code"][k], c["code"][k])
            rd.issue(SHEET, f"{SCORES.letter('reason')}{row + 1}",
                     f"{c['unit_name'][k]}“{name}”扣了 {top - score:g} 分，但没有写扣分原因。",
                     "请写明扣分原因，它将反馈给被考评单位。", WARNING)
    rd.mark_table(t, SOURCE, [("考评得分", "score", scores), ("扣分原因", "reason", reasons),
                                ("弄虚作假", "falsified", falsified)], units=c["unit"], indicators=c["code"])
    for f in SPEC.fields:
        if f.kind == "date":
            rd.date(f, required=True)
        else:
            rd.text(f.sheet, f.ref, rd.field(f), f.label, required=True)

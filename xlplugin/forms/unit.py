"""The evaluated unit's form: 指标考评表 (its indicators, grouped by the tree) and 自评报告 (summary, self-assessed
grade, bonus claims, the head's sign-off)."""
from __future__ import annotations

from pathlib import Path

from ..scheme import Indicator, Period, Scheme, Unit
from .inputs import Reading
from .spec import (FORMULA, GROUP, INPUT, SUBTOTAL, TOTAL, BodyRow, Column, Field, FormSpec, Grid, Recipient,
                   chinese_number)
from .write import DATE_VALIDATION, list_validation, open_form, score_validation, subtitle

INDICATORS = Grid(
    sheet="指标考评表",
    header_row=3,
    columns=(
        Column("code", "指标代码", 9),
        Column("point", "考评要点", 12, wrap=True),
        Column("name", "指标名称", 20, wrap=True),
        Column("max", "分值", 6, numeric=True),
        Column("measure", "计量单位", 7),
        Column("target", "目标值", 9),
        Column("rule", "评分说明", 26, wrap=True),
        Column("evidence_required", "佐证要求", 13, wrap=True),
        Column("evaluator", "考评部门", 10, wrap=True),
        Column("actual", "实际完成值", 10, role=INPUT, required=True),
        Column("rate", "完成率", 8, role=FORMULA, number_format="0.0%"),
        Column("self_score", "自评得分", 8, role=INPUT, numeric=True, required=True),
        Column("explanation", "情况说明", 24, role=INPUT, wrap=True),
        Column("evidence", "佐证材料", 16, role=INPUT, wrap=True),
    ),
)

REPORT_SHEET = "自评报告"
BONUS_ROWS = 6
BONUS = Grid(
    sheet=REPORT_SHEET,
    header_row=24,
    row_key=("no",),
    columns=(
        Column("no", "序号", 10),
        Column("kind", "加分类型", 26, role=INPUT, wrap=True),
        Column("item", "事项名称及主要业绩", 34, role=INPUT, wrap=True),
        Column("points", "申报分值", 12, role=INPUT, numeric=True),
        Column("evidence", "佐证材料（文件名称、文号）", 40, role=INPUT, wrap=True),
    ),
)
SUMMARY = Field("summary", "总体情况", REPORT_SHEET, 4, 0, last_row=13, last_col=4, required=True)
SELF_GRADE = Field("self_grade", "自评等次", REPORT_SHEET, 16, 1, required=True, kind="list")
GRADE_REASON = Field("grade_reason", "自评理由", REPORT_SHEET, 17, 1, last_row=21, last_col=4, required=True)
HEAD_NAME = Field("head_name", "主要负责人", REPORT_SHEET, 35, 1, required=True)
SIGN_DATE = Field("sign_date", "签字日期", REPORT_SHEET, 35, 3, required=True, kind="date")

SPEC = FormSpec(kind="unit", label="绩效考评表", folder="被考评单位", grids=(INDICATORS, BONUS),
                fields=(SUMMARY, SELF_GRADE, GRADE_REASON, HEAD_NAME, SIGN_DATE))


def recipients(scheme: Scheme) -> list[Recipient]:
    return [Recipient("unit", u.code, u.name, u.email, u.contact) for u in scheme.units]


def indicator_rows(indicators: tuple[Indicator, ...]) -> list[BodyRow]:
    """Body rows in tree order: a header per dimension and per level, a subtotal per dimension, a total."""
    rows: list[BodyRow] = []
    dimensions: dict[str, list[Indicator]] = {}
    for ind in indicators:
        dimensions.setdefault(ind.dimension, []).append(ind)
    for d, (dimension, members) in enumerate(dimensions.items(), start=1):
        points = sum(i.max for i in members)
        rows.append(BodyRow(f"{GROUP}{dimension}", label=f"{chinese_number(d)}、{dimension}（{points:g} 分）"))
        levels: dict[str, list[Indicator]] = {}
        for ind in members:
            levels.setdefault(ind.level, []).append(ind)
        show_levels = len(levels) > 1 or "" not in levels
        for n, (level, items) in enumerate(levels.items(), start=1):
            if show_levels and level:
                rows.append(BodyRow(f"{GROUP}{dimension}/{level}",
                                    label=f"　（{chinese_number(n)}）{level}（{sum(i.max for i in items):g} 分）"))
            for ind in items:
                rows.append(BodyRow(ind.code, max=ind.max, values={
                    "code": ind.code, "point": ind.point, "name": ind.name, "max": ind.max,
                    "measure": ind.measure, "target": ind.target, "rule": ind.rule,
                    "evidence_required": ind.evidence, "evaluator": ind.evaluator,
                    "direction": ind.direction,  # not a column: chooses the 完成率 formula (write._FORMULAS)
                }))
        rows.append(BodyRow(f"{SUBTOTAL}{dimension}", label=f"{dimension} 小计"))
    rows.append(BodyRow(TOTAL, label="合计"))
    return rows


def bonus_rows() -> list[BodyRow]:
    return [BodyRow(str(n), values={"no": n}) for n in range(1, BONUS_ROWS + 1)]


def write(scheme: Scheme, period: Period, recipient: Recipient, path: Path) -> Path:
    unit: Unit = scheme.unit_by_code[recipient.code]
    s = scheme.settings
    w = open_form(SPEC, scheme, period, recipient, path)

    # 指标考评表
    ws = w.sheet(INDICATORS.sheet)
    width = len(INDICATORS.columns)
    w.title_block(ws, width, f"{s.year}年度{unit.name}绩效考评指标表",
                  subtitle(scheme, period, recipient, f"类别：{unit.category}　　基本分：{s.base:g} 分"),
                  "说明：黄色单元格由本单位填写，其余内容已锁定；自评得分须在 0 至该项分值之间；完成率、小计和合计自动计算。")
    w.grid(INDICATORS, indicator_rows(scheme.indicators_for(unit)),
           validations={"self_score": score_validation("自评得分")}, freeze_cols=3)
    ws.set_header(f"&C{s.year}年度{unit.name}绩效考评指标表")

    # 自评报告
    ws = w.sheet(REPORT_SHEET)
    w.title_block(ws, 5, f"{s.year}年度{unit.name}自评报告", subtitle(scheme, period, recipient))
    w.label(ws, 3, 0, "一、总体情况（工作目标完成情况、主要成效、存在的问题和改进措施）", 4, fmt="section")
    w.field(ws, SUMMARY)
    w.label(ws, 15, 0, "二、自评等次", 4, fmt="section")
    w.label(ws, 16, 0, SELF_GRADE.label)
    grades = [g.name for g in scheme.grades]
    w.field(ws, SELF_GRADE, validation=list_validation("自评等次", grades, "请从下拉列表中选择：" + "、".join(grades)))
    ws.merge_range(GRADE_REASON.row, 0, GRADE_REASON.last_row, 0, GRADE_REASON.label, w.fmt["label"])
    w.field(ws, GRADE_REASON)
    w.label(ws, 23, 0, "三、加分申报（经领导班子审议后申报，须附佐证材料；无则不填）", 4, fmt="section")
    kinds = [b.name for b in scheme.bonus_kinds]
    cap = max([b.cap for b in scheme.bonus_kinds] or [0])
    validations = {"kind": list_validation("加分类型", "kinds", "请从下拉列表中选择加分类型。")}
    if cap:
        validations["points"] = {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": cap,
            "input_title": "申报分值", "input_message": f"各类加分的单项上限见填表说明（最高 {cap:g} 分）。",
            "error_title": "申报分值超出范围", "error_message": f"申报分值须为 0 至 {cap:g} 之间的数字。",
        }
    w.grid(BONUS, bonus_rows(), lists={"kinds": kinds}, validations=validations, repeat=False, freeze=False)
    w.label(ws, 32, 0, "四、主要负责人审核", 4, fmt="section")
    w.label(ws, 33, 0, "本单位对所填报数据和材料的真实性、准确性负责，数据已经主要负责人据实核准。", 4, fmt="subtitle")
    w.label(ws, 35, 0, "主要负责人")
    w.field(ws, HEAD_NAME)
    w.label(ws, 35, 2, SIGN_DATE.label)
    w.field(ws, SIGN_DATE, validation=DATE_VALIDATION)
    return w.close()


def expected(scheme: Scheme, code: str) -> dict[str, list[BodyRow]]:
    """The body rows this unit's form has under the current scheme, per sheet (for diagnosis)."""
    return {INDICATORS.sheet: indicator_rows(scheme.indicators_for(scheme.unit_by_code[code])),
            BONUS.sheet: bonus_rows()}


_INDICATOR_KEYS = ("target", "max", "actual", "self_score", "explanation", "evidence")
_BONUS_KEYS = ("kind", "item", "points", "evidence")


def read_marks(rd: Reading) -> None:
    unit = rd.meta.recipient
    t = rd.table(INDICATORS, _INDICATOR_KEYS)
    numeric = [isinstance(target, (int, float)) for target in t.columns["target"]]  # then the actual must be a number
    textual = [not n for n in numeric]
    actual = [n if n is not None else x for n, x in zip(
        rd.numbers(t, "actual", "实际完成值", required=True, only=numeric),
        rd.texts(t, "actual", "实际完成值", required=True, only=textual))]
    rd.mark_table(t, "自评", [
        ("实际完成值", "actual", actual),
        ("自评得分", "self_score", rd.numbers(t, "self_score", "自评得分", required=True, maxima=t.columns["max"], minimum=0.0)),
        ("情况说明", "explanation", rd.texts(t, "explanation", "情况说明")),
        ("佐证材料", "evidence", rd.texts(t, "evidence", "佐证材料")),
    ], units=unit, indicators=t.ids)

    r = REPORT_SHEET
    for f in (SUMMARY, GRADE_REASON, HEAD_NAME):
        rd.mark(unit, "自评", "", f.label, rd.text(r, f.ref, rd.field(f), f.label, required=True), r, f.ref)
    grades = [g.name for g in rd.scheme.grades]
    rd.mark(unit, "自评", "", SELF_GRADE.label,
            rd.choice(r, SELF_GRADE.ref, rd.field(SELF_GRADE), SELF_GRADE.label, grades, required=True), r, SELF_GRADE.ref)
    rd.mark(unit, "自评", "", SIGN_DATE.label, rd.date(SIGN_DATE, required=True), r, SIGN_DATE.ref)

    caps = {b.name: b.cap for b in rd.scheme.bonus_kinds}
    t = rd.table(BONUS, _BONUS_KEYS)
    claimed = [any(v is not None for v in row) for row in zip(*(t.columns[k] for k in _BONUS_KEYS))]  # rows filled in
    kinds = rd.choices(t, "kind", "加分类型", list(caps), required=True, only=claimed)
    evidence = rd.texts(t, "evidence", "佐证材料", only=claimed)
    for ident, row, claims, given in zip(t.ids, t.rows, claimed, evidence):
        if claims and given is None:
            rd.issue(r, f"{BONUS.letter('evidence')}{row + 1}", f"第 {ident} 项加分申报没有佐证材料。",
                     "请写明佐证材料（文件名称、文号），否则不予受理。")
    top = max(caps.values(), default=0)
    rd.mark_table(t, "自评", [
        ("加分类型", "kind", kinds),
        ("事项名称", "item", rd.texts(t, "item", "事项名称", required=True, only=claimed)),
        ("申报分值", "points", rd.numbers(t, "points", "申报分值", required=True, minimum=0.0, only=claimed,
                                       maxima=[caps.get(kind, top) for kind in kinds])),
        ("佐证材料", "evidence", evidence),
    ], units=unit, indicators=[f"加分{ident}" for ident in t.ids])

"""The evaluated unit's form: 指标考评表 (its indicators, grouped by the tree), 自评报告 (the report in paragraphs,
self-assessed grade, the sign-off: seal, head, filler, phone, date) and 加分申报 (bonus claims)."""
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
    # Widths sized for the paper (printfit): one A3 page across at ≥ 90%, or two A4 pages across at 100% — the
    # definitions, then the inputs — each repeating the first four columns (序号 … 指标名称).
    columns=(
        Column("no", "序号", 5),  # data rows 1..n through the whole tree
        Column("code", "指标代码", 7),
        Column("point", "考评要点", 9, wrap=True),
        Column("name", "指标名称", 15, wrap=True),
        Column("max", "分值", 5, numeric=True),
        Column("measure", "计量单位", 6, wrap=True),
        Column("target", "目标值", 8, wrap=True),
        Column("rule", "评分说明", 26, wrap=True),
        Column("evidence_required", "佐证要求", 12, wrap=True),
        Column("evaluator", "考评部门", 8, wrap=True),
        Column("actual", "实际完成值", 9, role=INPUT, required=True),
        Column("rate", "完成率", 7, role=FORMULA, number_format="0.0%"),
        Column("self_score", "自评得分", 6, role=INPUT, numeric=True, required=True),
        Column("explanation", "情况说明", 26, role=INPUT, wrap=True),
        Column("evidence", "佐证材料", 14, role=INPUT, wrap=True),
    ),
)
KEEP_COLUMNS = 4  # 序号, 指标代码, 考评要点, 指标名称: frozen on screen, repeated on every page across

# 自评报告: a document (seed 002: 自我评估报告…以文件形式报市绩效办), A4 portrait, two columns: labels, and text.
REPORT_SHEET = "自评报告"
LABEL_WIDTH, TEXT_WIDTH = 13, 60  # 7·73 + 10 = 521 points: A4 portrait at 100% (printfit)
# 总体情况 is written in paragraphs, one input cell each, not in one merged box: a merged cell never grows to fit
# its text (neither in Excel nor in LibreOffice), and no single cell can hold 5,000 characters in print (Excel's
# tallest row is 409 pt, about 900 characters in this column, and a row never breaks across pages). Each
# paragraph cell is a plain wide cell that wraps, PARAGRAPH_LINES lines tall and written without customHeight, so
# that Excel, WPS and LibreOffice fit the row to the text as the clerk types or pastes: an empty report prints on
# one page, a full one on as many as it needs, every paragraph whole. (A file filled by a script, with no
# spreadsheet application in between, keeps the starting height in print; collect reads its text whole anyway.)
# Word's paragraphs pasted into the first cell fill the cells below it, one paragraph each.
PARAGRAPHS, PARAGRAPH_CHARS, PARAGRAPH_LINES = 10, 500, 4
SUMMARY_CHARS = 5_000  # what 总体情况 may hold in all (PARAGRAPHS × PARAGRAPH_CHARS ≥ this)
SUMMARY = Field("summary", "总体情况", REPORT_SHEET, 5, 1, last_row=5 + PARAGRAPHS - 1, required=True, kind="paragraphs")
GRADE_FROM = SUMMARY.last_row + 2  # 二、自评等次
SELF_GRADE = Field("self_grade", "自评等次", REPORT_SHEET, GRADE_FROM + 1, 1, required=True, kind="list")
GRADE_REASON = Field("grade_reason", "自评理由", REPORT_SHEET, GRADE_FROM + 2, 1, required=True)
SIGN_FROM = GRADE_FROM + 4  # the sign-off block (三、审核签字): its heading, the statement, then the rows below
STAMP_ROW = SIGN_FROM + 2  # 单位（盖章）: a place for the seal, not an input
HEAD_NAME = Field("head_name", "主要负责人", REPORT_SHEET, SIGN_FROM + 3, 1, required=True)
FILLER = Field("filler", "填表人", REPORT_SHEET, SIGN_FROM + 4, 1, required=True)
PHONE = Field("phone", "联系电话", REPORT_SHEET, SIGN_FROM + 5, 1, required=True)
SIGN_DATE = Field("sign_date", "签字日期", REPORT_SHEET, SIGN_FROM + 6, 1, required=True, kind="date")

# 加分申报: the bonus claims (seed 002's 奖项申请报告), a table on a page of its own, so never split from its header
BONUS_SHEET = "加分申报"
BONUS_ROWS = 6
BONUS = Grid(
    sheet=BONUS_SHEET,
    header_row=3,
    row_key=("no",),
    columns=(
        Column("no", "序号", 5),
        Column("kind", "加分类型", 15, role=INPUT, wrap=True),
        Column("item", "事项名称及主要业绩", 24, role=INPUT, wrap=True),
        Column("points", "申报分值", 7, role=INPUT, numeric=True),
        Column("evidence", "佐证材料（文件名称、文号）", 21, role=INPUT, wrap=True),
    ),
)

SPEC = FormSpec(kind="unit", label="绩效考评表", folder="被考评单位", grids=(INDICATORS, BONUS),
                fields=(SUMMARY, SELF_GRADE, GRADE_REASON, HEAD_NAME, FILLER, PHONE, SIGN_DATE))


def recipients(scheme: Scheme) -> list[Recipient]:
    return [Recipient("unit", u.code, u.name, u.email, u.contact) for u in scheme.units]


def indicator_rows(indicators: tuple[Indicator, ...]) -> list[BodyRow]:
    """Body rows in tree order: a header per dimension (一、二、…) and per level, the levels numbered through the
    whole tree as the documents do ((一)…(十四) in seed 001, not restarting under each dimension), the indicators
    numbered 1…n in 序号; a subtotal per dimension, a total."""
    rows: list[BodyRow] = []
    dimensions: dict[str, list[Indicator]] = {}
    for ind in indicators:
        dimensions.setdefault(ind.dimension, []).append(ind)
    level_no = 0
    no = 0
    for d, (dimension, members) in enumerate(dimensions.items(), start=1):
        points = sum(i.max for i in members)
        rows.append(BodyRow(f"{GROUP}{dimension}", label=f"{chinese_number(d)}、{dimension}（{points:g} 分）"))
        levels: dict[str, list[Indicator]] = {}
        for ind in members:
            levels.setdefault(ind.level, []).append(ind)
        show_levels = len(levels) > 1 or "" not in levels
        for level, items in levels.items():
            if show_levels and level:
                level_no += 1
                rows.append(BodyRow(f"{GROUP}{dimension}/{level}",
                                    label=f"　（{chinese_number(level_no)}）{level}（{sum(i.max for i in items):g} 分）"))
            for ind in items:
                no += 1
                rows.append(BodyRow(ind.code, max=ind.max, values={
                    "no": no, "code": ind.code, "point": ind.point, "name": ind.name, "max": ind.max,
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
                  "说明：黄色单元格由本单位填写，其余内容已锁定；自评得分须在 0 至该项分值之间；完成率、小计和合计自动计算；"
                  "情况说明较长时行高随内容自动增加。")
    w.grid(INDICATORS, indicator_rows(scheme.indicators_for(unit)),
           validations={"self_score": score_validation("自评得分")}, freeze_cols=KEEP_COLUMNS)
    ws.set_header(f"&C{s.year}年度{unit.name}绩效考评指标表")

    write_report(w, scheme, period, recipient, unit)
    write_bonus(w, scheme, period, recipient, unit)
    return w.close()


def write_report(w, scheme: Scheme, period: Period, recipient: Recipient, unit: Unit) -> None:
    """自评报告: 总体情况 in paragraphs, 自评等次 and its reasons, the sign-off (seal, head, filler, phone, date)."""
    s = scheme.settings
    ws = w.sheet(REPORT_SHEET, landscape=False, paper="A4")
    ws.set_column(0, 0, LABEL_WIDTH)
    ws.set_column(1, 1, TEXT_WIDTH)
    ws.set_header(f"&C{s.year}年度{unit.name}自评报告")
    w.title_block(ws, 2, f"{s.year}年度{unit.name}自评报告", portrait_subtitle(scheme, period, recipient))
    w.label(ws, 3, 0, "一、总体情况", 1, fmt="section")
    w.label(ws, 4, 0, f"工作目标完成情况、主要成效、存在的问题和改进措施。每格填写一段，每段不超过 {PARAGRAPH_CHARS} 字，"
                      f"合计不超过 {SUMMARY_CHARS:,} 字；从 Word 复制多段文字时，选中第一格后粘贴，各段依次填入下面的格中。",
            1, fmt="note")
    w.paragraphs(ws, SUMMARY, PARAGRAPH_CHARS, lines=PARAGRAPH_LINES, labels=[f"第{chinese_number(n)}段" for n in range(1, PARAGRAPHS + 1)])
    w.keep_together(ws, 3, SUMMARY.row)  # the heading prints with the first paragraph
    w.label(ws, GRADE_FROM, 0, "二、自评等次", 1, fmt="section")
    w.label(ws, SELF_GRADE.row, 0, SELF_GRADE.label)
    grades = [g.name for g in scheme.grades]
    w.field(ws, SELF_GRADE, validation=list_validation("自评等次", grades, "请从下拉列表中选择：" + "、".join(grades)))
    w.label(ws, GRADE_REASON.row, 0, GRADE_REASON.label)
    w.paragraphs(ws, GRADE_REASON, PARAGRAPH_CHARS, lines=PARAGRAPH_LINES)
    w.keep_together(ws, GRADE_FROM, GRADE_REASON.row)
    w.label(ws, SIGN_FROM, 0, "三、审核签字", 1, fmt="section")
    w.label(ws, SIGN_FROM + 1, 0, "本单位对所填报的数据和材料（指标考评表、自评报告、加分申报）的真实性、准确性负责，"
                                  "数据已经主要负责人据实核准。", 1, fmt="note")
    w.label(ws, STAMP_ROW, 0, "单位（盖章）")
    ws.write_string(STAMP_ROW, 1, "（加盖单位公章）", w.fmt["stamp"])
    ws.set_row(STAMP_ROW, 72)
    for f, label in ((HEAD_NAME, "主要负责人签字"), (FILLER, FILLER.label), (PHONE, PHONE.label), (SIGN_DATE, "日期")):
        w.label(ws, f.row, 0, label)
        w.field(ws, f, validation=DATE_VALIDATION if f.kind == "date" else None)
        ws.set_row(f.row, 30 if f is HEAD_NAME else 22)
    w.keep_together(ws, SIGN_FROM, SIGN_DATE.row)


def portrait_subtitle(scheme: Scheme, period: Period, recipient: Recipient) -> str:
    """The subtitle on two lines, for the narrower portrait pages: office and period, then unit and deadline."""
    return subtitle(scheme, period, recipient).replace("　　填报单位", "\n填报单位", 1)


def write_bonus(w, scheme: Scheme, period: Period, recipient: Recipient, unit: Unit) -> None:
    """加分申报: the bonus claims, on a page of their own (A4 portrait)."""
    s = scheme.settings
    ws = w.sheet(BONUS_SHEET, landscape=False, paper="A4")
    ws.set_header(f"&C{s.year}年度{unit.name}加分申报表")
    kinds = [b.name for b in scheme.bonus_kinds]
    cap = max([b.cap for b in scheme.bonus_kinds] or [0])
    w.title_block(ws, len(BONUS.columns), f"{s.year}年度{unit.name}加分申报表", portrait_subtitle(scheme, period, recipient),
                  "说明：经领导班子审议后申报，每项须写明佐证材料（文件名称、文号），无则不填；"
                  f"加分类型从下拉列表选择，各类单项上限见填表说明{f'（最高 {cap:g} 分）' if cap else ''}。")
    validations = {"kind": list_validation("加分类型", "kinds", "请从下拉列表中选择加分类型。")}
    if cap:
        validations["points"] = {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": cap,
            "input_title": "申报分值", "input_message": f"各类加分的单项上限见填表说明（最高 {cap:g} 分）。",
            "error_title": "申报分值超出范围", "error_message": f"申报分值须为 0 至 {cap:g} 之间的数字。",
        }
    w.grid(BONUS, bonus_rows(), lists={"kinds": kinds}, validations=validations, freeze=False, min_lines=3)
    w.keep_together(ws, BONUS.header_row - 1, BONUS.header_row + BONUS_ROWS)


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
    summary = rd.paragraphs(SUMMARY, PARAGRAPH_CHARS, SUMMARY_CHARS)
    rd.mark(unit, "自评", "", SUMMARY.label, summary, r, SUMMARY.span)
    for f in (GRADE_REASON, HEAD_NAME, FILLER, PHONE):
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
            rd.issue(BONUS.sheet, f"{BONUS.letter('evidence')}{row + 1}", f"第 {ident} 项加分申报没有佐证材料。",
                     "请写明佐证材料（文件名称、文号），否则不予受理。")
    top = max(caps.values(), default=0)
    rd.mark_table(t, "自评", [
        ("加分类型", "kind", kinds),
        ("事项名称", "item", rd.texts(t, "item", "事项名称", required=True, only=claimed)),
        ("申报分值", "points", rd.numbers(t, "points", "申报分值", required=True, minimum=0.0, only=claimed,
                                       maxima=[caps.get(kind, top) for kind in kinds])),
        ("佐证材料", "evidence", evidence),
    ], units=unit, indicators=[f"加分{ident}" for ident in t.ids])

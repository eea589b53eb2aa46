"""The leader's form (领导加权评估): the units the leader oversees, to rank from 1 (best) to n — or, where the
leaders' component is scored 领导定等 (seed 002: 对县（区）政府评估，要分别对号到三个等次，相应赋分), to place each in
one of 定等分值's grades, chosen from a dropdown — with each unit's scores so far from the other components beside
them (xlplugin.standings: locked, signed, never read as marks).

The two are one table with a different input column; the grading table sits on a sheet of its own (GRADE_SHEET),
so a returned form says by its sheets which layout it has (`spec_for`) and the header check holds for both.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..scheme import Period, Scheme
from ..scoring import FALLBACK_SELF
from ..standings import LEADER, SOURCES, Standings, maxima
from .inputs import Reading
from .spec import INPUT, BodyRow, Column, Field, FormSpec, Grid, Recipient
from .write import list_validation, open_table_form, row_height

SOURCE = LEADER  # the marks' source, and the components' 来源 that makes leaders receive a form
SHEET = "评价表"
#: the scores so far, one column per source of the scheme's other components (xlplugin.standings.SOURCES), their
#: total and what is still missing: definitions like the unit columns (locked and signed), blank before anything
#: was collected. A source the scheme does not have is a hidden column, so every form has the same columns.
FACT_KEYS = dict(zip(SOURCES, ("dept", "raters", "office", "self")))
FACTS = (
    Column("dept", "考评部门", 9, numeric=True, number_format="0.00"),
    Column("raters", "评议", 8, numeric=True, number_format="0.00"),
    Column("office", "绩效办", 8, numeric=True, number_format="0.00"),
    Column("self", "自评", 7, numeric=True, number_format="0.00"),
    Column("so_far", "合计", 10, numeric=True, number_format="0.00"),
    Column("status", "数据情况", 16, wrap=True),
)
#: the unit columns (spec.UNIT_COLUMNS, narrower here: the form stays within A4's width at full size)
UNITS = (
    Column("unit", "单位代码", 6),
    Column("unit_name", "单位名称", 12, wrap=True),
    Column("category", "类别", 16, wrap=True),
)
RANKS = Grid(SHEET, header_row=4, row_key=("unit",), columns=(
    *UNITS,
    *FACTS,
    Column("rank", "名次", 7, role=INPUT, numeric=True, required=True),
    Column("comment", "评语", 16, role=INPUT, wrap=True),
))
SIGNER = Field("signer", "签名", SHEET, 2, 1, required=True)
DATE = Field("date", "日期", SHEET, 2, 3, required=True, kind="date")
SPEC = FormSpec(kind="leader", label="领导评价表", folder="领导", grids=(RANKS,), fields=(SIGNER, DATE))

#: the grading layout (计分方式 领导定等): RANKS with 等次 (a dropdown of 定等分值's grades) in place of 名次
GRADE_SHEET = "定等评价表"
GRADES = replace(RANKS, sheet=GRADE_SHEET, columns=tuple(
    Column("grade", "等次", 9, role=INPUT, required=True) if c.key == "rank" else c for c in RANKS.columns))
GRADING_SPEC = replace(SPEC, grids=(GRADES,), fields=tuple(replace(f, sheet=GRADE_SHEET) for f in SPEC.fields))


def spec_for(sheets) -> FormSpec:
    """The layout of a leader form with these sheets: the grading one where it has the grading sheet."""
    return GRADING_SPEC if GRADE_SHEET in sheets else SPEC


def layout(scheme: Scheme) -> FormSpec:
    """The layout a scheme's leader forms are written with."""
    return GRADING_SPEC if scheme.leader_grading else SPEC


def recipients(scheme: Scheme) -> list[Recipient]:
    """The leaders overseeing units, where a component is scored from their ranks or grades (else none)."""
    if not scheme.uses(SOURCE):
        return []
    return [Recipient("leader", l.code, f"{l.name}（{l.title or l.cls}）", l.email) for l in scheme.leaders
            if scheme.units_overseen_by(l)]


def rank_rows(scheme: Scheme, leader_code: str, standings: Standings | None = None) -> list[BodyRow]:
    leader = next(l for l in scheme.leaders if l.code == leader_code)
    units = scheme.units_overseen_by(leader)
    return [BodyRow(u.code, values={"unit": u.code, "unit_name": u.name, "category": u.category,
                                    **fact_values(standings, u.code)}) for u in units]


def fact_values(standings: Standings | None, unit: str) -> dict:
    """A unit's scores so far as the fact columns' values (none before anything was collected)."""
    got = standings.units.get(unit) if standings is not None else None
    if got is None:
        return {}
    values = {FACT_KEYS[source]: points for source, points in got.points.items()}
    return {**values, "so_far": got.total, "status": f"未收齐：{got.missing}" if got.missing else "齐全"}


def facts_note(standings: Standings | None, what: str = "名次") -> str:
    """What the fact columns hold, for the note above the table."""
    if standings is None or not standings.collected:
        return ("各单位其他部分的得分（不含领导评价）在收集各单位表格后才有：目前尚未收集到本考评期的数据，得分栏暂为空白；"
                "收集后重新生成本表即可看到截至当时的得分。")
    meanwhile = "按单位自评得分计" if standings.fallback == FALLBACK_SELF else "记零分"
    return (f"{what}左侧的得分是截至 {standings.asof:%Y-%m-%d %H:%M} 生成本表时，按已收集的数据计算的本考评期其他各部分得分"
            f"（不含领导评价，满分 {standings.total_max:g} 分），供{'定等' if what == '等次' else '排名'}参考，不是最终结果；"
            "“数据情况”为“未收齐”的单位尚有数据未收到，得分还会变化（“考评部门 N 项”为考评部门尚未评分的指标，"
            f"暂{meanwhile}）。")


def write(scheme: Scheme, period: Period, recipient: Recipient, path: Path, standings: Standings | None = None) -> Path:
    spec = layout(scheme)
    grid = spec.grids[0]
    width = len(grid.columns)
    rows = rank_rows(scheme, recipient.code, standings)
    n = len(rows)
    w, ws = open_table_form(spec, scheme, period, recipient, path, grid.sheet, width, "领导评价表")
    if spec is GRADING_SPEC:
        grades = list(scheme.leader_grades)
        points = "、".join(f"{g} {p:g} 分" for g, p in scheme.leader_grades.items())
        ask = f"说明：请按全年工作实绩，从下拉列表中为以下 {n} 个单位各选定一个等次（{points}）。"
        note = ask + facts_note(standings, "等次")
        validations = {"grade": list_validation("等次", grades, "请选择：" + "、".join(grades))}
    else:
        note = (f"说明：请对以下 {n} 个单位按全年工作实绩排出名次，1 为最好，名次为 1 至 {n} 的整数且不得重复。"
                + facts_note(standings))
        validations = {"rank": {
            "validate": "integer", "criteria": "between", "minimum": 1, "maximum": n,
            "input_title": "名次", "input_message": f"填写 1 至 {n} 的整数，1 为最好，不得重复。",
            "error_title": "名次无效", "error_message": f"名次须为 1 至 {n} 之间的整数。", "error_type": "stop",
        }}
    ws.merge_range(3, 0, 3, width - 1, note, w.fmt["note"])
    hidden = hidden_facts(scheme)
    ws.set_row(3, row_height([(note, sum(c.width for c in grid.columns if c.key not in hidden))], font_size=10))
    ws = w.grid(grid, rows, freeze_cols=2, min_lines=1, hidden=hidden, validations=validations)
    _show_facts(w, ws, scheme, grid)
    return w.close()


def hidden_facts(scheme: Scheme) -> frozenset[str]:
    """The columns of the sources the scheme's other components do not have (not shown on its forms)."""
    most = maxima(scheme)
    return frozenset(key for source, key in FACT_KEYS.items() if source not in most)


def _show_facts(w, ws, scheme: Scheme, grid: Grid = RANKS) -> None:
    """Each source's and the total's most points under its header (the header's first line is what reading checks;
    the columns are wide enough for “满分 1000” on a line of its own)."""
    most = maxima(scheme)
    h = grid.header_row
    texts = []
    for source, key in FACT_KEYS.items():
        if source in most:
            texts.append(f"{grid.columns[grid.col(key)].header}\n满分 {most[source]:g}")
            ws.write_string(h, grid.col(key), texts[-1], w.fmt["header"])
    leaders = any(c.source == LEADER for c in scheme.components)
    texts.append("\n".join(["合计", *(["不含领导评价"] if leaders else []), f"满分 {sum(most.values()):g}"]))
    ws.write_string(h, grid.col("so_far"), texts[-1], w.fmt["header"])
    ws.set_row(h, max(30, 13.5 * max(t.count("\n") + 1 for t in texts) + 6))


def expected(scheme: Scheme, code: str) -> dict[str, list[BodyRow]]:
    """The rows without their scores so far (those depend on when the form was made; diagnosis skips them)."""
    return {layout(scheme).grids[0].sheet: rank_rows(scheme, code)}


def read_marks(rd: Reading) -> None:
    spec = spec_for(rd.form.sheet_names)
    if spec is GRADING_SPEC:
        _read_grades(rd)
    else:
        _read_ranks(rd)
    for f in spec.fields:
        if f.kind == "date":
            rd.date(f, required=True)
        else:
            rd.text(f.sheet, f.ref, rd.field(f), f.label, required=True)


def _read_grades(rd: Reading) -> None:
    """Each unit's 等次, one of 定等分值's grades (anything else is reported at its cell and left out)."""
    t = rd.table(GRADES, ("grade", "comment"))
    rd.mark_table(t, SOURCE, [("等次", "grade", rd.choices(t, "grade", "等次", list(rd.scheme.leader_grades), required=True)),
                            ("评语", "comment", rd.texts(t, "comment", "评语"))], units=t.ids, indicators="")


def _read_ranks(rd: Reading) -> None:
    t = rd.table(RANKS, ("rank", "comment"))
    n = len(t.rows)
    letter = RANKS.letter("rank")
    ranks: list[int | None] = []
    places: dict[int, list[str]] = {}
    for rank, row in zip(rd.numbers(t, "rank", "名次", required=True, minimum=1, maxima=[n] * n), t.rows):
        ref = f"{letter}{row + 1}"
        if rank is not None and not rank.is_integer():
            rd.issue(SHEET, ref, f"名次 {rank:g} 不是整数。", f"请填写 1 至 {n} 的整数。")
            rank = None
        if rank is not None:
            places.setdefault(int(rank), []).append(ref)
        ranks.append(int(rank) if rank is not None else None)
    for rank, refs in places.items():
        if len(refs) > 1:
            for ref in refs:
                rd.issue(SHEET, ref, f"名次 {rank} 重复（{'、'.join(refs)}）。", f"名次须为 1 至 {n} 各用一次，不得重复。")
    rd.mark_table(t, SOURCE, [("名次", "rank", ranks), ("评语", "comment", rd.texts(t, "comment", "评语"))],
                  units=t.ids, indicators="")
    # with every rank in 1..n and none repeated, n ranks are a permutation: nothing else to check

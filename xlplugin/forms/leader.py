"""The leader's form (领导加权评估): the units the leader oversees, to rank from 1 (best) to n — or, where the
leaders' component is scored 领导定等 (seed 002: 对县（区）政府评估，要分别对号到三个等次，相应赋分), to place each in
one of 定等分值's grades, chosen from a dropdown.

The two are one table with a different input column; the grading table sits on a sheet of its own (GRADE_SHEET),
so a returned form says by its sheets which layout it has (`spec_for`) and the header check holds for both.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..scheme import Period, Scheme
from .inputs import Reading
from .spec import INPUT, BodyRow, Column, Field, FormSpec, Recipient, unit_grid
from .write import list_validation, open_table_form

SHEET = "评价表"
RANKS = unit_grid(
    SHEET,
    Column("rank", "名次", 10, role=INPUT, numeric=True, required=True),
    Column("comment", "评语", 50, role=INPUT, wrap=True),
)
SIGNER = Field("signer", "评价人", SHEET, 2, 1, required=True)
DATE = Field("date", "日期", SHEET, 2, 3, required=True, kind="date")
SPEC = FormSpec(kind="leader", label="领导评价表", folder="领导", grids=(RANKS,), fields=(SIGNER, DATE))

#: the grading layout (计分方式 领导定等): RANKS with 等次 (a dropdown of 定等分值's grades) in place of 名次
GRADE_SHEET = "定等评价表"
GRADES = replace(RANKS, sheet=GRADE_SHEET, columns=tuple(
    Column("grade", "等次", 12, role=INPUT, required=True) if c.key == "rank" else c for c in RANKS.columns))
GRADING_SPEC = replace(SPEC, grids=(GRADES,), fields=tuple(replace(f, sheet=GRADE_SHEET) for f in SPEC.fields))


def spec_for(sheets) -> FormSpec:
    """The layout of a leader form with these sheets: the grading one where it has the grading sheet."""
    return GRADING_SPEC if GRADE_SHEET in sheets else SPEC


def layout(scheme: Scheme) -> FormSpec:
    """The layout a scheme's leader forms are written with."""
    return GRADING_SPEC if scheme.leader_grading else SPEC


def recipients(scheme: Scheme) -> list[Recipient]:
    return [Recipient("leader", l.code, f"{l.name}（{l.title or l.cls}）", l.email) for l in scheme.leaders
            if scheme.units_overseen_by(l)]


def rank_rows(scheme: Scheme, leader_code: str) -> list[BodyRow]:
    leader = next(l for l in scheme.leaders if l.code == leader_code)
    units = scheme.units_overseen_by(leader)
    return [BodyRow(u.code, values={"unit": u.code, "unit_name": u.name, "category": u.category}) for u in units]


def write(scheme: Scheme, period: Period, recipient: Recipient, path: Path) -> Path:
    spec = layout(scheme)
    grid = spec.grids[0]
    width = len(grid.columns)
    rows = rank_rows(scheme, recipient.code)
    n = len(rows)
    w, ws = open_table_form(spec, scheme, period, recipient, path, grid.sheet, width, "领导评价表")
    if spec is GRADING_SPEC:
        grades = list(scheme.leader_grades)
        points = "、".join(f"{g} {p:g} 分" for g, p in scheme.leader_grades.items())
        w.label(ws, 3, 0, f"说明：请按全年工作实绩，从下拉列表中为以下 {n} 个单位各选定一个等次（{points}）。",
                width - 1, fmt="note")
        w.grid(grid, rows, freeze_cols=2, min_lines=1, validations={
            "grade": list_validation("等次", grades, "请选择：" + "、".join(grades))})
        return w.close()
    w.label(ws, 3, 0, f"说明：请对以下 {n} 个单位按全年工作实绩排出名次，1 为最好，名次为 1 至 {n} 的整数且不得重复。",
            width - 1, fmt="note")
    w.grid(RANKS, rows, freeze_cols=2, min_lines=1, validations={"rank": {
        "validate": "integer", "criteria": "between", "minimum": 1, "maximum": n,
        "input_title": "名次", "input_message": f"填写 1 至 {n} 的整数，1 为最好，不得重复。",
        "error_title": "名次无效", "error_message": f"名次须为 1 至 {n} 之间的整数。", "error_type": "stop",
    }})
    return w.close()


def expected(scheme: Scheme, code: str) -> dict[str, list[BodyRow]]:
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
    rd.mark_table(t, "领导", [("等次", "grade", rd.choices(t, "grade", "等次", list(rd.scheme.leader_grades), required=True)),
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
    rd.mark_table(t, "领导", [("名次", "rank", ranks), ("评语", "comment", rd.texts(t, "comment", "评语"))],
                  units=t.ids, indicators="")
    # with every rank in 1..n and none repeated, n ranks are a permutation: nothing else to check

"""The rater group's form (民主评议): every unit it rates, a grade from the dropdown and an optional comment."""
from __future__ import annotations

from pathlib import Path

from ..scheme import Period, Scheme
from .inputs import Reading
from .spec import GROUP, INPUT, BodyRow, Column, Field, FormSpec, Recipient, unit_grid
from .write import list_validation, open_table_form

SOURCE = "评议"  # the marks' source, and the components' 来源 that makes rater groups receive a form

SHEET = "评议表"
GRADES = unit_grid(
    SHEET,
    Column("grade", "评议等次", 14, role=INPUT, required=True),
    Column("comment", "意见建议", 44, role=INPUT, wrap=True),  # one A4 page across at ≥ 90% (forms.printfit)
)
FILLER = Field("filler", "填表人", SHEET, 2, 1, required=True)
DATE = Field("date", "日期", SHEET, 2, 3, required=True, kind="date")
SPEC = FormSpec(kind="rater", label="民主评议表", folder="评议组", grids=(GRADES,), fields=(FILLER, DATE))


def recipients(scheme: Scheme) -> list[Recipient]:
    """The rater groups with units to rate, where a component is scored from their grades (else none)."""
    if not scheme.uses(SOURCE):
        return []
    return [Recipient("rater", g.code, g.name, g.email, g.contact) for g in scheme.rater_groups
            if scheme.units_rated_by(g)]


def grade_rows(scheme: Scheme, group_code: str) -> list[BodyRow]:
    group = next(g for g in scheme.rater_groups if g.code == group_code)
    units = scheme.units_rated_by(group)
    rows: list[BodyRow] = []
    for category in scheme.categories:
        members = [u for u in units if u.category == category]
        if not members:
            continue
        rows.append(BodyRow(f"{GROUP}{category}", label=f"{category}（{len(members)} 个单位）"))
        rows += [BodyRow(u.code, values={"unit": u.code, "unit_name": u.name, "category": u.category}) for u in members]
    return rows


def write(scheme: Scheme, period: Period, recipient: Recipient, path: Path) -> Path:
    width = len(GRADES.columns)
    w, ws = open_table_form(SPEC, scheme, period, recipient, path, SHEET, width, "民主评议表")
    grades = list(scheme.rater_grades)
    w.label(ws, 3, 0, f"说明：请对每个单位的全年工作从下拉列表中选择评议等次（{'、'.join(grades)}），可填写意见建议。",
            width - 1, fmt="note")
    w.grid(GRADES, grade_rows(scheme, recipient.code), freeze_cols=2, min_lines=1, validations={
        "grade": list_validation("评议等次", grades, "请选择：" + "、".join(grades)),
    })
    return w.close()


def expected(scheme: Scheme, code: str) -> dict[str, list[BodyRow]]:
    return {SHEET: grade_rows(scheme, code)}


def read_marks(rd: Reading) -> None:
    t = rd.table(GRADES, ("grade", "comment"))
    rd.mark_table(t, SOURCE, [("评议等次", "grade", rd.choices(t, "grade", "评议等次", list(rd.scheme.rater_grades), required=True)),
                            ("意见建议", "comment", rd.texts(t, "comment", "意见建议"))], units=t.ids, indicators="")
    for f in SPEC.fields:
        if f.kind == "date":
            rd.date(f, required=True)
        else:
            rd.text(f.sheet, f.ref, rd.field(f), f.label, required=True)

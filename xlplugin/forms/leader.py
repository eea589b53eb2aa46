"""The leader's form (领导加权评估): the units the leader oversees, to rank from 1 (best) to n."""
from __future__ import annotations

from pathlib import Path

from ..scheme import Period, Scheme
from .inputs import Reading
from .spec import INPUT, BodyRow, Column, Field, FormSpec, Recipient, unit_grid
from .write import open_table_form

SHEET = "评价表"
RANKS = unit_grid(
    SHEET,
    Column("rank", "名次", 10, role=INPUT, numeric=True, required=True),
    Column("comment", "评语", 50, role=INPUT, wrap=True),
)
SIGNER = Field("signer", "评价人", SHEET, 2, 1, required=True)
DATE = Field("date", "日期", SHEET, 2, 3, required=True, kind="date")
SPEC = FormSpec(kind="leader", label="领导评价表", folder="领导", grids=(RANKS,), fields=(SIGNER, DATE))


def recipients(scheme: Scheme) -> list[Recipient]:
    return [Recipient("leader", l.code, f"{l.name}（{l.title or l.cls}）", l.email) for l in scheme.leaders
            if scheme.units_overseen_by(l)]


def rank_rows(scheme: Scheme, leader_code: str) -> list[BodyRow]:
    leader = next(l for l in scheme.leaders if l.code == leader_code)
    units = scheme.units_overseen_by(leader)
    return [BodyRow(u.code, values={"unit": u.code, "unit_name": u.name, "category": u.category}) for u in units]


def write(scheme: Scheme, period: Period, recipient: Recipient, path: Path) -> Path:
    width = len(RANKS.columns)
    rows = rank_rows(scheme, recipient.code)
    n = len(rows)
    w, ws = open_table_form(SPEC, scheme, period, recipient, path, SHEET, width, "领导评价表")
    w.label(ws, 3, 0, f"说明：请对以下 {n} 个单位按全年工作实绩排出名次，1 为最好，名次为 1 至 {n} 的整数且不得重复。",
            width - 1, fmt="note")
    w.grid(RANKS, rows, freeze_cols=2, min_lines=1, validations={"rank": {
        "validate": "integer", "criteria": "between", "minimum": 1, "maximum": n,
        "input_title": "名次", "input_message": f"填写 1 至 {n} 的整数，1 为最好，不得重复。",
        "error_title": "名次无效", "error_message": f"名次须为 1 至 {n} 之间的整数。", "error_type": "stop",
    }})
    return w.close()


def expected(scheme: Scheme, code: str) -> dict[str, list[BodyRow]]:
    return {SHEET: rank_rows(scheme, code)}


def read_marks(rd: Reading) -> None:
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
    for f in SPEC.fields:
        if f.kind == "date":
            rd.date(f, required=True)
        else:
            rd.text(f.sheet, f.ref, rd.field(f), f.label, required=True)

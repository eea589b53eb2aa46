"""The marks: the central table of the cycle. One mark is one value a form gave — a self score, an evaluator's
score, a rater's grade, a leader's rank, an explanation — with where it came from (file, sheet, cell).

Forms are read into `Marks` (columns per file, cheap to send from a worker process); `marks_table` turns the
files' marks into the long table (ledger.MARK_COLUMNS: one row per cell, with provenance) that the record keeps,
and `marks_view` lays that out as 汇总数据 (ledger.MARKS): a row per unit × indicator, a column per item.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import ledger


@dataclass(frozen=True)
class Mark:
    unit: str
    period: str
    source: str  # 自评 / 考评部门 / 评议 / 领导
    indicator: str  # indicator code, or "" for a unit-level value
    rater: str  # who gave it: the unit itself, an evaluator, a rater group, a leader (code)
    item: str  # what it is: 自评得分, 考评得分, 评议等次, 名次, 情况说明, …
    value: object
    file: str
    sheet: str
    cell: str


class Marks:
    """The marks of one file, as columns: a form carries hundreds, and columns are cheap to build, to send
    from a worker process and to turn into the marks table. Period, rater and file are the same for every
    mark of a file and are kept once. Iterating gives `Mark`s."""

    COLUMNS = ("unit", "source", "indicator", "item", "value", "sheet", "cell")
    __slots__ = ("period", "rater", "file") + COLUMNS

    def __init__(self, period: str = "", rater: str = "", file: str = "", columns: tuple[list, ...] | None = None):
        self.period, self.rater, self.file = period, rater, file
        (self.unit, self.source, self.indicator, self.item, self.value, self.sheet,
         self.cell) = columns if columns is not None else ([], [], [], [], [], [], [])

    def add(self, unit: str, source: str, indicator: str, item: str, value, sheet: str, cell: str) -> None:
        self.unit.append(unit)
        self.source.append(source)
        self.indicator.append(indicator)
        self.item.append(item)
        self.value.append(value)
        self.sheet.append(sheet)
        self.cell.append(cell)

    def columns(self) -> tuple[list, ...]:
        return self.unit, self.source, self.indicator, self.item, self.value, self.sheet, self.cell

    def __len__(self) -> int:
        return len(self.unit)

    def __iter__(self):
        for unit, source, indicator, item, value, sheet, cell in zip(*self.columns()):
            yield Mark(unit, self.period, source, indicator, self.rater, item, value, self.file, sheet, cell)

    def __reduce__(self):
        return Marks, (self.period, self.rater, self.file, self.columns())

    def __repr__(self) -> str:
        return f"Marks({self.file!r}, {len(self)} marks)"


def marks_table(files: list[Marks], unit_names: dict[str, str]) -> pd.DataFrame:
    """The marks of every file as one long table (ledger.MARK_COLUMNS), built column by column."""
    columns = list(ledger.MARK_COLUMNS)
    unit, name, period, source, indicator, rater, item, value, file, sheet, cell = ([] for _ in columns)
    for m in files:
        n = len(m)
        if not n:
            continue
        unit += m.unit
        name += map(unit_names.get, m.unit)
        period += [m.period] * n
        source += m.source
        indicator += [code or None for code in m.indicator]
        rater += [m.rater] * n
        item += m.item
        value += m.value
        file += [m.file] * n
        sheet += m.sheet
        cell += m.cell
    if not unit:  # as pandas builds an empty table from no rows
        return pd.DataFrame([], columns=columns)
    data = (unit, name, period, source, indicator, rater, item, value, file, sheet, cell)
    return pd.DataFrame(dict(zip(columns, data)), columns=columns)


WIDE_ITEMS = ledger.SELF_ITEMS + ledger.EVALUATOR_ITEMS


def marks_view(long: pd.DataFrame) -> pd.DataFrame:
    """汇总数据: one row per unit × indicator with the unit's and its evaluating department's items as columns, then
    every other mark (report fields, bonus claims, rater grades, leader ranks) as 评价者 / 项目 / 值 rows."""
    columns = list(ledger.MARKS.columns)
    if not len(long):
        return pd.DataFrame(columns=columns)
    keys = ["单位代码", "单位名称", "考评期", "指标代码"]
    wide_rows = long["项目"].isin(WIDE_ITEMS) & long["指标代码"].notna()
    ind = long[wide_rows]
    order = ind[keys].drop_duplicates()
    values = ind.groupby(keys + ["项目"], sort=False, dropna=False)["值"].first().unstack("项目")
    evaluator = ind[ind["来源"] == "考评部门"].groupby(keys, sort=False, dropna=False)["评价者"].first()
    wide = order.join(values, on=keys).join(evaluator.rename("考评部门"), on=keys)
    other = long[~wide_rows][keys + ["评价者", "项目", "值"]]
    view = pd.concat([wide, other], ignore_index=True)
    for c in columns:
        if c not in view.columns:
            view[c] = None
    return view[columns].astype(object).where(view[columns].notna(), None)

"""inputs: read what scoring needs from the year's record and the office workbook, as the core's `Inputs` frames.

The marks are every current mark of every period held, from the record (the workbook's 汇总数据 shows only the
current period). The rest are the office's own sheets, which `init` creates empty and the
office fills: 绩效办评分 (components scored directly by the office), 加分审定 (approved bonus points; `collect`
lists every claim there and keeps what the office already entered) and 一票否决 (units whose grade drops).
Both `score` and `feedback` start here; a sheet that is missing reads as empty.
"""
from __future__ import annotations

import pandas as pd

from . import ledger
from .errors import UserError
from .officebook import OfficeBook
from .record import Record, record_path
from .scheme import Scheme
from .scoring import Inputs

MARK_FIELDS = ["unit", "period", "source", "indicator", "rater", "item", "value"]


def _sheet(book: OfficeBook, name: str, columns: list[str]) -> pd.DataFrame:
    if name not in book.sheet_names():
        return pd.DataFrame(columns=columns)
    frame = book.read_sheet(name)
    for c in columns:
        if c not in frame.columns:
            frame[c] = None
    return frame


def read_marks(book: OfficeBook, scheme: Scheme) -> pd.DataFrame:
    """Every current mark of the year from the record (empty when nothing was collected yet)."""
    if not record_path(book, scheme).exists():
        return pd.DataFrame(columns=MARK_FIELDS)
    with Record.for_book(book, scheme) as record:
        return record.current_marks()[MARK_FIELDS]


def read_inputs(book: OfficeBook, scheme: Scheme, marks: pd.DataFrame | None = None) -> Inputs:
    marks = read_marks(book, scheme) if marks is None else marks
    office = _sheet(book, ledger.OFFICE_SCORES.name, ["单位代码", "考评期"])
    direct = [c.name for c in scheme.components if c.method == "直接评分" and c.name in office.columns]
    office_long = office.melt(id_vars=["单位代码", "考评期"], value_vars=direct, var_name="component", value_name="score") \
        .rename(columns={"单位代码": "unit", "考评期": "period"}) if direct else None
    bonus = _sheet(book, ledger.BONUS.name, list(ledger.BONUS.columns))
    bonus = pd.DataFrame({"unit": bonus["单位代码"], "kind": bonus["加分类型"], "points": bonus["核定分值"]})
    veto = _sheet(book, ledger.VETO.name, list(ledger.VETO.columns))
    inputs = Inputs(marks=marks[MARK_FIELDS], bonus=bonus.dropna(subset=["unit"]),
                    vetoes=frozenset(str(u) for u in veto["单位代码"].dropna()))
    if office_long is not None:
        inputs.office = office_long
    return inputs


def require_marks(inputs: Inputs) -> None:
    """Refuse to score (or to write feedback) before anything was collected: it would publish zeros."""
    if inputs.marks["value"].notna().sum() == 0:
        raise UserError("还没有收集到任何数据，无法计分。请先收集各单位发回的表格"
                        "（xlplugin collect 或功能区“收集汇总”），什么也没有改动。")

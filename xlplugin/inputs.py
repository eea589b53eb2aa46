"""inputs: read what scoring needs from the year's record and the office workbook, as the core's `Inputs` frames.

The marks are every current mark of every period held, from the record (the workbook's 汇总数据 shows only the
current period). The rest are the office's own sheets, which `init` creates empty and the
office fills: 绩效办评分 (components scored directly by the office), 加分审定 (approved bonus points; `collect`
lists every claim there and keeps what the office already entered), 一票否决 (units whose grade drops) and 申诉
(appeals and their review; a row that cannot be used refuses the run, see xlplugin.review). Last year's results
come from the record too (`previous_results`). Both `score` and `feedback` start here; a sheet that is missing
reads as empty.
"""
from __future__ import annotations

import pandas as pd

from . import ledger
from .errors import UserError
from .officebook import OfficeBook
from .record import MARK_FIELDS as RECORD_FIELDS, Record, record_path
from .review import Appeal, appeals_frame, parse_appeals
from .scheme import Scheme, SchemeError
from .scoring import SCORED_ITEMS, Inputs

MARK_FIELDS = list(RECORD_FIELDS[:7])  # what scoring reads of a mark: no provenance


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
        return record.current_marks(items=SCORED_ITEMS, provenance=False)


def read_appeals(book: OfficeBook, scheme: Scheme) -> list[Appeal]:
    """The 申诉 sheet's appeals; any row that cannot be used refuses the verb (a Chinese list of the rows)."""
    appeals, problems = parse_appeals(_sheet(book, ledger.APPEALS.name, list(ledger.APPEALS.columns)), scheme)
    if problems:
        raise SchemeError(problems)
    return appeals


def previous_results(book: OfficeBook, scheme: Scheme, record: Record | None = None) -> pd.DataFrame | None:
    """Last year's results of the same office, if the record holds them (a new year's workbook that names the same
    数据文件 sees them)."""
    if record is not None:
        return record.last_results(scheme.settings.year - 1, annual=True)
    if not record_path(book, scheme).exists():
        return None
    with Record.for_book(book, scheme) as opened:
        return opened.last_results(scheme.settings.year - 1, annual=True)


def read_inputs(book: OfficeBook, scheme: Scheme, marks: pd.DataFrame | None = None,
                appeals: list[Appeal] | None = None) -> Inputs:
    """The core's inputs; `appeals` as read_appeals gave them (read here when not given)."""
    marks = read_marks(book, scheme) if marks is None else marks
    appeals = read_appeals(book, scheme) if appeals is None else appeals
    office = _sheet(book, ledger.OFFICE_SCORES.name, ["单位代码", "考评期"])
    direct = [c.name for c in scheme.components if c.method == "直接评分" and c.name in office.columns]
    office_long = office.melt(id_vars=["单位代码", "考评期"], value_vars=direct, var_name="component", value_name="score") \
        .rename(columns={"单位代码": "unit", "考评期": "period"}) if direct else None
    bonus = _sheet(book, ledger.BONUS.name, list(ledger.BONUS.columns))
    bonus = pd.DataFrame({"unit": bonus["单位代码"], "kind": bonus["加分类型"], "points": bonus["核定分值"]})
    veto = _sheet(book, ledger.VETO.name, list(ledger.VETO.columns))
    inputs = Inputs(marks=marks[MARK_FIELDS], bonus=bonus.dropna(subset=["unit"]),
                    vetoes=frozenset(str(u) for u in veto["单位代码"].dropna()), appeals=appeals_frame(appeals),
                    veto_reasons={str(u): str(why).strip() for u, why in zip(veto["单位代码"], veto["事由"])
                                  if not pd.isna(u) and not pd.isna(why) and str(why).strip()})
    if office_long is not None:
        inputs.office = office_long
    return inputs


def require_marks(inputs: Inputs) -> None:
    """Refuse to score (or to write feedback) before anything was collected: it would publish zeros."""
    if inputs.marks["value"].notna().sum() == 0:
        raise UserError("还没有收集到任何数据，无法计分。请先收集各单位发回的表格"
                        "（xlplugin collect 或功能区“收集汇总”），什么也没有改动。")

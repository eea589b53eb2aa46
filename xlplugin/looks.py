"""How the tool's sheets in the office workbook read on screen and on paper: a SheetLook for each written table.

`sheet_looks(scheme, sheets, label)` looks at each table's columns and gives it: the unit's code and name (and
the ranks before them) repeated at the left of every printed page and frozen on screen; scores shown with two
decimals; 等次 coloured by grade (the first grade green … the last red); long texts wrapped in a column of
sensible width; and a title printed atop every page naming the sheet, year, period, date and whether the
result is final (`label`).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from . import ledger
from .officebook import SheetLook
from .textfit import display_width

#: the columns that say which unit a row is about, repeated on every printed page when they lead the table
IDENTIFIERS = ("总排名", "类别排名", "名次", "单位代码", "单位名称")
GRADE_COLUMNS = ("等次", "复核后等次")
PALETTE = ("C6EFCE", "DDEBF7", "FFEB9C", "FCE4D6")  # green, blue, yellow, orange: the grades from the top
LAST = "FFC7CE"  # red: the lowest grade
SCORE_WORDS = ("分", "合计", "%）")  # a numeric column named with one of these is a score: two decimals
WRAP_FROM = 40  # a text column wider than this (Excel character units) wraps
MAX_WRAPPED_ROWS = 20_000
OVERVIEW_WIDTHS = {"板块": 9, "对象": 20, "内容": 78, "联系人": 8, "电子邮箱": 30}  # beyond this a sheet is a data table: no wrapping (row heights cost time)


def grade_colors(grades) -> dict[str, str]:
    names = [g.name for g in grades]
    return {name: (LAST if i == len(names) - 1 and i else PALETTE[min(i, len(PALETTE) - 1)])
            for i, name in enumerate(names)}


def _numeric(series: pd.Series) -> bool:
    sample = series.dropna().head(200)
    return len(sample) > 0 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in sample)


def look(name: str, frame: pd.DataFrame, colors: dict[str, str], title: str | None) -> SheetLook:
    columns = [str(c) for c in frame.columns]
    repeat = 0
    for i, c in enumerate(columns[:len(IDENTIFIERS)]):
        if c in IDENTIFIERS:
            repeat = i + 1
    formats, wrap = {}, []
    for j, c in enumerate(columns):
        series = frame.iloc[:, j]
        if _numeric(series):
            sample = series.dropna().head(200)
            if any(w in c for w in SCORE_WORDS) or any(not float(v).is_integer() for v in sample):
                formats[c] = "0.00"
        elif len(frame) <= MAX_WRAPPED_ROWS:
            widest = max((display_width(v) for v in series.head(200) if isinstance(v, str)), default=0)
            if widest > WRAP_FROM:
                wrap.append(c)
    grade = next((c for c in GRADE_COLUMNS if c in columns), None)
    return SheetLook(title=title, number_formats=formats, wrap=tuple(wrap), repeat_columns=repeat,
                     grade_column=grade, grade_colors=colors if grade else {})


def sheet_looks(scheme, sheets: dict[str, pd.DataFrame], label: str = "") -> dict[str, SheetLook]:
    """A SheetLook for each of `sheets` (name → table) written for `scheme`; `label` ends the titles (年度结果 …)."""
    colors = grade_colors(scheme.grades)
    when = f"{scheme.settings.year}年度 {scheme.settings.period}"
    out = {}
    for name, frame in sheets.items():
        parts = [name, when, date.today().isoformat()] + ([label] if label else [])
        out[name] = look(name, frame, colors, " · ".join(parts))
        if name == ledger.OVERVIEW.name:  # one printed page: the content column takes the width
            out[name] = replace(out[name], widths=OVERVIEW_WIDTHS, wrap=("对象", "内容"))
    return out

"""The office workbook open in Excel, behind the OfficeBook interface: the xlwings adapter (used by the ribbon).

`XlwingsOfficeBook` adapts a live xlwings Book. Every xlwings call is a round trip to Excel, so it reads a sheet
in one call and writes each table in one call (plus a few calls per sheet for its look, never per row or cell).
Values go to Excel through the shared conversion (values.excel_input: formula-injection guard included), as the
file adapter's go through values.storable. Nothing here talks to the user: that is the ribbon's (xlplugin.ribbon).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from .errors import UserError
from .officebook import ChartSpec, SheetLook, table_from_rows
from .textfit import display_width
from .values import excel_input

MAX_WIDTH = 60  # column width cap (Excel character units), as the file adapter uses
CHART_SIZE = (480, 260)  # points


def _python_value(value):
    """A cell as read from Excel, made like the file adapter's: every number a float (as Excel stores it)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    return value


def frame_grid(frame: pd.DataFrame) -> list[list]:
    """Header and body of `frame` as the one 2-D list written to Excel."""
    header = [excel_input(str(c)) for c in frame.columns]
    return [header] + [[excel_input(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def book_folder(book) -> Path:
    """The folder of the workbook open in Excel; the workbook must have been saved to a local folder."""
    fullname = str(book.fullname or "")
    if "://" in fullname:
        raise UserError(f"本工作簿保存在网络位置（{fullname}），无法确定本机文件夹。"
                         "请把考评台账另存到本机或共享盘上的文件夹后再操作。")
    path = Path(fullname)
    if not path.is_absolute():
        raise UserError("本工作簿还没有保存。请先把考评台账保存到一个文件夹（表格、提交和输出文件夹都放在它旁边），再操作。")
    return path.parent


class XlwingsOfficeBook:
    """The office workbook open in Excel, as an OfficeBook: one call per sheet read, one per table written."""

    def __init__(self, book, folder: str | os.PathLike | None = None):
        self.book = book
        self._folder = Path(folder) if folder is not None else None

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = book_folder(self.book)
        return self._folder

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def _find(self, name: str):
        """The sheet called `name` (Excel compares sheet names without case), or None."""
        key = name.casefold()
        for sheet in self.book.sheets:
            if sheet.name.casefold() == key:
                return sheet
        return None

    def read_sheet(self, name: str) -> pd.DataFrame:
        sheet = self._find(name)
        if sheet is None:
            raise KeyError(name)
        used = sheet.used_range
        rows, cols = used.shape
        last_row, last_col = used.row + rows - 1, used.column + cols - 1
        # from A1, so that list positions are Excel rows and columns even when the used range starts lower
        values = sheet.range((1, 1), (last_row, last_col)).options(ndim=2, err_to_str=True).value
        return table_from_rows([[_python_value(v) for v in row] for row in values])

    def ensure_writable(self) -> None:
        """Always: the workbook is open in this very Excel, which applies our changes to what the user sees."""

    def write_sheets(self, sheets: dict[str, pd.DataFrame], charts: dict[str, ChartSpec] | None = None,
                     looks: dict[str, SheetLook] | None = None) -> None:
        """Replace (or add, after the last sheet) the given sheets; the office's other sheets stay untouched.

        A sheet that exists is cleared in place rather than deleted, so formulas elsewhere that refer to it keep
        working and its column widths stay. Unlike the file adapter this saves nothing and makes no backup: the
        workbook is the user's, open in Excel, and changes reach the disk when the user saves it.
        """
        for name, frame in sheets.items():
            sheet = self._find(name)
            new = sheet is None
            if new:
                sheet = self.book.sheets.add(name=name, after=self.book.sheets[len(self.book.sheets) - 1])
            else:
                for chart in reversed(list(sheet.charts)):  # the tool owns this sheet and its charts; from the
                    chart.delete()  # last, as the remote engine addresses charts by position
                sheet.clear()
            self._write_table(sheet, frame, new)
            if charts and name in charts:
                self._add_chart(sheet, frame, charts[name])

    def add_dropdowns(self, name: str, dropdowns) -> bool:
        """Give sheet `name` the dropdowns (init.Dropdown: a column's rows, the allowed values, the refusal text).

        Through xlwings' own data validation (xlwings 0.37.5 and later): on Windows and macOS Excel, and on the
        remote engine with an Office.js client, which sets the list but not the refusal text (Excel's own is shown).
        Where the engine has none (older xlwings, other remote clients) nothing is added and False is returned.
        One call per dropdown, plus the refusal text's on the desktop engines.
        """
        sheet = self._find(name)
        for d in dropdowns:
            cells = sheet.range((d.first_row, d.column), (d.last_row, d.column))
            validation = getattr(cells, "data_validation", None)
            if validation is None:  # xlwings before 0.37.5
                return False
            try:
                validation.set_list(list(d.values))
            except NotImplementedError:  # the remote engine with a client other than Office.js
                return False
            _refusal_text(validation.api, d.title, d.message)
        return True

    def _write_table(self, sheet, frame: pd.DataFrame, new: bool) -> None:
        """The table in one call, then its look: a bold header and, on a new sheet, fitted column widths.

        That is 3 calls for a sheet rewritten in place and 4 (+1 per very wide column) for a new one, whatever
        the number of rows. Frozen panes and header fills are left out on purpose: each would cost one more
        round trip per sheet (benchmarks/bench_excel.py counts them; the target is 40 for a score write-back).
        """
        ncols = len(frame.columns)
        if ncols == 0:
            return
        sheet.range((1, 1)).value = frame_grid(frame)
        sheet.range((1, 1), (1, ncols)).font.bold = True
        if not new:
            return  # column widths survive clear()
        sheet.range((1, 1), (len(frame) + 1, ncols)).columns.autofit()
        for col in _wide_columns(frame):  # autofit would make long texts (reasons, narratives) screen-wide
            sheet.range((1, col), (len(frame) + 1, col)).column_width = MAX_WIDTH

    def _add_chart(self, sheet, frame: pd.DataFrame, spec: ChartSpec) -> None:
        columns = list(frame.columns)
        keep = [i for i, c in enumerate(columns) if i > 0 and c not in spec.skip]
        rows = len(frame) + 1
        # xlwings takes one rectangle: the category column and the series next to it; skipped columns must
        # trail (as 合计 does), else every column is charted
        last = len(keep) if keep == list(range(1, len(keep) + 1)) else len(columns) - 1
        source = sheet.range((1, 1), (rows, last + 1))
        width, height = CHART_SIZE
        chart = sheet.charts.add(width=width, height=height, chart_type="column_clustered", source=source,
                                 anchor=sheet.range((2, len(columns) + 2)))
        chart.title = spec.title  # (spec.y_title is left to the chart's axis numbers: one round trip less)


def _refusal_text(native, title: str, message: str) -> None:
    """What Excel says when a value not in the list is typed, set on the engine's own Validation object (xlwings'
    data validation has no setter for it); the remote engine has no such object (`native` is None)."""
    if native is None:
        return
    if sys.platform == "darwin":  # appscript
        native.error_title.set(title)
        native.error_message.set(message)
        native.ignore_blank.set(True)
        native.show_error.set(True)
    else:  # COM
        native.ErrorTitle = title
        native.ErrorMessage = message
        native.IgnoreBlank = True
        native.ShowError = True


def _wide_columns(frame: pd.DataFrame) -> list[int]:
    """1-based positions of the columns whose longest text (of the first 200 rows) exceeds MAX_WIDTH."""
    out = []
    for i, name in enumerate(frame.columns, start=1):
        sample = [name] + list(frame.iloc[:200, i - 1])
        if max(display_width(v) for v in sample) + 2 > MAX_WIDTH:
            out.append(i)
    return out

"""init: write a new office workbook (考评台账.xlsx) from a bundled sample, with a fresh signing key.

`dropdowns` says which cells of a sample sheet get a list of allowed values (samples.DROPDOWNS); this file's
workbook gets them as openpyxl data validations, the ribbon's 初始化台账 through the xlwings adapter.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import ledger
from .files import write_atomically
from .overview import overview
from .samples import DROPDOWNS, KEY, office_input_frames, sample_frames
from .sheetstyle import write_frame

WIDTHS = {"评分说明": 40, "指标名称": 28, "说明": 50, "值": 36, "分管单位": 40, "佐证要求": 24}


def office_frames(sample: str) -> dict[str, pd.DataFrame]:
    """Every sheet a new office workbook starts with, in order: 概览 first (the workbook opens on it; collect and
    score rewrite it in place), the scheme's sheets from the sample, and the office's empty input sheets. The
    ribbon's 初始化台账 writes the same."""
    frames = sample_frames(sample)
    return {ledger.OVERVIEW.name: overview(None, None, None), **frames, **office_input_frames(frames)}


def init(path: str | Path, sample: str = "city", overwrite: bool = False) -> Path:
    """Write the sample office workbook to `path`; refuse to overwrite an existing one unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"文件已存在：{path}（如需覆盖请加 --force）")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, frame in office_frames(sample).items():
        ws = wb.create_sheet(sheet)
        write_frame(ws, frame, widths=WIDTHS)
        _dropdowns(ws, sheet, list(frame.columns), len(frame))
        if sheet == ledger.SETTINGS.name:
            _hide_key(ws, frame)
    wb.active = 0
    write_atomically(path, wb.save)
    return path


def _hide_key(ws, frame) -> None:
    """The signing key's row hidden and left out of the sheet's print area (the rows above it)."""
    rows = [i for i, item in enumerate(frame.iloc[:, 0], start=2) if item == KEY]
    for row in rows:
        ws.row_dimensions[row].hidden = True
    if rows:
        last = max(i for i in range(1, len(frame) + 2) if i not in rows)
        ws.print_area = f"A1:{get_column_letter(len(frame.columns))}{last}"


@dataclass(frozen=True)
class Dropdown:
    """A list of allowed values on rows first_row..last_row of one column (1-based, as Excel counts), blank allowed;
    anything else typed there is refused with `title` and `message`."""

    column: int
    first_row: int
    last_row: int
    values: tuple[str, ...]
    title: str = "无效的值"

    @property
    def message(self) -> str:
        return "请从下拉列表中选择：" + "、".join(self.values)


def dropdowns(sheet: str, columns: list[str], n: int) -> list[Dropdown]:
    """The dropdowns of sheet `sheet` written with `columns` and `n` rows: below the header, with room to grow."""
    last = max(n + 200, 500)
    return [Dropdown(columns.index(column) + 1, 2, last, values)
            for (name, column), values in DROPDOWNS.items() if name == sheet and column in columns]


def _dropdowns(ws, sheet: str, columns: list[str], n: int) -> None:
    for d in dropdowns(sheet, columns, n):
        letter = get_column_letter(d.column)
        dv = DataValidation(type="list", formula1='"' + ",".join(d.values) + '"', allow_blank=True,
                            errorTitle=d.title, error=d.message, showErrorMessage=True)
        dv.add(f"{letter}{d.first_row}:{letter}{d.last_row}")
        ws.add_data_validation(dv)

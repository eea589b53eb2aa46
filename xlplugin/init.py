"""init: write a new office workbook (考评台账.xlsx) from a bundled sample, with a fresh signing key."""
from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .files import write_atomically
from .samples import DROPDOWNS, office_input_frames, sample_frames
from .sheetstyle import write_frame

WIDTHS = {"评分说明": 40, "指标名称": 28, "说明": 50, "值": 36, "分管单位": 40, "佐证要求": 24}


def init(path: str | Path, sample: str = "city", overwrite: bool = False) -> Path:
    """Write the sample office workbook to `path`; refuse to overwrite an existing one unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"文件已存在：{path}（如需覆盖请加 --force）")
    frames = sample_frames(sample)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, frame in {**frames, **office_input_frames(frames)}.items():
        ws = wb.create_sheet(sheet)
        write_frame(ws, frame, widths=WIDTHS)
        _dropdowns(ws, sheet, list(frame.columns), len(frame))
    write_atomically(path, wb.save)
    return path


def _dropdowns(ws, sheet: str, columns: list[str], n: int) -> None:
    last = max(n + 200, 500)
    for (name, column), values in DROPDOWNS.items():
        if name != sheet or column not in columns:
            continue
        letter = get_column_letter(columns.index(column) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                            errorTitle="无效的值", error="请从下拉列表中选择：" + "、".join(values), showErrorMessage=True)
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)

"""How the tool lays out a table sheet in the office workbook (openpyxl): one look for every sheet it owns."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .textfit import display_width
from .values import storable, visible_text


HEADER_FONT = Font(name="等线", bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
THIN = Side(style="thin", color="B4B4B4")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def set_text_or_value(cell, value) -> None:
    """Write a value; text always stays text, even '=…' from an untrusted source (no formula injection), and is
    made valid XML text with control characters shown visibly (values.visible_text)."""
    value = storable(value)
    if isinstance(value, str):
        cell.value = visible_text(value)
        cell.data_type = "s"
        return
    cell.value = value
    if isinstance(value, (datetime, date)):
        cell.number_format = "yyyy-mm-dd"


def write_frame(ws, frame: pd.DataFrame, widths: dict[str, float] | None = None) -> None:
    """Write `frame` with a styled header row, frozen header, filter and sensible column widths."""
    columns = list(frame.columns)
    ws.append([visible_text(str(c)) for c in columns])
    last_row = 1
    for last_row, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for col, value in enumerate(row, start=1):
            if storable(value) is not None:
                set_text_or_value(ws.cell(last_row, col), value)
    for col, name in enumerate(columns, start=1):
        cell = ws.cell(1, col)
        cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, HEADER_ALIGN, HEADER_BORDER
        if widths and name in widths:
            width = widths[name]
        else:
            sample = [name] + [frame.iloc[i, col - 1] for i in range(min(len(frame), 200))]
            width = min(max(display_width(v) for v in sample) + 2, 60)
        ws.column_dimensions[get_column_letter(col)].width = max(width, 6)
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last_row}"

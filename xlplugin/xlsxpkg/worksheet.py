"""One owned sheet's XML (xl/worksheets/sheetN.xml), written streaming from a DataFrame.

Rows go out in chunks as they are made, each cell with its own reference: text as an inline string
(t="inlineStr": never a formula, and sharedStrings.xml is not touched), numbers as numbers, booleans as booleans,
dates and times as serial numbers with a date format. Around the table: the styled header row (row 1), the title in the printed page's header, column widths, frozen panes, the filter, grades coloured by conditional formats, and the page set up
for print (A4 landscape, one page wide, the header row and the first columns on every page, page numbers).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from . import xmltext
from .relationships import OFFICE_DOC
from .styles import CellStyle, Styles
from ..textfit import TextFit, display_width
from ..values import storable

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CHUNK = 2_000  # rows per write
MAX_WIDTH = 60  # column width cap (Excel character units)
WRAP_WIDTH = 40  # width of a wrapped column unless the look says
SAMPLE = 200  # rows looked at to size a column
HEADER = CellStyle(bold=True, color="FFFFFF", fill="305496", border="B4B4B4", wrap=True, center=True, vcenter=True)
DATE, DATETIME = "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
BODY_TEXT = TextFit(cjk=2, other=1.1, margin=1.5, spacing=1.3)  # the default 11-point font, for wrapped rows
FONT_SIZE = 11


@dataclass
class Layout:
    """What the packager needs to know about a written sheet: its extent and the names it defines."""

    header_row: int
    last_row: int
    columns: int
    names: dict[str, str] = field(default_factory=dict)


def _widths(frame: pd.DataFrame, look) -> list[float]:
    out = []
    for j, name in enumerate(frame.columns):
        if look is not None and name in look.widths:
            out.append(float(look.widths[name]))
            continue
        sample = [name] + frame.iloc[:SAMPLE, j].tolist()
        width = min(max(display_width(_shown(v)) for v in sample) + 2, MAX_WIDTH)
        if look is not None and name in look.wrap:
            width = min(width, WRAP_WIDTH)
        out.append(max(width, 6))
    return out


def _shown(value) -> str:
    value = storable(value)
    if isinstance(value, float):
        return f"{value:.2f}" if not value.is_integer() else str(int(value))
    if isinstance(value, datetime):
        return value.strftime(DATETIME if value.time() != datetime.min.time() else DATE)
    return "" if value is None else str(value)


def _height(wrapped, i: int) -> str:
    """The row attributes that make row `i` tall enough for its wrapped texts ("" for one line)."""
    cells = [(col[i], width) for col, width in wrapped if isinstance(col[i], str)]
    if not cells:
        return ""
    height = BODY_TEXT.row_height(cells, FONT_SIZE)
    return f' ht="{height}" customHeight="1"' if height > BODY_TEXT.row_height([], FONT_SIZE) else ""


class _Cells:
    """Cell XML for the values of one column."""

    def __init__(self, letter: str, xf: int, date_xf: int, datetime_xf: int):
        self.letter = letter
        self.s = f' s="{xf}"' if xf else ""
        self.date_s = f' s="{date_xf}"'
        self.datetime_s = f' s="{datetime_xf}"'

    def __call__(self, value, row: str) -> str:
        t = type(value)
        if t is str:
            if not value:
                return ""
            space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
            return (f'<c r="{self.letter}{row}" t="inlineStr"{self.s}><is><t{space}>{xmltext.text(value)}</t></is>'
                    "</c>")
        if t is float:
            if value != value or value in (math.inf, -math.inf):
                return ""
            return f'<c r="{self.letter}{row}"{self.s}><v>{value!r}</v></c>'
        if t is int:
            return f'<c r="{self.letter}{row}"{self.s}><v>{value}</v></c>'
        if value is None:
            return ""
        if t is bool:
            return f'<c r="{self.letter}{row}" t="b"{self.s}><v>{int(value)}</v></c>'
        plain = storable(value)  # NaT, Timestamps, numpy scalars
        if plain is None:
            return ""
        if isinstance(plain, (datetime, date)):
            timed = isinstance(plain, datetime) and plain.time() != datetime.min.time()
            return (f'<c r="{self.letter}{row}"{self.datetime_s if timed else self.date_s}>'
                    f"<v>{xmltext.serial(plain)!r}</v></c>")
        if type(plain) in (str, float, int, bool):
            return self(plain, row)
        return self(str(plain), row)


def write(fh, name: str, frame: pd.DataFrame, look, styles: Styles, drawing: str | None = None, selected: bool = False,
          chart_rows: int = 0) -> Layout:
    """Write sheet `name` holding `frame` (header first) to the binary stream `fh`; `drawing` is the relationship
    id of its drawing, if any, and `chart_rows` the rows it takes below the table (to print it whole)."""
    columns = list(frame.columns)
    n = len(frame)
    title = look.title if look is not None else None
    header_row = 1  # the title goes to the printed page's header, so the table reads the same with or without
    last_row = header_row + n
    last_col = xmltext.column_letter(max(len(columns), 1))
    quoted = "'" + name.replace("'", "''") + "'"
    layout = Layout(header_row, last_row, len(columns))

    number_formats = look.number_formats if look is not None else {}
    wrap = look.wrap if look is not None else ()
    date_xf, datetime_xf = styles.xf(CellStyle(num_format=DATE)), styles.xf(CellStyle(num_format=DATETIME))
    makers = [_Cells(xmltext.column_letter(j + 1),
                     styles.xf(CellStyle(num_format=number_formats.get(c, "General"), wrap=c in wrap, top=bool(wrap))),
                     date_xf, datetime_xf) for j, c in enumerate(columns)]
    header_xf = styles.xf(HEADER)
    repeat = min(look.repeat_columns if look is not None else 0, len(columns))

    out = [xmltext.DECLARATION,
           f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{OFFICE_DOC}">',
           '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
           f'<dimension ref="A1:{last_col}{max(last_row, 1)}"/>']
    split = f'xSplit="{repeat}" ' if repeat else ""
    top_left = f"{xmltext.column_letter(repeat + 1)}{header_row + 1}"
    pane = "bottomRight" if repeat else "bottomLeft"
    tab = ' tabSelected="1"' if selected else ""  # the sheet the workbook opens on (only that one: else "grouped")
    out.append(f'<sheetViews><sheetView{tab} workbookViewId="0"><pane {split}ySplit="{header_row}" topLeftCell="{top_left}"'
               f' activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{top_left}"'
               f' sqref="{top_left}"/></sheetView></sheetViews>')
    out.append('<sheetFormatPr defaultRowHeight="15"/>')
    widths = _widths(frame, look)
    if columns:
        out.append("<cols>" + "".join(f'<col min="{j}" max="{j}" width="{w:.2f}" customWidth="1"/>'
                                      for j, w in enumerate(widths, start=1)) + "</cols>")
    out.append("<sheetData>")
    if columns:
        cells = "".join(f'<c r="{xmltext.column_letter(j)}{header_row}" t="inlineStr" s="{header_xf}"><is><t>'
                        f"{xmltext.text(str(c))}</t></is></c>" for j, c in enumerate(columns, start=1))
        out.append(f'<row r="{header_row}">{cells}</row>')
    fh.write("".join(out).encode("utf-8"))

    values = [frame.iloc[:, j].tolist() for j in range(len(columns))]
    wrapped = [(values[j], widths[j]) for j, c in enumerate(columns) if c in wrap]
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        numbers = [str(header_row + 1 + i) for i in range(start, stop)]
        # most cells of a wide view are empty: skip them without a call
        made = [[make(v, r) if v is not None else "" for v, r in zip(col[start:stop], numbers)]
                for make, col in zip(makers, values)]
        heights = [_height(wrapped, i) for i in range(start, stop)] if wrapped else [""] * (stop - start)
        fh.write("".join(f'<row r="{r}"{h}>{"".join(cells)}</row>'
                         for r, h, cells in zip(numbers, heights, zip(*made))).encode("utf-8"))
    del values

    out = ["</sheetData>"]
    if columns:
        ref = f"A{header_row}:{last_col}{last_row}"
        out.append(f'<autoFilter ref="{ref}"/>')
        layout.names["_xlnm._FilterDatabase"] = f"{quoted}!$A${header_row}:${last_col}${last_row}"
        titles = f"{quoted}!${header_row}:${header_row}"
        if repeat:
            titles = f"{quoted}!$A:${xmltext.column_letter(repeat)}," + titles
        layout.names["_xlnm.Print_Titles"] = titles
    if look is not None and look.grade_column in columns and look.grade_colors and n:
        letter = xmltext.column_letter(columns.index(look.grade_column) + 1)
        rules = "".join(f'<cfRule type="cellIs" dxfId="{styles.dxf(color)}" priority="{p}" operator="equal">'
                        f'<formula>"{xmltext.text(grade.replace(chr(34), chr(34) * 2))}"</formula></cfRule>'
                        for p, (grade, color) in enumerate(look.grade_colors.items(), start=1))
        out.append(f'<conditionalFormatting sqref="{letter}{header_row + 1}:{letter}{last_row}">{rules}'
                   "</conditionalFormatting>")
    out.append('<printOptions horizontalCentered="1"/>')
    out.append('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>')
    landscape = look is None or look.landscape
    tall = "1" if drawing else "0"  # a sheet with a chart is a small table: one page, so the chart prints whole
    out.append(f'<pageSetup paperSize="9" orientation="{"landscape" if landscape else "portrait"}" fitToWidth="1"'
               f' fitToHeight="{tall}"/>')
    head = f"<oddHeader>&amp;C&amp;\"-,Bold\"&amp;12{xmltext.text(title.replace('&', '&&'))}</oddHeader>" if title else ""
    out.append(f"<headerFooter>{head}<oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter>")
    if drawing:
        out.append(f'<drawing r:id="{drawing}"/>')
    out.append("</worksheet>")
    fh.write("".join(out).encode("utf-8"))
    return layout

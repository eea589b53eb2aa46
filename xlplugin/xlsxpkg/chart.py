"""A column chart over an owned sheet's table, drawn by XlsxWriter in a scratch package and grafted in.

XlsxWriter writes the chart (xl/charts/chartN.xml), the drawing that places it (xl/drawings/drawingN.xml) and
the drawing's relationships; `grafted` takes those three parts out of the scratch package under names free in
the office workbook. The chart refers to the sheet by name, so the scratch sheet has the owned sheet's name.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import pandas as pd

from . import relationships as rels
from ..values import storable, visible_text

SIZE = (720, 360)  # pixels: fits an A4 landscape page beside nothing else
ROWS = 19  # rows the chart covers (at 20 px a row)


@dataclass
class Graft:
    drawing: str  # part names in the office package
    chart: str
    parts: dict[str, bytes]  # the drawing, its .rels and the chart


def _scratch(name: str, frame: pd.DataFrame, spec, header_row: int, anchor_row: int) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(name)
    top = header_row - 1  # 0-based
    ws.write_row(top, 0, [visible_text(str(c)) for c in frame.columns])
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=top + 1):
        for j, v in enumerate(row):
            v = storable(v)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(i, j, v)
            elif v is not None:
                ws.write_string(i, j, visible_text(str(v)))
    chart = wb.add_chart({"type": "column"})
    last = top + len(frame)
    for j, column in enumerate(frame.columns[1:], start=1):
        if column in spec.skip:
            continue
        chart.add_series({"name": [name, top, j], "categories": [name, top + 1, 0, last, 0],
                          "values": [name, top + 1, j, last, j]})
    chart.set_title({"name": visible_text(spec.title)})
    if spec.y_title:
        chart.set_y_axis({"name": spec.y_title})
    chart.set_size({"width": SIZE[0], "height": SIZE[1]})
    ws.insert_chart(anchor_row, 0, chart, {"object_position": 1})
    wb.close()
    return buffer.getvalue()


def grafted(name: str, frame: pd.DataFrame, spec, header_row: int, anchor_row: int, taken: set[str]) -> Graft:
    """The chart of `frame` (as written on sheet `name`, header on `header_row`) anchored at 0-based row
    `anchor_row`, as parts named apart from `taken`."""
    with zipfile.ZipFile(io.BytesIO(_scratch(name, frame, spec, header_row, anchor_row))) as z:
        drawing_data = z.read("xl/drawings/drawing1.xml")
        chart_data = z.read("xl/charts/chart1.xml")
    drawing = _free("xl/drawings/drawing{}.xml", taken)
    chart = _free("xl/charts/chart{}.xml", taken | {drawing})
    drawing_rels = rels.write(drawing, [rels.Relationship("rId1", rels.CHART, chart)])
    return Graft(drawing, chart, {drawing: drawing_data, rels.rels_name(drawing): drawing_rels, chart: chart_data})


def _free(pattern: str, taken: set[str]) -> str:
    n = 1
    while pattern.format(n) in taken:
        n += 1
    return pattern.format(n)

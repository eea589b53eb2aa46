"""feedback.charts: the report's two charts, drawn by XlsxWriter from a hidden data sheet.

A bar chart compares the unit with its category's average and best, per component (or dimension, or level);
a radar chart shows score rates per dimension (or level) against the category's average. Each function writes
its data into the data sheet, makes the chart `width` pixels wide and returns it with its height in pixels, or
None when there is nothing to draw; xlplugin.feedback.report places it on the page.
"""
from __future__ import annotations

import math

from xlsxwriter.chart import Chart
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..forms.write import FONT, TITLE_FONT
from .analysis import COMPONENT, DIMENSION, LEVEL, UnitFeedback, is_missing

DATA_SHEET = "图表数据"  # the hidden sheet holding the charts' data
# chart series colours: the unit, its category's average, its category's best
UNIT_COLOR, AVERAGE_COLOR, BEST_COLOR = "#2F5597", "#A5A5A5", "#F4B183"


def axis_floor(values) -> int:
    """Where a 0–100 rate axis starts: a round ten below the lowest value shown, so the differences between the
    unit, its category's average and best are visible (0 when a value is below 10)."""
    shown = [v for v in values if not is_missing(v)]
    return max(0, math.floor(min(shown, default=0) / 10) * 10 - 10)


def bar_chart(wb: Workbook, data: Worksheet, fb: UnitFeedback, width: int) -> tuple[Chart, int] | None:
    """Horizontal bars, one group per component (or dimension): the unit, its category's average and best."""
    items, kind = fb.compare, fb.compare_kind
    n = len(items)
    if not n:
        return None
    data.write_row(0, 0, [kind, "本单位", "同类平均", "同类最高"])
    for k, c in enumerate(items[::-1], start=1):  # a bar chart draws its first category at the bottom
        data.write_string(k, 0, c.name)
        data.write_row(k, 1, [round(c.score, 2), round(c.average, 2), round(c.best, 2)])
    chart = wb.add_chart({"type": "bar"})
    for col, color in ((3, BEST_COLOR), (2, AVERAGE_COLOR), (1, UNIT_COLOR)):
        series = {"name": [DATA_SHEET, 0, col], "categories": [DATA_SHEET, 1, 0, n, 0],
                  "values": [DATA_SHEET, 1, col, n, col], "fill": {"color": color}, "border": {"none": True},
                  "gap": 70}
        if col == 1:
            series["data_labels"] = {"value": True, "num_format": "0.0",
                                     "font": {"name": FONT, "size": 8, "color": UNIT_COLOR, "bold": True}}
        chart.add_series(series)
    title = "各组成部分得分对比" if kind == COMPONENT else f"各考评{kind}得分率对比"
    chart.set_title({"name": title, "name_font": {"name": TITLE_FONT, "size": 11, "bold": True}})
    low = axis_floor(v for c in items for v in (c.score, c.average, c.best))
    chart.set_x_axis({"min": low, "max": 100, "major_unit": 10 if 100 - low <= 70 else 20,
                      "num_font": {"name": FONT, "size": 9},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                      "line": {"none": True}})
    chart.set_y_axis({"num_font": {"name": FONT, "size": 9}, "line": {"color": "#BFBFBF"}})
    chart.set_legend({"position": "top", "font": {"name": FONT, "size": 9}})
    chart.set_chartarea({"border": {"none": True}})
    height = 80 + n * 34
    chart.set_size({"width": width, "height": height})
    return chart, height


def radar_chart(wb: Workbook, data: Worksheet, fb: UnitFeedback, width: int) -> tuple[Chart, int] | None:
    """Score rates per dimension (or level, where there are fewer than three): the unit against its
    category's average."""
    radar = fb.radar
    n = len(radar)
    if n < 3:
        return None
    c0 = 6
    data.write_row(0, c0, [fb.radar_kind, "本单位", "同类平均"])
    for k, x in enumerate(radar, start=1):
        data.write_string(k, c0, x.name)
        for j, v in enumerate((x.rate, x.average), start=1):
            if is_missing(v):
                data.write_blank(k, c0 + j, None)
            else:
                data.write_number(k, c0 + j, round(v, 2))
    chart = wb.add_chart({"type": "radar", "subtype": "marker"})
    for col, color, dash, line in ((2, AVERAGE_COLOR, "dash", 1.75), (1, UNIT_COLOR, "solid", 2.5)):
        chart.add_series({
            "name": [DATA_SHEET, 0, c0 + col], "categories": [DATA_SHEET, 1, c0, n, c0],
            "values": [DATA_SHEET, 1, c0 + col, n, c0 + col],
            "line": {"color": color, "width": line, "dash_type": dash},
            "marker": {"type": "circle", "size": 5, "fill": {"color": color}, "border": {"color": color}},
        })
    low = axis_floor(v for x in radar for v in (x.rate, x.average))
    what = {DIMENSION: "各考评维度", LEVEL: "各考评层面", COMPONENT: "各组成部分"}[fb.radar_kind]
    chart.set_title({"name": f"{what}得分率对比", "name_font": {"name": TITLE_FONT, "size": 11, "bold": True}})
    chart.set_y_axis({"min": low, "max": 100, "major_unit": 10 if 100 - low <= 70 else 20,
                      "num_font": {"name": FONT, "size": 8, "color": "#7F7F7F"},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_x_axis({"num_font": {"name": FONT, "size": 9}})
    chart.set_legend({"position": "right", "font": {"name": FONT, "size": 9}})
    chart.set_chartarea({"border": {"none": True}})
    # the web as large as the page allows: left to itself, the plot shrinks to a third of the chart's height
    chart.set_plotarea({"layout": {"x": 0.22, "y": 0.23, "width": 0.56, "height": 0.64}})
    height = 330
    chart.set_size({"width": width, "height": height})
    return chart, height

"""feedback.report: one unit's feedback workbook, read-only and print-ready, written with XlsxWriter.

A portrait report sheet (title, figure cards, the narrative, component scores with a bar chart, dimension rates
with a radar chart, the main lost points), a landscape sheet listing every lost point, and a hidden sheet holding
the charts' data; rows are sized to their text (xlplugin.textfit) and page breaks keep each block on one page.
The numbers and words all come from xlplugin.feedback.analysis; this module only lays them out.
"""
from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import xlsxwriter
from xlsxwriter.chart import Chart

from ..files import safe_filename
from ..forms.meta import protection_password
from ..forms.write import BORDER, FONT, TITLE_FONT, _Sheet, close_atomically
from ..scheme import Period, Scheme, Unit
from ..textfit import TextFit
from .analysis import (COMPONENT, DIMENSION, EPS, TOP_LOST, Analysis, UnitFeedback, is_missing, narrative,
                       points_text, two_places, unit_feedback)
from .charts import DATA_SHEET, bar_chart, radar_chart

FILE_LABEL = "绩效反馈"
REPORT_SHEET, LOST_SHEET = "绩效反馈", "失分明细"

GRADE_COLORS = ["#548235", "#2F5597", "#BF8F00", "#C00000"]  # best grade first; the last one for the lowest


def file_name(scheme: Scheme, period: Period, unit: Unit) -> str:
    return safe_filename(f"{scheme.settings.year}{period.name}_{unit.code}_{unit.name}_{FILE_LABEL}") + ".xlsx"


# The workbook's default font is Arial 10: its digit is 7 px wide, as Calibri 11's, so XlsxWriter's pixel model
# (charts, column widths) holds in Excel, and LibreOffice has it metric for metric (Liberation Sans). With
# Calibri, which LibreOffice replaces by a wider font, the page shrank to ~77 % there and text wrapped
# differently from Excel; now a CJK character takes the same share of a column in both.
DEFAULT_FONT = {"font_name": "Arial", "font_size": 10}
DIGIT_PX, PADDING_PX = 7, 5
# Report sheet: A holds names, B..G numbers; 697 px = 523 pt, the width of portrait A4 inside 0.45" margins.
REPORT_WIDTHS = [26, 11.4, 11.4, 11.4, 11.4, 11.4, 11.4]
LOST_WIDTHS = [5, 8, 22, 30, 6.5, 6.5, 6.5, 38, 16]  # landscape A4 (a period column adds 7)
SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 0.45, 0.6, 0.7  # inches
PAGE_HEIGHT = 842 - (TOP_MARGIN + BOTTOM_MARGIN) * 72 - 6  # points a portrait A4 page holds, with some slack
CHART_ROW = 15  # points: the rows under a chart get this height, so its anchors mean the same everywhere
PROTECT = {"select_locked_cells": True, "select_unlocked_cells": True}
HEADINGS = tuple(f"{n}、" for n in "一二三四五六七八九十")


def _px(width: float) -> int:
    """A column's width in pixels, as XlsxWriter (and Excel, for a 7-px digit) computes it."""
    return int(width * DIGIT_PX + 0.5) + PADDING_PX if width >= 1 else int(width * (DIGIT_PX + PADDING_PX) + 0.5)


def text_fit(font_size: float) -> TextFit:
    """Arial's numbers: a CJK character is one em (font_size pt = 4/3 px per pt), other characters about half
    that, a column unit is 7 px less the cell's margins."""
    em = font_size * 4 / 3 / DIGIT_PX  # column units per CJK character
    return TextFit(cjk=em, other=em * 0.55, margin=1.2, spacing=1.4)


def text_height(texts: list[tuple[object, float]], font_size: float = 10, minimum: int = 1, pad: float = 6) -> float:
    """Points a row needs to show each (text, column width) in full (no application fits generated rows)."""
    return text_fit(font_size).row_height(texts, font_size, minimum, pad)


class _Report:
    """One unit's feedback workbook being written."""

    def __init__(self, path: Path, a: Analysis, fb: UnitFeedback, period: Period):
        self.path, self.a, self.fb, self.period = path, a, fb, period
        s = a.scheme.settings
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                                  "strings_to_numbers": False, "in_memory": True,
                                                  "default_format_properties": dict(DEFAULT_FONT),
                                                  "default_row_height": 17})  # Arial 10's row: 12.75 pt
        # scored before the year's last period: an interim result, labelled as such on every page
        self.interim = a.scheme.periods[-1].name not in a.periods
        self.title = (f"{s.year}年度{'' if period.name == '年终' else period.name}绩效考评结果反馈"
                      + ("（阶段性结果）" if self.interim else ""))
        self.wb.set_properties({"title": f"{fb.unit.name} {self.title}", "author": s.office, "company": s.office,
                                "comments": "由 xlplugin 生成；考评结果以绩效办公布的为准。"})
        self.wb.read_only_recommended()
        self.password = protection_password(s.key)
        self.page_width = sum(_px(w) for w in REPORT_WIDTHS)  # pixels: the charts span the report's columns
        self.heights: dict[int, float] = {}  # report rows' heights, for the page breaks
        self.blocks: list[tuple[int, int]] = []  # [first, last) rows to keep on one page
        f = self.wb.add_format
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        cell = {**base, "border": 1, "border_color": BORDER}
        card = {**base, "left": 1, "right": 1, "border_color": BORDER, "align": "center"}
        big = {**card, "font_name": TITLE_FONT, "font_size": 20, "bold": True, "font_color": "#1F3864"}
        grades = [g.name for g in a.scheme.grades]
        n = grades.index(fb.row["grade"]) if fb.row["grade"] in grades else 0
        grade_color = GRADE_COLORS[-1] if n == len(grades) - 1 and n else GRADE_COLORS[min(n, len(GRADE_COLORS) - 2)]
        self.fmt = {
            "title": f({"font_name": TITLE_FONT, "font_size": 18, "bold": True, "align": "center", "valign": "vcenter",
                        "font_color": "#1F3864"}),
            "subtitle": f({**base, "align": "center", "font_color": "#404040"}),
            "section": f({"font_name": TITLE_FONT, "font_size": 12, "bold": True, "valign": "vcenter",
                          "font_color": "#1F3864", "bottom": 2, "bottom_color": "#1F3864"}),
            "card_label": f({**card, "bold": True, "bg_color": "#DDEBF7", "font_color": "#1F3864", "top": 1}),
            "card_value": f({**big, "num_format": "0.00"}),
            "card_rank": f({**big, "num_format": '"第 "0" 名"'}),
            "card_grade": f({**big, "font_color": grade_color}),
            "card_note": f({**card, "font_size": 9, "font_color": "#595959", "bottom": 1, "text_wrap": True}),
            "heading": f({**cell, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#D9E1F2"}),
            "name": f({**cell, "text_wrap": True, "indent": 1}),
            "name_bold": f({**cell, "text_wrap": True, "bold": True, "bg_color": "#F2F2F2", "indent": 1}),
            "name_indent": f({**cell, "text_wrap": True, "indent": 2}),
            "text": f({**cell, "text_wrap": True, "indent": 1}),
            "center": f({**cell, "align": "center"}),
            "num": f({**cell, "align": "center", "num_format": "0.00"}),
            "num_bold": f({**cell, "align": "center", "num_format": "0.00", "bold": True, "bg_color": "#F2F2F2"}),
            "pts": f({**cell, "align": "center", "num_format": "0.##;-0.##;0"}),
            "pts_bold": f({**cell, "align": "center", "num_format": "0.##;-0.##;0", "bold": True,
                           "bg_color": "#F2F2F2"}),
            "pts_lost": f({**cell, "align": "center", "num_format": "0.##", "font_color": "#C00000", "bold": True}),
            "int": f({**cell, "align": "center", "num_format": "0"}),
            "int_bold": f({**cell, "align": "center", "num_format": "0", "bold": True, "bg_color": "#F2F2F2"}),
            "diff": f({**cell, "align": "center", "num_format": "+0.00;-0.00;0.00"}),
            "blank_bold": f({**cell, "bg_color": "#F2F2F2"}),
            "para": f({**base, "font_size": 11, "text_wrap": True, "valign": "top"}),
            "para_head": f({**base, "font_name": TITLE_FONT, "font_size": 11, "bold": True}),
            "note": f({**base, "font_size": 9, "font_color": "#595959", "text_wrap": True, "valign": "top"}),
            "up": f({"font_color": "#38761D"}),  # conditional: above the category average
            "down": f({"font_color": "#C00000"}),
        }

    # ------------------------------------------------------------------------------------- sheet set-up

    def sheet(self, name: str, landscape: bool = False):
        ws = self.wb.add_worksheet(name, worksheet_class=_Sheet)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=TOP_MARGIN, bottom=BOTTOM_MARGIN)
        ws.center_horizontally()
        ws.fit_to_pages(1, 0)
        ws.hide_gridlines(2)
        s = self.a.scheme.settings
        ws.set_footer(f"&L{_escape(self.fb.unit.name)}&C第 &P 页，共 &N 页&R{_escape(s.office)}", {"margin": 0.3})
        ws.protect(self.password, PROTECT)
        return ws

    def height(self, ws, row: int, points: float) -> None:
        ws.set_row(row, points)
        self.heights[row] = points

    # ------------------------------------------------------------------------------------------ writing

    def write(self) -> Path:
        report = self.sheet(REPORT_SHEET)
        lost = self.sheet(LOST_SHEET, landscape=True)
        self.data = self.wb.add_worksheet(DATA_SHEET)  # the charts' data, hidden (last: a first sheet must show)
        self.report(report)
        self.lost_sheet(lost)
        self.data.protect(self.password, {})
        self.data.hide()
        report.activate()
        return self._save()

    def report(self, ws) -> None:
        for i, w in enumerate(REPORT_WIDTHS):
            ws.set_column(i, i, w)
        row = self.header(ws)
        row = self.narrative(ws, row)
        row = self.components(ws, row)
        row = self.dimensions(ws, row)
        row = self.top_lost(ws, row)
        ws.print_area(0, 0, row - 1, len(REPORT_WIDTHS) - 1)
        ws.set_h_pagebreaks(self.page_breaks())

    def page_breaks(self) -> list[int]:
        """Start a new page before a block that would not fit on the current one (a block taller than a page
        simply flows on)."""
        breaks, used = [], 0.0
        for first, last in self.blocks:
            h = sum(self.heights.get(r, 12.75) for r in range(first, last))
            if used and used + h > PAGE_HEIGHT:
                breaks.append(first)
                used = 0.0
            used = (used + h) % PAGE_HEIGHT if h > PAGE_HEIGHT else used + h
        return breaks

    def header(self, ws) -> int:
        """Title, the unit, and four cards: total, grade, rank overall and within the category."""
        a, fb, r = self.a, self.fb, self.fb.row
        last = len(REPORT_WIDTHS) - 1
        self._merge(ws, 0, 0, 0, last, self.title, "title")
        self.height(ws, 0, 36)
        period = f"　　考评期：{self.period.name}" if self.period.name != "年终" or len(a.periods) > 1 else ""
        if self.interim:
            period += f"　　阶段性结果，覆盖：{'、'.join(a.periods)}"
        self._merge(ws, 1, 0, 1, last, f"被考评单位：{fb.unit.name}（{fb.unit.code}）　　类别：{fb.unit.category}"
                                       f"{period}　　反馈日期：{date.today():%Y年%m月%d日}", "subtitle")
        self.height(ws, 1, 20)
        self.height(ws, 2, 8)
        top = 3
        cards = [(0, 0), (1, 2), (3, 4), (5, 6)]
        bonus = f"，加分 {two_places(r['bonus'])}" if r["bonus"] else ""
        grade_note = (f"一票否决，由“{r['grade_by_score']}”降为“{r['grade']}”" if r["veto"]
                      else _grade_rule(a.scheme, r["grade"]))
        notes = [f"考评得分 {two_places(r['total'])}{bonus}", grade_note, f"共 {len(a.units)} 个被考评单位",
                 f"{fb.unit.category}共 {int(r['category_size'])} 个单位"]
        for (c0, c1), label in zip(cards, ["总分", "等次", "总排名", "类别排名"]):
            self._merge(ws, top, c0, top, c1, label, "card_label")
        self._merge_number(ws, top + 1, 0, 0, round(float(r["final"]), 4), "card_value")
        self._merge(ws, top + 1, 1, top + 1, 2, str(r["grade"]), "card_grade")
        self._merge_number(ws, top + 1, 3, 4, int(r["rank"]), "card_rank")
        self._merge_number(ws, top + 1, 5, 6, int(r["category_rank"]), "card_rank")
        for (c0, c1), note in zip(cards, notes):
            self._merge(ws, top + 2, c0, top + 2, c1, note, "card_note")
        self.height(ws, top, 20)
        self.height(ws, top + 1, 36)
        self.height(ws, top + 2, text_height([(n, sum(REPORT_WIDTHS[c0:c1 + 1])) for (c0, c1), n in zip(cards, notes)],
                                             font_size=9))
        self.height(ws, top + 3, 10)
        self.blocks.append((0, top + 4))
        return top + 4

    def section(self, ws, row: int, title: str) -> int:
        self._merge(ws, row, 0, row, len(REPORT_WIDTHS) - 1, title, "section")
        self.height(ws, row, 26)
        return row + 1

    def note(self, ws, row: int, text: str) -> int:
        self._merge(ws, row, 0, row, len(REPORT_WIDTHS) - 1, text, "note")
        self.height(ws, row, text_height([(text, sum(REPORT_WIDTHS))], font_size=9, pad=4))
        return row + 1

    def narrative(self, ws, row: int) -> int:
        """The text rendered from the template: a heading line stays with the paragraph after it."""
        start = row
        row = self.section(ws, row, "综合评价")
        width, last = sum(REPORT_WIDTHS), len(REPORT_WIDTHS) - 1
        block = start
        for line in narrative(self.a, self.fb, self.period):
            if not line:
                self.height(ws, row, 6)
                row += 1
                continue
            head = line.lstrip().startswith(HEADINGS)
            if head:
                self.blocks.append((block, row))
                block = row
            self._merge(ws, row, 0, row, last, line, "para_head" if head else "para")
            self.height(ws, row, 22 if head else text_height([(line, width)], font_size=11, pad=5))
            row += 1
            if not head:
                self.blocks.append((block, row))
                block = row
        self.height(ws, row, 12)
        self.blocks.append((block, row + 1))
        return row + 1

    def heading_row(self, ws, row: int, heads: list[str]) -> int:
        """A table's header row; returns the row below it."""
        for i, h in enumerate(heads):
            ws.write_string(row, i, h, self.fmt["heading"])
        self.height(ws, row, 22)
        return row + 1

    def components(self, ws, row: int) -> int:
        """Each component's 0-100 score against the category's average and best, its points, and a bar chart."""
        fb, s = self.fb, self.a.scheme.settings
        start = row
        row = self.section(ws, row, "各组成部分得分")
        row = self.heading_row(ws, row, ["组成部分", "权重(%)", "本单位得分", "同类平均", "同类最高", "与平均相差", "折合分数"])
        first = row
        for c in fb.components:
            ws.write_string(row, 0, c.component, self.fmt["name"])
            ws.write_number(row, 1, c.weight, self.fmt["pts"])
            for i, v in enumerate((c.score, c.average, c.best), start=2):
                ws.write_number(row, i, round(v, 4), self.fmt["num"])
            ws.write_number(row, 5, round(c.diff, 4), self.fmt["diff"])
            ws.write_number(row, 6, round(c.points, 4), self.fmt["num"])
            self.height(ws, row, text_height([(c.component, REPORT_WIDTHS[0])], pad=7))
            row += 1
        if row > first:
            for criteria, fmt in (("greater than", "up"), ("less than", "down")):
                ws.conditional_format(first, 5, row - 1, 5, {"type": "cell", "criteria": criteria,
                                                             "value": EPS if fmt == "up" else -EPS,
                                                             "format": self.fmt[fmt]})
        ws.write_string(row, 0, "考评得分（加权合计）", self.fmt["name_bold"])
        ws.write_number(row, 1, round(sum(c.weight for c in fb.components), 4), self.fmt["pts_bold"])
        for i in range(2, 6):
            ws.write_blank(row, i, None, self.fmt["blank_bold"])
        ws.write_number(row, 6, round(float(fb.row["total"]), 4), self.fmt["num_bold"])
        self.height(ws, row, 20)
        row += 1
        cap = s.total_cap if s.total_cap is not None and not math.isnan(s.total_cap) else None
        text = (f"注：各组成部分得分为百分制；折合分数 = 得分 × 权重 ÷ 100 × 基本分 {s.base:g} ÷ 100，合计即考评得分；"
                f"总分 = 考评得分 + 加分{f'（不超过 {cap:g} 分）' if cap else ''}。")
        if len(self.a.periods) > 1:
            text += f"得分为各考评期（{'、'.join(self.a.periods)}）按权重的加权值。"
        row = self.note(ws, row, text)
        self.height(ws, row, 10)
        row += 1
        if self.fb.compare_kind == COMPONENT:
            row = self.bar_chart(ws, row)
        self.blocks.append((start, row))
        return row

    def dimensions(self, ws, row: int) -> int:
        """Score rates per dimension, with its levels beneath, and the radar chart."""
        fb = self.fb
        start = row
        row = self.section(ws, row, "各考评维度得分率")
        row = self.heading_row(ws, row, ["考评维度 / 层面", "指标项数", "分值", "得分", "得分率(%)", "同类平均(%)", "同类最高(%)"])
        for d in fb.dimensions:
            bold = d.level == DIMENSION
            ws.write_string(row, 0, d.name, self.fmt["name_bold" if bold else "name_indent"])
            ws.write_number(row, 1, d.count, self.fmt["int_bold" if bold else "int"])
            for i, v in enumerate((d.max, d.score, d.rate, d.average, d.best), start=2):
                fmt = self.fmt[("pts" if i < 4 else "num") + ("_bold" if bold else "")]
                if is_missing(v):
                    ws.write_blank(row, i, None, fmt)
                else:
                    ws.write_number(row, i, round(v, 4), fmt)
            self.height(ws, row, text_height([(d.name, REPORT_WIDTHS[0] - 2)], pad=7))
            row += 1
        row = self.note(ws, row, "注：得分率 = 该维度（层面）各项指标得分之和 ÷ 分值之和 × 100；"
                                 "同类平均、同类最高按同类单位的得分率计算。")
        self.height(ws, row, 10)
        row += 1
        self.blocks.append((start, row))
        if self.fb.compare_kind != COMPONENT:
            start = row
            row = self.bar_chart(ws, row)
            self.blocks.append((start, row))
        start = row
        row = self.radar_chart(ws, row)
        self.blocks.append((start, row))
        return row

    def top_lost(self, ws, row: int) -> int:
        """The indicators that lost most (in the feedback's period), the full list on the next sheet."""
        fb, last = self.fb, len(REPORT_WIDTHS) - 1
        lost = fb.focus_lost
        start = row
        row = self.section(ws, row, f"主要失分指标（{fb.focus}）" if fb.multi_period else "主要失分指标")
        if lost:
            spans = [(0, 0), (1, 1), (2, 2), (3, 3), (4, last)]
            for (c0, c1), h in zip(spans, ["指标", "分值", "得分", "失分", "扣分原因（考评部门）"]):
                self._merge(ws, row, c0, row, c1, h, "heading")
            self.height(ws, row, 22)
            row += 1
            reason_width = sum(REPORT_WIDTHS[4:])
            for i in lost[:TOP_LOST]:
                reason = f"{i.reason}（{i.evaluator}）"
                ws.write_string(row, 0, i.name, self.fmt["name"])
                ws.write_number(row, 1, i.max, self.fmt["pts"])
                ws.write_number(row, 2, round(i.score, 4), self.fmt["pts"])
                ws.write_number(row, 3, round(i.lost, 4), self.fmt["pts_lost"])
                self._merge(ws, row, 4, row, last, reason, "text")
                self.height(ws, row, text_height([(i.name, REPORT_WIDTHS[0]), (reason, reason_width)], pad=7))
                row += 1
            more = f"共 {len(lost)} 项指标失分，合计 {points_text(sum(i.lost for i in lost))} 分；"
        else:
            more = "各项指标均得满分；"
        more += f"{'各考评期的' if fb.multi_period else ''}逐项明细见“{LOST_SHEET}”工作表。" if fb.lost else ""
        row = self.note(ws, row, more.rstrip("；") + ("" if fb.lost else "。"))
        self.blocks.append((start, row))
        return row

    def _chart_rows(self, ws, row: int, height_px: int) -> int:
        rows = math.ceil(height_px * 0.75 / CHART_ROW)
        for r in range(row, row + rows):
            self.height(ws, r, CHART_ROW)
        self.height(ws, row + rows, 10)
        return row + rows + 1

    def bar_chart(self, ws, row: int) -> int:
        return self._chart(ws, row, bar_chart(self.wb, self.data, self.fb, self.page_width))

    def radar_chart(self, ws, row: int) -> int:
        return self._chart(ws, row, radar_chart(self.wb, self.data, self.fb, self.page_width))

    def _chart(self, ws, row: int, made: tuple[Chart, int] | None) -> int:
        """Put a chart (if there is one) at `row`, across the page; returns the row below it."""
        if made is None:
            return row
        chart, height = made
        ws.insert_chart(row, 0, chart, {"x_offset": 0, "y_offset": 0, "object_position": 1})
        return self._chart_rows(ws, row, height)

    def lost_sheet(self, ws) -> None:
        """Every indicator that lost points, most first, with the evaluator's reason (landscape, header repeated)."""
        a, fb = self.a, self.fb
        multi = len(a.periods) > 1
        widths = list(LOST_WIDTHS)
        heads = ["序号", "指标代码", "指标名称", "考评维度 / 层面", "分值", "得分", "失分", "扣分原因", "考评部门"]
        if multi:
            heads.insert(1, "考评期")
            widths.insert(1, 7)
        last = len(heads) - 1
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        self._merge(ws, 0, 0, 0, last, f"{fb.unit.name} · {self.title.replace('结果反馈', '')}失分明细", "title")
        ws.set_row(0, 34)
        sub = (f"共 {len(fb.lost)} {'项次' if multi else '项指标'}失分，合计失分 {points_text(fb.lost_total)} 分，"
               f"{'各考评期内' if multi else ''}按失分从多到少排列。"
               if fb.lost else "各项指标均得满分，无失分。")
        self._merge(ws, 1, 0, 1, last, sub, "subtitle")
        ws.set_row(1, 20)
        h = 3
        for i, head in enumerate(heads):
            ws.write_string(h, i, head, self.fmt["heading"])
        ws.set_row(h, 24)
        ws.repeat_rows(h)
        ws.freeze_panes(h + 1, 0)
        for n, i in enumerate(fb.lost, start=1):
            r = h + n
            values = [n, *([i.period] if multi else []), i.indicator, i.name, f"{i.dimension} / {i.level}",
                      i.max, round(i.score, 4), round(i.lost, 4), i.reason, i.evaluator]
            for col, v in enumerate(values):
                if isinstance(v, (int, float)):
                    fmt = "pts_lost" if heads[col] == "失分" else ("int" if heads[col] == "序号" else "pts")
                    ws.write_number(r, col, v, self.fmt[fmt])
                else:
                    ws.write_string(r, col, str(v), self.fmt["center" if heads[col] in ("考评期", "指标代码") else "text"])
            ws.set_row(r, text_height(list(zip(values, widths)), pad=7))
        if fb.lost:
            r = h + len(fb.lost) + 1
            span = heads.index("分值") - 1
            self._merge(ws, r, 0, r, span, "合计", "name_bold")
            ws.write_number(r, span + 1, round(sum(i.max for i in fb.lost), 4), self.fmt["pts_bold"])
            ws.write_number(r, span + 2, round(sum(i.score for i in fb.lost), 4), self.fmt["pts_bold"])
            ws.write_number(r, span + 3, round(fb.lost_total, 4), self.fmt["pts_bold"])
            for col in range(span + 4, last + 1):
                ws.write_blank(r, col, None, self.fmt["blank_bold"])
            ws.set_row(r, 20)

    # ----------------------------------------------------------------------------------------- helpers

    def _merge(self, ws, r0: int, c0: int, r1: int, c1: int, text: str, fmt: str) -> None:
        if (r0, c0) == (r1, c1):
            ws.write_string(r0, c0, text, self.fmt[fmt])
        else:
            ws.merge_range(r0, c0, r1, c1, "", self.fmt[fmt])
            ws.write_string(r0, c0, text, self.fmt[fmt])  # as a string, whatever it starts with

    def _merge_number(self, ws, row: int, c0: int, c1: int, value: float, fmt: str) -> None:
        if c0 != c1:
            ws.merge_range(row, c0, row, c1, "", self.fmt[fmt])
        ws.write_number(row, c0, value, self.fmt[fmt])

    def _save(self) -> Path:
        return close_atomically(self.wb, self.path)


def _grade_rule(scheme: Scheme, grade: str) -> str:
    grades = list(scheme.grades)
    for n, g in enumerate(grades):
        if g.name == grade:
            if n == len(grades) - 1:
                return f"{grades[n - 1].lower:g} 分以下" if n else ""
            upper = f"，{grades[n - 1].lower:g} 分以下" if n else ""
            return f"{g.lower:g} 分及以上{upper}"
    return ""


def _escape(text: str) -> str:
    return text.replace("&", "&&")


def write_unit_feedback(a: Analysis, code: str, period: Period, folder: Path) -> Path:
    fb = unit_feedback(a, code)
    return _Report(Path(folder) / file_name(a.scheme, period, fb.unit), a, fb, period).write()

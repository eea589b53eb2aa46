"""Lays out a form workbook with XlsxWriter from the declarations in `spec`: locked definitions, highlighted
input cells, validation, print set-up, protection and the signed meta sheet; and what every kind's form opens
with (instructions, subtitle, validations).

One piece (~700 lines) on purpose: the lean sheet-data writer overrides XlsxWriter internals and must stay next to
the FormWriter that feeds it (cell tuples, row info, cached formats), so both change together.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (CellBlankTuple, CellDatetimeTuple, CellFormulaTuple, CellNumberTuple,
                                  CellStringTuple, Worksheet)

from ..files import write_atomically
from ..scheme import HIGHER, LOWER, REACH, Period, Scheme
from ..templating import render_lines
from ..textfit import TextFit
from .spec import DEF, FORMULA, GROUP, INPUT, SUBTOTAL, TOTAL, BodyRow, Field, Grid, canonical, FormSpec, Recipient
from .meta import MAP_HEADER_ROW, MAP_LABEL, META_FIELDS, META_SHEET, Meta, encode_rows, protection_password
from .printfit import PAPERS, SheetPrint, lay_out_across, lay_out_down, widths_of

FONT = "宋体"
TITLE_FONT = "黑体"
INPUT_FILL = "#FFF2CC"
CJK_WIDTH = 1.55  # a CJK character of the body font, in column-width units (measured on LibreOffice's PDF)
FORM_TEXT = TextFit(cjk=CJK_WIDTH, other=1, margin=1.5, spacing=1.35)  # the body font's numbers for textfit
# The instructions column: narrow enough for portrait A4 even where the default font (Calibri) is replaced
# by a wider one, as LibreOffice does without it; one column cannot be split across pages.
INSTRUCTIONS_WIDTH = 72
MAX_ROW_HEIGHT = 409  # points: Excel's tallest row
BORDER = "#8C8C8C"

PROTECT_OPTIONS = {
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "format_rows": True,  # clerks may heighten rows to read long explanations
    "format_columns": True,
}


class _Sheet(Worksheet):
    """XlsxWriter's worksheet, faster where a form spends its time (XlsxWriter's internals, hence the pin
    `xlsxwriter>=3.2,<4` in pyproject):

    - no search for Excel 365 function names: ~30 regex passes per formula, for functions our formulas
      (IF, AND, ISNUMBER, SUM) never use;
    - `<sheetData>` written in one go, producing byte for byte XlsxWriter's own XML: its per-cell writer
      (attribute lists, escaping of known-safe values, one file write per cell) was a third of a form's time.
    """

    #: rows whose height is written without customHeight: Excel, WPS and LibreOffice show the height given, and fit
    #: the row to its text again when the clerk types into it (LibreOffice marks such rows "optimal height")
    auto_rows: set[int] | frozenset[int] = frozenset()  # FormWriter.sheet gives each form sheet its own set

    def _prepare_formula(self, formula, expand_future_functions=False):
        return formula[1:] if formula.startswith("=") else formula

    def put_row(self, row: int, cells: list[tuple[int, object, object]]) -> None:
        """Store a row's cells, each (column, value, format), as `write_string` (a str), `write_number`
        (a number), `write_blank` (None) or `write_formula` (a _FormulaValue) would, without their per-cell
        argument parsing and bounds checks (done once here)."""
        if not cells:
            return
        cols = [c for c, _, _ in cells]
        if self.constant_memory or self._check_dimensions(row, min(cols)) or self._check_dimensions(row, max(cols)):
            for col, value, fmt in cells:  # XlsxWriter's own path (and its errors)
                if value is None:
                    self.write_blank(row, col, None, fmt)
                elif isinstance(value, str):
                    self.write_string(row, col, value, fmt)
                elif isinstance(value, _FormulaValue):
                    self.write_formula(row, col, value.formula, fmt, value.value)
                else:
                    self.write_number(row, col, value, fmt)
            return
        line = self.table[row]
        shared = self.str_table._get_shared_string_index
        half_max = self.xls_strmax // 2
        for col, value, fmt in cells:
            if value is None:
                if fmt is not None:
                    line[col] = _Blank(fmt)
            elif value.__class__ is str:
                if len(value) > half_max:
                    self._write_string(row, col, value, fmt)  # may need truncating
                else:
                    line[col] = _String(shared(value), fmt)
            elif value.__class__ is _FormulaValue:
                self._write_formula(row, col, value.formula, fmt, value.value)
            elif isinstance(value, float) and not math.isfinite(value):
                self._write_number(row, col, value, fmt)  # XlsxWriter's NaN/inf handling
            else:
                line[col] = _Number(value, fmt)

    def _write_sheet_data(self) -> None:
        if self.dim_rowmin is None or self.constant_memory or self.comments:
            return super()._write_sheet_data()  # nothing to write, or cases the forms never have
        self.fh.write("<sheetData>")
        self._write_rows_fast()
        self.fh.write("</sheetData>")

    def _write_rows_fast(self) -> None:
        table, row_info, col_info = self.table, self.row_info, self.col_info
        rowmin, rowmax = self.dim_rowmin, self.dim_rowmax
        spans: dict[int, list[int]] = {}  # the "spans" of each block of 16 rows, as XlsxWriter computes them
        for r, cells in table.items():
            if cells and rowmin <= r <= rowmax:
                block = spans.get(r // 16)
                lo, hi = min(cells), max(cells)
                if block is None:
                    spans[r // 16] = [lo, hi]
                else:
                    block[0] = min(block[0], lo)
                    block[1] = max(block[1], hi)
        span_text = {k: f"{lo + 1}:{hi + 1}" for k, (lo, hi) in spans.items()}
        rows = sorted({r for r, cells in table.items() if cells} | set(row_info))
        xfs: dict[object, str] = {}  # format -> ' s="n"' (formats hash by identity)

        def style(fmt) -> str:
            s = xfs.get(fmt)
            if s is None:
                s = xfs[fmt] = f' s="{fmt._get_xf_index()}"'
            return s

        col_styles = {c: style(info.column_format) for c, info in col_info.items() if info.column_format is not None}
        letters: dict[int, str] = {}
        out: list[str] = []
        write = out.append
        for r in rows:
            if r < rowmin or r > rowmax:
                continue
            info = row_info.get(r)
            cells = table.get(r)
            write(self._row_tag(r, span_text.get(r // 16), info, empty=not cells))
            if not cells:
                continue
            row_style = style(info.row_format) if info is not None and info.row_format else None
            n = str(r + 1)
            for c in sorted(cells):
                cell = cells[c]
                letter = letters.get(c)
                if letter is None:
                    letter = letters[c] = xl_col_to_name(c)
                fmt = cell.format
                s = xfs.get(fmt) if fmt else (row_style or col_styles.get(c, ""))
                if s is None:
                    s = style(fmt)
                kind = cell.__class__
                if kind is _String:
                    write(f'<c r="{letter}{n}"{s} t="s"><v>{cell.string}</v></c>')
                elif kind is _Blank:
                    write(f'<c r="{letter}{n}"{s}/>')
                elif kind is _Number or kind is _Datetime:
                    write(f'<c r="{letter}{n}"{s}><v>{cell.number:.16G}</v></c>')
                elif kind is _Formula:
                    value = cell.value
                    t = ""
                    if isinstance(value, bool):
                        t, value = ' t="b"', int(value)
                    elif isinstance(value, str):
                        if value in _ERROR_CODES:
                            t = ' t="e"'
                        elif value:
                            t = ' t="str"'
                        value = _xml_escape(value)
                    write(f'<c r="{letter}{n}"{s}{t}><f>{_xml_escape(cell.formula)}</f><v>{value}</v></c>')
                else:  # rich strings, booleans, array formulas, errors: XlsxWriter's own writer
                    self.fh.write("".join(out))
                    out.clear()
                    super()._write_cell(r, c, cell)
            write("</row>")
        self.fh.write("".join(out))

    def _row_tag(self, row: int, spans, info, empty: bool) -> str:
        """XlsxWriter's `_write_row`, returning the tag instead of writing it."""
        if info is not None:
            height, row_format, hidden, level, collapsed = (info.height, info.row_format, info.hidden,
                                                            info.level, info.collapsed)
        else:
            height, row_format, hidden, level, collapsed = None, None, 0, 0, 0
        if height is None:
            height = self.default_row_height
        tag = f'<row r="{row + 1}"'
        if spans:
            tag += f' spans="{spans}"'
        xf_index = row_format._get_xf_index() if row_format else 0
        if xf_index:
            tag += f' s="{xf_index}"'
        if row_format:
            tag += ' customFormat="1"'
        custom = height != self.original_row_height or height != self.default_row_height
        if custom:
            tag += f' ht="{height * 0.75:.16g}"'
        if hidden:
            tag += ' hidden="1"'
        if custom and row not in self.auto_rows:
            tag += ' customHeight="1"'
        if level:
            tag += f' outlineLevel="{level}"'
        if collapsed:
            tag += ' collapsed="1"'
        if self.excel_version == 2010:
            tag += ' x14ac:dyDescent="0.25"'
        return tag + ("/>" if empty else ">")


class _FormulaValue(NamedTuple):
    formula: str
    value: object


_String, _Blank, _Number, _Datetime, _Formula = (CellStringTuple, CellBlankTuple, CellNumberTuple,
                                                 CellDatetimeTuple, CellFormulaTuple)
_ERROR_CODES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))


def _xml_escape(text: str) -> str:
    """XlsxWriter's `_escape_data`: &, < and > (Excel leaves double quotes as they are)."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class FormWriter:
    """One form workbook being written. Close it to get the file (written atomically)."""

    def __init__(self, path: Path, key: str, meta: Meta, paper: str = "A4"):
        self.path = Path(path)
        self.paper = paper if paper in PAPERS else "A4"
        self.prints: dict[str, SheetPrint] = {}  # each sheet's print plan, laid out on close
        self.key = key
        self.meta = meta
        self.definitions: list[list[str]] = []
        self.wb = xlsxwriter.Workbook(
            str(self.path),  # replaced by a temp path in close(); XlsxWriter only opens it there
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "in_memory": True,
            },
        )
        self.wb.set_properties({"title": f"{meta.recipient_name} {meta.period}", "author": "xlplugin",
                                "comments": "由 xlplugin 生成；请勿修改锁定内容。"})
        f = self.wb.add_format
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter", "border": 1, "border_color": BORDER}
        self.fmt = {
            "title": f({"font_name": TITLE_FONT, "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"}),
            "subtitle": f({"font_name": FONT, "font_size": 10, "align": "left", "valign": "vcenter", "text_wrap": True}),
            "note": f({"font_name": FONT, "font_size": 10, "font_color": "#7F6000", "valign": "vcenter", "text_wrap": True}),
            "header": f({**base, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#D9E1F2"}),
            "def": f({**base, "text_wrap": True}),
            "def_num": f({**base, "align": "center"}),
            "input": f({**base, "text_wrap": True, "locked": False, "bg_color": INPUT_FILL}),
            "input_num": f({**base, "align": "center", "locked": False, "bg_color": INPUT_FILL}),
            "input_date": f({**base, "align": "center", "locked": False, "bg_color": INPUT_FILL,
                             "num_format": "yyyy-mm-dd"}),
            "input_block": f({**base, "text_wrap": True, "locked": False, "bg_color": INPUT_FILL, "valign": "top"}),
            "formula": f({**base, "align": "center", "bg_color": "#F2F2F2"}),
            "group": f({**base, "bold": True, "bg_color": "#E2EFDA"}),
            # a group row is one band: outer borders only, so the label can run across its blank cells
            "group_first": f({**base, "bold": True, "bg_color": "#E2EFDA", "right": 0}),
            "group_mid": f({**base, "bg_color": "#E2EFDA", "left": 0, "right": 0}),
            "group_last": f({**base, "bg_color": "#E2EFDA", "left": 0}),
            "subtotal": f({**base, "bold": True, "align": "center", "bg_color": "#F2F2F2"}),
            "label": f({**base, "bold": True, "bg_color": "#F2F2F2", "text_wrap": True}),
            "label_top": f({**base, "bold": True, "bg_color": "#F2F2F2", "text_wrap": True, "valign": "top"}),
            "section": f({"font_name": TITLE_FONT, "font_size": 12, "bold": True, "valign": "vcenter"}),
            "text": f({"font_name": FONT, "font_size": 11, "text_wrap": True, "valign": "top"}),
            "stamp": f({**base, "font_color": "#A6A6A6", "align": "right", "valign": "bottom"}),
        }
        self._num_fmts: dict[str, object] = {}
        self._lists = None
        self._list_col = 0

    # ---------------------------------------------------------------------------------------- sheets

    def sheet(self, name: str, landscape: bool = True, paper: str | None = None):
        """A form sheet: on the form's paper (设置's 纸张) unless told (documents are A4 portrait), protected."""
        ws = self.wb.add_worksheet(name, worksheet_class=_Sheet)
        ws.auto_rows = set()
        paper = paper or self.paper
        ws.set_paper(PAPERS[paper][0])
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        self.prints[name] = SheetPrint(landscape=landscape, paper=paper)  # scale and page breaks: printfit, on close
        right = _escape(f"{self.meta.year}年度{self.meta.period}")
        ws.set_footer(f"&L{_escape(self.meta.recipient_name)}&C第 &P 页，共 &N 页&R{right}")
        ws.protect(protection_password(self.key), PROTECT_OPTIONS)
        return ws

    def instructions(self, title: str, lines: list[str]) -> None:
        ws = self.sheet("填表说明", landscape=False, paper="A4")
        ws.set_column(0, 0, INSTRUCTIONS_WIDTH)
        ws.write_string(0, 0, title, self.fmt["title"])
        ws.set_row(0, 30)
        for i, line in enumerate(lines, start=2):
            section = line.startswith(("一、", "二、", "三、", "四、", "五、"))
            ws.write_string(i, 0, line, self.fmt["section" if section else "text"])
            ws.set_row(i, row_height([(line, INSTRUCTIONS_WIDTH)], font_size=12 if section else 11, pad=6 if section else 3))
        ws.activate()

    def title_block(self, ws, width: int, title: str, subtitle: str, note: str | None = None) -> None:
        ws.merge_range(0, 0, 0, width - 1, title, self.fmt["title"])
        ws.set_row(0, 32)
        self.prints[ws.name].title = title
        ws.merge_range(1, 0, 1, width - 1, subtitle, self.fmt["subtitle"])
        titles = self.prints[ws.name].titles
        titles[1] = (subtitle, 10)
        if note:
            ws.merge_range(2, 0, 2, width - 1, note, self.fmt["note"])
            titles[2] = (note, 10)

    def grid(self, grid: Grid, rows: list[BodyRow], *, lists: dict[str, list[str]] | None = None,
             validations: dict[str, dict] | None = None, freeze_cols: int = 1, repeat: bool = True,
             freeze: bool = True, min_lines: int = 2, hidden: frozenset[str] = frozenset()):
        """Write a table: header, body rows (data, group, subtotal, total) and validations; return the sheet.

        `validations` maps an input column key to an XlsxWriter data_validation dict; the placeholder
        '{max}' in it is replaced by a reference to the row's own max-points cell. Columns whose key is in
        `hidden` are there (and read as usual) but not shown on this form. A group row whose label has several
        lines (a heading, then e.g. an indicator's rule) is merged across the table and as tall as it needs.
        """
        ws = self.wb.get_worksheet_by_name(grid.sheet) or self.sheet(grid.sheet)
        for i, col in enumerate(grid.columns):
            ws.set_column(i, i, col.width, None, {"hidden": True} if col.key in hidden else None)
        shown_width = sum(c.width for c in grid.columns if c.key not in hidden)
        h = grid.header_row
        for i, col in enumerate(grid.columns):
            ws.write_string(h, i, col.header + (" ★" if col.role == INPUT and col.required else ""), self.fmt["header"])
        ws.set_row(h, 30)
        sp = self.prints[grid.sheet]
        if repeat:
            ws.repeat_rows(h)
            sp.repeated_row = h
        if freeze:
            ws.freeze_panes(h + 1, freeze_cols)
        sp.keep = freeze_cols if freeze else 0
        sp.prefer = next((i for i, c in enumerate(grid.columns) if c.role != DEF), None)
        sp.table_from = h + 1
        together = sp.with_next = sp.with_next or set()
        letters = {c.key: xl_col_to_name(i) for i, c in enumerate(grid.columns)}
        sum_cols = [i for i, c in enumerate(grid.columns) if c.numeric and c.role in (DEF, INPUT)]
        last_subtotal = h  # a subtotal sums the data rows since the previous subtotal
        subtotal_rows: list[int] = []
        data_rows: list[int] = []
        cached: dict[tuple[int, int], float] = {}  # known sums, as cached formula results
        runs: list[list[int]] = []  # contiguous data rows, for one validation per run
        width = len(grid.columns)
        columns = []  # per column: index, role, key, number format (or its name), other format, formula
        for i, col in enumerate(grid.columns):
            if col.role == DEF:
                columns.append((i, DEF, col.key, col.number_format, self.fmt["def"], None))
            elif col.role == INPUT:
                columns.append((i, INPUT, col.key, None, self.fmt["input_num" if col.numeric else "input"], None))
            elif col.role == FORMULA:
                columns.append((i, FORMULA, col.key, self._fmt("formula", col.number_format), None, _FORMULAS[col.key]))
        for n, body in enumerate(rows):
            r = h + 1 + n
            self.meta.rows.append((grid.sheet, r, body.id))
            if body.id.startswith(GROUP) and "\n" in body.label:
                self._heading(ws, r, width, body.label, shown_width)
                self.definitions.append([canonical(body.label)])
                continue
            if body.id.startswith(GROUP) and grid.columns[0].key in hidden:
                # its first column hidden, a label would not show there: merged across, it shows in what is visible
                ws.merge_range(r, 0, r, width - 1, body.label, self.fmt["group_first"])
                self.definitions.append([canonical(body.label)])
                together.add(r)
                continue
            if body.id.startswith(GROUP):
                # not merged: the label overflows into the row's blank cells, and a form has ~25 such rows
                # (merge_range costs a tenth of a form's writing time)
                mid = self.fmt["group_mid"]
                ws.put_row(r, [(0, body.label, self.fmt["group_first"])] + [(c, None, mid) for c in range(1, width - 1)]
                           + [(width - 1, None, self.fmt["group_last"])])
                self.definitions.append([canonical(body.label)])
                together.add(r)  # a heading prints with the first row under it
                continue
            if body.id.startswith(SUBTOTAL) or body.id == TOTAL:
                span = (sum_cols[0] - 1) if sum_cols and sum_cols[0] > 0 else 0
                if span:
                    ws.merge_range(r, 0, r, span, body.label, self.fmt["subtotal"])
                else:
                    ws.write_string(r, 0, body.label, self.fmt["subtotal"])
                for i in range(span + 1, width):
                    if i not in sum_cols:
                        ws.write_blank(r, i, None, self.fmt["subtotal"])
                if body.id == TOTAL:
                    parts = subtotal_rows or data_rows
                else:
                    parts = [x for x in data_rows if x > last_subtotal]
                    subtotal_rows.append(r)
                    last_subtotal = r
                for i in sum_cols:
                    formula = _sum_formula(xl_col_to_name(i), parts, contiguous=body.id != TOTAL or not subtotal_rows)
                    value = sum(cached.get((x, i), 0.0) for x in parts)
                    cached[(r, i)] = value
                    ws.write_formula(r, i, formula, self.fmt["subtotal"], _cached(value))
                self.definitions.append([canonical(body.label)])
                continue
            data_rows.append(r)
            extend_runs(runs, r)
            signed = []
            cells = []  # (column, value, format), stored at once by _Sheet.put_row
            for i, role, key, num_fmt, text_fmt, formula in columns:
                if role == DEF:
                    value = body.values.get(key)
                    signed.append(canonical(value))
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        cells.append((i, value, self._fmt("def_num", num_fmt)))
                        cached[(r, i)] = float(value)
                    elif value is None or value == "":
                        cells.append((i, None, text_fmt))
                    else:
                        cells.append((i, str(value), text_fmt))
                elif role == INPUT:
                    value = body.values.get(key)
                    if value is None or value == "":
                        cells.append((i, None, text_fmt))
                    elif isinstance(value, (int, float)):
                        cells.append((i, value, text_fmt))
                    else:
                        cells.append((i, str(value), text_fmt))
                elif role == FORMULA:
                    chosen = formula if isinstance(formula, str) else formula[body.values.get("direction") or HIGHER]
                    cells.append((i, _FormulaValue(chosen.format(row=r + 1, **letters), ""), num_fmt))
            ws.put_row(r, cells)
            self.definitions.append(signed)
            ws.set_row(r, row_height([(body.values.get(c.key), c.width) for c in grid.columns], minimum=min_lines))
            ws.auto_rows.add(r)  # grows when the clerk types a long text into it
        for key, spec in (validations or {}).items():
            c = grid.col(key)
            for run in runs:
                v = dict(spec)
                if isinstance(v.get("maximum"), str) and "{max}" in v["maximum"]:
                    v["maximum"] = v["maximum"].replace("{max}", f"${letters['max']}{run[0] + 1}")
                if isinstance(v.get("source"), str) and v["source"] in (lists or {}):
                    v["source"] = self.list_source(lists[v["source"]])
                ws.data_validation(run[0], c, run[-1], c, v)
        return ws

    def _heading(self, ws, row: int, width: int, label: str, shown_width: float) -> None:
        """A group row of several lines: its first line bold, the rest plain, merged across the table."""
        if "group_block" not in self.fmt:
            band = {"font_name": FONT, "font_size": 10, "bg_color": "#E2EFDA"}
            self.fmt["group_block"] = self.wb.add_format({**band, "text_wrap": True, "valign": "vcenter", "border": 1,
                                                          "border_color": BORDER})
            self.fmt["group_title"] = self.wb.add_format({**band, "bold": True})
            self.fmt["group_text"] = self.wb.add_format(band)
        title, _, rest = label.partition("\n")
        ws.merge_range(row, 0, row, width - 1, label, self.fmt["group_block"])
        ws.write_rich_string(row, 0, self.fmt["group_title"], title, self.fmt["group_text"], "\n" + rest,
                             self.fmt["group_block"])
        ws.set_row(row, row_height([(label, shown_width)]))

    def field(self, ws, f: Field, *, fmt: str = "input", validation: dict | None = None) -> None:
        """An input cell (or merged input block) with its label to the left, when there is room."""
        style = self.fmt["input_block" if f.last_row and f.last_row > f.row else ("input_date" if f.kind == "date" else fmt)]
        if f.last_row is not None or f.last_col is not None:
            ws.merge_range(f.row, f.col, f.last_row or f.row, f.last_col or f.col, "", style)
        else:
            ws.write_blank(f.row, f.col, None, style)
        if validation:
            if isinstance(validation.get("source"), list):
                validation = {**validation, "source": self.list_source(validation["source"])}
            ws.data_validation(f.row, f.col, f.row, f.col, validation)

    def paragraphs(self, ws, f: Field, chars: int, *, labels: list[str] | None = None, lines: int | None = None) -> None:
        """A text field of rows f.row..f.last_row (one row when it has none), one plain input cell each in column
        f.col, never merged: each row tall enough for `chars` characters (or `lines` lines) of the column's width,
        written so that spreadsheet applications fit it to what the clerk types. `labels` go in the column before."""
        width = (ws.col_info[f.col].width - 5) / 7  # XlsxWriter keeps 7·w + 5 pixels
        sample = "字" * chars
        validation = {"validate": "length", "criteria": "<=", "value": chars, "ignore_blank": True,
                      "input_title": f.label, "input_message": f"每格不超过 {chars} 字；内容多时请分段填写。",
                      "error_title": f"{f.label}过长", "error_message": f"每格不超过 {chars} 字，请分成几段填写在下面的格中。",
                      "error_type": "warning"}
        last = f.last_row if f.last_row is not None else f.row
        for n, r in enumerate(range(f.row, last + 1)):
            ws.write_blank(r, f.col, None, self.fmt["input_block"])
            if labels:
                ws.write_string(r, f.col - 1, labels[n], self.fmt["label_top"])
            height = row_height([(sample, width)]) if lines is None else row_height([], minimum=lines)
            ws.set_row(r, min(height, MAX_ROW_HEIGHT))
            ws.auto_rows.add(r)
        ws.data_validation(f.row, f.col, last, f.col, validation)

    def list_source(self, values: list[str]):
        """A dropdown's values: inline when short, else a range on a hidden sheet (Excel's 255-char limit)."""
        if sum(len(v) + 1 for v in values) < 250 and not any("," in v for v in values):
            return values
        if self._lists is None:
            self._lists = self.wb.add_worksheet("_lists")
            self._lists.very_hidden()
            self._list_col = 0
        col = self._list_col
        for r, v in enumerate(values):
            self._lists.write_string(r, col, v)
        self._list_col += 1
        letter = xl_col_to_name(col)
        return f"='_lists'!${letter}$1:${letter}${len(values)}"

    def label(self, ws, row: int, col: int, text: str, last_col: int | None = None, fmt: str = "label") -> None:
        if last_col is not None and last_col > col:
            ws.merge_range(row, col, row, last_col, text, self.fmt[fmt])
            if fmt == "note" and col == 0:  # a note across the table: as wide as its first page, as tall as its text
                self.prints[ws.name].titles[row] = (text, 10)
        else:
            ws.write_string(row, col, text, self.fmt[fmt])

    def _fmt(self, name: str, number_format: str | None):
        if not number_format:
            return self.fmt[name]
        key = f"{name}|{number_format}"
        if key not in self._num_fmts:
            base = {"font_name": FONT, "font_size": 10, "valign": "vcenter", "border": 1, "border_color": BORDER,
                    "align": "center", "num_format": number_format}
            if name == "formula":
                base["bg_color"] = "#F2F2F2"
            self._num_fmts[key] = self.wb.add_format(base)
        return self._num_fmts[key]

    # ------------------------------------------------------------------------------------------ meta

    def _write_meta(self) -> None:
        ws = self.wb.add_worksheet(META_SHEET)
        self.meta.generated = datetime.now().isoformat(timespec="seconds")
        self.meta.signature = self.meta.sign(self.key, self.definitions)
        for r, (attr, label) in enumerate(META_FIELDS):
            ws.write_string(r, 0, label)
            ws.write_string(r, 1, str(getattr(self.meta, attr)))
        ws.write_string(MAP_HEADER_ROW, 0, MAP_LABEL)
        for n, chunk in enumerate(encode_rows(self.meta.rows), start=MAP_HEADER_ROW + 1):
            ws.write_string(n, 0, chunk)
        ws.protect(protection_password(self.key), {})
        ws.very_hidden()

    def _fit_titles(self, ws, sp: SheetPrint) -> None:
        """The title block's rows as tall as their wrapped text."""
        width = sum(w for w in widths_of(ws) if w is not None)
        for row, (text, size) in sp.titles.items():
            ws.set_row(row, max(row_height([(text, width)], font_size=size, pad=6), 16))

    def keep_together(self, ws, first: int, last: int) -> None:
        """Rows first..last (0-based) print on one page."""
        sp = self.prints[ws.name]
        sp.with_next = (sp.with_next or set()) | set(range(first, last))

    def close(self) -> Path:
        """Lay out each sheet's printing, sign, write the meta sheet and save atomically (temp file in the same
        folder, then os.replace)."""
        for name, sp in self.prints.items():
            ws = self.wb.get_worksheet_by_name(name)
            across = lay_out_across(ws, sp.paper, sp)
            if across.breaks and sp.repeated_row is not None:
                # pages side by side repeat the first columns of every printed row: the title block above the
                # table would show there cut off, so it is left out of print and the page header names the table
                sp.print_from = sp.repeated_row
                ws.print_area(sp.print_from, 0, ws.dim_rowmax, ws.dim_colmax)
                if sp.title:
                    ws.set_header(f'&C&"{TITLE_FONT},Bold"{_escape(sp.title)}')
            self._fit_titles(ws, sp)
            lay_out_down(ws, sp.paper, sp, across)
        self._write_meta()
        return close_atomically(self.wb, self.path)


def close_atomically(wb: xlsxwriter.Workbook, path: Path) -> Path:
    """Close an XlsxWriter workbook into place through files.write_atomically (temp file, fsync, os.replace)."""

    def close(tmp: Path) -> None:
        wb.filename = str(tmp)
        wb.close()

    return write_atomically(path, close)


# Formula columns, by column key; placeholders are column letters by key and {row} (1-based).
_RATE = '=IF(AND(ISNUMBER({{actual}}{{row}}),ISNUMBER({{target}}{{row}})),{},"")'
#: a formula column's formula; a dict chooses it by the row's `direction` (指标's 方向, scheme.DIRECTIONS)
_FORMULAS = {
    "rate": {
        # 实际 ÷ 目标; a target of 0 leaves it blank
        HIGHER: _RATE.format('IF({target}{row}=0,"",{actual}{row}/{target}{row})'),
        # lower is better (a rate of accidents, a price rise): 目标 ÷ 实际, 100% once at or under the target
        # where the actual value is 0 (nothing happened) or the target 0 and met
        LOWER: _RATE.format('IF({actual}{row}<=0,IF({target}{row}>={actual}{row},1,0),'
                            'IF({target}{row}<0,"",{target}{row}/{actual}{row}))'),
        # reached is 100%: 实际 ÷ 目标, at most 100%
        REACH: _RATE.format('IF({actual}{row}>={target}{row},1,IF({target}{row}=0,"",{actual}{row}/{target}{row}))'),
    },
}


def row_height(cells: list[tuple[object, float]], font_size: float = 10, minimum: int = 1, pad: float = 4) -> float:
    """Points needed to show wrapped text in full (estimated from the text's width, see xlplugin.textfit)."""
    return FORM_TEXT.row_height(cells, font_size, minimum, pad)


def extend_runs(runs: list[list[int]], row: int) -> None:
    """Group rows into runs of consecutive rows: `row` extends the last run when it follows it, else starts one."""
    if runs and runs[-1][-1] == row - 1:
        runs[-1].append(row)
    else:
        runs.append([row])


def _sum_formula(letter: str, rows: list[int], contiguous: bool) -> str:
    if not rows:
        return "=0"
    if contiguous:
        return f"=SUM({letter}{rows[0] + 1}:{letter}{rows[-1] + 1})"
    return "=" + "+".join(f"{letter}{x + 1}" for x in rows)


def _cached(value: float):
    return int(value) if float(value).is_integer() else round(value, 6)


def _escape(text: str) -> str:
    return text.replace("&", "&&")


# ---------------------------------------------------------------------------------- what every kind writes


def open_form(spec: FormSpec, scheme: Scheme, period: Period, recipient: Recipient, path: Path) -> FormWriter:
    """Start a form: the meta data and the instructions sheet rendered from templates/forms/<kind>.txt.j2."""
    s = scheme.settings
    meta = Meta(kind=spec.kind, recipient=recipient.code, recipient_name=recipient.name, year=str(s.year),
                period=period.name)
    writer = FormWriter(path, s.key, meta, s.paper)
    lines = render_lines(f"forms/{spec.kind}.txt.j2", s=s, scheme=scheme, period=period, recipient=recipient, spec=spec,
                         deadline=period.deadline or s.deadline)
    writer.instructions(f"{s.year}年度{period.name}{spec.label} · 填表说明", lines)
    return writer


#: who fills a form in, as its subtitle names them: a leader is a person, a rater group a group
WHO = {"leader": "评价人", "rater": "评议组"}


def subtitle(scheme: Scheme, period: Period, recipient: Recipient, extra: str = "") -> str:
    s = scheme.settings
    who = WHO.get(recipient.kind, "填报单位")
    parts = [f"考评机关：{s.office}", f"考评期：{s.year}年度 {period.name}", f"{who}：{recipient.name}（{recipient.code}）"]
    if extra:
        parts.append(extra)
    deadline = period.deadline or s.deadline
    if deadline:
        parts.append(f"报送截止：{deadline}")
    return "　　".join(parts)


def score_validation(title: str) -> dict:
    """A score between 0 and the row's max points ('{max}' is replaced by the writer)."""
    return {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": "={max}",
        "input_title": title, "input_message": "请填写 0 至本项分值之间的数字。",
        "error_title": f"{title}超出范围", "error_message": f"{title}须为 0 至本项“分值”之间的数字，请重新填写。",
        "error_type": "stop",
    }


def list_validation(title: str, source: str, message: str) -> dict:
    return {
        "validate": "list", "source": source, "input_title": title, "input_message": message,
        "error_title": f"{title}无效", "error_message": f"请从下拉列表中选择{title}。", "error_type": "stop",
    }


DATE_VALIDATION = {
    "validate": "date", "criteria": "between",
    "minimum": date(2000, 1, 1), "maximum": date(2099, 12, 31),
    "input_title": "日期", "input_message": "请填写日期，如 2027-01-10。",
    "error_title": "日期无效", "error_message": "请按 年-月-日 填写日期，如 2027-01-10。", "error_type": "stop",
}


def open_table_form(spec: FormSpec, scheme: Scheme, period: Period, recipient: Recipient, path: Path, sheet: str,
                    width: int, title: str) -> tuple[FormWriter, object]:
    """Start a one-table form (evaluator, rater, leader): instructions, the sheet's title block for
    “<year><period><title>（<recipient>）” and the signature fields (name, date) with their labels."""
    w = open_form(spec, scheme, period, recipient, path)
    ws = w.sheet(sheet)
    w.title_block(ws, width, f"{scheme.settings.year}年度{period.name}{title}（{recipient.name}）",
                  subtitle(scheme, period, recipient))
    for f in spec.fields:
        w.label(ws, f.row, f.col - 1, f.label)
        w.field(ws, f, validation=DATE_VALIDATION if f.kind == "date" else None)
    return w, ws

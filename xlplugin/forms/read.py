"""Reading a form back, from the same declarations that wrote it: meta, signature, body rows and fields.

Forms come back from outside and are untrusted: they are read from disk with calamine (never opened in a
spreadsheet application, so no macro or external link runs) and only the cells the layout names are used.
"""
from __future__ import annotations

import io
from operator import itemgetter
from pathlib import Path

from python_calamine import CalamineWorkbook

from .spec import KIND_NAMES, FormSpec, DEF, GROUP, SUBTOTAL, TOTAL, Grid, canonical, cell_ref
from .meta import LAYOUT_VERSION, MAP_HEADER_ROW, MAP_LABEL, META_FIELDS, META_SHEET, Meta, decode_rows


class FormError(Exception):
    """The file cannot be read as one of our forms; the message says why, in Chinese."""

    def __init__(self, message: str, sheet: str = "", cell: str = ""):
        super().__init__(message)
        self.sheet = sheet
        self.cell = cell


class FormFile:
    """A form workbook on disk, its sheets loaded on demand as lists of rows. When the file's bytes are
    given (already read and checked by the caller), those are parsed and the file is not opened again."""

    def __init__(self, path: str | Path, data: bytes | None = None):
        self.path = Path(path)
        if data is None:
            self._wb = CalamineWorkbook.from_path(str(self.path))
        else:
            self._wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        self.sheet_names = list(self._wb.sheet_names)
        self._rows: dict[str, list[list]] = {}

    def rows(self, sheet: str) -> list[list]:
        if sheet not in self._rows:
            if sheet not in self.sheet_names:
                raise FormError(f"缺少工作表“{sheet}”。", sheet)
            self._rows[sheet] = self._wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return self._rows[sheet]

    def cell(self, sheet: str, row: int, col: int):
        rows = self.rows(sheet)
        if row < len(rows) and col < len(rows[row]):
            value = rows[row][col]
            return None if value == "" else value
        return None


def read_meta(form: FormFile) -> Meta:
    if META_SHEET not in form.sheet_names:
        raise FormError("不是本系统生成的表格，或隐藏的校验信息（元数据）已被删除。", META_SHEET)
    rows = form.rows(META_SHEET)
    values = {}
    for r, (attr, label) in enumerate(META_FIELDS):
        got = rows[r][0] if r < len(rows) and rows[r] else None
        if got != label:
            raise FormError("表格的校验信息（元数据）已损坏。", META_SHEET, f"A{r + 1}")
        values[attr] = canonical(rows[r][1] if len(rows[r]) > 1 else None)
    if values["kind"] not in KIND_NAMES:
        raise FormError(f"未知的表格类型“{values['kind']}”。", META_SHEET, "B2")
    try:
        version = int(float(values.pop("version")))
    except ValueError:
        raise FormError("表格的版式版本无法识别。", META_SHEET, "B3") from None
    if version != LAYOUT_VERSION:
        which = "旧版式" if version < LAYOUT_VERSION else "更新版本的程序生成"
        raise FormError(f"这份表格是{which}的表格（版式版本 {version}，现行为 {LAYOUT_VERSION}），无法按现行表格读取。"
                        "请使用绩效办重新下发的表格填报（可把已填内容复制过去）。", META_SHEET, "B3")
    meta = Meta(version=version, **values)
    label = rows[MAP_HEADER_ROW][0] if len(rows) > MAP_HEADER_ROW and rows[MAP_HEADER_ROW] else None
    chunks = [row[0] for row in rows[MAP_HEADER_ROW + 1:] if row and isinstance(row[0], str)]
    try:
        if label != MAP_LABEL:
            raise ValueError(label)
        meta.rows = decode_rows(chunks)
    except (ValueError, TypeError):
        raise FormError("表格的校验信息（元数据）已损坏。", META_SHEET, f"A{MAP_HEADER_ROW + 1}") from None
    return meta


_NOT_DATA = (GROUP, SUBTOTAL)


def is_data_row(ident: str) -> bool:
    return not ident.startswith(_NOT_DATA) and ident != TOTAL


def signing_form(value) -> str:
    """`canonical`, with the common cases (text, numbers) first: called for every definition cell."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float or kind is int:
        return format(float(value), ".12g")
    return canonical(value)


def definitions(form: FormFile, spec: FormSpec, meta: Meta) -> list[list[str]]:
    """The definition cells of every mapped row, as they stand in the file, in signing form.

    Built column by column with C-level helpers (a form has a thousand definition cells): a column of
    text is taken as it is, only a column holding numbers or dates is converted cell by cell."""
    out: list = [None] * len(meta.rows)
    by_sheet: dict[str, list[tuple[int, int, bool]]] = {}
    for k, (sheet, row, ident) in enumerate(meta.rows):
        by_sheet.setdefault(sheet, []).append((k, row, is_data_row(ident)))
    for sheet, entries in by_sheet.items():
        grid = spec.grid_for(sheet)
        if grid is None:
            raise FormError(f"校验信息指向未知的工作表“{sheet}”。", META_SHEET)
        rows = form.rows(sheet)
        cols = [c for c, col in enumerate(grid.columns) if col.role == DEF]
        width = max(cols) + 1
        # as form.cell(sheet, row, c): a cell beyond the sheet's rows or the row's length is empty
        data = [(k, rows[row] if row < len(rows) else ()) for k, row, is_data in entries if is_data]
        full = [values if len(values) >= width else list(values) + [""] * (width - len(values)) for _, values in data]
        columns = []
        for c in cols:
            column = list(map(itemgetter(c), full))
            if not set(map(type, column)) <= {str}:
                column = [v if type(v) is str else signing_form(v) for v in column]
            columns.append(column)
        for (k, _), values in zip(data, zip(*columns)):
            out[k] = values
        for k, row, is_data in entries:
            if not is_data:
                values = rows[row] if row < len(rows) else ()
                out[k] = [signing_form(values[0]) if values else ""]
    return out


def read_grid(form: FormFile, grid: Grid, meta: Meta) -> list[tuple[int, str, dict]]:
    """The data rows of a grid: (0-based row, id, {column key: cell value}) for every column."""
    out = []
    for sheet, row, ident in meta.rows:
        if sheet == grid.sheet and is_data_row(ident):
            out.append((row, ident, {c.key: form.cell(sheet, row, i) for i, c in enumerate(grid.columns)}))
    return out


def column_changes(form: FormFile, spec: FormSpec) -> list[tuple[str, str, str]]:
    """Header cells of the form's grids that are not the declared ones, as (sheet, cell, problem): a column
    inserted, deleted or moved. Input columns are not signed, so an inserted column would shift the scores
    into the wrong place unseen: the header row must match the declaration, as the rows must match the meta."""
    found = []
    for grid in spec.grids:
        if grid.sheet not in form.sheet_names:
            continue  # reported where the sheet is read
        rows = form.rows(grid.sheet)
        header = rows[grid.header_row] if grid.header_row < len(rows) else []
        for i, col in enumerate(grid.columns):
            have = canonical(header[i] if i < len(header) else None)
            # the first line: a form may say more below it (the leader form: each score's most points)
            if have.replace("★", "").split("\n")[0].strip() != col.header:
                found.append((grid.sheet, cell_ref(grid.header_row, i),
                              f"第 {grid.header_row + 1} 行的列标题应为“{col.header}”，现为“{have[:40]}”（插入、删除或移动了列）。"))
                break
        else:
            extra = [i for i in range(len(grid.columns), len(header)) if canonical(header[i]).strip()]
            if extra:
                found.append((grid.sheet, cell_ref(grid.header_row, extra[0]),
                              f"表格右侧多出了列“{canonical(header[extra[0]])[:40]}”（插入或增加了列）。"))
    return found

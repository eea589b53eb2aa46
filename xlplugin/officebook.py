"""The office workbook behind one small interface: read a sheet as a DataFrame, write DataFrames as sheets.

Two adapters implement it: `FileOfficeBook` (a path on disk, used by the CLI) and, in `xlplugin.excel`,
one over a live xlwings Book (used by the ribbon). Everything else talks to `OfficeBook` only.

A sheet is a table whose first row is the header. `read_sheet` returns every cell as the raw Python value
(str, float, int, datetime, bool or None), and an index equal to the Excel row number, so that a problem
found in a row can be reported as "第 N 行".
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from .errors import UserError
from . import ledger
from .files import backup, lock_files, prune_backups, write_atomically
from .ledger import BACKUP_FOLDER, FORM_META_SHEET
from .values import clean_cell


@dataclass(frozen=True)
class ChartSpec:
    """A clustered column chart over a written table: categories from its first column, one series per
    other column (all but those listed in `skip`), placed to the right of the table."""

    title: str
    y_title: str = ""
    skip: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetLook:
    """How an owned sheet reads on screen and on paper (issue 12): the writer of each adapter applies it.

    The table keeps its header in row 1 (every reader, the office's formulas and pandas take it from there); the
    `title` (e.g. "总排名 · 2026年度 年终 · 2027-01-20 · 年度结果") is printed at the top of every page. Printing: A4
    landscape, fit to one page wide, the header row and the first `repeat_columns` columns (e.g. code and name)
    on every page."""

    title: str | None = None
    number_formats: dict[str, str] = field(default_factory=dict)  # column → Excel format, e.g. "0.00"
    widths: dict[str, float] = field(default_factory=dict)  # column → width (Excel character units)
    wrap: tuple[str, ...] = ()  # columns whose text wraps (and whose rows grow)
    repeat_columns: int = 0  # left columns printed on every page
    grade_column: str | None = None  # coloured by grade (conditional format)
    grade_colors: dict[str, str] = field(default_factory=dict)  # grade → fill colour, e.g. {"优秀": "C6EFCE"}
    landscape: bool = True
    hidden: bool = False  # e.g. a sheet holding a secret


class OfficeBook(Protocol):
    """Where the office workbook lives: a file or a workbook open in Excel."""

    #: the folder that relative paths in 设置 (submission and output folders) are resolved against
    folder: Path

    def sheet_names(self) -> list[str]: ...

    def read_sheet(self, name: str) -> pd.DataFrame: ...

    def write_sheets(self, sheets: dict[str, pd.DataFrame], charts: dict[str, ChartSpec] | None = None,
                     looks: dict[str, SheetLook] | None = None) -> Path | None:
        """Replace or add the sheets; the file adapter returns where it kept the previous workbook."""

    def ensure_writable(self) -> None:
        """Refuse (UserError) before any work when the workbook cannot be rewritten now."""


def table_from_rows(rows: list[list]) -> pd.DataFrame:
    """Turn a sheet's cell rows (header first) into a DataFrame indexed by Excel row number.

    Empty strings become None, text is stripped, fully empty rows are dropped (offices leave gaps).
    """
    if not rows:
        return pd.DataFrame()
    header = [clean_cell(h) for h in rows[0]]
    width = len(header)
    while width and header[width - 1] is None:
        width -= 1
    header = [h if h is not None else f"列{i + 1}" for i, h in enumerate(header[:width])]
    body, index = [], []
    for excel_row, row in enumerate(rows[1:], start=2):
        cells = [clean_cell(v) for v in list(row[:width]) + [None] * (width - len(row))]
        if any(c is not None for c in cells):
            body.append(cells)
            index.append(excel_row)
    return pd.DataFrame(body, columns=header, index=pd.Index(index, name="行"), dtype=object)


class FileOfficeBook:
    """The office workbook as an .xlsx file: fast reads with calamine, atomic writes of the owned sheets' parts."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).resolve()
        if not self.path.exists():
            raise FileNotFoundError(f"找不到考评台账文件：{self.path}")
        refuse_non_workbook(self.path)
        self.folder = self.path.parent
        self._workbook = None
        self.latest_backup: Path | None = None  # the copy the last write_sheets kept

    def _calamine(self):
        if self._workbook is None:
            from python_calamine import CalamineWorkbook

            try:
                workbook = CalamineWorkbook.from_path(str(self.path))
                names = workbook.sheet_names
            except Exception:  # calamine's own errors (CalamineError, ZIP and XML errors): never shown as such
                raise UserError(f"无法读取考评台账“{self.path.name}”：文件已损坏，或不是 Excel 工作簿。"
                                f"请在 Excel 中打开并另存为 .xlsx，或用“{BACKUP_FOLDER}”文件夹中最近的副本替换它。") from None
            if FORM_META_SHEET in names:
                raise UserError(f"“{self.path.name}”是生成给各单位填写的表格，不是考评台账。请给出考评台账文件（如 "
                                "考评台账.xlsx）；发回的表格放在提交文件夹中，由“收集汇总”（xlplugin collect）读取。")
            self._workbook = workbook
        return self._workbook

    def sheet_names(self) -> list[str]:
        return list(self._calamine().sheet_names)

    def read_sheet(self, name: str) -> pd.DataFrame:
        if name not in self.sheet_names():
            raise KeyError(name)
        rows = self._calamine().get_sheet_by_name(name).to_python(skip_empty_area=False)
        return table_from_rows(rows)

    def ensure_writable(self) -> None:
        """A workbook open in Excel, WPS or LibreOffice must not be replaced under it: the user's unsaved work
        and ours would overwrite each other. Verbs call this before they start, so nothing is written."""
        locks = lock_files(self.path)
        if locks:
            raise UserError(f"考评台账“{self.path.name}”正在被 Excel、WPS 或 LibreOffice 打开（发现 {locks[0].name}）。"
                            "请先保存并关闭它，再重新运行；如确认没有打开，可删除这个锁定文件。")

    def write_sheets(self, sheets: dict[str, pd.DataFrame], charts: dict[str, ChartSpec] | None = None,
                     looks: dict[str, SheetLook] | None = None) -> Path | None:
        """Replace (or add) the given sheets; every other part of the workbook stays byte for byte as it was.

        Only the sheets' own parts are written (xlplugin.xlsxpkg: streaming, no spreadsheet library loads the
        workbook). The previous version is kept as a timestamped backup beside the workbook (the last
        备份保留份数 of them, and the first of each day; `latest_backup` says where), and the new one replaces
        it atomically, so a crash leaves either the old or the new workbook, never half of one. Returns the
        backup's path.
        """
        from .xlsxpkg import replace_sheets

        self.ensure_writable()
        keep = self._backups_kept()
        self.latest_backup = backup(self.path, BACKUP_FOLDER)
        prune_backups(self.path, BACKUP_FOLDER, keep)
        write_atomically(self.path, lambda tmp: replace_sheets(self.path, tmp, sheets, charts, looks))
        self._workbook = None
        return self.latest_backup

    def _backups_kept(self) -> int:
        """设置 备份保留份数 as typed (the scheme checks it; here anything unusable means the default)."""
        try:
            frame = self.read_sheet(ledger.SETTINGS.name)
            row = frame[frame.iloc[:, 0] == ledger.BACKUPS_SETTING]
            value = float(row.iloc[0, 1]) if len(row) else None
        except (KeyError, IndexError, TypeError, ValueError):
            value = None
        return int(value) if value is not None and value.is_integer() and value >= 1 else ledger.BACKUPS_KEPT

OFFICE_SUFFIX = ".xlsx"  # what openpyxl rewrites faithfully (an .xlsm would lose its macros)


def refuse_non_workbook(path: Path) -> None:
    """A UserError, in Chinese with the fix, for what cannot be the office workbook: a folder, a file that is not
    an .xlsx workbook (a PDF, an .xls, a renamed file)."""
    if path.is_dir():
        raise UserError(f"“{path}”是一个文件夹，不是考评台账文件。请给出台账文件本身，如 {path / '考评台账.xlsx'}。")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if path.suffix.lower() != OFFICE_SUFFIX or head != b"PK\x03\x04":
        raise UserError(f"“{path.name}”不是 Excel 工作簿（.xlsx），不能作为考评台账。请给出考评台账文件（.xlsx）；"
                        "如果台账是 .xls、.et 或其他格式，请先在 Excel 或 WPS 中另存为“Excel 工作簿 (.xlsx)”。")

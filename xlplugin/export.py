"""export: the year's record as a file anyone can open — every current mark of every period as one long table."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd

from . import ledger
from .errors import UserError
from .files import write_atomically
from .officebook import OfficeBook
from .record import Record, record_path
from .scheme import load_scheme
from .sheetstyle import write_frame

EXCEL_ROWS = 1_048_576
COLUMNS = ("单位代码", "单位名称", "考评期", "来源", "指标代码", "评价者", "项目", "值", "文件", "工作表", "单元格")


@dataclass
class ExportResult:
    path: Path
    rows: int
    periods: list[str]

    def summary(self) -> str:
        return f"已导出 {self.rows} 条数据（考评期：{'、'.join(self.periods) or '无'}）到：{self.path}"


def export(book: OfficeBook, marks: str | Path, period: str | None = None) -> ExportResult:
    """Write every current mark (of `period`, or of every period) to `marks`: CSV in UTF-8 with BOM (so Excel
    opens it) or .xlsx."""
    scheme = load_scheme(book)
    path = Path(marks)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise UserError(f"导出文件须以 .csv 或 .xlsx 结尾：{path.name}")
    if period is not None:
        scheme.period(period)  # an unknown period is refused with the known ones listed
    if not record_path(book, scheme).exists():
        raise UserError("还没有考评数据文件：请先收集各单位发回的表格（xlplugin collect），什么也没有导出。")
    with Record.for_book(book, scheme) as record:
        current = record.current_marks([period] if period else None)
    names = {u.code: u.name for u in scheme.units}
    table = pd.DataFrame({
        "单位代码": current["unit"], "单位名称": current["unit"].map(names), "考评期": current["period"],
        "来源": current["source"], "指标代码": current["indicator"], "评价者": current["rater"], "项目": current["item"],
        "值": current["value"], "文件": current["file"], "工作表": current["sheet"], "单元格": current["cell"],
    }, columns=list(COLUMNS))
    if path.suffix.lower() == ".xlsx" and len(table) >= EXCEL_ROWS:
        raise UserError(f"共有 {len(table)} 条数据，超过 Excel 工作表的行数上限（{EXCEL_ROWS - 1} 行）。"
                        "请导出为 .csv，或用 --period 只导出一个考评期。")
    if path.suffix.lower() == ".csv":
        write_atomically(path, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8-sig"))
    else:
        def write(tmp: Path) -> None:
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = ledger.MARKS.name
            write_frame(ws, table)
            wb.save(tmp)

        write_atomically(path, write)
    return ExportResult(path, len(table), list(dict.fromkeys(table["考评期"])))

"""The Excel door: the office workbook open in Excel behind the OfficeBook interface, and the ribbon's entry point.

`XlwingsOfficeBook` adapts a live xlwings Book. Every xlwings call is a round trip to Excel, so it reads a sheet
in one call and writes each table in one call (plus a few calls per sheet for its look, never per row or cell).

`on_ribbon(control_id)` is what the add-in's single VBA callback runs through xlwings' RunPython:
    RunPython "import xlplugin.excel as x; x.on_ribbon('" & control.Id & "')"
It dispatches to the same verbs as the command line, on the workbook the button was clicked in
(`xw.Book.caller()`), shows progress in Excel's status bar and every outcome or error as a Chinese message box.
Forms and feedback workbooks are written to disk headless, exactly as the command line writes them.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import ledger
from .officebook import ChartSpec, table_from_rows

TITLE = "绩效考评"
MAX_WIDTH = 60  # column width cap (Excel character units), as the file adapter uses
CHART_SIZE = (480, 260)  # points


# ================================================================================ the office workbook adapter


def _excel_value(value):
    """A DataFrame cell as written to Excel: empty for NaN/None, native Python numbers, text kept as text.

    Every string gets Excel's text prefix (an apostrophe), which Excel stores as "this is text" and never shows or
    returns: without it Excel would parse '=…', '+…', '-…', '@…' as formulas (the classic injection, and text from
    submissions ends up here) and '001', '1/2', 'TRUE' or '50%' as numbers, dates or booleans.
    """
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, str):
        return "'" + value if value else None
    return value


def _python_value(value):
    """A cell as read from Excel, made like the file adapter's: every number a float (as Excel stores it)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    return value


def frame_grid(frame: pd.DataFrame) -> list[list]:
    """Header and body of `frame` as the one 2-D list written to Excel."""
    header = [_excel_value(str(c)) for c in frame.columns]
    return [header] + [[_excel_value(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def book_folder(book) -> Path:
    """The folder of the workbook open in Excel; the workbook must have been saved to a local folder."""
    fullname = str(book.fullname or "")
    if "://" in fullname:
        raise ValueError(f"本工作簿保存在网络位置（{fullname}），无法确定本机文件夹。"
                         "请把考评台账另存到本机或共享盘上的文件夹后再操作。")
    path = Path(fullname)
    if not path.is_absolute():
        raise ValueError("本工作簿还没有保存。请先把考评台账保存到一个文件夹（表格、提交和输出文件夹都放在它旁边），再操作。")
    return path.parent


class XlwingsOfficeBook:
    """The office workbook open in Excel, as an OfficeBook: one call per sheet read, one per table written."""

    def __init__(self, book, folder: str | os.PathLike | None = None):
        self.book = book
        self._folder = Path(folder) if folder is not None else None

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = book_folder(self.book)
        return self._folder

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def _find(self, name: str):
        """The sheet called `name` (Excel compares sheet names without case), or None."""
        key = name.casefold()
        for sheet in self.book.sheets:
            if sheet.name.casefold() == key:
                return sheet
        return None

    def read_sheet(self, name: str) -> pd.DataFrame:
        sheet = self._find(name)
        if sheet is None:
            raise KeyError(name)
        used = sheet.used_range
        rows, cols = used.shape
        last_row, last_col = used.row + rows - 1, used.column + cols - 1
        # from A1, so that list positions are Excel rows and columns even when the used range starts lower
        values = sheet.range((1, 1), (last_row, last_col)).options(ndim=2, err_to_str=True).value
        return table_from_rows([[_python_value(v) for v in row] for row in values])

    def write_sheets(self, sheets: dict[str, pd.DataFrame], charts: dict[str, ChartSpec] | None = None) -> None:
        """Replace (or add, after the last sheet) the given sheets; the office's other sheets stay untouched.

        A sheet that exists is cleared in place rather than deleted, so formulas elsewhere that refer to it keep
        working and its column widths stay. Unlike the file adapter this saves nothing and makes no backup: the
        workbook is the user's, open in Excel, and changes reach the disk when the user saves it.
        """
        for name, frame in sheets.items():
            sheet = self._find(name)
            new = sheet is None
            if new:
                sheet = self.book.sheets.add(name=name, after=self.book.sheets[len(self.book.sheets) - 1])
            else:
                for chart in reversed(list(sheet.charts)):  # the tool owns this sheet and its charts; from the
                    chart.delete()  # last, as the remote engine addresses charts by position
                sheet.clear()
            self._write_table(sheet, frame, new)
            if charts and name in charts:
                self._add_chart(sheet, frame, charts[name])

    def _write_table(self, sheet, frame: pd.DataFrame, new: bool) -> None:
        """The table in one call, then its look: a bold header and, on a new sheet, fitted column widths.

        That is 3 calls for a sheet rewritten in place and 4 (+1 per very wide column) for a new one, whatever
        the number of rows. Frozen panes and header fills are left out on purpose: each would cost one more
        round trip per sheet (benchmarks/bench_excel.py counts them; the target is 40 for a score write-back).
        """
        ncols = len(frame.columns)
        if ncols == 0:
            return
        sheet.range((1, 1)).value = frame_grid(frame)
        sheet.range((1, 1), (1, ncols)).font.bold = True
        if not new:
            return  # column widths survive clear()
        sheet.range((1, 1), (len(frame) + 1, ncols)).columns.autofit()
        for col in _wide_columns(frame):  # autofit would make long texts (reasons, narratives) screen-wide
            sheet.range((1, col), (len(frame) + 1, col)).column_width = MAX_WIDTH

    def _add_chart(self, sheet, frame: pd.DataFrame, spec: ChartSpec) -> None:
        columns = list(frame.columns)
        keep = [i for i, c in enumerate(columns) if i > 0 and c not in spec.skip]
        rows = len(frame) + 1
        # xlwings takes one rectangle: the category column and the series next to it; skipped columns must
        # trail (as 合计 does), else every column is charted
        last = len(keep) if keep == list(range(1, len(keep) + 1)) else len(columns) - 1
        source = sheet.range((1, 1), (rows, last + 1))
        width, height = CHART_SIZE
        chart = sheet.charts.add(width=width, height=height, chart_type="column_clustered", source=source,
                                 anchor=sheet.range((2, len(columns) + 2)))
        chart.title = spec.title  # (spec.y_title is left to the chart's axis numbers: one round trip less)


def _wide_columns(frame: pd.DataFrame) -> list[int]:
    """1-based positions of the columns whose longest text (of the first 200 rows) exceeds MAX_WIDTH."""
    from .sheetstyle import display_width

    out = []
    for i, name in enumerate(frame.columns, start=1):
        sample = [name] + list(frame.iloc[:200, i - 1])
        if max(display_width(v) for v in sample) + 2 > MAX_WIDTH:
            out.append(i)
    return out


# ================================================================================ Excel's user interface


class StatusBar:
    """Progress in Excel's status bar, at most a few updates a second; silently absent where the engine has none
    (xlwings' remote engine has no status bar: its changes reach Excel only when the call returns)."""

    def __init__(self, app, label: str, interval: float = 0.25):
        self.app, self.label, self.interval = app, label, interval
        self.enabled = True
        self._last = 0.0

    def _set(self, value) -> None:
        if not self.enabled:
            return
        try:
            self.app.status_bar = value
        except NotImplementedError:
            self.enabled = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        self._set(f"{self.label}：{done}/{total}（{done * 100 // max(total, 1)}%）")

    def clear(self) -> None:
        self._set(False)  # False hands the status bar back to Excel

    def __enter__(self) -> "StatusBar":
        return self

    def __exit__(self, *exc) -> None:
        self.clear()


@dataclass
class Ribbon:
    """One click: the workbook it was made in and how to talk to the user there."""

    book: object  # xw.Book

    @property
    def office(self) -> XlwingsOfficeBook:
        return XlwingsOfficeBook(self.book)

    def alert(self, text: str, critical: bool = False) -> None:
        self.book.app.alert(text, title=TITLE, mode="critical" if critical else "info")

    def progress(self, label: str) -> StatusBar:
        return StatusBar(self.book.app, label)

    def activate(self, sheet: str) -> None:
        for s in self.book.sheets:
            if s.name == sheet:
                s.activate()
                return


def do_init(ui: Ribbon) -> None:
    from .samples import office_input_frames, sample_frames

    office = ui.office
    present = [s for s in office.sheet_names() if s in {sheet.name for sheet in ledger.SCHEME_SHEETS}]
    if present:
        ui.alert(f"本工作簿已经有考评台账的工作表（{'、'.join(present[:5])}{'等' if len(present) > 5 else ''}），未作任何改动。\n"
                 "如需重新开始，请新建一个空白工作簿，再点击“初始化台账”。", critical=True)
        return
    frames = sample_frames("city")
    office.write_sheets({**frames, **office_input_frames(frames)})
    ui.activate(ledger.SETTINGS.name)
    ui.alert("已在本工作簿中创建样例考评台账（市对部门，含新生成的签名密钥）。\n"
             "请先保存本工作簿，然后按本单位的方案修改“设置”“单位”“指标”“考评方案”等工作表，再点击“生成表格”。")


def do_generate(ui: Ribbon) -> None:
    from .generate import generate

    with ui.progress("正在生成表格") as bar:
        result = generate(ui.office, progress=bar)
    ui.alert(result.summary())


def do_collect(ui: Ribbon) -> None:
    from .collect import collect
    from .issues import ERROR

    with ui.progress("正在收集表格") as bar:
        result = collect(ui.office, progress=bar)
    errors = int((result.issues["级别"] == ERROR).sum()) if len(result.issues) else 0
    if len(result.issues):
        ui.activate(ledger.ISSUES.name)
    ui.alert(f"收集文件夹：{result.folder}\n{result.summary()}", critical=errors > 0)


def do_score(ui: Ribbon) -> None:
    from .results import run_score

    scored = run_score(ui.office)
    units = scored.sheets[ledger.RANKING.name]
    lines = [f"{int(r.总排名)}. {r.单位名称}（{r.类别}） {r.总分:.2f} {r.等次}" for r in scored.top(5).itertuples(index=False)]
    ui.activate(ledger.RANKING.name)
    ui.alert(f"已计算 {len(units)} 个单位的得分、等次和排名，写入总排名、分类排名、得分明细、指标得分、等次分布、反馈工作表。\n"
             "前 5 名：\n" + "\n".join(lines))


def do_feedback(ui: Ribbon) -> None:
    from .feedback import run_feedback

    with ui.progress("正在生成反馈") as bar:
        result = run_feedback(ui.office, progress=bar)
    ui.alert(result.summary())


def do_send(ui: Ribbon, what: str) -> None:
    from .mail import ribbon_send

    ribbon_send(ui, what)


def output_folder(office: XlwingsOfficeBook) -> Path:
    """The output folder of the current period if it exists, else the output folder itself (created)."""
    from .scheme import load_scheme

    scheme = load_scheme(office)
    base = ledger.output_folder(office, scheme)
    period = ledger.period_folder(office, scheme, scheme.period())
    if period.is_dir():
        return period
    base.mkdir(parents=True, exist_ok=True)
    return base


def open_folder(path: Path) -> None:
    """Show a folder in the system's file manager."""
    if sys.platform.startswith("win"):
        os.startfile(str(path))  # noqa: S606 - a folder of our own, opened in Explorer
    elif sys.platform == "darwin":
        subprocess.Popen(["open", str(path)])
    else:
        subprocess.Popen(["xdg-open", str(path)])


def do_open_output(ui: Ribbon) -> None:
    folder = output_folder(ui.office)
    open_folder(folder)


HELP = """绩效考评加载项：按钮从左到右就是一个考评周期。

1. 初始化台账：在空白工作簿中创建样例考评台账，保存后按本单位方案修改。
2. 生成表格：为每个被考评单位、考评部门、评议组和领导生成表格，放在“输出”文件夹。
3. 发送表格：把各自的表格用电子邮件发给每个接收方（“发送记录”工作表记下每一封，重发时只补发未成功的）。
4. 收集汇总：读取“提交”文件夹中发回的表格，逐一校验，汇总到“提交情况”“校验问题”“汇总数据”工作表。
5. 计算排名：计分、定等次和排名，写入“总排名”等结果工作表。
6. 生成反馈：为每个单位生成一份绩效反馈表。
7. 发送反馈：把绩效反馈表用电子邮件发给各被考评单位。
8. 打开输出文件夹：在资源管理器中打开本期的输出文件夹。

没有 Excel 的电脑（如 WPS、Linux）可以用命令行完成同样的工作：xlplugin -h"""


def do_help(ui: Ribbon) -> None:
    ui.alert(HELP)


@dataclass(frozen=True)
class Button:
    label: str  # as on the ribbon
    run: Callable[[Ribbon], None]
    image: str  # an Office icon (imageMso) for the ribbon XML


#: the ribbon's buttons, in order: control id -> label, handler, icon. templates/addin/customUI.xml is built from it.
BUTTONS: dict[str, Button] = {
    "xlp_init": Button("初始化台账", do_init, "FileNew"),
    "xlp_generate": Button("生成表格", do_generate, "TableInsert"),
    "xlp_send_forms": Button("发送表格", lambda ui: do_send(ui, "forms"), "FileSendAsAttachment"),
    "xlp_collect": Button("收集汇总", do_collect, "ImportExcel"),
    "xlp_score": Button("计算排名", do_score, "SortDescendingExcel"),
    "xlp_feedback": Button("生成反馈", do_feedback, "ReviewNewComment"),
    "xlp_send_feedback": Button("发送反馈", lambda ui: do_send(ui, "feedback"), "FileSendAsAttachment"),
    "xlp_open_output": Button("打开输出文件夹", do_open_output, "FileOpen"),
    "xlp_help": Button("帮助", do_help, "Help"),
}


def error_message(e: BaseException) -> str:
    from .scheme import SchemeError

    if isinstance(e, SchemeError):
        return e.report()
    if isinstance(e, (FileNotFoundError, FileExistsError, ValueError, PermissionError)):
        return f"错误：{e}"
    return (f"出现意外错误（{type(e).__name__}：{e}）。\n请把这条信息和下面的详细记录发给维护人员。\n\n"
            + "".join(traceback.format_exception(e)[-6:]))


def on_ribbon(control_id: str, book=None) -> None:
    """Run the ribbon button `control_id` on the workbook it was clicked in (or on `book`)."""
    import xlwings as xw

    book = book if book is not None else xw.Book.caller()
    ui = Ribbon(book)
    button = BUTTONS.get(control_id)
    if button is None:
        ui.alert(f"未知的按钮“{control_id}”。加载项与已安装的 xlplugin 版本不一致，请重新运行 xlplugin addin install。",
                 critical=True)
        return
    try:
        button.run(ui)
    except Exception as e:  # every failure reaches the user as a message box, never as a silent crash
        ui.alert(error_message(e), critical=True)

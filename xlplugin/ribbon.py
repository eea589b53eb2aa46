"""The ribbon door: what the add-in's buttons run, on the workbook they were clicked in. Nothing imports it.

`on_ribbon(control_id)` is what the add-in's single VBA callback runs through xlwings' RunPython:
    RunPython "import xlplugin.ribbon as x; x.on_ribbon('" & control.Id & "')"
It runs the same verbs as the command line, on the workbook the button was clicked in (`xw.Book.caller()`, behind
the xlwings adapter xlplugin.xlbook), shows progress in Excel's status bar and every outcome or error as a Chinese
message box. Forms and feedback workbooks are written to disk headless, exactly as the command line writes them.
The buttons themselves (ids, labels, icons, tooltips) are the add-in's list, xlplugin.addin.buttons; `HANDLERS`
says what each one runs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from . import ledger
from .addin.buttons import TAB
from .collect import collect
from .errors import unexpected_message, user_message
from .feedback import feedback
from .issues import ERROR
from .generate import generate
from .init import dropdowns, office_frames
from .mail import send
from .samples import SAMPLE_TITLES
from .score import WRITTEN, score
from .whatif import whatif
from .scheme import load_scheme
from .xlbook import XlwingsOfficeBook

TITLE = TAB.label  # of every message box: the tab's name, 绩效考评
PREFILL_LABEL = next(b.label for b in TAB.buttons if b.id == "xlp_prefill")
PREFILLED = ("evaluator", "leader")  # the kinds of form that show what was collected


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

    def phase(self, label: str) -> None:
        """A phase of the verb (读取考评台账, 计分 …): shown at once, and the label of the counts that follow."""
        self.label = label
        self._last = time.monotonic()
        self._set(f"{label}……")

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


# ================================================================================ the buttons


def do_init(ui: Ribbon, sample: str = "city") -> None:
    """初始化台账 (the menu's item for `sample`): the sample office workbook written into this empty workbook."""
    office = ui.office
    present = [s for s in office.sheet_names() if s in {sheet.name for sheet in ledger.SCHEME_SHEETS}]
    if present:
        ui.alert(f"本工作簿已经有考评台账的工作表（{'、'.join(present[:5])}{'等' if len(present) > 5 else ''}），未作任何改动。\n"
                 "如需重新开始，请新建一个空白工作簿，再点击“初始化台账”。", critical=True)
        return
    sheets = office_frames(sample)
    office.write_sheets(sheets)
    for name, frame in sheets.items():  # the dropdowns the command line's init writes, where Excel's engine can
        office.add_dropdowns(name, dropdowns(name, list(frame.columns), len(frame)))
    ui.activate(ledger.SETTINGS.name)
    ui.alert(f"已在本工作簿中创建样例考评台账（{SAMPLE_TITLES[sample]}，含新生成的签名密钥）。\n"
             "请先保存本工作簿，然后按本单位的方案修改“设置”“单位”“指标”“考评方案”等工作表，再点击“生成表格”。")


def do_generate(ui: Ribbon) -> None:
    with ui.progress("正在生成表格") as bar:
        result = generate(ui.office, progress=bar)
    ui.alert(result.summary())


def do_collect(ui: Ribbon) -> None:
    with ui.progress("正在收集表格") as bar:
        result = collect(ui.office, progress=bar)
    errors = int((result.issues["级别"] == ERROR).sum()) if len(result.issues) else 0
    if len(result.issues):
        ui.activate(ledger.ISSUES.name)
    text = f"收集文件夹：{result.folder}\n{result.summary()}"
    if result.prefill:
        text += f"\n\n下一步：点击“{PREFILL_LABEL}”，把各单位的自评情况预填进考评部门评分表，再发给尚未交表的考评部门。"
    ui.alert(text, critical=errors > 0)


def do_prefill(ui: Ribbon) -> None:
    """The departments' forms again with the units' reports, and the leaders' with each unit's scores so far."""
    with ui.progress("正在更新预填表格") as bar:
        result = generate(ui.office, kinds=list(PREFILLED), progress=bar)
    ui.alert(f"{result.summary()}\n考评部门评分表已预填各单位的自评情况，领导评价表附各单位截至目前的得分；"
             "被考评单位和评议组的表格未重新生成。已发出过的，请点“发送更新的表格”再发给各考评部门和领导。")


def do_score(ui: Ribbon) -> None:
    with ui.progress("正在计分") as bar:
        scored = score(ui.office, progress=bar)
    ui.activate(ledger.RANKING.name)
    ui.alert(f"{scored.summary()}，写入{WRITTEN}工作表。\n前 5 名：\n" + "\n".join(scored.top_lines(5, layout="numbered")))


def do_whatif(ui: Ribbon) -> None:
    with ui.progress("正在模拟") as bar:
        result = whatif(ui.office, progress=bar)
    ui.activate(ledger.WHATIF_RESULTS.name)
    ui.alert(f"{result.summary()}\n结果写入{ledger.WHATIF_RESULTS.name}工作表，正式结果没有改动。")


def do_feedback(ui: Ribbon) -> None:
    with ui.progress("正在生成反馈") as bar:
        result = feedback(ui.office, progress=bar)
    ui.alert(result.summary())


def _send(ui: Ribbon, what: str, label: str, resend_updated: bool = False) -> None:
    """The send verb, progress in the status bar, the outcome (and up to 12 details) in a message box; the
    发送记录 sheet shown when anything was tried."""
    bar = ui.progress(f"正在发送{label}")
    try:
        result = send(ui.office, what, progress=bar, resend_updated=resend_updated)
    finally:
        bar.clear()
    lines = result.details()
    text = result.summary()
    if lines:
        text += "\n\n" + "\n".join(f"· {line}" for line in lines[:12])
        if len(lines) > 12:
            text += f"\n…… 另有 {len(lines) - 12} 条，见“{ledger.SEND_LOG.name}”工作表。"
    if result.sent or result.failed or result.unknown or result.no_address or result.bad_address:
        ui.activate(ledger.SEND_LOG.name)
    ui.alert(text, critical=not result.ok)


def do_send_forms(ui: Ribbon) -> None:
    _send(ui, "forms", "表格")


def do_send_updated(ui: Ribbon) -> None:
    """Forms sent before and made again since (更新预填表格), or whose recipient's address changed: sent again."""
    _send(ui, "forms", "更新的表格", resend_updated=True)


def do_send_feedback(ui: Ribbon) -> None:
    _send(ui, "feedback", "反馈")


def output_folder(office: XlwingsOfficeBook) -> Path:
    """The output folder of the current period if it exists, else the output folder itself (created)."""
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

1. 初始化台账：在空白工作簿中创建样例考评台账（市对部门、市对县（区）或省对市，选最接近的一种），保存后按本单位方案修改。
2. 生成表格：为每个被考评单位、考评部门、评议组和领导生成表格，放在“输出”文件夹。
3. 发送表格：把各自的表格用电子邮件发给每个接收方（“发送记录”工作表记下每一封，重发时只补发未成功的）。
4. 收集汇总：读取“提交”文件夹中发回的表格，逐一校验，汇总到“提交情况”“校验问题”“汇总数据”工作表。
5. 更新预填表格：收集各单位的表格后，重新生成考评部门评分表（预填各单位的自评情况）和领导评价表（附各单位截至目前的得分）。
6. 发送更新的表格：把发出后又重新生成（如更新预填表格后）或改了邮箱地址的表格再发一次，其他的不重复发送。
7. 计算排名：计分、定等次和排名，写入“总排名”等结果工作表（含等次余量和复核提示）。
8. 方案模拟：按“方案模拟”工作表中的改动重新计分，与正式结果对照写入“模拟结果”，不改动正式结果。
9. 生成反馈：为每个单位生成一份绩效反馈表。
10. 发送反馈：把绩效反馈表用电子邮件发给各被考评单位。
11. 打开输出文件夹：在资源管理器中打开本期的输出文件夹。

没有 Excel 的电脑（如 WPS、Linux）可以用命令行完成同样的工作：xlplugin -h"""


def do_help(ui: Ribbon) -> None:
    ui.alert(HELP)


#: what each button of the ribbon (xlplugin.addin.buttons.BUTTONS, by control id) runs
HANDLERS: dict[str, Callable[[Ribbon], None]] = {
    "xlp_init": do_init,
    "xlp_init_county": partial(do_init, sample="county"),
    "xlp_init_province": partial(do_init, sample="province"),
    "xlp_generate": do_generate,
    "xlp_send_forms": do_send_forms,
    "xlp_collect": do_collect,
    "xlp_prefill": do_prefill,
    "xlp_send_updated": do_send_updated,
    "xlp_score": do_score,
    "xlp_whatif": do_whatif,
    "xlp_feedback": do_feedback,
    "xlp_send_feedback": do_send_feedback,
    "xlp_open_output": do_open_output,
    "xlp_help": do_help,
}

# ================================================================================ the entry point


def error_message(e: BaseException) -> str:
    """The message box text for a failed click: the Chinese text both doors give; for a bug, a Chinese sentence
    naming the log file that holds the details (never a traceback)."""
    text = user_message(e)
    return text if text is not None else unexpected_message(e)


def on_ribbon(control_id: str, book=None) -> None:
    """Run the ribbon button `control_id` on the workbook it was clicked in (or on `book`)."""
    import xlwings as xw  # only to find the calling workbook; slow to import, and not needed when `book` is given

    book = book if book is not None else xw.Book.caller()
    ui = Ribbon(book)
    handler = HANDLERS.get(control_id)
    if handler is None:
        ui.alert(f"未知的按钮“{control_id}”。加载项与已安装的 xlplugin 版本不一致，请重新运行 xlplugin addin install。",
                 critical=True)
        return
    try:
        handler(ui)
    except Exception as e:  # every failure reaches the user as a message box, never as a silent crash
        ui.alert(error_message(e), critical=True)

"""The add-in install (`xlplugin addin install`): the built add-in into Excel's start-up folder, this Python into its
settings file.

It copies the add-in where Excel loads add-ins at start (its XLSTART folder) and writes the current interpreter into
the add-in's settings file, as `xlwings addin install` does for xlwings' own add-in. It needs Excel (Windows or
macOS); elsewhere it refuses with `NoExcel`, whose message points to the command line.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .build import ADDIN_NAME, PROJECT, build


class NoExcel(UserError):
    """This computer has no Microsoft Excel the add-in could be installed into."""


NO_EXCEL = ("这台电脑上没有 Microsoft Excel（加载项只能在 Windows 或 macOS 版 Excel 中使用），未安装任何内容。\n"
            "在这里请用命令行完成同样的工作：xlplugin init / generate / collect / score / feedback（xlplugin -h 查看用法）。\n"
            "如需把加载项带到装有 Excel 的电脑上，可运行 xlplugin addin build 生成 workbooks/xlplugin.xlam。")


@dataclass(frozen=True)
class Installed:
    addin: Path  # the add-in in Excel's start-up folder
    interpreter: str  # the Python the add-in runs
    config: Path  # the settings file that names it

    def summary(self) -> str:
        return (f"已安装加载项：{self.addin}\n使用的 Python：{self.interpreter}（设置文件：{self.config}）\n"
                "请重新启动 Excel，功能区会出现“绩效考评”选项卡（Excel 启动文件夹是受信任位置，加载项的宏可以运行）。")


def config_file() -> Path:
    """Where the add-in's xlwings module reads its user settings (GetConfigFilePath with PROJECT_NAME xlplugin)."""
    if sys.platform == "darwin":  # sandboxed Excel's $HOME
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT}.conf"
    return Path.home() / f".{PROJECT}" / f"{PROJECT}.conf"


def write_config(path: Path, interpreter: str) -> None:
    key = "INTERPRETER_MAC" if sys.platform == "darwin" else "INTERPRETER_WIN"
    # the office workbook's folder is not put on sys.path: a stray .py beside it must never be imported
    lines = [f'"{key}","{interpreter}"', '"ADD_WORKBOOK_TO_PYTHONPATH","False"']
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def install() -> Installed:
    """Put the add-in into Excel's XLSTART folder and point it at this Python. Windows and macOS only (NoExcel).

    Not testable without Excel: kept to what `xlwings addin install` does (xlwings/cli.py).
    """
    if not (sys.platform.startswith("win") or sys.platform == "darwin"):
        raise NoExcel(NO_EXCEL)
    # xlwings' desktop engine: only where Excel is, and slow to import
    import xlwings as xw
    from xlwings.cli import get_addin_dir

    target = Path(get_addin_dir()) / ADDIN_NAME
    for app in xw.apps:  # a loaded copy would keep the file locked
        try:
            app.books[ADDIN_NAME].close()
        except Exception:
            pass
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(build(Path(tmp) / ADDIN_NAME), target)
    write_config(config_file(), sys.executable)
    if sys.platform == "darwin":
        from xlwings.cli import runpython_install  # macOS only, see above

        runpython_install(None)  # the AppleScript RunPython needs on macOS
    return Installed(target, sys.executable, config_file())

"""The add-in install (`xlplugin addin install`): the built add-in into Excel's start-up folder, this Python into its
settings file.

It copies the add-in where Excel loads add-ins at start (its XLSTART folder) and writes the current interpreter into
the add-in's settings file, as `xlwings addin install` does for xlwings' own add-in. It needs Excel (Windows or
macOS); elsewhere it refuses with `NoExcel`, whose message points to the command line.

The settings file is written the way the add-in's VBA reads it (xlwings' GetConfigFromFile): `"KEY","value"` lines
in the system's ANSI code page (cp936 on Chinese Windows), so a Python under C:\\Users\\张三 reads back as written;
a path that code page cannot hold is written from %LOCALAPPDATA% / %APPDATA% / %USERPROFILE%, which the VBA
expands, or refused. A conda Python also gets CONDA PATH / CONDA ENV, as `xlwings config create` writes them.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..files import write_bytes_atomically
from .build import ADDIN_NAME, PROJECT, build


class NoExcel(UserError):
    """This computer has no Microsoft Excel the add-in could be installed into."""


NO_EXCEL = ("这台电脑上没有 Microsoft Excel（加载项只能在 Windows 或 macOS 版 Excel 中使用），未安装任何内容。\n"
            "在这里请用命令行完成同样的工作：xlplugin init / generate / collect / score / feedback（xlplugin -h 查看用法）。\n"
            "如需把加载项带到装有 Excel 的电脑上，可运行 xlplugin addin build 生成 workbooks/xlplugin.xlam。")

UNREADABLE_HOME = ("用户文件夹的名称中有本机系统代码页（{encoding}）无法表示的字符，Excel 加载项可能找不到设置文件。"
                   "如点击按钮时提示找不到 Python，请在 Windows“区域”设置的“管理”页中把“非 Unicode 程序的语言”设为"
                   "“中文(简体，中国)”，重启电脑后重新运行 xlplugin addin install。")


@dataclass(frozen=True)
class Installed:
    addin: Path  # the add-in in Excel's start-up folder
    interpreter: str  # the Python the add-in runs
    config: Path  # the settings file that names it
    warning: str = ""  # what may keep the add-in from reading it

    def summary(self) -> str:
        text = (f"已安装加载项：{self.addin}\n使用的 Python：{self.interpreter}（设置文件：{self.config}）\n"
                "请重新启动 Excel，功能区会出现“绩效考评”选项卡（Excel 启动文件夹是受信任位置，加载项的宏可以运行）。")
        return f"{text}\n注意：{self.warning}" if self.warning else text


def config_file() -> Path:
    """Where the add-in's xlwings module reads its user settings (GetConfigFilePath with PROJECT_NAME xlplugin)."""
    if sys.platform == "darwin":  # sandboxed Excel's $HOME
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT}.conf"
    return Path.home() / f".{PROJECT}" / f"{PROJECT}.conf"


def vba_code_page(platform: str = sys.platform) -> str:
    """The encoding the add-in's VBA reads its settings file in.

    xlwings' GetConfigFromFile reads it with `Open ... For Input` / `Input #`, which on Windows decodes the bytes in
    the system's ANSI code page (936 on Chinese Windows), not UTF-8; xlwings' own `config create` writes it with
    Python's locale encoding, that same code page. On macOS that encoding is UTF-8.
    """
    if platform.startswith("win"):
        import ctypes  # Windows only: the ANSI code page, whatever Python's own UTF-8 mode says

        return f"cp{ctypes.windll.kernel32.GetACP()}"
    return "utf-8"


def conda_settings(prefix: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """CONDA PATH and CONDA ENV for a Python in a conda environment, as `xlwings config create` writes them (the
    conda installation without \\condabin, and the environment's name, or its path when it lies outside envs\\);
    {} for any other Python. The add-in's VBA then runs `<CONDA PATH>\\condabin\\conda activate <CONDA ENV> && ...`,
    so the environment's DLLs are found. Read from the environment's folder (sys.prefix), so it holds whether or
    not the environment was activated when `xlplugin addin install` ran."""
    if not (prefix / "conda-meta").is_dir():
        return {}
    if (prefix / "condabin").is_dir():  # the base environment is the installation itself
        root, env = prefix, "base"
    elif prefix.parent.name.lower() == "envs" and (prefix.parent.parent / "condabin").is_dir():
        root, env = prefix.parent.parent, prefix.name
    else:  # `conda create -p <folder>`: activated by its path; the installation is where conda itself is
        exe = environ.get("CONDA_EXE")
        root = Path(exe).parent.parent if exe else None
        if root is None or not (root / "condabin").is_dir() or " " in str(prefix):
            return {}
        env = str(prefix)
    return {"CONDA PATH": str(root), "CONDA ENV": env}


def settings(interpreter: str, platform: str = sys.platform, prefix: Path | None = None,
             environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What the settings file says, key by key (keys as the add-in's VBA asks GetConfig for them)."""
    environ = os.environ if environ is None else environ
    values = {("INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN"): interpreter}
    if platform.startswith("win"):  # as xlwings: conda activation on Windows only
        values.update(conda_settings(Path(sys.prefix) if prefix is None else prefix, environ))
    # the office workbook's folder is not put on sys.path: a stray .py beside it must never be imported
    values["ADD_WORKBOOK_TO_PYTHONPATH"] = "False"
    return values


#: folders the VBA expands (every value it reads passes through WScript's ExpandEnvironmentStrings), deepest first
EXPANDED = ("LOCALAPPDATA", "APPDATA", "USERPROFILE")


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def vba_value(value: str, encoding: str, environ: Mapping[str, str]) -> str:
    """`value` as the settings file can hold it in `encoding`: itself when the code page has every character; else
    with a leading folder the VBA expands again written as %LOCALAPPDATA%, %APPDATA% or %USERPROFILE%; else a
    UserError saying how to fix it (nothing is written)."""
    if _encodes(value, encoding):
        return value
    for var in EXPANDED:
        base = (environ.get(var) or "").rstrip("\\/")
        if base and value.lower().startswith(base.lower()) and value[len(base):len(base) + 1] in ("\\", "/"):
            candidate = f"%{var}%{value[len(base):]}"
            if _encodes(candidate, encoding):
                return candidate
    raise UserError(f"路径“{value}”中有本机系统代码页（{encoding}）无法表示的字符，Excel 加载项读不出这个设置，未安装任何内容。\n"
                    "请把 Python 安装到只含英文字母和数字的文件夹（如 C:\\Python311）后，用那个 Python 重新运行 "
                    "xlplugin addin install；或在 Windows“区域”设置的“管理”页中，把“非 Unicode 程序的语言”设为"
                    "“中文(简体，中国)”，重启电脑后重新运行。")


def config_bytes(values: Mapping[str, str], encoding: str, environ: Mapping[str, str] | None = None) -> bytes:
    """The settings file as the VBA reads it: one `"KEY","value"` line per setting (what VBA's `Write #` writes and
    `Input #` reads back), CRLF, in the code page the VBA decodes it in."""
    environ = os.environ if environ is None else environ
    lines = []
    for key, value in values.items():
        value = vba_value(value, encoding, environ)
        if '"' in value or "\n" in value or "\r" in value:  # Input # has no escape for either
            raise UserError(f"设置“{key}”的值“{value}”含有引号或换行，Excel 加载项无法读取，未安装任何内容。")
        lines.append(f'"{key}","{value}"\r\n')
    return "".join(lines).encode(encoding)


def write_config(path: Path, interpreter: str, platform: str = sys.platform, encoding: str | None = None,
                 prefix: Path | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Write the settings file for `interpreter` (see `settings`) in the VBA's code page; returns what it says."""
    values = settings(interpreter, platform, prefix, environ)
    _write(path, config_bytes(values, encoding or vba_code_page(platform), environ))
    return values


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomically(path, data)


def install() -> Installed:
    """Put the add-in into Excel's XLSTART folder and point it at this Python. Windows and macOS only (NoExcel).

    Not testable without Excel: kept to what `xlwings addin install` does (xlwings/cli.py).
    """
    if not (sys.platform.startswith("win") or sys.platform == "darwin"):
        raise NoExcel(NO_EXCEL)
    # xlwings' desktop engine: only where Excel is, and slow to import
    import xlwings as xw
    from xlwings.cli import get_addin_dir

    # the settings first: a path the VBA could not read refuses the install before anything is written
    encoding, config = vba_code_page(), config_file()
    data = config_bytes(settings(sys.executable), encoding)
    target = Path(get_addin_dir()) / ADDIN_NAME
    for app in xw.apps:  # a loaded copy would keep the file locked
        try:
            app.books[ADDIN_NAME].close()
        except Exception:
            pass
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(build(Path(tmp) / ADDIN_NAME), target)
    _write(config, data)
    if sys.platform == "darwin":
        from xlwings.cli import runpython_install  # macOS only, see above

        runpython_install(None)  # the AppleScript RunPython needs on macOS
    # the VBA finds the file through Environ("USERPROFILE"), itself in the ANSI code page
    warning = "" if _encodes(str(config), encoding) else UNREADABLE_HOME.format(encoding=encoding)
    return Installed(target, sys.executable, config, warning)

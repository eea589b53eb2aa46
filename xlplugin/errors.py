"""What a verb can refuse with, and how either door tells the user: one list, in Chinese, no traceback.

Both doors (the command line and the ribbon) show exactly the errors `user_message` knows; anything else is a
bug: the user gets a short Chinese sentence (`unexpected_message`), the maintainer the details in a log file
(`log_unexpected`), never the user a traceback. This module imports nothing of the package, so every module may
raise a UserError.
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path


class UserError(Exception):
    """A verb refuses: the message says, in Chinese, what is wrong and what to do. Nothing was written."""

    def report(self) -> str:
        return str(self)


def user_message(e: BaseException) -> str | None:
    """The Chinese text for an error a user can act on, or None for an unexpected one (a bug)."""
    if isinstance(e, UserError):
        return e.report()
    if isinstance(e, OSError) and e.errno is not None and e.filename:  # the system's English: say it in Chinese
        name = e.filename
        if isinstance(e, PermissionError):
            return f"错误：无法访问“{name}”：没有权限，或它正被其他程序（如 Excel、WPS）打开。请关闭它或检查权限后重试。"
        if isinstance(e, FileNotFoundError):
            return f"错误：找不到“{name}”。请检查路径是否正确。"
        if isinstance(e, IsADirectoryError):
            return f"错误：“{name}”是一个文件夹，这里需要一个文件。"
        if isinstance(e, FileExistsError):
            return f"错误：“{name}”已经存在。"
    if isinstance(e, (FileNotFoundError, FileExistsError, PermissionError)):  # raised by a verb with its own words
        return f"错误：{e}"
    return None


def log_folder() -> Path:
    """Where the details of unexpected errors go: beside the add-in's settings (~/.xlplugin/logs)."""
    return Path.home() / ".xlplugin" / "logs"


def log_unexpected(e: BaseException) -> Path | None:
    """Write what the maintainer needs about `e` (the traceback, the command, the system) to a new log file; its
    path, or None when no file could be written (neither in log_folder() nor in the temporary folder)."""
    stamp = datetime.now()
    text = (f"time: {stamp.isoformat()}\ncommand: {sys.argv!r}\npython: {sys.version}\n"
            f"system: {platform.platform()}\ncwd: {os.getcwd()}\n\n" + "".join(traceback.format_exception(e)))
    for folder in (log_folder(), Path(tempfile.gettempdir()) / "xlplugin-logs"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"error-{stamp:%Y%m%d-%H%M%S-%f}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def unexpected_message(e: BaseException) -> str:
    """The user's sentence for an error no verb foresaw (a bug): what happened, where the details are, what to do.
    Writes the details (log_unexpected)."""
    path = log_unexpected(e)
    where = f"详细记录已写入 {path}，请把这个文件发给维护人员。" if path else "详细记录无法写入文件，请把出错前的操作告诉维护人员。"
    return f"出现意外错误，操作没有完成（这是程序的问题，不是您的操作有误）。{where}"

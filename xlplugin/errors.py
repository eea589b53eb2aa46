"""What a verb can refuse with, and how either door tells the user: one list, in Chinese, no traceback.

Both doors (the command line and the ribbon) show exactly the errors `user_message` knows; anything else is a
bug, shown as such. This module imports nothing of the package, so every module may raise a UserError.
"""
from __future__ import annotations


class UserError(Exception):
    """A verb refuses: the message says, in Chinese, what is wrong and what to do. Nothing was written."""

    def report(self) -> str:
        return str(self)


def user_message(e: BaseException) -> str | None:
    """The Chinese text for an error a user can act on, or None for an unexpected one (a bug)."""
    if isinstance(e, UserError):
        return e.report()
    if isinstance(e, (FileNotFoundError, FileExistsError, ValueError, PermissionError)):
        return f"错误：{e}"
    return None

"""What a verb can refuse with, and how either door tells the user: one list, in Chinese, no traceback.

Both doors (the command line and the ribbon) catch exactly the errors `user_message` knows; anything else is a
bug, shown as such.
"""
from __future__ import annotations

from .scheme import SchemeError


class UserError(ValueError):
    """A verb refuses: the message is one Chinese sentence that says what is wrong and what to do."""


def user_message(e: BaseException) -> str | None:
    """The Chinese text for an error a user can act on, or None for an unexpected one (a bug)."""
    if isinstance(e, SchemeError):
        return e.report()
    if isinstance(e, (FileNotFoundError, FileExistsError, ValueError, PermissionError)):
        return f"错误：{e}"
    return None

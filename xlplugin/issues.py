"""Issues: one problem found in a returned file, named by file, sheet and cell, with what to do, in Chinese."""
from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "错误", "提醒"  # an error holds the form back; a reminder is for the clerk to look at


@dataclass(frozen=True)
class Issue:
    file: str
    sheet: str
    cell: str
    problem: str
    action: str
    severity: str = ERROR

"""The office's decisions on returned forms, typed into 提交情况's 处理 column: 接受 a form 待更正 as it is.

Both `collect` and `score` read the column before they rewrite anything and keep every decision in the record
(with when), so a decision typed after a collect counts at the next score, and none is ever lost.
"""
from __future__ import annotations

from . import ledger
from .officebook import OfficeBook
from .record import Record


def office_decisions(book: OfficeBook) -> dict[str, str | None]:
    """What the office typed in 提交情况's 处理 column, by file (SHA256)."""
    if ledger.STATUS.name not in book.sheet_names():
        return {}
    sheet = book.read_sheet(ledger.STATUS.name)
    if "处理" not in sheet.columns or "SHA256" not in sheet.columns:
        return {}
    return {str(h): (str(d).strip() or None) if d is not None else None
            for h, d in zip(sheet["SHA256"], sheet["处理"]) if h is not None}


def sync_decisions(record: Record, typed: dict[str, str | None]) -> dict[str, str | None]:
    """Keep the decisions typed in the record and apply them to which files count; the latest per file."""
    known = record.decisions()
    for sha, decision in typed.items():
        if decision or sha in known:
            record.decide(sha, decision)
    record.refresh_current()
    return record.decisions()

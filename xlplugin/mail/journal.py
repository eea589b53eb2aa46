"""The send journal: what happened to every message, so that nothing is sent twice and nothing is lost.

Every attempt is appended to a journal (``<output>/<year><period>/邮件/发送日志.jsonl``, fsync'd) before the
message goes out and again the moment the server has answered, so a crash or a dropped connection between two
messages loses nothing; the 发送记录 sheet of the office workbook is written from the journal at the end of each
run (and a run that crashed is merged in by the next one). `send` reads it to decide what is still to send.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pandas as pd

from .. import ledger
from ..officebook import OfficeBook
from ..values import cell_text
from .message import WHAT, Outgoing

SENT, FAILED, UNKNOWN, NO_ADDRESS, BAD_ADDRESS, SENDING = "已发送", "失败", "结果不明", "无邮箱地址", "邮箱地址无效", "发送中"
JOURNAL_NAME = "发送日志.jsonl"


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class SendLog:
    """The 发送记录 sheet plus the journal beside the outputs: every attempt, with the latest state per attempt."""

    def __init__(self, book: OfficeBook, journal: Path):
        self.book = book
        self.journal = journal
        self.rows: dict[str, dict] = {}  # attempt id (the Message-ID, or a made-up one) -> row, in first-seen order
        self.changed = False
        if ledger.SEND_LOG.name in book.sheet_names():
            frame = book.read_sheet(ledger.SEND_LOG.name)
            for rec in frame.to_dict("records"):
                row = {c: cell_text(rec.get(c), timestamps=True) for c in list(ledger.SEND_LOG.columns)}
                self.rows[row_id(row)] = row
        if journal.exists():
            with open(journal, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError:  # a line cut short by a crash
                        continue
                    ident = entry.pop("id", None)
                    if ident:
                        row = {c: entry.get(c, "") for c in list(ledger.SEND_LOG.columns)}
                        if ident not in self.rows or self._settled(self.rows[ident]) != self._settled(row):
                            self.changed = True  # the sheet lacks what the journal knows (a crashed run)
                        self.rows[ident] = row

    def note(self, row: dict) -> None:
        """Record a row that is no message (no address, a broken address)."""
        self.record(row_id(row), row)

    def record(self, ident: str, row: dict) -> None:
        """Append to the journal and make it durable before returning: the caller relies on it."""
        self.rows[ident] = {c: row.get(c, "") for c in list(ledger.SEND_LOG.columns)}
        self.changed = True
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with open(self.journal, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": ident, **self.rows[ident]}, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def latest(self, attempts_only: bool = True) -> dict[tuple, dict]:
        """The last attempt to send every message (or, with attempts_only=False, the last row of any kind);
        an attempt still 发送中 (a crash mid-send) counts as 结果不明."""
        out = {}
        for row in self.rows.values():
            if attempts_only and row["结果"] in (NO_ADDRESS, BAD_ADDRESS):
                continue
            row = self._settled(row)
            out[(row["内容"], row["考评期"], row["接收方类型"], row["接收方代码"])] = row
        return out

    @staticmethod
    def _settled(row: dict) -> dict:
        if row["结果"] == SENDING:
            return {**row, "结果": UNKNOWN, "说明": "发送过程中程序中断，服务器可能已经收下；请向对方确认，需要时用 --resend 重发。"}
        return row

    def frame(self) -> pd.DataFrame:
        rows = [self._settled(r) for r in self.rows.values()]
        return pd.DataFrame(rows, columns=list(ledger.SEND_LOG.columns))

    def save(self) -> None:
        if self.changed:
            self.book.write_sheets({ledger.SEND_LOG.name: self.frame()})
            self.changed = False


def row_id(row: dict) -> str:
    """A message attempt is known by its Message-ID; a row without one by what it says and when."""
    return row["邮件编号"] or "|".join(row[c] for c in ("内容", "考评期", "接收方类型", "接收方代码", "时间", "结果"))


def log_row(o: Outgoing, result: str, note: str = "", *, files: list[Path] = (), shas: list[str] = (),
            msgid: str = "") -> dict:
    """One row of the 发送记录 sheet for message `o`, stamped now."""
    return {"内容": WHAT[o.what], "考评期": o.period, "接收方类型": o.kind_label, "接收方代码": o.recipient.code,
            "接收方名称": o.recipient.name, "电子邮箱": "; ".join(o.addresses) or (o.recipient.email or ""),
            "文件": "\n".join(f.name for f in files), "SHA256": "\n".join(shas), "时间": _now(), "结果": result,
            "说明": note, "邮件编号": msgid}

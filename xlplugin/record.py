"""The year's record: an embedded SQLite database beside the office workbook that never forgets.

The office workbook shows views; the record keeps everything behind them: every file looked at (receipt: file,
sha256, time, period, form, verdict), every mark with its provenance (file, sheet, cell), every issue, the office's
decisions on forms to be corrected, every score run with the inputs it used and its results, and every adjustment
(before, after, why, who, when). Nothing is deleted: a superseded submission's marks stay, marked not current.

It is keyed by the office's identity (a fingerprint of the workbook's signing key) and the year, so two different
workbooks in one folder never mix, while a copy of the same workbook sees the same record. One transaction per
verb (`with record.transaction():`), WAL journal, and a schema version with migrations.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from . import ledger
from .errors import UserError

DEFAULT_NAME = ledger.DEFAULT_RECORD
RECEIVED, PENDING = "已收到", "待更正"  # the verdicts whose marks can count (待更正 only when accepted)
SCHEMA_VERSION = 1

# Each migration takes the database from version i to i + 1 (index i); a new version appends one, never edits one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY, office TEXT NOT NULL, year INTEGER NOT NULL, verb TEXT NOT NULL, period TEXT,
        started TEXT NOT NULL, detail TEXT);
    CREATE TABLE receipts (
        id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), office TEXT NOT NULL, year INTEGER NOT NULL,
        period TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL, received TEXT, kind TEXT, recipient TEXT,
        verdict TEXT NOT NULL, errors INTEGER NOT NULL DEFAULT 0, live INTEGER NOT NULL DEFAULT 0,
        current INTEGER NOT NULL DEFAULT 0);
    CREATE UNIQUE INDEX receipts_seen ON receipts (office, year, period, file, sha256);
    CREATE INDEX receipts_current ON receipts (office, year, current);
    CREATE TABLE marks (
        receipt INTEGER NOT NULL REFERENCES receipts(id), unit TEXT, source TEXT, indicator TEXT, rater TEXT,
        item TEXT, value, sheet TEXT, cell TEXT);
    CREATE INDEX marks_receipt ON marks (receipt);
    CREATE TABLE issues (
        receipt INTEGER NOT NULL REFERENCES receipts(id), sheet TEXT, cell TEXT, problem TEXT, action TEXT,
        severity TEXT);
    CREATE INDEX issues_receipt ON issues (receipt);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY, office TEXT NOT NULL, year INTEGER NOT NULL, sha256 TEXT NOT NULL, decision TEXT,
        decided TEXT NOT NULL);
    CREATE TABLE score_runs (
        id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), office TEXT NOT NULL, year INTEGER NOT NULL,
        scheme TEXT NOT NULL, periods TEXT NOT NULL, interim INTEGER NOT NULL, inputs TEXT NOT NULL);
    CREATE TABLE results (
        score_run INTEGER NOT NULL REFERENCES score_runs(id), unit TEXT NOT NULL, name TEXT, category TEXT,
        total REAL, bonus REAL, final REAL, grade TEXT, rank INTEGER, category_rank INTEGER, detail TEXT);
    CREATE INDEX results_run ON results (score_run);
    CREATE TABLE adjustments (
        id INTEGER PRIMARY KEY, score_run INTEGER REFERENCES score_runs(id), office TEXT NOT NULL,
        year INTEGER NOT NULL, unit TEXT NOT NULL, period TEXT, target TEXT, before REAL, after REAL, why TEXT,
        who TEXT, decided TEXT, recorded TEXT NOT NULL);
    """,
]

#: the marks as scoring reads them (English names), with their period and provenance
MARK_FIELDS = ("unit", "period", "source", "indicator", "rater", "item", "value", "file", "sheet", "cell")


def office_id(key: str) -> str:
    """The workbook's identity: a fingerprint of its signing key (the key itself never leaves the workbook)."""
    return hashlib.sha256(("xlplugin-office:" + key).encode("utf-8")).hexdigest()[:16]


def record_path(book, scheme) -> Path:
    name = getattr(scheme.settings, "record_name", "") or DEFAULT_NAME
    path = Path(name)
    return path if path.is_absolute() else book.folder / path


def _storable(value):
    """A mark's value as SQLite keeps it: numbers and text as they are, dates as ISO text."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class Record:
    """The record of one office workbook and year, open on its SQLite file."""

    def __init__(self, path: str | Path, office: str, year: int):
        self.path = Path(path)
        self.office, self.year = office, int(year)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives a crash of the process
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise UserError(f"考评数据文件“{self.path.name}”无法打开（{e}）。它可能已损坏或不是本工具的数据文件；"
                            "请从备份恢复，或在“设置”的“数据文件”中指定另一个文件。") from None
        self._run: int | None = None

    @classmethod
    def for_book(cls, book, scheme) -> Record:
        s = scheme.settings
        return cls(record_path(book, scheme), office_id(s.key), s.year)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Record:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------- schema
    def version(self) -> int:
        has_meta = self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not has_meta:
            return 0
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        current = self.version()
        if current > SCHEMA_VERSION:
            raise UserError(f"考评数据文件“{self.path.name}”由更新版本的 xlplugin 写入（数据版本 {current}），"
                            f"本版本只认识到 {SCHEMA_VERSION}。请升级 xlplugin。")
        for version in range(current, SCHEMA_VERSION):
            self.db.execute("BEGIN IMMEDIATE")
            try:  # statement by statement: executescript would commit in the middle
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(version + 1),))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # -------------------------------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self, verb: str, period: str | None = None, detail: dict | None = None) -> Iterator[int]:
        """One verb's changes, all or nothing; yields the id of the run it records."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            cur = self.db.execute("INSERT INTO runs (office, year, verb, period, started, detail) VALUES (?,?,?,?,?,?)",
                                  (self.office, self.year, verb, period, _now("microseconds"),
                                   json.dumps(detail or {}, ensure_ascii=False)))
            self._run = cur.lastrowid
            yield self._run
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        finally:
            self._run = None

    # --------------------------------------------------------------------------------------------- collect
    def known(self, period: str) -> dict[tuple[str, str], int]:
        """(file, sha256) → receipt id of every file already recorded for `period`."""
        rows = self.db.execute("SELECT file, sha256, id FROM receipts WHERE office=? AND year=? AND period=?",
                               (self.office, self.year, period))
        return {(f, h): i for f, h, i in rows}

    def add_receipt(self, period: str, file: str, sha256: str, received: datetime | None, kind: str, recipient: str,
                    verdict: str, errors: int, marks, issues: Iterable) -> int:
        """Record one file seen for the first time, with its marks (a `Marks`) and issues."""
        cur = self.db.execute(
            "INSERT INTO receipts (run, office, year, period, file, sha256, received, kind, recipient, verdict, errors)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (self._run, self.office, self.year, period, file, sha256, received.isoformat(sep=" ") if received else None,
             kind, recipient, verdict, errors))
        rid = cur.lastrowid
        if len(marks):
            n = len(marks)
            plain = (float, str, int, type(None))  # most values: stored as they are
            rater, values = marks.rater, [v if type(v) in plain else _storable(v) for v in marks.value]
            self.db.executemany("INSERT INTO marks VALUES (?,?,?,?,?,?,?,?,?)",
                                zip([rid] * n, marks.unit, marks.source, marks.indicator, [rater] * n, marks.item,
                                    values, marks.sheet, marks.cell))
        self.db.executemany("INSERT INTO issues VALUES (?,?,?,?,?,?)",
                            [(rid, i.sheet, i.cell, i.problem, i.action, i.severity) for i in issues])
        return rid

    def update_verdict(self, receipt: int, verdict: str) -> None:
        self.db.execute("UPDATE receipts SET verdict=? WHERE id=?", (verdict, receipt))

    def set_live(self, period: str, receipts: Iterable[int]) -> None:
        """The files the latest collect of `period` found; the period's other receipts stay, no longer counting."""
        self.db.execute("UPDATE receipts SET live=0, current=0 WHERE office=? AND year=? AND period=?",
                        (self.office, self.year, period))
        self.db.executemany("UPDATE receipts SET live=1 WHERE id=?", [(r,) for r in receipts])
        self.refresh_current()

    def refresh_current(self) -> None:
        """Which files' marks count: of the files found by each period's latest collect, the forms received, and the
        forms 待更正 that the office accepted as they are (its latest decision on that file is 接受)."""
        accepted = [sha for sha, decision in self.decisions().items() if decision == ledger.ACCEPT]
        self.db.execute(
            f"UPDATE receipts SET current = (live = 1 AND (verdict = ? OR (verdict = ? AND sha256 IN"
            f" ({','.join('?' * len(accepted))})))) WHERE office=? AND year=?",
            (RECEIVED, PENDING, *accepted, self.office, self.year))

    # ------------------------------------------------------------------------------------------- decisions
    def decide(self, sha256: str, decision: str | None) -> bool:
        """Record the office's decision on a file (e.g. 接受 for a form to be corrected); True if it changed."""
        if self.decisions().get(sha256) == (decision or None):
            return False
        self.db.execute("INSERT INTO decisions (office, year, sha256, decision, decided) VALUES (?,?,?,?,?)",
                        (self.office, self.year, sha256, decision or None, _now()))
        return True

    def decisions(self) -> dict[str, str | None]:
        """The latest decision per file (sha256)."""
        rows = self.db.execute("SELECT sha256, decision FROM decisions WHERE office=? AND year=? ORDER BY id",
                               (self.office, self.year))
        return {sha: decision for sha, decision in rows}

    # ------------------------------------------------------------------------------------------- reading
    def current_marks(self, periods: Iterable[str] | None = None, items: Iterable[str] | None = None,
                      provenance: bool = True) -> pd.DataFrame:
        """Every current mark of the year (or of `periods`; only `items` if given), with provenance (file, sheet,
        cell) unless `provenance` is false — scoring reads only the few items it scores, without provenance."""
        fields = MARK_FIELDS if provenance else MARK_FIELDS[:7]
        columns = {"unit": "m.unit", "period": "r.period", "source": "m.source", "indicator": "m.indicator",
                   "rater": "m.rater", "item": "m.item", "value": "m.value", "file": "r.file", "sheet": "m.sheet",
                   "cell": "m.cell"}
        sql = (f"SELECT {', '.join(columns[f] for f in fields)} FROM marks m JOIN receipts r ON m.receipt = r.id"
               " WHERE r.office=? AND r.year=? AND r.current=1")
        args: list = [self.office, self.year]
        for name, values in (("r.period", periods), ("m.item", items)):
            if values is not None:
                values = list(values)
                sql += f" AND {name} IN ({','.join('?' * len(values))})"
                args += values
        sql += " ORDER BY r.period, r.id, m.rowid"
        frame = pd.DataFrame(self.db.execute(sql, args).fetchall(), columns=list(fields), dtype=object)
        frame["indicator"] = frame["indicator"].where(frame["indicator"] != "", None)
        return frame

    def first_recorded(self, period: str, kind: str) -> datetime | None:
        """When the latest of the forms of `kind` that count in `period` was first recorded (the collect that stored
        it), or None: what a form generated before that time cannot show yet."""
        row = self.db.execute("SELECT MAX(u.started) FROM receipts r JOIN runs u ON r.run = u.id"
                              " WHERE r.office=? AND r.year=? AND r.period=? AND r.kind=? AND r.current=1",
                              (self.office, self.year, period, kind)).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def periods_collected(self) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT period FROM receipts WHERE office=? AND year=? AND current=1",
                               (self.office, self.year))
        return [r[0] for r in rows]

    def count(self, table: str) -> int:
        assert table in ("runs", "receipts", "marks", "issues", "decisions", "score_runs", "results", "adjustments")
        return self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    # --------------------------------------------------------------------------------------------- score
    def add_score_run(self, scheme_fingerprint: str, periods: list[str], interim: bool, inputs: dict,
                      units: pd.DataFrame) -> int:
        cur = self.db.execute(
            "INSERT INTO score_runs (run, office, year, scheme, periods, interim, inputs) VALUES (?,?,?,?,?,?,?)",
            (self._run, self.office, self.year, scheme_fingerprint, json.dumps(periods, ensure_ascii=False),
             int(interim), json.dumps(inputs, ensure_ascii=False, default=str)))
        sid = cur.lastrowid
        periods_cols = [c for c in units.columns if c.startswith("total:")]
        self.db.executemany(
            "INSERT INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(sid, u["unit"], u["name"], u["category"], float(u["total"]), float(u["bonus"]), float(u["final"]),
              u["grade"], int(u["rank"]), int(u["category_rank"]),
              json.dumps({c: float(u[c]) for c in periods_cols}, ensure_ascii=False))
             for u in units.to_dict("records")])
        return sid

    def add_adjustment(self, score_run: int | None, unit: str, period: str | None, target: str, before, after,
                       why: str, who: str, decided: str) -> None:
        self.db.execute(
            "INSERT INTO adjustments (score_run, office, year, unit, period, target, before, after, why, who, decided,"
            " recorded) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (score_run, self.office, self.year, unit, period, target, before, after, why, who, decided, _now()))

    def last_results(self, year: int | None = None, annual: bool = False) -> pd.DataFrame | None:
        """The results of the latest score run of `year` (default: this record's year), or None; with `annual`, the
        latest annual (not interim) run where there is one."""
        year = self.year if year is None else year
        order = "interim, id DESC" if annual else "id DESC"
        row = self.db.execute(f"SELECT id FROM score_runs WHERE office=? AND year=? ORDER BY {order} LIMIT 1",
                              (self.office, year)).fetchone()
        if row is None:
            return None
        rows = self.db.execute("SELECT unit, name, category, total, bonus, final, grade, rank, category_rank"
                               " FROM results WHERE score_run=?", (row[0],)).fetchall()
        return pd.DataFrame(rows, columns=["unit", "name", "category", "total", "bonus", "final", "grade", "rank",
                                           "category_rank"])


def _now(timespec: str = "seconds") -> str:
    """The time now as stored; a run's start to the microsecond (a form generated since can be told apart)."""
    return datetime.now().isoformat(sep=" ", timespec=timespec)

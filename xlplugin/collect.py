"""collect: read every returned file, check it, gather all marks into one long table.

Each file is looked at once and gets a receipt (sha256, time, verdict); a bad file never stops the run.
A form is identified by its signed meta sheet, not by its file name. When two files carry the same form,
the newer one is used and the older is listed as superseded. Submissions are only ever read.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import pandas as pd

from . import ledger
from .bonus import bonus_claims
from .decisions import office_decisions, sync_decisions
from .errors import UserError
from .files import sha256_file
from .forms import KINDS, SPECS, form_spec, recipients_by_kind
from .forms.inputs import Reading, diagnose
from .forms.read import FormError, FormFile, column_changes, definitions, read_meta
from .generate import prefill_due
from .intake import MAX_FILE_BYTES, Rejected, inspect
from .issues import ERROR, WARNING, Issue
from .ledger import Progress, announce
from .looks import sheet_looks
from .marks import Marks, marks_table, marks_view
from .officebook import OfficeBook
from .overview import overview, read_view
from .record import PENDING, RECEIVED, Record
from .scheme import Period, Scheme, load_scheme
from .stats import deviations, read_stats
from .values import visible_text


LATE, MISSING, REJECTED, SUPERSEDED, IGNORED = "逾期", "缺交", "退回", "被替代", "已忽略"
UNREADABLE = "文件无法读取：其中的工作表内容已损坏或不是 Excel 保存的格式。"
CRASHED = ("读取这个文件时读取程序异常终止（文件内容可能被其他工具改动过或已损坏），已拒收；其他文件不受影响。")
# RECEIVED, and PENDING (待更正): a form with errors, its marks held out of scoring until corrected or accepted


@dataclass
class Outcome:
    """What one file turned out to be."""

    path: Path
    name: str  # path relative to the submission folder, as shown to the user
    sha256: str
    received: datetime
    verdict: str = RECEIVED  # RECEIVED / PENDING / REJECTED / SUPERSEDED / IGNORED
    kind: str = ""
    recipient: str = ""
    marks: Marks = field(default_factory=Marks)  # as columns; iterating gives Mark objects
    issues: list[Issue] = field(default_factory=list)
    found: list[Issue] = field(default_factory=list)  # the file's own issues (kept in the record when superseded)
    accepted: bool = False  # a form 待更正 that the office accepted as it is (处理: 接受)

    @property
    def errors(self) -> int:
        return sum(1 for i in self.found or self.issues if i.severity == ERROR)

    @property
    def current(self) -> bool:
        """Whether this file's marks count: a form received without errors, or one the office accepted."""
        return self.verdict == RECEIVED or (self.verdict == PENDING and self.accepted)


@dataclass
class CollectResult:
    folder: Path
    outcomes: list[Outcome]
    status: pd.DataFrame
    issues: pd.DataFrame
    marks: pd.DataFrame
    #: units' reports came in that the evaluating departments' forms do not show yet (generate.prefill_due): the
    #: doors offer generating them again as the next step
    prefill: bool = False

    def summary(self) -> str:
        counts = self.status["状态"].value_counts()
        parts = [f"{k} {counts[k]} 份" for k in (RECEIVED, LATE, PENDING, MISSING, REJECTED, SUPERSEDED, IGNORED) if k in counts]
        errors = int((self.issues["级别"] == ERROR).sum()) if len(self.issues) else 0
        text = (f"读取 {len(self.outcomes)} 个文件：{'，'.join(parts)}；汇总 {len(self.marks)} 条数据；"
                f"发现 {len(self.issues)} 个问题（其中错误 {errors} 个），详见“{ledger.ISSUES.name}”工作表。")
        if PENDING in counts:
            text += (f"\n{counts[PENDING]} 份表格有错误（待更正），其数据在收到更正后的文件前不计分；"
                     f"如确认按原样计分，请在“{ledger.STATUS.name}”工作表该行的“处理”列填写“{ledger.ACCEPT}”。")
        return text

    def error_lines(self, limit: int, files: set[str] | None = None) -> list[str]:
        """The first `limit` errors (of `files` only, when given) as “file，sheet，cell：problem”, and a line saying
        how many more there are."""
        errors = self.issues[self.issues["级别"] == ERROR]
        if files is not None:
            errors = errors[errors["文件"].isin(files)]
        lines = []
        for row in errors.head(limit).itertuples(index=False):
            where = "，".join(x for x in (row.文件, row.工作表, row.单元格) if isinstance(x, str))
            lines.append(visible_text(f"{where}：{row.问题}"))  # no control character reaches a terminal
        if len(errors) > limit:
            lines.append(f"…… 另有 {len(errors) - limit} 个错误，见考评台账“{ledger.ISSUES.name}”工作表。")
        return lines


@dataclass
class RunContext:
    """What every file of one run is checked against, computed once per run (and per worker process)."""

    scheme: Scheme
    period: Period
    known: dict[str, set[str]] = field(default_factory=dict)  # kind → recipient codes (filled on demand)

    @classmethod
    def of(cls, scheme: Scheme, period: Period) -> RunContext:
        return cls(scheme, period, {kind: {r.code for r in rs} for kind, rs in recipients_by_kind(scheme).items()})

    def recipients(self, kind: str) -> set[str]:
        if kind not in self.known:
            self.known[kind] = {r.code for r in KINDS[kind].recipients(self.scheme)}
        return self.known[kind]


def read_submission(path: Path, name: str, scheme: Scheme, period: Period, context: RunContext | None = None) -> Outcome:
    """Check one file and read its marks; every problem becomes an Issue, nothing is raised.

    The file is read once: its sha256, the container checks and the parser all see the same bytes."""
    context = context if context is not None else RunContext(scheme, period)
    stat = path.stat()
    received = datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0)
    data = path.read_bytes() if stat.st_size <= MAX_FILE_BYTES else None  # too big: refused, only hashed
    out = Outcome(path, name, sha256_file(path) if data is None else hashlib.sha256(data).hexdigest(), received)

    def reject(sheet: str, cell: str, problem: str, action: str) -> Outcome:
        out.verdict = REJECTED
        out.marks = Marks()
        out.issues.append(Issue(name, sheet, cell, problem, action))
        return out

    unreadable = "请用 Excel 或 WPS 打开确认无误后另存为 .xlsx 重新发送。"
    try:
        intake = inspect(path, data)
        form = FormFile(path, intake.data)
        meta = read_meta(form)
    except Rejected as e:
        return reject("", "", str(e), "请按提示处理后重新发送。")
    except FormError as e:
        return reject(e.sheet, e.cell, str(e), "请使用下发的原始表格填写后重新发送。")
    except BaseException as e:  # an unreadable workbook must not stop the others (a parser's panic included)
        _reraise_exit(e)
        return reject("", "", UNREADABLE, unreadable)
    out.kind, out.recipient = meta.kind, meta.recipient
    spec, module = form_spec(meta.kind, form), KINDS[meta.kind]
    known = context.recipients(meta.kind)
    if meta.year != str(scheme.settings.year) or meta.period != period.name:
        return reject("", "", f"这是 {meta.year} 年度“{meta.period}”的表格，本次收集的是 {scheme.settings.year} 年度“{period.name}”。",
                      "请填写本期下发的表格。")
    if meta.recipient not in known:
        return reject("", "", f"表格的接收方“{meta.recipient_name}（{meta.recipient}）”不在当前考评台账中。",
                      "请与绩效办联系确认。")
    try:
        moved = column_changes(form, spec)
        signed = not moved and meta.verify(scheme.settings.key, definitions(form, spec, meta))
    except FormError as e:
        return reject(e.sheet, e.cell, str(e), "请使用下发的原始表格填写后重新发送。")
    except BaseException as e:  # the other sheets are parsed only now: one that does not parse must not stop the run
        _reraise_exit(e)
        return reject("", "", UNREADABLE, unreadable)
    if moved:
        action = "列不得增删或移动。请使用下发的原始表格重新填写后发送。"
        for sheet, cell, problem in moved:
            out.issues.append(Issue(name, sheet, cell, problem, action))
        return reject("", "", "表格的列被增删或移动过，填写的内容无法对应到正确的列，整份退回。", action)
    if not signed:
        grids = {g.sheet: g for g in spec.grids}
        try:
            found, own = diagnose(form, grids, meta, module.expected(scheme, meta.recipient))
        except Exception:  # the diagnosis is a courtesy; the form is sent back either way
            found, own = [], False
        if not own:  # rows of someone else's form (a copied meta): do not file it under the meta's recipient
            out.kind, out.recipient = "", ""
        action = "锁定内容不得修改。请使用下发的原始表格重新填写后发送。"
        if not found:
            found = [("", "", "表格的校验信息与内容不符：可能复制了其他单位的表格，或改动了隐藏的校验信息。")]
        for sheet, cell, problem in found:
            out.issues.append(Issue(name, sheet, cell, problem, action))
        return reject("", "", "签名校验未通过，表格被改动过，整份退回。", action)
    sheets = {g.sheet for g in spec.grids} | {f.sheet for f in spec.fields}
    # a cell holding an error value (#DIV/0!) reads as empty: like a formula, its stored value is not what was typed
    errors = {s: {ref: v for ref, v in intake.error_cells(s).items() if ref not in intake.formula_cells(s)}
              for s in sheets}
    try:
        rd = Reading(scheme, form, meta, name, {s: intake.formula_cells(s) | set(errors[s]) for s in sheets}, errors)
        module.read_marks(rd)
    except BaseException as e:
        _reraise_exit(e)
        return reject("", "", UNREADABLE, unreadable)
    out.marks, out.issues = rd.marks, rd.sorted_issues()
    if any(i.severity == ERROR for i in out.issues):
        out.verdict = PENDING
    return out


def list_files(folder: Path) -> list[tuple[Path, str]]:
    """Every file under `folder`, with its name as shown to the user: the path relative to the folder, with
    bytes that were not UTF-8 (a Chinese-Windows zip unpacked here leaves GBK names) and control characters
    escaped visibly (values.visible_text), so the name can be written into a workbook and the record."""
    if not folder.exists():
        return []
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sorted((p, visible_text(p.relative_to(folder).as_posix())) for p in files)


def _reraise_exit(e: BaseException) -> None:
    """Let an interrupt or an exit through; anything else a reader raises (an exception, or the panic of a
    parser written in Rust, which is not an Exception) only rejects the file at hand."""
    if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise e


_state: RunContext | None = None
READER_MEMORY = 2 * 1024 ** 3  # address space a reader process may add: far above a form's needs (~100 MB)


def _init(context: RunContext) -> None:
    global _state
    _state = context
    try:  # a reader that tries to allocate gigabytes fails at once instead of swapping the machine (Linux, macOS)
        import resource

        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (used + READER_MEMORY, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (ImportError, OSError, ValueError, AttributeError):
        pass


def _read(item: tuple[Path, str]) -> Outcome:
    path, name = item
    if path.name.startswith(("~$", ".")):
        stat = path.stat()
        return Outcome(path, name, sha256_file(path), datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0),
                       verdict=IGNORED, issues=[Issue(name, "", "", "临时文件或隐藏文件（如 Excel 打开时产生的 ~$ 文件），已忽略。",
                                                     "无需处理。", WARNING)])
    return read_submission(path, name, _state.scheme, _state.period, _state)


def _read_alone(context: RunContext, item: tuple[Path, str], pipe) -> None:
    """In a single-use process: read one file and send its outcome back."""
    _init(context)
    pipe.send(_read(item))
    pipe.close()


def _crashed(item: tuple[Path, str]) -> Outcome:
    path, name = item
    stat = path.stat()
    return Outcome(path, name, sha256_file(path), datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0),
                   verdict=REJECTED, issues=[Issue(name, "", "", CRASHED, "请用 Excel 或 WPS 打开确认无误后另存为 .xlsx 重新发送。")])


def read_isolated(context: RunContext, items: list[tuple[int, tuple[Path, str]]], workers: int):
    """Read each file in a process of its own (`workers` at a time), yielding (index, outcome): a file whose
    reader dies — an exception or a signal (a parser aborting on a hostile file) — is rejected, nothing else."""
    ctx = multiprocessing.get_context()
    for start in range(0, len(items), max(1, workers)):
        running = []
        for index, item in items[start:start + max(1, workers)]:
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_read_alone, args=(context, item, send), daemon=True)
            proc.start()
            send.close()  # ours: once the child is gone, receiving ends instead of waiting
            running.append((index, item, proc, receive))
        for index, item, proc, receive in running:
            try:
                outcome = receive.recv()
            except (EOFError, OSError):
                outcome = _crashed(item)
            finally:
                receive.close()
                proc.join()
            yield index, outcome


def read_all(scheme: Scheme, period: Period, files: list[tuple[Path, str]], progress: Progress | None = None,
             workers: int | None = None, each: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Read every file in reader processes (a pool: the fast path), never in this one: a file that makes its
    reader die by a signal must not take the collect with it. When the pool breaks so, the files it had not
    finished are read again, each in a process of its own, and only the one whose reader dies is rejected.
    `each(outcome)` is called as each file's outcome arrives, while the readers go on with the others."""
    total = len(files)
    workers = workers if workers is not None else (min(os.cpu_count() or 1, 8) if total >= 60 else 1)
    workers = max(1, workers)
    done: dict[int, Outcome] = {}
    context = RunContext.of(scheme, period)  # once, in this process: the workers get it ready-made

    def got(index: int, outcome: Outcome) -> None:
        done[index] = outcome
        if each is not None:
            each(outcome)
        if progress:
            progress(len(done), total)

    try:
        with ProcessPoolExecutor(workers, initializer=_init, initargs=(context,)) as pool:
            # small chunks (a file takes ~10 ms): at the end no worker waits long for another's last chunk
            for index, outcome in enumerate(pool.map(_read, files, chunksize=max(1, min(8, total // (workers * 4) or 1)))):
                got(index, outcome)
    except BrokenProcessPool:
        left = [(i, item) for i, item in enumerate(files) if i not in done]
        for index, outcome in read_isolated(context, left, workers):
            got(index, outcome)
    return [done[i] for i in range(total)]


def supersede(outcomes: list[Outcome]) -> None:
    """Of several files for the same form (received or 待更正), the newest is the form's; the others are marked
    superseded. Their marks and issues stay with them (the record keeps them); only the newest counts."""
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for o in outcomes:
        o.found = list(o.issues)
        if o.verdict in (RECEIVED, PENDING):
            groups.setdefault((o.kind, o.recipient), []).append(o)
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda o: (o.received, o.name))
        newest = group[-1]
        for old in group[:-1]:
            old.verdict = SUPERSEDED
            old.issues = [Issue(old.name, "", "", f"同一份表格收到多个文件，此文件已被较新的“{newest.name}”替代。",
                                "无需处理；如需以此文件为准，请删除较新的文件后重新收集。", WARNING)]


def _deadline(scheme: Scheme, period: Period) -> date | None:
    text = period.deadline or scheme.settings.deadline
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def tables(scheme: Scheme, period: Period, outcomes: list[Outcome], stats: pd.DataFrame | None = None
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three sheets collect writes: the status of every expected form (and of every other file), the issues
    (with every 实际完成值 beyond the tolerance from the statistics bureau's `stats`), and the marks that count (of
    forms received, or 待更正 and accepted by the office)."""
    deadline = _deadline(scheme, period)
    used = {(o.kind, o.recipient): o for o in outcomes if o.verdict in (RECEIVED, PENDING)}
    # a form whose only file was sent back is "rejected", not "missing": its row shows the newest such file
    rejected = {(o.kind, o.recipient): o for o in sorted(outcomes, key=lambda o: o.received)
                if o.verdict == REJECTED and o.recipient}
    shown: set[int] = set()
    status = []
    recipients = recipients_by_kind(scheme)
    for kind, listed in recipients.items():
        label = SPECS[kind].folder
        for r in listed:
            o = used.get((kind, r.code)) or rejected.get((kind, r.code))
            if o is None:
                status.append([label, r.code, r.name, MISSING, None, None, None, None, None])
                continue
            shown.add(id(o))
            if o.verdict == RECEIVED or o.accepted:
                late = deadline is not None and o.received.date() > deadline
                state = LATE if late else RECEIVED
            else:
                state = o.verdict  # 待更正 or 退回
            status.append([label, r.code, r.name, state, o.name, o.received, len(o.issues), o.sha256,
                           ledger.ACCEPT if o.accepted else None])
    names = {(k, r.code): r.name for k, listed in recipients.items() for r in listed}
    for o in outcomes:
        if id(o) not in shown:
            label = SPECS[o.kind].folder if o.kind else None
            status.append([label, o.recipient or None, names.get((o.kind, o.recipient)), o.verdict, o.name,
                           o.received, len(o.issues), o.sha256, None])
    status_df = pd.DataFrame(status, columns=list(ledger.STATUS.columns))
    unit_names = {u.code: u.name for u in scheme.units}
    marks = marks_table([o.marks for o in outcomes if o.current], unit_names)
    found = [i for o in outcomes for i in o.issues]
    if stats is not None:
        found += deviations(scheme, marks, stats)
    issues_df = pd.DataFrame([[i.file, i.sheet or None, i.cell or None, i.problem, i.action, i.severity]
                              for i in found], columns=list(ledger.ISSUES.columns))
    return status_df, issues_df, marks


class Store:
    """Puts a run into the record: a receipt for every file not seen before (with its marks and its own issues),
    added as each file's outcome arrives (`add`, while the readers go on); then, once the run's verdicts are known,
    every file's verdict and which files the period has now (`finish`). A file seen before is not stored again."""

    def __init__(self, record: Record, period: Period):
        self.record, self.period = record, period
        self.known = record.known(period.name)
        self.receipt: dict[int, int] = {}

    def add(self, o: Outcome) -> None:
        rid = self.known.get((o.name, o.sha256))
        if rid is None:
            rid = self.record.add_receipt(self.period.name, o.name, o.sha256, o.received, o.kind, o.recipient,
                                          o.verdict, o.errors, o.marks, o.issues)
        self.receipt[id(o)] = rid

    def finish(self, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            self.record.update_verdict(self.receipt[id(o)], o.verdict)
        self.record.set_live(self.period.name, [self.receipt[id(o)] for o in outcomes])


def collect(book: OfficeBook, source: Path | None = None, period: str | None = None,
            progress: Progress | None = None, workers: int | None = None, write: bool = True) -> CollectResult:
    announce(progress, "读取考评台账")
    scheme = load_scheme(book)
    p = scheme.period(period)
    folder = Path(source) if source else ledger.submission_folder(book, scheme)
    if write:
        book.ensure_writable()
    if not folder.is_dir():
        raise UserError(f"提交文件夹不存在：{folder}。请检查“设置”中的“提交文件夹”或 --from 后的文件夹名，什么也没有改动。")
    files = list_files(folder)
    if not files:
        raise UserError(f"提交文件夹中没有任何文件：{folder}。请先把各单位发回的表格放进这个文件夹（或运行 xlplugin fetch），"
                        "什么也没有改动。")
    stats = read_stats(book)
    if not write:
        announce(progress, f"读取并校验 {len(files)} 个文件")
        outcomes = read_all(scheme, p, files, progress, workers)
        supersede(outcomes)
        status, issues, marks = tables(scheme, p, outcomes, stats)
        return CollectResult(folder, outcomes, status, issues, marks)
    typed = office_decisions(book)
    with Record.for_book(book, scheme) as record:
        with record.transaction("collect", p.name, {"folder": str(folder), "files": len(files)}):
            decisions = sync_decisions(record, typed)
            store = Store(record, p)
            announce(progress, f"读取并校验 {len(files)} 个文件")
            outcomes = read_all(scheme, p, files, progress, workers, each=store.add)  # stored as they arrive
            supersede(outcomes)
            announce(progress, "写入考评数据文件和考评台账")
            for o in outcomes:
                o.accepted = o.verdict == PENDING and decisions.get(o.sha256) == ledger.ACCEPT
            store.finish(outcomes)
            status, issues, marks = tables(scheme, p, outcomes, stats)
            previous = book.read_sheet(ledger.BONUS.name) if ledger.BONUS.name in book.sheet_names() else None
            if previous is not None and not set(ledger.BONUS.columns) <= set(previous.columns):
                previous = None
            claims = bonus_claims(scheme, marks, previous)
            # the workbook is replaced inside the record's transaction: a failure to write it undoes the record
            ranking = read_view(book, ledger.RANKING.name)
            prefill = prefill_due(book, scheme, p, status, record.first_recorded(p.name, "unit"))
            sheets = {ledger.OVERVIEW.name: overview(scheme, status, ranking, prefill=prefill), ledger.STATUS.name: status,
                      ledger.ISSUES.name: issues, ledger.MARKS.name: marks_view(marks), ledger.BONUS.name: claims}
            book.write_sheets(sheets, looks=sheet_looks(scheme, sheets))
    return CollectResult(folder, outcomes, status, issues, marks, prefill)

"""generate: one form workbook per recipient (units, evaluating departments, rater groups, leaders)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from . import ledger
from .forms import KINDS, SPECS, Recipient
from .forms.evaluator import SelfReports
from .ledger import Progress, announce
from .officebook import OfficeBook
from .parallel import process_map
from .record import RECEIVED, Record, record_path
from .scheme import Period, Scheme, load_scheme
from .standings import Standings, standings
from .stats import bureau_figures, read_stats


@dataclass(frozen=True)
class Job:
    kind: str
    recipient: Recipient
    path: Path


@dataclass
class GenerateResult:
    folder: Path
    paths: list[Path]
    counts: Counter

    def summary(self) -> str:
        labels = {k: SPECS[k].folder for k in KINDS}
        parts = [f"{labels[k]} {self.counts[k]} 份" for k in KINDS if self.counts[k]]
        return f"已生成 {len(self.paths)} 份表格（{'，'.join(parts)}），位于：{self.folder}"


#: the states of a form in 提交情况 that mean its recipient has returned it (xlplugin.collect)
RETURNED = (RECEIVED, "逾期")


def plan(scheme: Scheme, period: Period, folder: Path, kinds: list[str] | None = None) -> list[Job]:
    jobs = []
    for kind, module in KINDS.items():
        if kinds and kind not in kinds:
            continue
        spec = module.SPEC
        for recipient in module.recipients(scheme):
            jobs.append(Job(kind, recipient, folder / spec.folder / spec.file_name(scheme, period, recipient)))
    return jobs


_worker_state: tuple | None = None


def _init_worker(scheme: Scheme, period: Period, reports: SelfReports | None = None,
                 standings: Standings | None = None) -> None:
    global _worker_state
    _worker_state = (scheme, period, reports, standings)


def _write_job(job: Job) -> Path:
    scheme, period, reports, standings = _worker_state
    if job.kind == "evaluator":  # evaluators see what each unit reported, once it has been collected
        return KINDS[job.kind].write(scheme, period, job.recipient, job.path, reports)
    if job.kind == "leader":  # leaders see each unit's scores so far, once something has been collected
        return KINDS[job.kind].write(scheme, period, job.recipient, job.path, standings)
    return KINDS[job.kind].write(scheme, period, job.recipient, job.path)


def self_reports(book: OfficeBook, scheme: Scheme, period: Period) -> SelfReports:
    """The units' actual values, self scores and explanations of `period`, from the year's record (once collected),
    and the statistics bureau's figures from 统计数据 (shown beside the units' own)."""
    out: SelfReports = {}
    for key, (figure, source) in bureau_figures(read_stats(book)).items():
        out.setdefault(key, {})["bureau"] = f"{figure:g}（{source}）"
    if not record_path(book, scheme).exists():
        return out
    with Record.for_book(book, scheme) as record:
        marks = record.current_marks([period.name])
    items = {"实际完成值": "actual", "自评得分": "self_score", "情况说明": "explanation"}
    marks = marks[(marks["source"] == "自评") & marks["item"].isin(list(items))]
    for unit, indicator, item, value in marks[["unit", "indicator", "item", "value"]].itertuples(index=False):
        out.setdefault((unit, indicator), {})[items[item]] = value
    return out


def returned_forms(status: pd.DataFrame | None) -> set[tuple[str, str]]:
    """(kind, recipient code) of every form 提交情况 (the last collect's status) shows as returned: 已收到, 逾期."""
    if status is None or not len(status):
        return set()
    kind_of = {spec.folder: kind for kind, spec in SPECS.items()}
    back = status[status["状态"].isin(RETURNED)]
    return {(kind_of.get(label), code) for label, code in zip(back["表格类型"], back["接收方代码"]) if code}


def prefill_due(book: OfficeBook, scheme: Scheme, period: Period, status: pd.DataFrame | None,
                arrived: datetime | None) -> bool:
    """Whether the evaluating departments' forms should be generated again to show the units' reports: units' forms
    were collected (the latest first recorded at `arrived`, Record.first_recorded), and some department that has
    not returned its form yet has none generated since."""
    if arrived is None or status is None or not len(status):
        return False
    listed = set(status.loc[status["表格类型"] == SPECS["evaluator"].folder, "接收方代码"].dropna())
    waiting = listed - {code for kind, code in returned_forms(status) if kind == "evaluator"}
    if not waiting:
        return False
    jobs = [j for j in plan(scheme, period, ledger.forms_folder(book, scheme, period), ["evaluator"])
            if j.recipient.code in waiting]
    return any(not j.path.exists() or datetime.fromtimestamp(j.path.stat().st_mtime) < arrived for j in jobs)


def write_forms(scheme: Scheme, period: Period, jobs: list[Job], progress: Progress | None = None,
                workers: int | None = None, reports: SelfReports | None = None,
                standings: Standings | None = None) -> list[Path]:
    """Write every job's form; in parallel processes when there are many (XlsxWriter is CPU-bound)."""
    return process_map(_write_job, jobs, _init_worker, (scheme, period, reports, standings), workers=workers,
                       progress=progress)


def generate(book: OfficeBook, period: str | None = None, kinds: list[str] | None = None,
             progress: Progress | None = None, workers: int | None = None) -> GenerateResult:
    """Validate the scheme and write the forms of `period` (default: the current period) for `kinds`."""
    announce(progress, "读取考评台账")
    scheme = load_scheme(book)
    p = scheme.period(period)
    folder = ledger.forms_folder(book, scheme, p)
    jobs = plan(scheme, p, folder, kinds)
    announce(progress, f"生成 {len(jobs)} 份表格")
    reports = self_reports(book, scheme, p) if any(j.kind == "evaluator" for j in jobs) else None
    so_far = standings(book, scheme, p) if any(j.kind == "leader" for j in jobs) else None
    paths = write_forms(scheme, p, jobs, progress, workers, reports, so_far)
    return GenerateResult(folder, paths, Counter(j.kind for j in jobs))

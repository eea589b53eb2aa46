"""feedback (verb): what each evaluated unit is told about its result, one workbook per unit.

`feedback(book)` scores the cycle from the office workbook as `score` does (without writing it) and writes, in
<output folder>/<year><period>/反馈, one read-only, print-ready workbook per unit: its rank, grade and total,
its components and dimensions against its category's average and best (with a bar and a radar chart), every
point it lost with the evaluator's reason, and a narrative from templates/feedback/narrative.txt.j2, which also
states the outcome of the unit's appeals and its trend against last year (xlplugin.review).

The package's parts: `analysis` (pure: the numbers and words, and the 反馈 sheet `score` writes into the office
workbook), `report` (the XlsxWriter workbook) and `charts` (its two charts). This module only runs them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import ledger
from ..inputs import previous_results, read_appeals, read_inputs, require_marks
from ..ledger import Progress, announce
from ..record import Record, record_path
from ..officebook import OfficeBook
from ..parallel import process_map
from ..review import Review, review
from ..scheme import Scheme, load_scheme
from ..stats import differences, read_stats
from ..scoring import Results
from .analysis import analyse
from .report import file_name, write_unit_feedback

__all__ = ["FeedbackResult", "feedback", "file_name", "write_feedback"]


def write_feedback(book: OfficeBook, scheme: Scheme, results: Results, folder: Path | None = None,
                   period: str | None = None, progress: Progress | None = None,
                   rv: Review | None = None, workers: int | None = None,
                   stats: dict[str, list[dict]] | None = None) -> list[Path]:
    """One feedback workbook per unit in `folder` (default <output folder>/<year><period>/反馈); their paths."""
    p = scheme.period(period)
    folder = Path(folder) if folder is not None else ledger.feedback_folder(book, scheme, p)
    a = analyse(scheme, results, review=rv, differences=stats)
    codes = list(a.units.sort_values("rank").index)
    # the analysis is sent to each worker once
    return process_map(_write_one, codes, _init_worker, (a, p, folder), workers=workers, progress=progress)


_worker: tuple | None = None


def _init_worker(a, period, folder: Path) -> None:
    global _worker
    _worker = (a, period, folder)


def _write_one(code: str) -> Path:
    a, period, folder = _worker
    return write_unit_feedback(a, code, period, folder)


@dataclass
class FeedbackResult:
    """The folder written and every unit's workbook in it, in ranking order."""

    folder: Path
    paths: list[Path]

    def summary(self) -> str:
        return f"已为 {len(self.paths)} 个被考评单位生成绩效反馈表，位于：{self.folder}"


def feedback(book: OfficeBook, period: str | None = None, progress: Progress | None = None,
             workers: int | None = None) -> FeedbackResult:
    """Score from the office workbook as `score` does (without writing it) and write every unit's feedback."""
    announce(progress, "读取考评台账和全年数据")
    scheme = load_scheme(book)
    appeals = read_appeals(book, scheme)
    inputs = read_inputs(book, scheme, appeals=appeals)
    require_marks(inputs)
    rv = review(scheme, inputs, appeals, previous_results(book, scheme))
    p = scheme.period(period)
    folder = ledger.feedback_folder(book, scheme, p)
    diffs = stats_differences(book, scheme, p.name)
    announce(progress, "写入各单位的反馈表")
    return FeedbackResult(folder, write_feedback(book, scheme, rv.after, folder, p.name, progress, rv, workers, diffs))


def stats_differences(book: OfficeBook, scheme: Scheme, period: str) -> dict[str, list[dict]]:
    """Each unit's 实际完成值 of `period` that differ from the statistics bureau's (统计数据) beyond the tolerance."""
    stats = read_stats(book)
    if not len(stats) or not record_path(book, scheme).exists():
        return {}
    with Record.for_book(book, scheme) as record:
        marks = record.current_marks([period]).rename(columns=CHINESE)
    out: dict[str, list[dict]] = {}
    for d in differences(scheme, marks, stats):
        out.setdefault(d["unit"], []).append(d)
    return out


#: the record's mark fields as the marks table names them (ledger.MARK_COLUMNS)
CHINESE = {"unit": "单位代码", "period": "考评期", "source": "来源", "indicator": "指标代码", "rater": "评价者",
           "item": "项目", "value": "值", "file": "文件", "sheet": "工作表", "cell": "单元格"}

"""Benchmark: collecting the filled unit forms (绩效考评表) of a large evaluation cycle.

Builds the synthetic scheme of bench_generate.py (default 1,000 units, 120 indicators each), writes one
FILLED unit form per unit with xlplugin's own form writer (the writer is wrapped for the duration so that
every input cell carries a realistic value: actual value, self score, explanation, evidence, some bonus
claims, the self-report fields and a real sign-off date), then measures:

  1. xlplugin's collect read+check phase, as `xlplugin collect` runs it minus writing the office
     workbook: `list_files` + `read_all` (its own process pool) + `supersede` + `tables` → the marks
     DataFrame, over every file;
  2. the same single-process (`workers=1`) on a subset, for a per-file figure;
  3. a baseline in the same run: openpyxl `load_workbook(read_only=True, data_only=True)` reading every
     row of the same files' 指标考评表 and 自评报告 sheets (values_only), single process; and, for
     reference, python-calamine reading the same two sheets (a floor for any reader built on it);
  4. writing the result into an office workbook the way `collect` does (`FileOfficeBook.write_sheets` of
     提交情况 / 校验问题 / 汇总数据 into the sample "city" workbook), on a share of the marks first and,
     when the projection allows it, on the full marks table.

Run:  .venv/bin/python benchmarks/bench_collect.py [--units 1000] [--single-sample 100]
                                                   [--baseline-sample N] [--office-rows N|all|auto]
                                                   [--profile N] [--keep DIR]
      (smoke run: --units 50, about 15 s)
It always exits 0 (it is a report). Every figure printed is a measurement of this run, or a linear
extrapolation of one where it says so.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

try:
    import resource
except ImportError:  # Windows
    resource = None

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout
sys.path.insert(0, str(HERE))  # bench_generate, for its synthetic scheme

import openpyxl  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from bench_generate import build_scheme, parallel_capacity, timed  # noqa: E402
from xlplugin import ledger  # noqa: E402
from xlplugin import officebook, sheetstyle  # noqa: E402
from xlplugin.generate import _init_worker, _write_job, plan  # noqa: E402
from xlplugin.collect import list_files, read_all, read_submission, supersede, tables  # noqa: E402
from xlplugin.forms import unit as unit_form# noqa: E402
from xlplugin.forms.spec import BodyRow  # noqa: E402
from xlplugin.issues import ERROR  # noqa: E402
from xlplugin.forms.write import FormWriter  # noqa: E402
from xlplugin.officebook import FileOfficeBook  # noqa: E402
from xlplugin.init import init as write_sample  # noqa: E402

TARGET_SECONDS = 3.0  # read+check of 1,000 unit forms on a 2-core machine
TARGET_RATIO = 8.0  # at least this much faster than openpyxl (read_only) reading the same files
TARGET_UNITS = 1000
EXCEL_MAX_ROWS = 1_048_576
OFFICE_LIMIT_SECONDS = 180.0  # the full office write is only run when projected under this

# ------------------------------------------------------------------------------------ realistic filling

TEXT_ACTUALS = ("已完成", "按期完成", "全面完成", "基本完成", "达到省定标准", "无违规案件", "全面完成年度任务")
EXPLAIN_HEADS = ("全年", "本年度", "按照年度计划", "对照目标任务", "在上级部门指导下", "通过专项督办", "经过集中攻坚")
EXPLAIN_BODIES = ("完成全部目标任务，台账资料齐全", "推进有力，主要指标好于预期", "个别事项进度略有滞后",
                  "建立长效机制，实行按月调度", "超额完成任务，形成经验做法", "受客观因素影响，进度稍慢",
                  "逐项对账销号，问题整改到位", "统筹协调各方，按期办结")
EVIDENCE_DOCS = ("年度工作台账", "统计年报", "督查通报", "会议纪要", "整改报告", "系统导出记录", "项目批复文件",
                 "满意度测评报告", "培训签到表", "审计报告")
SUMMARIES = ("本年度，我单位紧紧围绕市委、市政府决策部署，认真落实各项重点工作目标，主要指标完成良好，共性工作目标全面落实。",
             "全年共完成重点任务{n}项，较上年增长{p}%，群众满意度稳步提升，营商环境持续优化。",
             "存在的问题是个别项目推进偏慢、基层基础工作仍有短板，下一步将加强调度，压实责任，确保各项任务按期完成。")
REASONS = ("重点工作目标全部完成，无一票否决事项，工作成效得到上级肯定。",
           "主要指标均达到或超过目标值，个别指标略有差距，已制定整改措施。",
           "共性工作目标全面完成，创新工作取得实效，未发生重大责任事故。")
BONUS_ITEMS = ("工作经验在全省推广", "被评为全国先进集体", "政务服务改革获省级表彰", "创新项目入选全省典型案例")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("建国", "志强", "秀英", "海燕", "立新", "晓东", "丽华", "国庆", "春梅", "文博", "雪松", "明辉")

_fill: dict = {"on": False, "rng": None, "scheme": None, "code": None}


def _explanation(rng: random.Random) -> str:
    return f"{rng.choice(EXPLAIN_HEADS)}，{rng.choice(EXPLAIN_BODIES)}。"


def _inputs(rng: random.Random, row: BodyRow) -> dict:
    """Realistic inputs for one indicator row, valid under every check collect makes."""
    target, top = row.values.get("target"), row.max or 0
    if isinstance(target, (int, float)) and not isinstance(target, bool):
        actual = round(target * rng.uniform(0.88, 1.08), 2)
    else:
        actual = rng.choice(TEXT_ACTUALS)
    share = min(1.0, max(0.0, rng.gauss(0.93, 0.06)))
    year = _fill["scheme"].settings.year
    return {"actual": actual, "self_score": min(top, round(top * share * 4) / 4), "explanation": _explanation(rng),
            "evidence": f"{rng.choice(EVIDENCE_DOCS)}（{year}年第{rng.randint(1, 60)}号）"}


def _field_value(key: str):
    rng, scheme = _fill["rng"], _fill["scheme"]
    year = scheme.settings.year
    if key == "summary":
        return "".join(SUMMARIES).format(n=rng.randint(12, 40), p=rng.randint(3, 15))
    if key == "self_grade":
        return rng.choice([g.name for g in scheme.grades[:2]])
    if key == "grade_reason":
        return rng.choice(REASONS)
    if key in ("head_name", "filler"):
        return rng.choice(SURNAMES) + rng.choice(GIVEN)
    if key == "phone":
        return f"0438-{rng.randint(6100000, 6199999)}"
    if key == "sign_date":
        return datetime(year + 1, 1, rng.randint(5, 12))
    return None


@contextmanager
def filling(scheme):
    """While active, xlplugin's unit-form writer fills every input as a careful clerk would."""
    orig_write, orig_rows, orig_bonus, orig_field = (unit_form.write, unit_form.indicator_rows, unit_form.bonus_rows,
                                                     FormWriter.field)
    orig_paragraphs = FormWriter.paragraphs

    def write(scheme_, period, recipient, path):
        _fill["rng"] = random.Random(f"bench_collect:{recipient.code}")
        _fill["code"] = recipient.code
        return orig_write(scheme_, period, recipient, path)

    def indicator_rows(indicators):
        rows = orig_rows(indicators)
        if _fill["on"]:
            for row in rows:
                if row.max is not None:  # a data row
                    row.values.update(_inputs(_fill["rng"], row))
        return rows

    def bonus_rows():
        rows = orig_bonus()
        rng = _fill["rng"]
        if _fill["on"] and _fill["scheme"].bonus_kinds and rng.random() < 0.3:
            for row in rows[: rng.choice((1, 1, 2))]:
                kind = rng.choice(_fill["scheme"].bonus_kinds)
                row.values.update({"kind": kind.name, "item": rng.choice(BONUS_ITEMS), "points": kind.cap,
                                   "evidence": f"省政府办公厅文件（政办发〔{_fill['scheme'].settings.year}〕{rng.randint(1, 99)}号）"})
        return rows

    def field(self, ws, f, *, fmt="input", validation=None):
        orig_field(self, ws, f, fmt=fmt, validation=validation)
        if not _fill["on"] or self.meta.kind != "unit":
            return
        value = _field_value(f.key)
        if value is None:
            return
        block = f.last_row and f.last_row > f.row
        style = self.fmt["input_block" if block else ("input_date" if f.kind == "date" else fmt)]
        if isinstance(value, datetime):
            ws.write_datetime(f.row, f.col, value, style)
        else:
            ws.write_string(f.row, f.col, value, style)

    def paragraphs(self, ws, f, chars, **kw):
        """A text written in paragraphs (总体情况, 自评理由): the clerk's text in the first cell."""
        orig_paragraphs(self, ws, f, chars, **kw)
        value = _field_value(f.key) if _fill["on"] and self.meta.kind == "unit" else None
        if value is not None:
            ws.write_string(f.row, f.col, value, self.fmt["input_block"])

    unit_form.write, unit_form.indicator_rows, unit_form.bonus_rows, FormWriter.field = (write, indicator_rows,
                                                                                         bonus_rows, field)
    FormWriter.paragraphs = paragraphs
    _fill.update(on=True, scheme=scheme)
    try:
        yield
    finally:
        unit_form.write, unit_form.indicator_rows, unit_form.bonus_rows, FormWriter.field = (orig_write, orig_rows,
                                                                                             orig_bonus, orig_field)
        FormWriter.paragraphs = orig_paragraphs
        _fill.update(on=False, scheme=None, rng=None)


_gen_ctx = None


def _gen_init(scheme, period) -> None:
    """Worker initializer: install the filling wrappers in this process (whatever the start method)."""
    global _gen_ctx
    _gen_ctx = filling(scheme)
    _gen_ctx.__enter__()
    _init_worker(scheme, period, None)


def write_filled_forms(scheme, period, folder: Path, workers: int) -> list[Path]:
    """Every unit's form, filled, through xlplugin's own writer (generate.plan + _write_job)."""
    jobs = plan(scheme, period, folder, kinds=["unit"])
    if workers <= 1:
        with filling(scheme):
            _init_worker(scheme, period, None)
            return [_write_job(j) for j in jobs]
    with ProcessPoolExecutor(workers, initializer=_gen_init, initargs=(scheme, period)) as pool:
        return list(pool.map(_write_job, jobs, chunksize=max(1, min(16, len(jobs) // (workers * 4) or 1))))


# -------------------------------------------------------------------------------------------- readers

SHEETS = (unit_form.INDICATORS.sheet, unit_form.REPORT_SHEET, unit_form.BONUS.sheet)


def read_openpyxl(paths: list[Path]) -> int:
    """Baseline: openpyxl read_only + data_only, every row of the two sheets, values only; returns cells seen."""
    cells = 0
    for p in paths:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
        for name in SHEETS:
            for row in wb[name].iter_rows(values_only=True):
                cells += len(row)
        wb.close()
    return cells


def read_calamine(paths: list[Path]) -> int:
    """Floor: python-calamine, the same two sheets as Python lists."""
    cells = 0
    for p in paths:
        wb = CalamineWorkbook.from_path(str(p))
        for name in SHEETS:
            for row in wb.get_sheet_by_name(name).to_python():
                cells += len(row)
    return cells


def interleaved(scheme, period, files, rounds: int = 3) -> tuple[float, float]:
    """CPU ms per file of read_submission and of the calamine floor, measured back to back on each file:
    on a shared machine whose speed drifts, their ratio holds better than two separate timings."""
    ours = floor = 0.0
    for _ in range(rounds):
        for path, name in files:
            t0 = time.process_time()
            read_submission(path, name, scheme, period)
            t1 = time.process_time()
            read_calamine([path])
            floor += time.process_time() - t1
            ours += t1 - t0
    k = rounds * len(files)
    return 1000 * ours / k, 1000 * floor / k


def collect_read_check(scheme, period, folder: Path, workers: int | None = None, files=None):
    """collect minus writing the office workbook: list_files + read_all + supersede + tables."""
    t0 = time.perf_counter()
    files = list_files(folder) if files is None else files
    t1 = time.perf_counter()
    outcomes = read_all(scheme, period, files, workers=workers)
    t2 = time.perf_counter()
    supersede(outcomes)
    status, issues, marks = tables(scheme, period, outcomes)
    t3 = time.perf_counter()
    return (outcomes, status, issues, marks), {"list": t1 - t0, "read_all": t2 - t1, "tables": t3 - t2, "total": t3 - t0}


# ------------------------------------------------------------------------------------ office write


@contextmanager
def phase_timers(acc: dict):
    """Time the steps of FileOfficeBook.write_sheets (load, write_frame per sheet, save) without changing them."""
    orig_load, orig_frame, orig_save = openpyxl.load_workbook, sheetstyle.write_frame, officebook.write_atomically

    def wrap(name, fn):
        def inner(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                acc[name] = acc.get(name, 0.0) + time.perf_counter() - t
        return inner

    openpyxl.load_workbook = wrap("load", orig_load)
    sheetstyle.write_frame = wrap("write_frame", orig_frame)
    officebook.write_atomically = wrap("save", orig_save)
    try:
        yield
    finally:
        openpyxl.load_workbook, sheetstyle.write_frame, officebook.write_atomically = orig_load, orig_frame, orig_save


def office_sheets(scheme, status, issues, marks, book) -> tuple[dict, float]:
    """The sheets collect writes after read+check, built as collect builds them (3 sheets, plus 加分审定 where
    this version of xlplugin has it); returns them and the seconds spent building the extra ones."""
    sheets = {ledger.STATUS.name: status, ledger.ISSUES.name: issues, ledger.MARKS.name: marks}
    t = time.perf_counter()
    from xlplugin.bonus import bonus_claims

    previous = book.read_sheet(ledger.BONUS.name) if ledger.BONUS.name in book.sheet_names() else None
    if previous is not None and not set(list(ledger.BONUS.columns)) <= set(previous.columns):
        previous = None
    sheets[ledger.BONUS.name] = bonus_claims(scheme, marks, previous)
    return sheets, time.perf_counter() - t


def office_write(root: Path, name: str, scheme, status, issues, marks) -> tuple[float, dict, int, float, int]:
    """Write the sheets into a fresh sample office workbook as collect does.
    Returns (seconds, phases, bytes, seconds to read 汇总数据 back, sheets written)."""
    path = root / name
    if path.exists():
        path.unlink()
    write_sample(path, "city")
    book = FileOfficeBook(path)
    phases: dict = {}
    with phase_timers(phases):
        t = time.perf_counter()
        sheets, t_extra = office_sheets(scheme, status, issues, marks, book)
        book.write_sheets(sheets)
        elapsed = time.perf_counter() - t
    if t_extra:
        phases["bonus_claims"] = t_extra
    size = path.stat().st_size
    _, t_back = timed(FileOfficeBook(path).read_sheet, ledger.MARKS.name)  # what generate --kind evaluator reads next
    return elapsed, phases, size, t_back, len(sheets)


# ---------------------------------------------------------------------------------------------- run


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=TARGET_UNITS, help="units (= filled unit forms), default 1000")
    ap.add_argument("--indicators", type=int, default=120, help="indicators per unit, default 120")
    ap.add_argument("--single-sample", type=int, default=None,
                    help="files read+checked single-process (default: 100, fewer for small --units)")
    ap.add_argument("--baseline-sample", type=int, default=None,
                    help="files read by the openpyxl baseline (default: all of them, measured, not extrapolated)")
    ap.add_argument("--office-rows", default="auto",
                    help="marks rows written into the office workbook: a number, 'all', or 'auto' (default: 10%% "
                         "first, then all when projected under 3 minutes)")
    ap.add_argument("--workers", type=int, default=None, help="pass workers to read_all (default: its own choice)")
    ap.add_argument("--gen-workers", type=int, default=None, help="processes generating the forms (default: CPU count)")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="also cProfile read+check of N files single-process and print hotspots")
    ap.add_argument("--keep", type=Path, default=None,
                    help="write the forms into this folder and keep them; reused on the next run if complete")
    args = ap.parse_args(argv)
    if args.units < 1 or args.indicators < 1:
        ap.error("--units and --indicators must be at least 1")
    if args.single_sample is None:
        args.single_sample = min(100, max(5, args.units // 10))
    t_script = time.perf_counter()

    cpus = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus
    print(f"xlplugin collect benchmark — Python {platform.python_version()}, {platform.machine()}")
    print(f"CPU count: {cpus} (usable by this process: {usable})")

    scheme, t_build = timed(build_scheme, args.units, args.indicators)
    period = scheme.period()
    print(f"Scheme (in memory, built in {t_build:.2f} s): {len(scheme.units)} units, {len(scheme.indicators)} "
          f"indicators per unit, points total {sum(i.max for i in scheme.indicators):g}")

    with tempfile.TemporaryDirectory(prefix="bench_collect_") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        folder = root / "提交"

        # 0. the filled forms (not what is measured)
        existing = sorted(folder.rglob("*.xlsx")) if folder.exists() else []
        if args.keep and len(existing) == len(scheme.units):
            paths, t_gen, how = existing, 0.0, "reused from --keep"
        else:
            for p in existing:
                p.unlink()
            gen_workers = args.gen_workers or (min(cpus, 8) if len(scheme.units) >= 40 else 1)
            paths, t_gen = timed(write_filled_forms, scheme, period, folder, gen_workers)
            how = f"written in {t_gen:.1f} s with xlplugin's writer, {gen_workers} processes"
        size = sum(p.stat().st_size for p in paths) / max(len(paths), 1)
        print(f"Filled unit forms: {len(paths)} ({how}), {size / 1024:.0f} KiB each on average")

        # sanity check of one form, as collect reads it
        one = read_submission(paths[0], paths[0].relative_to(folder).as_posix(), scheme, period)
        errors = [i for i in one.issues if i.severity == ERROR]
        print(f"Sanity check of {paths[0].name}: verdict {one.verdict}, {len(one.marks)} marks, "
              f"{len(one.issues)} issues ({len(errors)} errors)"
              + ("" if not errors else f"; first: {errors[0].sheet}!{errors[0].cell} {errors[0].problem}"))

        capacity = parallel_capacity(min(cpus, 8))

        # 1. xlplugin collect read+check, its own pool, every file
        c0 = _cpu()
        (outcomes, status, issues, marks), t = collect_read_check(scheme, period, folder, args.workers)
        cpu_par = _cpu() - c0
        n = len(outcomes)
        pool = args.workers if args.workers is not None else (min(cpus, 8) if n >= 60 else 1)
        verdicts: dict[str, int] = {}
        for o in outcomes:
            verdicts[o.verdict] = verdicts.get(o.verdict, 0) + 1
        n_err = int((issues["级别"] == ERROR).sum()) if len(issues) else 0

        # 2. single-process on a subset (one warm-up file first)
        files = list_files(folder)
        k = min(args.single_sample, max(len(files) - 1, 1))
        collect_read_check(scheme, period, folder, workers=1, files=files[:1])
        c0 = time.process_time()
        _, ts = collect_read_check(scheme, period, folder, workers=1, files=files[1:k + 1] or files[:1])
        cpu_single = time.process_time() - c0
        k = len(files[1:k + 1] or files[:1])
        ms_single = 1000 * ts["total"] / k
        _, t_fixed = timed(tables, scheme, period, [])  # what tables() costs before the first file

        # 3. baselines, single process
        nb = min(args.baseline_sample or n, n)
        base_paths = [p for p, _ in files][:nb]
        read_openpyxl(base_paths[:1])  # warm-up
        cells_op, t_op = timed(read_openpyxl, base_paths)
        t_op_all = t_op * n / nb
        read_calamine(base_paths[:1])
        cells_cal, t_cal = timed(read_calamine, paths)

        print()
        print(f"Files: {n} ({', '.join(f'{k_} {v}' for k_, v in verdicts.items())})")
        print(f"Marks: {len(marks)} ({len(marks) / max(n, 1):.1f} per file); issues: {len(issues)} ({n_err} errors); "
              f"status rows: {len(status)}")
        how_run = (f"{pool} worker processes, pool start-up included" if pool > 1 else
                   "1 process (read_all starts no pool for fewer than 60 files)")
        print(f"xlplugin collect read+check (list_files + read_all + supersede + tables), {how_run}: "
              f"{t['total']:.2f} s  (list {t['list'] * 1000:.0f} ms, read_all {t['read_all']:.2f} s, supersede+tables {t['tables'] * 1000:.0f} ms; CPU {cpu_par:.1f} s = "
              f"{100 * cpu_par / t['total'] / usable:.0f}% of {usable} cores)")
        print(f"  CPU-bound floor for this run on {usable} idle cores (CPU used / cores, not a measurement): "
              f"{cpu_par / usable:.2f} s")
        print(f"Parallel capacity measured just before (busy loop in {min(cpus, 8)} processes): {capacity:.2f} cores' "
              f"worth of CPU")
        print(f"xlplugin single-process: {ms_single:.2f} ms/file  (measured on {k} files, {ts['total']:.2f} s, after "
              f"1 warm-up file; read_all {1000 * ts['read_all'] / k:.2f} ms/file, tables {1000 * ts['tables'] / k:.2f} "
              f"ms/file; CPU {cpu_single:.2f} s); tables() with no files at all: {1000 * t_fixed:.0f} ms")
        extra = "measured on all files" if nb == n else f"EXTRAPOLATED linearly from {nb} files ({t_op:.2f} s)"
        print(f"Baseline openpyxl load_workbook(read_only=True, data_only=True), {' + '.join(SHEETS)} all rows, "
              f"values_only, single process: {t_op_all:.2f} s for {n} files  ({extra}; {1000 * t_op / nb:.2f} ms/file, "
              f"{cells_op // nb} cells/file)")
        print(f"Floor python-calamine, same sheets, single process: {t_cal:.2f} s for {n} files "
              f"({1000 * t_cal / n:.2f} ms/file)")
        ratio = t_op_all / t["total"]
        ratio_single = (1000 * t_op / nb) / ms_single
        print(f"Ratio openpyxl baseline (1 process) / xlplugin read+check ({pool} process{'es' if pool > 1 else ''}): "
              f"{ratio:.1f}x")
        print(f"Ratio per process, openpyxl ms/file / xlplugin single-process ms/file: {ratio_single:.1f}x")
        print(f"xlplugin single-process / calamine floor: {ms_single / (1000 * t_cal / n):.1f}x")
        ms_ours, ms_floor = interleaved(scheme, period, files[1:k + 1] or files[:1])
        print(f"Interleaved, CPU per file on the same {k} files x 3, each file read by both back to back: "
              f"read_submission {ms_ours:.2f} ms, calamine floor {ms_floor:.2f} ms → {ms_ours / ms_floor:.2f}x the floor")
        print(f"Projection, not a measurement: {TARGET_UNITS} files on {usable} fully available cores at the "
              f"single-process rate = {ms_single * TARGET_UNITS / 1000 / usable:.2f} s")

        if n == TARGET_UNITS:
            print(f"Target: read+check < {TARGET_SECONDS:g} s for {TARGET_UNITS} forms on a 2-core machine → measured "
                  f"{t['total']:.2f} s on {usable} usable cores: {_verdict(t['total'] < TARGET_SECONDS)}")
        else:
            scaled = t["total"] * TARGET_UNITS / max(n, 1)
            print(f"Target: read+check < {TARGET_SECONDS:g} s for {TARGET_UNITS} forms → only {n} files run; scaled "
                  f"linearly: {scaled:.2f} s: {_verdict(scaled < TARGET_SECONDS)} (indicative only; fixed costs weigh "
                  f"more in small runs; run with --units {TARGET_UNITS} for the real verdict)")
        print(f"Target: ≥ {TARGET_RATIO:g}x faster than openpyxl read_only → {ratio:.1f}x: {_verdict(ratio >= TARGET_RATIO)}"
              f" (per process: {ratio_single:.1f}x)")

        # 4. writing into the office workbook as collect does
        total_rows = len(marks)
        print(f"Marks table: {total_rows} rows x {marks.shape[1]} columns "
              f"({100 * total_rows / EXCEL_MAX_ROWS:.0f}% of Excel's {EXCEL_MAX_ROWS:,} rows per sheet; unit forms only)")
        if args.office_rows == "auto":
            sample = max(1, total_rows // 10)
            plan_rows = [sample]
        elif args.office_rows == "all":
            plan_rows = [total_rows]
        else:
            plan_rows = [min(int(args.office_rows), total_rows)] if int(args.office_rows) > 0 else []
        results = []
        try:
            for rows in plan_rows:
                results.append((rows, *office_write(root, f"office_{rows}.xlsx", scheme, status, issues,
                                                     marks.iloc[:rows])))
            if args.office_rows == "auto" and plan_rows[0] < total_rows:
                rows, t_w, *_ = results[0]
                projected = t_w * total_rows / rows
                if projected < OFFICE_LIMIT_SECONDS:
                    results.append((total_rows, *office_write(root, "office_all.xlsx", scheme, status, issues, marks)))
                else:
                    print(f"Full office write projected at {projected:.0f} s (> {OFFICE_LIMIT_SECONDS:.0f} s): not run")
        except Exception as e:  # a report, not a test: say what failed and go on
            print(f"Office write FAILED: {type(e).__name__}: {e}")
        for rows, t_w, phases, size_b, t_back, n_sheets in results:
            detail = ", ".join(f"{k_} {v:.1f} s" for k_, v in phases.items())
            print(f"Office write (FileOfficeBook.write_sheets, {n_sheets} sheets, {rows} marks rows): {t_w:.1f} s "
                  f"measured ({detail}); {1e6 * t_w / rows:.0f} µs/marks row; workbook {size_b / 1024 / 1024:.1f} MiB; "
                  f"reading {ledger.MARKS.name} back (FileOfficeBook.read_sheet): {t_back:.1f} s")
        t_w = float("nan")
        if results:
            rows, t_w = results[-1][0], results[-1][1]
            if rows == total_rows:
                print(f"Office write for the full marks table ({total_rows} rows): {t_w:.1f} s — measured")
            else:
                t_w = t_w * total_rows / rows
                print(f"Office write for the full marks table ({total_rows} rows): {t_w:.0f} s — "
                      f"EXTRAPOLATED linearly from {rows} rows, not measured")
        if results:
            print(f"Whole collect projected (read+check + office write): {t['total'] + t_w:.1f} s")
        else:
            print("Office write: not run (--office-rows 0)")
        if resource is not None:
            print(f"Peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

        if args.profile:
            m = min(args.profile, len(files))
            profiler = cProfile.Profile()
            profiler.enable()
            collect_read_check(scheme, period, folder, workers=1, files=files[:m])
            profiler.disable()
            for order, top in (("tottime", 25), ("cumulative", 30)):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
                print(f"\ncProfile of read+check of {m} files, single-process, top {top} by {order} "
                      f"(profiler overhead inflates the times):")
                print(out.getvalue().strip())
        if args.keep:
            print(f"Files kept in {root}")
        print(f"Script time: {time.perf_counter() - t_script:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the year's CLI verbs end to end on the province sample scaled to 1,000 units × 117 indicators.

Setup (not timed as verbs): `xlplugin init --sample province`, the 单位 sheet extended to --units units (copies of
the sample's units, new codes), `xlplugin generate`, every form filled by xlplugin.simulate.fill (2 processes)
into the submission folder. Then each verb runs as its own process, as an officer would run it:
  collect · office inputs written (simulate_office through FileOfficeBook) · score · feedback
and for each the wall time, its CPU (user + sys, from os.wait4) and its peak RSS are printed, with its CPU
against the floor: python-calamine reading every returned file (all sheets to Python lists) in this run.

Targets on a 2-core machine (issue 12): collect ≤ 15 s, office inputs ≤ 5 s, score ≤ 10 s, feedback ≤ 30 s,
peak RSS ≤ 1 GB.

Run:  .venv/bin/python benchmarks/bench_cycle.py [--units 1000] [--keep DIR]   (smoke: --units 50, ~1 min)
It always exits 0 (it is a report).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout

TARGETS = {"collect": 15, "office inputs": 5, "score": 10, "feedback": 30}
OFFICE_INPUTS = ("import random, sys; from xlplugin.officebook import FileOfficeBook; from xlplugin.scheme import "
                 "load_scheme; from xlplugin.simulate import simulate_office; b = FileOfficeBook(sys.argv[1]); "
                 "simulate_office(b, load_scheme(b), random.Random(7))")


def run(args: list[str], cwd: Path) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MB, exit code) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        print(proc.stderr.read().decode(errors="replace")[-2000:], file=sys.stderr)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def scale_units(office: Path, n: int) -> None:
    import openpyxl

    from xlplugin import ledger

    wb = openpyxl.load_workbook(office)
    ws = wb[ledger.UNITS.name]
    header = [c.value for c in ws[1]]
    template = [[c.value for c in row] for row in ws.iter_rows(min_row=2) if row[0].value]
    code, name = header.index("单位代码"), header.index("单位名称")
    for k in range(len(template), n):
        row = list(template[k % len(template)])
        row[code], row[name] = f"U{k:04d}", f"{row[name]}{k:04d}"
        ws.append(row)
    ranks = wb[ledger.RANK_POINTS.name]  # a leader ranks every unit in his charge: a point value for each place
    points = [r[1].value for r in ranks.iter_rows(min_row=2) if r[0].value is not None]
    top, low = float(points[0]), float(points[-1])
    for k in range(len(points) + 1, n + 1):
        ranks.append([k, round(top - (top - low) * (k - 1) / (n - 1), 2)])
    wb.save(office)


def _fill(job) -> Path:
    from xlplugin.officebook import FileOfficeBook
    from xlplugin.scheme import load_scheme
    from xlplugin.simulate import fill

    office, src, dst, seed = job
    scheme = _fill.scheme = getattr(_fill, "scheme", None) or load_scheme(FileOfficeBook(office))
    return fill(src, dst, scheme, random.Random(seed))


def calamine_floor(files: list[Path]) -> float:
    from python_calamine import CalamineWorkbook

    started = time.process_time()
    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
    return time.process_time() - started


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = ap.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_cycle_"))
    folder.mkdir(parents=True, exist_ok=True)
    office = folder / "考评台账.xlsx"
    cli = [sys.executable, "-m", "xlplugin.cli"]
    env_cwd = ROOT

    from xlplugin import ledger
    from xlplugin.officebook import FileOfficeBook
    from xlplugin.scheme import load_scheme

    t = time.perf_counter()
    subprocess.run(cli + ["init", str(office), "--sample", "province", "--force"], cwd=env_cwd, check=True,
                   stdout=subprocess.DEVNULL)
    scale_units(office, args.units)
    scheme = load_scheme(FileOfficeBook(office))
    print(f"{len(scheme.units)} units × {len(scheme.indicators)} indicators; folder {folder}")
    rows = [("generate", *run(cli + ["generate", str(office)], env_cwd))]
    book = FileOfficeBook(office)
    forms = sorted(ledger.forms_folder(book, scheme, scheme.period()).rglob("*.xlsx"))  # this run's forms only
    target = folder / scheme.settings.submit_dir
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    jobs = [(office, src, target / src.name, n) for n, src in enumerate(forms)]
    with ProcessPoolExecutor(2) as pool:
        returned = list(pool.map(_fill, jobs, chunksize=8))
    print(f"setup (init, scale, generate, fill {len(returned)} forms): {time.perf_counter() - t:.0f} s")
    floor = calamine_floor(returned)
    print(f"python-calamine reading the {len(returned)} returned files: {floor:.1f} s CPU")

    rows.append(("collect", *run(cli + ["collect", str(office)], env_cwd)))
    rows.append(("office inputs", *run([sys.executable, "-c", OFFICE_INPUTS, str(office)], env_cwd)))
    rows.append(("score", *run(cli + ["score", str(office)], env_cwd)))
    rows.append(("feedback", *run(cli + ["feedback", str(office)], env_cwd)))

    print(f"\n{'verb':<14}{'wall s':>8}{'CPU s':>8}{'RSS MB':>8}{'CPU/calamine':>14}{'target s':>10}  exit")
    for verb, wall, cpu, rss, code in rows:
        target_s = TARGETS.get(verb)
        print(f"{verb:<14}{wall:>8.1f}{cpu:>8.1f}{rss:>8.0f}{cpu / floor if floor else 0:>13.1f}x"
              f"{'' if target_s is None else f'≤{target_s}':>10}  {code}")
    print(f"workbook: {office.stat().st_size / 1e6:.1f} MB")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""统计数据: the statistics bureau's figures beside the units' own (seed 000: the figures a unit reports to the
statistics bureau, to the office and to its provincial department must agree).

The office pastes the bureau's figures into 统计数据 (单位代码, 指标代码, 统计值, 来源, 日期) or imports them
(`import_stats`, the import-stats verb, from a .xlsx or .csv with a column mapping). `deviations` compares every
实际完成值 a unit reported with them and reports each one beyond 设置's 统计数据容差 as a reminder (提醒) in
校验问题 naming both figures and the source; `bureau_figures` gives the figures to show beside the units' in the
evaluating departments' forms and the units' feedback.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import ledger
from .errors import UserError
from .issues import WARNING, Issue
from .officebook import OfficeBook
from .scheme import Scheme, load_scheme
from .values import cell_text

COLUMNS = list(ledger.STATS.columns)
ACTUAL = "实际完成值"
DEFAULT_SOURCE = "市统计局"


def _number(value) -> float | None:
    text = cell_text(value).replace(",", "").replace("，", "")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def read_stats(book: OfficeBook) -> pd.DataFrame:
    """The 统计数据 sheet with a numeric 统计值 (rows without one are left out); empty when there is none."""
    if ledger.STATS.name not in book.sheet_names():
        return pd.DataFrame(columns=COLUMNS)
    frame = book.read_sheet(ledger.STATS.name)
    for c in COLUMNS:
        if c not in frame.columns:
            frame[c] = None
    frame = frame[COLUMNS].copy()
    frame["统计值"] = [_number(v) for v in frame["统计值"]]
    frame = frame.dropna(subset=["单位代码", "指标代码", "统计值"])
    frame["单位代码"] = frame["单位代码"].map(cell_text)
    frame["指标代码"] = frame["指标代码"].map(cell_text)
    return frame


def bureau_figures(stats: pd.DataFrame) -> dict[tuple[str, str], tuple[float, str]]:
    """(unit, indicator) → (统计值, 来源 and 日期 in words), the last row winning."""
    out = {}
    for r in stats.itertuples(index=False):
        where = "，".join(t for t in (cell_text(r.来源) or DEFAULT_SOURCE, cell_text(r.日期)[:10]) if t)
        out[(r.单位代码, r.指标代码)] = (float(r.统计值), where)
    return out


def _show(x: float) -> str:
    return f"{x:g}"


def allowed(scheme: Scheme, bureau: float) -> float:
    s = scheme.settings
    return abs(bureau) * s.stats_tolerance / 100 if s.stats_relative else s.stats_tolerance


def differences(scheme: Scheme, marks: pd.DataFrame, stats: pd.DataFrame) -> list[dict]:
    """Every 实际完成值 (in the marks table, ledger.MARK_COLUMNS) that differs from the bureau's figure beyond the
    tolerance: unit, indicator, reported, bureau, source, file, sheet, cell."""
    figures = bureau_figures(stats)
    if not figures or not len(marks):
        return []
    own = marks[(marks["项目"] == ACTUAL) & (marks["来源"] == "自评")]
    out = []
    for r in own.itertuples(index=False):
        known = figures.get((r.单位代码, r.指标代码))
        reported = _number(r.值)
        if known is None or reported is None:
            continue
        bureau, source = known
        if abs(reported - bureau) > allowed(scheme, bureau) + 1e-9:
            out.append({"unit": r.单位代码, "indicator": r.指标代码, "reported": reported, "bureau": bureau,
                        "source": source, "file": r.文件, "sheet": r.工作表, "cell": r.单元格})
    return out


def tolerance_text(scheme: Scheme) -> str:
    s = scheme.settings
    return f"{s.stats_tolerance:g}%" if s.stats_relative else _show(s.stats_tolerance)


def deviations(scheme: Scheme, marks: pd.DataFrame, stats: pd.DataFrame) -> list[Issue]:
    """The differences as reminders for 校验问题, each naming both figures and the source."""
    return [Issue(d["file"], d["sheet"], d["cell"],
                  f"{d['unit']} 的指标 {d['indicator']} 实际完成值 {_show(d['reported'])} 与统计数据 {_show(d['bureau'])}（{d['source']}）"
                  f"不一致，相差 {_show(abs(d['reported'] - d['bureau']))}，超出容差 {tolerance_text(scheme)}。",
                  "请与被考评单位和统计部门核实：上报统计部门和绩效评估办的数据应一致；确属统计数据有误的，"
                  f"请更正“{ledger.STATS.name}”工作表。",
                  WARNING)
            for d in differences(scheme, marks, stats)]


def import_stats(book: OfficeBook, file: Path, mapping: dict[str, str] | None = None, source: str | None = None
                 ) -> int:
    """Read the bureau's figures from a .xlsx or .csv (`mapping`: our column → the file's column) into 统计数据;
    rows for a (unit, indicator) already there are replaced. Returns the number of rows imported."""
    book.ensure_writable()
    load_scheme(book)  # refuses a workbook that is not a usable office workbook before anything is written
    file = Path(file)
    if not file.is_file():
        raise UserError(f"找不到文件：{file}")
    if file.suffix.lower() == ".csv":
        raw = pd.read_csv(file, dtype=str, encoding="utf-8-sig")
    elif file.suffix.lower() in (".xlsx", ".xlsm"):
        raw = pd.read_excel(file, dtype=str, engine="calamine")
    else:
        raise UserError(f"只能导入 .xlsx 或 .csv 文件：{file.name}")
    mapping = {**{c: c for c in COLUMNS}, **(mapping or {})}
    missing = [f"{ours}（文件中的“{theirs}”）" for ours, theirs in mapping.items()
               if ours in ("单位代码", "指标代码", "统计值") and theirs not in raw.columns]
    if missing:
        raise UserError(f"文件 {file.name} 中找不到这些列：{'、'.join(missing)}；文件中的列为：{'、'.join(map(str, raw.columns))}。"
                        "请用 --map 指定对应关系，如 --map 统计值=本期数。")
    new = pd.DataFrame({c: raw[mapping[c]] if mapping[c] in raw.columns else None for c in COLUMNS})
    if source:
        new["来源"] = new["来源"].fillna(source) if new["来源"].notna().any() else source
    new = new.dropna(subset=["单位代码", "指标代码", "统计值"])
    old = read_stats(book) if ledger.STATS.name in book.sheet_names() else pd.DataFrame(columns=COLUMNS)
    keys = set(zip(new["单位代码"], new["指标代码"]))
    kept = old[[k not in keys for k in zip(old["单位代码"], old["指标代码"])]]
    book.write_sheets({ledger.STATS.name: pd.concat([kept, new], ignore_index=True)[COLUMNS]})
    return len(new)

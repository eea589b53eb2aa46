"""whatif (verb): 方案模拟 — how the ranking would move under an alternative scheme, beside the official one.

The office types an alternative into the 方案模拟 sheet, two columns 项目 / 值 (an empty 值 keeps the official
setting):

    权重:<组成部分>        the component's 权重(%)
    考评期权重:<考评期>    the period's 权重(%)
    等次下限:<等次>        the grade's 最低分
    优秀比例:<等次>        the grade's 优秀比例(%)
    缺少考评得分时         采用自评得分 / 记零分

`whatif(book)` scores the year's inputs under the official scheme and under the alternative with the pure core
and writes 模拟结果 only: per unit the official and the simulated total, grade, overall and category rank and the
change, largest move first, a chart of the moves, then one line per category. It reads the record and never opens
a write transaction on it; the official sheets are not touched.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from . import ledger
from .inputs import read_inputs, require_marks
from .ledger import Progress, announce
from .officebook import ChartSpec, OfficeBook, SheetLook
from .scheme import Problem, Scheme, SchemeError, load_scheme
from .scoring import FALLBACK_SELF, FALLBACK_ZERO, Inputs, score
from .values import round_series

WEIGHT, PERIOD_WEIGHT, LOWER, QUOTA, FALLBACK = "权重", "考评期权重", "等次下限", "优秀比例", "缺少考评得分时"
#: the items 方案模拟 takes, with what each changes (the sample sheet's 说明)
ITEMS = {WEIGHT: "组成部分的权重(%)，如 权重:基础工作评估", PERIOD_WEIGHT: "考评期的权重(%)，如 考评期权重:半年",
         LOWER: "等次的最低分，如 等次下限:优秀", QUOTA: "等次的优秀比例(%)，如 优秀比例:优秀",
         FALLBACK: f"考评部门未打分的指标：{FALLBACK_SELF} 或 {FALLBACK_ZERO}"}
MOVE = "总分变化"
COLUMNS = ledger.WHATIF_RESULTS.columns


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def alternative(scheme: Scheme, sheet: pd.DataFrame) -> tuple[Scheme, list[str]]:
    """The scheme with the 方案模拟 sheet's changes applied, and each change in words; a row that cannot be used
    refuses (SchemeError naming its row)."""
    components = {c.name: c for c in scheme.components}
    periods = {p.name: p for p in scheme.periods}
    grades = {g.name: g for g in scheme.grades}
    settings, problems, changes = scheme.settings, [], []
    for row, item, value in zip(sheet.index, sheet["项目"], sheet["值"]):
        if item is None or pd.isna(item) or value is None or (isinstance(value, float) and pd.isna(value)) \
                or str(value).strip() == "":
            continue
        kind, _, name = str(item).strip().replace("：", ":").partition(":")
        kind, name = kind.strip(), name.strip()
        number = _number(value)
        table = {WEIGHT: components, PERIOD_WEIGHT: periods, LOWER: grades, QUOTA: grades}.get(kind)
        if kind == FALLBACK:
            if str(value).strip() not in (FALLBACK_SELF, FALLBACK_ZERO):
                problems.append(Problem(ledger.WHATIF.name, int(row), f"“{kind}”应为“{FALLBACK_SELF}”或“{FALLBACK_ZERO}”"))
                continue
            settings = replace(settings, missing_score=str(value).strip())
        elif table is None:
            problems.append(Problem(ledger.WHATIF.name, int(row), f"无法识别的项目“{item}”，可用："
                                    + "、".join(f"{k}:名称" if k != FALLBACK else k for k in ITEMS)))
            continue
        elif name not in table:
            problems.append(Problem(ledger.WHATIF.name, int(row), f"“{item}”中的“{name}”不在考评台账中"))
            continue
        elif number is None or number < 0:
            problems.append(Problem(ledger.WHATIF.name, int(row), f"“{item}”的值“{value}”应为不小于 0 的数"))
            continue
        elif kind == WEIGHT:
            components[name] = replace(components[name], weight=number)
        elif kind == PERIOD_WEIGHT:
            periods[name] = replace(periods[name], weight=number)
        elif kind == LOWER:
            grades[name] = replace(grades[name], lower=number)
        else:
            grades[name] = replace(grades[name], quota=number)
        changes.append(f"{item} = {number:g}" if number is not None else f"{item} = {value}")
    if problems:
        raise SchemeError(problems)
    total = sum(c.weight for c in components.values())
    if abs(total - 100) > 1e-6:  # allowed, to see one component's pull, but said: totals are then not out of 100
        changes.append(f"注意：模拟方案各组成部分权重合计为 {total:g}%（正式方案为 100%），"
                       f"总分满分随之变为 {scheme.settings.base * total / 100:g} 分")
    lowers = [g.lower for g in grades.values()]
    if lowers != sorted(lowers, reverse=True):
        raise SchemeError([Problem(ledger.WHATIF.name, None, "模拟的等次下限须自高而低排列（优秀最高）")])
    return replace(scheme, settings=settings, components=tuple(components.values()), periods=tuple(periods.values()),
                   grades=tuple(grades.values())), changes


def compare(scheme: Scheme, simulated: Scheme, inputs: Inputs) -> pd.DataFrame:
    """Per unit the official and the simulated result and the change, the largest move first."""
    D = scheme.settings.decimals
    now = score(scheme, inputs).units.set_index("unit")
    then = score(simulated, inputs).units.set_index("unit").reindex(now.index)
    out = pd.DataFrame({
        "单位名称": now["name"], "单位代码": now.index, "类别": now["category"],
        "正式总分": round_series(now["final"], D), "模拟总分": round_series(then["final"], D),
        MOVE: round_series(then["final"] - now["final"], D), "正式等次": now["grade"], "模拟等次": then["grade"],
        "正式总排名": now["rank"], "模拟总排名": then["rank"], "名次变化": now["rank"] - then["rank"],
        "正式类别排名": now["category_rank"], "模拟类别排名": then["category_rank"],
        "类别名次变化": now["category_rank"] - then["category_rank"],
    })
    size = out[MOVE].abs() + out["名次变化"].abs() * 1e-6
    return out.assign(_size=size).sort_values(["_size", "单位代码"], ascending=[False, True]) \
        .drop(columns="_size").reset_index(drop=True)


def category_lines(scheme: Scheme, table: pd.DataFrame) -> list[str]:
    """One line per category: how many units change grade (经济调节类：3 个单位等次变化)."""
    lines = []
    for category in scheme.categories:
        part = table[table["类别"] == category]
        changed = int((part["正式等次"] != part["模拟等次"]).sum())
        moved = int((part["类别名次变化"] != 0).sum())
        lines.append(f"{category}：{changed} 个单位等次变化，{moved} 个单位类别名次变化")
    return lines


@dataclass
class WhatIfResult:
    table: pd.DataFrame  # compare()'s table
    lines: list[str]  # category_lines()
    changes: list[str]  # the alternative, item by item

    def summary(self) -> str:
        moved = int((self.table[MOVE] != 0).sum())
        what = "；".join(self.changes) if self.changes else "未填写任何改动，与正式方案相同"
        return f"方案模拟（{what}）：{moved} 个单位总分变化。" + "".join(f"\n{line}" for line in self.lines)


def sheet(result: WhatIfResult) -> pd.DataFrame:
    """模拟结果: the table, a blank row, then the category lines and the alternative in the first column."""
    notes = [None, *result.lines, "模拟改动：" + ("；".join(result.changes) or "无")]
    tail = pd.DataFrame({"单位名称": notes})
    return pd.concat([result.table, tail], ignore_index=True)[list(COLUMNS)]


def whatif(book: OfficeBook, write: bool = True, progress: Progress | None = None) -> WhatIfResult:
    """Score the official and the alternative scheme from the record (read only) and write 模拟结果."""
    if write:
        book.ensure_writable()
    announce(progress, "读取考评台账")
    scheme = load_scheme(book)
    if ledger.WHATIF.name not in book.sheet_names():
        raise SchemeError([Problem(ledger.WHATIF.name, None, "考评台账中没有这张工作表：请新建，两列“项目”“值”，"
                                   "每行一项改动，如 权重:基础工作评估 / 20")])
    frame = book.read_sheet(ledger.WHATIF.name)
    for c in ("项目", "值"):
        if c not in frame.columns:
            frame[c] = None
    simulated, changes = alternative(scheme, frame)
    announce(progress, "读取全年数据")
    inputs = read_inputs(book, scheme)
    require_marks(inputs)
    announce(progress, "按正式方案和模拟方案计分")
    table = compare(scheme, simulated, inputs)
    result = WhatIfResult(table, category_lines(scheme, table), changes)
    if write:
        announce(progress, "写入模拟结果")
        keep = tuple(c for c in COLUMNS if c not in ("单位名称", MOVE))
        book.write_sheets({ledger.WHATIF_RESULTS.name: sheet(result)},
                          charts={ledger.WHATIF_RESULTS.name: ChartSpec("模拟方案下的总分变化", "分", skip=keep)},
                          looks={ledger.WHATIF_RESULTS.name: SheetLook(
                              number_formats={c: "0.00" for c in ("正式总分", "模拟总分", MOVE)},
                              widths={"单位名称": 16, "类别": 22}, repeat_columns=2)})
    return result

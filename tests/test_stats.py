"""统计数据 (issue 15, part 2): every 实际完成值 beyond 设置's 统计数据容差 from the statistics bureau's figure is a
reminder in 校验问题 naming both figures and the source; import-stats fills 统计数据 from a file with a mapping."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import copy_office, played_cycle, set_settings
from test_appeals import run, sheet
from xlplugin import ledger
from xlplugin.cli import main
from xlplugin.officebook import FileOfficeBook
from xlplugin.scheme import load_scheme, parse_tolerance


@pytest.fixture(scope="module")
def collected(city, tmp_path_factory) -> Path:
    return played_cycle(city, tmp_path_factory.mktemp("stats"), seed=5, scored=False)


@pytest.fixture
def cycle(collected, tmp_path) -> Path:
    return copy_office(collected, tmp_path)


def numeric_actuals(office: Path, n: int) -> list[tuple[str, str, float]]:
    marks = sheet(office, ledger.MARKS.name)
    values = pd.to_numeric(marks["实际完成值"], errors="coerce")
    rows = marks[values.notna() & (values.abs() > 10)].head(n)
    return [(r.单位代码, r.指标代码, float(v)) for r, v in zip(rows.itertuples(), values[rows.index])]


def test_tolerance_reads_absolute_or_percent():
    assert parse_tolerance("5%") == (5.0, True) and parse_tolerance("0.5") == (0.5, False)
    assert parse_tolerance(None) == (0.0, False) and parse_tolerance("约5") == (None, False)


@pytest.mark.slow  # a whole cycle through the CLI
def test_three_deviations_one_within_tolerance_give_two_issues(cycle, capsys):
    set_settings(cycle, 统计数据容差="5%")
    (u1, i1, v1), (u2, i2, v2), (u3, i3, v3) = numeric_actuals(cycle, 3)
    bureau = [v1 * 1.2, v2 - 10, v3 * 1.02]  # 20 % off, 10 off (over 5 % of a figure above 10), 2 % off: within
    csv = cycle.parent / "统计局数据.csv"
    pd.DataFrame({"单位": [u1, u2, u3], "指标": [i1, i2, i3], "本期数": bureau, "日期": ["2027-01-10"] * 3}) \
        .to_csv(csv, index=False, encoding="utf-8-sig")
    code, out = run(capsys, "import-stats", cycle, csv, "--map", "单位代码=单位", "--map", "指标代码=指标",
                    "--map", "统计值=本期数", "--source", "市统计局")
    assert code == 0 and "已导入 3 条" in out, out
    assert main(["collect", str(cycle)]) == 0
    issues = sheet(cycle, ledger.ISSUES.name)
    found = issues[issues["问题"].str.contains("统计数据", na=False)]
    assert len(found) == 2, found["问题"].tolist()
    for (unit, ind, reported), figure, text in zip([(u1, i1, v1), (u2, i2, v2)], bureau, found["问题"]):
        assert ind in text and f"{reported:g}" in text and f"{figure:g}" in text and "市统计局" in text
    assert set(found["级别"]) == {"提醒"}
    assert all(unit in f for f, unit in zip(found["文件"], (u1, u2)))

    # and each unit's feedback lists its differences (and the unit within tolerance is not told anything)
    assert main(["score", str(cycle)]) == 0 and main(["feedback", str(cycle)]) == 0
    narrative = {}
    for unit in (u1, u3):
        report = next((cycle.parent / "输出").rglob(f"*_{unit}_*绩效反馈.xlsx"))
        texts = [c for row in openpyxl.load_workbook(report)["绩效反馈"].iter_rows(values_only=True) for c in row
                 if isinstance(c, str)]
        narrative[unit] = "\n".join(texts)
    assert "与统计数据不一致" in narrative[u1] and f"{v1:g}" in narrative[u1] and f"{bureau[0]:g}" in narrative[u1]
    assert "市统计局" in narrative[u1]
    # its own numbered paragraph, not run on after the lost points' one
    assert re.search(r"^\s*\d+\. 填报的实际完成值与统计数据不一致", narrative[u1], re.M), narrative[u1]
    if u3 != u1:
        assert "与统计数据不一致" not in narrative[u3] or f"{bureau[2]:g}" not in narrative[u3]


def test_the_evaluators_form_shows_the_bureaus_figure_beside_the_units(city_office):
    from helpers import set_cells
    from xlplugin.forms import evaluator as evaluator_form, open_verified
    from xlplugin.forms.read import read_grid
    from xlplugin.generate import generate

    scheme = load_scheme(FileOfficeBook(city_office))
    unit = scheme.units[0]
    ind = scheme.indicators_for(unit)[0]
    set_cells(city_office, ledger.STATS.name, {(2, "单位代码"): unit.code, (2, "指标代码"): ind.code, (2, "统计值"): 80,
                                               (2, "来源"): "市统计局", (2, "日期"): "2027-01-10"})
    book = FileOfficeBook(city_office)
    shown = []
    for path in generate(book, kinds=["evaluator"]).paths:
        v = open_verified(path, scheme.settings.key)
        shown += [c["bureau"] for _, _, c in read_grid(v.form, evaluator_form.SCORES, v.meta)
                  if c["unit"] == unit.code and c["code"] == ind.code]
    assert shown == ["80（市统计局，2027-01-10）"]

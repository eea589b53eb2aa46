"""方案模拟 (issue 15, part 1): an alternative scheme scored beside the official one, written to 模拟结果 only.

One cycle of the city sample is played and scored once (as in test_appeals); the test doubles one component's
weight in 方案模拟 and checks the named units' moves against the official 得分明细: doubling a component adds
exactly the points it already gave (its period-weighted 0-100 score × its weight × the base)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import copy_office, played_cycle, set_by_code
from test_appeals import run, sheet
from xlplugin import ledger
from xlplugin.officebook import FileOfficeBook
from xlplugin.record import DEFAULT_NAME
from xlplugin.scheme import SchemeError, load_scheme
from xlplugin.whatif import whatif

KEY = "评估组重点工作目标评估"  # 36 % in the city sample, scored by the evaluating departments


@pytest.fixture(scope="module")
def scored(city, tmp_path_factory) -> Path:
    return played_cycle(city, tmp_path_factory.mktemp("whatif"), seed=3)


@pytest.fixture
def cycle(scored, tmp_path) -> Path:
    return copy_office(scored, tmp_path)


def official(office: Path) -> dict[str, pd.DataFrame]:
    names = openpyxl.load_workbook(office, read_only=True).sheetnames
    return {n: pd.read_excel(office, sheet_name=n, engine="openpyxl", header=None) for n in names
            if n != ledger.WHATIF_RESULTS.name}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow  # a whole scored cycle
def test_doubling_one_weight_moves_units_by_the_points_it_gave(cycle, capsys):
    scheme = load_scheme(FileOfficeBook(cycle))
    weight = next(c.weight for c in scheme.components if c.name == KEY)
    base = scheme.settings.base
    set_by_code(cycle, ledger.WHATIF.name, f"权重:{KEY}", "值", weight * 2)
    before, record = official(cycle), digest(cycle.parent / DEFAULT_NAME)

    code, out = run(capsys, "whatif", cycle)
    assert code == 0, out
    assert "个单位总分变化" in out and f"权重:{KEY}" in out
    assert f"权重合计为 {100 + weight:g}%（正式方案为 100%）" in out  # the office is told its totals exceed 100

    # nothing official moved: every other sheet reads the same, the record is byte-identical
    after = official(cycle)
    assert after.keys() == before.keys()
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    assert digest(cycle.parent / DEFAULT_NAME) == record

    detail = sheet(cycle, ledger.DETAIL.name).set_index("单位代码")
    ranking = sheet(cycle, ledger.RANKING.name).set_index("单位代码")
    result = sheet(cycle, ledger.WHATIF_RESULTS.name)
    table = result.dropna(subset=["单位代码"]).set_index("单位代码")
    assert len(table) == len(ranking)
    for unit in sorted(ranking.index)[:3]:  # three named units, by hand: the points the component gave
        gave = detail.at[unit, f"{KEY}（{weight:g}%）"] * weight / 100 * base / 100
        assert table.at[unit, "正式总分"] == pytest.approx(ranking.at[unit, "总分"])
        assert table.at[unit, "总分变化"] == pytest.approx(gave, abs=0.011)
        assert table.at[unit, "模拟总分"] == pytest.approx(ranking.at[unit, "总分"] + gave, abs=0.011)
    moves = table["总分变化"].abs().tolist()
    assert moves == sorted(moves, reverse=True)  # the largest move first
    lines = result.loc[result["单位代码"].isna(), "单位名称"].dropna().tolist()
    assert [line.split("：")[0] for line in lines[:len(scheme.categories)]] == scheme.categories
    assert all("个单位等次变化" in line for line in lines[:len(scheme.categories)])


@pytest.mark.slow  # a whole scored cycle
def test_a_threshold_and_the_fallback_change_grades_only(cycle):
    set_by_code(cycle, ledger.WHATIF.name, "等次下限:优秀", "值", 0.5)
    set_by_code(cycle, ledger.WHATIF.name, "等次下限:良好", "值", 0.4)
    set_by_code(cycle, ledger.WHATIF.name, "等次下限:一般", "值", 0.3)
    result = whatif(FileOfficeBook(cycle), write=False)
    assert (result.table["总分变化"] == 0).all() and (result.table["模拟等次"] == "优秀").all()


@pytest.mark.slow  # a whole scored cycle
def test_an_unknown_item_is_refused_naming_its_row(cycle):
    set_by_code(cycle, ledger.WHATIF.name, "缺少考评得分时", "值", "不计")
    with pytest.raises(SchemeError, match="缺少考评得分时"):
        whatif(FileOfficeBook(cycle), write=False)

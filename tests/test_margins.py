"""等次余量 (issue 15, part 3): the margins to the grade boundaries, the gaps to the neighbours, the largest single
indicator's influence and the 复核提示 flag, computed by hand on the scoring tests' hand-made scheme."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from test_scoring import hand_case, indicator
from xlplugin.margins import ABOVE, BELOW, CLOSE, FLAG, GAP_DOWN, GAP_UP, INFLUENCE, influence, margins
from xlplugin.overview import overview
from xlplugin.score import result_sheets
from xlplugin.scoring import score


def scheme_with_spread_indicators():
    """The hand case, but A2 has ten 重点 indicators of 8 points and B1 sixteen of 5 (A1 keeps 50 + 30)."""
    scheme, _ = hand_case()
    kept = [i for i in scheme.indicators if not i.code.startswith(("KA2", "KB1"))]
    spread = [indicator(f"KA2-{n}", 8, "重点", ("A2",)) for n in range(10)]
    spread += [indicator(f"KB1-{n}", 5, "重点", ("B1",)) for n in range(16)]
    return replace(scheme, indicators=tuple(kept + spread))


def test_influence_by_hand():
    reach = influence(scheme_with_spread_indicators())
    # 重点目标 weighs 50 % of a base of 100, 共性目标 10 %: one indicator moves its share of the component's 分值
    assert reach["A1"] == pytest.approx(50 / 80 * 50)  # KA1-1: 31.25
    assert reach["A2"] == pytest.approx(max(8 / 80 * 50, 10 / 20 * 10))  # 5.00
    assert reach["B1"] == pytest.approx(max(5 / 80 * 50, 10 / 20 * 10))  # 5.00 (C1 or C2)


def test_margins_by_hand_and_the_unit_at_89_99_is_flagged():
    scheme = scheme_with_spread_indicators()  # grades 优秀 90, 良好 80, 一般 60, 较差 0
    units = pd.DataFrame({"unit": ["A2", "A1", "B1", "B2"], "final": [95.0, 89.99, 70.5, 50.0],
                          "grade_by_score": ["优秀", "良好", "一般", "较差"], "rank": [1, 2, 3, 4]})
    m = margins(scheme, units).set_index(units["unit"])
    # A1 at 89.99: 0.01 below 优秀, 9.99 above 良好's 80; 95 - 89.99 = 5.01 to A2, 89.99 - 70.5 = 19.49 to B1
    assert m.loc["A1", [ABOVE, BELOW, GAP_UP, GAP_DOWN]].tolist() == pytest.approx([0.01, 9.99, 5.01, 19.49])
    assert m.at["A1", FLAG] == CLOSE  # 0.01 < 31.25
    # A2 at 95: the top grade, 5.00 above 90; no one above it, 5.01 to A1; 5.00 is not smaller than 5.00
    assert pd.isna(m.at["A2", ABOVE]) and m.at["A2", BELOW] == pytest.approx(5.0)
    assert pd.isna(m.at["A2", GAP_UP]) and m.at["A2", GAP_DOWN] == pytest.approx(5.01)
    assert pd.isna(m.at["A2", FLAG])
    # B1 at 70.5: 9.5 below 良好, 10.5 above 一般's 60; neither smaller than 5.00
    assert m.loc["B1", [ABOVE, BELOW, GAP_UP, GAP_DOWN]].tolist() == pytest.approx([9.5, 10.5, 19.49, 20.5])
    assert pd.isna(m.at["B1", FLAG])
    assert m.at["A1", INFLUENCE] == pytest.approx(31.25)


def test_ranking_carries_the_margins_and_the_overview_lists_the_close_calls():
    scheme, inputs = hand_case()
    ranking = result_sheets(scheme, score(scheme, inputs))["总排名"]
    for r in ranking.itertuples(index=False):
        assert getattr(r, ABOVE) is None or getattr(r, ABOVE) > 0 or pd.isna(getattr(r, ABOVE))
    close = ranking.copy()
    close.loc[0, ["总分", "等次", ABOVE, BELOW, FLAG]] = [89.99, "良好", 0.01, 9.99, CLOSE]
    close.loc[1:, FLAG] = None
    view = overview(scheme, None, close)
    rows = view[view["板块"] == "复核提示"]
    assert len(rows) == 1 and "89.99" in rows["内容"].iloc[0] and "0.01" in rows["内容"].iloc[0]
    assert close.at[0, "单位代码"] in rows["对象"].iloc[0]

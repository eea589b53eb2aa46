"""The scoring core (xlplugin.scoring.score): a pure function of (scheme, inputs) → results.

Three kinds of test, all on schemes built directly from the dataclasses (no workbook, no I/O):
  - one small case computed by hand, its arithmetic written out, every figure asserted exactly;
  - property tests (hypothesis) over small random schemes and marks: scores within their ranges, ranks that
    agree with the totals, a veto that lowers exactly one level;
  - traceability: every total is the weighted sum of the component points the results show, and every 得分率
    component the aggregate of the indicator scores the results show.
"""
from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from xlplugin import ledger
from xlplugin.scheme import (BonusKind, Component, Evaluator, Grade, Indicator, Leader, Period, RaterGroup, Scheme,
                             Settings, Unit)
from xlplugin.score import result_sheets
from xlplugin.scoring import FALLBACK_SELF, FALLBACK_ZERO, Inputs, Results, period_weights, score

MARK_COLUMNS = ["unit", "period", "source", "indicator", "rater", "item", "value"]
EPS = 1e-9


# ------------------------------------------------------------------------------------------------ builders


def make_settings(base: float = 100.0, bonus_cap: float = 2.0, total_cap: float | None = None,
                  missing: str = FALLBACK_SELF) -> Settings:
    return Settings(office="测试市政府绩效评估委员会办公室", year=2026, period="年终", base=base, submit_dir="提交",
                    output_dir="输出", deadline="2027-01-15", bonus_cap=bonus_cap, smtp_host="127.0.0.1",
                    smtp_port=25, smtp_security="无", sender="jxb@example.gov.cn", contact="联系人",
                    phone="0000-0000000", key="k" * 32, total_cap=total_cap, missing_score=missing)


def indicator(code: str, max_points: float, kind: str, scope: tuple[str, ...], evaluator: str = "评估组",
              row: int = 2) -> Indicator:
    return Indicator(code=code, dimension="维度", level="层面", point="要点", name=f"指标{code}", max=max_points,
                     measure="", target="按期完成", rule="按评分说明计分", evaluator=evaluator, scope=scope,
                     kind=kind, role="", evidence="", row=row)


def marks_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=MARK_COLUMNS, dtype=object)


def unit_row(r: Results, code: str) -> pd.Series:
    return r.units.set_index("unit").loc[code]


# ------------------------------------------------------------------------------------- the hand-computed case

HAND_GRADES = (Grade("优秀", 90, 20, 2), Grade("良好", 80, 18, 3), Grade("一般", 60, 16, 4), Grade("较差", 0, 14, 5))
HAND_COMPONENTS = (
    Component("重点目标", 50, "考评部门", "重点", "得分率", "", 2),
    Component("共性目标", 10, "考评部门", "共性", "得分率", "", 3),
    Component("自我评估", 10, "自评", "全部", "得分率", "", 4),
    Component("民主评议", 10, "评议", "", "评议平均", "", 5),
    Component("领导评价", 10, "领导", "", "领导排名", "", 6),
    Component("基础工作", 10, "绩效办", "", "直接评分", "", 7),
)


def hand_case() -> tuple[Scheme, Inputs]:
    units = (Unit("A1", "甲一局", "甲", None, None, 37, 2), Unit("A2", "甲二局", "甲", None, None, 50, 3),
             Unit("B1", "乙一局", "乙", None, None, 30, 4), Unit("B2", "乙二局", "乙", None, None, 25, 5))
    indicators = []
    for u in units:
        indicators += [indicator(f"K{u.code}-1", 50, "重点", (u.code,)), indicator(f"K{u.code}-2", 30, "重点", (u.code,))]
    indicators += [indicator("C1", 10, "共性", ("全部",), "法制办"), indicator("C2", 10, "共性", ("全部",), "信访局")]
    scheme = Scheme(
        settings=make_settings(base=100, bonus_cap=2),
        units=units,
        evaluators=(Evaluator("E1", "评估组", None, None, 2), Evaluator("E2", "法制办", None, None, 3),
                    Evaluator("E3", "信访局", None, None, 4)),
        indicators=tuple(indicators),
        components=HAND_COMPONENTS,
        periods=(Period("过程", "过程", 20, "2026-07-25", 2), Period("年终", "年终", 80, "2027-01-15", 3)),
        grades=HAND_GRADES,
        rater_grades={"满意": 100.0, "基本满意": 75.0, "不满意": 40.0},
        rater_groups=(RaterGroup("G1", "人大代表评议组", None, None, ("全部",), 2),
                      RaterGroup("G2", "服务对象评议组", None, None, ("全部",), 3)),
        leaders=(Leader("L1", "张市长", "市长", "市长", 15, ("全部",), None, 2),
                 Leader("L2", "李副市长", "副市长", "副市长", 10, ("全部",), None, 3)),
        rank_points={1: 100.0, 2: 90.0, 3: 80.0, 4: 70.0},
        bonus_kinds=(BonusKind("命名表彰", 1, "", 2), BonusKind("自主创新性突出贡献", 1, "", 3),
                     BonusKind("工作经验以文件转发形式被推广", 0.5, "", 4)),
    )
    # (unit, indicator) -> (self score, evaluator score, falsified)
    unit_marks = {
        ("A1", "KA1-1"): (50, 48, None), ("A1", "KA1-2"): (30, 30, None), ("A1", "C1"): (10, 10, None),
        ("A1", "C2"): (10, 9, None),
        ("A2", "KA2-1"): (48, 46, None), ("A2", "KA2-2"): (35, 33, None), ("A2", "C1"): (10, 10, None),
        ("A2", "C2"): (10, -2, None),
        ("B1", "KB1-1"): (45, 40, "否"), ("B1", "KB1-2"): (30, None, None), ("B1", "C1"): (10, 8, None),
        ("B1", "C2"): (10, 10, None),
        ("B2", "KB2-1"): (50, 50, "是"), ("B2", "KB2-2"): (30, 24, None), ("B2", "C1"): (8, 6, None),
        ("B2", "C2"): (10, 10, None),
    }
    rater_grades = {"A1": ("满意", "基本满意"), "A2": ("满意", "满意"), "B1": ("基本满意", "基本满意"),
                    "B2": ("不满意", "基本满意")}
    leader_ranks = {"A1": (1, 2), "A2": (2, 1), "B1": (3, 3), "B2": (4, 4)}
    rows = []
    for period in ("过程", "年终"):
        for (u, i), (self_score, ev_score, falsified) in unit_marks.items():
            rows.append((u, period, "自评", i, u, "实际完成值", "按期完成"))
            rows.append((u, period, "自评", i, u, "自评得分", float(self_score)))
            evaluator = next(x.evaluator for x in scheme.indicators if x.code == i)
            if ev_score is not None:
                rows.append((u, period, "考评部门", i, evaluator, "考评得分", float(ev_score)))
            if falsified is not None:
                rows.append((u, period, "考评部门", i, evaluator, "弄虚作假", falsified))
        rows.append(("A1", period, "考评部门", "C2", "信访局", "扣分原因", "信访件逾期办结1件"))
        rows.append(("A2", period, "考评部门", "C2", "信访局", "扣分原因", "发生越级上访"))
        for u, (g1, g2) in rater_grades.items():
            rows.append((u, period, "评议", None, "G1", "评议等次", g1))
            rows.append((u, period, "评议", None, "G2", "评议等次", g2))
            rows.append((u, period, "评议", None, "G2", "意见建议", "加强窗口服务"))
        for u, (r1, r2) in leader_ranks.items():
            rows.append((u, period, "领导", None, "L1", "名次", r1))
            rows.append((u, period, "领导", None, "L2", "名次", r2))
            rows.append((u, period, "领导", None, "L1", "评语", "工作扎实"))
    office = pd.DataFrame(
        [("A1", "年终", "基础工作", 70), ("A1", "过程", "基础工作", 65), ("A2", "年终", "基础工作", 100),
         ("A2", "过程", "基础工作", 90), ("B1", "年终", "基础工作", 80), ("B1", "过程", "基础工作", 70),
         ("B2", "年终", "基础工作", 60), ("B2", "过程", "基础工作", 50)],
        columns=["unit", "period", "component", "score"])
    bonus = pd.DataFrame(
        [("A2", "命名表彰", 1.5), ("A2", "自主创新性突出贡献", 1), ("A2", "工作经验以文件转发形式被推广", 0.5),
         ("B1", "命名表彰", 1.5), ("B2", "命名表彰", None)],
        columns=["unit", "kind", "points"])
    return scheme, Inputs(marks=marks_frame(rows), office=office, bonus=bonus, vetoes=frozenset({"B1", "B2"}))


def test_hand_computed_case():
    """Four units, two categories, every kind of component, two periods; computed by hand.

    Scheme: base 100; 加分上限 2; no 总分上限; an indicator its evaluator did not score takes the self score.
      Units (category, staff): A1 (甲, 37), A2 (甲, 50), B1 (乙, 30), B2 (乙, 25).
      Indicators: each unit its own key ones (重点) K?-1 (50 points) and K?-2 (30); everyone the common
      ones (共性) C1 (10) and C2 (10).
      Components: 重点目标 50% (考评部门, 重点, 得分率), 共性目标 10% (考评部门, 共性, 得分率),
      自我评估 10% (自评, 全部, 得分率), 民主评议 10% (评议平均), 领导评价 10% (领导排名),
      基础工作 10% (绩效办, 直接评分).   Periods: 过程 20%, 年终 80%.
      Grades: 优秀 ≥ 90 (quota 20%), 良好 ≥ 80 (18%), 一般 ≥ 60 (16%), 较差 below (14%).
      评议: 满意 100, 基本满意 75, 不满意 40.  Leaders: L1 市长 weight 15, L2 副市长 weight 10;
      rank points 1 → 100, 2 → 90, 3 → 80, 4 → 70.  Bonus caps per claim of a kind: 命名表彰 1,
      自主创新性突出贡献 1, 工作经验以文件转发形式被推广 0.5.

    Indicator marks, self / evaluator → score (the same in both periods):
              K-1 (50)               K-2 (30)              C1 (10)     C2 (10)
        A1    50 / 48 → 48           30 / 30 → 30          10 / 10     10 / 9 → 9
        A2    48 / 46 → 46           35→30 / 33 → 30       10 / 10     10 / -2 → 0      (clamped to [0, max])
        B1    45 / 40 → 40           30 / none → 30 (self) 10 / 8      10 / 10
        B2    50 / 50 falsified → 0  30 / 24 → 24           8 / 6      10 / 10

    得分率 components (Σ scores / Σ max × 100):
        A1  重点 (48+30)/80 = 97.5   共性 (10+9)/20 = 95   自评 (50+30+10+10)/100 = 100
        A2  重点 (46+30)/80 = 95     共性 (10+0)/20 = 50   自评 (48+30+10+10)/100 = 98  (self 35 clamped to 30)
        B1  重点 (40+30)/80 = 87.5   共性 (8+10)/20 = 90   自评 (45+30+10+10)/100 = 95
        B2  重点 (0+24)/80 = 30      共性 (6+10)/20 = 80   自评 (0+30+8+10)/100 = 48
            (B2's K-1 is falsified: forfeited in the self-evaluation too, its self score 50 counts 0)
    民主评议 (G1, G2): A1 满意, 基本满意 → (100+75)/2 = 87.5;  A2 满意, 满意 → 100;
        B1 基本满意 ×2 → 75;  B2 不满意, 基本满意 → (40+75)/2 = 57.5
    领导评价 (rank by L1 / L2 → (15 × points1 + 10 × points2) / 25):
        A1 1/2 → (1500+900)/25 = 96;  A2 2/1 → (1350+1000)/25 = 94;  B1 3/3 → 80;  B2 4/4 → 70
    基础工作 (office), 年终 / 过程: A1 70 / 65, A2 100 / 90, B1 80 / 70, B2 60 / 50

    年终 points (score × weight/100, base 100), 重点 + 共性 + 自评 + 评议 + 领导 + 基础:
        A1  48.75 + 9.5 + 10  + 8.75 + 9.6 + 7  = 93.6
        A2  47.5  + 5   + 9.8 + 10   + 9.4 + 10 = 91.7
        B1  43.75 + 9   + 9.5 + 7.5  + 8   + 8  = 85.75
        B2  15    + 8   + 4.8 + 5.75 + 7   + 6  = 46.55
    过程: the same marks, only the office score differs, so 过程 = 年终 − 0.1 × (office 年终 − office 过程):
        A1 93.6 − 0.5 = 93.1;  A2 91.7 − 1 = 90.7;  B1 85.75 − 1 = 84.75;  B2 46.55 − 1 = 45.55
    total = 过程 × 20% + 年终 × 80%:
        A1 18.62 + 74.88 = 93.5;  A2 18.14 + 73.36 = 91.5;  B1 16.95 + 68.6 = 85.55;  B2 9.11 + 37.24 = 46.35
    bonus: A2 命名表彰 1.5 → 1 (its cap) + 自主创新 1 + 推广 0.5 = 2.5 → 2 (加分上限);
        B1 命名表彰 1.5 → 1;  B2's claim has no approved points → 0
    final: A1 93.5, A2 91.5 + 2 = 93.5, B1 85.55 + 1 = 86.55, B2 46.35
    grade by score: A1 优秀, A2 优秀, B1 良好, B2 较差; vetoes on B1 and B2: B1 良好 → 一般, B2 stays 较差
    ranks: A1 1, A2 1 (tie), B1 3, B2 4; within 甲: A1 1, A2 1; within 乙: B1 1, B2 2
    quota (staff × % of the final grade, rounded down): A1 37 × 20% = 7.4 → 7; A2 50 × 20% = 10;
        B1 30 × 16% = 4.8 → 4 (良好's 18% would give 5); B2 25 × 14% = 3.5 → 3
    """
    scheme, inputs = hand_case()
    r = score(scheme, inputs)

    ind = r.indicators.set_index(["unit", "period", "indicator"])
    for period in ("过程", "年终"):
        assert ind.loc[("A2", period, "KA2-2"), "score"] == 30  # evaluator 33 clamped to max 30
        assert ind.loc[("A2", period, "KA2-2"), "self_score"] == 30  # self 35 clamped to max 30
        assert ind.loc[("A2", period, "C2"), "score"] == 0  # evaluator -2 clamped to 0
        assert ind.loc[("A2", period, "C2"), "lost"] == 10
        assert ind.loc[("A2", period, "C2"), "reason"] == "发生越级上访"
        assert ind.loc[("B1", period, "KB1-2"), "score"] == 30  # no evaluator score: the self score
        assert pd.isna(ind.loc[("B1", period, "KB1-2"), "evaluator_score"])
        assert not ind.loc[("B1", period, "KB1-1"), "falsified"]  # 否 is not a finding
        assert ind.loc[("B2", period, "KB2-1"), "falsified"]
        assert ind.loc[("B2", period, "KB2-1"), "score"] == 0  # falsified: the whole 50 forfeited
        assert ind.loc[("B2", period, "KB2-1"), "lost"] == 50
    assert len(r.indicators) == 2 * 4 * 4  # periods × units × (2 key + 2 common)

    comp = r.components.set_index(["unit", "period", "component"])["score"]
    expected_components = {
        "A1": (97.5, 95, 100, 87.5, 96), "A2": (95, 50, 98, 100, 94),
        "B1": (87.5, 90, 95, 75, 80), "B2": (30, 80, 48, 57.5, 70),
    }
    office = {"A1": (65, 70), "A2": (90, 100), "B1": (70, 80), "B2": (50, 60)}
    for u, values in expected_components.items():
        for period, office_score in zip(("过程", "年终"), office[u]):
            for c, v in zip(HAND_COMPONENTS, (*values, office_score)):
                assert comp[(u, period, c.name)] == pytest.approx(v, abs=EPS), (u, period, c.name)

    expected = {  # unit: (过程, 年终, total, bonus, final, grade by score, grade, rank, category rank, quota %, staff)
        "A1": (93.1, 93.6, 93.5, 0, 93.5, "优秀", "优秀", 1, 1, 20, 7),
        "A2": (90.7, 91.7, 91.5, 2, 93.5, "优秀", "优秀", 1, 1, 20, 10),
        "B1": (84.75, 85.75, 85.55, 1, 86.55, "良好", "一般", 3, 1, 16, 4),
        "B2": (45.55, 46.55, 46.35, 0, 46.35, "较差", "较差", 4, 2, 14, 3),
    }
    for u, (p, y, total, bonus, final, by_score, grade, rank, cat_rank, pct, staff) in expected.items():
        row = unit_row(r, u)
        assert row["total:过程"] == pytest.approx(p, abs=EPS), u
        assert row["total:年终"] == pytest.approx(y, abs=EPS), u
        assert row["total"] == pytest.approx(total, abs=EPS), u
        assert row["bonus"] == pytest.approx(bonus, abs=EPS), u
        assert row["final"] == pytest.approx(final, abs=EPS), u
        assert (row["grade_by_score"], row["grade"]) == (by_score, grade), u
        assert (row["rank"], row["category_rank"]) == (rank, cat_rank), u
        assert (row["quota_pct"], row["quota_staff"]) == (pct, staff), u
        assert row["veto"] == (u in ("B1", "B2"))
    assert list(r.units["unit"]) == ["A1", "A2", "B1", "B2"]  # by rank, then code
    assert list(r.units["rank"]) == [1, 1, 3, 4]


def test_hand_case_variants():
    """The same case with one rule switched off, to show each rule is what produced the figures above."""
    scheme, inputs = hand_case()
    # without the vetoes, B1 keeps 良好 (and 18%: 30 × 18% = 5.4 → 5); nothing else moves
    r = score(scheme, Inputs(inputs.marks, inputs.office, inputs.bonus, frozenset()))
    b1 = unit_row(r, "B1")
    assert (b1["grade"], b1["quota_pct"], b1["quota_staff"]) == ("良好", 18, 5)
    assert unit_row(r, "B2")["grade"] == "较差"
    # without the falsified flag, B2's K-1 scores 50: 重点 (50+24)/80 = 92.5 → +0.5 × 62.5 = +31.25 points,
    # and its self score 50 counts again in 自我评估: (50+30+8+10)/100 = 98 → +0.1 × 50 = +5 points
    marks = inputs.marks[~((inputs.marks["item"] == "弄虚作假") & (inputs.marks["unit"] == "B2"))]
    r = score(scheme, Inputs(marks, inputs.office, inputs.bonus, inputs.vetoes))
    assert unit_row(r, "B2")["final"] == pytest.approx(46.35 + 31.25 + 5, abs=EPS)
    # 记零分: B1's unscored K-2 counts 0: 重点 40/80 = 50 → −0.5 × 37.5 = −18.75 in both periods
    scheme0 = replace(scheme, settings=make_settings(base=100, bonus_cap=2, missing=FALLBACK_ZERO))
    r = score(scheme0, inputs)
    assert unit_row(r, "B1")["total"] == pytest.approx(85.55 - 18.75, abs=EPS)
    # a 总分上限 of 93 caps A1 and A2 (93.5 → 93), still tied
    scheme_cap = replace(scheme, settings=make_settings(base=100, bonus_cap=2, total_cap=93))
    r = score(scheme_cap, inputs)
    assert list(r.units["final"]) == [93, 93, 86.55, 46.35]
    # year-end marks only: the periods present are renormalised, the total is the 年终 total
    y = Inputs(inputs.marks[inputs.marks["period"] == "年终"], inputs.office[inputs.office["period"] == "年终"],
               inputs.bonus, inputs.vetoes)
    r = score(scheme, y)
    assert unit_row(r, "A1")["total"] == pytest.approx(93.6, abs=EPS)
    assert "total:过程" not in r.units.columns


# ------------------------------------------------------------------------------------- random schemes (hypothesis)

COMPONENT_TEMPLATES = (
    ("重点目标", "考评部门", "重点", "得分率"),
    ("共性目标", "考评部门", "共性", "得分率"),
    ("全部指标", "考评部门", "全部", "得分率"),
    ("自我评估", "自评", "全部", "得分率"),
    ("民主评议", "评议", "", "评议平均"),
    ("领导评价", "领导", "", "领导排名"),
    ("基础工作", "绩效办", "", "直接评分"),
    ("跟踪评估", "绩效办", "", "直接评分"),
)
CATEGORIES = ("甲", "乙", "丙")
RATER_GRADE_NAMES = ("满意", "基本满意", "不满意")
GRADE_NAMES = ("优秀", "良好", "一般", "较差")
BONUS_KIND_NAMES = ("命名表彰", "自主创新性突出贡献", "工作评比排名靠前")


def partition(draw, total: int, parts: int, minimum: int = 0) -> list[int]:
    """parts non-negative integers (each ≥ minimum) adding up to total."""
    free = total - minimum * parts
    cuts = sorted(draw(st.lists(st.integers(0, free), min_size=parts - 1, max_size=parts - 1)))
    return [minimum + b - a for a, b in zip([0, *cuts], [*cuts, free])]


def score_value(draw, upper: float):
    """A collected score: usually within [0, upper], sometimes out of range, rarely text or missing."""
    return draw(st.one_of(
        st.floats(0, upper, allow_nan=False).map(lambda v: round(v * 4) / 4),
        st.floats(-5, upper + 5, allow_nan=False),
        st.sampled_from([None, "良", "", "12abc"]),
    ))


@st.composite
def cases(draw) -> tuple[Scheme, Inputs]:
    base = draw(st.sampled_from([100.0, 1000.0, 10.0]))
    n_units = draw(st.integers(1, 6))
    units = tuple(Unit(f"U{n}", f"单位{n}", draw(st.sampled_from(CATEGORIES)), None, None,
                       draw(st.one_of(st.none(), st.integers(0, 300))), n + 2) for n in range(n_units))
    codes = [u.code for u in units]
    n_ind = draw(st.integers(1, 6))
    indicators = []
    for n in range(n_ind):
        kind = draw(st.sampled_from(["重点", "共性"]))
        scope = draw(st.one_of(st.just(("全部",)), st.sampled_from(CATEGORIES).map(lambda c: (c,)),
                               st.lists(st.sampled_from(codes), min_size=1, max_size=2, unique=True).map(tuple)))
        indicators.append(indicator(f"I{n}", draw(st.sampled_from([0.5, 1.0, 2.0, 2.5, 10.0, 40.0])), kind, scope,
                                    row=n + 2))
    templates = draw(st.lists(st.sampled_from(COMPONENT_TEMPLATES), min_size=1, max_size=6, unique=True))
    weights = partition(draw, 100, len(templates))
    components = tuple(Component(name, w, source, kind, method, "", n + 2)
                       for n, ((name, source, kind, method), w) in enumerate(zip(templates, weights)))
    if draw(st.booleans()):
        w = draw(st.integers(1, 99))
        periods = (Period("过程", "过程", w, "", 2), Period("年终", "年终", 100 - w, "", 3))
    else:
        periods = (Period("年终", "年终", 100, "", 2),)
    n_grades = draw(st.integers(1, 4))
    lowers = sorted(draw(st.lists(st.integers(0, 100), min_size=n_grades, max_size=n_grades, unique=True)),
                    reverse=True)
    grades = tuple(Grade(GRADE_NAMES[k], lowers[k] * base / 100, draw(st.integers(0, 30)), k + 2)
                   for k in range(n_grades))
    rater_grades = {g: float(draw(st.integers(0, 100))) for g in RATER_GRADE_NAMES}
    leaders = tuple(Leader(f"L{k}", f"领导{k}", "", "副市长", float(draw(st.integers(0, 20))), ("全部",), None, k + 2)
                    for k in range(draw(st.integers(0, 3))))
    rank_points = {k: float(draw(st.integers(0, 100))) for k in range(1, draw(st.integers(0, n_units)) + 1)}
    bonus_kinds = tuple(BonusKind(name, draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])), "", k + 2)
                        for k, name in enumerate(BONUS_KIND_NAMES[:draw(st.integers(0, 3))]))
    total_cap = draw(st.one_of(st.none(), st.sampled_from([base, base + 1, base * 0.9])))
    scheme = Scheme(make_settings(base, draw(st.sampled_from([0.0, 1.0, 5.0])), total_cap,
                                  draw(st.sampled_from([FALLBACK_SELF, FALLBACK_ZERO]))),
                    units, (Evaluator("E", "评估组", None, None, 2),), tuple(indicators), components, periods,
                    grades, rater_grades, (), leaders, rank_points, bonus_kinds)

    rows, office = [], []
    for p in periods:
        if len(periods) > 1 and not draw(st.booleans()):  # a period may have no data yet
            continue
        for u in units:
            for i in scheme.indicators_for(u):
                if draw(st.booleans()):
                    rows.append((u.code, p.name, "自评", i.code, u.code, "自评得分", score_value(draw, i.max)))
                if draw(st.booleans()):
                    rows.append((u.code, p.name, "考评部门", i.code, "评估组", "考评得分", score_value(draw, i.max)))
                flag = draw(st.sampled_from([None, None, "否", "是"]))
                if flag:
                    rows.append((u.code, p.name, "考评部门", i.code, "评估组", "弄虚作假", flag))
            for g in range(draw(st.integers(0, 3))):
                rows.append((u.code, p.name, "评议", None, f"G{g}", "评议等次",
                             draw(st.sampled_from([*RATER_GRADE_NAMES, "不了解"]))))
            for leader in leaders:
                rank = draw(st.one_of(st.none(), st.integers(1, n_units + 1)))
                if rank is not None:
                    rows.append((u.code, p.name, "领导", None, leader.code, "名次", rank))
            for c in components:
                if c.method == "直接评分" and draw(st.booleans()):
                    office.append((u.code, p.name, c.name, draw(st.one_of(st.floats(-10, 110), st.none()))))
    bonus = [(draw(st.sampled_from(codes)), draw(st.sampled_from([*BONUS_KIND_NAMES, "其他"])),
              draw(st.one_of(st.none(), st.floats(-1, 4)))) for _ in range(draw(st.integers(0, 5)))]
    vetoes = frozenset(draw(st.lists(st.sampled_from(codes), max_size=n_units)))
    inputs = Inputs(marks=marks_frame(rows),
                    office=pd.DataFrame(office, columns=["unit", "period", "component", "score"]),
                    bonus=pd.DataFrame(bonus, columns=["unit", "kind", "points"]), vetoes=vetoes)
    return scheme, inputs


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.data_too_large])


def grade_index(scheme: Scheme, name: str) -> int:
    return [g.name for g in scheme.grades].index(name)


@PROPERTY
@given(cases())
def test_scores_stay_within_their_ranges(case):
    scheme, inputs = case
    r = score(scheme, inputs)
    s = scheme.settings
    i = r.indicators
    assert ((i["score"] >= 0) & (i["score"] <= i["max"] + EPS)).all()
    assert (i["self_score"].isna() | ((i["self_score"] >= 0) & (i["self_score"] <= i["max"] + EPS))).all()
    assert (i.loc[i["falsified"], "score"] == 0).all()
    assert (i["lost"] == i["max"] - i["score"]).all()
    assert r.components["score"].between(0, 100).all()
    u = r.units
    assert u["total"].between(-EPS, s.base + EPS).all()
    for p in [c for c in u.columns if c.startswith("total:")]:
        assert u[p].between(-EPS, s.base + EPS).all()
    assert u["bonus"].between(0, s.bonus_cap + EPS).all()
    upper = s.base + s.bonus_cap if s.total_cap is None else min(s.base + s.bonus_cap, s.total_cap)
    assert u["final"].between(-EPS, upper + EPS).all()
    assert len(u) == len(scheme.units) and set(u["unit"]) == {x.code for x in scheme.units}


@pytest.mark.slow  # many generated cases; the fast suite keeps the range and traceability properties
@PROPERTY
@given(cases())
def test_ranks_agree_with_totals(case):
    scheme, inputs = case
    u = score(scheme, inputs).units
    finals = u["final"].to_numpy()
    for row in u.itertuples():
        assert row.rank == 1 + (finals > row.final).sum()
        same = u[u["category"] == row.category]["final"].to_numpy()
        assert row.category_rank == 1 + (same > row.final).sum()
    for a in u.itertuples():
        for b in u.itertuples():
            if a.final > b.final:
                assert a.rank < b.rank
            if a.final == b.final:
                assert a.rank == b.rank
                if a.category == b.category:
                    assert a.category_rank == b.category_rank
    assert list(u["rank"]) == sorted(u["rank"])  # the table comes in rank order


@pytest.mark.slow  # many generated cases; the fast suite keeps the range and traceability properties
@PROPERTY
@given(cases())
def test_grades_follow_thresholds_and_the_veto_lowers_one_level(case):
    scheme, inputs = case
    r = score(scheme, inputs)
    no_veto = score(scheme, Inputs(inputs.marks, inputs.office, inputs.bonus, frozenset()))
    lowest = len(scheme.grades) - 1
    lowers = [g.lower for g in scheme.grades]
    quota = {g.name: g.quota for g in scheme.grades}
    for row in r.units.itertuples():
        k = grade_index(scheme, row.grade_by_score)
        assert k == lowest or row.final >= lowers[k] - EPS  # reaches its grade's threshold …
        assert k == 0 or row.final < lowers[k - 1]  # … and not the next one up
        assert row.veto == (row.unit in inputs.vetoes)
        expected = min(k + 1, lowest) if row.veto else k
        assert grade_index(scheme, row.grade) == expected
        assert row.quota_pct == quota[row.grade]
        if row.staff is None or pd.isna(row.staff):
            assert pd.isna(row.quota_staff)
        else:
            assert row.quota_staff == math.floor(row.staff * quota[row.grade] / 100 + EPS)
    # the veto changes the grade (and so the quota) only
    a, b = r.units.set_index("unit").sort_index(), no_veto.units.set_index("unit").sort_index()
    same = ["total", "bonus", "final", "grade_by_score", "rank", "category_rank"]
    pd.testing.assert_frame_equal(a[same], b[same])
    assert (b["grade"] == b["grade_by_score"]).all()


@PROPERTY
@given(cases())
def test_every_number_traces_back(case):
    """total = Σ over stages held (stage weight, renormalised over the stages held) × Σ over its periods held
    (period weight within the stage) × Σ component points; a stage weighs all its periods' weights, held or not
    (seed 001: 过程 20 % + 年终 80 %); points = score × weight/100 × base/100; 得分率 = Σ indicator scores / Σ max × 100;
    the published total is rounded to 设置's decimals."""
    scheme, inputs = case
    r = score(scheme, inputs)
    base = scheme.settings.base
    c, i, u = r.components, r.indicators, r.units.set_index("unit")
    assert (c["points"] - c["score"] * c["weight"] / 100 * base / 100).abs().max() < EPS
    periods = [p for p in scheme.periods if p.name in set(c["period"])]
    stages = list(dict.fromkeys(p.stage for p in periods))
    stage_weight = {stage: sum(p.weight for p in scheme.periods if p.stage == stage) for stage in stages}
    stage_sum = sum(stage_weight.values())
    weight = {}
    for stage in stages:
        members = [p for p in periods if p.stage == stage]
        inner = sum(p.weight for p in members)
        for p in members:
            weight[p.name] = ((stage_weight[stage] / stage_sum) if stage_sum else 1 / len(stages)) * \
                ((p.weight / inner) if inner else 1 / len(members))
    for unit in scheme.units:
        total = 0.0
        for p in periods:
            points = c[(c["unit"] == unit.code) & (c["period"] == p.name)]["points"].sum()
            assert u.loc[unit.code, f"total:{p.name}"] == pytest.approx(points, abs=1e-6)
            total += weight[p.name] * points
        assert u.loc[unit.code, "total"] == pytest.approx(total, abs=1e-6)
        half = 0.5 * 10 ** -scheme.settings.decimals + 1e-9
        assert abs(u.loc[unit.code, "final"] - min(total + u.loc[unit.code, "bonus"],
                                                   scheme.settings.total_cap or math.inf)) <= half
    assert r.interim == (scheme.periods[-1].name not in {p.name for p in periods})
    for comp in scheme.components:
        if comp.method != "得分率":
            continue
        column = "self_counted" if comp.source == "自评" else "score"
        for (unit, period), part in c[c["component"] == comp.name].groupby(["unit", "period"]):
            sel = i[(i["unit"] == unit) & (i["period"] == period)]
            if comp.indicator_kind in ("重点", "共性"):
                sel = sel[sel["kind"] == comp.indicator_kind]
            got = part["score"].iloc[0]
            if len(sel) == 0:
                assert got == 0 and not part["has_data"].iloc[0]
            else:
                assert got == pytest.approx(sel[column].fillna(0).sum() / sel["max"].sum() * 100, abs=1e-6)


def test_falsified_indicator_is_forfeited_in_the_self_evaluation_too():
    """发现弄虚作假的，扣除该项指标全部得分 (seed 001): B2's K-1 (self 50, evaluator 50, falsified) scores 0 as an
    indicator and counts 0 in 自我评估 as well: (0+30+8+10)/100 = 48, not (50+30+8+10)/100 = 98, so B2's 自我评估
    brings 48 × 10% = 4.8 points instead of 9.8 in each period, 5 points less in the total (51.35 → 46.35).
    The claimed self score stays visible (self_score 50); only what counts (self_counted) is 0."""
    scheme, inputs = hand_case()
    r = score(scheme, inputs)
    ind = r.indicators.set_index(["unit", "period", "indicator"])
    row = ind.loc[("B2", "年终", "KB2-1")]
    assert (row["self_score"], row["self_counted"], row["score"]) == (50, 0, 0)
    assert ind.loc[("B2", "年终", "KB2-2"), "self_counted"] == 30  # not falsified: counts as claimed
    comp = r.components.set_index(["unit", "period", "component"])
    for period in ("过程", "年终"):
        assert comp.loc[("B2", period, "自我评估"), "score"] == pytest.approx(48, abs=EPS)
        assert comp.loc[("B2", period, "自我评估"), "points"] == pytest.approx(4.8, abs=EPS)
    assert unit_row(r, "B2")["total"] == pytest.approx(51.35 - 5, abs=EPS)


def test_hand_case_traces_back():
    """The traceability checks of the property test, on the hand-computed case, frame by frame."""
    scheme, inputs = hand_case()
    r = score(scheme, inputs)
    c = r.components
    for unit in ("A1", "A2", "B1", "B2"):
        per = {p: c[(c["unit"] == unit) & (c["period"] == p)]["points"].sum() for p in ("过程", "年终")}
        assert unit_row(r, unit)["total"] == pytest.approx(0.2 * per["过程"] + 0.8 * per["年终"], abs=EPS)
    i = r.indicators
    sel = i[(i["unit"] == "A2") & (i["period"] == "年终") & (i["kind"] == "重点")]
    key = c[(c["unit"] == "A2") & (c["period"] == "年终") & (c["component"] == "重点目标")]["score"].iloc[0]
    assert key == pytest.approx(sel["score"].sum() / sel["max"].sum() * 100) == pytest.approx(95)


def test_tracking_component_counts_the_mean_of_its_periods():
    """基础工作 made a tracking component (跨期计算 = 各期平均): A1 scored 65 (过程) and 70 (年终), so it
    counts (65 + 70) / 2 = 67.5 in both periods, and its points are 67.5 × 10% = 6.75 whatever the period
    weights; before, the total took 65 × 10% × 20% + 70 × 10% × 80% = 1.3 + 5.6 = 6.9 of them. A1's total
    therefore drops by 6.9 − 6.75 = 0.15. A unit without any office score keeps 0 for it."""
    scheme, inputs = hand_case()
    before = unit_row(score(scheme, inputs), "A1")["total"]
    tracking = tuple(replace(c, across="各期平均") if c.name == "基础工作" else c for c in scheme.components)
    tracked = replace(scheme, components=tracking)
    r = score(tracked, inputs)
    comp = r.components.set_index(["unit", "period", "component"])
    assert comp.loc[("A1", "过程", "基础工作"), "score"] == pytest.approx(67.5)
    assert comp.loc[("A1", "年终", "基础工作"), "score"] == pytest.approx(67.5)
    assert unit_row(r, "A1")["total"] == pytest.approx(before - 0.15)
    no_office = replace(inputs, office=inputs.office[inputs.office["unit"] != "B2"])
    comp = score(tracked, no_office).components.set_index(["unit", "period", "component"])
    assert comp.loc[("B2", "年终", "基础工作"), "score"] == 0 and not comp.loc[("B2", "年终", "基础工作"), "has_data"]


def test_score_detail_sheet_adds_up_over_periods():
    """得分明细 shows each component as its period-weighted mean (过程 20%, 年终 80%), so that for every unit
    Σ component × weight / 100 × base / 100 equals its 加权合计, as the sheet promises."""
    scheme, inputs = hand_case()
    detail = result_sheets(scheme, score(scheme, inputs))[ledger.DETAIL.name].set_index("单位代码")
    for code, row in detail.iterrows():
        parts = sum(row[f"{c.name}（{c.weight:g}%）"] * c.weight / 100 for c in scheme.components)
        assert parts == pytest.approx(row["加权合计"], abs=0.02), code


def test_period_weights_renormalise_and_share_equally_when_all_are_zero():
    """One period-weight rule for scoring, the result sheets and the feedback: the scored periods' weights
    renormalised to 1; where they are all 0, equal shares (no division by zero)."""
    scheme, inputs = hand_case()
    assert period_weights(scheme.periods) == {"过程": 0.2, "年终": 0.8}
    assert period_weights(scheme.periods[1:]) == {"年终": 1.0}
    assert period_weights([]) == {}
    zero = replace(scheme, periods=tuple(replace(p, weight=0.0) for p in scheme.periods))
    assert period_weights(zero.periods) == {"过程": 0.5, "年终": 0.5}
    r = score(zero, inputs)
    by_period = r.units.set_index("unit")[["total:过程", "total:年终"]]
    assert r.units.set_index("unit")["total"].to_numpy() == pytest.approx(by_period.mean(axis=1).to_numpy())
    detail = result_sheets(zero, r)[ledger.DETAIL.name]
    assert detail["加权合计"].notna().all()


def test_unverified_scores_are_marked_counted_and_listed():
    """严格依据完成情况与核实分数 (seed 001): with 缺少考评得分时 = 采用自评得分, B1's K-2 (self 30, no evaluator score)
    scores 30 — the unit's own word. That score is marked 未核实 in 指标得分 (both periods: 2 rows, nothing else),
    counted in 得分明细 (B1 2, the others 0), and listed in 概览 under its evaluating department 评估组 (2 scores, for
    乙一局) with the department's contact, so the office chases it before publishing. Under 记零分 it scores 0 and
    nothing is unverified; a score the review decided (an upheld appeal) is verified."""
    from xlplugin.overview import overview
    from xlplugin.score import unverified_table

    scheme, inputs = hand_case()
    scheme = replace(scheme, evaluators=tuple(replace(e, contact="王科长", email="pg@example.gov.cn")
                                              if e.name == "评估组" else e for e in scheme.evaluators))
    r = score(scheme, inputs)
    sheets = result_sheets(scheme, r)
    ind = sheets[ledger.INDICATOR_SCORES.name]
    assert list(ind.columns) == list(ledger.INDICATOR_SCORES.columns)
    marked = ind[ind["核实"] == ledger.UNVERIFIED]
    assert sorted(zip(marked["单位代码"], marked["考评期"], marked["指标代码"])) == [
        ("B1", "年终", "KB1-2"), ("B1", "过程", "KB1-2")]
    assert set(marked["得分"]) == {30}
    # B2's K-1 is falsified (forfeited, 0): not unverified, even if it had no evaluator score
    assert ind[(ind["单位代码"] == "B2") & (ind["指标代码"] == "KB2-1")]["核实"].isna().all()
    detail = sheets[ledger.DETAIL.name].set_index("单位代码")["未核实指标数"]
    assert detail.to_dict() == {"A1": 0, "A2": 0, "B1": 2, "B2": 0}
    table = unverified_table(scheme, r)
    assert table.to_dict("records") == [{"evaluator": "评估组", "scores": 2, "units": "乙一局"}]
    view = overview(scheme, None, sheets[ledger.RANKING.name], table)
    assert "另有 2 项得分考评部门未评分" in view.iloc[0]["内容"]
    rows = view[view["板块"] == ledger.UNVERIFIED]
    assert rows.values.tolist() == [[ledger.UNVERIFIED, "评估组", "2 项得分未评分、按自评得分计：乙一局", "王科长",
                                     "pg@example.gov.cn"]]
    # 记零分: K-2 scores 0, nothing stands unverified, 概览 has no such block
    zero = replace(scheme, settings=make_settings(base=100, bonus_cap=2, missing=FALLBACK_ZERO))
    r0 = score(zero, inputs)
    assert not r0.indicators["unverified"].any()
    assert unverified_table(zero, r0).empty
    assert ledger.UNVERIFIED not in set(overview(zero, None, None, unverified_table(zero, r0))["板块"])
    # an upheld appeal deciding B1's K-2 (年终) makes that score verified; 过程 stays unverified
    appeals = pd.DataFrame([("B1", "年终", "KB1-2", 28)], columns=["unit", "period", "target", "score"])
    ra = score(scheme, replace(inputs, appeals=appeals))
    left = ra.indicators[ra.indicators["unverified"]]
    assert list(zip(left["unit"], left["period"], left["indicator"])) == [("B1", "过程", "KB1-2")]

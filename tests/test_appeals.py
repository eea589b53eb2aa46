"""Appeals (申诉) and their review (复核), and two years in one record (issue 11, points 8 and 9).

One cycle of the city sample is played once (forms filled by simulated clerks, collected and scored through the
command line); each test works on its own copy of that folder (workbook, forms and record).
"""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import copy_office, play_cycle, played_cycle, set_cells, set_settings
from xlplugin import ledger
from xlplugin.cli import main
from xlplugin.inputs import read_inputs
from xlplugin.officebook import FileOfficeBook
from xlplugin.record import DEFAULT_NAME
from xlplugin.scheme import load_scheme
from xlplugin.score import score
from xlplugin.scoring import score as core_score
from xlplugin.values import round_half_up

BASE_COMPONENT = "基础工作评估"  # 3 %, scored by the office (直接评分); nobody typed it, so every unit has 0 here


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(scope="module")
def scored_cycle(city, tmp_path_factory) -> Path:
    """The city sample collected and scored once, no appeal yet (read-only: tests copy it)."""
    return played_cycle(city, tmp_path_factory.mktemp("appeals"), seed=1)


@pytest.fixture
def cycle(scored_cycle, tmp_path) -> Path:
    return copy_office(scored_cycle, tmp_path)


def sheet(office: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(office, sheet_name=name, engine="openpyxl")


def appeal_rows(office: Path, rows: list[dict]) -> None:
    """Type appeals into 申诉 as the office would, from row 2."""
    set_cells(office, ledger.APPEALS.name, {(n, k): v for n, row in enumerate(rows, start=2) for k, v in row.items()})


def appeal(unit: str, target, decision: str | None = None, score_=None, **more) -> dict:
    row = {"单位代码": unit, "考评期": "年终", "指标或组成部分": target, "申诉理由": "评分依据有误", "收到日期": "2027-02-01",
           "复核结论": decision, "调整后得分": score_, "复核理由": "经核实材料齐全" if decision else None,
           "复核人": "王复核" if decision else None, "复核日期": "2027-02-10" if decision else None}
    row.update(more)
    return row


def feedback_text(office: Path, code: str) -> str:
    path = next((office.parent / "输出").rglob(f"*_{code}_*绩效反馈.xlsx"))
    ws = openpyxl.load_workbook(path)["绩效反馈"]
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def adjustments(office: Path) -> list[tuple]:
    db = sqlite3.connect(office.parent / DEFAULT_NAME)
    try:
        return db.execute("SELECT unit, period, target, before, after, why, who, decided FROM adjustments"
                          " ORDER BY id").fetchall()
    finally:
        db.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------------ appeals


@pytest.mark.slow  # a whole scored cycle through the CLI
def test_an_upheld_appeal_moves_a_unit_across_a_grade_boundary(cycle, capsys):
    before = score(FileOfficeBook(cycle), write=False).results.units.set_index("unit")
    low = before[before["grade"] == "一般"]
    assert len(low), "the sample cycle has a unit graded 一般"
    code = low.index[0]
    total = float(before.at[code, "total"])  # unrounded, as the core scored it
    assert 77 < total < 80
    # the unit's key target (重点) that lost most, appealed to its full points
    ind = sheet(cycle, ledger.INDICATOR_SCORES.name)
    mine = ind[ind["单位代码"] == code]
    key = mine[mine["类型"] == "重点"].sort_values("失分", ascending=False).iloc[0]
    key_max = mine.loc[mine["类型"] == "重点", "分值"].sum()  # 80 points of key targets
    # hand arithmetic: 评估组重点工作目标评估 weighs 36 % of a 100-point base and is the key targets' score rate;
    # 基础工作评估 (3 %) goes from 0 to 100
    expected = round_half_up(total + key["失分"] / key_max * 100 * 36 / 100 + (100 - 0) * 3 / 100, 2)
    assert expected >= 80
    appeal_rows(cycle, [appeal(code, key["指标代码"], "调整", float(key["分值"])),
                        appeal(code, BASE_COMPONENT, "调整", 100),
                        appeal("D001", "民主评估", "维持")])

    code_, text = run(capsys, "score", cycle)
    assert code_ == 0, text
    ranking = sheet(cycle, ledger.RANKING.name).set_index("单位代码")
    assert ranking.at[code, "总分"] == pytest.approx(expected)
    assert ranking.at[code, "等次"] == "良好"
    assert ranking.at[code, "复核"].startswith("申诉调整") and "一般→良好" in ranking.at[code, "复核"]
    assert f"{round_half_up(total, 2):.2f}→{expected:.2f}" in ranking.at[code, "复核"]
    assert ranking.at["D001", "复核"] == "申诉维持"
    assert ranking.at["D001", "总分"] == pytest.approx(before.at["D001", "final"])
    new_rank = int(ranking.at[code, "总排名"])
    assert new_rank < int(before.at[code, "rank"])

    review = sheet(cycle, ledger.REVIEW.name)
    mine = review[review["单位代码"] == code]
    assert list(mine["复核结论"]) == ["调整", "调整"]
    assert list(mine["原得分"]) == [pytest.approx(key["得分"]), 0]
    assert list(mine["调整后得分"]) == [key["分值"], 100]
    assert set(mine["复核前等次"]) == {"一般"} and set(mine["复核后等次"]) == {"良好"}
    assert set(mine["复核前总分"]) == {round_half_up(total, 2)} and set(mine["复核后总分"]) == {expected}
    assert set(mine["复核前排名"]) == {before.at[code, "rank"]} and set(mine["复核后排名"]) == {new_rank}
    assert all("等次 一般→良好" in t for t in mine["影响"])
    d001 = review[review["单位代码"] == "D001"].iloc[0]
    assert d001["复核结论"] == "维持" and d001["影响"] == "维持原评估结果" and pd.isna(d001["调整后得分"])

    # the record keeps each adjustment with before and after, why, who and when
    assert adjustments(cycle) == [
        (code, "年终", key["指标代码"], pytest.approx(key["得分"]), key["分值"], "经核实材料齐全", "王复核", "2027-02-10"),
        (code, "年终", BASE_COMPONENT, 0.0, 100.0, "经核实材料齐全", "王复核", "2027-02-10")]

    code_, text = run(capsys, "feedback", cycle)
    assert code_ == 0, text
    narrative = feedback_text(cycle, code)
    assert "经复核予以调整" in narrative and f"由{key['得分']:g}分调整为{key['分值']:g}分" in narrative
    assert "由0.00分调整为100.00分" in narrative
    assert (f"总分由{round_half_up(total, 2):.2f}分变为{expected:.2f}分，等次由“一般”变为“良好”" in narrative)
    assert "经复核维持原评估结果" in feedback_text(cycle, "D001")
    fb = sheet(cycle, ledger.FEEDBACK.name)
    effect = fb[(fb["单位代码"] == code) & (fb["项目"] == "复核影响")]["内容"].iloc[0]
    assert "等次 一般→良好" in effect


@pytest.mark.slow  # a whole scored cycle through the CLI
def test_a_maintained_appeal_changes_nothing(cycle, capsys):
    base = sheet(cycle, ledger.RANKING.name)
    appeal_rows(cycle, [appeal("D005", BASE_COMPONENT, "维持"), appeal("D006", "GX01")])  # decided; not yet
    code, text = run(capsys, "score", cycle)
    assert code == 0, text
    after = sheet(cycle, ledger.RANKING.name)
    pd.testing.assert_frame_equal(after.drop(columns=["复核"]), base)
    marks = after.set_index("单位代码")["复核"]
    assert marks["D005"] == "申诉维持" and marks["D006"] == "申诉待复核" and marks.drop(["D005", "D006"]).isna().all()
    review = sheet(cycle, ledger.REVIEW.name)
    assert list(review["复核结论"]) == ["维持", "待复核"]
    assert list(review["复核前总分"]) == list(review["复核后总分"])
    assert adjustments(cycle) == []


@pytest.mark.slow  # a whole scored cycle through the CLI
def test_bad_appeal_rows_are_refused_and_nothing_is_written(cycle, capsys):
    set_settings(cycle, 申诉截止日期="2027-02-05")
    appeal_rows(cycle, [
        appeal("D999", BASE_COMPONENT, "调整", 90),  # 2: unknown unit
        appeal("D001", "ZZ99", "调整", 1),  # 3: neither an indicator nor a component
        appeal("D001", BASE_COMPONENT, "调整", 90, 考评期="第五季度"),  # 4: unknown period
        appeal("D001", "GX01", "调整"),  # 5: 调整 without a score
        appeal("D001", "GX01", "调整", 2.5),  # 6: GX01 is worth 2
        appeal("D002", BASE_COMPONENT, "调整", 101),  # 7: a component is scored 0-100
        appeal("D003", BASE_COMPONENT, "维持", 收到日期="2027-02-20"),  # 8: after the deadline
        appeal("D004", "D001-1", "调整", 5),  # 9: another unit's key target
        appeal("D005", BASE_COMPONENT, "同意"),  # 10: not a decision
    ])
    before, record = sha(cycle), sha(cycle.parent / DEFAULT_NAME)
    code, text = run(capsys, "score", cycle)
    assert code == 1 and "Traceback" not in text
    for row, words in [(2, "单位代码“D999”不在"), (3, "“ZZ99”既不是指标代码"), (4, "考评期“第五季度”不在"),
                       (5, "没有填写调整后得分"), (6, "应在 0 至 2 之间"), (7, "应在 0 至 100 之间"),
                       (8, "晚于申诉截止日期 2027-02-05"), (9, "不适用于单位"), (10, "复核结论“同意”无效")]:
        assert f"【{ledger.APPEALS.name}】第 {row} 行：" in text and words in text, (row, words)
    assert sha(cycle) == before and sha(cycle.parent / DEFAULT_NAME) == record
    code, text = run(capsys, "feedback", cycle)
    assert code == 1 and "晚于申诉截止日期" in text


@pytest.mark.slow  # a whole scored cycle through the CLI
def test_the_core_clamps_an_adjustment_and_reports_it(cycle):
    """The pure core: an indicator adjusted above its points counts its points; before/after are reported."""
    book = FileOfficeBook(cycle)
    scheme = load_scheme(book)
    inputs = read_inputs(book, scheme)
    plain = core_score(scheme, inputs)
    ind = plain.indicators
    row = ind[(ind["unit"] == "D001") & (ind["lost"] > 0)].iloc[0]
    appeals = pd.DataFrame([("D001", "年终", row["indicator"], row["max"] + 50), ("D002", "年终", BASE_COMPONENT, -5)],
                           columns=["unit", "period", "target", "score"])
    r = core_score(scheme, replace(inputs, appeals=appeals))
    adj = r.adjustments.set_index("target")
    assert adj.at[row["indicator"], "before"] == pytest.approx(row["score"])
    assert adj.at[row["indicator"], "after"] == row["max"] and adj.at[BASE_COMPONENT, "after"] == 0
    now = r.indicators[(r.indicators["unit"] == "D001") & (r.indicators["indicator"] == row["indicator"])].iloc[0]
    assert now["score"] == row["max"] and now["lost"] == 0
    assert ((r.indicators["score"] >= 0) & (r.indicators["score"] <= r.indicators["max"])).all()
    others = r.units.set_index("unit").drop(["D001", "D002"])["total"]
    pd.testing.assert_series_equal(others, plain.units.set_index("unit").drop(["D001", "D002"])["total"])


# ------------------------------------------------------------------------------------------------ history


@pytest.mark.slow  # a whole scored cycle through the CLI
def test_two_years_in_one_record(cycle, capsys, tmp_path):
    """The next year's workbook is a copy with 年度 + 1 that names last year's 数据文件 (same 签名密钥)."""
    last = sheet(cycle, ledger.RANKING.name).set_index("单位代码")
    nxt = tmp_path / "2027" / cycle.name
    nxt.parent.mkdir()
    shutil.copy(cycle, nxt)
    set_settings(nxt, 年度=2027, 数据文件=f"../{cycle.parent.name}/{DEFAULT_NAME}")
    play_cycle(nxt, seed=2)
    code, text = run(capsys, "score", nxt)
    assert code == 0, text
    assert not (nxt.parent / DEFAULT_NAME).exists()  # one record for both years
    now = sheet(nxt, ledger.RANKING.name).set_index("单位代码")
    assert now["总分"].tolist() != last.reindex(now.index)["总分"].tolist()  # a different year's marks
    for c in now.index:
        assert now.at[c, "上年总分"] == pytest.approx(last.at[c, "总分"])
        assert now.at[c, "上年等次"] == last.at[c, "等次"]
        assert now.at[c, "上年排名"] == last.at[c, "总排名"]
        assert now.at[c, "变化"] == pytest.approx(round(now.at[c, "总分"] - last.at[c, "总分"], 2))
        assert now.at[c, "名次升降"] == last.at[c, "总排名"] - now.at[c, "总排名"]
    # last year's workbook, scored again, has no year before it
    assert "上年总分" not in sheet(cycle, ledger.RANKING.name).columns

    code, text = run(capsys, "feedback", nxt)
    assert code == 0, text
    up = now[now["名次升降"] > 0].index[0]
    u = now.loc[up]
    narrative = feedback_text(nxt, up)
    direction = "提高" if u["变化"] > 0 else "下降"
    assert (f"与上年相比：你单位上年总分{u['上年总分']:.2f}分，等次为“{u['上年等次']}”，排第{u['上年排名']}名；"
            f"本年总分{direction}{abs(u['变化']):.2f}分，名次上升{u['名次升降']}位") in narrative
    fb = sheet(nxt, ledger.FEEDBACK.name)
    trend = fb[(fb["单位代码"] == up) & (fb["项目"] == "上年对比")]["内容"].iloc[0]
    assert f"上年总分 {u['上年总分']:.2f}" in trend and f"名次上升 {u['名次升降']} 位" in trend

"""After collection, the evaluating departments' forms show what each unit reported, locked; and the leaders'
forms each unit's scores so far."""
from __future__ import annotations

import random

import openpyxl
import pytest

from helpers import edited, played_cycle
from xlplugin import ledger
from xlplugin.collect import collect, read_submission
from xlplugin.forms import evaluator as evaluator_form, leader as leader_form, rater as rater_form, unit as unit_form
from xlplugin.forms.read import FormFile, read_grid, read_meta
from xlplugin.forms import open_verified
from xlplugin.generate import generate
from xlplugin.officebook import FileOfficeBook
from xlplugin.scheme import load_scheme
from xlplugin.simulate import fill


@pytest.mark.slow  # collect and generate
def test_evaluator_form_is_prefilled_with_the_units_reports(city_office):
    book = FileOfficeBook(city_office)
    scheme = load_scheme(book)
    forms = generate(book, kinds=["unit"]).paths
    submitted = city_office.parent / "提交"
    rng = random.Random(7)
    for path in forms[:5]:
        fill(path, submitted / path.name, scheme, rng)
    collect(book)
    evaluators = generate(book, kinds=["evaluator"]).paths

    # what the first unit reported, read straight from its returned form
    returned = open_verified(submitted / forms[0].name, scheme.settings.key)
    unit = returned.meta.recipient
    reported = {ident: c for _, ident, c in read_grid(returned.form, unit_form.INDICATORS, returned.meta)}

    seen = 0
    for path in evaluators:
        v = open_verified(path, scheme.settings.key)
        ws = openpyxl.load_workbook(path)[evaluator_form.SHEET]
        for row, _, c in read_grid(v.form, evaluator_form.SCORES, v.meta):
            if c["unit"] == unit:
                mine = reported[c["code"]]
                assert c["self_score"] == mine["self_score"]
                assert str(c["actual"]) == str(mine["actual"]) or c["actual"] == mine["actual"]
                assert c["explanation"] == mine["explanation"]
                assert ws.cell(row + 1, evaluator_form.SCORES.col("self_score") + 1).protection.locked
                assert c["score"] is None  # the department's own column stays empty
                seen += 1
            elif c["unit"] not in {read_meta(FormFile(p)).recipient for p in forms[:5]}:
                assert c["self_score"] is None  # units that sent nothing: nothing to show
    assert seen == len(reported)


# ------------------------------------------------------------------------------------------ the leader form
# Seed 002: the evaluation groups' scores are given to the city's leaders before they rank. The leader form shows,
# beside each unit it ranks, the other components' points so far (xlplugin.standings), locked and signed.


def _leader_rows(path, scheme) -> dict[str, dict]:
    v = open_verified(path, scheme.settings.key)
    return {c["unit"]: c for _, _, c in read_grid(v.form, leader_form.RANKS, v.meta)}


def _leader_form(paths, code: str):
    return next(p for p in paths if f"_{code}_" in p.name)


def test_the_leader_form_says_who_rates_and_is_blank_before_anything_is_collected(city):
    path = _leader_form(city.forms("领导"), "L04")
    ws = openpyxl.load_workbook(path)[leader_form.SHEET]
    assert "评价人：孙立新（副市长）（L04）" in ws["A2"].value and "填报单位" not in ws["A2"].value
    assert "尚未收集" in ws["A4"].value and "得分栏暂为空白" in ws["A4"].value
    facts = [c.key for c in leader_form.FACTS]
    for unit, c in _leader_rows(path, city.scheme).items():
        assert all(c[k] is None for k in facts), unit
    # a rater group is a group, not a unit; an evaluating department is a unit that fills the form in
    rater = openpyxl.load_workbook(city.forms("评议组")[0])[rater_form.SHEET]
    assert rater["A2"].value.count("评议组：") == 1 and "填报单位" not in rater["A2"].value
    assert "填报单位：" in openpyxl.load_workbook(city.forms("考评部门")[0])[evaluator_form.SHEET]["A2"].value


@pytest.mark.slow  # a played cycle: collect and score
def test_the_leader_form_shows_the_scores_so_far_and_still_collects(city, tmp_path):
    office = played_cycle(city, tmp_path, seed=5)
    book = FileOfficeBook(office)
    scheme = load_scheme(book)
    detail = book.read_sheet(ledger.DETAIL.name).set_index("单位代码")
    path = _leader_form(generate(book, kinds=["leader"]).paths, "L04")
    rows = _leader_rows(path, scheme)
    assert list(rows) == ["D007", "D008", "D009", "D033"]

    def part(unit, name):
        """A component's points on the base: 得分明细 publishes its 0-100 score under “name（weight%）” (one period
        played, so no period weighting)."""
        column = next(c for c in detail.columns if c.startswith(name + "（"))
        weight = float(column[len(name) + 1:].rstrip("%）"))
        return detail.at[unit, column] * weight / 100 * scheme.settings.base / 100

    for unit, c in rows.items():
        assert c["dept"] == pytest.approx(part(unit, "职能部门共性工作目标评估") + part(unit, "评估组重点工作目标评估"), abs=0.011)
        assert c["raters"] == pytest.approx(part(unit, "民主评估"), abs=0.006)
        assert c["so_far"] == pytest.approx(detail.at[unit, "加权合计"] - part(unit, "市政府领导加权评估"), abs=0.011)
        # the office entered no 绩效办评分 in this cycle: blank, not 0.00, and named as missing
        assert c["office"] is None and c["status"].startswith("未收齐：") and "绩效办评分" in c["status"]
    ws = openpyxl.load_workbook(path)[leader_form.SHEET]
    assert "截至" in ws["A4"].value and "不含领导评价" in ws["A4"].value and "满分 70" in ws["A4"].value
    header = [ws.cell(leader_form.RANKS.header_row + 1, i + 1).value for i in range(len(leader_form.RANKS.columns))]
    assert header[leader_form.RANKS.col("dept")] == "考评部门\n（满分 45）"
    first = leader_form.RANKS.header_row + 2
    for key in ("dept", "so_far", "status"):
        assert ws.cell(first, leader_form.RANKS.col(key) + 1).protection.locked
    assert ws.protection.sheet

    # the leader ranks and signs; the form reads back as ranks only, the scores so far are never marks
    filled = fill(path, tmp_path / "returned" / path.name, scheme, random.Random(3))
    got = read_submission(filled, filled.name, scheme, scheme.period())
    assert got.verdict == "已收到", [i.problem for i in got.issues]
    assert set(got.marks.item) <= {"名次", "评语"} and sorted(
        m.unit for m in got.marks if m.item == "名次") == sorted(rows)
    # and a score so far changed by hand breaks the signature
    forged = edited(filled, tmp_path / "forged" / path.name, lambda wb: wb[leader_form.SHEET].cell(
        first, leader_form.RANKS.col("so_far") + 1, 99))
    got = read_submission(forged, forged.name, scheme, scheme.period())
    assert got.verdict == "退回" and any("签名" in i.problem for i in got.issues)


def test_a_province_leader_form_shows_only_the_sources_its_scheme_has(province):
    path = _leader_form(province.forms("领导"), "L02")
    ws = openpyxl.load_workbook(path)[leader_form.SHEET]
    hidden_numbers = {n for d in ws.column_dimensions.values() if d.hidden for n in range(d.min, d.max + 1)}
    hidden = {c.key for i, c in enumerate(leader_form.RANKS.columns) if i + 1 in hidden_numbers}
    assert hidden == {"raters", "office", "self"}  # 指标考评 100%: evaluating departments only

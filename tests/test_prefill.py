"""After collection, the evaluating departments' forms show what each unit reported, locked; and the leaders'
forms each unit's scores so far."""
from __future__ import annotations

import random
import shutil

import openpyxl
import pytest

from conftest import requires_soffice
from helpers import edit, edited, played_cycle
from xlplugin import ledger, soffice
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
        # each figure rounded to 0.01: the form's total (0.005), 加权合计 (0.005) and the leaders' 0-100 score (×0.3)
        assert c["so_far"] == pytest.approx(detail.at[unit, "加权合计"] - part(unit, "市政府领导加权评估"), abs=0.0116)
        # the office entered no 绩效办评分 in this cycle: blank, not 0.00, and named as missing
        assert c["office"] is None and c["status"].startswith("未收齐：") and "绩效办评分" in c["status"]
    ws = openpyxl.load_workbook(path)[leader_form.SHEET]
    assert "截至" in ws["A4"].value and "不含领导评价" in ws["A4"].value and "满分 70" in ws["A4"].value
    header = [ws.cell(leader_form.RANKS.header_row + 1, i + 1).value for i in range(len(leader_form.RANKS.columns))]
    assert header[leader_form.RANKS.col("dept")] == "考评部门\n满分 45"
    assert header[leader_form.RANKS.col("so_far")] == "合计\n不含领导评价\n满分 70"
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
    if soffice.executable():  # the scores so far are signed as numbers: LibreOffice's re-save keeps them
        saved = soffice.convert(filled, "xlsx", tmp_path / "saved")
        got = read_submission(saved, saved.name, scheme, scheme.period())
        assert got.verdict == "已收到", [i.problem for i in got.issues]
    # and a score so far changed by hand breaks the signature
    forged = edited(filled, tmp_path / "forged" / path.name, lambda wb: wb[leader_form.SHEET].cell(
        first, leader_form.RANKS.col("so_far") + 1, 99))
    got = read_submission(forged, forged.name, scheme, scheme.period())
    assert got.verdict == "退回" and any("签名" in i.problem for i in got.issues)


def test_a_scheme_sends_no_form_whose_marks_it_does_not_score(province):
    """The province scheme (指标考评 100%, from the evaluating departments) lists leaders and rater groups but scores
    neither: no leader or rater group gets a form that would not count."""
    assert province.forms("领导") == [] and province.forms("评议组") == []
    assert province.forms("被考评单位") and province.forms("考评部门")


def test_a_province_leader_form_shows_only_the_sources_its_scheme_has(province, tmp_path):
    """With a leaders' component added (指标考评 90% + 领导评价 10%), the leaders' forms show the scores so far of
    the only other source, the evaluating departments; the other sources' columns are hidden."""
    office = tmp_path / "考评台账.xlsx"
    shutil.copy(province.office, office)

    def add_leaders(wb):
        ws = wb[ledger.COMPONENTS.name]
        headers = [c.value for c in ws[1]]
        ws.cell(2, headers.index("权重(%)") + 1).value = 90
        row = {"组成部分": "领导评价", "权重(%)": 10, "来源": "领导", "计分方式": "领导排名", "跨期计算": "按考评期权重"}
        ws.append([row.get(h) for h in headers])

    edit(office, add_leaders)
    path = _leader_form(generate(FileOfficeBook(office), kinds=["leader"]).paths, "L02")
    ws = openpyxl.load_workbook(path)[leader_form.SHEET]
    hidden_numbers = {n for d in ws.column_dimensions.values() if d.hidden for n in range(d.min, d.max + 1)}
    hidden = {c.key for i, c in enumerate(leader_form.RANKS.columns) if i + 1 in hidden_numbers}
    assert hidden == {"raters", "office", "self"}


# ------------------------------------------------------------------------------ a department's common targets
# K01 (市监察局) scores one common target for all 38 units: its rule is said once, in the indicator's heading row,
# and each unit is one row under it (the indicator's own columns hidden, the row keys still unit × indicator).


def test_a_form_grouped_by_indicator_says_each_rule_once_and_reads_back(city, tmp_path):
    scheme = city.scheme
    path = next(p for p in city.forms("考评部门") if "_K01_" in p.name)
    evaluator = next(e for e in scheme.evaluators if e.code == "K01")
    pairs = scheme.assignments_of(evaluator)
    indicators = list(dict.fromkeys(ind for _, ind in pairs))
    ws = openpyxl.load_workbook(path)[evaluator_form.SHEET]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    grid = evaluator_form.SCORES
    for ind in indicators:
        assert sum(ind.rule in t for t in texts) == 1, ind.code  # once, not once per unit
        (heading,) = [t for t in texts if t.startswith(ind.code + "　")]
        assert ind.name in heading and f"{ind.max:g} 分" in heading and f"评分说明：{ind.rule}" in heading
    headings = [r for r in ws.merged_cells.ranges if r.min_col == 1 and r.max_col == len(grid.columns)
                and r.min_row > grid.header_row + 1]  # below the title block
    assert len(headings) == len(indicators)  # each heading merged across the table
    hidden = {n for d in ws.column_dimensions.values() if d.hidden for n in range(d.min, d.max + 1)}
    assert {grid.col(k) + 1 for k in ("code", "name", "target", "rule")} <= hidden
    for f in evaluator_form.SPEC.fields:  # the signature fields stand over columns this layout shows
        assert f.col + 1 not in hidden and f.col not in hidden

    v = open_verified(path, scheme.settings.key)
    rows = read_grid(v.form, grid, v.meta)
    assert sorted((c["unit"], c["code"]) for _, _, c in rows) == sorted((u.code, i.code) for u, i in pairs)
    assert all(c["rule"] is None and c["name"] is None for _, _, c in rows)
    filled = fill(path, tmp_path / "returned" / path.name, scheme, random.Random(2))
    got = read_submission(filled, filled.name, scheme, scheme.period())
    assert got.verdict == "已收到", [i.problem for i in got.issues]
    scored = {(m.unit, m.indicator) for m in got.marks if m.item == "考评得分"}
    assert scored == {(u.code, i.code) for u, i in pairs}
    # a rule changed in its heading breaks the signature like any locked definition
    first = next(r for s, r, i in v.meta.rows if i.startswith("#"))
    forged = edited(filled, tmp_path / "forged" / path.name,
                    lambda wb: wb[evaluator_form.SHEET].cell(first + 1, 1, "GX01　遵纪守法（2 分）\n评分说明：不扣分。"))
    got = read_submission(forged, forged.name, scheme, scheme.period())
    assert got.verdict == "退回" and any("签名" in i.problem for i in got.issues)


def test_a_missing_reason_names_the_indicator_from_its_heading(city, tmp_path):
    scheme = city.scheme
    path = next(p for p in city.forms("考评部门") if "_K01_" in p.name)
    v = open_verified(path, scheme.settings.key)
    grid = evaluator_form.SCORES
    row, _, c = read_grid(v.form, grid, v.meta)[0]
    filled = fill(path, tmp_path / "returned" / path.name, scheme, random.Random(2))
    edit(filled, lambda wb: [wb[evaluator_form.SHEET].cell(row + 1, grid.col(k) + 1, value)
                             for k, value in (("score", c["max"] - 1), ("reason", None), ("falsified", "否"))])
    got = read_submission(filled, filled.name, scheme, scheme.period())
    name = next(i.name for i in scheme.indicators if i.code == c["code"])
    assert any(f"“{name}”扣了 1 分，但没有写扣分原因" in i.problem for i in got.issues)


@requires_soffice
@pytest.mark.slow  # LibreOffice
def test_a_form_grouped_by_indicator_survives_libreoffice(city, tmp_path):
    scheme = city.scheme
    path = next(p for p in city.forms("考评部门") if "_K01_" in p.name)
    filled = fill(path, tmp_path / "filled" / path.name, scheme, random.Random(4))
    saved = soffice.convert(filled, "xlsx", tmp_path / "saved")
    got = read_submission(saved, saved.name, scheme, scheme.period())
    assert got.verdict == "已收到", [i.problem for i in got.issues]

"""The county sample (issue 14, item 12) and the samples' 说明 (item 11).

Seed 002 evaluates 县（区）政府 on key targets and 10 points of common targets (five areas, 安全生产 among them), by one
评估组, and its leaders "对县（区）政府评估，要分别对号到三个等次，相应赋分": the county sample's leaders place each county
in a grade of 定等分值 (计分方式 领导定等) instead of ranking; seed 003's county scheme weighs 指标评估 80 %, 公众评议 10 %,
领导评价 10 %. The whole cycle goes through the command line and one county's total is worked out by hand.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import edit, set_cells
from xlplugin import ledger
from xlplugin.cli import main
from xlplugin.forms import evaluator as evaluator_form, leader as leader_form, rater as rater_form, unit as unit_form
from xlplugin.forms.read import FormFile, read_grid, read_meta
from xlplugin.init import init
from xlplugin.officebook import FileOfficeBook
from xlplugin.paths import SAMPLES
from xlplugin.samples import FILES, SAMPLE_NAMES
from xlplugin.scheme import SchemeError, load_scheme
from xlplugin.scoring import Inputs, score

#: the source documents the samples cite, shipped with the project (docs/依据文件/N_《short title》.txt)
SOURCES = Path(__file__).resolve().parents[1] / "docs" / "依据文件"
TITLES = {f.stem.split("_", 1)[1]: f for f in SOURCES.glob("*.txt")}
CITED = "《(" + "|".join(TITLES) + ")》"


def run(capsys, *argv) -> str:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    return out.out


@pytest.fixture
def county(tmp_path) -> Path:
    return init(tmp_path / "考评台账.xlsx", "county")


# ------------------------------------------------------------------------------------------- 说明 (item 11)

def _normal(text: str) -> str:
    """Punctuation as seed 003 types it half-width and seed 002 full-width, spaces dropped."""
    return re.sub(r"\s", "", text.translate(str.maketrans("（），：；％", "(),:;%")))


#: the items of 设置 that are the scheme's choices (the rest configure the tool)
SCHEME_SETTINGS = ("基本分", "加分上限", "截止日期", "缺少考评得分时")


def _notes(sample: str):
    for sheet, name in FILES.items():
        path = SAMPLES / sample / name
        if not path.exists():
            assert not ledger.scheme_sheet(sheet).needed, (sample, name)
            continue
        with open(path, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        yield name, rows


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_every_sample_row_says_where_its_numbers_come_from(sample):
    """Every CSV of every sample has a 说明 on every row, citing a document (依据：《松原评估意见》‘原句’) or saying it is the
    sample's own choice (样例自定), or pointing at the row above (同上). In 设置 only the scheme's own items do; the
    others (folders, mail server, record file) are the tool's and say what they are for."""
    for name, rows in _notes(sample):
        assert rows and "说明" in rows[0], f"{sample}/{name} has no 说明 column"
        for n, row in enumerate(rows, 2):
            note = row["说明"]
            assert note.strip(), f"{sample}/{name} line {n}: no 说明"
            if name == "settings.csv" and row["项目"] not in SCHEME_SETTINGS:
                continue
            assert re.search(CITED + "|样例自定|同上", note), f"{sample}/{name} line {n}: {note!r}"


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_quoted_sentences_are_in_the_document_cited(sample):
    """A phrase quoted ‘…’ in a 说明 stands word for word in the document named before it (docs/依据文件)."""
    assert len(TITLES) == 5
    seeds = {title: _normal(f.read_text(encoding="utf-8")) for title, f in TITLES.items()}
    quoted = 0
    for name, rows in _notes(sample):
        for row in rows:
            note = row["说明"]
            for m in re.finditer(r"‘([^’]+)’", note):
                cited = re.findall(CITED, note[:m.start()])
                assert cited, f"{sample}/{name}: ‘{m.group(1)}’ cites no seed"
                assert _normal(m.group(1)) in seeds[cited[-1]], f"{sample}/{name}: ‘{m.group(1)}’ not in seed {cited[-1]}"
                quoted += 1
    assert quoted >= 20


def _rows(sample: str, name: str) -> list[dict]:
    return dict(_notes(sample))[name]


@pytest.mark.parametrize("sample", ["city", "county"])
def test_numbers_the_seeds_state_cite_them(sample):
    """The numbers seed 002 states — component weights, leader weights, grade thresholds and quotas, the common
    targets' points — are cited with the sentence that states them; the others say 样例自定."""
    for row in _rows(sample, "components.csv"):
        if row["组成部分"] == "民主评估":  # seed 002's paragraph on it is missing: 15 % is the remainder, the sample's
            assert "样例自定" in row["说明"]
            continue
        assert re.search(r"依据：《(松原评估意见|评估参考方案汇编)》", row["说明"]), row
        if sample == "city":
            assert f"权重的{row['权重(%)']}％" in row["说明"], row
    for row in _rows(sample, "leaders.csv"):
        assert f"评估占{row['权重(%)']}％" in row["说明"], row
    for row in _rows(sample, "grades.csv"):
        assert "《松原评估意见》‘评估得分" in row["说明"] and (row["最低分"] == "0" or f"在{row['最低分']}" in row["说明"]), row
    assert "20％、18％、16％、14％" in _rows(sample, "grades.csv")[0]["说明"]
    for row in _rows(sample, "indicators.csv"):
        if row["类型"] == "共性" and row["指标代码"] != "GX10":
            assert re.search(rf"占{row['分值']}分", row["说明"]), row
        elif row["类型"] == "重点":
            assert "样例自定" in row["说明"] or "创新性工作" in row["说明"], row
    for row in _rows(sample, "rater_grades.csv") + _rows(sample, "bonus.csv") + _rows(sample, "rank_points.csv"):
        assert "样例自定" in row["说明"], row  # the seeds give no points for these


def test_province_says_its_grades_are_borrowed():
    for row in _rows("province", "grades.csv"):
        assert "样例自定" in row["说明"] and "《松原评估意见》" in row["说明"], row
    assert "《辽宁2012实施方案》" in _rows("province", "periods.csv")[0]["说明"]


# ------------------------------------------------------------------------------------------ the county sample

def test_county_sample_follows_seeds_002_and_003(county):
    scheme = load_scheme(FileOfficeBook(county))
    assert [u.name for u in scheme.units] == ["宁江区人民政府", "扶余市人民政府", "前郭尔罗斯蒙古族自治县人民政府",
                                              "长岭县人民政府", "乾安县人民政府"]
    assert scheme.categories == ["县（区）政府"] and scheme.settings.base == 100
    common = [i for i in scheme.indicators if i.kind == "共性"]
    assert sum(i.max for i in common) == 10 and all(i.max == 1 for i in common)  # seed 002: 各占1分
    assert [l for l in dict.fromkeys(i.level for i in common)] == [
        "廉政和政风建设", "能力建设", "责任政府建设", "法制政府建设", "安全生产"]
    assert {i.evaluator for i in common} == {"市监察局", "市审计局", "市政府办公室", "市人事局", "市信访局", "市法制办",
                                             "市司法局", "市安监局"}
    for unit in scheme.units:
        own = [i for i in scheme.indicators_for(unit) if i.kind == "重点"]
        assert sum(i.max for i in own) == 90 and {i.evaluator for i in own} == {"县（区）评估组"}  # one 评估组
    assert [(c.weight, c.source, c.method) for c in scheme.components] == [
        (72, "考评部门", "得分率"), (8, "考评部门", "得分率"), (10, "评议", "评议平均"), (10, "领导", "领导定等")]
    assert scheme.leader_grading and scheme.leader_grades == {"一等": 100, "二等": 85, "三等": 70}
    assert sorted(l.weight for l in scheme.leaders) == [5, 10, 10, 10, 10, 10, 15]
    assert all(len(scheme.units_overseen_by(l)) == 5 for l in scheme.leaders)


def test_city_and_province_workbooks_have_no_grading_sheet(tmp_path):
    for sample in ("city", "province"):
        book = FileOfficeBook(init(tmp_path / f"{sample}.xlsx", sample))
        assert ledger.LEADER_GRADES.name not in book.sheet_names()
        assert not load_scheme(book).leader_grading


def problems(path) -> list[str]:
    with pytest.raises(SchemeError) as caught:
        load_scheme(FileOfficeBook(path))
    return [str(p) for p in caught.value.problems]


def test_leader_grading_needs_its_grades(county):
    edit(county, lambda wb: wb.remove(wb[ledger.LEADER_GRADES.name]))
    assert any(p.startswith("【定等分值】") and "领导定等" in p for p in problems(county)), problems(county)


def test_leader_grading_checks(county):
    set_cells(county, ledger.LEADER_GRADES.name, {(2, "分值"): 120})
    set_cells(county, ledger.COMPONENTS.name, {(4, "计分方式"): "领导排名"})
    found = problems(county)
    assert "【定等分值】第 2 行：等次“一等”的分值 120 超过 100（领导评价按百分制折算）。" in found
    assert any(p.startswith("【考评方案】第 5 行：领导评价只能用一种计分方式") for p in found), found


def test_leader_grades_score_weighted_by_leader(county):
    """The pure core: each leader's grade is worth 定等分值's points, weighted by the leader's weight (by hand:
    市长 15 × 一等 100 + 副市长 10 × 三等 70 = 2200 over 25 → 88; one leader's grade not in the table scores nothing
    and its weight does not count)."""
    scheme = load_scheme(FileOfficeBook(county))
    rows = [("X01", "年终", "领导", "", "L01", "等次", "一等"), ("X01", "年终", "领导", "", "L02", "等次", "三等"),
            ("X01", "年终", "领导", "", "L03", "等次", "特等")]
    marks = pd.DataFrame(rows, columns=["unit", "period", "source", "indicator", "rater", "item", "value"])
    result = score(scheme, Inputs(marks))
    comp = result.components.set_index(["unit", "component"])["score"]
    assert comp[("X01", "市政府领导评价")] == pytest.approx(88.0)
    assert comp[("X02", "市政府领导评价")] == 0.0


def _leader_form(county: Path) -> Path:
    assert main(["generate", str(county), "--kind", "leader"]) == 0
    return sorted((county.parent / "输出").rglob("*领导评价表.xlsx"))[0]


def test_leader_form_asks_for_a_grade_from_a_list(county):
    path = _leader_form(county)
    wb = openpyxl.load_workbook(path)
    assert leader_form.GRADE_SHEET in wb.sheetnames and leader_form.SHEET not in wb.sheetnames
    ws = wb[leader_form.GRADE_SHEET]
    grid = leader_form.GRADES
    assert ws.cell(grid.header_row + 1, grid.col("grade") + 1).value.replace("★", "").strip() == "等次"
    ref = f"{grid.letter('grade')}{grid.header_row + 2}"
    found = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    assert len(found) == 1 and found[0].type == "list" and found[0].formula1 == '"一等,二等,三等"'
    note = " ".join(str(c.value) for row in ws.iter_rows(max_row=grid.header_row) for c in row if c.value)
    assert "一等 100 分" in note and "名次" not in note


def test_an_unknown_grade_is_refused_at_its_cell(county, capsys):
    """A leader types 优 (not one of 定等分值's grades): collect names the file, sheet and cell, in Chinese, and the
    form waits for a correction (待更正)."""
    path = _leader_form(county)
    meta = read_meta(FormFile(path))
    grid = leader_form.GRADES
    rows = read_grid(FormFile(path), grid, meta)
    folder = county.parent / "提交"
    wb = openpyxl.load_workbook(path)
    ws = wb[grid.sheet]
    for n, (r, _, _) in enumerate(rows):
        ws.cell(r + 1, grid.col("grade") + 1).value = "优" if n == 2 else "二等"
    for f in leader_form.GRADING_SPEC.fields:
        wb[f.sheet][f.ref] = "2027-01-08" if f.kind == "date" else "刘志刚"
    folder.mkdir()
    wb.save(folder / path.name)
    out = run(capsys, "collect", county)
    cell = f"{grid.letter('grade')}{rows[2][0] + 1}"
    assert f"定等评价表，{cell}：等次“优”不是可选项。" in out, out
    issues = FileOfficeBook(county).read_sheet(ledger.ISSUES.name)
    hit = issues[issues["单元格"] == cell].iloc[0]
    assert hit["工作表"] == leader_form.GRADE_SHEET and hit["级别"] == "错误"
    assert hit["处理建议"] == "请从下拉列表中选择：一等、二等、三等。"
    status = FileOfficeBook(county).read_sheet(ledger.STATUS.name)
    assert status.loc[status["文件"] == path.name, "状态"].iloc[0] == "待更正"


# ------------------------------------------------------------------------------- a whole cycle, by hand

#: X01 宁江区 as the forms below score it (everything else full marks, every other county graded 一等 by all):
LOSS = {("X01", "X01-1"): 3.0, ("X01", "GX10"): 0.5}  # 评估组 gives X01-1 9 of 12; 市安监局 gives GX10 0.5 of 1
RATERS = {"P01": "满意", "P02": "基本满意", "P03": "满意"}  # X01's grades from the three rater groups
LEADERS = {"L01": "一等", "L02": "二等", "L03": "一等", "L04": "三等", "L05": "二等", "L06": "一等", "L07": "二等"}
# by hand, X01 宁江区 (year-end only, no bonus, no veto):
#   评估组重点工作目标评估 72 %:  (90 − 3) / 90 × 100 = 96.667 → × 0.72 = 69.6
#   职能部门共性工作目标评估 8 %: (10 − 0.5) / 10 × 100 = 95   → × 0.08 = 7.6
#   公众评议 10 %:               (100 + 75 + 100) / 3 = 91.667 → × 0.10 = 9.1667
#   市政府领导评价 10 %:         (15×100 + 10×85 + 10×100 + 10×70 + 10×85 + 10×100 + 5×85) / (15 + 10×5 + 5)
#                                = 6325 / 70 = 90.357       → × 0.10 = 9.0357
#   total = 69.6 + 7.6 + 9.1667 + 9.0357 = 95.4024 → 95.40, 优秀
LEADER_COMPONENT = 6325 / 70
TOTAL = 95.40


def _fill(src: Path, dst: Path) -> None:
    form = FormFile(src)
    meta = read_meta(form)
    wb = openpyxl.load_workbook(src)
    if meta.kind == "unit":
        grid = unit_form.INDICATORS
        for r, ident, values in read_grid(form, grid, meta):
            wb[grid.sheet].cell(r + 1, grid.col("self_score") + 1).value = values["max"]
            wb[grid.sheet].cell(r + 1, grid.col("actual") + 1).value = \
                values["target"] if isinstance(values["target"], (int, float)) else "已完成"
        for f in unit_form.SPEC.fields:
            wb[f.sheet][f.ref] = {"date": "2026-12-08", "list": "优秀", "number": 1}.get(f.kind, "全面完成年度目标。")
    elif meta.kind == "evaluator":
        grid = evaluator_form.SCORES
        for r, _, values in read_grid(form, grid, meta):
            loss = LOSS.get((values["unit"], values["code"]), 0.0)
            wb[grid.sheet].cell(r + 1, grid.col("score") + 1).value = float(values["max"]) - loss
            wb[grid.sheet].cell(r + 1, grid.col("reason") + 1).value = "部分工作未按期完成。" if loss else None
            wb[grid.sheet].cell(r + 1, grid.col("falsified") + 1).value = "否"
        for f in evaluator_form.SPEC.fields:
            wb[f.sheet][f.ref] = "2026-12-09" if f.kind == "date" else "付国良"
    elif meta.kind == "rater":
        grid = rater_form.GRADES
        for r, ident, _ in read_grid(form, grid, meta):
            wb[grid.sheet].cell(r + 1, grid.col("grade") + 1).value = RATERS[meta.recipient] if ident == "X01" else "满意"
        for f in rater_form.SPEC.fields:
            wb[f.sheet][f.ref] = "2026-12-09" if f.kind == "date" else "李国华"
    else:
        spec = leader_form.spec_for(form.sheet_names)
        assert spec is leader_form.GRADING_SPEC
        grid = leader_form.GRADES
        for r, ident, _ in read_grid(form, grid, meta):
            wb[grid.sheet].cell(r + 1, grid.col("grade") + 1).value = LEADERS[meta.recipient] if ident == "X01" else "一等"
        for f in spec.fields:
            wb[f.sheet][f.ref] = "2026-12-09" if f.kind == "date" else "刘志刚"
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


@pytest.mark.slow
def test_county_cycle_through_the_cli_by_hand(tmp_path, capsys):
    office = tmp_path / "考评台账.xlsx"
    run(capsys, "init", office, "--sample", "county")
    out = run(capsys, "generate", office)
    assert "领导 7 份" in out
    forms = sorted((tmp_path / "输出").rglob("*.xlsx"))
    for src in forms:
        _fill(src, tmp_path / "提交" / src.name)
    out = run(capsys, "collect", office)
    assert "待更正" not in out and "退回" not in out, out
    run(capsys, "score", office)
    book = FileOfficeBook(office)
    detail = book.read_sheet(ledger.DETAIL.name).set_index("单位代码")
    assert detail.loc["X01", "市政府领导评价（10%）"] == pytest.approx(round(LEADER_COMPONENT, 2))
    assert detail.loc["X01", "公众评议（10%）"] == pytest.approx(91.67)
    assert detail.loc["X02", "市政府领导评价（10%）"] == 100
    ranking = book.read_sheet(ledger.RANKING.name).set_index("单位代码")
    assert ranking.loc["X01", "总分"] == pytest.approx(TOTAL)
    assert ranking.loc["X01", "等次"] == "优秀"
    assert ranking.loc["X02", "总分"] == 100  # every other county: full marks everywhere
    marks = book.read_sheet(ledger.MARKS.name)
    graded = marks[(marks["单位代码"] == "X01") & (marks["项目"] == "等次")]
    assert dict(zip(graded["评价者"], graded["值"])) == LEADERS


@pytest.mark.slow
def test_county_demo_runs_the_whole_year(tmp_path, capsys):
    out = run(capsys, "demo", tmp_path / "demo", "--sample", "county")
    assert "county：松原市各县（区）政府" in out and "领导对每个单位定等次" in out
    assert "定等评价表" in out and "等次“优”不是可选项" in out  # a leader's mistake caught at its cell
    assert "【14/14】" in out and "完成" in out
    # the leaders grade after the rest is collected, their forms made again with each county's scores so far
    leaders_round = out.split("领导评价表重新生成", 2)[2].split("【", 1)[0]
    assert re.search(r"人民政府 考评部门 \d+\.\d\d、评议 \d+\.\d\d，合计 \d+\.\d\d", leaders_round), leaders_round
    book = FileOfficeBook(tmp_path / "demo" / "考评台账.xlsx")
    ranking = book.read_sheet(ledger.RANKING.name)
    assert len(ranking) == 5 and set(ranking["结果"]) == {"年度结果"}
    detail = book.read_sheet(ledger.DETAIL.name)
    assert (detail["市政府领导评价（10%）"].astype(float) >= 70).all()  # every county graded (三等 is worth 70)
    assert len(list((tmp_path / "demo" / "输出" / "2026年终" / "反馈").glob("*.xlsx"))) == 5

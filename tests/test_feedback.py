"""Feedback: one read-only workbook per unit, and the office's 反馈 sheet.

Most tests run on one whole city cycle (the demo: init, generate, simulated returns, collect, the office's
inputs, score, feedback), made once for the module, and check what a unit is sent against what the office
workbook says: rank, grade and total against 总排名; component scores against 得分明细 (and the category's
average and best recomputed from it); dimension rates and lost points against 指标得分. The narrative comes
from templates/feedback/narrative.txt.j2, and an edited copy of the template changes it. LibreOffice opens
every sheet and prints the charts (checked on the rendered pages, see test_charts_appear_in_libreoffice_pdf).

One more case, built without files: the province sample with two scored periods and a single component.
"""
from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests.conftest import requires_soffice
from xlplugin import ledger
from xlplugin.values import round_half_up
from xlplugin.feedback import analysis as A, charts as C, report as R, write_feedback
from xlplugin import templating
from xlplugin.cli import main
from xlplugin.demo import run_demo
from xlplugin.officebook import FileOfficeBook
from xlplugin.paths import templates_dir
from xlplugin.init import init as write_sample
from xlplugin.scheme import load_scheme
from xlplugin.scoring import Inputs, score

# the tests on `cycle` run the whole demo (which resaves a form with LibreOffice): marked slow
FULL_SENTENCE = "如对考评结果有异议，请在收到本反馈后5个工作日内向"  # verbatim in the shipped template


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    out = run_demo(tmp_path_factory.mktemp("feedback"), say=lambda *a: None)
    book = FileOfficeBook(out["office"])
    scheme = load_scheme(book)
    sheets = {name: book.read_sheet(name) for name in ("总排名", "得分明细", "指标得分", "反馈")}
    return {"book": book, "scheme": scheme, "paths": out["feedback"].paths, "folder": out["feedback"].folder,
            "results": out["scored"].results, **sheets}


def cells(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def below(grid: list[list], label: str) -> object:
    """The value in the cell under the first cell holding `label` (the report's figure cards)."""
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v == label:
                return grid[r + 1][c]
    raise AssertionError(f"no cell {label!r}")


def table(grid: list[list], first_header: str) -> tuple[list, list[list]]:
    """The header and body rows of the table whose header row starts with `first_header` (up to a blank row)."""
    start = next(r for r, row in enumerate(grid) if row[0] == first_header)
    body = []
    for row in grid[start + 1:]:
        if row[0] is None or str(row[0]).startswith("注："):
            break
        body.append(row)
    return grid[start], body


def texts(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                     if isinstance(v, str))


def unit_path(cycle, code: str) -> Path:
    return next(p for p in cycle["paths"] if f"_{code}_" in p.name)


# ---------------------------------------------------------------------------------------------- the files


@pytest.mark.slow
def test_one_workbook_per_unit_in_the_periods_feedback_folder(cycle):
    scheme, paths = cycle["scheme"], cycle["paths"]
    s = scheme.settings
    assert len(paths) == len(scheme.units) == len(set(paths))
    assert cycle["folder"] == cycle["book"].folder / s.output_dir / f"{s.year}{s.period}" / "反馈"
    expected = {f"{s.year}{s.period}_{u.code}_{u.name}_绩效反馈.xlsx" for u in scheme.units}
    assert {p.name for p in paths} == expected
    assert all(p.parent == cycle["folder"] and p.exists() for p in paths)
    assert not list(cycle["folder"].glob(".~*"))  # no temp files left behind


@pytest.mark.slow
def test_workbooks_are_read_only_and_print_ready(cycle):
    wb = openpyxl.load_workbook(cycle["paths"][0])
    assert wb.sheetnames == [R.REPORT_SHEET, R.LOST_SHEET, C.DATA_SHEET]
    assert wb[C.DATA_SHEET].sheet_state == "hidden"
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
    for name, orientation in ((R.REPORT_SHEET, "portrait"), (R.LOST_SHEET, "landscape")):
        ws = wb[name]
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == orientation
        setup = ws.page_setup  # fit to one page wide (1 is the default, so XlsxWriter leaves it out), any height
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1) and setup.fitToHeight == 0
        assert "第 &P 页" in ws.oddFooter.center.text
    assert wb[R.LOST_SHEET].print_title_rows  # the header repeats on every printed page
    assert len(wb[R.REPORT_SHEET]._charts) == 2  # bar and radar


@pytest.mark.slow
def test_each_workbook_shows_the_rank_grade_and_total_of_the_ranking(cycle):
    ranking = cycle["总排名"].set_index("单位代码")
    for path in cycle["paths"]:
        code = path.name.split("_")[1]
        grid = cells(openpyxl.load_workbook(path)[R.REPORT_SHEET])
        r = ranking.loc[code]
        assert round(below(grid, "总分"), 2) == r["总分"]
        assert below(grid, "等次") == r["等次"]
        assert below(grid, "总排名") == r["总排名"]
        assert below(grid, "类别排名") == r["类别排名"]
        assert f"（{code}）" in grid[1][0] and r["单位名称"] in grid[1][0]


@pytest.mark.slow
def test_component_scores_trace_to_the_score_detail(cycle):
    """Each component row equals 得分明细; the category's average and best are recomputed from 得分明细; the
    points add up to the 考评得分 of 总排名."""
    detail = cycle["得分明细"].set_index("单位代码")
    ranking = cycle["总排名"].set_index("单位代码")
    category = ranking["类别"]
    columns = {re.sub(r"（[\d.]+%）$", "", c): c for c in detail.columns if c.endswith("%）")}
    for path in cycle["paths"]:
        code = path.name.split("_")[1]
        grid = cells(openpyxl.load_workbook(path)[R.REPORT_SHEET])
        header, body = table(grid, "组成部分")
        assert header == ["组成部分", "权重(%)", "本单位得分", "同类平均", "同类最高", "与平均相差", "折合分数"]
        rows, total = body[:-1], body[-1]
        assert [r[0] for r in rows] == list(columns)
        peers = detail[category.reindex(detail.index) == category[code]]
        for name, weight, own, average, best, diff, points in rows:
            column = detail[columns[name]].astype(float)
            assert own == pytest.approx(column[code], abs=0.0051)  # the sheet shows it rounded to 0.01
            assert average == pytest.approx(peers[columns[name]].astype(float).mean(), abs=0.006)
            assert round_half_up(best, 2) == peers[columns[name]].astype(float).max()
            assert diff == pytest.approx(own - average, abs=1e-3)
            assert points == pytest.approx(own * weight / 100, abs=1e-3)
        assert total[0].startswith("考评得分") and total[1] == 100
        assert sum(r[6] for r in rows) == pytest.approx(total[6], abs=1e-3)
        assert round_half_up(total[6], 2) == ranking.loc[code, "考评得分"]


@pytest.mark.slow
def test_dimension_rates_and_lost_points_trace_to_the_indicator_scores(cycle):
    """Over several periods a dimension's points are the period-weighted sums (the demo holds 半年 20 % and 年终 80 %,
    as 考评期 says), and every point lost in any period is listed with its period, largest first within each."""
    scheme = cycle["scheme"]
    weight = {p.name: p.weight / 100 for p in scheme.periods}
    assert weight == {"半年": 0.2, "年终": 0.8}
    where = {i.code: (i.dimension, i.level) for i in scheme.indicators}
    ind = cycle["指标得分"].astype({"分值": float, "得分": float, "失分": float})
    ind["维度"] = ind["指标代码"].map(lambda c: where[c][0])
    ind["层面"] = ind["指标代码"].map(lambda c: where[c][1])
    ind["w"] = ind["考评期"].map(weight)
    for code in ("D001", "D013", "D030"):
        wb = openpyxl.load_workbook(unit_path(cycle, code))
        mine = ind[ind["单位代码"] == code]
        _, body = table(cells(wb[R.REPORT_SHEET]), "考评维度 / 层面")
        shown = {r[0]: r for r in body}
        for key in ("维度", "层面"):
            for name, g in mine.groupby(key):
                row = shown[name]
                points, got = (g["分值"] * g["w"]).sum(), (g["得分"] * g["w"]).sum()
                assert row[1] == g["指标代码"].nunique() and row[2] == pytest.approx(points)
                assert row[3] == pytest.approx(got)
                assert row[4] == pytest.approx(got / points * 100, abs=1e-3)
        # every indicator that lost points in a period, with the evaluator's reason where one was given
        grid = cells(wb[R.LOST_SHEET])
        header, body = table(grid, "序号")
        lost = mine[mine["失分"] > 1e-9]
        got = {(r[header.index("考评期")], r[header.index("指标代码")]): r for r in body if isinstance(r[0], int)}
        assert set(got) == set(zip(lost["考评期"], lost["指标代码"]))
        for rec in lost.itertuples():
            row = got[(rec.考评期, rec.指标代码)]
            assert row[header.index("失分")] == pytest.approx(rec.失分)
            if isinstance(rec.扣分原因, str):
                assert rec.扣分原因 in row[header.index("扣分原因")]
        for period in weight:
            losses = [r[header.index("失分")] for r in body if isinstance(r[0], int) and r[header.index("考评期")] == period]
            assert losses == sorted(losses, reverse=True)


# ---------------------------------------------------------------------------------------------- narrative


@pytest.mark.slow
def test_narrative_comes_from_the_template(cycle):
    text = texts(unit_path(cycle, "D001"))
    assert FULL_SENTENCE in text
    assert "一、总体评价" in text and "四、改进建议" in text
    r = cycle["总排名"].set_index("单位代码").loc["D001"]
    assert f"总分{r['总分']:.2f}分" in text and f"排第{int(r['总排名'])}名" in text
    template = (templates_dir() / A.TEMPLATE).read_text(encoding="utf-8")
    assert FULL_SENTENCE in template


@pytest.mark.slow
def test_an_edited_template_changes_the_narrative(cycle, tmp_path, monkeypatch):
    """The office edits templates/feedback/narrative.txt.j2 (here: a copy) and the next feedback follows it."""
    copy = tmp_path / "templates"
    shutil.copytree(templates_dir(), copy)
    path = copy / A.TEMPLATE
    edited = path.read_text(encoding="utf-8").replace(
        "一、总体评价", "一、总体评价\n　　绩效办补充说明：{{ unit.name }}本年度位列第{{ rank }}名。")
    path.write_text(edited, encoding="utf-8")
    monkeypatch.setattr(templating, "templates_dir", lambda: copy)
    templating.environment.cache_clear()
    try:
        a = A.analyse(cycle["scheme"], cycle["results"])
        out = R.write_unit_feedback(a, "D002", cycle["scheme"].period(), tmp_path / "out")
    finally:
        templating.environment.cache_clear()
    r = cycle["总排名"].set_index("单位代码").loc["D002"]
    assert f"绩效办补充说明：{r['单位名称']}本年度位列第{int(r['总排名'])}名。" in texts(out)


# ---------------------------------------------------------------------------------------------- 反馈 sheet


@pytest.mark.slow
def test_feedback_sheet_has_a_block_for_every_unit(cycle):
    sheet, ranking = cycle["反馈"], cycle["总排名"].set_index("单位代码")
    assert list(sheet.columns) == list(ledger.FEEDBACK.columns)
    assert set(sheet["单位代码"]) == set(ranking.index)
    ind = cycle["指标得分"].astype({"失分": float})
    for code, block in sheet.groupby("单位代码", sort=False):
        items = dict(zip(block["项目"], block["数值"]))
        assert {"总排名", "类别排名", "等次", "总分", "最强项目", "最弱项目", "失分合计"} <= set(block["项目"])
        assert items["总排名"] == ranking.loc[code, "总排名"]
        assert items["类别排名"] == ranking.loc[code, "类别排名"]
        assert block.loc[block["项目"] == "等次", "内容"].iloc[0].startswith(ranking.loc[code, "等次"])
        assert round(items["总分"], 2) == ranking.loc[code, "总分"]
        assert items["最强项目"] >= items["最弱项目"]
        lost = ind[(ind["单位代码"] == code) & (ind["失分"] > 1e-9)]
        assert (block["项目"] == "失分").sum() == len(lost)
        assert items["失分合计"] == pytest.approx(lost["失分"].sum())
    # blocks come in ranking order, each block contiguous
    firsts = sheet.drop_duplicates("单位代码")["单位代码"].tolist()
    ranks = [ranking.loc[c, "总排名"] for c in firsts]
    assert ranks == sorted(ranks)
    assert sheet["单位代码"].ne(sheet["单位代码"].shift()).sum() == len(firsts)


@pytest.mark.slow
def test_cli_feedback_prints_a_chinese_summary(cycle, capsys):
    assert main(["feedback", str(cycle["book"].path)]) == 0
    out = capsys.readouterr().out
    assert f"已为 {len(cycle['scheme'].units)} 个被考评单位生成绩效反馈表" in out
    assert str(cycle["folder"]) in out


# ------------------------------------------------------------------------------------------ LibreOffice


def _ppm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    magic, w, h, maxval, rest = data.split(maxsplit=4)
    assert magic == b"P6" and maxval == b"255"
    w, h = int(w), int(h)
    return np.frombuffer(rest[: w * h * 3], dtype=np.uint8).reshape(h, w, 3)


def _near(pixels: np.ndarray, color: str, tolerance: int = 40) -> int:
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], dtype=int)
    return int((np.abs(pixels.astype(int) - rgb).sum(axis=2) <= tolerance).sum())


@pytest.mark.slow
@requires_soffice
def test_the_bar_charts_axis_starts_near_the_data(cycle):
    """The components' bars (all between ~50 and 100) are compared on an axis that starts a round ten below the
    lowest bar, not at 0, so a 3-point gap to the category's average is visible; the radar the same."""
    import zipfile

    path = unit_path(cycle, "D001")
    data = openpyxl.load_workbook(path)[C.DATA_SHEET]
    with zipfile.ZipFile(path) as z:
        charts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")}
    for kind, columns in (("c:barChart", (1, 2, 3)), ("c:radarChart", (7, 8))):
        xml = next(x for x in charts.values() if f"<{kind}>" in x)
        values = [c for row in data.iter_rows(min_row=2, values_only=True) for j, c in enumerate(row)
                  if j in columns and isinstance(c, (int, float))]
        low = float(re.search(r'<c:min val="([\d.]+)"/>', xml).group(1))
        assert 0 < low <= min(values) and min(values) - low <= 20, (kind, low, min(values))


def test_charts_appear_in_libreoffice_pdf(cycle, tmp_path):
    """LibreOffice opens the feedback workbooks and prints both charts.

    How the charts are found: `pdftotext -bbox` gives each chart's title on its page (chart titles are text
    in the PDF); the page is rendered with pdftoppm and the band below the title, as tall as the chart, must
    hold the chart's own colours: the unit's blue (bars and the radar's line) and, for the bar chart, the
    category best's orange, for the radar the category average's grey. No cell of the workbook uses these
    colours, and the band is outside the tables; a chart that failed to render leaves the band white.
    """
    from xlplugin import soffice

    sources = [unit_path(cycle, code) for code in ("D001", "D035")]
    pdfs = soffice.convert_many(sources, "pdf", tmp_path)
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "绩效考评结果反馈" in text and "失分明细" in text and FULL_SENTENCE[:10] in text
        bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
        found: dict[str, list[tuple[int, float]]] = {}
        for page_no, page in enumerate(bbox.split("<page ")[1:], start=1):
            for m in re.finditer(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)<', page):
                for title in ("各组成部分得分对比", "各考评层面得分率对比"):
                    if m.group(3).startswith(title):
                        found.setdefault(title, []).append((page_no, float(m.group(2))))
        assert set(found) == {"各组成部分得分对比", "各考评层面得分率对比"}, pdf.name
        dpi = 60

        def page(n: int) -> np.ndarray:
            for f in tmp_path.glob("p-*.ppm"):
                f.unlink()
            subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(n), "-l", str(n), str(pdf), str(tmp_path / "p")],
                           check=True)
            return _ppm(next(tmp_path.glob("p-*.ppm")))

        # LibreOffice also writes a chart's text, clipped away, on a page the chart only touches: a chart counts
        # as printed where the band below one of its titles shows its colours
        for title, places in found.items():
            other = C.BEST_COLOR if title.startswith("各组成部分") else C.AVERAGE_COLOR
            counts = []
            for page_no, y in places:
                band = page(page_no)[int(y * dpi / 72): int((y + 200) * dpi / 72)]
                counts.append((_near(band, C.UNIT_COLOR), _near(band, other)))
            assert any(blue > 100 and mark > 30 for blue, mark in counts), (pdf.name, title, counts)
        assert _near(page(1), C.BEST_COLOR) == 0  # page 1 has no chart, and no orange: the colour is the charts'


# ------------------------------------------------------------------------------ several periods, one component


def synthetic_marks(scheme, periods: list[str], rng: random.Random) -> pd.DataFrame:
    rows = []
    for p in periods:
        for u in scheme.units:
            for n, i in enumerate(scheme.indicators_for(u)):
                given = max(0.0, i.max - rng.choice([0, 0, 0, 0.5, 1, 2]))
                rows.append((u.code, p, "自评", i.code, None, "自评得分", i.max))
                rows.append((u.code, p, "考评部门", i.code, i.evaluator, "考评得分", given))
                if given < i.max:
                    reason = "=HYPERLINK(\"http://x\")" if n == 0 else rng.choice(["进度滞后。", None])
                    rows.append((u.code, p, "考评部门", i.code, i.evaluator, "扣分原因", reason))
    return pd.DataFrame(rows, columns=["unit", "period", "source", "indicator", "rater", "item", "value"])


def test_province_with_two_periods_and_one_component(tmp_path):
    office = write_sample(tmp_path / "考评台账.xlsx", "province")
    book = FileOfficeBook(office)
    scheme = load_scheme(book)
    results = score(scheme, Inputs(marks=synthetic_marks(scheme, ["半年", "年终"], random.Random(5))))
    a = A.analyse(scheme, results)
    assert a.periods == ["半年", "年终"] and a.focus == "年终"
    # the period-weighted component points add up to each unit's total
    points = a.components.groupby("unit")["points"].sum()
    totals = results.units.set_index("unit")["total"]
    assert np.allclose(points.reindex(totals.index), totals)

    fb = A.unit_feedback(a, scheme.units[0].code)
    assert fb.compare_kind == A.DIMENSION and fb.radar_kind == A.LEVEL  # one component: compare dimensions
    assert len(fb.compare) == 7 and len(fb.radar) == 14
    assert "个百分点" in "\n".join(A.narrative(a, fb, scheme.period()))

    paths = write_feedback(book, scheme, results)
    assert len(paths) == len(scheme.units)
    wb = openpyxl.load_workbook(paths[0])
    header, body = table(cells(wb[R.LOST_SHEET]), "序号")
    assert "考评期" in header
    assert {r[header.index("考评期")] for r in body if isinstance(r[0], int)} <= {"半年", "年终"}
    # text from a submission stays text: no formula in any feedback cell
    formulas = [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert any(isinstance(v, str) and v.startswith("=HYPERLINK") for row in wb[R.LOST_SHEET].iter_rows(values_only=True)
               for v in row)
    sheet = A.feedback_sheet(scheme, results, a)
    assert set(sheet["单位代码"]) == {u.code for u in scheme.units}
    assert sheet.loc[sheet["项目"] == "失分", "内容"].str.match(r"^(半年|年终)·").all()


@pytest.mark.slow
def test_feedback_written_in_parallel_is_the_same(cycle, tmp_path):
    """Many units are written by a process pool: the workbooks are the same as written one by one."""
    from xlplugin.feedback import feedback as write_all

    serial = {p.name: cells(openpyxl.load_workbook(p)[R.REPORT_SHEET]) for p in cycle["paths"]}
    parallel = write_all(cycle["book"], workers=2)
    assert sorted(p.name for p in parallel.paths) == sorted(serial)
    for p in parallel.paths:
        assert cells(openpyxl.load_workbook(p)[R.REPORT_SHEET]) == serial[p.name], p.name


@pytest.mark.slow
def test_overview_and_ranking_print_on_three_pages_with_names_on_each(cycle, tmp_path):
    """概览 and 总排名 of the city sample, printed by LibreOffice: at most 3 pages, every page of 总排名 naming the units
    (the code and name columns are repeated), the title atop every page."""
    import subprocess

    from xlplugin import soffice

    wb = openpyxl.load_workbook(cycle["book"].path)
    for name in wb.sheetnames:
        if name not in ("概览", "总排名"):
            del wb[name]
    two = tmp_path / "two.xlsx"
    wb.save(two)
    pdf = soffice.convert(two, "pdf", tmp_path)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) <= 3, len(pages)
    ranking_pages = [p for p in pages if "总排名 ·" in p]
    names = [u.name for u in cycle["scheme"].units]
    assert ranking_pages and all("单位名称" in p and any(n in p for n in names) for p in ranking_pages)
    assert all("2026年度" in p for p in pages)


# ------------------------------------------------------------------------- small crafted cases (the hand case)


def _hand_feedback(inputs_change=lambda i: i):
    from dataclasses import replace

    from tests.test_scoring import hand_case

    scheme, inputs = hand_case()
    inputs = inputs_change(replace(inputs, veto_reasons={"B1": "主要负责人受到党纪处分"}))
    results = score(scheme, inputs)
    a = A.analyse(scheme, results)
    sheet = A.feedback_sheet(scheme, results, a)

    def text(code: str) -> str:
        return "\n".join(A.narrative(a, A.unit_feedback(a, code), scheme.period()))

    def rows(code: str, item: str) -> list[str]:
        return list(sheet[(sheet["单位代码"] == code) & (sheet["项目"] == item)]["内容"])

    return text, rows


def test_a_vetoed_unit_is_told_the_reason():
    """B1 (by score 良好) is vetoed for the 事由 the 一票否决 sheet gives: its narrative and the 反馈 sheet say why the
    grade went down a level; B2, vetoed without a 事由 (and 较差 already), is told the veto without one."""
    text, rows = _hand_feedback()
    assert "因存在一票否决事项（主要负责人受到党纪处分），等次由“良好”降为“一般”" in text("B1")
    assert rows("B1", "等次") == ["一般；一票否决（主要负责人受到党纪处分），由“良好”降为“一般”"]
    assert "因存在一票否决事项，等次由“较差”降为“较差”" in text("B2")
    assert rows("B2", "等次") == ["较差；一票否决，由“较差”降为“较差”"]


def test_the_self_evaluation_is_not_praised_as_a_strength():
    """B1 against 乙 (B1, B2), period-weighted (过程 20%, 年终 80%): 重点目标 87.5 vs (87.5+30)/2 = 58.75 → +28.75;
    自我评估 95 vs (95+48)/2 = 71.5 → +23.5; 基础工作 0.2×70+0.8×80 = 78 vs (78+58)/2 = 68 → +10; 民主评议 75 vs
    (75+57.5)/2 = 66.25 → +8.75; 共性目标 90 vs 85 → +5; 领导评价 80 vs 75 → +5. The three largest would name
    自我评估 second; it is left out: 重点目标, 基础工作, 民主评议. 反馈's 最强项目 is 重点目标."""
    text, rows = _hand_feedback()
    strengths = text("B1").split("二、主要优势", 1)[1].split("三、存在的不足", 1)[0]
    assert "自我评估" not in strengths
    named = re.findall(r"\d\. (\S+?)：", strengths)
    assert named == ["重点目标", "基础工作", "民主评议"]
    assert rows("B1", "最强项目")[0].startswith("重点目标：87.50，高于同类平均 28.75")


def test_equal_published_scores_share_a_rank_in_the_feedback():
    """A1 93.5 and A2 91.5 + 2 bonus = 93.5: the same published score, the same rank (1st of 4, 1st in 甲) in the
    narrative and in 反馈; B1 is 3rd."""
    text, rows = _hand_feedback()
    for code in ("A1", "A2"):
        assert "在全部4个被考评单位中排第1名，在甲（2个单位）中排第1名" in text(code)
        assert rows(code, "总排名") == ["第 1 名（共 4 个单位）"]
    assert rows("B1", "总排名") == ["第 3 名（共 4 个单位）"]


def test_a_unit_that_submitted_nothing_is_told_so():
    """A2 returned no form (no 自评 marks in either period): its evaluator scores still count, its 自我评估 is 0.
    It is told it submitted nothing, in the overview, the shortcomings and the advice, and not compared with the
    category's average as a shortcoming (no "低于同类单位平均"); 反馈 has a 报送情况 row. A1, which submitted, is not."""
    def drop_a2(inputs):
        m = inputs.marks
        return Inputs(m[~((m["unit"] == "A2") & (m["source"] == "自评"))], inputs.office, inputs.bonus, inputs.vetoes,
                      inputs.appeals, inputs.veto_reasons)

    text, rows = _hand_feedback(drop_a2)
    a2 = text("A2")
    assert "你单位未报送年终绩效考评表" in a2
    assert "1. 未按要求报送年终绩效考评表和自评材料。" in a2
    assert "按规定时限报送绩效考评表" in a2
    assert "低于同类单位平均" not in a2 and "同类单位平均水平（" not in a2
    assert rows("A2", "报送情况") == ["年终未报送考评表（无自评得分）"]
    assert "未报送" not in text("A1") and rows("A1", "报送情况") == []

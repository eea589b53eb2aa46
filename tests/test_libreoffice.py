"""Forms in a real third-party spreadsheet application: LibreOffice Calc, headless.

One form of each kind is filled in as a clerk would (openpyxl writes the yellow input cells), then opened,
recalculated and saved again by LibreOffice, and printed to PDF. What comes back must still be our form:
sums and rates recomputed right, inputs unchanged, protection, validation and the hidden meta sheet in
place, and the signature still valid.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import coordinate_to_tuple

from tests.conftest import requires_soffice
from xlplugin import soffice
from xlplugin.forms import SPECS
from xlplugin.forms.spec import DEF, INPUT, SUBTOTAL, TOTAL, Field, Grid, cell_ref
from xlplugin.forms.meta import META_SHEET
from xlplugin.forms.read import FormFile, is_data_row, read_grid, read_meta
from xlplugin.forms import open_verified

pytestmark = pytest.mark.slow  # every test here drives LibreOffice

KINDS = ("unit", "evaluator", "rater", "leader")
TITLES = {"unit": "绩效考评指标表", "evaluator": "评分表", "rater": "民主评议表", "leader": "领导评价表"}
SIGN_DATE = date(2027, 1, 10)


@dataclass
class Case:
    kind: str
    filled: Path  # as the clerk saved it with openpyxl
    saved: Path  # the same, after LibreOffice opened, recalculated and saved it
    pdf: Path
    inputs: dict[tuple[str, str], object]  # (sheet, cell) → the value the clerk typed


# ------------------------------------------------------------------------------------------------ helpers


def pick_form(city, kind: str) -> Path:
    """One generated form of a kind; for departments, one with a subtotal per unit (an evaluation group)."""
    forms = city.forms(SPECS[kind].folder)
    if kind == "evaluator":
        with_subtotals = [p for p in forms if any(i.startswith(SUBTOTAL) for _, _, i in read_meta(FormFile(p)).rows)]
        return (with_subtotals or forms)[0]
    return forms[0]


def clerk_value(kind: str, key: str, n: int, row: dict, scheme):
    """What a clerk types into input column `key` of the n-th data row (0-based); None leaves it blank."""
    if kind == "unit":
        if key == "actual":  # a number for every indicator, text target or not
            target = row["target"]
            return round(target * 0.95, 2) if isinstance(target, (int, float)) else 0
        if key == "self_score":
            return row["max"] - 0.5 if n % 3 == 0 else row["max"]
        if key == "explanation":
            return f"第{n + 1}项已按计划推进。\n未完成部分已写明原因。"
        if key == "evidence":
            return f"佐证材料{n + 1}.pdf"
        if n > 0:  # 加分申报: one claim only
            return None
        return {"kind": scheme.bonus_kinds[0].name, "item": "经验做法被省政府转发", "points": 0.5,
                "evidence": "省政府办公厅〔2026〕12号"}[key]
    if kind == "evaluator":
        deduct = n % 4 == 1
        return {"score": row["max"] - 1 if deduct else row["max"], "reason": "进度滞后一个月" if deduct else None,
                "falsified": "是" if n == 2 else "否"}[key]
    if kind == "rater":
        grades = list(scheme.rater_grades)
        return {"grade": grades[n % len(grades)], "comment": f"建议{n + 1}" if n % 2 else None}[key]
    return {"rank": n + 1, "comment": f"第{n + 1}名，工作扎实。"}[key]  # leader: ranks 1..n, no repeats


def field_value(f: Field, scheme):
    if f.kind == "date":
        return SIGN_DATE
    if f.kind == "list":
        return scheme.grades[0].name
    return f"{f.label}（测试）"


def fill(src: Path, dest: Path, kind: str, scheme) -> dict[tuple[str, str], object]:
    """Fill every input cell of a form the way a clerk would, save it as `dest`; return what was typed."""
    spec = SPECS[kind]
    form = FormFile(src)
    meta = read_meta(form)
    wb = openpyxl.load_workbook(src)
    typed: dict[tuple[str, str], object] = {}
    for grid in spec.grids:
        ws = wb[grid.sheet]
        for n, (r, _, row) in enumerate(read_grid(form, grid, meta)):
            for col in grid.inputs:
                value = clerk_value(kind, col.key, n, row, scheme)
                if value is not None:
                    ref = cell_ref(r, grid.col(col.key))
                    ws[ref] = value
                    typed[(grid.sheet, ref)] = value
    for f in spec.fields:
        value = field_value(f, scheme)
        wb[f.sheet][f.ref] = value
        typed[(f.sheet, f.ref)] = value
    wb.save(dest)
    return typed


def same(got, typed) -> bool:
    """A typed value as read back by calamine: numbers as floats, dates as dates or datetimes."""
    if isinstance(typed, date):
        return isinstance(got, (date, datetime)) and got.isoformat()[:10] == typed.isoformat()
    if isinstance(typed, (int, float)):
        return isinstance(got, (int, float)) and got == pytest.approx(typed)
    return got == typed


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def body(form: FormFile, grid: Grid) -> list[tuple[int, str]]:
    meta = read_meta(form)
    return [(r, i) for s, r, i in meta.rows if s == grid.sheet]


# ----------------------------------------------------------------------------------------------- fixture


@pytest.fixture(scope="module")
def cases(city, tmp_path_factory) -> dict[str, Case]:
    """Fill one form per kind, then round-trip all four through LibreOffice in one run, and print them."""
    root = tmp_path_factory.mktemp("libreoffice")
    (root / "filled").mkdir()
    filled, typed = {}, {}
    for kind in KINDS:
        src = pick_form(city, kind)
        filled[kind] = root / "filled" / src.name
        typed[kind] = fill(src, filled[kind], kind, city.scheme)
    saved = soffice.convert_many(list(filled.values()), "xlsx", root / "saved")
    pdfs = soffice.convert_many(list(filled.values()), "pdf", root / "pdf")
    return {k: Case(k, filled[k], s, p, typed[k]) for k, s, p in zip(KINDS, saved, pdfs)}


# ------------------------------------------------------------------------------------------------- tests


@requires_soffice
@pytest.mark.parametrize("kind", KINDS)
def test_typed_inputs_survive(cases, kind):
    case = cases[kind]
    form = FormFile(case.saved)
    changed = {}
    for (sheet, ref), value in case.inputs.items():
        row, col = coordinate_to_tuple(ref)
        got = form.cell(sheet, row - 1, col - 1)
        if not same(got, value):
            changed[f"{sheet}!{ref}"] = (value, got)
    assert not changed, f"LibreOffice changed typed inputs (typed, read back): {changed}"


@requires_soffice
@pytest.mark.parametrize("kind", ["unit", "evaluator"])
def test_subtotals_and_totals_recomputed(cases, kind):
    """Subtotal rows sum their data rows, the total row sums all: values LibreOffice computed (openpyxl keeps
    no cached formula results, so none of these numbers comes from the generator)."""
    form = FormFile(cases[kind].saved)
    grid = SPECS[kind].grids[0]
    summed = [i for i, c in enumerate(grid.columns) if c.numeric and c.role in (DEF, INPUT)]
    assert summed
    checked = 0
    since_subtotal: list[int] = []
    everything: list[int] = []
    for r, ident in body(form, grid):
        if is_data_row(ident):
            since_subtotal.append(r)
            everything.append(r)
        elif ident.startswith(SUBTOTAL) or ident == TOTAL:
            rows = since_subtotal if ident != TOTAL else everything
            for c in summed:
                want = sum(form.cell(grid.sheet, x, c) or 0 for x in rows)
                got = form.cell(grid.sheet, r, c)
                assert got == pytest.approx(want), f"{grid.sheet}!{cell_ref(r, c)} ({ident}) = {got}, expected {want}"
                checked += 1
            since_subtotal = []
    assert checked >= 2 * len(summed)


@requires_soffice
def test_unit_total_and_completion_rates(cases, city):
    case = cases["unit"]
    form = FormFile(case.saved)
    grid = SPECS["unit"].grids[0]
    max_c, self_c = grid.col("max"), grid.col("self_score")
    letter = grid.letter("self_score")
    typed_self = [v for (s, ref), v in case.inputs.items() if s == grid.sheet and re.fullmatch(rf"{letter}\d+", ref)]
    total_row = next(r for r, i in body(form, grid) if i == TOTAL)
    assert form.cell(grid.sheet, total_row, max_c) == pytest.approx(city.scheme.settings.base)
    assert form.cell(grid.sheet, total_row, self_c) == pytest.approx(sum(typed_self))
    numeric_targets = text_targets = 0
    for r, ident, row in read_grid(form, grid, read_meta(form)):
        if isinstance(row["target"], (int, float)) and row["target"]:
            assert row["rate"] == pytest.approx(row["actual"] / row["target"]), f"完成率 of {ident}"
            numeric_targets += 1
        else:
            assert row["rate"] is None, f"完成率 of {ident} (target {row['target']!r}) should stay blank"
            text_targets += 1
    assert numeric_targets and text_targets  # the sample has both kinds of target


@requires_soffice
@pytest.mark.parametrize("kind", KINDS)
def test_signature_still_verifies(cases, city, kind):
    verified = open_verified(cases[kind].saved, city.scheme.settings.key)
    assert verified.meta.kind == kind


@requires_soffice
@pytest.mark.parametrize("kind", KINDS)
def test_protection_survives(cases, kind):
    spec = SPECS[kind]
    form = FormFile(cases[kind].saved)
    wb = openpyxl.load_workbook(cases[kind].saved)
    # LibreOffice has no "very hidden": it saves the meta sheet as merely hidden (still protected)
    assert wb[META_SHEET].sheet_state in ("hidden", "veryHidden")
    for ws in wb.worksheets:
        if ws.sheet_state == "visible":
            assert ws.protection.sheet, f"sheet {ws.title} lost its protection"
    for grid in spec.grids:
        ws = wb[grid.sheet]
        for r, ident in body(form, grid):
            if not is_data_row(ident):
                continue
            for c, col in enumerate(grid.columns):
                locked = ws.cell(r + 1, c + 1).protection.locked
                if col.role == INPUT:
                    assert not locked, f"input cell {grid.sheet}!{cell_ref(r, c)} is locked"
                elif col.role == DEF:
                    assert locked, f"definition cell {grid.sheet}!{cell_ref(r, c)} is unlocked"
    for f in spec.fields:
        assert not wb[f.sheet][f.ref].protection.locked, f"field {f.label} ({f.sheet}!{f.ref}) is locked"


def validation_at(ws, ref: str):
    found = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{ref}: {len(found)} data validations"
    return found[0]


@requires_soffice
@pytest.mark.parametrize("kind", KINDS)
def test_validation_survives(cases, city, kind):
    spec = SPECS[kind]
    scheme = city.scheme
    form = FormFile(cases[kind].saved)
    wb = openpyxl.load_workbook(cases[kind].saved)
    grid = spec.grids[0]
    ws = wb[grid.sheet]
    data_rows = [r for r, i in body(form, grid) if is_data_row(i)]
    score_key = {"unit": "self_score", "evaluator": "score"}.get(kind)
    for r in data_rows:
        if score_key:  # decimal between 0 and the row's own 分值 cell
            dv = validation_at(ws, cell_ref(r, grid.col(score_key)))
            assert (dv.type, dv.operator, dv.formula1) == ("decimal", "between", "0")
            assert re.fullmatch(rf"\$?{grid.letter('max')}\$?\d+", dv.formula2), dv.formula2
        if kind == "evaluator":
            dv = validation_at(ws, cell_ref(r, grid.col("falsified")))
            assert dv.type == "list" and dv.formula1 == '"否,是"'
        if kind == "rater":
            dv = validation_at(ws, cell_ref(r, grid.col("grade")))
            assert dv.type == "list" and dv.formula1 == '"' + ",".join(scheme.rater_grades) + '"'
        if kind == "leader":
            dv = validation_at(ws, cell_ref(r, grid.col("rank")))
            assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("whole", "between", "1", str(len(data_rows)))
    for f in spec.fields:
        if f.kind in ("date", "list"):
            dv = validation_at(wb[f.sheet], f.ref)
            assert dv.type == f.kind
    if kind == "unit":
        bonus = spec.grids[1]
        for r in [r for r, i in body(form, bonus) if is_data_row(i)]:
            assert validation_at(wb[bonus.sheet], cell_ref(r, bonus.col("kind"))).type == "list"
            dv = validation_at(wb[bonus.sheet], cell_ref(r, bonus.col("points")))
            assert (dv.type, dv.formula1) == ("decimal", "0")


@requires_soffice
@pytest.mark.parametrize("kind", KINDS)
def test_pdf_shows_the_form(cases, city, kind):
    text = pdf_text(cases[kind].pdf)
    assert TITLES[kind] in text
    assert "填表说明" in text
    assert f"{city.scheme.settings.year}年度" in text


@requires_soffice
@pytest.mark.parametrize("kind", KINDS)
def test_pdf_shows_instructions_in_full(cases, kind):
    def squash(text: str) -> str:  # the PDF breaks lines where the cell wraps them
        return re.sub(r"\s+", "", text)

    text = squash(pdf_text(cases[kind].pdf))
    lines = [row[0] for row in FormFile(cases[kind].filled).rows("填表说明") if row and row[0]]
    cut = [line for line in lines if squash(line) not in text]
    assert not cut, f"instruction lines cut off in the PDF: {cut}"


# ------------------------------------------------------------------------------ the module, without forms


def test_convert_needs_libreoffice(monkeypatch, tmp_path):
    monkeypatch.setattr(soffice.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="未找到 LibreOffice"):
        soffice.convert(tmp_path / "a.xlsx", "xlsx", tmp_path / "out")


def test_convert_refuses_to_overwrite_the_source(tmp_path):
    with pytest.raises(ValueError, match="输出文件夹"):
        soffice.convert(tmp_path / "a.xlsx", "xlsx", tmp_path)
    with pytest.raises(ValueError, match="不支持"):
        soffice.convert(tmp_path / "a.xlsx", "ods", tmp_path / "out")


@requires_soffice
def test_convert_reports_a_failure(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(RuntimeError, match="LibreOffice 转换失败"):
        soffice.convert(bad, "xlsx", tmp_path / "out")


@requires_soffice
def test_completion_rate_follows_the_indicators_direction(province, tmp_path):
    """指标's 方向 decides 完成率 on the unit form, as LibreOffice computes it:
      越高越好 ZB001 (target 8): actual 6 → 6 ÷ 8 = 75%;
      越低越好 ZB053 (亿元GDP生产安全事故死亡率, target 0.02): actual 0.015 → 0.02 ÷ 0.015 = 133.3% (beats the target;
        it showed 75% before), actual 0.025 → 0.02 ÷ 0.025 = 80%, actual 0 → 100%;
      达标即满分 (ZB001 made so): actual 10 → 100% (not 125%), actual 6 → 75%."""
    from dataclasses import replace

    from xlplugin.forms.unit import INDICATORS, indicator_rows
    from xlplugin.forms.write import _FORMULAS

    scheme = province.scheme
    direction = {i.code: i.direction for i in scheme.indicators}
    assert direction["ZB053"] == "越低越好" and direction["ZB001"] == "越高越好"
    assert sum(d == "越低越好" for d in direction.values()) == 8  # the sample's 控制在目标以内 indicators
    rows = {b.id: b for b in indicator_rows(scheme.indicators)}
    assert rows["ZB053"].values["direction"] == "越低越好"
    reached = replace(next(i for i in scheme.indicators if i.code == "ZB001"), direction="达标即满分")
    assert indicator_rows((reached,))[-3].values["direction"] == "达标即满分"

    src = next(p for p in province.forms("被考评单位"))
    form = FormFile(src)
    at = {i: r for s, r, i in read_meta(form).rows if s == INDICATORS.sheet}
    actual, target, rate = INDICATORS.col("actual"), INDICATORS.col("target"), INDICATORS.col("rate")
    wb = openpyxl.load_workbook(src)
    ws = wb[INDICATORS.sheet]
    letters = {"actual": cell_ref(0, actual)[:-1], "target": cell_ref(0, target)[:-1]}
    # the other cases: each direction's formula written below the form's table, on its own target and actual
    cases = [("ZB001", 6, 0.75), ("ZB053", 0.015, 0.02 / 0.015)]
    for code, value, _ in cases:
        ws[cell_ref(at[code], actual)] = value
    extra = ws.max_row + 3
    more = [("越低越好", 0.02, 0.025, 0.8), ("越低越好", 0.02, 0, 1.0), ("达标即满分", 8, 10, 1.0),
            ("达标即满分", 8, 6, 0.75), ("越高越好", 0, 5, None)]
    for n, (d, t, a, _) in enumerate(more):
        r = extra + n
        ws[cell_ref(r, target)], ws[cell_ref(r, actual)] = t, a
        ws[cell_ref(r, rate)] = _FORMULAS["rate"][d].format(row=r + 1, **letters)
    filled = tmp_path / "filled" / src.name
    filled.parent.mkdir()
    wb.save(filled)
    saved = soffice.convert_many([filled], "xlsx", tmp_path / "saved")[0]
    got = openpyxl.load_workbook(saved, data_only=True)[INDICATORS.sheet]
    for code, _, want in cases:
        assert got[cell_ref(at[code], rate)].value == pytest.approx(want), code
    for n, (d, t, a, want) in enumerate(more):
        value = got[cell_ref(extra + n, rate)].value
        assert (value in (None, "") if want is None else value == pytest.approx(want)), (d, t, a, value)


# ------------------------------------------------------------------------- printed text size, the long report

PT_PER_BBOX = None  # set by the `prints` fixture: pdftotext's word-box height per point of font size


def word_sizes(pdf: Path, ratio: float) -> list[list[tuple[float, str]]]:
    """Per page, each word's font size in points: its box height (pdftotext -bbox: yMax − yMin) ÷ `ratio`."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    pages = []
    for page in out.split("<page ")[1:]:
        words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>', page)
        pages.append([((float(y2) - float(y1)) / ratio, w) for y1, y2, w in words])
    return pages


@pytest.fixture(scope="module")
def prints(city, province, county, tmp_path_factory) -> dict[str, tuple[Path, float]]:
    """One form of every kind from the three samples printed by LibreOffice, with a calibration sheet (宋体 10 pt at
    100%) printed in the same run: {name: (pdf, box height per point)}."""
    import xlsxwriter

    root = tmp_path_factory.mktemp("prints")
    calibration = root / "calibration.xlsx"
    wb = xlsxwriter.Workbook(str(calibration))
    wb.add_worksheet().write(0, 0, "字号校准", wb.add_format({"font_name": "宋体", "font_size": 10}))
    wb.close()
    forms = {"province unit": province.forms("被考评单位")[0], "city unit": city.unit_form("D001"),
             "county unit": county.forms("被考评单位")[0]}
    for kind in ("evaluator", "rater", "leader"):
        for name, sample in (("city", city), ("province", province), ("county", county)):
            if sample.forms(SPECS[kind].folder):  # the province scores neither raters nor leaders: no such forms
                forms[f"{name} {kind}"] = pick_form(sample, kind)
    pdfs = soffice.convert_many([calibration, *forms.values()], "pdf", root / "pdf")
    (height, word), = word_sizes(pdfs[0], 1.0)[0]
    assert word == "字号校准"
    return {name: (pdf, height / 10) for name, pdf in zip(forms, pdfs[1:])}


@requires_soffice
@pytest.mark.parametrize("name", [f"{sample} {kind}" for sample in ("city", "province", "county")
                                  for kind in ("unit", "evaluator", "rater", "leader")
                                  if (sample, kind) not in {("province", "rater"), ("province", "leader")}])
def test_printed_text_is_at_least_9_points(prints, name):
    """Every word LibreOffice prints of every form kind is at least 9 pt: the font size measured from the PDF
    (pdftotext -bbox word height, against a 10 pt word printed at 100% in the same run). The province unit form
    (A3, 117 indicators) prints its 10 pt table body at 9.3 pt; the city's (A4, two pages across) at 10 pt."""
    pdf, ratio = prints[name]
    pages = word_sizes(pdf, ratio)
    small = [(n, round(size, 2), word) for n, page in enumerate(pages, start=1) for size, word in page if size < 8.95]
    assert not small, small[:10]
    if name == "province unit":
        body = [size for page in pages[1:8] for size, _ in page]  # the indicator table: A3, one page across
        assert 9.0 <= min(body) and len(pages) <= 14


@pytest.mark.skipif(subprocess.run(["/usr/bin/python3", "-c", "import uno"], capture_output=True).returncode != 0,
                    reason="needs LibreOffice and Debian's python3-uno (apt-get install python3-uno)")
def test_a_5000_character_report_prints_whole_and_is_read_back(province, tmp_path):
    """A clerk types (or pastes from Word) a 5,000-character 总体情况 into 自评报告, one paragraph a cell, in
    LibreOffice: the rows grow with the text, every paragraph prints to its last characters, the empty report
    printed on one page; collect reads all 5,000 characters back as one mark."""
    import json
    from pathlib import Path

    from xlplugin.collect import read_submission
    from xlplugin.forms import unit as unit_form
    from xlplugin.simulate import fill as simulate_fill
    import random

    src = province.forms("被考评单位")[0]
    body = "本年度围绕全省绩效考评指标体系，扎实推进各项重点工作，主要指标完成良好。"  # 36 characters
    paragraphs = []
    for n in range(1, unit_form.PARAGRAPHS + 1):
        head, tail = f"（{n:02d}）", f"第{n:02d}段完"
        text = head + (body * 14)[:unit_form.PARAGRAPH_CHARS - len(head) - len(tail)] + tail
        paragraphs.append(text)
    assert sum(map(len, paragraphs)) == 5_000
    f = unit_form.SUMMARY
    cells = tmp_path / "cells.json"
    cells.write_text(json.dumps([[f.sheet, f.row + n, f.col, text] for n, text in enumerate(paragraphs)],
                                ensure_ascii=False), encoding="utf-8")
    typed, pdf = tmp_path / "typed" / src.name, tmp_path / "typed" / "typed.pdf"
    typed.parent.mkdir()
    subprocess.run(["/usr/bin/python3", str(Path(__file__).parent / "uno_type.py"), str(src), str(typed), str(pdf),
                    f"xlp-type-{os.getpid()}", str(cells)], check=True, timeout=300, capture_output=True)
    text = re.sub(r"\s+", "", pdf_text(pdf))
    for paragraph in paragraphs:
        assert paragraph in text, paragraph[-12:]  # each paragraph whole, to its last characters
    assert text.count("第10段完") == 1

    # the empty report (as generated) prints 总体情况 on one page: its first and last paragraph boxes together
    empty = soffice.convert_many([src], "pdf", tmp_path / "empty")[0]
    pages = subprocess.run(["pdftotext", "-layout", str(empty), "-"], capture_output=True, text=True).stdout.split("\f")
    assert any("第一段" in page and "第十段" in page for page in pages)

    # what was typed is read back whole (the rest of the form filled in as well)
    filled = simulate_fill(src, tmp_path / "filled" / src.name, province.scheme, random.Random(3))
    wb = openpyxl.load_workbook(filled)
    for n, text in enumerate(paragraphs):
        wb[f.sheet].cell(f.row + n + 1, f.col + 1).value = text
    wb.save(filled)
    o = read_submission(filled, filled.name, province.scheme, province.scheme.period())
    (summary,) = [m for m in o.marks if m.item == "总体情况"]
    assert summary.value == "\n".join(paragraphs) and len(summary.value.replace("\n", "")) == 5_000
    assert not [i for i in o.issues if i.sheet == unit_form.REPORT_SHEET]

"""generate writes a form for every recipient, each holding exactly what applies to it, locked, validated,
print-ready and signed; edits to locked definitions and to the meta sheet are caught."""
from __future__ import annotations

import shutil

import openpyxl
import pytest

from xlplugin.forms import evaluator as evaluator_form, leader as leader_form, rater as rater_form, unit as unit_form
from xlplugin.forms.meta import META_SHEET
from xlplugin.forms.read import FormError, FormFile, read_grid, read_meta
from xlplugin.forms import open_verified


def test_a_form_for_every_recipient(city):
    s = city.scheme
    assert len(city.forms("被考评单位")) == len(s.units)
    # every evaluating department of the sample scores something, so each gets a form
    assert len(city.forms("考评部门")) == len(s.evaluators)
    assert len(city.forms("评议组")) == len(s.rater_groups)
    assert len(city.forms("领导")) == len(s.leaders)
    for unit in s.units:
        name = city.unit_form(unit.code).name
        assert name == f"{s.settings.year}{s.settings.period}_{unit.code}_{unit.name}_绩效考评表.xlsx"


def test_unit_form_holds_exactly_its_indicators(city):
    s = city.scheme
    key = s.settings.key
    for unit in s.units:
        expected = [i.code for i in s.indicators if
                    (i.kind == "共性" and ("全部" in i.scope or unit.category in i.scope))
                    or (i.kind == "重点" and i.scope == (unit.code,))]
        v = open_verified(city.unit_form(unit.code), key)
        rows = read_grid(v.form, unit_form.INDICATORS, v.meta)
        # tree order (grouped by dimension and level), each applicable indicator exactly once
        assert sorted(ident for _, ident, _ in rows) == sorted(expected)
        assert [cells["code"] for _, _, cells in rows] == [ident for _, ident, _ in rows]
        assert sum(cells["max"] for _, _, cells in rows) == pytest.approx(s.settings.base)
        assert v.meta.recipient == unit.code and v.meta.kind == "unit" and v.meta.period == s.settings.period


def test_province_forms_hold_the_1000_point_tree(province):
    s = province.scheme
    for path in province.forms("被考评单位"):
        v = open_verified(path, s.settings.key)
        rows = read_grid(v.form, unit_form.INDICATORS, v.meta)
        assert len(rows) == 117
        assert sum(c["max"] for _, _, c in rows) == pytest.approx(1000)


def test_evaluator_form_lists_every_unit_times_its_indicators(city):
    s = city.scheme
    for path in city.forms("考评部门"):
        v = open_verified(path, s.settings.key)
        evaluator = next(e for e in s.evaluators if e.code == v.meta.recipient)
        rows = read_grid(v.form, evaluator_form.SCORES, v.meta)
        got = sorted((c["unit"], c["code"]) for _, _, c in rows)
        assert got == sorted((u.code, i.code) for u, i in s.assignments_of(evaluator))


def test_rater_and_leader_forms_list_their_units(city):
    s = city.scheme
    for path in city.forms("评议组"):
        v = open_verified(path, s.settings.key)
        group = next(g for g in s.rater_groups if g.code == v.meta.recipient)
        assert [c["unit"] for _, _, c in read_grid(v.form, rater_form.GRADES, v.meta)] == [
            u.code for cat in s.categories for u in s.units_rated_by(group) if u.category == cat]
    for path in city.forms("领导"):
        v = open_verified(path, s.settings.key)
        leader = next(l for l in s.leaders if l.code == v.meta.recipient)
        assert [c["unit"] for _, _, c in read_grid(v.form, leader_form.RANKS, v.meta)] == [
            u.code for u in s.units_overseen_by(leader)]


@pytest.mark.parametrize("folder,grid", [("被考评单位", unit_form.INDICATORS), ("考评部门", evaluator_form.SCORES),
                                         ("评议组", rater_form.GRADES), ("领导", leader_form.RANKS)])
def test_forms_are_locked_validated_and_print_ready(city, folder, grid):
    path = city.forms(folder)[0]
    meta = read_meta(FormFile(path))
    wb = openpyxl.load_workbook(path)
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb.sheetnames[0] == "填表说明"
    for ws in wb.worksheets:
        if ws.sheet_state == "visible":
            assert ws.protection.sheet, ws.title
            assert ws.page_setup.paperSize == 9  # the city sample's 纸张: A4
            # a fixed scale of at least 90% (10 pt prints at 9 pt or more), never shrunk to fit
            assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)
            assert 90 <= int(ws.page_setup.scale or 100) <= 100, ws.title
    ws = wb[grid.sheet]
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == f"${grid.header_row + 1}:${grid.header_row + 1}"  # header repeated on every page
    assert ws.freeze_panes.endswith(str(grid.header_row + 2))
    data_rows = [r for s, r, i in meta.rows if s == grid.sheet and not i.startswith("#")]
    for r in data_rows:
        for c, col in enumerate(grid.columns):
            assert ws.cell(r + 1, c + 1).protection.locked == (col.role != "input"), (r, col.key)
    validated = {first_col(v) for v in ws.data_validations.dataValidation}
    required_inputs = {grid.col(c.key) for c in grid.inputs if c.key in ("self_score", "score", "falsified", "grade", "rank")}
    assert required_inputs <= validated


def test_score_validation_is_between_zero_and_the_row_max(city):
    ws = openpyxl.load_workbook(city.unit_form("D001"))[unit_form.INDICATORS.sheet]
    max_letter = unit_form.INDICATORS.letter("max")
    dv = next(v for v in ws.data_validations.dataValidation if first_col(v) == unit_form.INDICATORS.col("self_score"))
    first = min(r.min_row for r in dv.sqref.ranges)
    assert dv.type == "decimal" and dv.operator in (None, "between") and dv.formula1 == "0"  # None: the default, between
    assert dv.formula2 == f"${max_letter}{first}"
    assert "自评得分" in dv.error


def first_col(validation) -> int:
    return min(r.min_col for r in validation.sqref.ranges) - 1


def tamper(src, dst, sheet, cell, value):
    shutil.copy(src, dst)
    wb = openpyxl.load_workbook(dst)
    wb[sheet][cell].value = value
    wb.save(dst)
    return dst


def test_raising_a_max_score_is_caught(city, tmp_path):
    path = city.unit_form("D001")
    key = city.scheme.settings.key
    meta = read_meta(FormFile(path))
    grid = unit_form.INDICATORS
    row = next(r for s, r, i in meta.rows if s == grid.sheet and not i.startswith("#"))
    ref = f"{grid.letter('max')}{row + 1}"
    # a clerk saving the form unchanged (with openpyxl here) keeps the signature valid ...
    open_verified(tamper(path, tmp_path / "same.xlsx", grid.sheet, "A1", openpyxl.load_workbook(path)[grid.sheet]["A1"].value), key)
    # ... raising the max points of one indicator does not
    with pytest.raises(FormError, match="签名校验未通过"):
        open_verified(tamper(path, tmp_path / "raised.xlsx", grid.sheet, ref, 99), key)


def test_swapping_the_unit_code_in_meta_is_caught(city, tmp_path):
    key = city.scheme.settings.key
    with pytest.raises(FormError, match="签名校验未通过"):
        open_verified(tamper(city.unit_form("D001"), tmp_path / "swapped.xlsx", META_SHEET, "B4", "D002"), key)


def test_meta_copied_from_another_units_form_is_caught(city, tmp_path):
    key = city.scheme.settings.key
    dst = tmp_path / "copied.xlsx"
    shutil.copy(city.unit_form("D001"), dst)
    donor = openpyxl.load_workbook(city.unit_form("D002"))[META_SHEET]
    wb = openpyxl.load_workbook(dst)
    ws = wb[META_SHEET]
    ws.delete_rows(1, ws.max_row)
    for row in donor.iter_rows(values_only=True):
        ws.append(row)
    wb.save(dst)
    with pytest.raises(FormError, match="签名校验未通过"):
        open_verified(dst, key)


def test_signature_needs_the_office_key(city):
    with pytest.raises(FormError, match="签名校验未通过"):
        open_verified(city.unit_form("D001"), "another office's key, 32 chars+")


def test_a_separator_typed_into_a_definition_cannot_move_text_between_cells():
    """The signed text separates cells with US; a definition holding US itself is signed another way, so
    moving text from one cell to the next never gives the same signature."""
    from xlplugin.forms.meta import Meta

    meta = Meta(kind="unit", recipient="D001", recipient_name="某局", year="2026", period="年终", rows=[("表", 5, "A1")])
    assert meta.sign("key", [["ab", "c"]]) != meta.sign("key", [["a", "bc"]])
    assert meta.sign("key", [["a", "b"]]) != meta.sign("key", [["a\x1fb"]])
    assert meta.sign("key", [["a", "b"]]) == meta.sign("key", [("a", "b")])  # rows as lists or tuples


# ------------------------------------------------------------------ the unit form's numbering, report and print


def test_unit_form_numbers_its_rows_and_the_levels_through_the_whole_tree(province):
    """序号 1…117 down the table; the 14 层面 numbered (一)…(十四) through the tree as seed 001 does, not
    restarting under each 维度 (人民幸福's first level is (二)生活富庶)."""
    from xlplugin.forms.spec import GROUP, chinese_number

    grid = unit_form.INDICATORS
    form = FormFile(province.forms("被考评单位")[0])
    meta = read_meta(form)
    rows = form.rows(grid.sheet)
    assert rows[grid.header_row][0] == "序号"
    levels = [rows[r][0].strip() for s, r, i in meta.rows if s == grid.sheet and i.startswith(GROUP) and "/" in i]
    assert [label[:label.index("）") + 1] for label in levels] == [f"（{chinese_number(n)}）" for n in range(1, 15)]
    assert levels[1].startswith("（二）生活富庶") and levels[13].startswith("（十四）")
    assert [c["no"] for _, _, c in read_grid(form, grid, meta)] == list(range(1, 118))


def test_the_paper_setting_chooses_the_print_layout(city, province):
    """纸张: the city sample prints on A4, its indicator table two pages across at 100% (definitions, then the
    inputs, 序号…指标名称 repeated); the province on A3, one page across at ≥ 90%. Documents stay A4 portrait."""
    grid = unit_form.INDICATORS
    assert city.scheme.settings.paper == "A4" and province.scheme.settings.paper == "A3"
    ws = openpyxl.load_workbook(city.unit_form("D001"))[grid.sheet]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert [b.id for b in ws.col_breaks.brk] == [grid.col("actual")]  # the inputs start a page of their own
    assert ws.print_title_cols == "$A:$D" and int(ws.page_setup.scale or 100) == 100
    ws = openpyxl.load_workbook(province.forms("被考评单位")[0])[grid.sheet]
    assert ws.page_setup.paperSize == 8 and not ws.col_breaks.brk and int(ws.page_setup.scale) >= 90
    for sheet in (unit_form.REPORT_SHEET, unit_form.BONUS_SHEET):
        ws = openpyxl.load_workbook(province.forms("被考评单位")[0])[sheet]
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
        assert int(ws.page_setup.scale or 100) == 100


def test_a_departments_form_prints_what_it_shows_and_says_unit_and_indicator_on_every_page(city):
    """K01 (grouped by indicator, its indicator columns hidden) fits one A4 page across: hidden columns take no
    room. K08 (grouped by unit) hides the unit's columns, which its heading rows say, merged across so the unit's
    name shows on both pages across; 指标代码 and 指标名称 repeat on each."""
    grid = evaluator_form.SCORES
    forms = {p.name.split("_")[1]: p for p in city.forms("考评部门")}
    ws = openpyxl.load_workbook(forms["K01"])[evaluator_form.SHEET]
    assert not ws.col_breaks.brk and int(ws.page_setup.scale or 100) >= 90
    ws = openpyxl.load_workbook(forms["K08"])[evaluator_form.SHEET]
    letter = {c.key: grid.letter(c.key) for c in grid.columns}
    assert ws.column_dimensions[letter["unit"]].hidden and ws.column_dimensions[letter["unit_name"]].hidden
    assert ws.print_title_cols == f"$A:${letter['name']}" and ws.col_breaks.brk
    headings = sorted((r for r in ws.merged_cells.ranges if r.min_col == 1 and r.max_col == len(grid.columns)
                       and r.min_row > grid.header_row + 1),
                      key=lambda r: r.min_row)
    first = ws.cell(headings[0].min_row, 1).value
    assert first.startswith("D001") and "市发改委" in first and len(headings) >= 13


def test_a_paper_other_than_a4_or_a3_is_refused(city_office):
    from tests.helpers import set_settings
    from xlplugin.officebook import FileOfficeBook
    from xlplugin.scheme import SchemeError, load_scheme

    set_settings(city_office, 纸张="ａ３")  # full-width, lower case: A3
    assert load_scheme(FileOfficeBook(city_office)).settings.paper == "A3"
    set_settings(city_office, 纸张="B5")
    with pytest.raises(SchemeError, match="纸张"):
        load_scheme(FileOfficeBook(city_office))


def test_input_rows_grow_with_what_the_clerk_types(city):
    """Indicator rows and the report's paragraphs are written with a height but not as a fixed one: Excel, WPS and
    LibreOffice fit such a row to its text when the clerk types into it (a 90-character 情况说明 is not clipped)."""
    import re
    import zipfile

    path = city.unit_form("D001")
    meta = read_meta(FormFile(path))
    wb = openpyxl.load_workbook(path)

    def row_tags(sheet: str) -> dict[int, str]:  # openpyxl calls every row with a height "custom": read the XML
        index = wb.sheetnames.index(sheet) + 1
        with zipfile.ZipFile(path) as z:
            xml = z.read(f"xl/worksheets/sheet{index}.xml").decode()
        return {int(m.group(1)) - 1: m.group(0) for m in re.finditer(r'<row r="(\d+)"[^>]*>', xml)}

    tags = row_tags(unit_form.INDICATORS.sheet)
    data = [r for s, r, i in meta.rows if s == unit_form.INDICATORS.sheet and not i.startswith("#")]
    for r in data:
        assert ' ht="' in tags[r] and "customHeight" not in tags[r], tags[r]
    ws = wb[unit_form.REPORT_SHEET]
    tags = row_tags(unit_form.REPORT_SHEET)
    f = unit_form.SUMMARY
    for r in range(f.row, f.last_row + 1):
        # four lines to start with (an empty report prints on one page), growing with what is typed
        assert 40 <= ws.row_dimensions[r + 1].height < 150 and "customHeight" not in tags[r]
        assert ws.cell(r + 1, f.col + 1).protection.locked is False
    assert ws.cell(f.row + 1, f.col + 1).coordinate == "B6"
    assert ws.row_dimensions[unit_form.STAMP_ROW + 1].height >= 60  # room for the seal


def _returned_unit_form(city, tmp_path, change):
    import random

    from xlplugin.collect import read_submission
    from xlplugin.simulate import fill

    src = city.unit_form("D001")
    dst = fill(src, tmp_path / src.name, city.scheme, random.Random(1))
    wb = openpyxl.load_workbook(dst)
    change(wb[unit_form.REPORT_SHEET])
    wb.save(dst)
    return read_submission(dst, dst.name, city.scheme, city.scheme.period())


def test_the_sign_off_and_the_report_are_read_back(city, tmp_path):
    """填表人 and 联系电话 are marks like 主要负责人; 总体情况 is its paragraphs joined, up to 5,000 characters."""
    paragraphs = [f"第{n:02d}段" + "绩" * 492 + f"段尾{n:02d}" for n in range(1, 11)]  # 10 × 500 = 5,000 characters

    def sign(ws):
        ws[unit_form.FILLER.ref], ws[unit_form.PHONE.ref] = "张晓燕", "0438-6123457"
        for n, text in enumerate(paragraphs):
            ws.cell(unit_form.SUMMARY.row + n + 1, unit_form.SUMMARY.col + 1).value = text

    o = _returned_unit_form(city, tmp_path, sign)
    marks = {m.item: m for m in o.marks if m.indicator == ""}
    assert marks["填表人"].value == "张晓燕" and marks["联系电话"].value == "0438-6123457"
    assert (marks["联系电话"].sheet, marks["联系电话"].cell) == (unit_form.REPORT_SHEET, unit_form.PHONE.ref)
    summary = marks["总体情况"]
    assert sum(map(len, paragraphs)) == 5_000 and summary.value == "\n".join(paragraphs)
    assert summary.cell == "B6:B15"
    assert not [i for i in o.issues if i.sheet == unit_form.REPORT_SHEET]


def test_a_missing_phone_and_an_overlong_paragraph_are_reported(city, tmp_path):
    def change(ws):
        ws[unit_form.PHONE.ref] = None
        ws[unit_form.SUMMARY.ref] = "长" * 700

    o = _returned_unit_form(city, tmp_path, change)
    issues = {i.cell: i for i in o.issues if i.sheet == unit_form.REPORT_SHEET}
    assert "联系电话未填写" in issues[unit_form.PHONE.ref].problem and issues[unit_form.PHONE.ref].severity == "错误"
    assert "超过每段 500 字" in issues["B6"].problem and issues["B6"].severity == "提醒"
    assert next(m for m in o.marks if m.item == "总体情况").value == "长" * 700  # kept whole


def test_print_planning_keeps_headings_and_evens_out_the_last_page():
    from xlplugin.forms.printfit import Row, plan_across, plan_down, printable

    cols = [c.width for c in unit_form.INDICATORS.columns]
    a4 = plan_across(cols, printable("A4", True)[0], keep=4, prefer=unit_form.INDICATORS.col("actual"))
    assert a4.breaks == (unit_form.INDICATORS.col("actual"),) and a4.scale == 100
    a3 = plan_across(cols, printable("A3", True)[0], keep=4, prefer=unit_form.INDICATORS.col("actual"))
    assert a3.breaks == () and 90 <= a3.scale < 100
    # 20 rows of 40 pt on pages of 500 pt at 100% (470 pt planned): 11 fit the first page, 9 the second
    rows = [Row(r, 40.0, with_next=(r == 10)) for r in range(20)]
    assert plan_down(rows, 500, 100) == [10]  # row 10 is a heading: it goes to the next page with row 11
    # 12 rows: the last page would hold one row; the two pages share them instead
    rows = [Row(r, 40.0) for r in range(12)]
    assert plan_down(rows, 500, 100, first=0) == [6]

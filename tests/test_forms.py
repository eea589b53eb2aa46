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

"""The office workbook is the only configuration: both samples validate, and each kind of mistake is
refused with its sheet and row, before anything is generated."""
from __future__ import annotations

import openpyxl
import pytest

from xlplugin.cli import main
from xlplugin.generate import generate
from helpers import set_cells, sheet_cell
from xlplugin.officebook import FileOfficeBook
from xlplugin.init import init as write_sample
from xlplugin.scheme import SchemeError, load_scheme


def problems(path) -> list[str]:
    with pytest.raises(SchemeError) as caught:
        load_scheme(FileOfficeBook(path))
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("sample,units,indicators,base", [("city", 38, 186, 100), ("province", 14, 117, 1000)])
def test_samples_validate(tmp_path, sample, units, indicators, base):
    scheme = load_scheme(FileOfficeBook(write_sample(tmp_path / "台账.xlsx", sample)))
    assert len(scheme.units) >= units and len(scheme.indicators) >= indicators
    assert scheme.settings.base == base
    assert len(scheme.settings.key) >= 32
    for unit in scheme.units:
        assert sum(i.max for i in scheme.indicators_for(unit)) == pytest.approx(base)


def test_city_sample_follows_seed_002(tmp_path):
    scheme = load_scheme(FileOfficeBook(write_sample(tmp_path / "台账.xlsx", "city")))
    assert scheme.categories == ["经济调节和经济管理类", "社会管理和政务管理类", "市场监管和执法监管类"]
    assert sorted(c.weight for c in scheme.components) == sorted([3, 3, 3, 1, 9, 15, 36, 30])
    assert [(g.name, g.lower, g.quota) for g in scheme.grades] == [
        ("优秀", 90, 20), ("良好", 80, 18), ("一般", 60, 16), ("较差", 0, 14)]
    assert len(scheme.bonus_kinds) == 6
    common = [i for i in scheme.indicators if i.kind == "共性"]
    assert sum(i.max for i in common) == 20
    assert {i.evaluator for i in common} == {"市监察局", "市审计局", "市政府办公室", "市人事局", "市信访局", "市法制办", "市司法局"}
    for unit in scheme.units:
        own = [i for i in scheme.indicators_for(unit) if i.kind == "重点"]
        assert 3 <= len(own) <= 6 and sum(i.max for i in own) == 80
        leaders = [l for l in scheme.leaders if l.oversees_unit(unit)]
        assert sum(l.weight for l in leaders) == 30  # 市长 15 + 副市长级 10 + 副秘书长 5


def test_province_sample_follows_seed_001(tmp_path):
    scheme = load_scheme(FileOfficeBook(write_sample(tmp_path / "台账.xlsx", "province")))
    assert len({i.dimension for i in scheme.indicators}) == 7
    assert len({i.level for i in scheme.indicators}) == 14
    assert len({i.point for i in scheme.indicators}) == 42
    assert len(scheme.units) == 14
    assert [(p.name, p.stage, p.weight) for p in scheme.periods] == [("半年", "过程", 10), ("第三季度", "过程", 10), ("年终", "年终", 80)]


def test_weights_must_add_to_100(city_office):
    set_cells(city_office, "考评方案", {(2, "权重(%)"): 5})
    found = problems(city_office)
    assert any(p.startswith("【考评方案】") and "第 2–9 行" in p and "102%" in p for p in found), found


def test_unit_points_must_add_to_base(city_office):
    row = next(r for r in range(2, 300) if sheet_cell(city_office, "指标", r, "指标代码") == "D001-1")
    set_cells(city_office, "指标", {(row, "分值"): sheet_cell(city_office, "指标", row, "分值") - 5})
    found = problems(city_office)
    assert "【单位】第 2 行：单位“市发改委”适用指标的分值合计为 95，应等于基本分 100。" in found


def test_duplicate_codes(city_office):
    set_cells(city_office, "单位", {(3, "单位代码"): "D001"})
    assert any(p.startswith("【单位】第 3 行：") and "“D001”重复" in p for p in problems(city_office))


def test_duplicate_indicator_codes(city_office):
    set_cells(city_office, "指标", {(3, "指标代码"): "GX01"})
    assert any(p.startswith("【指标】第 3 行：") and "“GX01”重复" in p for p in problems(city_office))


def test_unknown_evaluating_department(city_office):
    set_cells(city_office, "指标", {(2, "考评部门"): "市不存在局"})
    assert "【指标】第 2 行：考评部门“市不存在局”不在“考评部门”表中。" in problems(city_office)


def test_leader_oversees_unknown_unit(city_office):
    set_cells(city_office, "领导", {(3, "分管单位"): sheet_cell(city_office, "领导", 3, "分管单位") + "、D999"})
    assert "【领导】第 3 行：分管单位“D999”不是已有的单位代码。" in problems(city_office)


def test_unit_without_category(city_office):
    set_cells(city_office, "单位", {(5, "类别"): None})
    name = sheet_cell(city_office, "单位", 5, "单位名称")
    assert f"【单位】第 5 行：单位“{name}”没有填写类别。" in problems(city_office)


def test_grades_out_of_order(city_office):
    set_cells(city_office, "等次", {(3, "最低分"): 95})
    found = problems(city_office)
    assert any(p.startswith("【等次】第 3 行：等次应从高到低排列") for p in found), found


def test_missing_required_column(city_office):
    wb = openpyxl.load_workbook(city_office)
    ws = wb["指标"]
    ws.delete_cols([c.value for c in ws[1]].index("分值") + 1)
    wb.save(city_office)
    assert "【指标】第 1 行：缺少必填列“分值”（第 1 行为表头）。" in problems(city_office)


def test_missing_sheet(city_office):
    wb = openpyxl.load_workbook(city_office)
    del wb["等次"]
    wb.save(city_office)
    assert any(p.startswith("【等次】缺少工作表“等次”") for p in problems(city_office))


def test_every_mistake_is_reported_at_once(city_office):
    set_cells(city_office, "单位", {(5, "类别"): None})
    set_cells(city_office, "等次", {(3, "最低分"): 95})
    set_cells(city_office, "指标", {(2, "考评部门"): "市不存在局"})
    found = problems(city_office)
    assert {p[1:p.index("】")] for p in found} >= {"单位", "等次", "指标"}


def test_nothing_generated_from_an_invalid_scheme(city_office, capsys):
    set_cells(city_office, "考评方案", {(2, "权重(%)"): 5})
    with pytest.raises(SchemeError):
        generate(FileOfficeBook(city_office))
    assert not (city_office.parent / "输出").exists()
    assert main(["generate", str(city_office)]) == 1
    err = capsys.readouterr().err
    assert "考评台账有 1 处问题" in err and "【考评方案】" in err
    assert not (city_office.parent / "输出").exists()


def test_init_refuses_to_overwrite(city_office, capsys):
    assert main(["init", str(city_office)]) == 1
    assert "文件已存在" in capsys.readouterr().err


def test_rank_table_must_cover_every_leaders_units(city_office):
    wb = openpyxl.load_workbook(city_office)
    ws = wb["排名分值"]
    ws.delete_rows(20, ws.max_row)
    wb.save(city_office)
    found = problems(city_office)
    assert any(p.startswith("【领导】第 2 行：") and "“排名分值”表只设定了 18 个名次" in p for p in found), found


def test_indicator_direction_is_optional_and_checked(city_office):
    """指标's 方向: a column an office may leave out (every indicator then 越高越好); a value outside the list is refused."""
    wb = openpyxl.load_workbook(city_office)
    ws = wb["指标"]
    ws.delete_cols([c.value for c in ws[1]].index("方向") + 1)
    wb.save(city_office)
    assert {i.direction for i in load_scheme(FileOfficeBook(city_office)).indicators} == {"越高越好"}
    ws.cell(1, ws.max_column + 1, "方向")
    wb.save(city_office)
    set_cells(city_office, "指标", {(2, "方向"): "越少越好"})
    assert "【指标】第 2 行：方向应为“越高越好”“越低越好”“达标即满分”之一（不填为“越高越好”），现为“越少越好”。" in problems(city_office)

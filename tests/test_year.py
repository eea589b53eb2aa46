"""A year of several periods through the command line, as seed 001 scores it (issue 11).

The province sample (辽宁: 半年 10 %, 第三季度 10 % in the 过程 stage, 年终 80 %) is collected period by period; every
evaluating department's form is filled with scores chosen so the totals can be worked out by hand:

    半年      every indicator loses 1 point        → each city's period total = 1000 − 117 × 1 = 883
    第三季度  every indicator loses 0.5            → 1000 − 58.5 = 941.5
    年终      the first 10 indicators lose 2 each  → 1000 − 20 = 980

so the annual total = 过程 × 20 % + 年终 × 80 % = 0.2 × (883 + 941.5) / 2 + 0.8 × 980 = 182.45 + 784 = 966.45,
and with 第三季度 never held, 过程 = 半年 alone: 0.2 × 883 + 0.8 × 980 = 176.6 + 784 = 960.6 (not 11.1 % / 88.9 %).
"""
from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import openpyxl
import pytest

from xlplugin.cli import main
from xlplugin.forms import evaluator as evaluator_form
from xlplugin.forms.read import FormFile, read_grid, read_meta
from xlplugin.init import init
from xlplugin.officebook import FileOfficeBook
from xlplugin.record import Record
from xlplugin.scheme import load_scheme

pytestmark = pytest.mark.slow  # whole periods through the CLI

LOSS = {"半年": lambda i, code: 1.0, "第三季度": lambda i, code: 0.5, "年终": lambda i, code: 2.0 if i < 10 else 0.0}
CITY = "C03"


def fill_evaluator_forms(forms: list[Path], folder: Path, period: str, order: list[str]) -> None:
    """Every evaluating department scores every unit: max − LOSS[period], with a reason where points are lost."""
    folder.mkdir(parents=True, exist_ok=True)
    grid = evaluator_form.SCORES
    for src in forms:
        form = FormFile(src)
        meta = read_meta(form)
        wb = openpyxl.load_workbook(src)
        ws = wb[grid.sheet]
        for row, _ident, values in read_grid(form, grid, meta):
            loss = LOSS[period](order.index(values["code"]), values["code"])
            ws.cell(row + 1, grid.col("score") + 1).value = float(values["max"]) - loss
            ws.cell(row + 1, grid.col("reason") + 1).value = "部分工作未按期完成。" if loss else None
            ws.cell(row + 1, grid.col("falsified") + 1).value = "否"
        for f in evaluator_form.SPEC.fields:
            wb[f.sheet].cell(f.row + 1, f.col + 1).value = "2026-12-20" if f.kind == "date" else "李建国"
        wb.save(folder / src.name)


@pytest.fixture
def province(tmp_path) -> Path:
    return init(tmp_path / "考评台账.xlsx", "province")


def run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    return out.out


def hold(office: Path, period: str, capsys) -> None:
    """Generate the period's evaluator forms, fill them as the departments would, collect them."""
    run(capsys, "generate", str(office), "--period", period, "--kind", "evaluator")
    scheme = load_scheme(FileOfficeBook(office))
    forms = sorted((office.parent / "输出" / f"{scheme.settings.year}{period}" / "表格").rglob("*.xlsx"))
    order = [i.code for i in scheme.indicators]
    fill_evaluator_forms(forms, office.parent / f"提交-{period}", period, order)
    out = run(capsys, "collect", str(office), "--period", period, "--from", str(office.parent / f"提交-{period}"))
    assert "待更正" not in out and "退回" not in out, out


def ranking(office: Path) -> dict[str, dict]:
    frame = FileOfficeBook(office).read_sheet("总排名")
    return {r["单位代码"]: r for r in frame.to_dict("records")}


def test_province_collected_period_by_period_scores_as_seed_001(province, capsys, tmp_path):
    hold(province, "半年", capsys)
    out = run(capsys, "score", str(province))
    first = ranking(province)[CITY]
    # an interim result: 半年 only, labelled as such on the sheet and on the screen
    assert first["总分"] == pytest.approx(883.0) and first["结果"] == "阶段性结果（半年）"
    assert "阶段性结果（半年）" in out

    hold(province, "第三季度", capsys)
    hold(province, "年终", capsys)
    run(capsys, "score", str(province))
    year = ranking(province)[CITY]
    assert year["结果"] == "年度结果"
    assert year["总分"] == pytest.approx(966.45)
    assert year["等次"] == "优秀"  # ≥ 900 on the province's 1,000-point scale
    assert year["半年得分"] == pytest.approx(883) and year["第三季度得分"] == pytest.approx(941.5)
    assert year["年终得分"] == pytest.approx(980)

    # every period's marks stay in the record; export lists all three
    export = tmp_path / "全年.csv"
    run(capsys, "export", str(province), "--marks", str(export))
    with open(export, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["考评期"] for r in rows} == {"半年", "第三季度", "年终"}
    assert list(rows[0]) == ["单位代码", "单位名称", "考评期", "来源", "指标代码", "评价者", "项目", "值", "文件", "工作表", "单元格"]
    c03 = [r for r in rows if r["单位代码"] == CITY and r["项目"] == "考评得分" and r["考评期"] == "半年"]
    assert len(c03) == 117 and all(r["文件"].endswith(".xlsx") and r["单元格"] for r in c03)
    assert export.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it as Chinese


def test_a_missing_process_period_keeps_process_at_20_percent(province, capsys):
    hold(province, "半年", capsys)
    hold(province, "年终", capsys)
    run(capsys, "score", str(province))
    row = ranking(province)[CITY]
    assert row["总分"] == pytest.approx(960.6)  # 0.2 × 883 + 0.8 × 980, not 883 / 9 + 980 × 8 / 9
    assert row["结果"] == "年度结果"


def test_recollecting_a_period_replaces_only_that_period(province, capsys, tmp_path):
    hold(province, "半年", capsys)
    hold(province, "年终", capsys)
    scheme = load_scheme(FileOfficeBook(province))

    def marks() -> dict[str, int]:
        with Record.for_book(FileOfficeBook(province), scheme) as record:
            current = record.current_marks()
            receipts = record.count("receipts")
        return current.groupby("period").size().to_dict() | {"receipts": receipts}

    before = marks()
    # the same folder again: nothing changes, not even a new receipt
    run(capsys, "collect", str(province), "--period", "半年", "--from", str(province.parent / "提交-半年"))
    assert marks() == before
    # 半年 again with one department's form corrected (a new file): 半年 changes, 年终 does not
    folder = province.parent / "提交-半年"
    first = sorted(folder.glob("*.xlsx"))[0]
    corrected = folder / ("更正_" + first.name)
    openpyxl.load_workbook(first).save(corrected)  # saved again: other bytes, the same form
    os.utime(corrected, (time.time() + 60, time.time() + 60))  # the newer file of the same form
    run(capsys, "collect", str(province), "--period", "半年", "--from", str(folder))
    after = marks()
    assert after["年终"] == before["年终"] and after["半年"] == before["半年"]  # the same form, replaced
    assert after["receipts"] == before["receipts"] + 1
    with Record.for_book(FileOfficeBook(province), scheme) as record:
        verdicts = dict(record.db.execute("SELECT file, verdict FROM receipts WHERE period='半年'").fetchall())
    assert verdicts[first.name] == "被替代" and verdicts[corrected.name] == "已收到"


def test_interim_feedback_says_so(province, capsys):
    """Feedback written before 年终 is labelled 阶段性结果 with the periods it covers."""
    hold(province, "半年", capsys)
    run(capsys, "score", str(province))
    run(capsys, "feedback", str(province), "--period", "半年")
    report = next((province.parent / "输出" / "2026半年" / "反馈").glob(f"*_{CITY}_*.xlsx"))
    ws = openpyxl.load_workbook(report)["绩效反馈"]
    assert "阶段性结果" in ws["A1"].value and "覆盖：半年" in ws["A2"].value

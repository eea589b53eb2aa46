"""A verb with nothing to work on, or a workbook it must not touch, stops with a Chinese sentence and writes
nothing (issue 11, guards)."""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest

from xlplugin.cli import main


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_collect_from_a_folder_that_does_not_exist_writes_nothing(office, capsys):
    before = sha(office)
    code, text = run(capsys, "collect", str(office), "--from", str(office.parent / "提 交"))
    assert code == 1
    assert "提交文件夹不存在" in text and "Traceback" not in text
    assert sha(office) == before and not (office.parent / "备份").exists()


def test_collect_from_an_empty_folder_writes_nothing(office, capsys):
    (office.parent / "空").mkdir()
    before = sha(office)
    code, text = run(capsys, "collect", str(office), "--from", str(office.parent / "空"))
    assert code == 1 and "没有任何文件" in text
    assert sha(office) == before


@pytest.mark.parametrize("lock", ["~${}", ".~lock.{}#"])
def test_a_workbook_open_in_a_spreadsheet_application_is_not_rewritten(office, capsys, lock):
    """Excel/WPS leave ~$name.xlsx, LibreOffice .~lock.name.xlsx# beside an open workbook."""
    (office.parent / "提交").mkdir(exist_ok=True)
    shutil.copy(next((office.parent / "输出").rglob("*_D001_*.xlsx")), office.parent / "提交")
    (office.parent / lock.format(office.name)).write_text("user")
    before = sha(office)
    code, text = run(capsys, "collect", str(office))
    assert code == 1 and "正在被" in text and "关闭" in text
    assert sha(office) == before and not (office.parent / "备份").exists()
    (office.parent / lock.format(office.name)).unlink()
    code, _ = run(capsys, "collect", str(office))
    assert code == 0 and sha(office) != before


@pytest.mark.parametrize("mode", [0o644, 0o664, 0o640])
def test_rewriting_the_workbook_keeps_its_permissions(office, capsys, mode):
    (office.parent / "提交").mkdir(exist_ok=True)
    shutil.copy(next((office.parent / "输出").rglob("*_D001_*.xlsx")), office.parent / "提交")
    os.chmod(office, mode)
    code, _ = run(capsys, "collect", str(office))
    assert code == 0
    assert stat.S_IMODE(os.stat(office).st_mode) == mode


@pytest.mark.parametrize("verb", ["score", "feedback"])
def test_score_and_feedback_before_anything_was_collected_refuse(office, capsys, verb):
    """Before collect there is nothing to score: no 0.00 / 较差 for everyone, no sendable feedback saying so."""
    before = sha(office)
    code, text = run(capsys, verb, str(office))
    assert code == 1
    assert "还没有收集到任何数据" in text and "collect" in text and "Traceback" not in text
    assert sha(office) == before
    assert not list(office.parent.rglob("*绩效反馈*.xlsx")) and not list(office.parent.glob("*.sqlite"))


def test_score_refuses_a_workbook_open_in_excel(office, capsys):
    (office.parent / f"~${office.name}").write_text("user")
    before = sha(office)
    code, text = run(capsys, "score", str(office))
    assert code == 1 and "正在被" in text
    assert sha(office) == before


def test_a_form_with_errors_waits_until_the_office_accepts_it(office, capsys):
    """A form with errors is 待更正: its marks are held out of scoring; typing 接受 in 提交情况's 处理 column
    makes them count at the next score, and the record keeps the decision."""
    import openpyxl

    from xlplugin.officebook import FileOfficeBook
    from xlplugin.record import Record
    from xlplugin.scheme import load_scheme

    folder = office.parent / "提交"
    folder.mkdir(exist_ok=True)
    form = next((office.parent / "输出").rglob("*_D001_*.xlsx"))
    wb = openpyxl.load_workbook(form)  # every self score 1, one left empty (a required cell): 待更正
    ws = wb["指标考评表"]
    header = [str(c.value or "").replace(" ★", "") for c in ws[4]]  # the header row; ★ marks a required input
    col = header.index("自评得分") + 1
    rows = [r for r in range(5, ws.max_row + 1) if isinstance(ws.cell(r, header.index("分值") + 1).value, (int, float))
            and ws.cell(r, header.index("指标代码") + 1).value]
    for r in rows[1:]:
        ws.cell(r, col).value = 1
    wb.save(folder / form.name)
    code, out = run(capsys, "collect", str(office))
    assert code == 0 and "待更正 1 份" in out and "处理" in out
    status = FileOfficeBook(office).read_sheet("提交情况")
    row = status[status["接收方代码"] == "D001"].iloc[0]
    assert row["状态"] == "待更正"
    scheme = load_scheme(FileOfficeBook(office))
    with Record.for_book(FileOfficeBook(office), scheme) as record:
        assert record.current_marks().empty  # held out
    code, text = run(capsys, "score", str(office))
    assert code == 1 and "还没有收集到任何数据" in text  # nothing else counts yet

    wb = openpyxl.load_workbook(office)  # the office accepts the form as it is
    ws = wb["提交情况"]
    header = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, header.index("接收方代码") + 1).value == "D001":
            ws.cell(r, header.index("处理") + 1).value = "接受"
    wb.save(office)
    code, _ = run(capsys, "score", str(office))
    assert code == 0
    ranking = FileOfficeBook(office).read_sheet("总排名")
    assert ranking.set_index("单位代码").loc["D001", "总分"] > 0
    with Record.for_book(FileOfficeBook(office), scheme) as record:
        marks = record.current_marks()
        assert set(marks["unit"]) == {"D001"} and len(marks[marks["item"] == "自评得分"]) == len(rows) - 1
        assert list(record.decisions().values()) == ["接受"]


class Phases:
    """A door's progress: records each phase a verb announces and the counts it reports."""

    def __init__(self):
        self.seen: list[str] = []

    def phase(self, label: str) -> None:
        self.seen.append(label)

    def __call__(self, done: int, total: int) -> None:
        self.seen.append(f"{done}/{total}") if done == total else None


def test_every_verb_announces_its_phases(office):
    """Each phase that can take a second is announced (the CLI prints it, Excel shows it in the status bar)."""
    from xlplugin.collect import collect
    from xlplugin.errors import UserError
    from xlplugin.officebook import FileOfficeBook
    from xlplugin.score import score

    folder = office.parent / "提交"
    folder.mkdir(exist_ok=True)
    shutil.copy(next((office.parent / "输出").rglob("*_D001_*.xlsx")), folder)
    p = Phases()
    collect(FileOfficeBook(office), progress=p)
    assert p.seen == ["读取考评台账", "读取并校验 1 个文件", "1/1", "写入考评数据文件和考评台账"]
    p = Phases()
    with pytest.raises(UserError):  # the D001 form is blank (待更正), so nothing counts: score refuses after reading
        score(FileOfficeBook(office), progress=p)
    assert p.seen == ["读取考评台账", "读取全年数据"]


def test_collect_says_where_the_backup_is(office, capsys):
    folder = office.parent / "提交"
    folder.mkdir(exist_ok=True)
    shutil.copy(next((office.parent / "输出").rglob("*_D001_*.xlsx")), folder)
    code, out = run(capsys, "collect", str(office))
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("改写前的台账已备份为："))
    backup = Path(line.split("：", 1)[1])
    assert backup.parent == office.parent / "备份" and backup.exists()

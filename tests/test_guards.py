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

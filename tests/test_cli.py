"""The command line speaks Chinese to the end: argparse's help and errors, a file that cannot be the office
workbook, and an error nobody foresaw (issue 13, point 11). No traceback reaches the user."""
from __future__ import annotations

import argparse
import random
import re
import shutil

import pytest

from xlplugin import cli, ledger
from xlplugin.officebook import FileOfficeBook
from xlplugin.scheme import load_scheme
from xlplugin.simulate import fill
from xlplugin.cli import argparse_message, build_parser, main

#: what argparse says in English when left alone (Python 3.11's strings)
ARGPARSE_ENGLISH = ("usage:", "positional arguments", "optional arguments", "options:", "show this help message",
                    "show program's version number", "the following arguments are required", "invalid choice",
                    "unrecognized arguments", "expected one argument", "invalid int value", "error:")


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every parser of the command line with the arguments that reach it: xlplugin, each command, each addin action."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, path + (name,))


def run(capsys, *argv) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse's exits: -h (0) and errors (2)
        code = e.code
    out = capsys.readouterr()
    return code, out.out + out.err


def assert_chinese(text: str) -> None:
    for english in ARGPARSE_ENGLISH:
        assert english not in text.lower(), (english, text)
    assert "Traceback" not in text and "Error" not in text


def test_every_help_text_is_chinese(capsys):
    seen = []
    for path, parser in parsers(build_parser()):
        code, text = run(capsys, *path, "-h")
        assert code == 0 and text.startswith("用法：xlplugin"), path
        assert "显示本帮助并退出" in text and "选项" in text
        assert_chinese(text)
        seen.append(path)
    assert ("collect",) in seen and ("addin", "install") in seen and len(seen) == 16
    code, text = run(capsys, "-h")
    assert "位置参数" in text and "显示版本号并退出" in text


@pytest.mark.parametrize("argv, expected", [
    (["collect"], "缺少必需的参数：台账"),
    (["send", "x.xlsx"], "缺少必需的参数：--what"),
    (["send", "x.xlsx", "--what", "post"], "--what 的值 'post' 无效，可选："),
    (["bogus"], "命令 的值 'bogus' 无效，可选："),
    (["score", "x.xlsx", "--top", "ten"], "--top 的值 'ten' 无效，应为数字"),
    (["addin"], "缺少必需的参数：操作"),
    (["check", "x.xlsx", "--verbose"], "无法识别的参数：--verbose"),
    (["collect", "x.xlsx", "--from"], "--from 后面缺少一个值"),
])
def test_argument_errors_are_chinese(capsys, argv, expected):
    code, text = run(capsys, *argv)
    assert code == 2 and "参数错误：" in text and expected in text and "xlplugin -h" in text
    assert_chinese(text)


def test_argparse_messages_it_does_not_know_pass_through():
    assert argparse_message("something new") == "something new"
    assert argparse_message("argument --a: not allowed with argument --b") == "--a 不能与 --b 同时使用"


def test_what_cannot_be_the_office_workbook_is_refused_in_chinese(tmp_path, city, capsys):
    """A folder, a PDF (as it is, or renamed .xlsx), a broken zip and a form: one sentence each, with the fix."""
    pdf = tmp_path / "方案.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    renamed = tmp_path / "方案.xlsx"
    shutil.copyfile(pdf, renamed)
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    form = city.forms("被考评单位")[0]
    cases = {
        tmp_path: "是一个文件夹，不是考评台账文件",
        pdf: "不是 Excel 工作簿（.xlsx）",
        renamed: "不是 Excel 工作簿（.xlsx）",
        broken: "文件已损坏，或不是 Excel 工作簿",
        form: "是生成给各单位填写的表格，不是考评台账",
    }
    for verb in ("check", "generate", "collect", "score"):
        for path, expected in cases.items():
            before = sorted(p.name for p in path.parent.iterdir())
            code, text = run(capsys, verb, str(path))
            assert code == 1 and expected in text, (verb, path, text)
            assert text.count("\n") == 1 and "缺少工作表" not in text  # one sentence, not 21 missing sheets
            assert_chinese(text)
            assert not re.search(r"Calamine|Zip|Xml|Errno", text)
            assert sorted(p.name for p in path.parent.iterdir()) == before  # nothing written beside it


def test_an_unexpected_error_is_a_chinese_sentence_and_a_log_for_the_maintainer(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))

    def broken(args):
        raise KeyError("内部状态")  # a bug: no verb foresaw it

    monkeypatch.setattr(cli, "cmd_check", broken)
    code, text = run(capsys, "check", "x.xlsx")
    assert code == 1
    assert text.startswith("出现意外错误，操作没有完成") and "请把这个文件发给维护人员" in text
    assert "Traceback" not in text and "KeyError" not in text
    (log,) = (tmp_path / ".xlplugin" / "logs").glob("error-*.log")
    assert str(log) in text
    details = log.read_text(encoding="utf-8")
    assert "Traceback" in details and "KeyError: '内部状态'" in details and "def broken" not in text


def test_the_ribbon_shows_a_bug_the_same_way(tmp_path, monkeypatch):
    from xlplugin.ribbon import error_message

    monkeypatch.setenv("HOME", str(tmp_path))
    text = error_message(KeyError("内部状态"))
    assert text.startswith("出现意外错误") and "Traceback" not in text and "KeyError" not in text
    assert list((tmp_path / ".xlplugin" / "logs").glob("error-*.log"))


def test_system_errors_are_said_in_chinese(tmp_path):
    from xlplugin.errors import user_message

    denied = PermissionError(13, "Permission denied", str(tmp_path / "考评台账.xlsx"))
    assert user_message(denied).startswith("错误：无法访问“") and "Permission" not in user_message(denied)
    missing = FileNotFoundError(2, "No such file or directory", "x.xlsx")
    assert user_message(missing) == "错误：找不到“x.xlsx”。请检查路径是否正确。"
    assert user_message(FileNotFoundError("找不到考评台账文件：x")) == "错误：找不到考评台账文件：x"  # ours, as it was


def test_an_internal_value_error_is_a_bug_not_the_users_mistake():
    """A ValueError from inside the library (a bug) goes to the log, not to the user as '错误：…'; the verbs'
    own refusals (UserError) still reach the user in their words."""
    from xlplugin.errors import user_message
    from xlplugin.samples import sample_frames

    assert user_message(ValueError("could not convert string to float: 'x'")) is None
    with pytest.raises(Exception) as refused:
        sample_frames("nowhere")
    assert user_message(refused.value).startswith("没有名为“nowhere”的样例（可选：city、province")


def test_collect_offers_to_prefill_the_departments_forms_once_units_reported(office, capsys):
    """Units' forms came in after the departments' forms were generated: the next step is to generate those again
    (they then show each unit's reports); once done, collecting again no longer offers it."""
    book = FileOfficeBook(office)
    scheme = load_scheme(book)
    for path in sorted((office.parent / "输出").rglob("*_绩效考评表.xlsx"))[:3]:
        fill(path, office.parent / "提交" / path.name, scheme, random.Random(1))
    code, text = run(capsys, "collect", str(office))
    assert code == 0
    assert f"下一步：xlplugin generate {office} --kind evaluator 可将各单位自评情况预填进考评部门表" in text
    step = FileOfficeBook(office).read_sheet(ledger.OVERVIEW.name)["内容"].iloc[0]
    assert "更新预填表格" in step and "--kind evaluator" in step

    assert run(capsys, "generate", str(office), "--kind", "evaluator")[0] == 0
    code, text = run(capsys, "collect", str(office))
    assert code == 0 and "--kind evaluator" not in text
    assert "更新预填表格" not in FileOfficeBook(office).read_sheet(ledger.OVERVIEW.name)["内容"].iloc[0]

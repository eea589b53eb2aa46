"""The ribbon door (xlplugin.ribbon) without Excel: its buttons' handlers, and 发送表格 / 发送反馈 on a fake ribbon.

The send buttons run the send verb and tell the clerk in a message box; here against a real SMTP server (aiosmtpd
on 127.0.0.1) and, for the message's shape, against a stand-in result. The buttons on real xlwings books are in
tests/test_excel.py.
"""
from __future__ import annotations

import random
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from xlplugin import ledger, ribbon
from xlplugin.forms import evaluator as evaluator_form, open_verified
from xlplugin.forms.read import FormFile, read_grid, read_meta
from xlplugin.scheme import load_scheme
from xlplugin.simulate import fill
from xlplugin.addin.buttons import BUTTONS
from xlplugin.officebook import FileOfficeBook


class FakeRibbon:
    """What xlplugin.ribbon.Ribbon offers a handler (office, progress, alert, activate), recorded."""

    def __init__(self, office):
        self.office, self.alerts, self.shown, self.ticks, self.cleared = office, [], [], [], 0

    def progress(self, label):
        ui = self

        class Bar:
            def __call__(self, done, total):
                ui.ticks.append((label, done, total))

            def clear(self):
                ui.cleared += 1

            def phase(self, label):
                ui.ticks.append((label, None, None))

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.clear()

        return Bar()

    def alert(self, text, critical=False):
        self.alerts.append((text, critical))

    def activate(self, sheet):
        self.shown.append(sheet)


def test_every_button_runs_a_handler():
    assert set(ribbon.HANDLERS) == {b.id for b in BUTTONS}


# ------------------------------------------------------------------------------------------ the message


@dataclass
class Sent:
    """Stands in for the send verb's result: what the ribbon reads of it."""

    lines: list[str]
    ok: bool = True
    sent: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    unknown: list = field(default_factory=list)
    no_address: list = field(default_factory=list)
    bad_address: list = field(default_factory=list)

    def summary(self) -> str:
        return "摘要"

    def details(self) -> list[str]:
        return self.lines


def test_send_shows_twelve_details_and_points_to_the_log(monkeypatch):
    calls = []

    def send(office, what, progress, resend_updated=False):
        calls.append((office, what))
        progress(3, 3)
        return Sent([f"第{i}条" for i in range(15)], ok=False, failed=["x"])

    monkeypatch.setattr(ribbon, "send", send)
    ui = FakeRibbon("台账")
    ribbon.HANDLERS["xlp_send_feedback"](ui)
    assert calls == [("台账", "feedback")] and ui.ticks == [("正在发送反馈", 3, 3)] and ui.cleared == 1
    (text, critical), = ui.alerts
    assert critical and text.startswith("摘要\n\n· 第0条\n")
    assert text.count("· ") == 12 and "第11条" in text and "第12条" not in text
    assert text.endswith(f"\n…… 另有 3 条，见“{ledger.SEND_LOG.name}”工作表。")
    assert ui.shown == [ledger.SEND_LOG.name]


def test_send_with_nothing_tried_shows_no_log(monkeypatch):
    monkeypatch.setattr(ribbon, "send", lambda office, what, progress, resend_updated=False: Sent([]))
    ui = FakeRibbon("台账")
    ribbon.HANDLERS["xlp_send_forms"](ui)
    assert ui.alerts == [("摘要", False)] and ui.shown == []


def test_send_updated_sends_the_forms_made_again(monkeypatch):
    """发送更新的表格 runs the same send as 发送表格, asking it to send again what was made again since."""
    calls = []

    def send(office, what, progress, resend_updated=False):
        calls.append((what, resend_updated))
        return Sent([])

    monkeypatch.setattr(ribbon, "send", send)
    ribbon.HANDLERS["xlp_send_updated"](FakeRibbon("台账"))
    ribbon.HANDLERS["xlp_send_forms"](FakeRibbon("台账"))
    assert calls == [("forms", True), ("forms", False)]


def test_send_clears_the_status_bar_when_it_fails(monkeypatch):
    def send(office, what, progress, resend_updated=False):
        raise ValueError("无法连接")

    monkeypatch.setattr(ribbon, "send", send)
    ui = FakeRibbon("台账")
    with pytest.raises(ValueError):
        ribbon.HANDLERS["xlp_send_forms"](ui)
    assert ui.cleared == 1 and ui.alerts == []  # on_ribbon turns the error into the message box


# ------------------------------------------------------------------------------------------ a real server


class Inbox:
    def __init__(self):
        self.got: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.got.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def edit(office: Path, sheet: str, key_column: int, key, column: str, value) -> None:
    """Set `column` of the row whose `key_column` (1-based) is `key`, adding the row when there is none."""
    wb = openpyxl.load_workbook(office)
    ws = wb[sheet]
    col = [c.value for c in ws[1]].index(column) + 1
    row = next((r for r in range(2, ws.max_row + 1) if ws.cell(r, key_column).value == key), ws.max_row + 1)
    ws.cell(row, key_column).value = key
    ws.cell(row, col).value = value
    wb.save(office)


@pytest.mark.slow
def test_send_buttons_use_the_send_verb(city, tmp_path, smtp):
    port, inbox = smtp
    shutil.copytree(city.office.parent, tmp_path / "city")
    office = tmp_path / "city" / city.office.name
    for key, value in (("SMTP服务器", "127.0.0.1"), ("SMTP端口", port), ("SMTP加密", "无")):
        edit(office, ledger.SETTINGS.name, 1, key, "值", value)
    edit(office, ledger.UNITS.name, 1, "D002", "电子邮箱", None)
    ui = FakeRibbon(FileOfficeBook(office))
    ribbon.HANDLERS["xlp_send_forms"](ui)
    (text, critical), = ui.alerts
    assert "本次发出 64 封" in text and "没有邮箱地址" in text and not critical
    assert ui.shown == [ledger.SEND_LOG.name] and ui.ticks[-1] == ("正在发送表格", 64, 64)
    assert len(inbox.got) == 64


# ------------------------------------------------------------------------------ collect, then 更新预填表格


def test_collect_offers_the_prefill_button_and_it_prefills_the_departments_forms(office):
    """Units' forms came in after the departments' were generated: the message names the button that generates the
    departments' (and the leaders') forms again, and that button does, leaving the units' forms as they were."""
    book = FileOfficeBook(office)
    scheme = load_scheme(book)
    units = sorted((office.parent / "输出").rglob("*_绩效考评表.xlsx"))
    unit_times = {p: p.stat().st_mtime_ns for p in units}
    returned = [fill(p, office.parent / "提交" / p.name, scheme, random.Random(1)) for p in units[:2]]
    ui = FakeRibbon(book)
    ribbon.HANDLERS["xlp_collect"](ui)
    (text, _), = ui.alerts
    assert "下一步：点击“更新预填表格”，把各单位的自评情况预填进考评部门评分表" in text

    ribbon.HANDLERS["xlp_prefill"](ui)
    text, critical = ui.alerts[-1]
    assert not critical and f"考评部门 {len(scheme.evaluators)} 份" in text and "领导" in text
    assert {p: p.stat().st_mtime_ns for p in units} == unit_times  # the units' forms untouched
    unit = read_meta(FormFile(returned[0])).recipient
    k01 = next((office.parent / "输出").rglob("*_K01_*.xlsx"))
    v = open_verified(k01, scheme.settings.key)
    shown = [c["self_score"] for _, _, c in read_grid(v.form, evaluator_form.SCORES, v.meta) if c["unit"] == unit]
    assert shown and all(x is not None for x in shown)

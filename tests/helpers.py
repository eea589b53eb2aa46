"""Shared test helpers: editing a workbook as a clerk or the office would (through openpyxl, as Excel or WPS
would save it). One copy here instead of one per test module."""
from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Callable

import openpyxl

from xlplugin.cli import main
from xlplugin.generate import generate
from xlplugin.officebook import FileOfficeBook
from xlplugin.scheme import load_scheme
from xlplugin.simulate import simulate_returns


def edited(src: Path, dst: Path, change: Callable) -> Path:
    """A copy of `src` changed by `change(workbook)`; protection is no obstacle. `dst` may equal `src`."""
    wb = openpyxl.load_workbook(src)
    change(wb)
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return Path(dst)


def edit(path: Path, change: Callable) -> Path:
    """Change a workbook in place."""
    return edited(path, path, change)


def set_cells(path: Path, sheet: str, changes: dict[tuple[int, str], object]) -> None:
    """Apply {(row, header): value} to a table sheet (header in row 1), as an office clerk would in Excel."""
    def change(wb):
        ws = wb[sheet]
        headers = [c.value for c in ws[1]]
        for (row, header), value in changes.items():
            ws.cell(row, headers.index(header) + 1).value = value
    edit(path, change)


def set_by_code(path: Path, sheet: str, code: str, header: str, value) -> None:
    """Set `header` of the row whose first cell is `code`."""
    def change(wb):
        ws = wb[sheet]
        col = [c.value for c in ws[1]].index(header) + 1
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, 1).value == code:
                ws.cell(r, col).value = value
    edit(path, change)


def set_settings(path: Path, **values) -> None:
    """Set 设置 items (项目 → 值), adding rows for items not there yet."""
    def change(wb):
        ws = wb["设置"]
        rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
        for key, value in values.items():
            r = rows.get(key) or ws.max_row + 1
            ws.cell(r, 1).value, ws.cell(r, 2).value = key, value
    edit(path, change)


def sheet_cell(path: Path, sheet: str, row: int, header: str):
    ws = openpyxl.load_workbook(path)[sheet]
    headers = [c.value for c in ws[1]]
    return ws.cell(row, headers.index(header) + 1).value


def play_cycle(office: Path, seed: int) -> None:
    """Clerks fill and return the forms of the workbook's year; the office collects (through the CLI)."""
    book = FileOfficeBook(office)
    forms = generate(book).paths if not any((office.parent / "输出").rglob("*.xlsx")) else \
        sorted((office.parent / "输出").rglob("*.xlsx"))
    simulate_returns(load_scheme(book), forms, office.parent / "提交", random.Random(seed),
                     resave_with_libreoffice=False)
    assert main(["collect", str(office)]) == 0


def copy_office(office: Path, parent: Path) -> Path:
    """A private copy of `office` and everything beside it (forms, record), as <parent>/2026/<name>."""
    folder = parent / "2026"
    shutil.copytree(office.parent, folder)
    return folder / office.name


def played_cycle(city, parent: Path, seed: int, scored: bool = True) -> Path:
    """A copy of the city sample whose forms were returned and collected (and scored, unless told not to)."""
    office = copy_office(city.office, parent)
    play_cycle(office, seed)
    if scored:
        assert main(["score", str(office)]) == 0
    return office

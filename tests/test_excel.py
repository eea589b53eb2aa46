"""The Excel door against a real xlwings Book from xlwings' remote engine (see DESIGN.md, "Testing with real parts").

The remote engine builds an `xw.Book` from the JSON an Excel client sends and returns what the code changed as
actions (`book.json()`), so the ribbon door (`xlplugin.ribbon`) and the xlwings adapter (`xlplugin.xlbook`) run here
against the real xlwings API, without Excel. Each ribbon
button is run on a book loaded with the office workbook's content as a client would send it, and the sheets it
writes (its actions, applied the way Excel applies them) must hold the same values as the command-line path
(FileOfficeBook) writes from the same input. Forms and feedback go to disk either way; they are compared too.
"""
from __future__ import annotations

import copy
import json
import os
import random
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # PolyForm Noncommercial (DESIGN.md)

import xlwings as xw  # noqa: E402
from xlwings.utils import col_name  # noqa: E402

from xlplugin import ledger  # noqa: E402
from xlplugin import ribbon  # noqa: E402
from xlplugin.addin.buttons import TAB  # noqa: E402
from xlplugin.collect import collect  # noqa: E402
from xlplugin.feedback import feedback as run_feedback  # noqa: E402
from xlplugin.forms.meta import META_SHEET  # noqa: E402
from xlplugin.generate import generate  # noqa: E402
from xlplugin.officebook import FileOfficeBook, table_from_rows  # noqa: E402
from xlplugin.ribbon import HANDLERS, on_ribbon  # noqa: E402
from xlplugin.samples import SAMPLE_TITLES  # noqa: E402
from xlplugin.score import score as run_score  # noqa: E402
from xlplugin.init import init as write_sample  # noqa: E402
from xlplugin.scheme import load_scheme  # noqa: E402
from xlplugin.simulate import simulate_office, simulate_returns  # noqa: E402
from xlplugin.xlbook import XlwingsOfficeBook  # noqa: E402

if "remote" not in [e.name for e in xw.engines]:  # xlwings was imported before the licence was set
    from xlwings.pro import _xlremote

    xw.engines.add(xw.Engine(impl=_xlremote.engine))

pytestmark = pytest.mark.slow  # xlwings' remote engine and whole cycles through both doors

OFFICE = "考评台账.xlsx"


# ====================================================================== what an Excel client sends and does


def _js_value(v):
    """A cell as xlwings' Office.js client sends it: empty as "", dates as ISO text, whole numbers as JSON ints."""
    if v is None or v == "":
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, date):
        return f"{v.isoformat()}T00:00:00.000Z"
    if isinstance(v, float) and v.is_integer():
        return int(v)  # JSON.stringify(85) is "85"
    return v


def _address(rows: int, cols: int) -> str:
    return f"A1:{col_name(cols)}{rows}"


def sheet_json(name: str, rows: list[list]) -> dict:
    width = max((len(r) for r in rows), default=0)
    values = [[_js_value(v) for v in r] + [""] * (width - len(r)) for r in rows]
    return {"name": name, "values": values if values and width else [[]],
            "used_range_address": _address(len(values), width) if values and width else None,
            "pictures": [], "shapes": [], "charts": [], "tables": [], "notes": [], "print_area": None,
            "visibility": "Visible", "show_gridlines": True, "pivot_tables": []}


def book_json(sheets: list[dict], fullname: str) -> dict:
    """The request body of xlwings' Office.js client (see xlwings/js/xlwings.ts), here with the workbook's full
    path as its name: the remote engine's `fullname` is the name it is given."""
    payload = {"client": "Office.js", "version": xw.__version__,
               "book": {"name": fullname, "active_sheet_index": 0, "selection": "A1"},
               "names": [], "sheets": sheets}
    return json.loads(json.dumps(payload, ensure_ascii=False))  # exactly what survives the wire


def payload_from_file(path: Path, fullname: Path) -> dict:
    wb = CalamineWorkbook.from_path(str(path))
    return book_json([sheet_json(n, wb.get_sheet_by_name(n).to_python(skip_empty_area=False))
                      for n in wb.sheet_names], str(fullname))


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")


def excel_parses(v):
    """What Excel stores for a value written with Range.values, as if typed: the text prefix ' makes text;
    otherwise formulas, numbers, dates and booleans are recognised (the reason every string needs the prefix)."""
    if not isinstance(v, str):
        return v
    if v.startswith("'"):
        return v[1:]
    if v == "":
        return None
    if v[0] in "=+-@" and not _NUMBER.match(v):
        return {"formula": v}  # never equal to a value: a test comparing values fails
    if _NUMBER.match(v):
        return float(v)
    if _DATE.match(v):
        return datetime.fromisoformat(v)
    if v.upper() in ("TRUE", "FALSE"):
        return v.upper() == "TRUE"
    return v


class Workbook:
    """The cell values of a workbook as Excel holds them, changed by applying xlwings actions."""

    def __init__(self, sheets: dict[str, list[list]]):
        self.sheets = {n: [list(r) for r in rows] for n, rows in sheets.items()}
        self.order = list(sheets)
        self.active = self.order[0] if self.order else None
        self.alerts: list[list] = []
        self.charts: dict[str, list[list]] = {}
        self.funcs: list[str] = []
        self.dropdowns: set[tuple] = set()  # (sheet, cells, allowed values)

    def apply(self, actions: list[dict]) -> "Workbook":
        for a in actions:
            f = a["func"]
            self.funcs.append(f)
            name = self.order[a["sheet_position"]] if a.get("sheet_position") is not None else None
            if f == "addSheet":
                ix, new = a["args"]
                self.order.insert(ix, new)
                self.sheets[new] = []
                self.active = new
            elif f in ("sheetClear", "sheetClearContents"):
                self.sheets[name] = []
            elif f == "sheetDelete":
                self.order.remove(name)
                del self.sheets[name]
            elif f == "activateSheet":
                self.active = self.order[a["args"][0]]
            elif f == "setValues":
                grid = self.sheets[name]
                r0, c0 = a["start_row"], a["start_column"]
                for i, row in enumerate(a["values"]):
                    while len(grid) <= r0 + i:
                        grid.append([])
                    line = grid[r0 + i]
                    for j, v in enumerate(row):
                        while len(line) <= c0 + j:
                            line.append(None)
                        line[c0 + j] = excel_parses(v)
            elif f == "alert":
                self.alerts.append(a["args"])
            elif f == "addChart":
                self.charts.setdefault(name, []).append(a["args"])
            elif f == "deleteChart":
                self.charts.get(name, [None]).pop()
            elif f == "setDataValidationList":
                source, in_cell_dropdown = a["args"]
                assert source["type"] == "literal" and in_cell_dropdown
                cells = f"{_cell_name(a['start_row'], a['start_column'])}:" \
                        f"{_cell_name(a['start_row'] + a['row_count'] - 1, a['start_column'] + a['column_count'] - 1)}"
                self.dropdowns.add((name, cells, tuple(source["values"])))
        return self

    def frame(self, name: str) -> pd.DataFrame:
        rows = self.sheets[name]
        width = max((len(r) for r in rows), default=0)
        return table_from_rows([r + [None] * (width - len(r)) for r in rows])


def _cell_name(row: int, column: int) -> str:
    """A1 name of a 0-based cell."""
    return f"{col_name(column + 1)}{row + 1}"


def file_dropdowns(path: Path) -> set[tuple]:
    """(sheet, cells, allowed values) of every list validation in a workbook file."""
    wb = openpyxl.load_workbook(path)
    return {(ws.title, str(dv.sqref), tuple(dv.formula1.strip('"').split(",")))
            for ws in wb.worksheets for dv in ws.data_validations.dataValidation if dv.type == "list"}


def file_workbook(path: Path) -> Workbook:
    wb = CalamineWorkbook.from_path(str(path))
    return Workbook({n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names})


def click(control_id: str, payload: dict) -> tuple[xw.Book, Workbook]:
    """Run a ribbon button on a remote book made from `payload`, as xw.Book.caller() returns it in Excel."""
    book = xw.Book(json=copy.deepcopy(payload))  # the engine changes the dict it is given
    book.set_mock_caller()
    try:
        on_ribbon(control_id)
    finally:
        del xw.Book._mock_caller
    before = Workbook({s["name"]: [[None if v == "" else v for v in r] for r in s["values"]] for s in payload["sheets"]})
    return book, before.apply(book.json()["actions"])


def _cell(v):
    """A value as compared: every number a float, timestamps to the second, empty (None, NaN) as None."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return None if v != v else float(v)
    if isinstance(v, (datetime, pd.Timestamp, date)):  # calamine gives a date for a date-only format
        return pd.Timestamp(v).floor("s").to_pydatetime()
    return v


def cells(frame: pd.DataFrame) -> list[list]:
    return [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def assert_same_sheet(excel_frame: pd.DataFrame, file_frame: pd.DataFrame, name: str) -> None:
    assert list(excel_frame.columns) == list(file_frame.columns), name
    assert list(excel_frame.index) == list(file_frame.index), name
    assert cells(excel_frame) == cells(file_frame), name


def form_values(path: Path) -> dict:
    wb = CalamineWorkbook.from_path(str(path))
    out = {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
    if META_SHEET in out:  # the generation time differs between two runs
        out[META_SHEET] = [r for r in out[META_SHEET] if r[:1] != ["生成时间"]]
    for rows in out.values():  # and so does the time a leader form's scores so far are "as of" (截至 …)
        for row in rows:
            row[:] = [AS_OF.sub("截至 …", v) if isinstance(v, str) else v for v in row]
    return out


AS_OF = re.compile(r"截至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def assert_same_files(cli_paths: list[Path], cli_root: Path, xl_root: Path) -> None:
    """The same files, with the same cell values, under the same folder of cli/ and xl/."""
    rel = sorted(p.relative_to(cli_root) for p in cli_paths)
    assert rel, "nothing written"
    folder = Path(os.path.commonpath([p.parent for p in rel]))
    assert sorted(p.relative_to(xl_root) for p in (xl_root / folder).rglob("*.xlsx")) == rel
    for p in rel:
        assert form_values(xl_root / p) == form_values(cli_root / p), p


# ====================================================================== the cycle, through both doors


class Cycle:
    """The command line's cycle on a file in cli/, and beside it, for each button, the same input in xl/."""

    def __init__(self, root: Path):
        self.cli, self.xl = root / "cli", root / "xl"
        self.cli.mkdir()
        self.xl.mkdir()
        self.office = self.cli / OFFICE

    def payload(self) -> dict:
        """The CLI's office workbook as it stands now, as Excel would send it from xl/考评台账.xlsx."""
        shutil.copy2(self.office, self.xl / OFFICE)
        return payload_from_file(self.office, self.xl / OFFICE)


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> dict:
    """Every step of the cycle through both doors; what each wrote, for the tests below."""
    c = Cycle(tmp_path_factory.mktemp("doors"))
    out: dict = {"cycle": c}

    # 初始化台账: in an empty saved workbook; the CLI writes the same sample to a file
    empty = book_json([sheet_json("Sheet1", [])], str(c.xl / OFFICE))
    out["init"] = click("xlp_init", empty)
    write_sample(c.office, "city")
    out["init_file"] = file_workbook(c.office)
    out["init_dropdowns"] = file_dropdowns(c.office)

    # 生成表格
    payload = c.payload()
    out["generate_cli"] = generate(FileOfficeBook(c.office))
    out["generate"] = click("xlp_generate", payload)

    # the clerks send their forms back (the same files, same times, in both folders)
    scheme = load_scheme(FileOfficeBook(c.office))
    simulate_returns(scheme, out["generate_cli"].paths, c.cli / "提交", random.Random(2026), resave_with_libreoffice=False)
    shutil.copytree(c.cli / "提交", c.xl / "提交", copy_function=shutil.copy2)

    # 收集汇总
    payload = c.payload()
    out["collect_cli"] = collect(FileOfficeBook(c.office))
    out["collect"] = click("xlp_collect", payload)
    out["collected_file"] = file_workbook(c.office)

    # 更新预填表格: the departments' and the leaders' forms again, now showing what was collected
    payload = c.payload()
    out["prefill_cli"] = generate(FileOfficeBook(c.office), kinds=["evaluator", "leader"])
    out["prefill"] = click("xlp_prefill", payload)

    # the office's own entries between collect and score
    simulate_office(FileOfficeBook(c.office), scheme, random.Random(7))

    # 计算排名
    payload = c.payload()
    out["score_cli"] = run_score(FileOfficeBook(c.office))
    out["score"] = click("xlp_score", payload)
    out["scored_file"] = file_workbook(c.office)

    # 生成反馈
    payload = c.payload()
    out["feedback_cli"] = run_feedback(FileOfficeBook(c.office))
    out["feedback"] = click("xlp_feedback", payload)
    out["payload"] = c.payload()
    return out


def test_every_button_has_a_test():
    tested = {"xlp_init", "xlp_init_county", "xlp_init_province", "xlp_generate", "xlp_collect", "xlp_prefill", "xlp_score", "xlp_whatif", "xlp_feedback", "xlp_send_forms",
              "xlp_send_updated", "xlp_send_feedback", "xlp_open_output", "xlp_help"}
    assert set(HANDLERS) == tested


def test_adapter_reads_every_sheet_as_the_file_adapter_does(city_office, tmp_path):
    book = XlwingsOfficeBook(xw.Book(json=payload_from_file(city_office, city_office)))
    files = FileOfficeBook(city_office)
    assert book.sheet_names() == files.sheet_names()
    assert book.folder == city_office.parent
    for name in files.sheet_names():
        assert_same_sheet(book.read_sheet(name), files.read_sheet(name), name)
    assert load_scheme(book) == load_scheme(files)


def test_init_writes_the_sample_as_the_cli_does(cycle):
    _, wb = cycle["init"]
    cli = cycle["init_file"]
    assert wb.order == ["Sheet1"] + cli.order  # the workbook's own sheet stays, the sample's follow
    for name in cli.order:
        a, b = wb.frame(name), cli.frame(name)
        if name == "设置":  # a fresh signing key each time
            key = a["项目"] == "签名密钥"
            assert re.fullmatch(r"[0-9a-f]{64}", a.loc[key, "值"].iloc[0])
            a, b = a[~key], b[b["项目"] != "签名密钥"]
        assert_same_sheet(a, b, name)
    assert wb.active == "设置"
    assert "已在本工作簿中创建样例考评台账" in wb.alerts[-1][0]


@pytest.mark.parametrize("control_id, sample", [("xlp_init_county", "county"), ("xlp_init_province", "province")])
def test_the_init_menu_writes_the_sample_chosen(tmp_path, control_id, sample):
    """初始化台账's menu: 市对县（区） writes the county sample (with its 定等分值 sheet), 省对市 the province's, as
    `xlplugin init --sample` does."""
    _, wb = click(control_id, book_json([sheet_json("Sheet1", [])], str(tmp_path / OFFICE)))
    cli = write_sample(tmp_path / "cli" / OFFICE, sample)
    files = file_workbook(cli)
    assert wb.order == ["Sheet1"] + files.order
    for name in files.order:
        if name != "设置":  # (a fresh signing key each time)
            assert_same_sheet(wb.frame(name), files.frame(name), name)
    assert SAMPLE_TITLES[sample] in wb.alerts[-1][0]


def test_init_sets_the_dropdowns_the_cli_does(cycle):
    _, wb = cycle["init"]
    assert wb.dropdowns == cycle["init_dropdowns"]
    assert {sheet for sheet, _, _ in wb.dropdowns} == {ledger.INDICATORS.name, ledger.COMPONENTS.name,
                                                       ledger.PERIODS.name, ledger.APPEALS.name}


def test_init_without_data_validation_still_writes_the_sample(tmp_path):
    """A remote client other than Office.js has no data validation: the sample is written without dropdowns."""
    payload = book_json([sheet_json("Sheet1", [])], str(tmp_path / OFFICE))
    payload["client"] = "Microsoft Office"  # xlwings' VBA client of the remote engine
    book, wb = click("xlp_init", payload)
    assert "setDataValidationList" not in wb.funcs and not wb.dropdowns
    assert ledger.INDICATORS.name in wb.order and len(wb.frame(ledger.INDICATORS.name)) > 10
    prompt, _, _, mode, _ = wb.alerts[-1]
    assert "已在本工作簿中创建样例考评台账" in prompt and mode == "info"


def test_init_refuses_a_workbook_that_already_is_an_office_workbook(cycle):
    _, wb = click("xlp_init", cycle["payload"])
    assert [f for f in wb.funcs if f != "alert"] == []  # nothing touched
    assert "未作任何改动" in wb.alerts[0][0]


def test_generate_writes_the_same_forms(cycle):
    c = cycle["cycle"]
    _, wb = cycle["generate"]
    assert [f for f in wb.funcs if f != "alert"] == []  # reads only
    assert_same_files(cycle["generate_cli"].paths, c.cli, c.xl)
    assert wb.alerts[-1][0] == cycle["generate_cli"].summary().replace(str(c.cli), str(c.xl))


def test_collect_writes_the_same_sheets(cycle):
    _, wb = cycle["collect"]
    cli = cycle["collected_file"]
    for name in (ledger.STATUS.name, ledger.ISSUES.name, ledger.MARKS.name, ledger.BONUS.name):
        assert_same_sheet(wb.frame(name), cli.frame(name), name)
    assert len(wb.frame(ledger.MARKS.name)) > 500  # one row per unit × indicator


def test_prefill_writes_the_departments_and_leaders_forms_as_the_cli_does(cycle):
    c = cycle["cycle"]
    _, wb = cycle["prefill"]
    assert [f for f in wb.funcs if f != "alert"] == []  # reads only
    cli = cycle["prefill_cli"]
    assert set(cli.counts) == {"evaluator", "leader"}
    for path in cli.paths:  # the same forms, written again in both folders (the units' forms stay as they were)
        rel = path.relative_to(c.cli)
        assert form_values(c.xl / rel) == form_values(path), rel
    assert wb.alerts[-1][0].startswith(cli.summary().replace(str(c.cli), str(c.xl)))


def test_collect_keeps_formula_text_as_text(cycle):
    book, wb = cycle["collect"]
    marks = wb.frame(ledger.MARKS.name)
    assert '=HYPERLINK("http://x","点击")' in set(marks["情况说明"])  # simulate_returns typed it in a form
    written = [v for a in book.json()["actions"] if a["func"] == "setValues" for row in a["values"] for v in row]
    assert all(not (isinstance(v, str) and v and v[0] in "=+-@") for v in written)


def test_collect_with_problems_shows_the_issues_sheet_and_a_message(cycle):
    _, wb = cycle["collect"]
    assert wb.active == ledger.ISSUES.name
    prompt, title, _, mode, _ = wb.alerts[-1]
    assert title == "绩效考评" and mode == "critical"
    assert "校验问题" in prompt and "发现" in prompt


def test_score_writes_the_same_sheets_and_the_chart(cycle):
    book, wb = cycle["score"]
    cli = cycle["scored_file"]
    sheets = cycle["score_cli"].sheets
    for name in sheets:
        assert_same_sheet(wb.frame(name), cli.frame(name), name)
    assert len(wb.charts[ledger.DISTRIBUTION.name]) == 1
    assert wb.active == ledger.RANKING.name
    assert "前 5 名" in wb.alerts[-1][0]


def test_score_writes_each_table_in_one_call(cycle):
    book, _ = cycle["score"]
    values = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    assert len(values) == len(cycle["score_cli"].sheets)
    assert len(book.json()["actions"]) <= 40  # the benchmark counts them for 200 units: benchmarks/bench_excel.py


def test_score_again_rewrites_the_sheets_in_place(cycle, tmp_path):
    """A second click finds the result sheets (and the chart) it wrote and clears them instead of adding more."""
    c = cycle["cycle"]
    payload = c.payload()
    for s in payload["sheets"]:
        if s["name"] == ledger.DISTRIBUTION.name:
            s["charts"] = [{"name": f"Chart {k}", "chart_type": "ColumnClustered", "left": 0, "top": 0,
                            "width": 480, "height": 260} for k in (1, 2)]  # e.g. one the office added
    book, wb = click("xlp_score", payload)
    assert "addSheet" not in wb.funcs and wb.funcs.count("sheetClear") == len(cycle["score_cli"].sheets)
    deleted = [a["args"] for a in book.json()["actions"] if a["func"] == "deleteChart"]
    assert deleted == [[1], [0]] and wb.funcs.count("addChart") == 1  # by position, so from the last
    cli = file_workbook(c.office)
    for name in cycle["score_cli"].sheets:
        assert_same_sheet(wb.frame(name), cli.frame(name), name)


def test_whatif_writes_the_simulation_beside_the_official_results(cycle):
    """方案模拟 with nothing changed: 模拟结果 lists every unit with no move; the official sheets are not written."""
    _, wb = click("xlp_whatif", cycle["payload"])
    table = wb.frame(ledger.WHATIF_RESULTS.name)
    assert "方案模拟" in wb.alerts[0][0] and "正式结果没有改动" in wb.alerts[0][0]
    units = table.dropna(subset=["单位代码"])
    assert len(units) == len(cycle["score_cli"].ranking) and (units["总分变化"] == 0).all()


def test_feedback_writes_the_same_files(cycle):
    c = cycle["cycle"]
    _, wb = cycle["feedback"]
    assert [f for f in wb.funcs if f != "alert"] == []
    assert_same_files(cycle["feedback_cli"].paths, c.cli, c.xl)
    assert wb.alerts[-1][0] == cycle["feedback_cli"].summary().replace(str(c.cli), str(c.xl))


def test_open_output_folder(cycle, monkeypatch):
    opened = []
    monkeypatch.setattr(ribbon, "open_folder", opened.append)
    _, wb = click("xlp_open_output", cycle["payload"])
    assert opened == [cycle["cycle"].xl / "输出" / "2026年终"]
    assert wb.alerts == []


@pytest.mark.parametrize("control_id", ["xlp_send_forms", "xlp_send_updated", "xlp_send_feedback"])
def test_send_buttons_run_the_send_verb(cycle, control_id):
    """The buttons run the same send as the CLI (tested against a real SMTP server in test_mail); here no
    server listens on the sample's 127.0.0.1:8025, and the clerk is told so in Chinese, in a message box."""
    _, wb = click(control_id, cycle["payload"])
    (message, title, _, style, _), = wb.alerts
    assert "无法连接邮件服务器 127.0.0.1:8025" in message and style == "critical"


def test_help_lists_every_button(cycle):
    _, wb = click("xlp_help", cycle["payload"])
    text = wb.alerts[0][0]
    controls = [c for g in TAB.groups for c in g.buttons if c.id != "xlp_help"]  # a menu by its own label
    assert all(c.label in text for c in controls)


def test_unsaved_workbook_is_told_to_save_first(cycle):
    payload = json.loads(json.dumps(cycle["payload"]))
    payload["book"]["name"] = "工作簿1"
    _, wb = click("xlp_generate", payload)
    prompt, _, _, mode, _ = wb.alerts[0]
    assert "还没有保存" in prompt and mode == "critical"


def test_scheme_errors_reach_the_user_in_chinese(cycle):
    payload = json.loads(json.dumps(cycle["payload"]))
    payload["sheets"] = [s for s in payload["sheets"] if s["name"] != "单位"]
    _, wb = click("xlp_score", payload)
    prompt, _, _, mode, _ = wb.alerts[0]
    assert mode == "critical" and "单位" in prompt
    assert "setValues" not in wb.funcs


def test_unknown_button(cycle):
    _, wb = click("xlp_nonsense", cycle["payload"])
    assert "未知的按钮" in wb.alerts[0][0]


def test_written_text_that_looks_like_a_formula_number_or_date_stays_text(tmp_path):
    book = xw.Book(json=book_json([sheet_json("Sheet1", [])], str(tmp_path / OFFICE)))
    frame = pd.DataFrame({"文字": ["=1+1", "+86 138", "-5", "@SUM(A1)", "001", "2027-01-15", "TRUE", "'引号", ""],
                          "数": [1, 2.5, None, float("nan"), 0, -1, 3, 4, 5]})
    XlwingsOfficeBook(book).write_sheets({"测试": frame})
    wb = Workbook({"Sheet1": []}).apply(book.json()["actions"])
    got = wb.frame("测试")
    assert got["文字"].tolist() == ["=1+1", "+86 138", "-5", "@SUM(A1)", "001", "2027-01-15", "TRUE", "'引号", None]
    assert [_cell(v) for v in got["数"]] == [1.0, 2.5, None, None, 0.0, -1.0, 3.0, 4.0, 5.0]

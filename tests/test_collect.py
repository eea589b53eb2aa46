"""collect reads every returned file, checks it, and gathers the marks into the office workbook.

What a user checks is what is asserted: the sheets 提交情况 / 校验问题 / 汇总数据 as they stand in the office
workbook after collect (read back with openpyxl). Most checks share one submission folder ("the batch"):
the good forms of several units, departments, rater groups and leaders, and beside them one crafted file
per mistake. Every test on the batch also checks that the good files around its crafted file were still
collected in full.
"""
from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill

from tests.conftest import requires_soffice
from helpers import edited
from xlplugin import ledger
from xlplugin.record import DEFAULT_NAME as RECORD, Record
from xlplugin.score import score
from xlplugin.cli import main
from xlplugin.collect import LATE, MISSING, PENDING, RECEIVED, REJECTED, SUPERSEDED, CollectResult, collect
from xlplugin.forms import KINDS, leader as leader_form, unit as unit_form
from xlplugin.forms.spec import Recipient
from xlplugin.forms.meta import LAYOUT_VERSION, META_SHEET
from xlplugin.forms.read import FormFile, read_meta
from xlplugin.intake import OLE_MAGIC, _sheet_parts
from xlplugin.officebook import FileOfficeBook
from xlplugin.scheme import Scheme, Unit
from xlplugin.simulate import fill

OWN_SHEETS = (ledger.STATUS.name, ledger.ISSUES.name, ledger.MARKS.name)
IND = unit_form.INDICATORS.sheet  # 指标考评表
REPORT = unit_form.REPORT_SHEET  # 自评报告
BONUS = unit_form.BONUS_SHEET  # 加分申报
RANK = leader_form.RANKS.letter("rank")  # the leader form's 名次 column
# the city sample's unit forms all start with the same common indicators: GX01 (text target) on row 7,
# GX02 (target 100) on row 8, GX04 (target 100) on row 11, GX05 (target 100) on row 13; columns:
# E 分值, K 实际完成值, M 自评得分, N 情况说明, O 佐证材料; the second bonus claim is on row 6 of 加分申报
# (the `filled` fixture checks these places)
ON_TIME = datetime(2027, 1, 10, 9, 30)  # the city sample's deadline is 2027-01-15
LATE_TIME = datetime(2027, 1, 17, 16, 0)


# ------------------------------------------------------------------------------------------------ helpers


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stamp(path: Path, when: datetime) -> Path:
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def typed_text(ws, ref: str, value: str) -> None:
    """What a clerk types as text: kept as a string even when it starts with '=' (Excel's leading apostrophe)."""
    ws[ref].value = value
    ws[ref].data_type = "s"


def rezipped(src: Path, dst: Path, replace_members: dict[str, bytes] | None = None,
             add: dict[str, bytes] | None = None) -> Path:
    """A copy of the zip container `src` with some members replaced or added (raw bytes)."""
    replace_members, add = replace_members or {}, add or {}
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            out.writestr(info.filename, replace_members.get(info.filename, z.read(info.filename)))
        for name, data in add.items():
            out.writestr(name, data)
    return dst


def sheet_member(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as z:
        return _sheet_parts(z)[sheet]


def ole_container(stream_names: list[str]) -> bytes:
    """A compound-file (OLE2) container: the 512-byte header, then directory entries naming the streams
    (UTF-16 names, 128 bytes each), as legacy .xls files and password-encrypted .xlsx files are stored."""
    header = OLE_MAGIC + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(512 - 32)
    entries = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + bytes(64) for name in ["Root Entry", *stream_names])
    return header + entries.ljust(512 * 4, b"\0")


def sheet_dicts(wb, name: str) -> list[dict]:
    rows = list(wb[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def own_sheet_values(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {name: list(wb[name].iter_rows(values_only=True)) for name in OWN_SHEETS}


def unit_code(path: Path) -> str:
    return read_meta(FormFile(path)).recipient


def n_indicators(scheme: Scheme, code: str) -> int:
    return len(scheme.indicators_for(scheme.unit_by_code[code]))


def _fill_one(args) -> Path:
    src, dst, scheme, seed = args
    return fill(src, dst, scheme, random.Random(seed))


# ------------------------------------------------------------------------------------------------ fixtures


@dataclass
class Filled:
    scheme: Scheme
    office: Path  # the session's city office workbook: copy before writing to it
    paths: dict[str, Path]  # recipient code → the form filled in by a simulated clerk (read-only)


@pytest.fixture(scope="module")
def filled(city, tmp_path_factory) -> Filled:
    """Every form of the city sample, filled in realistically (two processes: ~0.1 s per form)."""
    folder = tmp_path_factory.mktemp("filled")
    codes = {read_meta(FormFile(p)).recipient: p for p in city.result.paths}
    jobs = [(src, folder / src.parent.name / src.name, city.scheme, n) for n, src in enumerate(sorted(codes.values()))]
    with ProcessPoolExecutor(2) as pool:
        done = list(pool.map(_fill_one, jobs))
    paths = {unit_code(p): p for p in done}
    assert set(paths) == set(codes)
    # the fixed cells the crafted files below edit (see the comment at the top)
    for code in [f"D0{n}" for n in range(17, 32)]:
        rows = {(s, r): i for s, r, i in read_meta(FormFile(paths[code])).rows}
        assert [rows[(IND, r)] for r in (6, 7, 10, 12)] == ["GX01", "GX02", "GX04", "GX05"]
        assert rows[(BONUS, 5)] == "2"  # the second bonus claim: row 6
    leader_rows = [r for s, r, i in read_meta(FormFile(paths["L04"])).rows if s == leader_form.SHEET]
    assert leader_rows[:2] == [5, 6]  # ranks in row 6 and 7 of the rank column (RANK below)
    return Filled(city.scheme, city.office, paths)


GOOD = ("D001", "D002", "D003", "D004", "D005", "D006", "D007", "D008", "D009", "D010",
        "K01", "K02", "P01", "P02", "L02", "L03")


@dataclass
class Batch:
    scheme: Scheme
    office: Path
    folder: Path  # the submission folder
    result: CollectResult
    wb: openpyxl.Workbook  # the office workbook after collect, as openpyxl reads it
    status: list[dict]
    issues: list[dict]
    marks: list[dict]
    good: dict[str, str]  # code → file name of the good files
    crafted: dict[str, str]  # what is wrong → file name
    files_before: dict[str, str]  # file name → sha256 before collect
    office_before: str  # sha256 of the office workbook before collect
    office_hash_after: str

    def status_of(self, name: str) -> list[dict]:
        return [r for r in self.status if r["文件"] == name]

    def issues_of(self, name: str) -> list[dict]:
        return [r for r in self.issues if r["文件"] == name]

    def marks_of(self, name: str) -> list[dict]:
        return [r for r in self.marks if r["文件"] == name]

    def recorded(self, name: str) -> list[dict]:
        """The marks the year's record keeps for a file, whether they count or not."""
        with Record.for_book(FileOfficeBook(self.office), self.scheme) as record:
            rows = record.db.execute("SELECT m.cell, m.item, m.value FROM marks m JOIN receipts r ON m.receipt = r.id"
                                     " WHERE r.file = ?", (name,)).fetchall()
        return [{"单元格": c, "项目": i, "值": v} for c, i, v in rows]

    def mark(self, name: str, cell: str, item: str | None = None):
        found = [r for r in self.marks_of(name) if r["单元格"] == cell and (item is None or r["项目"] == item)]
        assert len(found) <= 1, found
        return found[0]["值"] if found else None

    def rejected(self, what: str) -> list[dict]:
        """The crafted file for `what` is sent back as a whole: 退回, no marks, at least one 错误 naming it."""
        name = self.crafted[what]
        rows = self.status_of(name)
        assert [r["状态"] for r in rows] == [REJECTED], (what, rows)
        assert rows[0]["SHA256"] == self.files_before[name]
        assert self.marks_of(name) == []
        issues = self.issues_of(name)
        assert issues and all(i["级别"] == "错误" for i in issues), issues
        assert all(i["处理建议"] for i in issues)
        return issues

    def assert_good_collected(self) -> None:
        for code, name in self.good.items():
            rows = self.status_of(name)
            assert len(rows) == 1 and rows[0]["状态"] == RECEIVED and rows[0]["接收方代码"] == code, rows
            assert rows[0]["问题数"] == 0 and self.issues_of(name) == []
            marks = self.marks_of(name)
            assert marks, name
            if code.startswith("D"):
                scores = [m for m in marks if m["项目"] == "自评得分"]
                assert len(scores) == n_indicators(self.scheme, code)
                assert {m["单位代码"] for m in marks} == {code}


def _build_batch(filled: Filled, folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Write the batch's submission folder: good files and one crafted file per mistake."""
    scheme, paths = filled.scheme, filled.paths
    folder.mkdir(parents=True)
    good = {}
    for code in GOOD:
        dst = folder / paths[code].name
        shutil.copy(paths[code], dst)
        good[code] = dst.name
    crafted: dict[str, Path] = {}

    def unit(code: str, name: str, change=None) -> Path:
        dst = folder / name
        if change is None:
            shutil.copy(paths[code], dst)
        else:
            edited(paths[code], dst, change)
        return dst

    # -- not an xlsx
    crafted["legacy xls"] = folder / "市某局_自评表.xls"
    crafted["legacy xls"].write_bytes(ole_container(["Workbook", "\x05SummaryInformation"]))
    xlsm = folder / "D011_启用宏.xlsm"
    with zipfile.ZipFile(paths["D011"]) as z:
        types = z.read("[Content_Types].xml").decode()
    types = types.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                          "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    types = types.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    assert "macroEnabled" in types
    crafted["macros"] = rezipped(paths["D011"], xlsm, {"[Content_Types].xml": types.encode()},
                                 {"xl/vbaProject.bin": ole_container(["VBA", "PROJECT"]) + b"Sub Auto_Open()"})
    crafted["encrypted"] = folder / "D012_加密.xlsx"
    crafted["encrypted"].write_bytes(ole_container(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"]))
    data = paths["D012"].read_bytes()
    crafted["truncated"] = folder / "D012_传输中断.xlsx"
    crafted["truncated"].write_bytes(data[: len(data) // 2])
    crafted["empty"] = folder / "空文件.xlsx"
    crafted["empty"].write_bytes(b"")
    crafted["pdf renamed"] = folder / "情况说明.xlsx"
    crafted["pdf renamed"].write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    # a sound zip whose data sheet's XML is cut short (the meta sheet still reads: the sheet fails later)
    member = sheet_member(paths["D032"], IND)
    with zipfile.ZipFile(paths["D032"]) as z:
        xml = z.read(member)
    crafted["sheet xml cut"] = rezipped(paths["D032"], folder / "D032_工作表损坏.xlsx", {member: xml[: len(xml) // 2]})
    crafted["docx renamed"] = folder / "自评报告.xlsx"
    with zipfile.ZipFile(crafted["docx renamed"], "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document><w:body><w:p><w:r><w:t>自评报告</w:t></w:r></w:p></w:body></w:document>")

    # -- meta and signature
    crafted["meta deleted"] = unit("D015", "D015_无元数据.xlsx", lambda wb: wb.remove(wb[META_SHEET]))
    crafted["meta broken"] = unit("D016", "D016_元数据损坏.xlsx", lambda wb: wb[META_SHEET].__setitem__("A3", "随便写的"))
    crafted["old layout"] = unit("D033", "D033_旧版式.xlsx", lambda wb: wb[META_SHEET].__setitem__("B3", LAYOUT_VERSION - 1))
    crafted["max altered"] = unit("D017", "D017_改分值.xlsx", lambda wb: wb[IND].__setitem__("E7", 10))
    donor = openpyxl.load_workbook(paths["D019"])[META_SHEET]

    def copy_meta(wb):
        ws = wb[META_SHEET]
        ws.delete_rows(1, ws.max_row)
        for row in donor.iter_rows(values_only=True):
            ws.append(row)

    crafted["meta copied"] = unit("D018", "D018_复制他人.xlsx", copy_meta)
    # a form for a unit the office workbook does not list (signed with the office's own key)
    extra = Unit("D999", "市新设局", scheme.units[0].category, None, None, None, 999)
    bigger = replace(scheme, units=scheme.units + (extra,))
    blank = folder.parent / "D999_blank.xlsx"
    KINDS["unit"].write(bigger, bigger.period(), Recipient("unit", "D999", "市新设局", None), blank)
    crafted["unknown recipient"] = fill(blank, folder / "2026年终_D999_市新设局_绩效考评表.xlsx", bigger, random.Random(9))

    # -- rows deleted, inserted, reordered
    crafted["row deleted"] = unit("D020", "D020_删行.xlsx", lambda wb: wb[IND].delete_rows(8))

    def insert(wb):
        ws = wb[IND]
        ws.insert_rows(8)
        ws["B8"], ws["D8"], ws["E8"] = "GX99", "自行增加的指标", 5

    crafted["row inserted"] = unit("D021", "D021_插行.xlsx", insert)

    def swap(wb):
        ws = wb[IND]
        for col in range(1, 15):
            a, b = ws.cell(7, col), ws.cell(8, col)
            a.value, b.value = b.value, a.value

    crafted["rows swapped"] = unit("D022", "D022_调换行序.xlsx", swap)

    # -- cell values (the form itself is accepted; the cells are reported)
    def out_of_range(wb):
        wb[IND]["M7"] = 99
        wb[IND]["M8"] = -1

    crafted["out of range"] = unit("D023", "D023_超出分值.xlsx", out_of_range)

    def normalised(wb):
        ws = wb[IND]
        typed_text(ws, "K8", "９５")
        typed_text(ws, "K11", "1,234")
        typed_text(ws, "K13", "95%")
        typed_text(ws, "M7", " 1.5 ")

    crafted["number as text"] = unit("D024", "D024_文本数字.xlsx", normalised)

    def ambiguous(wb):
        typed_text(wb[IND], "K8", "约80")
        typed_text(wb[IND], "M7", "待定")

    crafted["ambiguous"] = unit("D025", "D025_含糊.xlsx", ambiguous)
    crafted["required empty"] = unit("D026", "D026_漏填.xlsx", lambda wb: wb[IND].__setitem__("M7", None))
    # a formula in an input cell, with a plausible cached result (2 = the row's max) as Excel would store it
    formula = unit("D027", "D027_公式.xlsx", lambda wb: wb[IND].__setitem__("M7", "=1+1"))
    member = sheet_member(formula, IND)
    with zipfile.ZipFile(formula) as z:
        xml = z.read(member)
    xml, n = re.subn(rb'(<c r="M7"[^>]*><f>1\+1</f>)<v\s*/>', rb"\1<v>2</v>", xml)
    assert n == 1
    tmp = folder.parent / "formula.xlsx"
    rezipped(formula, tmp, {member: xml})
    shutil.move(tmp, formula)
    crafted["formula"] = formula

    # numbers no one can type, written straight into the XML (a spreadsheet reader takes them as floats)
    odd = unit("D014", "D014_非数.xlsx")
    member = sheet_member(odd, IND)
    with zipfile.ZipFile(odd) as z:
        xml = z.read(member)
    for ref, value in ((b"M7", b"NaN"), (b"K8", b"INF")):
        xml, n = re.subn(rb'(<c r="' + ref + rb'"[^>]*>)<v>[^<]*</v>', rb"\1<v>" + value + rb"</v>", xml)
        assert n == 1, ref
    rezipped(odd, folder.parent / "odd.xlsx", {member: xml})
    shutil.move(folder.parent / "odd.xlsx", odd)
    crafted["not finite"] = odd

    # -- two files for the same form: the newer by time wins, whatever the names
    older = unit("D028", "D028-draft.xlsx", lambda wb: typed_text(wb[IND], "N7", "初稿说明"))
    newer = unit("D028", "D028-corrected.xlsx", lambda wb: typed_text(wb[IND], "N7", "更正后的说明"))
    crafted["older"], crafted["newer"] = older, newer

    # -- leader ranks and bonus claims
    def duplicate_rank(wb):
        ws = wb[leader_form.SHEET]
        ws[f"{RANK}7"] = ws[f"{RANK}6"].value

    crafted["duplicate rank"] = edited(paths["L04"], folder / paths["L04"].name, duplicate_rank)

    def bonus_without_evidence(wb):
        ws = wb[BONUS]
        ws["B6"], ws["C6"], ws["D6"], ws["E6"] = scheme.bonus_kinds[0].name, "获评全省先进", 1, None

    crafted["bonus without evidence"] = unit("D029", paths["D029"].name, bonus_without_evidence)

    # -- late
    crafted["late"] = unit("D030", paths["D030"].name)

    # -- injection: text that looks like a formula, typed as text into explanations
    def inject(wb):
        typed_text(wb[IND], "N7", '=HYPERLINK("http://x","点击")')
        typed_text(wb[IND], "N8", "=cmd|' /C calc'!A0")

    crafted["injection"] = unit("D031", paths["D031"].name, inject)

    for p in [folder / n for n in good.values()] + list(crafted.values()):
        stamp(p, ON_TIME)
    stamp(older, ON_TIME - timedelta(days=3))
    stamp(newer, ON_TIME - timedelta(days=1))
    stamp(crafted["late"], LATE_TIME)
    return good, {k: p.name for k, p in crafted.items()}


@pytest.fixture(scope="module")
def batch(filled, tmp_path_factory) -> Batch:
    root = tmp_path_factory.mktemp("batch")
    office = root / "考评台账.xlsx"
    shutil.copy(filled.office, office)
    # a sheet the office added by hand: its values, formula and formatting must survive collect
    wb = openpyxl.load_workbook(office)
    ws = wb.create_sheet("办公室备注")
    ws["A1"] = "备注"
    ws["A1"].font = Font(bold=True)
    ws["A1"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["A2"], ws["B2"], ws["B3"] = "份数", 16, "=B2*2"
    ws.column_dimensions["A"].width = 33
    wb.save(office)
    good, crafted = _build_batch(filled, root / "提交")
    files_before = {p.name: sha256(p) for p in (root / "提交").iterdir()}
    office_before = sha256(office)
    result = collect(FileOfficeBook(office))  # the submission folder of 设置: 提交, beside the workbook
    wb = openpyxl.load_workbook(office)
    return Batch(filled.scheme, office, root / "提交", result, wb, sheet_dicts(wb, ledger.STATUS.name),
                 sheet_dicts(wb, ledger.ISSUES.name), result.marks.to_dict("records"), good, crafted, files_before,
                 office_before, sha256(office))


# ------------------------------------------------------------------------------------------------ 1. not an xlsx


@pytest.mark.parametrize("what,reason", [
    ("legacy xls", "旧版 Excel 格式（.xls）"),
    ("macros", "含有宏"),
    ("encrypted", "设置了打开密码"),
    ("truncated", "已损坏或不完整"),
    ("sheet xml cut", "文件无法读取"),
    ("empty", "文件是空的"),
    ("pdf renamed", "这是 PDF 文件"),
    ("docx renamed", "缺少工作簿结构"),
])
def test_a_file_that_is_not_an_xlsx_is_sent_back_with_the_reason(batch, what, reason):
    issues = batch.rejected(what)
    assert len(issues) == 1
    assert reason in issues[0]["问题"]
    assert issues[0]["文件"] == batch.crafted[what]
    batch.assert_good_collected()


# ------------------------------------------------------------------------------------------------ 2. hostile zips


@pytest.mark.slow  # collect in a subprocess
def test_zip_bomb_and_entity_declarations_are_refused_without_hanging(filled, tmp_path):
    office = Path(shutil.copy(filled.office, tmp_path / "考评台账.xlsx"))
    folder = tmp_path / "提交"
    folder.mkdir()
    good = Path(shutil.copy(filled.paths["D001"], folder))
    src = filled.paths["D013"]
    member = sheet_member(src, IND)
    with zipfile.ZipFile(src) as z:
        xml = z.read(member)
    # 1) a sheet that inflates to 40 MB of blanks from ~40 KB (ratio ~1000)
    bomb = rezipped(src, folder / "D013_压缩炸弹.xlsx", {member: xml.replace(b"</sheetData>", b" " * 40_000_000 + b"</sheetData>")})
    assert bomb.stat().st_size < 1_000_000
    # 2) billion laughs: a DTD whose entity expands to 10^9 "lol"s, referenced in an explanation cell
    dtd = b'<!DOCTYPE worksheet [<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)) + b"]>"
    laughs = re.sub(rb'(<c r="N7"[^>]*>)<is><t>.*?</t></is>', rb"\1<is><t>&lol9;</t></is>", xml, count=1)
    assert b"&lol9;" in laughs
    root = laughs.index(b"<worksheet")
    entity = rezipped(src, folder / "D014_实体炸弹.xlsx", {member: laughs[:root] + dtd + laughs[root:]})
    # 3) the same, with the DTD pushed past the first 4 KB by a comment in the prolog
    padded = rezipped(src, folder / "D015_实体炸弹_长前言.xlsx",
                      {member: laughs[:root] + b"<!--" + b"x" * 6000 + b"-->" + dtd + laughs[root:]})
    code = ("import sys; from pathlib import Path; from xlplugin.collect import collect; "
            "from xlplugin.officebook import FileOfficeBook; "
            "r = collect(FileOfficeBook(sys.argv[1]), Path(sys.argv[2]), workers=1); print(r.summary())")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(office), str(folder)], capture_output=True, text=True,
                          timeout=120)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < 30, elapsed  # bounded: the bomb is refused from the zip directory, never inflated by the reader
    wb = openpyxl.load_workbook(office)
    status, issues = sheet_dicts(wb, ledger.STATUS.name), sheet_dicts(wb, ledger.ISSUES.name)
    by_file = {r["文件"]: r for r in status if r["文件"]}
    assert by_file[good.name]["状态"] == RECEIVED
    view = sheet_dicts(wb, ledger.MARKS.name)  # one row per unit × indicator
    assert len([m for m in view if m["单位代码"] == "D001" and m["自评得分"] is not None]) == \
        n_indicators(filled.scheme, "D001")
    for path, reason in ((bomb, "压缩比异常"), (entity, "DTD/实体"), (padded, "DTD/实体")):
        assert by_file[path.name]["状态"] == REJECTED, path.name
        problems = [i["问题"] for i in issues if i["文件"] == path.name]
        assert len(problems) == 1 and reason in problems[0], (path.name, problems)


# ------------------------------------------------------------------------------------------------ 3. meta, signature, period, recipient


def test_missing_or_broken_meta_is_sent_back(batch):
    (issue,) = batch.rejected("meta deleted")
    assert issue["工作表"] == META_SHEET and "元数据" in issue["问题"] and "删除" in issue["问题"]
    (issue,) = batch.rejected("meta broken")
    assert (issue["工作表"], issue["单元格"]) == (META_SHEET, "A3") and "已损坏" in issue["问题"]
    batch.assert_good_collected()


def test_a_form_of_an_earlier_layout_is_told_to_use_the_new_one(batch):
    """A form generated before the layout changed (its meta says an earlier 版式版本) is not read as a tampered one:
    the clerk is told it is an old form and to fill in the one sent out again."""
    (issue,) = batch.rejected("old layout")
    assert (issue["工作表"], issue["单元格"]) == (META_SHEET, "B3")
    assert "旧版式" in issue["问题"] and "重新下发的表格" in issue["问题"] and "列" not in issue["问题"]


def test_an_altered_max_score_is_named_by_its_cell(batch):
    issues = batch.rejected("max altered")
    where = [(i["工作表"], i["单元格"]) for i in issues]
    assert (IND, "E7") in where
    changed = next(i for i in issues if i["单元格"] == "E7")
    assert "锁定的“分值”被改为“10”（应为“2”）" in changed["问题"]
    assert any("签名校验未通过" in i["问题"] for i in issues)
    # the unit's row in 提交情况 shows it sent back, not missing
    (row,) = [r for r in batch.status if r["接收方代码"] == "D017"]
    assert row["状态"] == REJECTED and row["文件"] == batch.crafted["max altered"]
    batch.assert_good_collected()


def test_a_meta_copied_from_another_units_form_is_sent_back(batch):
    issues = batch.rejected("meta copied")
    assert any("签名校验未通过" in i["问题"] for i in issues)
    # the diagnosis explains that the rows do not match (the copied meta lists the other unit's indicators)
    assert any(i["工作表"] == IND and "可能复制了其他单位的表格" in i["问题"] for i in issues), issues
    # its signed meta names another unit, but its rows are not that unit's: it is filed under no unit
    (row,) = batch.status_of(batch.crafted["meta copied"])
    assert row["接收方代码"] is None
    batch.assert_good_collected()


def test_a_form_of_another_period_is_sent_back(tmp_path):
    from xlplugin.init import init as write_sample
    from xlplugin.scheme import load_scheme

    office = write_sample(tmp_path / "考评台账.xlsx", "province")
    scheme = load_scheme(FileOfficeBook(office))
    assert [p.name for p in scheme.periods] == ["半年", "第三季度", "年终"]
    folder = tmp_path / "提交"
    blanks = tmp_path / "blank"
    blanks.mkdir()
    recipients = KINDS["unit"].recipients(scheme)
    sent = {}
    for period, r in (("半年", recipients[0]), ("年终", recipients[1])):
        blank = KINDS["unit"].write(scheme, scheme.period(period), r, blanks / f"{period}.xlsx")
        sent[period] = stamp(fill(blank, folder / unit_form.SPEC.file_name(scheme, scheme.period(period), r), scheme,
                                  random.Random(3)), datetime(2027, 1, 10))
    result = collect(FileOfficeBook(office), folder, period="年终")
    wb = openpyxl.load_workbook(office)
    status, issues = sheet_dicts(wb, ledger.STATUS.name), sheet_dicts(wb, ledger.ISSUES.name)
    (wrong,) = [r for r in status if r["文件"] == sent["半年"].name]
    assert wrong["状态"] == REJECTED and wrong["接收方代码"] == recipients[0].code
    (problem,) = [i for i in issues if i["文件"] == sent["半年"].name]
    assert "“半年”" in problem["问题"] and "“年终”" in problem["问题"] and problem["级别"] == "错误"
    (right,) = [r for r in status if r["文件"] == sent["年终"].name]
    assert right["状态"] == RECEIVED
    marks = [m for m in result.marks.to_dict("records") if m["文件"] == sent["年终"].name]
    assert len([m for m in marks if m["项目"] == "自评得分"]) == 117
    assert {m["考评期"] for m in marks} == {"年终"} and len(result.marks) == len(marks)


def test_a_form_for_a_recipient_the_office_does_not_know_is_sent_back(batch):
    (issue,) = batch.rejected("unknown recipient")
    assert "市新设局（D999）" in issue["问题"] and "不在当前考评台账" in issue["问题"]
    assert not [r for r in batch.status if r["接收方代码"] == "D999" and r["状态"] != REJECTED]
    batch.assert_good_collected()


# ------------------------------------------------------------------------------------------------ 4. rows


@pytest.mark.parametrize("what,expected", [
    ("row deleted", "缺少“GX02”"),
    ("row inserted", "第 8 行不是下发表格中的行"),
    ("rows swapped", "行的顺序被调整过"),
])
def test_rows_deleted_inserted_or_reordered_are_explained(batch, what, expected):
    issues = batch.rejected(what)
    assert any(expected in i["问题"] and i["工作表"] == IND for i in issues), [i["问题"] for i in issues]
    batch.assert_good_collected()


# ------------------------------------------------------------------------------------------------ 5. cell values


def test_a_score_outside_zero_to_max_is_reported_and_left_out(batch):
    name = batch.crafted["out of range"]
    (row,) = batch.status_of(name)
    # a form with errors is 待更正: its marks are held out of scoring (and of 汇总数据) until corrected or accepted
    assert row["状态"] == PENDING and row["问题数"] == 2
    issues = {i["单元格"]: i for i in batch.issues_of(name)}
    assert set(issues) == {"M7", "M8"}
    assert "99 超出范围（0～2）" in issues["M7"]["问题"] and "-1 超出范围（0～2）" in issues["M8"]["问题"]
    assert all(i["级别"] == "错误" and i["工作表"] == IND for i in issues.values())
    assert batch.marks_of(name) == []
    kept = batch.recorded(name)  # the record keeps the form's readable marks, without the two bad cells
    assert not [m for m in kept if m["单元格"] in ("M7", "M8")]
    assert len([m for m in kept if m["项目"] == "自评得分"]) == n_indicators(batch.scheme, "D023") - 2
    batch.assert_good_collected()


def test_numbers_written_as_text_are_normalised_with_a_reminder(batch):
    name = batch.crafted["number as text"]
    (row,) = batch.status_of(name)
    assert row["状态"] == RECEIVED
    issues = {i["单元格"]: i for i in batch.issues_of(name)}
    assert {i["级别"] for i in issues.values()} == {"提醒"}  # nothing is an error
    for cell, typed, number in (("K8", "９５", 95), ("K11", "1,234", 1234), ("K13", "95%", 95)):
        assert batch.mark(name, cell, "实际完成值") == number
        assert f"“{typed}”是文本，已按数字 {number} 读取" in issues[cell]["问题"]
    # surrounding spaces: the number is taken, and the clerk reminded that it was typed as text
    assert batch.mark(name, "M7", "自评得分") == 1.5
    assert "“ 1.5 ”是文本，已按数字 1.5 读取" in issues["M7"]["问题"]
    ws = batch.wb[ledger.MARKS.name]  # the view: one row per unit × indicator
    col = {c.value: i for i, c in enumerate(ws[1])}
    unit = unit_code(batch.folder / name)
    rows = {row[col["指标代码"]].value: row for row in ws.iter_rows(min_row=2) if row[col["单位代码"]].value == unit}
    assert rows["GX02"][col["实际完成值"]].data_type == "n" and rows["GX02"][col["实际完成值"]].value == 95  # numbers
    assert rows["GX01"][col["自评得分"]].data_type == "n" and rows["GX01"][col["自评得分"]].value == 1.5
    batch.assert_good_collected()


def test_ambiguous_numbers_are_reported_not_guessed(batch):
    name = batch.crafted["ambiguous"]
    assert [i["单元格"] for i in batch.issues_of(name)] == ["M7", "K8"]  # listed top to bottom, as on the sheet
    issues = {i["单元格"]: i for i in batch.issues_of(name)}
    assert "“约80”不是明确的数字" in issues["K8"]["问题"] and "“待定”不是明确的数字" in issues["M7"]["问题"]
    assert all(i["级别"] == "错误" for i in issues.values())
    assert batch.mark(name, "K8") is None and batch.mark(name, "M7") is None
    batch.assert_good_collected()


def test_a_number_no_one_can_type_is_reported(batch):
    name = batch.crafted["not finite"]
    issues = batch.issues_of(name)
    assert [i["单元格"] for i in issues] == ["M7", "K8"]  # top to bottom
    assert all(i["级别"] == "错误" and "不是明确的数字" in i["问题"] for i in issues)
    assert batch.mark(name, "M7") is None and batch.mark(name, "K8") is None
    batch.assert_good_collected()


def test_a_required_cell_left_empty_is_reported(batch):
    name = batch.crafted["required empty"]
    (issue,) = batch.issues_of(name)
    assert (issue["工作表"], issue["单元格"], issue["级别"]) == (IND, "M7", "错误")
    assert "自评得分未填写" in issue["问题"]
    assert batch.mark(name, "M7") is None
    batch.assert_good_collected()


def test_a_formula_in_an_input_cell_is_reported_and_its_cached_value_not_used(batch):
    name = batch.crafted["formula"]
    from python_calamine import CalamineWorkbook

    # the file does carry a cached result (2) that a careless reader would take
    assert CalamineWorkbook.from_path(str(batch.folder / name)).get_sheet_by_name(IND).to_python()[6][12] == 2
    (issue,) = batch.issues_of(name)  # one problem: not also "left empty"
    assert (issue["工作表"], issue["单元格"], issue["级别"]) == (IND, "M7", "错误") and "公式" in issue["问题"]
    assert batch.mark(name, "M7") is None
    batch.assert_good_collected()


# ------------------------------------------------------------------------------------------------ 6. two files for one form


def test_the_newer_of_two_files_for_one_form_supersedes_the_older(batch):
    older, newer = batch.crafted["older"], batch.crafted["newer"]
    assert newer < older  # by name the older would come last: the time decides
    assert [r["状态"] for r in batch.status_of(newer)] == [RECEIVED]
    (row,) = batch.status_of(older)
    assert row["状态"] == SUPERSEDED and row["接收方代码"] == "D028"
    assert row["接收时间"] == ON_TIME - timedelta(days=3)
    (note,) = batch.issues_of(older)
    assert note["级别"] == "提醒" and newer in note["问题"]
    assert batch.marks_of(older) == []
    assert batch.mark(newer, "N7", "情况说明") == "更正后的说明"
    assert len([r for r in batch.status if r["接收方代码"] == "D028"]) == 2  # both listed
    batch.assert_good_collected()


# ------------------------------------------------------------------------------------------------ 7. ranks, bonus


def test_leader_ranks_that_repeat_name_both_cells(batch):
    name = batch.crafted["duplicate rank"]
    (row,) = batch.status_of(name)
    assert row["状态"] == PENDING and row["接收方代码"] == "L04"  # repeated ranks are not scored until corrected
    assert batch.marks_of(name) == [] and batch.recorded(name)
    issues = batch.issues_of(name)
    assert sorted(i["单元格"] for i in issues) == [f"{RANK}6", f"{RANK}7"]
    for i in issues:
        assert i["工作表"] == leader_form.SHEET and i["级别"] == "错误"
        assert f"重复（{RANK}6、{RANK}7）" in i["问题"]
    batch.assert_good_collected()


def test_a_bonus_claim_without_evidence_is_reported(batch):
    name = batch.crafted["bonus without evidence"]
    issues = [i for i in batch.issues_of(name) if i["单元格"] == "E6"]
    assert len(issues) == 1 and issues[0]["工作表"] == BONUS and "没有佐证材料" in issues[0]["问题"]
    assert batch.marks_of(name) == []  # 待更正
    assert [m["值"] for m in batch.recorded(name) if m["单元格"] == "D6" and m["项目"] == "申报分值"] == [1]
    batch.assert_good_collected()


# ------------------------------------------------------------------------------------------------ 8. late, missing


def test_late_and_missing_forms_in_the_status_sheet(batch):
    (late,) = batch.status_of(batch.crafted["late"])
    assert late["状态"] == LATE and late["接收方代码"] == "D030" and late["接收时间"] == LATE_TIME
    assert batch.marks_of(batch.crafted["late"])  # late marks are still collected
    expected = {(m.SPEC.folder, r.code) for m in KINDS.values() for r in m.recipients(batch.scheme)}
    rows = {(r["表格类型"], r["接收方代码"]): r for r in batch.status if r["状态"] != SUPERSEDED}
    assert expected <= set(rows)  # one row per expected form (and one per file no form could be found for)
    # the forms the batch holds a file for, as identified by their meta (D018's file carries D019's meta but
    # not D019's rows, so it is filed under nobody; the files of D011, D012, D015 and D016 cannot be
    # identified at all, nor can D033's (an earlier layout) or D032's: its damaged sheet XML is refused before any
    # parser reads its meta)
    identified = set(GOOD) | {"L04", "D014"} | ({f"D0{n}" for n in range(17, 32)} - {"D018", "D019"})
    for (kind, code), r in rows.items():
        if (kind, code) in expected and code not in identified:
            assert r["状态"] == MISSING and r["文件"] is None and r["接收时间"] is None, r
        elif (kind, code) in expected:
            assert r["状态"] != MISSING and r["文件"], r
    assert len([r for r in batch.status if r["状态"] == MISSING]) == len(expected) - len(identified)
    assert rows[("被考评单位", "D038")]["状态"] == MISSING
    assert rows[("领导", "L01")]["状态"] == MISSING and rows[("考评部门", "K03")]["状态"] == MISSING
    batch.assert_good_collected()


# ------------------------------------------------------------------------------------------------ 9. injection


def test_formula_like_text_arrives_as_literal_text(batch):
    name = batch.crafted["injection"]
    ws = batch.wb[ledger.MARKS.name]  # the view: one row per unit × indicator, 情况说明 a column
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header)}
    unit = unit_code(batch.folder / name)
    found = {row[col["指标代码"]].value: row[col["情况说明"]] for row in ws.iter_rows(min_row=2)
             if row[col["单位代码"]].value == unit}
    for code, text in (("GX01", '=HYPERLINK("http://x","点击")'), ("GX02", "=cmd|' /C calc'!A0")):
        assert found[code].value == text
        assert found[code].data_type == "s"
    # and nowhere in the written sheets is there a formula
    with zipfile.ZipFile(batch.office) as z:
        for sheet in OWN_SHEETS:
            assert b"<f>" not in z.read(sheet_member(batch.office, sheet)) and b"<f " not in z.read(
                sheet_member(batch.office, sheet))
    assert batch.issues_of(name) == []
    batch.assert_good_collected()


# ------------------------------------------------------------------------------------------------ 10. nothing lost


def test_nothing_is_lost(batch):
    # submissions untouched
    assert {p.name: sha256(p) for p in batch.folder.iterdir()} == batch.files_before
    # the previous office workbook is kept in 备份/ beside it
    backups = list((batch.office.parent / "备份").glob("考评台账.*.xlsx"))
    assert batch.office_before in {sha256(p) for p in backups}
    assert not list(batch.office.parent.glob(".~*"))  # no temp file left behind by a completed write
    # the office's own sheets and the hand-made one survive, formatting included
    wb = batch.wb
    for sheet in ("设置", "单位", "指标", "考评期"):
        assert sheet in wb.sheetnames
    ws = wb["办公室备注"]
    assert ws["A1"].value == "备注" and ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("FFFF00")
    assert ws.column_dimensions["A"].width == 33
    assert ws["B2"].value == 16 and ws["B3"].value == "=B2*2" and ws["B3"].data_type == "f"
    assert list(wb.sheetnames).index("办公室备注") < list(wb.sheetnames).index(ledger.STATUS.name)
    # collecting again gives the same sheets, and backs up the first result
    first = own_sheet_values(batch.office)
    collect(FileOfficeBook(batch.office))
    assert own_sheet_values(batch.office) == first
    assert batch.office_hash_after in {sha256(p) for p in (batch.office.parent / "备份").glob("*.xlsx")}
    assert {p.name: sha256(p) for p in batch.folder.iterdir()} == batch.files_before
    ws = openpyxl.load_workbook(batch.office)["办公室备注"]
    assert ws["A1"].font.b and ws["B3"].value == "=B2*2" and ws.column_dimensions["A"].width == 33


def test_the_frames_match_the_written_sheets(batch):
    r = batch.result
    assert len(r.status) == len(batch.status) and len(r.issues) == len(batch.issues) and len(r.marks) == len(batch.marks)
    assert list(r.marks.columns) == list(batch.marks[0])
    assert r.summary().startswith(f"读取 {len(batch.files_before)} 个文件")


# ------------------------------------------------------------------------------------------------ 11. LibreOffice


@pytest.mark.slow
@requires_soffice
def test_a_form_resaved_by_libreoffice_collects_to_the_same_marks(filled, tmp_path):
    from xlplugin.soffice import convert_many

    original = tmp_path / "原件"
    original.mkdir()
    marks = {}
    for code in ("D001", "K01", "P01", "L02"):
        shutil.copy(filled.paths[code], original)
    resaved = tmp_path / "LibreOffice另存"
    convert_many(sorted(original.iterdir()), "xlsx", resaved)
    book = FileOfficeBook(shutil.copy(filled.office, tmp_path / "考评台账.xlsx"))
    for folder in (original, resaved):
        result = collect(book, folder, write=False)
        assert set(result.status.loc[result.status["文件"].notna(), "状态"]) == {RECEIVED}
        assert len(result.issues) == 0, result.issues.to_string()
        frame = result.marks.drop(columns=["文件"])
        marks[folder.name] = sorted(tuple(map(repr, row)) for row in frame.values.tolist())
    assert len(marks["原件"]) > 150
    assert marks["LibreOffice另存"] == marks["原件"]


# ------------------------------------------------------------------------------------------------ 12. SIGKILL

KILL_SCRIPT = """
import sys, time
from pathlib import Path
from xlplugin.collect import collect
from xlplugin.score import score
from xlplugin.officebook import FileOfficeBook
print("ready", flush=True)
if not sys.stdin.readline():  # go: the imports (~2 s) are out of the way, the timing below is the verb's own
    sys.exit(0)  # the test ended without needing this process
def progress(done, total):
    if done == total:
        print("read", flush=True)
if sys.argv[3] == "collect":
    collect(FileOfficeBook(sys.argv[1]), Path(sys.argv[2]), progress=progress, workers=1)
else:
    score(FileOfficeBook(sys.argv[1]))
print("done", flush=True)
"""


def _spawn(office: Path, folder: Path, verb: str = "collect") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(office), str(folder), verb], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def writer_moments(office: Path, temps, final_size: int, state: dict) -> dict:
    """The moments of the workbook writer to kill at: its temp file exists; it is half written; it replaced the
    workbook (the office file's inode changed from `state["inode"]`)."""
    return {
        "temp file created": lambda proc: _poll(lambda: bool(temps()), proc),
        "temp file half written": lambda proc: _poll(
            lambda: any(t.stat().st_size >= final_size / 2 for t in temps() if t.exists()), proc),
        "workbook replaced": lambda proc: _poll(lambda: office.stat().st_ino != state["inode"], proc),
    }


def record_files(office: Path) -> list[Path]:
    """The year's record beside `office`: the database and its WAL and shared-memory files."""
    return [office.parent / (RECORD + suffix) for suffix in ("", "-wal", "-shm")]


def reset_record(office: Path, pristine: Path | None = None) -> None:
    """Put the record back as it was (copied from beside `pristine`), or remove it."""
    for f in record_files(office):
        f.unlink(missing_ok=True)
    if pristine is not None:
        for src, dst in zip(record_files(pristine), record_files(office)):
            if src.exists():
                shutil.copy(src, dst)


def record_state(office: Path) -> dict:
    """What the record holds after a kill: it opens, its pages are sound, and the counts per table."""
    import sqlite3

    db = sqlite3.connect(office.parent / RECORD)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = ("runs", "receipts", "marks", "issues", "score_runs", "results")
        made = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "runs" not in made:  # killed while the new file was being set up: an empty record, nothing recorded
            return {t: 0 for t in tables}
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        db.close()


def _go(proc: subprocess.Popen) -> float:
    assert proc.stdout.readline().strip() == "ready"
    proc.stdin.write("go\n")
    proc.stdin.flush()
    return time.perf_counter()


def _poll(condition, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    while not condition() and proc.poll() is None:
        assert time.perf_counter() < deadline, "collect took too long"
        time.sleep(0.002)


@pytest.mark.slow
def test_a_collect_killed_while_writing_leaves_the_workbook_before_or_after(filled, tmp_path):
    folder = tmp_path / "提交"
    folder.mkdir()
    for p in filled.paths.values():  # every form of the city sample: ~4,000 marks to write
        stamp(shutil.copy(p, folder), ON_TIME)
    pristine = tmp_path / "before.xlsx"
    shutil.copy(filled.office, pristine)
    before = sha256(pristine)
    office = tmp_path / "work" / "考评台账.xlsx"
    office.parent.mkdir()
    backups = office.parent / "备份"

    def temps() -> list[Path]:
        return list(office.parent.glob(".~*.xlsx"))

    # the processes to kill import while the others run (two ahead, the imports take ~2 s each)
    pending = [_spawn(office, folder) for _ in range(2)]
    reference_record = tmp_path / "reference.xlsx"
    # a full collect of the same files, in this process: what the complete result looks like, and how
    # long the reading takes
    shutil.copy(pristine, tmp_path / "reference.xlsx")
    started, read_done = time.perf_counter(), []
    collect(FileOfficeBook(tmp_path / "reference.xlsx"), folder, workers=1,
            progress=lambda done, total: done == total and read_done.append(time.perf_counter() - started))
    total = time.perf_counter() - started
    complete = own_sheet_values(tmp_path / "reference.xlsx")
    complete_record = record_state(reference_record)
    assert complete_record["runs"] == 1 and complete_record["marks"] > 3000
    assert len(complete[ledger.MARKS.name]) > 1000  # the view: a row per unit × indicator
    final_size = (tmp_path / "reference.xlsx").stat().st_size

    # the moments to kill at, each found by watching the collect: while reading; once everything is read;
    # once the backup is taken; once the new workbook's temp file exists; once it is half written; and
    # right after it replaced the workbook
    state: dict = {}
    moments = {
        "reading": lambda proc: time.sleep(read_done[0] * 0.5),
        "read": lambda proc: proc.stdout.readline(),
        "backup taken": lambda proc: _poll(lambda: len(list(backups.glob("*.xlsx"))) > state["backups"], proc),
        **writer_moments(office, temps, final_size, state),
    }
    report = []
    try:
        for n, (moment, wait) in enumerate(moments.items()):
            shutil.copy(pristine, office)  # in place: the same inode until collect replaces the file
            reset_record(office)
            state["inode"] = office.stat().st_ino
            state["backups"] = len(list(backups.glob("*.xlsx")))
            for t in temps():
                t.unlink()
            proc = pending.pop(0)
            _go(proc)
            if len(moments) - n - 1 > len(pending):
                pending.append(_spawn(office, folder))
            wait(proc)
            os.killpg(proc.pid, signal.SIGKILL)  # the collect and anything it started
            proc.communicate(timeout=30)
            # killed, not finished (but once the workbook is replaced, collect may just make it to the end)
            assert proc.returncode == -signal.SIGKILL or moment == "workbook replaced", moment
            left = temps()  # a save cut short leaves its temp file behind
            wb = openpyxl.load_workbook(office)  # whatever happened, the workbook opens
            if sha256(office) == before:
                outcome = "before"
                assert not set(OWN_SHEETS) & set(wb.sheetnames)
            else:
                outcome = "after"
                assert {name: list(wb[name].iter_rows(values_only=True)) for name in OWN_SHEETS} == complete
                assert not left  # the temp file is what replaced the workbook
            wb.close()
            # and the record is before (no run at all, or not even created) or after (the whole run), never half
            kept = record_state(office) if (office.parent / RECORD).exists() else None
            record = "before" if kept is None or kept["runs"] == 0 else "after"  # (an empty new file counts as before)
            if record == "after":
                assert kept == complete_record, moment
            report.append(f"{moment} → workbook {outcome}, record {record}"
                          + (f" (temp file left: {left[0].name})" if left else ""))
            if moment in ("reading", "read", "temp file created", "temp file half written"):
                assert outcome == "before" and record == "before", report
            if moment == "workbook replaced":
                assert outcome == "after", report
    finally:
        for proc in pending:  # spares left over by a failure
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
    print(f"\ncollect {total:.2f} s, reading {read_done[0]:.2f} s; " + "; ".join(report))


@pytest.mark.slow
def test_a_score_killed_leaves_the_workbook_and_the_record_before_or_after(filled, tmp_path):
    """score writes a run into the record and the result sheets into the workbook in one transaction: killed at
    any moment, each of the two is as before the score or as after it, never half."""
    folder = tmp_path / "提交"
    folder.mkdir()
    for p in filled.paths.values():
        stamp(shutil.copy(p, folder), ON_TIME)
    pristine = tmp_path / "collected" / "考评台账.xlsx"
    pristine.parent.mkdir()
    shutil.copy(filled.office, pristine)
    collect(FileOfficeBook(pristine), folder, workers=1)
    before, before_record = sha256(pristine), record_state(pristine)
    reference = tmp_path / "reference" / "考评台账.xlsx"
    reference.parent.mkdir()
    shutil.copy(pristine, reference)
    reset_record(reference, pristine)
    office = tmp_path / "work" / "考评台账.xlsx"
    office.parent.mkdir()
    pending = [_spawn(office, folder, "score") for _ in range(2)]
    started = time.perf_counter()
    score(FileOfficeBook(reference))
    total = time.perf_counter() - started
    results = {name: list(ws.iter_rows(values_only=True)) for name, ws in
               ((n, openpyxl.load_workbook(reference)[n]) for n in (ledger.RANKING.name, ledger.DETAIL.name))}
    after_record = record_state(reference)
    assert after_record["score_runs"] == 1 and after_record["results"] == len(filled.scheme.units)
    final_size = reference.stat().st_size

    def temps() -> list[Path]:
        return list(office.parent.glob(".~*.xlsx"))

    state: dict = {}
    moments = {
        "scoring": lambda proc: time.sleep(total * 0.3),
        **writer_moments(office, temps, final_size, state),
    }
    report = []
    try:
        for n, (moment, wait) in enumerate(moments.items()):
            shutil.copy(pristine, office)
            reset_record(office, pristine)
            state["inode"] = office.stat().st_ino
            for t in temps():
                t.unlink()
            proc = pending.pop(0)
            _go(proc)
            if len(moments) - n - 1 > len(pending):
                pending.append(_spawn(office, folder, "score"))
            wait(proc)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
            wb = openpyxl.load_workbook(office)
            if sha256(office) == before:
                outcome = "before"
            else:
                outcome = "after"
                assert {n: list(wb[n].iter_rows(values_only=True)) for n in results} == results, moment
            wb.close()
            kept = record_state(office)
            assert kept in (before_record, {**after_record, "runs": before_record["runs"] + 1}), (moment, kept)
            record = "before" if kept == before_record else "after"
            report.append(f"{moment} → workbook {outcome}, record {record}")
            if moment != "workbook replaced":
                assert outcome == "before" and record == "before", report
            else:
                assert outcome == "after", report
    finally:
        for proc in pending:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
    print(f"\nscore {total:.2f} s; " + "; ".join(report))


# ------------------------------------------------------------------------------------------------ 13. CLI


def test_cli_collect_prints_a_chinese_summary(filled, tmp_path, capsys):
    office = Path(shutil.copy(filled.office, tmp_path / "考评台账.xlsx"))
    folder = tmp_path / "收到的表格"
    folder.mkdir()
    for code in ("D001", "D002", "P01"):
        stamp(shutil.copy(filled.paths[code], folder), ON_TIME)
    (folder / "旧表.xls").write_bytes(ole_container(["Workbook"]))
    assert main(["collect", str(office), "--from", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"收集文件夹：{folder}" in out
    assert "读取 4 个文件：已收到 3 份" in out and "退回 1 份" in out and "缺交" in out
    assert "旧表.xls：这是旧版 Excel 格式（.xls）" in out
    assert set(OWN_SHEETS) <= set(openpyxl.load_workbook(office).sheetnames)


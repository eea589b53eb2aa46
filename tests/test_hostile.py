"""Hostile files (issue 13, collection): one file never stops the run, the office workbook never becomes
unreadable, every formula is found, the smaller holes are closed, and a seeded fuzz of filled forms of every
kind gives no unhandled error. Crafted files are built from forms filled by a simulated clerk."""
from __future__ import annotations

import faulthandler
import io
import os
import random
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from helpers import edited
from mutants import Base, fuzz, peak_mb, zipped
from xlplugin import intake, ledger
from xlplugin.collect import CRASHED, PENDING, RECEIVED, REJECTED, SUPERSEDED, collect, read_all
from xlplugin.forms import unit as unit_form
from xlplugin.forms.read import FormFile, read_meta
from xlplugin.generate import generate
from xlplugin.init import init as write_sample
from xlplugin.officebook import FileOfficeBook
from xlplugin.scheme import Scheme, load_scheme
from xlplugin.simulate import fill
from xlplugin.values import visible_text

IND = unit_form.INDICATORS.sheet  # 指标考评表: L 自评得分, M 情况说明; GX01 on row 7
ON_TIME = datetime(2027, 1, 10, 9, 30)
INTERNAL = re.compile(r"[A-Z][a-z]+(Error|Exception)|Calamine|Xml|expat|Traceback")


@dataclass
class Forms:
    scheme: Scheme
    office: Path
    paths: dict[str, Path]  # recipient code → filled form


@pytest.fixture(scope="module")
def forms(city, tmp_path_factory) -> Forms:
    """Two filled forms of every kind of the city sample."""
    folder = tmp_path_factory.mktemp("filled")
    by_kind: dict[str, list[Path]] = {}
    for p in sorted(city.result.paths):
        by_kind.setdefault(p.parent.name, []).append(p)
    paths = {}
    for n, p in enumerate(src for group in by_kind.values() for src in group[:2]):
        done = fill(p, folder / p.name, city.scheme, random.Random(n))
        paths[read_meta(FormFile(done)).recipient] = done
    return Forms(city.scheme, city.office, paths)


def member_of(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as z:
        return intake._sheet_parts(z)[sheet]


def rewrite(src: Path, dst: Path, change) -> Path:
    """A copy of `src` whose members are changed by `change(members)` (a dict name → bytes)."""
    base = Base.of(src)
    members = dict(base.members)
    change(members)
    dst.write_bytes(zipped(members))
    os.utime(dst, (ON_TIME.timestamp(), ON_TIME.timestamp()))
    return dst


def sheet_xml(members: dict, path: Path, sheet: str = IND) -> tuple[str, bytes]:
    m = member_of(path, sheet)
    return m, members[m]


def set_cell_xml(xml: bytes, ref: str, new: bytes) -> bytes:
    out, n = re.subn(rb'<c r="' + ref.encode() + rb'"[^>]*?(/>|>.*?</c>)', new, xml, count=1, flags=re.S)
    assert n == 1, ref
    return out


def run(forms: Forms, folder: Path, tmp_path: Path, workers: int | None = None):
    office = Path(shutil.copy(forms.office, tmp_path / "考评台账.xlsx"))
    result = collect(FileOfficeBook(office), folder, workers=workers)
    by_name = {o.name: o for o in result.outcomes}
    return office, result, by_name


def problems(outcome) -> str:
    return " | ".join(i.problem for i in outcome.issues)


# ------------------------------------------------------------------------------------------------ 1. one file never stops the run


def test_huge_cell_places_are_refused_before_the_reader_sees_them(forms, tmp_path):
    folder = tmp_path / "提交"
    folder.mkdir()
    good = shutil.copy(forms.paths["D001"], folder / "good.xlsx")
    os.utime(good, (ON_TIME.timestamp(), ON_TIME.timestamp()))
    src = forms.paths["D002"]
    crafted = {}
    for label, change in {
        "r99999999": lambda xml: set_cell_xml(xml, "N7", b'<c r="N99999999" t="inlineStr"><is><t>x</t></is></c>'),
        "r4294967297": lambda xml: xml.replace(b'<row r="7"', b'<row r="4294967297"', 1),
        "XFD1048576": lambda xml: xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr">'
                                                               b"<is><t>x</t></is></c></row></sheetData>"),
        "dimension": lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml),
        "no r, far right": lambda xml: xml.replace(b"</row>", b"<c/>" * 60 + b"</row>", 1),
    }.items():
        def apply(members, change=change):
            m, xml = sheet_xml(members, src)
            members[m] = change(xml)
        crafted[label] = rewrite(src, folder / f"D002_{label}.xlsx", apply)
    office, result, by_name = run(forms, folder, tmp_path, workers=2)
    assert by_name["good.xlsx"].verdict == RECEIVED
    for label, path in crafted.items():
        o = by_name[path.name]
        assert o.verdict == REJECTED, (label, problems(o))
        assert IND in problems(o) and ("超出" in problems(o)), (label, problems(o))
        assert CRASHED not in problems(o) and not INTERNAL.search(problems(o))
    assert peak_mb() < 1024


def test_a_reader_killed_by_a_signal_rejects_only_its_file(forms, tmp_path, monkeypatch):
    """The intake's bounds are the first line; were they missing, calamine would abort the process on a huge
    cell place (SIGABRT): the file is rejected, and every other file of the pool is still read."""
    monkeypatch.setattr(intake, "MAX_FORM_ROWS", intake.EXCEL_ROWS)  # inherited by the forked readers
    monkeypatch.setattr(intake, "MAX_FORM_COLS", intake.EXCEL_COLS)
    folder = tmp_path / "提交"
    folder.mkdir()
    goods = []
    for n in range(12):
        code = sorted(forms.paths)[n % len(forms.paths)]
        goods.append(shutil.copy(forms.paths[code], folder / f"{n:02d}_{code}.xlsx"))
    src = forms.paths["D001"]

    def far(members):
        m, xml = sheet_xml(members, src)
        members[m] = xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is>'
                                                  b"</c></row></sheetData>")
    bad = rewrite(src, folder / "05_炸弹.xlsx", far)
    faulthandler.disable()  # pytest's, inherited by the readers: it would print the aborting reader's stack
    try:
        outcomes = read_all(forms.scheme, forms.scheme.period(), sorted((p, p.name) for p in folder.iterdir()),
                            workers=2)
    finally:
        faulthandler.enable()
    by_name = {o.name: o for o in outcomes}
    assert problems(by_name[bad.name]) == CRASHED and by_name[bad.name].verdict == REJECTED
    for p in goods:
        assert by_name[Path(p).name].verdict == RECEIVED, problems(by_name[Path(p).name])


# Excel writes a control character typed into a cell as _x0001_ in the XML; every reader turns it back into \x01
TYPED = b'<c r="N7" t="inlineStr"><is><t>\xe6\x8c\x89\xe6\x9c\x9f\xe5\xae\x8c\xe6\x88\x90_x0001__x0007__x001B_[31m\xe2\x80\xa6</t></is></c>'


def test_control_characters_in_text_and_names_are_kept_visibly(forms, tmp_path):
    assert TYPED.decode().startswith('<c r="N7" t="inlineStr"><is><t>按期完成_x0001_')
    folder = tmp_path / "提交"
    folder.mkdir()
    src = forms.paths["D001"]
    rewrite(src, folder / "D001\x07\x1b[31m提醒.xlsx",
            lambda ms: ms.__setitem__(member_of(src, IND), set_cell_xml(ms[member_of(src, IND)], "N7", TYPED)))
    office, result, by_name = run(forms, folder, tmp_path)
    (o,) = result.outcomes
    assert o.verdict == RECEIVED, problems(o)
    assert [m.value for m in o.marks if m.cell == "N7"] == ["按期完成\x01\x07\x1b[31m…"]  # the record keeps it as typed
    wb = openpyxl.load_workbook(office)
    names = [r[4] for r in wb[ledger.STATUS.name].iter_rows(min_row=2, values_only=True) if r[4]]
    assert names == ["D001␇␛[31m提醒.xlsx"]
    header = [c.value for c in wb[ledger.MARKS.name][1]]
    written = [dict(zip(header, r)) for r in wb[ledger.MARKS.name].iter_rows(min_row=2, values_only=True)]
    # N7 is GX01's 情况说明 in the view (a row per unit × indicator): visibly, never dropped
    assert [r["情况说明"] for r in written if r["指标代码"] == "GX01"] == ["按期完成␁␇␛[31m…"]
    CalamineWorkbook.from_path(str(office)).get_sheet_by_name(ledger.MARKS.name).to_python()
    assert "\x1b" not in "".join(result.error_lines(10))


def test_every_text_written_is_valid_xml_text():
    for text, shown in (("按期完成\x01\x07\x1b[31m…", "按期完成␁␇␛[31m…"), ("a\tb\nc", "a\tb\nc"),
                        ("\udcd6\udcb8.xlsx", "\\xd6\\xb8.xlsx"), ("\ud800\ufffe\x85\x7f", "\\ud800\\ufffe\\u0085␡")):
        assert visible_text(text) == shown
        assert visible_text(shown) == shown  # twice changes nothing more
    from xlplugin.values import excel_input
    from xlplugin.xlbook import frame_grid
    import pandas as pd
    grid = frame_grid(pd.DataFrame({"文件\x01": ["x\udcd6", 1.5]}))
    assert grid == [["'文件␁"], ["'x\\xd6"], [1.5]]
    assert excel_input("=1\x07") == "'=1␇"


# ------------------------------------------------------------------------------------------------ 2. the workbook stays readable


def test_a_gbk_file_name_is_shown_escaped_and_the_workbook_stays_readable(forms, tmp_path):
    folder = tmp_path / "提交"
    folder.mkdir()
    raw = "市发改委_绩效考评表".encode("gbk") + b".xlsx"
    target = os.path.join(os.fsencode(folder), raw)
    shutil.copy(forms.paths["D001"], target)
    office, result, _ = run(forms, folder, tmp_path)
    (o,) = result.outcomes
    assert o.verdict == RECEIVED
    shown = raw.decode("utf-8", "backslashreplace")
    assert o.name == shown and "\\xca" in shown
    for load in (lambda: openpyxl.load_workbook(office), lambda: CalamineWorkbook.from_path(str(office))):
        load()  # both readers open it
    wb = openpyxl.load_workbook(office)
    assert [r[4] for r in wb[ledger.STATUS.name].iter_rows(min_row=2, values_only=True) if r[4]] == [shown]
    assert {r[0] for r in wb[ledger.MARKS.name].iter_rows(min_row=2, values_only=True)} >= set()
    collect(FileOfficeBook(office), folder)  # and collect runs again on it
    assert visible_text("\udcd6\ud800\ufffe") == "\\xd6\\ud800\\ufffe"


# ------------------------------------------------------------------------------------------------ 3. every formula found


def test_formulas_behind_entity_names_and_namespace_prefixes_are_found(forms, tmp_path):
    folder = tmp_path / "提交"
    folder.mkdir()
    src = forms.paths["D001"]

    def entity_names(members):
        m, xml = sheet_xml(members, src)
        members[m] = set_cell_xml(xml, "M7", b'<c r="M7" t="n"><f>1+0.5</f><v>1.5</v></c>')
        members["xl/workbook.xml"] = re.sub(
            rb'name="([^"]*)"', lambda n: b'name="' + "".join(f"&#{ord(c)};" for c in n.group(1).decode()).encode() + b'"',
            members["xl/workbook.xml"])

    def prefixed(members):
        m, xml = sheet_xml(members, src)
        xml = set_cell_xml(xml, "M7", b'<c r="M7"><f>1+1</f><v>2</v></c>')
        xml = xml.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                          b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1)
        members[m] = re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", xml)

    a = rewrite(src, folder / "D001_实体表名.xlsx", entity_names)
    b = rewrite(src, folder / "D001_前缀.xlsx", prefixed)
    outcomes = read_all(forms.scheme, forms.scheme.period(), [(a, a.name), (b, b.name)])
    for o in outcomes:
        assert o.verdict == PENDING, problems(o)
        assert [(i.sheet, i.cell) for i in o.issues] == [(IND, "M7")] and "公式" in o.issues[0].problem
        assert not [m for m in o.marks if m.cell == "M7"]


# ------------------------------------------------------------------------------------------------ 4. the smaller holes


def lying_member(src: Path, dst: Path, member: str, inflated: int) -> Path:
    """A copy of `src` whose `member` really inflates to `inflated` bytes but declares its original size."""
    with zipfile.ZipFile(src) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    honest = members[member]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    blob = out.getvalue()
    # replace the member's compressed data by a stream of `inflated` bytes, leaving its sizes and CRC as declared
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        info = z.getinfo(member)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = co.compress(honest) + co.compress(b" " * (inflated - len(honest))) + co.flush()
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = blob[:start] + bomb + blob[start + info.compress_size:]
    shift = len(bomb) - info.compress_size
    # fix the compressed size in the local header and the central directory, and the directory's offsets
    import struct
    data = bytearray(data)
    struct.pack_into("<I", data, info.header_offset + 18, len(bomb))
    eocd = data.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack_from("<I", data, eocd + 16)[0] + shift
    struct.pack_into("<I", data, eocd + 16, cd_offset)
    pos = cd_offset
    while data[pos:pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", data, pos + 28)
        name = bytes(data[pos + 46:pos + 46 + n]).decode()
        offset = struct.unpack_from("<I", data, pos + 42)[0]
        if name == member:
            struct.pack_into("<I", data, pos + 20, len(bomb))
        elif offset > info.header_offset:
            struct.pack_into("<I", data, pos + 42, offset + shift)
        pos += 46 + n + m + k
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize("case", ["lying size", "duplicate cell", "inserted column", "empty zip", "utf-8 csv",
                                  "gbk csv", "div0", "bad shared string"])
def test_the_smaller_holes(forms, tmp_path, case):
    folder = tmp_path / "提交"
    folder.mkdir()
    src = forms.paths["D001"]
    path = folder / f"{case}.xlsx"
    if case == "lying size":
        lying_member(src, path, member_of(src, IND), 400_000_000)
    elif case == "duplicate cell":
        rewrite(src, path, lambda ms: ms.__setitem__(member_of(src, IND), re.sub(
            rb'(<c r="M7"[^>]*>.*?</c>)', rb'\1<c r="M7" t="n"><v>2</v></c>', ms[member_of(src, IND)], count=1, flags=re.S)))
    elif case == "inserted column":
        edited(src, path, lambda wb: wb[IND].insert_cols(13))  # before 自评得分: the scores would land in 情况说明
    elif case == "empty zip":
        zipfile.ZipFile(path, "w").close()
    elif case == "utf-8 csv":
        path.write_bytes(("指标代码,自评得分,情况说明\n" + "GX01,1.5,按期完成全部任务\n" * 300).encode("utf-8"))
        assert path.stat().st_size > 4096
    elif case == "gbk csv":
        path.write_bytes(("指标代码,自评得分,情况说明\n" + "GX01,1.5,按期完成\n" * 20).encode("gbk"))
    elif case == "div0":
        rewrite(src, path, lambda ms: ms.__setitem__(member_of(src, IND), set_cell_xml(
            ms[member_of(src, IND)], "M7", b'<c r="M7" t="e"><v>#DIV/0!</v></c>')))
    elif case == "bad shared string":
        base = Base.of(src)
        members = base.with_shared_strings()
        m = member_of(src, IND)
        members = {**members, m: set_cell_xml(members[m], "N7", b'<c r="N7" t="s"><v>99999</v></c>')}
        path.write_bytes(zipped(members))
    os.utime(path, (ON_TIME.timestamp(), ON_TIME.timestamp()))
    import time
    started = time.perf_counter()
    (o,) = read_all(forms.scheme, forms.scheme.period(), [(path, path.name)])
    elapsed = time.perf_counter() - started
    text = problems(o)
    assert not INTERNAL.search(text), text
    expected = {
        "lying size": (REJECTED, "实际大小与声明不符"),
        "duplicate cell": (REJECTED, "单元格 M7 在文件中出现了两次"),
        "inserted column": (REJECTED, "列标题应为“自评得分”"),
        "empty zip": (REJECTED, "空的压缩包"),
        "utf-8 csv": (REJECTED, "文本文件（如 CSV）"),
        "gbk csv": (REJECTED, "文本文件（如 CSV）"),
        "div0": (PENDING, "错误值“#DIV/0!”"),
        "bad shared string": (REJECTED, "文件无法读取"),
    }[case]
    assert (o.verdict, expected[1] in text) == (expected[0], True), text
    assert "CSV" not in text or case.endswith("csv")
    if case == "div0":
        assert [(i.sheet, i.cell) for i in o.issues] == [(IND, "M7")] and "未填写" not in text
    if case == "lying size":
        assert elapsed < 10


# ------------------------------------------------------------------------------------------------ acceptance: 200 good + every crashing file


@pytest.mark.slow
def test_200_good_forms_and_every_crashing_file(tmp_path):
    """A collect of 200 good forms plus each crashing file of the issue finishes, collects the 200 and rejects
    only the bad ones, with peak memory under 1 GB."""
    office = write_sample(tmp_path / "考评台账.xlsx", "city")
    wb = openpyxl.load_workbook(office)
    ws = wb["单位"]
    template = [c.value for c in ws[2]]
    indicators = wb["指标"]
    own = [[c.value for c in row] for row in indicators.iter_rows(min_row=2) if row[10].value == template[0]]
    for n in range(200 - (ws.max_row - 1)):  # more units like the first, each with its own key indicators
        code = f"X{n:03d}"
        ws.append([code, f"新增单位{n:03d}", template[2], f"x{n}@example.gov.cn", "王立新", 50])
        for k, row in enumerate(own):
            indicators.append([f"{code}-{k + 1}", *row[1:10], code, *row[11:]])
    ranks = wb["排名分值"]
    for place in range(ranks.max_row, 201):  # the mayor ranks every unit
        ranks.append([place, max(1, 101 - place)])
    wb.save(office)
    book = FileOfficeBook(office)
    scheme = load_scheme(book)
    units = [p for p in generate(book, kinds=["unit"]).paths]
    assert len(units) == 200
    folder = tmp_path / "提交"
    folder.mkdir()
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(2) as pool:
        good = list(pool.map(_fill, [(p, folder / p.name, scheme, n) for n, p in enumerate(units)]))
    src = good[0]
    m = member_of(src, IND)
    bad = {}

    def sheet_change(name, change):
        bad[name] = rewrite(src, tmp_path / name, lambda ms: ms.__setitem__(m, change(ms[m])))

    sheet_change("大行号.xlsx", lambda x: set_cell_xml(x, "N7", b'<c r="N99999999" t="inlineStr"><is><t>x</t></is></c>'))
    sheet_change("超大行号.xlsx", lambda x: x.replace(b'<row r="7"', b'<row r="4294967297"', 1))
    sheet_change("XFD1048576.xlsx", lambda x: x.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" '
                                                                          b't="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    sheet_change("前缀公式.xlsx", lambda x: re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", set_cell_xml(
        x, "M7", b'<c r="M7"><f>1+1</f><v>2</v></c>').replace(b'xmlns="', b'xmlns:x="', 1)))
    sheet_change("重复单元格.xlsx", lambda x: re.sub(rb'(<c r="M7"[^>]*>.*?</c>)', rb'\1<c r="M7"><v>2</v></c>', x, count=1, flags=re.S))
    bad["谎报大小.xlsx"] = lying_member(src, tmp_path / "谎报大小.xlsx", m, 400_000_000)
    # and a form that is good but for a control character typed in an explanation (it stopped the whole collect)
    typed = rewrite(good[1], tmp_path / "typed.xlsx", lambda ms: ms.__setitem__(m, set_cell_xml(ms[m], "N7", TYPED)))
    shutil.move(typed, good[1])
    gbk = os.path.join(os.fsencode(folder), "错误编码".encode("gbk") + b".xlsx")
    for name, p in bad.items():
        shutil.move(p, folder / name)
    shutil.copy(src, gbk)  # a good form under a GBK name: a copy of the first, so it supersedes or is superseded
    for p in folder.iterdir():  # the crafted copies of the first form are older: its good file is the one that counts
        when = ON_TIME.timestamp() - (86400 if p.name in bad else 0)
        os.utime(p, (when, when))
    result = collect(book, folder)
    by_name = {o.name: o for o in result.outcomes}
    received = [o for o in result.outcomes if o.verdict in (RECEIVED, SUPERSEDED) and not o.name.startswith(tuple(bad))]
    assert len({o.recipient for o in received}) == 200
    for name in bad:
        o = by_name[name]
        flagged = o.issues if o.verdict != SUPERSEDED else o.found  # a 待更正 copy is superseded by the good file
        assert o.verdict in (REJECTED, PENDING, SUPERSEDED) and any(i.severity == "错误" for i in flagged), (name, problems(o))
        assert CRASHED not in problems(o) and not INTERNAL.search(" ".join(i.problem for i in flagged))
    assert all(o.verdict in (RECEIVED, SUPERSEDED) for o in result.outcomes if o.name not in bad), \
        [(o.name, problems(o)) for o in result.outcomes if o.name not in bad and o.verdict not in (RECEIVED, SUPERSEDED)]
    missing = {o.recipient for o in received} - set(result.marks["单位代码"])
    assert not missing, [(o.name, o.verdict, problems(o)) for o in result.outcomes if o.recipient in missing]
    openpyxl.load_workbook(office)
    CalamineWorkbook.from_path(str(office)).get_sheet_by_name(ledger.STATUS.name).to_python()
    print(f"\n{len(result.outcomes)} files, peak memory {peak_mb():.0f} MB")
    assert peak_mb() < 1024


def _fill(args) -> Path:
    src, dst, scheme, seed = args
    return fill(src, dst, scheme, random.Random(seed))


# ------------------------------------------------------------------------------------------------ 5. fuzz


def test_fuzz_mutants_of_every_kind_are_accepted_unchanged_or_flagged(forms, tmp_path):
    seed = int(os.environ.get("XLPLUGIN_FUZZ_SEED", "20270115"))
    figures = fuzz(forms.scheme, forms.scheme.period(), sorted(forms.paths.values()), 400, seed, tmp_path / "mutants",
                   workers=2, batch=400)
    print(f"\nfuzz seed {seed}: {figures.line()}")
    assert figures.mutants == 400 and figures.accepted + figures.flagged == 400, \
        (figures.crashed + figures.wrong + figures.unhandled)[:10]
    assert figures.accepted > 50 and figures.flagged > 50
    assert figures.peak_mb < 1024


def test_fuzz_mutants_of_the_county_forms_and_the_leaders_grading(county, tmp_path):
    """The county sample's forms, among them the leaders' grading form (等次 from a list on 定等评价表): every
    mutant is accepted with the original's values or flagged, none crashes a reader."""
    seed = int(os.environ.get("XLPLUGIN_FUZZ_SEED", "20270115"))
    by_kind: dict[str, list[Path]] = {}
    for p in sorted(county.result.paths):
        by_kind.setdefault(p.parent.name, []).append(p)
    bases = [fill(p, tmp_path / "filled" / p.name, county.scheme, random.Random(n))
             for n, p in enumerate(src for group in by_kind.values() for src in group[:2])]
    assert "leader" in {read_meta(FormFile(p)).kind for p in bases}
    figures = fuzz(county.scheme, county.scheme.period(), bases, 200, seed, tmp_path / "mutants", workers=2, batch=200)
    print(f"\ncounty fuzz seed {seed}: {figures.line()}")
    assert figures.accepted + figures.flagged == 200, (figures.crashed + figures.wrong + figures.unhandled)[:10]
    assert figures.accepted > 20 and figures.flagged > 20

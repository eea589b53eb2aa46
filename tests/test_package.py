"""The package writer (xlplugin.xlsxpkg) behind FileOfficeBook.write_sheets: only the owned sheets' parts change.

Round trips read back by calamine and openpyxl; text that looks like a formula stays text; control characters
are escaped visibly; styles merge once; permissions and bounded backups; an office sheet holding a chart, an image
and a pivot table (made by LibreOffice through UNO) byte-identical through collect, score and feedback, and the
workbook opening in LibreOffice after each verb; SIGKILL at several points of the writer.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from conftest import requires_soffice
from xlplugin import ledger
from xlplugin.files import prune_backups
from xlplugin.init import init
from xlplugin.officebook import ChartSpec, FileOfficeBook, SheetLook

OWNED = "测试表"


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "单位代码": ["D001", "=1+1", "+SUM(A1)", "@x", "-1", "001"],
        "说明": ["按期完成\x01", "  空格  ", "换行\n第二行", "<&>\"'", "\ud800", None],
        "得分": [91.666, 92.3, 0.0, -5.5, 1e-7, None],
        "日期": [datetime(2027, 1, 2), datetime(2027, 1, 2, 9, 30), None, None, None, None],
        "件数": [1, 2, 3, 4, 5, 6],
    })


def shown(value):
    return {"按期完成\x01": "按期完成␁", "\ud800": "\\ud800"}.get(value, value)


def test_round_trip_by_calamine_and_openpyxl(city_office):
    book = FileOfficeBook(city_office)
    f = frame()
    book.write_sheets({OWNED: f}, looks={OWNED: SheetLook(title="标题", number_formats={"得分": "0.00"})})
    rows = CalamineWorkbook.from_path(str(city_office)).get_sheet_by_name(OWNED).to_python()
    assert rows[0] == list(f.columns)
    ws = openpyxl.load_workbook(city_office)[OWNED]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    for i, row in enumerate(f.itertuples(index=False), start=1):
        assert grid[i][0] == row[0] == rows[i][0]  # text stays text, even '=1+1'
        assert grid[i][1] == (None if pd.isna(row[1]) else shown(row[1]))
        assert grid[i][2] == (None if pd.isna(row[2]) else row[2])
        assert grid[i][4] == row[4]
    assert grid[1][3] == datetime(2027, 1, 2) and grid[2][3] == datetime(2027, 1, 2, 9, 30)
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 8))
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E7"
    assert ws.cell(2, 3).number_format == "0.00"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1


def test_styles_merge_once_and_the_office_sheets_stay(city_office):
    book = FileOfficeBook(city_office)
    before = parts(city_office)
    look = {OWNED: SheetLook(grade_column="单位代码", grade_colors={"D001": "C6EFCE"}, number_formats={"得分": "0.00"})}
    chart = {OWNED: ChartSpec("图", skip=("日期",))}
    book.write_sheets({OWNED: frame()}, chart, look)
    once = parts(city_office)
    book.write_sheets({OWNED: frame()}, chart, look)
    twice = parts(city_office)
    assert once["xl/styles.xml"] == twice["xl/styles.xml"] and once["xl/workbook.xml"] == twice["xl/workbook.xml"]
    assert sorted(once) == sorted(twice)  # the old chart's parts went, the new ones took their names
    assert sum(n.startswith("xl/charts/") for n in twice) == 1
    for name, data in before.items():
        if name not in ("xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
            assert twice[name] == data, name
    assert FileOfficeBook(city_office).sheet_names()[-1] == OWNED


def test_a_replaced_sheet_keeps_its_place_and_permissions(city_office):
    os.chmod(city_office, 0o664)
    book = FileOfficeBook(city_office)
    names = book.sheet_names()
    book.write_sheets({names[3]: pd.DataFrame({"a": [1], "b": ["x"]})})
    assert FileOfficeBook(city_office).sheet_names() == names
    assert oct(os.stat(city_office).st_mode & 0o777) == oct(0o664)
    assert book.latest_backup is not None and book.latest_backup.exists()


def test_backups_are_bounded(tmp_path):
    target = tmp_path / "台账.xlsx"
    target.write_bytes(b"x")
    folder = tmp_path / ledger.BACKUP_FOLDER
    folder.mkdir()
    made = []
    for day in (1, 2):
        for n in range(5):
            made.append(folder / f"台账.202701{day:02d}-0900{n:02d}-000000.xlsx")
            made[-1].write_bytes(b"x")
    (folder / "别的文件.xlsx").write_bytes(b"x")
    prune_backups(target, ledger.BACKUP_FOLDER, 3)
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted(["别的文件.xlsx", made[0].name, made[5].name] + [p.name for p in made[-3:]])


# ----------------------------------------------------------------------- an office sheet made in LibreOffice

def png(width: int, height: int) -> bytes:
    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def sheet_parts(path: Path, names: list[str]) -> dict[str, bytes]:
    """Every part the sheets `names` consist of: the sheet, and what its relationships reach, recursively."""
    from xlplugin.xlsxpkg import relationships as rels
    from xlplugin.xlsxpkg.workbook import Workbook

    every = parts(path)

    def rels_of(part):
        name = rels.rels_name(part)
        return rels.read(part, every[name]) if name in every else []

    book = Workbook(every["xl/workbook.xml"])
    book_rels = {r.id: r.target for r in rels_of("xl/workbook.xml")}
    starts = {book_rels[book.relationship(book.position(n))] for n in names}
    reached = rels.reachable(starts, rels_of)
    return {p: every[p] for p in reached | {rels.rels_name(p) for p in reached} if p in every}


def opens_in_libreoffice(path: Path, out: Path) -> None:
    """LibreOffice loads the whole workbook and saves it again (as .ods: printing every sheet to PDF takes minutes)."""
    out.mkdir(exist_ok=True)
    done = subprocess.run(["soffice", f"-env:UserInstallation=file://{out}/profile", "--headless", "--convert-to",
                           "ods", "--outdir", str(out), str(path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and (out / (path.stem + ".ods")).stat().st_size > 1000, done.stderr


@pytest.mark.slow
@requires_soffice
@pytest.mark.skipif(subprocess.run(["/usr/bin/python3", "-c", "import uno"], capture_output=True).returncode != 0,
                    reason="python3-uno is not installed")
def test_an_office_sheet_with_chart_image_and_pivot_survives_the_cycle(tmp_path):
    from xlplugin.collect import collect
    from xlplugin.feedback import feedback
    from xlplugin.generate import generate
    from xlplugin.scheme import load_scheme
    from xlplugin.score import score
    from xlplugin.simulate import simulate_office, simulate_returns

    plain = init(tmp_path / "plain.xlsx", "city")
    (tmp_path / "red.png").write_bytes(png(8, 8))
    office = tmp_path / "work" / "考评台账.xlsx"
    office.parent.mkdir()
    subprocess.run(["/usr/bin/python3", str(Path(__file__).parent / "uno_office_sheet.py"), str(plain), str(office),
                    str(tmp_path / "red.png"), f"xlplugin-test-{os.getpid()}"], check=True, timeout=300)
    office_sheets = [s.name for s in ledger.SCHEME_SHEETS if s.needed] + ["办公室分析"]  # the city has no 定等分值
    theirs = sheet_parts(office, office_sheets)
    assert any(p.startswith("xl/charts/") for p in theirs) and any(p.startswith("xl/media/") for p in theirs)
    assert any(p.startswith("xl/pivotTables/") for p in theirs)
    caches = {n: d for n, d in parts(office).items() if n.startswith("xl/pivotCache/")}
    assert caches

    book = FileOfficeBook(office)
    scheme = load_scheme(book)
    forms = generate(book).paths
    folder = tmp_path / "returned"
    simulate_returns(scheme, forms, folder, random.Random(1))

    def check(verb: str) -> None:
        assert sheet_parts(office, office_sheets) == theirs, verb
        assert {n: d for n, d in parts(office).items() if n.startswith("xl/pivotCache/")} == caches, verb
        opens_in_libreoffice(office, tmp_path / f"lo-{verb}".replace(" ", "-"))

    collect(book, folder)
    check("collect")
    simulate_office(book, scheme, random.Random(2))
    check("office inputs")
    score(book)
    check("score")
    feedback(book)
    check("feedback")
    wb = openpyxl.load_workbook(office)  # the scheme sheets' dropdowns, widths and colours as init made them
    assert wb[ledger.UNITS.name].column_dimensions["B"].width > 10
    assert wb[ledger.INDICATORS.name].data_validations.dataValidation
    assert wb[ledger.SETTINGS.name]["A1"].fill.fgColor.rgb.endswith("305496")


# ------------------------------------------------------------------------------------------------ SIGKILL

KILL_SCRIPT = """
import sys
import pandas as pd
from xlplugin.officebook import FileOfficeBook
rows = 150_000
frame = pd.DataFrame({"单位代码": [f"D{i:05d}" for i in range(rows)], "说明": ["情况说明" * 5] * rows,
                      "得分": [i / 7 for i in range(rows)]})
print("ready", flush=True)
FileOfficeBook(sys.argv[1]).write_sheets({"测试表": frame})
print("done", flush=True)
"""


@pytest.mark.slow
def test_the_writer_killed_leaves_the_old_or_the_new_workbook(city_office, tmp_path):
    pristine = tmp_path / "pristine.xlsx"
    shutil.copy(city_office, pristine)
    old = pristine.read_bytes()
    folder = city_office.parent

    def temps():
        return [t for t in folder.glob(".~*.xlsx") if t.exists()]

    def wait(condition, proc, timeout=120):
        deadline = time.time() + timeout
        while not condition() and proc.poll() is None:
            assert time.time() < deadline
            time.sleep(0.002)

    moments = {"started": lambda proc: time.sleep(0.3),
               "temp file created": lambda proc: wait(lambda: bool(temps()), proc),
               "temp file growing": lambda proc: wait(lambda: any(t.stat().st_size > 2_000_000 for t in temps()), proc),
               "replaced": lambda proc: wait(lambda: city_office.stat().st_ino != inode, proc)}
    seen = []
    for moment, until in moments.items():
        shutil.copy(pristine, city_office)
        for t in temps():
            t.unlink()
        inode = city_office.stat().st_ino
        proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(city_office)], stdout=subprocess.PIPE,
                                text=True, start_new_session=True)
        assert proc.stdout.readline().strip() == "ready"
        until(proc)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        if city_office.read_bytes() == old:
            seen.append((moment, "old"))
            assert "测试表" not in FileOfficeBook(city_office).sheet_names()
        else:
            seen.append((moment, "new"))
            assert len(FileOfficeBook(city_office).read_sheet("测试表")) == 150_000
        if moment == "replaced":
            assert seen[-1][1] == "new", seen
    assert ("temp file growing", "old") in seen, seen

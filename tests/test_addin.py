"""The Excel add-in built by `xlplugin addin build`: its ribbon, its VBA, and how the VBA reads back.

The VBA project is written by xlplugin.addin (build, with cfb for MS-CFB and ovba for MS-OVBA). Nothing here trusts
that writer: what it wrote is read back with oletools (olefile for the compound file, oletools' own MS-OVBA
decompression) and with LibreOffice, which imports the VBA source of a macro-enabled workbook it opens. Tests of
a built add-in are slow (`pytest -m "not slow"` leaves them out); the round trips of the two formats are not.
"""
from __future__ import annotations

import importlib
import inspect
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, decompress_stream

from xlplugin import cli
from xlplugin.addin import cfb, ovba
from xlplugin.addin.build import CODE_PAGE, build, default_output, sources, template_path
from xlplugin.addin.buttons import BUTTONS, CALLBACK, TAB
from xlplugin.addin.install import write_config
from xlplugin.ribbon import HANDLERS

NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, where python3-uno lives


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("addin") / "xlplugin.xlam")


def vba_modules(path: Path) -> dict[str, str]:
    """Module name -> source, as oletools reads it (the whole source, Attribute lines included)."""
    parser = VBA_Parser(str(path))
    try:
        return {Path(vba_filename).stem: code for _, _, vba_filename, code in parser.extract_all_macros()}
    finally:
        parser.close()


def ribbon(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as z:
        return ET.fromstring(z.read("customUI/customUI.xml"))


def test_ribbon_xml_is_the_button_list():
    """The rendered customUI.xml holds exactly the list's tab, groups and buttons (ids, labels, icons, tooltips)."""
    root = ET.fromstring(sources()["customUI.xml"])
    assert root.tag == "{%s}customUI" % NS["ui"]
    (tab,) = root.findall(".//ui:tab", NS)
    assert (tab.get("id"), tab.get("label")) == (TAB.id, TAB.label)
    groups = tab.findall("ui:group", NS)
    assert [(g.get("id"), g.get("label")) for g in groups] == [(g.id, g.label) for g in TAB.groups]
    for group, expected in zip(groups, TAB.groups):
        got = [{k: b.get(k) for k in ("id", "label", "imageMso", "onAction", "screentip", "supertip", "size")}
               for b in group.findall("ui:button", NS)]
        assert got == [{"id": b.id, "label": b.label, "imageMso": b.image, "onAction": CALLBACK, "screentip": b.label,
                        "supertip": b.tip, "size": "large"} for b in expected.buttons]
    assert [b.label for b in BUTTONS] == ["初始化台账", "生成表格", "发送表格", "收集汇总", "计算排名", "生成反馈",
                                          "发送反馈", "打开输出文件夹", "帮助"]
    assert len({b.id for b in BUTTONS}) == len(BUTTONS)
    assert not any("完成后提供" in b.tip for b in BUTTONS)  # every button works: no "comes later"


def test_every_button_has_a_handler_and_every_handler_a_button():
    assert list(HANDLERS) == [b.id for b in BUTTONS]  # in the ribbon's order, too
    assert all(callable(h) for h in HANDLERS.values())


@pytest.mark.slow
def test_ribbon_has_the_tab_and_the_nine_buttons_in_order(built):
    root = ribbon(built)
    tabs = root.findall(".//ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["绩效考评"]
    buttons = root.findall(".//ui:button", NS)
    assert [(b.get("id"), b.get("label"), b.get("imageMso")) for b in buttons] == [(b.id, b.label, b.image)
                                                                                   for b in BUTTONS]


@pytest.mark.slow
def test_every_callback_in_the_ribbon_exists_in_the_vba(built):
    code = vba_modules(built)
    callbacks = {b.get("onAction") for b in ribbon(built).findall(".//ui:button", NS)}
    assert callbacks == {"XlpluginRibbon.OnRibbon"}  # one callback for every button
    for callback in callbacks:
        module, proc = callback.split(".")
        assert re.search(rf"(?m)^(Public )?Sub {proc}\(control As IRibbonControl\)", code[module]), callback


@pytest.mark.slow
def test_every_python_target_the_vba_calls_exists(built):
    code = vba_modules(built)
    own = {m: s for m, s in code.items() if m not in ("xlwings", "Dictionary")}
    calls = [c for s in own.values() for c in re.findall(r'RunPython "([^"]*)"', s)]
    assert calls == ["import xlplugin.ribbon as x; x.on_ribbon('"]  # the rest is & control.Id & "')"
    for call in calls:
        module, alias, func = re.fullmatch(r"import ([\w.]+) as (\w+); \2\.(\w+)\('", call).groups()
        target = getattr(importlib.import_module(module), func)
        assert callable(target) and list(inspect.signature(target).parameters)[0] == "control_id"
    # RunPython itself is xlwings' module of the add-in
    assert re.search(r"(?m)^Public Function RunPython\(PythonCommand As String\)", code["xlwings"])
    # what on_ribbon receives is a control id of the ribbon, and it knows every one
    ids = {b.get("id") for b in ribbon(built).findall(".//ui:button", NS)}
    assert ids == set(HANDLERS)


@pytest.mark.slow
def test_vba_read_back_with_oletools_equals_the_source(built):
    code = vba_modules(built)
    template = vba_modules(template_path())
    assert code["XlpluginRibbon"] == sources()["XlpluginRibbon"]
    assert code["XlpluginRibbon"].startswith('Attribute VB_Name = "XlpluginRibbon"\r\n')
    # xlwings' 45 KB module, recompressed: only PROJECT_NAME differs
    expected = template["xlwings"].replace('PROJECT_NAME As String = "myaddin"', 'PROJECT_NAME As String = "xlplugin"')
    assert len(code["xlwings"]) > 40_000 and code["xlwings"] == expected
    for name in ("ThisWorkbook", "Sheet2", "Dictionary"):  # untouched
        assert code[name] == template[name]
    assert set(code) == {"ThisWorkbook", "Sheet2", "Dictionary", "xlwings", "XlpluginRibbon"}


@pytest.mark.slow
def test_vba_project_is_a_sound_compound_file(built, tmp_path):
    with zipfile.ZipFile(built) as z:
        data = z.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_POTENTIAL)  # any irregularity raises
    assert sorted("/".join(p) for p in ole.listdir()) == [
        "PROJECT", "PROJECTwm", "VBA/Dictionary", "VBA/Sheet2", "VBA/ThisWorkbook", "VBA/XlpluginRibbon",
        "VBA/_VBA_PROJECT", "VBA/dir", "VBA/xlwings"]
    assert ole.openstream("VBA/_VBA_PROJECT").read()[:4] == b"\xcc\x61\xff\xff"  # compile from source
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert 'Name="xlplugin"' in project and "Module=XlpluginRibbon" in project and "RibbonMyAddin" not in project
    records = ovba.parse_dir(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    assert (ovba.PROJECTNAME, b"xlplugin") in records
    mods = {m["name"]: m for m in ovba.modules(records, CODE_PAGE)}
    assert mods["XlpluginRibbon"]["offset"] == 0 and mods["xlwings"]["offset"] == 0
    # our reader agrees with olefile on every stream
    ours = cfb.read_cfb(data)
    assert ours == {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}


@pytest.mark.slow
def test_workbook_parts(built):
    with zipfile.ZipFile(built) as z:
        names = set(z.namelist())
        workbook = z.read("xl/workbook.xml").decode()
        types = z.read("[Content_Types].xml").decode()
    assert {"customUI/customUI.xml", "xl/vbaProject.bin", "xl/workbook.xml"} <= names
    assert 'name="_xlplugin.conf"' in workbook
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types


@pytest.mark.slow
def test_build_is_reproducible(built, tmp_path):
    assert build(tmp_path / "again.xlam").read_bytes() == built.read_bytes()


@pytest.mark.slow
def test_the_committed_addin_is_built_from_the_sources(built):
    committed = default_output()
    if not committed.exists():
        pytest.skip("workbooks/xlplugin.xlam is not in the tree (run xlplugin addin build)")
    def parts(path: Path) -> dict[str, bytes]:  # compared by content: deflate output may vary with zlib
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist()}

    assert parts(committed) == parts(built), "the add-in is out of date: run  xlplugin addin build"


@settings(max_examples=60, deadline=None)
@given(st.one_of(
    st.binary(max_size=9000),
    st.text(alphabet="ab \r\n", max_size=12000).map(str.encode),
    st.lists(st.sampled_from([b"Dim x As Long\r\n", b"    RunPython \"x\"\r\n", b"' comment\r\n", b"End Sub\r\n"]),
             max_size=900).map(b"".join),
))
def test_compression_is_read_back_by_oletools(data):
    try:
        packed = ovba.compress(data)
    except ValueError:  # random bytes whose last, partial chunk does not compress: never VBA source
        return
    assert bytes(decompress_stream(bytearray(packed))) == data
    assert ovba.decompress(packed) == data


def test_cfb_writer_read_back_by_olefile():
    streams = {"a": b"", "small": b"x" * 100, "VBA/edge": b"y" * 4095, "VBA/big": bytes(range(256)) * 40,
               "VBA/deeper/z": b"z" * 5000, "PROJECTwm": b"w" * 64}
    data = cfb.write_cfb(streams)
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_POTENTIAL)
    assert {"/".join(p): ole.openstream(p).read() for p in ole.listdir()} == streams
    assert cfb.read_cfb(data) == streams


# ------------------------------------------------------------------------------------------ LibreOffice

LO_SCRIPT = r'''
import json, os, subprocess, sys, tempfile, time, uuid
import uno
from com.sun.star.beans import PropertyValue

REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Load" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Executable" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
</oor:items>
"""

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

path, soffice, profile = sys.argv[1:4]
os.makedirs(os.path.join(profile, "user"))
with open(os.path.join(profile, "user", "registrymodifications.xcu"), "w") as f:
    f.write(REGISTRY)
pipe = "xlp" + uuid.uuid4().hex[:8]
proc = subprocess.Popen([soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
                         "-env:UserInstallation=file://" + profile, "--accept=pipe,name=%s;urp;" % pipe],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
desktop = None
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.25)
    else:
        raise SystemExit("LibreOffice did not start")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
                                       (prop("Hidden", True), prop("ReadOnly", True)))
    libs, out = doc.BasicLibraries, {}
    for lib in libs.getElementNames():
        libs.loadLibrary(lib)
        container = libs.getByName(lib)
        out[lib] = {m: container.getByName(m) for m in container.getElementNames()}
    doc.close(True)
    print(json.dumps(out))
finally:
    try:
        if desktop is not None:
            desktop.terminate()
    except Exception:
        pass
    try:
        proc.wait(timeout=30)
    except Exception:
        proc.kill()
'''


def _has_uno() -> bool:
    if not (Path(SYSTEM_PYTHON).exists() and shutil.which("soffice")):
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def lo_source(text: str) -> str:
    """LibreOffice keeps non-executable VBA as a Basic Sub of 'Rem ' lines; the VBA lines, Attribute lines dropped."""
    lines = text.split("\n")
    assert lines[0].startswith("Rem Attribute VBA_ModuleType=") and lines[1].startswith("Sub ")
    body = lines[2:len(lines) - lines[::-1].index("End Sub") - 1]
    assert all(line.startswith("Rem ") or line == "" for line in body)
    return "\n".join(line[4:] for line in body).rstrip("\n ")


def vba_without_attributes(text: str) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line for line in lines if not line.lstrip().startswith("Attribute ")).rstrip("\n ")


@pytest.mark.slow
@pytest.mark.soffice
@pytest.mark.skipif(not _has_uno(), reason="needs LibreOffice and Debian's python3-uno (apt-get install python3-uno)")
def test_libreoffice_reads_the_same_vba(built, tmp_path):
    """LibreOffice's own compound-file and MS-OVBA readers import the same modules and sources."""
    xlsm = tmp_path / "xlplugin.xlsm"  # Calc imports VBA from a macro-enabled workbook: declare the add-in as one
    with zipfile.ZipFile(built) as zin, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.ms-excel.addin.macroEnabled.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            zout.writestr(info, data)
    script = tmp_path / "lo_vba.py"
    script.write_text(LO_SCRIPT, encoding="utf-8")
    run = subprocess.run([SYSTEM_PYTHON, str(script), str(xlsm), shutil.which("soffice"), str(tmp_path / "profile")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    libraries = json.loads(run.stdout)
    assert "xlplugin" in libraries  # the VBA project's name
    lo = libraries["xlplugin"]
    ours = vba_modules(built)
    assert set(lo) == set(ours)
    for name in ours:
        assert lo_source(lo[name]) == vba_without_attributes(ours[name]), name
    assert "x.on_ribbon('\" & control.Id & \"')" in lo["XlpluginRibbon"]


# ------------------------------------------------------------------------------------------ command line


@pytest.mark.slow
def test_build_from_the_command_line(tmp_path, capsys):
    assert cli.main(["addin", "build", "--output", str(tmp_path / "a.xlam")]) == 0
    assert (tmp_path / "a.xlam").exists()
    assert "已生成加载项" in capsys.readouterr().out


@pytest.mark.skipif(sys.platform.startswith("win") or sys.platform == "darwin", reason="Linux behaviour")
def test_install_on_linux_says_excel_is_not_here(capsys):
    assert cli.main(["addin", "install"]) == 1
    err = capsys.readouterr().err
    assert "没有 Microsoft Excel" in err and "xlplugin -h" in err


def test_config_file_points_at_the_interpreter(tmp_path):
    path = tmp_path / ".xlplugin" / "xlplugin.conf"
    write_config(path, "C:\\Python\\python.exe")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith('","C:\\Python\\python.exe"') and lines[0].startswith('"INTERPRETER_')
    assert '"ADD_WORKBOOK_TO_PYTHONPATH","False"' in lines

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
from xlplugin.addin.build import (CODE_PAGE, NO_PYTHON, NO_WORKBOOK, OLD_CONDA, UI_RELATIONSHIP, build,
                                  default_output, patch_xlwings, sources, template_path)
from xlplugin.addin.buttons import BUTTONS, CALLBACK, TAB, Button, Menu
from xlplugin.addin.install import conda_settings, vba_code_page, write_config
from xlplugin.addin.install import settings as addin_settings
from xlplugin.errors import UserError
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
    keys = ("id", "label", "imageMso", "onAction", "screentip", "supertip", "size")

    def button(b: Button, size: str | None) -> dict:
        return {"id": b.id, "label": b.label, "imageMso": b.image, "onAction": CALLBACK, "screentip": b.label,
                "supertip": b.tip, "size": size}

    for group, expected in zip(groups, TAB.groups):
        got, want = [], []
        for control in group:  # buttons and menus, in order
            got.append({k: control.get(k) for k in keys})
            got += [{k: b.get(k) for k in keys} for b in control.findall("ui:button", NS)]  # a menu's items
        for control in expected.buttons:
            if isinstance(control, Menu):
                want.append({**button(control, "large"), "onAction": None})
                want += [button(b, None) for b in control.items]  # items take the menu's itemSize
            else:
                want.append(button(control, "large"))
        assert got == want
    menu, = [c for c in TAB.groups[0].buttons if isinstance(c, Menu)]
    assert menu.label == "初始化台账" and [b.id for b in menu.items] == ["xlp_init", "xlp_init_county", "xlp_init_province"]
    assert [b.label for b in BUTTONS][3:] == ["生成表格", "发送表格", "收集汇总", "更新预填表格", "发送更新的表格", "计算排名",
                                              "方案模拟", "生成反馈", "发送反馈", "打开输出文件夹", "帮助"]
    assert len({b.id for b in BUTTONS}) == len(BUTTONS)
    assert not any("完成后提供" in b.tip for b in BUTTONS)  # every button works: no "comes later"


def test_every_button_has_a_handler_and_every_handler_a_button():
    assert list(HANDLERS) == [b.id for b in BUTTONS]  # in the ribbon's order, too
    assert all(callable(h) for h in HANDLERS.values())


@pytest.mark.slow
def test_ribbon_has_the_tab_and_its_buttons_in_order(built):
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
    # xlwings' 45 KB module, recompressed: only the patches differ (PROJECT_NAME, GetConfig, messages)
    assert len(code["xlwings"]) > 40_000 and code["xlwings"] == patch_xlwings(template["xlwings"])
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


# ------------------------------------------------------------------------------- the add-in on a stranger's PC
# What the VBA does with the settings file, simulated from its source: GetConfigFromFile reads it with
# `Open ... For Input` / `Input #` (bytes decoded in the system's ANSI code page), every value then passes through
# ExpandEnvironmentStrings; GetConfig consults its sources in the order its text names them.

CHINESE_PYTHON = r"C:\Users\张三\AppData\Local\Programs\Python\Python311\python.exe"
CHINESE_ENV = {"USERPROFILE": r"C:\Users\张三", "APPDATA": r"C:\Users\张三\AppData\Roaming",
               "LOCALAPPDATA": r"C:\Users\张三\AppData\Local"}


def vba_input(data: bytes, code_page: str) -> list[tuple[str, str]]:
    """The (name, value) pairs VBA's `Input #f, sVarName, sVarValue` reads from a file, in the ANSI code page."""
    text = data.decode(code_page, errors="replace")
    fields, i = [], 0
    while i < len(text):
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text):
            break
        if text[i] == '"':  # a quoted field runs to the next quote: no escapes
            end = text.index('"', i + 1)
            fields.append(text[i + 1:end])
            i = end + 1
        else:
            end = min([j for j in (text.find(",", i), text.find("\n", i)) if j >= 0] or [len(text)])
            fields.append(text[i:end].strip())
            i = end
        while i < len(text) and text[i] in " \t\r":
            i += 1
        if i < len(text) and text[i] in ",\n":
            i += 1
    return list(zip(fields[::2], fields[1::2]))


def vba_expand(value: str, environ: dict[str, str]) -> str:
    """WScript.Shell's ExpandEnvironmentStrings: %NAME% of a defined variable replaced, anything else kept."""
    upper = {k.upper(): v for k, v in environ.items()}
    return re.sub(r"%([^%]+)%", lambda m: upper.get(m.group(1).upper(), m.group(0)), value)


def vba_config_file(path: Path, key: str, code_page: str, environ: dict[str, str]) -> str | None:
    """GetConfigFromFile then ExpandEnvironmentStrings, as GetConfig does with the user's file."""
    for name, value in vba_input(path.read_bytes(), code_page):
        if name.lower() == key.lower():
            return vba_expand(value, environ)
    return None


def vba_function(source: str, name: str) -> str:
    return re.search(rf"(?ms)^(?:Public |Private )?(?:Function|Sub) {name}\(.*?^End (?:Function|Sub)\r?$", source).group(0)


@pytest.fixture(scope="module")
def xlwings_vba(built) -> str:
    return vba_modules(built)["xlwings"]


@pytest.mark.slow
def test_the_vba_reads_the_settings_file_as_simulated(built, xlwings_vba):
    """What the simulation above assumes, in the add-in's VBA: Input # of "KEY","value" pairs, case-blind keys, the
    user's file at %USERPROFILE%\\.xlplugin\\xlplugin.conf, every value expanded."""
    reader = vba_function(xlwings_vba, "GetConfigFromFile")
    assert "Open sFile For Input As iFileNum" in reader and "Input #iFileNum, sVarName, sVarValue" in reader
    assert "LCase(sVarName) = LCase(sName)" in reader
    assert ('GetConfigFilePath = Environ("USERPROFILE") & "\\." & PROJECT_NAME & "\\" & PROJECT_NAME & ".conf"'
            in xlwings_vba and 'PROJECT_NAME As String = "xlplugin"' in xlwings_vba)
    getconfig = vba_function(xlwings_vba, "GetConfig")
    assert getconfig.count("GetConfig = ExpandEnvironmentStrings(GetConfig)") == 3  # add-in sheet, user file, default


def test_settings_round_trip_for_a_chinese_user_name(tmp_path):
    """6: written in the ANSI code page the VBA reads it in, a Python under C:\\Users\\张三 comes back as written."""
    path = tmp_path / ".xlplugin" / "xlplugin.conf"
    values = write_config(path, CHINESE_PYTHON, platform="win32", encoding="cp936", prefix=tmp_path, environ=CHINESE_ENV)
    assert values == {"INTERPRETER_WIN": CHINESE_PYTHON, "ADD_WORKBOOK_TO_PYTHONPATH": "False"}
    assert path.read_bytes() == ('"INTERPRETER_WIN","%s"\r\n"ADD_WORKBOOK_TO_PYTHONPATH","False"\r\n'
                                 % CHINESE_PYTHON).encode("cp936")
    for key, value in values.items():
        assert vba_config_file(path, key, "cp936", CHINESE_ENV) == value
    # what the UTF-8 file did: 张三 read back in cp936 is 寮犱笁, and "Could not find Interpreter!"
    assert "寮犱笁" in CHINESE_PYTHON.encode("utf-8").decode("cp936", errors="replace")
    assert vba_code_page("linux") == vba_code_page("darwin") == "utf-8"  # Windows: cp + GetACP(), not testable here


def test_a_path_the_code_page_cannot_hold_is_written_from_a_folder_the_vba_expands(tmp_path):
    """6: on a Windows whose ANSI code page has no 张三 (cp1252), the path goes through %LOCALAPPDATA%."""
    path = tmp_path / "xlplugin.conf"
    write_config(path, CHINESE_PYTHON, platform="win32", encoding="cp1252", prefix=tmp_path, environ=CHINESE_ENV)
    data = path.read_bytes()
    assert data.isascii() and b'"INTERPRETER_WIN","%LOCALAPPDATA%\\Programs\\Python\\Python311\\python.exe"' in data
    assert vba_config_file(path, "INTERPRETER_WIN", "cp1252", CHINESE_ENV) == CHINESE_PYTHON
    # nowhere to go: refused in Chinese, with the fix, and nothing written
    elsewhere = tmp_path / "other.conf"
    with pytest.raises(UserError, match="(?s)无法表示的字符.*未安装任何内容.*非 Unicode 程序的语言"):
        write_config(elsewhere, r"D:\工具\python.exe", platform="win32", encoding="cp1252", prefix=tmp_path,
                     environ=CHINESE_ENV)
    assert not elsewhere.exists()


def conda_install(root: Path, env: str | None = None) -> Path:
    """A conda installation's folders (as Miniconda lays them out): the base, or one of its environments."""
    (root / "condabin").mkdir(parents=True)
    (root / "conda-meta").mkdir()
    if env is None:
        return root
    (root / "envs" / env / "conda-meta").mkdir(parents=True)
    return root / "envs" / env


@pytest.mark.slow
def test_conda_environments_get_conda_path_and_env(tmp_path, xlwings_vba):
    """7: as `xlwings config create`: CONDA PATH (the installation) and CONDA ENV (the environment), so the VBA runs
    `conda activate` before Python; found from the environment's folder, activated or not."""
    root = tmp_path / "miniconda3"
    env = conda_install(root, "xlp")
    assert conda_settings(env, {}) == {"CONDA PATH": str(root), "CONDA ENV": "xlp"}
    assert conda_settings(root, {}) == {"CONDA PATH": str(root), "CONDA ENV": "base"}
    elsewhere = tmp_path / "projects" / "env"  # conda create -p: activated by its path
    (elsewhere / "conda-meta").mkdir(parents=True)
    assert conda_settings(elsewhere, {"CONDA_EXE": str(root / "Scripts" / "conda.exe")}) == {
        "CONDA PATH": str(root), "CONDA ENV": str(elsewhere)}
    assert conda_settings(elsewhere, {}) == {}  # no conda to activate it with: the interpreter alone
    venv = tmp_path / "venv"
    venv.mkdir()
    assert conda_settings(venv, {"CONDA_EXE": str(root / "Scripts" / "conda.exe")}) == {}

    python = str(env / "python.exe")
    values = addin_settings(python, platform="win32", prefix=env, environ={})
    assert values == {"INTERPRETER_WIN": python, "CONDA PATH": str(root), "CONDA ENV": "xlp",
                      "ADD_WORKBOOK_TO_PYTHONPATH": "False"}
    assert "CONDA PATH" not in addin_settings("/opt/python3", platform="darwin", prefix=env, environ={})  # as xlwings: Windows
    path = tmp_path / "xlplugin.conf"
    write_config(path, python, platform="win32", encoding="cp936", prefix=env, environ={})
    for key, value in values.items():
        assert vba_config_file(path, key, "cp936", {}) == value
    # every key written is one the add-in's VBA asks for, and the conda keys make it activate the environment
    assert set(values) <= set(re.findall(r'GetConfig\("([^"]+)"', xlwings_vba))
    run = vba_function(xlwings_vba, "ExecuteWindows")
    assert 'CondaPath = GetConfig("CONDA PATH")' in run and 'CondaEnv = GetConfig("CONDA ENV")' in run
    assert 'CondaCmd = CondaPath & "\\condabin\\conda activate " & CondaEnv & " && "' in run


def utext_calls(source: str) -> list[str]:
    """The texts of the UText("<hex>") calls in VBA source, decoded as UText does (four hex digits a character)."""
    return ["".join(chr(int(h[i:i + 4], 16)) for i in range(0, len(h), 4))
            for h in re.findall(r'UText\("([0-9A-F]*)"\)', source)]


@pytest.mark.slow
def test_a_click_with_no_workbook_open_is_guarded(built):
    """8: before anything reads ActiveWorkbook (RunPython does), no workbook means a Chinese message, not error 91."""
    code = vba_modules(built)
    body = vba_function(code["XlpluginRibbon"], "OnRibbon").splitlines()
    statements = [line.strip() for line in body[1:-1] if line.strip() and not line.strip().startswith("'")]
    assert len(statements) == 5 and statements[0] == "If ActiveWorkbook Is Nothing Then"  # the first statement
    assert statements[1].startswith("MsgBox UText(") and statements[2:4] == ["Exit Sub", "End If"]
    assert statements[4].startswith("RunPython ")
    assert utext_calls(statements[1]) == [NO_WORKBOOK, "绩效考评"]
    assert "工作簿" in NO_WORKBOOK and not re.search(r"[A-Za-z]{4,}", NO_WORKBOOK)
    # UText is the module's, and the module is ASCII as the project's code page needs
    assert re.search(r'(?m)^Public Function UText\(ByVal units As String\) As String', code["XlpluginRibbon"])
    assert 'UText = UText & ChrW(CLng("&H" & Mid$(units, i, 4)))' in code["XlpluginRibbon"]
    assert code["XlpluginRibbon"].isascii()
    # the two messages of xlwings' module our settings can lead to, in Chinese too
    messages = utext_calls(code["xlwings"])
    assert NO_PYTHON.split("{path}")[0] in messages and OLD_CONDA in messages
    assert "Could not find Interpreter!" not in code["xlwings"]


# where GetConfig looks, by what its text says (xlwings' names), in the order the text says it
LOOKUPS = {
    "active workbook's sheet": r"GetConfigFromSheet\(ActiveWorkbook\)\.Item",
    "add-in's sheet": r"GetConfigFromSheet\(ThisWorkbook\)\.Item",
    "file beside the active workbook": r"GetConfigFromFile\(GetDirectoryConfigFilePath\(\)",
    "user's file": r"GetConfigFromFile\(GetConfigFilePath\(\)",
    "default": r"GetConfig = default",
}


def lookup_order(getconfig: str) -> list[str]:
    found = {name: m.start() for name, pattern in LOOKUPS.items() if (m := re.search(pattern, getconfig))}
    return sorted(found, key=found.get)


@pytest.mark.slow
def test_settings_come_only_from_the_user(built, xlwings_vba, tmp_path):
    """9: a returned form open in Excel (an xlplugin.conf sheet in it, an xlplugin.conf beside it) cannot choose the
    interpreter or the PYTHONPATH: GetConfig reads the add-in's own workbook and the user's file, nothing else."""
    ours = vba_function(xlwings_vba, "GetConfig")
    theirs = vba_function(vba_modules(template_path())["xlwings"], "GetConfig")
    assert lookup_order(theirs) == ["active workbook's sheet", "add-in's sheet", "file beside the active workbook",
                                    "user's file", "default"]  # xlwings' own, what the test must catch
    assert lookup_order(ours) == ["add-in's sheet", "user's file", "default"]
    assert "ActiveWorkbook" not in ours and "GetDirectoryConfigFilePath" not in ours
    # nothing else in the module reads settings from the active workbook or its folder
    assert "GetConfigFromSheet(ActiveWorkbook)" not in xlwings_vba
    assert not re.findall(r"(?m)^(?!Function ).*GetDirectoryConfigFilePath\(\)", xlwings_vba)  # defined, never called
    # nor runs code embedded in it: the embedded-code check looks at the add-in's sheets only
    run = vba_function(xlwings_vba, "RunPython")
    assert re.search(r"(?m)^    For i = 2 To 2 '.*\n        If i = 1 Then\n            Set wb = ActiveWorkbook", run)

    # the simulation: a user's file written by install, a hostile form's sheet and a file beside it
    home = tmp_path / "home"
    user_file = home / ".xlplugin" / "xlplugin.conf"
    write_config(user_file, CHINESE_PYTHON, platform="win32", encoding="cp936", prefix=tmp_path, environ=CHINESE_ENV)
    returned = tmp_path / "提交" / "D001_表格.xlsx"
    returned.parent.mkdir()
    evil = {"INTERPRETER_WIN": r"\\attacker\share\python.exe", "PYTHONPATH": r"\\attacker\share",
            "ADD_WORKBOOK_TO_PYTHONPATH": "True"}
    beside = returned.parent / "xlplugin.conf"
    beside.write_bytes("".join(f'"{k}","{v}"\r\n' for k, v in evil.items()).encode("cp936"))
    places = {
        "active workbook's sheet": dict(evil),
        "add-in's sheet": {},  # xlplugin.xlam's sheet is _xlplugin.conf: not consulted under that name
        "file beside the active workbook": dict(vba_input(beside.read_bytes(), "cp936")),
        "user's file": dict(vba_input(user_file.read_bytes(), "cp936")),
    }

    def get_config(getconfig: str, key: str, default: str = "") -> str:
        for place in lookup_order(getconfig):
            if place == "default":
                return vba_expand(default, CHINESE_ENV)
            if key in places[place]:
                return vba_expand(places[place][key], CHINESE_ENV)
        raise AssertionError("GetConfig has no default")

    assert get_config(theirs, "INTERPRETER_WIN") == evil["INTERPRETER_WIN"]  # the hole, as it was
    assert get_config(ours, "INTERPRETER_WIN") == CHINESE_PYTHON
    assert get_config(ours, "ADD_WORKBOOK_TO_PYTHONPATH", "true") == "False"
    assert get_config(ours, "PYTHONPATH") == ""
    with zipfile.ZipFile(built) as z:  # the add-in's own settings sheet stays inactive (xlwings' underscore)
        assert 'name="_xlplugin.conf"' in z.read("xl/workbook.xml").decode()


@pytest.mark.slow
def test_the_ribbon_part_has_the_relationship_of_its_namespace(built):
    """10: customUI in the 2006/01 namespace is related by the 2006 type, as in xlwings' own add-in."""
    def ui(path: Path) -> tuple[str, str]:
        with zipfile.ZipFile(path) as z:
            rels = ET.fromstring(z.read("_rels/.rels"))
            (rel,) = [r for r in rels if r.get("Target").lstrip("/") == "customUI/customUI.xml"]
            return ET.fromstring(z.read("customUI/customUI.xml")).tag, rel.get("Type")

    xlwings_addin = template_path().parent / "addin" / "xlwings.xlam"
    assert ui(built) == ("{%s}customUI" % NS["ui"], UI_RELATIONSHIP) == ui(xlwings_addin)


@pytest.mark.slow
def test_help_icon_and_send_tooltips(built):
    """10: the help button's icon is the one of the list, in the built XML too; no 发送 tooltip says e-mail comes
    later (every button works)."""
    (help_button,) = [b for b in ribbon(built).findall(".//ui:button", NS) if b.get("id") == "xlp_help"]
    assert help_button.get("imageMso") == next(b.image for b in BUTTONS if b.id == "xlp_help") == "Info"
    later = re.compile(r"以后|稍后|后续|将来|暂不|暂未|尚未|即将|完成后提供|开发中|later", re.I)
    sends = [b for b in BUTTONS if b.label.startswith("发送")]
    assert len(sends) == 3 and all("电子邮件" in b.tip and not later.search(b.tip) for b in sends)
    assert all(not later.search(b.get("supertip")) for b in ribbon(built).findall(".//ui:button", NS))

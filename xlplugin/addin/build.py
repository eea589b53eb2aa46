"""The add-in build: workbooks/xlplugin.xlam from text sources (`xlplugin addin build`), on any OS, reproducibly.

The add-in is xlwings' ribbon add-in skeleton (`quickstart_addin_ribbon.xlam`, BSD, inside the installed xlwings
package) with three changes:
  - its ribbon (customUI/customUI.xml, plain XML in the zip) is rendered from templates/addin/customUI.xml.j2 and
    the button list in buttons.py: the tab 绩效考评 whose buttons all call one VBA callback;
  - its VBA module RibbonMyAddin is replaced by templates/addin/XlpluginRibbon.bas, that callback:
        RunPython "import xlplugin.ribbon as x; x.on_ribbon('" & control.Id & "')";
  - in xlwings' VBA module (`xlwings_patches`), PROJECT_NAME becomes "xlplugin", so the add-in reads its settings
    (the Python interpreter) from the user's xlplugin.conf, not from another xlwings add-in's file, and GetConfig
    reads only the add-in's own workbook and that file, never the active workbook or its folder (a returned form
    open in Excel must not choose what runs); the VBA project is named xlplugin and its settings sheet
    _xlplugin.conf;
  - the customUI part's relationship type is the 2006 one, matching the 2006/01 namespace of its XML.
The callback guards against a click with no workbook open; the VBA's own messages are Chinese, held in the ASCII
modules as UTF-16 hex (`utext`) that the VBA function UText decodes.
The VBA project (xl/vbaProject.bin) is a compound file (MS-CFB, cfb.py) holding MS-OVBA streams (ovba.py): a
compressed `dir` stream describing the modules and one compressed source stream per module. This module reads
the template's project, changes the records and sources above, and writes a new compound file. `_VBA_PROJECT`
keeps version 0xFFFF (as in the template), which tells Office that no compiled code is valid, so it compiles every
module from the source written here. tests/test_addin.py reads the result back with two independent readers:
oletools (olefile for the compound file, its own MS-OVBA decompression) and LibreOffice (which imports the VBA
source of a workbook it opens).
"""
from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from pathlib import Path

from ..errors import UserError
from ..files import write_bytes_atomically
from ..paths import REPO, templates_dir
from ..templating import render
from .buttons import CALLBACK, TAB
from .cfb import read_cfb, write_cfb
from .ovba import (MODULENAME, MODULENAMEUNICODE, MODULEOFFSET, MODULESTREAMNAME, MODULESTREAMNAMEUNICODE,
                   PROJECTNAME, compress, decompress, modules, parse_dir, serialize_dir)

PROJECT = "xlplugin"  # the VBA project's name, xlwings' PROJECT_NAME, the settings file's name
MODULE = "XlpluginRibbon"  # the callback module (templates/addin/XlpluginRibbon.bas)
TEMPLATE_MODULE = "RibbonMyAddin"  # what it replaces in xlwings' template
TEMPLATE_PROJECT = "MyAddin"
TEMPLATE_CONF = "myaddin"  # xlwings' template's PROJECT_NAME
ADDIN_NAME = "xlplugin.xlam"
CODE_PAGE = "cp1252"  # the template project's PROJECTCODEPAGE (1252): module sources must be in it

#: the message boxes the VBA itself shows (Python shows every other one), written in hex for UText (see `utext`)
NO_WORKBOOK = ("没有打开的工作簿。请先打开考评台账（新建台账时先新建一个空白工作簿）再点击按钮；"
               "如果工作簿处于受保护的视图，请先点击“启用编辑”。")
NO_PYTHON = ("找不到设置的 Python：{path}\n请在命令行用装有 xlplugin 的 Python 运行 xlplugin addin install，"
             "再重新启动 Excel。")
OLD_CONDA = "设置中的 Conda 找不到（缺少 condabin\\conda.bat，或版本过旧）。请重新运行 xlplugin addin install。"

#: the customUI part's relationship: the 2006 type, matching its 2006/01 namespace (as xlwings' own add-in has it);
#: the template declares customUI14's (2007) type
UI_RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
TEMPLATE_UI_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"


def utext(text: str) -> str:
    """`text` as the hex of its UTF-16 code units, what the VBA function UText (templates/addin/XlpluginRibbon.bas)
    turns back into text: Chinese in an ASCII module."""
    return text.encode("utf-16-be").hex().upper()


def _vba_message(text: str, title: str = TAB.label) -> str:
    """A VBA MsgBox's prompt and title arguments for `text` ({path} in it: the VBA variable PYTHON_WIN)."""
    parts = [f'UText("{utext(p)}")' if p else "" for p in text.split("{path}")]
    return " & PYTHON_WIN & ".join(parts).strip(" &") + f', vbCritical, UText("{utext(title)}")'


#: xlwings' GetConfig, whole (matched, not spelled out: its text is xlwings' business)
GETCONFIG = re.compile(r"(?ms)^Function GetConfig\(configKey As String.*?^End Function\r?\n")


def xlwings_patches() -> list[tuple[str, str]]:
    """The changes to xlwings' VBA module, each replacing text found exactly once (build refuses otherwise):
      - PROJECT_NAME xlplugin: it reads xlplugin.conf, not another xlwings add-in's file;
      - GetConfig: the add-in's own workbook and the user's file only (templates/addin/GetConfig.bas), never the
        active workbook's xlplugin.conf sheet or an xlplugin.conf beside it;
      - the embedded-code check looks at the add-in only, never at the active workbook's sheets;
      - the two message boxes our settings can lead to, in Chinese."""
    getconfig = (templates_dir() / "addin" / "GetConfig.bas").read_text(encoding="ascii")
    return [
        (f'Public Const PROJECT_NAME As String = "{TEMPLATE_CONF}"', f'Public Const PROJECT_NAME As String = "{PROJECT}"'),
        (GETCONFIG, getconfig.replace("\r\n", "\n")),
        ("    For i = 1 To 2\n        If i = 1 Then\n            Set wb = ActiveWorkbook",
         "    For i = 2 To 2 ' xlplugin: the add-in's own sheets only, never the active workbook's\n"
         "        If i = 1 Then\n            Set wb = ActiveWorkbook"),
        ('MsgBox "Could not find Interpreter!", vbCritical', f"MsgBox {_vba_message(NO_PYTHON)}"),
        ('MsgBox "Your Conda version seems to be too old for the Conda settings. Use the Interpreter setting instead."',
         f"MsgBox {_vba_message(OLD_CONDA)}"),
    ]


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def patch_xlwings(source: str) -> str:
    """xlwings' module with `xlwings_patches` applied, in the module's own line ends (xlwings stores LF)."""
    eol = "\r\n" if "\r\n" in source else "\n"
    for old, new in xlwings_patches():
        new = new.replace("\n", eol)
        old = old.replace("\n", eol) if isinstance(old, str) else old
        if isinstance(old, re.Pattern):
            found = old.findall(source)
            if len(found) != 1:
                raise UserError(f"xlwings 模块中找不到唯一的 GetConfig 函数（找到 {len(found)} 个），请检查 xlwings 版本。")
            source = old.sub(lambda _: new, source)
        else:
            if source.count(old) != 1:
                raise UserError(f"xlwings 模块与预期不同（找不到“{old[:60]}”），请检查 xlwings 版本。")
            source = source.replace(old, new)
    return source


def template_path() -> Path:
    import xlwings  # only to find its bundled template; importing xlwings is slow and nothing else needs it here

    return Path(xlwings.__file__).resolve().parent / "quickstart_addin_ribbon.xlam"


def default_output() -> Path:
    return REPO / "workbooks" / ADDIN_NAME


def sources() -> dict[str, str]:
    """The add-in's text sources: the ribbon XML rendered from the button list, and the VBA module (with CRLF line
    ends, as VBA keeps them)."""
    bas = render(f"addin/{MODULE}.bas", no_workbook=utext(NO_WORKBOOK), title=utext(TAB.label)) + "\n"
    ribbon = render("addin/customUI.xml.j2", tab=TAB, callback=CALLBACK) + "\n"  # jinja drops the final newline
    return {"customUI.xml": ribbon, MODULE: _crlf(bas)}


def build_vba_project(template: bytes, ribbon_source: str) -> bytes:
    """The template's VBA project with the ribbon module replaced and the project renamed (see the module doc)."""
    streams = read_cfb(template)
    records = parse_dir(decompress(streams["VBA/dir"]))
    mods = {m["name"]: m for m in modules(records, CODE_PAGE)}
    if TEMPLATE_MODULE not in mods or "xlwings" not in mods:
        raise UserError("xlwings 的加载项模板与预期不同（缺少 RibbonMyAddin 或 xlwings 模块），请检查 xlwings 版本。")

    # the callback module: renamed, its source compressed from offset 0 (no compiled cache)
    old = mods[TEMPLATE_MODULE]
    enc, uni = MODULE.encode(CODE_PAGE), MODULE.encode("utf-16-le")
    for rid, payload in ((MODULENAME, enc), (MODULENAMEUNICODE, uni), (MODULESTREAMNAME, enc),
                         (MODULESTREAMNAMEUNICODE, uni), (MODULEOFFSET, struct.pack("<I", 0))):
        records[old["records"][rid]] = (rid, payload)
    del streams[f"VBA/{old['stream']}"]
    streams[f"VBA/{MODULE}"] = compress(ribbon_source.encode(CODE_PAGE))

    # xlwings' module: its own PROJECT_NAME and settings lookup (xlwings_patches)
    xl = mods["xlwings"]
    source = decompress(streams[f"VBA/{xl['stream']}"][xl["offset"]:]).decode(CODE_PAGE)
    records[xl["records"][MODULEOFFSET]] = (MODULEOFFSET, struct.pack("<I", 0))
    streams[f"VBA/{xl['stream']}"] = compress(patch_xlwings(source).encode(CODE_PAGE))

    # the project's name, in the dir stream and in the PROJECT stream
    records = [(PROJECTNAME, PROJECT.encode(CODE_PAGE)) if rid == PROJECTNAME else (rid, p) for rid, p in records]
    streams["VBA/dir"] = compress(serialize_dir(records))
    project = streams["PROJECT"].decode(CODE_PAGE)
    project = project.replace(f'Name="{TEMPLATE_PROJECT}"', f'Name="{PROJECT}"')
    project = re.sub(rf"(?m)^(Module=|){TEMPLATE_MODULE}(?=[=\r])", rf"\g<1>{MODULE}", project)
    streams["PROJECT"] = project.encode(CODE_PAGE)
    wm = streams["PROJECTwm"]
    streams["PROJECTwm"] = wm.replace(TEMPLATE_MODULE.encode(CODE_PAGE) + b"\0" + TEMPLATE_MODULE.encode("utf-16-le"),
                                      enc + b"\0" + uni)
    # no compiled code is valid: Office compiles every module from source (MS-OVBA 2.3.4.1, version 0xFFFF)
    streams["VBA/_VBA_PROJECT"] = b"\xcc\x61\xff\xff\x00" + streams["VBA/_VBA_PROJECT"][5:]
    return write_cfb(streams)


def build(output: str | os.PathLike | None = None, template: str | os.PathLike | None = None) -> Path:
    """Write the add-in to `output` (default workbooks/xlplugin.xlam) and return its path. Reproducible: the same
    sources and template give the same bytes."""
    output = Path(output) if output else default_output()
    src = sources()
    with zipfile.ZipFile(template or template_path()) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in members:
            name = info.filename
            if name == "customUI/customUI.xml":
                data = src["customUI.xml"].encode("utf-8")
            elif name == "xl/vbaProject.bin":
                data = build_vba_project(data, src[MODULE])
            elif name == "_rels/.rels":
                if data.count(TEMPLATE_UI_RELATIONSHIP.encode()) != 1:
                    raise UserError("xlwings 加载项模板中找不到功能区（customUI）的关系，请检查 xlwings 版本。")
                data = data.replace(TEMPLATE_UI_RELATIONSHIP.encode(), UI_RELATIONSHIP.encode())
            elif name in ("xl/workbook.xml", "docProps/app.xml"):
                data = data.replace(f"_{TEMPLATE_CONF}.conf".encode(), f"_{PROJECT}.conf".encode())
            out = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            out.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(out, data)
    return write_bytes_atomically(output, buf.getvalue())

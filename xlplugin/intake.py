"""First look at a returned file, before any spreadsheet parser touches it: is it really an .xlsx, and is
it safe to parse? Submissions are untrusted: this module bounds what is decompressed and refuses what a
spreadsheet parser should never see (macros, encrypted or legacy containers, DTDs, zip bombs)."""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from xml.etree import ElementTree
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_MEMBERS = 2_000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed/compressed per member; spreadsheet XML compresses ~10-30x
MAX_PROLOG = 64 * 1024  # what an XML part may hold before its root element (declaration, comments)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# the parts besides the sheets that a spreadsheet parser reads
PARSED_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/styles.xml"}
# formula elements, and the reference of the cell holding one (the search is for the rare `<f`, then back to
# its cell: a few hundred steps instead of matching at every one of the sheet's thousands of cells)
_FORMULA = re.compile(rb"<f[\s>/]")
_CELL_REF = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{1,3}[0-9]{1,7})"')


class Rejected(Exception):
    """The file is not one we can read; the message says why and what to do, in Chinese."""


@dataclass
class Intake:
    path: Path
    sheet_parts: dict[str, str]  # sheet name → zip member of its XML
    data: bytes = b""  # the whole file as it was checked (parse these bytes, not the file again)
    formulas: dict[str, set[str]] = field(default_factory=dict)  # zip member → its formula cells

    def formula_cells(self, sheet: str) -> set[str]:
        """Cells holding a formula on a sheet (their cached results are never trusted)."""
        return self.formulas.get(self.sheet_parts.get(sheet, ""), set())


def _sniff(head: bytes, path: Path) -> str:
    if head.startswith(b"%PDF"):
        return "这是 PDF 文件"
    if head[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1") or head.startswith(b"\xff\xd8"):
        return "这是图片文件"
    if head.lstrip().startswith((b"<html", b"<!DOCTYPE html", b"<?xml")):
        return "这是网页或 XML 文件"
    try:
        head.decode("utf-8")
        return "这是文本文件（如 CSV）"
    except UnicodeDecodeError:
        return "无法识别的文件格式"


def inspect(path: Path, data: bytes | None = None) -> Intake:
    """Check the container; raise Rejected with a Chinese reason, or return what the reader needs.

    `data` is the file's content when the caller has already read it. Every sheet's XML is decompressed
    here once (within the bounds checked first): its prolog is checked for a DTD and its formula cells
    are noted, so nothing needs to open the zip again; the parser is then given the same bytes."""
    size = path.stat().st_size if data is None else len(data)
    if size == 0:
        raise Rejected("文件是空的（0 字节），可能在发送或保存时出错。请重新保存后发送。")
    if size > MAX_FILE_BYTES:
        raise Rejected(f"文件过大（{size / 1024 / 1024:.0f} MB），超过 {MAX_FILE_BYTES // 1024 // 1024} MB 上限。"
                       "请删除嵌入的图片或附件后重新发送。")
    if data is None:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise Rejected(f"文件过大，超过 {MAX_FILE_BYTES // 1024 // 1024} MB 上限。请删除嵌入的图片或附件后重新发送。")
    head = data[:4096]
    if head.startswith(OLE_MAGIC):
        blob = data[:1024 * 1024]
        if "EncryptionInfo".encode("utf-16-le") in blob or b"EncryptedPackage" in blob \
                or "EncryptedPackage".encode("utf-16-le") in blob:
            raise Rejected("文件设置了打开密码（已加密），无法读取。请取消密码后另存为 .xlsx 重新发送。")
        raise Rejected("这是旧版 Excel 格式（.xls）。请在 Excel 或 WPS 中“另存为” Excel 工作簿（.xlsx）后重新发送。")
    if not head.startswith(ZIP_MAGIC):
        raise Rejected(f"不是 Excel 工作簿（{_sniff(head, path)}），可能是把其他文件改了扩展名。请发送下发的 .xlsx 表格。")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise Rejected("文件已损坏或不完整（可能下载或传输时中断）。请重新保存后发送。") from None
    with z:
        infos = z.infolist()
        names = {i.filename for i in infos}
        if len(infos) > MAX_MEMBERS:
            raise Rejected("文件结构异常（包含的部件过多），已拒收。")
        total = 0
        for info in infos:
            total += info.file_size
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
                raise Rejected("文件结构异常（压缩比异常，疑似“压缩炸弹”），已拒收。")
        if total > MAX_UNCOMPRESSED:
            raise Rejected("文件解压后过大，已拒收。")
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise Rejected("这不是 Excel 工作簿（.xlsx）：缺少工作簿结构。可能是 Word/WPS 文档或其他压缩包改了扩展名。")
        try:
            types = z.read("[Content_Types].xml")
            if "xl/vbaProject.bin" in names or b"macroEnabled" in types:
                raise Rejected("文件含有宏（.xlsm/.xlam）。为安全起见不予读取，请另存为不含宏的 Excel 工作簿（.xlsx）后重新发送。")
            # every part a spreadsheet parser reads is decompressed here once, whole (sizes are bounded above;
            # zipfile checks its CRC at the end): its prolog is checked for a DTD and, on a sheet, the formula
            # cells are noted. Parts no parser reads (theme, document properties, images) are left alone:
            # damage there changes nothing that is read.
            parts = {}
            for member in sorted(PARSED_PARTS & names):
                parts[member] = _checked(z, member)
            sheet_parts = _sheet_parts(z, parts)
            formulas = {}
            for member in sorted(set(sheet_parts.values()) & names):
                formulas[member] = _formula_cells(_checked(z, member))
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error):
            raise Rejected("文件已损坏或不完整（可能下载或传输时中断）。请重新保存后发送。") from None
    return Intake(path, sheet_parts, data, formulas)


def _checked(z: zipfile.ZipFile, member: str) -> bytes:
    xml = z.read(member)
    if _declares_dtd(xml[:MAX_PROLOG]):
        raise Rejected("文件包含不允许的 XML 声明（DTD/实体），已拒收。")
    return xml


def _formula_cells(xml: bytes) -> set[str]:
    """The cells of a sheet's XML that hold a formula (an `<f>` element inside `<c r="B7" …>`)."""
    out = set()
    for m in _FORMULA.finditer(xml):
        start = xml.rfind(b"<c ", 0, m.start())
        if start < 0 or xml.find(b"<", start + 1, m.start()) >= 0:  # the formula must be the cell's first child
            continue
        ref = _CELL_REF.match(xml, start, m.start())
        if ref:
            out.add(ref.group(1).decode())
    return out


def _declares_dtd(head: bytes) -> bool:
    """Whether an XML part, of which `head` is the first MAX_PROLOG bytes, declares a DTD (and so entities).

    A DTD can only sit in the prolog, before the root element; but comments, processing instructions
    and blanks may pad the prolog to any length, so it is read to its end. A prolog longer than
    MAX_PROLOG is refused as well."""
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while pos < len(head) and head[pos] in b" \t\r\n":
            pos += 1
        if head.startswith(b"<?", pos):
            end, close = head.find(b"?>", pos + 2), 2
        elif head.startswith(b"<!--", pos):
            end, close = head.find(b"-->", pos + 4), 3
        elif pos >= len(head):
            return len(head) >= MAX_PROLOG  # only a prolog, as far as we read: too long
        else:
            return head.startswith(b"<!", pos)  # <!DOCTYPE (or anything else but the root element)
        if end < 0:
            return len(head) >= MAX_PROLOG
        pos = end + close


def _sheet_parts(z: zipfile.ZipFile, parts: dict[str, bytes] | None = None) -> dict[str, str]:
    """Sheet name → XML part, from workbook.xml and its relationships (given in `parts` when already read).

    Parsed with a real XML parser (DTDs are refused before this point), so names written as character references
    (&#25351;…) and elements with any namespace prefix are found like any other."""
    parts = parts if parts is not None else {n: z.read(n) for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
                                             if n in z.namelist()}
    targets = {}
    for a in _elements(parts.get("xl/_rels/workbook.xml.rels", b""), "Relationship"):
        if "Id" in a and "Target" in a:
            t = a["Target"]
            targets[a["Id"]] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    out = {}
    for a in _elements(parts["xl/workbook.xml"], "sheet"):
        if "name" in a and a.get("id") in targets:
            out[a["name"]] = targets[a["id"]]
    return out


def _elements(xml: bytes, local: str) -> list[dict[str, str]]:
    """The attributes (keys without namespace) of every element called `local`, in any namespace."""
    if not xml:
        return []
    found = []
    for element in ElementTree.fromstring(xml).iter():
        if element.tag.rpartition("}")[2] == local:
            found.append({key.rpartition("}")[2]: value for key, value in element.attrib.items()})
    return found
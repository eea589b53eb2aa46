"""First look at a returned file, before any spreadsheet parser touches it: is it really an .xlsx, and is
it safe to parse? Submissions are untrusted: this module bounds what is decompressed and refuses what a
spreadsheet parser should never see (macros, encrypted or legacy containers, DTDs, zip bombs, cells far
outside a form, the same cell twice). Every package part is read with a real XML parser (expat, namespace
aware, entities resolved, DTDs refused), never with regular expressions, and the parser downstream is given
a clean copy of the package holding only the parts checked here."""
from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
import zlib
from xml.etree import ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from .values import column_letter

MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_MEMBERS = 2_000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed/compressed per member; spreadsheet XML compresses ~10-30x
MAX_PROLOG = 64 * 1024  # what an XML part may hold before its root element (declaration, comments)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP = b"PK\x05\x06"  # a zip with no member at all: only its end record
# Excel's own limits: a reference beyond them was not written by a spreadsheet application
EXCEL_ROWS, EXCEL_COLS = 1_048_576, 16_384  # XFD
# A form's own layout: the largest has a few hundred rows (a department scoring every unit on every indicator
# it is responsible for: a few thousand in a big scheme) and at most 14 columns. The margin is wide, but the
# spreadsheet parser fills every cell of the rectangle up to the last one it meets, so a stray cell at
# XFD1048576 would make it allocate gigabytes and abort: nothing outside these bounds reaches it.
MAX_FORM_ROWS, MAX_FORM_COLS = 65_536, 40  # 40 = column AN
# the parts besides the sheets that a spreadsheet parser reads
PARSED_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/styles.xml"}
PACKAGE_PARTS = {"[Content_Types].xml", "_rels/.rels"}  # copied into the clean package, checked as XML
_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,9})")  # no leading zero: one spelling per cell
_REFS = re.compile(r"(?:[A-Z]{1,3}[1-9][0-9]{0,9}\n)*")  # references joined by newlines, each ending with one
_DIGITS, _LETTERS = re.compile(r"[0-9]+"), re.compile(r"[A-Z]+")
MAX_TREE_XML = 8 * 1024 * 1024  # a sheet's XML up to this size is parsed whole (fast); a larger one is streamed
_INFLATE_CHUNK = 1024 * 1024
DAMAGED = "文件已损坏或不完整（可能下载或传输时中断）。请重新保存后发送。"
LIED = "文件结构异常（部件的实际大小与声明不符，疑似“压缩炸弹”），已拒收。"
CHANGED = "可能被其他软件或工具改动过。请使用下发的原始表格在 Excel 或 WPS 中填写后重新发送。"


class Rejected(Exception):
    """The file is not one we can read; the message says why and what to do, in Chinese."""


@dataclass
class Intake:
    path: Path
    sheet_parts: dict[str, str]  # sheet name → zip member of its XML
    data: bytes = b""  # a clean package of the parts checked here (parse these bytes, never the file)
    formulas: dict[str, set[str]] = field(default_factory=dict)  # zip member → its formula cells
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # zip member → {cell: error value, e.g. #DIV/0!}

    def formula_cells(self, sheet: str) -> set[str]:
        """Cells holding a formula on a sheet (their cached results are never trusted)."""
        return self.formulas.get(self.sheet_parts.get(sheet, ""), set())

    def error_cells(self, sheet: str) -> dict[str, str]:
        """Cells holding an error value (#DIV/0!, #N/A …) on a sheet: not a value anyone typed."""
        return self.errors.get(self.sheet_parts.get(sheet, ""), {})


def _text_kind(head: bytes) -> str | None:
    """'文本文件（如 CSV）' when `head` (the first bytes of a file, perhaps cut inside a character) is text in
    UTF-8 (with or without BOM), UTF-16 with a BOM, or GBK/GB18030 as Chinese Windows writes it."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)  # a cut last character is fine
        except UnicodeDecodeError:
            continue
        if text and all(ch.isprintable() or ch in "\t\r\n\f" for ch in text):
            return "这是文本文件（如 CSV）"
    return None


def _sniff(head: bytes, path: Path) -> str:
    if head.startswith(b"%PDF"):
        return "这是 PDF 文件"
    if head[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1") or head.startswith(b"\xff\xd8"):
        return "这是图片文件"
    if head.startswith(EMPTY_ZIP):
        return "这是一个空的压缩包，里面没有任何文件"
    if head.startswith(b"PK"):
        return "这是压缩包"
    if head.lstrip().startswith((b"<html", b"<!DOCTYPE html", b"<?xml")):
        return "这是网页或 XML 文件"
    return _text_kind(head) or "无法识别的文件格式"


def inspect(path: Path, data: bytes | None = None) -> Intake:
    """Check the container; raise Rejected with a Chinese reason, or return what the reader needs.

    `data` is the file's content when the caller has already read it. Every part a spreadsheet parser reads
    is decompressed here once, streaming and never beyond its declared size: XML parts are checked for a DTD
    and parsed; on a sheet, every cell's place is bounded and checked for duplicates, and its formula and
    error cells are noted. The reader is then given a clean package of exactly these bytes."""
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
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise Rejected(DAMAGED) from None
    with z:
        infos = z.infolist()
        by_name = {i.filename: i for i in infos}
        if len(infos) > MAX_MEMBERS:
            raise Rejected("文件结构异常（包含的部件过多），已拒收。")
        total = 0
        for info in infos:
            total += info.file_size
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
                raise Rejected("文件结构异常（压缩比异常，疑似“压缩炸弹”），已拒收。")
        if total > MAX_UNCOMPRESSED:
            raise Rejected("文件解压后过大，已拒收。")
        if "[Content_Types].xml" not in by_name or "xl/workbook.xml" not in by_name:
            raise Rejected("这不是 Excel 工作簿（.xlsx）：缺少工作簿结构。可能是 Word/WPS 文档或其他压缩包改了扩展名。")
        try:
            parts = {member: _checked(data, by_name[member]) for member in sorted((PARSED_PARTS | PACKAGE_PARTS) & set(by_name))}
            if "xl/vbaProject.bin" in by_name or _macros(parts["[Content_Types].xml"]):
                raise Rejected("文件含有宏（.xlsm/.xlam）。为安全起见不予读取，请另存为不含宏的 Excel 工作簿（.xlsx）后重新发送。")
            sheet_parts = _sheet_parts(None, parts)
            formulas, errors = {}, {}
            for sheet, member in sheet_parts.items():
                if member in by_name and member not in formulas:
                    parts[member] = _checked(data, by_name[member])
                    formulas[member], errors[member] = _scan_sheet_fast(parts[member], sheet) or \
                        _scan_sheet(parts[member], sheet)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error, ValueError, NotImplementedError):
            raise Rejected(DAMAGED) from None
    return Intake(path, sheet_parts, _package(parts), formulas, errors)


def _inflate(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, inflated from its raw compressed data in bounded chunks, never beyond the size its
    entry declares: a member that lies about its size is refused as soon as it passes it (zipfile alone would
    inflate a whole compressed block, gigabytes, before cutting it, or silently ignore the rest). Its CRC is
    checked too."""
    if info.flag_bits & 0x1:
        raise Rejected("文件设置了打开密码（已加密），无法读取。请取消密码后另存为 .xlsx 重新发送。")
    offset = info.header_offset
    if data[offset:offset + 4] != ZIP_MAGIC:
        raise Rejected(DAMAGED)
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_length + extra_length
    raw = memoryview(data)[start:start + info.compress_size]
    if len(raw) != info.compress_size:
        raise Rejected(DAMAGED)
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise Rejected(LIED)
        out = bytes(raw)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater, chunks, size = zlib.decompressobj(-15), [], 0
        for pos in range(0, len(raw), _INFLATE_CHUNK):
            pending = raw[pos:pos + _INFLATE_CHUNK]
            while pending:
                chunk = inflater.decompress(pending, info.file_size - size + 1)  # at most one byte past the claim
                size += len(chunk)
                if size > info.file_size:
                    raise Rejected(LIED)
                chunks.append(chunk)
                pending = inflater.unconsumed_tail
                if inflater.eof or not chunk:
                    break
            if inflater.eof:
                break
        if not inflater.eof or size != info.file_size:
            raise Rejected(DAMAGED)
        out = b"".join(chunks)
    else:
        raise Rejected("文件结构异常（使用了 Excel 不会使用的压缩方式），已拒收。")
    if zlib.crc32(out) != info.CRC:
        raise Rejected(DAMAGED)
    return out


def _checked(data: bytes, info: zipfile.ZipInfo) -> bytes:
    xml = _inflate(data, info)
    if _declares_dtd(xml[:MAX_PROLOG]):
        raise Rejected("文件包含不允许的 XML 声明（DTD/实体），已拒收。")
    return xml


def _package(parts: dict[str, bytes]) -> bytes:
    """A zip (stored, not compressed: ~1 ms) of exactly the checked parts, for the spreadsheet parser."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for member, xml in parts.items():
            z.writestr(member, xml)
    return out.getvalue()


def _parser(refuse_dtd: bool = True) -> expat.XMLParserType:
    """An expat parser that reports names as 'namespace}local' and refuses any DTD or entity declaration."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def refuse(*_):
        raise Rejected("文件包含不允许的 XML 声明（DTD/实体），已拒收。")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n



def _place(ref: str, sheet: str) -> tuple[int, int]:
    """(row, column), 1-based, of a cell reference such as L7, refused when invalid or outside the bounds."""
    m = _REF.fullmatch(ref)
    if not m:
        raise Rejected(f"工作表“{sheet}”中的单元格位置“{ref[:20]}”无效，文件结构异常，{CHANGED}")
    row, col = int(m.group(2)), _col_number(m.group(1))
    _bound(row, col, sheet, ref)
    return row, col


def _bound(row: int, col: int, sheet: str, ref: str) -> None:
    if not (1 <= row <= EXCEL_ROWS and 1 <= col <= EXCEL_COLS):
        raise Rejected(f"工作表“{sheet}”中有超出 Excel 范围的单元格位置“{ref[:20]}”（最大为 XFD1048576），"
                       f"文件已损坏或被改动，{CHANGED}")
    if row > MAX_FORM_ROWS or col > MAX_FORM_COLS:
        raise Rejected(f"工作表“{sheet}”中有单元格位于 {ref[:20]}，远远超出下发表格的范围（最多 {MAX_FORM_ROWS} 行、"
                       f"{column_letter(MAX_FORM_COLS)} 列），{CHANGED}")


def _scan_sheet_fast(xml: bytes, sheet: str) -> tuple[set[str], dict[str, str]] | None:
    """`_scan_sheet` for the usual sheet — not too large, every cell with its reference — with the whole tree
    built in C and the references checked together; None when the sheet needs the streaming scan."""
    if len(xml) > MAX_TREE_XML:
        return None
    try:
        root = ElementTree.fromstring(xml)  # DTDs were refused above: entities here are character references only
    except ElementTree.ParseError:
        return None  # the streaming scan says what is wrong
    tags = {el.tag for el in root.iter()}
    local = {tag: tag[tag.rfind("}") + 1:] for tag in tags}
    cells = [c for tag in tags if local[tag] == "c" for c in root.iter(tag)]
    refs = [c.get("r") for c in cells]
    rows = [r.get("r") for tag in tags if local[tag] == "row" for r in root.iter(tag)]
    if None in refs:
        return None  # places implied by the order of cells and rows: the streaming scan follows it
    for tag in tags:
        if local[tag] == "dimension":
            for dimension in root.iter(tag):
                for ref in (dimension.get("ref") or "A1").split(":"):
                    _place(ref, sheet)
    joined = "\n".join(refs) + "\n" if refs else ""
    numbers = "\n".join(r for r in rows if r is not None)
    if _REFS.fullmatch(joined) is None or not all(map(str.isdigit, numbers.split())) or len(set(refs)) != len(refs):
        return None  # the streaming scan names the place
    digits = _DIGITS.findall(joined + "\n" + numbers)
    widest = max(map(len, digits), default=0)  # no leading zeros: the longest numbers are the largest
    last_row = max((int(x) for x in digits if len(x) == widest), default=0)
    letters = set(_LETTERS.findall(joined))
    widest = max(map(len, letters), default=0)  # likewise for column letters, compared as strings
    last_col = _col_number(max(x for x in letters if len(x) == widest)) if letters else 0
    if last_row > MAX_FORM_ROWS or last_col > MAX_FORM_COLS:
        return None
    formulas = set()
    f_tags = {tag for tag in tags if local[tag] == "f"}
    if f_tags:  # a formula is a child of its cell: only cells with a child other than one value are looked at
        values = {tag for tag in tags if local[tag] in ("v", "is")}
        for c, ref in zip(cells, refs):
            n = len(c)
            if (n > 1 or n == 1 and c[0].tag not in values) and any(x.tag in f_tags for x in c):
                formulas.add(ref)
    errors = {}
    for c, ref in zip(cells, refs) if "e" in {c.get("t") for c in cells} else ():
        if c.get("t") == "e":
            v = next((x for x in c if local[x.tag] == "v"), None)
            errors[ref] = ((v.text or "") if v is not None else "").strip()[:20]
    return formulas, errors


def _scan_sheet(xml: bytes, sheet: str) -> tuple[set[str], dict[str, str]]:
    """Check a sheet's XML and return its formula cells and its error cells ({ref: value}).

    Every cell's place — its r="…" or, without one, the place a parser gives it (the next column of its row,
    the row after the previous one) — and the sheet's dimension are bounded; a place given twice is refused
    (a parser would silently keep one of them). Elements are matched by local name in any namespace or
    prefix (<x:c>, as Open XML SDK tools write), as spreadsheet parsers read them."""
    formulas: set[str] = set()
    errors: dict[str, str] = {}
    seen: set[int] = set()
    state = {"row": 0, "col": 0, "cell": None, "error": None, "text": None}

    def attribute(attrs: dict, name: str):
        value = attrs.get(name)
        if value is None and attrs:
            for key, v in attrs.items():
                if _local(key) == name:
                    return v
        return value

    def start(name, attrs):
        local = _local(name)
        if local == "c":
            ref = attribute(attrs, "r")
            if ref is None:
                row, col = state["row"] or 1, state["col"] + 1
                ref = f"{column_letter(col)}{row}"
                _bound(row, col, sheet, ref)
            else:
                row, col = _place(ref, sheet)
            state["row"], state["col"], state["cell"] = row, col, ref
            key = row * (EXCEL_COLS + 1) + col
            if key in seen:
                raise Rejected(f"工作表“{sheet}”的单元格 {ref} 在文件中出现了两次（文件结构异常），无法确定哪个是填写的值，{CHANGED}")
            seen.add(key)
            if attribute(attrs, "t") == "e":
                state["error"] = ref
                errors[ref] = ""
        elif local == "row":
            r = attribute(attrs, "r")
            if r is None:
                row = state["row"] + 1
            elif r.isdigit() and len(r) <= 10:
                row = int(r)
            else:
                raise Rejected(f"工作表“{sheet}”中的行号“{r[:20]}”无效，文件结构异常，{CHANGED}")
            _bound(row, 1, sheet, f"A{row}")
            state["row"], state["col"] = row, 0
        elif local == "f" and state["cell"] is not None:
            formulas.add(state["cell"])
        elif local == "v" and state["error"] is not None:
            state["text"] = []
        elif local == "dimension":
            for ref in (attribute(attrs, "ref") or "A1").split(":"):
                _place(ref, sheet)

    def end(name):
        local = _local(name)
        if local == "c":
            state["cell"] = state["error"] = None
        elif local == "v" and state["text"] is not None:
            errors[state["error"]] = "".join(state["text"]).strip()[:20]
            state["text"] = None

    def text(data):
        if state["text"] is not None:
            state["text"].append(data)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        raise Rejected(f"文件无法读取：工作表“{sheet}”的内容已损坏（可能保存或传输时出错）。"
                       "请用 Excel 或 WPS 打开确认无误后另存为 .xlsx 重新发送。") from None
    return formulas, errors


def _macros(types: bytes) -> bool:
    """Whether [Content_Types].xml declares macros (a macro-enabled workbook or a VBA project), read as XML so
    that names written as character references are seen as they are meant."""
    for a in _elements(types, ("Default", "Override")):
        content = a.get("ContentType", "")
        if "macroEnabled" in content or "vbaProject" in content or a.get("PartName", "").lower().endswith(".bin") \
                and "vba" in a.get("PartName", "").lower():
            return True
    return False


def _declares_dtd(head: bytes) -> bool:
    """Whether an XML part, of which `head` is the first MAX_PROLOG bytes, declares a DTD (and so entities).

    A DTD can only sit in the prolog, before the root element; but comments, processing instructions
    and blanks may pad the prolog to any length, so it is read to its end. A prolog longer than
    MAX_PROLOG is refused as well. (The XML parsers below refuse a DTD too: this is the cheap first look.)"""
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


def _sheet_parts(z: zipfile.ZipFile | None, parts: dict[str, bytes] | None = None) -> dict[str, str]:
    """Sheet name → XML part, from workbook.xml and its relationships (given in `parts` when already read).

    Parsed with a real XML parser (DTDs are refused), so names written as character references
    (&#25351;…) and elements with any namespace prefix are found like any other."""
    parts = parts if parts is not None else {n: z.read(n) for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
                                             if n in z.namelist()}
    targets = {}
    for a in _elements(parts.get("xl/_rels/workbook.xml.rels", b""), ("Relationship",)):
        if "Id" in a and "Target" in a:
            t = a["Target"]
            targets[a["Id"]] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    out = {}
    for a in _elements(parts["xl/workbook.xml"], ("sheet",)):
        if "name" in a and a.get("id") in targets:
            if a["name"] in out:  # a parser would read one of the two, the checks might look at the other
                raise Rejected(f"文件中有两个同名的工作表“{a['name']}”，文件结构异常，{CHANGED}")
            out[a["name"]] = targets[a["id"]]
    return out


def _elements(xml: bytes, local: tuple[str, ...]) -> list[dict[str, str]]:
    """The attributes (keys without namespace) of every element whose local name is in `local`, any namespace."""
    if not xml:
        return []
    found = []
    parser = _parser()

    def start(name, attrs):
        if _local(name) in local:
            found.append({_local(key): value for key, value in attrs.items()})

    parser.StartElementHandler = start
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        raise Rejected(DAMAGED) from None
    return found

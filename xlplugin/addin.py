"""The Excel add-in workbooks/xlplugin.xlam, built from text sources by `xlplugin addin build`, on any OS.

The add-in is xlwings' ribbon add-in skeleton (`quickstart_addin_ribbon.xlam`, BSD, inside the installed xlwings
package) with three changes:
  - its ribbon (customUI/customUI.xml, plain XML in the zip) is templates/addin/customUI.xml: the tab 绩效考评
    whose buttons all call one VBA callback;
  - its VBA module RibbonMyAddin is replaced by templates/addin/XlpluginRibbon.bas, that callback:
        RunPython "import xlplugin.excel as x; x.on_ribbon('" & control.Id & "')";
  - in xlwings' VBA module, PROJECT_NAME becomes "xlplugin", so the add-in reads its settings (the Python
    interpreter) from the user's xlplugin.conf, not from another xlwings add-in's file; the VBA project is
    named xlplugin and its settings sheet _xlplugin.conf.
The VBA project (xl/vbaProject.bin) is a compound file (MS-CFB) holding MS-OVBA streams: a compressed `dir`
stream describing the modules and one compressed source stream per module. This module reads the template's
project, changes the records and sources above, and writes a new compound file. `_VBA_PROJECT` keeps version
0xFFFF (as in the template), which tells Office that no compiled code is valid, so it compiles every module from
the source written here. tests/test_addin.py reads the result back with two independent readers: oletools
(olefile for the compound file, its own MS-OVBA decompression) and LibreOffice (which imports the VBA source of
a workbook it opens).

`xlplugin addin install` copies the built add-in where Excel loads add-ins at start (its XLSTART folder) and
writes the current interpreter into the add-in's settings file, as `xlwings addin install` does for xlwings'
own add-in. It needs Excel (Windows or macOS); on Linux it says so and points to the command line.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import struct
import sys
import zipfile
from pathlib import Path

from .paths import REPO, templates_dir

PROJECT = "xlplugin"  # the VBA project's name, xlwings' PROJECT_NAME, the settings file's name
MODULE = "XlpluginRibbon"  # the callback module (templates/addin/XlpluginRibbon.bas)
TEMPLATE_MODULE = "RibbonMyAddin"  # what it replaces in xlwings' template
TEMPLATE_PROJECT = "MyAddin"
TEMPLATE_CONF = "myaddin"  # xlwings' template's PROJECT_NAME
ADDIN_NAME = "xlplugin.xlam"
CODE_PAGE = "cp1252"  # the template project's PROJECTCODEPAGE (1252): module sources must be in it


def template_path() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent / "quickstart_addin_ribbon.xlam"


def default_output() -> Path:
    return REPO / "workbooks" / ADDIN_NAME


def sources() -> dict[str, str]:
    """The add-in's text sources: the ribbon XML and the VBA module (with CRLF line ends, as VBA keeps them)."""
    folder = templates_dir() / "addin"
    bas = (folder / f"{MODULE}.bas").read_text(encoding="ascii")
    return {"customUI.xml": (folder / "customUI.xml").read_text(encoding="utf-8"),
            MODULE: bas.replace("\r\n", "\n").replace("\n", "\r\n")}


# ============================================================================ MS-OVBA 2.4.1: compression


def decompress(data: bytes) -> bytes:
    """Decompress a CompressedContainer (MS-OVBA 2.4.1.3.1)."""
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    i = 1
    while i < len(data):
        header = struct.unpack_from("<H", data, i)[0]
        chunk_end = min(i + (header & 0x0FFF) + 3, len(data))
        i += 2
        if not header & 0x8000:  # an uncompressed chunk: 4096 raw bytes
            out += data[i:i + 4096]
            i += 4096
            continue
        start = len(out)
        while i < chunk_end:
            flags = data[i]
            i += 1
            for bit in range(8):
                if i >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[i])
                    i += 1
                    continue
                token = struct.unpack_from("<H", data, i)[0]
                i += 2
                bits = max((len(out) - start - 1).bit_length(), 4)
                length = (token & (0xFFFF >> bits)) + 3
                offset = (token >> (16 - bits)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    """The tokens of one decompressed chunk (at most 4096 bytes), matches searched within the chunk only."""
    n = len(chunk)
    body = bytearray()
    seen: dict[bytes, list[int]] = {}
    pos = 0

    def remember(upto: int) -> None:
        nonlocal indexed
        while indexed < upto:
            if indexed + 3 <= n:
                seen.setdefault(chunk[indexed:indexed + 3], []).append(indexed)
            indexed += 1

    indexed = 0
    while pos < n:
        flag_at = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            bits = max((pos - 1).bit_length(), 4)
            max_length = min((0xFFFF >> bits) + 3, n - pos)
            best_len, best_off = 0, 0
            if max_length >= 3:
                for cand in reversed(seen.get(chunk[pos:pos + 3], [])[-256:]):  # nearest first
                    length = 3
                    while length < max_length and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == max_length:
                            break
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                body += struct.pack("<H", token)
                flags |= 1 << bit
                remember(pos + best_len)
                pos += best_len
            else:
                body.append(chunk[pos])
                remember(pos + 1)
                pos += 1
        body[flag_at] = flags
    return bytes(body)


def compress(data: bytes) -> bytes:
    """Compress into a CompressedContainer (MS-OVBA 2.4.1.3.6)."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) <= 4096:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body  # flag 1, signature 0b011, size - 3
        elif len(chunk) == 4096:
            out += struct.pack("<H", 0x3000 | 0x0FFF) + chunk  # stored raw, as the spec allows for a full chunk
        else:
            raise ValueError("incompressible final chunk (not VBA source)")
    return bytes(out)


# ============================================================================ MS-OVBA 2.3.4.2: the dir stream

PROJECTVERSION, PROJECTNAME = 0x0009, 0x0004
MODULENAME, MODULENAMEUNICODE, MODULESTREAMNAME, MODULESTREAMNAMEUNICODE = 0x0019, 0x0047, 0x001A, 0x0032
MODULEOFFSET, MODULETERMINATOR = 0x0031, 0x002B


def parse_dir(data: bytes) -> list[tuple[int, bytes]]:
    """The decompressed dir stream as (record id, payload) pairs; PROJECTVERSION keeps its 6 bytes after Reserved."""
    records, i = [], 0
    while i < len(data):
        rid, size = struct.unpack_from("<HI", data, i)
        if rid == PROJECTVERSION:  # Id, Reserved (=4), VersionMajor (4 bytes), VersionMinor (2 bytes)
            size = 6
        records.append((rid, bytes(data[i + 6:i + 6 + size])))
        i += 6 + size
    return records


def serialize_dir(records: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for rid, payload in records:
        size = 4 if rid == PROJECTVERSION else len(payload)
        out += struct.pack("<HI", rid, size) + payload
    return bytes(out)


def modules(records: list[tuple[int, bytes]]) -> list[dict]:
    """Each module's name, stream name and source offset, with the record indexes that hold them."""
    out, current = [], None
    for k, (rid, payload) in enumerate(records):
        if rid == MODULENAME:
            current = {"name": payload.decode(CODE_PAGE), "records": {}}
        if current is None:
            continue
        current["records"][rid] = k
        if rid == MODULESTREAMNAME:
            current["stream"] = payload.decode(CODE_PAGE)
        elif rid == MODULEOFFSET:
            current["offset"] = struct.unpack("<I", payload)[0]
        elif rid == MODULETERMINATOR:
            out.append(current)
            current = None
    return out


# ============================================================================ MS-CFB: compound files

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_cfb(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file, by path ("VBA/dir")."""
    if data[:8] != CFB_SIGNATURE:
        raise ValueError("not a compound file")
    ssz = 1 << struct.unpack_from("<H", data, 30)[0]
    msz = 1 << struct.unpack_from("<H", data, 32)[0]
    n_fat, first_dir = struct.unpack_from("<II", data, 44)
    cutoff, first_minifat, _, first_difat, n_difat = struct.unpack_from("<IIIII", data, 56)
    fat_sectors = list(struct.unpack_from("<109I", data, 76))
    sector = lambda k: data[(k + 1) * ssz:(k + 2) * ssz]  # noqa: E731
    nxt = first_difat
    for _ in range(n_difat):
        words = struct.unpack(f"<{ssz // 4}I", sector(nxt))
        fat_sectors += words[:-1]
        nxt = words[-1]
    fat: list[int] = []
    for k in fat_sectors[:n_fat]:
        fat += struct.unpack(f"<{ssz // 4}I", sector(k))

    def chain(start: int, table: list[int]) -> list[int]:
        out = []
        while start not in (ENDOFCHAIN, FREESECT) and len(out) <= len(table):
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(sector(k) for k in chain(first_dir, fat))
    entries = []
    for k in range(len(directory) // 128):
        e = directory[k * 128:(k + 1) * 128]
        name_len = struct.unpack_from("<H", e, 64)[0]
        kind = e[66]
        left, right, child = struct.unpack_from("<III", e, 68)
        start, size = struct.unpack_from("<IQ", e, 116)
        entries.append((e[:max(name_len - 2, 0)].decode("utf-16-le"), kind, left, right, child, start, size))
    root = entries[0]
    mini = b"".join(sector(k) for k in chain(root[5], fat))[:root[6]]
    minifat: list[int] = []
    for k in chain(first_minifat, fat):
        minifat += struct.unpack(f"<{ssz // 4}I", sector(k))
    streams: dict[str, bytes] = {}

    def visit(sid: int, prefix: str) -> None:
        if sid == NOSTREAM:
            return
        name, kind, left, right, child, start, size = entries[sid]
        visit(left, prefix)
        visit(right, prefix)
        if kind == 1:
            visit(child, f"{prefix}{name}/")
        elif kind == 2:
            if size < cutoff:
                raw = b"".join(mini[k * msz:(k + 1) * msz] for k in chain(start, minifat))
            else:
                raw = b"".join(sector(k) for k in chain(start, fat))
            streams[prefix + name] = raw[:size]

    visit(root[4], "")
    return streams


def _sort_key(name: str) -> tuple[int, str]:
    return len(name), name.upper()  # MS-CFB 2.6.4: shorter names first, then by upper-case code points


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """A version 3 compound file (512-byte sectors) holding `streams` (paths with "/" between storages).

    Streams under 4,096 bytes live in the mini stream. Siblings are chained through their right links in the
    order MS-CFB prescribes and all entries are black, as in xlwings' own template (which Excel opens).
    """
    SSZ, MSZ, CUTOFF = 512, 64, 4096
    tree: dict = {}
    for path, data in streams.items():
        *storages, name = path.split("/")
        node = tree
        for s in storages:
            node = node.setdefault(s, {})
        node[name] = bytes(data)
    entries: list[dict] = [{"name": "Root Entry", "kind": 5, "left": NOSTREAM, "right": NOSTREAM, "child": NOSTREAM,
                            "start": ENDOFCHAIN, "size": 0, "data": None}]
    pending = [(0, tree)]
    while pending:
        parent, children = pending.pop(0)
        ids = []
        for name in sorted(children, key=_sort_key):
            value = children[name]
            entries.append({"name": name, "kind": 1 if isinstance(value, dict) else 2, "left": NOSTREAM,
                            "right": NOSTREAM, "child": NOSTREAM, "start": 0, "size": 0,
                            "data": None if isinstance(value, dict) else value})
            ids.append(len(entries) - 1)
            if isinstance(value, dict):
                pending.append((len(entries) - 1, value))
        if ids:
            entries[parent]["child"] = ids[0]
            for a, b in zip(ids, ids[1:]):
                entries[a]["right"] = b

    mini, minifat = bytearray(), []
    big = []
    for e in entries:
        data = e["data"]
        if data is None:
            continue
        e["size"] = len(data)
        if not data:
            e["start"] = ENDOFCHAIN
        elif len(data) < CUTOFF:
            first = len(mini) // MSZ
            count = -(-len(data) // MSZ)
            minifat += list(range(first + 1, first + count)) + [ENDOFCHAIN]
            mini += data + bytes(count * MSZ - len(data))
            e["start"] = first
        else:
            big.append(e)
    n_dir = -(-len(entries) // 4)
    n_minifat = -(-len(minifat) // 128)
    n_mini = -(-len(mini) // SSZ)
    n_big = sum(-(-e["size"] // SSZ) for e in big)
    data_sectors = n_dir + n_minifat + n_mini + n_big
    n_fat = 1
    while n_fat * 128 < data_sectors + n_fat:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for a header-only FAT")
    fat = [FREESECT] * (n_fat * 128)
    for k in range(n_fat):
        fat[k] = FATSECT
    cursor = n_fat

    def allocate(count: int) -> int:
        nonlocal cursor
        first = cursor
        for k in range(first, first + count - 1):
            fat[k] = k + 1
        fat[first + count - 1] = ENDOFCHAIN
        cursor += count
        return first

    first_dir = allocate(n_dir)
    first_minifat = allocate(n_minifat) if n_minifat else ENDOFCHAIN
    if n_mini:
        entries[0]["start"], entries[0]["size"] = allocate(n_mini), len(mini)
    for e in big:
        e["start"] = allocate(-(-e["size"] // SSZ))

    header = bytearray(512)
    header[:8] = CFB_SIGNATURE
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, n_fat, first_dir, 0, CUTOFF, first_minifat, n_minifat,
                     ENDOFCHAIN, 0)
    struct.pack_into("<109I", header, 76, *(list(range(n_fat)) + [FREESECT] * (109 - n_fat)))

    directory = bytearray()
    for e in entries:
        name = e["name"].encode("utf-16-le")
        if len(name) > 62:
            raise ValueError(f"name too long for a compound file: {e['name']}")
        d = bytearray(128)
        d[:len(name)] = name
        struct.pack_into("<HBB", d, 64, len(name) + 2, e["kind"], 1)
        struct.pack_into("<III", d, 68, e["left"], e["right"], e["child"])
        struct.pack_into("<IQ", d, 116, e["start"], e["size"])
        directory += d
    while len(directory) % SSZ:
        d = bytearray(128)
        struct.pack_into("<III", d, 68, NOSTREAM, NOSTREAM, NOSTREAM)
        directory += d

    def padded(b: bytes) -> bytes:
        return bytes(b) + bytes(-len(b) % SSZ)

    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    minifat_bytes += struct.pack("<I", FREESECT) * ((-len(minifat)) % 128)
    body = [struct.pack(f"<{len(fat)}I", *fat), bytes(directory), minifat_bytes, padded(mini)]
    body += [padded(e["data"]) for e in big]
    return bytes(header) + b"".join(body)


# ============================================================================ the add-in's VBA project


def build_vba_project(template: bytes, ribbon_source: str) -> bytes:
    """The template's VBA project with the ribbon module replaced and the project renamed (see the module doc)."""
    streams = read_cfb(template)
    records = parse_dir(decompress(streams["VBA/dir"]))
    mods = {m["name"]: m for m in modules(records)}
    if TEMPLATE_MODULE not in mods or "xlwings" not in mods:
        raise ValueError("xlwings 的加载项模板与预期不同（缺少 RibbonMyAddin 或 xlwings 模块），请检查 xlwings 版本。")

    # the callback module: renamed, its source compressed from offset 0 (no compiled cache)
    old = mods[TEMPLATE_MODULE]
    enc, uni = MODULE.encode(CODE_PAGE), MODULE.encode("utf-16-le")
    for rid, payload in ((MODULENAME, enc), (MODULENAMEUNICODE, uni), (MODULESTREAMNAME, enc),
                         (MODULESTREAMNAMEUNICODE, uni), (MODULEOFFSET, struct.pack("<I", 0))):
        records[old["records"][rid]] = (rid, payload)
    del streams[f"VBA/{old['stream']}"]
    streams[f"VBA/{MODULE}"] = compress(ribbon_source.encode(CODE_PAGE))

    # xlwings' module: its own PROJECT_NAME, so it reads xlplugin.conf
    xl = mods["xlwings"]
    source = decompress(streams[f"VBA/{xl['stream']}"][xl["offset"]:])
    line = f'Public Const PROJECT_NAME As String = "{TEMPLATE_CONF}"'.encode()
    if source.count(line) != 1:
        raise ValueError("xlwings 模块中找不到 PROJECT_NAME 常量，请检查 xlwings 版本。")
    source = source.replace(line, f'Public Const PROJECT_NAME As String = "{PROJECT}"'.encode())
    records[xl["records"][MODULEOFFSET]] = (MODULEOFFSET, struct.pack("<I", 0))
    streams[f"VBA/{xl['stream']}"] = compress(source)

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
            elif name in ("xl/workbook.xml", "docProps/app.xml"):
                data = data.replace(f"_{TEMPLATE_CONF}.conf".encode(), f"_{PROJECT}.conf".encode())
            out = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            out.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(out, data)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".~{output.name}")
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, output)
    return output


# ============================================================================ install


def config_file() -> Path:
    """Where the add-in's xlwings module reads its user settings (GetConfigFilePath with PROJECT_NAME xlplugin)."""
    if sys.platform == "darwin":  # sandboxed Excel's $HOME
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT}.conf"
    return Path.home() / f".{PROJECT}" / f"{PROJECT}.conf"


def write_config(path: Path, interpreter: str) -> None:
    key = "INTERPRETER_MAC" if sys.platform == "darwin" else "INTERPRETER_WIN"
    # the office workbook's folder is not put on sys.path: a stray .py beside it must never be imported
    lines = [f'"{key}","{interpreter}"', '"ADD_WORKBOOK_TO_PYTHONPATH","False"']
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def install() -> int:
    """Put the add-in into Excel's XLSTART folder and point it at this Python. Windows and macOS only.

    Not testable without Excel: kept to what `xlwings addin install` does (xlwings/cli.py).
    """
    if not (sys.platform.startswith("win") or sys.platform == "darwin"):
        print("这台电脑上没有 Microsoft Excel（加载项只能在 Windows 或 macOS 版 Excel 中使用），未安装任何内容。\n"
              "在这里请用命令行完成同样的工作：xlplugin init / generate / collect / score / feedback（xlplugin -h 查看用法）。\n"
              "如需把加载项带到装有 Excel 的电脑上，可运行 xlplugin addin build 生成 workbooks/xlplugin.xlam。",
              file=sys.stderr)
        return 1
    import xlwings as xw
    from xlwings.cli import get_addin_dir

    target = Path(get_addin_dir()) / ADDIN_NAME
    for app in xw.apps:  # a loaded copy would keep the file locked
        try:
            app.books[ADDIN_NAME].close()
        except Exception:
            pass
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(build(Path(tmp) / ADDIN_NAME), target)
    write_config(config_file(), sys.executable)
    print(f"已安装加载项：{target}\n使用的 Python：{sys.executable}（设置文件：{config_file()}）\n"
          "请重新启动 Excel，功能区会出现“绩效考评”选项卡（Excel 启动文件夹是受信任位置，加载项的宏可以运行）。")
    if sys.platform == "darwin":
        from xlwings.cli import runpython_install

        runpython_install(None)  # the AppleScript RunPython needs on macOS
    return 0


# ============================================================================ command line


def cmd_build(args) -> int:
    path = build(args.output)
    print(f"已生成加载项：{path}")
    return 0


def cmd_install(args) -> int:
    return install()


def register(subparsers) -> None:
    """Add `xlplugin addin build|install` to the command line's subparsers."""
    p = subparsers.add_parser("addin", help="Excel 加载项：生成或安装",
                              description="Excel 加载项（功能区“绩效考评”选项卡）。build 生成 workbooks/xlplugin.xlam；"
                                          "install 把它安装到本机 Excel（Windows、macOS）。")
    sub = p.add_subparsers(dest="addin_command", metavar="操作", required=True)
    b = sub.add_parser("build", help="由 templates/addin 中的文本生成加载项", description="生成 xlplugin.xlam（任何系统都可运行）。")
    b.add_argument("--output", help="输出文件（默认 workbooks/xlplugin.xlam）")
    b.set_defaults(func=cmd_build)
    i = sub.add_parser("install", help="安装到本机 Excel", description="把加载项放到 Excel 启动时加载的文件夹，并设置使用当前的 Python。")
    i.set_defaults(func=cmd_install)

"""MS-CFB, the compound file that holds a VBA project (xl/vbaProject.bin): every stream read by path, and written.

The add-in build (build.py) reads the template's project with `read_cfb`, changes some streams and writes a new
file with `write_cfb`. Pure byte functions, no files; tests/test_addin.py reads what `write_cfb` writes with olefile.
"""
from __future__ import annotations

import struct

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

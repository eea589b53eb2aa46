"""MS-OVBA, the VBA project's own formats: the compression of its streams and the records of its `dir` stream.

The add-in build (build.py) decompresses the template project's `dir` stream and module sources, changes a few
records and one line of source, and compresses them again. Pure byte functions, no files; tests/test_addin.py reads
what `compress` writes back with oletools' independent decompression.
"""
from __future__ import annotations

import struct

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
    """The dir stream from (record id, payload) pairs, as `parse_dir` reads it (before compression)."""
    out = bytearray()
    for rid, payload in records:
        size = 4 if rid == PROJECTVERSION else len(payload)
        out += struct.pack("<HI", rid, size) + payload
    return bytes(out)


def modules(records: list[tuple[int, bytes]], code_page: str) -> list[dict]:
    """Each module's name, stream name and source offset, with the record indexes that hold them; names are in the
    project's `code_page` (a Python codec name such as "cp1252")."""
    out, current = [], None
    for k, (rid, payload) in enumerate(records):
        if rid == MODULENAME:
            current = {"name": payload.decode(code_page), "records": {}}
        if current is None:
            continue
        current["records"][rid] = k
        if rid == MODULESTREAMNAME:
            current["stream"] = payload.decode(code_page)
        elif rid == MODULEOFFSET:
            current["offset"] = struct.unpack("<I", payload)[0]
        elif rid == MODULETERMINATOR:
            out.append(current)
            current = None
    return out

"""Seeded mutations of filled forms, as an attacker or a broken tool would send them back: for the fuzz test
(tests/test_hostile.py) and benchmarks/bench_fuzz.py.

Each mutation works on the form's zip members and says which cells it may legitimately change (`touched`):
a mutant is then either accepted with the original's values everywhere else, or flagged (rejected, or 待更正
with an error naming what is wrong). Mutations: XML byte flips, members truncated or deleted, the whole file
truncated, cell-type swaps, shared strings with out-of-range indexes, huge row and column numbers and
dimensions, duplicate cells and rows, namespace prefixes on every element (with and without a formula),
sheet names and texts written as character references, formulas added to cells. (Regular expressions are
fine here: they write the mutants, they do not judge them.)
"""
from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from xlplugin.collect import CRASHED, PENDING, RECEIVED, REJECTED, Outcome
from xlplugin.intake import _sheet_parts
from xlplugin.issues import ERROR

_CELL = re.compile(rb'<c\b[^>]*?\sr="([A-Z]+[0-9]+)"[^>]*?(?:/>|>.*?</c>)', re.S)
_INLINE = re.compile(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t([^>]*)>(.*?)</t></is></c>', re.S)
_TAG = re.compile(rb"<(/?)([A-Za-z][\w.-]*)")
SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


@dataclass
class Base:
    """A filled form taken apart: its members, and which member holds which sheet."""

    path: Path
    members: dict[str, bytes]
    sheets: dict[str, str]  # sheet name → member
    shared: dict[str, bytes] | None = None  # the same form with its texts in a shared-string table

    @classmethod
    def of(cls, path: Path) -> Base:
        with zipfile.ZipFile(path) as z:
            members = {i.filename: z.read(i.filename) for i in z.infolist()}
            sheets = _sheet_parts(z)
        return cls(path, members, sheets)

    def sheet_of(self, member: str) -> str:
        return next((s for s, m in self.sheets.items() if m == member), "")

    def with_shared_strings(self) -> dict[str, bytes]:
        """The members with every inline text moved into xl/sharedStrings.xml (as Excel itself writes them)."""
        if self.shared is None:
            strings: list[bytes] = []
            members = dict(self.members)
            for member in self.sheets.values():
                def shared(m: re.Match) -> bytes:
                    strings.append(m.group(4))
                    return b'<c %st="s"%s><v>%d</v></c>' % (m.group(1), m.group(2), len(strings) - 1)
                members[member] = _INLINE.sub(shared, members[member])
            members["xl/sharedStrings.xml"] = (
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                b'2006/main" count="%d" uniqueCount="%d">' % (len(strings), len(strings))
                + b"".join(b'<si><t xml:space="preserve">%s</t></si>' % s for s in strings) + b"</sst>")
            members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
                b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + SST_TYPE + b'"/></Types>')
            members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
                b"</Relationships>", b'<Relationship Id="rIdSST" Type="' + SST_REL + b'" Target="sharedStrings.xml"/>'
                b"</Relationships>")
            self.shared = members
        return self.shared


@dataclass
class Mutant:
    what: str
    data: bytes
    touched: set[tuple[str, str]] = field(default_factory=set)  # (sheet, cell) whose value may differ


def _cells(xml: bytes) -> list[re.Match]:
    return list(_CELL.finditer(xml))


def _pick_sheet(base: Base, rng: random.Random, members: dict[str, bytes]) -> str:
    return rng.choice(sorted(m for m in base.sheets.values() if m in members))


def flip(base, rng, members, touched):
    """1-3 bytes of one parsed XML part XORed with random values."""
    parsed = sorted(set(base.sheets.values()) | {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                                                 "xl/styles.xml", "xl/sharedStrings.xml"} & set(members))
    member = rng.choice(parsed)
    data = bytearray(members[member])
    offsets = [rng.randrange(len(data)) for _ in range(rng.randint(1, 3))]
    for o in offsets:
        data[o] ^= rng.randrange(1, 256)
    if member in base.sheets.values():
        for m in _cells(members[member]):
            if any(m.start() <= o < m.end() for o in offsets):
                touched.add((base.sheet_of(member), m.group(1).decode()))
    members[member] = bytes(data)
    return f"flip {member}"


def truncate_member(base, rng, members, touched):
    member = rng.choice(sorted(members))
    members[member] = members[member][:rng.randrange(len(members[member]) or 1)]
    return f"truncate {member}"


def delete_member(base, rng, members, touched):
    member = rng.choice(sorted(members))
    del members[member]
    return f"delete {member}"


def type_swap(base, rng, members, touched):
    member = _pick_sheet(base, rng, members)
    xml = members[member]
    cells = _cells(xml)
    if not cells:
        return "type swap (no cell)"
    m = rng.choice(cells)
    cell = m.group(0)
    new_type = rng.choice([b"s", b"b", b"e", b"str", b"n", b"inlineStr", b"d"])
    if re.search(rb'\st="[^"]*"', cell[:cell.find(b">")]):
        cell = re.sub(rb'\st="[^"]*"', b' t="' + new_type + b'"', cell, count=1)
    else:
        cell = cell.replace(b"<c ", b'<c t="' + new_type + b'" ', 1)
    members[member] = xml[:m.start()] + cell + xml[m.end():]
    touched.add((base.sheet_of(member), m.group(1).decode()))
    return f"type {new_type.decode()}"


def shared_index(base, rng, members, touched):
    """Shared strings, one of them referenced out of range (or as a negative or non-numeric index)."""
    members.clear()
    members.update(base.with_shared_strings())
    member = _pick_sheet(base, rng, members)
    xml = members[member]
    cells = [m for m in _cells(xml) if b't="s"' in m.group(0)]
    if not cells:
        return "shared strings (no text cell)"
    m = rng.choice(cells)
    index = rng.choice([b"99999", b"4294967297", b"-1", b"1e3", b"x", b""])
    cell = re.sub(rb"<v>[^<]*</v>", b"<v>" + index + b"</v>", m.group(0))
    members[member] = xml[:m.start()] + cell + xml[m.end():]
    touched.add((base.sheet_of(member), m.group(1).decode()))
    return f"shared index {index.decode()}"


def shared_plain(base, rng, members, touched):
    """The same form with shared strings: must be read exactly as the original."""
    members.clear()
    members.update(base.with_shared_strings())
    return "shared strings"


HUGE_REFS = ["L99999999", "A4294967297", "XFD1048576", "XFE1", "AAAA1", "A0", "L1048577", "AO1", "ZZ70000", "l7", "7L"]


def huge_ref(base, rng, members, touched):
    member = _pick_sheet(base, rng, members)
    xml = members[member]
    choice = rng.randrange(3)
    if choice == 0:
        m = rng.choice(_cells(xml))
        ref = rng.choice(HUGE_REFS).encode()
        cell = re.sub(rb'\sr="[^"]*"', b' r="' + ref + b'"', m.group(0), count=1)
        members[member] = xml[:m.start()] + cell + xml[m.end():]
        touched.add((base.sheet_of(member), m.group(1).decode()))
        return f"cell ref {ref.decode()}"
    if choice == 1:
        rows = list(re.finditer(rb'<row r="([0-9]+)"', xml))
        m = rng.choice(rows)
        number = rng.choice([b"99999999", b"4294967297", b"1048577", b"0", b"-3", b"70000"])
        members[member] = xml[:m.start()] + b'<row r="' + number + b'"' + xml[m.end():]
        return f"row r {number.decode()}"
    ref = rng.choice([b"A1:XFD1048576", b"A1:N99999999", b"A1:AAAA1", b"A1:N70000", b"bogus"])
    if b"<dimension" in xml:
        members[member] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', xml, count=1)
    else:
        members[member] = xml.replace(b"<sheetData", b'<dimension ref="' + ref + b'"/><sheetData', 1)
    return f"dimension {ref.decode()}"


def duplicate(base, rng, members, touched):
    """A cell given twice (the second with another value), or a whole row given twice."""
    member = _pick_sheet(base, rng, members)
    xml = members[member]
    if rng.random() < 0.7:
        m = rng.choice(_cells(xml))
        twin = re.sub(rb"<v>[^<]*</v>", b"<v>1</v>", m.group(0))
        members[member] = xml[:m.end()] + twin + xml[m.end():]
        touched.add((base.sheet_of(member), m.group(1).decode()))
        return "duplicate cell"
    rows = list(re.finditer(rb"<row\b.*?</row>", xml, re.S))
    m = rng.choice(rows)
    members[member] = xml[:m.end()] + m.group(0) + xml[m.end():]
    return "duplicate row"


def prefixed(base, rng, members, touched):
    """Every element of a sheet under a namespace prefix (x:), as Open XML SDK tools write: read as the original;
    with a formula added to one cell, that cell must be reported."""
    member = _pick_sheet(base, rng, members)
    xml = members[member]
    xml = xml.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                      b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1)
    formula = rng.random() < 0.5
    if formula:
        cells = [m for m in _cells(xml) if b"<v>" in m.group(0) and b"<f>" not in m.group(0)]
        if cells:
            m = rng.choice(cells)
            xml = xml[:m.start()] + m.group(0).replace(b"<v>", b"<f>1+1</f><v>", 1) + xml[m.end():]
            touched.add((base.sheet_of(member), m.group(1).decode()))
    members[member] = _TAG.sub(lambda t: b"<" + t.group(1) + b"x:" + t.group(2), xml)
    return "prefix" + (" + formula" if formula else "")


def entity_names(base, rng, members, touched):
    """Sheet names in workbook.xml, or texts in a sheet, written as numeric character references."""
    if rng.random() < 0.5:
        def encoded(m: re.Match) -> bytes:
            return b'name="' + "".join(f"&#{ord(ch)};" for ch in m.group(1).decode()).encode() + b'"'
        members["xl/workbook.xml"] = re.sub(rb'name="([^"]*)"', encoded, members["xl/workbook.xml"])
        return "entity sheet names"
    member = _pick_sheet(base, rng, members)

    def text(m: re.Match) -> bytes:
        return m.group(1) + "".join(f"&#x{ord(ch):x};" for ch in m.group(2).decode()).encode() + m.group(3)
    members[member] = re.sub(rb"(<t[^>]*>)([^<&]*)(</t>)", text, members[member])
    return "entity texts"


def formula(base, rng, members, touched):
    member = _pick_sheet(base, rng, members)
    xml = members[member]
    cells = [m for m in _cells(xml) if b"<f>" not in m.group(0)]
    m = rng.choice(cells)
    cell = m.group(0)
    if cell.endswith(b"/>"):
        cell = cell[:-2] + b"><f>1+1</f><v>2</v></c>"
    else:
        cell = cell.replace(b">", b"><f>SUM(A1:A2)</f>", 1)
    members[member] = xml[:m.start()] + cell + xml[m.end():]
    touched.add((base.sheet_of(member), m.group(1).decode()))
    return "formula"


MUTATIONS = [flip, flip, flip, truncate_member, delete_member, type_swap, type_swap, shared_index, shared_plain,
             huge_ref, huge_ref, duplicate, prefixed, entity_names, formula]


def _apply(mutation, base, rng, members, touched) -> str:
    try:
        return mutation(base, rng, members, touched)
    except (IndexError, KeyError, ValueError):  # a first mutation left nothing for the second to work on
        return f"{mutation.__name__} (nothing to change)"


def mutate(base: Base, rng: random.Random) -> Mutant:
    """One mutant: one mutation (sometimes two), or the whole file cut short."""
    if rng.random() < 0.04:
        data = base.path.read_bytes()
        return Mutant("truncate file", data[:rng.randrange(len(data))])
    members = dict(base.members)
    touched: set[tuple[str, str]] = set()
    whats = [_apply(rng.choice(MUTATIONS), base, rng, members, touched)]
    if rng.random() < 0.2:
        second = rng.choice([m for m in MUTATIONS if m not in (shared_index, shared_plain)])
        whats.append(_apply(second, base, rng, members, touched))
    return Mutant(" + ".join(whats), zipped(members), touched)


def marks_of(outcome: Outcome) -> set[tuple]:
    return {(m.sheet, m.cell, m.unit, m.source, m.indicator, m.item, repr(m.value)) for m in outcome.marks}


def judge(outcome: Outcome, original: Outcome, touched: set[tuple[str, str]]) -> str:
    """accepted (the original's values, but in the touched cells), flagged (rejected, or 待更正 with an error),
    crashed (its reader died: isolated, but a hole in the bounds) or wrong (accepted with other values)."""
    if outcome.verdict == REJECTED and any(i.problem == CRASHED for i in outcome.issues):
        return "crashed"
    if outcome.verdict == REJECTED and outcome.issues:
        return "flagged"
    if outcome.verdict == PENDING and any(i.severity == ERROR for i in outcome.issues):
        return "flagged"
    if outcome.verdict == RECEIVED:
        def keep(marks):
            return {m for m in marks if (m[0], m[1]) not in touched}
        if keep(marks_of(outcome)) == keep(marks_of(original)) and outcome.kind == original.kind \
                and outcome.recipient == original.recipient:
            return "accepted"
    return "wrong"


@dataclass
class Figures:
    """What a fuzz run found: how many mutants were accepted, flagged, or neither."""

    mutants: int = 0
    accepted: int = 0
    flagged: int = 0
    crashed: list[str] = field(default_factory=list)  # what: its reader died (isolated, but a hole in the bounds)
    wrong: list[str] = field(default_factory=list)  # what: accepted with other values than the original's
    unhandled: list[str] = field(default_factory=list)  # an exception out of read_all
    seconds: float = 0.0  # reading and judging, mutants' writing excluded
    peak_mb: float = 0.0  # the largest resident set of this process or any reader process

    def line(self) -> str:
        return (f"mutants {self.mutants}: accepted {self.accepted}, flagged {self.flagged}, crashed {len(self.crashed)}, "
                f"wrong {len(self.wrong)}, unhandled errors {len(self.unhandled)}; {self.seconds:.1f} s "
                f"({1000 * self.seconds / max(1, self.mutants):.1f} ms/mutant); peak memory {self.peak_mb:.0f} MB")


def peak_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def fuzz(scheme, period, forms: list[Path], count: int, seed: int, folder: Path, workers: int | None = None,
         batch: int = 1000) -> Figures:
    """Read `count` seeded mutants of `forms` (filled forms of every kind) as collect does, in batches, and judge
    each against its original."""
    import time

    from xlplugin.collect import read_all

    rng = random.Random(seed)
    bases = [Base.of(p) for p in forms]
    originals = read_all(scheme, period, [(p, p.name) for p in forms], workers=workers)
    assert all(o.verdict == RECEIVED and not o.issues for o in originals), [o.issues for o in originals]
    figures = Figures()
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, count, batch):
        made = []
        for n in range(start, min(count, start + batch)):
            k = rng.randrange(len(bases))
            mutant = mutate(bases[k], rng)
            path = folder / f"{n:05d}_{forms[k].name}"
            path.write_bytes(mutant.data)
            made.append((path, mutant, originals[k]))
        started = time.perf_counter()
        try:
            outcomes = read_all(scheme, period, [(p, p.name) for p, _, _ in made], workers=workers)
        except Exception as e:  # noqa: BLE001 - counted, that is the point
            figures.unhandled += [f"{m.what}: {type(e).__name__}: {e}" for _, m, _ in made]
            outcomes = []
        for (path, mutant, original), outcome in zip(made, outcomes):
            verdict = judge(outcome, original, mutant.touched)
            if verdict in ("accepted", "flagged"):
                setattr(figures, verdict, getattr(figures, verdict) + 1)
            else:
                getattr(figures, verdict).append(f"{path.name}: {mutant.what}: {[i.problem for i in outcome.issues][:3]}")
        figures.seconds += time.perf_counter() - started
        figures.mutants += len(made)
        for path, _, _ in made:
            if not (figures.crashed or figures.wrong or figures.unhandled) or path.name not in str(
                    figures.crashed + figures.wrong + figures.unhandled):
                path.unlink()  # keep only the mutants to look at
    figures.peak_mb = peak_mb()
    return figures

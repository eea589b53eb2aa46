"""The .rels parts: which part refers to which, read into a graph, and written for the parts the tool makes.

`rels_name("xl/worksheets/sheet1.xml")` is "xl/worksheets/_rels/sheet1.xml.rels"; `targets` reads one .rels
part into (id, type, absolute part name) triples; `reachable` walks the graph from some parts, which is how the
packager knows which parts belong to an owned sheet alone (its drawing, the drawing's charts) and may go.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass

from . import xmltext

PACKAGE_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET = OFFICE_DOC + "/worksheet"
DRAWING = OFFICE_DOC + "/drawing"
CHART = OFFICE_DOC + "/chart"
CALC_CHAIN = OFFICE_DOC + "/calcChain"


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str  # the part's name inside the package (no leading slash), or the URL of an external target
    external: bool = False


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """A relationship's target as a part name: relative to the source part's folder, or absolute ("/xl/...")."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def relative(source: str, part: str) -> str:
    """The target to write in `source`'s .rels for `part`."""
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


def read(source: str, data: bytes) -> list[Relationship]:
    """The relationships of part `source` from its .rels part's bytes."""
    out = []
    for node in xmltext.children(xmltext.parse(data).documentElement, "Relationship"):
        external = node.getAttribute("TargetMode") == "External"
        target = node.getAttribute("Target")
        out.append(Relationship(node.getAttribute("Id"), node.getAttribute("Type"),
                                target if external else resolve(source, target), external))
    return out


def write(source: str, rels: list[Relationship]) -> bytes:
    """A .rels part for part `source` holding `rels` (targets written relative to it)."""
    lines = [xmltext.DECLARATION, f'<Relationships xmlns="{PACKAGE_NS}">']
    for r in rels:
        target = r.target if r.external else relative(source, r.target)
        mode = ' TargetMode="External"' if r.external else ""
        lines.append(f'<Relationship Id="{xmltext.attr(r.id)}" Type="{xmltext.attr(r.type)}" '
                     f'Target="{xmltext.attr(target)}"{mode}/>')
    lines.append("</Relationships>")
    return "".join(lines).encode("utf-8")


def reachable(starts, rels_of) -> set[str]:
    """Every part reachable from the parts `starts` by internal relationships; `rels_of(part)` gives a part's
    relationships ([] where it has none)."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        part = todo.pop()
        if part in seen:
            continue
        seen.add(part)
        todo.extend(r.target for r in rels_of(part) if not r.external)
    return seen


def fresh_id(rels: list[Relationship]) -> str:
    taken = {r.id for r in rels}
    n = len(rels) + 1
    while f"rId{n}" in taken:
        n += 1
    return f"rId{n}"

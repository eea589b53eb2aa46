"""Assemble the new package: every part the tool does not own copied byte for byte, the owned sheets written anew.

`replace_sheets(source, target, sheets, charts, looks)` reads the .xlsx at `source` with zipfile, follows its
relationships to the workbook, its sheets and styles (parsed with expat, see xmltext), and writes `target`:
- a sheet the tool writes that exists keeps its part name, relationship, sheet id and place in the sheet order;
  one that does not is added at the end;
- the parts only an owned sheet referred to (its old drawing and charts) go, and with them their content types;
- the cell formats the owned sheets need are merged into styles.xml (see styles); workbook.xml gets the owned
  sheets' print titles and filter ranges; [Content_Types].xml and the workbook's .rels the new parts;
- the calculation chain goes only if it names a cell of an owned sheet (the application rebuilds it);
- everything else — the office's sheets, their drawings, images, pivot tables and caches, comments, defined
  names, custom XML, the shared strings — is copied as it was, uncompressed bytes identical.
`target` is a new file (the caller makes it atomic: see files.write_atomically).
"""
from __future__ import annotations

import io
import shutil
import time
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

import pandas as pd

from ..errors import UserError
from . import chart as charting
from . import contenttypes, relationships as rels, worksheet
from .styles import Styles
from .workbook import Workbook

COMPRESSLEVEL = 1  # the owned sheets are large and rewritten often: fast deflate (the copied parts keep theirs)
OFFICE_DOCUMENT = rels.OFFICE_DOC + "/officeDocument"
STYLES = rels.OFFICE_DOC + "/styles"


class PackageError(UserError):
    """The file is not a workbook the writer can rewrite (e.g. a sheet the tool owns is a chart sheet)."""


@dataclass
class _Owned:
    name: str  # as the workbook spells it
    part: str
    position: int
    frame: pd.DataFrame
    look: object
    chart: object
    graft: charting.Graft | None = None


def _zipinfo(name: str, like: zipfile.ZipInfo | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, like.date_time if like else time.localtime()[:6])
    info.compress_type = like.compress_type if like else zipfile.ZIP_DEFLATED
    info.external_attr = like.external_attr if like else 0o600 << 16
    level = None if like else COMPRESSLEVEL
    if hasattr(zipfile.ZipInfo, "compress_level"):  # Python 3.13 and later
        info.compress_level = level
    else:
        info._compresslevel = level
    return info


def replace_sheets(source, target, sheets: dict[str, pd.DataFrame], charts: dict | None = None,
                   looks: dict | None = None) -> None:
    charts, looks = charts or {}, looks or {}
    with zipfile.ZipFile(source) as src:
        infos = {i.filename: i for i in src.infolist()}
        cache: dict[str, list[rels.Relationship]] = {}

        def rels_of(part: str) -> list[rels.Relationship]:
            if part not in cache:
                name = rels.rels_name(part)
                cache[part] = rels.read(part, src.read(name)) if name in infos else []
            return cache[part]

        workbook_part = next(r.target for r in rels_of("") if r.type == OFFICE_DOCUMENT)
        book = Workbook(src.read(workbook_part))
        book_rels = list(rels_of(workbook_part))
        types = contenttypes.ContentTypes(src.read(contenttypes.PART))
        styles_part = next(r.target for r in book_rels if r.type == STYLES)
        styles = Styles(src.read(styles_part))
        taken = set(infos)

        owned: list[_Owned] = []
        for name, frame in sheets.items():
            position = book.position(name)
            if position is None:
                part = _free("xl/worksheets/sheet{}.xml", taken)
                rel_id = rels.fresh_id(book_rels)
                book_rels.append(rels.Relationship(rel_id, rels.WORKSHEET, part))
                position = book.add_sheet(name, rel_id)
                types.set(part, contenttypes.WORKSHEET)
            else:
                rel = next(r for r in book_rels if r.id == book.relationship(position))
                if rel.type != rels.WORKSHEET:
                    raise PackageError(f"“{name}”不是普通工作表，无法改写。")
                part, name = rel.target, book.sheet_names()[position]
            taken.add(part)
            owned.append(_Owned(name, part, position, frame, looks.get(name), charts.get(name)))

        # what only the owned sheets referred to goes; whatever else refers to a part keeps it
        owned_parts = {o.part for o in owned}
        kept = _reachable_avoiding(rels_of, owned_parts)
        dropped = (rels.reachable(owned_parts, rels_of) - owned_parts) - kept
        old_rels = {rels.rels_name(p) for p in owned_parts | dropped}
        for part in dropped:
            types.remove(part)
        chain = next((r for r in book_rels if r.type == rels.CALC_CHAIN), None)
        if chain is not None and chain.target in infos and _chain_names(src.read(chain.target),
                                                                         {book.sheet_id(o.position) for o in owned}):
            dropped.add(chain.target)
            types.remove(chain.target)
            book_rels.remove(chain)

        taken -= dropped | old_rels
        for o in owned:
            if o.chart is not None and len(o.frame.columns) > 1:
                o.graft = charting.grafted(o.name, o.frame, o.chart, 1, len(o.frame) + 2, taken)
                taken.update(o.graft.parts)
                types.set(o.graft.drawing, contenttypes.DRAWING)
                types.set(o.graft.chart, contenttypes.CHART)
            if o.look is not None:
                book.set_hidden(o.position, o.look.hidden)

        edited = {contenttypes.PART, workbook_part, rels.rels_name(workbook_part), styles_part}
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
            out.writestr(_zipinfo(contenttypes.PART, infos.get(contenttypes.PART)), types.to_bytes())
            for name, info in infos.items():
                if name in edited or name in owned_parts or name in dropped or name in old_rels:
                    continue
                with src.open(info) as fin, out.open(_zipinfo(name, info), "w", force_zip64=True) as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
            for o in owned:
                drawing = None
                if o.graft is not None:
                    drawing = "rId1"
                    out.writestr(_zipinfo(rels.rels_name(o.part)),
                                 rels.write(o.part, [rels.Relationship(drawing, rels.DRAWING, o.graft.drawing)]))
                    for name, data in o.graft.parts.items():
                        out.writestr(_zipinfo(name), data)
                with out.open(_zipinfo(o.part), "w", force_zip64=True) as raw, io.BufferedWriter(raw, 1 << 20) as fh:
                    layout = worksheet.write(fh, o.name, o.frame, o.look, styles, drawing,
                                             selected=o.position == book.active_tab())
                book.set_names(o.position, layout.names)
            out.writestr(_zipinfo(styles_part, infos.get(styles_part)), styles.to_bytes())
            out.writestr(_zipinfo(workbook_part, infos.get(workbook_part)), book.to_bytes())
            book_rels_name = rels.rels_name(workbook_part)
            out.writestr(_zipinfo(book_rels_name, infos.get(book_rels_name)), rels.write(workbook_part, book_rels))


def _reachable_avoiding(rels_of, avoid: set[str]) -> set[str]:
    """Every part reachable from the package's root without passing through the parts `avoid`."""
    seen: set[str] = set()
    todo = [""]
    while todo:
        part = todo.pop()
        if part in seen or part in avoid:
            continue
        seen.add(part)
        todo.extend(r.target for r in rels_of(part) if not r.external)
    return seen


def _chain_names(data: bytes, sheet_ids: set[str]) -> bool:
    """Whether the calculation chain names a cell on one of the sheets `sheet_ids` (a cell without i is on the
    sheet of the cell before it)."""
    current = None
    for _, node in ElementTree.iterparse(io.BytesIO(data)):
        if node.tag.endswith("}c"):
            current = node.get("i", current)
            if current in sheet_ids:
                return True
    return False


def _free(pattern: str, taken: set[str]) -> str:
    n = 1
    while pattern.format(n) in taken:
        n += 1
    return pattern.format(n)

"""xl/styles.xml: the cell formats the tool's sheets need, merged into the workbook's own without renumbering.

A `CellStyle` (bold, colours, border, number format, wrapping) becomes one cellXfs entry; its font, fill, border
and number format are looked up among those already there (compared by content) and appended only when missing,
so writing twice adds nothing the second time and the office's formats keep their numbers. Conditional formats
get their fills as dxfs the same way.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import xmltext

PART = "xl/styles.xml"
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "@": 49}
#: where each collection goes among styleSheet's children (its schema fixes the order)
ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles",
         "colors", "extLst")


@dataclass(frozen=True)
class CellStyle:
    bold: bool = False
    size: float | None = None  # points; None: the workbook's default font
    color: str | None = None  # font colour, RRGGBB
    fill: str | None = None  # solid background, RRGGBB
    border: str | None = None  # thin border all round, RRGGBB
    num_format: str = "General"
    wrap: bool = False
    center: bool = False
    vcenter: bool = False
    top: bool = False  # aligned to the top: the cells beside a wrapped one, so a row reads as one line


# an element as (tag, attributes, children): built here, compared with what the file holds by the same shape
Spec = tuple


def _canon(node) -> Spec:
    attrs = tuple(sorted((k, v) for k, v in node.attributes.items() if not k.startswith("xmlns")))
    kids = tuple(_canon(c) for c in node.childNodes if c.nodeType == c.ELEMENT_NODE)
    return node.localName, attrs, kids


def _spec(tag: str, attrs: dict | None = None, *kids: Spec) -> Spec:
    return tag, tuple(sorted((attrs or {}).items())), tuple(kids)


def _font(style: CellStyle, default) -> Spec:
    kids = []
    if style.bold:
        kids.append(_spec("b"))
    size = style.size or _default_size(default)
    kids.append(_spec("sz", {"val": _num(size)}))
    if style.color:
        kids.append(_spec("color", {"rgb": "FF" + style.color}))
    name = default and xmltext.child(default, "name")
    kids.append(_spec("name", {"val": name.getAttribute("val") if name else "Calibri"}))
    return _spec("font", {}, *kids)


def _default_size(default) -> float:
    sz = default and xmltext.child(default, "sz")
    return float(sz.getAttribute("val")) if sz else 11.0


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _fill(rgb: str) -> Spec:
    return _spec("fill", {}, _spec("patternFill", {"patternType": "solid"}, _spec("fgColor", {"rgb": "FF" + rgb}),
                                   _spec("bgColor", {"indexed": "64"})))


def _border(rgb: str) -> Spec:
    side = [_spec(s, {"style": "thin"}, _spec("color", {"rgb": "FF" + rgb})) for s in ("left", "right", "top",
                                                                                       "bottom")]
    return _spec("border", {}, *side, _spec("diagonal"))


class Styles:
    def __init__(self, data: bytes):
        self.doc = xmltext.parse(data)
        self.root = self.doc.documentElement
        self.ns = self.root.namespaceURI
        self.prefix = self.root.prefix
        self._xfs: dict[CellStyle, int] = {}

    # -- the collections
    def _collection(self, tag: str):
        node = xmltext.child(self.root, tag)
        if node is None:
            node = self._element(tag)
            later = [c for c in self.root.childNodes if c.nodeType == c.ELEMENT_NODE
                     and c.localName in ORDER and ORDER.index(c.localName) > ORDER.index(tag)]
            self.root.insertBefore(node, later[0] if later else None)
        return node

    def _element(self, tag: str, attrs=(), kids=()):
        node = self.doc.createElementNS(self.ns, f"{self.prefix}:{tag}" if self.prefix else tag)
        for k, v in attrs:
            node.setAttribute(k, v)
        for kid in kids:
            node.appendChild(self._element(*kid))
        return node

    def _index(self, tag: str, item: str, spec: Spec) -> int:
        """The position of `spec` among `tag`'s `item` children, appended (and the count updated) if missing."""
        holder = self._collection(tag)
        items = xmltext.children(holder, item)
        for i, node in enumerate(items):
            if _canon(node) == spec:
                return i
        holder.appendChild(self._element(*spec))
        holder.setAttribute("count", str(len(items) + 1))
        return len(items)

    def _num_format(self, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        holder = self._collection("numFmts")
        ids = []
        for node in xmltext.children(holder, "numFmt"):
            if node.getAttribute("formatCode") == code:
                return int(node.getAttribute("numFmtId"))
            ids.append(int(node.getAttribute("numFmtId")))
        new = max(ids + [163]) + 1
        holder.appendChild(self._element("numFmt", (("numFmtId", str(new)), ("formatCode", code))))
        holder.setAttribute("count", str(len(ids) + 1))
        return new

    # -- what the writer asks for
    def xf(self, style: CellStyle) -> int:
        """The cellXfs index of `style`."""
        if style in self._xfs:
            return self._xfs[style]
        fonts = xmltext.children(self._collection("fonts"), "font")
        font = self._index("fonts", "font", _font(style, fonts[0] if fonts else None))
        fill = self._index("fills", "fill", _fill(style.fill)) if style.fill else 0
        border = self._index("borders", "border", _border(style.border)) if style.border else 0
        num = self._num_format(style.num_format)
        attrs = {"numFmtId": str(num), "fontId": str(font), "fillId": str(fill), "borderId": str(border),
                 "xfId": "0"}
        kids = []
        if num:
            attrs["applyNumberFormat"] = "1"
        if font:
            attrs["applyFont"] = "1"
        if fill:
            attrs["applyFill"] = "1"
        if border:
            attrs["applyBorder"] = "1"
        align = {}
        if style.wrap:
            align["wrapText"] = "1"
        if style.center:
            align["horizontal"] = "center"
        if style.vcenter or style.wrap or style.top:
            align["vertical"] = "center" if style.vcenter else "top"
        if align:
            attrs["applyAlignment"] = "1"
            kids.append(_spec("alignment", align))
        self._xfs[style] = self._index("cellXfs", "xf", _spec("xf", attrs, *kids))
        return self._xfs[style]

    def dxf(self, fill: str) -> int:
        """The dxfs index of a solid background `fill` (RRGGBB), for a conditional format."""
        spec = _spec("dxf", {}, _spec("fill", {}, _spec("patternFill", {"patternType": "solid"},
                                                        _spec("bgColor", {"rgb": "FF" + fill}))))
        return self._index("dxfs", "dxf", spec)

    def to_bytes(self) -> bytes:
        return xmltext.serialize(self.doc)

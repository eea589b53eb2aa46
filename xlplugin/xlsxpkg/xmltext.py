"""XML text for package parts: escaping, cell references, dates as serial numbers, and the DOM round trip.

The small parts the writer edits (workbook.xml, styles.xml, .rels, [Content_Types].xml) are parsed with
xml.dom.minidom (expat underneath), which keeps every prefix, namespace declaration and attribute order as it
read them, so `mc:Ignorable` and the like stay true; they are written back with the usual declaration.
"""
from __future__ import annotations

from datetime import date, datetime
from xml.dom import minidom

from ..values import column_letter, visible_text  # noqa: F401 (column_letter: the package writes it here)

DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
EPOCH = datetime(1899, 12, 30)

_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
                       "\t": "&#9;"})


def text(value: str) -> str:
    """`value` as XML character data: what XML cannot hold is escaped visibly (values.visible_text), then & < >;
    a carriage return is kept as a character reference (a parser would fold a literal one into a newline)."""
    out = visible_text(value)
    if "&" in out or "<" in out or ">" in out:  # rare in the tool's tables: test before translating
        out = out.translate(_TEXT)
    return out.replace("\r", "&#13;") if "\r" in out else out


def attr(value: str) -> str:
    """`value` inside a double-quoted attribute."""
    return visible_text(value).translate(_ATTR)



def serial(value: date | datetime) -> float:
    """A date as Excel's serial number (1900 system; dates after 1900-03-01)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    delta = value - EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


def parse(data: bytes) -> minidom.Document:
    return minidom.parseString(data)


def serialize(doc: minidom.Document) -> bytes:
    return (DECLARATION + doc.documentElement.toxml()).encode("utf-8")


def children(node, tag: str) -> list:
    """The child elements of `node` whose qualified name is `tag` (the prefix as written, e.g. "sheet")."""
    return [c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE and c.localName == tag]


def child(node, tag: str):
    found = children(node, tag)
    return found[0] if found else None

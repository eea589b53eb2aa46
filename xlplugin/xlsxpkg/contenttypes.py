"""[Content_Types].xml: which content type each part has; parts are added and removed, nothing else changes."""
from __future__ import annotations

from . import xmltext

PART = "[Content_Types].xml"
WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
RELS = "application/vnd.openxmlformats-package.relationships+xml"


class ContentTypes:
    def __init__(self, data: bytes):
        self.doc = xmltext.parse(data)
        self.root = self.doc.documentElement

    def _overrides(self) -> dict[str, object]:
        return {o.getAttribute("PartName"): o for o in xmltext.children(self.root, "Override")}

    def set(self, part: str, content_type: str) -> None:
        """Give part `part` (e.g. "xl/worksheets/sheet9.xml") its content type."""
        name = "/" + part
        node = self._overrides().get(name)
        if node is None:
            node = self.doc.createElementNS(self.root.namespaceURI, "Override")
            node.setAttribute("PartName", name)
            self.root.appendChild(node)
        node.setAttribute("ContentType", content_type)

    def remove(self, part: str) -> None:
        node = self._overrides().get("/" + part)
        if node is not None:
            self.root.removeChild(node)

    def ensure_default(self, extension: str, content_type: str) -> None:
        if not any(d.getAttribute("Extension").lower() == extension for d in xmltext.children(self.root, "Default")):
            node = self.doc.createElementNS(self.root.namespaceURI, "Default")
            node.setAttribute("Extension", extension)
            node.setAttribute("ContentType", content_type)
            self.root.insertBefore(node, self.root.firstChild)

    def to_bytes(self) -> bytes:
        return xmltext.serialize(self.doc)

"""xl/workbook.xml: the list of sheets (name, id, relationship, visibility) and the sheet-local defined names the
tool sets for the sheets it owns (print titles, the filter's database). Everything else is left as read."""
from __future__ import annotations

from . import xmltext
from .relationships import OFFICE_DOC

PART = "xl/workbook.xml"
#: the built-in names the tool sets on its own sheets (and so removes from a sheet it rewrites)
OWN_NAMES = ("_xlnm.Print_Titles", "_xlnm._FilterDatabase", "_xlnm.Print_Area")


def quoted(sheet: str) -> str:
    """A sheet name as a formula writes it: 'name', with ' doubled."""
    return "'" + sheet.replace("'", "''") + "'"


class Workbook:
    def __init__(self, data: bytes):
        self.doc = xmltext.parse(data)
        self.root = self.doc.documentElement
        self.sheets_node = xmltext.child(self.root, "sheets")

    def _sheet_nodes(self) -> list:
        return xmltext.children(self.sheets_node, "sheet")

    def sheet_names(self) -> list[str]:
        return [s.getAttribute("name") for s in self._sheet_nodes()]

    def position(self, name: str) -> int | None:
        """The 0-based position of sheet `name` (compared as Excel does, without case), or None."""
        key = name.casefold()
        return next((i for i, n in enumerate(self.sheet_names()) if n.casefold() == key), None)

    def relationship(self, position: int) -> str:
        return self._sheet_nodes()[position].getAttributeNS(OFFICE_DOC, "id")

    def _r_prefix(self) -> str:
        for name, value in self.root.attributes.items():
            if name.startswith("xmlns:") and value == OFFICE_DOC:
                return name[6:]
        self.root.setAttribute("xmlns:r", OFFICE_DOC)
        return "r"

    def add_sheet(self, name: str, rel_id: str) -> int:
        """Append sheet `name` related by `rel_id`; its position."""
        ids = [int(s.getAttribute("sheetId") or 0) for s in self._sheet_nodes()]
        node = self.doc.createElementNS(self.root.namespaceURI, self.sheets_node.tagName.replace("sheets", "sheet"))
        node.setAttribute("name", name)
        node.setAttribute("sheetId", str(max(ids, default=0) + 1))
        node.setAttributeNS(OFFICE_DOC, f"{self._r_prefix()}:id", rel_id)
        self.sheets_node.appendChild(node)
        return len(ids)

    def active_tab(self) -> int:
        """The position of the sheet the workbook opens on (its first workbook view's activeTab; 0 by default)."""
        views = xmltext.child(self.root, "bookViews")
        view = xmltext.children(views, "workbookView")[0] if views is not None and xmltext.children(
            views, "workbookView") else None
        value = view.getAttribute("activeTab") if view is not None else ""
        return int(value) if value.isdigit() else 0

    def set_hidden(self, position: int, hidden: bool) -> None:
        node = self._sheet_nodes()[position]
        if hidden:
            node.setAttribute("state", "hidden")
        elif node.getAttribute("state") == "hidden":
            node.removeAttribute("state")

    def sheet_id(self, position: int) -> str:
        return self._sheet_nodes()[position].getAttribute("sheetId")

    def _defined_names(self):
        node = xmltext.child(self.root, "definedNames")
        if node is None:
            node = self.doc.createElementNS(self.root.namespaceURI, self.sheets_node.tagName.replace("sheets",
                                                                                                    "definedNames"))
            after = xmltext.child(self.root, "externalReferences") or self.sheets_node
            self.root.insertBefore(node, after.nextSibling)
        return node

    def set_names(self, position: int, names: dict[str, str]) -> None:
        """Replace the tool's built-in names local to the sheet at `position` by `names` (name → formula)."""
        holder = self._defined_names()
        for node in xmltext.children(holder, "definedName"):
            if node.getAttribute("localSheetId") == str(position) and node.getAttribute("name") in OWN_NAMES:
                holder.removeChild(node)
        for name, formula in names.items():
            node = self.doc.createElementNS(self.root.namespaceURI, holder.tagName.replace("definedNames",
                                                                                           "definedName"))
            node.setAttribute("name", name)
            node.setAttribute("localSheetId", str(position))
            if name == "_xlnm._FilterDatabase":
                node.setAttribute("hidden", "1")
            node.appendChild(self.doc.createTextNode(formula))
            holder.appendChild(node)
        if not xmltext.children(holder, "definedName"):
            self.root.removeChild(holder)

    def to_bytes(self) -> bytes:
        return xmltext.serialize(self.doc)

"""Writing inside an .xlsx package: replace the sheets the tool owns, copy every other part byte for byte.

One module per package part, after XlsxWriter's layout: `contenttypes` ([Content_Types].xml), `relationships`
(the .rels parts and the graph of parts they form), `workbook` (xl/workbook.xml: the sheet list and defined names),
`styles` (xl/styles.xml: the few cell formats the tool needs, merged in without renumbering), `worksheet` (one
owned sheet's XML, written streaming), `chart` (a chart drawn by XlsxWriter in a scratch package and grafted in),
and `packager`, which reads the existing package with zipfile and expat and assembles the new one.

The office's own sheets are never parsed: what they and the workbook reference stays as it was.
"""
from __future__ import annotations

from .packager import replace_sheets

__all__ = ["replace_sheets"]

"""Run by the system Python (python3-uno): open a workbook in LibreOffice, type text into cells as a clerk would
(through the application, which fits each row to what is typed), and save it as .xlsx and as PDF.

Usage: python3 uno_type.py SOURCE.xlsx TARGET.xlsx TARGET.pdf PIPE-NAME CELLS.json
CELLS.json: [[sheet, row, column, text], ...] with 0-based row and column.
"""
import json, os, sys, uno
from uno_office import prop, start, stop

src, dst, pdf, pipe, cells_json = sys.argv[1:6]
with open(cells_json, encoding="utf-8") as f:
    cells = json.load(f)
proc, _, desktop = start(pipe, os.path.dirname(os.path.abspath(dst)))
doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0, (prop("Hidden", True),))
for sheet, row, col, text in cells:
    doc.Sheets.getByName(sheet).getCellByPosition(col, row).setString(text)
doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(dst)), (prop("FilterName", "Calc Office Open XML"),))
doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(pdf)), (prop("FilterName", "calc_pdf_Export"),))
doc.close(True)
stop(proc, desktop)

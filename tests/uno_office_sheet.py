"""Run by the system Python (python3-uno): open an office workbook in LibreOffice, add a hand-made sheet 办公室分析
with a chart, an image and a pivot table, and save it as .xlsx — what an office does to the workbook by hand.

Usage: python3 uno_office_sheet.py SOURCE.xlsx TARGET.xlsx IMAGE.png PIPE-NAME
"""
import os, sys, uno
from uno_office import prop, start, stop

src, dst, png, pipe = sys.argv[1:5]
proc, ctx, desktop = start(pipe, os.path.dirname(os.path.abspath(dst)))
smgr = ctx.ServiceManager
doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
sheets = doc.Sheets
sheets.insertNewByName("办公室分析", sheets.Count)
sh = sheets.getByName("办公室分析")
rows = [("科室", "季度", "件数"), ("综合科", "一季度", 12), ("综合科", "二季度", 15), ("考核科", "一季度", 9),
        ("考核科", "二季度", 11), ("督查科", "一季度", 7), ("督查科", "二季度", 8)]
for r, row in enumerate(rows):
    for c, v in enumerate(row):
        cell = sh.getCellByPosition(c, r)
        if isinstance(v, str): cell.setString(v)
        else: cell.setValue(v)
sh.getCellByPosition(3, 0).setString("合计"); sh.getCellByPosition(3, 1).setFormula("=SUM(C2:C7)")
sh.Columns.getByIndex(0).Width = 3000
sh.getCellByPosition(0, 0).CellBackColor = 0xFFCC00
# chart
rng = uno.createUnoStruct('com.sun.star.table.CellRangeAddress'); rng.Sheet = sheets.Count - 1; rng.StartColumn = 0; rng.StartRow = 0; rng.EndColumn = 2; rng.EndRow = 6
rect = uno.createUnoStruct('com.sun.star.awt.Rectangle'); rect.X, rect.Y, rect.Width, rect.Height = 9000, 500, 12000, 7000
sh.Charts.addNewByName("件数图", rect, (rng,), True, True)
# image
dp = sh.DrawPage
g = doc.createInstance("com.sun.star.drawing.GraphicObjectShape")
gp = smgr.createInstanceWithContext("com.sun.star.graphic.GraphicProvider", ctx)
g.Graphic = gp.queryGraphic((prop("URL", uno.systemPathToFileUrl(png)),))
dp.add(g)
s = uno.createUnoStruct('com.sun.star.awt.Size'); s.Width, s.Height = 3000, 2000; g.setSize(s)
pt = uno.createUnoStruct('com.sun.star.awt.Point'); pt.X, pt.Y = 1000, 9000; g.setPosition(pt)
# pivot table
desc = sh.getDataPilotTables().createDataPilotDescriptor()
desc.setSourceRange(rng)
fields = desc.getDataPilotFields()
ROW, COLUMN, DATA = (uno.Enum('com.sun.star.sheet.DataPilotFieldOrientation', n) for n in ('ROW', 'COLUMN', 'DATA'))
SUM = uno.Enum('com.sun.star.sheet.GeneralFunction', 'SUM')
f = fields.getByIndex(0); f.Orientation = ROW
f = fields.getByIndex(1); f.Orientation = COLUMN
f = fields.getByIndex(2); f.Orientation = DATA; f.Function = SUM
out = uno.createUnoStruct('com.sun.star.table.CellAddress'); out.Sheet = sheets.Count - 1; out.Column = 0; out.Row = 20
sh.getDataPilotTables().insertNewByName("分科统计", out, desc)
doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "Calc Office Open XML"),))
doc.close(True)
stop(proc, desktop, timeout=30)

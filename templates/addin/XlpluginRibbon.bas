Attribute VB_Name = "XlpluginRibbon"
' The ribbon's one callback: every button of the add-in's tab (templates/addin/customUI.xml.j2) lands here
' and hands its id to Python, which runs the same verb as the command line on the active workbook.
' RunPython is xlwings' (module xlwings of this add-in); the interpreter comes from xlplugin.conf.
' Keep this file ASCII: VBA stores source in the project's code page (1252).
Option Explicit

Sub OnRibbon(control As IRibbonControl)
    RunPython "import xlplugin.ribbon as x; x.on_ribbon('" & control.Id & "')"
End Sub

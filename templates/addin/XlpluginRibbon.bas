Attribute VB_Name = "XlpluginRibbon"
' The ribbon's one callback: every button of the add-in's tab (templates/addin/customUI.xml.j2) lands here
' and hands its id to Python, which runs the same verb as the command line on the active workbook.
' RunPython is xlwings' (module xlwings of this add-in); the interpreter comes from xlplugin.conf.
' Rendered by `xlplugin addin build` (xlplugin/addin/build.py): the {{ '{{ ... }}' }} are its messages.
' Keep this file ASCII: VBA stores source in the project's code page (1252), so Chinese text is written
' as its UTF-16 code units in hex and decoded by UText.
Option Explicit

Sub OnRibbon(control As IRibbonControl)
    ' RunPython reads ActiveWorkbook: with no workbook open (or one in Protected View) that is error 91
    If ActiveWorkbook Is Nothing Then
        MsgBox UText("{{ no_workbook }}"), vbExclamation, UText("{{ title }}")
        Exit Sub
    End If
    RunPython "import xlplugin.ribbon as x; x.on_ribbon('" & control.Id & "')"
End Sub

Public Function UText(ByVal units As String) As String
    ' Text from its UTF-16 code units, four hex digits each ("7EE9" -> the character U+7EE9)
    Dim i As Long
    For i = 1 To Len(units) Step 4
        UText = UText & ChrW(CLng("&H" & Mid$(units, i, 4)))
    Next i
End Function

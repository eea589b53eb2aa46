Function GetConfig(configKey As String, Optional default As String = "", Optional source As String = "") As Variant
    ' xlplugin's lookup, in place of xlwings' (xlplugin/addin/build.py): settings come only from the add-in's own
    ' workbook (a sheet xlplugin.conf, absent in xlplugin.xlam) and the user's file %USERPROFILE%\.xlplugin\xlplugin.conf,
    ' in that order, then the default. Never from the active workbook (its xlplugin.conf sheet) nor from an
    ' xlplugin.conf beside it: a returned form open in Excel must not choose the interpreter or the PYTHONPATH.
    Dim configValue As String

    ' Add-in Sheet Config
    #If App = "Microsoft Excel" Then
    If source = "" Or source = "sheet" Then
        If SheetExists(ThisWorkbook, PROJECT_NAME & ".conf") = True Then
            If GetConfigFromSheet(ThisWorkbook).Exists(configKey) = True Then
                GetConfig = GetConfigFromSheet(ThisWorkbook).Item(configKey)
                GetConfig = ExpandEnvironmentStrings(GetConfig)
                Exit Function
            End If
        End If
    End If
    #End If

    ' User Config
    If source = "" Or source = "user" Then
        If FileExists(GetConfigFilePath()) = True Then
            If GetConfigFromFile(GetConfigFilePath(), configKey, configValue) Then
                GetConfig = configValue
                GetConfig = ExpandEnvironmentStrings(GetConfig)
                Exit Function
            End If
        End If
    End If

    ' Defaults
    GetConfig = default
    GetConfig = ExpandEnvironmentStrings(GetConfig)

End Function

"""The Excel add-in workbooks/xlplugin.xlam: its ribbon's buttons, its build from text sources, its install.

    buttons.py  the ribbon as data (tab, groups, buttons): the one list the XML and the ribbon door follow
    build.py    `build`: xlwings' add-in template + templates/addin/ -> xlplugin.xlam, on any OS, reproducibly
    ovba.py     MS-OVBA: compression of VBA streams, the dir stream's records
    cfb.py      MS-CFB: the compound file (xl/vbaProject.bin) read and written
    install.py  `install`: into Excel's start-up folder, pointed at this Python (Windows, macOS)

What the buttons run is the ribbon door's business (xlplugin.ribbon); nothing here imports it.
"""
from __future__ import annotations

from .build import build
from .install import install

__all__ = ["build", "install"]

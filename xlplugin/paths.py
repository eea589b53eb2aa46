"""Where the tool's own files are: templates (editable by the office) and the bundled samples."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPO = PACKAGE.parent
SAMPLES = PACKAGE / "samples"


def templates_dir() -> Path:
    """templates/ of the source tree when running from it, else the copy packed into the wheel."""
    for candidate in (REPO / "templates", PACKAGE / "_templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("找不到模板文件夹 templates/")

"""Drive LibreOffice headless the way a third-party client would: open a workbook, recalculate it and save
it again (as .xlsx) or print it (as PDF).

Used by the LibreOffice tests and by the demo (a clerk re-saving a form in LibreOffice). Every call runs
with a private user profile, made once per process, whose settings make Calc recalculate every formula
when it loads an .xlsx file, as a clerk's LibreOffice does once they type into the sheet.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

# output filters; each is one argv item, so no shell quotes around the filter name
FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "pdf": "pdf"}

# OOXMLRecalcMode: 0 = always recalculate on load, 1 = never, 2 = ask
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_profile: Path | None = None
_lock = threading.Lock()  # one LibreOffice at a time per profile: a second one would hand its job over and quit


def executable() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile_dir() -> Path:
    """A private LibreOffice user profile for this process (removed at exit)."""
    global _profile
    if _profile is None:
        root = Path(tempfile.mkdtemp(prefix="xlplugin-lo-"))
        (root / "user").mkdir()
        (root / "user" / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        atexit.register(shutil.rmtree, root, True)
        _profile = root
    return _profile


def convert_many(sources: list[Path], fmt: str, outdir: Path, timeout: float = 180) -> list[Path]:
    """Convert several files in one LibreOffice run (it starts once, ~2 s); return the output paths.

    The outputs keep their sources' stems, so converting .xlsx to .xlsx needs an `outdir` other than the
    sources' folder (LibreOffice would otherwise overwrite them).
    """
    if fmt not in FILTERS:
        raise ValueError(f"不支持的格式：{fmt}（可选：{'、'.join(FILTERS)}）")
    sources = [Path(s).resolve() for s in sources]
    outdir = Path(outdir).resolve()
    if fmt == "xlsx" and any(s.parent == outdir for s in sources):
        raise ValueError("转换为 .xlsx 时输出文件夹须与源文件所在文件夹不同，否则会覆盖源文件。")
    exe = executable()
    if exe is None:
        raise RuntimeError("未找到 LibreOffice（soffice）：请先安装 LibreOffice，"
                           "如 Debian/Ubuntu 执行 apt-get install libreoffice-calc-nogui fonts-noto-cjk。")
    outdir.mkdir(parents=True, exist_ok=True)
    outputs = [outdir / f"{s.stem}.{fmt}" for s in sources]
    for out in outputs:
        out.unlink(missing_ok=True)
    cmd = [exe, f"-env:UserInstallation={_profile_dir().as_uri()}", "--headless", "--invisible", "--norestore",
           "--nologo", "--nodefault", "--nolockcheck", "--convert-to", FILTERS[fmt], "--outdir", str(outdir),
           *map(str, sources)]
    env = {**os.environ, "HOME": os.environ.get("HOME") or str(_profile_dir())}  # bare CI may have no HOME
    try:
        with _lock:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        names = "、".join(s.name for s in sources)
        raise RuntimeError(f"LibreOffice 转换超时（超过 {timeout:g} 秒）：{names}") from None
    missing = [o for o in outputs if not o.exists()]
    if done.returncode != 0 or missing:
        detail = (done.stderr or done.stdout or "").strip()[-500:]
        names = "、".join(o.name for o in missing) or "（无）"
        raise RuntimeError(f"LibreOffice 转换失败（退出码 {done.returncode}），未生成：{names}。{detail}")
    return outputs


def convert(src: Path, fmt: str, outdir: Path, timeout: float = 120) -> Path:
    """Open `src` in LibreOffice (recalculating every formula) and save it as `fmt` ("xlsx" or "pdf") in
    `outdir`; return the new file's path (same stem as `src`)."""
    return convert_many([src], fmt, outdir, timeout)[0]

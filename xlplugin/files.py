"""Files the tool writes: atomically (a temp file beside the target, fsync, os.replace), names safe on every OS.

Every file the tool writes — the office workbook, forms, feedback, fetched attachments, the add-in — goes through
`write_atomically`, so a crash leaves the old file or the new one, never half of either.
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
import stat
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Callable


def write_atomically(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` to fill a temp file beside `path`, make it durable, then put it in place in one step.

    The temp file is in the same folder (so os.replace is atomic) and is removed if anything fails. The new file
    keeps the permissions of the one it replaces (a new file gets the usual ones): mkstemp's private 0600 would
    lock colleagues on a shared drive out of the office workbook.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".~", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_bytes_atomically(path: str | os.PathLike, data: bytes) -> Path:
    return write_atomically(path, lambda tmp: tmp.write_bytes(data))


def backup(path: Path, folder_name: str) -> Path | None:
    """Copy `path` into <its folder>/<folder_name>/<stem>.<timestamp><suffix> before it is rewritten."""
    if not path.exists():
        return None
    folder = path.parent / folder_name
    folder.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    shutil.copy2(path, target)
    return target


def prune_backups(path: Path, folder_name: str, keep: int) -> list[Path]:
    """Remove old backups of `path` made by `backup`: the newest `keep` stay, and the first of each day; the
    removed ones are returned. Files in the folder that are not such backups are left alone."""
    folder = path.parent / folder_name
    prefix, suffix = f"{path.stem}.", path.suffix
    stamped = []
    for f in folder.glob(f"{glob.escape(path.stem)}.*{suffix}") if folder.is_dir() else ():
        stamp = f.name[len(prefix):len(f.name) - len(suffix)]
        try:
            when = datetime.strptime(stamp, "%Y%m%d-%H%M%S-%f")
        except ValueError:
            continue
        stamped.append((when, f))
    stamped.sort()
    firsts, days = set(), set()
    for when, f in stamped:
        if when.date() not in days:
            days.add(when.date())
            firsts.add(f)
    newest = {f for _, f in stamped[len(stamped) - max(keep, 1):]}
    removed = [f for _, f in stamped if f not in newest and f not in firsts]
    for f in removed:
        f.unlink(missing_ok=True)
    return removed


def lock_files(path: Path) -> list[Path]:
    """The marks Excel/WPS (~$name.xlsx) and LibreOffice (.~lock.name.xlsx#) leave beside a workbook they have open."""
    candidates = {path.parent / f"~${path.name}", path.parent / f"~${path.name[2:]}",  # Word-style owner files
                  path.parent / f".~lock.{path.name}#"}
    return sorted(p for p in candidates if p.exists())


def safe_filename(text: str) -> str:
    """A name usable as a file name on Windows, macOS and Linux (Chinese kept as is)."""
    bad = '<>:"/\\|?*'
    cleaned = "".join("_" if ch in bad or ord(ch) < 32 else ch for ch in text).strip(" .")
    return cleaned or "_"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

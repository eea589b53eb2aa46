"""How a form sheet prints legibly: its print scale, where a table too wide for the paper splits into pages side
by side, and where its pages break — planned from the declared column widths and the row heights the writer sets.

Printed text must stay at least 9 pt, so the 10 pt body of a form prints at `MIN_SCALE` (90%) or more. Fit-to-width
cannot promise that (it shrinks a wide table as far as it must) and makes Excel ignore manual page breaks, so a form
sheet gets a fixed scale instead, computed for the widest rendering of its columns: LibreOffice without Excel's
default font (Calibri, absent on most Linux desks) measures a column of width w at 7·w + 5 points (measured on its
PDF), a third wider than Excel's 7·w + 5 pixels. A table wider than the paper at 90% is split into parts, each on
its own page across, the first `keep` columns (序号, code, name) repeated on every part as print titles; pages
print across, then down, so a part's definitions and its inputs follow each other.

Row breaks are planned so that a heading stays with the rows under it, a block meant to stay together (the bonus
table, the sign-off) is not split, and the last page of a table never holds only a couple of rows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

MIN_SCALE = 0.9  # 10 pt prints at 9 pt or more
#: paper (设置's 纸张) → (XlsxWriter paper code, short side, long side in points)
PAPERS = {"A4": (9, 595.28, 841.89), "A3": (8, 841.89, 1190.55)}
MARGIN_SIDE, MARGIN_TOP = 0.4, 0.6  # inches, as FormWriter.sheet sets them
PT_PER_UNIT, PT_PER_COLUMN = 7.0, 5.0  # LibreOffice's width of a column of width w: 7·w + 5 points (the widest)
DEFAULT_ROW = 15.0  # points: a row XlsxWriter writes without a height
FILL = 0.94  # share of a page's height planned full: room for LibreOffice's rounding of row heights
SHORT_LAST = 0.3  # a table's last page holding less than this share of a page is evened out with the one before


def column_points(width: float | None) -> float:
    """A column's printed width in points; a hidden column (width None) prints nothing."""
    return 0.0 if width is None else PT_PER_UNIT * width + PT_PER_COLUMN


def printable(paper: str, landscape: bool) -> tuple[float, float]:
    """(width, height) in points inside the margins."""
    _, short, long = PAPERS[paper]
    w, h = (long, short) if landscape else (short, long)
    return w - 2 * 72 * MARGIN_SIDE, h - 2 * 72 * MARGIN_TOP


@dataclass(frozen=True)
class Across:
    """How a sheet prints across: its scale (%) and the 0-based columns that start a new page (none: one page wide)."""

    scale: int
    breaks: tuple[int, ...] = ()


def plan_across(widths: list[float | None], page_width: float, keep: int = 0, prefer: int | None = None) -> Across:
    """The largest scale (≤ 100%) at which the columns print one page wide, if that is at least 90%; else parts
    side by side, each with the first `keep` columns repeated: split before column `prefer` (where the inputs
    start) when both parts fit, else as few parts as fit, filled left to right."""
    pts = [column_points(w) for w in widths]
    limit = page_width / MIN_SCALE
    if sum(pts) <= limit:
        return Across(_scale(page_width, sum(pts)))
    head = sum(pts[:keep])
    if prefer is not None and keep < prefer < len(pts) and sum(pts[:prefer]) <= limit and head + sum(pts[prefer:]) <= limit:
        breaks = [prefer]
    else:
        breaks, used = [], sum(pts[:max(keep, 1)])
        for c in range(max(keep, 1), len(pts)):
            if used + pts[c] > limit:
                breaks.append(c)
                used = head
            used += pts[c]
    starts = [0, *breaks]
    ends = [*breaks, len(pts)]
    widest = max((head if s else 0) + sum(pts[max(s, keep) if s else 0:e]) for s, e in zip(starts, ends))
    return Across(_scale(page_width, widest), tuple(breaks))


def _scale(page_width: float, width: float) -> int:
    return min(100, math.floor(page_width / width * 100)) if width > 0 else 100


@dataclass(frozen=True)
class Row:
    """A row as the planner sees it: 0-based index, height in points, whether it must print on the same page as the
    row after it (a heading, a row of a block kept together)."""

    index: int
    height: float
    with_next: bool = False


def plan_down(rows: list[Row], page_height: float, scale: int, repeated: float = 0.0, first: int | None = None,
              even_last: bool = True) -> list[int]:
    """Rows (0-based) that start a new page. `rows` are every printed row from the sheet's top, in order;
    `repeated` is the height of the print-title rows on every page but the first; from row `first` on, the rows
    are the table whose last page is evened out with the one before when short."""
    room = page_height * FILL * 100 / scale
    breaks: list[int] = []
    used = 0.0
    k = 0
    while k < len(rows):
        # the run of rows that must stay together starting here
        end = k
        while end < len(rows) - 1 and rows[end].with_next:
            end += 1
        height = sum(r.height for r in rows[k:end + 1])
        top = repeated if breaks else 0.0
        if used + height > room and used > top:
            breaks.append(rows[k].index)
            used = repeated
        used += height
        k = end + 1
    if even_last and breaks and first is not None:
        breaks = _even_last(rows, breaks, room, repeated, first)
    return breaks


def _even_last(rows: list[Row], breaks: list[int], room: float, repeated: float, first: int) -> list[int]:
    """Move the last break up when the last page would hold little, so the two last pages share the rows."""
    last = breaks[-1]
    tail = [r for r in rows if r.index >= last]
    if sum(r.height for r in tail) + repeated >= SHORT_LAST * room:
        return breaks
    start = breaks[-2] if len(breaks) > 1 else first
    span = [r for r in rows if start <= r.index]
    total = sum(r.height for r in span)
    acc = 0.0
    for n, r in enumerate(span):
        acc += r.height
        nxt = span[n + 1] if n + 1 < len(span) else None
        if nxt is None:
            break
        if acc >= total / 2 and not r.with_next and nxt.index > start:
            if total - acc + repeated <= room:
                return [*breaks[:-1], nxt.index]
            break
    return breaks


@dataclass
class SheetPrint:
    """What the writer tells the planner about one sheet besides its cells: orientation, the columns repeated on
    every part across (`keep`), the column where the inputs start (`prefer`), the first row of its table (the
    rows from there on get an evened-out last page) and the rows that print with the row after them."""

    landscape: bool = True
    paper: str = "A4"
    keep: int = 0
    prefer: int | None = None
    table_from: int | None = None
    repeated_row: int | None = None  # the header row repeated on every page
    with_next: set[int] | None = None
    titles: dict[int, tuple[str, float]] = field(default_factory=dict)  # title block rows: row → (text, font size)
    title: str = ""  # the sheet's title (the page header names the table when the title block is not printed)
    print_from: int = 0  # the first printed row


def widths_of(ws) -> list[float | None]:
    """An XlsxWriter worksheet's column widths in units (it keeps them as 7·w + 5 pixels), up to its last column;
    None for a hidden column (the grouped evaluator's form hides the indicator's own columns)."""
    last_col = ws.dim_colmax if ws.dim_colmax is not None else 0
    widths: list[float | None] = []
    for c in range(last_col + 1):
        info = ws.col_info.get(c)
        if info is not None and info.hidden:
            widths.append(None)
            continue
        px = info.width if info is not None and info.width is not None else ws.default_col_width
        widths.append((px - PT_PER_COLUMN) / PT_PER_UNIT)
    return widths


def lay_out_across(ws, paper: str, sp: SheetPrint) -> Across:
    """Set an XlsxWriter worksheet's print scale, column breaks and repeated columns from its columns' widths
    (a column of w units is 7·w + 5 pixels in XlsxWriter and 7·w + 5 points in LibreOffice: the same number)."""
    page_w, _ = printable(paper, sp.landscape)
    across = plan_across(widths_of(ws), page_w, sp.keep, sp.prefer)
    ws.set_print_scale(across.scale)
    if across.breaks:
        ws.set_v_pagebreaks(list(across.breaks))
        if sp.keep:
            ws.repeat_columns(0, sp.keep - 1)
        ws.print_across()
    return across


def lay_out_down(ws, paper: str, sp: SheetPrint, across: Across) -> list[int]:
    """Set the worksheet's row page breaks from its rows' heights (XlsxWriter keeps them in pixels)."""
    _, page_h = printable(paper, sp.landscape)
    last_row = ws.dim_rowmax if ws.dim_rowmax is not None else 0
    with_next = sp.with_next or set()

    def height(r: int) -> float:
        info = ws.row_info.get(r)
        return info.height * 0.75 if info is not None and info.height is not None else DEFAULT_ROW

    rows = [Row(r, height(r), r in with_next) for r in range(sp.print_from, last_row + 1)]
    repeated = height(sp.repeated_row) if sp.repeated_row is not None else 0.0
    breaks = plan_down(rows, page_h, across.scale, repeated, sp.table_from, even_last=sp.table_from is not None)
    if breaks:
        ws.set_h_pagebreaks(breaks)
    return breaks

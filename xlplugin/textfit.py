"""textfit: how tall a generated row must be to show its wrapped text in full.

Spreadsheet applications do not fit the row heights of generated files by themselves (LibreOffice shows one
clipped line), so the writers of forms and of feedback workbooks estimate them here, from the text's width in
column units: a CJK character takes `cjk` units, any other character `other`, and the cell's own padding
`margin` units of the column's width. A row is as tall as its tallest cell's lines × font size × `spacing`,
plus `pad` points. The writers differ only in their font's numbers (see `TextFit`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

CJK_FROM = 0x2E80  # code points above this are CJK (ideographs, kana, hangul, CJK punctuation, full-width forms)


def display_width(value, cjk: float = 2.0) -> float:
    """Width of a value in Excel character units ('0' widths); a CJK character takes `cjk` of them."""
    text = "" if value is None else str(value)
    return sum(cjk if ord(ch) > CJK_FROM else 1 for ch in text)


@lru_cache(maxsize=65536)
def wrapped_lines(text: str, width: float, cjk: float, other: float, margin: float) -> int:
    """Lines `text` wraps into in a column `width` units wide (each of its own lines at least one); cached, since
    every unit's form repeats the common indicators."""
    usable = max(width - margin, 1.0)
    return sum(max(1, math.ceil(sum(cjk if ord(ch) > CJK_FROM else other for ch in part) / usable))
               for part in text.split("\n"))


@dataclass(frozen=True)
class TextFit:
    """A font's numbers for the estimate: column units per CJK and per other character, the cell's margin in
    column units, and a line's height as a multiple of the font size."""

    cjk: float
    other: float
    margin: float
    spacing: float

    def lines(self, text: object, width: float) -> int:
        return wrapped_lines(str(text), width, self.cjk, self.other, self.margin)

    def row_height(self, cells: list[tuple[object, float]], font_size: float = 10, minimum: int = 1,
                   pad: float = 4) -> float:
        """Points a row needs to show each (value, column width) in full; empty cells need none."""
        lines, cjk, other, margin = minimum, self.cjk, self.other, self.margin
        for value, width in cells:
            if value is not None and value != "":
                lines = max(lines, wrapped_lines(str(value), width, cjk, other, margin))
        return round(lines * font_size * self.spacing + pad, 1)

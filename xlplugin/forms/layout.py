"""The vocabulary every form is defined in, shared by the writer and the reader.

A form kind (unit, evaluator, rater, leader) is declared once as `Grid`s (a table: title rows, one header
row, body rows of definitions and inputs) and `Field`s (single input cells at fixed places). The writer
lays them out with XlsxWriter; the reader finds the same cells from the same declarations. The body rows
of a particular form are listed in its hidden meta sheet (sheet, row, id), so the reader never guesses.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from xlsxwriter.utility import xl_col_to_name

DEF, INPUT, FORMULA, LABEL = "def", "input", "formula", "label"

# Ids of body rows that are not data rows start with this marker (data rows carry a code as id).
GROUP, SUBTOTAL, TOTAL = "#组:", "#小计:", "#合计"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    role: str = DEF  # def: locked definition, signed; input: unlocked, filled by the clerk; formula: computed
    numeric: bool = False
    wrap: bool = False
    number_format: str | None = None
    required: bool = False  # an input the clerk must fill


@dataclass(frozen=True)
class Grid:
    sheet: str
    columns: tuple[Column, ...]
    header_row: int  # 0-based; rows above it are the title block
    row_key: tuple[str, ...] = ("code",)  # definition columns whose values make a data row's id

    def id_of(self, values: dict) -> str:
        return "|".join(canonical(values.get(k)) for k in self.row_key)

    def col(self, key: str) -> int:
        for i, c in enumerate(self.columns):
            if c.key == key:
                return i
        raise KeyError(key)

    def letter(self, key: str) -> str:
        return xl_col_to_name(self.col(key))

    @property
    def definitions(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role == DEF)

    @property
    def inputs(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role == INPUT)


@dataclass(frozen=True)
class Field:
    """A single input cell (or merged block) at a fixed place on a sheet, with a label beside it."""

    key: str
    label: str
    sheet: str
    row: int
    col: int
    last_row: int | None = None  # merged block, when given
    last_col: int | None = None
    required: bool = False
    kind: str = "text"  # text / date / list / number

    @property
    def ref(self) -> str:
        return f"{xl_col_to_name(self.col)}{self.row + 1}"


@dataclass
class BodyRow:
    """One row of a grid's body as written: data rows carry the definition values, keyed by column key."""

    id: str
    values: dict = field(default_factory=dict)
    label: str = ""
    max: float | None = None  # the ceiling for this row's score input, if any
    span: tuple[int, int] | None = None  # for subtotal/total rows: 0-based body rows summed


def cell_ref(row: int, col: int) -> str:
    return f"{xl_col_to_name(col)}{row + 1}"


def canonical(value) -> str:
    """A value as signed: the same string whether it was written by us or re-saved by another application."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format(float(value), ".12g")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)

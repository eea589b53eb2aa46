"""The vocabulary every form is defined in, shared by the writer and the reader.

A form kind (unit, evaluator, rater, leader) is declared once as `Grid`s (a table: title rows, one header
row, body rows of definitions and inputs) and `Field`s (single input cells at fixed places). The writer
lays them out with XlsxWriter; the reader finds the same cells from the same declarations. The body rows
of a particular form are listed in its hidden meta sheet (sheet, row, id), so the reader never guesses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..files import safe_filename
from ..values import column_letter

if TYPE_CHECKING:
    from ..scheme import Period, Scheme

DEF, INPUT, FORMULA, LABEL = "def", "input", "formula", "label"

#: the form kinds, in the order forms are generated and listed (each has a module of its own in this package)
KIND_NAMES = ("unit", "evaluator", "rater", "leader")


def xl_col_to_name(col: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column letters of a 0-based column (here, so reading needs no writer)."""
    return column_letter(col + 1)


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


#: the first columns of the tables that list units (rater and leader forms)
UNIT_COLUMNS = (
    Column("unit", "单位代码", 10),
    Column("unit_name", "单位名称", 24, wrap=True),
    Column("category", "类别", 24, wrap=True),
)


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
    kind: str = "text"  # text / date / list / number / paragraphs (rows of one column, not merged, read as one text)

    @property
    def ref(self) -> str:
        return f"{xl_col_to_name(self.col)}{self.row + 1}"

    @property
    def span(self) -> str:
        """Its cells as a range (B6:B11) when it spans rows, else its one cell."""
        if self.last_row is None or self.last_row == self.row:
            return self.ref
        last = xl_col_to_name(self.last_col if self.last_col is not None else self.col)
        return f"{self.ref}:{last}{self.last_row + 1}"


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


CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一 (enough for the dimensions and levels of an indicator tree)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (CHINESE_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


@dataclass(frozen=True)
class Recipient:
    kind: str
    code: str
    name: str
    email: str | None
    contact: str | None = None


def unit_grid(sheet: str, *columns: Column) -> Grid:
    """A table with one row per unit (rater and leader forms): the unit columns, then `columns`."""
    return Grid(sheet=sheet, header_row=4, row_key=("unit",), columns=(*UNIT_COLUMNS, *columns))


@dataclass(frozen=True)
class FormSpec:
    """The declaration of one form kind: used by the writer and by the reader alike."""

    kind: str  # unit / evaluator / rater / leader
    label: str  # the form's Chinese name, also in its file name
    folder: str  # sub-folder of the period's form folder
    grids: tuple[Grid, ...]
    fields: tuple[Field, ...] = ()

    def grid_for(self, sheet: str) -> Grid | None:
        for g in self.grids:
            if g.sheet == sheet:
                return g
        return None

    def file_name(self, scheme: Scheme, period: Period, recipient: Recipient) -> str:
        return safe_filename(f"{scheme.settings.year}{period.name}_{recipient.code}_{recipient.name}_{self.label}") + ".xlsx"

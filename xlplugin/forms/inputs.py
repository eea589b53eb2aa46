"""Reading the input cells of a returned form: each cell checked (numbers, ranges, choices, dates, required,
formulas refused) into marks (one value each) and issues (one problem each), both naming file, sheet and cell.
Each form kind's `read_marks` works through a `Reading`; `diagnose` names what changed in an altered form."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import compress
from math import inf

from ..issues import ERROR, WARNING, Issue
from ..marks import Marks
from ..scheme import Scheme
from ..values import MAX_TEXT, NotANumber, clean_text, parse_date, parse_number
from .spec import BodyRow, Field, Grid, canonical, cell_ref
from .meta import Meta
from .read import FormFile, is_data_row

_FORMULA = object()  # what _raw gives for a formula or error cell (already reported): neither a value nor "left empty"


@dataclass
class Table:
    """A grid's data rows as columns: 0-based sheet rows, row ids, and {column key: values, empty as None}."""

    grid: Grid
    rows: list[int]
    ids: list[str]
    columns: dict[str, list]


_REF = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


def _plain(value: float, minimum: float, maximum: float | None) -> bool:
    """A finite number within [minimum, maximum]: nothing to say about it."""
    return minimum <= value <= (maximum if maximum is not None else inf) and -inf < value < inf


@dataclass
class Reading:
    """One verified form being read: collects marks and issues with their places."""

    scheme: Scheme
    form: FormFile
    meta: Meta
    file: str
    formula_cells: dict[str, set[str]]  # cells whose stored value is not what was typed: formulas and error values
    error_cells: dict[str, dict[str, str]] = field(default_factory=dict)  # of those, the error values: {ref: #DIV/0!}
    marks: Marks = None  # type: ignore[assignment]  # set in __post_init__
    issues: list[Issue] = field(default_factory=list)
    _formulas: dict[str, dict[str, set[int]]] = field(default_factory=dict)  # sheet → column letter → rows

    def __post_init__(self) -> None:
        if self.marks is None:
            self.marks = Marks(self.meta.period, self.meta.recipient, self.file)

    def issue(self, sheet: str, cell: str, problem: str, action: str, severity: str = ERROR) -> None:
        self.issues.append(Issue(self.file, sheet, cell, problem, action, severity))

    def mark(self, unit: str, source: str, indicator: str, item: str, value, sheet: str, cell: str) -> None:
        if value is not None:
            self.marks.add(unit, source, indicator, item, value, sheet, cell)

    def table(self, grid: Grid, keys: tuple[str, ...]) -> Table:
        """The grid's data rows, column by column: a form has hundreds of rows, and a column is checked and
        turned into marks at once."""
        mapped = [(row, ident) for sheet, row, ident in self.meta.rows if sheet == grid.sheet and is_data_row(ident)]
        data = self.form.rows(grid.sheet) if mapped else []
        full = [data[row] if row < len(data) else () for row, _ in mapped]
        columns = {}
        for key in keys:
            i = grid.col(key)
            # as form.cell(sheet, row, i): beyond the row, or "", is empty
            columns[key] = [None if (v := (values[i] if i < len(values) else "")) == "" else v for values in full]
        return Table(grid, [row for row, _ in mapped], [ident for _, ident in mapped], columns)

    def numbers(self, t: Table, key: str, label: str, *, required: bool, maxima: list | None = None,
                minimum: float = float("-inf"), only: list[bool] | None = None) -> list[float | None]:
        """`number` for each cell of a column (those where `only` is true; None elsewhere), the usual case —
        a number in range, no formula — at once."""
        letter, sheet = t.grid.letter(key), t.grid.sheet
        formulas = self._formula_rows(sheet, letter)
        maxima = maxima if maxima is not None else [None] * len(t.rows)
        out = []
        for k, (row, value, top) in enumerate(zip(t.rows, t.columns[key], maxima)):
            if only is not None and not only[k]:
                out.append(None)
            elif type(value) is float and _plain(value, minimum, top) and row not in formulas:
                out.append(value)
            else:
                out.append(self.number(sheet, f"{letter}{row + 1}", value, label, required=required, maximum=top,
                                       minimum=minimum))
        return out

    def texts(self, t: Table, key: str, label: str, *, required: bool = False,
              only: list[bool] | None = None) -> list[str | None]:
        """`text` for each cell of a column (those where `only` is true; None elsewhere)."""
        letter, sheet = t.grid.letter(key), t.grid.sheet
        formulas = self._formula_rows(sheet, letter)
        out = []
        for k, (row, value) in enumerate(zip(t.rows, t.columns[key])):
            if only is not None and not only[k]:
                out.append(None)
            elif type(value) is str and row not in formulas and value and len(value) <= MAX_TEXT \
                    and not value[0].isspace() and not value[-1].isspace():
                out.append(value)
            else:
                out.append(self.text(sheet, f"{letter}{row + 1}", value, label, required=required))
        return out

    def choices(self, t: Table, key: str, label: str, options: list[str], *, required: bool,
                only: list[bool] | None = None) -> list[str | None]:
        """`choice` for each cell of a column (those where `only` is true; None elsewhere)."""
        letter = t.grid.letter(key)
        return [self._option(t.grid.sheet, f"{letter}{row + 1}", text, label, options)
                for text, row in zip(self.texts(t, key, label, required=required, only=only), t.rows)]

    def mark_table(self, t: Table, source: str, items: list[tuple[str, str, list]], *, units: str | list[str],
                   indicators: str | list[str]) -> None:
        """Marks of a grid, row by row: for each data row, one mark per (item, column key, values) whose value
        is not None. `units` and `indicators` are one for every row, or a list with one per row."""
        k = len(items)
        values = [v for row in zip(*(vals for _, _, vals in items)) for v in row]
        keep = [v is not None for v in values]
        count = sum(keep)
        if not count:
            return
        m = self.marks
        for column, given in ((m.unit, units), (m.indicator, indicators)):
            column += [given] * count if isinstance(given, str) else compress([g for g in given for _ in range(k)], keep)
        letters = [t.grid.letter(key) for _, key, _ in items]
        m.source += [source] * count
        m.item += compress([item for _ in t.rows for item, _, _ in items], keep)
        m.value += compress(values, keep)
        m.sheet += [t.grid.sheet] * count
        m.cell += compress([f"{letter}{row + 1}" for row in t.rows for letter in letters], keep)

    def _formula_rows(self, sheet: str, letter: str) -> set[int]:
        """0-based rows of a column's cells that hold a formula."""
        index = self._formulas.get(sheet)
        if index is None:
            index = self._formulas[sheet] = {}
            for ref in self.formula_cells.get(sheet, ()):
                m = _REF.match(ref)
                if m:
                    index.setdefault(m.group(1), set()).add(int(m.group(2)) - 1)
        return index.get(letter, set())

    def sorted_issues(self) -> list[Issue]:
        """The issues top to bottom, left to right on each sheet (checks run column by column)."""
        order = {sheet: n for n, sheet in enumerate(self.form.sheet_names)}

        def place(issue: Issue):
            m = _REF.match(issue.cell)
            return (order.get(issue.sheet, -1), int(m.group(2)), len(m.group(1)), m.group(1)) if m else \
                (order.get(issue.sheet, -1), 0, 0, "")

        return sorted(self.issues, key=place)

    def _raw(self, sheet: str, ref: str, value):
        if ref in self.formula_cells.get(sheet, ()):
            error = self.error_cells.get(sheet, {}).get(ref)
            if error is not None:
                self.issue(sheet, ref, f"单元格中是错误值“{error or '#错误'}”（计算出错的结果），不是填写的值。",
                           "请直接填写数值或文字。")
            else:
                self.issue(sheet, ref, "单元格中是公式，不是填写的值。", "请直接填写数值或文字，不要使用公式。")
            return _FORMULA
        return value

    def number(self, sheet: str, ref: str, value, label: str, *, required: bool, maximum: float | None = None,
               minimum: float = 0.0) -> float | None:
        """A number from an input cell: normalised when unambiguous, else reported (and left out)."""
        if type(value) is float and ref not in self.formula_cells.get(sheet, ()):  # the usual case, at once
            if _plain(value, minimum, maximum):
                return value
        value = self._raw(sheet, ref, value)
        if value is _FORMULA:
            return None
        try:
            number, was_text = parse_number(value)
        except NotANumber:
            self.issue(sheet, ref, f"{label}“{value}”不是明确的数字。", f"请填写一个数字（如 {maximum or 1:g}），不要带文字。")
            return None
        if number is None:
            if required:
                self.issue(sheet, ref, f"{label}未填写。", f"请填写{label}。")
            return None
        if was_text:
            self.issue(sheet, ref, f"{label}“{value}”是文本，已按数字 {number:g} 读取。", "今后请直接填写数字。", WARNING)
        if number < minimum or (maximum is not None and number > maximum):
            top = f"{maximum:g}" if maximum is not None else "∞"
            self.issue(sheet, ref, f"{label} {number:g} 超出范围（{minimum:g}～{top}）。", f"请填写 {minimum:g} 至 {top} 之间的数。")
            return None
        return number

    def text(self, sheet: str, ref: str, value, label: str, *, required: bool = False,
             limit: int = MAX_TEXT) -> str | None:
        if ref in self.formula_cells.get(sheet, ()):  # as _raw, inline: called for most input cells
            self._raw(sheet, ref, value)
            return None
        if type(value) is str:  # the usual case, at once: as clean_text when nothing is to be said
            text = value.strip()
            if text and len(text) <= limit:
                return text
        text, cut = clean_text(value, limit)
        if text is None and required:
            self.issue(sheet, ref, f"{label}未填写。", f"请填写{label}。")
        if cut:
            self.issue(sheet, ref, f"{label}过长，只保留了前 {len(text)} 个字。", "请精简内容，详细材料可作为附件。", WARNING)
        return text

    def choice(self, sheet: str, ref: str, value, label: str, options: list[str], *, required: bool) -> str | None:
        return self._option(sheet, ref, self.text(sheet, ref, value, label, required=required), label, options)

    def _option(self, sheet: str, ref: str, text: str | None, label: str, options: list[str]) -> str | None:
        """The text if it is one of the options (or empty); otherwise reported and left out."""
        if text is not None and text not in options:
            self.issue(sheet, ref, f"{label}“{text}”不是可选项。", f"请从下拉列表中选择：{'、'.join(options)}。")
            return None
        return text

    def field(self, f: Field):
        return self.form.cell(f.sheet, f.row, f.col)

    def paragraphs(self, f: Field, per_cell: int, total: int) -> str | None:
        """A text written in paragraphs, one cell each down rows f.row..f.last_row: the filled ones joined by line
        breaks, at most `total` characters. A paragraph longer than `per_cell` is kept whole but reported: its row
        may not print in full (Excel's rows are at most 409 pt tall)."""
        letter = f.ref.rstrip("0123456789")
        found: list[str] = []
        for row in range(f.row, (f.last_row if f.last_row is not None else f.row) + 1):
            ref = f"{letter}{row + 1}"
            text = self.text(f.sheet, ref, self.form.cell(f.sheet, row, f.col), f.label, limit=total)
            if text is None:
                continue
            if len(text) > per_cell:
                self.issue(f.sheet, ref, f"{f.label}第 {row - f.row + 1} 段有 {len(text):,} 字，超过每段 {per_cell} 字，"
                                         "打印时可能显示不全。", "请把这一段分成几段，依次填写在下面的格中。", WARNING)
            found.append(text)
        if not found:
            if f.required:
                self.issue(f.sheet, f.ref, f"{f.label}未填写。", f"请填写{f.label}。")
            return None
        joined = "\n".join(found)
        count = sum(map(len, found))  # the characters written, not the line breaks between paragraphs
        if count > total:
            self.issue(f.sheet, f.ref, f"{f.label}共 {count:,} 字，只保留了前 {total:,} 字。",
                       "请精简内容，详细材料可作为附件。", WARNING)
            joined = joined[:total + len(found) - 1]
        return joined

    def date(self, f: Field, *, required: bool):
        value = self._raw(f.sheet, f.ref, self.field(f))
        if value is _FORMULA:
            return None
        if value is None:
            if required:
                self.issue(f.sheet, f.ref, f"{f.label}未填写。", f"请填写{f.label}。")
            return None
        try:
            return parse_date(value).isoformat()
        except (ValueError, TypeError):
            self.issue(f.sheet, f.ref, f"{f.label}“{value}”不是有效日期。", "请按 年-月-日 填写，如 2027-01-10。")
            return None


def diagnose(form: FormFile, grids: dict[str, Grid], meta: Meta,
             expected: dict[str, list[BodyRow]]) -> tuple[list[tuple[str, str, str]], bool]:
    """Why a signature does not verify, as (sheet, cell, problem), by comparing the form with the rows the
    current scheme gives this recipient: rows deleted, inserted or reordered, definition cells changed.
    Also whether the rows are the recipient's own, at most some deleted or inserted (then it is that
    recipient's form, altered) rather than replaced by others (another unit's form under a copied meta)."""
    found: list[tuple[str, str, str]] = []
    rows_match = True
    for sheet, rows in expected.items():
        grid = grids[sheet]
        data = [b for b in rows if is_data_row(b.id)]
        want = [b.id for b in data]
        first = grid.header_row + 1
        raw = form.rows(sheet) if sheet in form.sheet_names else []
        labels = {canonical(b.label) for b in rows if not is_data_row(b.id)}
        wanted = set(want)
        present: list[tuple[int, str]] = []  # (0-based row, id) of rows that hold an expected data row
        others: list[int] = []  # rows with content that is neither a data row nor a known label
        for r in range(first, len(raw)):
            values = {c.key: form.cell(sheet, r, i) for i, c in enumerate(grid.columns)}
            if all(v is None for v in values.values()) or canonical(form.cell(sheet, r, 0)) in labels:
                continue
            ident = grid.id_of(values)
            (present.append((r, ident)) if ident in wanted else others.append(r))
        got = [i for _, i in present]
        missing = [i for i in want if i not in got]
        last = max([row for s_, row, _ in meta.rows if s_ == sheet] + [r for r, _ in present] + [first])
        extra = [r for r in others if r <= last]
        rows_match = rows_match and not (missing and extra)  # rows missing *and* others instead: another's form
        if missing and extra:
            found.append((sheet, cell_ref(extra[0], 0),
                          f"表格中的行与校验信息不符：缺少“{'、'.join(missing[:3])}”{'等' if len(missing) > 3 else ''}"
                          f" {len(missing)} 行，多出 {len(extra)} 行（如第 {extra[0] + 1} 行）。可能复制了其他单位的表格或校验信息，或增删改了行。"))
        elif missing:
            found.append((sheet, "", f"缺少“{'、'.join(missing[:5])}”{'等' if len(missing) > 5 else ''} {len(missing)} 行（行被删除或改动了）。"))
        elif extra:
            for r in extra[:5]:
                found.append((sheet, cell_ref(r, 0), f"第 {r + 1} 行不是下发表格中的行（插入或改动了行）。"))
        if [i for i in got if i in wanted] != [i for i in want if i in got]:
            found.append((sheet, "", "行的顺序被调整过。"))
        where = {ident: r for r, ident in present}
        moved = False
        for body in data:
            r = where.get(body.id)
            if r is None:
                continue
            signed_row = next((row for s, row, i in meta.rows if s == sheet and i == body.id), None)
            if signed_row is not None and signed_row != r and not moved:
                moved = True  # one message: every row after an insertion moves too
                found.append((sheet, cell_ref(r, 0), f"“{body.id}”从第 {signed_row + 1} 行移到了第 {r + 1} 行（插入、删除或调整了行）。"))
            for i, col in enumerate(grid.columns):
                if col.role != "def" or col.key not in body.values:  # e.g. prefilled unit reports: not known here
                    continue
                have = canonical(form.cell(sheet, r, i))
                should = canonical(body.values.get(col.key))
                if have != should:
                    found.append((sheet, cell_ref(r, i), f"锁定的“{col.header}”被改为“{have}”（应为“{should}”）。"))
    return found, rows_match

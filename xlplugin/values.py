"""Cell values, once: what a clerk typed as a number or text, and any value as a spreadsheet cell or as text.

Reading: normalise what is unambiguous, refuse what is not (`parse_number`, `clean_text`, `parse_date`).
Writing: `storable` turns pandas/numpy values into plain Python ones for either adapter, `visible_text` makes any
text valid XML text with whatever a cell cannot hold escaped visibly, and `excel_input` adds the guard against
formula injection where the value goes to Excel as if typed. `cell_text` is a cell as text.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
import re
import unicodedata
from datetime import date, datetime

MAX_TEXT = 2_000  # characters kept from one cell; a longer text is cut and reported

# what XML text cannot hold (C0 controls but tab, newline, carriage return; lone surrogates; U+FFFE/U+FFFF) and
# what a cell would hold invisibly (DEL, C1 controls): see visible_text
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


class NotANumber(ValueError):
    pass


def parse_number(value) -> tuple[float | None, bool]:
    """(number, was_text). None for an empty cell; NotANumber for text that is not unambiguously a number.

    Accepted: numbers; text with surrounding spaces, full-width digits/point/percent ("９５．５"),
    thousands separators ("1,234.5"), a trailing percent sign ("95%" → 95, the unit is in its own column).
    Refused: "约80", "待定", "80-90", "1,23" and the like — the clerk must say what they mean.
    """
    if value is None:
        return None, False
    if isinstance(value, bool):
        raise NotANumber(str(value))
    if isinstance(value, (int, float)):
        if not math.isfinite(value):  # a NaN or infinity in the XML: no one typed that
            raise NotANumber(str(value))
        return float(value), False
    if isinstance(value, (datetime, date)):
        raise NotANumber(str(value))
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    if text == "":
        return None, True
    if text.endswith("%"):
        text = text[:-1]
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise NotANumber(str(value))
    return float(text), True


def clean_text(value, limit: int = MAX_TEXT) -> tuple[str | None, bool]:
    """Text of a cell as kept in the marks (never a formula: it is written back as text), at most `limit`
    characters. (text, was_cut)."""
    if value is None:
        return None, False
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, (datetime, date)):
        text = value.strftime("%Y-%m-%d")
    else:
        text = str(value).strip()
    if text == "":
        return None, False
    if len(text) > limit:
        return text[:limit], True
    return text, False


def parse_date(value) -> date | None:
    """A date typed or picked: a real date cell, or text like 2027-01-10 / 2027年1月10日 / 2027/1/10."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = re.match(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$", text)
    if not m:
        raise ValueError(text)
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def cell_text(value, timestamps: bool = False) -> str:
    """Any cell as text: '' for empty or NaN, 12.0 as '12', dates as 2027-01-10 (with the time if `timestamps`)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if timestamps else "%Y-%m-%d")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def clean_cell(value):
    """A cell as read from the office workbook: text stripped, empty text as None, anything else unchanged."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def storable(value):
    """A value as a cell stores it: None for NaN/NaT, datetime for pandas Timestamps, Python for numpy scalars."""
    if value is None:
        return None
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)  # float(): numpy's float64 is a float subclass
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, bytes):  # numpy scalars
        return storable(value.item())
    return value


def _visible(m: re.Match) -> str:
    ch = m.group()
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures a clerk can read: \x01 → ␁, \x07 → ␇, ESC → ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (a file name from a Chinese-Windows zip, in GBK)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"  # C1 controls, other lone surrogates, U+FFFE/U+FFFF


def visible_text(text: str) -> str:
    r"""`text` as valid XML text, nothing dropped: control characters become their visible Control Pictures
    ("按期完成\x01\x07" is shown as 按期完成␁␇; tab, newline and carriage return stay), bytes of a file name that
    were not UTF-8 (kept by os.listdir as lone surrogates) are shown as \xd6\xb8, as `ls` shows them, and the
    other characters no cell can hold (C1 controls, lone surrogates, U+FFFE/U+FFFF) as \u0085 and the like.
    Applying it twice changes nothing more. Every text written into a workbook goes through this, so no cell
    can make openpyxl refuse to write, or make the written workbook unreadable."""
    return text if _UNSAFE.search(text) is None else _UNSAFE.sub(_visible, text)


def excel_input(value):
    """A value to hand Excel as if typed: text gets a leading apostrophe, so '=…', '+…', '-…', '@…' stay text
    (the classic injection: text from submissions ends up here) and '001', '1/2', 'TRUE' or '50%' are not
    turned into numbers, dates or booleans."""
    value = storable(value)
    if isinstance(value, str):
        return "'" + visible_text(value) if value else None
    return value


def round_half_up(value, decimals: int = 2):
    """A score as published: rounded half up on its decimal digits (90.315 → 90.32, as Excel shows it), unlike
    float rounding, which gives 90.31 because 90.315 is stored a little below. None and NaN stay as they are."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def round_series(series, decimals: int = 2):
    """round_half_up over a pandas Series (keeps its index)."""
    return series.map(lambda v: round_half_up(v, decimals))


def column_letter(index: int) -> str:
    """A cell column's letters from its 1-based number: 1 → A, 26 → Z, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters

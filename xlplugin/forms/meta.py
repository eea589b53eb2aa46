"""The hidden meta sheet: who a form is for, which period, which layout, and a signature over all of it.

The signature is an HMAC-SHA256, keyed with the office's signing key (which never leaves the office
workbook), over the meta fields, the list of body rows and the definition cells of those rows as they
stand in the form. Editing a locked definition, inserting or moving rows, or copying the meta sheet from
another unit's form all change what is signed, so the collector can tell.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

from ..ledger import FORM_META_SHEET as META_SHEET  # noqa: F401 (the forms and their readers take it from here)

# the forms' layout: raised whenever a form's cells move (2: 序号 and paragraphs in the unit form, the evaluator's
# form grouped by indicator), so a form generated before is told apart from a tampered one
LAYOUT_VERSION = 2

# (attribute, label written in column A of the meta sheet)
META_FIELDS = (
    ("product", "生成工具"),
    ("kind", "表格类型"),
    ("version", "版式版本"),
    ("recipient", "接收方代码"),
    ("recipient_name", "接收方名称"),
    ("year", "年度"),
    ("period", "考评期"),
    ("generated", "生成时间"),
    ("signature", "签名"),
)
PRODUCT = "xlplugin"
MAP_HEADER_ROW = len(META_FIELDS) + 1  # 0-based row of the label of the row map; its text follows below
MAP_LABEL = "行映射"
MAP_CHUNK = 30_000  # characters per cell (Excel's limit is 32,767)
US, RS = "\x1f", "\x1e"  # unit and record separators of the signed text (never in a form's cells)


def encode_rows(rows: list[tuple[str, int, str]]) -> list[str]:
    """The row map as a few text cells ("sheet<TAB>row<TAB>id" lines), not three cells per row: a form
    writes ~500 fewer cells, a tenth of its cells."""
    text = "\n".join(f"{sheet}\t{row}\t{ident}" for sheet, row, ident in rows)
    return [text[i:i + MAP_CHUNK] for i in range(0, len(text), MAP_CHUNK)] or [""]


def decode_rows(chunks: list[str]) -> list[tuple[str, int, str]]:
    rows = []
    for line in "".join(chunks).split("\n"):
        if line:
            sheet, row, ident = line.split("\t")
            rows.append((sheet, int(row), ident))
    return rows


@dataclass
class Meta:
    kind: str
    recipient: str
    recipient_name: str
    year: str
    period: str
    version: int = LAYOUT_VERSION
    generated: str = ""
    signature: str = ""
    product: str = PRODUCT
    rows: list[tuple[str, int, str]] = field(default_factory=list)  # (sheet, 0-based row, id)

    def payload(self, definitions: list[list[str]]) -> bytes:
        """What is signed: everything but the time and the signature itself.

        One line per body row, its fields separated by US and the lines by RS: cheap to build for the
        thousand cells of a form. It is unambiguous because every separator is counted: should a value
        itself hold US or RS (no form we write does), the same content is signed as JSON instead."""
        head = (self.product, self.kind, str(self.version), self.recipient, self.recipient_name, str(self.year), self.period)
        lines = [US.join(head)]
        lines += [f"{s}{US}{r}{US}{i}{US}" + US.join(d) for (s, r, i), d in zip(self.rows, definitions)]
        text = RS.join(lines)
        fields = len(head) + sum(3 + len(d) for d in definitions[:len(self.rows)])
        if text.count(US) == fields - len(lines) and text.count(RS) == len(lines) - 1:
            return text.encode("utf-8")
        body = [*head, [[s, r, i, d] for (s, r, i), d in zip(self.rows, definitions)]]
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def sign(self, key: str, definitions: list[list[str]]) -> str:
        return hmac.new(key.encode("utf-8"), self.payload(definitions), hashlib.sha256).hexdigest()

    def verify(self, key: str, definitions: list[list[str]]) -> bool:
        return hmac.compare_digest(self.sign(key, definitions), self.signature or "")


def protection_password(key: str) -> str:
    """The sheet-protection password of every form: derived from the signing key, so only the office has it."""
    return hmac.new(key.encode("utf-8"), b"sheet-protection", hashlib.sha256).hexdigest()[:12]

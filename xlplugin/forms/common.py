"""What every form kind shares: its recipient, its file name and the declaration a kind module provides."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..paths import safe_filename
from ..scheme import Period, Scheme
from ..templating import render_lines
from .layout import Field, Grid
from .meta import Meta
from .writer import FormWriter

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


def open_form(spec: FormSpec, scheme: Scheme, period: Period, recipient: Recipient, path: Path) -> FormWriter:
    """Start a form: the meta data and the instructions sheet rendered from templates/forms/<kind>.txt.j2."""
    s = scheme.settings
    meta = Meta(kind=spec.kind, recipient=recipient.code, recipient_name=recipient.name, year=str(s.year),
                period=period.name)
    writer = FormWriter(path, s.key, meta)
    lines = render_lines(f"forms/{spec.kind}.txt.j2", s=s, scheme=scheme, period=period, recipient=recipient, spec=spec,
                         deadline=period.deadline or s.deadline)
    writer.instructions(f"{s.year}年度{period.name}{spec.label} · 填表说明", lines)
    return writer


def subtitle(scheme: Scheme, period: Period, recipient: Recipient, extra: str = "") -> str:
    s = scheme.settings
    parts = [f"考评机关：{s.office}", f"考评期：{s.year}年度 {period.name}", f"填报单位：{recipient.name}（{recipient.code}）"]
    if extra:
        parts.append(extra)
    deadline = period.deadline or s.deadline
    if deadline:
        parts.append(f"报送截止：{deadline}")
    return "　　".join(parts)


def score_validation(title: str) -> dict:
    """A score between 0 and the row's max points ('{max}' is replaced by the writer)."""
    return {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": "={max}",
        "input_title": title, "input_message": "请填写 0 至本项分值之间的数字。",
        "error_title": f"{title}超出范围", "error_message": f"{title}须为 0 至本项“分值”之间的数字，请重新填写。",
        "error_type": "stop",
    }


def list_validation(title: str, source: str, message: str) -> dict:
    return {
        "validate": "list", "source": source, "input_title": title, "input_message": message,
        "error_title": f"{title}无效", "error_message": f"请从下拉列表中选择{title}。", "error_type": "stop",
    }


DATE_VALIDATION = {
    "validate": "date", "criteria": "between",
    "minimum": date(2000, 1, 1), "maximum": date(2099, 12, 31),
    "input_title": "日期", "input_message": "请填写日期，如 2027-01-10。",
    "error_title": "日期无效", "error_message": "请按 年-月-日 填写日期，如 2027-01-10。", "error_type": "stop",
}

"""The forms: one module per kind (unit, evaluator, rater, leader), each declaring its layout once — used to
write the form (forms.write, XlsxWriter) and to read it back (forms.read, forms.inputs, calamine). Reading never
imports writing. `KINDS` is the registry of kind modules; `open_verified` opens a form and checks its signature.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import evaluator, leader, rater, unit
from .meta import META_SHEET, Meta
from .read import FormError, FormFile, definitions, read_meta
from .spec import KIND_NAMES, FormSpec, Recipient

# kind → module; the order is the order forms are generated and listed
KINDS = {"unit": unit, "evaluator": evaluator, "rater": rater, "leader": leader}
assert tuple(KINDS) == KIND_NAMES
SPECS = {kind: module.SPEC for kind, module in KINDS.items()}
__all__ = ["KINDS", "SPECS", "FormError", "FormFile", "FormSpec", "Recipient", "Verified", "form_spec",
           "open_verified", "recipients_by_kind"]


def form_spec(kind: str, form: FormFile) -> FormSpec:
    """The declaration a form was written with: its kind's, or, for a kind with two layouts (the leader's ranking
    or grading table), the one whose sheets the form has."""
    pick = getattr(KINDS[kind], "spec_for", None)
    return pick(form.sheet_names) if pick else SPECS[kind]


@dataclass
class Verified:
    meta: Meta
    spec: FormSpec
    form: FormFile


def open_verified(path: str | Path, key: str) -> Verified:
    """Open a form and check its signature; raise FormError naming what is wrong."""
    try:
        form = FormFile(path)
    except FormError:
        raise
    except Exception as e:  # calamine reports every kind of unreadable file with its own exception
        raise FormError(f"无法读取文件（不是有效的 .xlsx 工作簿）：{e}") from None
    meta = read_meta(form)
    spec = form_spec(meta.kind, form)
    if not meta.verify(key, definitions(form, spec, meta)):
        raise FormError("签名校验未通过：表格的锁定内容（指标、分值等）或校验信息被改动过，"
                        "或复制了其他单位的表格。请使用下发的原始表格重新填写。", META_SHEET, "B9")
    return Verified(meta, spec, form)


_recipients_cache: tuple[object, dict[str, list[Recipient]]] | None = None


def recipients_by_kind(scheme) -> dict[str, list[Recipient]]:
    """Every form kind's recipients under a scheme. Listing the evaluating departments scans units ×
    indicators, so this is computed once per scheme (the last one asked about is remembered)."""
    global _recipients_cache
    if _recipients_cache is None or _recipients_cache[0] is not scheme:
        _recipients_cache = (scheme, {kind: module.recipients(scheme) for kind, module in KINDS.items()})
    return _recipients_cache[1]

"""bonus: the 加分审定 sheet `collect` writes: every bonus claim the units made, for the office to approve.

A claim is a unit's self-assessment marks under an indicator code starting with 加分 (type, matter, points
claimed, evidence). `collect` rewrites the sheet each run; what the office already entered (核定分值, 审定意见)
is kept for claims still there. `score` reads the approved points back (see xlplugin.inputs).
"""
from __future__ import annotations

import pandas as pd

from . import ledger
from .scheme import Scheme


def bonus_claims(scheme: Scheme, marks: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """The 加分审定 sheet after a collect: every claim found, keeping the office's 核定分值 and 审定意见."""
    claim_items = marks["项目"].isin(["加分类型", "事项名称", "申报分值", "佐证材料"])  # cheap: narrows 490k rows first
    m = marks[claim_items]
    m = m[(m["来源"] == "自评") & m["指标代码"].astype(str).str.startswith("加分")]
    names = {u.code: u.name for u in scheme.units}
    rows = []
    for (unit, claim), g in m.groupby(["单位代码", "指标代码"], sort=True):
        items = dict(zip(g["项目"], g["值"]))
        rows.append([unit, names.get(unit), claim, items.get("加分类型"), items.get("事项名称"), items.get("申报分值"),
                     items.get("佐证材料"), None, None])
    out = pd.DataFrame(rows, columns=list(ledger.BONUS.columns))
    if previous is not None and len(previous):
        kept = previous.set_index(["单位代码", "申报项"])[["核定分值", "审定意见"]]
        key = list(zip(out["单位代码"], out["申报项"]))
        out["核定分值"] = [kept["核定分值"].get(k) if k in kept.index else None for k in key]
        out["审定意见"] = [kept["审定意见"].get(k) if k in kept.index else None for k in key]
    return out

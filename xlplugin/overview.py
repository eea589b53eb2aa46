"""概览: the first tab of the office workbook — where the cycle stands, in one table an officer reads first.

Pure: built from the scheme, the 提交情况 view (status of every expected form) and, once scored, the 总排名 view.
Blocks, top to bottom: the next step in one sentence; forms in per kind; the chase list (who is missing, must
correct or was sent back, with contact and e-mail); the evaluating departments whose scores are missing, the
unit's self score standing in (未核实, with how many and for which units); the grade distribution; the top and
bottom units per category; 复核提示: the close calls (xlplugin.margins), closest first.
`collect` and `score` both rewrite it from what they hold.
"""
from __future__ import annotations

import pandas as pd

from . import ledger
from .forms import SPECS, recipients_by_kind
from .margins import close_calls
from .scheme import Scheme

COLUMNS = list(ledger.OVERVIEW.columns)
STATES = ("已收到", "逾期", "待更正", "退回", "缺交")
CHASE = {"缺交": "未交", "待更正": "有错误待更正", "退回": "被退回，须重新报送"}
EDGE = 3  # units named at the top and the bottom of each category
CLOSE_CALLS = 5  # the closest calls named here


#: the next step when units' reports came in that the evaluating departments' forms do not show yet
PREFILL = ("各单位的自评情况已收到：可重新生成考评部门评分表（功能区“更新预填表格”，或 xlplugin generate 台账 --kind "
           "evaluator），把各单位的实际完成值、自评得分和情况说明预填进去，再发给尚未交表的考评部门（功能区“发送更新的表格”，"
           "或 xlplugin send 台账 --what forms --resend-updated）。")


def next_step(status: pd.DataFrame | None, ranking: pd.DataFrame | None, prefill: bool = False) -> str:
    """What the office should do next, in one sentence (two when the departments' forms should be pre-filled)."""
    if status is None or not len(status):
        return "尚未收集：请生成并发送表格，各单位发回后运行“收集汇总”。"
    counts = status["状态"].value_counts()
    todo = [f"{counts[s]} 份表格{CHASE[s]}" for s in ("待更正", "退回", "缺交") if counts.get(s, 0)]
    if prefill:
        return PREFILL + ("另有" + "，".join(todo) + "：请按下面的名单催办。" if todo else "")
    if todo:
        return "，".join(todo) + "：请按下面的名单催办；收齐后重新收集、计分。"
    if ranking is None or not len(ranking):
        return "表格已收齐：请录入绩效办评分和加分审定，然后计分。"
    return "表格已收齐并已计分：请核对总排名和复核记录，然后生成并发送反馈。"


def overview(scheme: Scheme | None, status: pd.DataFrame | None, ranking: pd.DataFrame | None,
             unverified: pd.DataFrame | None = None, prefill: bool = False) -> pd.DataFrame:
    """The 概览 table; with no scheme yet (a new workbook), only the next step. `unverified`: per evaluating
    department whose scores are missing (evaluator, scores, units), as xlplugin.score.unverified_table gives it;
    each gets a 未核实 row to chase before publishing. `prefill`: the departments' forms should be generated again
    to show the units' reports (xlplugin.generate.prefill_due)."""
    step = next_step(status, ranking, prefill)
    if unverified is not None and len(unverified):
        step += (f"另有 {int(unverified['scores'].sum())} 项得分考评部门未评分、按单位自评得分计（{ledger.UNVERIFIED}）："
                 "请催下列考评部门评分，重新收集、计分后再公布。")
    rows: list[list] = [["下一步", None, step, None, None]]
    if scheme is None:
        return pd.DataFrame(rows, columns=COLUMNS)
    contacts = {(SPECS[k].folder, r.code): (r.contact, r.email) for k, rs in recipients_by_kind(scheme).items()
                for r in rs}
    if status is not None and len(status):
        expected = status[status["接收方代码"].notna() & status["表格类型"].notna()]
        for kind in dict.fromkeys(expected["表格类型"]):
            part = expected[expected["表格类型"] == kind]["状态"].value_counts()
            text = f"应交 {int(sum(part.get(s, 0) for s in STATES))} 份：" + "，".join(
                f"{s} {int(part[s])}" for s in STATES if part.get(s, 0))
            rows.append([ledger.STATUS.name, kind, text, None, None])
        chase = expected[expected["状态"].isin(list(CHASE))]
        for r in chase.itertuples(index=False):
            contact, email = contacts.get((r.表格类型, r.接收方代码), (None, None))
            rows.append(["催办", f"{r.接收方名称}（{r.接收方代码}）", f"{r.表格类型}：{CHASE[r.状态]}", contact, email])
    if unverified is not None and len(unverified):
        people = {e.name: (e.contact, e.email) for e in scheme.evaluators}
        for r in unverified.itertuples(index=False):
            contact, email = people.get(r.evaluator, (None, None))
            rows.append([ledger.UNVERIFIED, r.evaluator, f"{int(r.scores)} 项得分未评分、按自评得分计：{r.units}",
                         contact, email])
    if ranking is not None and len(ranking):
        label = ranking["结果"].iloc[0] if "结果" in ranking.columns else ""
        for category in scheme.categories:
            part = ranking[ranking["类别"] == category]
            counts = part["等次"].value_counts()
            dist = "，".join(f"{g.name} {int(counts.get(g.name, 0))}" for g in scheme.grades)
            rows.append([ledger.DISTRIBUTION.name, category, f"{len(part)} 个单位：{dist}" + (f"（{label}）" if label else ""), None, None])
        for category in scheme.categories:
            part = ranking[ranking["类别"] == category].sort_values("类别排名")
            for where, chosen in (("前列", part.head(EDGE)), ("后列", part.tail(EDGE).iloc[::-1])):
                names = "、".join(f"{r.单位名称} {r.总分:.{scheme.settings.decimals}f}（{r.等次}）"
                                  for r in chosen.itertuples(index=False))
                rows.append([f"排名{where}", category, names, None, None])
        calls = close_calls(ranking, scheme.settings.decimals)
        for unit, text in calls[:CLOSE_CALLS]:
            rows.append(["复核提示", unit, text, None, None])
        if len(calls) > CLOSE_CALLS:  # the page stays one page; the rest are flagged in 总排名's 复核提示 column
            rows.append(["复核提示", None, f"另有 {len(calls) - CLOSE_CALLS} 个单位离等次界线较近，"
                                          f"见“{ledger.RANKING.name}”工作表的“复核提示”列。", None, None])
    return pd.DataFrame(rows, columns=COLUMNS)


def read_view(book, name: str) -> pd.DataFrame | None:
    """A view the workbook already holds (提交情况 or 总排名), or None."""
    return book.read_sheet(name) if name in book.sheet_names() else None


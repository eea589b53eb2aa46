"""The bundled sample office workbooks: `city` (松原's departments, seed 002), `province` (辽宁, seed 001) and
`county` (松原's counties and districts, seeds 002 and 003: leaders grade each county instead of ranking).

Each sample is a folder of CSV files, one per sheet of the office workbook (`FILES` maps them), so the data
reads and diffs as text. Every CSV has a 说明 column saying, row by row, which seed sentence a number comes from
or that it is the sample's own choice (样例自定), so an office knows what to change. A sheet only some schemes use
(定等分值) has a file only in the samples that use it. `sample_frames` turns one into the sheets' tables with a fresh signing key; the `init`
verb writes them (and the office's empty input sheets) as a styled 考评台账.xlsx.
"""
from __future__ import annotations

import secrets

import pandas as pd

from .. import ledger
from ..errors import UserError
from ..paths import SAMPLES
from ..scheme import DIRECTIONS, INDICATOR_KINDS, METHODS, SOURCES, STAGES

SAMPLE_NAMES = ("city", "province", "county")
#: what each sample is, for the demo and the command line
SAMPLE_TITLES = {"city": "松原市政府工作部门", "province": "辽宁省对各市政府", "county": "松原市各县（区）政府"}
FILES = {
    ledger.SETTINGS.name: "settings.csv", ledger.UNITS.name: "units.csv", ledger.EVALUATORS.name: "evaluators.csv",
    ledger.INDICATORS.name: "indicators.csv", ledger.COMPONENTS.name: "components.csv",
    ledger.PERIODS.name: "periods.csv", ledger.GRADES.name: "grades.csv", ledger.RATER_GRADES.name: "rater_grades.csv",
    ledger.RATER_GROUPS.name: "rater_groups.csv", ledger.LEADERS.name: "leaders.csv",
    ledger.RANK_POINTS.name: "rank_points.csv", ledger.LEADER_GRADES.name: "leader_grades.csv",
    ledger.BONUS_KINDS.name: "bonus.csv",
}
NUMERIC = {"分值", "权重(%)", "最低分", "优秀比例(%)", "名次", "单项上限", "在编人数"}
KEY = "签名密钥"  # 设置's row holding the signing key (init hides it)
NUMERIC_SETTINGS = {"年度", "基本分", "加分上限", "总分上限", "SMTP端口", "IMAP端口", "小数位数", ledger.BACKUPS_SETTING}


def _number(text: str):
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def sample_frames(sample: str) -> dict[str, pd.DataFrame]:
    if sample not in SAMPLE_NAMES:
        raise UserError(f"没有名为“{sample}”的样例（可选：{'、'.join(SAMPLE_NAMES)}）。")
    frames = {}
    for sheet, file in FILES.items():
        spec = ledger.scheme_sheet(sheet)
        if not spec.needed and not (SAMPLES / sample / file).exists():
            continue
        frame = pd.read_csv(SAMPLES / sample / file, dtype=str, keep_default_na=False)
        frame = frame.map(lambda v: v.strip() or None)
        for col in frame.columns:
            if col in NUMERIC or col == "目标值":
                frame[col] = frame[col].map(lambda v: _number(v) if v is not None else None)
        if sheet == ledger.SETTINGS.name:
            frame["值"] = [(_number(v) if k in NUMERIC_SETTINGS and v else v) for k, v in zip(frame["项目"], frame["值"])]
        frames[sheet] = frame[[c for c in spec.columns if c in frame.columns or c not in spec.optional]]
    settings = frames[ledger.SETTINGS.name]
    key_row = pd.DataFrame([[KEY, secrets.token_hex(32), "由 init 生成，用于给表格签名以发现篡改；只保存在本台账，切勿外传。"]],
                           columns=settings.columns)
    frames[ledger.SETTINGS.name] = pd.concat([settings, key_row], ignore_index=True)
    return frames


def office_input_frames(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The office's own input sheets, empty: 绩效办评分, 加分审定, 一票否决, 申诉, 统计数据; and 方案模拟 listing every
    item an alternative may change, 值 empty (= as the official scheme), 说明 the official value."""
    units, periods = frames[ledger.UNITS.name], frames[ledger.PERIODS.name]
    comps = frames[ledger.COMPONENTS.name]
    direct = list(comps.loc[comps["计分方式"] == "直接评分", "组成部分"])
    rows = [[c, n, p] + [None] * len(direct) for p in periods["考评期"] for c, n in zip(units["单位代码"], units["单位名称"])]
    return {
        ledger.OFFICE_SCORES.name: pd.DataFrame(rows, columns=[*ledger.OFFICE_SCORES.columns, *direct]),
        ledger.BONUS.name: pd.DataFrame(columns=list(ledger.BONUS.columns)),
        ledger.VETO.name: pd.DataFrame(columns=list(ledger.VETO.columns)),
        ledger.APPEALS.name: pd.DataFrame(columns=list(ledger.APPEALS.columns)),
        ledger.WHATIF.name: pd.DataFrame(whatif_rows(frames), columns=list(ledger.WHATIF.columns)),
        ledger.STATS.name: pd.DataFrame(columns=list(ledger.STATS.columns)),
    }


def whatif_rows(frames: dict[str, pd.DataFrame]) -> list[list]:
    """方案模拟's items (项目, 值 empty, 说明 = the official value)."""
    comps, periods, grades = frames[ledger.COMPONENTS.name], frames[ledger.PERIODS.name], frames[ledger.GRADES.name]
    settings = dict(zip(frames[ledger.SETTINGS.name]["项目"], frames[ledger.SETTINGS.name]["值"]))
    rows = [[f"权重:{n}", None, f"正式方案 {w:g}%"] for n, w in zip(comps["组成部分"], comps["权重(%)"])]
    rows += [[f"考评期权重:{n}", None, f"正式方案 {w:g}%"] for n, w in zip(periods["考评期"], periods["权重(%)"])]
    rows += [[f"等次下限:{n}", None, f"正式方案 {w:g} 分"] for n, w in zip(grades["等次"], grades["最低分"])]
    rows += [[f"优秀比例:{n}", None, f"正式方案 {w:g}%"] for n, w in zip(grades["等次"], grades["优秀比例(%)"])]
    rows.append(["缺少考评得分时", None, f"正式方案 {settings.get('缺少考评得分时') or '采用自评得分'}；可填 采用自评得分 或 记零分"])
    return rows


#: columns of the office's sheets that take a fixed list: dropdowns, so typos are caught while typing
DROPDOWNS: dict[tuple[str, str], tuple[str, ...]] = {
    (ledger.INDICATORS.name, "类型"): INDICATOR_KINDS,
    (ledger.INDICATORS.name, "方向"): DIRECTIONS,
    (ledger.COMPONENTS.name, "来源"): SOURCES,
    (ledger.COMPONENTS.name, "指标类型"): (*INDICATOR_KINDS, "全部"),
    (ledger.COMPONENTS.name, "计分方式"): METHODS,
    (ledger.PERIODS.name, "阶段"): STAGES,
    (ledger.APPEALS.name, "复核结论"): (ledger.MAINTAINED, ledger.UPHELD),
}

"""The bundled sample office workbooks: `city` (松原, seed 002) and `province` (辽宁, seed 001).

Each sample is a folder of CSV files, one per sheet of the office workbook (`FILES` maps them), so the data
reads and diffs as text; `write_sample` turns one into a styled 考评台账.xlsx with a fresh signing key.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.worksheet.datavalidation import DataValidation

from ..officebook import save_atomically
from ..paths import SAMPLES
from ..scheme import INDICATOR_KINDS, METHODS, SHEETS, SOURCES, STAGES
from ..sheetstyle import write_frame

SAMPLE_NAMES = ("city", "province")
FILES = {
    "设置": "settings.csv", "单位": "units.csv", "考评部门": "evaluators.csv", "指标": "indicators.csv",
    "考评方案": "components.csv", "考评期": "periods.csv", "等次": "grades.csv", "评议": "rater_grades.csv",
    "评议组": "rater_groups.csv", "领导": "leaders.csv", "排名分值": "rank_points.csv", "加分": "bonus.csv",
}
NUMERIC = {"分值", "权重(%)", "最低分", "优秀比例(%)", "名次", "单项上限", "在编人数"}
NUMERIC_SETTINGS = {"年度", "基本分", "加分上限", "总分上限", "SMTP端口", "IMAP端口"}
WIDTHS = {"评分说明": 40, "指标名称": 28, "说明": 50, "值": 36, "分管单位": 40, "佐证要求": 24}


def _number(text: str):
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def sample_frames(sample: str) -> dict[str, pd.DataFrame]:
    if sample not in SAMPLE_NAMES:
        raise ValueError(f"没有名为“{sample}”的样例（可选：{'、'.join(SAMPLE_NAMES)}）。")
    frames = {}
    for sheet, file in FILES.items():
        frame = pd.read_csv(SAMPLES / sample / file, dtype=str, keep_default_na=False)
        frame = frame.map(lambda v: v.strip() or None)
        for col in frame.columns:
            if col in NUMERIC or col == "目标值":
                frame[col] = frame[col].map(lambda v: _number(v) if v is not None else None)
        if sheet == "设置":
            frame["值"] = [(_number(v) if k in NUMERIC_SETTINGS and v else v) for k, v in zip(frame["项目"], frame["值"])]
        frames[sheet] = frame[SHEETS[sheet]]
    settings = frames["设置"]
    key_row = pd.DataFrame([["签名密钥", secrets.token_hex(32), "由 init 生成，用于给表格签名以发现篡改；只保存在本台账，切勿外传。"]],
                           columns=settings.columns)
    frames["设置"] = pd.concat([settings, key_row], ignore_index=True)
    return frames


def office_input_frames(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The office's own input sheets for scoring, empty: 绩效办评分, 加分审定, 一票否决."""
    from ..results import BONUS_COLUMNS, BONUS_SHEET, OFFICE_SCORES, VETO_COLUMNS, VETO_SHEET

    units, periods, comps = frames["单位"], frames["考评期"], frames["考评方案"]
    direct = list(comps.loc[comps["计分方式"] == "直接评分", "组成部分"])
    rows = [[c, n, p] + [None] * len(direct) for p in periods["考评期"] for c, n in zip(units["单位代码"], units["单位名称"])]
    return {
        OFFICE_SCORES: pd.DataFrame(rows, columns=["单位代码", "单位名称", "考评期"] + direct),
        BONUS_SHEET: pd.DataFrame(columns=BONUS_COLUMNS),
        VETO_SHEET: pd.DataFrame(columns=VETO_COLUMNS),
    }


def write_sample(path: str | Path, sample: str = "city", overwrite: bool = False) -> Path:
    """Write the sample office workbook to `path`; refuse to overwrite an existing one unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"文件已存在：{path}（如需覆盖请加 --force）")
    frames = sample_frames(sample)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, frame in {**frames, **office_input_frames(frames)}.items():
        ws = wb.create_sheet(sheet)
        write_frame(ws, frame, widths=WIDTHS)
        _dropdowns(ws, sheet, len(frame))
    path.parent.mkdir(parents=True, exist_ok=True)
    save_atomically(wb, path, backup=False)
    return path


def _dropdowns(ws, sheet: str, n: int) -> None:
    """Dropdowns on the office's own columns that take a fixed list, so typos are caught while typing."""
    lists = {
        ("指标", "类型"): INDICATOR_KINDS,
        ("考评方案", "来源"): SOURCES,
        ("考评方案", "指标类型"): (*INDICATOR_KINDS, "全部"),
        ("考评方案", "计分方式"): METHODS,
        ("考评期", "阶段"): STAGES,
    }
    last = max(n + 200, 500)
    for (name, column), values in lists.items():
        if name != sheet:
            continue
        col = SHEETS[sheet].index(column)
        letter = openpyxl.utils.get_column_letter(col + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                            errorTitle="无效的值", error="请从下拉列表中选择：" + "、".join(values), showErrorMessage=True)
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)

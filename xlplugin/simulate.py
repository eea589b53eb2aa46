"""Simulated clerks for the demo and the tests: fill a generated form as a person would in Excel.

Filling goes through openpyxl (a third-party writer, as WPS or Excel would be) and locates every input
cell from the same form declarations and meta row map the collector uses.
"""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import openpyxl

from .forms import evaluator_form, leader_form, rater_form, unit_form
from .forms.layout import Field, Grid
from .forms.reader import FormFile, is_data_row, read_meta
from .scheme import Scheme

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "志强", "秀英", "海燕", "立新", "晓东", "丽华", "国庆", "春梅", "文博", "雪松", "明辉"]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _cells(path: Path, grid: Grid):
    """(0-based row, id) of a grid's data rows, from the form's meta."""
    meta = read_meta(FormFile(path))
    return [(r, i) for s, r, i in meta.rows if s == grid.sheet and is_data_row(i)]


def _set(ws, row: int, grid: Grid, key: str, value) -> None:
    ws.cell(row + 1, grid.col(key) + 1).value = value


def _field(wb, f: Field, value) -> None:
    wb[f.sheet].cell(f.row + 1, f.col + 1).value = value


def fill(src: Path, dst: Path, scheme: Scheme, rng: random.Random, quality: float = 0.9) -> Path:
    """Fill every input of the form at `src` plausibly and save to `dst`. `quality` ~ share of points earned."""
    kind = read_meta(FormFile(src)).kind
    wb = openpyxl.load_workbook(src)
    signed = date(scheme.settings.year + 1, 1, rng.randint(5, 12))
    if kind == "unit":
        g = unit_form.INDICATORS
        ws = wb[g.sheet]
        for row, _ in _cells(src, g):
            max_points = ws.cell(row + 1, g.col("max") + 1).value
            target = ws.cell(row + 1, g.col("target") + 1).value
            share = min(1.0, max(0.0, rng.gauss(quality, 0.08)))
            if isinstance(target, (int, float)):
                _set(ws, row, g, "actual", round(target * rng.uniform(0.85, 1.12), 2) if target else 0)
            else:
                _set(ws, row, g, "actual", rng.choice(["已完成", "按期完成", "基本完成"]))
            _set(ws, row, g, "self_score", round(max_points * share * 2) / 2)
            _set(ws, row, g, "explanation", rng.choice(["全面完成年度目标任务。", "按进度推进，个别环节滞后。",
                                                         "超额完成目标，形成经验做法。", "受项目审批影响，进度略有延后。"]))
            _set(ws, row, g, "evidence", f"佐证材料{rng.randint(1, 30)}号")
        _field(wb, unit_form.SUMMARY, "本年度，我单位紧紧围绕市委、市政府决策部署，认真落实各项重点工作目标，"
                                      "主要指标完成良好，共性工作目标全面落实。存在的问题是个别项目推进偏慢，下一步将加强调度。")
        _field(wb, unit_form.SELF_GRADE, rng.choice([g.name for g in scheme.grades[:2]]))
        _field(wb, unit_form.GRADE_REASON, "重点工作目标全部完成，无一票否决事项。")
        if scheme.bonus_kinds and rng.random() < 0.4:
            b = unit_form.BONUS
            row = b.header_row + 1
            ws = wb[b.sheet]
            kind_ = rng.choice(scheme.bonus_kinds)
            _set(ws, row, b, "kind", kind_.name)
            _set(ws, row, b, "item", "工作经验在全省推广")
            _set(ws, row, b, "points", kind_.cap)
            _set(ws, row, b, "evidence", "省政府办公厅文件（辽政办发〔2026〕12号）")
        _field(wb, unit_form.HEAD_NAME, person(rng))
        _field(wb, unit_form.SIGN_DATE, signed)
    elif kind == "evaluator":
        g = evaluator_form.SCORES
        ws = wb[g.sheet]
        for row, _ in _cells(src, g):
            max_points = ws.cell(row + 1, g.col("max") + 1).value
            score = round(max_points * min(1.0, max(0.0, rng.gauss(quality, 0.1))) * 2) / 2
            _set(ws, row, g, "score", score)
            if score < max_points:
                _set(ws, row, g, "reason", rng.choice(["部分工作未按期完成。", "材料报送不及时。", "质量有待提高。"]))
            _set(ws, row, g, "falsified", "否")
        for f in evaluator_form.SPEC.fields:
            _field(wb, f, signed if f.kind == "date" else person(rng))
    elif kind == "rater":
        g = rater_form.GRADES
        ws = wb[g.sheet]
        grades = list(scheme.rater_grades)
        for row, _ in _cells(src, g):
            _set(ws, row, g, "grade", rng.choices(grades, weights=[6, 3, 1][: len(grades)] + [1] * (len(grades) - 3))[0])
        for f in rater_form.SPEC.fields:
            _field(wb, f, signed if f.kind == "date" else person(rng))
    elif kind == "leader":
        g = leader_form.RANKS
        ws = wb[g.sheet]
        rows = _cells(src, g)
        ranks = list(range(1, len(rows) + 1))
        rng.shuffle(ranks)
        for (row, _), rank in zip(rows, ranks):
            _set(ws, row, g, "rank", rank)
        for f in leader_form.SPEC.fields:
            _field(wb, f, signed if f.kind == "date" else person(rng))
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst

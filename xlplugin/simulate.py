"""Simulated clerks for the demo and the tests: fill a generated form as a person would in Excel.

Filling goes through openpyxl (a third-party writer, as WPS or Excel would be) and locates every input
cell from the same form declarations and meta row map the collector uses.
"""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd

from . import ledger
from .forms import evaluator as evaluator_form, leader as leader_form, rater as rater_form, unit as unit_form
from .forms.read import FormFile, is_data_row, read_meta
from .forms.spec import Field, Grid
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
        _field(wb, unit_form.FILLER, person(rng))
        _field(wb, unit_form.PHONE, f"0438-{rng.randint(6100000, 6199999)}")
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
        spec = leader_form.spec_for(wb.sheetnames)
        g = spec.grids[0]
        ws = wb[g.sheet]
        rows = _cells(src, g)
        if spec is leader_form.GRADING_SPEC:  # a grade per unit: mostly the top two, now and then the third
            grades = list(scheme.leader_grades)
            for row, _ in rows:
                _set(ws, row, g, "grade", rng.choices(grades, weights=[4, 5, 1][: len(grades)] + [1] * (len(grades) - 3))[0])
        else:
            ranks = list(range(1, len(rows) + 1))
            rng.shuffle(ranks)
            for (row, _), rank in zip(rows, ranks):
                _set(ws, row, g, "rank", rank)
        for f in spec.fields:
            _field(wb, f, signed if f.kind == "date" else person(rng))
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def _edit(path: Path, sheet: str, ref: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    cell = wb[sheet][ref]
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # typed as text (as Excel stores '=… typed after an apostrophe), not a formula
    wb.save(path)


def _first_data_ref(path: Path, grid: Grid, key: str, n: int = 0) -> str:
    row = _cells(path, grid)[n][0]
    return f"{grid.letter(key)}{row + 1}"


def _stamp(path: Path, when) -> None:
    import os

    ts = when.timestamp()
    os.utime(path, (ts, ts))


def simulate_returns(scheme: Scheme, forms: list[Path], folder: Path, rng: random.Random,
                     resave_with_libreoffice: bool = True, period: str | None = None) -> list[str]:
    """Play the clerks of a cycle: most return their form on time, some late, some never, some with the
    mistakes a collector must catch. Returns what was done, in Chinese, for the demo to print."""
    from datetime import datetime, timedelta

    from .forms.meta import META_SHEET

    folder.mkdir(parents=True, exist_ok=True)
    if period is None:  # the period of the forms given
        period = read_meta(FormFile(forms[0])).period if forms else scheme.period().name
    deadline = datetime.fromisoformat((scheme.period(period).deadline or scheme.settings.deadline)[:10])
    units = sorted(p for p in forms if p.parent.name == unit_form.SPEC.folder)
    others = sorted(p for p in forms if p.parent.name != unit_form.SPEC.folder)
    if len(units) < FULL_PLAY:
        return _simulate_few(scheme, units, others, folder, rng, deadline, resave_with_libreoffice)
    notes: list[str] = []
    missing = set(units[-3:])
    notes.append(f"{len(missing)} 个单位未交：" + "、".join(p.name.split("_")[2] for p in sorted(missing)))
    returned: dict[Path, Path] = {}
    for src in units + others:
        if src in missing:
            continue
        dst = fill(src, folder / src.name, scheme, rng)
        _stamp(dst, deadline - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8)))
        returned[src] = dst
    late = [returned[p] for p in units[:2]]
    for p in late:
        _stamp(p, deadline + timedelta(days=2))
    notes.append("2 份逾期发回：" + "、".join(p.name.split("_")[2] for p in late))

    g = unit_form.INDICATORS
    u = [returned[p] for p in units[2:14]]
    _edit(u[0], g.sheet, _first_data_ref(u[0], g, "self_score"), 99)
    notes.append(f"{u[0].name}：自评得分填了 99（超过分值）")
    numeric = next(n for n, (row, _) in enumerate(_cells(u[1], g))
                   if isinstance(openpyxl.load_workbook(u[1])[g.sheet].cell(row + 1, g.col("target") + 1).value, (int, float)))
    _edit(u[1], g.sheet, _first_data_ref(u[1], g, "actual", numeric), "约80")
    notes.append(f"{u[1].name}：实际完成值写成“约80”")
    _edit(u[2], g.sheet, _first_data_ref(u[2], g, "self_score"), "１．５")
    notes.append(f"{u[2].name}：自评得分用全角数字“１．５”（可自动识别）")
    _edit(u[3], g.sheet, _first_data_ref(u[3], g, "max"), 10)
    notes.append(f"{u[3].name}：私自把锁定的分值改为 10（签名校验应发现）")
    _edit(u[4], g.sheet, _first_data_ref(u[4], g, "explanation"), '=HYPERLINK("http://x","点击")')
    notes.append(f"{u[4].name}：情况说明里写了 =HYPERLINK(...)（应原样作为文字汇总）")
    _edit(u[5], g.sheet, _first_data_ref(u[5], g, "self_score"), None)
    notes.append(f"{u[5].name}：漏填一项自评得分")
    b = unit_form.BONUS
    wb = openpyxl.load_workbook(u[6])
    ws = wb[b.sheet]
    row = b.header_row + 2
    ws.cell(row + 1, b.col("kind") + 1).value = scheme.bonus_kinds[0].name
    ws.cell(row + 1, b.col("item") + 1).value = "获评全省先进"
    ws.cell(row + 1, b.col("points") + 1).value = scheme.bonus_kinds[0].cap
    wb.save(u[6])
    notes.append(f"{u[6].name}：加分申报没有写佐证材料")
    # a resubmission: the same form sent again a day later, corrected
    again = folder / ("更正_" + u[7].name)
    fill(next(p for p in units if returned.get(p) == u[7]), again, scheme, rng)
    _stamp(again, datetime.fromtimestamp(u[7].stat().st_mtime) + timedelta(days=1))
    notes.append(f"{u[7].name}：次日又发来更正版（以新文件为准）")
    # another unit's meta copied in (a clerk reusing a neighbour's file)
    donor = openpyxl.load_workbook(u[9])[META_SHEET]
    wb = openpyxl.load_workbook(u[8])
    ws = wb[META_SHEET]
    for r, row_values in enumerate(donor.iter_rows(values_only=True), start=1):
        for c, v in enumerate(row_values, start=1):
            ws.cell(r, c).value = v
    wb.save(u[8])
    notes.append(f"{u[8].name}：复制了其他单位表格的校验信息")
    # wrong formats
    (folder / "市某局_自评表.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    notes.append("市某局_自评表.xls：旧版 .xls 格式")
    (folder / "情况说明.pdf.xlsx").write_bytes(b"%PDF-1.4\n%...\n")
    notes.append("情况说明.pdf.xlsx：PDF 改了扩展名")
    (folder / f"~${u[10].name}").write_bytes(b"\x00" * 165)
    notes.append(f"~${u[10].name}：Excel 打开文件时留下的临时文件")
    leader = next((p for p in others if p.parent.name == leader_form.SPEC.folder), None)
    if leader is not None:
        notes.append(_leader_mistake(returned[leader]))
    if resave_with_libreoffice:
        import shutil

        if shutil.which("soffice"):
            from .soffice import convert

            target = u[11]
            when = target.stat().st_mtime
            out = convert(target, "xlsx", folder / ".libreoffice")
            out.replace(target)
            (folder / ".libreoffice").rmdir()
            import os

            os.utime(target, (when, when))
            notes.append(f"{target.name}：用 LibreOffice 打开后另存（第三方软件保存）")
    return notes


#: the unit forms the full play of mistakes needs (3 missing, 2 late, 12 each with its own mistake)
FULL_PLAY = 17


def _resave(target: Path, folder: Path) -> bool:
    """Open `target` in LibreOffice and save it over itself (a third-party application's save), keeping its time."""
    import os
    import shutil

    if not shutil.which("soffice"):
        return False
    from .soffice import convert

    when = target.stat().st_mtime
    convert(target, "xlsx", folder / ".libreoffice").replace(target)
    (folder / ".libreoffice").rmdir()
    os.utime(target, (when, when))
    return True


def _simulate_few(scheme: Scheme, units: list[Path], others: list[Path], folder: Path, rng: random.Random,
                  deadline, resave: bool) -> list[str]:
    """The clerks of a small scheme (a handful of counties): every unit returns its form, one late, one with a
    full-width number, one with a score over the maximum corrected the next day; one evaluating department (the
    one with the fewest rows) never returns its form, so its indicators stand on the units' own scores (未核实);
    one leader picks a grade that is not in the list (or repeats a rank)."""
    from datetime import datetime, timedelta

    notes: list[str] = []
    evaluators = [p for p in others if p.parent.name == evaluator_form.SPEC.folder]
    missing = min(reversed(evaluators), key=lambda p: len(_cells(p, evaluator_form.SCORES))) if evaluators else None
    if missing is not None:
        notes.append(f"{missing.name.split('_')[2]}未交评分表（其评分的指标按各单位自评得分计，标为“未核实”）")
    returned: dict[Path, Path] = {}
    for src in units + others:
        if src == missing:
            continue
        dst = fill(src, folder / src.name, scheme, rng)
        _stamp(dst, deadline - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8)))
        returned[src] = dst
    u = [returned[p] for p in units]
    g = unit_form.INDICATORS
    if u:
        _stamp(u[0], deadline + timedelta(days=2))
        notes.append(f"{u[0].name}：逾期 2 天发回")
    if len(u) > 1:
        _edit(u[1], g.sheet, _first_data_ref(u[1], g, "self_score"), "０．５")
        notes.append(f"{u[1].name}：自评得分用全角数字“０．５”（可自动识别）")
    if len(u) > 2:
        _edit(u[2], g.sheet, _first_data_ref(u[2], g, "self_score"), 99)
        again = folder / ("更正_" + u[2].name)
        fill(units[2], again, scheme, rng)
        _stamp(again, datetime.fromtimestamp(u[2].stat().st_mtime) + timedelta(days=1))
        notes.append(f"{u[2].name}：自评得分填了 99（超过分值），次日发来更正版（以新文件为准）")
    leaders = [returned[p] for p in others if p.parent.name == leader_form.SPEC.folder and p in returned]
    if leaders:
        notes.append(_leader_mistake(leaders[-1]))
    (folder / "县政府_自评表.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    notes.append("县政府_自评表.xls：旧版 .xls 格式")
    if resave and len(u) > 3 and _resave(u[3], folder):
        notes.append(f"{u[3].name}：用 LibreOffice 打开后另存（第三方软件保存）")
    return notes


def _leader_mistake(lpath: Path) -> str:
    """One leader's slip, planted in the returned form `lpath`: a grade not in the list, or a rank used twice."""
    spec = leader_form.spec_for(openpyxl.load_workbook(lpath).sheetnames)
    grid = spec.grids[0]
    if spec is leader_form.GRADING_SPEC:
        _edit(lpath, grid.sheet, _first_data_ref(lpath, grid, "grade", 0), "优")
        return f"{lpath.name}：等次填了“优”（不在下拉列表中）"
    first = openpyxl.load_workbook(lpath)[grid.sheet][_first_data_ref(lpath, grid, "rank", 0)].value
    _edit(lpath, grid.sheet, _first_data_ref(lpath, grid, "rank", 1), first)
    return f"{lpath.name}：两个单位排了同一名次"


def simulate_leaders(scheme: Scheme, forms: list[Path], folder: Path, rng: random.Random,
                     period: str | None = None) -> list[str]:
    """Play the leaders, who rank (or grade) once the other components are in (seed 002: the 评估组's scores are
    given to the leaders first): every leader returns the form on time, one with a slip."""
    from datetime import datetime, timedelta

    folder.mkdir(parents=True, exist_ok=True)
    if period is None:
        period = read_meta(FormFile(forms[0])).period if forms else scheme.period().name
    deadline = datetime.fromisoformat((scheme.period(period).deadline or scheme.settings.deadline)[:10])
    returned = []
    for src in sorted(forms):
        dst = fill(src, folder / src.name, scheme, rng)
        _stamp(dst, deadline - timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 8)))
        returned.append(dst)
    return [_leader_mistake(returned[-1])] if returned else []


def simulate_office(book, scheme: Scheme, rng: random.Random, periods: list[str] | None = None) -> list[str]:
    """Play the performance office between collect and score: enter its own component scores for `periods`
    (default: the current period), approve the bonus claims that carry evidence, record one veto. Returns what was
    done, in Chinese."""
    

    office = book.read_sheet(ledger.OFFICE_SCORES.name)
    direct = [c for c in office.columns if c not in ("单位代码", "单位名称", "考评期")]
    held = office["考评期"].isin(periods or [scheme.period().name])
    for column in direct:
        office[column] = [round(rng.uniform(78, 98), 1) if h else None for h in held]
    claims = book.read_sheet(ledger.BONUS.name)
    caps = {b.name: b.cap for b in scheme.bonus_kinds}
    approved = claims["佐证材料"].notna() & claims["加分类型"].isin(list(caps))
    claims["核定分值"] = [min(float(p), caps[k]) if ok else 0 for p, k, ok in
                      zip(claims["申报分值"].fillna(0), claims["加分类型"], approved)]
    claims["审定意见"] = ["同意" if ok else "无佐证材料，不予加分" for ok in approved]
    unit = rng.choice(scheme.units)
    veto = pd.DataFrame([[unit.code, unit.name, "班子成员严重违纪被查处", "市绩效委〔2027〕1号"]], columns=list(ledger.VETO.columns))
    book.write_sheets({ledger.OFFICE_SCORES.name: office, ledger.BONUS.name: claims, ledger.VETO.name: veto})
    entered = f"录入绩效办直接评分：{'、'.join(direct)}（{int(held.sum())} 行）" if direct else "本方案没有绩效办直接评分的组成部分"
    return [entered,
            f"审定加分申报 {len(claims)} 项，其中同意 {int(approved.sum())} 项",
            f"{unit.name}：一票否决（{veto.iloc[0]['事由']}），等次降一级"]


def simulate_appeal(book, scheme: Scheme, ranking: pd.DataFrame, period: str) -> list[str]:
    """Play a unit that appeals and the office that upholds it: the unit closest below a grade boundary claims
    its 基础工作 was under-scored; on review the office raises that component to 95. In a scheme without a component
    the office scores (the county sample), the unit appeals its first key target, which the review restores to its
    full points. Returns what was done."""
    components = [c for c in scheme.components if c.method == "直接评分"]
    if not len(ranking) or not (components or scheme.indicators):
        return []
    bounds = sorted(g.lower for g in scheme.grades if g.lower > 0)
    gap = [(min((b - t for b in bounds if b > t), default=float("inf")), code, name)
           for code, name, t in zip(ranking["单位代码"], ranking["单位名称"], ranking["总分"])]
    _, code, name = min(gap)
    when = scheme.settings.year + 1
    if components:
        target, score = components[0].name, 95
        why = "本单位基础工作台账齐全，评分未计入补报材料。"
        review = "经复核，补报材料属实，基础工作评估调整为 95 分。"
    else:
        own = scheme.indicators_for(scheme.unit_by_code[code])
        lost = book.read_sheet(ledger.INDICATOR_SCORES.name)
        lost = lost[(lost["单位代码"] == code) & (lost["考评期"] == period)]
        worst = dict(zip(lost["指标代码"], pd.to_numeric(lost["失分"], errors="coerce").fillna(0)))
        indicator = max(own, key=lambda i: worst.get(i.code, 0))  # the indicator that lost the most
        target, score = indicator.code, indicator.max
        why = f"“{indicator.name}”已按期完成，评估组评分未采用统计部门最新数据。"
        review = f"经复核，统计部门最新数据属实，“{indicator.name}”调整为满分 {score:g} 分。"
    row = [code, name, period, target, why, f"{when}-01-25", ledger.UPHELD, score, review, "市绩效办复核组", f"{when}-02-03"]
    book.write_sheets({ledger.APPEALS.name: pd.DataFrame([row], columns=list(ledger.APPEALS.columns))})
    return [f"{name}（{code}）对“{target}”提出申诉，经复核调整为 {score:g} 分"]

"""Benchmark: generating the unit forms (绩效考评表) of a large evaluation cycle.

Builds, in memory, a synthetic but realistic Scheme (default 1,000 units in 3 categories, 120 indicators per
unit in 7 dimensions x 2-3 levels, points adding up to the base of 100) and measures:

  1. xlplugin's own path, as `xlplugin generate` runs it: `generate.plan(..., kinds=["unit"])` then
     `generate.write_forms(...)`, which uses its own process pool, for every unit;
  2. the same code single-process (`workers=1`) on a subset, for a per-form figure;
  3. a baseline: a plain openpyxl writer producing the same content (the same indicator table with its
     header, group and subtotal rows with SUM formulas, formula and input cells, validation, protection,
     plus the instructions, self-report and meta sheets), creating a new Font/Border/PatternFill/Alignment
     object for every cell (the naive way), single process, on a subset, extrapolated to all units.

Run:  .venv/bin/python benchmarks/bench_generate.py [--units 1000] [--single-sample 100]
                                                    [--baseline-sample 50] [--profile N] [--keep DIR]
      (smoke run: --units 50, about 10 s; the samples shrink with --units unless given)
It always exits 0 (it is a report). Every figure printed is a measurement of this run, or a linear
extrapolation of one where it says so.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import openpyxl  # noqa: E402
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402
from openpyxl.worksheet.datavalidation import DataValidation  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from xlplugin.generate import plan, write_forms  # noqa: E402
from xlplugin.forms import unit as unit_form# noqa: E402
from xlplugin.forms.spec import Recipient  # noqa: E402
from xlplugin.forms.write import extend_runs, subtitle  # noqa: E402
from xlplugin.forms.spec import DEF, FORMULA, GROUP, INPUT, SUBTOTAL, TOTAL, canonical  # noqa: E402
from xlplugin.forms.meta import MAP_HEADER_ROW, MAP_LABEL, META_FIELDS, META_SHEET, Meta, encode_rows, protection_password  # noqa: E402
from xlplugin.forms import write as _writer# noqa: E402
from xlplugin.forms.write import row_height  # noqa: E402
from xlplugin.scheme import (BonusKind, Component, Evaluator, Grade, Indicator, Leader, Period,  # noqa: E402
                             RaterGroup, Scheme, Settings, Unit)
from xlplugin.templating import render_lines  # noqa: E402

INSTRUCTIONS_WIDTH = getattr(_writer, "INSTRUCTIONS_WIDTH", 100)  # as the form writer lays it out
TARGET_SECONDS = 20.0  # for 1,000 unit forms on a 2-core machine
TARGET_UNITS = 1000

# ------------------------------------------------------------------------------------ synthetic scheme

CATEGORIES = ("综合经济管理类", "社会管理和公共服务类", "市场监管和执法监督类")
REGIONS = ("市本级", "宁江区", "前郭县", "长岭县", "乾安县", "扶余市", "经开区", "查干湖区", "高新区", "江北区",
           "江南区", "城东区", "城西区", "新城区", "北湖区", "南湖区", "东山县", "西岭县", "平原县", "临江县",
           "河口县", "青山县", "白沙县", "红旗县", "和平县", "兴隆县", "永安县", "长乐县", "太平县", "安定县")
DEPARTMENTS = (
    ("发展和改革局", 0), ("财政局", 0), ("统计局", 0), ("商务局", 0), ("工业和信息化局", 0), ("审计局", 0),
    ("国有资产监督管理委员会", 0), ("投资促进局", 0), ("住房和城乡建设局", 0), ("交通运输局", 0),
    ("农业农村局", 0), ("水利局", 0), ("自然资源局", 0), ("科学技术局", 0),
    ("教育局", 1), ("民政局", 1), ("人力资源和社会保障局", 1), ("卫生健康委员会", 1), ("文化广电和旅游局", 1),
    ("退役军人事务局", 1), ("医疗保障局", 1), ("司法局", 1), ("信访局", 1), ("民族宗教事务局", 1),
    ("体育局", 1), ("政务服务和数字化建设管理局", 1), ("机关事务管理局", 1), ("档案馆", 1),
    ("市场监督管理局", 2), ("生态环境局", 2), ("应急管理局", 2), ("城市管理综合行政执法局", 2),
    ("税务局", 2), ("林业和草原局", 2), ("粮食和物资储备局", 2), ("药品监督管理局", 2),
    ("知识产权局", 2), ("消防救援支队", 2), ("公共资源交易中心", 2), ("人民防空办公室", 2),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "海涛立军红梅晓东振华玉兰建国明霞志强丽娟文博国庆春燕秀英德胜永明雪峰"

EVALUATORS = ("市委组织部", "市纪委监委", "市司法局", "市发展和改革委员会", "市政务服务管理局", "市财政局",
              "市统计局", "市人力资源和社会保障局")

# dimension → (levels, evaluator index)
TREE = (
    ("党的建设", ("政治建设", "党风廉政建设", "意识形态工作"), 0),
    ("依法行政", ("法治政府建设", "行政执法规范化"), 2),
    ("经济发展", ("主要经济指标", "重大项目建设", "招商引资"), 3),
    ("民生保障", ("就业和社会保障", "公共服务供给"), 7),
    ("营商环境", ("市场环境", "政务环境", "法治环境"), 4),
    ("政务服务", ("政务公开", "“一网通办”"), 4),
    ("自身建设", ("队伍建设", "作风建设", "财务管理"), 5),
)
TOPICS = ("政务服务事项", "行政规范性文件", "信访事项", "财政专项资金", "固定资产投资", "安全生产隐患",
          "新登记市场主体", "人大代表建议和政协提案", "政府信息公开申请", "干部教育培训", "重点项目",
          "招商引资签约项目", "城镇新增就业", "“双随机、一公开”抽查", "审计发现问题", "12345热线工单",
          "行政执法案卷", "重大行政决策", "民生实事项目", "营商环境投诉", "数据共享目录", "政府采购项目")
METRICS = ("按期办结率", "网上可办率", "合法性审核率", "整改完成率", "年度计划完成率", "同比增长率",
           "备案审查及时率", "督办落实情况", "群众满意度", "按时报送率", "公开率", "完成进度")
POINTS = ("目标任务落实", "制度建设", "日常管理", "工作成效", "问题整改", "监督检查", "基础台账", "协调配合",
          "宣传引导", "创新举措")
RULE_PARTS = ("完成目标值得满分", "每低1个百分点扣0.2分", "未按期完成的每项扣0.5分", "被上级通报批评的扣1分",
              "以主管部门年终统计数据为准", "超额完成不加分", "发生重大责任事故的本项不得分",
              "台账资料不完整的酌情扣分", "按实际完成值与目标值之比计分", "每逾期一件扣0.1分",
              "群众回访不满意的每件扣0.2分", "未建立工作制度的扣0.5分")
EVIDENCE = ("年度工作台账和统计报表", "上级部门通报文件", "会议纪要及签到记录", "审计报告和整改报告",
            "信息系统导出的办理记录", "项目批复文件和现场照片", "培训登记台账", "满意度测评结果")
NUMERIC_TARGETS = (("%", 100), ("%", 95), ("%", 98.5), ("项", 12), ("件", 30), ("万元", 3500), ("次", 4),
                   ("个", 8), ("人", 1200), ("%", 7.5))
TEXT_TARGETS = (("", "按期完成"), ("件", "无违规案件"), ("", "达到省定标准"), ("", "全面完成年度任务"))


def _rule(rng: random.Random) -> str:
    """A 评分说明 of 30-60 characters made of realistic clauses."""
    want = rng.randint(30, 60)
    parts = list(RULE_PARTS)
    rng.shuffle(parts)
    text = ""
    for part in parts:
        candidate = f"{text}；{part}" if text else part
        if len(candidate) + len("，扣完为止。") > 60:
            continue
        text = candidate
        if len(text) >= want - 6:
            break
    return text + "，扣完为止。"


def _points(rng: random.Random, n: int, base: float) -> list[float]:
    """n positive points in steps of 0.25 adding up exactly to base (binary-exact quarters)."""
    values = [0.5] * n
    quarters = round((base - 0.5 * n) / 0.25)
    if quarters < 0:
        raise ValueError("too many indicators for the base")
    while quarters:
        i = rng.randrange(n)
        if values[i] < 3:
            values[i] += 0.25
            quarters -= 1
    return values


def build_scheme(n_units: int = 1000, n_indicators: int = 120, seed: int = 2026) -> Scheme:
    rng = random.Random(seed)
    base = 100.0
    settings = Settings(
        office="松原市政府绩效评估委员会办公室", year=2026, period="年终", base=base, submit_dir="提交",
        output_dir="输出", deadline="2027-01-15", bonus_cap=3.0, smtp_host="127.0.0.1", smtp_port=8025,
        smtp_security="无", sender="jxb@songyuan.example.gov.cn", contact="高洪涛", phone="0438-6123456",
        key="9f" * 32,
    )
    combos = [(r, d, c) for r in REGIONS for d, c in DEPARTMENTS]
    if n_units > len(combos):
        raise SystemExit(f"--units at most {len(combos)}")
    units = []
    for n, (region, dept, cat) in enumerate(combos[:n_units], start=1):
        name = f"{region}{dept}"
        contact = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
        units.append(Unit(f"U{n:04d}", name, CATEGORIES[cat], f"u{n:04d}@example.gov.cn", contact,
                          rng.randint(15, 300), n + 1))
    evaluators = [Evaluator(f"K{n:02d}", name, f"k{n:02d}@example.gov.cn", rng.choice(SURNAMES) + "主任", n + 1)
                  for n, name in enumerate(EVALUATORS, start=1)]

    # spread the indicators over the levels (at least 3 per level), then give them points
    slots = [(d, lv, ev) for d, levels, ev in TREE for lv in levels]
    counts = [3] * len(slots)
    for _ in range(n_indicators - sum(counts)):
        counts[rng.randrange(len(slots))] += 1
    points = _points(rng, n_indicators, base)
    indicators = []
    k = 0
    for (dimension, level, ev), count in zip(slots, counts):
        for _ in range(count):
            if rng.random() < 0.7:
                measure, target = rng.choice(NUMERIC_TARGETS)
            else:
                measure, target = rng.choice(TEXT_TARGETS)
            evaluator = EVALUATORS[ev] if rng.random() < 0.8 else rng.choice(EVALUATORS)
            indicators.append(Indicator(
                code=f"GX{k + 1:03d}", dimension=dimension, level=level, point=rng.choice(POINTS),
                name=rng.choice(TOPICS) + rng.choice(METRICS), max=points[k], measure=measure, target=target,
                rule=_rule(rng), evaluator=evaluator, scope=("全部",), kind="共性", role="",
                evidence=rng.choice(EVIDENCE), row=k + 2,
            ))
            k += 1
    components = (
        Component("自我评估", 10, "自评", "全部", "得分率", "各单位对照指标逐项自评。", 2),
        Component("共性工作目标评估", 45, "考评部门", "共性", "得分率", "考评部门按评分说明逐项评分。", 3),
        Component("民主评议", 15, "评议", "", "评议平均", "服务对象和机关干部评议。", 4),
        Component("领导评价", 30, "领导", "", "领导排名", "分管领导对分管单位排名赋分。", 5),
    )
    periods = (Period("年终", "年终", 100, "2027-01-15", 2),)
    grades = (Grade("优秀", 90, 20, 2), Grade("良好", 80, 18, 3), Grade("一般", 60, 16, 4), Grade("较差", 0, 14, 5))
    rater_grades = {"满意": 100.0, "基本满意": 75.0, "不满意": 40.0}
    rater_groups = (RaterGroup("P01", "人大代表评议组", "rd@example.gov.cn", "周主任", ("全部",), 2),
                    RaterGroup("P02", "服务对象评议组", "fw@example.gov.cn", "吴主任", ("全部",), 3))
    leaders = (Leader("L01", "张市长", "市长", "市长", 50, ("全部",), "mayor@example.gov.cn", 2),
               Leader("L02", "李副市长", "副市长", "副市长", 50, ("全部",), "vice@example.gov.cn", 3))
    rank_points = {r: float(max(100 - 2 * (r - 1), 60)) for r in range(1, 21)}
    bonus = (BonusKind("自主创新性突出贡献", 1, "主动选题立项的创新性工作取得突出成效。", 2),
             BonusKind("命名表彰", 1, "工作被国家或省命名表彰。", 3),
             BonusKind("工作经验以文件转发形式被推广", 0.5, "工作经验被国家或省以文件转发推广。", 4),
             BonusKind("工作评比排名靠前", 0.5, "在国家或省组织的系统评比中排名前列。", 5))
    scheme = Scheme(settings, tuple(units), tuple(evaluators), tuple(indicators), components, periods, grades,
                    rater_grades, rater_groups, leaders, rank_points, bonus)
    assert abs(sum(i.max for i in scheme.indicators) - base) < 1e-9
    return scheme


# ------------------------------------------------------------------------------- baseline: naive openpyxl


def _style(cell, *, font="宋体", size=10, bold=False, color=None, fill=None, horizontal=None, vertical="center",
           wrap=False, border=True, locked=True, number_format=None) -> None:
    """The naive way: brand-new style objects for every cell."""
    cell.font = Font(name=font, size=size, bold=bold, color=color)
    if border:
        cell.border = Border(left=Side(style="thin", color="8C8C8C"), right=Side(style="thin", color="8C8C8C"),
                             top=Side(style="thin", color="8C8C8C"), bottom=Side(style="thin", color="8C8C8C"))
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    cell.alignment = Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap)
    if not locked:
        cell.protection = Protection(locked=False)
    if number_format:
        cell.number_format = number_format


def _merge(ws, r1, c1, r2, c2, value, **style) -> None:
    """Merge 1-based (r1, c1)-(r2, c2), write value in its first cell and style every cell of it."""
    ws.cell(r1, c1).value = value
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            _style(ws.cell(r, c), **style)
    if (r1, c1) != (r2, c2):
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def _sheet_setup(ws, meta: Meta, password: str, landscape=True) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.left.text = meta.recipient_name
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.right.text = f"{meta.year}年度{meta.period}"
    ws.protection.sheet = True
    ws.protection.password = password
    ws.protection.formatRows = False
    ws.protection.formatColumns = False


def baseline_write(scheme: Scheme, period: Period, unit: Unit, path: Path) -> Path:
    """The unit form's content written cell by cell with openpyxl and a new style object per cell."""
    s = scheme.settings
    grid = unit_form.INDICATORS
    recipient = Recipient("unit", unit.code, unit.name, unit.email, unit.contact)
    meta = Meta(kind="unit", recipient=unit.code, recipient_name=unit.name, year=str(s.year), period=period.name)
    password = protection_password(s.key)
    definitions: list[list[str]] = []
    wb = openpyxl.Workbook()

    # 填表说明
    ws = wb.active
    ws.title = "填表说明"
    _sheet_setup(ws, meta, password, landscape=False)
    ws.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
    ws.cell(1, 1).value = f"{s.year}年度{period.name}{unit_form.SPEC.label} · 填表说明"
    _style(ws.cell(1, 1), font="黑体", size=16, bold=True, horizontal="center", border=False)
    ws.row_dimensions[1].height = 30
    lines = render_lines("forms/unit.txt.j2", s=s, scheme=scheme, period=period, recipient=recipient,
                         spec=unit_form.SPEC, deadline=period.deadline or s.deadline)
    for i, line in enumerate(lines, start=3):
        section = line.startswith(("一、", "二、", "三、", "四、", "五、"))
        c = ws.cell(i, 1, line)
        _style(c, font="黑体" if section else "宋体", size=12 if section else 11, bold=section, wrap=not section,
               vertical="center" if section else "top", border=False)
        ws.row_dimensions[i].height = row_height([(line, INSTRUCTIONS_WIDTH)], font_size=12 if section else 11, pad=6 if section else 3)

    # 指标考评表
    ws = wb.create_sheet(grid.sheet)
    _sheet_setup(ws, meta, password)
    width = len(grid.columns)
    _merge(ws, 1, 1, 1, width, f"{s.year}年度{unit.name}绩效考评指标表", font="黑体", size=16, bold=True,
           horizontal="center", border=False)
    ws.row_dimensions[1].height = 32
    _merge(ws, 2, 1, 2, width, subtitle(scheme, period, recipient, f"类别：{unit.category}　　基本分：{s.base:g} 分"),
           horizontal="left", border=False)
    _merge(ws, 3, 1, 3, width, "说明：黄色单元格由本单位填写，其余内容已锁定；自评得分须在 0 至该项分值之间；完成率、小计和合计自动计算。",
           size=9, color="7F6000", border=False)
    ws.oddHeader.center.text = f"{s.year}年度{unit.name}绩效考评指标表"
    h = grid.header_row + 1  # 1-based
    for i, col in enumerate(grid.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
        c = ws.cell(h, i, col.header + (" ★" if col.role == INPUT and col.required else ""))
        _style(c, bold=True, horizontal="center", wrap=True, fill="D9E1F2")
    ws.row_dimensions[h].height = 30
    ws.print_title_rows = f"{h}:{h}"
    ws.freeze_panes = ws.cell(h + 1, 4)
    letters = {c.key: get_column_letter(i) for i, c in enumerate(grid.columns, start=1)}
    sum_cols = [i for i, c in enumerate(grid.columns, start=1) if c.numeric and c.role in (DEF, INPUT)]
    rows = unit_form.indicator_rows(scheme.indicators_for(unit))
    data_rows: list[int] = []
    subtotal_rows: list[int] = []
    last_subtotal = h
    runs: list[list[int]] = []
    for n, body in enumerate(rows):
        r = h + 1 + n
        meta.rows.append((grid.sheet, r - 1, body.id))
        if body.id.startswith(GROUP):
            _merge(ws, r, 1, r, width, body.label, bold=True, fill="E2EFDA")
            definitions.append([canonical(body.label)])
            continue
        if body.id.startswith(SUBTOTAL) or body.id == TOTAL:
            span = sum_cols[0] - 1
            _merge(ws, r, 1, r, span, body.label, bold=True, horizontal="center", fill="F2F2F2")
            for i in range(span + 1, width + 1):
                _style(ws.cell(r, i), bold=True, horizontal="center", fill="F2F2F2")
            if body.id == TOTAL:
                for i in sum_cols:
                    L = get_column_letter(i)
                    ws.cell(r, i).value = "=" + "+".join(f"{L}{x}" for x in subtotal_rows)
            else:
                parts = [x for x in data_rows if x > last_subtotal]
                for i in sum_cols:
                    L = get_column_letter(i)
                    ws.cell(r, i).value = f"=SUM({L}{parts[0]}:{L}{parts[-1]})"
                subtotal_rows.append(r)
                last_subtotal = r
            definitions.append([canonical(body.label)])
            continue
        data_rows.append(r)
        extend_runs(runs, r)
        signed = []
        for i, col in enumerate(grid.columns, start=1):
            c = ws.cell(r, i)
            if col.role == DEF:
                value = body.values.get(col.key)
                signed.append(canonical(value))
                if isinstance(value, (int, float)):
                    c.value = value
                    _style(c, horizontal="center")
                else:
                    if value not in (None, ""):
                        c.value = str(value)
                        c.data_type = "s"
                    _style(c, wrap=True)
            elif col.role == INPUT:
                _style(c, horizontal="center" if col.numeric else None, wrap=not col.numeric, fill="FFF2CC",
                       locked=False)
            elif col.role == FORMULA:
                a, t = letters["actual"], letters["target"]
                c.value = (f'=IF(AND(ISNUMBER({a}{r}),ISNUMBER({t}{r})),IF({t}{r}=0,"",{a}{r}/{t}{r}),"")')
                _style(c, horizontal="center", fill="F2F2F2", number_format=col.number_format)
        definitions.append(signed)
        ws.row_dimensions[r].height = row_height([(body.values.get(c.key), c.width) for c in grid.columns], minimum=2)
    score, mx = letters["self_score"], letters["max"]
    for run in runs:
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=f"${mx}{run[0]}",
                            showErrorMessage=True, showInputMessage=True, errorStyle="stop",
                            promptTitle="自评得分", prompt="请填写 0 至本项分值之间的数字。",
                            errorTitle="自评得分超出范围", error="自评得分须为 0 至本项“分值”之间的数字，请重新填写。")
        dv.add(f"{score}{run[0]}:{score}{run[-1]}")
        ws.add_data_validation(dv)

    # 自评报告
    ws = wb.create_sheet(unit_form.REPORT_SHEET)
    _sheet_setup(ws, meta, password)
    for i, col in enumerate(unit_form.BONUS.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    _merge(ws, 1, 1, 1, 5, f"{s.year}年度{unit.name}自评报告", font="黑体", size=16, bold=True, horizontal="center",
           border=False)
    _merge(ws, 2, 1, 2, 5, subtitle(scheme, period, recipient), horizontal="left", border=False)
    section = {"font": "黑体", "size": 12, "bold": True, "border": False}
    label = {"bold": True, "fill": "F2F2F2", "wrap": True}
    block = {"wrap": True, "fill": "FFF2CC", "locked": False, "vertical": "top"}
    _merge(ws, 4, 1, 4, 5, "一、总体情况（工作目标完成情况、主要成效、存在的问题和改进措施）", **section)
    _merge(ws, 5, 1, 14, 5, "", **block)
    _merge(ws, 16, 1, 16, 5, "二、自评等次", **section)
    _merge(ws, 17, 1, 17, 1, "自评等次", **label)
    _merge(ws, 17, 2, 17, 2, None, fill="FFF2CC", locked=False)
    grades = [g.name for g in scheme.grades]
    dv = DataValidation(type="list", formula1='"' + ",".join(grades) + '"', showErrorMessage=True,
                        errorTitle="自评等次无效", error="请从下拉列表中选择自评等次。")
    dv.add("B17")
    ws.add_data_validation(dv)
    _merge(ws, 18, 1, 22, 1, "自评理由", **label)
    _merge(ws, 18, 2, 22, 5, "", **block)
    # 加分申报: a sheet of its own (as the form has it)
    report = ws
    ws = wb.create_sheet(unit_form.BONUS.sheet)
    _sheet_setup(ws, meta, password)
    for i, col in enumerate(unit_form.BONUS.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    _merge(ws, 1, 1, 1, 5, "三、加分申报（经领导班子审议后申报，须附佐证材料；无则不填）", **section)
    bh = unit_form.BONUS.header_row + 1
    for i, col in enumerate(unit_form.BONUS.columns, start=1):
        _style(ws.cell(bh, i, col.header), bold=True, horizontal="center", wrap=True, fill="D9E1F2")
    kinds = ",".join(b.name for b in scheme.bonus_kinds)
    for n in range(1, unit_form.BONUS_ROWS + 1):
        r = bh + n
        meta.rows.append((unit_form.BONUS.sheet, r - 1, f"加分{n}"))
        definitions.append([canonical(n)])
        _style(ws.cell(r, 1, n), horizontal="center")
        for i in range(2, 6):
            _style(ws.cell(r, i), wrap=True, fill="FFF2CC", locked=False)
    dv = DataValidation(type="list", formula1=f'"{kinds}"', showErrorMessage=True)
    dv.add(f"B{bh + 1}:B{bh + unit_form.BONUS_ROWS}")
    ws.add_data_validation(dv)
    dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", showErrorMessage=True)
    dv.add(f"D{bh + 1}:D{bh + unit_form.BONUS_ROWS}")
    ws.add_data_validation(dv)
    ws = report
    _merge(ws, 33, 1, 33, 5, "四、主要负责人审核", **section)
    _merge(ws, 34, 1, 34, 5, "本单位对所填报数据和材料的真实性、准确性负责，数据已经主要负责人据实核准。", border=False)
    _merge(ws, 36, 1, 36, 1, "主要负责人", **label)
    _merge(ws, 36, 2, 36, 2, None, fill="FFF2CC", locked=False)
    _merge(ws, 36, 3, 36, 3, "签字日期", **label)
    _merge(ws, 36, 4, 36, 4, None, fill="FFF2CC", locked=False, number_format="yyyy-mm-dd")

    # _meta (signed, very hidden)
    ws = wb.create_sheet(META_SHEET)
    meta.generated = time.strftime("%Y-%m-%dT%H:%M:%S")
    meta.signature = meta.sign(s.key, definitions)
    for r, (attr, text) in enumerate(META_FIELDS, start=1):
        ws.cell(r, 1, text)
        ws.cell(r, 2, str(getattr(meta, attr)))
    ws.cell(MAP_HEADER_ROW + 1, 1, MAP_LABEL)
    for n, chunk in enumerate(encode_rows(meta.rows), start=MAP_HEADER_ROW + 2):
        ws.cell(n, 1, chunk)
    ws.protection.sheet = True
    ws.protection.password = password
    ws.sheet_state = "veryHidden"

    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# ------------------------------------------------------------------------------------------- checks


def _indicator_table(path: Path) -> list[list]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(unit_form.INDICATORS.sheet).to_python()
    return rows[unit_form.INDICATORS.header_row:]


def compare(xl_path: Path, base_path: Path) -> str:
    """Same header and body rows, same definition values in the data rows (formulas are not compared: the
    XlsxWriter file carries cached results, the openpyxl one none)."""
    a, b = _indicator_table(xl_path), _indicator_table(base_path)
    if len(a) != len(b):
        return f"DIFFERENT: {len(a)} vs {len(b)} rows from the header down"
    defs = [i for i, c in enumerate(unit_form.INDICATORS.columns) if c.role == DEF]
    code = unit_form.INDICATORS.col("code")
    data = 0
    for n, (x, y) in enumerate(zip(a, b)):
        if n and len(x) > code and x[code] not in (None, ""):  # an indicator row (headings, subtotals: no code)
            data += 1
            cols = defs
        else:
            cols = [0]
        for i in cols:
            if x[i] != y[i]:
                return f"DIFFERENT at body row {n}, column {i + 1}: {x[i]!r} vs {y[i]!r}"
    return f"same ({len(a)} rows from the header down, {data} indicator rows)"


# ---------------------------------------------------------------------------------------------- run


def _burn(seconds: float) -> float:
    """Pure-Python busy loop of a fixed amount of work calibrated to ~`seconds`; returns its wall time."""
    t = time.perf_counter()
    x = 0
    for i in range(int(seconds * 20_000_000)):
        x += i
    return time.perf_counter() - t


def parallel_capacity(workers: int, seconds: float = 0.6) -> float:
    """How many cores' worth of CPU `workers` processes really get right now (shared VMs often give less
    than the CPU count): the same busy loop alone, then in `workers` processes at once."""
    from concurrent.futures import ProcessPoolExecutor
    if workers <= 1:
        return 1.0
    alone = min(_burn(seconds), _burn(seconds))
    with ProcessPoolExecutor(workers) as pool:
        pool.submit(int).result()  # processes started before timing
        t = time.perf_counter()
        list(pool.map(_burn, [seconds] * workers))
        together = time.perf_counter() - t
    return workers * alone / together


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=TARGET_UNITS, help="units (= unit forms), default 1000")
    ap.add_argument("--indicators", type=int, default=120, help="indicators per unit, default 120")
    ap.add_argument("--single-sample", type=int, default=None,
                    help="forms timed single-process with xlplugin (default: 100, fewer for small --units)")
    ap.add_argument("--baseline-sample", type=int, default=None,
                    help="forms timed with the naive openpyxl baseline (default: 50, fewer for small --units)")
    ap.add_argument("--workers", type=int, default=None, help="pass workers to write_forms (default: its own choice)")
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="also cProfile N xlplugin forms and print hotspots")
    ap.add_argument("--keep", type=Path, default=None, help="write into this folder and keep the files")
    args = ap.parse_args(argv)
    if args.units < 1 or args.indicators < 1:
        ap.error("--units and --indicators must be at least 1")
    if args.single_sample is None:
        args.single_sample = min(100, max(5, args.units // 10))
    if args.baseline_sample is None:
        args.baseline_sample = min(50, max(3, args.units // 20))

    cpus = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus
    print(f"xlplugin unit-form generation benchmark — Python {platform.python_version()}, {platform.machine()}")
    print(f"CPU count: {cpus} (usable by this process: {usable})")

    scheme, t_build = timed(build_scheme, args.units, args.indicators)
    period = scheme.period()
    rows_per_form = len(unit_form.indicator_rows(scheme.indicators)) if scheme.units else 0
    print(f"Scheme (in memory, built in {t_build:.2f} s): {len(scheme.units)} units in {len(scheme.categories)} "
          f"categories, {len(scheme.indicators)} indicators per unit "
          f"({len(TREE)} dimensions, {sum(len(t[1]) for t in TREE)} levels; {rows_per_form} body rows per form), "
          f"{len(scheme.evaluators)} evaluators, points total {sum(i.max for i in scheme.indicators):g}")

    with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)

        pool_size = args.workers if args.workers is not None else (min(cpus, 8) if len(scheme.units) >= 40 else 1)
        capacity = parallel_capacity(pool_size)

        # 1. xlplugin, its own path (process pool chosen by write_forms), every unit
        folder = root / "xlplugin"
        c0 = os.times()
        t0 = time.perf_counter()
        jobs = plan(scheme, period, folder, kinds=["unit"])
        t_plan = time.perf_counter() - t0
        paths = write_forms(scheme, period, jobs, workers=args.workers)
        t_total = time.perf_counter() - t0
        c1 = os.times()
        cpu_total = (c1.user - c0.user + c1.system - c0.system
                     + c1.children_user - c0.children_user + c1.children_system - c0.children_system)
        written = sum(1 for p in paths if p.is_file())
        size = sum(p.stat().st_size for p in paths) / max(len(paths), 1)
        workers = pool_size

        # 2. xlplugin single-process on a subset (one warm-up form first: imports, template compilation)
        n_single = min(args.single_sample, len(jobs))
        single_dir = root / "xlplugin_single"
        sub = plan(scheme, period, single_dir, kinds=["unit"])[: n_single + 1]
        write_forms(scheme, period, sub[:1], workers=1)
        c0 = time.process_time()
        _, t_single = timed(write_forms, scheme, period, sub[1:], workers=1)
        cpu_single = time.process_time() - c0
        n_single = len(sub) - 1
        ms_single = 1000 * t_single / n_single if n_single else float("nan")

        # 3. baseline: naive openpyxl, single process, subset, extrapolated
        n_base = min(args.baseline_sample, len(scheme.units))
        base_dir = root / "baseline_openpyxl"
        units = scheme.units[: n_base + 1]
        baseline_write(scheme, period, units[0], base_dir / "warmup.xlsx")
        c0 = time.process_time()
        t0 = time.perf_counter()
        for u in units[1:]:
            baseline_write(scheme, period, u, base_dir / f"{u.code}.xlsx")
        t_base = time.perf_counter() - t0
        cpu_base = time.process_time() - c0
        n_base = len(units) - 1
        ms_base = 1000 * t_base / n_base if n_base else float("nan")
        base_size = sum(p.stat().st_size for p in base_dir.glob("U*.xlsx")) / max(n_base, 1)
        check = compare(paths[0], base_dir / "warmup.xlsx") if paths else "n/a"

        n = len(jobs)
        base_extrapolated = ms_base * n / 1000
        print()
        print(f"Forms written (xlplugin, parallel path): {written} of {n} unit forms, {size / 1024:.0f} KiB each on average")
        print(f"xlplugin total for {n} forms (plan + write_forms, {workers} worker processes, pool start-up included): "
              f"{t_total:.2f} s  (plan {t_plan * 1000:.0f} ms; {1000 * t_total / max(n, 1):.1f} ms/form wall-clock; "
              f"CPU used {cpu_total:.1f} s = {100 * cpu_total / t_total / usable:.0f}% of {usable} cores)")
        print(f"Parallel capacity measured just before (pure-Python busy loop in {workers} processes): "
              f"{capacity:.2f} cores' worth of CPU out of {workers}")
        print(f"xlplugin single-process: {ms_single:.1f} ms/form  (measured on {n_single} forms, {t_single:.2f} s, "
              f"after 1 warm-up form; CPU {cpu_single:.2f} s)")
        print(f"Baseline naive openpyxl (new Font/Border/PatternFill/Alignment per cell), single-process: "
              f"{ms_base:.1f} ms/form  (measured on {n_base} forms, {t_base:.2f} s, after 1 warm-up form; "
              f"CPU {cpu_base:.2f} s; {base_size / 1024:.0f} KiB each)")
        print(f"Baseline for {n} forms: {base_extrapolated:.1f} s  — EXTRAPOLATED linearly from {n_base} forms, not measured")
        print(f"Content check (indicator sheet, xlplugin vs baseline, same unit): {check}")
        print(f"Ratio baseline / xlplugin, both single-process: {ms_base / ms_single:.1f}x")
        print(f"Ratio baseline (extrapolated, 1 process) / xlplugin (measured, {workers} processes) for {n} forms: "
              f"{base_extrapolated / t_total:.1f}x")
        print(f"Projection, not a measurement: {TARGET_UNITS} forms on {usable} fully available cores at the "
              f"single-process rate = {ms_single * TARGET_UNITS / 1000 / usable:.1f} s")
        if n == TARGET_UNITS:
            verdict = "PASS" if t_total < TARGET_SECONDS else "FAIL"
            print(f"Target: < {TARGET_SECONDS:g} s for {TARGET_UNITS} forms on a 2-core machine → "
                  f"measured {t_total:.2f} s on {usable} usable cores: {verdict}")
        else:
            scaled = t_total * TARGET_UNITS / max(n, 1)
            verdict = "PASS" if scaled < TARGET_SECONDS else "FAIL"
            print(f"Target: < {TARGET_SECONDS:g} s for {TARGET_UNITS} forms on a 2-core machine → only {n} forms run; "
                  f"scaled linearly to {TARGET_UNITS}: {scaled:.1f} s: {verdict} (indicative only; run with "
                  f"--units {TARGET_UNITS} for the real verdict)")

        if args.profile:
            k = min(args.profile, len(jobs))
            prof_jobs = plan(scheme, period, root / "profile", kinds=["unit"])[:k]
            profiler = cProfile.Profile()
            profiler.enable()
            write_forms(scheme, period, prof_jobs, workers=1)
            profiler.disable()
            for order, top in (("tottime", 20), ("cumulative", 25)):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
                print(f"\ncProfile of {k} xlplugin forms, single-process, top {top} by {order} "
                      f"(profiler overhead inflates the times ~3x):")
                print(out.getvalue().strip())
        if args.keep:
            print(f"Files kept in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

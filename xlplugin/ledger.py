"""The map of the office workbook (考评台账): every sheet, its columns and who writes it, and the folders 设置 names.

The office workbook is what the office types into and what the verbs write their views into. Every sheet name
and column list is spelled here once; every other module asks this one. A sheet is either the office's (it types
it; `init` writes a sample or an empty table) or a verb's (that verb rewrites it whole each run, other verbs only
read it). Folders for forms, feedback, e-mail and backups are derived from 设置 here too.

The ledger sits below everything that reads or writes the workbook and imports none of it: the folder functions
take the OfficeBook (`book.folder`), the Scheme and a Period duck-typed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

#: a verb's progress callback: progress(done, total); the doors pass a tqdm bar or Excel's status bar, which also
#: have `phase(label)`: the verbs announce each phase that can take a second (see `announce`)
Progress = Callable[[int, int], None]


def announce(progress: Progress | None, label: str) -> None:
    """Tell the user which phase a verb is in (读取考评台账, 计分, 写入考评台账 …), where the door shows phases."""
    phase = getattr(progress, "phase", None)
    if phase is not None:
        phase(label)

OFFICE = "office"  # the office types the sheet; `init` writes a sample or an empty table


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[str, ...]  # in order; () where the verb builds them from the scheme (periods, components)
    owner: str  # OFFICE, or the verb that rewrites the sheet
    optional: frozenset[str] = frozenset()  # columns an office may leave out of a scheme sheet
    needed: bool = True  # a scheme sheet the workbook must have (else only where the scheme uses it)

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------- the scheme
_SCHEME_OPTIONAL = {"跨期计算", "说明", "联系人", "电子邮箱", "承担方式", "佐证要求", "计量单位", "职务", "截止日期", "在编人数",
                    "方向"}


def _scheme(name: str, *columns: str, needed: bool = True) -> Sheet:
    return Sheet(name, columns, OFFICE, frozenset(c for c in columns if c in _SCHEME_OPTIONAL), needed)


#: every scheme sheet ends with an optional 说明 column (never scored): where each number comes from — which
#: sentence of which document, or the office's own choice — so whoever takes the scheme over knows what to change
SETTINGS = _scheme("设置", "项目", "值", "说明")
UNITS = _scheme("单位", "单位代码", "单位名称", "类别", "电子邮箱", "联系人", "在编人数", "说明")
EVALUATORS = _scheme("考评部门", "部门代码", "部门名称", "电子邮箱", "联系人", "说明")
INDICATORS = _scheme("指标", "指标代码", "考评维度", "考评层面", "考评要点", "指标名称", "分值", "计量单位", "目标值",
                     "评分说明", "考评部门", "适用范围", "类型", "承担方式", "佐证要求", "方向", "说明")
COMPONENTS = _scheme("考评方案", "组成部分", "权重(%)", "来源", "指标类型", "计分方式", "跨期计算", "说明")
PERIODS = _scheme("考评期", "考评期", "阶段", "权重(%)", "截止日期", "说明")
GRADES = _scheme("等次", "等次", "最低分", "优秀比例(%)", "说明")
RATER_GRADES = _scheme("评议", "评议等次", "分值", "说明")
RATER_GROUPS = _scheme("评议组", "评议组代码", "评议组名称", "电子邮箱", "联系人", "评议范围", "说明")
LEADERS = _scheme("领导", "领导代码", "姓名", "职务", "类别", "权重(%)", "分管单位", "电子邮箱", "说明")
RANK_POINTS = _scheme("排名分值", "名次", "分值", "说明")
#: 定等分值: the points of each grade a leader may place a unit in (计分方式 领导定等; seed 002: 对县（区）政府评估，要分别
#: 对号到三个等次，相应赋分). A sheet of its own rather than 评议's: the leaders' grades are not the raters' 满意/基本满意
#: /不满意, and an office sets them apart; needed only by a scheme with a 领导定等 component
LEADER_GRADES = _scheme("定等分值", "等次", "分值", "说明", needed=False)
BONUS_KINDS = _scheme("加分", "加分类型", "单项上限", "说明")

#: the scheme's sheets in the order `init` writes them; the first column of each is its key
SCHEME_SHEETS: tuple[Sheet, ...] = (SETTINGS, UNITS, EVALUATORS, INDICATORS, COMPONENTS, PERIODS, GRADES, RATER_GRADES,
                                    RATER_GROUPS, LEADERS, RANK_POINTS, LEADER_GRADES, BONUS_KINDS)

# ------------------------------------------------------------------------------- the office's scoring inputs
#: 绩效办评分: one row per unit and period, then one column per component the office scores directly
OFFICE_SCORES = Sheet("绩效办评分", ("单位代码", "单位名称", "考评期"), OFFICE)
#: 加分审定: `collect` lists every claim found; the office fills 核定分值 and 审定意见, which collect keeps
BONUS = Sheet("加分审定", ("单位代码", "单位名称", "申报项", "加分类型", "事项名称", "申报分值", "佐证材料", "核定分值", "审定意见"),
              "collect")
BONUS_OFFICE_COLUMNS = ("核定分值", "审定意见")
VETO = Sheet("一票否决", ("单位代码", "单位名称", "事由", "审定文号"), OFFICE)
#: 申诉: the appeals the office received and its review of each (复核结论 维持 / 调整; 调整后得分 replaces the score of
#: an indicator, 0 to its 分值, or of a component, 0-100); `score` applies the upheld ones
APPEALS = Sheet("申诉", ("单位代码", "单位名称", "考评期", "指标或组成部分", "申诉理由", "收到日期", "复核结论", "调整后得分",
                       "复核理由", "复核人", "复核日期"), OFFICE)
UPHELD, MAINTAINED = "调整", "维持"  # the review's decisions (复核结论)
#: 方案模拟: an alternative scheme, one change a row (项目 such as 权重:基础工作评估, 值; see xlplugin.whatif)
WHATIF = Sheet("方案模拟", ("项目", "值", "说明"), OFFICE)
#: 统计数据: the statistics bureau's figures, pasted or imported (import-stats); collect compares 实际完成值 with them
STATS = Sheet("统计数据", ("单位代码", "指标代码", "统计值", "来源", "日期"), OFFICE)

# ---------------------------------------------------------------------------------------- verbs' views
#: 提交情况: one row per expected form (and per file that is not a form's); the office may type 接受 in 处理 for a
#: form 待更正, which then counts as it is (collect and score read the column before they rewrite the sheet)
#: 概览: the first tab — next step, forms in, the chase list, grades, the top and bottom (collect and score rewrite it)
OVERVIEW = Sheet("概览", ("板块", "对象", "内容", "联系人", "电子邮箱"), "collect, score")
STATUS = Sheet("提交情况", ("表格类型", "接收方代码", "接收方名称", "状态", "文件", "接收时间", "问题数", "SHA256", "处理"),
               "collect")
ACCEPT = "接受"
ISSUES = Sheet("校验问题", ("文件", "工作表", "单元格", "问题", "处理建议", "级别"), "collect")
#: the marks as collect reads them, one row per cell, with provenance (the record keeps them; export writes them)
MARK_COLUMNS = ("单位代码", "单位名称", "考评期", "来源", "指标代码", "评价者", "项目", "值", "文件", "工作表", "单元格")
#: what each indicator row of the marks view shows: the unit's own items, then its evaluating department's
SELF_ITEMS = ("实际完成值", "自评得分", "情况说明", "佐证材料")
EVALUATOR_ITEMS = ("考评得分", "扣分原因", "弄虚作假")
#: 汇总数据: the current period's marks as a view a person can use — one row per unit × indicator with a column per
#: item, then one row per other item (report fields, bonus claims, rater grades, leader ranks) in 评价者/项目/值
MARKS = Sheet("汇总数据", ("单位代码", "单位名称", "考评期", "指标代码", *SELF_ITEMS, "考评部门", *EVALUATOR_ITEMS,
                       "评价者", "项目", "值"), "collect")
RANKING = Sheet("总排名", (), "score")
DETAIL = Sheet("得分明细", (), "score")
#: 指标得分: 核实 says 未核实 where the score is the unit's own self score (no evaluating department scored it)
INDICATOR_SCORES = Sheet("指标得分", ("单位代码", "考评期", "指标代码", "类型", "分值", "自评得分", "考评得分", "弄虚作假",
                                  "得分", "失分", "扣分原因", "核实"), "score")
UNVERIFIED = "未核实"  # a score used without verification (缺少考评得分时 = 采用自评得分)
DISTRIBUTION = Sheet("等次分布", (), "score")
#: 复核记录: every appeal and its effect on the unit's total, grade and rank (before = as if no appeal were upheld)
REVIEW = Sheet("复核记录", ("单位代码", "单位名称", "考评期", "指标或组成部分", "名称", "申诉理由", "收到日期", "复核结论", "原得分",
                        "调整后得分", "复核理由", "复核人", "复核日期", "复核前总分", "复核后总分", "复核前等次", "复核后等次",
                        "复核前排名", "复核后排名", "影响"), "score")
FEEDBACK = Sheet("反馈", ("单位代码", "单位名称", "类别", "项目", "内容", "数值"), "score")
#: 模拟结果: official against simulated results under 方案模拟's alternative (whatif; never the official sheets)
WHATIF_RESULTS = Sheet("模拟结果", ("单位名称", "单位代码", "类别", "正式总分", "模拟总分", "总分变化", "正式等次", "模拟等次",
                                "正式总排名", "模拟总排名", "名次变化", "正式类别排名", "模拟类别排名", "类别名次变化"), "whatif")
CATEGORY_PREFIX = "排名-"  # one ranking sheet per category, written by score
SEND_LOG = Sheet("发送记录", ("内容", "考评期", "接收方类型", "接收方代码", "接收方名称", "电子邮箱", "文件", "SHA256", "时间",
                          "结果", "说明", "邮件编号"), "send")
FETCH_LOG = Sheet("收件记录", ("收件时间", "发件人", "发件地址", "接收方代码", "主题", "附件", "保存为", "SHA256", "结果",
                           "邮件编号", "读取时间"), "fetch")

#: every sheet with a fixed name, for looking one up and for the tests that hold the map against the code
ALL_SHEETS: tuple[Sheet, ...] = SCHEME_SHEETS + (OFFICE_SCORES, BONUS, VETO, APPEALS, WHATIF, STATS, OVERVIEW, STATUS,
                                                 ISSUES, MARKS, RANKING, DETAIL, INDICATOR_SCORES, DISTRIBUTION, REVIEW,
                                                 FEEDBACK, SEND_LOG, FETCH_LOG, WHATIF_RESULTS)


def category_sheet(category: str) -> str:
    """The ranking sheet of one category (Excel allows 31 characters in a sheet name)."""
    return f"{CATEGORY_PREFIX}{category}"[:31]


def scheme_sheet(name: str) -> Sheet:
    return next(s for s in SCHEME_SHEETS if s.name == name)


# --------------------------------------------------------------------------------------------------- folders
BACKUP_FOLDER = "备份"  # beside the office workbook: a copy before every write
#: the hidden sheet of every generated form (xlplugin.forms.meta): a workbook that has it is a form, never the office's
FORM_META_SHEET = "_meta"
#: 设置's row saying how many backups to keep (besides the first of each day), and its default
BACKUPS_SETTING, BACKUPS_KEPT = "备份保留份数", 20
DEFAULT_RECORD = "考评数据.sqlite"  # the year's record beside the workbook, unless 设置 数据文件 names another
FORMS_FOLDER, FEEDBACK_FOLDER, MAIL_FOLDER = "表格", "反馈", "邮件"  # under <output>/<year><period>/


def _resolve(folder: Path, setting: str) -> Path:
    path = Path(setting)
    return path if path.is_absolute() else folder / path


def submission_folder(book, scheme) -> Path:
    """Where returned files are collected from (设置 提交文件夹, relative to the office workbook)."""
    return _resolve(book.folder, scheme.settings.submit_dir)


def output_folder(book, scheme) -> Path:
    """设置 输出文件夹, relative to the office workbook."""
    return _resolve(book.folder, scheme.settings.output_dir)


def period_folder(book, scheme, period) -> Path:
    """<output folder>/<year><period>: everything the tool writes for one period."""
    return output_folder(book, scheme) / f"{scheme.settings.year}{period.name}"


def forms_folder(book, scheme, period) -> Path:
    return period_folder(book, scheme, period) / FORMS_FOLDER


def feedback_folder(book, scheme, period) -> Path:
    return period_folder(book, scheme, period) / FEEDBACK_FOLDER


def mail_folder(book, scheme, period) -> Path:
    """The send journal and the dry-run previews."""
    return period_folder(book, scheme, period) / MAIL_FOLDER

"""The evaluation scheme: everything the office workbook configures, read and validated in one place.

`load_scheme(book)` reads the office's sheets through the OfficeBook interface and returns a `Scheme`,
or raises `SchemeError` listing every mistake in Chinese with sheet and row. Nothing is generated from
an invalid scheme. No number of the domain is baked in here: weights, points, grades and quotas all come
from the workbook.

One piece (~700 lines) on purpose: the scheme's records and the checks that build them are read together —
each record's fields and the Chinese message for each mistake in it sit side by side.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from . import ledger
from .errors import UserError
from .officebook import OfficeBook
from .values import cell_text

SETTING_KEYS = ["考评机关", "年度", "当前考评期", "基本分", "提交文件夹", "输出文件夹", "截止日期", "加分上限",
                "总分上限", "缺少考评得分时",
                "SMTP服务器", "SMTP端口", "SMTP加密", "发件人", "SMTP用户名", "IMAP服务器", "IMAP端口", "IMAP加密",
                "IMAP用户名", "IMAP文件夹", "联系人", "联系电话", "数据文件", "小数位数", "申诉截止日期", ledger.BACKUPS_SETTING,
                "统计数据容差", "纸张", "签名密钥"]
PAPERS = ("A4", "A3")  # 纸张: the paper the forms are laid out for (forms.printfit)
REQUIRED_SETTINGS = ["考评机关", "年度", "当前考评期", "基本分", "签名密钥"]

SOURCES = ("自评", "考评部门", "评议", "领导", "绩效办")
#: 领导排名: each leader ranks the units overseen, 排名分值 gives each place its points (seed 002, departments);
#: 领导定等: each leader places each unit in a grade, 定等分值 gives each grade its points (seed 002: 对县（区）政府评估，
#: 要分别对号到三个等次，相应赋分)
LEADER_RANK, LEADER_GRADE = "领导排名", "领导定等"
METHODS = ("得分率", "评议平均", LEADER_RANK, LEADER_GRADE, "直接评分")
ACROSS_PERIODS = ("按考评期权重", "各期平均")  # 各期平均: tracking components, the mean of every period scored
INDICATOR_KINDS = ("重点", "共性")
#: 指标's 方向: how the unit form's 完成率 reads the actual value against the target (default: the first)
HIGHER, LOWER, REACH = "越高越好", "越低越好", "达标即满分"
DIRECTIONS = (HIGHER, LOWER, REACH)
STAGES = ("过程", "年终")
ALL = "全部"
SEPARATORS = re.compile(r"[、,，;；\s]+")


@dataclass(frozen=True)
class Settings:
    office: str
    year: int
    period: str
    base: float
    submit_dir: str
    output_dir: str
    deadline: str
    bonus_cap: float | None  # None (left blank): no cap on the bonus total
    smtp_host: str
    smtp_port: int
    smtp_security: str
    sender: str
    contact: str
    phone: str
    key: str
    total_cap: float | None = None  # the scale's limit for total + bonus; None: no limit
    missing_score: str = "采用自评得分"  # or 记零分: an indicator its evaluating department did not score
    record_name: str = ledger.DEFAULT_RECORD  # the year's record, beside the workbook (数据文件)
    decimals: int = 2  # totals are published, graded and ranked at this many decimals (小数位数)
    appeal_deadline: str = ""  # 申诉截止日期
    backups: int = ledger.BACKUPS_KEPT  # backups of the workbook kept besides the first of each day (备份保留份数)
    #: 统计数据容差: how far a unit's 实际完成值 may differ from the statistics bureau's figure (统计数据) before collect
    #: reports it: an absolute amount ("0.5") or, with relative true, a percentage of the bureau's figure ("5%")
    stats_tolerance: float = 0.0
    stats_relative: bool = False
    paper: str = "A4"  # 纸张: A4 or A3, the paper the forms print on (wide tables go two pages across on A4)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    category: str
    email: str | None
    contact: str | None
    staff: int | None
    row: int


@dataclass(frozen=True)
class Evaluator:
    code: str
    name: str
    email: str | None
    contact: str | None
    row: int


@dataclass(frozen=True)
class Indicator:
    code: str
    dimension: str
    level: str
    point: str
    name: str
    max: float
    measure: str
    target: object  # a number for quantitative indicators, text otherwise
    rule: str
    evaluator: str  # an Evaluator's name
    scope: tuple[str, ...]  # ("全部",) or category names and/or unit codes
    kind: str  # 重点 / 共性
    role: str
    evidence: str
    row: int
    direction: str = HIGHER  # 方向: 越高越好 / 越低越好 (完成率 = 目标值 ÷ 实际值) / 达标即满分 (100% once reached)

    def applies_to(self, unit: Unit) -> bool:
        return in_scope(self.scope, unit)


def parse_tolerance(value) -> tuple[float | None, bool]:
    """统计数据容差: "5%" → (5.0, True), "0.5" or 0.5 → (0.5, False), empty → (0.0, False), unusable → (None, False)."""
    text = cell_text(value).replace("％", "%")
    relative = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip()) if text else 0.0
    except ValueError:
        return None, False
    return (number, relative) if number >= 0 else (None, False)


def in_scope(scope: tuple[str, ...], unit: Unit) -> bool:
    """A scope (适用范围, 评议范围) lists 全部, categories or unit codes."""
    return ALL in scope or unit.category in scope or unit.code in scope


@dataclass(frozen=True)
class Component:
    name: str
    weight: float
    source: str
    indicator_kind: str  # 重点 / 共性 / 全部 / "" for non-indicator sources
    method: str
    note: str
    row: int
    across: str = "按考评期权重"


@dataclass(frozen=True)
class Period:
    name: str
    stage: str
    weight: float
    deadline: str
    row: int


@dataclass(frozen=True)
class Grade:
    name: str
    lower: float
    quota: float
    row: int


@dataclass(frozen=True)
class RaterGroup:
    code: str
    name: str
    email: str | None
    contact: str | None
    scope: tuple[str, ...]
    row: int

    def rates(self, unit: Unit) -> bool:
        return in_scope(self.scope, unit)


@dataclass(frozen=True)
class Leader:
    code: str
    name: str
    title: str
    cls: str
    weight: float
    oversees: tuple[str, ...]  # unit codes, or ("全部",)
    email: str | None
    row: int

    def oversees_unit(self, unit: Unit) -> bool:
        return ALL in self.oversees or unit.code in self.oversees


@dataclass(frozen=True)
class BonusKind:
    name: str
    cap: float
    note: str
    row: int


@dataclass(frozen=True)
class Scheme:
    settings: Settings
    units: tuple[Unit, ...]
    evaluators: tuple[Evaluator, ...]
    indicators: tuple[Indicator, ...]
    components: tuple[Component, ...]
    periods: tuple[Period, ...]
    grades: tuple[Grade, ...]
    rater_grades: dict[str, float]
    rater_groups: tuple[RaterGroup, ...]
    leaders: tuple[Leader, ...]
    rank_points: dict[int, float]
    bonus_kinds: tuple[BonusKind, ...]
    leader_grades: dict[str, float] = field(default_factory=dict)  # 定等分值: grade → points, in the sheet's order

    @cached_property
    def leader_grading(self) -> bool:
        """The leaders grade the units (领导定等) rather than rank them: their form asks for a 等次 per unit."""
        return any(c.method == LEADER_GRADE for c in self.components)

    def uses(self, source: str) -> bool:
        """Some component is scored from this source (自评/考评部门/评议/领导/绩效办): only then are its forms sent."""
        return any(c.source == source for c in self.components)

    @cached_property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(u.category for u in self.units))

    @cached_property
    def unit_by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def _indicators_by_unit(self) -> dict[str, tuple[Indicator, ...]]:
        return indicators_by_unit(self.units, self.indicators)

    def indicators_for(self, unit: Unit) -> tuple[Indicator, ...]:
        """The indicators a unit is evaluated on, in the workbook's order (the tree order)."""
        return self._indicators_by_unit[unit.code]

    def assignments_of(self, evaluator: Evaluator) -> list[tuple[Unit, Indicator]]:
        """Every (unit, indicator) pair an evaluating department scores."""
        return [(u, i) for u in self.units for i in self.indicators_for(u) if i.evaluator == evaluator.name]

    def units_rated_by(self, group: RaterGroup) -> list[Unit]:
        return [u for u in self.units if group.rates(u)]

    def units_overseen_by(self, leader: Leader) -> list[Unit]:
        return [u for u in self.units if leader.oversees_unit(u)]

    def period(self, name: str | None = None) -> Period:
        name = name or self.settings.period
        for p in self.periods:
            if p.name == name:
                return p
        known = "、".join(p.name for p in self.periods)
        raise SchemeError([Problem(ledger.PERIODS.name, None, f"没有名为“{name}”的考评期（已有：{known}）。")])


def indicators_by_unit(units, indicators) -> dict[str, tuple[Indicator, ...]]:
    """Each unit's indicators in workbook order, through an index by scope token: checking every unit
    against every indicator takes seconds when a thousand units each have their own key targets."""
    by_token: dict[str, list[int]] = {}
    for n, ind in enumerate(indicators):
        for token in set(ind.scope):
            by_token.setdefault(token, []).append(n)
    out = {}
    for u in units:
        hits = set(by_token.get(ALL, ())) | set(by_token.get(u.category, ())) | set(by_token.get(u.code, ()))
        out[u.code] = tuple(indicators[n] for n in sorted(hits))
    return out


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    message: str

    def __str__(self) -> str:
        where = f"【{self.sheet}】" + (f"第 {self.row} 行：" if self.row else "")
        return where + self.message


class SchemeError(UserError):
    """The office workbook does not describe a usable scheme; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def report(self) -> str:
        head = f"考评台账有 {len(self.problems)} 处问题，请修改后再试："
        return "\n".join([head] + [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)])


# ---------------------------------------------------------------------------------------------- reading


def _split(value) -> tuple[str, ...]:
    return tuple(t for t in SEPARATORS.split(cell_text(value)) if t)


class _Reader:
    """Collects problems while turning sheets into records, so that every mistake is reported at once."""

    def __init__(self, book: OfficeBook):
        self.book = book
        self.problems: list[Problem] = []
        self.names = set(book.sheet_names())

    def problem(self, sheet: str, row: int | None, message: str) -> None:
        self.problems.append(Problem(sheet, row, message))

    def sheet(self, name: str) -> pd.DataFrame:
        spec = ledger.scheme_sheet(name)
        columns = list(spec.columns)
        if name not in self.names and not spec.needed:  # a sheet only some schemes use: checked where used
            return pd.DataFrame(columns=columns)
        if name not in self.names:
            self.problem(name, None, f"缺少工作表“{name}”，应包含列：{'、'.join(columns)}。")
            return pd.DataFrame(columns=columns)
        frame = self.book.read_sheet(name)
        missing = [c for c in columns if c not in frame.columns and c not in spec.optional]
        for c in missing:
            self.problem(name, 1, f"缺少必填列“{c}”（第 1 行为表头）。")
        for c in columns:
            if c not in frame.columns:
                frame[c] = None
        return frame

    def number(self, sheet: str, row: int, column: str, value, *, required=True, minimum=None) -> float | None:
        if value is None or value == "":
            if required:
                self.problem(sheet, row, f"“{column}”不能为空。")
            return None
        if isinstance(value, bool):
            value = None
        elif isinstance(value, (int, float)):
            value = float(value)
        else:
            try:
                value = float(str(value).replace("%", "").replace(",", "").strip())
            except ValueError:
                value = None
        if value is None:
            self.problem(sheet, row, f"“{column}”应为数字。")
            return None
        if minimum is not None and value < minimum:
            self.problem(sheet, row, f"“{column}”不能小于 {minimum:g}。")
        return value

    def required_text(self, sheet: str, row: int, column: str, value) -> str:
        text = cell_text(value)
        if not text:
            self.problem(sheet, row, f"“{column}”不能为空。")
        return text

    def rows(self, sheet: str):
        """(Excel row, cursor) for every row of a scheme sheet; the cursor reads a column and reports in place."""
        for row, rec in self.sheet(sheet).iterrows():
            yield row, _Row(self, sheet, row, rec)

    def unique(self, sheet: str, column: str, items) -> None:
        seen: dict[str, int] = {}
        for key, row in items:
            if key and key in seen:
                self.problem(sheet, row, f"{column}“{key}”重复（与第 {seen[key]} 行相同）。")
            seen.setdefault(key, row)


class _Row:
    """One row of a scheme sheet: its cells by column, checked with the row's sheet and number in every message."""

    __slots__ = ("reader", "sheet", "row", "rec")

    def __init__(self, reader: _Reader, sheet: str, row: int, rec):
        self.reader, self.sheet, self.row, self.rec = reader, sheet, row, rec

    def __getitem__(self, column: str):
        return self.rec[column]

    def text(self, column: str) -> str:
        return cell_text(self.rec[column])

    def required(self, column: str) -> str:
        return self.reader.required_text(self.sheet, self.row, column, self.rec[column])

    def number(self, column: str, **options) -> float | None:
        return self.reader.number(self.sheet, self.row, column, self.rec[column], **options)

    def problem(self, message: str) -> None:
        self.reader.problem(self.sheet, self.row, message)


def load_scheme(book: OfficeBook) -> Scheme:
    """Read and validate the whole scheme; raise SchemeError listing every problem found."""
    r = _Reader(book)
    settings = _settings(r)
    units = _units(r)
    unit_codes = {u.code for u in units}
    categories = {u.category for u in units if u.category}
    evaluators = _evaluators(r)
    indicators = _indicators(r, {e.name for e in evaluators}, unit_codes, categories)
    components = _components(r)
    periods = _periods(r, settings)
    grades = _grades(r)
    rater_grades = _rater_grades(r)
    rater_groups = _rater_groups(r, unit_codes, categories)
    leaders = _leaders(r, unit_codes)
    rank_points = _rank_points(r)
    leader_grades = _leader_grades(r)
    bonus = _bonus(r)
    if settings is not None:
        _check_unit_totals(r, settings.base, units, indicators)
    methods = {c.method for c in components}
    if LEADER_RANK in methods or LEADER_GRADE not in methods:
        _check_rank_table(r, leaders, units, rank_points)
    _check_leader_method(r, components, leader_grades)
    if r.problems:
        raise SchemeError(r.problems)
    return Scheme(settings, tuple(units), tuple(evaluators), tuple(indicators), tuple(components),
                  tuple(periods), tuple(grades), rater_grades, tuple(rater_groups), tuple(leaders),
                  rank_points, tuple(bonus), leader_grades)


def _settings(r: _Reader) -> Settings | None:
    frame = r.sheet(ledger.SETTINGS.name)
    values: dict[str, object] = {}
    rows: dict[str, int] = {}
    for row, rec in frame.iterrows():
        key = cell_text(rec["项目"])
        if key:
            values[key] = rec["值"]
            rows[key] = row
    for key in REQUIRED_SETTINGS:
        if cell_text(values.get(key)) == "":
            r.problem(ledger.SETTINGS.name, rows.get(key), f"缺少设置项“{key}”的值。")
    if any(p.sheet == ledger.SETTINGS.name for p in r.problems):
        return None
    year = r.number(ledger.SETTINGS.name, rows["年度"], "年度", values["年度"])
    base = r.number(ledger.SETTINGS.name, rows["基本分"], "基本分", values["基本分"], minimum=1)
    bonus_cap = r.number(ledger.SETTINGS.name, rows.get("加分上限", 0), "加分上限", values.get("加分上限"), required=False, minimum=0)
    port = r.number(ledger.SETTINGS.name, rows.get("SMTP端口", 0), "SMTP端口", values.get("SMTP端口"), required=False) or 25
    total_cap = r.number(ledger.SETTINGS.name, rows.get("总分上限", 0), "总分上限", values.get("总分上限"), required=False)
    missing = cell_text(values.get("缺少考评得分时")) or "采用自评得分"
    if missing not in ("采用自评得分", "记零分"):
        r.problem(ledger.SETTINGS.name, rows.get("缺少考评得分时"), "“缺少考评得分时”应为“采用自评得分”或“记零分”。")
    decimals = r.number(ledger.SETTINGS.name, rows.get("小数位数", 0), "小数位数", values.get("小数位数"),
                        required=False, minimum=0)
    if decimals is not None and (not float(decimals).is_integer() or decimals > 6):
        r.problem(ledger.SETTINGS.name, rows.get("小数位数"), "“小数位数”应为 0 至 6 的整数。")
        decimals = None
    backups = r.number(ledger.SETTINGS.name, rows.get(ledger.BACKUPS_SETTING, 0), ledger.BACKUPS_SETTING,
                       values.get(ledger.BACKUPS_SETTING), required=False, minimum=1)
    if backups is not None and not float(backups).is_integer():
        r.problem(ledger.SETTINGS.name, rows.get(ledger.BACKUPS_SETTING), f"“{ledger.BACKUPS_SETTING}”应为正整数。")
        backups = None
    tolerance, relative = parse_tolerance(values.get("统计数据容差"))
    if tolerance is None:
        r.problem(ledger.SETTINGS.name, rows.get("统计数据容差"), "“统计数据容差”应为不小于 0 的数（如 0.5）或百分比（如 5%）。")
        tolerance = 0.0
    paper = unicodedata.normalize("NFKC", cell_text(values.get("纸张"))).strip().upper() or "A4"
    if paper not in PAPERS:
        r.problem(ledger.SETTINGS.name, rows.get("纸张"), f"“纸张”应为 {' 或 '.join(PAPERS)}。")
        paper = "A4"
    key = cell_text(values["签名密钥"])
    if len(key) < 16:
        r.problem(ledger.SETTINGS.name, rows["签名密钥"], "签名密钥太短（至少 16 个字符）；可删除此行后重新运行 xlplugin init 生成。")
    return Settings(
        office=cell_text(values["考评机关"]), year=int(year or 0), period=cell_text(values["当前考评期"]),
        base=base or 100.0, submit_dir=cell_text(values.get("提交文件夹")) or "提交",
        output_dir=cell_text(values.get("输出文件夹")) or "输出", deadline=cell_text(values.get("截止日期")),
        bonus_cap=bonus_cap, smtp_host=cell_text(values.get("SMTP服务器")) or "127.0.0.1", smtp_port=int(port),
        smtp_security=cell_text(values.get("SMTP加密")) or "无", sender=cell_text(values.get("发件人")),
        contact=cell_text(values.get("联系人")), phone=cell_text(values.get("联系电话")), key=key,
        total_cap=total_cap, missing_score=missing,
        record_name=cell_text(values.get("数据文件")) or ledger.DEFAULT_RECORD,
        decimals=int(decimals) if decimals is not None else 2, appeal_deadline=cell_text(values.get("申诉截止日期")),
        backups=int(backups) if backups is not None else ledger.BACKUPS_KEPT,
        stats_tolerance=tolerance, stats_relative=relative, paper=paper,
    )


def _units(r: _Reader) -> list[Unit]:
    units = []
    for row, rec in r.rows(ledger.UNITS.name):
        code = rec.required("单位代码")
        name = rec.required("单位名称")
        category = rec.text("类别")
        if not category:
            rec.problem(f"单位“{name or code}”没有填写类别。")
        staff = rec.number("在编人数", required=False, minimum=0)
        units.append(Unit(code, name, category, rec.text("电子邮箱") or None, rec.text("联系人") or None,
                          int(staff) if staff is not None else None, row))
    r.unique(ledger.UNITS.name, "单位代码", [(u.code, u.row) for u in units])
    r.unique(ledger.UNITS.name, "单位名称", [(u.name, u.row) for u in units])
    return units


def _evaluators(r: _Reader) -> list[Evaluator]:
    out = []
    for row, rec in r.rows(ledger.EVALUATORS.name):
        out.append(Evaluator(rec.required("部门代码"), rec.required("部门名称"), rec.text("电子邮箱") or None, rec.text("联系人") or None, row))
    r.unique(ledger.EVALUATORS.name, "部门代码", [(e.code, e.row) for e in out])
    r.unique(ledger.EVALUATORS.name, "部门名称", [(e.name, e.row) for e in out])
    return out


def _indicators(r: _Reader, evaluator_names: set[str], unit_codes: set[str], categories: set[str]) -> list[Indicator]:
    out = []
    sheet = ledger.INDICATORS.name
    for row, rec in r.rows(sheet):
        code = rec.required("指标代码")
        name = rec.required("指标名称")
        points = rec.number("分值")
        if points is not None and points <= 0:
            rec.problem(f"指标“{name}”的分值必须大于 0。")
        evaluator = rec.required("考评部门")
        if evaluator and evaluator not in evaluator_names:
            rec.problem(f"考评部门“{evaluator}”不在“考评部门”表中。")
        scope = _split(rec["适用范围"])
        if not scope:
            rec.problem(f"指标“{name}”没有填写适用范围（填“全部”、类别名称或单位代码）。")
        for token in scope:
            if token != ALL and token not in categories and token not in unit_codes:
                rec.problem(f"适用范围中的“{token}”既不是类别，也不是已有的单位代码。")
        kind = rec.text("类型")
        if kind not in INDICATOR_KINDS:
            rec.problem(f"类型应为“重点”或“共性”，现为“{kind}”。")
        elif kind == "重点" and not any(t in unit_codes for t in scope):
            rec.problem("重点工作目标的适用范围应为该单位的单位代码。")
        if not rec.text("考评维度"):
            rec.problem("“考评维度”不能为空。")
        target = rec["目标值"]
        if isinstance(target, str):
            target = target.strip()
        direction = rec.text("方向") or HIGHER
        if direction not in DIRECTIONS:
            rec.problem(f"方向应为“{'”“'.join(DIRECTIONS)}”之一（不填为“{HIGHER}”），现为“{direction}”。")
        out.append(Indicator(code, rec.text("考评维度"), rec.text("考评层面"), rec.text("考评要点"), name,
                             points or 0.0, rec.text("计量单位"), target, rec.text("评分说明"), evaluator,
                             scope, kind, rec.text("承担方式"), rec.text("佐证要求"), row, direction))
    r.unique(sheet, "指标代码", [(i.code, i.row) for i in out])
    return out


def _check_unit_totals(r: _Reader, base: float, units: list[Unit], indicators: list[Indicator]) -> None:
    applicable = indicators_by_unit(units, indicators)
    for unit in units:
        total = sum(i.max for i in applicable[unit.code])
        if abs(total - base) > 1e-6:
            r.problem(ledger.UNITS.name, unit.row, f"单位“{unit.name}”适用指标的分值合计为 {total:g}，应等于基本分 {base:g}。")


def _check_rank_table(r: _Reader, leaders: list[Leader], units: list[Unit], rank_points: dict[int, float]) -> None:
    """Every rank a leader can give must have points in 排名分值."""
    for leader in leaders:
        n = sum(1 for u in units if leader.oversees_unit(u))
        if n > len(rank_points):
            r.problem(ledger.LEADERS.name, leader.row, f"领导“{leader.name}”分管 {n} 个单位，但“排名分值”表只设定了 "
                                          f"{len(rank_points)} 个名次的分值。")


def _check_leader_method(r: _Reader, components: list[Component], leader_grades: dict[str, float]) -> None:
    """领导定等 needs the grades (定等分值) and the leaders' source; one leader form asks either for ranks or for
    grades, so a scheme uses one of 领导排名 and 领导定等, not both."""
    sheet = ledger.COMPONENTS.name
    grading = [c for c in components if c.method == LEADER_GRADE]
    for c in grading:
        if c.source != "领导":
            r.problem(sheet, c.row, f"计分方式“{LEADER_GRADE}”只用于来源为“领导”的组成部分，现为“{c.source}”。")
    if grading and any(c.method == LEADER_RANK for c in components):
        r.problem(sheet, grading[0].row, f"领导评价只能用一种计分方式：“{LEADER_RANK}”（领导排名次）或“{LEADER_GRADE}”"
                                         "（领导定等次），请只保留一种。")
    if grading and not leader_grades:
        r.problem(ledger.LEADER_GRADES.name, None, f"考评方案中“{grading[0].name}”的计分方式为“{LEADER_GRADE}”，需要工作表"
                                                   f"“{ledger.LEADER_GRADES.name}”列出领导可选的等次及其分值（列：等次、分值）。")


def _weights_total(r: _Reader, sheet: str, rows: list[tuple[float | None, int]]) -> None:
    values = [w for w, _ in rows if w is not None]
    if rows and len(values) == len(rows) and abs(sum(values) - 100) > 1e-6:
        span = f"第 {rows[0][1]}–{rows[-1][1]} 行" if len(rows) > 1 else f"第 {rows[0][1]} 行"
        r.problem(sheet, None, f"{span}的“权重(%)”合计为 {sum(values):g}%，应为 100%。")


def _components(r: _Reader) -> list[Component]:
    sheet = ledger.COMPONENTS.name
    out: list[Component] = []
    for row, rec in r.rows(sheet):
        name = rec.required("组成部分")
        weight = rec.number("权重(%)", minimum=0)
        source = rec.text("来源")
        if source not in SOURCES:
            rec.problem(f"来源应为 {'/'.join(SOURCES)} 之一，现为“{source}”。")
        kind = rec.text("指标类型")
        if source in ("自评", "考评部门") and kind not in (*INDICATOR_KINDS, ALL):
            rec.problem(f"来源为“{source}”时，指标类型应为 重点/共性/全部。")
        method = rec.text("计分方式")
        if method not in METHODS:
            rec.problem(f"计分方式应为 {'/'.join(METHODS)} 之一，现为“{method}”。")
        across = rec.text("跨期计算") or ACROSS_PERIODS[0]
        if across not in ACROSS_PERIODS:
            rec.problem(f"跨期计算应为 {'/'.join(ACROSS_PERIODS)} 之一，现为“{across}”。")
        out.append(Component(name, weight or 0.0, source, kind, method, rec.text("说明"), row, across))
    if not out:
        r.problem(sheet, None, "考评方案至少需要一个组成部分。")
    r.unique(sheet, "组成部分", [(c.name, c.row) for c in out])
    _weights_total(r, sheet, [(c.weight, c.row) for c in out])
    return out


def _periods(r: _Reader, settings: Settings | None) -> list[Period]:
    out = []
    sheet = ledger.PERIODS.name
    for row, rec in r.rows(sheet):
        name = rec.required("考评期")
        stage = rec.text("阶段")
        if stage not in STAGES:
            rec.problem(f"阶段应为“过程”或“年终”，现为“{stage}”。")
        weight = rec.number("权重(%)", minimum=0)
        out.append(Period(name, stage, weight or 0.0, rec.text("截止日期"), row))
    if not out:
        r.problem(sheet, None, "至少需要一个考评期。")
    r.unique(sheet, "考评期", [(p.name, p.row) for p in out])
    _weights_total(r, sheet, [(p.weight, p.row) for p in out])
    if settings and out and settings.period not in {p.name for p in out}:
        r.problem(ledger.SETTINGS.name, None, f"当前考评期“{settings.period}”不在“考评期”表中。")
    return out


def _grades(r: _Reader) -> list[Grade]:
    out = []
    sheet = ledger.GRADES.name
    for row, rec in r.rows(sheet):
        name = rec.required("等次")
        lower = rec.number("最低分", minimum=0)
        quota = rec.number("优秀比例(%)", minimum=0)
        if quota is not None and quota > 100:
            rec.problem("“优秀比例(%)”不能超过 100。")
        out.append(Grade(name, lower if lower is not None else 0.0, quota or 0.0, row))
    if not out:
        r.problem(sheet, None, "至少需要一个等次。")
    for above, below in zip(out, out[1:]):
        if below.lower >= above.lower:
            r.problem(sheet, below.row, f"等次应从高到低排列：“{below.name}”的最低分 {below.lower:g} "
                                        f"应低于上一行“{above.name}”的 {above.lower:g}。")
    r.unique(sheet, "等次", [(g.name, g.row) for g in out])
    return out


def _grade_points(r: _Reader, sheet: str, column: str, most: float | None = None) -> dict[str, float]:
    """A sheet of grades and their points (评议: 评议等次/分值; 定等分值: 等次/分值), in the sheet's order; each name once,
    the points not negative (nor above `most`)."""
    out: dict[str, float] = {}
    rows = []
    for row, rec in r.rows(sheet):
        name = rec.required(column)
        points = rec.number("分值", minimum=0)
        if most is not None and points is not None and points > most:
            rec.problem(f"{column}“{name}”的分值 {points:g} 超过 {most:g}（领导评价按百分制折算）。")
        rows.append((name, row))
        if name:
            out.setdefault(name, points or 0.0)
    r.unique(sheet, column, rows)
    return out


def _rater_grades(r: _Reader) -> dict[str, float]:
    out = _grade_points(r, ledger.RATER_GRADES.name, "评议等次")
    if not out:
        r.problem(ledger.RATER_GRADES.name, None, "至少需要一个评议等次。")
    return out


def _rater_groups(r: _Reader, unit_codes: set[str], categories: set[str]) -> list[RaterGroup]:
    out = []
    sheet = ledger.RATER_GROUPS.name
    for row, rec in r.rows(sheet):
        scope = _split(rec["评议范围"]) or (ALL,)
        for token in scope:
            if token != ALL and token not in categories and token not in unit_codes:
                rec.problem(f"评议范围中的“{token}”既不是类别，也不是已有的单位代码。")
        out.append(RaterGroup(rec.required("评议组代码"),
                              rec.required("评议组名称"),
                              rec.text("电子邮箱") or None, rec.text("联系人") or None, scope, row))
    r.unique(sheet, "评议组代码", [(g.code, g.row) for g in out])
    return out


def _leaders(r: _Reader, unit_codes: set[str]) -> list[Leader]:
    out = []
    sheet = ledger.LEADERS.name
    for row, rec in r.rows(sheet):
        code = rec.required("领导代码")
        name = rec.required("姓名")
        weight = rec.number("权重(%)", minimum=0)
        oversees = _split(rec["分管单位"])
        if not oversees:
            rec.problem(f"领导“{name}”没有填写分管单位（单位代码，或“全部”）。")
        for token in oversees:
            if token != ALL and token not in unit_codes:
                rec.problem(f"分管单位“{token}”不是已有的单位代码。")
        out.append(Leader(code, name, rec.text("职务"), rec.required("类别"),
                          weight or 0.0, oversees, rec.text("电子邮箱") or None, row))
    r.unique(sheet, "领导代码", [(l.code, l.row) for l in out])
    return out


def _rank_points(r: _Reader) -> dict[int, float]:
    out: dict[int, float] = {}
    sheet = ledger.RANK_POINTS.name
    for row, rec in r.rows(sheet):
        rank = rec.number("名次", minimum=1)
        points = rec.number("分值", minimum=0)
        if rank is not None and points is not None:
            if not float(rank).is_integer():
                rec.problem("“名次”应为正整数。")
            elif int(rank) in out:
                rec.problem(f"名次 {int(rank)} 重复。")
            else:
                out[int(rank)] = points
    if out and sorted(out) != list(range(1, len(out) + 1)):
        r.problem(sheet, None, "名次应从 1 开始连续编号。")
    return out


def _leader_grades(r: _Reader) -> dict[str, float]:
    """定等分值: the grades a leader may give a unit (领导定等), each with its points (0-100), in the sheet's order."""
    return _grade_points(r, ledger.LEADER_GRADES.name, "等次", most=100)


def _bonus(r: _Reader) -> list[BonusKind]:
    sheet = ledger.BONUS_KINDS.name
    kinds = [BonusKind(rec.required("加分类型"), rec.number("单项上限", minimum=0) or 0.0, rec.text("说明"), row)
             for row, rec in r.rows(sheet)]
    r.unique(sheet, "加分类型", [(b.name, b.row) for b in kinds])
    return kinds

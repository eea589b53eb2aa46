"""The add-in's ribbon as data: the tab 绩效考评, its groups and its buttons, in order — the one list of buttons.

The build renders the ribbon XML (templates/addin/customUI.xml.j2) from it, and the ribbon door (xlplugin.ribbon)
maps each control id to the verb it runs; tests check that the two agree. Only data here: no handlers, no Excel.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import ledger
from ..samples import SAMPLE_TITLES

#: the VBA callback every button calls (templates/addin/XlpluginRibbon.bas); it hands the id to Python
CALLBACK = "XlpluginRibbon.OnRibbon"


@dataclass(frozen=True)
class Button:
    id: str  # the ribbon control id, what xlplugin.ribbon.on_ribbon receives
    label: str  # as on the ribbon; also the tooltip's title (screentip)
    image: str  # an Office icon (imageMso)
    tip: str  # the tooltip's text (supertip)

    @property
    def screentip(self) -> str:
        return self.label


@dataclass(frozen=True)
class Menu:
    """A large ribbon button that opens a list of buttons (e.g. 初始化台账 → which sample)."""

    id: str
    label: str
    image: str
    tip: str
    items: tuple[Button, ...]

    @property
    def screentip(self) -> str:
        return self.label


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    buttons: tuple[Button | Menu, ...]  # left to right


@dataclass(frozen=True)
class Tab:
    id: str
    label: str
    groups: tuple[Group, ...]

    @property
    def buttons(self) -> tuple[Button, ...]:
        """Every button of the tab that runs something, left to right (a menu's buttons in its place)."""
        return tuple(item for g in self.groups for b in g.buttons
                     for item in (b.items if isinstance(b, Menu) else (b,)))


TAB = Tab("xlpTab", "绩效考评", (
    Group("xlpOffice", "台账", (
        Menu("xlp_init_menu", "初始化台账", "FileNew",
             "在空白工作簿中创建样例考评台账（设置、单位、指标、考评方案等），保存后按本单位方案修改；先选择最接近的样例。", (
                 Button("xlp_init", f"市对部门：{SAMPLE_TITLES['city']}", "FileNew",
                        "市政府对其工作部门的考评（重点目标、共性目标、民主评估、领导评价等八个组成部分）。"),
                 Button("xlp_init_county", f"市对县（区）：{SAMPLE_TITLES['county']}", "FileNew",
                        "市政府对县（区）政府的考评（指标评估、公众评议，领导对每个县（区）定等次）。"),
                 Button("xlp_init_province", f"省对市：{SAMPLE_TITLES['province']}", "FileNew",
                        "省政府对各市政府的考评（千分制，七个维度、十四个层面，考评部门逐项评分）。"),
             )),
    )),
    Group("xlpForms", "表格", (
        Button("xlp_generate", "生成表格", "TableInsert", "为每个被考评单位、考评部门、评议组和领导生成表格，放在输出文件夹。"),
        Button("xlp_send_forms", "发送表格", "FileSendAsAttachment",
               "用电子邮件把各自的表格发给每个接收方，每一封记入发送记录工作表，重发时只补发未成功的。"),
        Button("xlp_collect", "收集汇总", "ImportExcel",
               "读取提交文件夹中发回的表格，逐一校验，汇总到提交情况、校验问题、汇总数据工作表。"),
        Button("xlp_prefill", "更新预填表格", "RefreshAll",
               "按已收集的数据重新生成考评部门评分表（预填各单位的实际完成值、自评得分和情况说明）和领导评价表"
               "（附各单位截至目前的得分）；被考评单位和评议组的表格不变。"),
        Button("xlp_send_updated", "发送更新的表格", "FileSendAsAttachment",
               "用电子邮件把发出后又重新生成（如更新预填表格后）或邮箱地址改过的表格再发一次；其他的不重复发送。"),
    )),
    Group("xlpResults", "结果", (
        Button("xlp_score", "计算排名", "SortDescendingExcel",
               "计分、定等次和排名，写入总排名、分类排名、得分明细、指标得分、等次分布、反馈工作表。"),
        Button("xlp_whatif", ledger.WHATIF.name, "WhatIfAnalysisMenu",
               f"按{ledger.WHATIF.name}工作表中的改动重新计分，与正式结果对照写入{ledger.WHATIF_RESULTS.name}工作表；不改动正式结果。"),
        Button("xlp_feedback", "生成反馈", "ReviewNewComment", "为每个被考评单位生成一份绩效反馈表。"),
        Button("xlp_send_feedback", "发送反馈", "FileSendAsAttachment",
               "用电子邮件把反馈表发给各被考评单位，每一封记入发送记录工作表，重发时只补发未成功的。"),
    )),
    Group("xlpMore", "其他", (
        Button("xlp_open_output", "打开输出文件夹", "FileOpen", "在资源管理器中打开本期的输出文件夹。"),
        Button("xlp_help", "帮助", "Info", "各按钮的用法。"),
    )),
))

#: the ribbon's buttons, left to right
BUTTONS: tuple[Button, ...] = TAB.buttons

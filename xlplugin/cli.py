"""The `xlplugin` command line: the same verbs as the ribbon, on files, on any OS."""
from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from . import __version__, addin, ledger
from .addin.install import NoExcel
from .check import check
from .collect import collect
from .demo import run_demo
from .errors import UserError, unexpected_message, user_message
from .export import export
from .feedback import feedback
from .generate import generate
from .init import init
from .mail import fetch, send
from .mail.config import IMAP_KEYRING_SERVICE, IMAP_PASSWORD_ENV, KEYRING_SERVICE, PASSWORD_ENV
from .mail.message import WHAT
from .officebook import FileOfficeBook
from .samples import SAMPLE_NAMES
from .score import WRITTEN, score
from .stats import import_stats
from .whatif import whatif


#: argparse's error messages (English, from argparse's source) and what the user reads instead
_ARGPARSE_ERRORS = (
    (r"the following arguments are required: (.*)", "缺少必需的参数：{0}"),
    (r"argument (.+?): invalid choice: (.*?) \(choose from (.*)\)", "{0} 的值 {1} 无效，可选：{2}"),
    (r"argument (.+?): invalid (int|float) value: (.*)", "{0} 的值 {2} 无效，应为数字"),
    (r"argument (.+?): invalid (\w+) value: (.*)", "{0} 的值 {2} 无效"),
    (r"argument (.+?): expected one argument", "{0} 后面缺少一个值"),
    (r"argument (.+?): expected at least one argument", "{0} 后面至少需要一个值"),
    (r"argument (.+?): expected at most one argument", "{0} 后面至多只能有一个值"),
    (r"argument (.+?): expected (\d+) arguments?", "{0} 后面需要 {1} 个值"),
    (r"argument (.+?): ignored explicit argument (.*)", "{0} 不接受值 {1}"),
    (r"argument (.+?): not allowed with argument (.*)", "{0} 不能与 {1} 同时使用"),
    (r"unrecognized arguments: (.*)", "无法识别的参数：{0}"),
    (r"ambiguous option: (.*?) could match (.*)", "选项 {0} 不明确，可能是：{1}"),
    (r"one of the arguments (.*) is required", "须给出其中一个参数：{0}"),
)


def argparse_message(message: str) -> str:
    """argparse's English error message in Chinese (argument names and values as typed)."""
    for pattern, chinese in _ARGPARSE_ERRORS:
        m = re.fullmatch(pattern, message, re.S)
        if m:
            return chinese.format(*m.groups())
    return message


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse in Chinese: its usage line, section titles and -h; its errors through `argparse_message`."""

    def __init__(self, *args, add_help: bool = True, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message):  # argparse's own messages are English; say it in Chinese
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{argparse_message(message)}\n（运行 xlplugin -h 查看用法）\n")


class _Progress:
    """The verbs' progress on the terminal: a line per phase, a tqdm bar while files or units are counted."""

    def __init__(self, desc: str):
        self.desc, self.bar = desc, None

    def phase(self, label: str) -> None:
        self._close()
        self.desc = label
        if sys.stderr.isatty():
            print(f"{label}……", file=sys.stderr, flush=True)

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.desc, unit="份", ncols=80, file=sys.stderr,
                            disable=None)  # disabled when stderr is not a terminal
        self.bar.update(done - self.bar.n)
        if done >= total:
            self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _progress(desc: str) -> _Progress:
    return _Progress(desc)


def cmd_init(args) -> int:
    path = init(args.path, args.sample, overwrite=args.force)
    print(f"已创建考评台账：{path}（样例：{args.sample}）")
    print("下一步：检查并修改各工作表，然后运行  xlplugin generate " + str(args.path))
    return 0


def cmd_generate(args) -> int:
    kinds = [args.kind] if args.kind else None
    result = generate(FileOfficeBook(args.office), args.period, kinds, progress=_progress("生成表格"))
    print(result.summary())
    return 0


def _backup_line(book: FileOfficeBook) -> None:
    if book.latest_backup is not None:
        print(f"改写前的台账已备份为：{book.latest_backup}")


def cmd_collect(args) -> int:
    book = FileOfficeBook(args.office)
    result = collect(book, Path(args.source) if args.source else None, args.period, progress=_progress("收集表格"))
    print(f"收集文件夹：{result.folder}")
    print(result.summary())
    for line in result.error_lines(args.show):
        print(f"  · {line}" if not line.startswith("……") else f"  {line}")
    if result.prefill:
        print(f"下一步：xlplugin generate {args.office} --kind evaluator 可将各单位自评情况预填进考评部门表，"
              f"再用 xlplugin send {args.office} --what forms --resend-updated 发给尚未交表的考评部门。")
    _backup_line(book)
    return 0


def cmd_score(args) -> int:
    book = FileOfficeBook(args.office)
    scored = score(book, progress=_progress("计分"))
    print(f"{scored.summary()}，结果写入考评台账（{WRITTEN}）。")
    print(f"前 {min(args.top, len(scored.ranking))} 名：")
    for line in scored.top_lines(args.top):
        print(f"  {line}")
    _backup_line(book)
    return 0


def cmd_whatif(args) -> int:
    result = whatif(FileOfficeBook(args.office), progress=_progress(ledger.WHATIF.name))
    print(result.summary())
    print(f"结果写入考评台账（{ledger.WHATIF_RESULTS.name}）；正式结果和考评数据文件没有改动。")
    return 0


def cmd_import_stats(args) -> int:
    mapping = {}
    for pair in args.map or []:
        ours, sep, theirs = pair.replace("＝", "=").partition("=")
        if not sep:
            raise UserError(f"--map 应写成 我方列名=文件列名，如 统计值=本期数：{pair}")
        mapping[ours.strip()] = theirs.strip()
    n = import_stats(FileOfficeBook(args.office), Path(args.file), mapping, args.source)
    print(f"已导入 {n} 条统计数据到考评台账（{ledger.STATS.name}）；下次收集汇总时与各单位的实际完成值核对。")
    return 0


def cmd_feedback(args) -> int:
    result = feedback(FileOfficeBook(args.office), args.period, progress=_progress("生成反馈"))
    print(result.summary())
    if result.paths:
        print(f"如：{result.paths[0].name}。每个单位一份，只读，可直接打印或通过电子邮件发给各单位。")
    return 0


def cmd_export(args) -> int:
    result = export(FileOfficeBook(args.office), args.marks, args.period)
    print(result.summary())
    return 0


def cmd_check(args) -> int:
    print(check(FileOfficeBook(args.office)).summary())
    return 0


def _print_result(result, show: int, sheet: str) -> None:
    """A verb's summary, then at most `show` of its details; the rest are in the office workbook's `sheet`."""
    print(result.summary())
    details = result.details()
    for line in details[:show]:
        print(f"  · {line}")
    if len(details) > show:
        print(f"  …… 另有 {len(details) - show} 条，见考评台账“{sheet}”工作表。")


def cmd_send(args) -> int:
    kinds = [args.kind] if getattr(args, "kind", None) else None
    resend = [c for part in (args.resend or []) for c in re.split(r"[,，、\s]+", part) if c]
    result = send(FileOfficeBook(args.office), args.what, args.period, dry_run=args.dry_run, kinds=kinds,
                  resend=resend, resend_updated=args.resend_updated,
                  progress=_progress("发送邮件" if not args.dry_run else "生成预览"))
    _print_result(result, args.show, ledger.SEND_LOG.name)
    if not result.dry_run and (result.sent or result.failed or result.unknown):
        print(f"发送情况已记入考评台账“{ledger.SEND_LOG.name}”工作表。")
    return 0 if result.ok else 1


def cmd_fetch(args) -> int:
    since = None
    if args.since:
        try:
            since = datetime.strptime(args.since, "%Y-%m-%d")
        except ValueError:
            raise UserError(f"--since 应为日期，如 2027-01-01，现为“{args.since}”。") from None
    result = fetch(FileOfficeBook(args.office), progress=_progress("收取邮件"), since=since)
    _print_result(result, args.show, ledger.FETCH_LOG.name)
    if result.stored:
        print(f"下一步：xlplugin collect {args.office}")
    return 0


def cmd_demo(args) -> int:
    run_demo(Path(args.dir), sample=args.sample)
    return 0


def cmd_addin_build(args) -> int:
    path = addin.build(args.output)
    print(f"已生成加载项：{path}")
    return 0


def cmd_addin_install(args) -> int:
    try:
        installed = addin.install()
    except NoExcel as e:
        print(e, file=sys.stderr)
        return 1
    print(installed.summary())
    return 0


KIND_CHOICES = {"unit": "被考评单位", "evaluator": "考评部门", "rater": "评议组", "leader": "领导"}


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="xlplugin", description="政府绩效评估：生成、收集、计分与反馈。台账（考评台账.xlsx）是唯一的配置。")
    p.add_argument("--version", action="version", version=f"xlplugin {__version__}", help="显示版本号并退出")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    s = sub.add_parser("init", help="创建样例考评台账", description="创建一份样例考评台账（含新生成的签名密钥）。")
    s.add_argument("path", metavar="台账文件", help="台账文件路径，如 考评台账.xlsx")
    s.add_argument("--sample", choices=SAMPLE_NAMES, default="city",
                   help="city：市对部门（松原方案，领导排名）；province：省对市（辽宁千分制）；"
                        "county：市对县（区）政府（松原方案，领导定等）")
    s.add_argument("--force", action="store_true", help="覆盖已存在的文件")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("check", help="校验考评台账", description="只校验考评台账，不生成任何文件。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("generate", help="生成各类表格", description="为每个被考评单位、考评部门、评议组和领导生成表格。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.add_argument("--period", metavar="考评期", help="考评期（默认取“设置”中的当前考评期）")
    s.add_argument("--kind", choices=tuple(KIND_CHOICES), help="只生成一类：" + "，".join(f"{k}={v}" for k, v in KIND_CHOICES.items()))
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("collect", help="收集并校验发回的表格",
                       description="读取提交文件夹中的全部文件，逐一校验，把数据汇总到考评台账（提交情况、校验问题、汇总数据）。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.add_argument("--from", dest="source", metavar="文件夹", help="提交文件夹（默认取“设置”中的提交文件夹）")
    s.add_argument("--period", metavar="考评期", help="考评期（默认取“设置”中的当前考评期）")
    s.add_argument("--show", type=int, default=20, metavar="条数", help="在屏幕上列出的错误条数（默认 20）")
    s.set_defaults(func=cmd_collect)

    s = sub.add_parser("score", help="计分、定等次和排名", description="按考评方案计算得分、加分、一票否决、等次、分类排名和优秀比例，写回考评台账。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.add_argument("--top", type=int, default=10, metavar="名次数", help="在屏幕上列出的名次数（默认 10）")
    s.set_defaults(func=cmd_score)

    s = sub.add_parser("whatif", help="方案模拟：换一种方案，看排名怎样变化",
                       description=f"按“{ledger.WHATIF.name}”工作表中的改动（组成部分权重、考评期权重、等次下限、优秀比例、"
                                   f"缺少考评得分时）重新计分，与正式结果对照写入“{ledger.WHATIF_RESULTS.name}”；"
                                   "不改动正式结果和考评数据文件。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.set_defaults(func=cmd_whatif)

    s = sub.add_parser("import-stats", help="导入统计部门的数据",
                       description=f"把统计部门提供的数据（.xlsx 或 .csv）导入考评台账的“{ledger.STATS.name}”工作表"
                                   "（单位代码、指标代码、统计值、来源、日期）；同一单位同一指标的旧数据被替换。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.add_argument("file", metavar="文件", help="统计数据文件（.xlsx 或 .csv）")
    s.add_argument("--map", action="append", metavar="我方列名=文件列名",
                   help="列的对应关系，可多次使用，如 --map 统计值=本期数（默认按同名列）")
    s.add_argument("--source", metavar="来源", help="文件中没有“来源”列时填写的来源，如 市统计局")
    s.set_defaults(func=cmd_import_stats)

    s = sub.add_parser("feedback", help="生成各单位的绩效反馈表",
                       description="按考评方案计分，为每个被考评单位生成一份绩效反馈表（得分、排名、等次、失分原因、图表和综合评价），"
                                   "输出到 输出/<年度><考评期>/反馈/。综合评价的文字来自 templates/feedback/narrative.txt.j2，可直接修改。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.add_argument("--period", metavar="考评期", help="考评期（用于文件夹和文件名，默认取“设置”中的当前考评期）")
    s.set_defaults(func=cmd_feedback)

    s = sub.add_parser("export", help="导出全年数据", description="把考评数据文件中全年每个考评期的现行数据（每个数据及其来源：文件、"
                       "工作表、单元格）导出为一张长表：.csv（UTF-8 带 BOM，Excel 可直接打开）或 .xlsx。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.add_argument("--marks", required=True, metavar="文件", help="导出到的文件，如 全年数据.csv 或 全年数据.xlsx")
    s.add_argument("--period", metavar="考评期", help="只导出这个考评期（默认导出全部考评期）")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser(
        "send", help="通过电子邮件发送表格或反馈",
        description="给每个接收方发一封邮件，附上其表格（--what forms）或绩效反馈表（--what feedback）。主题和正文来自 "
                    "templates/mail/，可直接修改。已发送的不会重发；失败的再次运行时重发。密码取自环境变量 "
                    f"{PASSWORD_ENV} 或系统密码库（{KEYRING_SERVICE}），不写入台账。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.add_argument("--what", choices=tuple(WHAT), required=True, help="forms=表格，feedback=绩效反馈表")
    s.add_argument("--period", metavar="考评期", help="考评期（默认取“设置”中的当前考评期）")
    s.add_argument("--kind", choices=tuple(KIND_CHOICES), help="只发一类接收方：" + "，".join(f"{k}={v}" for k, v in KIND_CHOICES.items()))
    s.add_argument("--dry-run", action="store_true", help="不连接邮件服务器，只在输出文件夹中生成 .eml 预览邮件")
    s.add_argument("--resend", action="append", metavar="代码",
                   help="对这些接收方（代码，逗号分隔）再发一次，即使已发送过或结果不明")
    s.add_argument("--resend-updated", action="store_true",
                   help="已发送过、此后表格重新生成（如收集后更新预填表格）或邮箱地址改过的，再发一次")
    s.add_argument("--show", type=int, default=20, metavar="条数", help="在屏幕上列出的问题条数（默认 20）")
    s.set_defaults(func=cmd_send)

    s = sub.add_parser(
        "fetch", help="从收件邮箱取回发回的表格",
        description="读取绩效办收件邮箱（IMAP，只读，不改动邮件），把考评台账中已登记邮箱发来的表格附件保存到提交文件夹，"
                    "按发件单位分文件夹；其他发件人的邮件只列出、不保存。重复运行不会重复保存。服务器等设置见考评台账“设置”"
                    f"（IMAP服务器、IMAP端口、IMAP加密、IMAP用户名、IMAP文件夹）；密码取自环境变量 {IMAP_PASSWORD_ENV} "
                    f"或系统密码库（{IMAP_KEYRING_SERVICE}）。")
    s.add_argument("office", metavar="台账", help="考评台账文件")
    s.add_argument("--since", metavar="日期", help="只看这一天及以后收到的邮件，如 2027-01-01")
    s.add_argument("--show", type=int, default=20, metavar="条数", help="在屏幕上列出的条数（默认 20）")
    s.set_defaults(func=cmd_fetch)

    s = sub.add_parser("demo", help="用样例跑一遍完整流程", description="在指定文件夹中用样例（默认 city）运行目前已有的全部流程。")
    s.add_argument("dir", nargs="?", default="demo", metavar="文件夹", help="输出文件夹（默认 ./demo）")
    s.add_argument("--sample", choices=SAMPLE_NAMES, default="city",
                   help="city：市政府工作部门（领导排名）；county：县（区）政府（领导定等）；province：省对市（千分制）")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("addin", help="Excel 加载项：生成或安装",
                       description="Excel 加载项（功能区“绩效考评”选项卡）。build 生成 workbooks/xlplugin.xlam；"
                                   "install 把它安装到本机 Excel（Windows、macOS）。")
    actions = s.add_subparsers(dest="addin_command", metavar="操作", required=True)
    a = actions.add_parser("build", help="由 templates/addin 中的文本生成加载项", description="生成 xlplugin.xlam（任何系统都可运行）。")
    a.add_argument("--output", metavar="文件", help="输出文件（默认 workbooks/xlplugin.xlam）")
    a.set_defaults(func=cmd_addin_build)
    a = actions.add_parser("install", help="安装到本机 Excel", description="把加载项放到 Excel 启动时加载的文件夹，并设置使用当前的 Python。")
    a.set_defaults(func=cmd_addin_install)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback: the Chinese sentence, and for a bug the details in a log file
        message = user_message(e)
        print(message if message is not None else unexpected_message(e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

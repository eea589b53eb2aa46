"""The `xlplugin` command line: the same verbs as the ribbon, on files, on any OS."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own messages are English; say it in Chinese
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{message}\n（运行 xlplugin -h 查看用法）\n")


def _progress(desc: str):
    """A tqdm bar fed by the verbs' progress(done, total) callback."""
    from tqdm import tqdm

    state: dict = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=desc, unit="份", ncols=80, file=sys.stderr,
                                      disable=None)  # disabled when stderr is not a terminal
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def cmd_init(args) -> int:
    from .init import init

    path = init(args.path, args.sample, overwrite=args.force)
    print(f"已创建考评台账：{path}（样例：{args.sample}）")
    print("下一步：检查并修改各工作表，然后运行  xlplugin generate " + str(args.path))
    return 0


def cmd_generate(args) -> int:
    from .generate import generate
    from .officebook import FileOfficeBook

    kinds = [args.kind] if args.kind else None
    result = generate(FileOfficeBook(args.office), args.period, kinds, progress=_progress("生成表格"))
    print(result.summary())
    return 0


def cmd_collect(args) -> int:
    from .collect import collect
    from .officebook import FileOfficeBook

    result = collect(FileOfficeBook(args.office), Path(args.source) if args.source else None, args.period,
                     progress=_progress("收集表格"))
    print(f"收集文件夹：{result.folder}")
    print(result.summary())
    errors = result.issues[result.issues["级别"] == "错误"]
    for row in errors.head(args.show).itertuples(index=False):
        where = "，".join(x for x in (row.文件, row.工作表, row.单元格) if isinstance(x, str))
        print(f"  · {where}：{row.问题}")
    if len(errors) > args.show:
        print(f"  …… 另有 {len(errors) - args.show} 个错误，见考评台账“校验问题”工作表。")
    return 0


def cmd_score(args) -> int:
    from .officebook import FileOfficeBook
    from .score import WRITTEN, score

    scored = score(FileOfficeBook(args.office))
    print(f"{scored.summary()}，结果写入考评台账（{WRITTEN}）。")
    print(f"前 {min(args.top, len(scored.ranking))} 名：")
    for line in scored.top_lines(args.top):
        print(f"  {line}")
    return 0


def cmd_feedback(args) -> int:
    from .feedback import feedback
    from .officebook import FileOfficeBook

    result = feedback(FileOfficeBook(args.office), args.period, progress=_progress("生成反馈"))
    print(result.summary())
    if result.paths:
        print(f"如：{result.paths[0].name}。每个单位一份，只读，可直接打印或通过电子邮件发给各单位。")
    return 0


def cmd_check(args) -> int:
    from .officebook import FileOfficeBook
    from .scheme import load_scheme

    scheme = load_scheme(FileOfficeBook(args.office))
    print(f"考评台账校验通过：{len(scheme.units)} 个被考评单位，{len(scheme.indicators)} 项指标，"
          f"{len(scheme.evaluators)} 个考评部门，{len(scheme.rater_groups)} 个评议组，{len(scheme.leaders)} 位领导。")
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    run_demo(Path(args.dir))
    return 0


KIND_CHOICES = {"unit": "被考评单位", "evaluator": "考评部门", "rater": "评议组", "leader": "领导"}


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="xlplugin", description="政府绩效评估：生成、收集、计分与反馈。台账（考评台账.xlsx）是唯一的配置。")
    p.add_argument("--version", action="version", version=f"xlplugin {__version__}")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    s = sub.add_parser("init", help="创建样例考评台账", description="创建一份样例考评台账（含新生成的签名密钥）。")
    s.add_argument("path", help="台账文件路径，如 考评台账.xlsx")
    s.add_argument("--sample", choices=("city", "province"), default="city",
                   help="city：市对部门（松原方案）；province：省对市（辽宁千分制）")
    s.add_argument("--force", action="store_true", help="覆盖已存在的文件")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("check", help="校验考评台账", description="只校验考评台账，不生成任何文件。")
    s.add_argument("office", help="考评台账文件")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("generate", help="生成各类表格", description="为每个被考评单位、考评部门、评议组和领导生成表格。")
    s.add_argument("office", help="考评台账文件")
    s.add_argument("--period", help="考评期（默认取“设置”中的当前考评期）")
    s.add_argument("--kind", choices=tuple(KIND_CHOICES), help="只生成一类：" + "，".join(f"{k}={v}" for k, v in KIND_CHOICES.items()))
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("collect", help="收集并校验发回的表格",
                       description="读取提交文件夹中的全部文件，逐一校验，把数据汇总到考评台账（提交情况、校验问题、汇总数据）。")
    s.add_argument("office", help="考评台账文件")
    s.add_argument("--from", dest="source", help="提交文件夹（默认取“设置”中的提交文件夹）")
    s.add_argument("--period", help="考评期（默认取“设置”中的当前考评期）")
    s.add_argument("--show", type=int, default=20, help="在屏幕上列出的错误条数（默认 20）")
    s.set_defaults(func=cmd_collect)

    s = sub.add_parser("score", help="计分、定等次和排名", description="按考评方案计算得分、加分、一票否决、等次、分类排名和优秀比例，写回考评台账。")
    s.add_argument("office", help="考评台账文件")
    s.add_argument("--top", type=int, default=10, help="在屏幕上列出的名次数（默认 10）")
    s.set_defaults(func=cmd_score)

    s = sub.add_parser("feedback", help="生成各单位的绩效反馈表",
                       description="按考评方案计分，为每个被考评单位生成一份绩效反馈表（得分、排名、等次、失分原因、图表和综合评价），"
                                   "输出到 输出/<年度><考评期>/反馈/。综合评价的文字来自 templates/feedback/narrative.txt.j2，可直接修改。")
    s.add_argument("office", help="考评台账文件")
    s.add_argument("--period", help="考评期（用于文件夹和文件名，默认取“设置”中的当前考评期）")
    s.set_defaults(func=cmd_feedback)

    from .fetch import register as register_fetch
    from .mail import register as register_send

    register_send(sub)
    register_fetch(sub)

    s = sub.add_parser("demo", help="用样例跑一遍完整流程", description="在指定文件夹中用 city 样例运行目前已有的全部流程。")
    s.add_argument("dir", nargs="?", default="demo", help="输出文件夹（默认 ./demo）")
    s.set_defaults(func=cmd_demo)
    from .addin import register as register_addin

    register_addin(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from .scheme import SchemeError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except SchemeError as e:
        print(e.report(), file=sys.stderr)
        return 1
    except (FileNotFoundError, FileExistsError, ValueError, PermissionError) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

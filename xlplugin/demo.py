"""demo: the whole cycle, as far as it exists, on the bundled city sample."""
from __future__ import annotations

import time
from pathlib import Path

import random

from . import ledger
from .collect import collect
from .feedback import feedback
from .generate import generate
from .mail import send
from .officebook import FileOfficeBook
from .init import init
from .scheme import load_scheme
from .score import WRITTEN, score
from .simulate import simulate_office, simulate_returns

OFFICE_NAME = "考评台账.xlsx"


def demo_send(book: FileOfficeBook, what: str, say=print) -> None:
    """The demo's e-mail step: a dry run, so no server is needed; previews are written as .eml files."""
    result = send(book, what, dry_run=True)
    say(f"　　{result.summary()}")
    if result.previews:
        say(f"　　如 {result.previews[0].name}（可用 Outlook、Foxmail、Thunderbird 等打开）")
    for line in result.details()[:5]:
        say(f"　　· {line}")


def run_demo(folder: Path, say=print) -> dict:
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    office = folder / OFFICE_NAME
    started = time.perf_counter()

    say("【1/9】创建样例考评台账（city：松原市政府工作部门）")
    init(office, "city", overwrite=True)
    book = FileOfficeBook(office)
    scheme = load_scheme(book)
    say(f"　　{office}")
    say(f"　　{len(scheme.units)} 个被考评单位（{'、'.join(scheme.categories)}），{len(scheme.indicators)} 项指标，"
        f"{len(scheme.evaluators)} 个考评部门，{len(scheme.rater_groups)} 个评议组，{len(scheme.leaders)} 位领导")

    say("【2/9】生成表格")
    result = generate(book)
    say(f"　　{result.summary()}")
    for sub in sorted({p.parent for p in result.paths}):
        files = sorted(p.name for p in result.paths if p.parent == sub)
        say(f"　　{sub.relative_to(folder)}/  {len(files)} 份，如 {files[0]}")
    say("【3/9】发送表格（试发送：不连接邮件服务器，生成可用邮件客户端打开的 .eml 预览）")
    demo_send(book, "forms", say)

    say("【4/9】模拟各单位填表并发回（含逾期、缺交和各种常见错误）")
    folder_in = ledger.submission_folder(book, scheme)
    if folder_in.exists():
        import shutil

        shutil.rmtree(folder_in)
    for note in simulate_returns(scheme, result.paths, folder_in, random.Random(2026)):
        say(f"　　· {note}")

    say("【5/9】收集、校验并汇总")
    collected = collect(book)
    say(f"　　{collected.summary()}")
    for line in collected.error_lines(12):
        say(f"　　· {line}" if not line.startswith("……") else f"　　{line}")
    say(f"　　结果已写入 {office.name} 的“提交情况”“校验问题”“汇总数据”工作表。")
    say("【6/9】绩效办录入直接评分、审定加分、记录一票否决（模拟）")
    book = FileOfficeBook(office)
    for note in simulate_office(book, scheme, random.Random(7)):
        say(f"　　· {note}")

    say("【7/9】计分、排名")
    scored = score(book)
    say(f"　　结果已写入 {office.name}：{WRITTEN}。前 10 名：")
    for line in scored.top_lines(10, layout="columns"):
        say(f"　　{line}")
    say("【8/9】生成各单位绩效反馈表")
    fed = feedback(book)
    say(f"　　{fed.summary()}")
    if fed.paths:
        say(f"　　{fed.folder.relative_to(folder)}/  {len(fed.paths)} 份，如 {fed.paths[0].name}")
    say("【9/9】发送反馈（试发送）")
    demo_send(book, "feedback", say)
    say(f"完成，用时 {time.perf_counter() - started:.1f} 秒。")
    return {"office": office, "forms": result.paths, "collected": collected, "scored": scored, "feedback": fed}

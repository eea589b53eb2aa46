"""demo (front door): the whole year on a bundled sample (default city; `county` has its leaders grade each county
into 等次) — a process period (半年) and 年终 — in a folder.

Creates the office workbook, then for each period generates the forms, plays the clerks who fill and return
them (some late, some missing, some with the mistakes a collector must catch), collects, plays the office's own
inputs and scores; after 半年 the result is interim, after 年终 it is the year's. Then feedback and e-mail as a
dry run (.eml previews, no server). Everything it calls is the library's; it prints what happened in Chinese.
"""
from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pandas as pd

from . import ledger
from .collect import collect
from .export import export
from .feedback import feedback
from .forms import leader as leader_form
from .forms.read import FormFile, read_grid, read_meta
from .generate import generate
from .init import init
from .mail import send
from .officebook import FileOfficeBook
from .samples import SAMPLE_TITLES
from .scheme import load_scheme
from .score import WRITTEN, score
from .margins import close_calls
from .simulate import simulate_appeal, simulate_leaders, simulate_office, simulate_returns
from .stats import deviations, read_stats
from .whatif import whatif

OFFICE_NAME = "考评台账.xlsx"


def demo_send(book: FileOfficeBook, what: str, say=print, period: str | None = None) -> None:
    """The demo's e-mail step: a dry run, so no server is needed; previews are written as .eml files."""
    result = send(book, what, period, dry_run=True)
    say(f"　　{result.summary()}")
    if result.previews:
        say(f"　　如 {result.previews[0].name}（可用 Outlook、Foxmail、Thunderbird 等打开）")
    for line in result.details()[:5]:
        say(f"　　· {line}")


def demo_leaders(book: FileOfficeBook, scheme, period: str, folder: Path, rng: random.Random, say=print,
                 detailed: bool = True):
    """The leaders' round: their forms made again now that the other components are collected (each unit's scores
    so far beside the ranks), filled and returned, and collected with the rest."""
    made = generate(book, period, kinds=["leader"])
    say(f"　　{made.summary()}")
    if detailed:
        say(f"　　{so_far_line(made.paths[0])}")
    for note in simulate_leaders(scheme, made.paths, folder, rng, period):
        say(f"　　· {note}")
    collected = collect(book, folder, period)
    for line in collected.summary().splitlines():
        say(f"　　{line}")
    # the leaders' problems only: the others' were told in the round before
    for line in collected.error_lines(12 if detailed else 3, files={p.name for p in made.paths}):
        say(f"　　· {line}" if not line.startswith("……") else f"　　{line}")
    return collected


def so_far_line(path: Path) -> str:
    """One unit's scores so far as its leader form shows them, for the demo to print."""
    form = FormFile(path)
    spec = leader_form.spec_for(form.sheet_names)
    rows = read_grid(form, spec.grids[0], read_meta(form))
    _, _, cells = rows[0]
    parts = [f"{c.header} {cells[c.key]:.2f}" for c in leader_form.FACTS
             if isinstance(cells.get(c.key), (int, float)) and c.key != "so_far"]
    total = cells.get("so_far")
    shown = f"，合计 {total:.2f}" if isinstance(total, (int, float)) else ""
    return (f"如 {path.name}：{cells['unit_name']} " + "、".join(parts) + shown
            + f"（{cells.get('status') or '尚无数据'}）")


def demo_whatif(book: FileOfficeBook, scheme, say=print):
    """方案模拟: five points of weight moved to the largest component the evaluating departments score from the
    largest other one (the weights still add up to 100), and how the ranking moves."""
    scored = max((c for c in scheme.components if c.source == "考评部门"), key=lambda c: c.weight)
    other = max((c for c in scheme.components if c is not scored and c.source != "自评"), key=lambda c: c.weight,
                default=None)
    sheet = book.read_sheet(ledger.WHATIF.name).reset_index(drop=True)
    if other is not None:
        shift = min(5.0, other.weight)
        sheet.loc[sheet["项目"] == f"权重:{scored.name}", "值"] = scored.weight + shift
        sheet.loc[sheet["项目"] == f"权重:{other.name}", "值"] = other.weight - shift
    else:  # one component (the province): a stricter top grade instead
        top = scheme.grades[0]
        sheet.loc[sheet["项目"] == f"等次下限:{top.name}", "值"] = top.lower + scheme.settings.base / 50
    book.write_sheets({ledger.WHATIF.name: sheet})
    result = whatif(book)
    for line in result.summary().splitlines():
        say(f"　　{line}")
    table = result.table
    changed = table[(table["总分变化"] != 0) | (table["正式等次"] != table["模拟等次"])]
    for r in changed.head(3).itertuples(index=False):
        grade = f"，{r.正式等次} → {r.模拟等次}" if r.正式等次 != r.模拟等次 else ""
        say(f"　　· {r.单位名称}：{r.正式总分:.2f} → {r.模拟总分:.2f}，第 {r.正式总排名} 名 → 第 {r.模拟总排名} 名{grade}")
    return result


def demo_stats(book: FileOfficeBook, scheme, marks, say=print) -> list:
    """统计数据: the bureau's figures for three reported values, two of them off by more than the tolerance."""
    own = marks[(marks["项目"] == "实际完成值") & (marks["来源"] == "自评")]
    own = own[pd.to_numeric(own["值"], errors="coerce").abs() > 10].head(3)
    factors = (1.2, 0.8, 1.01)
    rows = [[r.单位代码, r.指标代码, round(float(r.值) * f, 2), "市统计局", f"{scheme.settings.year + 1}-01-10"]
            for r, f in zip(own.itertuples(index=False), factors)]
    book.write_sheets({ledger.STATS.name: pd.DataFrame(rows, columns=list(ledger.STATS.columns))})
    found = deviations(scheme, marks, read_stats(book))
    say(f"　　统计数据核对：录入 {len(rows)} 条统计局数据，{len(found)} 条超出容差（下次收集时列入校验问题）")
    for issue in found:
        say(f"　　· {issue.problem}")
    return found


def run_demo(folder: Path, say=print, sample: str = "city") -> dict:
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    office = folder / OFFICE_NAME
    started = time.perf_counter()
    first = load_scheme(FileOfficeBook(init(office, sample, overwrite=True)))
    leaders_round = first.uses(leader_form.SOURCE)  # the leaders rank (or grade) once the rest is in
    steps = 1 + (4 if leaders_round else 3) * len(first.periods) + 5
    step = iter(range(1, steps + 1))

    def head(text: str) -> None:
        say(f"【{next(step)}/{steps}】{text}")

    periods = "、".join(f"{p.name} {p.weight:g}%" for p in first.periods)
    grading = "；领导对每个单位定等次" if first.leader_grading else ""
    head(f"创建样例考评台账（{sample}：{SAMPLE_TITLES[sample]}；{periods}{grading}）")
    for stale in [folder / ledger.DEFAULT_RECORD, *folder.glob(ledger.DEFAULT_RECORD + "-*")]:
        stale.unlink(missing_ok=True)  # a demo run starts a new year: the record of an earlier run goes
    book = FileOfficeBook(office)
    scheme = load_scheme(book)
    say(f"　　{office}")
    say(f"　　{len(scheme.units)} 个被考评单位（{'、'.join(scheme.categories)}），{len(scheme.indicators)} 项指标，"
        f"{len(scheme.evaluators)} 个考评部门，{len(scheme.rater_groups)} 个评议组，{len(scheme.leaders)} 位领导；"
        f"考评期：{'、'.join(f'{p.name}（{p.stage} {p.weight:g}%）' for p in scheme.periods)}")

    held: list[str] = []
    out: dict = {"office": office}
    for n, period in enumerate(scheme.periods):
        last = n == len(scheme.periods) - 1
        head(f"{period.name}：生成表格" + ("，并试发送（不连接邮件服务器，生成可用邮件客户端打开的 .eml 预览）" if last else ""))
        result = generate(book, period.name)
        say(f"　　{result.summary()}")
        if last:
            for sub in sorted({p.parent for p in result.paths}):
                files = sorted(p.name for p in result.paths if p.parent == sub)
                say(f"　　{sub.relative_to(folder)}/  {len(files)} 份，如 {files[0]}")
            demo_send(book, "forms", say, period.name)

        head(f"{period.name}：模拟各单位填表并发回（含逾期、缺交和各种常见错误），收集、校验并汇总")
        folder_in = ledger.submission_folder(book, scheme) / f"{scheme.settings.year}{period.name}"
        if folder_in.exists():
            shutil.rmtree(folder_in)
        leaders = {p for p in result.paths if p.parent.name == leader_form.SPEC.folder}
        notes = simulate_returns(scheme, [p for p in result.paths if p not in leaders], folder_in,
                                 random.Random(2026 + n))
        for note in notes if last else notes[:3]:
            say(f"　　· {note}")
        collected = collect(book, folder_in, period.name)
        for line in collected.summary().splitlines():
            say(f"　　{line}")
        for line in collected.error_lines(12 if last else 3):
            say(f"　　· {line}" if not line.startswith("……") else f"　　{line}")

        if leaders_round:
            head(f"{period.name}：领导评价表重新生成，附各单位截至目前其他各部分的得分；领导据此"
                 + ("定等" if scheme.leader_grading else "排名") + "后发回，再收集")
            collected = demo_leaders(book, scheme, period.name, folder_in, random.Random(4052 + n), say, last)
        held.append(period.name)

        head(f"{period.name}：绩效办录入直接评分、审定加分、记录一票否决（模拟），计分、排名")
        for note in simulate_office(book, scheme, random.Random(7 + n), held):
            say(f"　　· {note}")
        scored = score(book)
        say(f"　　{scored.summary()}，结果写入 {office.name}：{WRITTEN}。前 {10 if last else 3} 名：")
        for line in scored.top_lines(10 if last else 3, layout="columns"):
            say(f"　　{line}")
        out[period.name] = {"forms": result.paths, "collected": collected, "scored": scored}

    head("申诉与复核：一个单位提出申诉，绩效办复核后调整，重新计分")
    for note in simulate_appeal(book, scheme, scored.ranking, scheme.periods[-1].name):
        say(f"　　· {note}")
    reviewed = score(book)
    review = FileOfficeBook(office).read_sheet(ledger.REVIEW.name)
    for row in review.to_dict("records"):
        say(f"　　复核记录：{row['单位名称']} {row['影响']}")
    out["reviewed"] = reviewed

    head("等次余量、方案模拟、统计数据核对")
    calls = close_calls(reviewed.ranking, scheme.settings.decimals)
    say(f"　　等次余量：{len(calls)} 个单位距等次线的分差小于单项指标的最大影响（总排名“复核提示”列，概览列出）")
    for unit, text in calls[:3]:
        say(f"　　· {unit}{text}")
    out["whatif"] = demo_whatif(book, scheme, say)
    out["stats"] = demo_stats(book, scheme, out[scheme.periods[-1].name]["collected"].marks, say)

    head("生成各单位绩效反馈表")
    fed = feedback(book)
    say(f"　　{fed.summary()}")
    if fed.paths:
        say(f"　　{fed.folder.relative_to(folder)}/  {len(fed.paths)} 份，如 {fed.paths[0].name}")
    head("发送反馈（试发送）")
    demo_send(book, "feedback", say)
    head("导出全年数据（每个数据及其来源）")
    exported = export(book, folder / "全年数据.csv")
    say(f"　　{exported.summary()}")
    say(f"完成，用时 {time.perf_counter() - started:.1f} 秒。全年数据保存在 {ledger.DEFAULT_RECORD}（台账旁边），"
        "台账中的工作表是它的视图。")
    last = scheme.periods[-1].name
    return {**out, "forms": out[last]["forms"], "collected": out[last]["collected"], "scored": out[last]["scored"],
            "feedback": fed}

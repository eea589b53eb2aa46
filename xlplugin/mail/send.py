"""send: the verb that mails the forms or the feedback workbooks, one message per recipient, never a second copy.

The flow: plan the messages of a period (`plan_messages`, from the forms `generate` planned or the feedback
workbooks), drop those the journal says were sent (or may have been), then either write .eml previews
(`dry_run`) or send each over one SMTP session, recording every attempt in the journal before and after.

A message is sent again only if its last attempt was refused by the server or failed before the message was
complete. When the connection broke after the whole message had been transmitted but before the server's answer
arrived, the server may have accepted it: that attempt is recorded as 结果不明 and is not repeated unless the
office asks for it (``resend`` with the recipient's code) after checking with the recipient.

Settings (设置): SMTP服务器, SMTP端口, SMTP加密 (无/STARTTLS/SSL), 发件人, and optionally SMTP用户名 (default: 发件人).
The SMTP password comes from the environment (XLPLUGIN_SMTP_PASSWORD) or the OS keyring (service
``xlplugin-smtp``, user = the SMTP user name), never from the workbook, and it is never written anywhere; it is
not sent at all over an unencrypted connection to another machine.
"""
from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from .. import ledger
from ..feedback import file_name
from ..errors import UserError
from ..files import safe_filename, sha256_file
from ..forms import SPECS, Recipient
from ..generate import plan as plan_forms, returned_forms
from ..ledger import Progress
from ..officebook import OfficeBook
from ..scheme import Period, Scheme, load_scheme
from .config import PASSWORD_ENV, KEYRING_SERVICE, MailError, SmtpConfig, smtp_password
from .journal import (BAD_ADDRESS, FAILED, JOURNAL_NAME, NO_ADDRESS, SENDING, SENT, UNKNOWN, SendLog, log_row)
from .message import WHAT, Outgoing, build_message, message_id
from .smtp import Lost, Refused, SmtpSession, needs_login


def period_label(scheme: Scheme, period: Period) -> str:
    return f"{scheme.settings.year}{period.name}"


def plan_messages(book: OfficeBook, scheme: Scheme, period: Period, what: str,
                  kinds: list[str] | None = None) -> list[Outgoing]:
    """Every message of `what` for `period`, in the order of the workbook (units, departments, groups, leaders)."""
    label = period_label(scheme, period)
    if what == "forms":
        out: dict[tuple[str, str], Outgoing] = {}
        for job in plan_forms(scheme, period, ledger.forms_folder(book, scheme, period), kinds):
            o = out.setdefault((job.kind, job.recipient.code),
                               Outgoing(what, label, job.kind, job.recipient, [], []))
            o.files.append(job.path)
            o.labels.append(SPECS[job.kind].label)
        return list(out.values())
    if what == "feedback":
        folder = ledger.feedback_folder(book, scheme, period)
        return [Outgoing(what, label, "unit", Recipient("unit", u.code, u.name, u.email, u.contact),
                         [folder / file_name(scheme, period, u)], ["绩效考评结果反馈表"])
                for u in scheme.units if not kinds or "unit" in kinds]
    raise UserError(f"不能发送“{what}”：只能发送 forms（表格）或 feedback（反馈）。")


@dataclass
class SendResult:
    """What one run of `send` did and found; `summary()` and `details()` say it in Chinese for either door."""

    what: str
    period: str
    dry_run: bool
    folder: Path  # the mail folder (journal, previews)
    total: int = 0
    sent: list[Outgoing] = field(default_factory=list)
    failed: list[tuple[Outgoing, str]] = field(default_factory=list)
    unknown: list[tuple[Outgoing, str]] = field(default_factory=list)
    already: list[Outgoing] = field(default_factory=list)  # sent in an earlier run
    held: list[tuple[Outgoing, str]] = field(default_factory=list)  # 结果不明 earlier: not repeated without --resend
    changed: list[tuple[Outgoing, str]] = field(default_factory=list)  # sent earlier; file or address changed since
    updated: list[Outgoing] = field(default_factory=list)  # sent earlier, changed since, sent again (resend_updated)
    returned: list[Outgoing] = field(default_factory=list)  # changed since, not sent again: the form is back already
    no_address: list[Outgoing] = field(default_factory=list)
    bad_address: list[tuple[Outgoing, list[str]]] = field(default_factory=list)
    missing: list[tuple[Outgoing, list[Path]]] = field(default_factory=list)
    previews: list[Path] = field(default_factory=list)
    pending: list[Outgoing] = field(default_factory=list)
    aborted: str = ""
    log_error: str = ""

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unknown or self.aborted)

    def summary(self) -> str:
        label = WHAT[self.what]
        if self.dry_run:
            where = self.previews[0].parent if self.previews else self.folder
            head = (f"试发送{label}（未连接邮件服务器）：应发 {len(self.pending)} 封，已生成预览邮件 {len(self.previews)} 个，"
                    f"位于：{where}")
        else:
            head = f"发送{label}：本次发出 {len(self.sent)} 封"
            if self.updated:
                head += f"（其中 {len(self.updated)} 封是更新后重发）"
            if self.failed:
                head += f"，失败 {len(self.failed)} 封"
            if self.unknown:
                head += f"，结果不明 {len(self.unknown)} 封"
        parts = [text.format(len(items)) for items, text in (
            (self.already, "此前已发送 {} 封（不再重发）"),
            (self.no_address, "{} 个接收方没有邮箱地址"),
            (self.bad_address, "{} 个接收方的邮箱地址无效"),
            (self.missing, "{} 个接收方缺少附件文件"),
            (self.held, "{} 封此前发送结果不明（未重发）"),
            (self.returned, "{} 个接收方已交回表格（更新的表格不再发送）"),
        ) if items]
        return head + ("；" + "，".join(parts) if parts else "") + "。"

    def details(self) -> list[str]:
        lines = []
        if self.aborted:
            lines.append(f"发送中止：{self.aborted}")
        if self.log_error:
            lines.append(self.log_error)
        for o, why in self.failed:
            lines.append(f"发送失败：{o.describe()} {'、'.join(o.addresses)}：{why}（再次运行时会重发）")
        for o, why in self.unknown:
            lines.append(f"结果不明：{o.describe()}：{why}")
        for o, why in self.held:
            lines.append(f"此前发送结果不明，未重发：{o.describe()}。请向对方确认；如需重发：--resend {o.recipient.code}")
        for o in self.no_address:
            lines.append(f"没有邮箱地址：{o.describe()}，请在考评台账中填写电子邮箱后再次发送")
        for o, bad in self.bad_address:
            lines.append(f"邮箱地址无效：{o.describe()}：{'、'.join(bad)}")
        for o, paths in self.missing:
            hint = "请先生成表格" if self.what == "forms" else "请先生成反馈表"
            lines.append(f"缺少附件：{o.describe()}：{'、'.join(p.name for p in paths)}（{hint}）")
        for o in self.returned:
            lines.append(f"已交回表格，更新的表格不再发送：{o.describe()}")
        for o, what in self.changed:
            lines.append(f"已发送过，{what}，未重发：{o.describe()}；如需再发：--resend {o.recipient.code}"
                         f"（或 --resend-updated、功能区“发送更新的表格”重发全部有更新的）")
        return lines


def send(book: OfficeBook, what: str, period: str | None = None, *, dry_run: bool = False,
         kinds: list[str] | None = None, resend: list[str] | tuple[str, ...] = (), resend_updated: bool = False,
         progress: Progress | None = None,
         password: str | None = None, ssl_context: ssl.SSLContext | None = None) -> SendResult:
    """Send every `what` (forms / feedback) message of `period` not yet sent; see the module's docstring."""
    if what not in WHAT:
        raise UserError(f"不能发送“{what}”：只能发送 forms（表格）或 feedback（反馈）。")
    scheme = load_scheme(book)
    p = scheme.period(period)
    cfg = SmtpConfig.from_book(book, scheme)
    folder = ledger.mail_folder(book, scheme, p)
    result = SendResult(what, period_label(scheme, p), dry_run, folder)
    messages = plan_messages(book, scheme, p, what, kinds)
    result.total = len(messages)
    log = SendLog(book, folder / JOURNAL_NAME)
    attempts, last_rows = log.latest(), log.latest(attempts_only=False)
    resend = {c.strip() for c in resend if c and c.strip()}
    unknown_codes = resend - {o.recipient.code for o in messages}
    if unknown_codes:
        raise UserError(f"--resend 中的代码不在本次的接收方中：{'、'.join(sorted(unknown_codes))}")

    wanted = resend_updated and ledger.STATUS.name in book.sheet_names()
    returned = returned_forms(book.read_sheet(ledger.STATUS.name) if wanted else None)
    pending: list[Outgoing] = []
    for o in messages:
        attempt, last = attempts.get(o.key), last_rows.get(o.key)
        if attempt is not None and o.recipient.code not in resend:
            if attempt["结果"] == SENT:
                changes = []
                if [f.name for f in o.files] == attempt["文件"].split("\n") and all(f.is_file() for f in o.files) \
                        and "\n".join(sha256_file(f) for f in o.files) != attempt["SHA256"]:
                    changes.append("此后文件有更新")
                if o.addresses and "; ".join(o.addresses) != attempt["电子邮箱"]:
                    changes.append(f"邮箱地址已改为 {'; '.join(o.addresses)}")
                if changes and resend_updated and (o.kind, o.recipient.code) not in returned:
                    result.updated.append(o)  # made again since (e.g. with the units' reports): sent again
                else:
                    result.already.append(o)
                    if changes and not resend_updated:
                        result.changed.append((o, "，".join(changes)))
                    elif changes:  # its form is in: a newer one would only confuse
                        result.returned.append(o)
                    continue
            if attempt["结果"] == UNKNOWN:
                result.held.append((o, attempt["说明"]))
                continue
        if not o.recipient.email or not (o.addresses or o.invalid_addresses):
            result.no_address.append(o)
            if not dry_run and (last is None or last["结果"] != NO_ADDRESS):
                log.note(log_row(o, NO_ADDRESS, "考评台账中没有填写电子邮箱", files=o.files))
            continue
        if o.invalid_addresses:
            result.bad_address.append((o, o.invalid_addresses))
            if not dry_run and (last is None or last["结果"] != BAD_ADDRESS):
                log.note(log_row(o, BAD_ADDRESS, "、".join(o.invalid_addresses), files=o.files))
            continue
        missing = [f for f in o.files if not f.is_file()]
        if missing:
            result.missing.append((o, missing))
            continue
        pending.append(o)
    result.pending = pending

    if dry_run:
        result.previews = write_previews(cfg, scheme, p, pending, folder / f"预览-{WHAT[what]}", progress)
        return result

    session = SmtpSession(cfg, password if password is not None else smtp_password(cfg), ssl_context)
    try:
        if pending:
            session.connect()  # settings, network and password problems stop the run before anything is recorded
        for n, o in enumerate(pending, 1):
            try:
                _send_one(session, log, cfg, scheme, p, o, result)
            except _Abort as e:
                result.aborted = str(e)
                break
            if progress:
                progress(n, len(pending))
    finally:
        session.close()
        try:
            log.save()
        except (PermissionError, OSError) as e:  # e.g. the workbook is open elsewhere: the journal keeps the record
            result.log_error = (f"发送情况未能写入考评台账“{ledger.SEND_LOG.name}”工作表（{type(e).__name__}：{e}）；"
                                f"记录保存在 {log.journal}，下次运行时会补写。")
    return result


class _Abort(Exception):
    pass


def _send_one(session: SmtpSession, log: SendLog, cfg: SmtpConfig, scheme: Scheme, period: Period, o: Outgoing,
              result: SendResult) -> None:
    payloads = [(f.name, f.read_bytes()) for f in o.files]
    shas = [hashlib.sha256(data).hexdigest() for _, data in payloads]
    msgid = message_id(cfg.sender)
    data = build_message(cfg, scheme, period, o, payloads, msgid)

    def rec(state: str, note: str = "") -> None:
        log.record(msgid, log_row(o, state, note, files=o.files, shas=shas, msgid=msgid))

    if session.smtp is None:  # (re)connect first: a server that cannot be reached has been sent nothing
        try:
            session.connect()
        except MailError as e:
            raise _Abort(str(e)) from None
    rec(SENDING)  # durable before the first byte goes out: a crash from here on is 结果不明, never a silent resend
    try:
        refused = session.transmit(o.addresses, data)
    except Refused as e:
        why = f"服务器拒收：{e.code} {e.text}"
        rec(FAILED, why)
        result.failed.append((o, why))
        if needs_login(e):
            raise _Abort(f"邮件服务器要求登录后才能发送（{e.code} {e.text}）。请设置环境变量 {PASSWORD_ENV}，"
                         f"或在系统密码库中保存 {KEYRING_SERVICE} / {cfg.user} 的密码。") from None
        return
    except Lost as e:
        if e.maybe_delivered:
            why = f"邮件已全部发出，但在服务器确认前连接中断（{e.reason}），服务器可能已经收下。请向对方确认，需要时用 --resend 重发。"
            rec(UNKNOWN, why)
            result.unknown.append((o, why))
        else:
            why = f"发送过程中连接中断（{e.reason}），邮件未发出。"
            rec(FAILED, why)
            result.failed.append((o, why))
        return  # the next message opens a fresh connection
    except BaseException:  # interrupted (Ctrl+C): before the final "." nothing was delivered; after it, maybe
        if session.stage == "reply":
            rec(UNKNOWN, "发送被中断，邮件已全部发出、服务器可能已经收下。请向对方确认，需要时用 --resend 重发。")
        else:
            rec(FAILED, "发送被中断，邮件未发出。")
        raise
    rec(SENT, ("部分地址被拒收：" + "；".join(refused)) if refused else "")
    result.sent.append(o)


def write_previews(cfg: SmtpConfig, scheme: Scheme, period: Period, pending: list[Outgoing], folder: Path,
                   progress: Progress | None = None) -> list[Path]:
    """--dry-run: one .eml per message (a mail client opens it; Outlook as a draft), old previews replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    paths = []
    for n, o in enumerate(pending, 1):
        payloads = [(f.name, f.read_bytes()) for f in o.files]
        data = build_message(cfg, scheme, period, o, payloads, message_id(cfg.sender), draft=True)
        path = folder / (safe_filename(f"{o.kind_label}_{o.recipient.code}_{o.recipient.name}") + ".eml")
        path.write_bytes(data)  # a throwaway preview, written as before (plain write, the usual file mode)
        paths.append(path)
        if progress:
            progress(n, len(pending))
    return paths

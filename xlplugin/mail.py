"""mail: send the forms and the feedback workbooks by e-mail, one message per recipient.

Subject and body come from templates/mail/*.txt.j2 (the office edits them). The workbook goes out with its
Chinese file name in the Content-Disposition as RFC 2231 (``filename*=utf-8''…``, what current clients read)
and, as Thunderbird does, an RFC 2047 copy in the Content-Type ``name`` for older ones.

Never a second copy. Every attempt is appended to a journal (``<output>/<year><period>/邮件/发送日志.jsonl``,
fsync'd) before the message goes out and again the moment the server has answered, so a crash or a dropped
connection between two messages loses nothing; the 发送记录 sheet of the office workbook is written from the
journal at the end of each run (and a run that crashed is merged in by the next one). A message is sent again
only if its last attempt was refused by the server or failed before the message was complete. When the
connection broke after the whole message had been transmitted but before the server's answer arrived, the
server may have accepted it: that attempt is recorded as 结果不明 and is not repeated unless the office asks
for it (``--resend`` with the recipient's code) after checking with the recipient.

Settings (设置): SMTP服务器, SMTP端口, SMTP加密 (无/STARTTLS/SSL), 发件人, and optionally SMTP用户名 (default: 发件人).
The SMTP password comes from the environment (XLPLUGIN_SMTP_PASSWORD) or the OS keyring (service
``xlplugin-smtp``, user = the SMTP user name), never from the workbook, and it is never written anywhere; it is
not sent at all over an unencrypted connection to another machine.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import smtplib
import socket
import ssl
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Callable

import pandas as pd

from . import ledger
from .forms import SPECS
from .forms.spec import Recipient
from .officebook import OfficeBook
from .scheme import Period, Scheme, load_scheme
from .templating import render

Progress = Callable[[int, int], None]

WHAT = {"forms": "表格", "feedback": "反馈"}
SENT, FAILED, UNKNOWN, NO_ADDRESS, BAD_ADDRESS, SENDING = "已发送", "失败", "结果不明", "无邮箱地址", "邮箱地址无效", "发送中"
PASSWORD_ENV = "XLPLUGIN_SMTP_PASSWORD"
KEYRING_SERVICE = "xlplugin-smtp"
JOURNAL_NAME = "发送日志.jsonl"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SECURITY = {"无": "none", "": "none", "NONE": "none", "STARTTLS": "starttls", "TLS": "starttls", "SSL": "ssl",
            "SSL/TLS": "ssl"}
# serialisation: CRLF as SMTP wants it; compat32 writes the headers we built exactly as built
WIRE = compat32.clone(linesep="\r\n")
ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ADDRESS_SEPARATORS = re.compile(r"[;,、\s]+")


class MailError(ValueError):
    """A problem that stops the whole run (settings, connection, login); said in Chinese for the office."""


# ============================================================================================ settings


def setting_values(book: OfficeBook) -> dict[str, str]:
    """Every 项目 → 值 of the 设置 sheet as text, including keys the scheme does not model (IMAP…, SMTP用户名)."""
    from .scheme import _text

    if "设置" not in book.sheet_names():
        return {}
    frame = book.read_sheet("设置")
    return {_text(k): _text(v) for k, v in zip(frame["项目"], frame["值"]) if _text(k)}


def security_mode(value: str, key: str) -> str:
    value = (value or "").strip()
    mode = SECURITY.get(value if value == "无" else value.upper())
    if mode is None:
        raise MailError(f"“设置”中的“{key}”应为 无、STARTTLS 或 SSL，现为“{value}”。")
    return mode


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # none / starttls / ssl
    user: str
    sender: str
    office: str

    @classmethod
    def from_book(cls, book: OfficeBook, scheme: Scheme) -> "SmtpConfig":
        s = scheme.settings
        extra = setting_values(book)
        if not s.sender or not ADDRESS.match(normalize_address(s.sender)):
            raise MailError(f"“设置”中的“发件人”应为绩效办的电子邮箱地址，现为“{s.sender}”。")
        return cls(s.smtp_host, s.smtp_port, security_mode(s.smtp_security, "SMTP加密"),
                   extra.get("SMTP用户名") or s.sender, normalize_address(s.sender), s.office)


def stored_password(env: str, service: str, user: str) -> str | None:
    """The password from the environment variable `env`, else the OS keyring (if the keyring package is there)."""
    value = os.environ.get(env)
    if value:
        return value
    try:
        import keyring  # optional: Windows Credential Manager, macOS Keychain, Secret Service
    except ImportError:
        return None
    try:
        return keyring.get_password(service, user)
    except Exception:  # no usable backend (e.g. a headless Linux): as if nothing were stored
        return None


def smtp_password(cfg: SmtpConfig) -> str | None:
    return stored_password(PASSWORD_ENV, KEYRING_SERVICE, cfg.user)


# ============================================================================================ addresses


def normalize_address(text: str) -> str:
    """Full-width ＠ and ．, stray spaces and mailto: are common in office spreadsheets; NFKC fixes the former."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip("<> ")


def split_addresses(cell: str | None) -> tuple[list[str], list[str]]:
    """(valid, invalid) addresses of one cell; several may be separated by ；，、 or spaces."""
    valid, invalid = [], []
    for token in ADDRESS_SEPARATORS.split(unicodedata.normalize("NFKC", cell or "")):
        token = normalize_address(token)
        if not token:
            continue
        (valid if ADDRESS.match(token) else invalid).append(token)
    return valid, invalid


# ============================================================================================ what goes out


@dataclass
class Outgoing:
    """One message: a recipient and its workbook(s)."""

    what: str  # forms / feedback
    period: str  # "2026年终": year and period, as in the folder names
    kind: str
    recipient: Recipient
    files: list[Path]
    labels: list[str]  # the forms' names, for the subject

    @property
    def kind_label(self) -> str:
        return SPECS[self.kind].folder

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (WHAT[self.what], self.period, self.kind_label, self.recipient.code)

    @property
    def addresses(self) -> list[str]:
        return split_addresses(self.recipient.email)[0]

    @property
    def invalid_addresses(self) -> list[str]:
        return split_addresses(self.recipient.email)[1]

    def describe(self) -> str:
        return f"{self.kind_label}“{self.recipient.name}”（{self.recipient.code}）"


def period_label(scheme: Scheme, period: Period) -> str:
    return f"{scheme.settings.year}{period.name}"


def plan_messages(book: OfficeBook, scheme: Scheme, period: Period, what: str,
                  kinds: list[str] | None = None) -> list[Outgoing]:
    """Every message of `what` for `period`, in the order of the workbook (units, departments, groups, leaders)."""
    label = period_label(scheme, period)
    if what == "forms":
        from .generate import plan

        out: dict[tuple[str, str], Outgoing] = {}
        for job in plan(scheme, period, ledger.forms_folder(book, scheme, period), kinds):
            o = out.setdefault((job.kind, job.recipient.code),
                               Outgoing(what, label, job.kind, job.recipient, [], []))
            o.files.append(job.path)
            o.labels.append(SPECS[job.kind].label)
        return list(out.values())
    if what == "feedback":
        from .feedback import file_name

        folder = ledger.feedback_folder(book, scheme, period)
        return [Outgoing(what, label, "unit", Recipient("unit", u.code, u.name, u.email, u.contact),
                         [folder / file_name(scheme, period, u)], ["绩效考评结果反馈表"])
                for u in scheme.units if not kinds or "unit" in kinds]
    raise ValueError(f"不能发送“{what}”：只能发送 forms（表格）或 feedback（反馈）。")


# ============================================================================================ the message


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def message_id(sender: str) -> str:
    return make_msgid(domain=sender.rpartition("@")[2] or "xlplugin.invalid")


def template_context(scheme: Scheme, period: Period, o: Outgoing) -> dict:
    s = scheme.settings
    return dict(s=s, scheme=scheme, period=period, recipient=o.recipient, kind=o.kind, kind_label=o.kind_label,
                files=[p.name for p in o.files], labels=list(dict.fromkeys(o.labels)),
                deadline=period.deadline or s.deadline, what=o.what)


def attachment(name: str, data: bytes) -> MIMEBase:
    """An .xlsx part whose Chinese file name every common client shows (RFC 2231, plus RFC 2047 for old ones)."""
    part = MIMEBase(*XLSX_TYPE) if name.lower().endswith(".xlsx") else MIMEBase("application", "octet-stream")
    part.set_payload(data)
    encoders.encode_base64(part)
    # RFC 2047 encoded words inside the quoted name: Outlook 2003-era and webmail fallbacks read this one
    words = Header(name, "utf-8").encode(maxlinelen=76).split()
    part.set_param("name", " ".join(words))
    # RFC 2231: filename*=utf-8''%E2%80%A6 (one parameter; the standard way, read first by current clients)
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
    return part


def _address(name: str, addr: str) -> str:
    """"名称" <addr> with the name as RFC 2047 encoded words of at most 75 characters each."""
    if not name:
        return addr
    if name.isascii():
        return formataddr((name, addr))
    return " ".join(Header(name, "utf-8").encode(maxlinelen=76).split()) + f" <{addr}>"


def build_message(cfg: SmtpConfig, scheme: Scheme, period: Period, o: Outgoing, payloads: list[tuple[str, bytes]],
                  msgid: str, draft: bool = False) -> bytes:
    """The message as it goes on the wire (CRLF); `draft` marks a dry-run preview (Outlook opens it for sending)."""
    ctx = template_context(scheme, period, o)
    subject = " ".join(render(f"mail/{o.what}_subject.txt.j2", **ctx).split())
    body = render(f"mail/{o.what}_body.txt.j2", **ctx).rstrip() + "\n"
    msg = MIMEMultipart()
    msg["Subject"] = Header(subject, "utf-8")
    msg["From"] = _address(cfg.office, cfg.sender)
    msg["To"] = ", ".join(_address(o.recipient.name, a) for a in o.addresses)
    msg["Reply-To"] = cfg.sender
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = msgid
    msg["X-Mailer"] = "xlplugin"
    if draft:
        msg["X-Unsent"] = "1"
    text = MIMEText(body, "plain", "utf-8")  # base64: safe through servers without 8BITMIME
    msg.attach(text)
    for name, data in payloads:
        msg.attach(attachment(name, data))
    return msg.as_bytes(policy=WIRE)


# ============================================================================================ the send log


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class SendLog:
    """The 发送记录 sheet plus the journal beside the outputs: every attempt, with the latest state per attempt."""

    def __init__(self, book: OfficeBook, journal: Path):
        self.book = book
        self.journal = journal
        self.rows: dict[str, dict] = {}  # attempt id (the Message-ID, or a made-up one) -> row, in first-seen order
        self.changed = False
        if ledger.SEND_LOG.name in book.sheet_names():
            frame = book.read_sheet(ledger.SEND_LOG.name)
            for rec in frame.to_dict("records"):
                row = {c: cell_text(rec.get(c)) for c in list(ledger.SEND_LOG.columns)}
                self.rows[row_id(row)] = row
        if journal.exists():
            with open(journal, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError:  # a line cut short by a crash
                        continue
                    ident = entry.pop("id", None)
                    if ident:
                        row = {c: entry.get(c, "") for c in list(ledger.SEND_LOG.columns)}
                        if ident not in self.rows or self._settled(self.rows[ident]) != self._settled(row):
                            self.changed = True  # the sheet lacks what the journal knows (a crashed run)
                        self.rows[ident] = row

    def note(self, row: dict) -> None:
        """Record a row that is no message (no address, a broken address)."""
        self.record(row_id(row), row)

    def record(self, ident: str, row: dict) -> None:
        """Append to the journal and make it durable before returning: the caller relies on it."""
        self.rows[ident] = {c: row.get(c, "") for c in list(ledger.SEND_LOG.columns)}
        self.changed = True
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with open(self.journal, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": ident, **self.rows[ident]}, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def latest(self, attempts_only: bool = True) -> dict[tuple, dict]:
        """The last attempt to send every message (or, with attempts_only=False, the last row of any kind);
        an attempt still 发送中 (a crash mid-send) counts as 结果不明."""
        out = {}
        for row in self.rows.values():
            if attempts_only and row["结果"] in (NO_ADDRESS, BAD_ADDRESS):
                continue
            row = self._settled(row)
            out[(row["内容"], row["考评期"], row["接收方类型"], row["接收方代码"])] = row
        return out

    @staticmethod
    def _settled(row: dict) -> dict:
        if row["结果"] == SENDING:
            return {**row, "结果": UNKNOWN, "说明": "发送过程中程序中断，服务器可能已经收下；请向对方确认，需要时用 --resend 重发。"}
        return row

    def frame(self) -> pd.DataFrame:
        rows = [self._settled(r) for r in self.rows.values()]
        return pd.DataFrame(rows, columns=list(ledger.SEND_LOG.columns))

    def save(self) -> None:
        if self.changed:
            self.book.write_sheets({ledger.SEND_LOG.name: self.frame()})
            self.changed = False


def row_id(row: dict) -> str:
    """A message attempt is known by its Message-ID; a row without one by what it says and when."""
    return row["邮件编号"] or "|".join(row[c] for c in ("内容", "考评期", "接收方类型", "接收方代码", "时间", "结果"))


def cell_text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


# ============================================================================================ SMTP


class Refused(Exception):
    """The server answered no: the message was certainly not accepted."""

    def __init__(self, code: int, text: str):
        self.code, self.text = code, text
        super().__init__(f"{code} {text}")


class Lost(Exception):
    """The connection broke. `maybe_delivered`: the whole message had gone out, the server's answer had not come."""

    def __init__(self, reason: str, maybe_delivered: bool):
        self.reason, self.maybe_delivered = reason, maybe_delivered
        super().__init__(reason)


def _reply_text(resp) -> str:
    return resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)


class SmtpSession:
    """One SMTP connection (reopened when the server drops it) that tells refused from lost from maybe-delivered."""

    def __init__(self, cfg: SmtpConfig, password: str | None, context: ssl.SSLContext | None = None,
                 timeout: float = 60):
        self.cfg, self.password, self.timeout = cfg, password, timeout
        self.context = context or ssl.create_default_context()
        self.smtp: smtplib.SMTP | None = None
        self.stage = ""  # how far the current message got: envelope, data (being sent), reply (all sent)

    def connect(self) -> None:
        cfg = self.cfg
        where = f"{cfg.host}:{cfg.port}"
        try:
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=self.timeout, context=self.context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout)
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=self.context)
                smtp.ehlo()
        except smtplib.SMTPNotSupportedError:
            raise MailError(f"邮件服务器 {where} 不支持 STARTTLS。请把“设置”中的“SMTP加密”改为 SSL（端口一般为 465）"
                            "或与邮件管理员确认。") from None
        except ssl.SSLError as e:
            raise MailError(f"与邮件服务器 {where} 建立加密连接失败（{e.reason or e}）。请检查“SMTP加密”与“SMTP端口”是否匹配："
                            "SSL 一般用 465 端口，STARTTLS 一般用 587 端口。") from None
        except (OSError, smtplib.SMTPException) as e:
            raise MailError(f"无法连接邮件服务器 {where}（{_os_reason(e)}）。请检查“设置”中的 SMTP服务器、SMTP端口和SMTP加密，"
                            "以及本机网络。") from None
        if self.password:
            if cfg.security == "none" and cfg.host not in ("127.0.0.1", "localhost", "::1"):
                smtp.close()
                raise MailError("“SMTP加密”为“无”时不会发送密码（密码会以明文在网络上传输）。请改为 STARTTLS 或 SSL。")
            try:
                _login(smtp, cfg.user, self.password)
            except smtplib.SMTPAuthenticationError as e:
                smtp.close()
                raise MailError(f"邮件服务器拒绝登录（用户名 {cfg.user}）：{e.smtp_code} {_reply_text(e.smtp_error)}。"
                                f"请检查密码（环境变量 {PASSWORD_ENV} 或系统密码库中 {KEYRING_SERVICE} 的记录）。") from None
            except smtplib.SMTPNotSupportedError:
                smtp.close()
                raise MailError(f"邮件服务器 {where} 不接受登录（未提供 AUTH）。如果该服务器不需要密码，"
                                f"请不要设置 {PASSWORD_ENV}。") from None
            except (OSError, smtplib.SMTPException) as e:
                smtp.close()
                raise MailError(f"登录邮件服务器时连接中断（{_os_reason(e)}）。") from None
        self.smtp = smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def transmit(self, recipients: list[str], data: bytes) -> list[str]:
        """Send one message; return the recipients the server refused (others accepted). Raises Refused or Lost.

        A connection the server closed while idle (or after too many messages) is noticed at MAIL FROM, before
        anything of the message went out: then it is reopened and the message tried once more.
        """
        if self.smtp is None:
            self.connect()
        try:
            return self._transmit(recipients, data)
        except Lost as e:
            if self.stage != "envelope":
                raise
            first = e
        try:
            self.connect()
        except MailError:
            raise first from None
        return self._transmit(recipients, data)

    def _transmit(self, recipients: list[str], data: bytes) -> list[str]:
        smtp = self.smtp
        self.stage = stage = "envelope"
        try:
            code, resp = smtp.mail(self.cfg.sender)
            if code != 250:
                self._drop() if code == 421 else self._reset()
                raise Refused(code, _reply_text(resp))
            refused = []
            for rcpt in recipients:
                code, resp = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    refused.append(f"{rcpt}（{code} {_reply_text(resp)}）")
            if len(refused) == len(recipients):
                self._reset()
                raise Refused(code, _reply_text(resp))
            code, resp = smtp.docmd("data")
            if code != 354:
                self._reset()
                raise Refused(code, _reply_text(resp))
            # as smtplib.SMTP.data, but knowing where it broke: until the final "." is out, nothing can be accepted
            self.stage = stage = "data"
            payload = re.sub(rb"(?m)^\.", b"..", data)
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            smtp.send(payload + b".\r\n")
            self.stage = stage = "reply"
            code, resp = smtp.getreply()
        except Refused:
            raise
        except (OSError, smtplib.SMTPServerDisconnected) as e:
            self._drop()
            raise Lost(_os_reason(e), maybe_delivered=stage == "reply") from None
        except BaseException:  # Ctrl+C and the like: leave a clean state for the caller's record, then go
            self._drop()
            raise
        if code != 250:
            if code == 421:  # the server is closing the connection
                self._drop()
            raise Refused(code, _reply_text(resp))
        return refused

    def _reset(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            except OSError:
                pass
        self.smtp = None


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """Log in with AUTH PLAIN when offered (RFC 4616: UTF-8, so a password with non-ASCII characters works, which
    smtplib cannot encode), else smtplib's own choice. One mechanism only: a wrong password then counts once,
    not three times, against the server's lock-out."""
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    if "PLAIN" not in smtp.esmtp_features["auth"].upper().split():
        smtp.login(user, password)
        return
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, resp = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, resp)


def _os_reason(e: BaseException) -> str:
    if isinstance(e, socket.timeout):
        return "连接超时"
    if isinstance(e, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(e, socket.gaierror):
        return "找不到该服务器"
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return "服务器断开了连接"
    return f"{type(e).__name__}：{e}" if str(e) else type(e).__name__


def _needs_login(e: Refused) -> bool:
    """530 / 5.7.0: the server wants a login before it takes any mail; no use going on with the others."""
    text = e.text.lower()
    return e.code == 530 or "5.7.0" in text or "authentication required" in text


# ============================================================================================ the run


@dataclass
class SendResult:
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
            if self.failed:
                head += f"，失败 {len(self.failed)} 封"
            if self.unknown:
                head += f"，结果不明 {len(self.unknown)} 封"
        parts = []
        if self.already:
            parts.append(f"此前已发送 {len(self.already)} 封（不再重发）")
        if self.no_address:
            parts.append(f"{len(self.no_address)} 个接收方没有邮箱地址")
        if self.bad_address:
            parts.append(f"{len(self.bad_address)} 个接收方的邮箱地址无效")
        if self.missing:
            parts.append(f"{len(self.missing)} 个接收方缺少附件文件")
        if self.held:
            parts.append(f"{len(self.held)} 封此前发送结果不明（未重发）")
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
        for o, what in self.changed:
            lines.append(f"已发送过，{what}，未重发：{o.describe()}；如需再发：--resend {o.recipient.code}")
        return lines


def send(book: OfficeBook, what: str, period: str | None = None, *, dry_run: bool = False,
         kinds: list[str] | None = None, resend: list[str] | tuple[str, ...] = (), progress: Progress | None = None,
         password: str | None = None, ssl_context: ssl.SSLContext | None = None) -> SendResult:
    """Send every `what` (forms / feedback) message of `period` not yet sent; see the module's docstring."""
    if what not in WHAT:
        raise ValueError(f"不能发送“{what}”：只能发送 forms（表格）或 feedback（反馈）。")
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
        raise ValueError(f"--resend 中的代码不在本次的接收方中：{'、'.join(sorted(unknown_codes))}")

    pending: list[Outgoing] = []
    for o in messages:
        attempt, last = attempts.get(o.key), last_rows.get(o.key)
        if attempt is not None and o.recipient.code not in resend:
            if attempt["结果"] == SENT:
                result.already.append(o)
                changes = []
                if [f.name for f in o.files] == attempt["文件"].split("\n") and all(f.is_file() for f in o.files) \
                        and "\n".join(_file_sha(f) for f in o.files) != attempt["SHA256"]:
                    changes.append("此后文件有更新")
                if o.addresses and "; ".join(o.addresses) != attempt["电子邮箱"]:
                    changes.append(f"邮箱地址已改为 {'; '.join(o.addresses)}")
                if changes:
                    result.changed.append((o, "，".join(changes)))
                continue
            if attempt["结果"] == UNKNOWN:
                result.held.append((o, attempt["说明"]))
                continue
        if not o.recipient.email or not (o.addresses or o.invalid_addresses):
            result.no_address.append(o)
            if not dry_run and (last is None or last["结果"] != NO_ADDRESS):
                log.note(_row(o, NO_ADDRESS, "考评台账中没有填写电子邮箱", files=o.files))
            continue
        if o.invalid_addresses:
            result.bad_address.append((o, o.invalid_addresses))
            if not dry_run and (last is None or last["结果"] != BAD_ADDRESS):
                log.note(_row(o, BAD_ADDRESS, "、".join(o.invalid_addresses), files=o.files))
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


def _file_sha(path: Path) -> str:
    return sha256_bytes(path.read_bytes())


def _row(o: Outgoing, result: str, note: str = "", *, files: list[Path] = (), shas: list[str] = (),
         msgid: str = "") -> dict:
    return {"内容": WHAT[o.what], "考评期": o.period, "接收方类型": o.kind_label, "接收方代码": o.recipient.code,
            "接收方名称": o.recipient.name, "电子邮箱": "; ".join(o.addresses) or (o.recipient.email or ""),
            "文件": "\n".join(f.name for f in files), "SHA256": "\n".join(shas), "时间": _now(), "结果": result,
            "说明": note, "邮件编号": msgid}


def _send_one(session: SmtpSession, log: SendLog, cfg: SmtpConfig, scheme: Scheme, period: Period, o: Outgoing,
              result: SendResult) -> None:
    payloads = [(f.name, f.read_bytes()) for f in o.files]
    shas = [sha256_bytes(data) for _, data in payloads]
    msgid = message_id(cfg.sender)
    data = build_message(cfg, scheme, period, o, payloads, msgid)

    def rec(state: str, note: str = "") -> None:
        log.record(msgid, _row(o, state, note, files=o.files, shas=shas, msgid=msgid))

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
        if _needs_login(e):
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
    from .paths import safe_filename

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    paths = []
    for n, o in enumerate(pending, 1):
        payloads = [(f.name, f.read_bytes()) for f in o.files]
        data = build_message(cfg, scheme, period, o, payloads, message_id(cfg.sender), draft=True)
        path = folder / (safe_filename(f"{o.kind_label}_{o.recipient.code}_{o.recipient.name}") + ".eml")
        path.write_bytes(data)
        paths.append(path)
        if progress:
            progress(n, len(pending))
    return paths


# ============================================================================================ CLI and demo


def cmd_send(args) -> int:
    from .cli import _progress
    from .officebook import FileOfficeBook

    kinds = [args.kind] if getattr(args, "kind", None) else None
    resend = [c for part in (args.resend or []) for c in re.split(r"[,，、\s]+", part) if c]
    result = send(FileOfficeBook(args.office), args.what, args.period, dry_run=args.dry_run, kinds=kinds,
                  resend=resend, progress=_progress("发送邮件" if not args.dry_run else "生成预览"))
    print(result.summary())
    details = result.details()
    for line in details[: args.show]:
        print(f"  · {line}")
    if len(details) > args.show:
        print(f"  …… 另有 {len(details) - args.show} 条，见考评台账“{ledger.SEND_LOG.name}”工作表。")
    if not result.dry_run and (result.sent or result.failed or result.unknown):
        print(f"发送情况已记入考评台账“{ledger.SEND_LOG.name}”工作表。")
    return 0 if result.ok else 1


def register(subparsers) -> None:
    """Add `xlplugin send` to the CLI's sub-command parsers."""
    from .cli import KIND_CHOICES

    s = subparsers.add_parser(
        "send", help="通过电子邮件发送表格或反馈",
        description="给每个接收方发一封邮件，附上其表格（--what forms）或绩效反馈表（--what feedback）。主题和正文来自 "
                    "templates/mail/，可直接修改。已发送的不会重发；失败的再次运行时重发。密码取自环境变量 "
                    f"{PASSWORD_ENV} 或系统密码库（{KEYRING_SERVICE}），不写入台账。")
    s.add_argument("office", help="考评台账文件")
    s.add_argument("--what", choices=tuple(WHAT), required=True, help="forms=表格，feedback=绩效反馈表")
    s.add_argument("--period", help="考评期（默认取“设置”中的当前考评期）")
    s.add_argument("--kind", choices=tuple(KIND_CHOICES), help="只发一类接收方：" + "，".join(f"{k}={v}" for k, v in KIND_CHOICES.items()))
    s.add_argument("--dry-run", action="store_true", help="不连接邮件服务器，只在输出文件夹中生成 .eml 预览邮件")
    s.add_argument("--resend", action="append", metavar="代码",
                   help="对这些接收方（代码，逗号分隔）再发一次，即使已发送过或结果不明")
    s.add_argument("--show", type=int, default=20, help="在屏幕上列出的问题条数（默认 20）")
    s.set_defaults(func=cmd_send)


def demo_step(book: OfficeBook, what: str, say=print) -> SendResult:
    """The demo's e-mail step: a dry run, so no server is needed; previews are written as .eml files."""
    result = send(book, what, dry_run=True)
    say(f"　　{result.summary()}")
    if result.previews:
        say(f"　　如 {result.previews[0].name}（可用 Outlook、Foxmail、Thunderbird 等打开）")
    for line in result.details()[:5]:
        say(f"　　· {line}")
    return result


def ribbon_send(ui, what: str) -> None:
    """The ribbon's 发送表格 / 发送反馈 (xlplugin.excel.Ribbon `ui`): the same send, progress in the status bar,
    the outcome in a message box, the 发送记录 sheet shown when anything was tried."""
    bar = ui.progress(f"正在发送{WHAT[what]}")
    try:
        result = send(ui.office, what, progress=bar)
    finally:
        bar.clear()
    lines = result.details()
    text = result.summary()
    if lines:
        text += "\n\n" + "\n".join(f"· {line}" for line in lines[:12])
        if len(lines) > 12:
            text += f"\n…… 另有 {len(lines) - 12} 条，见“{ledger.SEND_LOG.name}”工作表。"
    if result.sent or result.failed or result.unknown or result.no_address or result.bad_address:
        ui.activate(ledger.SEND_LOG.name)
    ui.alert(text, critical=not result.ok)

"""One outgoing message: who gets which workbooks, and the MIME bytes that go on the wire (or into a preview).

Subject and body come from templates/mail/*.txt.j2 (the office edits them). The workbook goes out with its
Chinese file name in the Content-Disposition as RFC 2231 (``filename*=utf-8''…``, what current clients read)
and, as Thunderbird does, an RFC 2047 copy in the Content-Type ``name`` for older ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from ..forms import SPECS
from ..forms import Recipient
from ..scheme import Period, Scheme
from ..templating import render
from .address import split_addresses
from .config import SmtpConfig

WHAT = {"forms": "表格", "feedback": "反馈"}
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
# serialisation: CRLF as SMTP wants it; compat32 writes the headers we built exactly as built
WIRE = compat32.clone(linesep="\r\n")


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


def message_id(sender: str) -> str:
    return make_msgid(domain=sender.rpartition("@")[2] or "xlplugin.invalid")


def addressee(scheme: Scheme, o: Outgoing) -> str:
    """How the greeting names the recipient: a leader by name and post (刘志刚市长), a unit or department by name."""
    if o.kind == "leader":
        leader = next((l for l in scheme.leaders if l.code == o.recipient.code), None)
        if leader is not None:
            return f"{leader.name}{leader.title or leader.cls}"
    return o.recipient.name


def template_context(scheme: Scheme, period: Period, o: Outgoing) -> dict:
    s = scheme.settings
    return dict(s=s, scheme=scheme, period=period, recipient=o.recipient, kind=o.kind, kind_label=o.kind_label,
                addressee=addressee(scheme, o),
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

"""fetch: the verb that takes the returned forms out of the office's IMAP mailbox into the submission folder.

Only messages whose sender (From) is an address in the office workbook (单位, 考评部门, 评议组, 领导) have their
spreadsheet attachments stored, under ``<提交文件夹>/<代码>_<名称>/``, with the file's modification time set to
when the server received the message (collect takes the newest of several returns and judges lateness by it).
Everything else is listed, not stored. The mailbox is opened read-only and never changed.

Idempotent: the 收件记录 sheet remembers every message by its Message-ID, so a message is read once; and an
attachment whose bytes (sha256) are already stored in that sender's folder is not stored again — not when the
same message arrives twice, not when the workbook was not saved after a crash. A message from an unknown
sender is looked at again once its address has been added to the workbook.

The settings (设置): IMAP服务器, IMAP端口, IMAP加密 (无/STARTTLS/SSL, default SSL), IMAP用户名 (default: SMTP用户名,
then 发件人), IMAP文件夹 (default INBOX). The password: XLPLUGIN_IMAP_PASSWORD or the keyring (xlplugin-imap),
else the SMTP password when the user name is the same.
"""
from __future__ import annotations

import email
import hashlib
import imaplib
import os
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.utils import getaddresses
from pathlib import Path

import pandas as pd

from .. import ledger
from ..files import safe_filename, sha256_file, write_bytes_atomically
from ..ledger import Progress
from ..officebook import OfficeBook
from ..scheme import Scheme, load_scheme
from ..values import cell_text
from .address import normalize_address, split_addresses
from .config import ImapConfig, imap_password
from .imap import connect, fetch_items

STORED, DUPLICATE, UNKNOWN_SENDER, NOT_FORM, NO_ATTACHMENT, TOO_LARGE = (
    "已保存", "重复，未再保存", "未保存：发件人不在考评台账中", "未保存：不是表格文件", "无附件", "未保存：文件过大")
FORM_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xltx", ".et", ".ods", ".csv"}  # collect explains what is wrong with the others
MAX_BYTES = 50 * 1024 * 1024


def known_senders(scheme: Scheme) -> dict[str, list[tuple[str, str]]]:
    """Lower-cased address -> [(code, name)] of everyone in the office workbook with an e-mail address."""
    out: dict[str, list[tuple[str, str]]] = {}
    people = [(u.code, u.name, u.email) for u in scheme.units]
    people += [(e.code, e.name, e.email) for e in scheme.evaluators]
    people += [(g.code, g.name, g.email) for g in scheme.rater_groups]
    people += [(l.code, l.name, l.email) for l in scheme.leaders]
    for code, name, cell in people:
        for address in split_addresses(cell)[0]:
            out.setdefault(address.lower(), []).append((code, name))
    return out


def read_log(book: OfficeBook) -> list[dict]:
    if ledger.FETCH_LOG.name not in book.sheet_names():
        return []
    return [{c: cell_text(r.get(c), timestamps=True) for c in list(ledger.FETCH_LOG.columns)} for r in book.read_sheet(ledger.FETCH_LOG.name).to_dict("records")]


@dataclass
class Attachment:
    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class FetchResult:
    folder: Path
    stored: list[Path] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)  # rows: messages from senders not in the workbook
    not_forms: list[dict] = field(default_factory=list)
    without_attachment: list[dict] = field(default_factory=list)
    seen: int = 0  # messages in the mailbox folder
    read: int = 0  # messages downloaded in this run
    rows: list[dict] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"收件箱共 {self.seen} 封邮件，本次读取 {self.read} 封",
                 f"保存表格 {len(self.stored)} 个到 {self.folder}"]
        parts += [text.format(len(items)) for items, text in (
            (self.duplicates, "{} 个附件此前已保存"),
            (self.unknown, "{} 封来自考评台账以外的地址（未保存）"),
            (self.not_forms, "{} 个附件不是表格文件（未保存）"),
        ) if items]
        return "，".join(parts) + "。"

    def details(self) -> list[str]:
        lines = []
        for r in self.unknown:
            lines.append(f"发件人不在考评台账中，未保存：{r['发件人']}，{r['收件时间']}，“{r['主题']}”"
                         + (f"，附件：{r['附件']}" if r["附件"] else ""))
        for r in self.not_forms:
            lines.append(f"不是表格文件，未保存：{r['发件人']} 的附件 {r['附件']}")
        for r in self.without_attachment:
            lines.append(f"没有附件：{r['发件人']}，{r['收件时间']}，“{r['主题']}”")
        return lines


def fetch(book: OfficeBook, *, progress: Progress | None = None, password: str | None = None,
          ssl_context: ssl.SSLContext | None = None, since: datetime | None = None) -> FetchResult:
    """Store the spreadsheet attachments of known senders' new messages in the submission folder."""
    scheme = load_scheme(book)
    cfg = ImapConfig.from_book(book, scheme)
    senders = known_senders(scheme)
    target = ledger.submission_folder(book, scheme)
    result = FetchResult(target)
    log = read_log(book)
    # a message is done when it was read while its sender had the status it has now (known or not)
    done: dict[str, bool] = {}
    for r in log:
        if r["邮件编号"]:
            done[r["邮件编号"]] = done.get(r["邮件编号"], False) or r["结果"] != UNKNOWN_SENDER
    imap = connect(cfg, password if password is not None else imap_password(cfg, book, scheme), ssl_context)
    new_rows: list[dict] = []
    try:
        criteria = f"SINCE {since:%d-%b-%Y}" if since else "ALL"
        typ, data = imap.uid("SEARCH", None, criteria)
        uids = data[0].split() if typ == "OK" and data and data[0] else []
        result.seen = len(uids)
        heads = fetch_items(imap, uids, "BODY.PEEK[HEADER.FIELDS (FROM MESSAGE-ID)]")
        wanted, this_run = [], set()
        for uid in uids:
            when, raw = heads.get(uid, (None, b""))
            head = email.message_from_bytes(raw, policy=policy.default)
            ident = _message_id(head, raw, when)
            address = _sender(head)
            known = address.lower() in senders
            if ident in this_run or (ident in done and (done[ident] or not known)):
                continue  # read before, or the same message delivered twice
            this_run.add(ident)
            wanted.append(uid)
        result.read = len(wanted)
        for chunk_start in range(0, len(wanted), 20):
            bodies = fetch_items(imap, wanted[chunk_start:chunk_start + 20], "BODY.PEEK[]")
            for k, uid in enumerate(wanted[chunk_start:chunk_start + 20]):
                if uid in bodies:
                    when, raw = bodies[uid]
                    new_rows += _take(raw, when, senders, target, result)
                if progress:
                    progress(chunk_start + k + 1, len(wanted))
    finally:
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
        if new_rows:
            result.rows = new_rows
            frame = pd.DataFrame(log + new_rows, columns=list(ledger.FETCH_LOG.columns))
            book.write_sheets({ledger.FETCH_LOG.name: frame})
    return result


def _sender(msg) -> str:
    pairs = getaddresses([str(msg.get("From", ""))])
    return normalize_address(pairs[0][1]) if pairs else ""


def _message_id(msg, raw: bytes, when: datetime | None) -> str:
    mid = (msg.get("Message-ID") or "").strip()
    if mid:
        return mid
    return "无编号:" + hashlib.sha256(raw + str(when).encode()).hexdigest()[:24]


def attachments(msg) -> list[Attachment]:
    """Every part with a file name (decoded from RFC 2231 or RFC 2047), inline images of signatures excepted;
    forwarded messages included."""
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        disposition = part.get_content_disposition()
        if not name and disposition != "attachment":
            continue
        if disposition == "inline" and part.get_content_maintype() == "image":
            continue
        data = part.get_payload(decode=True) or b""
        out.append(Attachment(name or f"附件{len(out) + 1}", data))
    return out


def looks_like_form(att: Attachment) -> bool:
    suffix = Path(att.name).suffix.lower()
    if suffix in FORM_SUFFIXES:
        return True
    head = att.data[:8]
    return head.startswith(b"PK\x03\x04") and b"xl/" in att.data[:4096] or head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _local(when: datetime | None) -> datetime:
    if when is None:
        return datetime.now()
    return when.astimezone().replace(tzinfo=None)


def _take(raw: bytes, when: datetime | None, senders: dict, target: Path, result: FetchResult) -> list[dict]:
    msg = email.message_from_bytes(raw, policy=policy.default)
    address = _sender(msg)
    display = str(msg.get("From", address))
    owners = senders.get(address.lower())
    received = _local(when)
    base = {"收件时间": received.strftime("%Y-%m-%d %H:%M:%S"), "发件人": display, "发件地址": address,
            "接收方代码": "、".join(c for c, _ in owners) if owners else "", "主题": str(msg.get("Subject", "")),
            "附件": "", "保存为": "", "SHA256": "", "结果": "", "邮件编号": _message_id(msg, raw, when),
            "读取时间": datetime.now().strftime("%Y-%m-%d %H:%M:%S")}
    files = attachments(msg)
    if not owners:
        row = {**base, "附件": "、".join(a.name for a in files), "结果": UNKNOWN_SENDER}
        result.unknown.append(row)
        return [row]
    if not files:
        row = {**base, "结果": NO_ATTACHMENT}
        result.without_attachment.append(row)
        return [row]
    code, name = owners[0]
    folder = target / safe_filename(f"{code}_{name}")
    rows = []
    for att in files:
        row = {**base, "附件": att.name, "SHA256": att.sha256}
        if not looks_like_form(att):
            row["结果"] = NOT_FORM
            result.not_forms.append(row)
        elif len(att.data) > MAX_BYTES:
            row["结果"] = TOO_LARGE
            result.not_forms.append(row)
        else:
            existing = _same_bytes(folder, att.sha256)
            if existing is not None:
                row.update({"结果": DUPLICATE, "保存为": _relative(existing, target)})
                result.duplicates.append(att.name)
            else:
                path = _store(folder, att, received)
                row.update({"结果": STORED, "保存为": _relative(path, target)})
                result.stored.append(path)
        rows.append(row)
    return rows


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _same_bytes(folder: Path, sha: str) -> Path | None:
    if not folder.is_dir():
        return None
    for p in sorted(folder.iterdir()):
        if p.is_file() and not p.name.startswith(".~") and sha256_file(p) == sha:
            return p
    return None


def _store(folder: Path, att: Attachment, received: datetime) -> Path:
    """Write under a safe, new name (another file of the same name gets “ (2)”), atomically, dated `received`."""
    folder.mkdir(parents=True, exist_ok=True)
    name = safe_filename(Path(att.name.replace("\\", "/")).name)[:150] or "附件"
    stem, suffix = Path(name).stem, Path(name).suffix
    path, n = folder / name, 1
    while path.exists():
        n += 1
        path = folder / f"{stem} ({n}){suffix}"
    write_bytes_atomically(path, att.data)
    stamp = received.timestamp()
    os.utime(path, (stamp, stamp))
    return path

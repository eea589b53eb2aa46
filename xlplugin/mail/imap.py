"""The IMAP side of `fetch`: open the office's mailbox read-only, and fetch headers or whole messages in batches.

Knows the protocol only (login, modified UTF-7 folder names, FETCH responses); what to keep is `fetch`'s business.
"""
from __future__ import annotations

import base64
import imaplib
import re
import ssl
from datetime import datetime

from .config import IMAP_KEYRING_SERVICE, IMAP_PASSWORD_ENV, ImapConfig, MailError

BATCH = 200


def modified_utf7(name: str) -> str:
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3): 收件箱 -> &VTZO9n7x-."""
    out, run = [], []

    def flush():
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def connect(cfg: ImapConfig, password: str | None, context: ssl.SSLContext | None = None,
            timeout: float = 60) -> imaplib.IMAP4:
    where = cfg.where
    context = context or ssl.create_default_context()
    if not password:
        raise MailError(f"没有找到收件邮箱（{cfg.user}）的密码。请设置环境变量 {IMAP_PASSWORD_ENV}，"
                        f"或在系统密码库中保存 {IMAP_KEYRING_SERVICE} / {cfg.user} 的密码。")
    try:
        if cfg.security == "ssl":
            imap = imaplib.IMAP4_SSL(cfg.host, cfg.port, ssl_context=context, timeout=timeout)
        else:
            imap = imaplib.IMAP4(cfg.host, cfg.port, timeout=timeout)
            if cfg.security == "starttls":
                imap.starttls(ssl_context=context)
    except ssl.SSLError as e:
        raise MailError(f"与收件服务器 {where} 建立加密连接失败（{e.reason or e}）。请检查“IMAP加密”与“IMAP端口”是否匹配："
                        "SSL 一般用 993 端口，STARTTLS 一般用 143 端口。") from None
    except (OSError, imaplib.IMAP4.error) as e:
        raise MailError(f"无法连接收件服务器 {where}（{type(e).__name__}：{e}）。请检查“设置”中的 IMAP服务器、IMAP端口和"
                        "IMAP加密，以及本机网络。") from None
    if cfg.password_in_clear:
        imap.shutdown()
        raise MailError("“IMAP加密”为“无”时不会发送密码（密码会以明文在网络上传输）。请改为 SSL 或 STARTTLS。")
    try:
        if not (cfg.user + password).isascii():
            imap._encoding = "utf-8"  # imaplib quotes ASCII only; servers take UTF-8 in the quoted login strings
        imap.login(cfg.user, password)
    except imaplib.IMAP4.error as e:
        imap.shutdown()
        raise MailError(f"收件服务器拒绝登录（用户名 {cfg.user}）：{e}。请检查密码（环境变量 {IMAP_PASSWORD_ENV} "
                        f"或系统密码库中 {IMAP_KEYRING_SERVICE} 的记录）。") from None
    typ, data = imap.select(_quote(modified_utf7(cfg.folder)), readonly=True)  # read-only: flags stay as they are
    if typ != "OK":
        imap.logout()
        raise MailError(f"收件邮箱中没有文件夹“{cfg.folder}”（{data[0].decode('utf-8', 'replace') if data else ''}）。"
                        "请检查“设置”中的“IMAP文件夹”。")
    return imap


_FETCH_HEAD = re.compile(rb"UID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


def _internaldate(head: bytes) -> datetime | None:
    m = _INTERNALDATE.search(head)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1).decode("ascii"), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def fetch_items(imap: imaplib.IMAP4, uids: list[bytes], what: str) -> dict[bytes, tuple[datetime | None, bytes]]:
    """uid -> (INTERNALDATE, the literal) for `what` (a BODY.PEEK[...] item), BATCH uids per command."""
    out = {}
    for i in range(0, len(uids), BATCH):
        typ, data = imap.uid("FETCH", b",".join(uids[i:i + BATCH]).decode("ascii"), f"(UID INTERNALDATE {what})")
        if typ != "OK":
            raise MailError(f"读取邮件失败：{data!r}")
        for item in data:
            if isinstance(item, tuple):
                m = _FETCH_HEAD.search(item[0])
                if m:
                    out[m.group(1)] = (_internaldate(item[0]), item[1])
    return out

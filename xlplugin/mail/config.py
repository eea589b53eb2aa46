"""The mail stage's settings: the 设置 values for the SMTP (send) and IMAP (fetch) servers, and their passwords.

First step of both mail verbs: everything they need to know about the office's mail servers comes from here.
Passwords come from the environment or the OS keyring, never from the workbook, and are never written anywhere.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .. import ledger
from ..errors import UserError
from ..officebook import OfficeBook
from ..scheme import Scheme
from ..values import cell_text
from .address import ADDRESS, normalize_address

PASSWORD_ENV = "XLPLUGIN_SMTP_PASSWORD"
KEYRING_SERVICE = "xlplugin-smtp"
IMAP_PASSWORD_ENV = "XLPLUGIN_IMAP_PASSWORD"
IMAP_KEYRING_SERVICE = "xlplugin-imap"
SECURITY = {"无": "none", "": "none", "NONE": "none", "STARTTLS": "starttls", "TLS": "starttls", "SSL": "ssl",
            "SSL/TLS": "ssl"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class MailError(UserError, ValueError):
    """A problem that stops the whole run (settings, connection, login); said in Chinese for the office."""


def setting_values(book: OfficeBook) -> dict[str, str]:
    """Every 项目 → 值 of the 设置 sheet as text, including keys the scheme does not model (IMAP…, SMTP用户名)."""
    if ledger.SETTINGS.name not in book.sheet_names():
        return {}
    frame = book.read_sheet(ledger.SETTINGS.name)
    key, value = ledger.SETTINGS.columns[:2]
    return {cell_text(k): cell_text(v) for k, v in zip(frame[key], frame[value]) if cell_text(k)}


def security_mode(value: str, key: str) -> str:
    value = (value or "").strip()
    mode = SECURITY.get(value if value == "无" else value.upper())
    if mode is None:
        raise MailError(f"“设置”中的“{key}”应为 无、STARTTLS 或 SSL，现为“{value}”。")
    return mode


@dataclass(frozen=True)
class ServerConfig:
    """A mail server and the mailbox's user, as both SMTP and IMAP need them."""

    host: str
    port: int
    security: str  # none / starttls / ssl
    user: str

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def password_in_clear(self) -> bool:
        """A password would cross the network unencrypted (to another machine): it is then not sent at all."""
        return self.security == "none" and self.host not in LOCAL_HOSTS


@dataclass(frozen=True)
class SmtpConfig(ServerConfig):
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


@dataclass(frozen=True)
class ImapConfig(ServerConfig):
    folder: str

    @classmethod
    def from_book(cls, book: OfficeBook, scheme: Scheme) -> "ImapConfig":
        v = setting_values(book)
        host = v.get("IMAP服务器", "")
        if not host:
            raise MailError("请在考评台账“设置”中填写“IMAP服务器”（收取回复邮件的服务器，如 imap.example.gov.cn），"
                            "以及 IMAP端口、IMAP加密（无/STARTTLS/SSL）。")
        security = security_mode(v.get("IMAP加密") or "SSL", "IMAP加密")
        port_text = v.get("IMAP端口", "")
        try:
            port = int(float(port_text)) if port_text else (993 if security == "ssl" else 143)
        except ValueError:
            raise MailError(f"“设置”中的“IMAP端口”应为数字，现为“{port_text}”。") from None
        user = v.get("IMAP用户名") or v.get("SMTP用户名") or scheme.settings.sender
        if not user:
            raise MailError("请在考评台账“设置”中填写“IMAP用户名”（一般为绩效办的邮箱地址）。")
        return cls(host, port, security, user, v.get("IMAP文件夹") or "INBOX")


def stored_password(env: str, service: str, user: str) -> str | None:
    """The password from the environment variable `env`, else the OS keyring (if the keyring package is there)."""
    value = os.environ.get(env)
    if value:
        return value
    try:
        # lazy and optional: Windows Credential Manager, macOS Keychain, Secret Service; slow to import, often absent
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password(service, user)
    except Exception:  # no usable backend (e.g. a headless Linux): as if nothing were stored
        return None


def smtp_password(cfg: SmtpConfig) -> str | None:
    return stored_password(PASSWORD_ENV, KEYRING_SERVICE, cfg.user)


def imap_password(cfg: ImapConfig, book: OfficeBook, scheme: Scheme) -> str | None:
    """The IMAP password, else the SMTP one when both servers have the same user (the same mailbox)."""
    found = stored_password(IMAP_PASSWORD_ENV, IMAP_KEYRING_SERVICE, cfg.user)
    if found:
        return found
    smtp_user = setting_values(book).get("SMTP用户名") or scheme.settings.sender
    if smtp_user == cfg.user:  # the same mailbox: usually the same password
        return stored_password(PASSWORD_ENV, KEYRING_SERVICE, cfg.user)
    return None

"""The SMTP conversation: one connection that tells a refused message from a lost one from a maybe-delivered one.

Used by `send` for every message; it knows nothing of journals or workbooks. `transmit` raises `Refused` when the
server said no (certainly not accepted) and `Lost` when the connection broke, with `maybe_delivered` set when the
whole message had gone out and only the server's answer was missing. The password is sent only over an
encrypted connection (or to this machine), with AUTH PLAIN in UTF-8 where offered.
"""
from __future__ import annotations

import base64
import re
import smtplib
import socket
import ssl

from .config import KEYRING_SERVICE, PASSWORD_ENV, MailError, SmtpConfig


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
        where = cfg.where
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
            if cfg.password_in_clear:
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


def needs_login(e: Refused) -> bool:
    """530 / 5.7.0: the server wants a login before it takes any mail; no use going on with the others."""
    text = e.text.lower()
    return e.code == 530 or "5.7.0" in text or "authentication required" in text

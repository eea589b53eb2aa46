"""fetch: returned forms from a real IMAP server (Debian's dovecot, started here on 127.0.0.1 with a temp config)."""
from __future__ import annotations

import hashlib
import os
import pwd
import grp
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from base64 import b64encode
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from xlplugin import ledger
from xlplugin.mail import MailError, fetch
from xlplugin.mail.config import IMAP_PASSWORD_ENV
from xlplugin.mail.fetch import DUPLICATE, NO_ATTACHMENT, NOT_FORM, STORED, UNKNOWN_SENDER
from xlplugin.mail.imap import modified_utf7
from xlplugin.officebook import FileOfficeBook

from test_mail import free_port, set_email, set_settings, tls_files  # noqa: F401  (tls_files is a fixture

USER = "jxb@songyuan.example.gov.cn"
PASSWORD = "imap-secret"
DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)

pytestmark = pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (scripts/install-system-deps installs "
                                                          "dovecot-imapd)")


@dataclass
class Imap:
    port: int
    ssl_port: int
    maildir: Path
    uid: int
    gid: int
    n: int = 0

    def deliver(self, raw: bytes, received: datetime) -> Path:
        """Put a message into the Maildir as a delivery agent would; its mtime is the server's INTERNALDATE."""
        self.n += 1
        name = f"{int(received.timestamp())}.M{self.n}P{os.getpid()}.test"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self.uid, self.gid)
        stamp = received.timestamp()
        os.utime(tmp, (stamp, stamp))
        final = self.maildir / "new" / name
        os.rename(tmp, final)
        return final


def _users() -> tuple[str, str, str, int, int]:
    """(internal user, its group, login user, mail uid, mail gid): dovecot's own users as root, else ourselves."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        return me, group, me, os.getuid(), os.getgid()
    try:
        internal = pwd.getpwnam("dovecot")
        pwd.getpwnam("dovenull")
    except KeyError:
        pytest.skip("dovecot's system users (dovecot, dovenull) are missing")
    return "dovecot", grp.getgrgid(internal.pw_gid).gr_name, "dovenull", internal.pw_uid, internal.pw_gid


@pytest.fixture
def imap(tls_files):  # noqa: F811
    # not under pytest's tmp_path: its parents are private (0700), and dovecot's own users must reach the files
    base = Path(tempfile.mkdtemp(prefix="xlplugin-dovecot-"))
    os.chmod(base, 0o755)
    maildir = base / "Maildir"
    for sub in ("run", "state", "home", "Maildir/cur", "Maildir/new", "Maildir/tmp"):
        (base / sub).mkdir(parents=True)
    internal, group, login, uid, gid = _users()
    for path in [base / "home", maildir, *maildir.iterdir()]:
        os.chown(path, uid, gid)
    (base / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    cert, key = tls_files
    port, ssl_port = free_port(), free_port()
    conf = base / "dovecot.conf"
    conf.write_text(f"""
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{maildir}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""")
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else ""
                proc.kill()
                pytest.fail(f"dovecot did not start: {proc.stdout.read().decode()} {log}")
            time.sleep(0.1)
    yield Imap(port, ssl_port, maildir, uid, gid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(base, ignore_errors=True)


def point_at(office: Path, imap: Imap, security: str = "无") -> FileOfficeBook:
    port = imap.ssl_port if security == "SSL" else imap.port
    set_settings(office, IMAP服务器="127.0.0.1", IMAP端口=port, IMAP加密=security, IMAP用户名=USER)
    return FileOfficeBook(office)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def message(sender: str, subject: str, files: list[tuple[str, bytes]] = (), msgid: str | None = None,
            outlook_names: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = USER
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = msgid or make_msgid(domain="songyuan.example.gov.cn")
    msg.set_content("绩效办：表格已填好，请查收。")
    for name, data in files:
        maintype, subtype = (XLSX.split("/") if name.endswith(".xlsx") else ("application", "pdf"))
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        if outlook_names:  # as Outlook and many webmails write it: RFC 2047 words inside the quotes
            part = list(msg.iter_attachments())[-1]
            words = f'"=?utf-8?B?{b64encode(name.encode()).decode()}?="'
            del part["Content-Disposition"]
            part["Content-Disposition"] = f"attachment; filename={words}"
    return msg.as_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def log_rows(office: Path) -> list[dict]:
    return FileOfficeBook(office).read_sheet(ledger.FETCH_LOG.name).to_dict("records")


# ------------------------------------------------------------------------------------------ tests


@pytest.mark.slow  # an IMAP server (dovecot)
def test_fetch_stores_known_senders_lists_others_and_is_idempotent(office, city, imap):
    book = point_at(office, imap)
    d001 = city.unit_form("D001").read_bytes()
    d003 = city.unit_form("D003").read_bytes()
    k01_path = next(p for p in city.forms("考评部门") if "_K01_" in p.name)
    k01 = k01_path.read_bytes()
    t0 = datetime(2027, 1, 10, 9, 30, 0).astimezone()
    first_id = make_msgid(domain="songyuan.example.gov.cn")
    a = message("市发改委 <fgw@songyuan.example.gov.cn>", "回复：绩效考评表", [(city.unit_form("D001").name, d001)],
                msgid=first_id)
    imap.deliver(a, t0)
    imap.deliver(a, t0.replace(minute=31))  # the same message delivered twice
    imap.deliver(message("市监察局 <JCJ@SongYuan.Example.gov.cn>", "考评部门评分表",
                         [(k01_path.name, k01), ("佐证材料.pdf", b"%PDF-1.4 test")], outlook_names=True),
                 t0.replace(hour=10))
    imap.deliver(message("陌生人 <stranger@evil.example>", "表格", [("2026年终_D001_市发改委_绩效考评表.xlsx", d001)]),
                 t0.replace(hour=11))
    imap.deliver(message("市经委 <jingwei@songyuan.example.gov.cn>", "请问截止日期？"), t0.replace(hour=12))
    imap.deliver(message("市发改委 <fgw@songyuan.example.gov.cn>", "再发一次", [("再次发送.xlsx", d001)]),
                 t0.replace(hour=13))
    imap.deliver(message("市财政局 <czj@songyuan.example.gov.cn>", "表格", [("../../逃逸.xlsx", d003)]),
                 t0.replace(hour=14))

    progress = []
    result = fetch(book, password=PASSWORD, progress=lambda d, t: progress.append((d, t)))
    submit = office.parent / "提交"
    assert result.folder == submit
    assert result.seen == 7 and result.read == 6  # the duplicate delivery is not read twice
    assert progress[-1] == (6, 6)
    stored = sorted(p.relative_to(submit).as_posix() for p in result.stored)
    assert stored == sorted([f"D001_市发改委/{city.unit_form('D001').name}", f"K01_市监察局/{k01_path.name}",
                             "D003_市财政局/逃逸.xlsx"])
    assert sha((submit / "D001_市发改委" / city.unit_form("D001").name).read_bytes()) == sha(d001)
    assert sha((submit / "K01_市监察局" / k01_path.name).read_bytes()) == sha(k01)
    assert sha((submit / "D003_市财政局" / "逃逸.xlsx").read_bytes()) == sha(d003)
    assert not (office.parent / "逃逸.xlsx").exists()
    # the file's time is when the server received it: collect compares returns and deadlines by it
    assert (submit / "D001_市发改委" / city.unit_form("D001").name).stat().st_mtime == t0.timestamp()
    assert result.duplicates == ["再次发送.xlsx"]  # same bytes from the same sender: stored once
    assert [r["发件地址"] for r in result.unknown] == ["stranger@evil.example"]
    assert not any("evil" in p.as_posix() for p in submit.rglob("*"))
    assert [r["附件"] for r in result.not_forms] == ["佐证材料.pdf"]
    assert [r["发件地址"] for r in result.without_attachment] == ["jingwei@songyuan.example.gov.cn"]
    assert "stranger@evil.example" in "\n".join(result.details())
    rows = log_rows(office)
    assert len(rows) == 7  # D001, K01 form + pdf, stranger, no attachment, duplicate, D003
    assert {r["结果"] for r in rows} == {STORED, DUPLICATE, UNKNOWN_SENDER,
                                        NOT_FORM, NO_ATTACHMENT}
    assert next(r for r in rows if r["发件地址"] == "fgw@songyuan.example.gov.cn" and r["结果"] == STORED)["邮件编号"] == first_id

    # again: nothing is read, nothing stored, the log unchanged
    files_before = sorted(submit.rglob("*"))
    again = fetch(FileOfficeBook(office), password=PASSWORD)
    assert again.read == 0 and not again.stored and sorted(submit.rglob("*")) == files_before
    assert len(log_rows(office)) == 7

    # once the stranger's address is in the workbook, that message is taken too
    set_email(office, "单位", "D004", "stranger@evil.example")
    later = fetch(FileOfficeBook(office), password=PASSWORD)
    assert later.read == 1 and [p.parent.name for p in later.stored] == ["D004_市国资委"]

    # collect reads what fetch stored
    from xlplugin.collect import collect

    collected = collect(FileOfficeBook(office))
    status = collected.status

    def states(kind, code):
        return set(status.loc[(status["表格类型"] == kind) & (status["接收方代码"] == code), "状态"])

    # D001's form came twice (its own, and the copy from the address now filed under D004): the newer is used.
    # The forms were sent back blank, so each is filed under its form but 待更正 (required cells left empty).
    assert states("被考评单位", "D001") == {"待更正", "被替代"}
    assert states("考评部门", "K01") == {"待更正"}
    assert states("被考评单位", "D003") == {"待更正"}


@pytest.mark.slow  # an IMAP server (dovecot)
def test_a_crash_before_the_log_was_written_stores_nothing_twice(office, city, imap, monkeypatch):
    book = point_at(office, imap)
    imap.deliver(message("市发改委 <fgw@songyuan.example.gov.cn>", "表格",
                         [(city.unit_form("D001").name, city.unit_form("D001").read_bytes())]), datetime.now())

    def crash(self, sheets, charts=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(FileOfficeBook, "write_sheets", crash)
    with pytest.raises(KeyboardInterrupt):
        fetch(book, password=PASSWORD)
    monkeypatch.undo()
    submit = office.parent / "提交"
    assert len(list(submit.rglob("*.xlsx"))) == 1
    again = fetch(FileOfficeBook(office), password=PASSWORD)
    assert again.read == 1 and not again.stored and again.duplicates == [city.unit_form("D001").name]
    assert len(list(submit.rglob("*.xlsx"))) == 1


@pytest.mark.slow  # an IMAP server (dovecot)
def test_fetch_over_ssl_and_a_wrong_password(office, city, imap, tls_files, monkeypatch):  # noqa: F811
    book = point_at(office, imap, "SSL")
    imap.deliver(message("市发改委 <fgw@songyuan.example.gov.cn>", "表格",
                         [(city.unit_form("D001").name, city.unit_form("D001").read_bytes())]), datetime.now())
    context = ssl.create_default_context(cafile=str(tls_files[0]))
    monkeypatch.setenv(IMAP_PASSWORD_ENV, PASSWORD)
    result = fetch(book, ssl_context=context)
    assert len(result.stored) == 1
    monkeypatch.setenv(IMAP_PASSWORD_ENV, "wrong")
    with pytest.raises(MailError, match="拒绝登录"):
        fetch(FileOfficeBook(office), ssl_context=context)
    monkeypatch.delenv(IMAP_PASSWORD_ENV)
    monkeypatch.delenv("XLPLUGIN_SMTP_PASSWORD", raising=False)
    with pytest.raises(MailError, match="没有找到收件邮箱"):
        fetch(FileOfficeBook(office), ssl_context=context)
    with pytest.raises(MailError, match="加密连接失败"):  # the test certificate is not trusted by default
        fetch(FileOfficeBook(office), password=PASSWORD)


def test_missing_imap_settings_are_explained(office):
    with pytest.raises(MailError, match="IMAP服务器"):
        fetch(FileOfficeBook(office), password="x")


def test_mailbox_names_in_modified_utf7():
    assert modified_utf7("INBOX") == "INBOX"
    assert modified_utf7("收件箱") == "&ZTZO9nux-"
    assert modified_utf7("A&B 已发送") == "A&-B &XfJT0ZAB-"

"""send: real messages through a real SMTP server (aiosmtpd) on 127.0.0.1, read back and checked byte for byte."""
from __future__ import annotations

import email
import hashlib
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from email import policy
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import helpers
from xlplugin import ledger
from xlplugin.errors import UserError
from xlplugin.mail import MailError, send
from xlplugin.mail.address import split_addresses
from xlplugin.mail.config import PASSWORD_ENV, stored_password
from xlplugin.mail.journal import BAD_ADDRESS, FAILED, JOURNAL_NAME, NO_ADDRESS, SENT, UNKNOWN, SendLog
from xlplugin.mail.message import WIRE, Outgoing, attachment
from xlplugin.mail.send import plan_messages
from xlplugin.officebook import FileOfficeBook

PASSWORD = "Tèst-密码-4711"
USER = "jxb@songyuan.example.gov.cn"


# ------------------------------------------------------------------------------------------ the server


@dataclass
class Got:
    mail_from: str
    rcpt: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)


class Handler:
    """Keeps every accepted message; can refuse, or drop the connection before or after taking one."""

    def __init__(self):
        self.got: list[Got] = []
        self.refuse: set[str] = set()  # recipient addresses whose message gets 554 after DATA
        self.drop_before: dict[str, int] = {}  # drop the connection at RCPT TO (so many times): nothing accepted
        self.drop_after: set[str] = set()  # keep the message, then drop before answering: the client cannot know

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.drop_before.get(address):
            self.drop_before[address] -= 1
            server.transport.abort()
            return "421 gone"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        to = envelope.rcpt_tos
        if set(to) & self.refuse:
            self.refuse -= set(to)
            return "554 5.6.0 Message refused for testing"
        self.got.append(Got(envelope.mail_from, list(to), envelope.original_content))
        if set(to) & self.drop_after:
            self.drop_after -= set(to)
            server.transport.abort()
        return "250 OK"

    def to(self, address: str) -> list[Got]:
        return [g for g in self.got if address in g.rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    handler: Handler
    port: int
    controller: Controller


def start_server(**kwargs) -> Server:
    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return Server(handler, port, controller)


@pytest.fixture
def smtp():
    server = start_server()
    yield server
    server.controller.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (openssl), and a client context that trusts only it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def server_context(tls_files) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*map(str, tls_files))
    return ctx


def client_context(tls_files) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(tls_files[0]))


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


# ------------------------------------------------------------------------------------------ test data


SMTP_KEYS = {"host": "SMTP服务器", "port": "SMTP端口", "security": "SMTP加密"}


def set_settings(office: Path, **values) -> None:
    """设置 items by name, with host/port/security as short names for the SMTP ones."""
    helpers.set_settings(office, **{SMTP_KEYS.get(k, k): v for k, v in values.items()})


def set_email(office: Path, sheet: str, code: str, address: str | None) -> None:
    helpers.set_by_code(office, sheet, code, "电子邮箱", address)


def point_at(office: Path, server: Server, security: str = "无") -> FileOfficeBook:
    set_settings(office, host="127.0.0.1", port=server.port, security=security)
    return FileOfficeBook(office)


def sha(path_or_bytes) -> str:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    return hashlib.sha256(data).hexdigest()


def log_rows(office: Path) -> list[dict]:
    frame = FileOfficeBook(office).read_sheet(ledger.SEND_LOG.name)
    return frame.to_dict("records")


def plan(book: FileOfficeBook, what="forms", kinds=None) -> list[Outgoing]:
    from xlplugin.scheme import load_scheme

    scheme = load_scheme(book)
    return plan_messages(book, scheme, scheme.period(), what, kinds)


# ------------------------------------------------------------------------------------------ tests


@pytest.mark.slow  # an SMTP server (aiosmtpd)
def test_every_form_arrives_with_its_chinese_file_name_and_exact_bytes(office, smtp):
    book = point_at(office, smtp)
    messages = plan(book)
    seen = []
    result = send(book, "forms", progress=lambda done, total: seen.append((done, total)))
    assert result.ok and len(result.sent) == len(messages) == 65
    assert seen[-1] == (65, 65)
    got = smtp.handler.got
    assert len(got) == 65
    for o in messages:
        (g,) = smtp.handler.to(o.addresses[0])
        msg = g.message
        assert g.mail_from == USER
        assert msg["To"].addresses[0].addr_spec == o.addresses[0]
        assert msg["To"].addresses[0].display_name == o.recipient.name
        assert msg["From"].addresses[0].display_name == "松原市政府绩效评估委员会办公室"
        assert o.recipient.name in msg["Subject"] and "2027-01-15" in msg["Subject"]
        assert msg["Message-ID"] and msg["Date"]
        body = msg.get_body(("plain",)).get_content()
        assert "高洪涛" in body and "0438-6123456" in body and "2027-01-15" in body
        (part,) = list(msg.iter_attachments())
        (path,) = o.files
        assert part.get_filename() == path.name  # decoded Chinese name
        assert part.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert sha(part.get_content()) == sha(path)
        raw = g.data.decode("ascii")  # every header and body is 7-bit
        assert "filename*=utf-8''" in raw and 'name="=?utf-8?b?' in raw
    # the log: one row per message, with the file's sha256
    rows = log_rows(office)
    assert len(rows) == 65 and {r["结果"] for r in rows} == {SENT}
    by_code = {r["接收方代码"]: r for r in rows}
    d001 = next(o for o in messages if o.recipient.code == "D001")
    assert by_code["D001"]["SHA256"] == sha(d001.files[0])
    assert by_code["D001"]["文件"] == d001.files[0].name
    assert by_code["D001"]["电子邮箱"] == "fgw@songyuan.example.gov.cn"
    # a rerun sends nothing
    again = send(FileOfficeBook(office), "forms")
    assert again.sent == [] and len(again.already) == 65 and len(smtp.handler.got) == 65
    assert len(log_rows(office)) == 65


def test_python_and_the_legacy_parser_decode_the_attachment_header():
    part = attachment("2026年终_D001_市发改委_绩效考评表.xlsx", b"PK\x03\x04")
    raw = part.as_bytes(policy=WIRE).decode("ascii")
    assert "filename*=utf-8''2026%E5%B9%B4%E7%BB%88_D001_" in raw
    legacy = email.message_from_string(raw)  # compat32, as older tools read it
    assert legacy.get_filename() == "2026年终_D001_市发改委_绩效考评表.xlsx"
    modern = email.message_from_string(raw, policy=policy.default)
    assert modern.get_filename() == "2026年终_D001_市发改委_绩效考评表.xlsx"
    assert modern["content-type"].params["name"] == "2026年终_D001_市发改委_绩效考评表.xlsx"


@pytest.mark.slow  # an SMTP server (aiosmtpd)
def test_recipients_without_or_with_a_broken_address_are_reported_not_sent(office, smtp):
    set_email(office, "单位", "D002", None)
    set_email(office, "单位", "D003", "czj at songyuan")
    set_email(office, "单位", "D004", "gzw＠songyuan.example.gov.cn")  # full-width ＠: understood
    set_email(office, "单位", "D005", "a@songyuan.example.gov.cn；b@songyuan.example.gov.cn")  # two addresses
    book = point_at(office, smtp)
    result = send(book, "forms", kinds=["unit"])
    assert [o.recipient.code for o in result.no_address] == ["D002"]
    assert [(o.recipient.code, bad) for o, bad in result.bad_address] == [("D003", ["czj", "at", "songyuan"])]
    assert len(result.sent) == 36
    assert "1 个接收方没有邮箱地址" in result.summary()
    assert any("没有邮箱地址" in line and "D002" in line for line in result.details())
    assert len(smtp.handler.to("gzw@songyuan.example.gov.cn")) == 1
    (both,) = smtp.handler.to("a@songyuan.example.gov.cn")
    assert both.rcpt == ["a@songyuan.example.gov.cn", "b@songyuan.example.gov.cn"]
    rows = log_rows(office)
    assert [r["结果"] for r in rows if r["接收方代码"] == "D002"] == [NO_ADDRESS]
    assert [r["结果"] for r in rows if r["接收方代码"] == "D003"] == [BAD_ADDRESS]
    # a rerun reports them again but does not pile up rows; once the address is there, it goes out
    set_email(office, "单位", "D002", "jingwei@songyuan.example.gov.cn")
    again = send(FileOfficeBook(office), "forms", kinds=["unit"])
    assert [o.recipient.code for o in again.sent] == ["D002"]
    assert [o.recipient.code for o, _ in again.bad_address] == ["D003"]
    rows = log_rows(office)
    assert [r["结果"] for r in rows if r["接收方代码"] == "D002"] == [NO_ADDRESS, SENT]
    assert [r["结果"] for r in rows if r["接收方代码"] == "D003"] == [BAD_ADDRESS]


@pytest.mark.slow  # an SMTP server (aiosmtpd)
def test_refused_part_way_then_rerun_every_recipient_gets_exactly_one(office, smtp):
    book = point_at(office, smtp)
    messages = plan(book, kinds=["rater", "leader"])
    addresses = [o.addresses[0] for o in messages]
    smtp.handler.refuse = {addresses[2], addresses[7], addresses[8]}
    first = send(book, "forms", kinds=["rater", "leader"])
    assert not first.ok and len(first.failed) == 3 and len(first.sent) == len(messages) - 3
    assert "554" in first.failed[0][1]
    assert any("发送失败" in line for line in first.details())
    second = send(FileOfficeBook(office), "forms", kinds=["rater", "leader"])
    assert second.ok and sorted(o.addresses[0] for o in second.sent) == sorted([addresses[2], addresses[7], addresses[8]])
    assert len(second.already) == len(messages) - 3
    for address in addresses:
        assert len(smtp.handler.to(address)) == 1, address
    rows = log_rows(office)
    assert sum(r["结果"] == FAILED for r in rows) == 3
    assert sum(r["结果"] == SENT for r in rows) == len(messages)


@pytest.mark.slow  # an SMTP server (aiosmtpd)
def test_dropped_connections_failed_is_resent_maybe_delivered_is_not(office, smtp):
    book = point_at(office, smtp)
    messages = plan(book, kinds=["rater", "leader"])
    addresses = [o.addresses[0] for o in messages]
    lost, again, maybe = addresses[1], addresses[2], addresses[4]
    # dropped at RCPT TO, certainly not delivered: once is retried at once on a new connection, twice fails
    smtp.handler.drop_before = {lost: 2, again: 1}
    smtp.handler.drop_after = {maybe}  # the server kept it, the answer never came
    first = send(book, "forms", kinds=["rater", "leader"])
    assert [o.addresses[0] for o, _ in first.failed] == [lost]
    assert [o.addresses[0] for o, _ in first.unknown] == [maybe]
    assert len(first.sent) == len(messages) - 2  # the run went on over a fresh connection each time
    second = send(FileOfficeBook(office), "forms", kinds=["rater", "leader"])
    assert [o.addresses[0] for o in second.sent] == [lost]
    assert [o.addresses[0] for o, _ in second.held] == [maybe]
    assert any("--resend" in line for line in second.details())
    for address in addresses:
        assert len(smtp.handler.to(address)) == 1, address
    # the office checked and wants it sent once more: only then a second copy
    code = messages[4].recipient.code
    third = send(FileOfficeBook(office), "forms", kinds=["rater", "leader"], resend=[code])
    assert [o.recipient.code for o in third.sent] == [code]
    assert len(smtp.handler.to(maybe)) == 2


CRASH = textwrap.dedent("""
    import os, sys
    from xlplugin.mail import send
    from xlplugin.officebook import FileOfficeBook

    def progress(done, total):
        if done == int(sys.argv[2]):
            os._exit(3)  # a hard crash: no finally, no sheet written

    send(FileOfficeBook(sys.argv[1]), "forms", kinds=["rater", "leader"], progress=progress)
""")


@pytest.mark.slow  # an SMTP server (aiosmtpd)
def test_a_crash_between_messages_loses_nothing_and_sends_nothing_twice(office, smtp):
    book = point_at(office, smtp)
    messages = plan(book, kinds=["rater", "leader"])
    run = subprocess.run([sys.executable, "-c", CRASH, str(office), "4"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 3, run.stderr
    assert len(smtp.handler.got) == 4
    assert ledger.SEND_LOG.name not in FileOfficeBook(office).sheet_names()  # only the journal knows
    result = send(FileOfficeBook(office), "forms", kinds=["rater", "leader"])
    assert result.ok and len(result.already) == 4 and len(result.sent) == len(messages) - 4
    for o in messages:
        assert len(smtp.handler.to(o.addresses[0])) == 1
    rows = log_rows(office)
    assert len(rows) == len(messages) and {r["结果"] for r in rows} == {SENT}


@pytest.mark.slow  # an SMTP server (aiosmtpd)
def test_a_crash_after_the_server_accepted_but_before_the_record_is_not_resent(office, smtp, monkeypatch):
    book = point_at(office, smtp)
    messages = plan(book, kinds=["rater"])
    record = SendLog.record
    calls = {"sent": 0}

    def crash_on_second_success(self, ident, row):
        if row["结果"] == SENT:
            calls["sent"] += 1
            if calls["sent"] == 2:
                raise KeyboardInterrupt  # the server has the message; our record of it never got written
        record(self, ident, row)

    monkeypatch.setattr(SendLog, "record", crash_on_second_success)
    with pytest.raises(KeyboardInterrupt):
        send(book, "forms", kinds=["rater"])
    monkeypatch.setattr(SendLog, "record", record)
    assert len(smtp.handler.got) == 2
    result = send(FileOfficeBook(office), "forms", kinds=["rater"])
    assert [o.recipient.code for o, _ in result.held] == [messages[1].recipient.code]
    assert len(result.sent) == len(messages) - 2
    for o in messages:
        assert len(smtp.handler.to(o.addresses[0])) == 1
    states = {r["接收方代码"]: r["结果"] for r in log_rows(office)}
    assert states[messages[1].recipient.code] == UNKNOWN


@pytest.mark.slow  # an SMTP server (aiosmtpd)
def test_dry_run_writes_eml_files_that_parse_back_and_sends_nothing(office, smtp):
    book = point_at(office, smtp)
    result = send(book, "forms", dry_run=True, kinds=["unit", "leader"])
    assert len(result.previews) == 38 + 12 and not smtp.handler.got
    assert ledger.SEND_LOG.name not in FileOfficeBook(office).sheet_names()
    messages = {o.recipient.code: o for o in plan(book, kinds=["unit", "leader"])}
    for path in result.previews:
        assert path.suffix == ".eml" and path.parent.name == "预览-表格"
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        code = path.stem.split("_")[1]
        o = messages[code]
        assert msg["X-Unsent"] == "1"
        assert msg["To"].addresses[0].addr_spec == o.addresses[0]
        (part,) = list(msg.iter_attachments())
        assert part.get_filename() == o.files[0].name
        assert sha(part.get_content()) == sha(o.files[0])
    # a second dry run replaces the previews
    again = send(FileOfficeBook(office), "forms", dry_run=True, kinds=["leader"])
    assert sorted(p.name for p in result.previews[0].parent.glob("*.eml")) == sorted(p.name for p in again.previews)


@pytest.mark.slow  # an SMTP server (aiosmtpd)
def test_feedback_goes_to_every_unit(office, smtp):
    import random

    from xlplugin.collect import collect
    from xlplugin.feedback import feedback as write_feedback
    from xlplugin.scheme import load_scheme
    from xlplugin.simulate import simulate_returns

    book = point_at(office, smtp)
    missing = send(book, "feedback", dry_run=True)
    assert len(missing.missing) == 38 and not missing.previews  # nothing to attach yet
    forms = sorted((office.parent / "输出").rglob("*.xlsx"))
    simulate_returns(load_scheme(book), forms, office.parent / "提交", random.Random(1))
    collect(book)  # feedback is written from collected marks only
    feedback = write_feedback(FileOfficeBook(office))
    result = send(FileOfficeBook(office), "feedback")
    assert result.ok and len(result.sent) == 38
    for path in feedback.paths:
        code = path.name.split("_")[1]
        o = next(o for o in plan(book, "feedback") if o.recipient.code == code)
        (g,) = smtp.handler.to(o.addresses[0])
        (part,) = list(g.message.iter_attachments())
        assert part.get_filename() == path.name and path.name.endswith("_绩效反馈.xlsx")
        assert sha(part.get_content()) == sha(path)
        assert "结果反馈" in g.message["Subject"]
    rows = log_rows(office)
    assert {r["内容"] for r in rows} == {"反馈"} and len(rows) == 38
    # forms and feedback are logged apart: sending the forms now is not blocked by the feedback
    forms = send(FileOfficeBook(office), "forms", kinds=["unit"])
    assert len(forms.sent) == 38


@pytest.mark.slow  # an SMTP server (aiosmtpd)
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["STARTTLS", "SSL"])
def test_encrypted_connection_and_login(office, tls_files, security, monkeypatch):
    kwargs = dict(authenticator=authenticator, auth_required=True)
    if security == "SSL":  # aiosmtpd does not count implicit TLS as TLS for AUTH: the whole session is TLS anyway
        server = start_server(ssl_context=server_context(tls_files), auth_require_tls=False, **kwargs)
    else:
        server = start_server(tls_context=server_context(tls_files), require_starttls=True,
                              auth_require_tls=True, **kwargs)
    try:
        book = point_at(office, server, security)
        monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
        result = send(book, "forms", kinds=["rater"], ssl_context=client_context(tls_files))
        assert result.ok and len(result.sent) == 5 and len(server.handler.got) == 5
        # the password is nowhere: not in the workbook, not in the journal
        wb = openpyxl.load_workbook(office)
        cells = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
        assert not any(PASSWORD in c for c in cells)
        journal = result.folder / JOURNAL_NAME
        assert PASSWORD not in journal.read_text(encoding="utf-8")
        # a wrong password stops before anything is sent or recorded
        monkeypatch.setenv(PASSWORD_ENV, "wrong")
        with pytest.raises(MailError, match="拒绝登录"):
            send(FileOfficeBook(office), "forms", kinds=["leader"], ssl_context=client_context(tls_files))
        assert len(server.handler.got) == 5
        # an untrusted certificate is refused
        with pytest.raises(MailError, match="加密连接失败"):
            send(FileOfficeBook(office), "forms", kinds=["leader"], password=PASSWORD)
    finally:
        server.controller.stop()


@pytest.mark.slow  # an SMTP server (aiosmtpd)
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_server_that_wants_a_login_stops_the_run_with_advice(office, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    server = start_server(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    try:
        book = point_at(office, server)
        result = send(book, "forms", kinds=["rater"], password="")
        assert result.aborted and PASSWORD_ENV in result.aborted
        assert len(result.failed) == 1 and not server.handler.got  # stopped at the first, not 5 failures
    finally:
        server.controller.stop()


def test_unreachable_server_is_a_clear_error_and_nothing_is_recorded(office):
    set_settings(office, host="127.0.0.1", port=free_port(), security="无")
    with pytest.raises(MailError, match="无法连接邮件服务器"):
        send(FileOfficeBook(office), "forms", kinds=["rater"])
    assert ledger.SEND_LOG.name not in FileOfficeBook(office).sheet_names()


def test_password_sources(monkeypatch):
    import types

    monkeypatch.setenv("XLP_TEST_PW", "from-env")
    assert stored_password("XLP_TEST_PW", "svc", "u") == "from-env"
    monkeypatch.delenv("XLP_TEST_PW")
    fake = types.SimpleNamespace(get_password=lambda service, user: f"{service}/{user}")
    monkeypatch.setitem(sys.modules, "keyring", fake)
    assert stored_password("XLP_TEST_PW", "xlplugin-smtp", "jxb") == "xlplugin-smtp/jxb"

    def broken(service, user):
        raise RuntimeError("no backend")

    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=broken))
    assert stored_password("XLP_TEST_PW", "xlplugin-smtp", "jxb") is None


def test_addresses_are_normalised_and_checked():
    assert split_addresses("ＦＧＷ＠songyuan.example.gov.cn") == (["FGW@songyuan.example.gov.cn"], [])
    assert split_addresses("a@x.cn; b@y.cn，mailto:c@z.cn") == (["a@x.cn", "b@y.cn", "c@z.cn"], [])
    assert split_addresses("发改委邮箱") == ([], ["发改委邮箱"])
    assert split_addresses(None) == ([], [])


def test_cli_send_dry_run(office, capsys):
    from xlplugin.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["send", str(office), "--what", "forms", "--dry-run", "--kind", "leader"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "试发送表格" in out and "应发 12 封" in out


@pytest.mark.slow  # an SMTP server (aiosmtpd)
def test_changes_after_sending_are_reported_not_resent(office, smtp):
    book = point_at(office, smtp)
    messages = plan(book, kinds=["rater"])
    assert len(send(book, "forms", kinds=["rater"]).sent) == 5
    set_email(office, "评议组", "P01", "new@songyuan.example.gov.cn")  # the address was wrong and got corrected
    p02 = messages[1].files[0]
    p02.write_bytes(p02.read_bytes() + b"\0")  # the form was regenerated
    set_email(office, "评议组", "P03", None)  # an address removed after the form went out
    result = send(FileOfficeBook(office), "forms", kinds=["rater"])
    assert result.sent == [] and len(result.already) == 5 and not result.no_address
    changed = {o.recipient.code: why for o, why in result.changed}
    assert set(changed) == {"P01", "P02"}
    assert "new@songyuan.example.gov.cn" in changed["P01"] and "文件有更新" in changed["P02"]
    assert any("--resend P01" in line for line in result.details())
    again = send(FileOfficeBook(office), "forms", kinds=["rater"], resend=["P01"])
    assert [o.recipient.code for o in again.sent] == ["P01"]
    assert len(smtp.handler.to("new@songyuan.example.gov.cn")) == 1
    with pytest.raises(UserError, match="不在本次的接收方中"):
        send(FileOfficeBook(office), "forms", kinds=["rater"], resend=["D001"])


def test_forms_made_again_after_sending_are_sent_again_when_asked(office, smtp):
    """更新预填表格 makes the departments' and leaders' forms again after they went out: `resend_updated` (the CLI's
    --resend-updated, the ribbon's 发送更新的表格) sends exactly those again, and the corrected address; the forms
    nobody changed are not sent twice, and a second run sends nothing."""
    book = point_at(office, smtp)
    messages = plan(book, kinds=["rater"])
    assert len(send(book, "forms", kinds=["rater"]).sent) == 5
    for m in messages[1:3]:
        m.files[0].write_bytes(m.files[0].read_bytes() + b"\0")  # P02's and P03's forms were made again
    set_email(office, "评议组", "P04", "p04@songyuan.example.gov.cn")
    # P03 has returned its form meanwhile (提交情况, as collect writes it): it is not sent the newer one
    status = pd.DataFrame([["评议组", "P03", "市政协委员评议组", "已收到", "x.xlsx", None, 0, None, None],
                           ["评议组", "P02", "服务对象代表评议组", "缺交", None, None, 0, None, None]],
                          columns=list(ledger.STATUS.columns))
    FileOfficeBook(office).write_sheets({ledger.STATUS.name: status})
    result = send(FileOfficeBook(office), "forms", kinds=["rater"], resend_updated=True)
    assert sorted(o.recipient.code for o in result.sent) == ["P02", "P04"] == sorted(o.recipient.code for o in result.updated)
    assert [o.recipient.code for o in result.returned] == ["P03"] and "1 个接收方已交回表格" in result.summary()
    assert not result.changed and len(result.already) == 3 and "（其中 2 封是更新后重发）" in result.summary()
    assert len(smtp.handler.to("p04@songyuan.example.gov.cn")) == 1
    again = send(FileOfficeBook(office), "forms", kinds=["rater"], resend_updated=True)
    assert again.sent == [] and len(again.already) == 5


def test_forms_body_greets_a_leader_by_name_and_post_and_says_what_is_locked(city):
    """A leader is greeted as 刘志刚市长 (领导's 姓名 + 职务), not by the form's recipient name 刘志刚（市长）; a unit keeps
    its name (and contact). The notes say what the forms show: only the yellow cells are filled in, the rest is locked
    (white, not grey); only the unit form has grey computed cells."""
    from xlplugin.mail.message import template_context
    from xlplugin.templating import render

    book = FileOfficeBook(city.office)
    scheme, period = city.scheme, city.scheme.period()
    by_kind = {}
    for o in plan_messages(book, scheme, period, "forms", ["unit", "leader"]):
        by_kind.setdefault((o.kind, o.recipient.code), o)
    body = {key: render("mail/forms_body.txt.j2", **template_context(scheme, period, o))
            for key, o in by_kind.items()}
    leader = body[("leader", "L01")]
    assert leader.splitlines()[0] == "刘志刚市长："  # (the attachment's file name keeps 刘志刚（市长）)
    assert "灰色部分已锁定" not in leader and "黄色单元格" in leader and "灰色单元格" not in leader
    l02 = body[("leader", "L02")]
    assert l02.startswith("王建国常务副市长：")
    unit = next(u for u in scheme.units if ("unit", u.code) in body)
    text = body[("unit", unit.code)]
    first = text.splitlines()[0]
    assert first.startswith(unit.name) and first.endswith("：")
    assert "灰色部分已锁定" not in text and "黄色单元格" in text and "灰色单元格自动计算" in text

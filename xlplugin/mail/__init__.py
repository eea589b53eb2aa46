"""mail: the e-mail stage of the cycle — `send` the forms and the feedback out, `fetch` the returned forms in.

    config   the 设置 values for the SMTP and IMAP servers, passwords from the environment or the keyring
    address  e-mail addresses as offices type them
    message  one outgoing message: its recipient, workbooks and MIME bytes
    journal  the send journal and the 发送记录 sheet: nothing sent twice, nothing lost
    smtp     the SMTP conversation (refused / lost / maybe delivered)
    send     the verb `send`
    imap     the IMAP conversation (read-only)
    fetch    the verb `fetch`: returned forms into the submission folder, the 收件记录 sheet
"""
from .config import MailError
from .fetch import FetchResult, fetch
from .send import SendResult, send

__all__ = ["send", "fetch", "SendResult", "FetchResult", "MailError"]

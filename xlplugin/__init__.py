"""xlplugin: a government performance evaluation (政府绩效评估) cycle in Excel, as a library.

The verbs of the cycle, in order, each in the module named after it:

    init      write a new office workbook (考评台账) from a sample           xlplugin.init
    check     read and validate the scheme only                             xlplugin.check
    generate  one signed, locked form workbook per recipient                xlplugin.generate
    send      e-mail each form (or feedback workbook) to its recipient     xlplugin.mail.send
    fetch     take returned attachments from the mailbox                    xlplugin.mail.fetch
    collect   read and check every returned file; marks and issues          xlplugin.collect
    score     score, grade and rank; the result sheets                      xlplugin.score
    feedback  one feedback workbook per unit                                xlplugin.feedback

Each takes an OfficeBook (`xlplugin.officebook.FileOfficeBook(path)`, or the xlwings adapter in
`xlplugin.xlbook`), a progress callback where the work is long, and returns a result object whose `summary()`
says what happened in Chinese. The front doors — `xlplugin.cli` (the command line), `xlplugin.ribbon` (the Excel
add-in) and `xlplugin.demo` — only call these; nothing in the library imports them.

Note: `xlplugin.collect` and the other names below are the verb functions; import a module's other names from
the module itself (`from xlplugin.collect import CollectResult`).
"""
__version__ = "0.1.0"

from .check import check  # noqa: E402
from .collect import collect  # noqa: E402
from .feedback import feedback  # noqa: E402
from .generate import generate  # noqa: E402
from .init import init  # noqa: E402
from .mail import fetch, send  # noqa: E402
from .score import score  # noqa: E402

__all__ = ["init", "check", "generate", "send", "fetch", "collect", "score", "feedback", "__version__"]

"""check: read and validate the office workbook only; every mistake is reported at once, nothing is written."""
from __future__ import annotations

from dataclasses import dataclass

from .officebook import OfficeBook
from .scheme import Scheme, load_scheme


@dataclass
class CheckResult:
    scheme: Scheme

    def summary(self) -> str:
        s = self.scheme
        return (f"考评台账校验通过：{len(s.units)} 个被考评单位，{len(s.indicators)} 项指标，{len(s.evaluators)} 个考评部门，"
                f"{len(s.rater_groups)} 个评议组，{len(s.leaders)} 位领导。")


def check(book: OfficeBook) -> CheckResult:
    """Validate the scheme; raises SchemeError listing every problem with sheet and row."""
    return CheckResult(load_scheme(book))

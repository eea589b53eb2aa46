"""Shared fixtures: sample office workbooks and the forms generated from them, made once per session."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from xlplugin.generate import GenerateResult, generate
from xlplugin.officebook import FileOfficeBook
from xlplugin.init import init as write_sample
from xlplugin.scheme import Scheme, load_scheme

requires_soffice = pytest.mark.skipif(shutil.which("soffice") is None,
                                      reason="LibreOffice (soffice) is not installed; CI installs it")


@dataclass
class Generated:
    office: Path
    scheme: Scheme
    result: GenerateResult

    def forms(self, kind_folder: str) -> list[Path]:
        return sorted(p for p in self.result.paths if p.parent.name == kind_folder)

    def unit_form(self, code: str) -> Path:
        return next(p for p in self.forms("被考评单位") if f"_{code}_" in p.name)


@pytest.fixture
def city_office(tmp_path) -> Path:
    return write_sample(tmp_path / "考评台账.xlsx", "city")


def _generate(folder: Path, sample: str) -> Generated:
    office = write_sample(folder / "考评台账.xlsx", sample)
    book = FileOfficeBook(office)
    return Generated(office, load_scheme(book), generate(book))


@pytest.fixture(scope="session")
def city(tmp_path_factory) -> Generated:
    """The city sample with every form of its current period generated (read-only: copy before editing)."""
    return _generate(tmp_path_factory.mktemp("city"), "city")


@pytest.fixture(scope="session")
def province(tmp_path_factory) -> Generated:
    return _generate(tmp_path_factory.mktemp("province"), "province")


@pytest.fixture(scope="session")
def county(tmp_path_factory) -> Generated:
    return _generate(tmp_path_factory.mktemp("county"), "county")


@pytest.fixture
def office(city, tmp_path) -> Path:
    """A private copy of the generated city sample (workbook and forms), to change freely."""
    folder = tmp_path / "city"
    shutil.copytree(city.office.parent, folder)
    return folder / city.office.name

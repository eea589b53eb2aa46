"""After collection, the evaluating departments' forms show what each unit reported, locked."""
from __future__ import annotations

import random

import openpyxl
import pytest

from xlplugin.collect import collect
from xlplugin.forms import evaluator as evaluator_form, unit as unit_form
from xlplugin.forms.read import FormFile, read_grid, read_meta
from xlplugin.forms import open_verified
from xlplugin.generate import generate
from xlplugin.officebook import FileOfficeBook
from xlplugin.scheme import load_scheme
from xlplugin.simulate import fill


@pytest.mark.slow  # collect and generate
def test_evaluator_form_is_prefilled_with_the_units_reports(city_office):
    book = FileOfficeBook(city_office)
    scheme = load_scheme(book)
    forms = generate(book, kinds=["unit"]).paths
    submitted = city_office.parent / "提交"
    rng = random.Random(7)
    for path in forms[:5]:
        fill(path, submitted / path.name, scheme, rng)
    collect(book)
    evaluators = generate(book, kinds=["evaluator"]).paths

    # what the first unit reported, read straight from its returned form
    returned = open_verified(submitted / forms[0].name, scheme.settings.key)
    unit = returned.meta.recipient
    reported = {ident: c for _, ident, c in read_grid(returned.form, unit_form.INDICATORS, returned.meta)}

    seen = 0
    for path in evaluators:
        v = open_verified(path, scheme.settings.key)
        ws = openpyxl.load_workbook(path)[evaluator_form.SHEET]
        for row, _, c in read_grid(v.form, evaluator_form.SCORES, v.meta):
            if c["unit"] == unit:
                mine = reported[c["code"]]
                assert c["self_score"] == mine["self_score"]
                assert str(c["actual"]) == str(mine["actual"]) or c["actual"] == mine["actual"]
                assert c["explanation"] == mine["explanation"]
                assert ws.cell(row + 1, evaluator_form.SCORES.col("self_score") + 1).protection.locked
                assert c["score"] is None  # the department's own column stays empty
                seen += 1
            elif c["unit"] not in {read_meta(FormFile(p)).recipient for p in forms[:5]}:
                assert c["self_score"] is None  # units that sent nothing: nothing to show
    assert seen == len(reported)

"""The master collect writes with bulk rows is the master openpyxl would have written.

Collect writes the data rows of ``Results``, ``考核历史``, ``Issues``, ``Log`` and the record
store as XML text after openpyxl has saved the sheets' first rows (:mod:`kpixl.xlsx.bulk`,
:attr:`kpixl.master.book.Master.bulk`). Here the same collects run twice — the fast way, and
with every row written by openpyxl (the bulk writers switched off) — and the two masters are
read back cell by cell: values, kinds, number formats, fonts, fills, alignments, borders,
row heights, column widths, frozen panes, filters, print set-up and every cached result.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest

import kpixl.master.collect.write as write_mod
import kpixl.master.store as store_mod
import kpixl.results.sheet as sheet_mod
from kpixl.card.distribute import distribute
from kpixl.master.book import new_master
from kpixl.master.collect import collect
from kpixl.xlsx.cached import kept_results

from collect_kit import e2e_scheme, input_cells, inputs, roster, type_inputs

PERIOD = "2026-11"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A master of 20 people, their two managers' files typed (some text hostile, one sheet bad),
    and one file typed again later with a changed figure."""
    d = tmp_path_factory.mktemp("bulk")
    people = roster(20)
    master = new_master(e2e_scheme(), people, d / "master.xlsx")
    manifest = distribute(master, None, PERIOD, d / "sent", workers=1)
    sent = [d / "sent" / s.file for s in manifest.entries]
    cells = input_cells(master)
    values = inputs(people).astype(object)
    values.loc[values["employee_id"] == "E2002", "special.reason"] = "=HYPERLINK(\"http://x\")"  # text, never a formula
    values.loc[values["employee_id"] == "E2006", "special"] = 3
    values.loc[values["employee_id"] == "E2006", "special.reason"] = "  加班\n支援  " + "很长的原因" * 20
    values.loc[values["employee_id"] == "E2005", "sales"] = "九十"  # not a number: quarantined
    typed = [type_inputs(f, d / "typed" / f.name, cells, values) for f in sent]
    values.loc[values["employee_id"] == "E2001", "sales"] = 1_000_000
    source = next(f for f in sent if "周建国" in f.name)
    newer = type_inputs(source, d / "newer" / source.name, cells, values)
    return {"dir": d, "typed": typed, "newer": newer}


def _master(world, tmp: Path) -> Path:
    tmp.mkdir()
    path = tmp / "master.xlsx"
    shutil.copy2(world["dir"] / "master.xlsx", path)
    for suffix in (".kpixl-key", ".kpixl-sent.json"):
        shutil.copy2(world["dir"] / f"master.xlsx{suffix}", tmp / f"master.xlsx{suffix}")
    return path


def _collect_both(world, tmp_path, monkeypatch, batches) -> tuple[Path, Path]:
    fast, slow = _master(world, tmp_path / "fast"), _master(world, tmp_path / "slow")
    for files, now in batches:
        assert collect(fast, files, now=now, user="hr").written
    with monkeypatch.context() as m:  # every row an openpyxl cell, as before bulk rows
        for mod in (write_mod, store_mod, sheet_mod):
            m.setattr(mod, "bulk_values", lambda rows: None)
        for files, now in batches:
            assert collect(slow, files, now=now, user="hr").written
    return fast, slow


def _style(cell) -> tuple:
    return (cell.number_format, repr(cell.font), repr(cell.fill), repr(cell.alignment), repr(cell.border),
            repr(cell.protection))


def assert_same_master(fast: Path, slow: Path) -> None:
    a, b = openpyxl.load_workbook(fast), openpyxl.load_workbook(slow)
    assert a.sheetnames == b.sheetnames
    for title in a.sheetnames:
        x, y = a[title], b[title]
        assert (x.max_row, x.max_column) == (y.max_row, y.max_column), title
        for row_x, row_y in zip(x.iter_rows(), y.iter_rows()):
            for p, q in zip(row_x, row_y):
                assert p.value == q.value, (title, p.coordinate)
                if p.value is not None:  # an empty text cell and no cell are both blank
                    assert p.data_type == q.data_type, (title, p.coordinate)
                assert _style(p) == _style(q), (title, p.coordinate)
        for r in set(x.row_dimensions) | set(y.row_dimensions):
            assert (x.row_dimensions[r].height, x.row_dimensions[r].hidden) == (
                y.row_dimensions[r].height, y.row_dimensions[r].hidden), (title, r)
        for k in set(x.column_dimensions) | set(y.column_dimensions):
            assert x.column_dimensions[k].width == y.column_dimensions[k].width, (title, k)
        for attr in ("freeze_panes", "print_title_rows", "print_title_cols", "sheet_state"):
            assert getattr(x, attr) == getattr(y, attr), (title, attr)
        assert x.auto_filter.ref == y.auto_filter.ref, title
        assert (x.page_setup.fitToWidth, x.page_setup.orientation) == (y.page_setup.fitToWidth, y.page_setup.orientation)
        assert x.protection.sheet == y.protection.sheet and x.oddFooter.center.text == y.oddFooter.center.text
    # Every formula caches the same result, as the same text.
    kept_a, kept_b = kept_results(fast), kept_results(slow)
    assert kept_a.keys() == kept_b.keys()
    for title in kept_a:
        assert {r: (k.formula, k.text, k.type or "n") for r, k in kept_a[title].items()} == {
            r: (k.formula, k.text, k.type or "n") for r, k in kept_b[title].items()}, title


def test_collect_writes_the_master_openpyxl_would_write(world, tmp_path, monkeypatch):
    fast, slow = _collect_both(world, tmp_path, monkeypatch, [(world["typed"], NOW)])
    assert_same_master(fast, slow)
    wb = openpyxl.load_workbook(fast)
    # The rows past the first are bulk rows: 18 people collected (E2005's sheet has a word for a
    # number, E2002's a formula for a reason: both quarantined), each formula's result cached.
    results = [r for r in wb["Results"].iter_rows(min_row=3, values_only=True)]
    assert len(results) == 18 and len(kept_results(fast)["Results"]) == 18 * 11
    reasons = [c for row in wb["Results"].iter_rows(min_row=4) for c in row if isinstance(c.value, str) and "加班" in c.value]
    assert [(c.value, c.data_type) for c in reasons] == [("  加班\n支援  " + "很长的原因" * 20, "s")]
    # Returned text stays text: the formula E2002's manager typed is shown in Issues, never run.
    issues = wb["Issues"]
    hostile = [c for row in issues.iter_rows(min_row=4) for c in row if c.value == "=HYPERLINK(\"http://x\")"]
    assert [c.data_type for c in hostile] == ["s"]
    assert issues.row_dimensions[6].height == 58.0  # a long problem wraps over four lines (13.5 each + 4)


def test_recollecting_reads_the_bulk_master_back(world, tmp_path, monkeypatch):
    fast, slow = _collect_both(world, tmp_path, monkeypatch, [(world["typed"], NOW), ([world["newer"]], LATER)])
    assert_same_master(fast, slow)
    log = [r for r in openpyxl.load_workbook(fast)["Log"].iter_rows(min_row=3, values_only=True)]
    change = [r for r in log if r[4] == "E2001" and r[6] == "sales"]
    assert len(change) == 1 and change[0][8] == 1_000_000

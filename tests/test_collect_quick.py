"""The quick paths of checking returned sheets agree with the careful ones they stand in for.

``SheetChecker`` first looks at a sheet's locked cells in one pass (``returned.QUICK``) and
only when something may be wrong walks its cells one by one; the MAC of a sheet's formulas
reuses the lines of a formula set met before; the roster is read column by column; every
person's formula literals are read at once. Each must give exactly what the careful path
gives: the same problems, warnings, values and places, in the same order, on hostile sheets
too (random edits of random cells, stamps and formulas).
"""

from __future__ import annotations

import dataclasses
import datetime
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kpixl.card import stamp as stamp_mod
from kpixl.card.distribute import distribute
from kpixl.card.stamp import STAMP_NAME, formula_checksum, keyed_checksum, master_key, normal_formula
from kpixl.engine.inputs import ID
from kpixl.engine.score import prepare
from kpixl.master import returned
from kpixl.master.book import new_master, open_master
from kpixl.master.collect.check import Expected, roster_values
from kpixl.master.records import Records
from kpixl.master.returned import SheetChecker, listed_names, listed_rows, stamped_sheets
from kpixl.xlsx.cells import cell_value
from kpixl.xlsx.reader import Cell, read_book

from collect_kit import e2e_scheme, roster

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """A master of 8 people and its sheets as sent (read as collect reads them), with its checker."""
    d = tmp_path_factory.mktemp("quick")
    master = new_master(e2e_scheme(), roster(8), d / "master.xlsx")
    manifest = distribute(master, None, "2026-11", d / "sent", workers=1)
    records = Records(open_master(master), "2026-11", "collecting")
    expected = Expected(records, master_key(master))  # distribute made the master's key: the stamps are keyed MACs
    sheets = []
    for e in manifest.entries:
        book = read_book(d / "sent" / e.file, only=STAMP_NAME)
        found, problems = stamped_sheets(book)
        assert not problems
        sheets += [(book, sheet, stamp) for sheet, stamp in found]
    assert len(sheets) == 8
    return records, expected, sheets


VALUES = [None, "", " ", "x", "是", "否", 0.0, 1.0, 2.0, -3.5, float("nan"), True, False, "1", "九十", "95%", 1e300,
          "被考核人：王伟", "长" * 40_000, 5, "5"]


def _mutated(rnd: random.Random, checker: SheetChecker, sheet, stamp, ids: list[str]):
    """A copy of ``sheet`` (and its stamp) with up to four random edits, as a hostile manager might make."""
    cells = dict(sheet.cells)
    sheet = dataclasses.replace(sheet, cells=cells)
    formulas = checker.expected_formulas[stamp.employee_id]
    for _ in range(rnd.choice([0, 1, 1, 2, 4])):
        kind = rnd.randrange(12)
        ref = rnd.choice(list(cells) or ["A1"])
        if kind == 0:  # a locked cell: another value, the same value respaced, or cleared
            r = rnd.choice(list(checker.fixed))
            was = checker.fixed[r]
            cells[r] = Cell(rnd.choice(VALUES + [f" {was} ", was, str(was)]))
        elif kind == 1:
            cells.pop(ref, None)
        elif kind == 2:  # a formula anywhere
            cells[ref] = Cell(cells[ref].value if ref in cells else None, rnd.choice(["1+1", " max(1,2) "]))
        elif kind == 3:  # a formula sent, changed or only respaced
            r = rnd.choice(list(formulas))
            f = formulas[r][1:]
            cells[r] = Cell(1.0, rnd.choice([f.lower(), f.replace(",", ", "), f + "+0", f]))
        elif kind == 4:  # a formula typed over
            cells[rnd.choice(list(formulas))] = Cell(rnd.choice(VALUES))
        elif kind == 5:  # outside the card
            cells[rnd.choice(["Z99", "AA1", "K7", "A200"])] = Cell(rnd.choice(VALUES), rnd.choice([None, "1"]))
        elif kind == 6:  # a printed text
            cells[rnd.choice(checker.texts).ref] = Cell(rnd.choice(VALUES + ["工号：" + rnd.choice(ids)]))
        elif kind == 7:  # an input: any value, an error, a date, a formula
            r = rnd.choice(list(checker.plan.inputs.values())).ref
            cells[r] = Cell(rnd.choice(VALUES), rnd.choice([None, None, "2*3"]), rnd.random() < .2, rnd.random() < .3)
        elif kind == 8:
            stamp = dataclasses.replace(stamp, checksum=rnd.choice(["0" * 16, stamp.checksum[::-1]]))
        elif kind == 9:
            stamp = dataclasses.replace(stamp, employee_id=rnd.choice(ids))
        elif kind == 10:  # the same cells in another order
            items = list(cells.items())
            rnd.shuffle(items)
            cells.clear()
            cells.update(items)
        else:  # a program respacing every formula on saving
            for r, c in list(cells.items()):
                if c.formula is not None:
                    cells[r] = Cell(c.value, " " + c.formula.lower())
    return sheet, stamp


def _outcome(checker: SheetChecker, book, sheet, stamp):
    def shown(ps):
        return [(p.where, p.code, p.message, repr(p.value), p.employee, p.item, p.column) for p in ps]

    r = checker.check(book, sheet, stamp)
    return shown(r.problems), shown(r.warnings), repr(r.values), repr(r.places)


@pytest.mark.parametrize("key, signed", [("master", True), ("master", False), (None, False), (b"x" * 32, True)])
def test_the_quick_look_finds_what_the_cell_by_cell_checks_find(sent, monkeypatch, key, signed):
    records, expected, sheets = sent
    base = expected.checker
    key = base.key if key == "master" else key
    rnd = random.Random(f"quick-{key}-{signed}")
    cases = [_mutated(rnd, base, sheet, stamp, records.ids) + (book,) for _ in range(60) for book, sheet, stamp in sheets]
    looks = []
    untouched = SheetChecker._untouched

    def counted(self, *args):
        looks.append(untouched(self, *args))
        return looks[-1]

    monkeypatch.setattr(SheetChecker, "_untouched", counted)
    outcomes = {}
    for quick in (True, False):
        monkeypatch.setattr(returned, "QUICK", quick)
        checker = SheetChecker(base.plan, base.expected_formulas, base.expected_targets, base.fields, key=key,
                               signed=signed)
        outcomes[quick] = [_outcome(checker, book, sheet, stamp) for sheet, stamp, book in cases]
    assert outcomes[True] == outcomes[False]
    # Both ways were taken (the quick look skipped the loops for some sheets, not for others), and
    # the edits were seen: a test that cannot fail would prove nothing.
    assert len(looks) == len(cases) and 0 < sum(looks) < len(looks), sum(looks)
    codes = {p[1] for problems, warnings, _, _ in outcomes[True] for p in problems + warnings}
    assert {"locked_changed", "formula_added", "formula_overwritten", "text_changed"} <= codes, codes


def test_a_sheet_as_sent_has_nothing_to_say(sent):
    records, expected, sheets = sent
    checker = expected.checker
    signed = SheetChecker(checker.plan, checker.expected_formulas, checker.expected_targets, checker.fields,
                          key=checker.key, signed=True)
    for book, sheet, stamp in sheets:
        r = signed.check(book, sheet, stamp)
        assert not r.problems and not r.warnings and len(r.places) == len(checker.inputs)


def test_the_mac_of_a_formula_set_met_before_is_the_mac_computed_afresh():
    formulas = {"H7": "=MAX(G7, 0)", "H12": "=h7+1", "B3": '=IF(A1="a b",TRUE(),0)'}
    lines = "\n".join(f"{c}={normal_formula(formulas[c])}" for c in ("B3", "H7", "H12"))  # row by row: B3, H7, H12
    import hashlib
    import hmac

    want = hmac.new(b"s" * 32, ("cm|3|E1|2026-11\n" + lines).encode(), hashlib.sha256).hexdigest()[:16]
    assert keyed_checksum(b"s" * 32, "cm", 3, "E1", "2026-11", formulas) == want
    assert keyed_checksum(b"s" * 32, "cm", 3, "E1", "2026-11", dict(reversed(formulas.items()))) == want  # cached
    assert keyed_checksum(b"s" * 32, "cm", 3, "E1", "2026-11", {**formulas, "H12": "=h7+2"}) != want
    assert keyed_checksum(b"s" * 32, "cm", 3, "E2", "2026-11", formulas) != want
    # A hostile sheet's huge formula set is computed, never kept.
    huge = {f"A{k}": "=" + "1+" * 20_000 + "1" for k in range(1, 4)}
    kept = {k: len(v) for k, v in stamp_mod._LINES.items()}
    keyed_checksum(b"s" * 32, "cm", 3, "E1", "2026-11", huge)
    formula_checksum(huge)
    assert {k: len(v) for k, v in stamp_mod._LINES.items()} == kept
    # The plain checksum: SHA-256 over the lines as stored, cached the same way.
    plain = "\n".join(f"{c}={formulas[c]}" for c in ("B3", "H7", "H12"))
    assert formula_checksum(formulas) == hashlib.sha256(plain.encode()).hexdigest()[:16]
    assert formula_checksum(dict(reversed(formulas.items()))) == formula_checksum(formulas)
    assert formula_checksum({**formulas, "H7": "=MAX(G7,0)"}) != formula_checksum(formulas)  # as stored, not compared


def test_listed_rows_read_once_are_the_rows_read_again(sent):
    _, _, sheets = sent
    for book in {id(b): b for b, _, _ in sheets}.values():
        rows = listed_rows(book)
        assert stamped_sheets(book, rows) == stamped_sheets(book)
        assert listed_names(book, rows) == listed_names(book)
        assert all(isinstance(text, str) and text.startswith("kpixl/1|") for _, text in rows)


def test_every_literal_is_each_persons_literals(sent):
    records, expected, _ = sent
    base = prepare(records.scheme, pd.DataFrame({ID: records.ids}), records.roster)
    every = expected.plan.every_literal(base)
    assert every == [expected.plan.person_literals(base, k) for k in range(len(records.ids))]
    assert all(expected.formulas[e] == expected.plan.formulas(lits) for e, lits in zip(records.ids, every))


_cell = st.one_of(st.none(), st.floats(allow_nan=True), st.integers(-10**6, 10**6), st.text(max_size=5), st.booleans(),
                  st.sampled_from([np.datetime64("2026-01-02"), np.timedelta64(5, "D"), np.int64(3), np.float64("nan"),
                                   np.bool_(True), pd.NaT, pd.NA, datetime.datetime(2026, 1, 1), pd.Timestamp("2026-02-03")]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_cell, min_size=4, max_size=4), min_size=0, max_size=6))
def test_roster_values_are_the_records_pandas_gives(rows):
    df = pd.DataFrame(rows, columns=["employee_id", "姓名", 7, "x"]) if rows else pd.DataFrame(columns=["a", "b"])
    typed = df.assign(f=[1.5] * len(df), i=list(range(len(df))), s=pd.Series(["a"] * len(df), dtype="str"),
                      d=pd.to_datetime(["2026-01-01"] * len(df)), n=pd.Series([1] * len(df), dtype="Int64"))
    for frame in (df, typed):
        want = [{k: cell_value(v) for k, v in rec.items()} for rec in frame.rename(columns=str).to_dict("records")]
        got = [dict(zip([str(c) for c in frame.columns], row)) for row in roster_values(frame)]
        assert [list(r) for r in got] == [list(r) for r in want]
        assert repr(got) == repr(want)


def _careful_blank(values) -> list[bool]:
    return [v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()) for v in values]


def _careful_numbers(values) -> tuple[list[float], list[bool]]:
    """numbers() of an object column read cell by cell, as it was before its quick path (same rules)."""
    from kpixl.engine.inputs import LARGEST, _text_number

    out, bad = [], []
    for v, blank in zip(values, _careful_blank(values)):
        x = float("nan")
        if not blank:
            if isinstance(v, (bool, np.bool_)):
                bad.append(True)
                out.append(x)
                continue
            if isinstance(v, (int, float, np.integer, np.floating)):
                try:
                    x = float(v)
                except OverflowError:
                    x = float("nan")
            else:
                x = _text_number(str(v))
        ok = blank or (np.isfinite(x) and abs(x) <= LARGEST)
        out.append(x if not blank and ok else float("nan"))
        bad.append(not ok)
    return out, bad


_object = st.one_of(st.floats(), st.none(), st.text(max_size=4), st.booleans(), st.integers(-10**20, 10**20),
                    st.sampled_from(["1e3", " 12 ", "九十", "95%", "１２", "nan", "inf", "1e400", np.float64(2.5)]))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.floats(), max_size=8), st.lists(st.text(max_size=3), max_size=8),
                 st.lists(_object, max_size=8)))
def test_a_column_read_at_once_reads_as_cell_by_cell(values):
    from kpixl.engine.inputs import is_blank, numbers

    col = pd.Series(values, dtype=object)
    assert is_blank(col).tolist() == _careful_blank(values)
    got, bad = numbers(col)
    want, want_bad = _careful_numbers(values)
    assert bad.tolist() == want_bad
    assert np.array_equal(got, np.array(want, dtype=float), equal_nan=True)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 9), st.text(max_size=2)), max_size=5), min_size=1, max_size=6))
def test_a_sheet_table_takes_each_rows_kept_cells(rows):
    from pathlib import Path

    from kpixl.engine.inputs import sheet_table

    rows = [["employee_id", "姓名", None, "x"]] + [tuple(r) for r in rows]
    t = sheet_table(Path("r.xlsx"), "Roster", rows)
    body = [r for r in rows[1:] if any(v is not None for v in r)]
    assert len(t.df) == len(body)
    for k, r in enumerate(body):  # the kept columns (not the blank header's), None past a short row's end
        assert [t.df["姓名"].iloc[k], t.df["x"].iloc[k]] == [r[1] if len(r) > 1 else None, r[3] if len(r) > 3 else None]


@settings(max_examples=300, deadline=None)
@given(st.floats() | st.sampled_from([1e15, -1e15, 999999999999999.0, 0.1 + 0.2, 1 / 3, 2.5e-300]))
def test_a_target_keeps_the_same_record_read_from_a_float_array_as_python_floats(x):
    from kpixl.master.store import plain

    # Expected reads a target array with tolist(): plain() must keep what it kept of a NumPy float.
    got, want = plain(np.array([x]).tolist()[0]), plain(np.array([x])[0])
    assert repr(got) == repr(want) and type(got) is type(want)


def test_duplicates_keep_everyone_once_as_they_are_and_in_order(sent):
    from kpixl.master.collect.check import duplicates

    _, expected, sheets = sent
    once = [expected.checker.check(book, sheet, stamp) for book, sheet, stamp in sheets]
    assert duplicates(once) == once and all(not r.copies and not r.warnings for r in once)
    twice = once + [expected.checker.check(book, sheet, stamp) for book, sheet, stamp in sheets[:2]]
    kept = duplicates(twice)  # the same values twice: one is kept, with the other as its copy
    assert [r.employee for r in kept] == [r.employee for r in once] and len(kept[0].copies) == 1


def test_values_in_messages_read_as_people_write_them():
    from kpixl.master import returned

    assert [returned._shown(v) for v in (2000000.0, 2.5, "甲", None, 1e16)] == ["2000000", "2.5", "'甲'", "None", "1e+16"]


def test_the_summary_names_who_is_still_missing(tmp_path):
    from kpixl.master.collect.outcome import CollectReport

    r = CollectReport(tmp_path / "m.xlsx", "2026-11", missing=[f"E{k}" for k in range(1, 11)])
    assert "still missing: 10 of the roster (E1, E2, E3, E4, E5, E6, E7, E8, …)" in r.summary()
    r.missing = ["009875"]
    assert "still missing: 1 of the roster (009875)" in r.summary()

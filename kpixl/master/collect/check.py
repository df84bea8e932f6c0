"""Collect, step 2 — check: each sheet against what was sent, then every input through the engine at once."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ...card.formulas import CardFormulas
from ...card.naming import period_start
from ...engine.inputs import ID, ID_ALIASES, Table, parse_column
from ...engine.score import compute, prepare
from ...errors import Problem
from ...xlsx.cells import cell_value
from ..records import Records
from ..returned import Returned, SheetChecker
from ..store import plain


class Expected:
    """Every roster person's formulas and targets as the master would generate them now.

    Attributes:
        plan: The card's formulas, wired to its cells.
        formulas: Employee id → cell → formula.
        targets: Employee id → target input key → the target sent.
        checker: Checks one returned sheet against all of this.
    """

    def __init__(self, records: Records, secret: bytes | None = None):
        self.plan = CardFormulas(records.scheme, records.master.template.card)
        base = prepare(records.scheme, pd.DataFrame({ID: records.ids}), records.roster)
        ids = records.ids
        # Column by column, then per person: the people of a card share its few formula sets (cached by literals).
        literals = self.plan.every_literal(base) if ids else []
        self.formulas = {eid: self.plan.formulas(lits) for eid, lits in zip(ids, literals)}
        targets = []
        for key in (k for k in self.plan.inputs if parse_column(k)[1] == "target") if ids else ():
            d = base.items[parse_column(key)[0]].data
            values = d[next(iter(d))].target
            # A float array's elements as Python floats (plain() gives them the same record, faster).
            targets.append((key, values.tolist() if getattr(values, "dtype", None) == np.float64 else values))
        self.targets = {eid: {key: plain(values[k]) for key, values in targets} for k, eid in enumerate(ids)}
        scheme_fields = {"scheme.name": records.scheme.name, "scheme.id": records.scheme.id,
                         "scheme.version": records.scheme.version}
        # Each person's {**roster row, **id aliases, **scheme fields} built as one dict (the same:
        # a repeated name keeps its first place and takes its last value).
        names = [*(str(c) for c in records.roster.df.columns), *ID_ALIASES, *scheme_fields]
        shared = tuple(scheme_fields.values())
        fields = {eid: dict(zip(names, (*row, *(eid,) * len(ID_ALIASES), *shared)))
                  for eid, row in zip(ids, roster_values(records.roster.df))}
        self.checker = SheetChecker(self.plan, self.formulas, self.targets, fields, key=secret)


def roster_values(df: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The roster's rows as tuples of cell values, in column order, read column by column.

    The values ``df.to_dict("records")`` holds, through :func:`~kpixl.xlsx.cells.cell_value`
    (a NumPy datetime or timedelta kept in an object column becomes a Timestamp or Timedelta
    there, as pandas boxes it; a column of another type never yields one).
    """
    columns = [[v if type(v) is str else cell_value(_boxed(v)) for v in df.iloc[:, j]] for j in range(df.shape[1])]
    return list(zip(*columns)) if columns else [()] * len(df)


def _boxed(v: Any) -> Any:
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v)
    if isinstance(v, np.timedelta64):
        return pd.Timedelta(v)
    return v


def duplicates(sheets: list[Returned]) -> list[Returned]:
    """The same person in two files of one collect: identical copies collapse; different ones are refused."""
    if len({r.employee for r in sheets}) == len(sheets):
        return list(sheets)  # everyone once (the usual collect): each kept as is, in order
    by: dict[str, list[Returned]] = defaultdict(list)
    for r in sheets:
        by[r.employee].append(r)
    keep = []
    for eid, rs in by.items():
        keep += [x for x in rs if x.problems]  # reported and quarantined whatever the copies say
        clean = [x for x in rs if not x.problems]
        if len(clean) <= 1 or all(x.values == clean[0].values for x in clean):
            for x in clean[1:]:  # identical copies: one is applied, every copy's warnings are kept
                clean[0].warnings += x.warnings
                clean[0].copies.append(x)
            keep += clean[:1]
            continue
        others = ", ".join(x.place() for x in clean)
        for x in clean:
            x.problems.append(Problem(x.place(), "duplicate_person",
                                      f"{eid} is in {len(clean)} returned files with different values ({others}); "
                                      "collect the right one alone", employee=eid))
            keep.append(x)
    return keep


def spread(sheets: list[Returned]) -> list[Returned]:
    """Identical copies share their kept sheet's problems, each at its own place (so each is refused)."""
    out = list(sheets)
    for r in sheets:
        if not r.problems:
            continue
        for c in r.copies:
            c.problems = [replace(p, where=c.place() + p.where[len(r.place()):]) if p.where.startswith(r.place())
                          else p for p in r.problems]
            out.append(c)
    return out


def validate(records: Records, expected: Expected, sheets: list[Returned]) -> list[Problem]:
    """Run the engine's checks over every sheet's inputs at once; compare shown values of clean sheets.

    Sheets that already have a problem (a typed-over formula) are validated too, so
    the manager hears of every problem in one round. Returns the master's own problems
    (its roster lacks something), which are HR's to fix, not the manager's.
    """
    clean = [r for r in sheets if r.employee in expected.formulas]
    if not clean:
        return []
    had_problems = {id(r) for r in clean if r.problems}
    df = pd.DataFrame([{ID: r.employee, **r.values} for r in clean])
    for key in expected.checker.inputs:
        if key not in df.columns:
            df[key] = None
    table = Table(df, "returned", lambda row, col: clean[row].places.get(col, clean[row].place()) if row >= 0
                  else "returned")
    prepared = prepare(records.scheme, table, records.roster)
    by_place = {r.place(): r for r in clean}  # [file]sheet → its sheet (one person may be in two files)
    master_warnings: list[Problem] = []
    # A formula typed into an input is its cell's problem; the engine, reading the cell as blank,
    # would add a second one there ("no input"): one message for one cell.
    formula_cells = {p.where for r in clean for p in r.problems if p.code == "input_formula"}
    for p in prepared.problems:
        r = by_place.get(p.where.split("!")[0])
        if r is not None and not p.where.startswith(records.roster.name):
            if p.where not in formula_cells:
                r.problems.append(p)
        else:  # the master's roster lacks something (a bonus base…): HR's to fix, not the manager's
            master_warnings.append(Problem(p.where, p.code, p.message, p.value, p.employee, p.item, p.column))
    for p in prepared.notes:  # counted as a limit, nobody to average: said, not refused
        r = by_place.get(p.where.split("!")[0])
        (r.warnings if r is not None else master_warnings).append(p)
    results = compute(prepared)
    shown_keys = [*expected.plan.scores, *(["total"] if "total" in expected.plan.outs else [])]
    waiting = averaged_later(records.scheme, prepared)
    for k, r in enumerate(clean):
        if r.problems or id(r) in had_problems or not saved_by_a_program(r):
            continue
        for key in shown_keys:
            if key not in results.columns or key in waiting[k]:
                continue
            cell = (expected.plan.scores.get(key) or expected.plan.outs.get(key)).ref
            got = r.sheet.cells.get(cell)
            want = results[key].iloc[k]
            if got is None or not isinstance(got.value, float) or want is None or np.isnan(want):
                continue
            if abs(got.value - float(want)) > 1e-6 * max(1.0, abs(float(want))):
                r.warnings.append(Problem(r.place(cell), "shown_differs",
                                          f"the file shows {got.value:g} but kpixl computes {float(want):g} "
                                          "(saved without recalculating?); kpixl's figure is used",
                                          got.value, employee=r.employee, item=key if key != "total" else None))
    return master_warnings


def saved_by_a_program(r: Returned) -> bool:
    """A file straight from kpixl has no computed values to compare (XlsxWriter writes 0)."""
    generated = _generated(r.stamp.period)
    return generated is None or not (r.book.modified or "").startswith(generated)


@functools.lru_cache(maxsize=64)  # every sheet of a collect has the one period
def _generated(period: str) -> str | None:
    """The time kpixl writes as a generated file's modified time: the period's start (None: no period)."""
    try:
        return period_start(period).strftime("%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None


def averaged_later(scheme, prepared) -> list[set[str]]:
    """Per person, the figures a card cannot show finally: an ``na: average`` item marked
    N/A (the card shows 待汇总, its value 0), its section and the total (暂计). The
    master's figure is the group average, so a difference there is not a problem."""
    out: list[set[str]] = [set() for _ in range(prepared.n)]
    for sec in scheme.sections:
        for item in sec.items:
            if item.na != "average":
                continue
            na = prepared.items[item.id].na
            for k in np.flatnonzero(na) if na is not None else ():
                out[int(k)] |= {item.id, sec.id, "total"}
    return out

"""Generate: one scorecard sheet per roster row, from a template (docs/templates.md).

``generate_workbook(template, roster, period, out)`` reads the template once (its
``Scheme`` sheet, its card sheet ``考核表``/``Card`` and, unless another roster is given,
its ``Roster`` table) and writes with XlsxWriter:

* ``汇总`` first — one row per person, formulas over the person sheets
  (:mod:`._summary_sheet`);
* one sheet per person (``<姓名>-<employee id>``, :mod:`.naming`): the card with its
  placeholders filled, native formulas from the engine's builders in every computed
  cell, validated, unlocked and shaded inputs, everything else locked, the sheet
  protected, A4 fit to width with print titles, header and footer, frozen header;
* the very hidden ``_kpixl`` sheet and a sheet-scoped name ``kpixl.stamp`` per person
  sheet carrying the identity (:mod:`.stamp`).

The file is written to a temporary name beside ``out`` and moved into place.
This is the function the ribbon's *Generate* button and ``kpixl generate`` call.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from ..xlsx.cells import cell_value
from ..engine.inputs import ID, ID_ALIASES, Table, parse_column, read_table
from ..engine.score import prepare
from ..errors import FileProblem, InputError, Problem
from .formulas import CardFormulas
from .template import PLACEHOLDER, Template, read_template
from .person_sheet import Formats, Person, PersonSheetWriter, card_results
from ..results.values import card_values, sheet_values
from .summary_sheet import SUMMARY, layout_summary, write_summary
from .naming import SheetNamer, period_label, period_start
from ..xlsx.atomic import replace_atomically
from .stamp import STAMP_COLUMNS, STAMP_SHEET, Stamp, formula_checksum, keyed_checksum, master_key

__all__ = ["Generated", "GeneratedSheet", "Generator", "Template", "generate_workbook", "load_template"]

SCHEME_FIELDS = ("scheme.name", "scheme.id", "scheme.version")
#: Up to this many person sheets the workbook is assembled in memory (XlsxWriter's
#: ``in_memory``: no temporary files, fastest for the many small per-manager files);
#: beyond, XlsxWriter's ``constant_memory`` mode writes each row out as it goes (flat
#: memory, and no cell table to build; bench/generate.py, docs/design.md).
IN_MEMORY_SHEETS = 2000


def load_template(path: str | Path) -> Template:
    """Read a template once (scheme, card, roster sheet), to generate many workbooks from it."""
    return read_template(path)


@dataclass(frozen=True)
class GeneratedSheet:
    """One person sheet: its name, whose it is, its stamp and the checksum of its formulas."""

    sheet: str
    employee_id: str
    stamp: str
    checksum: str


@dataclass
class Generated:
    """What :func:`generate_workbook` wrote."""

    path: Path
    period: str
    sheets: list[GeneratedSheet] = field(default_factory=list)
    summary: str = SUMMARY
    seconds: float = 0.0
    #: The summary sheet's formulas (cell → formula), for readers and tests.
    summary_formulas: dict[str, str] = field(default_factory=dict)


def _roster(template, roster: Any) -> Table:
    if roster is not None:
        return read_table(roster, "roster")
    if template.roster_sheet is None:
        raise FileProblem(template.path, "finding the roster",
                          "the template has no Roster (花名册) sheet; give a roster file (--roster)")
    return read_table(template.path, "roster", sheet=template.roster_sheet)


def _inputs_frame(ids: list[str], inputs: Any, item_ids: set[str], roster_columns: set[str]) -> pd.DataFrame:
    """The inputs table for exactly these people, in roster order (blank where not given).

    Item columns are kept, and any other column the roster lacks (a commission amount
    given with the inputs): the engine looks such columns up in the roster first.
    """
    frame = pd.DataFrame({ID: ids})
    if inputs is None:
        return frame
    table = read_table(inputs, "inputs")
    if table.problems:
        raise InputError(table.problems, "inputs")
    df = table.df.drop_duplicates(ID)
    cols = [c for c in df.columns if c != ID and (parse_column(str(c))[0] in item_ids or c not in roster_columns)]
    return frame.merge(df[[ID, *cols]], on=ID, how="left")


class _RosterIndex:
    """The roster's employee ids checked once: row of each id, and the rows with a bad id."""

    def __init__(self, roster: Table):
        self.roster = roster
        self.ids = roster.df[ID].astype(str).tolist()
        self.problems, self.seen = [], {}
        for r, eid in enumerate(self.ids):
            if eid == "":
                self.problems.append(Problem(roster.where(r, ID), "missing", "the employee id is blank"))
            elif "|" in eid:  # the stamp separates its fields with "|"
                self.problems.append(Problem(roster.where(r, ID), "bad_id", "an employee id cannot hold '|'", eid))
            elif eid in self.seen:
                self.problems.append(Problem(roster.where(r, ID), "duplicate_id",
                                             f"employee {eid} is listed twice (also {roster.where(self.seen[eid], ID)})", eid))
            else:
                self.seen[eid] = r

    def rows(self, employees: Iterable[str] | None) -> tuple[list[int], list[Problem]]:
        """Roster row positions to generate, in roster order, and the problems of their ids
        (blank, duplicate, unknown: the caller adds the roster's other problems and raises)."""
        roster, seen = self.roster, self.seen
        problems = list(self.problems)
        if employees is not None:
            wanted = [str(e) for e in employees]
            problems += [Problem(roster.name, "not_in_roster", f"employee {e} is not in the roster", e)
                         for e in wanted if e not in seen]
            rows = sorted(seen[e] for e in set(wanted) if e in seen)
        else:
            rows = sorted(seen.values())
        if not rows and not problems:
            problems.append(Problem(roster.name, "empty", "the roster has no people to generate"))
        return rows, problems


def _check_fields(plan: CardFormulas, roster: Table, extra: set[str]) -> None:
    known = set(map(str, roster.df.columns)) | extra | set(ID_ALIASES) | {"period", *SCHEME_FIELDS}
    problems = []
    for c in plan.card.cells:
        keys = [c.key] if c.kind == "field" else PLACEHOLDER.findall(c.value) if c.kind == "text" else []
        for key in keys:
            key = key.strip()
            if key not in known:
                problems.append(Problem(f"{plan.card.title}!{c.ref}", "unknown_placeholder",
                                        f"{{{{{key}}}}} is not a roster column, period or scheme field "
                                        f"(roster columns: {', '.join(map(str, roster.df.columns))})"))
    if problems:
        raise InputError(problems, f"card sheet {plan.card.title}")


def _prefill(value: Any, kind: str) -> Any:
    v = cell_value(value)
    if isinstance(v, bool) and kind in ("yesno", "na"):
        return "是" if v else "否"
    if kind == "level" and isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def generate_workbook(template: str | Path | Template, roster: Any = None, period: str = "", out: str | Path | None = None, *,
                      employees: Iterable[str] | None = None, inputs: Any = None,
                      progress: Callable[[int, int], None] | None = None) -> Generated:
    """Generate the scorecards of a period: one protected, validated sheet per person.

    Args:
        template: The template ``.xlsx`` (Scheme, 考核表/Card and usually Roster sheets), or
            what :func:`load_template` read from it.
        roster: A roster (``.csv``/``.xlsx``/DataFrame); default: the template's Roster sheet.
        period: ``2026-11``, ``2026Q4``, ``2026H1`` or ``2026``.
        out: The workbook to write (default: ``<template>-<period>.xlsx`` beside the template).
        employees: Only these employee ids (the *Distribute* step's one manager), in roster order.
        inputs: An inputs table whose values pre-fill the input cells (tests, re-issues).
        progress: ``progress(done, total)`` after each person sheet.

    Returns:
        A :class:`Generated` with each sheet's name, employee id, stamp and checksum.

    Raises:
        InputError: Problems in the roster (blank or duplicate ids, a missing target or
            bonus column), in the card (a missing or unknown placeholder) or the period.
        FileProblem: A file cannot be read, or the workbook cannot be written.
    """
    started = time.perf_counter()
    try:
        period_label(period)
    except ValueError as e:
        raise InputError([Problem("period", "bad_period", str(e), period)], "period") from None
    # A master that has distributed keeps a key: its sheets carry the keyed MAC, however generated.
    key = master_key(template.path if isinstance(template, Template) else template)
    return Generator(template, roster, key).generate(period, out, employees=employees, inputs=inputs,
                                                     progress=progress, started=started)


class Generator:
    """Generates workbooks from one template and roster, for any of its people.

    What does not depend on who is in a workbook is worked out once and kept: the
    template as read, the roster and the index of its ids, the card's formula plan
    (and the formulas and checksums per distinct set of literals), the compiled card.
    :func:`distribute` keeps one per worker process and writes every manager's file
    with it; :func:`generate_workbook` makes one for a single workbook.

    Args:
        template: The template path, or what :func:`load_template` read.
        roster: A roster (``.csv``/``.xlsx``/DataFrame/Table); default: the template's Roster sheet.
        key: The master's secret: stamps carry a keyed MAC (:func:`.stamp.keyed_checksum`);
            None stamps the plain formula checksum.
    """

    def __init__(self, template: str | Path | Template, roster: Any = None, key: bytes | None = None):
        self.key = key
        self.tpl = template if isinstance(template, Template) else read_template(template)
        self.roster = _roster(self.tpl, roster)
        self._index: _RosterIndex | None = None
        self._plan: CardFormulas | None = None
        self._records: dict[str, Any] | None = None
        self.checksums: dict[tuple, str] = {}
        self.compiled: Any = None  # the card as PersonSheetWriter compiled it, for the next workbook

    def _fields(self, rows: list[int]) -> list[dict[str, Any]]:
        """Each person's roster row as ``{column: value}`` (Python values, as ``to_dict("records")``)."""
        if self._records is None:
            df = self.roster.df
            self._records = {str(c): df[c].to_numpy(dtype=object) for c in df.columns}
        return [{c: v[r] for c, v in self._records.items()} for r in rows]

    def _people_roster(self, rows: list[int]) -> Table:
        """The roster rows of these people only, each cell still named at its place in the whole roster.

        The engine looks every person up in the roster it is given; handing it the few rows
        of one manager's people, not all of them, keeps a file's cost independent of the
        roster's size. All the roster's own problems come along.
        """
        full = self.roster
        if len(rows) == len(full.df):
            return full
        return Table(full.df.iloc[rows].reset_index(drop=True), full.name,
                     lambda r, c, rows=rows, cell=full.cell: cell(rows[r] if r >= 0 else r, c), full.problems)

    def generate(self, period: str, out: str | Path | None = None, *, employees: Iterable[str] | None = None,
                 inputs: Any = None, progress: Callable[[int, int], None] | None = None,
                 started: float | None = None) -> Generated:
        """One workbook (see :func:`generate_workbook`, which takes the same arguments)."""
        started = time.perf_counter() if started is None else started
        try:
            label = period_label(period)
        except ValueError as e:
            raise InputError([Problem("period", "bad_period", str(e), period)], "period") from None
        tpl, roster_table = self.tpl, self.roster
        scheme = tpl.scheme
        out = Path(out) if out is not None else tpl.path.with_name(f"{tpl.path.stem}-{period}.xlsx")
        if self._index is None:
            self._index = _RosterIndex(roster_table)
        rows, roster_problems = self._index.rows(employees)
        ids = [self._index.ids[r] for r in rows]
        frame = _inputs_frame(ids, inputs, {i.id for _, i in scheme.items()}, set(map(str, roster_table.df.columns)))
        if rows:  # every problem of the roster at once: its ids', then its cells' (targets, bases…)
            placed = {(p.where, p.code) for p in roster_problems}
            prepared = prepare(scheme, frame, self._people_roster(rows))
            roster_problems += [p for p in prepared.problems if p.where.startswith(roster_table.name)
                                and (p.where, p.code) not in placed]
        if roster_problems:
            raise InputError(roster_problems, "roster")
        if self._plan is None:
            self._plan = CardFormulas(scheme, tpl.card)
        plan = self._plan
        extra = [c for c in frame.columns if c != ID and c not in roster_table.df.columns and c not in plan.inputs]
        _check_fields(plan, roster_table, set(extra))

        namer = SheetNamer([SUMMARY, STAMP_SHEET])
        roster_df = roster_table.df
        names = [namer.add(cell_value(roster_df["姓名"].iat[r]) if "姓名" in roster_df.columns else "", eid)
                 for r, eid in zip(rows, ids)]
        result = Generated(out, period)
        kinds = {key: _kind(scheme, key) for key in plan.inputs}
        checksums = self.checksums

        def write(tmp: str) -> None:
            with _workbook(tmp, len(rows)) as (wb, done):
                fill(wb, done)

        def fill(wb, done: Callable[[Any], None]) -> None:
            # A fixed creation date: the same inputs give the same bytes (manifests hash the files).
            wb.set_properties({"title": f"{scheme.name} {label}", "created": period_start(period)})
            summary_ws = wb.add_worksheet(SUMMARY)
            writer = PersonSheetWriter(wb, plan, Formats(wb, tpl.card), self.compiled)
            base_fields = {"period": label, "scheme.name": scheme.name, "scheme.id": scheme.id,
                           "scheme.version": scheme.version}
            # Column arrays once, not a pandas lookup per person and cell.
            records = self._fields(rows)
            extras = {c: prepared.inputs.df[c].to_numpy(dtype=object) for c in extra}
            given = {}
            for key, kind in kinds.items():
                if kind == "target":
                    d = prepared.items[parse_column(key)[0]].data
                    given[key] = (kind, d[next(iter(d))].target)
                elif key in prepared.inputs.df.columns:
                    given[key] = (kind, prepared.inputs.df[key].to_numpy(dtype=object))
            # The engine's figures, cached with each formula so that a file shows them on opening.
            na_cells = {i.id for _, i in scheme.items() if f"{i.id}.na" in plan.inputs}
            on_card = card_values(prepared, na_cells)
            on_summary = sheet_values(prepared, na_cells=na_cells)
            for k, (eid, name) in enumerate(zip(ids, names)):
                fields = records[k]
                fields.update({c: v[k] for c, v in extras.items()})
                fields.update({a: eid for a in ID_ALIASES}, **base_fields)
                prefills = {key: cell_value(v[k]) if kind == "target" else _prefill(v[k], kind) for key, (kind, v) in given.items()}
                lits = plan.person_literals(prepared, k)
                formulas = plan.formulas(lits)
                if self.key is not None:
                    checksum = keyed_checksum(self.key, scheme.id, scheme.version, eid, period, formulas)
                else:
                    if lits not in checksums:
                        checksums[lits] = formula_checksum(formulas)
                    checksum = checksums[lits]
                stamp = Stamp(scheme.id, scheme.version, eid, period, checksum)
                person = Person(name, eid, fields, prefills, formulas, stamp.text(), card_results(plan, on_card, k))
                done(writer.write(person))
                result.sheets.append(GeneratedSheet(name, eid, person.stamp, stamp.checksum))
                if progress is not None:
                    progress(k + 1, len(rows))
            self.compiled = writer.compiled
            lay = layout_summary(prepared, plan, names)
            for item_id in na_cells:  # the summary shows each card's N/A cell as it is filled
                kind, v = given.get(f"{item_id}.na", ("na", [None] * len(rows)))
                on_summary[f"{item_id}.na"] = [_prefill(v[k], kind) for k in range(len(rows))]
            result.summary_formulas = write_summary(wb, summary_ws, lay, len(rows), f"{scheme.name} {label}",
                                                    on_summary, lang=tpl.lang)
            _stamp_sheet(wb, result.sheets, scheme, period)

        replace_atomically(out, write, "writing the scorecards")
        result.seconds = time.perf_counter() - started
        return result


#: Open files kept free for everything else when constant_memory needs one per sheet.
_SPARE_FILES = 64


@contextmanager
def _workbook(tmp: str, sheets: int):
    """An XlsxWriter workbook for ``sheets`` person sheets, closed (written) on success.

    Yields the workbook and ``done(worksheet)``, to be called when a person sheet is
    complete. Small workbooks are assembled in memory. Large ones use ``constant_memory``,
    which keeps one temporary file open per sheet until the workbook is closed — with the
    common limit of 1,024 open files it fails at ~1,000 sheets (ENGINES.md). So each
    complete sheet's file is closed at once (XlsxWriter's own ``_opt_close``; it reopens
    the file when it assembles the workbook); should that hook be missing, the soft
    ``RLIMIT_NOFILE`` is raised to the hard limit for the duration; failing that, the
    workbook is written through temporary files without ``constant_memory``.
    """
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    close_rows = _row_file_closer()
    large = sheets > IN_MEMORY_SHEETS
    with _open_files(sheets + _SPARE_FILES if large and close_rows is None else 0) as room:
        if not large:
            options["in_memory"] = True
        elif room:
            options["constant_memory"] = True
        wb = xlsxwriter.Workbook(tmp, options)
        close = close_rows if wb.constant_memory and close_rows is not None else None

        def done(ws) -> None:
            # A complete sheet's index of merged cells only serves to refuse an overlapping
            # merge; with constant_memory it would be most of what a sheet keeps in memory.
            merged = getattr(ws, "merged_cells", None)
            if isinstance(merged, dict):
                merged.clear()
            if close is not None:
                close(ws)
        try:
            yield wb, done
            wb.close()
        except BaseException:
            _discard_rows(wb)
            raise


def _row_file_closer() -> Callable[[Any], None] | None:
    """XlsxWriter's ``Worksheet._opt_close`` (closes a constant_memory sheet's row file; the
    packager reopens it), or None should a later XlsxWriter not have it."""
    from xlsxwriter.worksheet import Worksheet

    return getattr(Worksheet, "_opt_close", None)


def _discard_rows(wb) -> None:
    """Remove constant_memory's temporary row files of a workbook that was not written."""
    if not getattr(wb, "constant_memory", False) or getattr(wb, "fileclosed", False):
        return
    for ws in wb.worksheets():
        fh, name = getattr(ws, "row_data_fh", None), getattr(ws, "row_data_filename", None)
        try:
            if fh is not None:
                fh.close()
            if name:
                os.unlink(name)
        except OSError:
            pass


@contextmanager
def _open_files(need: int):
    """Whether ``need`` files can be open at once, raising the soft limit for the duration if need be."""
    if need <= 0:
        yield True
        return
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise; 512 C-runtime streams are guaranteed
        yield need <= 512
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:
        in_use = _SPARE_FILES
    need += in_use
    if soft == resource.RLIM_INFINITY or soft >= need:
        yield True
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        yield False
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        yield False
        return
    try:
        yield True
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _kind(scheme, key: str) -> str:
    item_id, fld, _ = parse_column(key)
    if fld in ("target", "na", "reason", "score"):
        return fld
    if fld is not None:
        return "count"
    item = next(i for _, i in scheme.items() if i.id == item_id)
    return item.rule.input_kind


def _stamp_sheet(wb, sheets: list[GeneratedSheet], scheme, period: str) -> None:
    ws = wb.add_worksheet(STAMP_SHEET)
    for j, name in enumerate(STAMP_COLUMNS):
        ws.write_string(0, j, name)
    for k, g in enumerate(sheets, start=1):
        row = [g.sheet, g.stamp, scheme.id, scheme.version, g.employee_id, period, g.checksum]
        for j, v in enumerate(row):
            if isinstance(v, str):
                ws.write_string(k, j, v)
            else:
                ws.write_number(k, j, v)
    ws.very_hidden()
    ws.protect()


"""Collect: read what managers send back into the master, validate it all, lose nothing.

``collect(master, returned)`` is what ``kpixl collect`` and the ribbon's *Collect*
button run. For every returned file (or every file in a returned folder):

1. the file is sniffed and read from its XML (:mod:`._xlsx_read`): not a workbook,
   damaged, encrypted, huge, an old ``.xls`` or holding macros — refused with the reason;
2. each person sheet is found by its stamp (:mod:`._returned`), never by name or place,
   and checked: scheme, version and period, the employee in the roster, every formula
   still the one generated, no locked cell or target typed over;
3. all inputs of all sheets are validated by the engine at once (:func:`kpixl.engine.score.prepare`),
   with each problem placed at its cell (``[王经理.xlsx]王伟-K01!G7``), and the
   values the file shows are compared with what the engine computes;
4. a sheet with any error is quarantined whole (a copy of its file goes to
   ``quarantine/`` beside the master); the others are applied to the record store
   (:mod:`._store`): a new record is added, the same file again is a no-op, a newer
   file replaces the older record with every changed input logged (old → new), an
   older file is not applied;
5. the master gets ``Results`` (live formulas over the period's inputs), ``Issues``,
   ``Log``, ``考核历史`` and the store, written atomically with a backup, under a lock
   (:mod:`.master`).
"""

from __future__ import annotations

import getpass
import hashlib
import os
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font

from ..engine.inputs import ID, ID_ALIASES, Table, parse_column, read_table
from ..engine.score import prepare
from ..errors import FileProblem, InputError, Problem
from ..card.formulas import CardFormulas
from ..card.person_sheet import _plain
from .returned import WARNING, Returned, SheetChecker, listed_name, place, stamped_sheets
from .store import EMPLOYEE, PERIOD, Store, plain
from ..xlsx.reader import read_book
from ..card.stamp import STAMP_NAME
from .book import HISTORY, ISSUES, LEVELS, LOG, RESULTS, Master, backup_path, locked, open_master
from ..card.naming import period_label
from ..results.sheet import _HEAD_FILL as _HEAD
from ..results.sheet import FONT, write_results

__all__ = ["CollectReport", "collect", "returned_files"]

STEP = "collecting"
QUARANTINE = "quarantine"
ISSUE_COLUMNS = ("file", "place", "employee_id", "item", "code", "problem", "value", "severity", "status", "first_seen")
LOG_COLUMNS = ("time", "by", "file", "saved", "employee_id", "period", "column", "old", "new", "action")


@dataclass
class CollectReport:
    """What one collect did."""

    master: Path
    period: str
    files: int = 0
    sheets: int = 0
    added: list[str] = field(default_factory=list)  # employee ids
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    older: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file, sheet or "")
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        """No errors (warnings are fine)."""
        return not self.problems

    def summary(self) -> str:
        """A few lines for the terminal or a message box."""
        lines = [f"{self.master.name}, {period_label(self.period)}: {self.files} file(s), {self.sheets} person sheet(s) read",
                 f"  new {len(self.added)}, replaced {len(self.replaced)}, unchanged {len(self.unchanged)}, "
                 f"older than collected {len(self.older)}, quarantined {len(self.quarantined)}"]
        if self.problems:
            lines.append(f"  {len(self.problems)} problem(s) — see the Issues sheet")
        if self.warnings:
            lines.append(f"  {len(self.warnings)} warning(s)")
        lines.append(f"  still missing: {len(self.missing)} of the roster" if self.missing else "  everyone is collected")
        if not self.written:
            lines.append("  nothing new: the master was not changed")
        return "\n".join(lines)


def returned_files(returned: Iterable[str | Path], skip: Iterable[Path] = ()) -> list[Path]:
    """The files to collect: files as given, and every file inside given folders (recursively).

    Office owner files (``~$…``), hidden files, the master, its backup and the
    quarantine folder are skipped.
    """
    skip = {p.resolve() for p in skip}
    out: list[Path] = []
    for item in returned:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(part.startswith((".", "~$")) or part == QUARANTINE for part in rel) \
                        and f.resolve() not in skip:
                    out.append(f)
        elif p.resolve() not in skip:
            out.append(p)
    seen, unique = set(), []
    for f in out:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _canonical_period(text: str) -> str:
    return str(text).strip().upper().replace(" ", "")


class _Run:
    """One collect over one master (the lock is held by the caller)."""

    def __init__(self, master: Master, period: str | None, user: str, now: datetime):
        self.m, self.user, self.now = master, user, now
        self.scheme = master.scheme
        tpl = master.template
        if tpl.roster_sheet is None:
            raise FileProblem(master.path, STEP, "the master has no Roster (花名册) sheet: collection needs the roster")
        self.roster = read_table(master.path, "roster", sheet=tpl.roster_sheet)
        if self.roster.problems:
            raise InputError(self.roster.problems, "roster")
        self.plan = CardFormulas(self.scheme, tpl.card)
        self.store = Store.read(master.wb)
        self.before = {k: dict(v) for k, v in self.store.records.items()}
        self.period = period
        self.ids = self.roster.df[ID].astype(str).tolist()
        self._expected()

    def _expected(self) -> None:
        """Every roster person's formulas and targets as the master would generate them now."""
        base = prepare(self.scheme, pd.DataFrame({ID: self.ids}), self.roster).gather()
        self.formulas, self.targets = {}, {}
        target_keys = [k for k in self.plan.inputs if parse_column(k)[1] == "target"]
        for k, eid in enumerate(self.ids):
            self.formulas[eid] = self.plan.formulas(self.plan.person_literals(base, k))
            t = {}
            for key in target_keys:
                d = base.items_in[parse_column(key)[0]].data
                t[key] = plain(d[next(iter(d))].target[k])
            self.targets[eid] = t
        fields = {}
        scheme_fields = {"scheme.name": self.scheme.name, "scheme.id": self.scheme.id,
                         "scheme.version": self.scheme.version}
        for eid, rec in zip(self.ids, self.roster.df.rename(columns=str).to_dict("records")):
            fields[eid] = {**{k: _plain(v) for k, v in rec.items()}, **{a: eid for a in ID_ALIASES}, **scheme_fields}
        self.checker = SheetChecker(self.plan, self.formulas, self.targets, fields)

    # ---- reading ------------------------------------------------------------------------

    def read(self, files: list[Path], report: CollectReport, progress) -> list[Returned]:
        """Read every file; return the identified person sheets of this scheme."""
        found: list[tuple[Any, Any, Any, str]] = []
        for n, f in enumerate(files, start=1):
            try:
                book = read_book(f, only=STAMP_NAME)
            except FileProblem as e:
                report.problems.append(Problem(f"[{f.name}]", "bad_file", f"{e.reason}"))
                report.quarantined.append((f.name, ""))
            else:
                sha = _sha256(f)
                sheets, problems = stamped_sheets(book)
                report.problems += problems
                if not sheets and not problems:
                    report.problems.append(Problem(place(book), "not_kpixl",
                                                   "no kpixl person sheet in this file (no stamps): "
                                                   "is it a workbook kpixl sent?"))
                for sheet, stamp in sheets:
                    found.append((book, sheet, stamp, sha))
            if progress is not None:
                progress(n, len(files))
        if self.period is None:
            mine = sorted({_canonical_period(s.period) for _, _, s, _ in found if s.scheme_id == self.scheme.id})
            if len(mine) > 1:
                raise FileProblem(self.m.path, STEP, f"the returned sheets are for several periods ({', '.join(mine)}); "
                                                     "collect one period at a time (--period)")
            if not mine:
                raise FileProblem(self.m.path, STEP, "no returned sheet of this scheme was found, so the period is "
                                                     "unknown; give it (--period 2026-11)")
            self.period = mine[0]
        out = []
        known = set(self.ids)
        for book, sheet, stamp, sha in found:
            report.sheets += 1
            where, eid = place(book, sheet.name), stamp.employee_id
            if stamp.scheme_id != self.scheme.id:
                bad = Problem(where, "other_scheme", f"this sheet belongs to the scheme {stamp.scheme_id}, "
                                                     f"not {self.scheme.id}", employee=eid)
            elif stamp.version != self.scheme.version:
                bad = Problem(where, "other_version", f"this sheet was made for version {stamp.version} of the "
                                                      f"scheme; the master is version {self.scheme.version}",
                              employee=eid)
            elif _canonical_period(stamp.period) != _canonical_period(self.period):
                bad = Problem(where, "other_period", f"this sheet is for {stamp.period}; the master is collecting "
                                                     f"{self.period}", employee=eid)
            elif eid not in known:
                bad = Problem(where, "unknown_employee", f"employee {eid} is not in the master's roster", eid,
                              employee=eid)
            else:
                bad = None
            if bad is not None:
                report.problems.append(bad)
                report.quarantined.append((book.path.name, sheet.name))
                continue
            r = self.checker.check(book, sheet, stamp)
            r.sha = sha
            sent_as = listed_name(book, eid)
            if sent_as is not None and sheet.name != sent_as:
                r.warnings.append(Problem(r.place(), "renamed_sheet", f"the sheet was renamed (sent as "
                                          f"{sent_as}); collected by its stamp", employee=eid))
            out.append(r)
        return out

    # ---- validating ---------------------------------------------------------------------

    def duplicates(self, sheets: list[Returned]) -> list[Returned]:
        """The same person in two files of one collect: identical copies collapse; different ones are refused."""
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
                keep += clean[:1]
                continue
            others = ", ".join(x.place() for x in clean)
            for x in clean:
                x.problems.append(Problem(x.place(), "duplicate_person",
                                          f"{eid} is in {len(clean)} returned files with different values ({others}); "
                                          "collect the right one alone", employee=eid))
                keep.append(x)
        return keep

    def validate(self, sheets: list[Returned]) -> None:
        """Run the engine's checks over every sheet's inputs at once; compare shown values of clean sheets.

        Sheets that already have a problem (a typed-over formula) are validated too, so
        the manager hears of every problem in one round.
        """
        clean = [r for r in sheets if r.employee in self.formulas]
        if not clean:
            return
        had_problems = {id(r) for r in clean if r.problems}
        df = pd.DataFrame([{ID: r.employee, **r.values} for r in clean])
        for key in self.checker.inputs:
            if key not in df.columns:
                df[key] = None
        table = Table(df, "returned", lambda row, col: clean[row].places.get(col, clean[row].place()) if row >= 0
                      else "returned")
        ctx = prepare(self.scheme, table, self.roster).gather()
        by_place = {r.place(): r for r in clean}  # [file]sheet → its sheet (one person may be in two files)
        self.master_warnings: list[Problem] = []
        for p in ctx.problems:
            r = by_place.get(p.where.split("!")[0])
            if r is not None and not p.where.startswith(self.roster.name):
                r.problems.append(p)
            else:  # the master's roster lacks something (a bonus base…): HR's to fix, not the manager's
                self.master_warnings.append(Problem(p.where, p.code, p.message, p.value, p.employee, p.item, p.column))
        results = ctx.compute()
        shown_keys = [*self.plan.scores, *(["total"] if "total" in self.plan.outs else [])]
        for k, r in enumerate(clean):
            if r.problems or id(r) in had_problems or not _saved_by_a_program(r):
                continue
            for key in shown_keys:
                if key not in results.columns:
                    continue
                cell = (self.plan.scores.get(key) or self.plan.outs.get(key)).ref
                got = r.sheet.cells.get(cell)
                want = results[key].iloc[k]
                if got is None or not isinstance(got.value, float) or want is None or np.isnan(want):
                    continue
                if abs(got.value - float(want)) > 1e-6 * max(1.0, abs(float(want))):
                    r.warnings.append(Problem(r.place(cell), "shown_differs",
                                              f"the file shows {got.value:g} but kpixl computes {float(want):g} "
                                              "(saved without recalculating?); kpixl's figure is used",
                                              got.value, employee=r.employee, item=key if key != "total" else None))

    # ---- applying -----------------------------------------------------------------------

    def apply(self, sheets: list[Returned], report: CollectReport) -> list[list[Any]]:
        """Put every clean sheet into the store; return the log rows."""
        log: list[list[Any]] = []
        now = self.now.isoformat(timespec="seconds")
        for r in sheets:
            report.warnings += r.warnings
            if r.problems:
                report.problems += r.problems
                report.quarantined.append((r.book.path.name, r.sheet.name))
                continue
            key = (self.period, r.employee)
            saved = r.book.modified or datetime.fromtimestamp(r.book.path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
            meta = {"_file": r.book.path.name, "_sha256": r.sha, "_sheet": r.sheet.name, "_saved": saved,
                    "_collected_at": now, "_by": self.user}
            old = self.store.records.get(key)
            base = [now, self.user, r.book.path.name, saved, r.employee, self.period]
            if old is None:
                self.store.put(self.period, r.employee, r.values, meta)
                report.added.append(r.employee)
                log.append([*base, "", "", "", "collected"])
                continue
            before = {c: old.get(c) for c in r.values}
            if old.get("_sha256") == r.sha or before == r.values:
                report.unchanged.append(r.employee)
                continue
            if str(saved) < str(old.get("_saved") or ""):
                report.older.append(r.employee)
                report.warnings.append(Problem(r.place(), "older_file",
                                               f"this file was saved {saved}, before the one already collected "
                                               f"({old.get('_file')}, saved {old.get('_saved')}); not applied",
                                               employee=r.employee))
                continue
            self.store.put(self.period, r.employee, {**self.store.inputs(old), **r.values}, meta)
            report.replaced.append(r.employee)
            for c, new in r.values.items():
                if before.get(c) != new:
                    log.append([*base, c, before.get(c), new, f"replaced (was {old.get('_file')})"])
        return log

    # ---- writing ------------------------------------------------------------------------

    def frame(self, period: str) -> pd.DataFrame:
        recs = self.store.of_period(period)
        cols = self.store.columns
        return pd.DataFrame([{ID: r[EMPLOYEE], **{c: r.get(c) for c in cols}} for r in recs], columns=[ID, *cols])

    def write_results(self) -> list[Problem]:
        ws = self.m.sheet(RESULTS, 0 if RESULTS not in self.m.wb.sheetnames else None)
        frame = self.frame(self.period)
        if frame.empty:
            ws["A1"] = f"{period_label(self.period)}: 尚未收集到任何考核表 / nothing collected yet"
            return []
        ctx = prepare(self.scheme, frame, self.roster).gather()
        write_results(ctx, ws, outputs=False)
        ws.title = RESULTS
        return ctx.problems

    def history_frame(self) -> pd.DataFrame:
        """One row per collected (period, person): total, rating, item scores, achievements, inputs."""
        items = [i for _, i in self.scheme.items()]
        names = dict(zip(self.ids, self.roster.df["姓名"].tolist())) if "姓名" in self.roster.df.columns else {}
        frames = []
        for period in self.store.periods():
            frame = self.frame(period)
            ctx = prepare(self.scheme, frame, self.roster).gather()
            res = ctx.compute()
            out = pd.DataFrame({PERIOD: period, ID: frame[ID].astype(str).to_numpy()})
            out["姓名"] = [names.get(e) for e in out[ID]]
            out["total"], out["rating"] = res["total"].to_numpy(), res["rating"].to_numpy(dtype=object)
            for item in items:
                out[f"score:{item.id}"] = res[item.id].to_numpy()
            for item in items:
                if item.rule.uses_achievement:
                    d = ctx.items_in[item.id].data
                    out[f"achievement:{item.id}"] = d[next(iter(d))].x
            for c in self.store.columns:
                out[c] = frame[c].to_numpy(dtype=object)
            frames.append(out)
        rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[PERIOD, ID])
        if self.scheme.history is not None and len(rows):
            from ..history import period_rules

            flags = [period_rules(self.scheme.history, rows, p).assign(**{PERIOD: p}) for p in self.store.periods()]
            rows = rows.merge(pd.concat(flags, ignore_index=True), on=[PERIOD, ID], how="left")
        return rows

    def write_history(self) -> list[Problem]:
        """Write 考核历史 (and 职级建议 when the scheme has a level ladder); return the master's problems."""
        full = self.history_frame()
        problems = self.write_levels(full)
        # The inputs stay in the record store; the history shows results and flags.
        rows = full.drop(columns=[c for c in self.store.columns if c in full.columns])
        ws = self.m.sheet(HISTORY)
        header = [str(c) for c in rows.columns]
        ws.append(header)
        columns = [rows[c].to_numpy(dtype=object) for c in rows.columns]
        for k in range(len(rows)):
            ws.append([v if isinstance(v, str) else plain(v) for v in (col[k] for col in columns)])
        _style_table(ws, len(header))
        return problems

    def write_levels(self, rows: pd.DataFrame) -> list[Problem]:
        """职级建议: proposed level moves from the collected annual ratings (proposals, never actions)."""
        levels = self.scheme.levels
        years = [p for p in self.store.periods() if p.isdigit() and len(p) == 4]
        if levels is None or not years:
            return []
        from ..history import level_proposals

        try:
            props = level_proposals(levels, rows[rows[PERIOD].isin(years)], self.roster, years[-1])
        except InputError as e:
            return e.problems
        ws = self.m.sheet(LEVELS)
        header = ["employee_id", "current", "proposed", "move", "reason"]
        ws.append(["工号", "现职级", "建议职级", "建议", f"理由（{years[-1]}年度；仅为建议，由人力资源决定）"])
        for rec in props[header].to_dict("records"):
            ws.append([rec[h] for h in header])
        _style_table(ws, len(header))
        ws.column_dimensions["E"].width = 70
        return []


def _num(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def _saved_by_a_program(r: Returned) -> bool:
    """A file straight from kpixl has no computed values to compare (XlsxWriter writes 0)."""
    from ..card.naming import period_start

    try:
        generated = period_start(r.stamp.period).strftime("%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return True
    return not (r.book.modified or "").startswith(generated)


def _style_table(ws, width: int) -> None:
    bold = Font(name=FONT, bold=True, size=10)
    for c in range(1, width + 1):
        cell = ws.cell(1, c)
        cell.font, cell.fill = bold, _HEAD
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = 14
    ws.freeze_panes = "A2"
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions


def _read_rows(wb, title: str) -> tuple[list[str], list[list[Any]]]:
    if title not in wb.sheetnames:
        return [], []
    rows = [list(r) for r in wb[title].iter_rows(values_only=True)]
    return ([str(h) for h in rows[0]] if rows else []), rows[1:]


def _issue_rows(report: CollectReport, files: list[Path], wb, now: str) -> tuple[list[list[Any]], bool]:
    """The Issues sheet: this run's rows for its files, earlier rows for other files kept."""
    header, old = _read_rows(wb, ISSUES)
    this = {f.name for f in files}
    kept = [r for r in old if header == list(ISSUE_COLUMNS) and r and r[0] not in this]
    quarantined = {(f, s) for f, s in report.quarantined}
    first_seen = {tuple(r[:8]): r[9] for r in old if header == list(ISSUE_COLUMNS) and len(r) >= 10}
    new = []
    for sev, problems in (("error", report.problems), (WARNING, report.warnings)):
        for p in problems:
            file = p.where[1:p.where.index("]")] if p.where.startswith("[") and "]" in p.where else ""
            sheet = p.where[p.where.index("]") + 1:].split("!")[0] if file else ""
            status = ("quarantined: not applied" if (file, sheet) in quarantined or (file, "") in quarantined
                      else "applied") if sev == "error" else "applied"
            if sev == "error" and not file:
                status = "to fix in the master"
            row = [file, p.where, p.employee, p.item or p.column, p.code, p.message,
                   None if p.value is None else str(p.value), sev, status]
            row.append(first_seen.get(tuple(row[:8]), now))
            new.append(row)
    rows = new + kept
    changed = [tuple(r[:9]) for r in rows] != [tuple(r[:9]) for r in old] or header != list(ISSUE_COLUMNS)
    return rows, changed


def _write_rows(master: Master, title: str, header: Iterable[str], rows: list[list[Any]]) -> None:
    ws = master.sheet(title)
    header = list(header)
    ws.append(header)
    for r in rows:
        ws.append(r)
    _style_table(ws, len(header))


def collect(master: str | Path, returned: Iterable[str | Path], *, period: str | None = None,
            progress: Callable[[int, int], None] | None = None, user: str | None = None,
            now: datetime | None = None) -> CollectReport:
    """Collect returned workbooks into the master (see the module docstring).

    Args:
        master: The master workbook (a template with Scheme, Roster and 考核表 sheets).
        returned: Returned files and/or folders holding them.
        period: The period to collect (default: the master's, else the one the sheets carry).
        progress: ``progress(done, total)`` after each file read.
        user: Who collects, for the Log (default: the login name).
        now: The time recorded (default: now).

    Returns:
        A :class:`CollectReport`; its problems are also in the master's Issues sheet.

    Raises:
        FileProblem: The master cannot be opened, locked or written.
        InputError: The master's scheme or roster has problems.
    """
    path = Path(master)
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    user = user or _login()
    with locked(path, STEP):
        m = open_master(path, STEP)
        run = _Run(m, period or m.period, user, now)
        files = returned_files(returned, skip=[path, backup_path(path)])
        if not files:
            raise FileProblem(path, STEP, "no returned files were given (or the folder is empty)")
        report = CollectReport(path, "")
        report.files = len(files)
        sheets = run.read(files, report, progress)
        report.period = run.period
        sheets = run.duplicates(sheets)
        run.master_warnings = []
        run.validate(sheets)
        log = run.apply(sheets, report)
        report.warnings += run.master_warnings
        collected = {e for p, e in run.store.records if p == run.period}
        report.missing = [e for e in run.ids if e not in collected]
        stamp = now.isoformat(timespec="seconds")
        issues, issues_changed = _issue_rows(report, files, m.wb, stamp)
        store_changed = run.store.records != run.before or m.period != run.period
        if store_changed or issues_changed or RESULTS not in m.wb.sheetnames:
            m.period = run.period
            run.store.write(m)
            for p in run.write_results():
                if p.where.startswith("roster") or p.where.startswith(run.roster.name):
                    report.warnings.append(p)
            report.warnings += run.write_history()
            _write_rows(m, ISSUES, ISSUE_COLUMNS, issues)
            _, old_log = _read_rows(m.wb, LOG)
            _write_rows(m, LOG, LOG_COLUMNS, old_log + log)
            _redraw_report(m)
            m.save(STEP)
            report.written = True
        _quarantine(path, report, files)
        return report


def _redraw_report(m: Master) -> None:
    """Report sheets hold charts openpyxl cannot keep: draw them again from the new records."""
    from .report import refresh, report_sheets

    if report_sheets(m.wb):
        refresh(m)


def _quarantine(master: Path, report: CollectReport, files: list[Path]) -> None:
    """Copy each file with a refused sheet into ``quarantine/`` beside the master, for HR to send back."""
    names = {f for f, _ in report.quarantined}
    if not names:
        return
    folder = master.parent / QUARANTINE
    for f in files:
        if f.name in names and f.exists():
            try:
                folder.mkdir(exist_ok=True)
                shutil.copy2(f, folder / f.name)
            except OSError:
                pass  # the copy is a convenience; the Issues sheet is the record


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USERNAME") or os.environ.get("USER") or "?"

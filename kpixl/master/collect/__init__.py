"""Collect: read what managers send back into the master, validate it all, lose nothing.

``collect(master, returned)`` is what ``kpixl collect`` and the ribbon's *Collect*
button run. For every returned file (or every file in a returned folder):

1. the file is sniffed and read from its XML (:mod:`kpixl.xlsx.reader`): not a workbook,
   damaged, encrypted, huge, an old ``.xls`` or holding macros — refused with the reason;
2. each person sheet is found by its stamp (:mod:`kpixl.master.returned`), never by name or place,
   and checked: scheme, version and period, the employee in the roster, every formula
   still the one generated, no locked cell or target typed over;
3. all inputs of all sheets are validated by the engine at once (:func:`kpixl.engine.score.prepare`),
   with each problem placed at its cell (``[王经理.xlsx]王伟-K01!G7``), and the
   values the file shows are compared with what the engine computes;
4. a sheet with any error is quarantined whole (a copy of its file goes to
   ``quarantine/`` beside the master); the others are applied to the record store
   (:mod:`kpixl.master.store`): a new record is added, the same file again is a no-op, a newer
   file replaces the older record with every changed input logged (old → new), an
   older file is not applied;
5. the master gets ``Results`` (live formulas over the period's inputs), ``Issues``,
   ``Log``, ``考核历史`` and the store, written atomically with a backup, under a lock
   (:mod:`kpixl.master.book`).
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from ...card.distribute import read_sent, sent_path
from ...card.stamp import key_path, master_key
from ...card.template import CARD_SHEETS, ROSTER_SHEETS
from ...scheme.sheet.vocab import SHEET_NAMES as SCHEME_SHEETS
from ...errors import FileProblem
from ...gcpause import cycle_collector_paused
from ...xlsx.scan import read_values
from ..book import HISTORY, ISSUES, LOG, RESULTS, STORE, Master, backup_path, check_closed, locked, open_master
from ..records import Records
from ..relabel import switch_lang
from ..store import Store
from ..report import redraw
from .apply import apply
from .check import Expected, duplicates, spread, validate
from .outcome import CollectReport
from .quick import flagged, recorded, unchanged
from .read import QUARANTINE, STEP, file_labels, file_shas, no_manifest, read_returned, returned_files, sent_plan, shown
from ..columns import reword_rows
from .write import ISSUE_COLUMNS, LOG_COLUMNS, issue_rows, quarantine, read_rows, write_history, write_results, write_rows

__all__ = ["QUARANTINE", "CollectReport", "collect", "returned_files"]


def collect(master: str | Path, returned: Iterable[str | Path], *, period: str | None = None,
            progress: Callable[[int, int], None] | None = None, user: str | None = None,
            now: datetime | None = None, lang: str | None = None) -> CollectReport:
    """Collect returned workbooks into the master (see the module docstring).

    Args:
        master: The master workbook (a template with Scheme, Roster and 考核表 sheets).
        returned: Returned files and/or folders holding them.
        period: The period to collect (default: the master's, else the one the sheets carry).
        progress: ``progress(done, total)`` after each file read.
        user: Who collects, for the Log (default: the login name).
        now: The time recorded (default: now).
        lang: ``zh`` or ``en``: the language of the headers, kept in the master (default: the master's).

    Returns:
        A :class:`CollectReport`; its problems are also in the master's Issues sheet.

    Raises:
        FileProblem: The master cannot be opened, locked or written.
        InputError: The master's scheme or roster has problems.
    """
    path = Path(master)
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    user = user or login()
    with locked(path, STEP), cycle_collector_paused():
        files = returned_files(returned, skip=[path, backup_path(path), key_path(path), sent_path(path)])
        if not files:
            raise FileProblem(path, STEP, "no returned files were given (or the folder is empty)")
        labels = {f: shown(label) for f, label in file_labels(files).items()}
        shas = file_shas(files)
        sent = read_sent(path) if path.exists() else None
        if path.exists() and all(shas.values()):
            check_closed(path, STEP)
            quick = unchanged(path, files, labels, shas, period)
            if quick is not None:  # every file already collected as it is: nothing to load or write
                if sent_plan(sent, quick.period) is None:
                    quick.warnings.append(no_manifest(path, quick.period))
                if progress is not None:
                    progress(len(files), len(files))
                return quick
        m, kept = _open(path)
        kept = kept if kept is not None else m.wb
        switch_lang(m, lang, rewritten=(RESULTS, HISTORY, ISSUES, LOG))
        records = Records(m, period or m.period, STEP)
        expected = Expected(records, master_key(path))
        before = {k: dict(v) for k, v in records.store.records.items()}
        report = CollectReport(path, "")
        report.files = len(files)
        _, old_issues = read_rows(kept, ISSUES)
        skip = recorded(records.store.of_period(records.period)) if records.period else {}
        seen = flagged(old_issues)
        skip = {sha: ids for sha, ids in skip.items() if not any(shas[f] == sha and labels[f] in seen for f in files)}
        sheets = read_returned(records, expected, files, report, progress, sent, shas, skip, now)
        report.period = records.period
        sheets = duplicates(sheets)
        master_warnings = validate(records, expected, sheets)
        sheets = spread(sheets)
        log = apply(records, sheets, report, user, now, m.lang)
        report.warnings += master_warnings
        collected = {e for p, e in records.store.records if p == records.period}
        report.missing = [e for e in records.ids if e not in collected]
        stamp = now.isoformat(timespec="seconds")
        # Issues rows are redone for the files read now; a file skipped as unchanged keeps its warnings.
        read_now = [labels[f] for f in files if shas[f] is None or shas[f] not in skip]
        issues, _ = issue_rows(report, read_now, kept, stamp, m.lang)
        # Nothing collected, nothing written: a batch of refused files leaves the master (and its
        # backup) as they were; the problems are printed and the files quarantined.
        store_changed = records.store.records != before
        if store_changed:
            m.period = records.period
            records.store.write(m)
            for p in write_results(records):
                if p.where.startswith("roster") or p.where.startswith(records.roster.name):
                    report.warnings.append(p)
            report.warnings += write_history(records)
            write_rows(m, ISSUES, ISSUE_COLUMNS, issues)
            _, old_log = read_rows(kept, LOG)
            write_rows(m, LOG, LOG_COLUMNS, reword_rows(LOG_COLUMNS, old_log, m.lang) + log)
            redraw(m)
            m.save(STEP)
            report.written = True
        quarantine(path, report, labels)
        return report


def _open(path: Path) -> tuple[Master, Any]:
    """The master, loaded without the cells collect writes anew, and what it reads of them.

    ``Results`` and ``考核历史`` are never read; the record store, ``Issues`` and ``Log`` are read
    from their XML (:func:`kpixl.xlsx.scan.read_values`, values as openpyxl reads them) and
    loaded empty: whenever collect writes the master it writes all three anew. The roster is read
    from its XML too (:class:`kpixl.master.records.Records`) and never changed: its cells are
    carried into the saved master as they were (``keep``), as are those of the card and the
    Scheme sheet, which are read but never changed (``unchanged``). Returns the master and the
    workbook-like source of those three sheets (the master's own workbook when its XML cannot be
    read that way).
    """
    try:
        kept = read_values(path, {STORE, ISSUES, LOG})
    except FileProblem:
        return open_master(path, STEP, rewrite=(RESULTS, HISTORY), keep=ROSTER_SHEETS,
                           unchanged=(*CARD_SHEETS, *SCHEME_SHEETS)), None
    m = open_master(path, STEP, rewrite=(RESULTS, HISTORY, STORE, ISSUES, LOG), keep=ROSTER_SHEETS,
                     unchanged=(*CARD_SHEETS, *SCHEME_SHEETS))
    m.store = Store.read(kept)
    return m, kept


def login() -> str:
    """Who collects, for the Log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USERNAME") or os.environ.get("USER") or "?"

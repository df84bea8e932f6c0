"""Collect's shortcut: files already collected, unchanged, cost a hash and nothing more.

Every record in the store keeps the SHA-256 of the file it came from. A returned file
whose hash is recorded for the period, and that left no row in ``Issues`` (so every sheet
it holds was applied), cannot change anything: it is not parsed again. When every file
given is such a file, the master is not even loaded by openpyxl — its record store,
Issues and roster are read straight from their XML (:func:`unchanged`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from ...engine.inputs import ID_ALIASES
from ...errors import FileProblem
from ...xlsx.reader import read_book, split_ref
from ..book import ISSUES, PERIOD_NAME, STORE
from ..store import EMPLOYEE, PERIOD
from ..columns import WARNINGS, data_rows
from .outcome import CollectReport

#: The roster sheet names a master may use (as the template reader finds them).
ROSTER_SHEETS = ("Roster", "花名册")
#: The master's own sheets may be far larger than a scorecard.
MAX_MASTER_CELLS = 5_000_000


def recorded(records: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """File SHA-256 → the employees collected from it (one period's records)."""
    out: dict[str, list[str]] = {}
    for rec in records:
        sha = rec.get("_sha256")
        if sha:
            out.setdefault(str(sha), []).append(str(rec.get(EMPLOYEE)))
    return out


def flagged(rows: Iterable[Iterable[Any]]) -> set[str]:
    """The files (as places name them) with an error row in Issues: they are read again.

    A file with warnings only (a note that an entry counted as its limit, a renamed sheet)
    was applied as it is; reading it again would change nothing.
    """
    return {str(r[0]) for r in rows if r and r[0] and (len(r) < 8 or r[7] not in WARNINGS)}


def _table(sheet) -> list[list[Any]]:
    """A sheet read by :func:`read_book` as rows of values (row 1 first)."""
    rows: dict[int, dict[int, Any]] = {}
    columns: dict[str, int] = {}  # "AB" → 28, worked out once per column (thousands of cells)
    for ref, cell in sheet.cells.items():
        letters = ref.rstrip("0123456789")
        c = columns.get(letters)
        if c is None:
            c = columns[letters] = split_ref(ref)[1]
        rows.setdefault(int(ref[len(letters):]), {})[c] = cell.value
    if not rows:
        return []
    width = max(max(cols) for cols in rows.values())
    return [[rows.get(r, {}).get(c) for c in range(1, width + 1)] for r in range(1, max(rows) + 1)]


def _id(v: Any) -> str | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def unchanged(master: Path, files: list[Path], labels: dict[Path, str], shas: dict[Path, str],
              period: str | None) -> CollectReport | None:
    """The report of a collect in which every file is already collected and unchanged; else None.

    None (the full collect runs) whenever anything is not plainly so: a file not recorded,
    a file with Issues, a period not settled, a master that cannot be read this way.
    """
    try:
        book = read_book(master, name=master.name, sheets={STORE, ISSUES}, max_cells=MAX_MASTER_CELLS)
    except FileProblem:
        return None
    names = {n: t for n, local, t in book.names if local is None}
    period = period or (names.get(PERIOD_NAME) or "").strip().strip('"') or None
    store, issues = book.sheet(STORE), book.sheet(ISSUES)
    if period is None or store is None:
        return None
    rows = _table(store)
    if not rows or PERIOD not in rows[0] or EMPLOYEE not in rows[0] or "_sha256" not in rows[0]:
        return None
    head = [str(h) if h is not None else "" for h in rows[0]]
    recs = [dict(zip(head, r)) for r in rows[1:]]
    done = recorded(r for r in recs if str(r.get(PERIOD)) == period)
    seen = flagged(data_rows(_table(issues))[1]) if issues is not None else set()
    if any(shas[f] not in done or labels[f] in seen for f in files):
        return None  # the roster is read only when every file is (the full collect reads it anyway)
    try:
        book = read_book(master, name=master.name, sheets=set(ROSTER_SHEETS), max_cells=MAX_MASTER_CELLS)
    except FileProblem:
        return None
    roster = next((s for s in (book.sheet(n) for n in ROSTER_SHEETS) if s is not None), None)
    if roster is None:
        return None
    roster_rows = _table(roster)
    col = next((k for k, h in enumerate(roster_rows[0] if roster_rows else []) if h in ID_ALIASES), None)
    if col is None:
        return None
    ids = [i for i in (_id(r[col]) for r in roster_rows[1:] if col < len(r)) if i is not None]
    report = CollectReport(master, period)
    report.files = len(files)
    for f in files:
        report.unchanged += done[shas[f]]
    report.sheets = len(report.unchanged)
    got = {_id(r.get(EMPLOYEE)) for r in recs if str(r.get(PERIOD)) == period}
    report.missing = [i for i in ids if i not in got]
    return report

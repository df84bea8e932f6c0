"""Collect, step 1 — read: the files to collect, each read from its XML, person sheets found by stamp."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable, Iterable

from ...card.stamp import STAMP_NAME
from ...errors import FileProblem, Problem
from ...xlsx.reader import read_book
from ..records import Records
from ..returned import Returned, listed_name, place, stamped_sheets
from .check import Expected
from .outcome import CollectReport

STEP = "collecting"
QUARANTINE = "quarantine"


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


def sha256(path: Path) -> str:
    """The file's SHA-256 (a file collected again unchanged is a no-op)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def canonical_period(text: str) -> str:
    """A period label compared loosely (``2026q4`` is ``2026Q4``)."""
    return str(text).strip().upper().replace(" ", "")


def read_returned(records: Records, expected: Expected, files: list[Path], report: CollectReport,
                  progress: Callable[[int, int], None] | None) -> list[Returned]:
    """Read every file; return the identified and checked person sheets of this scheme.

    Sets ``records.period`` from the sheets when the master has none yet.
    """
    found: list[tuple[Any, Any, Any, str]] = []
    for n, f in enumerate(files, start=1):
        try:
            book = read_book(f, only=STAMP_NAME)
        except FileProblem as e:
            report.problems.append(Problem(f"[{f.name}]", "bad_file", f"{e.reason}"))
            report.quarantined.append((f.name, ""))
        else:
            sha = sha256(f)
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
    if records.period is None:
        mine = sorted({canonical_period(s.period) for _, _, s, _ in found if s.scheme_id == records.scheme.id})
        if len(mine) > 1:
            raise FileProblem(records.path, STEP, f"the returned sheets are for several periods ({', '.join(mine)}); "
                                                 "collect one period at a time (--period)")
        if not mine:
            raise FileProblem(records.path, STEP, "no returned sheet of this scheme was found, so the period is "
                                                 "unknown; give it (--period 2026-11)")
        records.period = mine[0]
    out = []
    known = set(records.ids)
    for book, sheet, stamp, sha in found:
        report.sheets += 1
        where, eid = place(book, sheet.name), stamp.employee_id
        if stamp.scheme_id != records.scheme.id:
            bad = Problem(where, "other_scheme", f"this sheet belongs to the scheme {stamp.scheme_id}, "
                                                 f"not {records.scheme.id}", employee=eid)
        elif stamp.version != records.scheme.version:
            bad = Problem(where, "other_version", f"this sheet was made for version {stamp.version} of the "
                                                  f"scheme; the master is version {records.scheme.version}",
                          employee=eid)
        elif canonical_period(stamp.period) != canonical_period(records.period):
            bad = Problem(where, "other_period", f"this sheet is for {stamp.period}; the master is collecting "
                                                 f"{records.period}", employee=eid)
        elif eid not in known:
            bad = Problem(where, "unknown_employee", f"employee {eid} is not in the master's roster", eid,
                          employee=eid)
        else:
            bad = None
        if bad is not None:
            report.problems.append(bad)
            report.quarantined.append((book.path.name, sheet.name))
            continue
        r = expected.checker.check(book, sheet, stamp)
        r.sha = sha
        sent_as = listed_name(book, eid)
        if sent_as is not None and sheet.name != sent_as:
            r.warnings.append(Problem(r.place(), "renamed_sheet", f"the sheet was renamed (sent as "
                                      f"{sent_as}); collected by its stamp", employee=eid))
        out.append(r)
    return out
